//! The TAXII 2.1 endpoints.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::json;
use vigia_policy::{collection_keys, may_view, viewer_keys};
use vigia_store::{ObjectQuery, StoredObject, VersionFilter};
use vigia_taxii::media::{check_accept, check_content_type};
use vigia_taxii::{
    ApiRoot, Collection, Collections, Cursor, Discovery, Filter, ManifestRecord, Status,
    StatusDetail, VersionMatch, STIX_MEDIA_TYPE, TAXII_MEDIA_TYPE,
};

use super::{taxii_json, CollectionConfig, TaxiiResult};
use crate::auth::Caller;
use crate::error::AppError;
use crate::federation::{Egress, NETWORK_ALIAS};
use crate::routes::objects::{audit_reads, ingest_body_with};
use crate::state::AppState;

const API_ROOT: &str = "api";
const PUBLIC_ROOT: &str = "public";

type Params = Query<Vec<(String, String)>>;

/// Which API root a request addressed, and as whom it is served.
struct Root {
    caller: Caller,
    public: bool,
}

fn accept(headers: &HeaderMap) -> Result<(), AppError> {
    let value = headers.get(ACCEPT).and_then(|v| v.to_str().ok());
    check_accept(value).map_err(|e| AppError::NotAcceptable(e.to_string()))
}

/// Resolves the API root. The public root serves everyone as the public,
/// whatever credentials came with the request.
fn root(
    state: &AppState,
    name: &str,
    caller: Caller,
    headers: &HeaderMap,
) -> Result<Root, AppError> {
    accept(headers)?;
    match name {
        API_ROOT => {
            caller.require_authenticated()?;
            Ok(Root {
                caller,
                public: false,
            })
        }
        PUBLIC_ROOT if state.taxii.public_root => Ok(Root {
            caller: Caller::public(),
            public: true,
        }),
        _ => Err(AppError::NotFound(format!("API root {name:?}"))),
    }
}

fn can_read(c: &CollectionConfig, root: &Root) -> bool {
    if root.public {
        c.public
    } else {
        c.can_read(root.caller.role(), root.caller.team())
    }
}

fn can_write(c: &CollectionConfig, root: &Root) -> bool {
    !root.public && c.can_write(root.caller.role(), root.caller.team())
}

/// The collection, if it exists and the caller may use it at all.
fn find_collection<'a>(
    state: &'a AppState,
    id: &str,
    root: &Root,
) -> Result<&'a CollectionConfig, AppError> {
    state
        .taxii
        .collections
        .iter()
        .find(|c| c.id() == id || c.alias == id)
        .filter(|c| can_read(c, root) || can_write(c, root))
        .ok_or_else(|| AppError::NotFound(format!("collection {id}")))
}

fn readable<'a>(
    state: &'a AppState,
    id: &str,
    root: &Root,
) -> Result<&'a CollectionConfig, AppError> {
    let c = find_collection(state, id, root)?;
    if !can_read(c, root) {
        return Err(AppError::Forbidden(format!(
            "no read permission on collection {id}"
        )));
    }
    Ok(c)
}

fn describe(c: &CollectionConfig, root: &Root) -> Collection {
    Collection {
        id: c.id(),
        title: c.title.clone(),
        description: c.description.clone(),
        alias: Some(c.alias.clone()),
        can_read: can_read(c, root),
        can_write: can_write(c, root),
        media_types: vec![STIX_MEDIA_TYPE.to_owned()],
    }
}

fn json_body<T: serde::Serialize>(value: &T) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(|e| AppError::Internal(e.to_string()))
}

