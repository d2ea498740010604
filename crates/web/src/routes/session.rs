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
    let caller = check_password(&state, &login.username, &login.password).await;
    let caller = match caller {
        Ok(c) => c,
        Err(e) => {
            let actor = format!("user:{}", login.username);
            state
                .audit(
                    &actor,
                    "login.password",
                    Some(&login.username),
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
            Some(&login.username),
            "ok",
            json!({"token_id": issued.id}),
        )
        .await?;
    Ok(Json(json!({
        "token": issued.secret,
        "token_id": issued.id,
        "expires_at": expires_at,
        "team": team,
        "role": role,
    })))
}
