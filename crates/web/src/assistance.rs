//! Assistance requests between national teams (C-061), over the API and
//! the console: a team asks another for help, and each side moves the
//! request on by the rules of `vigia_watch::assistance::may_move`. Every
//! request and step is a sealed note addressed to the other team, so it
//! travels over federation like any object and is audited here.

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use vigia_policy::{Role, TeamId};
use vigia_stix::Tlp;
use vigia_store::AssistanceRecord;
use vigia_watch::assistance::{may_move, step_to_stix, AssistanceState, RequestDraft, Side};

use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::state::{now, AppState};

/// A new request.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewRequest {
    /// The asked team: its id or its country code.
    pub(crate) to: String,
    pub(crate) need: String,
    pub(crate) urgency: String,
    /// clear, green, amber or amber+strict.
    pub(crate) tlp: String,
    #[serde(default)]
    pub(crate) incident_ref: Option<String>,
}

/// A step on a request.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Step {
    pub(crate) state: String,
    #[serde(default)]
    pub(crate) note: String,
}

/// The caller's team, if its role may write (analyst or higher); `what`
/// names what it may not do otherwise.
pub(crate) fn writer(caller: &Caller, what: &str) -> AppResult<TeamId> {
    if matches!(
        caller.role(),
        Some(Role::ReadOnly) | Some(Role::PeerNode) | None
    ) {
        return Err(AppError::Forbidden(format!(
            "{what} need the analyst role or higher"
        )));
    }
    Ok(caller.require_authenticated()?.clone())
}

pub(crate) async fn resolve_team(state: &AppState, to: &str) -> AppResult<TeamId> {
    let to = to.trim();
    let teams = state.store.list_teams().await?;
    teams
        .iter()
        .find(|t| t.id.as_str() == to)
        .or_else(|| {
            let national: Vec<_> = teams
                .iter()
                .filter(|t| t.country.eq_ignore_ascii_case(to))
                .collect();
            (national.len() == 1).then(|| national[0])
        })
        .map(|t| t.id.clone())
        .ok_or_else(|| AppError::field("to", format!("no single team known here is {to:?}")))
}

/// Publishes one object the node built for `team`; a refusal is a 422.
pub(crate) async fn publish_one(state: &AppState, team: &TeamId, object: &Value) -> AppResult<()> {
    let report = crate::routes::objects::ingest_body(state, team, object.to_string()).await?;
    if let Some(f) = report.failures.first() {
        return Err(AppError::field("body", format!("refused: {}", f.reason)));
    }
    Ok(())
}

/// Publishes a request or step and projects it at once, so the next page
/// shows it.
async fn publish(state: &AppState, team: &TeamId, object: Value) -> AppResult<()> {
    publish_one(state, team, &object).await?;
    state.project_now().await;
    Ok(())
}

pub(crate) async fn request_as(
    state: &AppState,
    caller: &Caller,
    r: NewRequest,
    via: &str,
) -> AppResult<String> {
    let team = writer(caller, "assistance requests")?;
    let helper = resolve_team(state, &r.to).await?;
    let draft = RequestDraft {
        requester: team.as_str().to_owned(),
        helper: helper.as_str().to_owned(),
        need: r.need,
        urgency: r
            .urgency
            .parse()
            .map_err(|e: String| AppError::field("urgency", e))?,
        tlp: r
            .tlp
            .parse::<Tlp>()
            .map_err(|e| AppError::field("tlp", e))?,
        incident_ref: r.incident_ref.filter(|i| !i.trim().is_empty()),
    };
    draft.check().map_err(|e| AppError::field_message(&e))?;
    let object = draft.to_stix(&uuid::Uuid::new_v4().to_string(), now());
    let id = object["id"].as_str().unwrap_or_default().to_owned();
    publish(state, &team, object).await?;
    state
        .audit(
            &caller.actor,
            "assistance.request",
            Some(&id),
            "ok",
            json!({"to": helper, "urgency": draft.urgency.as_str(), "tlp": draft.tlp.label(), "via": via}),
        )
        .await?;
    Ok(id)
}

/// The request, if the caller's team is a party to it.
pub(crate) async fn party(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> AppResult<(AssistanceRecord, Side)> {
    let team = caller.require_authenticated()?;
    let r = state
        .store
        .assistance(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("assistance request {id}")))?;
    let side = if r.requester == team.as_str() {
        Side::Requester
    } else if r.helper == team.as_str() {
        Side::Helper
    } else {
        return Err(AppError::NotFound(format!("assistance request {id}")));
    };
    Ok((r, side))
}

pub(crate) async fn step_as(
    state: &AppState,
    caller: &Caller,
    id: &str,
    step: Step,
    via: &str,
) -> AppResult<AssistanceRecord> {
    let team = writer(caller, "assistance requests")?;
    let (r, side) = party(state, caller, id).await?;
    let to: AssistanceState = step
        .state
        .parse()
        .map_err(|e: String| AppError::field("state", e))?;
    let from: AssistanceState = r.state.parse().map_err(AppError::Internal)?;
    may_move(side, from, to).map_err(AppError::Conflict)?;
    let other = match side {
        Side::Requester => &r.helper,
        Side::Helper => &r.requester,
    };
    let tlp: Tlp = r
        .tlp
        .parse()
        .map_err(|e| AppError::Internal(format!("{e}")))?;
    let object = step_to_stix(
        &uuid::Uuid::new_v4().to_string(),
        &r.id,
        team.as_str(),
        other,
        tlp,
        to,
        &step.note,
        now(),
    )
    .map_err(|e| AppError::field_message(&e))?;
    publish(state, &team, object).await?;
    state
        .audit(
            &caller.actor,
            "assistance.step",
            Some(id),
            "ok",
            json!({"from": from.as_str(), "to": to.as_str(), "via": via}),
        )
        .await?;
    Ok(party(state, caller, id).await?.0)
}

/// `POST /api/assistance`
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(r): Json<NewRequest>,
) -> AppResult<(axum::http::StatusCode, Json<Value>)> {
    let id = request_as(&state, &caller, r, "api").await?;
    Ok((axum::http::StatusCode::CREATED, Json(json!({"id": id}))))
}

/// `GET /api/assistance`: requests this team made or was asked.
pub(crate) async fn list(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Value>> {
    let team = caller.require_authenticated()?;
    let requests = state.store.assistance_for(team.as_str(), 200).await?;
    Ok(Json(json!({ "requests": requests })))
}

/// `GET /api/assistance/{id}`: the request and every step.
pub(crate) async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let (r, _) = party(&state, &caller, &id).await?;
    let steps = state.store.assistance_steps(&id).await?;
    Ok(Json(json!({ "request": r, "steps": steps })))
}

/// `POST /api/assistance/{id}/state`
pub(crate) async fn step(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(s): Json<Step>,
) -> AppResult<Json<AssistanceRecord>> {
    Ok(Json(step_as(&state, &caller, &id, s, "api").await?))
}
