//! Teams, users, sharing groups and the audit log.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use vigia_policy::{GroupName, Role, TeamId, UserName};
use vigia_store::{
    AuditEntry, AuditVerification, NewTeam, NewUser, TeamKind, TeamRecord, UserRecord,
};

use crate::auth::Caller;
use crate::body::JsonBody;
use crate::credentials::{generate_password, hash_password};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

// ---- teams

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateTeam {
    name: String,
    country: String,
    kind: TeamKind,
    client_of: Option<TeamId>,
    /// Keep the id a team already has elsewhere in the network.
    id: Option<TeamId>,
}

pub(crate) async fn list_teams(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Vec<TeamRecord>>> {
    caller.require_authenticated()?;
    Ok(Json(state.store.list_teams().await?))
}

pub(crate) async fn create_team(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(req): JsonBody<CreateTeam>,
) -> AppResult<(StatusCode, Json<TeamRecord>)> {
    caller.require_admin()?;
    let name = req.name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(AppError::BadRequest(
            "team name must be 1 to 200 characters".into(),
        ));
    }
    let country = parse_country(&req.country)?;
    let id = match req.id {
        Some(id) => id,
        None => new_team_id()?,
    };
    let team = NewTeam {
        id,
        name: name.to_owned(),
        country,
        kind: req.kind,
        client_of: req.client_of,
    };
    let record = state.store.create_team(&team).await?;
    state
        .audit(
            &caller.actor,
            "team.create",
            Some(record.id.as_str()),
            "ok",
            json!({"name": record.name}),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(record)))
}

/// ISO 3166-1 alpha-2, upper-cased.
pub fn parse_country(text: &str) -> AppResult<String> {
    let upper = text.trim().to_ascii_uppercase();
    if upper.len() == 2 && upper.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(upper)
    } else {
        Err(AppError::BadRequest(format!(
            "country {text:?} must be an ISO 3166-1 alpha-2 code such as CR"
        )))
    }
}

pub fn new_team_id() -> AppResult<TeamId> {
    TeamId::parse(&format!("identity--{}", uuid::Uuid::new_v4()))
        .map_err(|e| AppError::Internal(e.to_string()))
}

// ---- users

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateUser {
    pub(crate) name: UserName,
    pub(crate) role: Role,
    pub(crate) team: Option<TeamId>,
    #[serde(default)]
    pub(crate) display_name: String,
    pub(crate) email: Option<String>,
    /// Absent: a random password is generated and returned once.
    pub(crate) password: Option<String>,
}

pub(crate) async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Vec<UserRecord>>> {
    caller.require_admin()?;
    Ok(Json(state.store.list_users(None).await?))
}

pub(crate) async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(req): JsonBody<CreateUser>,
) -> AppResult<(StatusCode, Json<serde_json::Value>)> {
    let (record, password) = create_user_as(&state, &caller, req, "api").await?;
    let mut body = serde_json::to_value(&record).map_err(|e| AppError::Internal(e.to_string()))?;
    if let Some(password) = password {
        body["password"] = json!(password);
    }
    Ok((StatusCode::CREATED, Json(body)))
}

/// An admin creates a user, audited; the API and the console both come
/// here. Returns the generated password, shown once, when none was given.
pub(crate) async fn create_user_as(
    state: &AppState,
    caller: &Caller,
    req: CreateUser,
    via: &str,
) -> AppResult<(UserRecord, Option<String>)> {
    caller.require_admin()?;
    refuse_peer_node(req.role)?;
    let team = req.team.unwrap_or_else(|| state.node.team_id.clone());
    if state.store.team(&team).await?.is_none() {
        return Err(AppError::NotFound(format!("team {team}")));
    }
    if req
        .email
        .as_deref()
        .is_some_and(|e| e.len() > 320 || !e.contains('@'))
    {
        return Err(AppError::BadRequest(
            "email must be an address such as duty@csirt.example".into(),
        ));
    }
    if req.display_name.chars().count() > 200 {
        return Err(AppError::BadRequest(
            "display name must be at most 200 characters".into(),
        ));
    }
    let generated = req.password.is_none();
    let password = req.password.unwrap_or_else(generate_password);
    if password.chars().count() < 12 {
        return Err(AppError::BadRequest(
            "password must be at least 12 characters".into(),
        ));
    }
    let (password_hash, password) =
        tokio::task::spawn_blocking(move || hash_password(&password).map(|h| (h, password)))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(|e| AppError::Internal(e.to_string()))?;
    let user = NewUser {
        team,
        display_name: if req.display_name.is_empty() {
            req.name.to_string()
        } else {
            req.display_name
        },
        name: req.name,
        email: req.email,
        role: req.role,
        password_hash,
    };
    let record = state.store.create_user(&user).await?;
    state
        .audit(
            &caller.actor,
            "user.create",
            Some(record.name.as_str()),
            "ok",
            json!({"role": record.role, "team": record.team, "via": via}),
        )
        .await?;
    Ok((record, generated.then_some(password)))
}

