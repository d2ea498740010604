//! Awareness pages (issue 9): Markdown the team writes for the public, in
//! the OAS languages, rendered with pulldown-cmark and sanitised with
//! ammonia, so no script, event handler or `javascript:` link reaches a
//! reader whatever the Markdown holds. The portal's CSP forbids inline
//! script besides.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use vigia_store::AwarenessPage;

use crate::auth::Caller;
use crate::console::LANGUAGES;
use crate::error::{AppError, AppResult};
use crate::state::{now, AppState};

/// Largest page, in bytes of Markdown.
pub(crate) const MAX_MARKDOWN: usize = 100 * 1024;
const MAX_TITLE: usize = 200;

/// Safe HTML from Markdown.
pub(crate) fn render(markdown: &str) -> String {
    use pulldown_cmark::{Options, Parser};
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .url_schemes(["https", "http", "mailto", "tel"].into())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&html)
        .to_string()
}

pub(crate) fn check_slug(slug: &str) -> AppResult<()> {
    let ok = !slug.is_empty()
        && slug.len() <= 64
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(AppError::field(
            "slug",
            format!("{slug:?} is not 1 to 64 lower-case letters, digits and hyphens"),
        ))
    }
}

fn check_lang(lang: &str) -> AppResult<()> {
    if LANGUAGES.contains(&lang) {
        Ok(())
    } else {
        Err(AppError::field(
            "lang",
            format!("{lang:?} is not one of {}", LANGUAGES.join(", ")),
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageBody {
    title: String,
    markdown: String,
}

/// `PUT /api/awareness/{slug}/{lang}`: write or replace a page.
pub(crate) async fn put(
    State(state): State<AppState>,
    caller: Caller,
    Path((slug, lang)): Path<(String, String)>,
    Json(b): Json<PageBody>,
) -> AppResult<Json<Value>> {
    caller.require_writer()?;
    check_slug(&slug)?;
    check_lang(&lang)?;
    let title = b.title.trim().to_owned();
    if title.is_empty() || title.chars().count() > MAX_TITLE {
        return Err(AppError::field(
            "title",
            format!("give a title of 1 to {MAX_TITLE} characters"),
        ));
    }
    if b.markdown.len() > MAX_MARKDOWN {
        return Err(AppError::field(
            "markdown",
            format!("{} bytes is more than {MAX_MARKDOWN}", b.markdown.len()),
        ));
    }
    let page = AwarenessPage {
        slug: slug.clone(),
        lang: lang.clone(),
        title,
        markdown: b.markdown,
        updated_at: now().unix_micros(),
        updated_by: caller.actor.clone(),
    };
    state.store.put_awareness_page(&page).await?;
    state
        .audit(
            &caller.actor,
            "awareness.put",
            Some(&format!("{slug}/{lang}")),
            "ok",
            json!({}),
        )
        .await?;
    Ok(Json(
        json!({"slug": slug, "lang": lang, "href": format!("/awareness/{slug}?lang={lang}")}),
    ))
}

/// `DELETE /api/awareness/{slug}/{lang}`
pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((slug, lang)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    caller.require_writer()?;
    if !state.store.delete_awareness_page(&slug, &lang).await? {
        return Err(AppError::NotFound(format!("awareness page {slug}/{lang}")));
    }
    state
        .audit(
            &caller.actor,
            "awareness.delete",
            Some(&format!("{slug}/{lang}")),
            "ok",
            json!({}),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/awareness`: every page and language, with the Markdown.
pub(crate) async fn list(State(state): State<AppState>) -> AppResult<Json<Value>> {
    Ok(Json(
        json!({ "pages": state.store.awareness_pages().await? }),
    ))
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn markdown_is_rendered_and_anything_active_is_removed() {
        let html = render(
            "# Phishing\n\n**Never** give your password. <script>alert(1)</script>\n\n\
             [safe](https://www.example.org) [bad](javascript:alert(1)) \
             <img src=x onerror=alert(1)> <a href=\"#\" onclick=\"x()\">c</a>\n",
        );
        assert!(
            html.contains("<h1>Phishing</h1>") && html.contains("<strong>Never</strong>"),
            "{html}"
        );
        assert!(html.contains("href=\"https://www.example.org\""), "{html}");
        for active in ["<script", "javascript:", "onerror", "onclick"] {
            assert!(!html.contains(active), "{active} in {html}");
        }
    }
}
