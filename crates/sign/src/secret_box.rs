//! Secrets the node must use again (webhook signing secrets) are kept
//! encrypted at rest with ChaCha20-Poly1305 under a key derived from the
//! node key, never in clear in the database.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

use crate::keys::NodeKey;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the sealed secret is damaged or was sealed under another node key")]
pub struct OpenError;

pub struct SecretBox(ChaCha20Poly1305);

impl SecretBox {
    pub fn for_node(key: &NodeKey) -> Self {
        Self(ChaCha20Poly1305::new(Key::from_slice(
            &key.derive("secret-box"),
        )))
    }

    /// `v1:` + base64(nonce ‖ ciphertext).
    pub fn seal(&self, plaintext: &str) -> String {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        // Encryption cannot fail for in-memory buffers of this size.
        let ct = self
            .0
            .encrypt(&nonce, plaintext.as_bytes())
            .unwrap_or_default();
        let mut all = nonce.to_vec();
        all.extend(ct);
        format!("v1:{}", STANDARD.encode(all))
    }

    pub fn open(&self, sealed: &str) -> Result<String, OpenError> {
        let raw = sealed
            .strip_prefix("v1:")
            .and_then(|b| STANDARD.decode(b).ok())
            .filter(|r| r.len() > 12)
            .ok_or(OpenError)?;
        let (nonce, ct) = raw.split_at(12);
        let pt = self
            .0
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| OpenError)?;
        String::from_utf8(pt).map_err(|_| OpenError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_another_key() {
        let a = SecretBox::for_node(&NodeKey::from_seed([1; 32]));
        let b = SecretBox::for_node(&NodeKey::from_seed([2; 32]));
        let sealed = a.seal("whsec_abc");
        assert!(!sealed.contains("whsec_abc"));
        assert_eq!(a.open(&sealed).unwrap(), "whsec_abc");
        assert_eq!(b.open(&sealed), Err(OpenError));
        assert_eq!(a.open("v1:AAAA"), Err(OpenError));
    }
}
