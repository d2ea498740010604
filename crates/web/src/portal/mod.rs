//! The public face of the national team (issue 9): no sign-in, and only
//! what the access rule lets the public see (TLP:CLEAR). Advisories and
//! alerts, their Atom and JSON feeds, "how to report an incident and to
//! whom" for every member state, and `/.well-known/security.txt`.
//!
//! Every page is cacheable: a strong ETag over the body, Last-Modified
//! from the newest content, `Cache-Control: public`, and 304 to a
//! matching conditional request.

mod awareness;
mod cache;
pub(crate) mod csaf;
mod feeds;
mod intake;
pub(crate) mod pages;

use std::time::{Duration, SystemTime};

use axum::handler::Handler as _;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};
use vigia_policy::Viewer;
use vigia_stix::Timestamp;

use crate::auth::Caller;
use crate::error::AppResult;
use crate::routes::watch::visible_products;
use crate::state::AppState;

/// How long a client or proxy may reuse a page without asking again.
const MAX_AGE_SECS: u32 = 60;

/// Products scanned for the public list: the newest this many.
const SCAN: i64 = 500;

pub(crate) fn router(state: AppState) -> Router<AppState> {
    let cache = cache::PageCache::default();
    Router::new()
        .route("/", get(pages::home))
        .route("/advisories", get(pages::advisories))
        .route("/advisories/{id}", get(pages::advisory))
        .route("/feeds/advisories.atom", get(feeds::atom))
        .route("/feeds/advisories.json", get(feeds::json))
        .route("/awareness", get(awareness::list))
        .route("/awareness/{slug}", get(awareness::one))
        .route("/report", get(pages::report))
        .route("/report/{country}", get(pages::report_state))
        .route(
            "/report/incident",
            get(intake::form).post(
                intake::send.layer(
                    tower::ServiceBuilder::new()
                        .layer(middleware::from_fn_with_state(
                            state.clone(),
                            crate::throttle::limit_reports,
                        ))
                        .layer(axum::extract::DefaultBodyLimit::max(
                            crate::reports::MAX_REPORT_BODY,
                        )),
                ),
            ),
        )
        .route(
            "/report/status",
            get(intake::status_form).post(intake::status),
        )
        .route("/.well-known/security.txt", get(pages::security_txt))
        .route(
            "/.well-known/csaf/provider-metadata.json",
            get(csaf::provider_metadata),
        )
        .route(
            "/.well-known/csaf/white/csaf-feed-tlp-white.json",
            get(csaf::feed),
        )
        .route("/.well-known/csaf/openpgp/{file}", get(csaf::public_key))
        .route(
            "/.well-known/csaf/white/{year}/{file}",
            get(csaf::document_file),
        )
        .layer(middleware::from_fn_with_state((state, cache), cache::layer))
        .layer(middleware::from_fn(crate::console::security_headers))
}

/// The anonymous caller the public pages read as.
fn public() -> Caller {
    Caller {
        viewer: Viewer::Public,
        actor: "public".into(),
        signed: None,
    }
}

/// A public advisory or alert: TLP:CLEAR, not an exercise.
pub(crate) struct Advisory {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) kind: String,
    pub(crate) severity: String,
    pub(crate) description: String,
    pub(crate) cves: Vec<String>,
    pub(crate) published: Timestamp,
    pub(crate) updated: Timestamp,
    /// The team that issued it.
    pub(crate) originator: Option<String>,
    pub(crate) info: vigia_watch::product::ProductInfo,
}

impl Advisory {
    /// The message key of the product kind's name.
    pub(crate) fn kind_key(&self) -> String {
        format!("kind.{}", self.kind)
    }
}

