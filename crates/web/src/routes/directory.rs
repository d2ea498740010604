//! The directory, census, coverage, standards and member-state register
//! over the JSON API. Reading needs no sign-in: an anonymous reader gets
//! the public fields, a member what its markings allow.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use vigia_directory::census::{Change, Questionnaire};
use vigia_directory::{DirectoryEntry, MemberState};
use vigia_policy::{TeamId, Viewer};

use crate::auth::Caller;
use crate::directory::{non_public_reads, Directory, DirectoryError, EntryView};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

fn directory(state: &AppState) -> Directory<'_> {
    Directory::of(state)
}

impl From<DirectoryError> for AppError {
    fn from(e: DirectoryError) -> Self {
        match e {
            DirectoryError::Refused(m) => AppError::BadRequest(m),
            DirectoryError::NotFound(m) => AppError::NotFound(m),
            DirectoryError::Store(e) => AppError::from(e),
            DirectoryError::Ingest(m) => AppError::Unprocessable {
                message: m,
                details: Value::Null,
            },
        }
    }
}

/// Reads of network-only or restricted fields are audited.
async fn audit_views(state: &AppState, caller: &Caller, views: &[&EntryView]) -> AppResult<()> {
    let restricted = non_public_reads(views.iter().copied());
    if restricted.is_empty() {
        return Ok(());
    }
    state
        .audit(
            &caller.actor,
            "directory.read",
            restricted.first().copied(),
            "ok",
            json!({"entries": restricted.len(), "teams": restricted}),
        )
        .await
}

/// The team a caller administers, which must be this node's team or one
/// it hosts; the node's admins manage every hosted team's entry.
fn require_entry_admin<'c>(
    state: &AppState,
    caller: &'c Caller,
    team: &str,
) -> AppResult<&'c TeamId> {
    let own = caller.require_admin()?;
    if own.as_str() != team && own != &state.node.team_id {
        return Err(AppError::Forbidden(format!(
            "only an admin of {team} or of this node's team may change its entry"
        )));
    }
    Ok(own)
}

/// `GET /api/directory`
pub(crate) async fn list(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Value>> {
    let views = directory(&state).views(Some(&caller.viewer)).await?;
    audit_views(&state, &caller, &views.iter().collect::<Vec<_>>()).await?;
    Ok(Json(json!({ "entries": views })))
}

/// `GET /api/directory/{team}`
pub(crate) async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(team): Path<String>,
) -> AppResult<Json<EntryView>> {
    let view = directory(&state).view(Some(&caller.viewer), &team).await?;
    audit_views(&state, &caller, &[&view]).await?;
    Ok(Json(view))
}

/// `GET /api/directory/{team}/draft`: the whole entry, for editing.
pub(crate) async fn draft(
    State(state): State<AppState>,
    caller: Caller,
    Path(team): Path<String>,
) -> AppResult<Json<DirectoryEntry>> {
    require_entry_admin(&state, &caller, &team)?;
    let id = TeamId::parse(&team).map_err(|e| AppError::BadRequest(e.to_string()))?;
    Ok(Json(directory(&state).draft(&id).await?))
}

/// `PUT /api/directory/{team}`: publish the team's entry.
pub(crate) async fn put(
    State(state): State<AppState>,
    caller: Caller,
    Path(team): Path<String>,
    Json(body): Json<Value>,
) -> AppResult<Response> {
    require_entry_admin(&state, &caller, &team)?;
    let entry = DirectoryEntry::from_json(body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    if entry.team != team {
        return Err(AppError::BadRequest(format!(
            "team: the entry names {} but the URL names {team}",
            entry.team
        )));
    }
    let report = directory(&state).publish(entry).await?;
    state.stored();
    state
        .audit(
            &caller.actor,
            "directory.publish",
            Some(&team),
            "ok",
            json!({"objects": report.stored.len()}),
        )
        .await?;
    Ok((StatusCode::OK, Json(json!({ "stored": report.stored }))).into_response())
}

#[derive(Deserialize)]
pub(crate) struct EndorseBody {
    subject: String,
}

/// `POST /api/directory/{team}/endorsements` (the Secretariat).
pub(crate) async fn endorse(
    State(state): State<AppState>,
    caller: Caller,
    Path(team): Path<String>,
    Json(body): Json<EndorseBody>,
) -> AppResult<Response> {
    caller.require_admin()?;
    if body.subject != "designation" {
        return Err(AppError::BadRequest(
            "subject: endorse a \"designation\"; memberships are endorsed by activating the member state".into(),
        ));
    }
    let report = directory(&state).endorse_designation(&team).await?;
    state.stored();
    state
        .audit(
            &caller.actor,
            "directory.endorse",
            Some(&team),
            "ok",
            json!({"subject": "designation"}),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "stored": report.stored })),
    )
        .into_response())
}

#[derive(Deserialize)]
pub(crate) struct ExportParams {
    format: String,
    team: Option<String>,
}

