//! Small helpers shared by every table module: a builder for statements
//! whose parameter count varies (lists, multi-row inserts), typed column
//! reads that turn bad data into `Corrupt`, error mapping and the clock.
//!
//! Fixed statements are written once with `$1, $2…`, which both SQLite and
//! PostgreSQL accept.

use std::fmt::Write as _;

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::error::ErrorKind;
use sqlx::{Any, Arguments, Decode, Encode, Row, Type};
use vigia_stix::Timestamp;

use crate::db::Backend;
use crate::error::StoreError;

/// Parameters one statement may carry, below SQLite's 32766 and
/// PostgreSQL's 65535.
pub(crate) const MAX_PARAMS: usize = 30_000;

/// SQL text with placeholders and the arguments bound to them.
///
/// PostgreSQL gets `$n`. SQLite gets anonymous `?`: it resolves named and
/// numbered parameters by a linear search, which makes a statement with
/// thousands of `$n` quadratic to prepare and bind.
pub(crate) struct Stmt<'a> {
    backend: Backend,
    sql: String,
    args: AnyArguments<'a>,
    count: usize,
    error: Option<sqlx::error::BoxDynError>,
}

impl<'a> Stmt<'a> {
    pub(crate) fn new(backend: Backend, sql: &str) -> Self {
        Self {
            backend,
            sql: sql.to_owned(),
            args: AnyArguments::default(),
            count: 0,
            error: None,
        }
    }

    pub(crate) fn sql(&mut self, text: &str) -> &mut Self {
        self.sql.push_str(text);
        self
    }

    /// Appends a placeholder and binds `value` to it.
    pub(crate) fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'a + Encode<'a, Any> + Type<Any>,
    {
        self.count += 1;
        match self.backend {
            Backend::Sqlite => self.sql.push('?'),
            Backend::Postgres => {
                let _ = write!(self.sql, "${}", self.count);
            }
        }
        if let Err(e) = self.args.add(value) {
            self.error.get_or_insert(e);
        }
        self
    }

    /// Appends a placeholder for each value, comma-separated.
    pub(crate) fn bind_list<T, I>(&mut self, values: I) -> &mut Self
    where
        T: 'a + Encode<'a, Any> + Type<Any>,
        I: IntoIterator<Item = T>,
    {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.bind(v);
        }
        self
    }

    pub(crate) fn params(&self) -> usize {
        self.count
    }

    /// The query, ready to run.
    pub(crate) fn query(
        &mut self,
    ) -> Result<sqlx::query::Query<'_, Any, AnyArguments<'_>>, StoreError> {
        if let Some(e) = self.error.take() {
            return Err(StoreError::Database(sqlx::Error::Encode(e)));
        }
        let args = std::mem::take(&mut self.args);
        Ok(sqlx::query_with(&self.sql, args))
    }
}

/// Reads one column, calling any failure (wrong type, NULL) corruption of
/// the record `what`.
pub(crate) fn col<'r, T>(
    row: &'r AnyRow,
    name: &str,
    what: &dyn Fn() -> String,
) -> Result<T, StoreError>
where
    T: Decode<'r, Any> + Type<Any>,
{
    row.try_get::<T, _>(name).map_err(|e| StoreError::Corrupt {
        what: what(),
        reason: format!("column {name}: {e}"),
    })
}

pub(crate) fn corrupt(what: impl Into<String>, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        what: what.into(),
        reason: reason.to_string(),
    }
}

/// A stored microsecond count as a timestamp.
pub(crate) fn stamp(micros: i64, what: &dyn Fn() -> String) -> Result<Timestamp, StoreError> {
    Timestamp::from_unix_micros(micros).map_err(|e| corrupt(what(), e))
}

pub(crate) fn opt_stamp(
    micros: Option<i64>,
    what: &dyn Fn() -> String,
) -> Result<Option<Timestamp>, StoreError> {
    micros.map(|m| stamp(m, what)).transpose()
}

/// Maps a unique violation to `Conflict` and a foreign-key violation to
/// `NotFound`, naming the record; anything else stays a database error.
pub(crate) fn constraint(
    e: sqlx::Error,
    conflict: impl FnOnce() -> String,
    missing: impl FnOnce() -> String,
) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        match db.kind() {
            ErrorKind::UniqueViolation => return StoreError::Conflict { what: conflict() },
            ErrorKind::ForeignKeyViolation => return StoreError::NotFound { what: missing() },
            _ => {}
        }
    }
    StoreError::Database(e)
}

/// Now, truncated to the microsecond the database keeps.
pub(crate) fn now() -> Timestamp {
    let micros = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000) as i64;
    // Within range for any clock this code will run under.
    Timestamp::from_unix_micros(micros)
        .unwrap_or_else(|_| Timestamp::from_datetime(time::OffsetDateTime::UNIX_EPOCH))
}

/// `ts` truncated to microseconds, as it will read back.
pub(crate) fn to_micros(ts: Timestamp) -> Timestamp {
    Timestamp::from_unix_micros(ts.unix_micros()).unwrap_or(ts)
}

pub(crate) fn flag(value: bool) -> i64 {
    i64::from(value)
}