/// The public advisories, newest first.
async fn advisories(state: &AppState) -> AppResult<Vec<Advisory>> {
    let mut out = Vec::new();
    for (product, object) in visible_products(state, &public(), SCAN, None).await? {
        if product.exercise {
            continue;
        }
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&object.raw) else {
            continue;
        };
        let Some(info) = vigia_watch::product::ProductInfo::read(&value) else {
            continue;
        };
        let created = value["created"]
            .as_str()
            .and_then(|c| Timestamp::parse(c).ok());
        let updated = info.version.unwrap_or(object.date_added);
        out.push(Advisory {
            id: info.id.clone(),
            title: info.title.clone(),
            kind: product.kind,
            severity: product.severity,
            description: info.description.clone(),
            cves: info.cves.clone(),
            published: created.unwrap_or(updated),
            updated,
            originator: object
                .audience
                .originator
                .as_ref()
                .map(|t| t.as_str().to_owned()),
            info,
        });
    }
    out.sort_by_key(|a| std::cmp::Reverse(a.updated));
    Ok(out)
}

/// A response any cache may keep, answered 304 when the client already
/// holds this very body.
fn cacheable(
    headers: &HeaderMap,
    content_type: &'static str,
    body: String,
    last_modified: Option<Timestamp>,
) -> Response {
    let etag = format!(
        "\"{}\"",
        hex::encode(&Sha256::digest(body.as_bytes())[..16])
    );
    let modified = last_modified.map(|t| {
        let micros = u64::try_from(t.unix_micros()).unwrap_or_default();
        // HTTP dates have whole seconds.
        SystemTime::UNIX_EPOCH + Duration::from_secs(micros / 1_000_000)
    });
    let mut response = if not_modified(headers, &etag, modified) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type)], body).into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Some(m) = modified {
        if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(m)) {
            h.insert(header::LAST_MODIFIED, v);
        }
    }
    if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={MAX_AGE_SECS}")) {
        h.insert(header::CACHE_CONTROL, v);
    }
    // Pages are in the reader's language.
    h.insert(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Cookie"),
    );
    response
}

/// RFC 9110 §13.2.2: If-None-Match decides when present; otherwise
/// If-Modified-Since.
fn not_modified(headers: &HeaderMap, etag: &str, modified: Option<SystemTime>) -> bool {
    if let Some(inm) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        return inm
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == "*" || t == etag);
    }
    let since = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok());
    matches!((since, modified), (Some(since), Some(m)) if m <= since)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn conditional_requests_follow_rfc_9110() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let date = httpdate::fmt_http_date(at);
        let etag = "\"abc\"";
        assert!(not_modified(
            &headers(&[(header::IF_NONE_MATCH, "\"x\", \"abc\"")]),
            etag,
            None
        ));
        assert!(not_modified(
            &headers(&[(header::IF_NONE_MATCH, "W/\"abc\"")]),
            etag,
            None
        ));
        assert!(!not_modified(
            &headers(&[(header::IF_NONE_MATCH, "\"x\"")]),
            etag,
            Some(at)
        ));
        // If-None-Match wins over If-Modified-Since.
        assert!(!not_modified(
            &headers(&[
                (header::IF_NONE_MATCH, "\"x\""),
                (header::IF_MODIFIED_SINCE, &date)
            ]),
            etag,
            Some(at)
        ));
        assert!(not_modified(
            &headers(&[(header::IF_MODIFIED_SINCE, &date)]),
            etag,
            Some(at)
        ));
        let earlier = httpdate::fmt_http_date(at - Duration::from_secs(1));
        assert!(!not_modified(
            &headers(&[(header::IF_MODIFIED_SINCE, &earlier)]),
            etag,
            Some(at)
        ));
        assert!(!not_modified(
            &headers(&[(header::IF_MODIFIED_SINCE, "yesterday")]),
            etag,
            Some(at)
        ));
        assert!(!not_modified(&HeaderMap::new(), etag, Some(at)));
    }

    #[test]
    fn a_cacheable_page_carries_its_validators() {
        let r = cacheable(&HeaderMap::new(), "text/plain", "hello".into(), None);
        assert_eq!(r.status(), StatusCode::OK);
        let etag = r.headers()[header::ETAG].to_str().unwrap().to_owned();
        assert!(r.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .starts_with("public"));
        let again = cacheable(
            &headers(&[(header::IF_NONE_MATCH, &etag)]),
            "text/plain",
            "hello".into(),
            None,
        );
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    }
}
