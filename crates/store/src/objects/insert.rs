//! Bulk insertion: duplicate detection, `date_added` assignment from the
//! node clock, `is_latest` upkeep and multi-row inserts, in one transaction.

use std::collections::HashMap;

use sqlx::AnyConnection;
use vigia_stix::Timestamp;

use super::{InsertOutcome, NewObject};
use crate::db::{Backend, Store};
use crate::error::StoreError;
use crate::sql::{col, constraint, flag, now, stamp, Stmt, MAX_PARAMS};

/// Rows per multi-row INSERT: large enough to amortise the round trip,
/// fixed so the prepared statement is reused batch after batch.
const OBJECT_ROWS_PER_INSERT: usize = 500;
const ACCESS_ROWS_PER_INSERT: usize = 2_000;
/// Parameters per duplicate lookup: ids plus versions.
const LOOKUP_PARAMS: usize = 2_000;

/// One object with its index columns computed.
struct Entry<'a> {
    id: &'a str,
    object_type: &'a str,
    /// `Timestamp::version_key`, or "" for unversioned objects.
    version: String,
    spec_version: &'a str,
    created_by_ref: Option<&'a str>,
    tlp: &'static str,
    revoked: bool,
    audience: String,
    raw: &'a str,
    access_keys: &'a [String],
    deliver_to: &'a [String],
    covered: Option<&'a str>,
}

impl<'a> Entry<'a> {
    fn new(new: &NewObject<'a>) -> Result<Self, StoreError> {
        let o = new.object;
        let audience = serde_json::to_string(new.audience).map_err(|e| StoreError::Object {
            id: o.id().clone(),
            reason: format!("audience cannot be serialised: {e}"),
        })?;
        Ok(Self {
            id: o.id().as_str(),
            object_type: o.object_type(),
            version: o.version().map(|v| v.version_key()).unwrap_or_default(),
            spec_version: o.spec_version(),
            created_by_ref: o.created_by_ref().map(|r| r.as_str()),
            tlp: new.audience.tlp.as_str(),
            revoked: o.revoked(),
            audience,
            raw: o.raw(),
            access_keys: new.access_keys,
            deliver_to: new.deliver_to,
            covered: new.covered,
        })
    }
}

/// What the database already holds for the batch's ids.
#[derive(Default)]
struct Existing {
    /// (id, version) → date_added.
    versions: HashMap<(String, String), i64>,
    /// id → its latest version.
    latest: HashMap<String, String>,
}

/// Where each batch entry ends up.
enum Fate {
    /// The n-th new row of the batch.
    New(usize),
    /// A repeat, within the batch, of the n-th new row.
    Repeat(usize),
    /// Already stored with this date_added.
    Stored(i64),
}

pub(super) async fn insert_objects(
    store: &Store,
    batch: &[NewObject<'_>],
) -> Result<Vec<InsertOutcome>, StoreError> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let rows = batch
        .iter()
        .map(Entry::new)
        .collect::<Result<Vec<_>, _>>()?;
    let now_micros = now().unix_micros();
    let backend = store.backend;

    let mut tx = store.begin_write().await?;
    // Lock the clock before looking for duplicates, so a concurrent
    // inserter of the same version has committed (and is seen) or waits.
    sqlx::query("UPDATE node_clock SET last_micros = last_micros WHERE id = 1")
        .execute(&mut *tx)
        .await?;
    let existing = load_existing(&mut tx, backend, &rows).await?;
    let (fates, fresh) = sort_out(&rows, &existing);
    let mut first = 0;
    let mut indexed = true;
    if !fresh.is_empty() {
        first = advance_clock(&mut tx, now_micros, fresh.len()).await?;
        write_fresh(&mut tx, backend, &rows, &fresh, &existing, first).await?;
        indexed = index_with_insert(&mut tx, store, &rows, &fresh, first).await?;
    }
    tx.commit().await?;
    if !indexed {
        store.indexer.wake();
    }
    if let Some(c) = &store.checkpoints {
        c.wake();
    }
    store.note_inserted(fresh.len() as u64);
    outcomes(&fates, first)
}

