//! Sign-in with a password, returning a short-lived session token.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use time::Duration;
use vigia_stix::Timestamp;
use vigia_store::{NewToken, UserRecord};

use crate::auth::{count_failure, member, verify_user};
use crate::body::JsonBody;
use crate::credentials::issue_token;
use crate::error::{AppError, AppResult};
use crate::state::{now, AppState};

/// How long a sign-in lasts.
const SESSION_HOURS: i64 = 12;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Login {
    username: String,
    password: String,
    /// The TOTP code, for a user with a second factor.
    #[serde(default)]
    totp: Option<String>,
}

pub(crate) async fn login(
    State(state): State<AppState>,
    JsonBody(login): JsonBody<Login>,
) -> AppResult<Json<serde_json::Value>> {
    let session = match sign_in(
        &state,
        &login.username,
        &login.password,
        login.totp.as_deref(),
    )
    .await?
    {
        SignIn::Session(s) => s,
        SignIn::Enrol(_) => {
            return Err(AppError::Forbidden(
                "this node requires a second factor and the user has none yet: \
                 sign in once at /console/login to enrol an authenticator"
                    .into(),
            ))
        }
    };
    Ok(Json(json!({
        "token": session.secret,
        "token_id": session.token_id,
        "expires_at": session.expires_at,
        "team": session.team,
        "role": session.role,
    })))
}

/// A sign-in: the session token (its secret, shown once) and who it is.
pub(crate) struct Session {
    pub(crate) secret: String,
    pub(crate) token_id: String,
    pub(crate) expires_at: Timestamp,
    pub(crate) team: vigia_policy::TeamId,
    pub(crate) role: vigia_policy::Role,
}

/// What a correct password leads to.
pub(crate) enum SignIn {
    Session(Session),
    /// The node requires a second factor the user has not enrolled yet.
    Enrol(UserRecord),
}

/// Checks the password and, for a user who has one, the TOTP code, then
/// issues a session token. Failures count towards the account's lockout;
/// every attempt is audited. The API and the console both sign in here.
pub(crate) async fn sign_in(
    state: &AppState,
    username: &str,
    password: &str,
    code: Option<&str>,
) -> AppResult<SignIn> {
    let user = match verify_user(state, username, password).await {
        Ok(u) => u,
        Err(e) => {
            let outcome = match e {
                AppError::TooManyRequests(_) => "locked",
                _ => "denied",
            };
            audit_attempt(state, username, "login.password", outcome).await?;
            return Err(e);
        }
    };
    match &user.totp_secret {
        Some(sealed) => {
            let secret = state
                .secrets()?
                .open(sealed)
                .map_err(|e| AppError::Internal(format!("user {}: TOTP secret: {e}", user.name)))?;
            let unix = u64::try_from(now().unix_micros() / 1_000_000).unwrap_or_default();
            let outcome = match code.and_then(|c| crate::totp::matching_step(&secret, c, unix)) {
                Some(step) if state.store.claim_totp_step(&user.name, step).await? => None,
                Some(_) => Some("replayed"),
                None => Some("denied"),
            };
            if let Some(outcome) = outcome {
                count_failure(state, &user.name).await?;
                audit_attempt(state, username, "login.totp", outcome).await?;
                return Err(AppError::Unauthorized(
                    "wrong user name, password or authenticator code".into(),
                ));
            }
        }
        None if state.console.require_totp => {
            audit_attempt(state, username, "login.password", "enrolment").await?;
            return Ok(SignIn::Enrol(user));
        }
        None => {}
    }
    open_session(state, &user).await.map(SignIn::Session)
}

async fn audit_attempt(
    state: &AppState,
    username: &str,
    action: &str,
    outcome: &str,
) -> AppResult<()> {
    state
        .audit(
            &format!("user:{username}"),
            action,
            Some(username),
            outcome,
            json!(null),
        )
        .await
}

/// Issues the session token of a user who has proved who they are.
pub(crate) async fn open_session(state: &AppState, user: &UserRecord) -> AppResult<Session> {
    if user.failed_logins > 0 || user.locked_until.is_some() {
        state.store.clear_login_failures(&user.name).await?;
    }
    let issued = issue_token();
    let expires_at = Timestamp::from_datetime(now().datetime() + Duration::hours(SESSION_HOURS));
    state
        .store
        .create_token(&NewToken {
            id: issued.id.clone(),
            secret_hash: issued.secret_hash,
            team: user.team.clone(),
            user: Some(user.name.clone()),
            role: user.role,
            scope: "session".into(),
            label: "sign-in".into(),
            expires_at: Some(expires_at),
        })
        .await?;
    let caller = member(user);
    state
        .audit(
            &caller.actor,
            "login.password",
            Some(user.name.as_str()),
            "ok",
            json!({"token_id": issued.id, "second_factor": user.totp_secret.is_some()}),
        )
        .await?;
    Ok(Session {
        secret: issued.secret,
        token_id: issued.id,
        expires_at,
        team: user.team.clone(),
        role: user.role,
    })
}
