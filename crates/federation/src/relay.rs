//! Incident reports from the public that this node's portal took for a
//! team on a peer node: each is sent, sealed, to that node's network
//! collection like any object, and erased here once it is accepted.

use std::sync::Arc;
use std::time::Duration;

use vigia_sign::SecretBox;
use vigia_stix::Timestamp;

use crate::client::envelope;
use crate::sync::{backoff, Federation, NETWORK_COLLECTION};

/// Relays waiting reports until the task is dropped.
pub async fn run_report_relays(fed: Federation, secrets: Arc<SecretBox>) {
    loop {
        if let Err(e) = relay_once(&fed, &secrets).await {
            tracing::error!(error = %e, "cannot relay public reports");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn now() -> Timestamp {
    Timestamp::from_datetime(time::OffsetDateTime::now_utc())
}

/// Sends every due report once.
pub async fn relay_once(
    fed: &Federation,
    secrets: &SecretBox,
) -> Result<(), vigia_store::StoreError> {
    let due = fed.store.due_report_relays(now().unix_micros(), 20).await?;
    if due.is_empty() {
        return Ok(());
    }
    let peers = fed.peer_map().await?;
    for r in due {
        let outcome = match (peers.iter().find(|(t, _)| t.as_str() == r.team), &r.payload) {
            (None, _) => Err(format!("{} is no longer a peer", r.team)),
            (_, None) => continue,
            (Some((_, peer)), Some(payload)) => match secrets.open(payload) {
                Err(_) => Err("the queued report does not open with this node's key".to_owned()),
                Ok(object) => send(fed, peer, &object).await,
            },
        };
        match outcome {
            Ok(()) => {
                fed.store
                    .report_relay_delivered(&r.reference_hash, now().unix_micros())
                    .await?;
                metrics::counter!("vigia_public_reports_forwarded_total").increment(1);
            }
            Err(error) => {
                let wait = backoff(&fed.settings, r.attempts);
                tracing::warn!(team = %r.team, %error, retry_in_ms = wait.as_millis() as u64, "a public report could not be forwarded yet");
                let next = now().unix_micros() + wait.as_micros() as i64;
                fed.store
                    .report_relay_failed(&r.reference_hash, &error, next)
                    .await?;
            }
        }
    }
    Ok(())
}

async fn send(fed: &Federation, peer: &vigia_store::NewPeer, object: &str) -> Result<(), String> {
    let client = fed.client(peer).map_err(|e| e.to_string())?;
    let status = client
        .add_objects(NETWORK_COLLECTION, envelope([object]))
        .await
        .map_err(|e| e.to_string())?;
    match status.failures.first() {
        None if status.success_count >= 1 => Ok(()),
        None => Err("the peer stored nothing".to_owned()),
        Some(f) => Err(format!(
            "the peer refused it: {}",
            f.message.as_deref().unwrap_or("no reason given")
        )),
    }
}
