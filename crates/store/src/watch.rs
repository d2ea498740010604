//! Watch and warning: products known here, receipts, findings, duty
//! rosters, escalation assignments, the notification outbox, single-use
//! acknowledgement links, drills and embargoes.
//!
//! Products, receipts and findings are a projection of stored objects,
//! written by the watch projector together with the cursor it advanced
//! (compare-and-set, so replicas never project twice).

use sqlx::any::AnyRow;
use sqlx::Row as _;

use crate::db::Store;
use crate::error::StoreError;
use crate::objects::{stored_object, StoredObject, COLUMNS};
use crate::sql::{col, Stmt};

const WATCH_CURSOR: &str = "watch_cursor";

/// One product's row.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ProductRecord {
    pub id: String,
    pub kind: String,
    pub severity: String,
    pub title: String,
    pub originator: Option<String>,
    pub tlp: String,
    pub version: String,
    /// `date_added` of the latest version.
    pub date_added: i64,
    pub first_arrived: i64,
    pub exercise: bool,
    pub supersedes: Option<String>,
}

/// A receipt state reached by a team.
#[derive(Clone, Debug)]
pub struct ReceiptUpdate {
    pub product_id: String,
    pub team: String,
    /// `delivered`, `seen`, `acknowledged` or `actioned`.
    pub state: &'static str,
    pub at: i64,
    pub by: Option<String>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReceiptRecord {
    pub product_id: String,
    pub team: String,
    pub delivered_at: Option<i64>,
    pub seen_at: Option<i64>,
    pub acknowledged_at: Option<i64>,
    pub actioned_at: Option<i64>,
    pub by_user: Option<String>,
    pub note: Option<String>,
    pub updated_at: i64,
}

#[derive(Clone, Debug)]
pub struct FindingRow {
    pub product_id: String,
    pub note_id: String,
    pub team: Option<String>,
    pub date_added: i64,
}

/// A product a local team must acknowledge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    pub product_id: String,
    pub team: String,
    pub severity: String,
    pub arrived_at: i64,
    /// The last escalation step taken (0: primaries called).
    pub step: i64,
    pub next_step_at: Option<i64>,
    pub closed_at: Option<i64>,
}

