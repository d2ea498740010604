//! Watch and warning over the JSON API: products, acknowledgements,
//! findings, duty rosters, drills and the watch clock. The live stream is
//! in `stream`, acknowledgement links in `ack`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use vigia_policy::{may_view, Community, Role, TeamId, Viewer};
use vigia_stix::{Distribution, Timestamp, Tlp};
use vigia_store::StoredObject;
use vigia_watch::product::{revise, ProductRevision};
use vigia_watch::{finding_to_stix, ProductDraft, ProductInfo, ProductKind, ReceiptState, Roster};

use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::routes::objects::{audit_reads, ingest_body};
use crate::state::AppState;

fn bad(e: impl std::fmt::Display) -> AppError {
    AppError::BadRequest(e.to_string())
}

fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The latest version of a product the caller may see; hidden and absent
/// look the same.
pub(crate) async fn visible_product(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> AppResult<(StoredObject, ProductInfo, Community)> {
    let object = state.store.latest_object(id).await?;
    let community = state.store.community().await?;
    let object = object
        .filter(|o| may_view(&caller.viewer, &o.audience, &community))
        .ok_or_else(|| AppError::NotFound(format!("product {id}")))?;
    let info = serde_json::from_str::<Value>(&object.raw)
        .ok()
        .and_then(|v| ProductInfo::read(&v))
        .ok_or_else(|| AppError::NotFound(format!("product {id}")))?;
    Ok((object, info, community))
}

/// Stores what an ingest refused as a 422 naming each failure.
fn refused(report: &vigia_store::ingest::IngestReport) -> AppResult<()> {
    if report.failures.is_empty() {
        return Ok(());
    }
    Err(AppError::Unprocessable {
        message: format!("{} object(s) refused", report.failures.len()),
        details: json!(report.failures),
    })
}

pub(crate) fn watch_error(e: vigia_notify::WatchError) -> AppError {
    match e {
        vigia_notify::WatchError::Refused(m) => AppError::BadRequest(m),
        vigia_notify::WatchError::Store(e) => AppError::from(e),
        other => AppError::Internal(other.to_string()),
    }
}

/// `POST /api/products`
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(draft): Json<ProductDraft>,
) -> AppResult<Response> {
    let published = publish_as(&state, &caller, &draft, "api").await?;
    Ok((StatusCode::CREATED, Json(published)).into_response())
}

/// Publishes a product for the caller's team and audits it.
pub(crate) async fn publish_as(
    state: &AppState,
    caller: &Caller,
    draft: &ProductDraft,
    via: &str,
) -> AppResult<vigia_notify::products::Published> {
    let team = caller.require_writer()?.clone();
    let watch = state.watch()?;
    let published = vigia_notify::products::publish_product(watch, &team, draft)
        .await
        .map_err(watch_error)?;
    state
        .audit(
            &caller.actor,
            "product.create",
            Some(&published.id),
            "ok",
            json!({"kind": draft.kind.as_str(), "severity": draft.severity.as_str(), "tlp": draft.tlp.label(), "embargo_until": published.embargo_until, "queued": published.queued_for_peers, "via": via}),
        )
        .await?;
    Ok(published)
}

/// One team in a preview of who a draft would reach.
#[derive(Debug, serde::Serialize)]
pub(crate) struct RecipientPreview {
    pub(crate) team: TeamId,
    pub(crate) name: String,
    /// `local` (a team of this node) or `peer` (a national node).
    pub(crate) via: &'static str,
    pub(crate) receives: bool,
}

/// `POST /api/products/preview`: exactly which teams a draft would reach,
/// by the access rule, the rule of travel and this node's outbound policy,
/// as the server will apply them when it is published.
pub(crate) async fn preview(
    State(state): State<AppState>,
    caller: Caller,
    Json(draft): Json<ProductDraft>,
) -> AppResult<Json<Value>> {
    let team = caller.require_writer()?.clone();
    let recipients = preview_recipients(&state, &team, &draft).await?;
    Ok(Json(json!({ "recipients": recipients })))
}

