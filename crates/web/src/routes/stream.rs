//! `GET /api/stream`: Server-Sent Events of products, receipts and
//! findings as they arrive, filtered by what the subscriber may see.
//! Event ids are `date_added` microseconds; a client that reconnects with
//! `Last-Event-ID` (or `?last_event_id=`) is replayed what it missed.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::header;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast;
use vigia_notify::stream::{replay, EventBatch, StreamEvent};
use vigia_policy::{may_view, Community, Viewer};
use vigia_store::Store;

use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

#[derive(Deserialize)]
pub(crate) struct StreamParams {
    last_event_id: Option<String>,
}

struct Subscriber {
    store: Store,
    viewer: Viewer,
    rx: broadcast::Receiver<Arc<EventBatch>>,
    pending: VecDeque<Bytes>,
    /// The last event id delivered or skipped.
    last: i64,
    /// Catching up from the store before following the hub.
    replaying: bool,
}

/// A comment line every 15 s keeps proxies from closing an idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

impl Subscriber {
    fn keep(&mut self, ev: &StreamEvent, community: &Community) {
        if ev.id > self.last {
            self.last = ev.id;
            if may_view(&self.viewer, &ev.audience, community) {
                self.pending.push_back(ev.frame.clone());
            }
        }
    }

    /// One page of replay from the store; replay ends on a page that
    /// finds nothing new.
    async fn catch_up(&mut self) -> Result<(), vigia_store::StoreError> {
        let before = self.last;
        let page = replay(&self.store, before).await?;
        let (events, scanned) = (page.events, page.last);
        if scanned <= before {
            self.replaying = false;
            return Ok(());
        }
        let community = self.store.community().await?;
        for ev in &events {
            self.keep(ev, &community);
        }
        self.last = self.last.max(scanned);
        Ok(())
    }

    async fn next(mut self) -> Option<(Result<Bytes, Infallible>, Self)> {
        loop {
            if !self.pending.is_empty() {
                // Everything waiting goes out in one write.
                let frames: Vec<Bytes> = self.pending.drain(..).collect();
                let joined = if frames.len() == 1 {
                    frames.into_iter().next().unwrap_or_default()
                } else {
                    Bytes::from(frames.concat())
                };
                return Some((Ok(joined), self));
            }
            if self.replaying {
                if let Err(e) = self.catch_up().await {
                    tracing::warn!(error = %e, "event stream: replay failed; closing");
                    return None;
                }
                continue;
            }
            let Ok(received) = tokio::time::timeout(KEEP_ALIVE, self.rx.recv()).await else {
                return Some((Ok(Bytes::from_static(b": keep-alive\n\n")), self));
            };
            match received {
                Ok(batch) => {
                    for ev in &batch.events {
                        self.keep(ev, &batch.community);
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => self.replaying = true,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

/// `GET /api/stream`
pub(crate) async fn stream(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(params): Query<StreamParams>,
) -> AppResult<Response> {
    open(&state, &caller, &headers, params.last_event_id).await
}

/// Opens a stream for `caller`, resuming after `Last-Event-ID` (header or
/// `last_event_id`). The console's live dashboard uses it too.
pub(crate) async fn open(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    last_event_id: Option<String>,
) -> AppResult<Response> {
    let watch = state.watch()?;
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(last_event_id);
    let resume = resume
        .map(|v| {
            v.trim().parse::<i64>().map_err(|_| {
                AppError::BadRequest(format!(
                    "Last-Event-ID {v:?} is not an event id of this stream"
                ))
            })
        })
        .transpose()?;
    // Read the hub's position before subscribing: the replay from the
    // store covers anything broadcast in between.
    let start = resume.unwrap_or_else(|| watch.hub.cursor());
    let rx = watch.hub.subscribe();
    if !matches!(caller.viewer, Viewer::Public) {
        state
            .audit(
                &caller.actor,
                "stream.open",
                None,
                "ok",
                json!({"last_event_id": resume}),
            )
            .await?;
    }
    let subscriber = Subscriber {
        store: state.store.clone(),
        viewer: caller.viewer.clone(),
        rx,
        pending: VecDeque::new(),
        last: start,
        replaying: true,
    };
    let frames = stream::unfold(subscriber, Subscriber::next);
    Ok((
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(frames),
    )
        .into_response())
}
