//! The node's OpenPGP key and the `.asc` signatures of its CSAF documents
//! (requirements 19 and 20, sections 7.1.19 and 7.1.20), with rPGP.
//!
//! The key is a version 4 key with an Ed25519 primary key (EdDSA, the
//! "legacy" algorithm 22 of RFC 4880bis / RFC 9580) that certifies and
//! signs, and one User ID. GnuPG 2.2 (Debian 12) and 2.4 read such keys;
//! they read neither version 6 keys nor the newer Ed25519 algorithm 27.
//! Signatures are version 4, binary, over SHA-512.
//!
//! Nothing here reads the clock: the key's creation time and each
//! signature's time are arguments (rPGP's own key builder stamps its
//! self-signatures with the current time, so the key is assembled from
//! its packets here), and randomness comes from the caller's RNG.
//!
//! The armored secret key is not protected by a passphrase: the caller
//! keeps it as it keeps the node's other keys (for instance sealed with
//! `vigia-sign`'s `SecretBox`).

use pgp::composed::{
    ArmorOptions, CleartextSignedMessage, Deserializable, DetachedSignature, KeyType,
    SignedKeyDetails, SignedPublicKey, SignedSecretKey, SubpacketConfig,
};
use pgp::crypto::hash::HashAlgorithm;
use pgp::packet::{
    Features, KeyFlags, PacketTrait, PubKeyInner, PublicKey, SecretKey, SignatureConfig,
    SignatureType, Subpacket, SubpacketData, UserId,
};
use pgp::types::{KeyDetails, KeyVersion, PacketHeaderVersion, Password, Timestamp as PgpTime};
use rand::{CryptoRng, RngCore};
use vigia_stix::Timestamp;

/// What went wrong with a key or a signature.
#[derive(Debug, thiserror::Error)]
pub enum OpenPgpError {
    #[error("user id {0:?} is empty or spans lines")]
    UserId(String),
    #[error("{what}: {time} is not between 1970 and 2106, as OpenPGP timestamps must be")]
    Time { what: &'static str, time: String },
    #[error("the secret key could not be read: {0}")]
    SecretKey(pgp::errors::Error),
    #[error("the public key could not be read: {0}")]
    PublicKey(pgp::errors::Error),
    #[error("the signature could not be read: {0}")]
    Signature(pgp::errors::Error),
    #[error("the key's self-signatures do not verify: {0}")]
    Bindings(pgp::errors::Error),
    #[error("the signature does not verify with the key {fingerprint}")]
    BadSignature { fingerprint: String },
    #[error("OpenPGP: {0}")]
    Pgp(#[from] pgp::errors::Error),
}

/// The node's OpenPGP key: secret and public parts. Its `Debug` shows the
/// fingerprint only.
#[derive(Clone)]
pub struct OpenPgpKey {
    key: SignedSecretKey,
}

impl std::fmt::Debug for OpenPgpKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OpenPgpKey({})", self.fingerprint())
    }
}

