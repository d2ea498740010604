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

fn totp(secret_base32: &str, issuer: &str, account: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret_base32.to_owned()).to_bytes().ok()?;
    // The otpauth label refuses ':' in either part.
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        Some(issuer.replace(':', " ")),
        account.replace(':', " "),
    )
    .ok()
}

/// Whether `code` is the secret's code at `unix_secs` (±30 s).
pub(crate) fn verify(secret_base32: &str, code: &str, unix_secs: u64) -> bool {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    code.len() == 6
        && code.bytes().all(|b| b.is_ascii_digit())
        && totp(secret_base32, "vigia", "user").is_some_and(|t| t.check(&code, unix_secs))
}

/// The `otpauth://` URI an authenticator app imports.
pub(crate) fn otpauth_uri(secret_base32: &str, issuer: &str, account: &str) -> String {
    totp(secret_base32, issuer, account)
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
        assert!(verify(&secret, "287082", 59));
        assert!(verify(&secret, "287 082", 59));
        assert!(!verify(&secret, "287083", 59));
        assert!(!verify(&secret, "287082", 59 + 3600));
        assert!(!verify(&secret, "", 59));
        assert!(!verify(&secret, "28708a", 59));
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
