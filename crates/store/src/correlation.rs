//! The correlation index (migration 0013): observable value keys and the
//! references between objects, a derived index (`crate::derived`) written
//! soon after each insert, and read by lookups.
//!
//! What a value is and how it is keyed is `vigia_correlate`'s; who may see
//! a match is the caller's (`vigia_policy::may_view`). The store selects
//! candidates, narrowed by access keys when given, latest versions only.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::Ordering;

use serde_json::Value;
use sqlx::AnyConnection;
use vigia_correlate::{observables, value_key, KeyTable, LookupKeys, Observable, Prefixes};
use vigia_policy::Audience;
use vigia_stix::{StixId, Timestamp, Tlp};

mod v4_networks;

pub(crate) use v4_networks::V4Networks;

use crate::db::{Backend, Store};
use crate::derived::Derived;
use crate::error::StoreError;
use crate::objects::{stored_object, StoredObject, COLUMNS};
use crate::sql::{col, corrupt, now, stamp, Stmt};

/// The default number of objects indexed under one value before it is
/// flagged as over-correlating (MISP's `correlation_limit` idea).
pub const DEFAULT_CORRELATION_CAP: u32 = 100;
/// Keys per lookup statement.
const KEYS_PER_QUERY: usize = 2_000;
/// Rows per multi-row INSERT.
const ROWS_PER_INSERT: usize = 5_000;
/// References read from one object.
const MAX_REFS: usize = 1_000;

/// Types whose objects may name observables.
const OBSERVABLE_TYPES: &[&str] = &[
    "indicator",
    "observed-data",
    "ipv4-addr",
    "ipv6-addr",
    "domain-name",
    "url",
    "email-addr",
    "mac-addr",
    "autonomous-system",
    "file",
    "artifact",
    "x509-certificate",
];
/// Types whose references are indexed, and the properties holding them.
const REF_TYPES: &[&str] = &[
    "sighting",
    "note",
    "opinion",
    "report",
    "grouping",
    "observed-data",
    "relationship",
];

fn table_name(table: KeyTable) -> &'static str {
    match table {
        KeyTable::Values => "observable_index",
        KeyTable::V4Networks => "observable_v4_networks",
        KeyTable::V6Networks => "observable_v6_networks",
    }
}

/// One object version an index key leads to, without its body.
#[derive(Clone, Debug)]
pub struct ObjectMatch {
    pub value_key: i64,
    pub date_added: Timestamp,
    pub id: StixId,
    pub object_type: String,
    pub created_by_ref: Option<String>,
    pub tlp: Tlp,
    pub audience: Audience,
}

/// The index's size, for operators and benchmarks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CorrelationStats {
    pub index_rows: i64,
    pub over_correlating: i64,
}

impl Store {
    /// Objects indexed under one value before it is flagged as
    /// over-correlating and indexed no further.
    pub fn set_correlation_cap(&self, cap: u32) {
        self.correlation_cap.store(cap.max(1), Ordering::Relaxed);
    }

    pub fn correlation_cap(&self) -> u32 {
        self.correlation_cap.load(Ordering::Relaxed)
    }

    /// The network prefix lengths present in the index.
    #[tracing::instrument(skip_all)]
    pub async fn observable_prefixes(&self) -> Result<Prefixes, StoreError> {
        self.catch_up(Derived::Correlation).await?;
        let rows: Vec<(i64, i64)> =
            sqlx::query_as("SELECT family, prefix FROM observable_prefixes ORDER BY prefix")
                .fetch_all(&self.pool)
                .await?;
        let mut prefixes = Prefixes::default();
        for (family, prefix) in rows {
            let list = if family == 6 {
                &mut prefixes.v6
            } else {
                &mut prefixes.v4
            };
            list.push(u8::try_from(prefix).map_err(|e| corrupt("observable prefix", e))?);
        }
        Ok(prefixes)
    }

    /// The latest, unrevoked versions indexed under any of `keys`, with the
    /// key that led to each; narrowed to `access_keys` when given. At most
    /// the correlation cap per key, since no more are indexed.
    #[tracing::instrument(skip_all, fields(keys = keys.len()))]
    pub async fn observable_matches(
        &self,
        keys: &[i64],
        access_keys: Option<&[String]>,
    ) -> Result<Vec<ObjectMatch>, StoreError> {
        self.catch_up(Derived::Correlation).await?;
        let mut out = Vec::new();
        for table in [KeyTable::Values, KeyTable::V4Networks, KeyTable::V6Networks] {
            out.extend(self.matches_in(table, keys, access_keys, false).await?);
        }
        Ok(out)
    }

