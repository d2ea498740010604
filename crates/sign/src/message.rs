//! HTTP Message Signatures (RFC 9421) with Ed25519, as national nodes use
//! them to authenticate requests to each other.
//!
//! A request is signed over `@method`, `@target-uri` and, when it has a
//! body, `content-digest` (RFC 9530, SHA-256). The signature parameters
//! carry `created`, a `nonce` (the receiver refuses one it has seen: replay
//! protection), `alg="ed25519"` and `keyid`, the sender's public key in
//! base64, whose fingerprint the receiver must already trust. Only the
//! building blocks live here; the receiver keeps the nonces.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use sfv::{BareItem, FieldType, InnerList, Item, Key, ListEntry, Parameters, Parser};
use sha2::{Digest, Sha256};

use crate::keys::{NodeKey, PublicKey};

/// The label under which vigia signs (`Signature-Input: vigia=(…)`).
pub const SIGNATURE_LABEL: &str = "vigia";

/// The request facts a signature covers.
#[derive(Clone, Copy, Debug)]
pub struct RequestParts<'a> {
    pub method: &'a str,
    /// Absolute: `https://host:port/path?query`.
    pub target_uri: &'a str,
    /// The `Content-Digest` header value, for requests with a body.
    pub content_digest: Option<&'a str>,
}

/// The two headers to add to a signed request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureHeaders {
    pub signature_input: String,
    pub signature: String,
}