/// A message to send.
#[derive(Clone, Debug)]
pub struct NewNotification {
    pub product_id: String,
    pub team: String,
    pub step: i64,
    pub contact: String,
    /// `email` or `webhook`.
    pub channel: &'static str,
    pub address: String,
    pub subject: String,
    pub body: String,
    /// Webhooks: the signing secret, sealed.
    pub secret: Option<String>,
    /// The contact's node user, who acknowledges through the link.
    pub user: Option<String>,
    pub next_at: i64,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Notification {
    pub id: i64,
    pub product_id: String,
    pub team: String,
    pub step: i64,
    pub contact: String,
    pub channel: String,
    pub address: String,
    #[serde(skip)]
    pub subject: String,
    #[serde(skip)]
    pub body: String,
    #[serde(skip)]
    pub secret: Option<String>,
    #[serde(skip)]
    pub user: Option<String>,
    pub state: String,
    pub attempts: i64,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub last_error: Option<String>,
}

/// How one send attempt ended.
pub enum SendOutcome {
    Sent,
    Retry { at: i64, error: String },
    Failed(String),
}

/// Everything the projector derived from one run of new objects.
#[derive(Default, Debug)]
pub struct WatchProjection {
    pub products: Vec<ProductRecord>,
    pub receipts: Vec<ReceiptUpdate>,
    pub findings: Vec<FindingRow>,
    pub assignments: Vec<Assignment>,
    /// (product, team) whose escalation stops: someone acknowledged.
    pub closed: Vec<(String, String)>,
    pub notifications: Vec<NewNotification>,
    /// Incident reports from the public, for a team of this node.
    pub public_reports: Vec<crate::PublicReportRecord>,
    /// Assistance requests and the steps on them.
    pub assistance: Vec<crate::AssistanceRecord>,
    pub assistance_steps: Vec<crate::AssistanceStep>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct AckLink {
    pub product_id: String,
    pub team: String,
    pub contact: String,
    pub user: Option<String>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct DrillRecord {
    pub product_id: String,
    pub started_at: i64,
    pub started_by: String,
    pub teams: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Embargo {
    pub product_id: String,
    pub widen_at: i64,
    pub widen_to: String,
}

fn receipt_column(state: &str) -> Result<&'static str, StoreError> {
    Ok(match state {
        "delivered" => "delivered_at",
        "seen" => "seen_at",
        "acknowledged" => "acknowledged_at",
        "actioned" => "actioned_at",
        other => {
            return Err(StoreError::NotFound {
                what: format!("receipt state {other:?}"),
            })
        }
    })
}

const PRODUCT_COLUMNS: &str = "id, kind, severity, title, originator, tlp, version, date_added, \
     first_arrived, exercise, supersedes";

fn product_record(row: &AnyRow) -> Result<ProductRecord, StoreError> {
    let what = || "product row".to_owned();
    Ok(ProductRecord {
        id: col(row, "id", &what)?,
        kind: col(row, "kind", &what)?,
        severity: col(row, "severity", &what)?,
        title: col(row, "title", &what)?,
        originator: col(row, "originator", &what)?,
        tlp: col(row, "tlp", &what)?,
        version: col(row, "version", &what)?,
        date_added: col(row, "date_added", &what)?,
        first_arrived: col(row, "first_arrived", &what)?,
        exercise: col::<i64>(row, "exercise", &what)? != 0,
        supersedes: col(row, "supersedes", &what)?,
    })
}

fn receipt_record(row: &AnyRow) -> Result<ReceiptRecord, StoreError> {
    let what = || "receipt row".to_owned();
    Ok(ReceiptRecord {
        product_id: col(row, "product_id", &what)?,
        team: col(row, "team", &what)?,
        delivered_at: col(row, "delivered_at", &what)?,
        seen_at: col(row, "seen_at", &what)?,
        acknowledged_at: col(row, "acknowledged_at", &what)?,
        actioned_at: col(row, "actioned_at", &what)?,
        by_user: col(row, "by_user", &what)?,
        note: col(row, "note", &what)?,
        updated_at: col(row, "updated_at", &what)?,
    })
}

fn assignment(row: &AnyRow) -> Result<Assignment, StoreError> {
    let what = || "assignment row".to_owned();
    Ok(Assignment {
        product_id: col(row, "product_id", &what)?,
        team: col(row, "team", &what)?,
        severity: col(row, "severity", &what)?,
        arrived_at: col(row, "arrived_at", &what)?,
        step: col(row, "step", &what)?,
        next_step_at: col(row, "next_step_at", &what)?,
        closed_at: col(row, "closed_at", &what)?,
    })
}

const NOTIFICATION_COLUMNS: &str =
    "id, product_id, team, step, contact, channel, address, subject, \
     body, secret, user_name, state, attempts, created_at, sent_at, last_error";

fn notification(row: &AnyRow) -> Result<Notification, StoreError> {
    let what = || "notification row".to_owned();
    Ok(Notification {
        id: col(row, "id", &what)?,
        product_id: col(row, "product_id", &what)?,
        team: col(row, "team", &what)?,
        step: col(row, "step", &what)?,
        contact: col(row, "contact", &what)?,
        channel: col(row, "channel", &what)?,
        address: col(row, "address", &what)?,
        subject: col(row, "subject", &what)?,
        body: col(row, "body", &what)?,
        secret: col(row, "secret", &what)?,
        user: col(row, "user_name", &what)?,
        state: col(row, "state", &what)?,
        attempts: col(row, "attempts", &what)?,
        created_at: col(row, "created_at", &what)?,
        sent_at: col(row, "sent_at", &what)?,
        last_error: col(row, "last_error", &what)?,
    })
}

type Tx = sqlx::Transaction<'static, sqlx::Any>;

async fn insert_notifications(
    tx: &mut Tx,
    list: &[NewNotification],
    now: i64,
) -> Result<u64, StoreError> {
    let mut queued = 0;
    for n in list {
        queued += sqlx::query(
            "INSERT INTO notifications (product_id, team, step, contact, channel, address, subject, \
             body, secret, user_name, state, attempts, next_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', 0, $11, $12) \
             ON CONFLICT (product_id, team, step, contact, channel) DO NOTHING",
        )
        .bind(&n.product_id)
        .bind(&n.team)
        .bind(n.step)
        .bind(&n.contact)
        .bind(n.channel)
        .bind(&n.address)
        .bind(&n.subject)
        .bind(&n.body)
        .bind(&n.secret)
        .bind(&n.user)
        .bind(n.next_at)
        .bind(now)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    }
    Ok(queued)
}

impl Store {
    /// Where the watch projector stopped (a `date_added`, 0 at first).
    pub async fn watch_cursor(&self) -> Result<i64, StoreError> {
        Ok(self
            .setting(WATCH_CURSOR)
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Objects that may be products, receipts or findings, added after
    /// `after`, oldest first.
    pub async fn watch_objects_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<StoredObject>, StoreError> {
        let mut stmt = Stmt::new(
            self.backend,
            &format!(
                "SELECT {COLUMNS} FROM objects o WHERE o.type IN ('report', 'course-of-action', 'note', 'incident') \
                 AND o.date_added > "
            ),
        );
        stmt.bind(after)
            .sql(" ORDER BY o.date_added LIMIT ")
            .bind(limit);
        let rows = stmt.query()?.fetch_all(&self.pool).await?;
        rows.iter().map(stored_object).collect()
    }

    /// Writes a projection and moves the cursor from `from` to `to`, in
    /// one transaction. `false` when another replica moved it first.
    pub async fn apply_watch_projection(
        &self,
        from: i64,
        to: i64,
        p: &WatchProjection,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let current: Option<String> = sqlx::query("SELECT value FROM settings WHERE name = $1")
            .bind(WATCH_CURSOR)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get::<String, _>("value"))
            .transpose()?;
        if current.and_then(|v| v.parse::<i64>().ok()).unwrap_or(0) != from {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(WATCH_CURSOR)
        .bind(to.to_string())
        .execute(&mut *tx)
        .await?;
        crate::public_reports::insert_reports(&mut tx, &p.public_reports).await?;
        crate::assistance::apply(&mut tx, &p.assistance, &p.assistance_steps).await?;
        for r in &p.products {
            sqlx::query(
                "INSERT INTO products (id, kind, severity, title, originator, tlp, version, date_added, \
                 first_arrived, exercise, supersedes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, severity = excluded.severity, \
                 title = excluded.title, tlp = excluded.tlp, version = excluded.version, \
                 date_added = excluded.date_added, exercise = excluded.exercise, \
                 supersedes = excluded.supersedes WHERE excluded.version >= products.version",
            )
            .bind(&r.id)
            .bind(&r.kind)
            .bind(&r.severity)
            .bind(&r.title)
            .bind(&r.originator)
            .bind(&r.tlp)
            .bind(&r.version)
            .bind(r.date_added)
            .bind(r.first_arrived)
            .bind(i64::from(r.exercise))
            .bind(&r.supersedes)
            .execute(&mut *tx)
            .await?;
        }
        for r in &p.receipts {
            let c = receipt_column(r.state)?;
            sqlx::query(&format!(
                "INSERT INTO receipts (product_id, team, {c}, by_user, note, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $3) ON CONFLICT (product_id, team) DO UPDATE SET \
                 {c} = COALESCE(receipts.{c}, excluded.{c}), \
                 by_user = COALESCE(excluded.by_user, receipts.by_user), \
                 note = COALESCE(excluded.note, receipts.note), updated_at = excluded.updated_at"
            ))
            .bind(&r.product_id)
            .bind(&r.team)
            .bind(r.at)
            .bind(&r.by)
            .bind(&r.note)
            .execute(&mut *tx)
            .await?;
        }
        for f in &p.findings {
            sqlx::query(
                "INSERT INTO findings (product_id, note_id, team, date_added) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (product_id, note_id) DO NOTHING",
            )
            .bind(&f.product_id)
            .bind(&f.note_id)
            .bind(&f.team)
            .bind(f.date_added)
            .execute(&mut *tx)
            .await?;
        }
        for a in &p.assignments {
            sqlx::query(
                "INSERT INTO assignments (product_id, team, severity, arrived_at, step, next_step_at) \
                 VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (product_id, team) DO NOTHING",
            )
            .bind(&a.product_id)
            .bind(&a.team)
            .bind(&a.severity)
            .bind(a.arrived_at)
            .bind(a.next_step_at)
            .execute(&mut *tx)
            .await?;
        }
        for (product, team) in &p.closed {
            sqlx::query(
                "UPDATE assignments SET closed_at = $1, next_step_at = NULL \
                 WHERE product_id = $2 AND team = $3 AND closed_at IS NULL",
            )
            .bind(now)
            .bind(product)
            .bind(team)
            .execute(&mut *tx)
            .await?;
        }
        insert_notifications(&mut tx, &p.notifications, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn products(&self, limit: i64) -> Result<Vec<ProductRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {PRODUCT_COLUMNS} FROM products ORDER BY first_arrived DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(product_record).collect()
    }

    pub async fn product(&self, id: &str) -> Result<Option<ProductRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {PRODUCT_COLUMNS} FROM products WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(product_record).transpose()
    }

    pub async fn receipts(&self, product_id: &str) -> Result<Vec<ReceiptRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT product_id, team, delivered_at, seen_at, acknowledged_at, actioned_at, by_user, \
             note, updated_at FROM receipts WHERE product_id = $1 ORDER BY team",
        )
        .bind(product_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(receipt_record).collect()
    }

    /// The receipts of many products at once (the annual report reads a
    /// year of them), in chunks the database's parameter limit allows.
    pub async fn receipts_of(
        &self,
        product_ids: &[&str],
    ) -> Result<Vec<ReceiptRecord>, StoreError> {
        let mut out = Vec::new();
        for chunk in product_ids.chunks(500) {
            let mut stmt = crate::sql::Stmt::new(
                self.backend,
                "SELECT product_id, team, delivered_at, seen_at, acknowledged_at, actioned_at, \
                 by_user, note, updated_at FROM receipts WHERE product_id IN (",
            );
            stmt.bind_list(chunk.iter().map(|id| (*id).to_owned()))
                .sql(") ORDER BY product_id, team");
            for row in stmt.query()?.fetch_all(&self.pool).await? {
                out.push(receipt_record(&row)?);
            }
        }
        Ok(out)
    }

    pub async fn findings(&self, product_id: &str) -> Result<Vec<String>, StoreError> {
        let rows =
            sqlx::query("SELECT note_id FROM findings WHERE product_id = $1 ORDER BY date_added")
                .bind(product_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| col(r, "note_id", &|| "finding row".to_owned()))
            .collect()
    }

    pub async fn roster(&self, team: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT body FROM rosters WHERE team = $1")
            .bind(team)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| col(&r, "body", &|| format!("roster of {team}")))
            .transpose()
    }

    pub async fn put_roster(&self, team: &str, body: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO rosters (team, body, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (team) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
        )
        .bind(team)
        .bind(body)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Assignments whose next escalation step is due.
    pub async fn due_assignments(&self, now: i64) -> Result<Vec<Assignment>, StoreError> {
        let rows = sqlx::query(
            "SELECT product_id, team, severity, arrived_at, step, next_step_at, closed_at \
             FROM assignments WHERE next_step_at IS NOT NULL AND next_step_at <= $1 \
             ORDER BY next_step_at LIMIT 500",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(assignment).collect()
    }

    /// Open assignments (not yet acknowledged), for metrics and dashboards.
    pub async fn open_assignments(&self) -> Result<Vec<Assignment>, StoreError> {
        let rows = sqlx::query(
            "SELECT product_id, team, severity, arrived_at, step, next_step_at, closed_at \
             FROM assignments WHERE closed_at IS NULL ORDER BY arrived_at",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(assignment).collect()
    }

    pub async fn assignment(
        &self,
        product_id: &str,
        team: &str,
    ) -> Result<Option<Assignment>, StoreError> {
        let row = sqlx::query(
            "SELECT product_id, team, severity, arrived_at, step, next_step_at, closed_at \
             FROM assignments WHERE product_id = $1 AND team = $2",
        )
        .bind(product_id)
        .bind(team)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(assignment).transpose()
    }

    /// Takes escalation step `step` (compare-and-set on the previous one)
    /// and queues its messages. `false` if someone else took it.
    pub async fn escalate(
        &self,
        a: &Assignment,
        step: i64,
        next_step_at: Option<i64>,
        messages: &[NewNotification],
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE assignments SET step = $1, next_step_at = $2 \
             WHERE product_id = $3 AND team = $4 AND step = $5 AND closed_at IS NULL",
        )
        .bind(step)
        .bind(next_step_at)
        .bind(&a.product_id)
        .bind(&a.team)
        .bind(a.step)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        insert_notifications(&mut tx, messages, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Queues messages that no projection or escalation step carries
    /// (milestone reminders). A message already queued under the same
    /// product, team, step, contact and channel is left alone, so a
    /// reminder goes once however often it is asked for. Returns how many
    /// were new.
    pub async fn queue_notifications(
        &self,
        messages: &[NewNotification],
        now: i64,
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let queued = insert_notifications(&mut tx, messages, now).await?;
        tx.commit().await?;
        Ok(queued)
    }

    /// Claims up to `limit` due messages for `lease_micros`; a sender that
    /// dies leaves them to be claimed again when the lease ends.
    pub async fn claim_notifications(
        &self,
        now: i64,
        lease_micros: i64,
        limit: i64,
    ) -> Result<Vec<Notification>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {NOTIFICATION_COLUMNS}, next_at FROM notifications \
             WHERE state IN ('pending', 'sending') AND next_at <= $1 ORDER BY next_at LIMIT $2"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let n = notification(row)?;
            let next_at: i64 = col(row, "next_at", &|| "notification row".to_owned())?;
            let done = sqlx::query(
                "UPDATE notifications SET state = 'sending', next_at = $1, attempts = attempts + 1 \
                 WHERE id = $2 AND next_at = $3 AND state IN ('pending', 'sending')",
            )
            .bind(now + lease_micros)
            .bind(n.id)
            .bind(next_at)
            .execute(&self.writer)
            .await?;
            if done.rows_affected() == 1 {
                claimed.push(Notification {
                    attempts: n.attempts + 1,
                    ..n
                });
            }
        }
        Ok(claimed)
    }

    pub async fn finish_notification(
        &self,
        id: i64,
        outcome: &SendOutcome,
        now: i64,
    ) -> Result<(), StoreError> {
        let (state, next_at, sent_at, error) = match outcome {
            SendOutcome::Sent => ("sent", now, Some(now), None),
            SendOutcome::Retry { at, error } => ("pending", *at, None, Some(error.as_str())),
            SendOutcome::Failed(e) => ("failed", now, None, Some(e.as_str())),
        };
        sqlx::query(
            "UPDATE notifications SET state = $1, next_at = $2, sent_at = $3, last_error = $4 WHERE id = $5",
        )
        .bind(state)
        .bind(next_at)
        .bind(sent_at)
        .bind(error)
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn notifications_for(
        &self,
        product_id: &str,
    ) -> Result<Vec<Notification>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE product_id = $1 ORDER BY id"
        ))
        .bind(product_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(notification).collect()
    }

    /// Counts of messages by state, for the operator.
    pub async fn notification_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM notifications GROUP BY state")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let what = || "notification count".to_owned();
                Ok((col(r, "state", &what)?, col(r, "n", &what)?))
            })
            .collect()
    }

