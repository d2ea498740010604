//! The network's directory and census as data. No I/O: time comes in as
//! arguments, files and databases stay with the callers.
//!
//! - [`entry`]: a team's directory entry, each field with its visibility.
//! - [`stix`]: the entry as STIX objects, one per visibility; endorsements;
//!   who may publish what.
//! - [`register`]: the member-state register and each state's status.
//! - [`coverage`]: geographic, sectoral and redundancy gaps.
//! - [`standards`]: the minimum-standards and trust-attribute checklist.
//! - [`census`]: versioned questionnaires, requests and responses.
//! - [`export`]: FIRST global-irt JSON, RFC 2350, RFC 9116 `security.txt`.
//! - [`services`]: the FIRST CSIRT Services Framework 2.1.

pub mod census;
pub mod coverage;
pub mod entry;
pub mod export;
pub mod register;
pub mod reporting;
pub mod services;
pub mod standards;
pub mod stix;

pub use entry::{DirectoryEntry, EntryError, TeamKind, Visibility};
pub use register::MemberState;
pub use stix::{DirectoryExtension, DIRECTORY_EXTENSION_ID};
