//! The web console: server-rendered pages (askama) for points of contact,
//! analysts and the Secretariat, under `/console/`.
//!
//! Security: a session is a `session` token in an HttpOnly, SameSite=Strict
//! cookie scoped to `/console` (Secure on an HTTPS node); every form carries
//! a CSRF token derived from the session (or, before sign-in, a
//! double-submit cookie); every page is sent with a strict
//! Content-Security-Policy that allows no inline script; askama escapes all
//! output; every action is authorised on the server by the same functions
//! as the JSON API, never only hidden in a page.

mod admin;
mod assistance;
mod census;
mod correlation;
mod i18n;
mod network;
mod pages;
mod products;
mod reports;
mod sign_in;

use askama::Template;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use vigia_policy::{Role, TeamId, Viewer};
use vigia_stix::Timestamp;

pub(crate) use i18n::{negotiate, Messages, LANGUAGES};
pub(crate) use network::report_html;

use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub(crate) const SESSION_COOKIE: &str = "vigia_session";
pub(crate) const CSRF_COOKIE: &str = "vigia_csrf";
pub(crate) const LANG_COOKIE: &str = "vigia_lang";
pub(crate) const TZ_COOKIE: &str = "vigia_tz";
pub(crate) const ENROL_COOKIE: &str = "vigia_enrol";

const CSS: &str = include_str!("../../assets/console.css");
const JS: &str = include_str!("../../assets/console.js");
const ICON: &str = include_str!("../../assets/favicon.svg");

/// `[console]`: how people sign in.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleSettings {
    /// Every password sign-in also needs a TOTP code (RFC 6238); a user
    /// without an authenticator enrols one at the first console sign-in.
    pub require_totp: bool,
    /// Failed sign-ins in a row that lock an account…
    pub max_failures: i64,
    /// …for this long.
    pub lockout_minutes: i64,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        Self {
            require_totp: true,
            max_failures: 5,
            lockout_minutes: 15,
        }
    }
}

/// Every console route.
pub(crate) fn router(state: AppState) -> Router<AppState> {
    let throttled = middleware::from_fn_with_state(state, crate::throttle::limit_sign_ins);
    Router::new()
        .route("/console", get(pages::dashboard))
        .route("/console/", get(pages::dashboard))
        .route("/console/live", get(pages::live))
        .route("/console/events", get(pages::events))
        .route(
            "/console/login",
            get(sign_in::login_form).post(sign_in::login.layer(throttled.clone())),
        )
        .route(
            "/console/enrol",
            get(sign_in::enrol_form).post(sign_in::enrol.layer(throttled)),
        )
        .route("/console/logout", post(sign_in::logout))
        .route("/console/language", post(sign_in::language))
        .route(
            "/console/preferences",
            get(sign_in::preferences_form).post(sign_in::preferences),
        )
        .route("/console/products", get(products::inbox))
        .route("/console/products/{id}", get(products::view))
        .route(
            "/console/products/{id}/acknowledge",
            post(products::acknowledge),
        )
        .route("/console/products/{id}/findings", post(products::finding))
        .route(
            "/console/compose",
            get(products::compose_form).post(products::compose),
        )
        .route("/console/search", get(products::search))
        .route(
            "/console/lookup",
            get(correlation::lookup_form).post(correlation::lookup),
        )
        .route("/console/related/{id}", get(correlation::related))
        .route(
            "/console/related/{id}/sighting",
            post(correlation::sighting),
        )
        .route("/console/related/{id}/claim", post(correlation::claim))
        .route("/console/claims/{id}", post(correlation::close))
        .route(
            "/console/network",
            get(network::page).post(network::publish),
        )
        .route("/console/network/approve", post(network::approve))
        .route("/console/annual", get(network::annual))
        .route("/console/assets/annual.css", get(network::css))
        .route("/console/reports", get(reports::queue))
        .route(
            "/console/assistance",
            get(assistance::list).post(assistance::create),
        )
        .route(
            "/console/assistance/{id}",
            get(assistance::view).post(assistance::step),
        )
        .route(
            "/console/reports/{id}",
            get(reports::view).post(reports::triage),
        )
        .route("/console/directory", get(pages::directory))
        .route("/console/coverage.svg", get(pages::coverage_svg))
        .route("/console/census", get(census::census))
        .route("/console/audit", get(admin::audit))
        .route("/console/admin", get(admin::admin))
        .route(
            "/console/census/{id}",
            get(census::form).post(census::answer),
        )
        .route("/console/admin/users", post(admin::create_user))
        .route("/console/admin/users/{name}", post(admin::user_action))
        .route("/console/admin/tokens", post(admin::create_token))
        .route(
            "/console/admin/tokens/{id}/revoke",
            post(admin::revoke_token),
        )
        .route("/console/admin/outbound", post(admin::outbound))
        .route("/console/admin/roster", post(admin::roster))
        .route("/console/admin/groups", post(admin::group))
        .route("/console/assets/console.css", get(css))
        .route("/console/assets/console.js", get(js))
        .route("/console/assets/favicon.svg", get(icon))
        .layer(middleware::from_fn(html_errors))
        .layer(middleware::from_fn(security_headers))
}

