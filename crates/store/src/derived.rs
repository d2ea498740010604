//! Derived indexes: what the store computes from stored objects rather
//! than receives with them: full-text search, and correlation (observable
//! values and the references between objects).
//!
//! An insert commits its objects alone. A background indexer then indexes
//! them in a transaction of its own, which also moves the index's row in
//! `derived_progress` (migration 0017), so an index never claims objects it
//! does not hold. Why: on PostgreSQL the search document (then built by
//! `to_tsvector`; now by the node) with its GIN index, and the correlation
//! rows, were over half of an insert's transaction, and that transaction is serialised by the node
//! clock. Written apart, each index runs on a backend process of its own,
//! beside the next insert. SQLite has a single writer, so there an insert
//! indexes its own objects in its own transaction ([`index_with_insert`])
//! and the indexer only catches up on a backlog.
//!
//! Readers see their own writes: each query of a derived index first calls
//! [`Store::catch_up`], which indexes, inline, whatever was committed before
//! the query and is not indexed yet. After a crash the indexer resumes
//! from `derived_progress` as soon as the store is opened.
//!
//! Ordering: inserts take `date_added` and commit under one lock (the
//! `node_clock` row), so the committed objects are always a prefix in
//! `date_added` order and no object can appear below `through` later.
//! Passes over one index take its progress row first, so they run one at a
//! time, in `date_added` order: its rows, too, become visible in that order
//! (which `correlation::V4Networks` relies on). A deletion locks every
//! progress row first, so a version is never indexed after its deletion.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use sqlx::{AnyConnection, AnyPool, Row};

use crate::db::{begin_write_on, Backend, Store};
use crate::error::StoreError;

/// One index computed from stored objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Derived {
    Search,
    Correlation,
}

impl Derived {
    pub(crate) const ALL: [Derived; 2] = [Derived::Search, Derived::Correlation];

    /// Its row in `derived_progress`.
    fn name(self) -> &'static str {
        match self {
            Derived::Search => "search",
            Derived::Correlation => "correlation",
        }
    }
}

/// What an indexing pass needs of the store, without a handle on the store
/// itself (whose last drop ends the background task).
#[derive(Clone)]
struct Target {
    /// Where the cheap check for pending objects runs.
    reader: AnyPool,
    writer: AnyPool,
    backend: Backend,
    correlation_cap: Arc<AtomicU32>,
}

/// Objects indexed in one pass at most: one transaction's worth, so a pass
/// that catches up on a long backlog does not hold the write lock for long.
const PASS_OBJECTS: i64 = 5_000;

/// Runs indexing passes in the background when woken, one task per
/// derived index, so that they run side by side on PostgreSQL. A task ends
/// when the last handle on the store is dropped, or when the store is
/// closed.
pub(crate) struct Indexer {
    wake: Vec<tokio::sync::mpsc::Sender<()>>,
}

impl std::fmt::Debug for Indexer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Indexer").finish_non_exhaustive()
    }
}

impl Indexer {
    /// Starts the tasks and wakes them once, to index anything a previous
    /// process committed and did not index.
    pub(crate) fn start(
        reader: AnyPool,
        writer: AnyPool,
        backend: Backend,
        correlation_cap: Arc<AtomicU32>,
    ) -> Arc<Self> {
        let target = Target {
            reader,
            writer,
            backend,
            correlation_cap,
        };
        let wake = Derived::ALL
            .into_iter()
            .map(|which| {
                // One pending wake is enough: a woken task indexes all there is.
                let (wake, woken) = tokio::sync::mpsc::channel(1);
                tokio::spawn(run(target.clone(), which, woken));
                wake
            })
            .collect();
        let indexer = Arc::new(Self { wake });
        indexer.wake();
        indexer
    }

    pub(crate) fn wake(&self) {
        for wake in &self.wake {
            let _ = wake.try_send(());
        }
    }
}

async fn run(target: Target, which: Derived, mut woken: tokio::sync::mpsc::Receiver<()>) {
    while woken.recv().await.is_some() {
        if target.writer.is_closed() {
            return;
        }
        match target.catch_up(which).await {
            Ok(()) => {}
            // Closed between the check above and the pass: shutting down.
            Err(StoreError::Database(sqlx::Error::PoolClosed)) => return,
            // The next insert wakes it again; a query catches up inline
            // meanwhile.
            Err(e) => {
                tracing::warn!(error = %e, index = which.name(), "background indexing failed")
            }
        }
    }
}

impl Target {
    /// Indexes into `which` what was committed before this call and is not
    /// indexed yet. One cheap read, and no write lock, when the index is
    /// up to date.
    async fn catch_up(&self, which: Derived) -> Result<(), StoreError> {
        let row = sqlx::query(
            "SELECT p.through AS through, (SELECT MAX(date_added) FROM objects) AS newest \
             FROM derived_progress p WHERE p.name = $1",
        )
        .bind(which.name())
        .fetch_one(&self.reader)
        .await?;
        let mut through: i64 = row.try_get("through")?;
        let Some(newest) = row.try_get::<Option<i64>, _>("newest")? else {
            return Ok(());
        };
        while through < newest {
            match pass(self, which).await? {
                Some(now) => through = now,
                // Another pass (the background's, a query's, another
                // replica's) got there first.
                None => break,
            }
        }
        Ok(())
    }
}