/// What a valid signature proves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedSignature {
    pub key: PublicKey,
    pub created: i64,
    pub nonce: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageSignatureError {
    #[error("missing {0} header")]
    Missing(&'static str),
    #[error("malformed {header} header: {reason}")]
    Malformed {
        header: &'static str,
        reason: String,
    },
    #[error("signature does not cover {0}")]
    NotCovered(&'static str),
    #[error("signature covers {0}, which vigia does not sign")]
    Unsupported(String),
    #[error("signature algorithm {0:?} is not ed25519")]
    Algorithm(String),
    #[error("signature was created at {created}, outside the accepted window around {now}")]
    Stale { created: i64, now: i64 },
    #[error("signature has expired")]
    Expired,
    #[error("body does not match its Content-Digest")]
    DigestMismatch,
    #[error("signature does not verify with key {0}")]
    BadSignature(String),
}

/// `sha-256=:…:`, the RFC 9530 `Content-Digest` of a body.
pub fn content_digest(body: &[u8]) -> String {
    format!("sha-256=:{}:", B64.encode(Sha256::digest(body)))
}

/// Checks a received body against its `Content-Digest` header.
pub fn check_content_digest(header: &str, body: &[u8]) -> Result<(), MessageSignatureError> {
    if header.split(',').any(|d| d.trim() == content_digest(body)) {
        Ok(())
    } else {
        Err(MessageSignatureError::DigestMismatch)
    }
}

fn key(name: &str) -> Key {
    Key::from_string(name.to_owned()).expect("static structured-field keys are valid")
}

fn string_item(text: &str) -> Result<Item, MessageSignatureError> {
    let s = sfv::String::from_string(text.to_owned()).map_err(|_| {
        MessageSignatureError::Malformed {
            header: "Signature-Input",
            reason: format!("{text:?} is not a structured-field string"),
        }
    })?;
    Ok(Item::new(BareItem::String(s)))
}

fn covered(parts: &RequestParts<'_>) -> Vec<&'static str> {
    let mut components = vec!["@method", "@target-uri"];
    if parts.content_digest.is_some() {
        components.push("content-digest");
    }
    components
}

/// Signs a request. `created` is the current Unix time in seconds; `nonce`
/// must be unique per request.
pub fn sign_request(
    node_key: &NodeKey,
    parts: &RequestParts<'_>,
    created: i64,
    nonce: &str,
) -> Result<SignatureHeaders, MessageSignatureError> {
    let mut items = Vec::new();
    for c in covered(parts) {
        items.push(string_item(c)?);
    }
    let mut params = Parameters::new();
    params.insert(key("created"), BareItem::Integer(integer(created)?));
    params.insert(
        key("keyid"),
        string_item(&node_key.public().to_base64())?.bare_item,
    );
    params.insert(key("alg"), string_item("ed25519")?.bare_item);
    params.insert(key("nonce"), string_item(nonce)?.bare_item);
    let inner = InnerList::with_params(items, params);
    let serialized = serialize_inner(&inner)?;
    let base = signature_base(parts, &inner, &serialized)?;
    let signature = node_key.sign(base.as_bytes());
    Ok(SignatureHeaders {
        signature_input: format!("{SIGNATURE_LABEL}={serialized}"),
        signature: format!("{SIGNATURE_LABEL}=:{}:", B64.encode(signature)),
    })
}

fn integer(value: i64) -> Result<sfv::Integer, MessageSignatureError> {
    sfv::Integer::try_from(value).map_err(|_| MessageSignatureError::Malformed {
        header: "Signature-Input",
        reason: format!("{value} is out of range"),
    })
}

fn serialize_inner(inner: &InnerList) -> Result<String, MessageSignatureError> {
    let list: sfv::List = vec![ListEntry::InnerList(inner.clone())];
    list.serialize()
        .ok_or_else(|| MessageSignatureError::Malformed {
            header: "Signature-Input",
            reason: "empty signature parameters".to_owned(),
        })
}

/// The signature base of RFC 9421 §2.5 for the covered components.
fn signature_base(
    parts: &RequestParts<'_>,
    inner: &InnerList,
    serialized_params: &str,
) -> Result<String, MessageSignatureError> {
    let mut base = String::new();
    for item in &inner.items {
        let name = item
            .bare_item
            .as_string()
            .ok_or_else(|| MessageSignatureError::Malformed {
                header: "Signature-Input",
                reason: "a covered component is not a string".to_owned(),
            })?
            .as_str();
        if !item.params.is_empty() {
            return Err(MessageSignatureError::Unsupported(format!(
                "{name} with parameters"
            )));
        }
        let value = match name {
            "@method" => parts.method.to_ascii_uppercase(),
            "@target-uri" => parts.target_uri.to_owned(),
            "content-digest" => parts
                .content_digest
                .ok_or(MessageSignatureError::Missing("Content-Digest"))?
                .trim()
                .to_owned(),
            other => return Err(MessageSignatureError::Unsupported(other.to_owned())),
        };
        base.push_str(&format!("\"{name}\": {value}\n"));
    }
    base.push_str(&format!("\"@signature-params\": {serialized_params}"));
    Ok(base)
}

/// Verifies a signed request: the signature under [`SIGNATURE_LABEL`] must
/// cover the method, target and (for a body) the digest, be created within
/// `max_skew` seconds of `now`, and verify with the key it names. The
/// caller then checks that it trusts the key and has not seen the nonce,
/// and checks the body against the digest.
pub fn verify_request(
    parts: &RequestParts<'_>,
    signature_input: &str,
    signature: &str,
    now: i64,
    max_skew: i64,
) -> Result<VerifiedSignature, MessageSignatureError> {
    let malformed = |header: &'static str| {
        move |e: sfv::Error| MessageSignatureError::Malformed {
            header,
            reason: e.to_string(),
        }
    };
    let inputs: sfv::Dictionary = Parser::new(signature_input)
        .parse()
        .map_err(malformed("Signature-Input"))?;
    let signatures: sfv::Dictionary = Parser::new(signature)
        .parse()
        .map_err(malformed("Signature"))?;
    let label = key(SIGNATURE_LABEL);
    let Some(ListEntry::InnerList(inner)) = inputs.get(&label) else {
        return Err(MessageSignatureError::Malformed {
            header: "Signature-Input",
            reason: format!("no inner list labelled {SIGNATURE_LABEL:?}"),
        });
    };
    let Some(ListEntry::Item(sig_item)) = signatures.get(&label) else {
        return Err(MessageSignatureError::Malformed {
            header: "Signature",
            reason: format!("no signature labelled {SIGNATURE_LABEL:?}"),
        });
    };
    let sig_bytes =
        sig_item
            .bare_item
            .as_byte_sequence()
            .ok_or_else(|| MessageSignatureError::Malformed {
                header: "Signature",
                reason: "not a byte sequence".to_owned(),
            })?;
    let names: Vec<&str> = inner
        .items
        .iter()
        .filter_map(|i| i.bare_item.as_string().map(|s| s.as_str()))
        .collect();
    for required in covered(parts) {
        if !names.contains(&required) {
            return Err(MessageSignatureError::NotCovered(required));
        }
    }
    let param_string = |name: &'static str| -> Result<Option<String>, MessageSignatureError> {
        match inner.params.get(&key(name)) {
            None => Ok(None),
            Some(v) => v
                .as_string()
                .map(|s| Some(s.as_str().to_owned()))
                .ok_or_else(|| MessageSignatureError::Malformed {
                    header: "Signature-Input",
                    reason: format!("{name} is not a string"),
                }),
        }
    };
    let param_int = |name: &'static str| -> Option<i64> {
        inner
            .params
            .get(&key(name))
            .and_then(|v| v.as_integer())
            .map(i64::from)
    };
    if let Some(alg) = param_string("alg")? {
        if alg != "ed25519" {
            return Err(MessageSignatureError::Algorithm(alg));
        }
    }
    let keyid = param_string("keyid")?.ok_or(MessageSignatureError::Missing("keyid parameter"))?;
    let nonce = param_string("nonce")?.ok_or(MessageSignatureError::Missing("nonce parameter"))?;
    let created =
        param_int("created").ok_or(MessageSignatureError::Missing("created parameter"))?;
    if (created - now).abs() > max_skew {
        return Err(MessageSignatureError::Stale { created, now });
    }
    if param_int("expires").is_some_and(|e| e < now) {
        return Err(MessageSignatureError::Expired);
    }
    let public = PublicKey::parse_base64(&keyid).map_err(|e| MessageSignatureError::Malformed {
        header: "Signature-Input",
        reason: e.to_string(),
    })?;
    let base = signature_base(parts, inner, &serialize_inner(inner)?)?;
    public
        .verify(base.as_bytes(), sig_bytes)
        .map_err(|_| MessageSignatureError::BadSignature(public.fingerprint()))?;
    Ok(VerifiedSignature {
        key: public,
        created,
        nonce,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node() -> NodeKey {
        NodeKey::from_seed([7; 32])
    }

    fn post<'a>(digest: &'a str) -> RequestParts<'a> {
        RequestParts {
            method: "POST",
            target_uri: "https://cr.example:8443/taxii2/api/collections/x/objects/",
            content_digest: Some(digest),
        }
    }

    #[test]
    fn a_signed_request_verifies_and_names_its_key() {
        let digest = content_digest(b"{\"objects\":[]}");
        let h = sign_request(&node(), &post(&digest), 1_700_000_000, "n-1").unwrap();
        assert!(h.signature_input.starts_with(
            "vigia=(\"@method\" \"@target-uri\" \"content-digest\");created=1700000000;keyid=\""
        ));
        let v = verify_request(
            &post(&digest),
            &h.signature_input,
            &h.signature,
            1_700_000_010,
            300,
        )
        .unwrap();
        assert_eq!(v.key, node().public());
        assert_eq!(v.nonce, "n-1");
        assert!(check_content_digest(&digest, b"{\"objects\":[]}").is_ok());
        assert_eq!(
            check_content_digest(&digest, b"{}"),
            Err(MessageSignatureError::DigestMismatch)
        );
    }

    #[test]
    fn any_change_to_a_covered_part_breaks_the_signature() {
        let digest = content_digest(b"a");
        let h = sign_request(&node(), &post(&digest), 100, "n").unwrap();
        let other_digest = content_digest(b"b");
        let changed = [
            RequestParts {
                method: "PUT",
                ..post(&digest)
            },
            RequestParts {
                target_uri: "https://cr.example:8443/other",
                ..post(&digest)
            },
            post(&other_digest),
        ];
        for parts in changed {
            assert!(matches!(
                verify_request(&parts, &h.signature_input, &h.signature, 100, 300),
                Err(MessageSignatureError::BadSignature(_))
            ));
        }
        let tampered_input = h.signature_input.replace("nonce=\"n\"", "nonce=\"m\"");
        assert!(verify_request(&post(&digest), &tampered_input, &h.signature, 100, 300).is_err());
    }

    #[test]
    fn stale_uncovered_and_malformed_signatures_are_refused() {
        let digest = content_digest(b"a");
        let h = sign_request(&node(), &post(&digest), 100, "n").unwrap();
        assert_eq!(
            verify_request(&post(&digest), &h.signature_input, &h.signature, 1000, 300),
            Err(MessageSignatureError::Stale {
                created: 100,
                now: 1000
            })
        );
        let get = RequestParts {
            method: "GET",
            target_uri: "https://x/",
            content_digest: None,
        };
        let hg = sign_request(&node(), &get, 100, "n").unwrap();
        assert_eq!(
            verify_request(&post(&digest), &hg.signature_input, &hg.signature, 100, 300),
            Err(MessageSignatureError::NotCovered("content-digest"))
        );
        for (input, sig) in [
            ("garbage((", h.signature.as_str()),
            (h.signature_input.as_str(), "vigia=1"),
        ] {
            assert!(matches!(
                verify_request(&post(&digest), input, sig, 100, 300),
                Err(MessageSignatureError::Malformed { .. })
            ));
        }
        let other_alg = h.signature_input.replace("ed25519", "rsa-pss-sha512");
        assert_eq!(
            verify_request(&post(&digest), &other_alg, &h.signature, 100, 300),
            Err(MessageSignatureError::Algorithm("rsa-pss-sha512".into()))
        );
    }
}
