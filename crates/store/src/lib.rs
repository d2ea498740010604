//! vigia's store: one API over SQLite (the embedded default, WAL) and
//! PostgreSQL (several stateless `vigia serve` replicas on one database).
//!
//! Layout:
//! - `db`: connecting, back-end detection, embedded migrations.
//! - `objects`: STIX objects stored byte for byte with their index columns
//!   and access keys; strictly increasing `date_added`; full-text search.
//! - `derived`: full-text search and correlation as derived indexes, each
//!   with its progress; written beside the inserts on PostgreSQL, in them
//!   on SQLite, and caught up by every query before it reads them.
//! - `teams`, `users`, `tokens`, `groups`: the node's organisations,
//!   people, credentials and sharing groups.
//! - `federation`: peers, trusted node keys, the outbox, request nonces,
//!   sharing groups learned from other nodes, settings.
//! - `audit`: the append-only, hash-chained audit log.
//! - [`ingest`]: the one path by which objects enter, for every interface.
//!
//! Architecture invariant: this is the only crate that contains SQL. It
//! never decides who may see what: it selects candidates by access key and
//! the caller applies `vigia_policy::may_view`.

mod assistance;
mod audit;
mod awareness;
mod cooperation;
mod correlation;
mod db;
mod derived;
mod directory;
mod error;
mod federation;
mod groups;
pub mod ingest;
mod objects;
mod public_reports;
mod records;
mod sql;
mod status;
mod teams;
mod tokens;
mod users;
mod watch;

pub use assistance::{AssistanceRecord, AssistanceStep};
pub use audit::{AuditEntry, AuditEvent, AuditVerification};
pub use awareness::AwarenessPage;
pub use correlation::{CorrelationStats, ObjectMatch, DEFAULT_CORRELATION_CAP};
pub use db::{Backend, Store};
pub use directory::{CampaignRecord, MemberStateRecord};
pub use error::StoreError;
pub use federation::{Delivery, DeliveryOutcome, DueBatch, KeyTrust, NewPeer, PeerRecord, Queued};
pub use groups::{FederationSnapshot, SharingGroupRow};
pub use objects::{
    InsertOutcome, NewObject, ObjectQuery, StoredObject, VersionFilter, MAX_SEARCH_QUERY_CHARS,
};
pub use public_reports::{PublicReportRecord, ReportRelay, ReportTriage};
pub use records::{
    NewTeam, NewToken, NewUser, NodeRecord, TeamKind, TeamRecord, TokenRecord, UserRecord,
};
pub use watch::{
    AckLink, Assignment, DrillRecord, Embargo, FindingRow, NewNotification, Notification,
    ProductRecord, ReceiptRecord, ReceiptUpdate, SendOutcome, WatchProjection,
};