impl OpenPgpKey {
    /// A new key for `user_id` (e.g. `"CERTuy CSAF <csaf@cert.example>"`),
    /// created at `created`, which must not be later than the signatures
    /// it will make.
    ///
    /// # Errors
    /// [`OpenPgpError::UserId`] for an empty or multi-line user id,
    /// [`OpenPgpError::Time`] for a time OpenPGP cannot write,
    /// [`OpenPgpError::Pgp`] if rPGP fails.
    pub fn generate<R: RngCore + CryptoRng>(
        rng: &mut R,
        user_id: &str,
        created: Timestamp,
    ) -> Result<OpenPgpKey, OpenPgpError> {
        if user_id.trim().is_empty() || user_id.contains(['\n', '\r']) {
            return Err(OpenPgpError::UserId(user_id.to_owned()));
        }
        let created = pgp_time("created", created)?;
        let (public_params, secret_params) = KeyType::Ed25519Legacy.generate(&mut *rng)?;
        let public = PublicKey::from_inner(PubKeyInner::new(
            KeyVersion::V4,
            KeyType::Ed25519Legacy.to_alg(),
            created,
            None,
            public_params,
        )?)?;
        let secret = SecretKey::new(public.clone(), secret_params)?;

        let mut flags = KeyFlags::default();
        flags.set_certify(true);
        flags.set_sign(true);
        let mut features = Features::new();
        features.set_seipd_v1(true);
        let uid = UserId::from_str(PacketHeaderVersion::New, user_id)?;
        let mut config = SignatureConfig::v4(
            SignatureType::CertPositive,
            secret.algorithm(),
            HashAlgorithm::Sha512,
        );
        config.hashed_subpackets = vec![
            Subpacket::regular(SubpacketData::SignatureCreationTime(created))?,
            Subpacket::regular(SubpacketData::IssuerFingerprint(secret.fingerprint()))?,
            Subpacket::regular(SubpacketData::KeyFlags(flags))?,
            Subpacket::regular(SubpacketData::Features(features))?,
            Subpacket::regular(SubpacketData::PreferredHashAlgorithms(
                vec![HashAlgorithm::Sha512, HashAlgorithm::Sha256].into(),
            ))?,
            Subpacket::regular(SubpacketData::IsPrimary(true))?,
        ];
        config.unhashed_subpackets = vec![Subpacket::regular(SubpacketData::IssuerKeyId(
            secret.legacy_key_id(),
        ))?];
        let certification =
            config.sign_certification(&secret, &public, &Password::empty(), uid.tag(), &uid)?;
        let details = SignedKeyDetails::new(
            Vec::new(),
            Vec::new(),
            vec![uid.into_signed(certification)],
            Vec::new(),
        );
        let key = SignedSecretKey::new(secret, details, Vec::new(), Vec::new());
        key.verify_bindings().map_err(OpenPgpError::Bindings)?;
        Ok(OpenPgpKey { key })
    }

    /// Reads a key written by [`OpenPgpKey::armored_secret`] (or any
    /// unprotected OpenPGP secret key whose primary key signs).
    ///
    /// # Errors
    /// [`OpenPgpError::SecretKey`] when the text is not an armored secret
    /// key, [`OpenPgpError::Bindings`] when its self-signatures fail.
    pub fn from_armored_secret(text: &str) -> Result<OpenPgpKey, OpenPgpError> {
        let (key, _headers) =
            SignedSecretKey::from_string(text).map_err(OpenPgpError::SecretKey)?;
        key.verify_bindings().map_err(OpenPgpError::Bindings)?;
        Ok(OpenPgpKey { key })
    }

    /// The armored secret key (`-----BEGIN PGP PRIVATE KEY BLOCK-----`),
    /// unprotected.
    ///
    /// # Errors
    /// [`OpenPgpError::Pgp`] if rPGP cannot serialise it.
    pub fn armored_secret(&self) -> Result<String, OpenPgpError> {
        Ok(self.key.to_armored_string(ArmorOptions::default())?)
    }

    /// The armored public key (`-----BEGIN PGP PUBLIC KEY BLOCK-----`), to
    /// serve at `openpgp/<FINGERPRINT>.asc`.
    ///
    /// # Errors
    /// [`OpenPgpError::Pgp`] if rPGP cannot serialise it.
    pub fn armored_public(&self) -> Result<String, OpenPgpError> {
        Ok(self
            .key
            .to_public_key()
            .to_armored_string(ArmorOptions::default())?)
    }

    /// The fingerprint, 40 upper-case hex digits, as `provider-metadata.json`
    /// and `gpg --with-colons` write it.
    pub fn fingerprint(&self) -> String {
        hex::encode_upper(self.key.fingerprint().as_bytes())
    }

    /// An armored detached signature over `data` made at `at`: the
    /// content of `<file name>.asc`.
    ///
    /// # Errors
    /// [`OpenPgpError::Time`] for a time OpenPGP cannot write,
    /// [`OpenPgpError::Pgp`] if rPGP fails.
    pub fn sign_detached<R: RngCore + CryptoRng>(
        &self,
        rng: &mut R,
        data: &[u8],
        at: Timestamp,
    ) -> Result<String, OpenPgpError> {
        let at = pgp_time("at", at)?;
        let primary = &self.key.primary_key;
        let subpackets = SubpacketConfig::UserDefined {
            hashed: vec![
                Subpacket::regular(SubpacketData::SignatureCreationTime(at))?,
                Subpacket::regular(SubpacketData::IssuerFingerprint(primary.fingerprint()))?,
            ],
            unhashed: vec![Subpacket::regular(SubpacketData::IssuerKeyId(
                primary.legacy_key_id(),
            ))?],
        };
        let signature = DetachedSignature::sign_binary_data_with_subpackets(
            &mut *rng,
            primary,
            &Password::empty(),
            HashAlgorithm::Sha512,
            data,
            subpackets,
        )?;
        Ok(signature.to_armored_string(ArmorOptions::default())?)
    }

