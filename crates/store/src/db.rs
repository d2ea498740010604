//! Connecting, back-end detection and migrations.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyConnection, AnyPool, Executor, Transaction};

use crate::error::StoreError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A handle on the node's database. Cheap to clone; share one per process.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: AnyPool,
    /// Where write transactions run. On a SQLite file, one connection of
    /// its own with a large page cache: SQLite drops a connection's cache
    /// whenever another connection has written, so writes spread over the
    /// pool would each start cold and re-read every index page they touch.
    /// Elsewhere, the pool itself.
    pub(crate) writer: AnyPool,
    /// Wakes the background checkpointer after a bulk write (SQLite file
    /// only): copying the WAL back into the database then happens on a
    /// connection of its own, beside the writer rather than inside one of
    /// its commits.
    pub(crate) checkpoints: Option<Arc<Checkpointer>>,
    /// Writes the derived indexes (search, correlation) after each
    /// insert, beside the next one (`crate::derived`).
    pub(crate) indexer: Arc<crate::derived::Indexer>,
    pub(crate) backend: Backend,
    /// Objects this process has inserted, to refresh planner statistics
    /// as a table grows from empty.
    pub(crate) inserted: Arc<AtomicU64>,
    /// Objects indexed under one observable value at most.
    pub(crate) correlation_cap: Arc<AtomicU32>,
    /// The IPv4 network keys indexed, read on first lookup.
    pub(crate) v4_networks: Arc<tokio::sync::Mutex<crate::correlation::V4Networks>>,
}

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Set on every SQLite connection. `busy_timeout` comes first so that the
/// switch to WAL waits for other processes rather than failing.
/// `synchronous = FULL` syncs the WAL at every commit: an acknowledged
/// write survives a power cut, not only a crash of the process.
/// `mmap_size` is SQLite's ceiling (2 GiB): pages past the mapping are
/// copied into each connection's small cache on every read, which made a
/// 10M-value lookup half again as slow (BENCHMARKS.md). A checkpoint every
/// 16,384 pages (64 MiB of WAL) copies a page changed by many commits
/// once, and costs one commit in sixteen rather than every other.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; \
     PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; \
     PRAGMA mmap_size = 2147418112; \
     PRAGMA wal_autocheckpoint = 16384;";

/// Several readers are fine under WAL; writers serialise on the write lock.
const SQLITE_POOL_SIZE: u32 = 8;
const POSTGRES_POOL_SIZE: u32 = 16;

impl Backend {
    fn of_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

impl Store {
    /// Opens `url` (`sqlite://PATH` or `postgres://…`), creating a SQLite
    /// file if missing, and applies the embedded migrations.
    /// SQLite runs in WAL mode with a busy timeout.
    #[tracing::instrument(skip_all)]
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        // Guarded by its own `Once` inside sqlx.
        sqlx::any::install_default_drivers();

        let connect_error = |source| StoreError::Connect {
            url: redact(url),
            source,
        };
        let backend = Backend::of_url(url).ok_or_else(|| {
            connect_error(sqlx::Error::Configuration(
                "expected a sqlite:// or postgres:// URL".into(),
            ))
        })?;
        let (pool, writer, checkpoints) = match backend {
            Backend::Sqlite => sqlite_pools(url).await,
            Backend::Postgres => postgres_pool(url).await.map(|p| (p.clone(), p, None)),
        }
        .map_err(connect_error)?;
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&pool).await?;
        tracing::debug!(?backend, "store connected");
        let correlation_cap = Arc::new(AtomicU32::new(crate::correlation::DEFAULT_CORRELATION_CAP));
        let indexer = crate::derived::Indexer::start(
            pool.clone(),
            writer.clone(),
            backend,
            Arc::clone(&correlation_cap),
        );
        Ok(Self {
            pool,
            writer,
            checkpoints,
            indexer,
            backend,
            inserted: Arc::default(),
            correlation_cap,
            v4_networks: Arc::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Readiness: a trivial query round trip.
    #[tracing::instrument(skip_all)]
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.pool.execute("SELECT 1").await?;
        Ok(())
    }

    /// Waits for in-flight queries and closes connections.
    pub async fn close(&self) {
        if let Some(c) = &self.checkpoints {
            c.pool.close().await;
        }
        self.writer.close().await;
        self.pool.close().await
    }

    /// Counts `count` new objects and, on PostgreSQL, refreshes the
    /// statistics of the object tables and of the derived indexes each time
    /// the count passes 2,000 × 4ⁿ (search's lexeme statistics tell a rare
    /// word from a common one). Autovacuum analyses a table only after a
    /// minute or so, if it runs at all; until then the planner, with no
    /// statistics, takes key lookups for table scans: without them, the
    /// correlation cap's count scanned all of `observable_index` and ingest
    /// at 1,000,000 objects slowed down by a quarter. The refresh runs in
    /// the background: at 500,000 objects it takes seconds, which the
    /// insert that crossed the threshold would otherwise wait for.
    pub(crate) fn note_inserted(&self, count: u64) {
        let before = self.inserted.fetch_add(count, Ordering::Relaxed);
        if self.backend != Backend::Postgres || !passes_threshold(before, before + count) {
            return;
        }
        let pool = self.pool.clone();
        tokio::spawn(async move {
            let analyse = "ANALYZE objects, object_access, object_search, observable_index, \
                 observable_v4_networks, observable_v6_networks, object_refs";
            if let Err(e) = pool.execute(analyse).await {
                tracing::warn!(error = %e, "could not refresh object statistics");
            }
        });
    }

    /// A transaction that will write. On SQLite it takes the write lock at
    /// once (`BEGIN IMMEDIATE`): a deferred transaction that reads first
    /// could not upgrade to a writer once another writer has committed.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        begin_write_on(&self.writer, self.backend).await
    }
}