    /// [`observable_matches`](Self::observable_matches) in one table.
    async fn matches_in(
        &self,
        table: KeyTable,
        keys: &[i64],
        access_keys: Option<&[String]>,
        skip_flagged: bool,
    ) -> Result<Vec<ObjectMatch>, StoreError> {
        if keys.is_empty() || access_keys.is_some_and(<[String]>::is_empty) {
            return Ok(Vec::new());
        }
        let mut unique: Vec<i64> = keys.to_vec();
        unique.sort_unstable();
        unique.dedup();
        // Chunks run side by side on the pool's connections: a lookup is
        // random reads, which SQLite (WAL) and PostgreSQL serve in parallel.
        let mut chunks = tokio::task::JoinSet::new();
        for chunk in unique.chunks(KEYS_PER_QUERY) {
            let (store, chunk) = (self.clone(), chunk.to_vec());
            let access = access_keys.map(<[String]>::to_vec);
            chunks.spawn(async move {
                store
                    .matches_of(table, &chunk, access.as_deref(), skip_flagged)
                    .await
            });
        }
        let mut out = Vec::new();
        while let Some(done) = chunks.join_next().await {
            let part = done.map_err(|e| StoreError::Corrupt {
                what: "observable lookup".into(),
                reason: e.to_string(),
            })??;
            out.extend(part);
        }
        Ok(out)
    }

    async fn matches_of(
        &self,
        table: KeyTable,
        chunk: &[i64],
        access_keys: Option<&[String]>,
        skip_flagged: bool,
    ) -> Result<Vec<ObjectMatch>, StoreError> {
        let mut stmt = Stmt::new(
            self.backend,
            &format!(
                "SELECT {} FROM {} i \
                 JOIN objects o ON o.date_added = i.date_added \
                 WHERE o.is_latest = 1 AND o.revoked = 0 AND i.value_key IN (",
                aggregated_matches(self.backend),
                table_name(table)
            ),
        );
        stmt.bind_list(chunk.iter().copied()).sql(")");
        candidate_filters(&mut stmt, access_keys, skip_flagged);
        self.fetch_matches(stmt).await
    }

    /// Runs a statement selecting [`aggregated_matches`] and decodes them.
    async fn fetch_matches(&self, mut stmt: Stmt<'_>) -> Result<Vec<ObjectMatch>, StoreError> {
        let row = stmt.query()?.fetch_one(&self.pool).await?;
        let what = || "observable matches".to_owned();
        let json: Option<String> = col(&row, "matches", &what)?;
        let rows: Vec<MatchRow> = match json {
            Some(json) => serde_json::from_str(&json).map_err(|e| corrupt(what(), e))?,
            None => Vec::new(),
        };
        rows.into_iter().map(MatchRow::into_match).collect()
    }

    /// Every indexed IPv4 network holding one of `targets` (addresses and
    /// networks as `v4_network_key`, an address with prefix 32), found in
    /// the node's set of network keys and then read like plain values.
    async fn v4_containment(
        &self,
        targets: &[i64],
        access_keys: Option<&[String]>,
    ) -> Result<Vec<ObjectMatch>, StoreError> {
        if targets.is_empty() || access_keys.is_some_and(<[String]>::is_empty) {
            return Ok(Vec::new());
        }
        let networks = {
            let mut set = self.v4_networks.lock().await;
            set.refresh(&self.pool, self.backend).await?;
            set.enclosing(targets)
        };
        self.matches_in(KeyTable::V4Networks, &networks, access_keys, true)
            .await
    }

