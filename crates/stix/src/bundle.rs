//! Splitting a submission into raw objects without re-serialising them.

use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("body is not valid JSON: {0}")]
    Json(String),
    #[error("body is neither a STIX bundle, a TAXII envelope nor a STIX object (no \"type\" or \"objects\" property)")]
    NotStix,
    #[error("bundle has no \"objects\" array")]
    NoObjects,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type")]
    object_type: Option<String>,
    #[serde(borrow, default)]
    objects: Option<Vec<&'a RawValue>>,
}

/// Returns each object of a bundle, or the one object, as the exact text
/// that was received.
pub fn split_objects(body: &str) -> Result<Vec<&str>, BundleError> {
    let raw: &RawValue =
        serde_json::from_str(body).map_err(|e| BundleError::Json(e.to_string()))?;
    let envelope: Envelope<'_> =
        serde_json::from_str(raw.get()).map_err(|_| BundleError::NotStix)?;
    match envelope.object_type.as_deref() {
        Some("bundle") => Ok(envelope
            .objects
            .ok_or(BundleError::NoObjects)?
            .into_iter()
            .map(RawValue::get)
            .collect()),
        Some(_) => Ok(vec![raw.get()]),
        // A TAXII envelope: objects without a bundle around them.
        None => envelope
            .objects
            .map(|o| o.into_iter().map(RawValue::get).collect())
            .ok_or(BundleError::NotStix),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_each_object_byte_for_byte() {
        let body = r#"{"type":"bundle","id":"bundle--1","objects":[ {"type":"x",  "a" :1} ,{"type":"y"}]}"#;
        let objects = split_objects(body).unwrap();
        assert_eq!(objects, vec![r#"{"type":"x",  "a" :1}"#, r#"{"type":"y"}"#]);
    }

    #[test]
    fn a_single_object_is_its_own_list() {
        let body = r#"  {"type":"indicator"}  "#;
        assert_eq!(
            split_objects(body).unwrap(),
            vec![r#"{"type":"indicator"}"#]
        );
    }

    #[test]
    fn a_taxii_envelope_gives_its_objects() {
        let body = r#"{"objects":[{"type":"x"}],"more":false}"#;
        assert_eq!(split_objects(body).unwrap(), vec![r#"{"type":"x"}"#]);
    }

    #[test]
    fn explains_what_is_wrong() {
        assert!(matches!(split_objects("{"), Err(BundleError::Json(_))));
        assert_eq!(split_objects("[1]"), Err(BundleError::NotStix));
        assert_eq!(split_objects(r#"{"a":1}"#), Err(BundleError::NotStix));
        assert_eq!(
            split_objects(r#"{"type":"bundle"}"#),
            Err(BundleError::NoObjects)
        );
    }
}
