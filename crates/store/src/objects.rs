//! STIX objects: stored byte for byte, indexed, with access keys.

use vigia_policy::Audience;
use vigia_stix::{StixId, StixObject, Timestamp, Tlp};

use sqlx::any::AnyRow;

use crate::db::Store;
use crate::error::StoreError;
use crate::sql::{col, corrupt, stamp, Stmt};

mod insert;
mod page;
mod search;

pub use search::MAX_SEARCH_QUERY_CHARS;
pub(crate) use search::{index_range, index_stored, unindex, NUL_ESCAPE};

/// One object to store, with the audience the caller computed for it.
pub struct NewObject<'a> {
    pub object: &'a StixObject,
    pub audience: &'a Audience,
    /// Access keys from `vigia_policy::object_keys(audience)`.
    pub access_keys: &'a [String],
    /// Peers (team ids) to deliver a new version to, through the outbox
    /// written in the same transaction.
    pub deliver_to: &'a [String],
    /// Announced to those peers with it: the nodes it is already on its way
    /// to, as a JSON array of team ids (see `vigia_taxii::relay`).
    pub covered: Option<&'a str>,
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
    /// Any union of first, last and given versions (TAXII `match[version]`).
    Select {
        first: bool,
        last: bool,
        at: Vec<Timestamp>,
    },
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
    #[tracing::instrument(skip_all, fields(objects = batch.len()))]
    pub async fn insert_objects(
        &self,
        batch: &[NewObject<'_>],
    ) -> Result<Vec<InsertOutcome>, StoreError> {
        insert::insert_objects(self, batch).await
    }

    /// Every stored version of one id, oldest version first.
    #[tracing::instrument(skip_all)]
    pub async fn object_versions(&self, id: &StixId) -> Result<Vec<StoredObject>, StoreError> {
        let mut stmt = Stmt::new(
            self.backend,
            &format!("SELECT {COLUMNS} FROM objects o WHERE o.id = "),
        );
        stmt.bind(id.as_str()).sql(" ORDER BY o.version");
        let rows = stmt.query()?.fetch_all(&self.pool).await?;
        rows.iter().map(stored_object).collect()
    }

    /// One page of objects in `date_added` order.
    #[tracing::instrument(skip_all, fields(limit = query.limit))]
    pub async fn query_objects(
        &self,
        query: &ObjectQuery,
    ) -> Result<Vec<StoredObject>, StoreError> {
        page::query_objects(self, query).await
    }

    /// Full-text search: the latest version of each object whose latest
    /// version matches every word of `query`, newest first, at most
    /// `limit`. Searched are names and titles, observable values and
    /// hashes, indicator patterns, abstracts, descriptions and note
    /// content, case-insensitively; each word is a phrase of its letters
    /// and digits, so `198.51.100.7` or `evil.example` finds the indicator
    /// whose pattern holds it. Query syntax is never interpreted: any text
    /// is safe. Blank text finds nothing; more than
    /// [`MAX_SEARCH_QUERY_CHARS`] characters is `StoreError::SearchQuery`.
    ///
    /// No access rule is applied: the caller filters the results through
    /// `vigia_policy::may_view`.
    #[tracing::instrument(skip_all, fields(limit = limit))]
    pub async fn search_objects(
        &self,
        query: &str,
        limit: u32,
    ) -> Result<Vec<StoredObject>, StoreError> {
        search::search_objects(self, query, None, limit).await
    }

    /// [`search_objects`](Self::search_objects) among the objects indexed
    /// under one of `access_keys` (a viewer's keys, from
    /// `vigia_policy::viewer_keys`). The keys over-approximate the access
    /// rule, so the caller still decides each object with `may_view`.
    #[tracing::instrument(skip_all)]
    pub async fn search_objects_for(
        &self,
        query: &str,
        access_keys: &[String],
        limit: u32,
    ) -> Result<Vec<StoredObject>, StoreError> {
        search::search_objects(self, query, Some(access_keys), limit).await
    }

    /// Number of stored object versions.
    #[tracing::instrument(skip_all)]
    pub async fn count_objects(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM objects")
            .fetch_one(&self.pool)
            .await?;
        col(&row, "n", &|| "object count".to_owned())
    }
}

/// The columns `stored_object` reads, from `objects o`.
pub(crate) const COLUMNS: &str = "o.date_added AS date_added, o.id AS id, o.type AS type, \
     o.version AS version, o.spec_version AS spec_version, o.created_by_ref AS created_by_ref, \
     o.tlp AS tlp, o.revoked AS revoked, o.audience AS audience, o.raw AS raw";

/// Decodes one row selected with [`COLUMNS`]; bad data is `Corrupt`.
pub(crate) fn stored_object(row: &AnyRow) -> Result<StoredObject, StoreError> {
    let date_added: i64 = col(row, "date_added", &|| "object row".to_owned())?;
    let what = || format!("object at date_added {date_added}");
    let id: String = col(row, "id", &what)?;
    let version: String = col(row, "version", &what)?;
    let tlp: String = col(row, "tlp", &what)?;
    let audience: String = col(row, "audience", &what)?;
    Ok(StoredObject {
        date_added: stamp(date_added, &what)?,
        id: StixId::parse(&id).map_err(|e| corrupt(what(), e))?,
        object_type: col(row, "type", &what)?,
        version: match version.as_str() {
            "" => None,
            key => Some(Timestamp::parse(key).map_err(|e| corrupt(what(), e))?),
        },
        spec_version: col(row, "spec_version", &what)?,
        created_by_ref: col(row, "created_by_ref", &what)?,
        tlp: tlp.parse::<Tlp>().map_err(|e| corrupt(what(), e))?,
        revoked: col::<i64>(row, "revoked", &what)? != 0,
        audience: serde_json::from_str::<Audience>(&audience).map_err(|e| corrupt(what(), e))?,
        raw: col(row, "raw", &what)?,
    })
}
