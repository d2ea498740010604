//! TAXII 2.1 (OASIS, cs01) as plain types shared by vigia's server and
//! client: media types, the resources of every endpoint, the `match[…]`
//! filters and the stateless paging cursor.
//!
//! Layout:
//! - [`media`]: the TAXII and STIX media types; Accept and Content-Type checks.
//! - [`resources`]: discovery, API root, collections, manifest, versions,
//!   status and error resources.
//! - [`filter`]: query parameters parsed into a [`Filter`].
//! - [`cursor`]: the opaque `next` token.
//! - [`relay`]: vigia's relay hint on the envelope nodes push to peers.
//!
//! Architecture invariant: no HTTP client or server and no I/O here.

pub mod cursor;
pub mod filter;
pub mod media;
pub mod relay;
pub mod resources;

pub use cursor::{Cursor, CursorError};
pub use filter::{Filter, FilterError, VersionMatch};
pub use media::{MediaError, STIX_MEDIA_TYPE, TAXII_MEDIA_TYPE};
pub use relay::{CoveredHint, CoveredHintError, COVERED_PROPERTY};
pub use resources::{
    ApiRoot, Collection, Collections, Discovery, ErrorResource, ManifestRecord, Status,
    StatusDetail,
};
