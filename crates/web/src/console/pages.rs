//! The console's pages: sign-in, the duty dashboard and the directory.

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use serde_json::json;
use vigia_policy::{may_view, Viewer};
use vigia_stix::{Timestamp, Tlp};
use vigia_watch::roster::ContactRole;
use vigia_watch::Roster;

use super::{
    cookie, csrf_matches, csrf_refused, csrf_token, messages, session, set_cookie, Messages,
    CSRF_COOKIE, LANGUAGES, LANG_COOKIE, SESSION_COOKIE,
};
use crate::auth::Caller;
use crate::directory::{designation_label, non_public_reads, Directory};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Session length, as for an API sign-in.
const SESSION_SECS: i64 = 12 * 3600;

fn languages() -> Vec<(&'static str, &'static str)> {
    LANGUAGES
        .iter()
        .map(|l| (*l, Messages::new(l).t("lang.name")))
        .collect()
}

fn render(t: &impl Template) -> AppResult<Response> {
    let html = t
        .render()
        .map_err(|e| AppError::Internal(format!("template: {e}")))?;
    Ok(Html(html).into_response())
}

fn to_login() -> Response {
    Redirect::to("/console/login").into_response()
}

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    m: Messages,
    who: Option<String>,
    csrf: String,
    languages: Vec<(&'static str, &'static str)>,
    failed: bool,
    username: String,
}

