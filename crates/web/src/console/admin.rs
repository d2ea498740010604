//! For administrators: the audit log with its chain's verification, and
//! users, roles, tokens, peers, outbound policy, duty roster and sharing
//! groups. Every change goes through the same audited function as the API,
//! which checks the admin role itself.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;
use vigia_notify::project::load_roster;
use vigia_policy::{OutboundPolicy, Role, TeamId, UserName};
use vigia_store::AuditVerification;

use super::{field, fields, render, status_page, Chrome, SignedIn};
use crate::error::{AppError, AppResult};
use crate::federation::set_outbound_policy_as;
use crate::routes::admin::{
    create_user_as, put_group_as, set_disabled_as, set_role_as, CreateUser,
};
use crate::routes::tokens::{create_as, revoke_as, CreateToken};
use crate::routes::watch::{on_duty_now, store_roster_as, watch_error, without_secrets};
use crate::state::AppState;

struct AuditRow {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    subject: String,
    outcome: String,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    c: Chrome,
    intact: bool,
    verdict: String,
    rows: Vec<AuditRow>,
}

/// `GET /console/audit`: the newest 200 entries, newest first.
pub(crate) async fn audit(State(state): State<AppState>, s: SignedIn) -> AppResult<Response> {
    s.caller.require_admin()?;
    let (intact, verdict, total) = match state.store.verify_audit().await? {
        AuditVerification::Intact { entries } => (true, String::new(), entries),
        AuditVerification::Broken(b) => (false, b.to_string(), 0),
    };
    let after = if intact {
        i64::try_from(total).unwrap_or(0).saturating_sub(200)
    } else {
        0
    };
    let mut rows: Vec<AuditRow> = state
        .store
        .audit_entries(after, 200)
        .await?
        .into_iter()
        .map(|e| AuditRow {
            seq: e.seq,
            at: s.chrome.at(e.event.at),
            actor: e.event.actor,
            action: e.event.action,
            subject: e.event.subject.unwrap_or_default(),
            outcome: e.event.outcome,
        })
        .collect();
    rows.reverse();
    state
        .audit(
            &s.caller.actor,
            "audit.read",
            None,
            "ok",
            json!({"via": "console", "entries": rows.len()}),
        )
        .await?;
    render(&AuditPage {
        c: s.chrome,
        intact,
        verdict,
        rows,
    })
}

struct UserRow {
    name: String,
    display_name: String,
    team: String,
    role: String,
    disabled: bool,
    second_factor: bool,
    locked_until: String,
}

struct TokenRow {
    id: String,
    owner: String,
    role: String,
    scope: String,
    label: String,
    expires: String,
    last_used: String,
}

struct PeerRow {
    name: String,
    country: String,
    url: String,
    reachable: bool,
    last_success: String,
    last_error: String,
    backlog: i64,
}

struct GroupRow {
    name: String,
    owner: String,
    members: Vec<String>,
    /// Only the owning team changes a group.
    ours: bool,
}

/// The outcome of an admin's change, shown at the top of the page. A
/// secret (a new password or token) is shown this once.
#[derive(Default)]
struct Notice {
    /// Set when the change was refused, with the status it was refused with.
    refused: Option<StatusCode>,
    text: String,
    secret: String,
}

impl Notice {
    fn done(text: String) -> Self {
        Self {
            text,
            ..Self::default()
        }
    }

    fn failed(e: &AppError) -> Self {
        Self {
            refused: Some(e.status()),
            text: e.to_string(),
            ..Self::default()
        }
    }
}

/// What the admin typed into the JSON editors, kept when it is refused.
#[derive(Default)]
struct Drafts {
    outbound: Option<String>,
    roster: Option<String>,
}

#[derive(Template)]
#[template(path = "console/admin.html")]
struct AdminPage {
    c: Chrome,
    notice: Notice,
    users: Vec<UserRow>,
    tokens: Vec<TokenRow>,
    peers: Vec<PeerRow>,
    outbound_configured: String,
    outbound_effective: String,
    outbound_runtime: String,
    roster_on_duty: Vec<(String, String, String)>,
    roster_text: String,
    groups: Vec<GroupRow>,
    teams: Vec<(String, String)>,
    roles: Vec<&'static str>,
    scopes: &'static [&'static str],
    require_totp: bool,
}

