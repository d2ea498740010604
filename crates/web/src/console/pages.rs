//! The duty dashboard (live over SSE) and the directory.

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use vigia_notify::project::load_roster;
use vigia_watch::roster::ContactRole;

use super::{render, Chrome, SignedIn};
use crate::directory::{designation_label, non_public_reads, Directory};
use crate::error::AppResult;
use crate::routes::watch::{visible_products, watch_error};
use crate::state::AppState;

/// A product in a list, with its marking's class and label (always both,
/// so that colour is never the only sign).
pub(crate) struct ProductRow {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) kind: String,
    pub(crate) severity: String,
    pub(crate) tlp: String,
    pub(crate) tlp_label: String,
    pub(crate) arrived: String,
    pub(crate) step: i64,
    pub(crate) next_step: String,
    pub(crate) receipts: String,
}

/// The marking's CSS class (also its message key's suffix).
pub(crate) fn tlp_class(tlp: vigia_stix::Tlp) -> &'static str {
    use vigia_stix::Tlp;
    match tlp {
        Tlp::Clear => "clear",
        Tlp::Green => "green",
        Tlp::Amber => "amber",
        Tlp::AmberStrict => "amber-strict",
        Tlp::Red => "red",
    }
}

/// The marking's CSS class and label text.
pub(crate) fn marking(tlp: &str) -> (String, String) {
    match tlp.parse::<vigia_stix::Tlp>() {
        Ok(t) => (tlp_class(t).to_owned(), t.label().to_owned()),
        Err(_) => ("unknown".into(), tlp.to_owned()),
    }
}

/// What the dashboard shows and `/console/live` refreshes.
pub(crate) struct Live {
    team_name: String,
    awaiting: Vec<ProductRow>,
    recent: Vec<ProductRow>,
    sent: Vec<ProductRow>,
    on_duty: Vec<(String, String)>,
}

async fn live_data(state: &AppState, s: &SignedIn) -> AppResult<Live> {
    let team = s.team().clone();
    let c = &s.chrome;
    let open: Vec<_> = state
        .store
        .open_assignments()
        .await?
        .into_iter()
        .filter(|a| a.team == team.as_str())
        .collect();
    let (mut awaiting, mut recent, mut sent) = (Vec::new(), Vec::new(), Vec::new());
    for (p, _) in visible_products(state, &s.caller, 200, None).await? {
        let (tlp, tlp_label) = marking(&p.tlp);
        let mut row = ProductRow {
            id: p.id.clone(),
            title: p.title.clone(),
            kind: p.kind.clone(),
            severity: p.severity.clone(),
            tlp,
            tlp_label,
            arrived: c.when(p.first_arrived),
            step: 0,
            next_step: String::new(),
            receipts: String::new(),
        };
        if p.originator.as_deref() == Some(team.as_str()) {
            let receipts = state.store.receipts(&p.id).await?;
            let count = |f: fn(&vigia_store::ReceiptRecord) -> bool| {
                receipts.iter().filter(|r| f(r)).count()
            };
            row.receipts = format!(
                "{} / {}",
                count(|r| r.delivered_at.is_some()),
                count(|r| r.acknowledged_at.is_some() || r.actioned_at.is_some())
            );
            sent.push(row);
        } else if let Some(a) = open.iter().find(|a| a.product_id == p.id) {
            row.step = a.step;
            row.next_step = a.next_step_at.map(|t| c.when(t)).unwrap_or_default();
            awaiting.push((a.arrived_at, row));
        } else if recent.len() < 20 {
            recent.push(row);
        }
    }
    // Oldest first: the one that has waited longest is at the top.
    awaiting.sort_by_key(|(arrived, _)| *arrived);
    let now = crate::state::now();
    let roster = load_roster(state.watch()?, team.as_str())
        .await
        .map_err(watch_error)?;
    let mut on_duty = Vec::new();
    for role in [ContactRole::Primary, ContactRole::Backup] {
        let key = match role {
            ContactRole::Primary => "roster.primary",
            _ => "roster.backup",
        };
        for contact in roster.on_duty(role, now) {
            on_duty.push((contact.name.clone(), c.m.t(key).to_owned()));
        }
    }
    let team_name = state
        .store
        .list_teams()
        .await?
        .into_iter()
        .find(|t| t.id == team)
        .map_or_else(|| team.to_string(), |t| t.name);
    Ok(Live {
        team_name,
        awaiting: awaiting.into_iter().map(|(_, r)| r).collect(),
        recent,
        sent: sent.into_iter().take(20).collect(),
        on_duty,
    })
}