/// `GET /api/directory/export?format=global-irt|rfc2350|security-txt[&team=]`
pub(crate) async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ExportParams>,
) -> AppResult<Response> {
    let body = directory(&state)
        .export(Some(&caller.viewer), &p.format, p.team.as_deref())
        .await?;
    if caller.viewer != Viewer::Public {
        state
            .audit(
                &caller.actor,
                "directory.export",
                p.team.as_deref(),
                "ok",
                json!({"format": p.format}),
            )
            .await?;
    }
    let media = if p.format == "global-irt" {
        "application/json"
    } else {
        "text/plain; charset=utf-8"
    };
    Ok(([(header::CONTENT_TYPE, media)], body).into_response())
}

#[derive(Deserialize)]
pub(crate) struct CoverageParams {
    format: Option<String>,
}

/// `GET /api/coverage[?format=svg|text]`
pub(crate) async fn coverage(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<CoverageParams>,
) -> AppResult<Response> {
    let report = directory(&state).coverage(Some(&caller.viewer)).await?;
    Ok(match p.format.as_deref() {
        None | Some("json") => Json(report).into_response(),
        Some("svg") => (
            [(header::CONTENT_TYPE, "image/svg+xml")],
            vigia_directory::coverage::to_svg(&report),
        )
            .into_response(),
        Some("text") => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            vigia_directory::coverage::to_text(&report),
        )
            .into_response(),
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "format {other:?}: use json, svg or text"
            )))
        }
    })
}

#[derive(Deserialize)]
pub(crate) struct StandardsParams {
    team: Option<String>,
}

/// `GET /api/standards[?team=]`: minimum-standards scores.
pub(crate) async fn standards(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<StandardsParams>,
) -> AppResult<Json<Value>> {
    caller.require_authenticated()?;
    let scores = directory(&state)
        .scores(Some(&caller.viewer), p.team.as_deref())
        .await?;
    Ok(Json(
        json!({ "checklist": state.directory.checklist, "scores": scores }),
    ))
}

/// `GET /api/member-states`
pub(crate) async fn member_states(State(state): State<AppState>) -> AppResult<Json<Value>> {
    Ok(Json(
        json!({ "member_states": state.store.member_states().await? }),
    ))
}

/// `PUT /api/member-states`: add or update states (JSON list, or the CSV
/// register as `text/csv`).
pub(crate) async fn put_member_states(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    body: String,
) -> AppResult<Json<Value>> {
    caller.require_admin()?;
    let csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    let states: Vec<MemberState> = if csv {
        vigia_directory::register::parse_csv(&body)
            .map_err(|e| AppError::BadRequest(e.to_string()))?
    } else {
        serde_json::from_str(&body).map_err(|e| AppError::BadRequest(format!("body: {e}")))?
    };
    for s in &states {
        s.validate()
            .map_err(|e| AppError::BadRequest(format!("{}: {e}", s.iso2)))?;
    }
    state
        .store
        .put_member_states(
            &states,
            vigia_stix::Timestamp::from_datetime(time::OffsetDateTime::now_utc()).unix_micros(),
        )
        .await?;
    state
        .audit(
            &caller.actor,
            "member_states.put",
            None,
            "ok",
            json!({"states": states.len()}),
        )
        .await?;
    Ok(Json(json!({ "updated": states.len() })))
}

/// `DELETE /api/member-states/{iso2}`
pub(crate) async fn remove_member_state(
    State(state): State<AppState>,
    caller: Caller,
    Path(iso2): Path<String>,
) -> AppResult<StatusCode> {
    caller.require_admin()?;
    if !state.store.remove_member_state(&iso2).await? {
        return Err(AppError::NotFound(format!("member state {iso2}")));
    }
    state
        .audit(
            &caller.actor,
            "member_states.remove",
            Some(&iso2),
            "ok",
            Value::Null,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub(crate) struct NotificationBody {
    notified_on: String,
    notification: String,
}

/// `POST /api/member-states/{iso2}/notification` (the Secretariat).
pub(crate) async fn notification(
    State(state): State<AppState>,
    caller: Caller,
    Path(iso2): Path<String>,
    Json(body): Json<NotificationBody>,
) -> AppResult<StatusCode> {
    caller.require_admin()?;
    directory(&state)
        .record_notification(&iso2, &body.notified_on, &body.notification)
        .await?;
    state
        .audit(
            &caller.actor,
            "member_states.notification",
            Some(&iso2),
            "ok",
            json!({"notified_on": body.notified_on}),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub(crate) struct ActivationBody {
    team: String,
}

/// `POST /api/member-states/{iso2}/activation` (the Secretariat).
pub(crate) async fn activation(
    State(state): State<AppState>,
    caller: Caller,
    Path(iso2): Path<String>,
    Json(body): Json<ActivationBody>,
) -> AppResult<Response> {
    caller.require_admin()?;
    let report = directory(&state).activate(&iso2, &body.team).await?;
    state.stored();
    state
        .audit(
            &caller.actor,
            "member_states.activate",
            Some(&iso2),
            "ok",
            json!({"team": body.team}),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "stored": report.stored })),
    )
        .into_response())
}

