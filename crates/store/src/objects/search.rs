//! Full-text search over stored objects: FTS5 on SQLite, a GIN-indexed
//! tsvector on PostgreSQL.
//!
//! What is searched is the same on both: name, title, observable values
//! (`value`, `hashes`), indicator patterns, abstract, description and note
//! content. SQLite reads it through the view `object_search_source`
//! (migration 0008) and splits words with its `unicode61` tokenizer;
//! PostgreSQL's documents are built by the node ([`document`]), in the
//! same words. Every stored version is indexed, by the derived-index
//! indexer (`crate::derived`) soon after its insert, and inline by a search
//! that finds it not yet indexed; a search returns the latest version of
//! each object whose latest version matches.
//!
//! A query is free text typed by a person. It is never spliced into SQL or
//! handed to a query parser as syntax: each word becomes a phrase of its
//! letters and digits (so `198.51.100.7` finds that address in a pattern
//! and `evil.example` that domain), and every word must match.

mod document;

use sqlx::AnyConnection;

use super::{stored_object, StoredObject, COLUMNS};
use crate::db::{Backend, Store};
use crate::error::StoreError;
use crate::sql::{Stmt, MAX_PARAMS};

/// The longest search query accepted, in characters. Enough for several
/// hashes or a long URL; longer text is refused rather than cut, since a
/// cut word would search for something else.
pub const MAX_SEARCH_QUERY_CHARS: usize = 200;

/// The query's words: split at white space and control characters, keeping
/// only words with a letter or digit (the rest tokenise to nothing on both
/// back-ends). Empty if there is nothing to search for.
fn query_words(query: &str) -> Result<Vec<&str>, StoreError> {
    let query = query.trim();
    let chars = query.chars().count();
    if chars > MAX_SEARCH_QUERY_CHARS {
        return Err(StoreError::SearchQuery {
            reason: format!(
                "{chars} characters, more than the {MAX_SEARCH_QUERY_CHARS} a search accepts"
            ),
        });
    }
    Ok(query
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .collect())
}

/// An FTS5 query matching every word as a phrase. Inside a quoted string
/// FTS5 has no operators, no column filters and no prefixes; the only
/// special character is `"`, which is doubled.
fn fts5_query(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) async fn search_objects(
    store: &Store,
    query: &str,
    access_keys: Option<&[String]>,
    limit: u32,
) -> Result<Vec<StoredObject>, StoreError> {
    let words = query_words(query)?;
    if words.is_empty() || limit == 0 || access_keys.is_some_and(<[String]>::is_empty) {
        return Ok(Vec::new());
    }
    store.catch_up(crate::derived::Derived::Search).await?;
    let mut stmt = match store.backend {
        Backend::Sqlite => {
            let mut stmt = Stmt::new(
                store.backend,
                &format!(
                    "SELECT {COLUMNS} FROM object_search \
                     JOIN objects o ON o.date_added = object_search.rowid \
                     WHERE object_search MATCH "
                ),
            );
            stmt.bind(fts5_query(&words)).sql(" AND o.is_latest = 1");
            visible_only(&mut stmt, access_keys);
            stmt.sql(" ORDER BY object_search.rowid DESC LIMIT ");
            stmt
        }
        Backend::Postgres => {
            let Some(tsquery) = document::tsquery(&words) else {
                return Ok(Vec::new());
            };
            let mut stmt = Stmt::new(
                store.backend,
                &format!(
                    "SELECT {COLUMNS} FROM object_search s \
                     JOIN objects o ON o.date_added = s.date_added WHERE s.document @@ "
                ),
            );
            stmt.bind(tsquery).sql("::tsquery AND o.is_latest = 1");
            visible_only(&mut stmt, access_keys);
            stmt.sql(" ORDER BY s.date_added DESC LIMIT ");
            stmt
        }
    };
    stmt.bind(i64::from(limit));
    let rows = stmt.query()?.fetch_all(&store.pool).await?;
    rows.iter().map(stored_object).collect()
}

/// Narrows a search to objects indexed under one of the viewer's access
/// keys (`vigia_policy::viewer_keys`), so that the limit counts candidates
/// the viewer may see, not everyone's.
fn visible_only<'a>(stmt: &mut Stmt<'a>, access_keys: Option<&'a [String]>) {
    if let Some(keys) = access_keys {
        stmt.sql(
            " AND o.date_added IN (SELECT date_added FROM object_access WHERE access_key IN (",
        )
        .bind_list(keys.iter().map(String::as_str))
        .sql("))");
    }
}

/// The raw JSON's escape for U+0000: objects holding it are indexed
/// through SQLite's `object_search_source`, which swaps it for a space;
/// the rest through `object_search_source_plain` (migration 0014).
pub(crate) const NUL_ESCAPE: &str = "\\u0000";

/// Indexes the objects stored at `first..=last`, none of them indexed
/// yet. Called by the derived-index indexer (`crate::derived`).
pub(crate) async fn index_stored(
    conn: &mut AnyConnection,
    backend: Backend,
    first: i64,
    last: i64,
) -> Result<(), StoreError> {
    let with_nul: Vec<i64> = match backend {
        // PostgreSQL's view handles both kinds of row.
        Backend::Postgres => Vec::new(),
        // SQLite string literals have no escapes: the literal is the six
        // characters of NUL_ESCAPE.
        Backend::Sqlite => {
            sqlx::query_scalar(&format!(
                "SELECT date_added FROM objects WHERE date_added >= $1 AND date_added <= $2 \
             AND instr(raw, '{NUL_ESCAPE}') > 0 ORDER BY date_added"
            ))
            .bind(first)
            .bind(last)
            .fetch_all(&mut *conn)
            .await?
        }
    };
    index_range(conn, backend, first, last, &with_nul).await
}