pub(crate) async fn discovery(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> TaxiiResult<Response> {
    accept(&headers)?;
    let base = state.node.public_url.trim_end_matches('/');
    let mut api_roots = vec![format!("{base}/taxii2/{API_ROOT}/")];
    if state.taxii.public_root {
        api_roots.push(format!("{base}/taxii2/{PUBLIC_ROOT}/"));
    }
    let body = Discovery {
        title: format!("vigia node of {}", state.node.team_name),
        description: Some("TAXII 2.1 server of a national node of the Inter-American CSIRT Watch and Warning Network".into()),
        contact: None,
        default: Some(api_roots[0].clone()),
        api_roots,
    };
    Ok(taxii_json(
        StatusCode::OK,
        json_body(&body)?,
        HeaderMap::new(),
    ))
}

pub(crate) async fn api_root(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> TaxiiResult<Response> {
    let root = root(&state, &name, caller, &headers)?;
    let body = ApiRoot {
        title: if root.public {
            "Public (TLP:CLEAR)".into()
        } else {
            format!("{} network root", state.node.team_name)
        },
        description: None,
        versions: vec![TAXII_MEDIA_TYPE.to_owned()],
        max_content_length: state.limits.max_body_bytes as u64,
    };
    Ok(taxii_json(
        StatusCode::OK,
        json_body(&body)?,
        HeaderMap::new(),
    ))
}

pub(crate) async fn status(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
) -> TaxiiResult<Response> {
    root(&state, &name, caller, &headers)?;
    let body = state
        .store
        .taxii_status(&id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("status {id}")))?;
    Ok(taxii_json(
        StatusCode::OK,
        body.to_string(),
        HeaderMap::new(),
    ))
}

pub(crate) async fn collections(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> TaxiiResult<Response> {
    let root = root(&state, &name, caller, &headers)?;
    let body = Collections {
        collections: state
            .taxii
            .collections
            .iter()
            .filter(|c| can_read(c, &root) || can_write(c, &root))
            .map(|c| describe(c, &root))
            .collect(),
    };
    Ok(taxii_json(
        StatusCode::OK,
        json_body(&body)?,
        HeaderMap::new(),
    ))
}

pub(crate) async fn collection(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
) -> TaxiiResult<Response> {
    let root = root(&state, &name, caller, &headers)?;
    let c = find_collection(&state, &id, &root)?;
    Ok(taxii_json(
        StatusCode::OK,
        json_body(&describe(c, &root))?,
        HeaderMap::new(),
    ))
}

/// One page of what the caller may see in a collection, and the cursor.
struct Page {
    objects: Vec<StoredObject>,
    next: Option<String>,
}

fn parse_filter(params: &[(String, String)]) -> Result<Filter, AppError> {
    Filter::parse(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|e| AppError::BadRequest(e.to_string()))
}

fn version_filter(v: &VersionMatch) -> VersionFilter {
    if v.all {
        VersionFilter::All
    } else {
        VersionFilter::Select {
            first: v.first,
            last: v.last,
            at: v.at.clone(),
        }
    }
}

async fn page(
    state: &AppState,
    root: &Root,
    c: &CollectionConfig,
    filter: &Filter,
    ids: Vec<String>,
) -> Result<Page, AppError> {
    let community = state.store.community().await?;
    // The network collection is node-wide, narrowed by the egress rule.
    let egress = if c.alias == NETWORK_ALIAS {
        let egress = Egress::for_caller(state, &root.caller).await?;
        // A peer pulls from the cursor up to which it has stored
        // everything: what was queued for it up to there is delivered.
        if let (Some(after), None) = (filter.added_after, filter.next) {
            state
                .store
                .acknowledged_by_pull(egress.peer(), after)
                .await?;
        }
        Some(egress)
    } else {
        None
    };
    let viewer = viewer_keys(&root.caller.viewer, &community);
    let keys: Vec<String> = match egress {
        Some(_) => viewer,
        None => collection_keys(&c.id(), &viewer).collect(),
    };
    let limit = filter.page_size(state.limits.max_page);
    let after = match (filter.added_after, filter.next) {
        (a, None) => a,
        (a, Some(cursor)) => {
            let at = vigia_stix::Timestamp::from_unix_micros(cursor.after_micros)
                .map_err(|e| AppError::BadRequest(e.to_string()))?;
            Some(a.map_or(at, |a| a.max(at)))
        }
    };
    let query = ObjectQuery {
        access_keys: Some(keys),
        added_after: after,
        ids,
        types: filter.types.clone(),
        spec_versions: filter.spec_versions.clone(),
        versions: version_filter(&filter.versions),
        limit: limit + 1,
    };
    let mut rows = state.store.query_objects(&query).await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next = more
        .then(|| {
            rows.last().map(|r| {
                Cursor {
                    after_micros: r.date_added.unix_micros(),
                }
                .encode()
            })
        })
        .flatten();
    let objects = rows
        .into_iter()
        .filter(|o| may_view(&root.caller.viewer, &o.audience, &community))
        .filter(|o| {
            egress
                .as_ref()
                .is_none_or(|e| e.permits(&o.object_type, &o.audience, &community))
        })
        .collect();
    Ok(Page { objects, next })
}

/// `X-TAXII-Date-Added-First` and `-Last` of what is returned, never of
/// what was filtered out.
fn date_headers(objects: &[StoredObject]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let (Some(first), Some(last)) = (objects.first(), objects.last()) {
        for (name, ts) in [
            ("x-taxii-date-added-first", first.date_added),
            ("x-taxii-date-added-last", last.date_added),
        ] {
            if let Ok(v) = HeaderValue::from_str(&ts.to_micros_string()) {
                headers.insert(name, v);
            }
        }
    }
    headers
}

/// `{"more":…,"next":…,"objects":[…]}` around the stored bytes.
fn envelope(page: &Page) -> String {
    let mut out =
        String::with_capacity(page.objects.iter().map(|o| o.raw.len() + 1).sum::<usize>() + 64);
    out.push_str(&format!("{{\"more\":{}", page.next.is_some()));
    if let Some(next) = &page.next {
        out.push_str(&format!(",\"next\":{}", json!(next)));
    }
    if !page.objects.is_empty() {
        out.push_str(",\"objects\":[");
        for (i, o) in page.objects.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&o.raw);
        }
        out.push(']');
    }
    out.push('}');
    out
}

