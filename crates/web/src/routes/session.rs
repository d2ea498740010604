//! Sign-in with a password, returning a short-lived session token.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use time::Duration;
use vigia_policy::Viewer;
use vigia_stix::Timestamp;
use vigia_store::NewToken;

use crate::auth::check_password;
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
}

pub(crate) async fn login(
    State(state): State<AppState>,
    JsonBody(login): JsonBody<Login>,
) -> AppResult<Json<serde_json::Value>> {
    let session = sign_in(&state, &login.username, &login.password).await?;
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

/// Checks the password and issues a session token; every attempt is
/// audited. The API and the console both sign in here.
pub(crate) async fn sign_in(
    state: &AppState,
    username: &str,
    password: &str,
) -> AppResult<Session> {
    let caller = match check_password(state, username, password).await {
        Ok(c) => c,
        Err(e) => {
            let actor = format!("user:{username}");
            state
                .audit(
                    &actor,
                    "login.password",
                    Some(username),
                    "denied",
                    json!(null),
                )
                .await?;
            return Err(e);
        }
    };
    let Viewer::Member { team, user, role } = &caller.viewer else {
        return Err(AppError::Internal(
            "password sign-in produced a non-member".into(),
        ));
    };
    let issued = issue_token();
    let expires_at = Timestamp::from_datetime(now().datetime() + Duration::hours(SESSION_HOURS));
    state
        .store
        .create_token(&NewToken {
            id: issued.id.clone(),
            secret_hash: issued.secret_hash,
            team: team.clone(),
            user: user.clone(),
            role: *role,
            scope: "session".into(),
            label: "sign-in".into(),
            expires_at: Some(expires_at),
        })
        .await?;
    state
        .audit(
            &caller.actor,
            "login.password",
            Some(username),
            "ok",
            json!({"token_id": issued.id}),
        )
        .await?;
    Ok(Session {
        secret: issued.secret,
        token_id: issued.id,
        expires_at,
        team: team.clone(),
        role: *role,
    })
}
