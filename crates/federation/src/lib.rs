//! vigia's TAXII 2.1 client: how a node reads objects from, and sends
//! objects to, other TAXII 2.1 servers (peer nodes, national feeds, the
//! OASIS reference server).
//!
//! Layout:
//! - [`client`]: [`TaxiiClient`], one per server and credential, with a
//!   method per TAXII endpoint, [`PageStream`] to follow paging to the end,
//!   and status polling.
//! - [`endpoint`]: where each endpoint lives relative to an API root or a
//!   discovery URL, and URLs made safe to print.
//! - [`query`]: a [`vigia_taxii::Filter`] written as URL query parameters.
//! - [`sync`]: the federation workers of a node: the outbox (signed push,
//!   retries with backoff) and the per-peer pull.
//! - [`error`]: every failure names the URL, and the HTTP status and the
//!   server's TAXII error resource when there was one.
//!
//! Objects are kept as the exact text the server sent
//! ([`serde_json::value::RawValue`]), so what a pull stores is what the
//! server served, byte for byte.
//!
//! Architecture invariant: this is the only crate that makes outbound HTTP
//! requests. It reads no configuration. The client touches no store; the
//! workers in [`sync`] read the outbox and hand what they pull to the
//! store's one ingest path.

pub mod client;
pub mod endpoint;
pub mod error;
pub mod query;
pub mod relay;
pub mod sync;

pub use client::{envelope, Auth, Options, Page, PageStream, TaxiiClient};
pub use error::Error;
pub use vigia_taxii::{
    ApiRoot, Collection, Collections, Discovery, ErrorResource, Filter, Status, StatusDetail,
    VersionMatch, STIX_MEDIA_TYPE, TAXII_MEDIA_TYPE,
};
