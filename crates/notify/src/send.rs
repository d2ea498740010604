//! The notification outbox: e-mail over SMTP and Standard Webhooks, each
//! message retried with exponential backoff until accepted or given up.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rand::Rng as _;
use sha2::{Digest as _, Sha256};
use vigia_store::{AckLink, Notification, SendOutcome};
use vigia_watch::ACK_LINK_MARKER;

use crate::{SmtpSettings, Watch, WatchError};

/// Messages claimed per run.
const BATCH: i64 = 200;
/// How long a claimed message is reserved for its sender.
const LEASE_MICROS: i64 = 120_000_000;

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl Mailer {
    pub fn new(s: &SmtpSettings, timeout: Duration) -> Result<Self, String> {
        let from = s
            .from
            .parse()
            .map_err(|e| format!("key `watch.smtp.from`: {:?} is not a mailbox (quote a display name with parentheses): {e}", s.from))?;
        let builder = match s.security.as_str() {
            "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host)
                .map_err(|e| format!("key `watch.smtp.host`: {:?}: {e}", s.host))?,
            "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)
                .map_err(|e| format!("key `watch.smtp.host`: {:?}: {e}", s.host))?,
            other => {
                return Err(format!(
                    "key `watch.smtp.security`: {other:?} is not starttls, tls or none"
                ))
            }
        };
        let mut builder = builder.port(s.port).timeout(Some(timeout));
        if let (Some(u), Some(p)) = (&s.username, &s.password) {
            builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }
}

/// Sends every due message once; `true` when more may be waiting.
pub async fn send_once(w: &Watch) -> Result<bool, WatchError> {
    let now = w.clock.now_micros();
    let claimed = w
        .store
        .claim_notifications(now, LEASE_MICROS, BATCH)
        .await?;
    let mut tasks = tokio::task::JoinSet::new();
    for n in claimed.iter().cloned() {
        let w = w.clone();
        tasks.spawn(async move {
            let result = match n.channel.as_str() {
                "email" => send_email(&w, &n).await,
                "webhook" => send_webhook(&w, &n).await,
                other => Err(SendError(format!("unknown channel {other:?}"))),
            };
            let now = w.clock.now_micros();
            let outcome = match result {
                Ok(()) => {
                    let secs = (now - n.created_at).max(0) as f64 / 1e6;
                    metrics::histogram!("vigia_watch_time_to_deliver_seconds", "channel" => n.channel.clone())
                        .record(secs);
                    SendOutcome::Sent
                }
                Err(SendError(e)) if n.attempts >= w.settings.max_attempts => SendOutcome::Failed(e),
                Err(SendError(e)) => SendOutcome::Retry {
                    at: now + backoff(n.attempts),
                    error: e,
                },
            };
            let state = match &outcome {
                SendOutcome::Sent => "sent",
                SendOutcome::Retry { error, .. } => {
                    tracing::warn!(id = n.id, channel = %n.channel, address = %n.address, %error, "message not accepted; will retry");
                    "retry"
                }
                SendOutcome::Failed(error) => {
                    tracing::error!(id = n.id, channel = %n.channel, address = %n.address, %error, "message given up");
                    "failed"
                }
            };
            metrics::counter!("vigia_watch_messages_total", "channel" => n.channel.clone(), "outcome" => state)
                .increment(1);
            w.store.finish_notification(n.id, &outcome, now).await
        });
    }
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot record a message's outcome"),
            Err(e) => tracing::warn!(error = %e, "message task failed"),
        }
    }
    Ok(claimed.len() as i64 == BATCH)
}

/// Why a send failed; every failure is retried until `max_attempts`.
struct SendError(String);

/// 5 s, 10 s, 20 s … up to 10 min, with ±20 % jitter.
fn backoff(attempts: i64) -> i64 {
    let base = 5_000_000i64
        .saturating_mul(1 << attempts.clamp(0, 7))
        .min(600_000_000);
    let jitter = rand::thread_rng().gen_range(0.8..1.2);
    (base as f64 * jitter) as i64
}

async fn send_email(w: &Watch, n: &Notification) -> Result<(), SendError> {
    let mailer = w
        .mailer
        .as_ref()
        .ok_or_else(|| SendError("no SMTP server is configured ([watch.smtp])".into()))?;
    let body = if n.body.contains(ACK_LINK_MARKER) {
        let link = ack_link(w, n).await.map_err(|e| SendError(e.to_string()))?;
        n.body.replace(ACK_LINK_MARKER, &link)
    } else {
        n.body.clone()
    };
    let to = n
        .address
        .parse()
        .map_err(|e| SendError(format!("address {:?}: {e}", n.address)))?;
    let message = Message::builder()
        .from(mailer.from.clone())
        .to(to)
        .subject(n.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| SendError(format!("cannot build the e-mail: {e}")))?;
    mailer
        .transport
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| SendError(format!("SMTP: {e}")))
}

/// A fresh single-use link; only its hash is stored.
async fn ack_link(w: &Watch, n: &Notification) -> Result<String, WatchError> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill(&mut bytes);
    let token = hex::encode(bytes);
    let now = w.clock.now_micros();
    let link = AckLink {
        product_id: n.product_id.clone(),
        team: n.team.clone(),
        contact: n.contact.clone(),
        user: n.user.clone(),
        expires_at: now + w.settings.ack_link_hours as i64 * 3_600_000_000,
        used_at: None,
    };
    w.store
        .put_ack_link(&ack_token_hash(&token), &link, now)
        .await?;
    Ok(format!(
        "{}/ack/{token}",
        w.public_url.trim_end_matches('/')
    ))
}

/// The stored form of an acknowledgement link's token.
pub fn ack_token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

async fn send_webhook(w: &Watch, n: &Notification) -> Result<(), SendError> {
    // Stable across retries, so a receiver can drop repeats.
    let msg_id = format!("msg_{}", n.id);
    let timestamp = w.clock.now_micros() / 1_000_000;
    let mut request = w
        .http
        .post(&n.address)
        .header("content-type", "application/json")
        .header("webhook-id", &msg_id)
        .header("webhook-timestamp", timestamp.to_string());
    if let Some(sealed) = &n.secret {
        let secret = w
            .secrets
            .open(sealed)
            .map_err(|e| SendError(e.to_string()))?;
        let signature = vigia_sign::webhook::sign(&secret, &msg_id, timestamp, n.body.as_bytes())
            .map_err(|e| SendError(e.to_string()))?;
        request = request.header("webhook-signature", signature);
    }
    let response = request
        .body(n.body.clone())
        .send()
        .await
        .map_err(|e| SendError(format!("webhook {}: {e}", n.address)))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(SendError(format!(
            "webhook {} answered {}",
            n.address,
            response.status()
        )))
    }
}
