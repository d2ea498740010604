//! The federation workers of a node: the outbox (push) and the pull.
//!
//! - **Push.** Objects are queued in the store's outbox, one row per
//!   entitled peer, in the transaction that stores them. [`run_outbox`]
//!   delivers due rows with a signed TAXII POST to the peer's `network`
//!   collection and retries failures with exponential backoff and jitter.
//!   Before sending it re-applies the egress rule and the outbound policy,
//!   which may have narrowed since the row was queued.
//! - **Pull.** [`run_pull`] asks each peer, with a signed TAXII GET, for
//!   what was added after the cursor it keeps for that peer, so a node that
//!   was down or cut off catches up without operator action.
//!
//! Both paths end in `vigia_store::ingest::ingest_from_peer`, which is
//! idempotent on id and version.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use serde_json::json;
use tokio::sync::Notify;
use vigia_policy::{may_send, Community, OutboundPolicy, TeamId};
use vigia_sign::NodeKey;
use vigia_stix::Timestamp;
use vigia_store::ingest::{
    check_from_peer, outbound_with, store_checked, CheckedDelivery, IngestContext, IngestReport,
    OUTBOUND_POLICY_SETTING,
};
use vigia_store::{AuditEvent, DeliveryOutcome, DueBatch, NewPeer, PeerRecord, Queued, Store};
use vigia_taxii::{Filter, VersionMatch};

use crate::client::{envelope, is_loopback, relay_envelope, Auth, Options, TaxiiClient};

/// The collection peers exchange objects through.
pub const NETWORK_COLLECTION: &str = "network";

/// How the workers pace themselves.
#[derive(Clone, Debug)]
pub struct SyncSettings {
    /// Between two pulls from each peer.
    pub pull_interval: Duration,
    /// The first retry waits about this long; each further one twice as long.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// Objects per push request.
    pub push_batch: i64,
    /// Per-request time limit.
    pub timeout: Duration,
    /// Extra trust anchors (PEM) for peers' TLS certificates.
    pub root_certificates_pem: Vec<Vec<u8>>,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            pull_interval: Duration::from_secs(30),
            retry_base: Duration::from_secs(1),
            retry_max: Duration::from_secs(300),
            push_batch: 500,
            timeout: Duration::from_secs(60),
            root_certificates_pem: Vec::new(),
        }
    }
}

/// Everything both workers share.
#[derive(Clone)]
pub struct Federation {
    pub store: Store,
    pub ingest: IngestContext,
    pub here: TeamId,
    pub key: Arc<NodeKey>,
    /// Woken when something is queued.
    pub outbox: Arc<Notify>,
    pub settings: SyncSettings,
}

impl Federation {
    pub(crate) fn client(&self, peer: &NewPeer) -> Result<TaxiiClient, crate::Error> {
        let url = format!("{}/taxii2/api/", peer.url.trim_end_matches('/'));
        let client = TaxiiClient::new(
            &url,
            Auth::Signed(self.key.clone()),
            Options {
                timeout: self.settings.timeout,
                root_certificates_pem: self.settings.root_certificates_pem.clone(),
                ..Options::default()
            },
        )?;
        if let Some(root) = client.api_root_url() {
            if root.scheme() == "http" && !is_loopback(root) {
                return Err(crate::Error::Url {
                    url: url.clone(),
                    reason: "peers are reached over https; plain http is allowed only on loopback"
                        .into(),
                });
            }
        }
        Ok(client)
    }

    pub(crate) async fn peer_map(
        &self,
    ) -> Result<HashMap<TeamId, NewPeer>, vigia_store::StoreError> {
        Ok(self
            .store
            .peer_links()
            .await?
            .into_iter()
            .map(|p| (p.team_id.clone(), p))
            .collect())
    }
}

