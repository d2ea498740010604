//! The web console: server-rendered pages (askama) for points of contact,
//! analysts and the Secretariat, under `/console/`.
//!
//! Security: a session is a `session` token in an HttpOnly, SameSite=Strict
//! cookie scoped to `/console` (Secure on an HTTPS node); every form carries
//! a CSRF token derived from the session (or, before sign-in, a
//! double-submit cookie); every page is sent with a strict
//! Content-Security-Policy that allows no inline script; askama escapes all
//! output; every action is authorised on the server by the same rules as
//! the API.

mod i18n;
mod pages;

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use sha2::{Digest, Sha256};

pub(crate) use i18n::{negotiate, Messages, LANGUAGES};

use crate::auth::Caller;
use crate::error::AppError;
use crate::state::AppState;

pub(crate) const SESSION_COOKIE: &str = "vigia_session";
pub(crate) const CSRF_COOKIE: &str = "vigia_csrf";
pub(crate) const LANG_COOKIE: &str = "vigia_lang";

const CSS: &str = include_str!("../../assets/console.css");

/// Every console route.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(pages::dashboard))
        .route("/console/", get(pages::dashboard))
        .route("/console/login", get(pages::login_form).post(pages::login))
        .route("/console/logout", post(pages::logout))
        .route("/console/language", post(pages::language))
        .route("/console/directory", get(pages::directory))
        .route("/console/coverage.svg", get(pages::coverage_svg))
        .route("/console/assets/console.css", get(css))
        .layer(middleware::from_fn(security_headers))
}

/// Headers on every console response: a CSP with no inline script, no
/// framing, no sniffing, no referrer beyond the origin.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        CSS,
    )
        .into_response()
}

/// A cookie's value from the request headers.
pub(crate) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// `Set-Cookie` text: HttpOnly, SameSite=Strict, scoped to the console,
/// Secure when the node is served over HTTPS.
pub(crate) fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> String {
    let secure = if state.node.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// The CSRF token of a session (or of a pre-sign-in cookie): a hash an
/// attacker cannot compute without the HttpOnly cookie it comes from.
pub(crate) fn csrf_token(secret: &str) -> String {
    hex::encode(Sha256::digest(
        format!("vigia-console-csrf:{secret}").as_bytes(),
    ))
}

/// Constant-time comparison of a submitted CSRF token.
pub(crate) fn csrf_matches(secret: &str, submitted: &str) -> bool {
    let expected = csrf_token(secret);
    expected.len() == submitted.len()
        && expected
            .bytes()
            .zip(submitted.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The signed-in caller and its session secret, or `None`.
pub(crate) async fn session(state: &AppState, headers: &HeaderMap) -> Option<(Caller, String)> {
    let secret = cookie(headers, SESSION_COOKIE)?.to_owned();
    let caller = crate::auth::caller_from_token(state, &secret, "/console/")
        .await
        .ok()?;
    caller.team()?;
    Some((caller, secret))
}

/// The caller's language.
pub(crate) fn messages(headers: &HeaderMap) -> Messages {
    negotiate(
        cookie(headers, LANG_COOKIE),
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// A refused state-changing request without a valid CSRF token.
pub(crate) fn csrf_refused() -> AppError {
    AppError::Forbidden(
        "the form's CSRF token is missing or wrong; reload the page and try again".into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_depend_on_the_secret_and_compare_exactly() {
        let t = csrf_token("a");
        assert!(csrf_matches("a", &t));
        assert!(!csrf_matches("b", &t));
        assert!(!csrf_matches("a", &t[1..]));
        assert!(!csrf_matches("a", ""));
    }

    #[test]
    fn cookies_are_read_by_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; vigia_session=xyz; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, "c"), None);
    }
}
