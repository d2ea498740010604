//! The public advisories as an Atom feed (RFC 4287) and as a JSON Feed
//! 1.1, both with absolute links from the node's public URL.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::json;

use super::{advisories, cacheable, Advisory};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Entries in a feed: the newest.
const FEED_ENTRIES: usize = 50;

#[derive(Template)]
#[template(path = "portal/atom.xml")]
struct Atom<'a> {
    base: &'a str,
    team_name: &'a str,
    updated: String,
    advisories: &'a [Advisory],
}

/// `GET /feeds/advisories.atom`
pub(crate) async fn atom(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    let mut list = advisories(&state).await?;
    list.truncate(FEED_ENTRIES);
    let last = list.first().map(|a| a.updated);
    let feed = Atom {
        base: state.node.public_url.trim_end_matches('/'),
        team_name: &state.node.team_name,
        // A feed with no entries was last updated when it was made empty:
        // the epoch says "never".
        updated: last.map_or_else(
            || "1970-01-01T00:00:00Z".to_owned(),
            |t| t.to_millis_string(),
        ),
        advisories: &list,
    };
    let xml = feed
        .render()
        .map_err(|e| AppError::Internal(format!("template: {e}")))?;
    Ok(cacheable(
        &headers,
        "application/atom+xml; charset=utf-8",
        xml,
        last,
    ))
}

/// `GET /feeds/advisories.json` (JSON Feed 1.1)
pub(crate) async fn json(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    let mut list = advisories(&state).await?;
    list.truncate(FEED_ENTRIES);
    let last = list.first().map(|a| a.updated);
    let base = state.node.public_url.trim_end_matches('/');
    let items: Vec<_> = list
        .iter()
        .map(|a| {
            json!({
                "id": format!("{base}/advisories/{}", a.id),
                "url": format!("{base}/advisories/{}", a.id),
                "title": a.title,
                "content_text": a.description,
                "date_published": a.published.to_millis_string(),
                "date_modified": a.updated.to_millis_string(),
                "tags": [a.kind, format!("severity:{}", a.severity)],
                "_vigia": {"stix_id": a.id, "tlp": "clear", "cves": a.cves},
            })
        })
        .collect();
    let feed = json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": format!("{}: advisories and alerts", state.node.team_name),
        "home_page_url": format!("{base}/advisories"),
        "feed_url": format!("{base}/feeds/advisories.json"),
        "authors": [{"name": state.node.team_name}],
        "items": items,
    });
    Ok(cacheable(
        &headers,
        "application/feed+json",
        feed.to_string(),
        last,
    ))
}