    /// `text` inside an OpenPGP cleartext signature made at `at`
    /// (RFC 9580 §7), as RFC 9116 §2.3 asks of a signed `security.txt`.
    ///
    /// # Errors
    /// [`OpenPgpError::Time`] for a time OpenPGP cannot write,
    /// [`OpenPgpError::Pgp`] if rPGP fails.
    pub fn sign_cleartext(&self, text: &str, at: Timestamp) -> Result<String, OpenPgpError> {
        let at = pgp_time("at", at)?;
        let primary = &self.key.primary_key;
        let mut config = SignatureConfig::v4(
            SignatureType::Text,
            primary.algorithm(),
            HashAlgorithm::Sha512,
        );
        config.hashed_subpackets = vec![
            Subpacket::regular(SubpacketData::SignatureCreationTime(at))?,
            Subpacket::regular(SubpacketData::IssuerFingerprint(primary.fingerprint()))?,
        ];
        config.unhashed_subpackets = vec![Subpacket::regular(SubpacketData::IssuerKeyId(
            primary.legacy_key_id(),
        ))?];
        let message = CleartextSignedMessage::new(text, config, primary, &Password::empty())?;
        Ok(message.to_armored_string(ArmorOptions::default())?)
    }
}

/// Checks a cleartext-signed message with an armored public key and
/// returns the signed text.
///
/// # Errors
/// As [`verify_detached`].
pub fn verify_cleartext(public_key: &str, message: &str) -> Result<String, OpenPgpError> {
    let (key, _) = SignedPublicKey::from_string(public_key).map_err(OpenPgpError::PublicKey)?;
    key.verify_bindings().map_err(OpenPgpError::Bindings)?;
    let (msg, _) = CleartextSignedMessage::from_string(message).map_err(OpenPgpError::Signature)?;
    msg.verify(&key.primary_key)
        .map_err(|_| OpenPgpError::BadSignature {
            fingerprint: hex::encode_upper(key.fingerprint().as_bytes()),
        })?;
    Ok(msg.signed_text())
}

/// Checks an armored detached signature over `data` with an armored public
/// key: its primary key or any of its subkeys. Returns the fingerprint of
/// the key (primary) that verified.
///
/// # Errors
/// [`OpenPgpError::PublicKey`] or [`OpenPgpError::Signature`] when the
/// text cannot be read, [`OpenPgpError::Bindings`] when the key's own
/// self-signatures fail, [`OpenPgpError::BadSignature`] when the signature
/// is not one of this key over these bytes.
pub fn verify_detached(
    public_key: &str,
    data: &[u8],
    signature: &str,
) -> Result<String, OpenPgpError> {
    let (key, _) = SignedPublicKey::from_string(public_key).map_err(OpenPgpError::PublicKey)?;
    key.verify_bindings().map_err(OpenPgpError::Bindings)?;
    let (sig, _) = DetachedSignature::from_string(signature).map_err(OpenPgpError::Signature)?;
    let fingerprint = hex::encode_upper(key.fingerprint().as_bytes());
    let by_primary = sig.verify(&key.primary_key, data).is_ok();
    let by_subkey = || {
        key.public_subkeys
            .iter()
            .any(|s| sig.verify(&s.key, data).is_ok())
    };
    if by_primary || by_subkey() {
        Ok(fingerprint)
    } else {
        Err(OpenPgpError::BadSignature { fingerprint })
    }
}

