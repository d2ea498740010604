//! Assistance requests in the console: the team's requests, made and
//! received, a form to ask another team, and each request's history with
//! the steps this side may take. Everything goes through the API's
//! `request_as` and `step_as`.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use vigia_watch::assistance::{may_move, AssistanceState, Urgency};

use super::{field, render, Chrome, SignedIn};
use crate::assistance::{party, request_as, step_as, NewRequest, Step};
use crate::error::AppResult;
use crate::reports::team_name;
use crate::state::AppState;

struct Row {
    id: String,
    direction: &'static str,
    other: String,
    need: String,
    urgency: String,
    state: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "console/assistance.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    teams: Vec<(String, String)>,
    urgencies: Vec<&'static str>,
}

/// `GET /console/assistance`
pub(crate) async fn list(State(state): State<AppState>, s: SignedIn) -> AppResult<Response> {
    let team = s.caller.require_authenticated()?.clone();
    let mut rows = Vec::new();
    for r in state.store.assistance_for(team.as_str(), 200).await? {
        let (direction, other) = if r.requester == team.as_str() {
            ("assist.to", r.helper.clone())
        } else {
            ("assist.from", r.requester.clone())
        };
        rows.push(Row {
            updated: s.chrome.when(r.updated_at),
            other: team_name(&state, &other).await,
            direction,
            need: r.need.chars().take(120).collect(),
            urgency: r.urgency,
            state: format!("assist.state.{}", r.state),
            id: r.id,
        });
    }
    let teams = state
        .store
        .list_teams()
        .await?
        .into_iter()
        .filter(|t| t.id != team)
        .map(|t| {
            (
                t.id.as_str().to_owned(),
                format!("{} ({})", t.name, t.country),
            )
        })
        .collect();
    render(&ListPage {
        c: s.chrome,
        rows,
        teams,
        urgencies: Urgency::ALL.iter().map(|u| u.as_str()).collect(),
    })
}

/// `POST /console/assistance`: a new request.
pub(crate) async fn create(
    State(state): State<AppState>,
    s: SignedIn,
    body: Bytes,
) -> AppResult<Response> {
    let form = s.form(&body)?;
    let r = NewRequest {
        to: field(&form, "to").to_owned(),
        need: field(&form, "need").to_owned(),
        urgency: field(&form, "urgency").to_owned(),
        tlp: field(&form, "tlp").to_owned(),
        incident_ref: Some(field(&form, "incident_ref").to_owned()),
    };
    let id = request_as(&state, &s.caller, r, "console").await?;
    Ok(Redirect::to(&format!("/console/assistance/{id}")).into_response())
}

struct StepRow {
    at: String,
    team: String,
    state: String,
    note: String,
}

#[derive(Template)]
#[template(path = "console/assistance_one.html")]
struct OnePage {
    c: Chrome,
    id: String,
    requester: String,
    helper: String,
    need: String,
    urgency: String,
    tlp_label: String,
    tlp: String,
    state: String,
    incident_ref: String,
    steps: Vec<StepRow>,
    /// The states this side may move the request to now.
    moves: Vec<&'static str>,
}

/// `GET /console/assistance/{id}`
pub(crate) async fn view(
    State(state): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let (r, side) = party(&state, &s.caller, &id).await?;
    let current: Option<AssistanceState> = r.state.parse().ok();
    let moves = AssistanceState::ALL
        .iter()
        .filter(|to| current.is_some_and(|from| may_move(side, from, **to).is_ok()))
        .map(|to| to.as_str())
        .collect();
    let mut steps = Vec::new();
    for st in state.store.assistance_steps(&id).await? {
        steps.push(StepRow {
            at: s.chrome.when(st.at),
            team: team_name(&state, &st.team).await,
            state: format!("assist.state.{}", st.state),
            note: st.note,
        });
    }
    let (tlp, tlp_label) = super::pages::marking(&r.tlp);
    let page = OnePage {
        requester: team_name(&state, &r.requester).await,
        helper: team_name(&state, &r.helper).await,
        need: r.need,
        urgency: r.urgency,
        tlp_label,
        tlp,
        state: format!("assist.state.{}", r.state),
        incident_ref: r.incident_ref.unwrap_or_default(),
        id: r.id,
        steps,
        moves,
        c: s.chrome,
    };
    render(&page)
}

/// `POST /console/assistance/{id}`: a step.
pub(crate) async fn step(
    State(state): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> AppResult<Response> {
    let form = s.form(&body)?;
    let st = Step {
        state: field(&form, "state").to_owned(),
        note: field(&form, "note").to_owned(),
    };
    step_as(&state, &s.caller, &id, st, "console").await?;
    Ok(Redirect::to(&format!("/console/assistance/{id}")).into_response())
}
