//! Sign-in with a password and a TOTP second factor, enrolment of an
//! authenticator, sign-out, and the user's language and time zone.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};
use serde_json::json;
use vigia_policy::UserName;

use super::{
    cookie, csrf_matches, csrf_refused, csrf_token, render, status_page, with_cookie, Chrome,
    SignedIn, CSRF_COOKIE, ENROL_COOKIE, LANGUAGES, LANG_COOKIE, SESSION_COOKIE, TZ_COOKIE,
};
use crate::error::{AppError, AppResult};
use crate::routes::session::{open_session, sign_in, SignIn};
use crate::state::{now, AppState};

/// Session length, as for an API sign-in.
const SESSION_SECS: i64 = 12 * 3600;
/// Time to scan the code and type the first one.
const ENROL_SECS: i64 = 600;

fn to_login() -> Response {
    Redirect::to("/console/login").into_response()
}

/// A fresh pre-sign-in secret for the double-submit CSRF cookie.
fn new_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// The pre-sign-in CSRF secret, and whether it is new (to be set).
fn pre_secret(headers: &HeaderMap) -> (String, bool) {
    match cookie(headers, CSRF_COOKIE) {
        Some(s) if !s.is_empty() && s.len() <= 128 => (s.to_owned(), false),
        _ => (new_secret(), true),
    }
}

fn check_pre_csrf(headers: &HeaderMap, submitted: &str) -> AppResult<()> {
    let secret = cookie(headers, CSRF_COOKIE).unwrap_or_default();
    if secret.is_empty() || !csrf_matches(secret, submitted) {
        return Err(csrf_refused());
    }
    Ok(())
}

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    c: Chrome,
    error: Option<String>,
    username: String,
}

fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    error: Option<(StatusCode, String)>,
    username: &str,
) -> AppResult<Response> {
    let (secret, fresh) = pre_secret(headers);
    let status = error.as_ref().map(|(s, _)| *s);
    let page = LoginPage {
        c: Chrome::new(headers, csrf_token(&secret), None),
        error: error.map(|(_, e)| e),
        username: username.to_owned(),
    };
    let mut response = render(&page)?;
    if let Some(s) = status {
        response = status_page(s, response);
    }
    if fresh {
        response = with_cookie(response, state, CSRF_COOKIE, &secret, 3600);
    }
    Ok(response)
}

/// `GET /console/login`
pub(crate) async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    signed_in: Option<SignedIn>,
) -> AppResult<Response> {
    if signed_in.is_some() {
        return Ok(Redirect::to("/console/").into_response());
    }
    login_page(&state, &headers, None, "")
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    csrf: String,
    username: String,
    password: String,
    #[serde(default)]
    totp: String,
}

/// `POST /console/login`
pub(crate) async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    check_pre_csrf(&headers, &form.csrf)?;
    let code = Some(form.totp.as_str()).filter(|c| !c.trim().is_empty());
    let m = super::messages(&headers);
    match sign_in(&state, &form.username, &form.password, code).await {
        Ok(SignIn::Session(s)) => Ok(with_cookie(
            Redirect::to("/console/").into_response(),
            &state,
            SESSION_COOKIE,
            &s.secret,
            SESSION_SECS,
        )),
        Ok(SignIn::Enrol(user)) => {
            let pending = PendingEnrolment {
                user: user.name.to_string(),
                secret: crate::totp::new_secret(),
                expires: now().unix_micros() + ENROL_SECS * 1_000_000,
            };
            let sealed = state
                .secrets()?
                .seal(&serde_json::to_string(&pending).unwrap_or_default());
            Ok(with_cookie(
                Redirect::to("/console/enrol").into_response(),
                &state,
                ENROL_COOKIE,
                &sealed,
                ENROL_SECS,
            ))
        }
        Err(AppError::Unauthorized(_)) => login_page(
            &state,
            &headers,
            Some((StatusCode::UNAUTHORIZED, m.t("login.failed").to_owned())),
            &form.username,
        ),
        Err(AppError::TooManyRequests(e)) => login_page(
            &state,
            &headers,
            Some((StatusCode::TOO_MANY_REQUESTS, e)),
            &form.username,
        ),
        Err(e) => Err(e),
    }
}

/// A password-checked user choosing an authenticator, kept sealed in a
/// short-lived cookie until they prove it works.
#[derive(Serialize, Deserialize)]
struct PendingEnrolment {
    user: String,
    secret: String,
    expires: i64,
}

fn pending(state: &AppState, headers: &HeaderMap) -> AppResult<Option<PendingEnrolment>> {
    let Some(sealed) = cookie(headers, ENROL_COOKIE).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    Ok(state
        .secrets()?
        .open(sealed)
        .ok()
        .and_then(|j| serde_json::from_str::<PendingEnrolment>(&j).ok())
        .filter(|p| p.expires > now().unix_micros()))
}

#[derive(Template)]
#[template(path = "console/enrol.html")]
struct EnrolPage {
    c: Chrome,
    secret: String,
    uri: String,
    failed: bool,
}

fn enrol_page(
    state: &AppState,
    headers: &HeaderMap,
    p: &PendingEnrolment,
    failed: bool,
) -> AppResult<Response> {
    let (secret, _) = pre_secret(headers);
    let page = EnrolPage {
        c: Chrome::new(headers, csrf_token(&secret), None),
        uri: crate::totp::otpauth_uri(
            &p.secret,
            &format!("vigia {}", state.node.team_name),
            &p.user,
        ),
        secret: p.secret.clone(),
        failed,
    };
    let response = render(&page)?;
    Ok(if failed {
        status_page(StatusCode::UNAUTHORIZED, response)
    } else {
        response
    })
}

