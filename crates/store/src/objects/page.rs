//! Paging through objects in `date_added` order.
//!
//! The database is never asked to find every matching row and sort it.
//! A window of the next `date_added` values is read from an index (the
//! primary key; or each access key's `(access_key, date_added)` range, or
//! without keys each type's `(type, date_added)` range, merged here), then
//! only that window of objects is read and
//! filtered. A window the filters empty is followed by a larger one until
//! the page is full or the source runs out. The plans stay the same
//! whatever the planner's statistics say.
//!
//! Named ids are more selective than any window: such a query starts from
//! the id index instead.

use std::collections::HashMap;

use super::{stored_object, ObjectQuery, StoredObject, VersionFilter, COLUMNS};
use crate::db::Store;
use crate::error::StoreError;
use crate::sql::{col, Stmt};

/// The most candidates read in one window.
const MAX_WINDOW: usize = 10_000;
/// Candidates per object fetch, leaving parameters for the filters.
const DATES_PER_FETCH: usize = 5_000;

/// Where a window's `date_added` values come from: the primary key, or
/// the `(tag, date_added)` index ranges of some tags, merged.
enum Source<'q> {
    Everything,
    Tagged(Tags, Vec<&'q str>),
}

/// An index of `(tag, date_added)`.
#[derive(Clone, Copy)]
enum Tags {
    /// `object_access (access_key, date_added)`.
    AccessKeys,
    /// `objects (type, date_added)`.
    Types,
}

impl Tags {
    fn table_and_column(self) -> (&'static str, &'static str) {
        match self {
            Tags::AccessKeys => ("object_access", "access_key"),
            Tags::Types => ("objects", "type"),
        }
    }
}

/// One window: the candidates in ascending order, and whether the source
/// has nothing after them.
struct Window {
    dates: Vec<i64>,
    exhausted: bool,
}

pub(super) async fn query_objects(
    store: &Store,
    q: &ObjectQuery,
) -> Result<Vec<StoredObject>, StoreError> {
    if q.limit == 0 || matches!(&q.versions, VersionFilter::At(v) if v.is_empty()) {
        return Ok(Vec::new());
    }
    let after = q.added_after.map_or(i64::MIN, |t| t.unix_micros());
    let keys: Option<Vec<&str>> = q.access_keys.as_ref().map(|keys| {
        let mut keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    });
    let source = match keys {
        Some(keys) if keys.is_empty() => return Ok(Vec::new()),
        keys if !q.ids.is_empty() => return by_ids(store, q, after, keys.as_deref()).await,
        Some(keys) => Source::Tagged(Tags::AccessKeys, keys),
        None if !q.types.is_empty() => {
            let mut types: Vec<&str> = q.types.iter().map(String::as_str).collect();
            types.sort_unstable();
            types.dedup();
            Source::Tagged(Tags::Types, types)
        }
        None => Source::Everything,
    };
    walk(store, q, after, source).await
}

/// Ids named: every version of them is found by the id index, then
/// narrowed by access key and filters. Each step is a plain index lookup,
/// so no planner estimate can turn it into a scan of a key's whole range.
async fn by_ids(
    store: &Store,
    q: &ObjectQuery,
    after: i64,
    keys: Option<&[&str]>,
) -> Result<Vec<StoredObject>, StoreError> {
    let mut dates = Vec::new();
    for ids in q.ids.chunks(DATES_PER_FETCH) {
        let mut stmt = Stmt::new(
            store.backend,
            "SELECT date_added FROM objects WHERE id IN (",
        );
        stmt.bind_list(ids.iter().map(String::as_str))
            .sql(") AND date_added > ")
            .bind(after);
        dates.extend(read_dates(&mut stmt, store).await?);
    }
    dates.sort_unstable();
    dates.dedup();
    if let Some(keys) = keys {
        let mut visible = Vec::new();
        for chunk in dates.chunks(DATES_PER_FETCH) {
            let mut stmt = Stmt::new(
                store.backend,
                "SELECT DISTINCT date_added FROM object_access WHERE access_key IN (",
            );
            stmt.bind_list(keys.iter().copied())
                .sql(") AND date_added IN (")
                .bind_list(chunk.iter().copied())
                .sql(")");
            visible.extend(read_dates(&mut stmt, store).await?);
        }
        visible.sort_unstable();
        dates = visible;
    }
    let limit = q.limit as usize;
    let mut out = Vec::new();
    for chunk in dates.chunks(DATES_PER_FETCH) {
        if out.len() >= limit {
            break;
        }
        out.extend(fetch_dates(store, q, chunk).await?);
    }
    out.truncate(limit);
    Ok(out)
}

async fn read_dates(stmt: &mut Stmt<'_>, store: &Store) -> Result<Vec<i64>, StoreError> {
    let rows = stmt.query()?.fetch_all(&store.pool).await?;
    let what = || "object date_added".to_owned();
    rows.iter().map(|r| col(r, "date_added", &what)).collect()
}

async fn walk(
    store: &Store,
    q: &ObjectQuery,
    after: i64,
    source: Source<'_>,
) -> Result<Vec<StoredObject>, StoreError> {
    let limit = q.limit as usize;
    let mut size = limit.min(MAX_WINDOW);
    let mut cursor = after;
    let mut out = Vec::new();
    loop {
        let window = match &source {
            Source::Everything => everything_window(store, cursor, size).await?,
            Source::Tagged(tags, values) => {
                tagged_window(store, *tags, values, cursor, size).await?
            }
        };
        let Some(&last) = window.dates.last() else {
            break;
        };
        match &source {
            Source::Everything => out.extend(fetch_range(store, q, cursor, last).await?),
            Source::Tagged(..) => {
                for chunk in window.dates.chunks(DATES_PER_FETCH) {
                    out.extend(fetch_dates(store, q, chunk).await?);
                }
            }
        }
        cursor = last;
        if out.len() >= limit || window.exhausted {
            break;
        }
        // The filters are selective here; look further ahead next time.
        size = (size * 2).min(MAX_WINDOW);
    }
    out.truncate(limit);
    Ok(out)
}