fn refuse_peer_node(role: Role) -> AppResult<()> {
    if role == Role::PeerNode {
        return Err(AppError::BadRequest(
            "peer-node is for node keys, not users".into(),
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetRole {
    role: Role,
}

/// `PUT /api/users/{name}/role`
pub(crate) async fn set_role(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    JsonBody(req): JsonBody<SetRole>,
) -> AppResult<StatusCode> {
    set_role_as(&state, &caller, &name, req.role, "api").await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An admin changes a user's role, audited. Admins cannot change their
/// own, so a node is never left without one by mistake.
pub(crate) async fn set_role_as(
    state: &AppState,
    caller: &Caller,
    name: &str,
    role: Role,
    via: &str,
) -> AppResult<()> {
    caller.require_admin()?;
    refuse_peer_node(role)?;
    let name = UserName::parse(name).map_err(|e| AppError::BadRequest(e.to_string()))?;
    if matches!(&caller.viewer, vigia_policy::Viewer::Member { user: Some(u), .. } if *u == name) {
        return Err(AppError::Conflict(
            "admins cannot change their own role; ask another admin".into(),
        ));
    }
    if !state.store.set_user_role(&name, role).await? {
        return Err(AppError::NotFound(format!("user {name}")));
    }
    state
        .audit(
            &caller.actor,
            "user.role",
            Some(name.as_str()),
            "ok",
            json!({"role": role, "via": via}),
        )
        .await
}

pub(crate) async fn disable_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> AppResult<StatusCode> {
    set_disabled(state, caller, name, true).await
}

pub(crate) async fn enable_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> AppResult<StatusCode> {
    set_disabled(state, caller, name, false).await
}

async fn set_disabled(
    state: AppState,
    caller: Caller,
    name: String,
    disabled: bool,
) -> AppResult<StatusCode> {
    set_disabled_as(&state, &caller, &name, disabled, "api").await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An admin disables or enables a user, audited; the API and the console
/// both come here.
pub(crate) async fn set_disabled_as(
    state: &AppState,
    caller: &Caller,
    name: &str,
    disabled: bool,
    via: &str,
) -> AppResult<()> {
    caller.require_admin()?;
    let name = UserName::parse(name).map_err(|e| AppError::BadRequest(e.to_string()))?;
    if !state.store.set_user_disabled(&name, disabled).await? {
        return Err(AppError::NotFound(format!("user {name}")));
    }
    let action = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    state
        .audit(
            &caller.actor,
            action,
            Some(name.as_str()),
            "ok",
            json!({"via": via}),
        )
        .await
}

// ---- sharing groups

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PutGroup {
    members: Vec<TeamId>,
}

pub(crate) async fn list_groups(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<serde_json::Value>> {
    caller.require_authenticated()?;
    let groups = state.store.list_sharing_groups().await?;
    let list: Vec<_> = groups
        .into_iter()
        .map(|(name, owner, members)| json!({"name": name, "owner": owner, "members": members}))
        .collect();
    Ok(Json(json!(list)))
}

pub(crate) async fn put_group(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    JsonBody(req): JsonBody<PutGroup>,
) -> AppResult<StatusCode> {
    put_group_as(&state, &caller, &name, &req.members, "api").await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An admin creates or replaces one of the team's sharing groups,
/// audited; the API and the console both come here.
pub(crate) async fn put_group_as(
    state: &AppState,
    caller: &Caller,
    name: &str,
    members: &[TeamId],
    via: &str,
) -> AppResult<()> {
    let team = caller.require_admin()?.clone();
    let name = GroupName::parse(name).map_err(|e| AppError::BadRequest(e.to_string()))?;
    state.store.put_sharing_group(&name, &team, members).await?;
    state
        .audit(
            &caller.actor,
            "group.put",
            Some(name.as_str()),
            "ok",
            json!({"members": members, "via": via}),
        )
        .await
}

// ---- audit

#[derive(Deserialize)]
pub(crate) struct AuditPage {
    #[serde(default)]
    after: i64,
    limit: Option<i64>,
}

pub(crate) async fn audit_log(
    State(state): State<AppState>,
    caller: Caller,
    Query(page): Query<AuditPage>,
) -> AppResult<Json<Vec<AuditEntry>>> {
    caller.require_admin()?;
    let limit = page.limit.unwrap_or(100).clamp(1, 1000);
    Ok(Json(state.store.audit_entries(page.after, limit).await?))
}

pub(crate) async fn audit_verify(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<serde_json::Value>> {
    caller.require_admin()?;
    Ok(Json(match state.store.verify_audit().await? {
        AuditVerification::Intact { entries } => json!({"intact": true, "entries": entries}),
        AuditVerification::Broken(b) => json!({"intact": false, "first_break": b.to_string()}),
    }))
}