pub(crate) async fn preview_recipients(
    state: &AppState,
    team: &TeamId,
    draft: &ProductDraft,
) -> AppResult<Vec<RecipientPreview>> {
    let watch = state.watch()?;
    let now = watch.clock.now();
    draft.validate(now).map_err(bad)?;
    let ids = vigia_watch::product::ProductIds {
        product: new_uuid(),
        extra: (0..draft.cves.len().max(draft.mitigates.len()))
            .map(|_| new_uuid())
            .collect(),
    };
    let first = draft
        .to_stix(&ids, team, now)
        .into_iter()
        .next()
        .ok_or_else(|| AppError::Internal("a draft made no object".into()))?;
    let object = vigia_stix::StixObject::from_value(&first.to_string(), &first, &state.schemas)
        .map_err(bad)?;
    let mut audience =
        vigia_policy::Audience::of_object(&object, state.node.default_tlp, Some(team.clone()))
            .map_err(bad)?;
    audience.origin_node = Some(state.node.team_id.clone());
    let community = state.store.community().await?;
    let outbound =
        vigia_store::ingest::effective_outbound(&state.store, &state.ingest.configured_outbound())
            .await?;
    let peers = state.store.peers().await?;
    let mut out = Vec::new();
    for t in state.store.list_teams().await? {
        // A peer's team is known here too, but is reached over federation:
        // it is listed once, below, by the rule of travel.
        if &t.id == team || peers.iter().any(|p| p.peer.team_id == t.id) {
            continue;
        }
        let viewer = Viewer::Member {
            team: t.id.clone(),
            user: None,
            role: Role::ReadOnly,
        };
        out.push(RecipientPreview {
            receives: may_view(&viewer, &audience, &community),
            team: t.id,
            name: t.name,
            via: "local",
        });
    }
    for p in peers {
        let peer = p.peer.team_id;
        out.push(RecipientPreview {
            receives: vigia_policy::may_deliver(
                &state.node.team_id,
                &peer,
                object.object_type(),
                &audience,
                &community,
                &outbound,
            ),
            team: peer,
            name: p.peer.name,
            via: "peer",
        });
    }
    Ok(out)
}

#[derive(Deserialize)]
pub(crate) struct ListParams {
    limit: Option<i64>,
    kind: Option<String>,
}

/// `GET /api/products`: newest first, only what the caller may see.
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<ListParams>,
) -> AppResult<Json<Value>> {
    caller.require_authenticated()?;
    let limit = params.limit.unwrap_or(50).clamp(1, 500);
    let kind = params
        .kind
        .as_deref()
        .map(str::parse::<ProductKind>)
        .transpose()
        .map_err(bad)?;
    let out: Vec<_> = visible_products(&state, &caller, limit * 4, kind.map(ProductKind::as_str))
        .await?
        .into_iter()
        .map(|(p, _)| p)
        .take(usize::try_from(limit).unwrap_or(50))
        .collect();
    Ok(Json(json!({ "products": out })))
}

/// Everything a member may know of one product: the latest version, its
/// history, the receipts (all of them for the originator, the caller's
/// own otherwise), findings, and the caller's assignment. Opening it
/// records that a person has seen it, and the read is audited.
pub(crate) struct ProductView {
    pub(crate) object: StoredObject,
    pub(crate) info: ProductInfo,
    pub(crate) is_originator: bool,
    pub(crate) versions: Vec<StoredObject>,
    pub(crate) receipts: Vec<vigia_store::ReceiptRecord>,
    pub(crate) findings: Vec<StoredObject>,
    pub(crate) assignment: Option<vigia_store::Assignment>,
    pub(crate) notifications: Vec<vigia_store::Notification>,
}