/// Indexes the next objects not yet in `which`, at most [`PASS_OBJECTS`].
/// Returns the new `through`, or `None` when there was nothing to index.
async fn pass(target: &Target, which: Derived) -> Result<Option<i64>, StoreError> {
    let backend = target.backend;
    let mut tx = begin_write_on(&target.writer, backend).await?;
    let lock = match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE",
    };
    let through: i64 = sqlx::query_scalar(&format!(
        "SELECT through FROM derived_progress WHERE name = $1{lock}"
    ))
    .bind(which.name())
    .fetch_one(&mut *tx)
    .await?;
    let range = sqlx::query(
        "SELECT MIN(date_added) AS first, MAX(date_added) AS last FROM \
         (SELECT date_added FROM objects WHERE date_added > $1 \
          ORDER BY date_added LIMIT $2) AS next",
    )
    .bind(through)
    .bind(PASS_OBJECTS)
    .fetch_one(&mut *tx)
    .await?;
    let (Some(first), Some(last)) = (
        range.try_get::<Option<i64>, _>("first")?,
        range.try_get::<Option<i64>, _>("last")?,
    ) else {
        tx.rollback().await?;
        return Ok(None);
    };
    match which {
        Derived::Search => crate::objects::index_stored(&mut tx, backend, first, last).await?,
        Derived::Correlation => {
            let cap = target.correlation_cap.load(Ordering::Relaxed);
            crate::correlation::index_stored(&mut tx, backend, first, last, cap).await?;
        }
    }
    sqlx::query("UPDATE derived_progress SET through = $1 WHERE name = $2")
        .bind(last)
        .bind(which.name())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some(last))
}

/// On SQLite, indexes the objects an insert just wrote (`first..=last`)
/// in the insert's own transaction, when every derived index was up to
/// date before them. Returns whether it did. SQLite has one writer: a
/// second transaction would only add a commit, and there is no other
/// backend process to hand the work to. A backlog (after a crash, say) is
/// left to the indexer, which a query also runs inline.
///
/// The insert passes what it already holds in memory: the `date_added` of
/// the objects whose raw JSON escapes U+0000 (see `objects::search`), and
/// each object's correlation contribution, so nothing is read back.
pub(crate) async fn index_with_insert(
    conn: &mut AnyConnection,
    backend: Backend,
    (first, last): (i64, i64),
    with_nul: &[i64],
    contributions: &[(i64, crate::correlation::Contribution)],
    correlation_cap: u32,
) -> Result<bool, StoreError> {
    if backend != Backend::Sqlite {
        return Ok(false);
    }
    // ORDER BY … LIMIT 1, not MAX(…) WHERE: SQLite answers the latter by
    // scanning every row below `first`.
    let behind: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM derived_progress WHERE through < COALESCE((SELECT date_added \
         FROM objects WHERE date_added < $1 ORDER BY date_added DESC LIMIT 1), 0)",
    )
    .bind(first)
    .fetch_one(&mut *conn)
    .await?;
    if behind > 0 {
        return Ok(false);
    }
    crate::objects::index_range(conn, backend, first, last, with_nul).await?;
    crate::correlation::index(conn, backend, contributions, correlation_cap).await?;
    sqlx::query("UPDATE derived_progress SET through = $1")
        .bind(last)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

/// Locks every progress row, in one order, inside a transaction that will
/// delete stored versions: a pass under way finishes first, and none starts
/// until the deletion commits (PostgreSQL; SQLite's write lock already
/// serialises them).
pub(crate) async fn hold_indexers(
    conn: &mut AnyConnection,
    backend: Backend,
) -> Result<(), StoreError> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT name FROM derived_progress ORDER BY name FOR UPDATE")
            .fetch_all(&mut *conn)
            .await?;
    }
    Ok(())
}

impl Store {
    /// Indexes into `which`, inline, what was committed before this call
    /// and is not indexed yet, so that a query sees every object stored
    /// before it. One cheap read when the index is up to date.
    pub(crate) async fn catch_up(&self, which: Derived) -> Result<(), StoreError> {
        self.index_target().catch_up(which).await
    }

    fn index_target(&self) -> Target {
        Target {
            reader: self.pool.clone(),
            writer: self.writer.clone(),
            backend: self.backend,
            correlation_cap: Arc::clone(&self.correlation_cap),
        }
    }

    /// Brings every derived index up to date with the objects stored so
    /// far. Queries do this for themselves; benchmarks call it so that a
    /// throughput counts the indexing too.
    pub async fn finish_indexing(&self) -> Result<(), StoreError> {
        for which in Derived::ALL {
            self.catch_up(which).await?;
        }
        Ok(())
    }

    /// Objects stored and not yet indexed into each derived index, by name.
    pub async fn indexing_backlog(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.name AS name, \
             (SELECT COUNT(*) FROM objects o WHERE o.date_added > p.through) AS behind \
             FROM derived_progress p ORDER BY p.name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("name")?, r.try_get("behind")?)))
            .collect()
    }
}
