//! Watch and warning at run time: a product that reaches this node reaches
//! the person on duty, and its sender learns that it did.
//!
//! - [`project`]: the watch projector. It reads newly stored objects in
//!   `date_added` order and records products, receipts and findings;
//!   for each local team a new product is addressed to, it opens an
//!   assignment, queues messages to the primary contacts on duty and sends
//!   the originator a `delivered` receipt.
//! - [`receipts`]: the receipts a team sends (delivered, seen,
//!   acknowledged, actioned), published like any object.
//! - [`escalate`]: backups, then the chain, then the Secretariat, when
//!   nobody acknowledges in time.
//! - [`send`]: the notification outbox: e-mail over SMTP (lettre, rustls)
//!   and Standard Webhooks, retried with backoff; single-use
//!   acknowledgement links.
//! - [`embargo`]: widens an embargoed product's audience at its time.
//! - [`stream`]: the live event hub behind `/api/stream` (SSE).
//!
//! Every worker is idempotent and keeps its state in the store, so a
//! restart or a second replica loses and duplicates nothing.

pub mod embargo;
pub mod escalate;
pub mod products;
pub mod project;
pub mod receipts;
pub mod send;
pub mod stream;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use vigia_sign::SecretBox;
use vigia_stix::Timestamp;
use vigia_store::ingest::IngestContext;
use vigia_store::Store;
use vigia_watch::EscalationPolicy;

/// The node's clock for watch timing. In production it is the system
/// clock; a node configured with `manual_clock` lets an admin move it
/// forward, for exercises and for tests of escalation.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_micros: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> Timestamp {
        let micros = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000) as i64
            + self.offset_micros.load(Ordering::Relaxed);
        Timestamp::from_unix_micros(micros)
            .unwrap_or_else(|_| Timestamp::from_datetime(time::OffsetDateTime::UNIX_EPOCH))
    }

    pub fn now_micros(&self) -> i64 {
        self.now().unix_micros()
    }

    /// Moves the clock forward by `secs`.
    pub fn advance(&self, secs: u64) {
        let micros = i64::try_from(secs).unwrap_or(i64::MAX / 2_000_000) * 1_000_000;
        self.offset_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// How far the clock runs ahead of the system clock.
    pub fn offset_secs(&self) -> i64 {
        self.offset_micros.load(Ordering::Relaxed) / 1_000_000
    }
}

/// How the node reaches an SMTP server.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// `starttls` (default), `tls` (implicit, port 465) or `none` (only
    /// for a relay on loopback).
    #[serde(default = "default_smtp_security")]
    pub security: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default, skip_serializing)]
    pub password: Option<String>,
    /// The From address, e.g. `CERT.br duty <alerts@cert.br>`.
    pub from: String,
}

fn default_smtp_port() -> u16 {
    587
}

fn default_smtp_security() -> String {
    "starttls".into()
}

/// The `[watch]` settings.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct WatchSettings {
    pub escalation: EscalationPolicy,
    /// The Secretariat's team id, told at the last escalation step.
    pub secretariat: Option<String>,
    pub smtp: Option<SmtpSettings>,
    /// How long a single-use acknowledgement link stays valid.
    pub ack_link_hours: u64,
    /// Lets an admin move the watch clock forward (`POST /api/watch/clock`).
    pub manual_clock: bool,
    /// Attempts before a message is given up as failed.
    pub max_attempts: i64,
    /// Seconds a webhook receiver or SMTP server may take.
    pub send_timeout_secs: u64,
}

impl Default for WatchSettings {
    fn default() -> Self {
        Self {
            escalation: EscalationPolicy::default(),
            secretariat: None,
            smtp: None,
            ack_link_hours: 72,
            manual_clock: false,
            max_attempts: 12,
            send_timeout_secs: 10,
        }
    }
}

/// What every watch worker shares.
#[derive(Clone)]
pub struct Watch {
    pub store: Store,
    pub ingest: IngestContext,
    /// Where people read products: `{public_url}/api/products/{id}`.
    pub public_url: String,
    pub settings: Arc<WatchSettings>,
    pub clock: Clock,
    pub secrets: Arc<SecretBox>,
    /// Woken when objects are stored, so notification starts at once.
    pub arrivals: Arc<Notify>,
    /// Woken when the outbox to peers has work (receipts we publish).
    pub outbox: Arc<Notify>,
    /// Woken when messages are queued.
    pub messages: Arc<Notify>,
    pub hub: stream::Hub,
    pub mailer: Option<send::Mailer>,
    pub http: reqwest::Client,
}

impl Watch {
    /// Wakes the projector and the event stream: objects were stored.
    pub fn stored(&self) {
        self.arrivals.notify_one();
        self.hub.wake();
    }

    pub fn product_link(&self, id: &str) -> String {
        format!(
            "{}/api/products/{id}",
            self.public_url.trim_end_matches('/')
        )
    }
}

/// Runs `step` whenever `wake` fires or every `tick`, logging failures.
async fn worker<F, Fut>(name: &'static str, wake: Arc<Notify>, tick: Duration, mut step: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool, WatchError>>,
{
    loop {
        match step().await {
            // More work may be waiting: go again at once.
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::warn!(worker = name, error = %e, "watch worker step failed"),
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(tick) => {}
        }
    }
}

/// Runs every watch worker until the task is dropped.
pub async fn run(watch: Watch) {
    let tick = Duration::from_millis(500);
    let w = watch.clone();
    let projector = worker("projector", watch.arrivals.clone(), tick, move || {
        let w = w.clone();
        async move { project::project_once(&w).await }
    });
    let w = watch.clone();
    let sender = worker("sender", watch.messages.clone(), tick, move || {
        let w = w.clone();
        async move { send::send_once(&w).await }
    });
    let w = watch.clone();
    let escalator = worker(
        "escalation",
        Arc::new(Notify::new()),
        Duration::from_secs(1),
        move || {
            let w = w.clone();
            async move { escalate::escalate_once(&w).await }
        },
    );
    let w = watch.clone();
    let embargoes = worker(
        "embargo",
        Arc::new(Notify::new()),
        Duration::from_secs(1),
        move || {
            let w = w.clone();
            async move { embargo::lift_once(&w).await }
        },
    );
    let hub = stream::run_hub(watch.clone());
    let w = watch.clone();
    let gauges = async move {
        loop {
            if let Err(e) = escalate::record_gauges(&w).await {
                tracing::warn!(error = %e, "cannot read open assignments for metrics");
            }
            tokio::time::sleep(Duration::from_secs(15)).await;
        }
    };
    tokio::join!(projector, sender, escalator, embargoes, hub, gauges);
}

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(transparent)]
    Store(#[from] vigia_store::StoreError),
    #[error(transparent)]
    Ingest(#[from] vigia_store::ingest::IngestError),
    #[error("{0}")]
    Refused(String),
}
