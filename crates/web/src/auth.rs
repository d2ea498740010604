//! Who is calling: bearer tokens, HTTP Basic against node users, or no one.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use vigia_policy::{Role, TeamId, UserName, Viewer};

use vigia_stix::Timestamp;

use crate::credentials::{token_hash, verify_password};
use crate::error::AppError;
use crate::state::AppState;

/// The authenticated caller of one request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub viewer: Viewer,
    /// How the caller appears in the audit log.
    pub actor: String,
    /// Set when a peer node signed the request (RFC 9421): the
    /// `Content-Digest` its signature covers, which the body must match.
    pub signed: Option<SignedBy>,
}

/// A request a peer node signed.
#[derive(Clone, Debug)]
pub struct SignedBy {
    pub content_digest: Option<String>,
}

impl Caller {
    pub fn public() -> Self {
        Self {
            viewer: Viewer::Public,
            actor: "public".to_owned(),
            signed: None,
        }
    }

    pub fn role(&self) -> Option<Role> {
        match &self.viewer {
            Viewer::Member { role, .. } => Some(*role),
            Viewer::Peer { .. } => Some(Role::PeerNode),
            Viewer::Public => None,
        }
    }

    pub fn team(&self) -> Option<&TeamId> {
        match &self.viewer {
            Viewer::Member { team, .. } | Viewer::Peer { team } => Some(team),
            Viewer::Public => None,
        }
    }

    pub fn require_authenticated(&self) -> Result<&TeamId, AppError> {
        self.team().ok_or_else(|| {
            AppError::Unauthorized("send Authorization: Bearer <token> or HTTP Basic".into())
        })
    }

    pub fn require_admin(&self) -> Result<&TeamId, AppError> {
        let team = self.require_authenticated()?;
        match self.role() {
            Some(r) if r.can_administer() => Ok(team),
            _ => Err(AppError::Forbidden(
                "this action needs the admin role".into(),
            )),
        }
    }

    pub fn require_writer(&self) -> Result<&TeamId, AppError> {
        let team = self.require_authenticated()?;
        match self.role() {
            Some(r) if r.can_write_objects() => Ok(team),
            _ => Err(AppError::Forbidden(
                "the read-only role cannot write objects".into(),
            )),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if parts.headers.contains_key("signature-input") {
            return crate::federation::signed_caller(parts, state).await;
        }
        let Some(header) = parts.headers.get(AUTHORIZATION) else {
            return Ok(Caller::public());
        };
        let header = header
            .to_str()
            .map_err(|_| AppError::Unauthorized("Authorization header is not ASCII".into()))?;
        let (scheme, credentials) = header
            .split_once(' ')
            .ok_or_else(|| AppError::Unauthorized("Authorization header has no scheme".into()))?;
        match scheme.to_ascii_lowercase().as_str() {
            "bearer" => {
                // Inside a nested router `uri` lacks the prefix; scopes need the full path.
                let path = parts
                    .extensions
                    .get::<axum::extract::OriginalUri>()
                    .map(|u| u.0.path().to_owned())
                    .unwrap_or_else(|| parts.uri.path().to_owned());
                bearer(state, credentials.trim(), &path).await
            }
            "basic" => basic(state, credentials.trim()).await,
            other => Err(AppError::Unauthorized(format!(
                "unsupported scheme {other:?}; use Bearer or Basic"
            ))),
        }
    }
}

/// Token scopes: `*` (and `session`, a sign-in) reach everything; `api`
/// and `taxii` reach only their own interface.
pub const TOKEN_SCOPES: &[&str] = &["*", "session", "api", "taxii"];

fn scope_allows(scope: &str, path: &str) -> bool {
    match scope {
        "*" | "session" => true,
        "api" => path.starts_with("/api/"),
        "taxii" => path.starts_with("/taxii2/"),
        _ => false,
    }
}

/// The caller a session or API token speaks for (the console's cookie).
pub(crate) async fn caller_from_token(
    state: &AppState,
    secret: &str,
    path: &str,
) -> Result<Caller, AppError> {
    bearer(state, secret, path).await
}

async fn bearer(state: &AppState, secret: &str, path: &str) -> Result<Caller, AppError> {
    let token = state
        .store
        .token_by_secret_hash(&token_hash(secret))
        .await?
        .ok_or_else(|| AppError::Unauthorized("unknown, expired or revoked token".into()))?;
    if let Some(name) = &token.user {
        // A disabled person's tokens stop working with their sign-in.
        let active = state
            .store
            .user_by_name(name)
            .await?
            .is_some_and(|u| !u.disabled);
        if !active {
            return Err(AppError::Unauthorized(
                "the token's user is disabled".into(),
            ));
        }
    }
    if !scope_allows(&token.scope, path) {
        return Err(AppError::Forbidden(format!(
            "token {} has scope {:?}, which does not cover {path}",
            token.id, token.scope
        )));
    }
    let viewer = if token.role == Role::PeerNode {
        Viewer::Peer {
            team: token.team.clone(),
        }
    } else {
        Viewer::Member {
            team: token.team.clone(),
            user: token.user.clone(),
            role: token.role,
        }
    };
    Ok(Caller {
        viewer,
        actor: format!("token:{}", token.id),
        signed: None,
    })
}

async fn basic(state: &AppState, encoded: &str) -> Result<Caller, AppError> {
    let decoded = STANDARD
        .decode(encoded)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            AppError::Unauthorized("Basic credentials are not base64 of user:password".into())
        })?;
    let (name, password) = decoded
        .split_once(':')
        .ok_or_else(|| AppError::Unauthorized("Basic credentials are not user:password".into()))?;
    let caller = check_password(state, name, password).await;
    let (outcome, actor) = match &caller {
        Ok(c) => ("ok", c.actor.clone()),
        Err(_) => ("denied", format!("user:{name}")),
    };
    state
        .audit(
            &actor,
            "login.basic",
            Some(name),
            outcome,
            serde_json::Value::Null,
        )
        .await?;
    caller
}