/// Writes the new rows, dated from `first` on, and moves `is_latest`.
async fn write_fresh(
    conn: &mut AnyConnection,
    backend: Backend,
    rows: &[Entry<'_>],
    fresh: &[usize],
    existing: &Existing,
    first: i64,
) -> Result<(), StoreError> {
    let latest = latest_flags(rows, fresh, existing);
    let superseded: Vec<&str> = latest
        .iter()
        .zip(fresh)
        .filter(|(is_latest, &i)| **is_latest && existing.latest.contains_key(rows[i].id))
        .map(|(_, &i)| rows[i].id)
        .collect();
    clear_latest(conn, backend, &superseded).await?;
    insert_rows(conn, backend, rows, fresh, &latest, first).await?;
    insert_access(conn, backend, rows, fresh, first).await?;
    insert_outbox(conn, backend, rows, fresh, first).await
}

/// See [`crate::derived::index_with_insert`]: on SQLite the new rows,
/// dated `first, first + 1, …`, are indexed in the insert's transaction.
async fn index_with_insert(
    conn: &mut AnyConnection,
    store: &Store,
    rows: &[Entry<'_>],
    fresh: &[usize],
    first: i64,
) -> Result<bool, StoreError> {
    if store.backend != Backend::Sqlite {
        return Ok(false);
    }
    let dated = || {
        fresh
            .iter()
            .enumerate()
            .map(|(n, &i)| (first + n as i64, &rows[i]))
    };
    let with_nul: Vec<i64> = dated()
        .filter(|(_, r)| r.raw.contains(crate::objects::NUL_ESCAPE))
        .map(|(at, _)| at)
        .collect();
    let contributions: Vec<(i64, crate::correlation::Contribution)> = dated()
        .map(|(at, r)| (at, crate::correlation::contribution(r.object_type, r.raw)))
        .collect();
    let last = first + fresh.len() as i64 - 1;
    crate::derived::index_with_insert(
        conn,
        store.backend,
        (first, last),
        &with_nul,
        &contributions,
        store.correlation_cap(),
    )
    .await
}

fn outcomes(fates: &[Fate], first: i64) -> Result<Vec<InsertOutcome>, StoreError> {
    fates
        .iter()
        .map(|fate| {
            Ok(match *fate {
                Fate::New(n) => InsertOutcome::Stored {
                    date_added: micros(first + n as i64)?,
                },
                Fate::Repeat(n) => InsertOutcome::Duplicate {
                    date_added: micros(first + n as i64)?,
                },
                Fate::Stored(at) => InsertOutcome::Duplicate {
                    date_added: micros(at)?,
                },
            })
        })
        .collect()
}

fn micros(value: i64) -> Result<Timestamp, StoreError> {
    stamp(value, &|| "assigned date_added".to_owned())
}

/// Reads stored versions that match the batch's (id, version) pairs, and
/// the latest version of each of its ids.
async fn load_existing(
    conn: &mut AnyConnection,
    backend: Backend,
    rows: &[Entry<'_>],
) -> Result<Existing, StoreError> {
    let mut existing = Existing::default();
    for (ids, versions) in lookups(rows) {
        let mut stmt = Stmt::new(
            backend,
            "SELECT id, version, date_added, is_latest FROM objects WHERE id IN (",
        );
        stmt.bind_list(ids)
            .sql(") AND (is_latest = 1 OR version IN (")
            .bind_list(versions)
            .sql("))");
        for row in stmt.query()?.fetch_all(&mut *conn).await? {
            let what = || "object version lookup".to_owned();
            let id: String = col(&row, "id", &what)?;
            let version: String = col(&row, "version", &what)?;
            if col::<i64>(&row, "is_latest", &what)? != 0 {
                existing.latest.insert(id.clone(), version.clone());
            }
            existing
                .versions
                .insert((id, version), col(&row, "date_added", &what)?);
        }
    }
    Ok(existing)
}

/// Splits the batch's ids and versions into lookups of at most
/// `LOOKUP_PARAMS` parameters; an id with very many versions spans several.
fn lookups<'r>(rows: &'r [Entry<'_>]) -> Vec<(Vec<&'r str>, Vec<&'r str>)> {
    let mut versions_of: HashMap<&str, Vec<&str>> = HashMap::new();
    for r in rows {
        versions_of.entry(r.id).or_default().push(&r.version);
    }
    let mut out = Vec::new();
    let (mut ids, mut versions): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
    for (id, mut vs) in versions_of {
        vs.sort_unstable();
        vs.dedup();
        for part in vs.chunks(LOOKUP_PARAMS - 1) {
            if !ids.is_empty() && ids.len() + versions.len() + 1 + part.len() > LOOKUP_PARAMS {
                out.push((std::mem::take(&mut ids), std::mem::take(&mut versions)));
            }
            ids.push(id);
            versions.extend_from_slice(part);
        }
    }
    if !ids.is_empty() {
        out.push((ids, versions));
    }
    out
}

/// Decides each entry's fate. Returns the fates and the batch indexes of
/// the new rows, in batch order; a repeat within the batch is a duplicate
/// of its first occurrence.
fn sort_out(rows: &[Entry<'_>], existing: &Existing) -> (Vec<Fate>, Vec<usize>) {
    let mut fresh = Vec::new();
    let mut first_in_batch: HashMap<(&str, &str), usize> = HashMap::new();
    let fates = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let key = (r.id, r.version.as_str());
            if let Some(&at) = existing.versions.get(&(r.id.to_owned(), r.version.clone())) {
                Fate::Stored(at)
            } else if let Some(&n) = first_in_batch.get(&key) {
                Fate::Repeat(n)
            } else {
                first_in_batch.insert(key, fresh.len());
                fresh.push(i);
                Fate::New(fresh.len() - 1)
            }
        })
        .collect();
    (fates, fresh)
}

/// `is_latest` for each new row: the newest new version of an id is latest
/// unless a newer one is already stored. Version keys sort like instants,
/// and "" (unversioned) has only one version.
fn latest_flags(rows: &[Entry<'_>], fresh: &[usize], existing: &Existing) -> Vec<bool> {
    let mut newest: HashMap<&str, usize> = HashMap::new();
    for (n, &i) in fresh.iter().enumerate() {
        let slot = newest.entry(rows[i].id).or_insert(n);
        if rows[i].version > rows[fresh[*slot]].version {
            *slot = n;
        }
    }
    let mut flags = vec![false; fresh.len()];
    for (id, n) in newest {
        let newer_stored = existing
            .latest
            .get(id)
            .is_some_and(|stored| *stored > rows[fresh[n]].version);
        flags[n] = !newer_stored;
    }
    flags
}

/// Moves the node clock past now and past every earlier date_added, and
/// returns the first of `count` consecutive values reserved.
async fn advance_clock(
    conn: &mut AnyConnection,
    now_micros: i64,
    count: usize,
) -> Result<i64, StoreError> {
    let count = count as i64;
    let row = sqlx::query(
        "UPDATE node_clock \
         SET last_micros = CASE WHEN last_micros >= $1 THEN last_micros ELSE $1 END + $2 \
         WHERE id = 1 RETURNING last_micros",
    )
    .bind(now_micros - 1)
    .bind(count)
    .fetch_one(&mut *conn)
    .await?;
    let last: i64 = col(&row, "last_micros", &|| "node clock".to_owned())?;
    Ok(last - count + 1)
}

async fn clear_latest(
    conn: &mut AnyConnection,
    backend: Backend,
    ids: &[&str],
) -> Result<(), StoreError> {
    for chunk in ids.chunks(MAX_PARAMS) {
        let mut stmt = Stmt::new(
            backend,
            "UPDATE objects SET is_latest = 0 WHERE is_latest = 1 AND id IN (",
        );
        stmt.bind_list(chunk.iter().copied()).sql(")");
        stmt.query()?.execute(&mut *conn).await?;
    }
    Ok(())
}

async fn insert_rows(
    conn: &mut AnyConnection,
    backend: Backend,
    rows: &[Entry<'_>],
    fresh: &[usize],
    latest: &[bool],
    first: i64,
) -> Result<(), StoreError> {
    for (c, chunk) in fresh.chunks(OBJECT_ROWS_PER_INSERT).enumerate() {
        let mut stmt = Stmt::new(
            backend,
            "INSERT INTO objects (date_added, id, type, version, spec_version, created_by_ref, \
             tlp, revoked, is_latest, audience, raw) VALUES ",
        );
        for (k, &i) in chunk.iter().enumerate() {
            let n = c * OBJECT_ROWS_PER_INSERT + k;
            let r = &rows[i];
            stmt.sql(if k == 0 { "(" } else { ", (" });
            stmt.bind(first + n as i64).sql(", ");
            stmt.bind(r.id).sql(", ");
            stmt.bind(r.object_type).sql(", ");
            stmt.bind(r.version.as_str()).sql(", ");
            stmt.bind(r.spec_version).sql(", ");
            stmt.bind(r.created_by_ref).sql(", ");
            stmt.bind(r.tlp).sql(", ");
            stmt.bind(flag(r.revoked)).sql(", ");
            stmt.bind(flag(latest[n])).sql(", ");
            stmt.bind(r.audience.as_str()).sql(", ");
            stmt.bind(r.raw).sql(")");
        }
        stmt.query()?.execute(&mut *conn).await.map_err(|e| {
            constraint(
                e,
                || "an object version in this batch".to_owned(),
                String::new,
            )
        })?;
    }
    Ok(())
}

async fn insert_access(
    conn: &mut AnyConnection,
    backend: Backend,
    rows: &[Entry<'_>],
    fresh: &[usize],
    first: i64,
) -> Result<(), StoreError> {
    let mut pairs: Vec<(&str, i64)> = Vec::new();
    for (n, &i) in fresh.iter().enumerate() {
        let mut keys: Vec<&str> = rows[i].access_keys.iter().map(String::as_str).collect();
        keys.sort_unstable();
        keys.dedup();
        pairs.extend(keys.into_iter().map(|k| (k, first + n as i64)));
    }
    for chunk in pairs.chunks(ACCESS_ROWS_PER_INSERT) {
        let mut stmt = Stmt::new(
            backend,
            "INSERT INTO object_access (access_key, date_added) VALUES ",
        );
        for (k, &(key, at)) in chunk.iter().enumerate() {
            stmt.sql(if k == 0 { "(" } else { ", (" });
            stmt.bind(key).sql(", ").bind(at).sql(")");
        }
        debug_assert!(stmt.params() <= MAX_PARAMS);
        stmt.query()?.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Queues each new version for the peers it is to be delivered to.
async fn insert_outbox(
    conn: &mut AnyConnection,
    backend: Backend,
    rows: &[Entry<'_>],
    fresh: &[usize],
    first: i64,
) -> Result<(), StoreError> {
    let pairs: Vec<(&str, i64, Option<&str>)> = fresh
        .iter()
        .enumerate()
        .flat_map(|(n, &i)| {
            rows[i]
                .deliver_to
                .iter()
                .map(move |peer| (peer.as_str(), first + n as i64, rows[i].covered))
        })
        .collect();
    let queued_at = now().unix_micros();
    for chunk in pairs.chunks(ACCESS_ROWS_PER_INSERT / 2) {
        let mut stmt = Stmt::new(
            backend,
            "INSERT INTO outbox (peer, date_added, state, attempts, next_attempt, covered) VALUES ",
        );
        for (k, &(peer, at, covered)) in chunk.iter().enumerate() {
            stmt.sql(if k == 0 { "(" } else { ", (" });
            stmt.bind(peer)
                .sql(", ")
                .bind(at)
                .sql(", 'pending', 0, ")
                .bind(queued_at)
                .sql(", ")
                .bind(covered)
                .sql(")");
        }
        stmt.query()?.execute(&mut *conn).await?;
    }
    Ok(())
}
