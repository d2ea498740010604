use vigia_stix::StixId;

/// What went wrong in the store, with the record it concerned.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{what} already exists")]
    Conflict { what: String },
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("this database already holds node {node_id}; refusing to initialise it again")]
    AlreadyInitialised { node_id: String },
    #[error("stored record {what} is corrupt: {reason}")]
    Corrupt { what: String, reason: String },
    #[error("object {id}: {reason}")]
    Object { id: StixId, reason: String },
    /// A search query the store will not run (too long); the person who
    /// typed it can fix it.
    #[error("search query refused: {reason}")]
    SearchQuery { reason: String },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// CPU work the store ran on a blocking thread did not finish.
    #[error("{what} failed on its worker thread: {reason}")]
    Worker { what: &'static str, reason: String },
}