    pub async fn put_ack_link(
        &self,
        token_hash: &str,
        link: &AckLink,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO ack_links (token_hash, product_id, team, contact, user_name, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(token_hash)
        .bind(&link.product_id)
        .bind(&link.team)
        .bind(&link.contact)
        .bind(&link.user)
        .bind(now)
        .bind(link.expires_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn ack_link(&self, token_hash: &str) -> Result<Option<AckLink>, StoreError> {
        let row = sqlx::query(
            "SELECT product_id, team, contact, user_name, expires_at, used_at FROM ack_links WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let what = || "acknowledgement link".to_owned();
            Ok(AckLink {
                product_id: col(&r, "product_id", &what)?,
                team: col(&r, "team", &what)?,
                contact: col(&r, "contact", &what)?,
                user: col(&r, "user_name", &what)?,
                expires_at: col(&r, "expires_at", &what)?,
                used_at: col(&r, "used_at", &what)?,
            })
        })
        .transpose()
    }

    /// Marks a link used; `false` if it was already used or has expired.
    pub async fn use_ack_link(&self, token_hash: &str, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE ack_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(token_hash)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn add_drill(&self, d: &DrillRecord) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO drills (product_id, started_at, started_by, teams) VALUES ($1, $2, $3, $4)")
            .bind(&d.product_id)
            .bind(d.started_at)
            .bind(&d.started_by)
            .bind(serde_json::to_string(&d.teams).unwrap_or_default())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub async fn drills(&self) -> Result<Vec<DrillRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT product_id, started_at, started_by, teams FROM drills ORDER BY started_at",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let what = || "drill row".to_owned();
                let teams: String = col(r, "teams", &what)?;
                Ok(DrillRecord {
                    product_id: col(r, "product_id", &what)?,
                    started_at: col(r, "started_at", &what)?,
                    started_by: col(r, "started_by", &what)?,
                    teams: serde_json::from_str(&teams)
                        .map_err(|e| crate::sql::corrupt(what(), e))?,
                })
            })
            .collect()
    }

