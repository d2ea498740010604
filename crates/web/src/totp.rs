//! The TOTP second factor (RFC 6238) as every authenticator app expects it:
//! SHA-1, six digits, 30-second steps, one step of clock skew either way.
//! The secret is kept sealed by the node's secret box.

use rand::RngCore;
use totp_rs::{Algorithm, Secret, TOTP};

/// 160 bits, the RFC 4226 recommendation.
const SECRET_BYTES: usize = 20;

/// A new secret, base32 as authenticator apps take it.
pub(crate) fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::thread_rng().fill_bytes(&mut bytes);
    Secret::Raw(bytes.to_vec()).to_encoded().to_string()
}

/// Seconds per step, as every authenticator app counts them.
const STEP_SECS: u64 = 30;

fn totp(secret_base32: &str, skew: u8, issuer: &str, account: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret_base32.to_owned()).to_bytes().ok()?;
    // The otpauth label refuses ':' in either part.
    TOTP::new(
        Algorithm::SHA1,
        6,
        skew,
        STEP_SECS,
        bytes,
        Some(issuer.replace(':', " ")),
        account.replace(':', " "),
    )
    .ok()
}

/// The time step `code` belongs to, if it is the secret's code at
/// `unix_secs` or one step either side. The caller spends the step
/// (`Store::claim_totp_step`) so that no code is accepted twice.
pub(crate) fn matching_step(secret_base32: &str, code: &str, unix_secs: u64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let exact = totp(secret_base32, 0, "vigia", "user")?;
    let now = unix_secs / STEP_SECS;
    // Each candidate step is compared in constant time by totp-rs.
    [now, now.saturating_sub(1), now + 1]
        .into_iter()
        .find(|step| exact.check(&code, step * STEP_SECS))
        .and_then(|step| i64::try_from(step).ok())
}

/// The `otpauth://` URI an authenticator app imports.
pub(crate) fn otpauth_uri(secret_base32: &str, issuer: &str, account: &str) -> String {
    totp(secret_base32, 1, issuer, account)
        .map(|t| t.get_url())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_sha1_test_vector() {
        // RFC 6238 appendix B: secret "12345678901234567890", T = 59 s,
        // eight digits 94287082; six digits are its last six.
        let secret = Secret::Raw(b"12345678901234567890".to_vec())
            .to_encoded()
            .to_string();
        assert_eq!(matching_step(&secret, "287082", 59), Some(1));
        assert_eq!(matching_step(&secret, "287 082", 59), Some(1));
        // One step of clock skew either way, and it names the code's step.
        assert_eq!(matching_step(&secret, "287082", 89), Some(1));
        assert_eq!(matching_step(&secret, "287082", 29), Some(1));
        assert_eq!(matching_step(&secret, "287082", 120), None);
        assert_eq!(matching_step(&secret, "287083", 59), None);
        assert_eq!(matching_step(&secret, "287082", 59 + 3600), None);
        assert_eq!(matching_step(&secret, "", 59), None);
        assert_eq!(matching_step(&secret, "28708a", 59), None);
    }

    #[test]
    fn new_secrets_differ_and_give_a_uri() {
        let a = new_secret();
        assert_ne!(a, new_secret());
        let uri = otpauth_uri(&a, "CSIRT: MX", "ana");
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(uri.contains(&format!("secret={a}")), "{uri}");
    }
}