    /// The candidates of a lookup, and which of the values' own keys are
    /// over-correlating. A flagged value of its own gets at most
    /// `flagged_limit` newest candidates; a flagged enclosing network
    /// none: it is too common to tell anything, and fetching it for every
    /// address inside would cost the most and say the least.
    #[tracing::instrument(skip_all, fields(values = keys.values.len(), v4 = keys.v4_targets.len()))]
    pub async fn lookup_candidates(
        &self,
        keys: &LookupKeys,
        access_keys: Option<&[String]>,
        flagged_limit: u32,
    ) -> Result<(Vec<ObjectMatch>, HashSet<i64>), StoreError> {
        self.catch_up(Derived::Correlation).await?;
        let (mut out, v4, v6, flagged) = tokio::try_join!(
            self.matches_in(KeyTable::Values, &keys.values, access_keys, true),
            self.v4_containment(&keys.v4_targets, access_keys),
            self.matches_in(KeyTable::V6Networks, &keys.v6_networks, access_keys, true),
            self.over_correlating(&keys.own),
        )?;
        out.extend(v4);
        out.extend(v6);
        let mut flagged_own: Vec<i64> = flagged.iter().copied().collect();
        flagged_own.sort_unstable();
        for key in flagged_own {
            let table = if keys.v6_networks.contains(&key) {
                KeyTable::V6Networks
            } else if keys.values.contains(&key) {
                KeyTable::Values
            } else {
                KeyTable::V4Networks
            };
            out.extend(
                self.newest_matches(table, key, access_keys, flagged_limit)
                    .await?,
            );
        }
        Ok((out, flagged))
    }

    async fn newest_matches(
        &self,
        table: KeyTable,
        key: i64,
        access_keys: Option<&[String]>,
        limit: u32,
    ) -> Result<Vec<ObjectMatch>, StoreError> {
        // The newest `limit` index rows inside, their objects outside.
        let mut stmt = Stmt::new(
            self.backend,
            &format!(
                "SELECT {} FROM (SELECT i.value_key, i.date_added FROM {} i \
                 JOIN objects o ON o.date_added = i.date_added \
                 WHERE o.is_latest = 1 AND o.revoked = 0 AND i.value_key = ",
                aggregated_matches(self.backend),
                table_name(table)
            ),
        );
        stmt.bind(key);
        candidate_filters(&mut stmt, access_keys, false);
        stmt.sql(" ORDER BY i.date_added DESC LIMIT ")
            .bind(i64::from(limit))
            .sql(") i JOIN objects o ON o.date_added = i.date_added");
        let mut matches = self.fetch_matches(stmt).await?;
        matches.sort_unstable_by_key(|m| std::cmp::Reverse(m.date_added));
        Ok(matches)
    }

    /// Which of `keys` are flagged as over-correlating.
    #[tracing::instrument(skip_all, fields(keys = keys.len()))]
    pub async fn over_correlating(&self, keys: &[i64]) -> Result<HashSet<i64>, StoreError> {
        self.catch_up(Derived::Correlation).await?;
        let mut out = HashSet::new();
        for chunk in keys.chunks(KEYS_PER_QUERY) {
            let mut stmt = Stmt::new(
                self.backend,
                "SELECT value_key FROM observable_over_correlating WHERE value_key IN (",
            );
            stmt.bind_list(chunk.iter().copied()).sql(")");
            for row in stmt.query()?.fetch_all(&self.pool).await? {
                out.insert(col::<i64>(&row, "value_key", &|| {
                    "over-correlating key".into()
                })?);
            }
        }
        Ok(out)
    }

    /// The latest versions of objects that refer to any of `ids`
    /// (sightings, notes, opinions, reports, groupings, observed-data and
    /// relationships), of `types` if any are given, newest first, at most
    /// `limit`; narrowed to `access_keys` when given.
    #[tracing::instrument(skip_all, fields(ids = ids.len()))]
    pub async fn objects_referring_to(
        &self,
        ids: &[&str],
        types: &[&str],
        access_keys: Option<&[String]>,
        limit: u32,
    ) -> Result<Vec<StoredObject>, StoreError> {
        if ids.is_empty() || access_keys.is_some_and(<[String]>::is_empty) {
            return Ok(Vec::new());
        }
        self.catch_up(Derived::Correlation).await?;
        let mut stmt = Stmt::new(
            self.backend,
            &format!(
                "SELECT {COLUMNS} FROM objects o WHERE o.is_latest = 1 AND o.date_added IN \
                 (SELECT date_added FROM object_refs WHERE ref IN ("
            ),
        );
        stmt.bind_list(ids.iter().copied()).sql("))");
        if !types.is_empty() {
            stmt.sql(" AND o.type IN (")
                .bind_list(types.iter().copied())
                .sql(")");
        }
        if let Some(access) = access_keys {
            stmt.sql(
                " AND EXISTS (SELECT 1 FROM object_access a \
                 WHERE a.date_added = o.date_added AND a.access_key IN (",
            )
            .bind_list(access.iter().map(String::as_str))
            .sql("))");
        }
        stmt.sql(" ORDER BY o.date_added DESC LIMIT ")
            .bind(i64::from(limit));
        let rows = stmt.query()?.fetch_all(&self.pool).await?;
        rows.iter().map(stored_object).collect()
    }

