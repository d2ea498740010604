//! The directory and census: the member-state register, questionnaire
//! versions and this node's census campaigns. Directory entries,
//! endorsements, census requests and responses are STIX objects; this
//! module finds them by vigia's directory extension.

use std::collections::BTreeMap;

use sqlx::any::AnyRow;
use vigia_directory::{MemberState, DIRECTORY_EXTENSION_ID};
use vigia_stix::Timestamp;

use crate::db::Store;
use crate::error::StoreError;
use crate::objects::{stored_object, StoredObject, COLUMNS};
use crate::sql::{col, Stmt};

/// A member state with what the Secretariat recorded about it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MemberStateRecord {
    #[serde(flatten)]
    pub state: MemberState,
    pub notified_on: Option<String>,
    pub notification: Option<String>,
    pub activated_on: Option<String>,
    pub updated_at: i64,
}

/// A census campaign this node runs.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CampaignRecord {
    pub id: String,
    pub title: String,
    pub questionnaire: i64,
    pub recipients: Vec<String>,
    /// Reminders sent, by team.
    pub reminders: BTreeMap<String, u32>,
    pub deadline: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub closed_at: Option<i64>,
}

const STATE_COLUMNS: &str = "iso2, iso3, name, subregion, languages, timezone, note, \
                             notified_on, notification, activated_on, updated_at";
const CAMPAIGN_COLUMNS: &str = "id, title, questionnaire, recipients, reminders, deadline, \
                                created_by, created_at, closed_at";

impl Store {
    /// The latest version of every stored object of `types` that carries
    /// the directory extension, oldest first. The caller filters them
    /// through the access rule.
    pub async fn directory_objects(&self, types: &[&str]) -> Result<Vec<StoredObject>, StoreError> {
        let mut stmt = Stmt::new(
            self.backend,
            &format!("SELECT {COLUMNS} FROM objects o WHERE o.is_latest = 1 AND o.type IN ("),
        );
        stmt.bind_list(types.iter().map(|t| (*t).to_owned()))
            .sql(") AND o.raw LIKE ")
            .bind(format!("%{DIRECTORY_EXTENSION_ID}%"))
            .sql(" ORDER BY o.date_added");
        let rows = stmt.query()?.fetch_all(&self.pool).await?;
        rows.iter().map(stored_object).collect()
    }

    /// As [`Store::directory_objects`], as the directory stood at `at`:
    /// of each id, the newest version whose `modified` is not after `at`.
    /// Entries change by new versions (a census answer confirmed, a
    /// designation), so these are the census history read at an instant.
    pub async fn directory_objects_as_of(
        &self,
        types: &[&str],
        at: Timestamp,
    ) -> Result<Vec<StoredObject>, StoreError> {
        let mut stmt = Stmt::new(
            self.backend,
            &format!("SELECT {COLUMNS} FROM objects o WHERE o.type IN ("),
        );
        stmt.bind_list(types.iter().map(|t| (*t).to_owned()))
            .sql(") AND o.raw LIKE ")
            .bind(format!("%{DIRECTORY_EXTENSION_ID}%"))
            .sql(" AND o.version <> '' AND o.version <= ")
            .bind(at.version_key())
            .sql(" ORDER BY o.date_added");
        let rows = stmt.query()?.fetch_all(&self.pool).await?;
        let mut newest: BTreeMap<String, StoredObject> = BTreeMap::new();
        for row in &rows {
            let o = stored_object(row)?;
            match newest.get(o.id.as_str()) {
                Some(seen) if seen.version >= o.version => {}
                _ => {
                    newest.insert(o.id.to_string(), o);
                }
            }
        }
        let mut out: Vec<StoredObject> = newest.into_values().collect();
        out.sort_by_key(|o| o.date_added);
        Ok(out)
    }

    /// The origin node of the stored versions of each id, for the rule that
    /// only the node that published a directory object may change it.
    pub async fn origin_nodes(
        &self,
        ids: &[String],
    ) -> Result<BTreeMap<String, String>, StoreError> {
        let mut out = BTreeMap::new();
        for chunk in ids.chunks(500) {
            let mut stmt = Stmt::new(
                self.backend,
                &format!("SELECT {COLUMNS} FROM objects o WHERE o.is_latest = 1 AND o.id IN ("),
            );
            stmt.bind_list(chunk.iter().cloned()).sql(")");
            for row in stmt.query()?.fetch_all(&self.pool).await? {
                let o = stored_object(&row)?;
                if let Some(origin) = o.audience.origin_node {
                    out.insert(o.id.to_string(), origin.to_string());
                }
            }
        }
        Ok(out)
    }