/// Verifies a user's password for HTTP Basic. A user with a second factor
/// cannot use Basic, which has no place for it: such a client uses a token.
pub async fn check_password(
    state: &AppState,
    name: &str,
    password: &str,
) -> Result<Caller, AppError> {
    let user = verify_user(state, name, password).await?;
    if user.totp_secret.is_some() {
        return Err(AppError::Unauthorized(
            "this user signs in with a second factor; Basic cannot carry it, so use an API token"
                .into(),
        ));
    }
    Ok(member(&user))
}

/// The caller a user record speaks for.
pub(crate) fn member(user: &vigia_store::UserRecord) -> Caller {
    Caller {
        signed: None,
        actor: format!("user:{}@{}", user.name, user.team),
        viewer: Viewer::Member {
            team: user.team.clone(),
            user: Some(user.name.clone()),
            role: user.role,
        },
    }
}

/// Checks a user's password, honouring and counting towards the lockout.
/// The same error for an unknown user as for a wrong password, so that a
/// caller cannot learn which names exist.
pub(crate) async fn verify_user(
    state: &AppState,
    name: &str,
    password: &str,
) -> Result<vigia_store::UserRecord, AppError> {
    let denied = || AppError::Unauthorized("wrong user name or password".into());
    let Ok(name) = UserName::parse(name) else {
        return Err(denied());
    };
    let user = state.store.user_by_name(&name).await?;
    let Some(user) = user.filter(|u| !u.disabled) else {
        return Err(denied());
    };
    check_lock(state, &user)?;
    let phc = user.password_hash.clone();
    let password = password.to_owned();
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &phc))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    if !ok {
        count_failure(state, &user.name).await?;
        return Err(denied());
    }
    Ok(user)
}

/// Refuses a locked account, naming when the lock ends.
pub(crate) fn check_lock(state: &AppState, user: &vigia_store::UserRecord) -> Result<(), AppError> {
    match user.locked_until {
        Some(until) if until > crate::state::now() => Err(AppError::TooManyRequests(format!(
            "account {} is locked after {} failed sign-ins in a row, until {}; an administrator can unlock it sooner",
            user.name, state.console.max_failures, until
        ))),
        _ => Ok(()),
    }
}

/// Counts a failed sign-in (wrong password or second factor).
pub(crate) async fn count_failure(state: &AppState, name: &UserName) -> Result<(), AppError> {
    let until = Timestamp::from_datetime(
        crate::state::now().datetime() + time::Duration::minutes(state.console.lockout_minutes),
    );
    state
        .store
        .record_login_failure(name, state.console.max_failures, until)
        .await?;
    Ok(())
}
