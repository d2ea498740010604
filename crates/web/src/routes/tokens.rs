//! API tokens: issued by admins, shown once, stored hashed, revocable.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use time::Duration;
use vigia_policy::{Role, TeamId, UserName};
use vigia_stix::Timestamp;
use vigia_store::{NewToken, Store, TokenRecord};

use crate::auth::Caller;
use crate::body::JsonBody;
use crate::credentials::issue_token;
use crate::error::{AppError, AppResult};
use crate::state::{audit_event, now, AppState};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateToken {
    pub(crate) role: Role,
    /// Acts as this user (their team); absent for a team service token.
    pub(crate) user: Option<UserName>,
    /// For a service token: the team it speaks for (default: the node's team).
    pub(crate) team: Option<TeamId>,
    #[serde(default)]
    pub(crate) label: String,
    #[serde(default = "default_scope")]
    pub(crate) scope: String,
    pub(crate) expires_in_days: Option<u32>,
}

fn default_scope() -> String {
    "*".into()
}

pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Vec<TokenRecord>>> {
    caller.require_admin()?;
    Ok(Json(state.store.list_tokens().await?))
}

pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(req): JsonBody<CreateToken>,
) -> AppResult<(StatusCode, Json<serde_json::Value>)> {
    let (record, secret) = create_as(&state, &caller, req).await?;
    let mut body = serde_json::to_value(&record).map_err(|e| AppError::Internal(e.to_string()))?;
    body["token"] = json!(secret);
    Ok((StatusCode::CREATED, Json(body)))
}

/// An admin issues a token; the API and the console both come here.
/// Returns the record and the secret, shown once.
pub(crate) async fn create_as(
    state: &AppState,
    caller: &Caller,
    req: CreateToken,
) -> AppResult<(TokenRecord, String)> {
    caller.require_admin()?;
    if req.role == Role::PeerNode {
        return Err(AppError::BadRequest(
            "peer-node is for node keys, not tokens".into(),
        ));
    }
    let team = match (&req.user, req.team) {
        (Some(name), _) => {
            let user = state
                .store
                .user_by_name(name)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("user {name}")))?;
            user.team
        }
        (None, Some(team)) => team,
        (None, None) => state.node.team_id.clone(),
    };
    let request = TokenRequest {
        team,
        user: req.user,
        role: req.role,
        label: req.label,
        scope: req.scope,
        expires_in_days: req.expires_in_days,
    };
    create_token(&state.store, &caller.actor, request).await
}

/// What an admin asks for when issuing a token, from the API or the CLI.
pub struct TokenRequest {
    pub team: TeamId,
    pub user: Option<UserName>,
    pub role: Role,
    pub label: String,
    pub scope: String,
    pub expires_in_days: Option<u32>,
}

/// Issues and stores a token and audits it. Returns the record and the
/// secret, which is shown this once and never stored.
pub async fn create_token(
    store: &Store,
    actor: &str,
    req: TokenRequest,
) -> AppResult<(TokenRecord, String)> {
    if !crate::auth::TOKEN_SCOPES.contains(&req.scope.as_str()) {
        return Err(AppError::BadRequest(format!(
            "scope {:?} is not one of {:?}",
            req.scope,
            crate::auth::TOKEN_SCOPES
        )));
    }
    let issued = issue_token();
    let expires_at = req
        .expires_in_days
        .map(|d| Timestamp::from_datetime(now().datetime() + Duration::days(i64::from(d))));
    let record = store
        .create_token(&NewToken {
            id: issued.id.clone(),
            secret_hash: issued.secret_hash,
            team: req.team,
            user: req.user,
            role: req.role,
            scope: req.scope,
            label: req.label,
            expires_at,
        })
        .await?;
    let detail = json!({"role": record.role, "team": record.team});
    store
        .append_audit(&audit_event(
            actor,
            "token.create",
            Some(&record.id),
            "ok",
            detail,
        ))
        .await?;
    Ok((record, issued.secret))
}

pub(crate) async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    revoke_as(&state, &caller, &id, "api").await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An admin revokes a token, audited; the API and the console both come
/// here.
pub(crate) async fn revoke_as(
    state: &AppState,
    caller: &Caller,
    id: &str,
    via: &str,
) -> AppResult<()> {
    caller.require_admin()?;
    if !state.store.revoke_token(id).await? {
        return Err(AppError::NotFound(format!("live token {id}")));
    }
    state
        .audit(
            &caller.actor,
            "token.revoke",
            Some(id),
            "ok",
            json!({"via": via}),
        )
        .await
}
