//! Cooperation records (issue 11) are notes listed by kind: their insert
//! indexes `vigia-cooperation:<kind>` in `object_refs`, so no table of
//! their own is needed and deletion clears them like any reference.

use vigia_cooperation::Kind;

use crate::{Store, StoreError, StoredObject};

impl Store {
    /// The latest versions of cooperation records of `kind`, newest first,
    /// at most `limit`; narrowed to `access_keys` when given (the caller
    /// still applies `may_view`).
    #[tracing::instrument(skip_all, fields(kind = kind.as_str()))]
    pub async fn cooperation_records(
        &self,
        kind: Kind,
        access_keys: Option<&[String]>,
        limit: u32,
    ) -> Result<Vec<StoredObject>, StoreError> {
        let key = kind.index_key();
        self.objects_referring_to(&[key.as_str()], &["note"], access_keys, limit)
            .await
    }
}