fn version_string(o: &StoredObject) -> String {
    o.version.unwrap_or(o.date_added).to_micros_string()
}

pub(crate) async fn manifest(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
    Query(params): Params,
) -> TaxiiResult<Response> {
    let root = root(&state, &name, caller, &headers)?;
    let c = readable(&state, &id, &root)?;
    let filter = parse_filter(&params)?;
    let page = page(&state, &root, c, &filter, filter.ids.clone()).await?;
    let records: Vec<ManifestRecord> = page
        .objects
        .iter()
        .map(|o| ManifestRecord {
            id: o.id.to_string(),
            date_added: o.date_added.to_micros_string(),
            version: version_string(o),
            media_type: Some(format!("application/stix+json;version={}", o.spec_version)),
        })
        .collect();
    let mut body = json!({"more": page.next.is_some()});
    if let Some(next) = &page.next {
        body["next"] = json!(next);
    }
    if !records.is_empty() {
        body["objects"] = json!(records);
    }
    Ok(taxii_json(
        StatusCode::OK,
        body.to_string(),
        date_headers(&page.objects),
    ))
}

pub(crate) async fn versions(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((name, id, object_id)): Path<(String, String, String)>,
    Query(params): Params,
) -> TaxiiResult<Response> {
    let root = root(&state, &name, caller, &headers)?;
    let c = readable(&state, &id, &root)?;
    let mut filter = parse_filter(&params)?;
    filter.versions = VersionMatch {
        all: true,
        ..VersionMatch::default()
    };
    let page = page(&state, &root, c, &filter, vec![object_id.clone()]).await?;
    if page.objects.is_empty() && filter.next.is_none() && filter.added_after.is_none() {
        return Err(AppError::NotFound(format!("object {object_id}")).into());
    }
    let mut versions: Vec<String> = page.objects.iter().map(version_string).collect();
    versions.sort();
    let mut body = json!({"more": page.next.is_some(), "versions": versions});
    if let Some(next) = &page.next {
        body["next"] = json!(next);
    }
    Ok(taxii_json(
        StatusCode::OK,
        body.to_string(),
        date_headers(&page.objects),
    ))
}

pub(crate) async fn objects_get(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
    Query(params): Params,
) -> TaxiiResult<Response> {
    let root = root(&state, &name, caller, &headers)?;
    let c = readable(&state, &id, &root)?;
    let filter = parse_filter(&params)?;
    let page = page(&state, &root, c, &filter, filter.ids.clone()).await?;
    audit_reads(&state, &root.caller, "taxii", &page.objects).await?;
    Ok(taxii_json(
        StatusCode::OK,
        envelope(&page),
        date_headers(&page.objects),
    ))
}