    /// Index rows and over-correlating values.
    #[tracing::instrument(skip_all)]
    pub async fn correlation_stats(&self) -> Result<CorrelationStats, StoreError> {
        self.catch_up(Derived::Correlation).await?;
        let (index_rows,): (i64,) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM observable_index) \
             + (SELECT COUNT(*) FROM observable_v4_networks) \
             + (SELECT COUNT(*) FROM observable_v6_networks)",
        )
        .fetch_one(&self.pool)
        .await?;
        let (over_correlating,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM observable_over_correlating")
                .fetch_one(&self.pool)
                .await?;
        Ok(CorrelationStats {
            index_rows,
            over_correlating,
        })
    }
}

/// Narrows candidates (`i` the index row) to the access keys given, and
/// leaves out over-correlating values when asked.
fn candidate_filters<'a>(
    stmt: &mut Stmt<'a>,
    access_keys: Option<&'a [String]>,
    skip_flagged: bool,
) {
    if let Some(access) = access_keys {
        // Per candidate, a probe of (key, date_added) for each access
        // key: never a scan of everything a key opens.
        stmt.sql(
            " AND EXISTS (SELECT 1 FROM object_access a \
             WHERE a.date_added = i.date_added AND a.access_key IN (",
        )
        .bind_list(access.iter().map(String::as_str))
        .sql("))");
    }
    if skip_flagged {
        stmt.sql(
            " AND NOT EXISTS (SELECT 1 FROM observable_over_correlating f \
             WHERE f.value_key = i.value_key)",
        );
    }
}

/// The matches of one query as a single JSON array of [`MatchRow`]s: a
/// lookup matches thousands of rows, and one row per query spares the
/// driver a hand-off between threads and a conversion per row.
fn aggregated_matches(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "json_group_array(json_array(i.value_key, o.date_added, o.id, o.type, \
             o.created_by_ref, o.tlp, json(o.audience))) AS matches"
        }
        Backend::Postgres => {
            "CAST(json_agg(json_build_array(i.value_key, o.date_added, o.id, o.type, \
             o.created_by_ref, o.tlp, CAST(o.audience AS json))) AS TEXT) AS matches"
        }
    }
}

/// One element of [`aggregated_matches`].
#[derive(serde::Deserialize)]
struct MatchRow(i64, i64, String, String, Option<String>, String, Audience);

impl MatchRow {
    fn into_match(self) -> Result<ObjectMatch, StoreError> {
        let MatchRow(value_key, date_added, id, object_type, created_by_ref, tlp, audience) = self;
        let what = || format!("object at date_added {date_added}");
        Ok(ObjectMatch {
            value_key,
            date_added: stamp(date_added, &what)?,
            id: StixId::parse(&id).map_err(|e| corrupt(what(), e))?,
            object_type,
            created_by_ref,
            tlp: tlp.parse::<Tlp>().map_err(|e| corrupt(what(), e))?,
            audience,
        })
    }
}

/// What one object contributes to the index.
#[derive(Default)]
pub(crate) struct Contribution {
    pub(crate) observables: Vec<Observable>,
    pub(crate) refs: Vec<String>,
}

/// Reads the observables and references of an object, by its type; most
/// types contribute nothing and are not parsed.
pub(crate) fn contribution(object_type: &str, raw: &str) -> Contribution {
    let wants_observables = OBSERVABLE_TYPES.contains(&object_type);
    let wants_refs = REF_TYPES.contains(&object_type);
    if !wants_observables && !wants_refs {
        return Contribution::default();
    }
    let Ok(value) = serde_json::from_str::<Value>(raw) else {
        return Contribution::default();
    };
    Contribution {
        observables: if wants_observables {
            observables(&value)
        } else {
            Vec::new()
        },
        refs: if wants_refs {
            let mut r = refs(&value);
            // Cooperation records are listed by kind through the same
            // table, under a key no STIX id can take.
            if let Some(kind) = vigia_cooperation::record::kind_in(&value) {
                r.push(kind.index_key());
            }
            r
        } else {
            Vec::new()
        },
    }
}