/// A fresh pre-sign-in secret for the double-submit CSRF cookie.
fn new_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    failed: bool,
    username: &str,
) -> AppResult<Response> {
    let (secret, fresh) = match cookie(headers, CSRF_COOKIE) {
        Some(s) if !s.is_empty() && s.len() <= 128 => (s.to_owned(), false),
        _ => (new_secret(), true),
    };
    let page = LoginPage {
        m: messages(headers),
        who: None,
        csrf: csrf_token(&secret),
        languages: languages(),
        failed,
        username: username.to_owned(),
    };
    let mut response = render(&page)?;
    if failed {
        *response.status_mut() = StatusCode::UNAUTHORIZED;
    }
    if fresh {
        if let Ok(v) = set_cookie(state, CSRF_COOKIE, &secret, 3600).parse() {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(response)
}

/// `GET /console/login`
pub(crate) async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> AppResult<Response> {
    if session(&state, &headers).await.is_some() {
        return Ok(Redirect::to("/console/").into_response());
    }
    login_page(&state, &headers, false, "")
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    csrf: String,
    username: String,
    password: String,
}

/// `POST /console/login`
pub(crate) async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let secret = cookie(&headers, CSRF_COOKIE).unwrap_or_default();
    if secret.is_empty() || !csrf_matches(secret, &form.csrf) {
        return Err(csrf_refused());
    }
    match crate::routes::session::sign_in(&state, &form.username, &form.password).await {
        Ok(s) => {
            let mut response = Redirect::to("/console/").into_response();
            if let Ok(v) = set_cookie(&state, SESSION_COOKIE, &s.secret, SESSION_SECS).parse() {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(response)
        }
        Err(AppError::Unauthorized(_)) => login_page(&state, &headers, true, &form.username),
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /console/logout`: the session token is revoked, not just forgotten.
pub(crate) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> AppResult<Response> {
    let Some((caller, secret)) = session(&state, &headers).await else {
        return Ok(to_login());
    };
    if !csrf_matches(&secret, &form.csrf) {
        return Err(csrf_refused());
    }
    if let Some(token) = state
        .store
        .token_by_secret_hash(&crate::credentials::token_hash(&secret))
        .await?
    {
        state.store.revoke_token(&token.id).await?;
    }
    state
        .audit(
            &caller.actor,
            "logout",
            None,
            "ok",
            json!({"via": "console"}),
        )
        .await?;
    let mut response = to_login();
    if let Ok(v) = set_cookie(&state, SESSION_COOKIE, "", 0).parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

#[derive(Deserialize)]
pub(crate) struct LanguageForm {
    #[serde(default)]
    csrf: String,
    lang: String,
}

/// `POST /console/language`: the user's choice, kept in a cookie.
pub(crate) async fn language(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LanguageForm>,
) -> AppResult<Response> {
    let signed_in = session(&state, &headers).await;
    let secret = match &signed_in {
        Some((_, s)) => s.clone(),
        None => cookie(&headers, CSRF_COOKIE).unwrap_or_default().to_owned(),
    };
    if secret.is_empty() || !csrf_matches(&secret, &form.csrf) {
        return Err(csrf_refused());
    }
    if !LANGUAGES.contains(&form.lang.as_str()) {
        return Err(AppError::BadRequest(format!(
            "lang {:?}: choose one of {}",
            form.lang,
            LANGUAGES.join(", ")
        )));
    }
    let mut response = if signed_in.is_some() {
        Redirect::to("/console/").into_response()
    } else {
        to_login()
    };
    if let Ok(v) = set_cookie(&state, LANG_COOKIE, &form.lang, 365 * 86_400).parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

struct ProductRow {
    title: String,
    kind: String,
    severity: String,
    tlp: String,
    tlp_label: String,
    arrived: String,
    step: i64,
}

struct SentRow {
    title: String,
    tlp: String,
    tlp_label: String,
    receipts: String,
}

#[derive(Template)]
#[template(path = "console/dashboard.html")]
struct DashboardPage {
    m: Messages,
    who: Option<String>,
    csrf: String,
    languages: Vec<(&'static str, &'static str)>,
    team_name: String,
    awaiting: Vec<ProductRow>,
    recent: Vec<ProductRow>,
    sent: Vec<SentRow>,
    on_duty: Vec<(String, String)>,
}

/// The marking's CSS class and label text (both always shown together).
fn marking(tlp: &str) -> (String, String) {
    match tlp.parse::<Tlp>() {
        Ok(t) => {
            let label = t.label().to_owned();
            let class = label
                .trim_start_matches("TLP:")
                .to_ascii_lowercase()
                .replace('+', "-");
            (class, label)
        }
        Err(_) => ("unknown".into(), tlp.to_owned()),
    }
}

/// UTC, to the minute, marked as such (the user's own time zone comes
/// with per-user settings).
fn when(micros: i64) -> String {
    Timestamp::from_unix_micros(micros)
        .map(|t| {
            let s = t.to_millis_string();
            format!("{} {} UTC", &s[..10], &s[11..16])
        })
        .unwrap_or_default()
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

/// `GET /console/`: the duty dashboard.
pub(crate) async fn dashboard(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let Some((caller, secret)) = session(&state, &headers).await else {
        return Ok(to_login());
    };
    let team = caller.require_authenticated()?.clone();
    let community = state.store.community().await?;
    let mut recent = Vec::new();
    let mut sent = Vec::new();
    let mut awaiting = Vec::new();
    let open: Vec<_> = state
        .store
        .open_assignments()
        .await?
        .into_iter()
        .filter(|a| a.team == team.as_str())
        .collect();
    for p in state.store.products(200).await? {
        let Some(o) = state.store.latest_object(&p.id).await? else {
            continue;
        };
        if !may_view(&caller.viewer, &o.audience, &community) {
            continue;
        }
        let (tlp, tlp_label) = marking(&p.tlp);
        let row = |step: i64| ProductRow {
            title: p.title.clone(),
            kind: p.kind.clone(),
            severity: p.severity.clone(),
            tlp: tlp.clone(),
            tlp_label: tlp_label.clone(),
            arrived: when(p.first_arrived),
            step,
        };
        if let Some(a) = open.iter().find(|a| a.product_id == p.id) {
            awaiting.push((a.arrived_at, row(a.step)));
        }
        if p.originator.as_deref() == Some(team.as_str()) {
            let receipts = state.store.receipts(&p.id).await?;
            let delivered = receipts.iter().filter(|r| r.delivered_at.is_some()).count();
            let acknowledged = receipts
                .iter()
                .filter(|r| r.acknowledged_at.is_some())
                .count();
            sent.push(SentRow {
                title: p.title.clone(),
                tlp: tlp.clone(),
                tlp_label: tlp_label.clone(),
                receipts: format!("{delivered} / {acknowledged}"),
            });
        } else if recent.len() < 20 {
            recent.push(row(0));
        }
    }
    // Oldest first: the one that has waited longest is at the top.
    awaiting.sort_by_key(|(arrived, _)| *arrived);
    let now = crate::state::now();
    let roster: Roster = state
        .store
        .roster(team.as_str())
        .await?
        .and_then(|b| serde_json::from_str(&b).ok())
        .unwrap_or_default();
    let mut on_duty = Vec::new();
    for role in [ContactRole::Primary, ContactRole::Backup] {
        for c in roster.on_duty(role, now) {
            on_duty.push((c.name.clone(), format!("{role:?}").to_lowercase()));
        }
    }
    let team_name = state
        .store
        .list_teams()
        .await?
        .into_iter()
        .find(|t| t.id == team)
        .map_or_else(|| team.to_string(), |t| t.name);
    render(&DashboardPage {
        m: messages(&headers),
        who: who(&caller),
        csrf: csrf_token(&secret),
        languages: languages(),
        team_name,
        awaiting: awaiting.into_iter().map(|(_, r)| r).collect(),
        recent,
        sent,
        on_duty,
    })
}

struct EntryRow {
    country: String,
    name: String,
    kind: String,
    designation: String,
    endorsed: bool,
}

#[derive(Template)]
#[template(path = "console/directory.html")]
struct DirectoryPage {
    m: Messages,
    who: Option<String>,
    csrf: String,
    languages: Vec<(&'static str, &'static str)>,
    entries: Vec<EntryRow>,
    has_coverage: bool,
    coverage_summary: String,
}

/// `GET /console/directory`: teams, points of contact and coverage.
pub(crate) async fn directory(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let Some((caller, secret)) = session(&state, &headers).await else {
        return Ok(to_login());
    };
    let d = Directory::of(&state);
    let views = d.views(Some(&caller.viewer)).await?;
    let restricted = non_public_reads(&views);
    if !restricted.is_empty() {
        state
            .audit(
                &caller.actor,
                "directory.read",
                restricted.first().copied(),
                "ok",
                json!({"entries": restricted.len(), "via": "console"}),
            )
            .await?;
    }
    let entries = views
        .iter()
        .map(|v| EntryRow {
            country: v.entry.country.clone(),
            name: v.entry.official_name.clone(),
            kind: v.entry.kind.as_str().to_owned(),
            designation: designation_label(v.entry.designated()).to_owned(),
            endorsed: v.endorsements.iter().any(|e| e.valid),
        })
        .collect();
    let coverage = d.coverage(Some(&caller.viewer)).await.ok();
    let coverage_summary = coverage.as_ref().map_or_else(String::new, |c| {
        format!(
            "{} of {} member states have no national point of contact or CSIRT",
            c.states_without_contact.len(),
            c.states.len()
        )
    });
    render(&DirectoryPage {
        m: messages(&headers),
        who: who(&caller),
        csrf: csrf_token(&secret),
        languages: languages(),
        entries,
        has_coverage: coverage.is_some(),
        coverage_summary,
    })
}

/// `GET /console/coverage.svg`
pub(crate) async fn coverage_svg(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let Some((caller, _)) = session(&state, &headers).await else {
        return Err(AppError::Unauthorized("sign in to the console".into()));
    };
    let report = Directory::of(&state).coverage(Some(&caller.viewer)).await?;
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml")],
        vigia_directory::coverage::to_svg(&report),
    )
        .into_response())
}