pub(crate) async fn objects_post(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> TaxiiResult<Response> {
    let root = root(&state, &name, caller, &headers)?;
    let c = find_collection(&state, &id, &root)?;
    if !can_write(c, &root) {
        return Err(AppError::Forbidden(format!("no write permission on collection {id}")).into());
    }
    check_content_type(headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok())).map_err(|e| {
        AppError::UnsupportedMediaType {
            found: e.to_string(),
            expected: TAXII_MEDIA_TYPE,
        }
    })?;
    let body = body.map_err(|_| AppError::PayloadTooLarge {
        limit: state.limits.max_body_bytes,
    })?;
    let requested = crate::state::now();
    let collection_id = c.id();
    let report = if c.alias == NETWORK_ALIAS {
        crate::federation::receive(&state, &root.caller, &body).await?
    } else {
        let body = String::from_utf8(body.to_vec())
            .map_err(|_| AppError::BadRequest("body is not UTF-8".into()))?;
        let team = root.caller.require_writer()?.clone();
        ingest_body_with(&state, &team, body, Some(collection_id.clone())).await?
    };
    // Objects without `modified` or `created` (SCOs) are versioned by
    // date_added, as in the manifest; status details require a version.
    let detail = |o: &vigia_store::ingest::Ingested, message: Option<String>| StatusDetail {
        id: o.id.clone(),
        version: o.version.clone().unwrap_or_else(|| o.date_added.clone()),
        message,
    };
    let mut successes: Vec<StatusDetail> = report.stored.iter().map(|o| detail(o, None)).collect();
    successes.extend(
        report
            .duplicates
            .iter()
            .map(|o| detail(o, Some("already stored".into()))),
    );
    let failures: Vec<StatusDetail> = report
        .failures
        .iter()
        .map(|f| StatusDetail {
            id: f
                .id
                .clone()
                .unwrap_or_else(|| format!("object #{}", f.index)),
            version: String::new(),
            message: Some(format!(
                "{} (at {})",
                f.reason,
                if f.path.is_empty() { "/" } else { &f.path }
            )),
        })
        .collect();
    let status = Status {
        id: uuid::Uuid::new_v4().to_string(),
        status: "complete".into(),
        request_timestamp: Some(requested.to_micros_string()),
        total_count: (successes.len() + failures.len()) as u64,
        success_count: successes.len() as u64,
        successes,
        failure_count: failures.len() as u64,
        failures,
        pending_count: 0,
        pendings: vec![],
    };
    let body = serde_json::to_string(&status).map_err(|e| AppError::Internal(e.to_string()))?;
    // A peer's push is audited as `federation.receive` and answered in
    // full at once; it keeps no status resource to poll.
    if c.alias != NETWORK_ALIAS {
        let stored: Vec<&str> = report.stored.iter().map(|o| o.id.as_str()).collect();
        let event = crate::state::audit_event(
            &root.caller.actor,
            "object.ingest",
            Some(&collection_id),
            "ok",
            json!({"via": "taxii", "stored": stored, "duplicates": report.duplicates.len(), "failed": report.failures.len()}),
        );
        state
            .store
            .put_taxii_status_audited(&status.id, &body, &event)
            .await?;
    }
    Ok(taxii_json(StatusCode::ACCEPTED, body, HeaderMap::new()))
}

pub(crate) async fn object_get(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((name, id, object_id)): Path<(String, String, String)>,
    Query(params): Params,
) -> TaxiiResult<Response> {
    let root = root(&state, &name, caller, &headers)?;
    let c = readable(&state, &id, &root)?;
    let filter = parse_filter(&params)?;
    let page = page(&state, &root, c, &filter, vec![object_id.clone()]).await?;
    if page.objects.is_empty() && filter.next.is_none() {
        return Err(AppError::NotFound(format!("object {object_id}")).into());
    }
    audit_reads(&state, &root.caller, "taxii", &page.objects).await?;
    Ok(taxii_json(
        StatusCode::OK,
        envelope(&page),
        date_headers(&page.objects),
    ))
}

/// Deletes the selected versions (all, unless `match[version]` says
/// otherwise). Only the originating team or an admin may delete.
pub(crate) async fn object_delete(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((name, id, object_id)): Path<(String, String, String)>,
    Query(params): Params,
) -> TaxiiResult<Response> {
    let root = root(&state, &name, caller, &headers)?;
    let c = find_collection(&state, &id, &root)?;
    if !can_write(c, &root) {
        return Err(AppError::Forbidden(format!("no write permission on collection {id}")).into());
    }
    let mut filter = parse_filter(&params)?;
    if !params.iter().any(|(k, _)| k == "match[version]") {
        filter.versions = VersionMatch {
            all: true,
            ..VersionMatch::default()
        };
    }
    filter.limit = Some(state.limits.max_page);
    let page = page(&state, &root, c, &filter, vec![object_id.clone()]).await?;
    if page.objects.is_empty() {
        return Err(AppError::NotFound(format!("object {object_id}")).into());
    }
    let is_admin = root.caller.role().is_some_and(|r| r.can_administer());
    let own = |o: &StoredObject| o.audience.originator.as_ref() == root.caller.team();
    if !is_admin && !page.objects.iter().all(own) {
        return Err(AppError::Forbidden(
            "only the originating team or an admin may delete an object".into(),
        )
        .into());
    }
    let stix_id = page.objects[0].id.clone();
    let dates: Vec<_> = page.objects.iter().map(|o| o.date_added).collect();
    let deleted = state.store.delete_object_versions(&stix_id, &dates).await?;
    state
        .audit(
            &root.caller.actor,
            "object.delete",
            Some(&object_id),
            "ok",
            json!({"via": "taxii", "versions": deleted}),
        )
        .await?;
    Ok(taxii_json(StatusCode::OK, String::new(), HeaderMap::new()))
}