/// Delivers the outbox until the task is dropped.
pub async fn run_outbox(fed: Federation) {
    let mut clients: HashMap<TeamId, TaxiiClient> = HashMap::new();
    let mut last_gauges = std::time::Instant::now() - Duration::from_secs(60);
    loop {
        if last_gauges.elapsed() > Duration::from_secs(2) {
            update_gauges(&fed).await;
            last_gauges = std::time::Instant::now();
        }
        let due = match fed.store.due_deliveries(fed.settings.push_batch).await {
            Ok(due) => due,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the outbox");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if due.is_empty() {
            tokio::select! {
                _ = fed.outbox.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
            continue;
        }
        let peers = match fed.peer_map().await {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "cannot read peers");
                continue;
            }
        };
        let rules = match Rules::load(&fed).await {
            Ok(r) => Arc::new(r),
            Err(e) => {
                tracing::error!(error = %e, "cannot read the outbound policy");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let mut tasks = tokio::task::JoinSet::new();
        for batch in due {
            let Some(peer) = peers.get(&batch.peer).cloned() else {
                continue;
            };
            let client = match clients.get(&batch.peer) {
                Some(c) => c.clone(),
                None => match fed.client(&peer) {
                    Ok(c) => {
                        clients.insert(batch.peer.clone(), c.clone());
                        c
                    }
                    Err(e) => {
                        let dates: Vec<Timestamp> =
                            batch.objects.iter().map(|q| q.object.date_added).collect();
                        retry(&fed, &batch.peer, &dates, batch.attempts, &e.to_string()).await;
                        continue;
                    }
                },
            };
            let fed = fed.clone();
            let rules = rules.clone();
            tasks.spawn(async move { deliver(&fed, &client, &rules, batch).await });
        }
        while tasks.join_next().await.is_some() {}
    }
}

async fn update_gauges(fed: &Federation) {
    let Ok(peers) = fed.store.peers().await else {
        return;
    };
    let now = Timestamp::from_datetime(time::OffsetDateTime::now_utc());
    for p in peers {
        let label = p.peer.name.clone();
        metrics::gauge!("vigia_federation_outbox_depth", "peer" => label.clone())
            .set(p.backlog as f64);
        let lag = p
            .oldest_pending
            .map(|t| (now.unix_micros() - t.unix_micros()).max(0) as f64 / 1e6)
            .unwrap_or(0.0);
        metrics::gauge!("vigia_federation_lag_seconds", "peer" => label.clone()).set(lag);
        metrics::gauge!("vigia_federation_peer_reachable", "peer" => label).set(
            if p.reachable() == Some(false) {
                0.0
            } else {
                1.0
            },
        );
    }
}

/// What decides, at send time, whether a queued object may still go:
/// read once per round of deliveries.
struct Rules {
    outbound: OutboundPolicy,
    community: Community,
}

impl Rules {
    async fn load(fed: &Federation) -> Result<Self, vigia_store::StoreError> {
        let snapshot = fed
            .store
            .federation_snapshot(Some(OUTBOUND_POLICY_SETTING))
            .await?;
        Ok(Self {
            outbound: outbound_with(
                &fed.ingest.configured_outbound(),
                snapshot.setting.as_deref(),
            )?,
            community: snapshot.community,
        })
    }
}

/// Sends one peer's due objects in one signed POST and records the outcome.
async fn deliver(fed: &Federation, client: &TaxiiClient, rules: &Rules, batch: DueBatch) {
    let peer = batch.peer.clone();
    let (send, withheld) = recheck(fed, rules, &batch);
    let mut answered = false;
    let mut outcomes: Vec<(Timestamp, DeliveryOutcome)> = withheld
        .into_iter()
        .map(|(t, why)| (t, DeliveryOutcome::Withheld(why)))
        .collect();
    if !send.is_empty() {
        let hint = vigia_taxii::CoveredHint::for_objects(send.iter().map(|q| q.covered.as_deref()))
            .unwrap_or_else(|e| {
                // Only a cost: without the hint the peer relays to all.
                tracing::warn!(error = %e, "a queued covered set is unreadable; sending without it");
                None
            });
        let body = relay_envelope(send.iter().map(|q| q.object.raw.as_str()), hint.as_ref());
        match client.add_objects(NETWORK_COLLECTION, body).await {
            Ok(status) => {
                let refused: HashMap<&str, &str> = status
                    .failures
                    .iter()
                    .map(|f| (f.id.as_str(), f.message.as_deref().unwrap_or("refused")))
                    .collect();
                for o in send.iter().map(|q| &q.object) {
                    let outcome = match refused.get(o.id.as_str()) {
                        Some(reason) => DeliveryOutcome::Refused((*reason).to_owned()),
                        None => DeliveryOutcome::Delivered,
                    };
                    outcomes.push((o.date_added, outcome));
                }
                let delivered = outcomes
                    .iter()
                    .filter(|(_, o)| *o == DeliveryOutcome::Delivered)
                    .count();
                metrics::counter!("vigia_federation_deliveries_total", "peer" => peer.as_str().to_owned())
                    .increment(delivered as u64);
                answered = true;
            }
            Err(e) => {
                let dates: Vec<Timestamp> = send.iter().map(|q| q.object.date_added).collect();
                retry(fed, &peer, &dates, batch.attempts, &e.to_string()).await;
            }
        }
    }
    if let Err(e) = fed
        .store
        .finish_deliveries(&peer, &outcomes, answered)
        .await
    {
        tracing::error!(error = %e, %peer, "cannot record deliveries");
    }
}

/// Splits a batch into what may still go and what is now withheld.
fn recheck(
    fed: &Federation,
    rules: &Rules,
    batch: &DueBatch,
) -> (Vec<Queued>, Vec<(Timestamp, String)>) {
    let Rules {
        outbound,
        community,
    } = rules;
    let mut send = Vec::new();
    let mut withheld = Vec::new();
    for queued in &batch.objects {
        let o = &queued.object;
        if !may_send(&fed.here, &batch.peer, &o.audience, community) {
            withheld.push((
                o.date_added,
                "no longer entitled under its marking".to_owned(),
            ));
        } else if !outbound.permits(&o.object_type, o.audience.tlp, &batch.peer, community) {
            withheld.push((
                o.date_added,
                "withheld by this node's outbound policy".to_owned(),
            ));
        } else {
            send.push(queued.clone());
        }
    }
    (send, withheld)
}

/// The wait before attempt `attempts + 1`: exponential, capped, with
/// jitter so peers coming back are not hit by every node at once.
pub fn backoff(settings: &SyncSettings, attempts: i64) -> Duration {
    let exp = settings
        .retry_base
        .saturating_mul(1u32 << attempts.clamp(0, 20) as u32)
        .min(settings.retry_max);
    let jitter = rand::thread_rng().gen_range(0.5..1.5);
    exp.mul_f64(jitter)
}

async fn retry(fed: &Federation, peer: &TeamId, dates: &[Timestamp], attempts: i64, error: &str) {
    let wait = backoff(&fed.settings, attempts);
    tracing::warn!(%peer, objects = dates.len(), retry_in_ms = wait.as_millis() as u64, %error, "delivery failed");
    metrics::counter!("vigia_federation_delivery_failures_total", "peer" => peer.as_str().to_owned())
        .increment(dates.len() as u64);
    let next = Timestamp::from_datetime(time::OffsetDateTime::now_utc() + wait);
    if let Err(e) = fed.store.retry_deliveries(peer, dates, error, next).await {
        tracing::error!(error = %e, "cannot reschedule deliveries");
    }
    let _ = fed.store.record_peer_contact(peer, Err(error)).await;
}

/// Pulls from every peer, every `pull_interval`, until the task is dropped.
pub async fn run_pull(fed: Federation) {
    loop {
        match fed.store.peers().await {
            Ok(peers) => {
                let mut tasks = tokio::task::JoinSet::new();
                for peer in peers {
                    let fed = fed.clone();
                    tasks.spawn(async move {
                        if let Err(e) = pull_peer(&fed, &peer).await {
                            tracing::warn!(peer = %peer.peer.name, error = %e, "pull failed");
                            let _ = fed
                                .store
                                .record_peer_contact(&peer.peer.team_id, Err(&e))
                                .await;
                        }
                    });
                }
                while tasks.join_next().await.is_some() {}
            }
            Err(e) => tracing::error!(error = %e, "cannot read peers"),
        }
        let _ = fed.store.purge_nonces().await;
        tokio::time::sleep(fed.settings.pull_interval).await;
    }
}

/// Pulls everything a peer added since the cursor, page by page; the
/// cursor moves after each page is stored.
pub async fn pull_peer(fed: &Federation, peer: &PeerRecord) -> Result<u64, String> {
    let client = fed.client(&peer.peer).map_err(|e| e.to_string())?;
    let added_after = peer
        .pull_cursor
        .as_deref()
        .map(Timestamp::parse)
        .transpose()
        .map_err(|e| format!("stored cursor: {e}"))?;
    let filter = Filter {
        added_after,
        versions: VersionMatch {
            all: true,
            ..VersionMatch::default()
        },
        ..Filter::default()
    };
    let mut pages = client.pull(NETWORK_COLLECTION, filter);
    let mut stored = 0;
    // Three pages in flight: the next one fetched while this one is
    // checked (on every core) and the last one is stored (one writer).
    let mut fetched = pages.next_page().await.map_err(|e| e.to_string())?;
    let mut ready: Option<CheckedPage> = None;
    while fetched.is_some() || ready.is_some() {
        let to_check = fetched.take();
        let more = to_check.is_some();
        let (next, checked, done) = tokio::join!(
            async {
                match more {
                    true => pages.next_page().await,
                    false => Ok(None),
                }
            },
            async {
                match to_check {
                    Some(page) => check_page(fed, peer, page).await.map(Some),
                    None => Ok(None),
                }
            },
            async {
                match ready.take() {
                    Some(page) => store_page(fed, peer, page).await,
                    None => Ok(0),
                }
            },
        );
        stored += done?;
        ready = checked?;
        fetched = next.map_err(|e| e.to_string())?;
    }
    fed.store
        .record_peer_contact(&peer.peer.team_id, Ok(()))
        .await
        .map_err(|e| e.to_string())?;
    Ok(stored)
}

/// Stores one pulled page and moves the cursor past it.
/// A pulled page, checked and ready to store, with the cursor to move to.
struct CheckedPage {
    checked: Option<CheckedDelivery>,
    cursor: Option<String>,
}

async fn check_page(
    fed: &Federation,
    peer: &PeerRecord,
    page: crate::Page,
) -> Result<CheckedPage, String> {
    let mut checked = None;
    if !page.objects.is_empty() {
        let body = envelope(page.objects.iter().map(|o| o.get()));
        checked = Some(
            check_from_peer(&fed.store, &fed.ingest, &peer.peer.team_id, body)
                .await
                .map_err(|e| e.to_string())?,
        );
    }
    // A page the peer filtered down to nothing still moves the cursor,
    // through vigia's `next` token, so filtered rows are not re-read.
    let cursor = page.date_added_last.clone().or_else(|| {
        let next = vigia_taxii::Cursor::decode(page.next.as_deref()?).ok()?;
        Some(
            Timestamp::from_unix_micros(next.after_micros)
                .ok()?
                .to_micros_string(),
        )
    });
    Ok(CheckedPage { checked, cursor })
}

async fn store_page(fed: &Federation, peer: &PeerRecord, page: CheckedPage) -> Result<u64, String> {
    let mut stored = 0;
    if let Some(checked) = page.checked {
        let report = store_checked(&fed.store, checked)
            .await
            .map_err(|e| e.to_string())?;
        stored = report.stored.len() as u64;
        audit_pull(fed, peer, &report)
            .await
            .map_err(|e| e.to_string())?;
        if report.stored.iter().any(|o| !o.queued_for.is_empty()) {
            fed.outbox.notify_one();
        }
    }
    fed.store
        .set_pull_cursor(&peer.peer.team_id, page.cursor.as_deref())
        .await
        .map_err(|e| e.to_string())?;
    Ok(stored)
}

async fn audit_pull(
    fed: &Federation,
    peer: &PeerRecord,
    report: &IngestReport,
) -> Result<(), vigia_store::StoreError> {
    let actor = format!("peer:{}", peer.peer.team_id);
    let at = Timestamp::from_datetime(time::OffsetDateTime::now_utc());
    let label = peer.peer.team_id.as_str().to_owned();
    metrics::counter!("vigia_federation_received_total", "peer" => label.clone())
        .increment(report.stored.len() as u64);
    metrics::counter!("vigia_federation_refused_objects_total", "peer" => label)
        .increment(report.failures.len() as u64);
    let mut events: Vec<AuditEvent> = report
        .failures
        .iter()
        .map(|f| AuditEvent {
            at,
            actor: actor.clone(),
            action: "federation.refused".into(),
            subject: f.id.clone(),
            outcome: "denied".into(),
            detail: json!({"via": "pull", "path": f.path, "reason": f.reason}),
        })
        .collect();
    if !report.stored.is_empty() || !report.failures.is_empty() {
        let stored: Vec<&str> = report.stored.iter().map(|o| o.id.as_str()).collect();
        events.push(AuditEvent {
            at,
            actor,
            action: "federation.receive".into(),
            subject: None,
            outcome: "ok".into(),
            detail: json!({"via": "pull", "stored": stored, "refused": report.failures.len()}),
        });
    }
    if events.is_empty() {
        return Ok(());
    }
    fed.store.append_audit_batch(&events).await
}

/// What a node says about itself at `GET /api/node`: what `peer add` needs.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
pub struct NodeInfo {
    pub node_id: String,
    pub team_id: String,
    #[serde(default)]
    pub team_name: Option<String>,
    pub country: String,
    pub public_url: String,
    pub public_key: String,
    pub key_fingerprint: String,
}

/// Fetches a node's self-description. Plain http only to loopback.
pub async fn fetch_node_info(
    base_url: &str,
    timeout: Duration,
    root_certificates_pem: &[Vec<u8>],
) -> Result<NodeInfo, String> {
    let with_slash = format!("{}/", base_url.trim_end_matches('/'));
    let base =
        reqwest::Url::parse(&with_slash).map_err(|e| format!("{base_url:?} is not a URL: {e}"))?;
    match base.scheme() {
        "https" => {}
        "http" if is_loopback(&base) => {
            tracing::warn!(url = %base, "peer reached over plain http: allowed on loopback only");
        }
        other => {
            return Err(format!(
            "{base_url}: peers are reached over https (plain http only on loopback), not {other}"
        ))
        }
    }
    let url = base
        .join("api/node")
        .map_err(|e| format!("{base_url}: {e}"))?;
    let http = crate::client::http_client(&Options {
        timeout,
        root_certificates_pem: root_certificates_pem.to_vec(),
        ..Options::default()
    })
    .map_err(|e| e.to_string())?;
    let response = http
        .get(url.clone())
        .send()
        .await
        .map_err(|e| format!("GET {url}: {}", crate::error::chain(&e.without_url())))?;
    if !response.status().is_success() {
        return Err(format!("GET {url}: HTTP {}", response.status().as_u16()));
    }
    response
        .json::<NodeInfo>()
        .await
        .map_err(|e| format!("GET {url}: not a vigia node description: {e}"))
}
