//! Assistance requests between teams: the view both sides share,
//! projected from the request and step notes.

use sqlx::any::AnyRow;

use crate::db::Store;
use crate::error::StoreError;
use crate::sql::col;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AssistanceRecord {
    pub id: String,
    pub requester: String,
    pub helper: String,
    pub need: String,
    pub urgency: String,
    pub tlp: String,
    pub incident_ref: Option<String>,
    pub state: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AssistanceStep {
    pub id: String,
    pub request_id: String,
    pub team: String,
    pub state: String,
    pub note: String,
    pub at: i64,
}

const COLUMNS: &str =
    "id, requester, helper, need, urgency, tlp, incident_ref, state, created_at, updated_at";

fn record(row: &AnyRow) -> Result<AssistanceRecord, StoreError> {
    let what = || "assistance request row".to_owned();
    Ok(AssistanceRecord {
        id: col(row, "id", &what)?,
        requester: col(row, "requester", &what)?,
        helper: col(row, "helper", &what)?,
        need: col(row, "need", &what)?,
        urgency: col(row, "urgency", &what)?,
        tlp: col(row, "tlp", &what)?,
        incident_ref: col(row, "incident_ref", &what)?,
        state: col(row, "state", &what)?,
        created_at: col(row, "created_at", &what)?,
        updated_at: col(row, "updated_at", &what)?,
    })
}

impl Store {
    /// Requests the team made or was asked, most recently changed first.
    pub async fn assistance_for(
        &self,
        team: &str,
        limit: i64,
    ) -> Result<Vec<AssistanceRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM assistance_requests WHERE requester = $1 OR helper = $1 \
             ORDER BY updated_at DESC, id LIMIT $2"
        ))
        .bind(team)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(record).collect()
    }

    pub async fn assistance(&self, id: &str) -> Result<Option<AssistanceRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM assistance_requests WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(record).transpose()
    }

    pub async fn assistance_steps(&self, id: &str) -> Result<Vec<AssistanceStep>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, request_id, team, state, note, at FROM assistance_steps \
             WHERE request_id = $1 ORDER BY at, id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let what = || "assistance step row".to_owned();
                Ok(AssistanceStep {
                    id: col(r, "id", &what)?,
                    request_id: col(r, "request_id", &what)?,
                    team: col(r, "team", &what)?,
                    state: col(r, "state", &what)?,
                    note: col(r, "note", &what)?,
                    at: col(r, "at", &what)?,
                })
            })
            .collect()
    }
}

/// The states a request may be in for a step to `state` to move it: the
/// forward order of `vigia_watch::assistance::may_move`. Order by state,
/// not by the steps' times, so two nodes' clocks never disagree on it.
fn may_follow(state: &str) -> &'static [&'static str] {
    match state {
        "accepted" | "declined" => &["requested"],
        "in-progress" => &["requested", "accepted"],
        "closed" => &["requested", "accepted", "in-progress"],
        _ => &[],
    }
}

/// Writes projected requests, then steps, in the projector's transaction.
/// A step moves its request only when a party to it took the step and
/// the request is in a state that step may follow.
pub(crate) async fn apply(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    requests: &[AssistanceRecord],
    steps: &[AssistanceStep],
) -> Result<(), StoreError> {
    for r in requests {
        sqlx::query(&format!(
            "INSERT INTO assistance_requests ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT DO NOTHING"
        ))
        .bind(&r.id)
        .bind(&r.requester)
        .bind(&r.helper)
        .bind(&r.need)
        .bind(&r.urgency)
        .bind(&r.tlp)
        .bind(&r.incident_ref)
        .bind(&r.state)
        .bind(r.created_at)
        .bind(r.updated_at)
        .execute(&mut **tx)
        .await?;
    }
    for s in steps {
        // Only the two parties' steps are history.
        sqlx::query(
            "INSERT INTO assistance_steps (id, request_id, team, state, note, at) \
             SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM assistance_requests \
             WHERE id = $2 AND (requester = $3 OR helper = $3)) ON CONFLICT DO NOTHING",
        )
        .bind(&s.id)
        .bind(&s.request_id)
        .bind(&s.team)
        .bind(&s.state)
        .bind(&s.note)
        .bind(s.at)
        .execute(&mut **tx)
        .await?;
        let before = may_follow(&s.state);
        if before.is_empty() {
            continue;
        }
        let placeholders: Vec<String> = (0..before.len()).map(|i| format!("${}", i + 5)).collect();
        let sql = format!(
            "UPDATE assistance_requests SET state = $2, \
             updated_at = CASE WHEN updated_at > $3 THEN updated_at ELSE $3 END \
             WHERE id = $1 AND (requester = $4 OR helper = $4) AND state IN ({})",
            placeholders.join(", ")
        );
        let mut update = sqlx::query(&sql)
            .bind(&s.request_id)
            .bind(&s.state)
            .bind(s.at)
            .bind(&s.team);
        for b in before {
            update = update.bind(*b);
        }
        update.execute(&mut **tx).await?;
    }
    Ok(())
}