/// [`Store::begin_write`] on `writer`, for tasks that hold the pool alone.
pub(crate) async fn begin_write_on(
    writer: &AnyPool,
    backend: Backend,
) -> Result<Transaction<'static, Any>, StoreError> {
    Ok(match backend {
        Backend::Sqlite => writer.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => writer.begin().await?,
    })
}

/// Whether some 2,000 × 4ⁿ lies in `(before, after]`.
fn passes_threshold(before: u64, after: u64) -> bool {
    let mut threshold: u64 = 2_000;
    while threshold <= after {
        if threshold > before {
            return true;
        }
        threshold = threshold.saturating_mul(4);
    }
    false
}

type Pools = (AnyPool, AnyPool, Option<Arc<Checkpointer>>);

/// The readers' pool, the writer's and the checkpointer (one pool and no
/// checkpointer for `:memory:`, where each connection would be a database
/// of its own).
async fn sqlite_pools(url: &str) -> Result<Pools, sqlx::Error> {
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    let readers = sqlite_pool(url, SQLITE_POOL_SIZE, "").await?;
    if in_memory {
        return Ok((readers.clone(), readers, None));
    }
    let writer = sqlite_pool(url, 1, SQLITE_WRITER_PRAGMAS).await?;
    let checkpointer = Checkpointer::start(sqlite_pool(url, 1, "").await?);
    Ok((readers, writer, Some(checkpointer)))
}

/// Runs passive checkpoints on a connection of its own when woken. A
/// passive checkpoint never blocks the writer; the writer's own automatic
/// checkpoint (`wal_autocheckpoint`) stays as the fallback should this one
/// fall behind, and then finds most of the WAL already copied. The task
/// ends when the last handle on the store is dropped or closed.
pub(crate) struct Checkpointer {
    pool: AnyPool,
    wake: tokio::sync::mpsc::Sender<()>,
}

impl std::fmt::Debug for Checkpointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkpointer").finish_non_exhaustive()
    }
}

impl Checkpointer {
    fn start(pool: AnyPool) -> Arc<Self> {
        // One pending wake is enough: a checkpoint copies all there is.
        let (wake, mut woken) = tokio::sync::mpsc::channel(1);
        let conn = pool.clone();
        tokio::spawn(async move {
            while woken.recv().await.is_some() {
                if conn.is_closed() {
                    break;
                }
                if let Err(e) = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").await {
                    tracing::warn!(error = %e, "background WAL checkpoint failed");
                }
            }
            conn.close().await;
        });
        Arc::new(Self { pool, wake })
    }

    pub(crate) fn wake(&self) {
        let _ = self.wake.try_send(());
    }
}

/// The writer's page cache (negative: KiB). Filled only as pages are
/// touched, so an idle node does not pay for it.
const SQLITE_WRITER_PRAGMAS: &str = "PRAGMA cache_size = -131072;";

async fn sqlite_pool(url: &str, size: u32, extra: &'static str) -> Result<AnyPool, sqlx::Error> {
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    let url = if in_memory || url.contains("mode=") {
        url.to_owned()
    } else {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}mode=rwc")
    };
    let mut options = AnyPoolOptions::new().after_connect(move |conn: &mut AnyConnection, _| {
        Box::pin(async move {
            conn.execute(SQLITE_PRAGMAS).await?;
            if !extra.is_empty() {
                conn.execute(extra).await?;
            }
            Ok(())
        })
    });
    options = if in_memory {
        // Each connection to :memory: is its own database: keep exactly one.
        options
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
    } else {
        options
            .max_connections(size)
            .acquire_timeout(Duration::from_secs(30))
    };
    options.connect(&url).await
}

async fn postgres_pool(url: &str) -> Result<AnyPool, sqlx::Error> {
    AnyPoolOptions::new()
        .max_connections(POSTGRES_POOL_SIZE)
        .after_connect(|conn: &mut AnyConnection, _| {
            Box::pin(async move {
                // Short indexed queries only: JIT compilation (triggered by
                // cost estimates, which are wrong before ANALYZE) would
                // cost far more than it saves.
                conn.execute("SET jit = off").await?;
                Ok(())
            })
        })
        .connect(url)
        .await
}

/// The URL without its password, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_echoed() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
    }

    #[test]
    fn statistics_refresh_geometrically() {
        assert!(!passes_threshold(0, 1_999));
        assert!(passes_threshold(1_999, 2_000));
        assert!(!passes_threshold(2_000, 7_999));
        assert!(passes_threshold(7_000, 9_000));
        assert!(passes_threshold(0, 1_000_000));
        assert!(!passes_threshold(600_000, 1_000_000));
    }

    #[test]
    fn backend_follows_the_scheme() {
        assert_eq!(Backend::of_url("sqlite://x.db"), Some(Backend::Sqlite));
        assert_eq!(
            Backend::of_url("postgresql://h/db"),
            Some(Backend::Postgres)
        );
        assert_eq!(Backend::of_url("mysql://h/db"), None);
    }
}
