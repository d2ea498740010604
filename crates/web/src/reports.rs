//! Incident reports from the public (issue 9, C-058 and C-059).
//!
//! The reporter needs no account. A report is routed by country to the
//! national team the directory names (or the CSIRT of last resort, or the
//! Secretariat), and travels only as a STIX `incident` marked
//! TLP:AMBER+STRICT and addressed to that team alone:
//!
//! - for a team on this node it is stored here, and the projector puts it
//!   in the team's queue;
//! - for a team on a peer node it is sealed with this node's key, kept
//!   encrypted in a relay queue until that node has it, then erased here;
//!   this node keeps only the reference's hash, the team and the times.
//!
//! The reporter gets a tracking reference; it is never stored, only its
//! SHA-256, and it shows the report's status and the team's reply, and
//! nothing else. Abuse controls: a per-address limit, body and field
//! limits, attachment types told by their bytes, and a honeypot field.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use rand::RngCore as _;
use serde::Deserialize;
use serde_json::{json, Value};
use vigia_directory::reporting::{report_routes, ReportTo};
use vigia_policy::{Role, TeamId, Viewer};
use vigia_store::{PublicReportRecord, ReportTriage};
use vigia_watch::public_report::{
    reference_hash, tracking_reference, Attachment, Category, ReportDraft, ReportInfo, ReportStatus,
};

use crate::auth::Caller;
use crate::directory::Directory;
use crate::error::{AppError, AppResult};
use crate::state::{now, AppState};

/// The largest report body: a 1 MiB attachment in base64 and the rest.
pub(crate) const MAX_REPORT_BODY: usize = 2 * 1024 * 1024;

impl From<vigia_watch::public_report::ReportError> for AppError {
    fn from(e: vigia_watch::public_report::ReportError) -> Self {
        AppError::field(e.field, e.reason)
    }
}

/// Where a report goes.
pub(crate) struct Destination {
    pub(crate) team: String,
    /// The national team whose node holds the team's entry.
    pub(crate) node: String,
    pub(crate) name: String,
}

/// What the reporter is told.
pub(crate) struct Submitted {
    pub(crate) reference: String,
    pub(crate) team_name: String,
    pub(crate) forwarded: bool,
}

/// The team that takes reports for `country`, from the directory as the
/// public reads it.
pub(crate) async fn destination(state: &AppState, country: &str) -> AppResult<Destination> {
    let d = Directory::of(state);
    let public = Viewer::Public;
    let entries: Vec<_> = d
        .views(Some(&public))
        .await?
        .into_iter()
        .map(|v| v.entry)
        .collect();
    let coverage = d.coverage(Some(&public)).await?;
    let route = report_routes(&coverage, &entries)
        .into_iter()
        .find(|r| r.country == country)
        .ok_or_else(|| {
            AppError::field("country", format!("{country} is not an OAS member state"))
        })?;
    match (route.to, route.team) {
        (ReportTo::Nobody, _) | (_, None) => Err(AppError::field(
            "country",
            format!(
                "no team takes incident reports for {} yet, and the network lists no CSIRT of last resort",
                route.name
            ),
        )),
        (_, Some(team)) => Ok(Destination {
            name: format!("{} ({})", team.official_name, team.short_name),
            team: team.team,
            node: team.node,
        }),
    }
}

/// Takes a report: checks it, routes it, and stores or relays it.
pub(crate) async fn submit(
    state: &AppState,
    draft: ReportDraft,
    honeypot: &str,
) -> AppResult<Submitted> {
    let report = draft.check()?;
    let to = destination(state, &report.country).await?;
    let mut random = [0u8; 15];
    rand::rngs::OsRng.fill_bytes(&mut random);
    let reference = tracking_reference(random);
    if !honeypot.trim().is_empty() {
        // A form robot filled the hidden field: it is told what a person
        // would be told, and nothing is kept.
        metrics::counter!("vigia_public_reports_refused_total", "reason" => "honeypot")
            .increment(1);
        return Ok(Submitted {
            reference,
            team_name: to.name,
            forwarded: false,
        });
    }
    let hash = reference_hash(&reference);
    let here = state.node.team_id.clone();
    let object = report.to_stix(
        &uuid::Uuid::new_v4().to_string(),
        &hash,
        here.as_str(),
        &to.team,
        now(),
    );
    let forwarded = to.node != here.as_str() && to.team != here.as_str();
    if forwarded {
        relay(state, &to, &hash, &object).await?;
    } else {
        let ingested =
            crate::routes::objects::ingest_body(state, &here, object.to_string()).await?;
        if let Some(f) = ingested.failures.first() {
            return Err(AppError::Internal(format!(
                "the report could not be stored: {}",
                f.reason
            )));
        }
        state.project_now().await;
    }
    // Nothing the reporter wrote goes into the audit log.
    state
        .audit(
            "public",
            "public_report.receive",
            None,
            "ok",
            json!({"country": report.country, "category": report.category.as_str(),
                   "team": to.team, "forwarded": forwarded}),
        )
        .await?;
    metrics::counter!("vigia_public_reports_taken_total", "forwarded" => forwarded.to_string())
        .increment(1);
    Ok(Submitted {
        reference,
        team_name: to.name,
        forwarded,
    })
}