/// `GET /console/admin`
pub(crate) async fn admin(State(state): State<AppState>, s: SignedIn) -> AppResult<Response> {
    admin_page(&state, s, Notice::default(), Drafts::default()).await
}

fn pretty(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

async fn admin_page(
    state: &AppState,
    s: SignedIn,
    notice: Notice,
    drafts: Drafts,
) -> AppResult<Response> {
    s.caller.require_admin()?;
    let status = notice.refused.unwrap_or(StatusCode::OK);
    let c = &s.chrome;
    let now = crate::state::now();
    let opt = |t: Option<vigia_stix::Timestamp>| t.map(|t| c.at(t)).unwrap_or_default();
    let users = state
        .store
        .list_users(None)
        .await?
        .into_iter()
        .map(|u| UserRow {
            name: u.name.to_string(),
            display_name: u.display_name,
            team: u.team.to_string(),
            role: u.role.as_str().to_owned(),
            disabled: u.disabled,
            second_factor: u.totp_secret.is_some(),
            locked_until: opt(u.locked_until.filter(|t| *t > now)),
        })
        .collect();
    let tokens = state
        .store
        .list_tokens()
        .await?
        .into_iter()
        .filter(|t| t.revoked_at.is_none() && t.expires_at.is_none_or(|e| e > now))
        .map(|t| TokenRow {
            owner: t
                .user
                .as_ref()
                .map_or_else(|| t.team.to_string(), |u| format!("{u} ({})", t.team)),
            id: t.id,
            role: t.role.as_str().to_owned(),
            scope: t.scope,
            label: t.label,
            expires: opt(t.expires_at),
            last_used: opt(t.last_used_at),
        })
        .collect();
    let peers = state
        .store
        .peers()
        .await?
        .into_iter()
        .map(|p| PeerRow {
            reachable: p.reachable().unwrap_or(false),
            last_success: opt(p.last_success_at),
            last_error: p.last_error.clone().unwrap_or_default(),
            backlog: p.backlog,
            name: p.peer.name,
            country: p.peer.country,
            url: p.peer.url,
        })
        .collect();
    let configured = state.ingest.configured_outbound();
    let runtime = runtime_outbound(state).await?;
    let watch = state.watch()?;
    let roster = load_roster(watch, s.team().as_str())
        .await
        .map_err(watch_error)?;
    let roster_on_duty = on_duty_now(&roster, watch.clock.now())
        .map(|k| {
            (
                k.name.clone(),
                format!("{:?}", k.role).to_lowercase(),
                k.email.clone().unwrap_or_default(),
            )
        })
        .collect();
    let groups = state
        .store
        .list_sharing_groups()
        .await?
        .into_iter()
        .map(|(name, owner, members)| GroupRow {
            name: name.to_string(),
            ours: &owner == s.team(),
            owner: owner.to_string(),
            members: members.iter().map(|m| m.to_string()).collect(),
        })
        .collect();
    let teams = state
        .store
        .list_teams()
        .await?
        .into_iter()
        .map(|t| (t.id.to_string(), format!("{} ({})", t.name, t.country)))
        .collect();
    let page = AdminPage {
        notice,
        users,
        tokens,
        peers,
        outbound_effective: pretty(&configured.and(&runtime)),
        outbound_configured: pretty(&configured),
        outbound_runtime: drafts.outbound.unwrap_or_else(|| pretty(&runtime)),
        roster_on_duty,
        roster_text: drafts
            .roster
            .unwrap_or_else(|| pretty(&without_secrets(&roster))),
        groups,
        teams,
        roles: Role::ALL
            .iter()
            .filter(|r| **r != Role::PeerNode)
            .map(|r| r.as_str())
            .collect(),
        scopes: crate::auth::TOKEN_SCOPES,
        require_totp: state.console.require_totp,
        c: s.chrome,
    };
    Ok(status_page(status, render(&page)?))
}

async fn runtime_outbound(state: &AppState) -> AppResult<OutboundPolicy> {
    match state
        .store
        .setting(vigia_store::ingest::OUTBOUND_POLICY_SETTING)
        .await?
    {
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| AppError::Internal(format!("stored outbound policy: {e}"))),
        None => Ok(OutboundPolicy::default()),
    }
}