pub(crate) async fn product_view(
    state: &AppState,
    caller: &Caller,
    id: &str,
    via: &str,
) -> AppResult<ProductView> {
    let team = caller.require_authenticated()?.clone();
    let (object, info, community) = visible_product(state, caller, id).await?;
    audit_reads(state, caller, via, std::slice::from_ref(&object)).await?;
    let is_originator = object.audience.originator.as_ref() == Some(&team);
    // A person who opens it has seen it; the originator learns so.
    let all_receipts = state.store.receipts(id).await?;
    if let (Viewer::Member { user: Some(_), .. }, false) = (&caller.viewer, is_originator) {
        let seen = all_receipts
            .iter()
            .any(|r| r.team == team.as_str() && r.seen_at.is_some());
        if !seen {
            let watch = state.watch()?;
            vigia_notify::receipts::publish_receipt(
                watch,
                &object,
                &team,
                ReceiptState::Seen,
                user_ref(caller, &team),
                None,
            )
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        }
    }
    let receipts = all_receipts
        .into_iter()
        .filter(|r| is_originator || r.team == team.as_str())
        .collect();
    let mut findings = Vec::new();
    for note in state.store.findings(id).await? {
        if let Some(n) = state.store.latest_object(&note).await? {
            if may_view(&caller.viewer, &n.audience, &community) {
                findings.push(n);
            }
        }
    }
    let versions = state
        .store
        .object_versions(&object.id)
        .await?
        .into_iter()
        .filter(|v| may_view(&caller.viewer, &v.audience, &community))
        .collect();
    let assignment = state.store.assignment(id, team.as_str()).await?;
    let notifications = state
        .store
        .notifications_for(id)
        .await?
        .into_iter()
        .filter(|n| n.team == team.as_str())
        .collect();
    Ok(ProductView {
        object,
        info,
        is_originator,
        versions,
        receipts,
        findings,
        assignment,
        notifications,
    })
}

/// The newest `scan` products, those the caller may see, each with its
/// latest stored version; optionally of one kind.
pub(crate) async fn visible_products(
    state: &AppState,
    caller: &Caller,
    scan: i64,
    kind: Option<&str>,
) -> AppResult<Vec<(vigia_store::ProductRecord, StoredObject)>> {
    let community = state.store.community().await?;
    let products: Vec<_> = state
        .store
        .products(scan)
        .await?
        .into_iter()
        .filter(|p| kind.is_none_or(|k| k == p.kind))
        .collect();
    let ids: Vec<&str> = products.iter().map(|p| p.id.as_str()).collect();
    let mut latest: std::collections::HashMap<String, StoredObject> = state
        .store
        .latest_objects(&ids)
        .await?
        .into_iter()
        .map(|o| (o.id.to_string(), o))
        .collect();
    Ok(products
        .into_iter()
        .filter_map(|p| latest.remove(&p.id).map(|o| (p, o)))
        .filter(|(_, o)| may_view(&caller.viewer, &o.audience, &community))
        .collect())
}

/// `GET /api/products/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let v = product_view(&state, &caller, &id, "api").await?;
    let raw = |o: &StoredObject| serde_json::from_str::<Value>(&o.raw).unwrap_or_default();
    Ok(Json(json!({
        "product": v.info,
        "tlp": v.object.tlp.label(),
        "originator": v.object.audience.originator,
        "object": raw(&v.object),
        "versions": v.versions.iter().map(|o| json!({"version": o.version, "date_added": o.date_added, "tlp": o.tlp.label()})).collect::<Vec<_>>(),
        "receipts": v.receipts,
        "findings": v.findings.iter().map(raw).collect::<Vec<_>>(),
        "assignment": v.assignment.map(|a| json!({"arrived_at": a.arrived_at, "step": a.step, "next_step_at": a.next_step_at, "closed_at": a.closed_at})),
        "notifications": v.notifications,
    })))
}