/// `GET /console/enrol`: the secret to add to an authenticator app.
pub(crate) async fn enrol_form(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> AppResult<Response> {
    match pending(&state, &headers)? {
        Some(p) => enrol_page(&state, &headers, &p, false),
        None => Ok(to_login()),
    }
}

#[derive(Deserialize)]
pub(crate) struct EnrolForm {
    #[serde(default)]
    csrf: String,
    code: String,
}

/// `POST /console/enrol`: the first code proves the app holds the secret;
/// then the secret is kept (sealed) and the session opens.
pub(crate) async fn enrol(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<EnrolForm>,
) -> AppResult<Response> {
    check_pre_csrf(&headers, &form.csrf)?;
    let Some(p) = pending(&state, &headers)? else {
        return Ok(to_login());
    };
    let name = UserName::parse(&p.user).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let unix = u64::try_from(now().unix_micros() / 1_000_000).unwrap_or_default();
    let Some(step) = crate::totp::matching_step(&p.secret, &form.code, unix) else {
        crate::auth::count_failure(&state, &name).await?;
        return enrol_page(&state, &headers, &p, true);
    };
    let user = state
        .store
        .user_by_name(&name)
        .await?
        .filter(|u| !u.disabled && u.totp_secret.is_none())
        .ok_or_else(|| AppError::Conflict(format!("user {name} cannot enrol now")))?;
    let sealed = state.secrets()?.seal(&p.secret);
    state.store.set_user_totp(&name, Some(&sealed)).await?;
    // The enrolment code is spent: it cannot open a second session.
    state.store.claim_totp_step(&name, step).await?;
    state
        .audit(
            &format!("user:{name}@{}", user.team),
            "totp.enrol",
            Some(name.as_str()),
            "ok",
            json!({"via": "console"}),
        )
        .await?;
    let mut user = user;
    user.totp_secret = Some(sealed);
    let session = open_session(&state, &user).await?;
    let response = with_cookie(
        Redirect::to("/console/").into_response(),
        &state,
        SESSION_COOKIE,
        &session.secret,
        SESSION_SECS,
    );
    Ok(with_cookie(response, &state, ENROL_COOKIE, "", 0))
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /console/logout`: the session token is revoked, not just forgotten.
pub(crate) async fn logout(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Form(form): Form<CsrfForm>,
) -> AppResult<Response> {
    signed_in.check_csrf(&form.csrf)?;
    if let Some(token) = state
        .store
        .token_by_secret_hash(&crate::credentials::token_hash(signed_in.secret()))
        .await?
    {
        state.store.revoke_token(&token.id).await?;
    }
    state
        .audit(
            &signed_in.caller.actor,
            "logout",
            None,
            "ok",
            json!({"via": "console"}),
        )
        .await?;
    Ok(with_cookie(to_login(), &state, SESSION_COOKIE, "", 0))
}

#[derive(Deserialize)]
pub(crate) struct LanguageForm {
    #[serde(default)]
    csrf: String,
    lang: String,
}

fn check_language(lang: &str) -> AppResult<()> {
    if LANGUAGES.contains(&lang) {
        Ok(())
    } else {
        Err(AppError::BadRequest(format!(
            "lang {lang:?}: choose one of {}",
            LANGUAGES.join(", ")
        )))
    }
}

/// `POST /console/language`: the user's choice, kept in a cookie.
pub(crate) async fn language(
    State(state): State<AppState>,
    headers: HeaderMap,
    signed_in: Option<SignedIn>,
    Form(form): Form<LanguageForm>,
) -> AppResult<Response> {
    match &signed_in {
        Some(s) => s.check_csrf(&form.csrf)?,
        None => check_pre_csrf(&headers, &form.csrf)?,
    }
    check_language(&form.lang)?;
    let back = if signed_in.is_some() {
        Redirect::to("/console/").into_response()
    } else {
        to_login()
    };
    Ok(with_cookie(
        back,
        &state,
        LANG_COOKIE,
        &form.lang,
        365 * 86_400,
    ))
}

#[derive(Template)]
#[template(path = "console/preferences.html")]
struct PreferencesPage {
    c: Chrome,
}

/// `GET /console/preferences`
pub(crate) async fn preferences_form(signed_in: SignedIn) -> AppResult<Response> {
    render(&PreferencesPage {
        c: signed_in.chrome,
    })
}

#[derive(Deserialize)]
pub(crate) struct PreferencesForm {
    #[serde(default)]
    csrf: String,
    lang: String,
    tz: String,
}

/// `POST /console/preferences`: language and time zone.
pub(crate) async fn preferences(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Form(form): Form<PreferencesForm>,
) -> AppResult<Response> {
    signed_in.check_csrf(&form.csrf)?;
    check_language(&form.lang)?;
    let tz = form.tz.trim();
    if tz.len() > 64 || jiff::tz::TimeZone::get(tz).is_err() {
        return Err(AppError::BadRequest(format!(
            "time zone {tz:?} is not an IANA time zone such as America/Bogota or UTC"
        )));
    }
    let back = Redirect::to("/console/preferences").into_response();
    let back = with_cookie(back, &state, LANG_COOKIE, &form.lang, 365 * 86_400);
    Ok(with_cookie(
        back,
        &state,
        TZ_COOKIE,
        &tz.replace('/', "%2F"),
        365 * 86_400,
    ))
}