/// Headers on every console response: a CSP with no inline script, no
/// framing, no sniffing, no referrer beyond the origin.
pub(crate) async fn security_headers(request: Request, next: Next) -> Response {
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

#[derive(Template)]
#[template(path = "console/error.html")]
struct ErrorPage {
    m: Messages,
    status: u16,
    message: String,
}

/// The API's JSON errors, shown to a person as a page in their language.
async fn html_errors(request: Request, next: Next) -> Response {
    let m = messages(request.headers());
    let response = next.run(request).await;
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if response.status().as_u16() < 400 || !json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let message = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| parts.status.to_string());
    let page = ErrorPage {
        m,
        status: parts.status.as_u16(),
        message,
    };
    let html = page.render().unwrap_or_default();
    let mut out = Response::from_parts(parts, Body::from(html));
    out.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    out.headers_mut().remove(header::CONTENT_LENGTH);
    out
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

async fn js() -> Response {
    asset("text/javascript; charset=utf-8", JS)
}

async fn icon() -> Response {
    asset("image/svg+xml", ICON)
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

/// Adds a cookie to a response.
pub(crate) fn with_cookie(
    mut response: Response,
    state: &AppState,
    name: &str,
    value: &str,
    max_age: i64,
) -> Response {
    if let Ok(v) = set_cookie(state, name, value, max_age).parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
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

pub(crate) fn render(t: &impl Template) -> AppResult<Response> {
    let html = t
        .render()
        .map_err(|e| AppError::Internal(format!("template: {e}")))?;
    Ok(Html(html).into_response())
}

/// What every page's frame needs: the language, who is signed in, the
/// form token, the time zone dates are shown in, and which links to offer.
pub(crate) struct Chrome {
    pub(crate) m: Messages,
    pub(crate) who: Option<String>,
    pub(crate) csrf: String,
    pub(crate) languages: Vec<(&'static str, &'static str)>,
    pub(crate) admin: bool,
    pub(crate) tz_name: String,
    tz: jiff::tz::TimeZone,
}

impl Chrome {
    pub(crate) fn new(headers: &HeaderMap, csrf: String, caller: Option<&Caller>) -> Self {
        let (tz_name, tz) = time_zone(headers);
        Self {
            m: messages(headers),
            who: caller.and_then(who),
            csrf,
            languages: LANGUAGES
                .iter()
                .map(|l| (*l, Messages::new(l).t("lang.name")))
                .collect(),
            admin: caller.is_some_and(|c| c.role() == Some(Role::Admin)),
            tz_name,
            tz,
        }
    }

    /// A time in the user's zone, to the minute, with the zone's name.
    pub(crate) fn when(&self, micros: i64) -> String {
        jiff::Timestamp::from_microsecond(micros)
            .map(|t| {
                t.to_zoned(self.tz.clone())
                    .strftime("%Y-%m-%d %H:%M %Z")
                    .to_string()
            })
            .unwrap_or_default()
    }

    pub(crate) fn at(&self, t: Timestamp) -> String {
        self.when(t.unix_micros())
    }
}

/// The user's time zone (a preference cookie), else UTC.
fn time_zone(headers: &HeaderMap) -> (String, jiff::tz::TimeZone) {
    cookie(headers, TZ_COOKIE)
        .map(|n| n.replace("%2F", "/"))
        .and_then(|n| jiff::tz::TimeZone::get(&n).ok().map(|tz| (n, tz)))
        .unwrap_or_else(|| ("UTC".to_owned(), jiff::tz::TimeZone::UTC))
}

fn who(caller: &Caller) -> Option<String> {
    match &caller.viewer {
        Viewer::Member { user, team, .. } => Some(format!(
            "{} ({})",
            user.as_ref().map_or("token", |u| u.as_str()),
            team
        )),
        _ => None,
    }
}

/// A signed-in person: their caller, session secret and page frame. A
/// handler that takes it sends anyone else to the sign-in page.
pub(crate) struct SignedIn {
    pub(crate) caller: Caller,
    team: TeamId,
    secret: String,
    pub(crate) chrome: Chrome,
}

impl SignedIn {
    pub(crate) fn team(&self) -> &TeamId {
        &self.team
    }

    /// A submitted form's fields, once its CSRF token is checked: every
    /// state-changing handler reads its form through here.
    pub(crate) fn form(&self, body: &[u8]) -> AppResult<Vec<(String, String)>> {
        let pairs = form_pairs(body);
        self.check_csrf(field(&pairs, "csrf"))?;
        Ok(pairs)
    }

    /// Refuses a state-changing request whose form token is wrong.
    pub(crate) fn check_csrf(&self, submitted: &str) -> AppResult<()> {
        if csrf_matches(&self.secret, submitted) {
            Ok(())
        } else {
            Err(csrf_refused())
        }
    }

    pub(crate) fn secret(&self) -> &str {
        &self.secret
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let to_login = || Redirect::to("/console/login").into_response();
        let secret = cookie(&parts.headers, SESSION_COOKIE)
            .ok_or_else(to_login)?
            .to_owned();
        let caller = crate::auth::caller_from_token(state, &secret, "/console/")
            .await
            .map_err(|_| to_login())?;
        let team = caller.team().cloned().ok_or_else(to_login)?;
        let chrome = Chrome::new(&parts.headers, csrf_token(&secret), Some(&caller));
        Ok(Self {
            caller,
            team,
            secret,
            chrome,
        })
    }
}

impl axum::extract::OptionalFromRequestParts<AppState> for SignedIn {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(
            <Self as FromRequestParts<AppState>>::from_request_parts(parts, state)
                .await
                .ok(),
        )
    }
}

/// Reads a form body, keeping repeated keys (multi-selects) in order.
pub(crate) fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The first value of a form field, or "".
pub(crate) fn field<'f>(pairs: &'f [(String, String)], name: &str) -> &'f str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// Every non-empty value of a repeated form field.
pub(crate) fn fields(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, v)| k == name && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_owned())
        .collect()
}

pub(crate) fn status_page(status: StatusCode, response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    parts.status = status;
    Response::from_parts(parts, body)
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

    #[test]
    fn dates_are_shown_in_the_chosen_zone() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("vigia_tz=America%2FMexico_City"),
        );
        let c = Chrome::new(&h, String::new(), None);
        // 2026-01-01T12:00:00Z is 06:00 in Mexico City (UTC-6).
        assert_eq!(c.when(1_767_268_800_000_000), "2026-01-01 06:00 CST");
        let utc = Chrome::new(&HeaderMap::new(), String::new(), None);
        assert_eq!(utc.when(1_767_268_800_000_000), "2026-01-01 12:00 UTC");
    }

    #[test]
    fn repeated_form_fields_are_all_kept() {
        let p = form_pairs(b"to=a&to=b&to=&title=x%20y");
        assert_eq!(fields(&p, "to"), vec!["a", "b"]);
        assert_eq!(field(&p, "title"), "x y");
        assert_eq!(field(&p, "none"), "");
    }
}