/// `GET /api/census/questionnaires`
pub(crate) async fn questionnaires(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Value>> {
    caller.require_authenticated()?;
    Ok(Json(
        json!({ "questionnaires": directory(&state).questionnaires().await? }),
    ))
}

/// `POST /api/census/questionnaires`: a new version.
pub(crate) async fn add_questionnaire(
    State(state): State<AppState>,
    caller: Caller,
    Json(q): Json<Questionnaire>,
) -> AppResult<StatusCode> {
    caller.require_admin()?;
    directory(&state).add_questionnaire(&q).await?;
    state
        .audit(
            &caller.actor,
            "census.questionnaire",
            Some(&q.version.to_string()),
            "ok",
            Value::Null,
        )
        .await?;
    Ok(StatusCode::CREATED)
}

#[derive(Deserialize)]
pub(crate) struct CampaignBody {
    title: String,
    recipients: Vec<String>,
    deadline: Option<String>,
    questionnaire: Option<u32>,
}

/// `GET /api/census/campaigns`
pub(crate) async fn campaigns(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Value>> {
    caller.require_admin()?;
    Ok(Json(json!({ "campaigns": state.store.campaigns().await? })))
}

/// `POST /api/census/campaigns`
pub(crate) async fn create_campaign(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<CampaignBody>,
) -> AppResult<Response> {
    caller.require_admin()?;
    let campaign = directory(&state)
        .create_campaign(
            &body.title,
            &body.recipients,
            body.deadline.as_deref(),
            body.questionnaire,
            &caller.actor,
        )
        .await?;
    state.stored();
    state
        .audit(
            &caller.actor,
            "census.create",
            Some(&campaign.id),
            "ok",
            json!({"recipients": campaign.recipients.len()}),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(campaign)).into_response())
}

/// `GET /api/census/campaigns/{id}`: completion and each recipient.
pub(crate) async fn campaign(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    caller.require_admin()?;
    let status = directory(&state).campaign_status(&id).await?;
    Ok(Json(serde_json::to_value(status).unwrap_or_default()))
}

/// `POST /api/census/campaigns/{id}/reminders`
pub(crate) async fn remind(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    caller.require_admin()?;
    let reminded = directory(&state).remind(&id).await?;
    state.stored();
    state
        .audit(
            &caller.actor,
            "census.remind",
            Some(&id),
            "ok",
            json!({"teams": reminded}),
        )
        .await?;
    Ok(Json(json!({ "reminded": reminded })))
}

/// `GET /api/census/inbox`: requests addressed to the caller's team.
pub(crate) async fn inbox(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Value>> {
    let team = caller.require_authenticated()?.clone();
    Ok(Json(
        json!({ "requests": directory(&state).inbox(&team).await? }),
    ))
}

/// `GET /api/census/campaigns/{id}/form`: the questionnaire, prefilled.
pub(crate) async fn form(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let team = caller.require_authenticated()?.clone();
    let (questionnaire, answers) = directory(&state).form(&id, &team).await?;
    Ok(Json(
        json!({ "questionnaire": questionnaire, "answers": answers }),
    ))
}

#[derive(Deserialize)]
pub(crate) struct ResponseBody {
    answers: Map<String, Value>,
}

/// `PUT /api/census/campaigns/{id}/response`: answer or revise.
pub(crate) async fn respond(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<ResponseBody>,
) -> AppResult<Json<Value>> {
    let (revision, changes) = respond_as(&state, &caller, &id, body.answers, "api").await?;
    Ok(Json(
        json!({ "revision": revision, "pending_changes": changes }),
    ))
}

/// An admin answers (or revises) a census request for the team, audited;
/// the API and the console both come here. Returns the revision sent and
/// the changes the answers would make to the team's entry.
pub(crate) async fn respond_as(
    state: &AppState,
    caller: &Caller,
    id: &str,
    answers: Map<String, Value>,
    via: &str,
) -> AppResult<(u32, Vec<Change>)> {
    let team = caller.require_admin()?.clone();
    let (response, changes) = directory(state)
        .respond(id, &team, answers, &caller.actor)
        .await?;
    state.stored();
    state
        .audit(
            &caller.actor,
            "census.respond",
            Some(id),
            "ok",
            json!({"revision": response.revision, "via": via}),
        )
        .await?;
    Ok((response.revision, changes))
}

/// `POST /api/census/campaigns/{id}/confirmation`: apply the answers to
/// the team's entry.
pub(crate) async fn confirm(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let changes = confirm_as(&state, &caller, &id, "api").await?;
    Ok(Json(json!({ "applied": changes })))
}

/// An admin confirms the team's answers, which updates its directory
/// entry, audited; the API and the console both come here.
pub(crate) async fn confirm_as(
    state: &AppState,
    caller: &Caller,
    id: &str,
    via: &str,
) -> AppResult<Vec<Change>> {
    let team = caller.require_admin()?.clone();
    let changes = directory(state).confirm(id, &team, &caller.actor).await?;
    state.stored();
    state
        .audit(
            &caller.actor,
            "census.confirm",
            Some(id),
            "ok",
            json!({"changes": changes.len(), "via": via}),
        )
        .await?;
    Ok(changes)
}
