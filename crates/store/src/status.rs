//! TAXII status resources, stored as JSON so every replica can serve them.

use crate::audit::{append_in, AuditEntry, AuditEvent};
use crate::db::Store;
use crate::error::StoreError;
use crate::sql::{corrupt, now};

impl Store {
    /// Stores a status resource and appends the audit entry of the request
    /// it answers, in one transaction: one commit where two would be.
    #[tracing::instrument(skip_all)]
    pub async fn put_taxii_status_audited(
        &self,
        id: &str,
        body: &str,
        event: &AuditEvent,
    ) -> Result<AuditEntry, StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO taxii_status (id, created_at, body) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(now().unix_micros())
            .bind(body)
            .execute(&mut *tx)
            .await?;
        let mut entries = append_in(&mut tx, self.backend, std::slice::from_ref(event)).await?;
        tx.commit().await?;
        entries
            .pop()
            .ok_or_else(|| corrupt("audit head", "no entry was appended"))
    }

    /// The status resource with this id, if any.
    #[tracing::instrument(skip_all)]
    pub async fn taxii_status(&self, id: &str) -> Result<Option<serde_json::Value>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT body FROM taxii_status WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|(body,)| {
            serde_json::from_str(&body).map_err(|e| StoreError::Corrupt {
                what: format!("taxii status {id}"),
                reason: e.to_string(),
            })
        })
        .transpose()
    }

    /// Deletes the given versions (by `date_added`) of one object, with
    /// their access keys, in one transaction. Returns how many were deleted.
    #[tracing::instrument(skip_all)]
    pub async fn delete_object_versions(
        &self,
        id: &vigia_stix::StixId,
        date_added: &[vigia_stix::Timestamp],
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        crate::derived::hold_indexers(&mut tx, self.backend).await?;
        let mut deleted = 0;
        for d in date_added {
            let micros = d.unix_micros();
            let body: Option<(String, String)> =
                sqlx::query_as("SELECT type, raw FROM objects WHERE date_added = $1 AND id = $2")
                    .bind(micros)
                    .bind(id.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some((object_type, raw)) = body {
                crate::correlation::unindex(&mut tx, self.backend, micros, &object_type, &raw)
                    .await?;
            }
            sqlx::query("DELETE FROM object_access WHERE date_added = $1")
                .bind(micros)
                .execute(&mut *tx)
                .await?;
            crate::objects::unindex(&mut tx, self.backend, micros).await?;
            deleted += sqlx::query("DELETE FROM objects WHERE date_added = $1 AND id = $2")
                .bind(micros)
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        // The newest remaining version becomes the latest again.
        sqlx::query(
            "UPDATE objects SET is_latest = 1 WHERE id = $1 AND version = \
             (SELECT MAX(version) FROM objects WHERE id = $1)",
        )
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(deleted)
    }
}
