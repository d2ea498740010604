//! The audit log: append-only and hash-chained.
//!
//! Each entry's hash is `vigia_sign::link_hash(prev_hash, canonical)` where
//! `canonical` is the RFC 8785 JSON of `{seq, at, actor, action, subject,
//! outcome, detail}`. A one-row head records the last sequence number and
//! hash, so removing entries from the end is detected too. Appends take
//! the head row's lock, so replicas on one PostgreSQL database extend one
//! chain.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::AnyConnection;
use vigia_sign::ChainLink;
use vigia_stix::Timestamp;

use crate::db::{Backend, Store};
use crate::error::StoreError;
use crate::sql::{col, corrupt, stamp, to_micros, Stmt};

/// What happened, before it is sequenced and chained.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub at: Timestamp,
    /// Who: `user:NAME@TEAM`, `token:ID`, `peer:NODE`, `public`, `cli`.
    pub actor: String,
    /// What, as a dotted verb: `object.read`, `login.failed`, `token.create`.
    pub action: String,
    /// What it concerned: an object id, user name, token id.
    pub subject: Option<String>,
    /// `ok` or `denied` or `error`.
    pub outcome: String,
    /// Anything else worth keeping (never secrets).
    pub detail: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    #[serde(flatten)]
    pub event: AuditEvent,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    /// The canonical bytes the hash covers.
    pub fn canonical_body(seq: i64, event: &AuditEvent) -> Vec<u8> {
        let body = serde_json::json!({
            "seq": seq,
            "at": event.at.to_micros_string(),
            "actor": event.actor,
            "action": event.action,
            "subject": event.subject,
            "outcome": event.outcome,
            "detail": event.detail,
        });
        vigia_sign::canonical_json(&body).unwrap_or_default()
    }
}

/// The result of checking the whole chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditVerification {
    Intact { entries: u64 },
    Broken(vigia_sign::ChainBreak),
}

/// Entries read per page when verifying.
const VERIFY_PAGE: i64 = 10_000;
/// Audit rows per multi-row INSERT (nine parameters each).
const ROWS_PER_INSERT: usize = 1_000;

const ENTRY_COLUMNS: &str =
    "seq, at_micros, actor, action, subject, outcome, detail, prev_hash, hash";

impl Store {
    /// Appends one event and returns the chained entry.
    #[tracing::instrument(skip_all, fields(action = %event.action))]
    pub async fn append_audit(&self, event: &AuditEvent) -> Result<AuditEntry, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut entries = append_in(&mut tx, self.backend, std::slice::from_ref(event)).await?;
        tx.commit().await?;
        entries
            .pop()
            .ok_or_else(|| corrupt("audit head", "no entry was appended"))
    }

    /// Appends several events in order, in one transaction.
    #[tracing::instrument(skip_all, fields(events = events.len()))]
    pub async fn append_audit_batch(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        append_in(&mut tx, self.backend, events).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Entries with `seq > after`, in order, at most `limit`.
    #[tracing::instrument(skip_all)]
    pub async fn audit_entries(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
        ))
        .bind(after)
        .bind(limit.max(0))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(StoredEntry::read)
            .map(|e| e?.into_entry())
            .collect()
    }

    /// Recomputes every link from the stored fields and checks the head.
    /// Streams in pages, so it works on any size of log.
    #[tracing::instrument(skip_all)]
    pub async fn verify_audit(&self) -> Result<AuditVerification, StoreError> {
        // Only entries up to the head read here are checked: later ones
        // belong to appends that committed after it.
        let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        let what = || "audit head".to_owned();
        let head_seq: i64 = col(&head, "seq", &what)?;
        let head_hash: String = col(&head, "hash", &what)?;

        // verify_chain is synchronous and takes an iterator: feed it pages
        // through a small channel from a blocking thread.
        let (pages, inbox) = tokio::sync::mpsc::channel::<Vec<ChainLink>>(2);
        let verifier = tokio::task::spawn_blocking(move || {
            let mut inbox = inbox;
            let links = std::iter::from_fn(move || inbox.blocking_recv()).flatten();
            vigia_sign::verify_chain(links, Some((head_seq, &head_hash)))
        });
        let mut after = 0;
        while after < head_seq {
            let rows = sqlx::query(&format!(
                "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3"
            ))
            .bind(after)
            .bind(head_seq)
            .bind(VERIFY_PAGE)
            .fetch_all(&self.pool)
            .await?;
            let Some(last) = rows.last() else { break };
            after = col(last, "seq", &|| "audit entry".to_owned())?;
            let links = rows
                .iter()
                .map(StoredEntry::link)
                .collect::<Result<Vec<_>, _>>()?;
            if pages.send(links).await.is_err() {
                break; // the verifier stopped at a break
            }
        }
        drop(pages);
        let outcome = match verifier.await {
            Ok(outcome) => outcome,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => return Err(StoreError::Database(sqlx::Error::WorkerCrashed)),
        };
        Ok(match outcome {
            Ok(entries) => AuditVerification::Intact { entries },
            Err(b) => AuditVerification::Broken(b),
        })
    }
}

