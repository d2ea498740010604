//! The portal's HTML pages and security.txt.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use vigia_directory::reporting::{report_routes, ReportTo};
use vigia_policy::Viewer;

use super::{advisories as public_advisories, cacheable, Advisory};
use crate::console::{messages, negotiate, Messages, LANGUAGES};
use crate::directory::Directory;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

const HTML: &str = "text/html; charset=utf-8";

#[derive(Deserialize)]
pub(crate) struct Lang {
    pub(crate) lang: Option<String>,
}

/// What every portal page's frame needs.
pub(crate) struct Frame {
    pub(crate) m: Messages,
    pub(crate) team_name: String,
    pub(crate) languages: Vec<(&'static str, &'static str)>,
}

impl Frame {
    /// `?lang=` wins, then the console's language cookie, then the
    /// browser's preference.
    pub(crate) fn new(state: &AppState, headers: &HeaderMap, lang: &Lang) -> Self {
        let m = match lang.lang.as_deref().filter(|l| LANGUAGES.contains(l)) {
            Some(l) => negotiate(Some(l), None),
            None => messages(headers),
        };
        Self {
            m,
            team_name: state.node.team_name.clone(),
            languages: LANGUAGES
                .iter()
                .map(|l| (*l, Messages::new(l).t("lang.name")))
                .collect(),
        }
    }
}

pub(crate) fn page(
    headers: &HeaderMap,
    t: &impl Template,
    last: Option<vigia_stix::Timestamp>,
) -> AppResult<Response> {
    let html = t
        .render()
        .map_err(|e| AppError::Internal(format!("template: {e}")))?;
    Ok(cacheable(headers, HTML, html, last))
}

#[derive(Template)]
#[template(path = "portal/advisories.html")]
struct AdvisoriesPage {
    p: Frame,
    advisories: Vec<Advisory>,
}

/// `GET /`: the advisories, newest first.
pub(crate) async fn home(
    state: State<AppState>,
    headers: HeaderMap,
    lang: Query<Lang>,
) -> AppResult<Response> {
    advisories(state, headers, lang).await
}

/// `GET /advisories`
pub(crate) async fn advisories(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(lang): Query<Lang>,
) -> AppResult<Response> {
    let advisories = public_advisories(&state).await?;
    let last = advisories.first().map(|a| a.updated);
    let p = Frame::new(&state, &headers, &lang);
    page(&headers, &AdvisoriesPage { p, advisories }, last)
}

#[derive(Template)]
#[template(path = "portal/advisory.html")]
struct AdvisoryPage {
    p: Frame,
    advisory: Advisory,
}

/// `GET /advisories/{id}`: one public advisory; anything else is 404,
/// whether it exists or not.
pub(crate) async fn advisory(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(lang): Query<Lang>,
) -> AppResult<Response> {
    let advisory = public_advisories(&state)
        .await?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or_else(|| AppError::NotFound(format!("public advisory {id}")))?;
    let last = Some(advisory.updated);
    let p = Frame::new(&state, &headers, &lang);
    page(&headers, &AdvisoryPage { p, advisory }, last)
}

struct RouteRow {
    country: String,
    name: String,
    team: Option<TeamShown>,
    why: &'static str,
    contacts: Vec<String>,
    languages: String,
    hours: String,
}

struct TeamShown {
    official_name: String,
    short_name: String,
}

#[derive(Template)]
#[template(path = "portal/report.html")]
struct ReportPage {
    p: Frame,
    routes: Vec<RouteRow>,
    register_missing: Option<String>,
}

/// `GET /report`: how to report an incident, and to whom, for every
/// member state, from the directory as the public may read it.
pub(crate) async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(lang): Query<Lang>,
) -> AppResult<Response> {
    report_page(&state, &headers, &lang, None).await
}

/// `GET /report/{cc}`: the same for one member state.
pub(crate) async fn report_state(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(country): Path<String>,
    Query(lang): Query<Lang>,
) -> AppResult<Response> {
    let country = country.to_ascii_uppercase();
    report_page(&state, &headers, &lang, Some(&country)).await
}

async fn report_page(
    state: &AppState,
    headers: &HeaderMap,
    lang: &Lang,
    only: Option<&str>,
) -> AppResult<Response> {
    let d = Directory::of(state);
    let public = Viewer::Public;
    let entries: Vec<_> = d
        .views(Some(&public))
        .await?
        .into_iter()
        .map(|v| v.entry)
        .collect();
    let (routes, register_missing) = match d.coverage(Some(&public)).await {
        Ok(coverage) => (report_routes(&coverage, &entries), None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    if let Some(cc) = only {
        if !routes.iter().any(|r| r.country == cc) {
            return Err(AppError::NotFound(format!("member state {cc}")));
        }
    }
    let rows: Vec<RouteRow> = routes
        .into_iter()
        .filter(|r| only.is_none_or(|cc| r.country == cc))
        .map(|r| {
            let contacts = r.team.as_ref().map(contacts).unwrap_or_default();
            RouteRow {
                why: match r.to {
                    ReportTo::NationalCsirt => "portal.why.national",
                    ReportTo::PointOfContact => "portal.why.poc",
                    ReportTo::LastResort => "portal.why.lastresort",
                    ReportTo::Secretariat => "portal.why.secretariat",
                    ReportTo::Nobody => "portal.report.nobody",
                },
                languages: r
                    .team
                    .as_ref()
                    .map(|t| t.languages.join(", "))
                    .unwrap_or_default(),
                hours: r.team.as_ref().map(hours).unwrap_or_default(),
                team: r.team.map(|t| TeamShown {
                    official_name: t.official_name,
                    short_name: t.short_name,
                }),
                country: r.country,
                name: r.name,
                contacts,
            }
        })
        .collect();
    let p = Frame::new(state, headers, lang);
    page(
        headers,
        &ReportPage {
            p,
            routes: rows,
            register_missing,
        },
        None,
    )
}

/// The ways the public reaches a team: its reporting channels, then its
/// e-mail and phone.
fn contacts(e: &vigia_directory::DirectoryEntry) -> Vec<String> {
    let mut out: Vec<String> = e.reporting.iter().map(|r| r.address.clone()).collect();
    for c in [&e.email, &e.phone].into_iter().flatten() {
        if !out.contains(c) {
            out.push(c.clone());
        }
    }
    out
}

fn hours(e: &vigia_directory::DirectoryEntry) -> String {
    if e.hours.always {
        return "24/7".into();
    }
    e.hours
        .description
        .clone()
        .unwrap_or_else(|| e.hours.time_zone.clone())
}

/// `GET /.well-known/security.txt` (RFC 9116), from this team's public
/// directory entry.
pub(crate) async fn security_txt(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let mut text = Directory::of(&state)
        .export(Some(&Viewer::Public), "security-txt", None)
        .await?;
    // CSAF 2.0 requirement 8: the provider is found from security.txt.
    text.push_str(&format!(
        "CSAF: {}\n",
        super::csaf::provider_metadata_url(&state)?
    ));
    let key = super::csaf::node_key(&state).await?;
    let signed = key
        .sign_cleartext(&text, crate::state::now())
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(cacheable(
        &headers,
        "text/plain; charset=utf-8",
        signed,
        None,
    ))
}