pub(crate) fn user_ref(caller: &Caller, team: &TeamId) -> Option<String> {
    match &caller.viewer {
        Viewer::Member { user: Some(u), .. } => Some(format!("{}@{}", u.as_str(), team.as_str())),
        _ => None,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AckBody {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

/// `POST /api/products/{id}/acknowledge`
pub(crate) async fn acknowledge(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Option<Json<AckBody>>,
) -> AppResult<Json<Value>> {
    let body = body.map(|b| b.0).unwrap_or(AckBody {
        state: None,
        note: None,
    });
    let (team, receipt_state) = acknowledge_product(
        &state,
        &caller,
        &id,
        body.state.as_deref(),
        body.note,
        "api",
    )
    .await?;
    Ok(Json(
        json!({"product": id, "team": team, "state": receipt_state.as_str()}),
    ))
}

/// The caller's team acknowledges (or marks actioned) a product it may
/// see and did not originate.
pub(crate) async fn acknowledge_product(
    state: &AppState,
    caller: &Caller,
    id: &str,
    receipt_state: Option<&str>,
    note: Option<String>,
    via: &str,
) -> AppResult<(TeamId, ReceiptState)> {
    let team = caller.require_authenticated()?.clone();
    if caller.role() == Some(Role::ReadOnly) || caller.role() == Some(Role::PeerNode) {
        return Err(AppError::Forbidden(
            "the read-only role cannot acknowledge".into(),
        ));
    }
    let receipt_state: ReceiptState = receipt_state
        .unwrap_or("acknowledged")
        .parse()
        .map_err(bad)?;
    if !receipt_state.is_acknowledgement() {
        return Err(bad("state: acknowledge with acknowledged or actioned"));
    }
    let (object, _, _) = visible_product(state, caller, id).await?;
    if object.audience.originator.as_ref() == Some(&team) {
        return Err(AppError::Conflict(
            "a team does not acknowledge its own product".into(),
        ));
    }
    acknowledge_as(
        state,
        &object,
        &team,
        receipt_state,
        user_ref(caller, &team),
        note,
        &caller.actor,
        via,
    )
    .await?;
    Ok((team, receipt_state))
}

/// Publishes an acknowledgement receipt and audits it.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn acknowledge_as(
    state: &AppState,
    object: &StoredObject,
    team: &TeamId,
    receipt_state: ReceiptState,
    by: Option<String>,
    note: Option<String>,
    actor: &str,
    via: &str,
) -> AppResult<()> {
    let watch = state.watch()?;
    vigia_notify::receipts::publish_receipt(watch, object, team, receipt_state, by.clone(), note)
        .await
        .map_err(|e| match e {
            vigia_notify::WatchError::Refused(m) => AppError::BadRequest(m),
            other => AppError::Internal(other.to_string()),
        })?;
    state
        .audit(
            actor,
            "product.acknowledge",
            Some(object.id.as_str()),
            "ok",
            json!({"team": team, "state": receipt_state.as_str(), "by": by, "via": via}),
        )
        .await?;
    state.project_now().await;
    Ok(())
}

/// `POST /api/products/{id}/revise`: a new version, by the originator.
pub(crate) async fn revise_product(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(change): Json<ProductRevision>,
) -> AppResult<Json<Value>> {
    let team = caller.require_writer()?.clone();
    let (object, _, _) = visible_product(&state, &caller, &id).await?;
    if object.audience.originator.as_ref() != Some(&team) {
        return Err(AppError::Forbidden(
            "only the originating team revises a product".into(),
        ));
    }
    let watch = state.watch()?;
    let value: Value =
        serde_json::from_str(&object.raw).map_err(|e| AppError::Internal(e.to_string()))?;
    let next = revise(&value, &change, watch.clock.now()).map_err(bad)?;
    let report = ingest_body(&state, &team, next.to_string()).await?;
    refused(&report)?;
    let version = next["modified"].clone();
    state
        .audit(
            &caller.actor,
            "product.revise",
            Some(&id),
            "ok",
            json!({"version": version}),
        )
        .await?;
    Ok(Json(json!({"id": id, "version": version})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FindingBody {
    text: String,
    /// Defaults to the product's marking.
    #[serde(default)]
    tlp: Option<Tlp>,
    /// Defaults to the product's audience.
    #[serde(default)]
    audience: Option<Distribution>,
}

/// `POST /api/products/{id}/findings`: joint analysis.
pub(crate) async fn add_finding(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<FindingBody>,
) -> AppResult<Response> {
    let note_id = add_finding_as(&state, &caller, &id, &body.text, body.tlp, body.audience).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": note_id, "product": id})),
    )
        .into_response())
}

/// Attaches a finding to a suspicious-activity warning; by default it
/// carries the product's marking and audience. Returns the note's id.
pub(crate) async fn add_finding_as(
    state: &AppState,
    caller: &Caller,
    id: &str,
    text: &str,
    tlp: Option<Tlp>,
    audience: Option<Distribution>,
) -> AppResult<String> {
    let team = caller.require_writer()?.clone();
    let (object, info, _) = visible_product(state, caller, id).await?;
    if info.kind != ProductKind::SuspiciousActivity {
        return Err(bad(
            "findings are attached to suspicious-activity warnings (joint analysis)",
        ));
    }
    let text = text.trim();
    if text.is_empty() || text.len() > 100_000 {
        return Err(bad("text: empty or longer than 100000 bytes"));
    }
    let audience = audience.unwrap_or_else(|| object.raw_distribution());
    let tlp = tlp.unwrap_or(object.tlp);
    let watch = state.watch()?;
    let note = finding_to_stix(
        &new_uuid(),
        id,
        &team,
        tlp,
        &audience,
        text,
        watch.clock.now(),
    );
    let note_id = note["id"].as_str().unwrap_or_default().to_owned();
    let report = ingest_body(state, &team, note.to_string()).await?;
    refused(&report)?;
    state
        .audit(
            &caller.actor,
            "product.finding",
            Some(id),
            "ok",
            json!({"note": note_id, "tlp": tlp.label()}),
        )
        .await?;
    state.project_now().await;
    Ok(note_id)
}

trait RawDistribution {
    fn raw_distribution(&self) -> Distribution;
}

impl RawDistribution for StoredObject {
    /// The distribution extension as the object carries it.
    fn raw_distribution(&self) -> Distribution {
        serde_json::from_str::<Value>(&self.raw)
            .ok()
            .and_then(|v| {
                v.get("extensions")?
                    .get(vigia_stix::DISTRIBUTION_EXTENSION_ID)
                    .cloned()
            })
            .and_then(|d| serde_json::from_value(d).ok())
            .unwrap_or_default()
    }
}

/// `GET /api/roster`: the caller's team's roster, secrets withheld, with
/// who is on duty now and the gaps of the coming week.
pub(crate) async fn get_roster(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Value>> {
    let team = caller.require_authenticated()?.clone();
    let watch = state.watch()?;
    let roster = vigia_notify::project::load_roster(watch, team.as_str())
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Json(roster_view(&roster, watch.clock.now())))
}

/// The roster as it may be shown: webhook secrets are sealed at rest and
/// never shown (an edit that leaves them out keeps the stored ones).
pub(crate) fn without_secrets(roster: &Roster) -> Roster {
    let mut shown = roster.clone();
    for c in &mut shown.contacts {
        if let Some(w) = &mut c.webhook {
            w.secret = None;
        }
    }
    shown
}

/// Who answers alerts now: primary and backup contacts on duty
/// (escalation contacts are called, not on duty).
pub(crate) fn on_duty_now(
    roster: &Roster,
    now: Timestamp,
) -> impl Iterator<Item = &vigia_watch::roster::Contact> {
    roster
        .contacts
        .iter()
        .filter(move |c| c.on_duty(now) && c.role != vigia_watch::ContactRole::Escalation)
}

fn roster_view(roster: &Roster, now: Timestamp) -> Value {
    let shown = without_secrets(roster);
    let on_duty: Vec<Value> = on_duty_now(roster, now)
        .map(|c| json!({"name": c.name, "role": c.role, "phone": c.phone}))
        .collect();
    json!({
        "contacts": shown.contacts,
        "on_duty_now": on_duty,
        "gaps_next_7_days": roster.gaps_next_week(now),
    })
}

/// `PUT /api/roster`: replaces the team's roster (admin). Webhook secrets
/// are sealed at rest; one generated here is returned once.
pub(crate) async fn put_roster(
    State(state): State<AppState>,
    caller: Caller,
    Json(roster): Json<Roster>,
) -> AppResult<Json<Value>> {
    let (roster, new_secrets) = store_roster_as(&state, &caller, roster, "api").await?;
    let mut view = roster_view(&roster, state.watch()?.clock.now());
    view["new_webhook_secrets"] = json!(new_secrets);
    Ok(Json(view))
}

/// An admin replaces the team's roster, audited; the API and the console
/// both come here. Returns the roster kept and the webhook secrets
/// generated for it, shown once.
pub(crate) async fn store_roster_as(
    state: &AppState,
    caller: &Caller,
    roster: Roster,
    via: &str,
) -> AppResult<(Roster, std::collections::BTreeMap<String, String>)> {
    let team = caller.require_admin()?.clone();
    let watch = state.watch()?;
    let (roster, new_secrets) = vigia_notify::products::store_roster(watch, &team, roster)
        .await
        .map_err(watch_error)?;
    let gaps = roster.gaps_next_week(watch.clock.now()).len();
    state
        .audit(
            &caller.actor,
            "roster.update",
            Some(team.as_str()),
            "ok",
            json!({"contacts": roster.contacts.len(), "gaps_next_7_days": gaps, "via": via}),
        )
        .await?;
    Ok((roster, new_secrets))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DrillBody {
    /// Team ids or country codes; empty means every peer's national team.
    #[serde(default)]
    teams: Vec<String>,
}

/// `POST /api/drills`: sends a reachability drill (an exercise alert) to
/// national points of contact and records it.
pub(crate) async fn start_drill(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<DrillBody>,
) -> AppResult<Response> {
    let team = caller.require_writer()?.clone();
    let targets = vigia_notify::products::drill_targets(&state.store, &team, &body.teams)
        .await
        .map_err(watch_error)?;
    let watch = state.watch()?;
    let published = vigia_notify::products::start_drill(watch, &team, &targets, &caller.actor)
        .await
        .map_err(watch_error)?;
    let teams: Vec<&str> = targets.iter().map(|t| t.as_str()).collect();
    state
        .audit(
            &caller.actor,
            "drill.start",
            Some(&published.id),
            "ok",
            json!({"teams": teams}),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"drill": published.id, "teams": teams})),
    )
        .into_response())
}