async fn everything_window(store: &Store, cursor: i64, size: usize) -> Result<Window, StoreError> {
    let rows = sqlx::query(
        "SELECT date_added FROM objects WHERE date_added > $1 ORDER BY date_added LIMIT $2",
    )
    .bind(cursor)
    .bind(size as i64)
    .fetch_all(&store.pool)
    .await?;
    let what = || "object date_added".to_owned();
    let dates = rows
        .iter()
        .map(|r| col(r, "date_added", &what))
        .collect::<Result<Vec<i64>, _>>()?;
    Ok(Window {
        exhausted: dates.len() < size,
        dates,
    })
}

/// The next `size` distinct `date_added` values after `cursor` that carry
/// any of these tags.
async fn tagged_window(
    store: &Store,
    tags: Tags,
    values: &[&str],
    cursor: i64,
    size: usize,
) -> Result<Window, StoreError> {
    let (table, column) = tags.table_and_column();
    let mut stmt = Stmt::new(store.backend, "");
    for (i, &value) in values.iter().enumerate() {
        if i > 0 {
            stmt.sql(" UNION ALL ");
        }
        stmt.sql(&format!(
            "SELECT * FROM (SELECT {column} AS tag, date_added FROM {table} WHERE {column} = "
        ))
        .bind(value)
        .sql(" AND date_added > ")
        .bind(cursor)
        .sql(" ORDER BY date_added LIMIT ")
        .bind(size as i64)
        .sql(&format!(") AS k{i}"));
    }
    let rows = stmt.query()?.fetch_all(&store.pool).await?;
    let what = || format!("{table} index");
    let mut per_tag: HashMap<String, (usize, i64)> = HashMap::new();
    let mut dates = Vec::with_capacity(rows.len());
    for row in &rows {
        let at: i64 = col(row, "date_added", &what)?;
        let entry = per_tag.entry(col(row, "tag", &what)?).or_insert((0, at));
        entry.0 += 1;
        entry.1 = entry.1.max(at);
        dates.push(at);
    }
    // A tag that filled its window may have more rows beyond its last one:
    // only values up to the smallest such last value are known complete.
    let horizon = per_tag
        .values()
        .filter(|(count, _)| *count >= size)
        .map(|(_, last)| *last)
        .min();
    if let Some(h) = horizon {
        dates.retain(|&d| d <= h);
    }
    dates.sort_unstable();
    dates.dedup();
    let truncated = dates.len() > size;
    dates.truncate(size);
    Ok(Window {
        dates,
        exhausted: horizon.is_none() && !truncated,
    })
}

/// The objects in `(after, last]` that pass the filters.
async fn fetch_range(
    store: &Store,
    q: &ObjectQuery,
    after: i64,
    last: i64,
) -> Result<Vec<StoredObject>, StoreError> {
    let mut stmt = Stmt::new(
        store.backend,
        &format!("SELECT {COLUMNS} FROM objects o WHERE o.date_added > "),
    );
    stmt.bind(after).sql(" AND o.date_added <= ").bind(last);
    push_filters(&mut stmt, q);
    stmt.sql(" ORDER BY o.date_added");
    let rows = stmt.query()?.fetch_all(&store.pool).await?;
    rows.iter().map(stored_object).collect()
}

/// The objects at these `date_added` values that pass the filters.
async fn fetch_dates(
    store: &Store,
    q: &ObjectQuery,
    dates: &[i64],
) -> Result<Vec<StoredObject>, StoreError> {
    let mut stmt = Stmt::new(
        store.backend,
        &format!("SELECT {COLUMNS} FROM objects o WHERE o.date_added IN ("),
    );
    stmt.bind_list(dates.iter().copied()).sql(")");
    push_filters(&mut stmt, q);
    stmt.sql(" ORDER BY o.date_added");
    let rows = stmt.query()?.fetch_all(&store.pool).await?;
    rows.iter().map(stored_object).collect()
}

/// Appends the query's id, type, spec_version and version conditions.
fn push_filters<'a>(stmt: &mut Stmt<'a>, q: &'a ObjectQuery) {
    let lists = [
        ("o.id", &q.ids),
        ("o.type", &q.types),
        ("o.spec_version", &q.spec_versions),
    ];
    for (column, values) in lists {
        if !values.is_empty() {
            stmt.sql(&format!(" AND {column} IN ("))
                .bind_list(values.iter().map(String::as_str))
                .sql(")");
        }
    }
    match &q.versions {
        VersionFilter::All => {}
        VersionFilter::Last => {
            stmt.sql(" AND o.is_latest = 1");
        }
        VersionFilter::First => {
            stmt.sql(" AND o.version = (SELECT MIN(f.version) FROM objects f WHERE f.id = o.id)");
        }
        VersionFilter::At(versions) => {
            stmt.sql(" AND o.version IN (")
                .bind_list(versions.iter().map(|v| v.version_key()))
                .sql(")");
        }
        VersionFilter::Select { first, last, at } => {
            stmt.sql(" AND (1 = 0");
            if *last {
                stmt.sql(" OR o.is_latest = 1");
            }
            if *first {
                stmt.sql(
                    " OR o.version = (SELECT MIN(f.version) FROM objects f WHERE f.id = o.id)",
                );
            }
            if !at.is_empty() {
                stmt.sql(" OR o.version IN (")
                    .bind_list(at.iter().map(|v| v.version_key()))
                    .sql(")");
            }
            stmt.sql(")");
        }
    }
}
