//! Awareness pages: Markdown the team writes for the public, per language.

use sqlx::any::AnyRow;

use crate::db::Store;
use crate::error::StoreError;
use crate::sql::col;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AwarenessPage {
    pub slug: String,
    pub lang: String,
    pub title: String,
    pub markdown: String,
    pub updated_at: i64,
    pub updated_by: String,
}

fn page(row: &AnyRow) -> Result<AwarenessPage, StoreError> {
    let what = || "awareness page row".to_owned();
    Ok(AwarenessPage {
        slug: col(row, "slug", &what)?,
        lang: col(row, "lang", &what)?,
        title: col(row, "title", &what)?,
        markdown: col(row, "markdown", &what)?,
        updated_at: col(row, "updated_at", &what)?,
        updated_by: col(row, "updated_by", &what)?,
    })
}

impl Store {
    pub async fn put_awareness_page(&self, p: &AwarenessPage) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO awareness_pages (slug, lang, title, markdown, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (slug, lang) DO UPDATE SET \
             title = excluded.title, markdown = excluded.markdown, \
             updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(&p.slug)
        .bind(&p.lang)
        .bind(&p.title)
        .bind(&p.markdown)
        .bind(p.updated_at)
        .bind(&p.updated_by)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// `false` when there was no such page.
    pub async fn delete_awareness_page(&self, slug: &str, lang: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM awareness_pages WHERE slug = $1 AND lang = $2")
            .bind(slug)
            .bind(lang)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Every page in every language, newest change first.
    pub async fn awareness_pages(&self) -> Result<Vec<AwarenessPage>, StoreError> {
        let rows = sqlx::query(
            "SELECT slug, lang, title, markdown, updated_at, updated_by FROM awareness_pages \
             ORDER BY updated_at DESC, slug, lang LIMIT 1000",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(page).collect()
    }

    /// A page in each language it is written in.
    pub async fn awareness_page(&self, slug: &str) -> Result<Vec<AwarenessPage>, StoreError> {
        let rows = sqlx::query(
            "SELECT slug, lang, title, markdown, updated_at, updated_by FROM awareness_pages \
             WHERE slug = $1 ORDER BY lang",
        )
        .bind(slug)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(page).collect()
    }
}