/// `GET /api/drills`: every drill with each team's time to acknowledge,
/// and per team its answered count, median and never-answered drills.
pub(crate) async fn drills(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Value>> {
    caller.require_authenticated()?;
    let history = vigia_notify::products::drill_history(&state.store)
        .await
        .map_err(watch_error)?;
    Ok(Json(history))
}

/// `GET /api/watch/assignments`: what waits for this team's
/// acknowledgement, oldest first, with the escalation clock.
pub(crate) async fn assignments(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Value>> {
    let team = caller.require_authenticated()?.clone();
    let open: Vec<Value> = state
        .store
        .open_assignments()
        .await?
        .into_iter()
        .filter(|a| a.team == team.as_str())
        .map(|a| json!({"product": a.product_id, "severity": a.severity, "arrived_at": a.arrived_at, "step": a.step, "next_step_at": a.next_step_at}))
        .collect();
    Ok(Json(json!({"waiting": open})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClockBody {
    advance_secs: u64,
}

/// `POST /api/watch/clock`: moves the watch clock forward, on a node
/// configured with `watch.manual_clock` (exercises and tests).
pub(crate) async fn advance_clock(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<ClockBody>,
) -> AppResult<Json<Value>> {
    caller.require_admin()?;
    let watch = state.watch()?;
    if !watch.settings.manual_clock {
        return Err(AppError::Forbidden(
            "the watch clock is the system clock here (watch.manual_clock = false)".into(),
        ));
    }
    if body.advance_secs > 366 * 86_400 {
        return Err(bad("advance_secs: at most a year"));
    }
    watch.clock.advance(body.advance_secs);
    state
        .audit(
            &caller.actor,
            "watch.clock",
            None,
            "ok",
            json!({"advance_secs": body.advance_secs, "offset_secs": watch.clock.offset_secs()}),
        )
        .await?;
    Ok(Json(
        json!({"now": watch.clock.now(), "offset_secs": watch.clock.offset_secs()}),
    ))
}
