//! Incident reports from the public: the receiving team's triage queue
//! (rows projected from the reports' STIX incidents) and the relay queue
//! of reports this node's portal took for a team on another node.

use sqlx::any::AnyRow;

use crate::db::Store;
use crate::error::StoreError;
use crate::sql::col;

/// A report in its receiving team's queue.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PublicReportRecord {
    /// The report's STIX `incident` id.
    pub id: String,
    #[serde(skip)]
    pub reference_hash: String,
    pub team: String,
    /// The team whose portal took it.
    pub received_by: String,
    pub country: String,
    pub category: String,
    pub received_at: i64,
    pub status: String,
    /// The incident it was linked to in triage.
    pub incident_ref: Option<String>,
    /// The team's answer, shown to whoever holds the reference.
    pub reply: Option<String>,
    pub updated_at: i64,
    pub updated_by: Option<String>,
}

/// A change made in triage.
#[derive(Clone, Debug, Default)]
pub struct ReportTriage {
    pub status: String,
    pub incident_ref: Option<String>,
    pub reply: Option<String>,
    pub by: String,
    pub at: i64,
}

/// A report waiting to be forwarded, or forwarded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportRelay {
    pub reference_hash: String,
    pub team: String,
    /// The sealed object, encrypted; `None` once delivered.
    pub payload: Option<String>,
    pub created_at: i64,
    pub forwarded_at: Option<i64>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

const REPORT_COLUMNS: &str = "id, reference_hash, team, received_by, country, category, \
     received_at, status, incident_ref, reply, updated_at, updated_by";

fn report(row: &AnyRow) -> Result<PublicReportRecord, StoreError> {
    let what = || "public report row".to_owned();
    Ok(PublicReportRecord {
        id: col(row, "id", &what)?,
        reference_hash: col(row, "reference_hash", &what)?,
        team: col(row, "team", &what)?,
        received_by: col(row, "received_by", &what)?,
        country: col(row, "country", &what)?,
        category: col(row, "category", &what)?,
        received_at: col(row, "received_at", &what)?,
        status: col(row, "status", &what)?,
        incident_ref: col(row, "incident_ref", &what)?,
        reply: col(row, "reply", &what)?,
        updated_at: col(row, "updated_at", &what)?,
        updated_by: col(row, "updated_by", &what)?,
    })
}

fn relay(row: &AnyRow) -> Result<ReportRelay, StoreError> {
    let what = || "report relay row".to_owned();
    Ok(ReportRelay {
        reference_hash: col(row, "reference_hash", &what)?,
        team: col(row, "team", &what)?,
        payload: col(row, "payload", &what)?,
        created_at: col(row, "created_at", &what)?,
        forwarded_at: col(row, "forwarded_at", &what)?,
        attempts: col(row, "attempts", &what)?,
        last_error: col(row, "last_error", &what)?,
    })
}

impl Store {
    /// The team's queue, newest first.
    pub async fn public_reports(
        &self,
        team: &str,
        limit: i64,
    ) -> Result<Vec<PublicReportRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {REPORT_COLUMNS} FROM public_reports WHERE team = $1 \
             ORDER BY received_at DESC, id LIMIT $2"
        ))
        .bind(team)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(report).collect()
    }

    pub async fn public_report(&self, id: &str) -> Result<Option<PublicReportRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {REPORT_COLUMNS} FROM public_reports WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(report).transpose()
    }

    pub async fn public_report_by_reference(
        &self,
        reference_hash: &str,
    ) -> Result<Option<PublicReportRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {REPORT_COLUMNS} FROM public_reports WHERE reference_hash = $1"
        ))
        .bind(reference_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(report).transpose()
    }

    /// Records a triage step; `false` when there is no such report.
    pub async fn triage_public_report(
        &self,
        id: &str,
        t: &ReportTriage,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE public_reports SET status = $2, \
             incident_ref = COALESCE($3, incident_ref), reply = COALESCE($4, reply), \
             updated_at = $5, updated_by = $6 WHERE id = $1",
        )
        .bind(id)
        .bind(&t.status)
        .bind(&t.incident_ref)
        .bind(&t.reply)
        .bind(t.at)
        .bind(&t.by)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Queues a report for a team on another node.
    pub async fn queue_report_relay(
        &self,
        reference_hash: &str,
        team: &str,
        payload: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO report_relays (reference_hash, team, payload, created_at, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(reference_hash)
        .bind(team)
        .bind(payload)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn report_relay(
        &self,
        reference_hash: &str,
    ) -> Result<Option<ReportRelay>, StoreError> {
        let row = sqlx::query(
            "SELECT reference_hash, team, payload, created_at, forwarded_at, attempts, last_error \
             FROM report_relays WHERE reference_hash = $1",
        )
        .bind(reference_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(relay).transpose()
    }

    /// Relays due now that still hold their report.
    pub async fn due_report_relays(
        &self,
        now: i64,
        limit: i64,
    ) -> Result<Vec<ReportRelay>, StoreError> {
        let rows = sqlx::query(
            "SELECT reference_hash, team, payload, created_at, forwarded_at, attempts, last_error \
             FROM report_relays WHERE payload IS NOT NULL AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(relay).collect()
    }

    /// The receiving node has the report: the copy here is erased.
    pub async fn report_relay_delivered(
        &self,
        reference_hash: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE report_relays SET payload = NULL, forwarded_at = $2, last_error = NULL \
             WHERE reference_hash = $1",
        )
        .bind(reference_hash)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn report_relay_failed(
        &self,
        reference_hash: &str,
        error: &str,
        next_attempt_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE report_relays SET attempts = attempts + 1, last_error = $2, \
             next_attempt_at = $3 WHERE reference_hash = $1",
        )
        .bind(reference_hash)
        .bind(error)
        .bind(next_attempt_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }
}

/// Inserts projected reports inside the projector's transaction.
pub(crate) async fn insert_reports(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    reports: &[PublicReportRecord],
) -> Result<(), StoreError> {
    for r in reports {
        sqlx::query(
            "INSERT INTO public_reports (id, reference_hash, team, received_by, country, category, \
             received_at, status, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&r.id)
        .bind(&r.reference_hash)
        .bind(&r.team)
        .bind(&r.received_by)
        .bind(&r.country)
        .bind(&r.category)
        .bind(r.received_at)
        .bind(&r.status)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