/// Seals the report for the peer node and queues it, encrypted at rest.
async fn relay(state: &AppState, to: &Destination, hash: &str, object: &Value) -> AppResult<()> {
    let peers = state.store.peers().await?;
    if !peers.iter().any(|p| p.peer.team_id.as_str() == to.node) {
        return Err(AppError::field(
            "country",
            format!(
                "{} is on a node this node is not connected to; report to it directly (see /report)",
                to.name
            ),
        ));
    }
    let federation = state.ingest.federation.as_ref().ok_or_else(|| {
        AppError::Unavailable("federation is off, so reports cannot be forwarded".into())
    })?;
    let here = state.node.team_id.as_str();
    let sealed = vigia_stix::seal::seal(
        &object.to_string(),
        &federation.node_key,
        here,
        here,
        Vec::new(),
    )
    .map_err(|e| AppError::Internal(format!("sealing the report: {e}")))?;
    let secrets = state.secrets()?;
    state
        .store
        .queue_report_relay(hash, &to.node, &secrets.seal(&sealed), now().unix_micros())
        .await?;
    Ok(())
}

/// The JSON form of a report.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportBody {
    country: String,
    category: String,
    description: String,
    #[serde(default)]
    contact: Option<String>,
    #[serde(default)]
    attachment: Option<AttachmentBody>,
    /// The honeypot: people leave it empty.
    #[serde(default)]
    website: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AttachmentBody {
    file_name: String,
    /// Standard base64.
    content: String,
}

/// `POST /api/public/reports`: a report from the public, as JSON.
pub(crate) async fn submit_json(State(state): State<AppState>, body: Bytes) -> AppResult<Response> {
    let b: ReportBody = serde_json::from_slice(&body)
        .map_err(|e| AppError::BadRequest(format!("the report is not valid JSON: {e}")))?;
    let attachment = match b.attachment {
        None => None,
        Some(a) => Some(Attachment {
            file_name: a.file_name,
            bytes: base64::engine::general_purpose::STANDARD
                .decode(a.content.trim())
                .map_err(|e| {
                    AppError::field("attachment", format!("content is not base64: {e}"))
                })?,
        }),
    };
    let draft = ReportDraft {
        country: b.country,
        category: b.category.parse().map_err(AppError::from)?,
        description: b.description,
        contact: b.contact,
        attachment,
    };
    let s = submit(&state, draft, b.website.as_deref().unwrap_or_default()).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "reference": s.reference,
            "routed_to": s.team_name,
            "forwarded": s.forwarded,
            "status": "/api/public/reports/status",
        })),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusQuery {
    reference: String,
}

/// What the holder of a reference may know.
pub(crate) async fn status_of(state: &AppState, reference: &str) -> AppResult<Value> {
    let hash = reference_hash(reference);
    if let Some(r) = state.store.public_report_by_reference(&hash).await? {
        let team = team_name(state, &r.team).await;
        return Ok(json!({
            "status": r.status,
            "team": team,
            "received_at": stamp(r.received_at),
            "updated_at": stamp(r.updated_at),
            "reply": r.reply,
        }));
    }
    if let Some(relay) = state.store.report_relay(&hash).await? {
        let team = team_name(state, &relay.team).await;
        let peer_url = state
            .store
            .peers()
            .await?
            .into_iter()
            .find(|p| p.peer.team_id.as_str() == relay.team)
            .map(|p| p.peer.url);
        return Ok(json!({
            "status": if relay.forwarded_at.is_some() { "forwarded" } else { "waiting-to-forward" },
            "team": team,
            "received_at": stamp(relay.created_at),
            "forwarded_at": relay.forwarded_at.map(stamp),
            "follow_at": peer_url.map(|u| format!("{}/report/status", u.trim_end_matches('/'))),
        }));
    }
    Err(AppError::NotFound(
        "a report with this reference at this node".into(),
    ))
}

/// `POST /api/public/reports/status`: the reference in the body, so it
/// stays out of URLs and access logs.
pub(crate) async fn status_json(
    State(state): State<AppState>,
    body: Bytes,
) -> AppResult<Json<Value>> {
    let q: StatusQuery = serde_json::from_slice(&body)
        .map_err(|e| AppError::BadRequest(format!("expected {{\"reference\": \"VR-…\"}}: {e}")))?;
    Ok(Json(status_of(&state, &q.reference).await?))
}