    pub async fn add_embargo(&self, e: &Embargo) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO embargoes (product_id, widen_at, widen_to) VALUES ($1, $2, $3)")
            .bind(&e.product_id)
            .bind(e.widen_at)
            .bind(&e.widen_to)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub async fn due_embargoes(&self, now: i64) -> Result<Vec<Embargo>, StoreError> {
        let rows = sqlx::query(
            "SELECT product_id, widen_at, widen_to FROM embargoes WHERE done_at IS NULL AND widen_at <= $1",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let what = || "embargo row".to_owned();
                Ok(Embargo {
                    product_id: col(r, "product_id", &what)?,
                    widen_at: col(r, "widen_at", &what)?,
                    widen_to: col(r, "widen_to", &what)?,
                })
            })
            .collect()
    }

    /// Marks an embargo lifted; `false` if another worker did.
    pub async fn finish_embargo(&self, product_id: &str, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE embargoes SET done_at = $1 WHERE product_id = $2 AND done_at IS NULL",
        )
        .bind(now)
        .bind(product_id)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The latest stored version of an object.
    pub async fn latest_object(&self, id: &str) -> Result<Option<StoredObject>, StoreError> {
        let mut stmt = Stmt::new(
            self.backend,
            &format!("SELECT {COLUMNS} FROM objects o WHERE o.id = "),
        );
        stmt.bind(id.to_owned()).sql(" AND o.is_latest = 1");
        let row = stmt.query()?.fetch_optional(&self.pool).await?;
        row.as_ref().map(stored_object).transpose()
    }

    /// The latest stored version of each of `ids` that exists, in no
    /// particular order: one query where a list would make many.
    pub async fn latest_objects(&self, ids: &[&str]) -> Result<Vec<StoredObject>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let mut stmt = Stmt::new(
                self.backend,
                &format!("SELECT {COLUMNS} FROM objects o WHERE o.is_latest = 1 AND o.id IN ("),
            );
            stmt.bind_list(chunk.iter().map(|id| (*id).to_owned()))
                .sql(")");
            let rows = stmt.query()?.fetch_all(&self.pool).await?;
            for row in &rows {
                out.push(stored_object(row)?);
            }
        }
        Ok(out)
    }
}

impl Store {
    /// The newest `date_added` (0 for an empty store).
    pub async fn max_date_added(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT MAX(date_added) AS m FROM objects")
            .fetch_one(&self.pool)
            .await?;
        Ok(col::<Option<i64>>(&row, "m", &|| "objects".to_owned())?.unwrap_or(0))
    }
}
