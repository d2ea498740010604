//! Standard Webhooks signatures (<https://www.standardwebhooks.com/>):
//! HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}` with the
//! base64 secret after `whsec_`, sent as `webhook-signature: v1,<base64>`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("a webhook secret is `whsec_` followed by base64")]
    Secret,
    #[error("no v1 signature in the webhook-signature header matches")]
    Mismatch,
}

/// A new random secret, `whsec_` and 32 bytes of base64.
pub fn new_secret() -> String {
    use chacha20poly1305::aead::rand_core::RngCore as _;
    let mut bytes = [0u8; 32];
    chacha20poly1305::aead::OsRng.fill_bytes(&mut bytes);
    format!("whsec_{}", STANDARD.encode(bytes))
}

fn key(secret: &str) -> Result<Vec<u8>, WebhookError> {
    let b64 = secret.strip_prefix("whsec_").ok_or(WebhookError::Secret)?;
    STANDARD.decode(b64).map_err(|_| WebhookError::Secret)
}

/// The HMAC over `{msg_id}.{timestamp}.{body}`, not yet finalised.
fn mac(
    key: &[u8],
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<Hmac<Sha256>, WebhookError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).map_err(|_| WebhookError::Secret)?;
    mac.update(format!("{msg_id}.{timestamp}.").as_bytes());
    mac.update(body);
    Ok(mac)
}

/// The `webhook-signature` header value for one delivery.
pub fn sign(
    secret: &str,
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, WebhookError> {
    let tag = mac(&key(secret)?, msg_id, timestamp, body)?
        .finalize()
        .into_bytes();
    Ok(format!("v1,{}", STANDARD.encode(tag)))
}

/// Checks a `webhook-signature` header (space-separated `v1,<sig>` list),
/// in constant time per candidate.
pub fn verify(
    secret: &str,
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
    header: &str,
) -> Result<(), WebhookError> {
    let k = key(secret)?;
    for candidate in header.split_whitespace() {
        let Some(sig) = candidate.strip_prefix("v1,") else {
            continue;
        };
        let Ok(sig) = STANDARD.decode(sig) else {
            continue;
        };
        if mac(&k, msg_id, timestamp, body)?.verify_slice(&sig).is_ok() {
            return Ok(());
        }
    }
    Err(WebhookError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_webhooks_reference_vector() {
        // From the Standard Webhooks reference libraries' test suite.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let sig = sign(
            secret,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        verify(
            secret,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
            &format!("v1,bad {sig}"),
        )
        .unwrap();
        assert_eq!(
            verify(
                secret,
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265331,
                br#"{"test": 2432232314}"#,
                &sig
            ),
            Err(WebhookError::Mismatch)
        );
        assert!(new_secret().starts_with("whsec_"));
    }
}