fn stamp(micros: i64) -> String {
    vigia_stix::Timestamp::from_unix_micros(micros)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

pub(crate) async fn team_name(state: &AppState, team: &str) -> String {
    match TeamId::parse(team) {
        Ok(id) => match state.store.team(&id).await {
            Ok(Some(t)) => t.name,
            _ => team.to_owned(),
        },
        Err(_) => team.to_owned(),
    }
}

// --- The receiving team's queue ---------------------------------------

/// The caller's team, which must be the report's.
fn own(caller: &Caller, r: &PublicReportRecord) -> AppResult<()> {
    let team = caller.require_authenticated()?;
    if team.as_str() == r.team {
        Ok(())
    } else {
        Err(AppError::NotFound(format!("report {}", r.id)))
    }
}

pub(crate) async fn load(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> AppResult<(PublicReportRecord, ReportInfo)> {
    let r = state
        .store
        .public_report(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("report {id}")))?;
    own(caller, &r)?;
    let stix_id = vigia_stix::StixId::parse(id).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let object = state
        .store
        .latest_object(stix_id.as_str())
        .await?
        .ok_or_else(|| AppError::Internal(format!("report {id} has no stored object")))?;
    let raw: Value = serde_json::from_str(&object.raw)
        .map_err(|e| AppError::Internal(format!("report {id}: {e}")))?;
    let info = ReportInfo::read(&raw)
        .ok_or_else(|| AppError::Internal(format!("report {id} is not a public report")))?;
    // Reading a report is reading restricted information.
    state
        .audit(
            &caller.actor,
            "public_report.read",
            Some(id),
            "ok",
            json!({}),
        )
        .await?;
    Ok((r, info))
}

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    limit: Option<i64>,
}

/// `GET /api/reports`: this team's queue of public reports, newest first.
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    let team = caller.require_authenticated()?;
    let reports = state
        .store
        .public_reports(team.as_str(), q.limit.unwrap_or(100).clamp(1, 1000))
        .await?;
    Ok(Json(json!({ "reports": reports })))
}

/// `GET /api/reports/{id}`: one report with what the reporter wrote.
pub(crate) async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let (r, info) = load(&state, &caller, &id).await?;
    let received_by = team_name(&state, &info.received_by).await;
    Ok(Json(json!({
        "report": r,
        "description": info.description,
        "contact": info.ext.contact,
        "received_by": received_by,
        "attachment": info.ext.attachment.as_ref().map(|a| json!({
            "file_name": a.file_name, "media_type": a.media_type.as_str(),
            "href": format!("/api/reports/{id}/attachment"),
        })),
    })))
}

/// `GET /api/reports/{id}/attachment`: always a download, never rendered.
pub(crate) async fn attachment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let (_, info) = load(&state, &caller, &id).await?;
    let a = info
        .ext
        .attachment
        .ok_or_else(|| AppError::NotFound(format!("an attachment of report {id}")))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&a.content)
        .map_err(|e| AppError::Internal(format!("attachment of {id}: {e}")))?;
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(a.media_type.as_str()),
    );
    let safe: String = a
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

/// A triage step.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TriageBody {
    pub(crate) status: String,
    #[serde(default)]
    pub(crate) incident_ref: Option<String>,
    #[serde(default)]
    pub(crate) reply: Option<String>,
}

/// Longest reply to a reporter.
const MAX_REPLY: usize = 4000;

pub(crate) async fn triage_as(
    state: &AppState,
    caller: &Caller,
    id: &str,
    t: TriageBody,
    via: &str,
) -> AppResult<PublicReportRecord> {
    if matches!(
        caller.role(),
        Some(Role::ReadOnly) | Some(Role::PeerNode) | None
    ) {
        return Err(AppError::Forbidden(
            "triage needs the analyst role or higher".into(),
        ));
    }
    let (r, _) = load(state, caller, id).await?;
    let status: ReportStatus = t.status.parse().map_err(AppError::from)?;
    let incident_ref = t
        .incident_ref
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    if let Some(i) = &incident_ref {
        vigia_stix::StixId::parse(i)
            .ok()
            .filter(|s| s.as_str().starts_with("incident--"))
            .ok_or_else(|| {
                AppError::field("incident_ref", format!("{i:?} is not a STIX incident id"))
            })?;
    }
    if status == ReportStatus::Linked && incident_ref.is_none() && r.incident_ref.is_none() {
        return Err(AppError::field(
            "incident_ref",
            "linked needs the incident it is linked to",
        ));
    }
    let reply = t
        .reply
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    if reply
        .as_ref()
        .is_some_and(|s| s.chars().count() > MAX_REPLY)
    {
        return Err(AppError::field(
            "reply",
            format!("more than {MAX_REPLY} characters"),
        ));
    }
    let step = ReportTriage {
        status: status.as_str().to_owned(),
        incident_ref: incident_ref.clone(),
        reply: reply.clone(),
        by: caller.actor.clone(),
        at: now().unix_micros(),
    };
    state.store.triage_public_report(id, &step).await?;
    state
        .audit(
            &caller.actor,
            "public_report.triage",
            Some(id),
            "ok",
            json!({"status": step.status, "incident_ref": incident_ref, "replied": reply.is_some(), "via": via}),
        )
        .await?;
    state
        .store
        .public_report(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("report {id}")))
}

/// `POST /api/reports/{id}/triage`
pub(crate) async fn triage(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(t): Json<TriageBody>,
) -> AppResult<Json<PublicReportRecord>> {
    Ok(Json(triage_as(&state, &caller, &id, t, "api").await?))
}

/// The categories, for forms.
pub(crate) fn categories() -> Vec<&'static str> {
    Category::ALL.iter().map(|c| c.as_str()).collect()
}