    pub async fn member_states(&self) -> Result<Vec<MemberStateRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {STATE_COLUMNS} FROM member_states ORDER BY subregion, name"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(member_state).collect()
    }

    /// Adds or updates states; what the Secretariat recorded is kept.
    pub async fn put_member_states(
        &self,
        states: &[MemberState],
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for s in states {
            sqlx::query(
                "INSERT INTO member_states (iso2, iso3, name, subregion, languages, timezone, note, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (iso2) DO UPDATE SET iso3 = excluded.iso3, name = excluded.name, \
                 subregion = excluded.subregion, languages = excluded.languages, \
                 timezone = excluded.timezone, note = excluded.note, updated_at = excluded.updated_at",
            )
            .bind(s.iso2.as_str())
            .bind(s.iso3.as_str())
            .bind(s.name.as_str())
            .bind(s.subregion.as_str())
            .bind(s.languages.join(";"))
            .bind(s.timezone.as_str())
            .bind(s.note.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Removes a state from the register; `false` if it was not there.
    pub async fn remove_member_state(&self, iso2: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM member_states WHERE iso2 = $1")
            .bind(iso2)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records a state's notification to the Secretariat; `false` if the
    /// state is not in the register.
    pub async fn record_notification(
        &self,
        iso2: &str,
        notified_on: &str,
        notification: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE member_states SET notified_on = $1, notification = $2, updated_at = $3 WHERE iso2 = $4",
        )
        .bind(notified_on)
        .bind(notification)
        .bind(now)
        .bind(iso2)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Marks a notified state active; `false` if it is not in the register
    /// or was never notified.
    pub async fn activate_member(
        &self,
        iso2: &str,
        on: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE member_states SET activated_on = $1, updated_at = $2 \
             WHERE iso2 = $3 AND notified_on IS NOT NULL",
        )
        .bind(on)
        .bind(now)
        .bind(iso2)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Stores a questionnaire version; refuses a version that exists with
    /// other content.
    pub async fn put_questionnaire(
        &self,
        version: i64,
        body: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let existing = sqlx::query("SELECT body FROM census_questionnaires WHERE version = $1")
            .bind(version)
            .fetch_optional(&self.pool)
            .await?;
        if let Some(row) = existing {
            let stored: String = col(&row, "body", &|| format!("questionnaire {version}"))?;
            if stored == body {
                return Ok(());
            }
            return Err(StoreError::Conflict {
                what: format!(
                    "questionnaire version {version}, with other questions (give the new one a new version),"
                ),
            });
        }
        sqlx::query(
            "INSERT INTO census_questionnaires (version, body, created_at) VALUES ($1, $2, $3)",
        )
        .bind(version)
        .bind(body)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// All questionnaire versions, oldest first: (version, body).
    pub async fn questionnaires(&self) -> Result<Vec<(i64, String)>, StoreError> {
        let rows = sqlx::query("SELECT version, body FROM census_questionnaires ORDER BY version")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let what = || "census_questionnaires".to_owned();
                Ok((col(r, "version", &what)?, col(r, "body", &what)?))
            })
            .collect()
    }

    pub async fn create_campaign(&self, c: &CampaignRecord) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO census_campaigns ({CAMPAIGN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(c.id.as_str())
        .bind(c.title.as_str())
        .bind(c.questionnaire)
        .bind(json(&c.recipients))
        .bind(json(&c.reminders))
        .bind(c.deadline.clone())
        .bind(c.created_by.as_str())
        .bind(c.created_at)
        .bind(c.closed_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn campaigns(&self) -> Result<Vec<CampaignRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM census_campaigns ORDER BY created_at DESC"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(campaign).collect()
    }

    pub async fn campaign(&self, id: &str) -> Result<Option<CampaignRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM census_campaigns WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(campaign).transpose()
    }

    /// Counts one more reminder for each of `teams`.
    pub async fn record_reminders(&self, id: &str, teams: &[String]) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT reminders FROM census_campaigns WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: format!("census campaign {id}"),
            })?;
        let text: String = col(&row, "reminders", &|| format!("campaign {id}"))?;
        let mut reminders: BTreeMap<String, u32> = serde_json::from_str(&text)
            .map_err(|e| crate::sql::corrupt(format!("campaign {id} reminders"), e))?;
        for t in teams {
            *reminders.entry(t.clone()).or_default() += 1;
        }
        sqlx::query("UPDATE census_campaigns SET reminders = $1 WHERE id = $2")
            .bind(json(&reminders))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn close_campaign(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE census_campaigns SET closed_at = $1 WHERE id = $2 AND closed_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn member_state(row: &AnyRow) -> Result<MemberStateRecord, StoreError> {
    let what = || "member_states".to_owned();
    let languages: String = col(row, "languages", &what)?;
    Ok(MemberStateRecord {
        state: MemberState {
            iso2: col(row, "iso2", &what)?,
            iso3: col(row, "iso3", &what)?,
            name: col(row, "name", &what)?,
            subregion: col(row, "subregion", &what)?,
            languages: languages
                .split(';')
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            timezone: col(row, "timezone", &what)?,
            note: col(row, "note", &what)?,
        },
        notified_on: col(row, "notified_on", &what)?,
        notification: col(row, "notification", &what)?,
        activated_on: col(row, "activated_on", &what)?,
        updated_at: col(row, "updated_at", &what)?,
    })
}

fn campaign(row: &AnyRow) -> Result<CampaignRecord, StoreError> {
    let what = || "census_campaigns".to_owned();
    let recipients: String = col(row, "recipients", &what)?;
    let reminders: String = col(row, "reminders", &what)?;
    Ok(CampaignRecord {
        id: col(row, "id", &what)?,
        title: col(row, "title", &what)?,
        questionnaire: col(row, "questionnaire", &what)?,
        recipients: serde_json::from_str(&recipients)
            .map_err(|e| crate::sql::corrupt("census_campaigns.recipients", e))?,
        reminders: serde_json::from_str(&reminders)
            .map_err(|e| crate::sql::corrupt("census_campaigns.reminders", e))?,
        deadline: col(row, "deadline", &what)?,
        created_by: col(row, "created_by", &what)?,
        created_at: col(row, "created_at", &what)?,
        closed_at: col(row, "closed_at", &what)?,
    })
}
