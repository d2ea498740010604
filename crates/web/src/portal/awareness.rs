//! The portal's awareness pages: the team's Markdown, rendered safely, in
//! the reader's language when it is written in it, else in another.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use vigia_store::AwarenessPage;

use super::pages::{page, Frame, Lang};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

struct Item {
    slug: String,
    title: String,
    lang: String,
}

#[derive(Template)]
#[template(path = "portal/awareness_list.html")]
struct ListPage {
    p: Frame,
    items: Vec<Item>,
}

#[derive(Template)]
#[template(path = "portal/awareness.html")]
struct OnePage {
    p: Frame,
    title: String,
    lang: String,
    /// Sanitised HTML.
    html: String,
    others: Vec<String>,
    slug: String,
    translated: bool,
}

/// The reader's language if the page is written in it, else English,
/// else any.
fn pick<'a>(versions: &'a [AwarenessPage], lang: &str) -> Option<&'a AwarenessPage> {
    versions
        .iter()
        .find(|p| p.lang == lang)
        .or_else(|| versions.iter().find(|p| p.lang == "en"))
        .or_else(|| versions.first())
}

fn stamp(micros: i64) -> Option<vigia_stix::Timestamp> {
    vigia_stix::Timestamp::from_unix_micros(micros).ok()
}

/// `GET /awareness`
pub(crate) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(lang): Query<Lang>,
) -> AppResult<Response> {
    let p = Frame::new(&state, &headers, &lang);
    let all = state.store.awareness_pages().await?;
    let last = all.iter().map(|a| a.updated_at).max().and_then(stamp);
    let mut slugs: Vec<&str> = all.iter().map(|a| a.slug.as_str()).collect();
    slugs.sort_unstable();
    slugs.dedup();
    let items = slugs
        .into_iter()
        .filter_map(|slug| {
            let versions: Vec<AwarenessPage> =
                all.iter().filter(|a| a.slug == slug).cloned().collect();
            pick(&versions, p.m.lang).map(|v| Item {
                slug: v.slug.clone(),
                title: v.title.clone(),
                lang: v.lang.clone(),
            })
        })
        .collect();
    page(&headers, &ListPage { p, items }, last)
}

/// `GET /awareness/{slug}`
pub(crate) async fn one(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(lang): Query<Lang>,
) -> AppResult<Response> {
    crate::awareness::check_slug(&slug)?;
    let p = Frame::new(&state, &headers, &lang);
    let versions = state.store.awareness_page(&slug).await?;
    let v = pick(&versions, p.m.lang)
        .ok_or_else(|| AppError::NotFound(format!("awareness page {slug}")))?;
    let others = versions
        .iter()
        .filter(|o| o.lang != v.lang)
        .map(|o| o.lang.clone())
        .collect();
    let one = OnePage {
        title: v.title.clone(),
        lang: v.lang.clone(),
        html: crate::awareness::render(&v.markdown),
        translated: v.lang == p.m.lang,
        others,
        slug,
        p,
    };
    page(&headers, &one, stamp(v.updated_at))
}
