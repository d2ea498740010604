//! The receiving team's queue of incident reports from the public:
//! triage, linking to an incident, and a reply the reporter reads with
//! the tracking reference. Every change goes through the API's
//! `triage_as`, which checks the role and audits.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use vigia_watch::public_report::ReportStatus;

use super::{field, render, Chrome, SignedIn};
use crate::error::AppResult;
use crate::reports::{load, triage_as, TriageBody};
use crate::state::AppState;

struct Row {
    id: String,
    country: String,
    category: String,
    received: String,
    status: String,
}

#[derive(Template)]
#[template(path = "console/reports.html")]
struct QueuePage {
    c: Chrome,
    rows: Vec<Row>,
}

/// `GET /console/reports`: the team's queue, newest first.
pub(crate) async fn queue(State(state): State<AppState>, s: SignedIn) -> AppResult<Response> {
    let team = s.caller.require_authenticated()?.clone();
    let rows = state
        .store
        .public_reports(team.as_str(), 200)
        .await?
        .into_iter()
        .map(|r| Row {
            received: s.chrome.when(r.received_at),
            id: r.id,
            country: r.country,
            category: format!("portal.category.{}", r.category),
            status: format!("portal.status.{}", r.status),
        })
        .collect();
    render(&QueuePage { c: s.chrome, rows })
}

#[derive(Template)]
#[template(path = "console/report.html")]
struct ReportPage {
    c: Chrome,
    id: String,
    country: String,
    category: String,
    received: String,
    received_by: String,
    description: String,
    contact: String,
    attachment: Option<(String, String)>,
    status: String,
    statuses: Vec<(&'static str, bool)>,
    incident_ref: String,
    reply: String,
    updated: String,
}

/// `GET /console/reports/{id}`: what the reporter wrote, and triage.
pub(crate) async fn view(
    State(state): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let (r, info) = load(&state, &s.caller, &id).await?;
    let page = ReportPage {
        received: s.chrome.when(r.received_at),
        updated: match &r.updated_by {
            Some(by) => format!("{} · {by}", s.chrome.when(r.updated_at)),
            None => String::new(),
        },
        received_by: crate::reports::team_name(&state, &info.received_by).await,
        description: info.description,
        contact: info.ext.contact.unwrap_or_default(),
        attachment: info
            .ext
            .attachment
            .map(|a| (a.file_name, a.media_type.as_str().to_owned())),
        statuses: ReportStatus::ALL
            .iter()
            .map(|st| (st.as_str(), st.as_str() == r.status))
            .collect(),
        status: format!("portal.status.{}", r.status),
        incident_ref: r.incident_ref.unwrap_or_default(),
        reply: r.reply.unwrap_or_default(),
        country: r.country,
        category: format!("portal.category.{}", r.category),
        id: r.id,
        c: s.chrome,
    };
    render(&page)
}

/// `POST /console/reports/{id}`: a triage step.
pub(crate) async fn triage(
    State(state): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> AppResult<Response> {
    let form = s.form(&body)?;
    let step = TriageBody {
        status: field(&form, "status").to_owned(),
        incident_ref: Some(field(&form, "incident_ref").to_owned()),
        reply: Some(field(&form, "reply").to_owned()),
    };
    triage_as(&state, &s.caller, &id, step, "console").await?;
    Ok(Redirect::to(&format!("/console/reports/{id}")).into_response())
}
