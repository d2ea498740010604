//! STIX 2.1 for vigia: identifiers, timestamps, TLP 2.0 markings, the parsed
//! view of an object kept beside its original bytes, and validation against
//! the official OASIS JSON schemas.
//!
//! Layout:
//! - [`id`]: `type--uuid` identifiers.
//! - [`timestamp`]: STIX timestamps and their sortable version keys.
//! - [`tlp`]: the five TLP 2.0 markings, TLP 1.0 mapping.
//! - [`object`]: [`StixObject`], raw JSON plus the index fields.
//! - [`bundle`]: splitting a bundle into raw objects without re-serialising.
//! - [`schema`]: the embedded OASIS schemas and the validator.
//! - [`distribution`]: vigia's distribution extension (recipients, groups).
//! - [`seal`]: the originating node's signature on an object it publishes.
//!
//! Architecture invariant: this crate does no I/O and reads no clock. The
//! schemas are compiled into the binary with `include_str!`.

pub mod bundle;
pub mod distribution;
pub mod id;
pub mod object;
pub mod pattern;
pub mod schema;
pub mod seal;
pub mod timestamp;
pub mod tlp;

pub use bundle::{split_objects, BundleError};
pub use distribution::{Distribution, DISTRIBUTION_EXTENSION_ID};
pub use id::{IdError, StixId};
pub use object::{ObjectError, StixObject};
pub use schema::{SchemaSet, SchemaViolation};
pub use seal::{
    seal, verify_seal, verify_seal_with, GroupDefinition, KeyCache, Seal, SealError,
    SEAL_EXTENSION_ID,
};
pub use timestamp::{Timestamp, TimestampError};
pub use tlp::Tlp;