/// Shows the outcome of a change: a client error (bad input, unknown
/// user, conflict) is shown on the page with what was typed; anything else
/// is a real failure.
async fn outcome(
    state: &AppState,
    s: SignedIn,
    result: AppResult<Notice>,
    drafts: Drafts,
) -> AppResult<Response> {
    match result {
        Ok(notice) => admin_page(state, s, notice, Drafts::default()).await,
        Err(e) if e.status().is_client_error() && e.status() != StatusCode::FORBIDDEN => {
            admin_page(state, s, Notice::failed(&e), drafts).await
        }
        Err(e) => Err(e),
    }
}

fn bad(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::BadRequest(format!("{what}: {e}"))
}

/// `POST /console/admin/users`: a new user; the generated password is
/// shown once.
pub(crate) async fn create_user(
    State(state): State<AppState>,
    s: SignedIn,
    body: Bytes,
) -> AppResult<Response> {
    let form = s.form(&body)?;
    let result = async {
        let text = |name| field(&form, name).trim().to_owned();
        let req = CreateUser {
            name: UserName::parse(&text("name")).map_err(|e| bad("user name", e))?,
            role: text("role").parse::<Role>().map_err(|e| bad("role", e))?,
            team: None,
            display_name: text("display_name"),
            email: Some(text("email")).filter(|e| !e.is_empty()),
            password: None,
        };
        let (user, password) = create_user_as(&state, &s.caller, req, "console").await?;
        Ok(Notice {
            secret: password.unwrap_or_default(),
            ..Notice::done(format!("user {} ({})", user.name, user.role.as_str()))
        })
    }
    .await;
    outcome(&state, s, result, Drafts::default()).await
}

/// `POST /console/admin/users/{name}` with `action` = unlock,
/// reset-second-factor, disable, enable or role (with `role`).
pub(crate) async fn user_action(
    State(state): State<AppState>,
    s: SignedIn,
    Path(name): Path<String>,
    body: Bytes,
) -> AppResult<Response> {
    let form = s.form(&body)?;
    let action = field(&form, "action");
    let result = match action {
        "disable" | "enable" => {
            set_disabled_as(&state, &s.caller, &name, action == "disable", "console").await
        }
        "role" => match field(&form, "role").parse::<Role>() {
            Ok(role) => set_role_as(&state, &s.caller, &name, role, "console").await,
            Err(e) => Err(bad("role", e)),
        },
        "unlock" | "reset-second-factor" => sign_in_action(&state, &s, &name, action).await,
        other => Err(AppError::BadRequest(format!(
            "action {other:?}: use unlock, reset-second-factor, disable, enable or role"
        ))),
    };
    let result = result.map(|()| Notice::done(format!("user {name}: {action}")));
    outcome(&state, s, result, Drafts::default()).await
}

/// Unlocks an account or removes its second factor (the user enrols
/// again at the next sign-in).
async fn sign_in_action(state: &AppState, s: &SignedIn, name: &str, action: &str) -> AppResult<()> {
    s.caller.require_admin()?;
    let name = UserName::parse(name).map_err(|e| bad("user name", e))?;
    let found = if action == "unlock" {
        state.store.clear_login_failures(&name).await?
    } else {
        state.store.set_user_totp(&name, None).await?
    };
    if !found {
        return Err(AppError::NotFound(format!("user {name}")));
    }
    state
        .audit(
            &s.caller.actor,
            &format!("user.{action}"),
            Some(name.as_str()),
            "ok",
            json!({"via": "console"}),
        )
        .await
}

