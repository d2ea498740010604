//! vigia's seal: the originating node's Ed25519 signature on an object.
//!
//! A node seals each object it publishes. The seal is a STIX 2.1 property
//! extension, so it travels inside the object and a relaying node passes it
//! on untouched. The signature covers the RFC 8785 canonical JSON of the
//! whole object, seal included, without the `signature` property itself:
//!
//! ```json
//! "extensions": {
//!   "extension-definition--e7484c37-9e33-43c9-bf52-a1409c953969": {
//!     "extension_type": "property-extension",
//!     "origin_node": "identity--…",   // the national team whose node sealed it
//!     "originator": "identity--…",    // the team that published it there
//!     "key": "…",                     // the node's Ed25519 public key, base64
//!     "sharing_groups": [ … ],        // definitions of the groups it uses
//!     "signature": "…"
//!   }
//! }
//! ```
//!
//! Sharing groups named in the distribution travel as definitions, each
//! signed by the node that defines the group, so every hop applies the
//! membership the group's owner set, not one a relayer claims.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use vigia_sign::{canonical_json, NodeKey, PublicKey};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

pub const SEAL_EXTENSION_ID: &str = "extension-definition--e7484c37-9e33-43c9-bf52-a1409c953969";

/// The seal as it appears in an object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seal {
    #[serde(default)]
    pub extension_type: Option<String>,
    pub origin_node: String,
    pub originator: String,
    pub key: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sharing_groups: Vec<GroupDefinition>,
    #[serde(default)]
    pub signature: String,
}

/// A sharing group as its owner defined it, signed by the owner's node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupDefinition {
    pub name: String,
    /// The team whose node defines the group.
    pub owner: String,
    pub members: Vec<String>,
    pub key: String,
    #[serde(default)]
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("object is not sealed")]
    Missing,
    #[error("object is already sealed by {0}")]
    AlreadySealed(String),
    #[error("not a JSON object: {0}")]
    NotAnObject(String),
    #[error("malformed seal: {0}")]
    Malformed(String),
    #[error("seal key {0:?} is not an Ed25519 public key")]
    Key(String),
    #[error("seal signature does not verify: the object was altered after {0} sealed it")]
    Tampered(String),
    #[error("definition of sharing group {0:?} does not verify")]
    GroupTampered(String),
}

impl GroupDefinition {
    /// A definition signed by `key`, the owner's node key.
    pub fn signed(name: &str, owner: &str, mut members: Vec<String>, key: &NodeKey) -> Self {
        members.sort();
        members.dedup();
        let mut def = Self {
            name: name.to_owned(),
            owner: owner.to_owned(),
            members,
            key: key.public().to_base64(),
            signature: String::new(),
        };
        def.signature = B64.encode(key.sign(&def.signed_bytes()));
        def
    }

    fn signed_bytes(&self) -> Vec<u8> {
        let unsigned = Self {
            signature: String::new(),
            ..self.clone()
        };
        // A struct of strings always canonicalises.
        canonical_json(&unsigned).unwrap_or_default()
    }

    /// Checks the owner's signature; returns the key that made it.
    pub fn verify(&self) -> Result<PublicKey, SealError> {
        let key =
            PublicKey::parse_base64(&self.key).map_err(|_| SealError::Key(self.key.clone()))?;
        let signature = B64
            .decode(&self.signature)
            .ok()
            .ok_or_else(|| SealError::GroupTampered(self.name.clone()))?;
        key.verify(&self.signed_bytes(), &signature)
            .map_err(|_| SealError::GroupTampered(self.name.clone()))?;
        Ok(key)
    }
}

fn extensions_mut(value: &mut Value) -> Result<&mut serde_json::Map<String, Value>, SealError> {
    let object = value
        .as_object_mut()
        .ok_or_else(|| SealError::NotAnObject("top level".into()))?;
    object
        .entry("extensions")
        .or_insert_with(|| Value::Object(Default::default()))
        .as_object_mut()
        .ok_or_else(|| SealError::NotAnObject("extensions".into()))
}

/// Seals `raw` as published by `originator` at the node of `origin_node`,
/// whose key is `key`. Returns the sealed object's text.
pub fn seal(
    raw: &str,
    key: &NodeKey,
    origin_node: &str,
    originator: &str,
    sharing_groups: Vec<GroupDefinition>,
) -> Result<String, SealError> {
    let mut value: Value =
        serde_json::from_str(raw).map_err(|e| SealError::NotAnObject(e.to_string()))?;
    if let Some(existing) = read_seal(&value)? {
        return Err(SealError::AlreadySealed(existing.origin_node));
    }
    let mut seal = Seal {
        extension_type: Some("property-extension".to_owned()),
        origin_node: origin_node.to_owned(),
        originator: originator.to_owned(),
        key: key.public().to_base64(),
        sharing_groups,
        signature: String::new(),
    };
    let to_value =
        |s: &Seal| serde_json::to_value(s).map_err(|e| SealError::Malformed(e.to_string()));
    extensions_mut(&mut value)?.insert(SEAL_EXTENSION_ID.to_owned(), to_value(&seal)?);
    strip_signature(&mut value);
    let bytes = canonical_json(&value).map_err(|e| SealError::Malformed(e.to_string()))?;
    seal.signature = B64.encode(key.sign(&bytes));
    extensions_mut(&mut value)?.insert(SEAL_EXTENSION_ID.to_owned(), to_value(&seal)?);
    serde_json::to_string(&value).map_err(|e| SealError::Malformed(e.to_string()))
}

/// The seal an object carries, unverified.
pub fn read_seal(value: &Value) -> Result<Option<Seal>, SealError> {
    match value
        .get("extensions")
        .and_then(|e| e.get(SEAL_EXTENSION_ID))
    {
        None => Ok(None),
        Some(body) => Seal::deserialize(body)
            .map(Some)
            .map_err(|e| SealError::Malformed(e.to_string())),
    }
}