#[derive(Template)]
#[template(path = "console/dashboard.html")]
struct DashboardPage {
    c: Chrome,
    live: Live,
}

#[derive(Template)]
#[template(path = "console/live.html")]
struct LiveFragment {
    c: Chrome,
    live: Live,
}

/// `GET /console/`: the duty dashboard.
pub(crate) async fn dashboard(State(state): State<AppState>, s: SignedIn) -> AppResult<Response> {
    let live = live_data(&state, &s).await?;
    render(&DashboardPage { c: s.chrome, live })
}

/// `GET /console/live`: the dashboard's tables, fetched by `console.js`
/// when the event stream says something changed.
pub(crate) async fn live(State(state): State<AppState>, s: SignedIn) -> AppResult<Response> {
    let live = live_data(&state, &s).await?;
    render(&LiveFragment { c: s.chrome, live })
}

/// `GET /console/events`: the API's event stream, for the signed-in user.
pub(crate) async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    s: SignedIn,
) -> AppResult<Response> {
    crate::routes::stream::open(&state, &s.caller, &headers, None).await
}

struct EntryRow {
    country: String,
    name: String,
    kind: String,
    designation: String,
    endorsed: bool,
    email: String,
    emergency: String,
}

#[derive(Template)]
#[template(path = "console/directory.html")]
struct DirectoryPage {
    c: Chrome,
    entries: Vec<EntryRow>,
    has_coverage: bool,
    uncovered: Vec<(String, String)>,
    covered: usize,
    states: usize,
}

/// `GET /console/directory`: teams, points of contact and coverage.
pub(crate) async fn directory(State(state): State<AppState>, s: SignedIn) -> AppResult<Response> {
    let d = Directory::of(&state);
    let views = d.views(Some(&s.caller.viewer)).await?;
    let restricted = non_public_reads(&views);
    if !restricted.is_empty() {
        state
            .audit(
                &s.caller.actor,
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
            email: v.entry.email.clone().unwrap_or_default(),
            emergency: v
                .entry
                .emergency
                .as_ref()
                .and_then(|e| e.phone.clone())
                .unwrap_or_default(),
        })
        .collect();
    let coverage = d.coverage(Some(&s.caller.viewer)).await.ok();
    let (uncovered, covered, states) = coverage.as_ref().map_or((Vec::new(), 0, 0), |c| {
        let names = |iso: &String| {
            c.states
                .iter()
                .find(|st| &st.country == iso)
                .map_or_else(|| iso.clone(), |st| st.name.clone())
        };
        (
            c.states_without_contact
                .iter()
                .map(|iso| (iso.clone(), names(iso)))
                .collect(),
            c.states.len() - c.states_without_contact.len(),
            c.states.len(),
        )
    });
    render(&DirectoryPage {
        c: s.chrome,
        entries,
        has_coverage: coverage.is_some(),
        uncovered,
        covered,
        states,
    })
}

/// `GET /console/coverage.svg`
pub(crate) async fn coverage_svg(
    State(state): State<AppState>,
    s: SignedIn,
) -> AppResult<Response> {
    let report = Directory::of(&state)
        .coverage(Some(&s.caller.viewer))
        .await?;
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml")],
        vigia_directory::coverage::to_svg(&report),
    )
        .into_response())
}
