//! For administrators: the audit log with its chain's verification, and
//! users, tokens, peers, outbound policy, duty roster and sharing groups.
//! Every handler checks the admin role itself.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;
use vigia_notify::project::load_roster;
use vigia_policy::UserName;
use vigia_store::AuditVerification;

use super::{field, render, Chrome, SignedIn};
use crate::error::{AppError, AppResult};
use crate::routes::admin::set_disabled_as;
use crate::routes::tokens::revoke_as;
use crate::routes::watch::watch_error;
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

#[derive(Template)]
#[template(path = "console/admin.html")]
struct AdminPage {
    c: Chrome,
    users: Vec<UserRow>,
    tokens: Vec<TokenRow>,
    peers: Vec<PeerRow>,
    outbound: String,
    roster: Vec<(String, String, String)>,
    groups: Vec<(String, String, String)>,
    require_totp: bool,
}

/// `GET /console/admin`
pub(crate) async fn admin(State(state): State<AppState>, s: SignedIn) -> AppResult<Response> {
    s.caller.require_admin()?;
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
    let effective = vigia_store::ingest::effective_outbound(&state.store, &configured).await?;
    let roster = load_roster(state.watch()?, s.team().as_str())
        .await
        .map_err(watch_error)?;
    let groups = state
        .store
        .list_sharing_groups()
        .await?
        .into_iter()
        .map(|(name, owner, members)| {
            (
                name.to_string(),
                owner.to_string(),
                members
                    .iter()
                    .map(|m| m.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        })
        .collect();
    let page = AdminPage {
        users,
        tokens,
        peers,
        outbound: serde_json::to_string_pretty(&effective).unwrap_or_default(),
        roster: roster
            .contacts
            .iter()
            .map(|k| {
                (
                    k.name.clone(),
                    format!("{:?}", k.role).to_lowercase(),
                    k.email.clone().unwrap_or_default(),
                )
            })
            .collect(),
        groups,
        require_totp: state.console.require_totp,
        c: s.chrome,
    };
    render(&page)
}

/// `POST /console/admin/users/{name}` with `action` = unlock,
/// reset-second-factor, disable or enable.
pub(crate) async fn user_action(
    State(state): State<AppState>,
    s: SignedIn,
    Path(name): Path<String>,
    body: Bytes,
) -> AppResult<Response> {
    let form = s.form(&body)?;
    let action = field(&form, "action");
    if let "disable" | "enable" = action {
        set_disabled_as(&state, &s.caller, &name, action == "disable", "console").await?;
        return Ok(Redirect::to("/console/admin").into_response());
    }
    s.caller.require_admin()?;
    let name = UserName::parse(&name).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let found = match action {
        "unlock" => state.store.clear_login_failures(&name).await?,
        "reset-second-factor" => state.store.set_user_totp(&name, None).await?,
        other => {
            return Err(AppError::BadRequest(format!(
                "action {other:?}: use unlock, reset-second-factor, disable or enable"
            )))
        }
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
        .await?;
    Ok(Redirect::to("/console/admin").into_response())
}

/// `POST /console/admin/tokens/{id}/revoke`
pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> AppResult<Response> {
    s.form(&body)?;
    revoke_as(&state, &s.caller, &id, "console").await?;
    Ok(Redirect::to("/console/admin").into_response())
}
