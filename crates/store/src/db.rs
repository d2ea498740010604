//! Connecting, back-end detection and migrations.

use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;

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
    pub(crate) backend: Backend,
}

impl Store {
    /// Opens `url` (`sqlite://PATH` or `postgres://…`), creating a SQLite
    /// file if missing, and applies the embedded migrations.
    /// SQLite runs in WAL mode with a busy timeout.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let _ = (url, AnyPoolOptions::new());
        unimplemented!("store helper")
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Readiness: a trivial query round trip.
    pub async fn ping(&self) -> Result<(), StoreError> {
        unimplemented!()
    }

    /// Waits for in-flight queries and closes connections.
    pub async fn close(&self) {
        self.pool.close().await
    }
}