/// Appends `events` inside the caller's transaction. The head row update
/// comes first: it takes the row lock (PostgreSQL) or write lock (SQLite)
/// that makes concurrent appenders extend one chain in turn.
pub(crate) async fn append_in(
    conn: &mut AnyConnection,
    backend: Backend,
    events: &[AuditEvent],
) -> Result<Vec<AuditEntry>, StoreError> {
    let count = events.len() as i64;
    let head = sqlx::query("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
        .bind(count)
        .fetch_one(&mut *conn)
        .await?;
    let what = || "audit head".to_owned();
    let last_seq: i64 = col(&head, "seq", &what)?;
    let mut prev_hash: String = col(&head, "hash", &what)?;

    let mut entries = Vec::with_capacity(events.len());
    for (k, event) in events.iter().enumerate() {
        let event = as_stored(event)?;
        let seq = last_seq - count + 1 + k as i64;
        let hash = vigia_sign::link_hash(&prev_hash, &AuditEntry::canonical_body(seq, &event));
        entries.push(AuditEntry {
            seq,
            event,
            prev_hash: std::mem::replace(&mut prev_hash, hash.clone()),
            hash,
        });
    }
    for chunk in entries.chunks(ROWS_PER_INSERT) {
        insert_entries(conn, backend, chunk).await?;
    }
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(prev_hash)
        .execute(&mut *conn)
        .await?;
    Ok(entries)
}

/// The event as it will read back: microsecond time, detail re-parsed.
fn as_stored(event: &AuditEvent) -> Result<AuditEvent, StoreError> {
    let detail = serde_json::to_string(&event.detail)
        .and_then(|text| serde_json::from_str(&text))
        .map_err(|e| corrupt(format!("audit detail of {}", event.action), e))?;
    Ok(AuditEvent {
        at: to_micros(event.at),
        detail,
        ..event.clone()
    })
}

async fn insert_entries(
    conn: &mut AnyConnection,
    backend: Backend,
    entries: &[AuditEntry],
) -> Result<(), StoreError> {
    let mut stmt = Stmt::new(
        backend,
        &format!("INSERT INTO audit_log ({ENTRY_COLUMNS}) VALUES "),
    );
    for (k, e) in entries.iter().enumerate() {
        stmt.sql(if k == 0 { "(" } else { ", (" });
        stmt.bind(e.seq).sql(", ");
        stmt.bind(e.event.at.unix_micros()).sql(", ");
        stmt.bind(e.event.actor.as_str()).sql(", ");
        stmt.bind(e.event.action.as_str()).sql(", ");
        stmt.bind(e.event.subject.as_deref()).sql(", ");
        stmt.bind(e.event.outcome.as_str()).sql(", ");
        stmt.bind(e.event.detail.to_string()).sql(", ");
        stmt.bind(e.prev_hash.as_str()).sql(", ");
        stmt.bind(e.hash.as_str()).sql(")");
    }
    stmt.query()?.execute(&mut *conn).await?;
    Ok(())
}

/// An audit row's columns, before interpretation.
struct StoredEntry {
    seq: i64,
    at_micros: i64,
    actor: String,
    action: String,
    subject: Option<String>,
    outcome: String,
    detail: String,
    prev_hash: String,
    hash: String,
}

impl StoredEntry {
    fn read(row: &AnyRow) -> Result<Self, StoreError> {
        let seq: i64 = col(row, "seq", &|| "audit entry".to_owned())?;
        let what = || format!("audit entry {seq}");
        Ok(Self {
            seq,
            at_micros: col(row, "at_micros", &what)?,
            actor: col(row, "actor", &what)?,
            action: col(row, "action", &what)?,
            subject: col(row, "subject", &what)?,
            outcome: col(row, "outcome", &what)?,
            detail: col(row, "detail", &what)?,
            prev_hash: col(row, "prev_hash", &what)?,
            hash: col(row, "hash", &what)?,
        })
    }

    fn event(&self) -> Result<AuditEvent, StoreError> {
        let what = || format!("audit entry {}", self.seq);
        Ok(AuditEvent {
            at: stamp(self.at_micros, &what)?,
            actor: self.actor.clone(),
            action: self.action.clone(),
            subject: self.subject.clone(),
            outcome: self.outcome.clone(),
            detail: serde_json::from_str(&self.detail).map_err(|e| corrupt(what(), e))?,
        })
    }

    fn into_entry(self) -> Result<AuditEntry, StoreError> {
        Ok(AuditEntry {
            seq: self.seq,
            event: self.event()?,
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }

    /// The link as stored. A field that no longer reads back (say, detail
    /// edited into invalid JSON) cannot reproduce the hash: it is given an
    /// empty body, which verification reports as altered.
    fn link(row: &AnyRow) -> Result<ChainLink, StoreError> {
        let stored = Self::read(row)?;
        let canonical_body = stored
            .event()
            .map(|event| AuditEntry::canonical_body(stored.seq, &event))
            .unwrap_or_default();
        Ok(ChainLink {
            seq: stored.seq,
            canonical_body,
            prev_hash: stored.prev_hash,
            hash: stored.hash,
        })
    }
}
