//! STIX objects: stored byte for byte, indexed, with access keys.

use vigia_policy::Audience;
use vigia_stix::{StixId, StixObject, Timestamp, Tlp};

use crate::db::Store;
use crate::error::StoreError;

/// One object to store, with the audience the caller computed for it.
pub struct NewObject<'a> {
    pub object: &'a StixObject,
    pub audience: &'a Audience,
    /// Access keys from `vigia_policy::object_keys(audience)`.
    pub access_keys: &'a [String],
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InsertOutcome {
    /// A new version, with the `date_added` the node assigned.
    Stored { date_added: Timestamp },
    /// The exact same id and version were already stored (idempotent).
    Duplicate { date_added: Timestamp },
}

/// An object as read back.
#[derive(Clone, Debug)]
pub struct StoredObject {
    /// Unique per node and strictly increasing in insertion order.
    pub date_added: Timestamp,
    pub id: StixId,
    pub object_type: String,
    /// `modified`, else `created`; `None` for unversioned objects.
    pub version: Option<Timestamp>,
    pub spec_version: String,
    pub created_by_ref: Option<String>,
    pub tlp: Tlp,
    pub revoked: bool,
    pub audience: Audience,
    /// The object exactly as received.
    pub raw: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum VersionFilter {
    /// Every version.
    All,
    /// The newest version of each id (TAXII default).
    #[default]
    Last,
    First,
    /// Versions equal to any of these.
    At(Vec<Timestamp>),
}

/// A page query in `date_added` order. All filters combine with AND.
#[derive(Clone, Debug, Default)]
pub struct ObjectQuery {
    /// Only rows whose access keys meet these; `None` selects every row
    /// (node-internal use only).
    pub access_keys: Option<Vec<String>>,
    /// Strictly after this `date_added`.
    pub added_after: Option<Timestamp>,
    pub ids: Vec<String>,
    pub types: Vec<String>,
    pub spec_versions: Vec<String>,
    pub versions: VersionFilter,
    /// At most this many rows (the caller caps it).
    pub limit: u32,
}

impl Store {
    /// Stores a batch in one transaction. Each new version gets a
    /// `date_added` strictly greater than any before it on this node, and
    /// rows commit in `date_added` order even across replicas, so a reader
    /// paging by `date_added` never skips a row that commits later.
    pub async fn insert_objects(&self, batch: &[NewObject<'_>]) -> Result<Vec<InsertOutcome>, StoreError> {
        let _ = batch;
        unimplemented!()
    }

    /// Every stored version of one id, oldest version first.
    pub async fn object_versions(&self, id: &StixId) -> Result<Vec<StoredObject>, StoreError> {
        let _ = id;
        unimplemented!()
    }

    /// One page of objects in `date_added` order.
    pub async fn query_objects(&self, query: &ObjectQuery) -> Result<Vec<StoredObject>, StoreError> {
        let _ = query;
        unimplemented!()
    }

    /// Number of stored object versions.
    pub async fn count_objects(&self) -> Result<i64, StoreError> {
        unimplemented!()
    }
}
