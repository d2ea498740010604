//! Ed25519 node keys.

use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use base64::Engine as _;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("node key is not a PKCS#8 PEM Ed25519 private key: {0}")]
    Pem(String),
    #[error("public key {0:?} is not 32 bytes of unpadded base64")]
    PublicKey(String),
    #[error("signature does not verify")]
    BadSignature,
}

/// A node's signing key. Its `Debug` never prints the secret.
pub struct NodeKey(SigningKey);

impl std::fmt::Debug for NodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NodeKey({})", self.public().fingerprint())
    }
}

impl NodeKey {
    /// A key from 32 bytes of secret randomness supplied by the caller.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self(SigningKey::from_bytes(&seed))
    }

    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, KeyError> {
        SigningKey::from_pkcs8_pem(pem)
            .map(Self)
            .map_err(|e| KeyError::Pem(e.to_string()))
    }

    /// PKCS#8 PEM, for the owner-only key file.
    pub fn to_pkcs8_pem(&self) -> Result<String, KeyError> {
        self.0
            .to_pkcs8_pem(Default::default())
            .map(|z| z.to_string())
            .map_err(|e| KeyError::Pem(e.to_string()))
    }

    /// A 32-byte key for `purpose`, derived from the node key, so other
    /// secrets at rest need no key file of their own.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        use sha2::Digest as _;
        let mut h = sha2::Sha256::new();
        h.update(b"vigia derived key v1\0");
        h.update(purpose.as_bytes());
        h.update([0]);
        h.update(self.0.to_bytes());
        h.finalize().into()
    }

    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }
}

/// A node's public key, shared with peers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", self.fingerprint())
    }
}

impl PublicKey {
    pub fn parse_base64(text: &str) -> Result<Self, KeyError> {
        let bytes = B64
            .decode(text.trim_end_matches('='))
            .map_err(|_| KeyError::PublicKey(text.to_owned()))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| KeyError::PublicKey(text.to_owned()))?;
        VerifyingKey::from_bytes(&bytes)
            .map(Self)
            .map_err(|_| KeyError::PublicKey(text.to_owned()))
    }

    pub fn to_base64(&self) -> String {
        B64.encode(self.0.as_bytes())
    }

    /// `SHA256:` and the unpadded base64 of the key's SHA-256, the form
    /// OpenSSH prints, so operators can compare it by eye or by phone.
    pub fn fingerprint(&self) -> String {
        format!("SHA256:{}", B64.encode(Sha256::digest(self.0.as_bytes())))
    }

    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        let sig: [u8; 64] = signature.try_into().map_err(|_| KeyError::BadSignature)?;
        self.0
            .verify(message, &ed25519_dalek::Signature::from_bytes(&sig))
            .map_err(|_| KeyError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    #[test]
    fn signs_verifies_and_round_trips_through_pem() {
        let mut seed = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut seed);
        let key = NodeKey::from_seed(seed);
        let pem = key.to_pkcs8_pem().unwrap();
        let again = NodeKey::from_pkcs8_pem(&pem).unwrap();
        let sig = again.sign(b"alert");
        assert!(key.public().verify(b"alert", &sig).is_ok());
        assert!(key.public().verify(b"alert!", &sig).is_err());
        let public = PublicKey::parse_base64(&key.public().to_base64()).unwrap();
        assert_eq!(public.fingerprint(), key.public().fingerprint());
        assert!(public.fingerprint().starts_with("SHA256:"));
        assert!(!format!("{key:?}").contains(&pem));
    }
}