/// Removes `signature` from the seal, leaving an empty string so the
/// canonical form is the same whether or not the property is present.
fn strip_signature(value: &mut Value) {
    if let Some(seal) = value
        .get_mut("extensions")
        .and_then(|e| e.get_mut(SEAL_EXTENSION_ID))
        .and_then(Value::as_object_mut)
    {
        seal.insert("signature".to_owned(), Value::String(String::new()));
    }
}

/// Verifies the seal of a parsed object and of the group definitions it
/// carries. The caller decides whether it trusts the key that sealed it.
pub fn verify_seal(value: &Value) -> Result<(Seal, PublicKey), SealError> {
    verify_seal_with(value, &mut KeyCache::default())
}

/// Node keys already decoded, by their base64 text. Decoding a key costs
/// a fifth of a verification, and a page from a peer is mostly sealed by
/// one node.
#[derive(Default)]
pub struct KeyCache(Vec<(String, PublicKey)>);

impl KeyCache {
    const MAX_KEYS: usize = 64;

    fn get(&mut self, text: &str) -> Option<PublicKey> {
        if let Some((_, key)) = self.0.iter().find(|(t, _)| t == text) {
            return Some(*key);
        }
        let key = PublicKey::parse_base64(text).ok()?;
        if self.0.len() < Self::MAX_KEYS {
            self.0.push((text.to_owned(), key));
        }
        Some(key)
    }
}

/// [`verify_seal`], decoding each node key once per `keys`.
pub fn verify_seal_with(
    value: &Value,
    keys: &mut KeyCache,
) -> Result<(Seal, PublicKey), SealError> {
    let seal = read_seal(value)?.ok_or(SealError::Missing)?;
    let key = keys
        .get(&seal.key)
        .ok_or_else(|| SealError::Key(seal.key.clone()))?;
    let signature = B64
        .decode(&seal.signature)
        .ok()
        .ok_or_else(|| SealError::Tampered(seal.origin_node.clone()))?;
    let mut unsigned = value.clone();
    strip_signature(&mut unsigned);
    let bytes = canonical_json(&unsigned).map_err(|e| SealError::Malformed(e.to_string()))?;
    key.verify(&bytes, &signature)
        .map_err(|_| SealError::Tampered(seal.origin_node.clone()))?;
    for group in &seal.sharing_groups {
        group.verify()?;
    }
    Ok((seal, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTE: &str = r#"{"type":"note","spec_version":"2.1","id":"note--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","content":"patch now","object_refs":["note--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"]}"#;
    const CR: &str = "identity--7f1c3e2a-4b5d-4c6e-8f90-a1b2c3d4e5f6";

    fn key() -> NodeKey {
        NodeKey::from_seed([3; 32])
    }

    #[test]
    fn a_key_cache_gives_each_seal_its_own_key() {
        let other = NodeKey::from_seed([4; 32]);
        let mut keys = KeyCache::default();
        for k in [&key(), &other, &key()] {
            let sealed = seal(NOTE, k, CR, CR, vec![]).unwrap();
            let value: Value = serde_json::from_str(&sealed).unwrap();
            let (_, found) = verify_seal_with(&value, &mut keys).unwrap();
            assert_eq!(found, k.public());
        }
        assert_eq!(keys.0.len(), 2, "each key decoded once");
        let sealed = seal(NOTE, &key(), CR, CR, vec![]).unwrap();
        let mut value: Value = serde_json::from_str(&sealed).unwrap();
        value["extensions"][SEAL_EXTENSION_ID]["key"] = Value::String("bad".into());
        assert!(matches!(
            verify_seal_with(&value, &mut keys),
            Err(SealError::Key(_))
        ));
    }

    #[test]
    fn a_sealed_object_verifies_and_names_its_node() {
        let group = GroupDefinition::signed("caribbean", CR, vec![CR.into()], &key());
        let sealed = seal(NOTE, &key(), CR, CR, vec![group]).unwrap();
        let value: Value = serde_json::from_str(&sealed).unwrap();
        let (s, k) = verify_seal(&value).unwrap();
        assert_eq!(k, key().public());
        assert_eq!(s.origin_node, CR);
        assert_eq!(s.sharing_groups[0].name, "caribbean");
        assert_eq!(
            seal(&sealed, &key(), CR, CR, vec![]),
            Err(SealError::AlreadySealed(CR.into()))
        );
    }

    #[test]
    fn any_change_after_sealing_is_detected() {
        let sealed = seal(NOTE, &key(), CR, CR, vec![]).unwrap();
        let tampered = sealed.replace("patch now", "ignore this");
        let value: Value = serde_json::from_str(&tampered).unwrap();
        assert_eq!(
            verify_seal(&value).unwrap_err(),
            SealError::Tampered(CR.into())
        );
        // Claiming another node with the same signature fails too.
        let other = "identity--00000000-0000-4000-8000-000000000001";
        let value: Value = serde_json::from_str(&sealed.replace(CR, other)).unwrap();
        assert!(verify_seal(&value).is_err());
        // A member slipped into a group definition breaks the group's signature.
        let group = GroupDefinition::signed("caribbean", CR, vec![CR.into()], &key());
        let mut widened = group.clone();
        widened.members.push(other.into());
        assert_eq!(
            widened.verify().unwrap_err(),
            SealError::GroupTampered("caribbean".into())
        );
        assert!(group.verify().is_ok());
    }

    #[test]
    fn an_unsealed_object_has_no_seal() {
        let value: Value = serde_json::from_str(NOTE).unwrap();
        assert_eq!(verify_seal(&value).unwrap_err(), SealError::Missing);
    }
}
