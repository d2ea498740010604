//! STIX objects over the JSON API: ingest, list and read, with the access
//! rule applied to every object returned and every non-CLEAR read audited.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use vigia_policy::{may_view, viewer_keys};
use vigia_stix::{StixId, Timestamp, Tlp};
use vigia_store::ingest::{ingest, IngestError, IngestReport};
use vigia_store::{ObjectQuery, StoredObject, VersionFilter};

use crate::auth::Caller;
use crate::body::StixBody;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The store's ingest path, with its errors mapped for HTTP and counted.
pub(crate) async fn ingest_body(
    state: &AppState,
    team: &vigia_policy::TeamId,
    body: String,
) -> AppResult<IngestReport> {
    ingest_body_with(state, team, body, None).await
}

/// As [`ingest_body`], filing every object in `collection` when given
/// (a TAXII POST) instead of routing each by its type.
pub(crate) async fn ingest_body_with(
    state: &AppState,
    team: &vigia_policy::TeamId,
    body: String,
    collection: Option<String>,
) -> AppResult<IngestReport> {
    let mut ctx = state.ingest.clone();
    if let Some(c) = collection {
        ctx.router = std::sync::Arc::new(move |_| vec![c.clone()]);
    }
    let report = ingest(&state.store, &ctx, team, body)
        .await
        .map_err(|e| match e {
            IngestError::Envelope(e) => AppError::BadRequest(e.to_string()),
            IngestError::Store(e) => AppError::from(e),
            IngestError::Worker(e) => AppError::Internal(e),
            IngestError::RelayHint(e) => AppError::BadRequest(e),
        })?;
    if report.stored.iter().any(|o| !o.queued_for.is_empty()) {
        state.outbox.notify_one();
    }
    if !report.stored.is_empty() {
        state.stored();
    }
    metrics::counter!("vigia_objects_stored_total").increment(report.stored.len() as u64);
    metrics::counter!("vigia_objects_rejected_total").increment(report.failures.len() as u64);
    Ok(report)
}

pub(crate) async fn post(
    State(state): State<AppState>,
    caller: Caller,
    StixBody(body): StixBody,
) -> AppResult<Response> {
    let team = caller.require_writer()?.clone();
    let report = ingest_body(&state, &team, body).await?;
    let ids: Vec<&str> = report.stored.iter().map(|o| o.id.as_str()).collect();
    state
        .audit(
            &caller.actor,
            "object.ingest",
            None,
            "ok",
            json!({"stored": ids, "duplicates": report.duplicates.len(), "failed": report.failures.len()}),
        )
        .await?;
    let all_failed =
        report.stored.is_empty() && report.duplicates.is_empty() && !report.failures.is_empty();
    let status = if all_failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Json(report)).into_response())
}

#[derive(Deserialize)]
pub(crate) struct ListParams {
    /// Comma-separated STIX types.
    #[serde(rename = "type")]
    types: Option<String>,
    /// Comma-separated ids.
    id: Option<String>,
    added_after: Option<String>,
    limit: Option<u32>,
    /// `last` (default), `first` or `all`.
    version: Option<String>,
}

fn comma_list(v: &Option<String>) -> Vec<String> {
    v.as_deref()
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn version_filter(v: Option<&str>) -> AppResult<VersionFilter> {
    Ok(match v.unwrap_or("last") {
        "last" => VersionFilter::Last,
        "first" => VersionFilter::First,
        "all" => VersionFilter::All,
        other => VersionFilter::At(vec![Timestamp::parse(other).map_err(|e| {
            AppError::BadRequest(format!(
                "version must be last, first, all or a timestamp: {e}"
            ))
        })?]),
    })
}

/// Objects the caller may see, and whether the query ran out of rows.
pub(crate) async fn visible_objects(
    state: &AppState,
    caller: &Caller,
    mut query: ObjectQuery,
) -> AppResult<(Vec<StoredObject>, bool)> {
    let community = state.store.community().await?;
    query.access_keys = Some(viewer_keys(&caller.viewer, &community));
    let limit = query.limit;
    let rows = state.store.query_objects(&query).await?;
    let exhausted = rows.len() < limit as usize;
    let visible = rows
        .into_iter()
        .filter(|o| may_view(&caller.viewer, &o.audience, &community))
        .collect();
    Ok((visible, exhausted))
}

/// Records every returned object that is not TLP:CLEAR.
pub(crate) async fn audit_reads(
    state: &AppState,
    caller: &Caller,
    via: &str,
    objects: &[StoredObject],
) -> AppResult<()> {
    let restricted: Vec<&str> = objects
        .iter()
        .filter(|o| o.tlp != Tlp::Clear)
        .map(|o| o.id.as_str())
        .collect();
    if restricted.is_empty() {
        return Ok(());
    }
    let subject = (restricted.len() == 1).then(|| restricted[0]);
    state
        .audit(
            &caller.actor,
            "object.read",
            subject,
            "ok",
            json!({"via": via, "ids": restricted}),
        )
        .await
}

/// Writes `{"objects":[…]}` around the stored bytes, without re-serialising.
pub(crate) fn objects_envelope(
    objects: &[StoredObject],
    extra: &[(&str, serde_json::Value)],
) -> String {
    let size: usize = objects.iter().map(|o| o.raw.len() + 1).sum();
    let mut out = String::with_capacity(size + 64);
    out.push_str("{\"objects\":[");
    for (i, o) in objects.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&o.raw);
    }
    out.push(']');
    for (k, v) in extra {
        out.push_str(&format!(",\"{k}\":{v}"));
    }
    out.push('}');
    out
}

pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<ListParams>,
) -> AppResult<Response> {
    let added_after = params
        .added_after
        .as_deref()
        .map(Timestamp::parse)
        .transpose()
        .map_err(|e| AppError::BadRequest(format!("added_after: {e}")))?;
    let limit = params.limit.unwrap_or(100).clamp(1, state.limits.max_page);
    let query = ObjectQuery {
        added_after,
        ids: comma_list(&params.id),
        types: comma_list(&params.types),
        versions: version_filter(params.version.as_deref())?,
        limit,
        ..Default::default()
    };
    let (objects, exhausted) = visible_objects(&state, &caller, query).await?;
    audit_reads(&state, &caller, "api", &objects).await?;
    let mut extra = vec![("more", json!(!exhausted))];
    if let Some(last) = objects.last() {
        extra.push(("next", json!(last.date_added.to_micros_string())));
    }
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        objects_envelope(&objects, &extra),
    )
        .into_response())
}

#[derive(Deserialize)]
pub(crate) struct GetParams {
    version: Option<String>,
}

pub(crate) async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<GetParams>,
) -> AppResult<Response> {
    let id = StixId::parse(&id).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let filter = version_filter(params.version.as_deref())?;
    let community = state.store.community().await?;
    let mut versions: Vec<StoredObject> = state
        .store
        .object_versions(&id)
        .await?
        .into_iter()
        .filter(|o| may_view(&caller.viewer, &o.audience, &community))
        .collect();
    // Absent and hidden look the same, so existence never leaks.
    if versions.is_empty() {
        return Err(AppError::NotFound(format!("object {id}")));
    }
    let as_list = filter == VersionFilter::All;
    let selected: Vec<StoredObject> = match filter {
        VersionFilter::All => versions,
        VersionFilter::First => vec![versions.remove(0)],
        VersionFilter::Last => versions.pop().into_iter().collect(),
        VersionFilter::At(at) => versions
            .into_iter()
            .filter(|o| o.version.is_some_and(|v| at.contains(&v)))
            .collect(),
        VersionFilter::Select { .. } => {
            return Err(AppError::BadRequest(
                "version must be last, first, all or one timestamp".into(),
            ))
        }
    };
    if selected.is_empty() {
        return Err(AppError::NotFound(format!("that version of {id}")));
    }
    audit_reads(&state, &caller, "api", &selected).await?;
    let body = if !as_list {
        selected[0].raw.clone()
    } else {
        objects_envelope(&selected, &[])
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// Full-text search: the latest versions the caller may see, newest
/// first, at most 50; the reads are audited.
/// The most results a search shows, and the candidates it reads for them.
const SEARCH_RESULTS: usize = 50;
const SEARCH_CANDIDATES: u32 = 100;

pub(crate) async fn search_visible(
    state: &AppState,
    caller: &Caller,
    q: &str,
    via: &str,
) -> AppResult<Vec<StoredObject>> {
    // The store refuses an over-long query (a 400 naming `q`) and
    // answers a blank one with nothing.
    let q = q.trim();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let community = state.store.community().await?;
    // The store narrows by the viewer's access keys before its limit; the
    // keys over-approximate the rule, which decides each object here.
    let keys = vigia_policy::viewer_keys(&caller.viewer, &community);
    let found: Vec<StoredObject> = state
        .store
        .search_objects_for(q, &keys, SEARCH_CANDIDATES)
        .await?
        .into_iter()
        .filter(|o| may_view(&caller.viewer, &o.audience, &community))
        .take(SEARCH_RESULTS)
        .collect();
    audit_reads(state, caller, via, &found).await?;
    state
        .audit(
            &caller.actor,
            "search",
            None,
            "ok",
            json!({"q": q, "hits": found.len(), "via": via}),
        )
        .await?;
    Ok(found)
}

#[derive(Deserialize)]
pub(crate) struct SearchParams {
    #[serde(default)]
    q: String,
}

/// `GET /api/search?q=`
pub(crate) async fn search(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<SearchParams>,
) -> AppResult<Response> {
    caller.require_authenticated()?;
    let found = search_visible(&state, &caller, &params.q, "api").await?;
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        objects_envelope(&found, &[]),
    )
        .into_response())
}