/// Indexes the objects stored at `first..=last`. `with_nul` lists, in
/// order, those among them whose raw JSON holds [`NUL_ESCAPE`].
pub(crate) async fn index_range(
    conn: &mut AnyConnection,
    backend: Backend,
    first: i64,
    last: i64,
    with_nul: &[i64],
) -> Result<(), StoreError> {
    if backend == Backend::Postgres {
        return index_postgres(conn, first, last).await;
    }
    for chunk in with_nul.chunks(MAX_PARAMS) {
        let mut nul = sqlite_index_from("object_search_source");
        nul.sql("IN (").bind_list(chunk.iter().copied()).sql(")");
        nul.query()?.execute(&mut *conn).await?;
    }
    index_plain_between(conn, first, last, with_nul).await
}

/// Documents written per INSERT on PostgreSQL.
const DOCUMENTS_PER_INSERT: usize = 500;

/// Reads the objects stored at `first..=last` and writes their documents,
/// built on a blocking thread (about 12 ms of CPU per 1,000 objects,
/// reading them back included). Correlation's pass reads the same rows
/// for itself: the two run side by side, each on a backend of its own.
async fn index_postgres(conn: &mut AnyConnection, first: i64, last: i64) -> Result<(), StoreError> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT date_added, raw FROM objects WHERE date_added >= $1 AND date_added <= $2",
    )
    .bind(first)
    .bind(last)
    .fetch_all(&mut *conn)
    .await?;
    let documents = tokio::task::spawn_blocking(move || {
        rows.into_iter()
            .map(|(at, raw)| (at, document::tsvector(&raw)))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| StoreError::Worker {
        what: "building search documents",
        reason: e.to_string(),
    })?;
    for chunk in documents.chunks(DOCUMENTS_PER_INSERT) {
        let mut stmt = Stmt::new(
            Backend::Postgres,
            "INSERT INTO object_search (date_added, document) VALUES ",
        );
        for (k, (at, document)) in chunk.iter().enumerate() {
            stmt.sql(if k == 0 { "(" } else { ", (" });
            stmt.bind(*at)
                .sql(", ")
                .bind(document.as_str())
                .sql("::tsvector)");
        }
        stmt.query()?.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Indexes, from SQLite's `view`, the rows whose `date_added` the caller
/// goes on to name.
fn sqlite_index_from<'a>(view: &str) -> Stmt<'a> {
    Stmt::new(
        Backend::Sqlite,
        &format!(
            "INSERT INTO object_search (rowid, body) SELECT date_added, body \
             FROM {view} WHERE date_added "
        ),
    )
}

/// The plain rows of `first..=last`: the ranges between `with_nul`
/// (sorted), one statement each.
async fn index_plain_between(
    conn: &mut AnyConnection,
    first: i64,
    last: i64,
    with_nul: &[i64],
) -> Result<(), StoreError> {
    let mut from = first;
    for &skip in with_nul.iter().chain(std::iter::once(&(last + 1))) {
        if skip > from {
            let mut stmt = sqlite_index_from("object_search_source_plain");
            stmt.sql(">= ")
                .bind(from)
                .sql(" AND date_added <= ")
                .bind(skip - 1);
            stmt.query()?.execute(&mut *conn).await?;
        }
        from = skip + 1;
    }
    Ok(())
}

/// Removes the object stored at `date_added` from the index.
pub(crate) async fn unindex(
    conn: &mut AnyConnection,
    backend: Backend,
    date_added: i64,
) -> Result<(), StoreError> {
    let sql = match backend {
        Backend::Sqlite => "DELETE FROM object_search WHERE rowid = $1",
        Backend::Postgres => "DELETE FROM object_search WHERE date_added = $1",
    };
    sqlx::query(sql)
        .bind(date_added)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_split_at_space_and_control_characters() {
        assert_eq!(
            query_words("  evil.example\t198.51.100.7\0x\n").unwrap(),
            ["evil.example", "198.51.100.7", "x"]
        );
    }

    #[test]
    fn words_without_letters_or_digits_are_dropped() {
        assert_eq!(query_words("* - : \" ' ( ) NEAR(").unwrap(), ["NEAR("]);
        assert!(query_words("   ").unwrap().is_empty());
        assert!(query_words("").unwrap().is_empty());
    }

    #[test]
    fn long_queries_are_refused_by_characters_not_bytes() {
        let at_limit = "é".repeat(MAX_SEARCH_QUERY_CHARS);
        assert_eq!(query_words(&at_limit).unwrap(), [at_limit.as_str()]);
        let over = "a".repeat(MAX_SEARCH_QUERY_CHARS + 1);
        assert!(matches!(
            query_words(&over),
            Err(StoreError::SearchQuery { .. })
        ));
    }

    #[test]
    fn fts5_phrases_double_their_quotes() {
        assert_eq!(
            fts5_query(&["a\"b", "NEAR(x", "c*"]),
            "\"a\"\"b\" \"NEAR(x\" \"c*\""
        );
    }
}