fn pgp_time(what: &'static str, t: Timestamp) -> Result<PgpTime, OpenPgpError> {
    u32::try_from(t.datetime().unix_timestamp())
        .map(PgpTime::from_secs)
        .map_err(|_| OpenPgpError::Time {
            what,
            time: t.to_micros_string(),
        })
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).expect("ts")
    }

    fn key(seed: u64) -> OpenPgpKey {
        OpenPgpKey::generate(
            &mut StdRng::seed_from_u64(seed),
            "CERTuy CSAF <csaf@cert.example>",
            ts("2024-03-01T10:00:00Z"),
        )
        .expect("key")
    }

    #[test]
    fn a_cleartext_signature_keeps_the_text_and_catches_tampering() {
        let k = key(4);
        let text = "Contact: mailto:csirt@cert.example\nExpires: 2027-01-01T00:00:00Z\n";
        let signed = k
            .sign_cleartext(text, ts("2024-03-01T10:05:00Z"))
            .expect("sign");
        assert!(signed.starts_with("-----BEGIN PGP SIGNED MESSAGE-----"));
        let public = k.armored_public().expect("public");
        let back = verify_cleartext(&public, &signed).expect("verifies");
        assert!(back.contains("Contact: mailto:csirt@cert.example"));
        let tampered = signed.replace("csirt@", "evil@");
        assert!(verify_cleartext(&public, &tampered).is_err());
    }

    #[test]
    fn a_signature_verifies_and_a_tampered_file_does_not() {
        let k = key(1);
        let data = br#"{"document":{}}"#;
        let sig = k
            .sign_detached(
                &mut StdRng::seed_from_u64(2),
                data,
                ts("2024-03-01T10:05:00Z"),
            )
            .expect("sign");
        assert!(sig.starts_with("-----BEGIN PGP SIGNATURE-----"));
        let public = k.armored_public().expect("public");
        assert_eq!(
            verify_detached(&public, data, &sig).expect("verifies"),
            k.fingerprint()
        );
        assert!(matches!(
            verify_detached(&public, br#"{"document":{"x":1}}"#, &sig),
            Err(OpenPgpError::BadSignature { .. })
        ));
        let other = key(3).armored_public().expect("public");
        assert!(verify_detached(&other, data, &sig).is_err());
    }

    #[test]
    fn the_key_is_v4_ed25519_and_round_trips_through_its_armor() {
        let k = key(4);
        assert_eq!(k.fingerprint().len(), 40);
        assert!(k
            .fingerprint()
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()));
        let secret = k.armored_secret().expect("secret");
        assert!(secret.starts_with("-----BEGIN PGP PRIVATE KEY BLOCK-----"));
        let again = OpenPgpKey::from_armored_secret(&secret).expect("reads");
        assert_eq!(again.fingerprint(), k.fingerprint());
        assert_eq!(k.key.primary_key.version(), KeyVersion::V4);
        assert_eq!(
            k.key.primary_key.algorithm(),
            KeyType::Ed25519Legacy.to_alg()
        );
    }

    #[test]
    fn debug_shows_no_secret() {
        let k = key(8);
        assert_eq!(format!("{k:?}"), format!("OpenPgpKey({})", k.fingerprint()));
    }

    #[test]
    fn the_same_seed_and_time_give_the_same_key() {
        assert_eq!(key(5).fingerprint(), key(5).fingerprint());
        assert_ne!(key(5).fingerprint(), key(6).fingerprint());
    }

    #[test]
    fn bad_arguments_are_named() {
        let mut rng = StdRng::seed_from_u64(7);
        assert!(matches!(
            OpenPgpKey::generate(&mut rng, " ", ts("2024-03-01T10:00:00Z")),
            Err(OpenPgpError::UserId(_))
        ));
        assert!(matches!(
            OpenPgpKey::generate(&mut rng, "a\nb", ts("2024-03-01T10:00:00Z")),
            Err(OpenPgpError::UserId(_))
        ));
        assert!(matches!(
            OpenPgpKey::generate(&mut rng, "x", ts("1969-12-31T23:59:59Z")),
            Err(OpenPgpError::Time {
                what: "created",
                ..
            })
        ));
        assert!(matches!(
            OpenPgpKey::from_armored_secret("not a key"),
            Err(OpenPgpError::SecretKey(_))
        ));
        assert!(matches!(
            verify_detached("not a key", b"", ""),
            Err(OpenPgpError::PublicKey(_))
        ));
    }
}
