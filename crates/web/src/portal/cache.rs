//! Rendered public pages, kept in memory so that a burst of readers (an
//! advisory everyone links to) costs one rendering, not one per reader.
//!
//! A page is fresh while nothing new was stored (the live-stream hub's
//! cursor, which follows the store on every replica) and for at most
//! [`TTL`], which bounds the staleness of what is not an object (the
//! member-state register). A stale page is rendered again in the
//! background, once, while readers keep getting the kept copy; a node
//! that stores objects all the time re-renders a page at most every
//! [`MIN_REFRESH`]. The map is bounded, since the public chooses the URLs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::console::messages;
use crate::state::AppState;

/// The longest a page is served from memory without asking again.
const TTL: Duration = Duration::from_secs(10);
/// The least time between two renderings of one page.
const MIN_REFRESH: Duration = Duration::from_secs(1);
/// A page older than this is never served: the reader waits for a new one.
const MAX_AGE: Duration = Duration::from_secs(60);
/// Pages kept; past this the map starts afresh.
const MAX_ENTRIES: usize = 2_048;
/// Larger bodies are not kept.
const MAX_BODY: usize = 1024 * 1024;

#[derive(Clone, Default)]
pub(crate) struct PageCache(Arc<Mutex<HashMap<String, Cached>>>);

#[derive(Clone)]
struct Cached {
    cursor: i64,
    made: Instant,
    /// Set while a rendering of the page is under way.
    refreshing: bool,
    headers: HeaderMap,
    body: Bytes,
}

/// What the cache holds for a request.
enum Lookup {
    Fresh(Cached),
    /// Serve it, and render the page again in the background.
    Refresh(Cached),
    Miss,
}

fn cursor(state: &AppState) -> i64 {
    state.watch().map_or(-1, |w| w.hub.cursor())
}

/// Serves a GET from memory when it can, else renders it and keeps it.
pub(crate) async fn layer(
    State((state, cache)): State<(AppState, PageCache)>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let key = format!("{}|{}", request.uri(), messages(request.headers()).lang);
    let now = cursor(&state);
    match cache.lookup(&key, now) {
        Lookup::Fresh(c) => answer(request.headers(), &c),
        Lookup::Refresh(c) => {
            let conditional = request.headers().clone();
            let cache = cache.clone();
            tokio::spawn(async move { cache.render(key, now, request, next).await });
            answer(&conditional, &c)
        }
        Lookup::Miss => {
            let conditional = request.headers().clone();
            match cache.render(key, now, request, next).await {
                Ok(entry) => answer(&conditional, &entry),
                Err(response) => response,
            }
        }
    }
}

impl PageCache {
    fn lookup(&self, key: &str, now: i64) -> Lookup {
        let Ok(mut m) = self.0.lock() else {
            return Lookup::Miss;
        };
        let Some(c) = m.get_mut(key) else {
            return Lookup::Miss;
        };
        let age = c.made.elapsed();
        if age < MIN_REFRESH || (c.cursor == now && age < TTL) {
            return Lookup::Fresh(c.clone());
        }
        if age >= MAX_AGE {
            return Lookup::Miss;
        }
        if c.refreshing {
            return Lookup::Fresh(c.clone());
        }
        c.refreshing = true;
        Lookup::Refresh(c.clone())
    }

    /// Renders the whole page (the client's conditions are answered from
    /// the kept copy) and keeps it if it is a 200.
    async fn render(
        &self,
        key: String,
        cursor: i64,
        mut request: Request,
        next: Next,
    ) -> Result<Cached, Response> {
        request.headers_mut().remove(header::IF_NONE_MATCH);
        request.headers_mut().remove(header::IF_MODIFIED_SINCE);
        let response = next.run(request).await;
        if response.status() != StatusCode::OK {
            // Let a later reader try again.
            if let Ok(mut m) = self.0.lock() {
                if let Some(c) = m.get_mut(&key) {
                    c.refreshing = false;
                }
            }
            return Err(response);
        }
        let (parts, body) = response.into_parts();
        let body = to_bytes(body, MAX_BODY)
            .await
            .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())?;
        let entry = Cached {
            cursor,
            made: Instant::now(),
            refreshing: false,
            headers: parts.headers,
            body,
        };
        if let Ok(mut m) = self.0.lock() {
            if m.len() >= MAX_ENTRIES {
                m.clear();
            }
            m.insert(key, entry.clone());
        }
        Ok(entry)
    }
}

/// The kept page, or 304 when the client holds it already.
fn answer(request: &HeaderMap, c: &Cached) -> Response {
    let etag = c
        .headers
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let modified = c
        .headers
        .get(header::LAST_MODIFIED)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok());
    let fresh = super::not_modified(request, etag, modified);
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Response::new(Body::from(c.body.clone()))
    };
    for (name, value) in &c.headers {
        if fresh && (name == header::CONTENT_TYPE || name == header::CONTENT_LENGTH) {
            continue;
        }
        response.headers_mut().insert(name.clone(), value.clone());
    }
    if !fresh {
        if let Ok(v) = HeaderValue::from_str(&c.body.len().to_string()) {
            response.headers_mut().insert(header::CONTENT_LENGTH, v);
        }
    }
    response
}
