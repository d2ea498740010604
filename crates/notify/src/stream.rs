//! The live event hub behind `/api/stream`.
//!
//! One task per node reads newly stored products, receipts and findings
//! (woken by every ingest, and every 250 ms for objects another replica
//! stored) and broadcasts them; each subscriber keeps only what its viewer
//! may see. Event ids are the objects' `date_added`, so a client that
//! reconnects with `Last-Event-ID` is replayed from the store exactly what
//! it missed.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::{broadcast, Notify};
use vigia_policy::{Audience, Community};
use vigia_store::{Store, StoreError, StoredObject};
use vigia_watch::{finding_subject, ProductInfo, ReceiptInfo};

use crate::Watch;

/// Objects read per hub run or replay page.
pub const PAGE: i64 = 500;

/// One event of the stream.
#[derive(Debug)]
pub struct StreamEvent {
    /// The object's `date_added` in microseconds: the SSE event id.
    pub id: i64,
    pub audience: Audience,
    /// The whole SSE frame (`id:`, `event:`, `data:`), formatted once and
    /// shared by every subscriber.
    pub frame: bytes::Bytes,
}

/// Events broadcast together, with the sharing groups they are judged by.
#[derive(Debug)]
pub struct EventBatch {
    pub events: Vec<StreamEvent>,
    pub community: Arc<Community>,
}

#[derive(Clone)]
pub struct Hub {
    tx: broadcast::Sender<Arc<EventBatch>>,
    /// The last `date_added` broadcast.
    cursor: Arc<AtomicI64>,
    wake: Arc<Notify>,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    pub fn new() -> Self {
        Self {
            tx: broadcast::channel(256).0,
            cursor: Arc::new(AtomicI64::new(-1)),
            wake: Arc::new(Notify::new()),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<EventBatch>> {
        self.tx.subscribe()
    }

    /// The last event id broadcast (-1 before the hub started).
    pub fn cursor(&self) -> i64 {
        self.cursor.load(Ordering::Acquire)
    }

    /// Called after objects are stored.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// The stream event an object makes, if any.
pub fn to_event(o: &StoredObject) -> Option<StreamEvent> {
    let value: Value = serde_json::from_str(&o.raw).ok()?;
    let (event, data) = if let Some(p) = ProductInfo::read(&value) {
        (
            "product",
            json!({
                "id": p.id,
                "version": p.version,
                "kind": p.kind.as_str(),
                "severity": p.severity.as_str(),
                "title": p.title,
                "tlp": o.tlp.label(),
                "originator": o.audience.originator,
                "exercise": p.exercise,
                "embargo_until": p.embargo_until,
            }),
        )
    } else if let Some(r) = ReceiptInfo::read(&value) {
        (
            "receipt",
            json!({
                "product": r.product,
                "team": o.audience.originator.as_ref().map(|t| t.as_str()).unwrap_or(&r.team),
                "state": r.state.as_str(),
                "at": r.at,
                "by": r.by,
                "note": r.note,
            }),
        )
    } else if let Some(subject) = finding_subject(&value) {
        (
            "finding",
            json!({ "product": subject, "note": o.id.as_str(), "team": o.audience.originator }),
        )
    } else {
        return None;
    };
    let id = o.date_added.unix_micros();
    // serde_json writes no newlines, so the data fits one `data:` line.
    let frame = format!("id: {id}\nevent: {event}\ndata: {data}\n\n");
    Some(StreamEvent {
        id,
        audience: o.audience.clone(),
        frame: bytes::Bytes::from(frame),
    })
}

/// One page of events from the store.
pub struct Replay {
    pub events: Vec<StreamEvent>,
    /// The last `date_added` looked at (to continue from).
    pub last: i64,
    /// The page was full: more may be waiting.
    pub full: bool,
}

/// The events after `after`, up to one page.
pub async fn replay(store: &Store, after: i64) -> Result<Replay, StoreError> {
    let objects = store.watch_objects_after(after, PAGE).await?;
    let last = objects
        .last()
        .map(|o| o.date_added.unix_micros())
        .unwrap_or(after);
    Ok(Replay {
        events: objects.iter().filter_map(to_event).collect(),
        last,
        full: objects.len() as i64 == PAGE,
    })
}

/// Broadcasts new events until the task is dropped.
pub async fn run_hub(w: Watch) {
    let hub = w.hub.clone();
    let start = match w.store.max_date_added().await {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(error = %e, "the event stream cannot start");
            return;
        }
    };
    hub.cursor.store(start, Ordering::Release);
    loop {
        // Read here, not per connection, so the gauge follows disconnects.
        metrics::gauge!("vigia_stream_subscribers").set(hub.tx.receiver_count() as f64);
        let after = hub.cursor();
        match replay(&w.store, after).await {
            Ok(Replay { events, last, full }) => {
                // With nobody subscribed nothing is sent: a subscriber
                // replays from the store what came before it subscribed.
                if !events.is_empty() && hub.tx.receiver_count() > 0 {
                    match w.store.community().await {
                        Ok(community) => {
                            // Nobody listening is not an error.
                            let _ = hub.tx.send(Arc::new(EventBatch {
                                events,
                                community: Arc::new(community),
                            }));
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "event stream: cannot read sharing groups");
                            tokio::time::sleep(Duration::from_secs(1)).await;
                            continue;
                        }
                    }
                }
                hub.cursor.store(last, Ordering::Release);
                // A short page was everything: each new arrival wakes the hub.
                if full {
                    continue;
                }
            }
            Err(e) => tracing::warn!(error = %e, "event stream: cannot read new objects"),
        }
        tokio::select! {
            _ = hub.wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
    }
}
