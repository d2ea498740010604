//! Receipts this node's teams send back to a product's originator.

use vigia_policy::TeamId;
use vigia_store::ingest::ingest;
use vigia_store::StoredObject;
use vigia_watch::receipt::ReceiptDraft;
use vigia_watch::ReceiptState;

use crate::{Watch, WatchError};

/// Publishes `team`'s receipt in `state` for `product`: a note addressed
/// to the originator, sealed and queued like any object. Nothing is sent
/// for a team's own product, or one without an originator.
pub async fn publish_receipt(
    watch: &Watch,
    product: &StoredObject,
    team: &TeamId,
    state: ReceiptState,
    by: Option<String>,
    note: Option<String>,
) -> Result<(), WatchError> {
    let Some(originator) = product.audience.originator.as_ref() else {
        return Ok(());
    };
    if originator == team {
        return Ok(());
    }
    let draft = ReceiptDraft {
        product_id: product.id.as_str(),
        product_version: product.version,
        product_tlp: product.tlp,
        originator,
        team,
        state,
        by,
        note,
    };
    draft.check().map_err(WatchError::Refused)?;
    let note = draft.to_stix(&uuid::Uuid::new_v4().to_string(), watch.clock.now());
    let report = ingest(&watch.store, &watch.ingest, team, note.to_string()).await?;
    if let Some(f) = report.failures.first() {
        return Err(WatchError::Refused(format!(
            "receipt refused at {}: {}",
            f.path, f.reason
        )));
    }
    metrics::counter!("vigia_watch_receipts_sent_total", "state" => state.as_str()).increment(1);
    watch.outbox.notify_one();
    watch.stored();
    Ok(())
}