/// `POST /console/admin/tokens`: a new token; its secret is shown once.
pub(crate) async fn create_token(
    State(state): State<AppState>,
    s: SignedIn,
    body: Bytes,
) -> AppResult<Response> {
    let form = s.form(&body)?;
    let result = async {
        let text = |name| field(&form, name).trim().to_owned();
        let user = text("user");
        let days = text("expires_in_days");
        let req = CreateToken {
            role: text("role").parse::<Role>().map_err(|e| bad("role", e))?,
            user: match user.as_str() {
                "" => None,
                u => Some(UserName::parse(u).map_err(|e| bad("user", e))?),
            },
            team: None,
            label: text("label"),
            scope: text("scope"),
            expires_in_days: match days.as_str() {
                "" => None,
                d => Some(
                    d.parse::<u32>()
                        .ok()
                        .filter(|d| (1..=3650).contains(d))
                        .ok_or_else(|| bad("expires in days", "a whole number from 1 to 3650"))?,
                ),
            },
        };
        let (token, secret) = create_as(&state, &s.caller, req).await?;
        Ok(Notice {
            secret,
            ..Notice::done(format!("token {} ({})", token.id, token.role.as_str()))
        })
    }
    .await;
    outcome(&state, s, result, Drafts::default()).await
}

/// `POST /console/admin/tokens/{id}/revoke`
pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> AppResult<Response> {
    s.form(&body)?;
    let result = revoke_as(&state, &s.caller, &id, "console")
        .await
        .map(|()| Notice::done(format!("token {id}: revoked")));
    outcome(&state, s, result, Drafts::default()).await
}

/// `POST /console/admin/outbound`: the run-time outbound policy as JSON.
pub(crate) async fn outbound(
    State(state): State<AppState>,
    s: SignedIn,
    body: Bytes,
) -> AppResult<Response> {
    let form = s.form(&body)?;
    let text = field(&form, "policy").to_owned();
    let result = async {
        let policy: OutboundPolicy =
            serde_json::from_str(&text).map_err(|e| bad("outbound policy", e))?;
        set_outbound_policy_as(&state, &s.caller, &policy, "console").await?;
        Ok(Notice::done("outbound policy".into()))
    }
    .await;
    let drafts = Drafts {
        outbound: Some(text),
        ..Drafts::default()
    };
    outcome(&state, s, result, drafts).await
}

/// `POST /console/admin/roster`: the team's duty roster as JSON.
pub(crate) async fn roster(
    State(state): State<AppState>,
    s: SignedIn,
    body: Bytes,
) -> AppResult<Response> {
    let form = s.form(&body)?;
    let text = field(&form, "roster").to_owned();
    let result = async {
        let roster = serde_json::from_str(&text).map_err(|e| bad("roster", e))?;
        let (roster, new_secrets) = store_roster_as(&state, &s.caller, roster, "console").await?;
        let secrets: Vec<String> = new_secrets
            .iter()
            .map(|(who, secret)| format!("{who}: {secret}"))
            .collect();
        Ok(Notice {
            secret: secrets.join("\n"),
            ..Notice::done(format!("roster ({} contacts)", roster.contacts.len()))
        })
    }
    .await;
    let drafts = Drafts {
        roster: Some(text),
        ..Drafts::default()
    };
    outcome(&state, s, result, drafts).await
}

/// `POST /console/admin/groups`: creates or replaces a sharing group.
pub(crate) async fn group(
    State(state): State<AppState>,
    s: SignedIn,
    body: Bytes,
) -> AppResult<Response> {
    let form = s.form(&body)?;
    let result = async {
        let members = fields(&form, "members")
            .iter()
            .map(|m| TeamId::parse(m).map_err(|e| bad("member", e)))
            .collect::<AppResult<Vec<_>>>()?;
        let name = field(&form, "name").trim();
        put_group_as(&state, &s.caller, name, &members, "console").await?;
        Ok(Notice::done(format!(
            "sharing group {name} ({} members)",
            members.len()
        )))
    }
    .await;
    outcome(&state, s, result, Drafts::default()).await
}