fn refs(value: &Value) -> Vec<String> {
    let mut out = BTreeSet::new();
    for key in ["sighting_of_ref", "source_ref", "target_ref"] {
        if let Some(r) = value.get(key).and_then(Value::as_str) {
            out.insert(r.to_owned());
        }
    }
    if let Some(list) = value.get("object_refs").and_then(Value::as_array) {
        out.extend(list.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    out.into_iter().take(MAX_REFS).collect()
}

/// Indexes the objects stored at `first..=last`, none of them indexed yet.
/// Called by the derived-index indexer (`crate::derived`).
pub(crate) async fn index_stored(
    conn: &mut AnyConnection,
    backend: Backend,
    first: i64,
    last: i64,
    cap: u32,
) -> Result<(), StoreError> {
    let rows = sqlx::query(
        "SELECT date_added, type, raw FROM objects \
         WHERE date_added >= $1 AND date_added <= $2 ORDER BY date_added",
    )
    .bind(first)
    .bind(last)
    .fetch_all(&mut *conn)
    .await?;
    let what = || "object to correlate".to_owned();
    let contributions = rows
        .iter()
        .map(|row| {
            let at: i64 = col(row, "date_added", &what)?;
            let object_type: String = col(row, "type", &what)?;
            let raw: String = col(row, "raw", &what)?;
            Ok((at, contribution(&object_type, &raw)))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    index(conn, backend, &contributions, cap).await
}

/// Indexes new rows: `(date_added, contribution)`. Values already named by
/// the cap's number of objects are flagged and indexed no further.
pub(crate) async fn index(
    conn: &mut AnyConnection,
    backend: Backend,
    rows: &[(i64, Contribution)],
    cap: u32,
) -> Result<(), StoreError> {
    let mut values: Vec<(i64, i64)> = Vec::new();
    let mut v4: Vec<(i64, i64)> = Vec::new();
    let mut v6: Vec<(i64, i64)> = Vec::new();
    let mut prefixes = Prefixes::default();
    let mut refs: Vec<(&str, i64)> = Vec::new();
    for (at, c) in rows {
        for o in &c.observables {
            let into = match KeyTable::of(o) {
                KeyTable::Values => &mut values,
                KeyTable::V4Networks => &mut v4,
                KeyTable::V6Networks => &mut v6,
            };
            into.push((value_key(o), *at));
            prefixes.note(o);
        }
        refs.extend(c.refs.iter().map(|r| (r.as_str(), *at)));
    }
    for (table, keyed) in [
        (KeyTable::Values, values),
        (KeyTable::V4Networks, v4),
        (KeyTable::V6Networks, v6),
    ] {
        if keyed.is_empty() {
            continue;
        }
        let admitted = within_cap(conn, backend, table, keyed, cap).await?;
        let into = format!("{} (value_key, date_added)", table_name(table));
        insert_pairs(conn, backend, &into, &admitted, Repeats::Impossible).await?;
    }
    note_prefixes(conn, backend, &prefixes).await?;
    if !refs.is_empty() {
        let into = "object_refs (ref, date_added)";
        insert_pairs(conn, backend, into, &refs, Repeats::Impossible).await?;
    }
    Ok(())
}

/// The pairs to index after the cap: for each key, as many as still fit;
/// keys that overflow are flagged.
async fn within_cap(
    conn: &mut AnyConnection,
    backend: Backend,
    table: KeyTable,
    mut keyed: Vec<(i64, i64)>,
    cap: u32,
) -> Result<Vec<(i64, i64)>, StoreError> {
    keyed.sort_unstable();
    keyed.dedup();
    let mut keys: Vec<i64> = keyed.iter().map(|(k, _)| *k).collect();
    keys.dedup();
    let mut counts: HashMap<i64, i64> = HashMap::new();
    for chunk in keys.chunks(KEYS_PER_QUERY) {
        let mut stmt = Stmt::new(
            backend,
            &format!(
                "SELECT value_key, COUNT(*) AS n FROM {} WHERE value_key IN (",
                table_name(table)
            ),
        );
        stmt.bind_list(chunk.iter().copied())
            .sql(") GROUP BY value_key");
        for row in stmt.query()?.fetch_all(&mut *conn).await? {
            let what = || "observable count".to_owned();
            counts.insert(col(&row, "value_key", &what)?, col(&row, "n", &what)?);
        }
    }
    let mut admitted = Vec::with_capacity(keyed.len());
    let mut overflowing = Vec::new();
    for (key, at) in keyed {
        let n = counts.entry(key).or_insert(0);
        if *n < i64::from(cap) {
            *n += 1;
            admitted.push((key, at));
        } else if overflowing.last() != Some(&key) {
            overflowing.push(key);
        }
    }
    if !overflowing.is_empty() {
        let at = now().unix_micros();
        for chunk in overflowing.chunks(ROWS_PER_INSERT / 2) {
            let mut stmt = Stmt::new(
                backend,
                "INSERT INTO observable_over_correlating (value_key, flagged_at) VALUES ",
            );
            for (i, key) in chunk.iter().enumerate() {
                stmt.sql(if i == 0 { "(" } else { ", (" });
                stmt.bind(*key).sql(", ").bind(at).sql(")");
            }
            stmt.sql(" ON CONFLICT (value_key) DO NOTHING");
            stmt.query()?.execute(&mut *conn).await?;
        }
    }
    Ok(admitted)
}

/// Whether rows about to be inserted may already be stored.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Repeats {
    /// Skip those already stored.
    Skipped,
    /// Rows keyed by `date_added`: each version is indexed once, in the
    /// pass that moves `derived_progress` past it, and a pass's pairs are
    /// distinct. Without `ON CONFLICT`, PostgreSQL spares a probe of the
    /// key's index per row; a repeat would fail the pass, not be hidden.
    Impossible,
}

async fn insert_pairs<'a, K>(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
    pairs: &'a [(K, i64)],
    repeats: Repeats,
) -> Result<(), StoreError>
where
    K: 'a + Copy + sqlx::Encode<'a, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    for chunk in pairs.chunks(ROWS_PER_INSERT) {
        let mut stmt = Stmt::new(backend, &format!("INSERT INTO {table} VALUES "));
        for (i, (key, at)) in chunk.iter().enumerate() {
            stmt.sql(if i == 0 { "(" } else { ", (" });
            stmt.bind(*key).sql(", ").bind(*at).sql(")");
        }
        if repeats == Repeats::Skipped {
            stmt.sql(" ON CONFLICT DO NOTHING");
        }
        stmt.query()?.execute(&mut *conn).await?;
    }
    Ok(())
}

async fn note_prefixes(
    conn: &mut AnyConnection,
    backend: Backend,
    prefixes: &Prefixes,
) -> Result<(), StoreError> {
    let pairs: Vec<(i64, i64)> = prefixes
        .v4
        .iter()
        .map(|p| (4, i64::from(*p)))
        .chain(prefixes.v6.iter().map(|p| (6, i64::from(*p))))
        .collect();
    if !pairs.is_empty() {
        insert_pairs(
            conn,
            backend,
            "observable_prefixes (family, prefix)",
            &pairs,
            Repeats::Skipped,
        )
        .await?;
    }
    Ok(())
}

/// Removes a deleted version from the index: its keys and references are
/// read again from its body, so the index needs no reverse lookup.
pub(crate) async fn unindex(
    conn: &mut AnyConnection,
    backend: Backend,
    date_added: i64,
    object_type: &str,
    raw: &str,
) -> Result<(), StoreError> {
    let c = contribution(object_type, raw);
    for o in &c.observables {
        let mut stmt = Stmt::new(
            backend,
            &format!(
                "DELETE FROM {} WHERE value_key = ",
                table_name(KeyTable::of(o))
            ),
        );
        stmt.bind(value_key(o))
            .sql(" AND date_added = ")
            .bind(date_added);
        stmt.query()?.execute(&mut *conn).await?;
    }
    for r in &c.refs {
        let mut stmt = Stmt::new(backend, "DELETE FROM object_refs WHERE ref = ");
        stmt.bind(r.as_str())
            .sql(" AND date_added = ")
            .bind(date_added);
        stmt.query()?.execute(&mut *conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_types_that_name_values_or_objects_are_read() {
        let c = contribution("malware", r#"{"type":"malware","object_refs":["x--1"]}"#);
        assert!(c.observables.is_empty() && c.refs.is_empty());
        let c = contribution(
            "sighting",
            r#"{"type":"sighting","sighting_of_ref":"indicator--1","observed_data_refs":["observed-data--2"]}"#,
        );
        assert_eq!(c.refs, ["indicator--1"]);
        let c = contribution(
            "ipv4-addr",
            r#"{"type":"ipv4-addr","value":"198.51.100.7"}"#,
        );
        assert_eq!(c.observables.len(), 1);
        let c = contribution("indicator", "not json");
        assert!(c.observables.is_empty());
    }
}
