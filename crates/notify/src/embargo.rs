//! Advance notification: an embargoed product goes first to its select
//! audience and, at the embargo's end, the node publishes its next version
//! addressed to the wider one.

use serde_json::{json, Value};
use vigia_stix::Distribution;
use vigia_store::ingest::ingest;
use vigia_store::AuditEvent;
use vigia_watch::product::{revise, ProductRevision};

use crate::{Watch, WatchError};

/// Lifts every embargo whose time has come.
pub async fn lift_once(w: &Watch) -> Result<bool, WatchError> {
    let now = w.clock.now();
    for e in w.store.due_embargoes(now.unix_micros()).await? {
        if let Err(err) = lift(w, &e).await {
            tracing::warn!(product = %e.product_id, error = %err, "cannot lift the embargo; will retry");
        }
    }
    Ok(false)
}

async fn lift(w: &Watch, e: &vigia_store::Embargo) -> Result<(), WatchError> {
    let now = w.clock.now();
    let object =
        w.store.latest_object(&e.product_id).await?.ok_or_else(|| {
            WatchError::Refused(format!("product {} is not stored", e.product_id))
        })?;
    let originator = object
        .audience
        .originator
        .clone()
        .ok_or_else(|| WatchError::Refused("the product has no originator".into()))?;
    let widen_to: Distribution = serde_json::from_str(&e.widen_to)
        .map_err(|err| WatchError::Refused(format!("stored embargo is unreadable: {err}")))?;
    let value: Value = serde_json::from_str(&object.raw)
        .map_err(|err| WatchError::Refused(format!("stored product is unreadable: {err}")))?;
    let next = revise(
        &value,
        &ProductRevision {
            audience: Some(widen_to.clone()),
            ..ProductRevision::default()
        },
        now,
    )
    .map_err(|err| WatchError::Refused(err.to_string()))?;
    let report = ingest(&w.store, &w.ingest, &originator, next.to_string()).await?;
    if let Some(f) = report.failures.first() {
        return Err(WatchError::Refused(format!("{}: {}", f.path, f.reason)));
    }
    if !w
        .store
        .finish_embargo(&e.product_id, now.unix_micros())
        .await?
    {
        return Ok(());
    }
    w.store
        .append_audit(&AuditEvent {
            // The audit log keeps real time, whatever the watch clock says.
            at: vigia_stix::Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
            actor: "watch".into(),
            action: "watch.embargo.lift".into(),
            subject: Some(e.product_id.clone()),
            outcome: "ok".into(),
            detail: json!({ "widen_to": widen_to, "queued_for": report.stored.iter().map(|s| s.queued_for.len()).sum::<usize>() }),
        })
        .await?;
    tracing::info!(product = %e.product_id, "embargo lifted: audience widened");
    w.outbox.notify_one();
    w.stored();
    Ok(())
}
