//! The audit log: append-only and hash-chained.
//!
//! Each entry's hash is `vigia_sign::link_hash(prev_hash, canonical)` where
//! `canonical` is the RFC 8785 JSON of `{seq, at, actor, action, subject,
//! outcome, detail}`. A one-row head records the last sequence number and
//! hash, so removing entries from the end is detected too. Appends take
//! the head row's lock, so replicas on one PostgreSQL database extend one
//! chain.

use serde::{Deserialize, Serialize};
use vigia_stix::Timestamp;

use crate::db::Store;
use crate::error::StoreError;

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

impl Store {
    /// Appends one event and returns the chained entry.
    pub async fn append_audit(&self, event: &AuditEvent) -> Result<AuditEntry, StoreError> {
        let _ = event;
        unimplemented!()
    }

    /// Appends several events in order, in one transaction.
    pub async fn append_audit_batch(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        let _ = events;
        unimplemented!()
    }

    /// Entries with `seq > after`, in order, at most `limit`.
    pub async fn audit_entries(&self, after: i64, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let _ = (after, limit);
        unimplemented!()
    }

    /// Recomputes every link from the stored fields and checks the head.
    /// Streams in pages, so it works on any size of log.
    pub async fn verify_audit(&self) -> Result<AuditVerification, StoreError> {
        unimplemented!()
    }
}
