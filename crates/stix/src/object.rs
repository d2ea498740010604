//! A STIX object as vigia keeps it: the exact bytes received, plus the
//! properties the store indexes and the access rule reads.

use serde::Deserialize;
use serde_json::Value;

use crate::distribution::{Distribution, DISTRIBUTION_EXTENSION_ID};
use crate::id::StixId;
use crate::schema::SchemaSet;
use crate::timestamp::Timestamp;
use crate::tlp::Tlp;

/// Why one object was refused: which object, where in it, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {reason} (at {})", id.as_deref().unwrap_or("object without id"), if path.is_empty() { "/" } else { path })]
pub struct ObjectError {
    /// The object's `id`, when it had a readable one.
    pub id: Option<String>,
    /// JSON pointer to the offending value.
    pub path: String,
    pub reason: String,
}

impl ObjectError {
    fn new(id: Option<&str>, path: &str, reason: impl Into<String>) -> Self {
        Self {
            id: id.map(str::to_owned),
            path: path.to_owned(),
            reason: reason.into(),
        }
    }
}

/// A validated STIX 2.1 object. The original text is kept byte for byte:
/// what comes in is what goes out.
#[derive(Debug, Clone)]
pub struct StixObject {
    raw: Box<str>,
    id: StixId,
    spec_version: String,
    created: Option<Timestamp>,
    modified: Option<Timestamp>,
    created_by_ref: Option<StixId>,
    marking_refs: Vec<String>,
    revoked: bool,
    distribution: Option<Distribution>,
    /// The origin node named by the seal, if the object carries one.
    sealed_by: Option<String>,
}

/// The properties read from every object; everything else stays in `raw`.
#[derive(Deserialize)]
struct CommonProperties {
    #[serde(rename = "type")]
    object_type: String,
    id: String,
    spec_version: Option<String>,
    created: Option<String>,
    modified: Option<String>,
    created_by_ref: Option<String>,
    #[serde(default)]
    object_marking_refs: Vec<String>,
    #[serde(default)]
    revoked: bool,
    #[serde(default)]
    extensions: Option<serde_json::Map<String, Value>>,
}

/// The most bytes one object may have. A larger one is refused before
/// parsing; an HTTP body limit still applies to the whole request.
pub const MAX_OBJECT_BYTES: usize = 16 * 1024 * 1024;

impl StixObject {
    /// Parses and validates one object against the official schemas and the
    /// rules the schemas cannot express.
    pub fn parse(raw: &str, schemas: &SchemaSet) -> Result<Self, ObjectError> {
        if raw.len() > MAX_OBJECT_BYTES {
            return Err(ObjectError::new(
                None,
                "",
                format!(
                    "object is {} bytes; the limit is {MAX_OBJECT_BYTES}",
                    raw.len()
                ),
            ));
        }
        let value: Value = serde_json::from_str(raw)
            .map_err(|e| ObjectError::new(None, "", format!("not valid JSON: {e}")))?;
        Self::from_value(raw, &value, schemas)
    }

    /// As [`StixObject::parse`], for a caller that already holds the parsed
    /// value of `raw`.
    pub fn from_value(raw: &str, value: &Value, schemas: &SchemaSet) -> Result<Self, ObjectError> {
        let id_text = value.get("id").and_then(Value::as_str);
        if !value.is_object() {
            return Err(ObjectError::new(
                None,
                "",
                "a STIX object must be a JSON object",
            ));
        }
        match value.get("spec_version").and_then(Value::as_str) {
            None | Some("2.1") => {}
            Some(other) => {
                return Err(ObjectError::new(
                    id_text,
                    "/spec_version",
                    format!("spec_version {other:?} is not supported; vigia stores STIX 2.1"),
                ))
            }
        }
        if let Err(violations) = schemas.validate(value) {
            let first = &violations[0];
            return Err(ObjectError::new(id_text, &first.path, first.reason.clone()));
        }
        check_pattern(id_text, value)?;
        let common = CommonProperties::deserialize(value)
            .map_err(|e| ObjectError::new(id_text, "", e.to_string()))?;
        Self::from_common(raw, common)
    }

    fn from_common(raw: &str, p: CommonProperties) -> Result<Self, ObjectError> {
        let id_ctx = Some(p.id.as_str());
        let id =
            StixId::parse(&p.id).map_err(|e| ObjectError::new(id_ctx, "/id", e.to_string()))?;
        if id.object_type() != p.object_type {
            return Err(ObjectError::new(
                id_ctx,
                "/id",
                format!(
                    "id prefix {:?} does not match type {:?}",
                    id.object_type(),
                    p.object_type
                ),
            ));
        }
        let stamp = |text: Option<String>, path: &str| -> Result<Option<Timestamp>, ObjectError> {
            text.map(|t| Timestamp::parse(&t))
                .transpose()
                .map_err(|e| ObjectError::new(id_ctx, path, e.to_string()))
        };
        let created = stamp(p.created, "/created")?;
        let modified = stamp(p.modified, "/modified")?;
        if let (Some(c), Some(m)) = (created, modified) {
            if m < c {
                return Err(ObjectError::new(
                    id_ctx,
                    "/modified",
                    "modified is earlier than created",
                ));
            }
        }
        let created_by_ref = p
            .created_by_ref
            .map(|r| StixId::parse(&r))
            .transpose()
            .map_err(|e| ObjectError::new(id_ctx, "/created_by_ref", e.to_string()))?;
        let distribution = match p
            .extensions
            .as_ref()
            .and_then(|e| e.get(DISTRIBUTION_EXTENSION_ID))
        {
            None => None,
            Some(body) => Some(Distribution::deserialize(body).map_err(|e| {
                ObjectError::new(
                    id_ctx,
                    &format!("/extensions/{DISTRIBUTION_EXTENSION_ID}"),
                    format!("bad vigia distribution: {e}"),
                )
            })?),
        };
        let sealed_by = p
            .extensions
            .as_ref()
            .and_then(|e| e.get(crate::seal::SEAL_EXTENSION_ID))
            .map(|s| {
                s.get("origin_node")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            });
        Ok(Self {
            raw: raw.into(),
            id,
            spec_version: p.spec_version.unwrap_or_else(|| "2.1".to_owned()),
            created,
            modified,
            created_by_ref,
            marking_refs: p.object_marking_refs,
            revoked: p.revoked,
            distribution,
            sealed_by,
        })
    }

    /// The text as received.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    pub fn id(&self) -> &StixId {
        &self.id
    }

    pub fn object_type(&self) -> &str {
        self.id.object_type()
    }

    pub fn spec_version(&self) -> &str {
        &self.spec_version
    }

    pub fn created(&self) -> Option<Timestamp> {
        self.created
    }

    pub fn modified(&self) -> Option<Timestamp> {
        self.modified
    }

    /// The STIX version: `modified`, else `created`; `None` for objects that
    /// are not versioned (most SCOs).
    pub fn version(&self) -> Option<Timestamp> {
        self.modified.or(self.created)
    }

    pub fn created_by_ref(&self) -> Option<&StixId> {
        self.created_by_ref.as_ref()
    }

    pub fn marking_refs(&self) -> &[String] {
        &self.marking_refs
    }

    /// The TLP the object itself carries, if any.
    pub fn tlp(&self) -> Option<Tlp> {
        Tlp::strictest_of(self.marking_refs.iter().map(String::as_str))
    }

    pub fn revoked(&self) -> bool {
        self.revoked
    }

    pub fn distribution(&self) -> Option<&Distribution> {
        self.distribution.as_ref()
    }

    /// The origin node a seal names (unverified), if the object is sealed.
    pub fn sealed_by(&self) -> Option<&str> {
        self.sealed_by.as_deref()
    }
}

/// An indicator whose pattern is in STIX patterning (`pattern_type`
/// "stix") must parse: a pattern nothing can evaluate would be stored and
/// shared as if it detected something.
fn check_pattern(id: Option<&str>, value: &Value) -> Result<(), ObjectError> {
    if value.get("type").and_then(Value::as_str) != Some("indicator")
        || value.get("pattern_type").and_then(Value::as_str) != Some("stix")
    {
        return Ok(());
    }
    match value.get("pattern").and_then(Value::as_str) {
        Some(text) => crate::pattern::parse(text)
            .map(|_| ())
            .map_err(|e| ObjectError::new(id, "/pattern", format!("the STIX {e}"))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schemas() -> SchemaSet {
        SchemaSet::new().unwrap()
    }

    const INDICATOR: &str = r#"{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-07T20:03:48.000Z","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z","object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}"#;

    #[test]
    fn keeps_the_original_text_and_reads_the_index_fields() {
        let o = StixObject::parse(INDICATOR, &schemas()).unwrap();
        assert_eq!(o.raw(), INDICATOR);
        assert_eq!(o.object_type(), "indicator");
        assert_eq!(o.tlp(), Some(Tlp::Green));
        assert_eq!(
            o.version().unwrap().version_key(),
            "2016-04-07T20:03:48.000000000Z"
        );
    }

    #[test]
    fn modified_before_created_is_refused() {
        let raw = INDICATOR.replace("2016-04-07T20", "2016-04-05T20");
        let err = StixObject::parse(&raw, &schemas()).unwrap_err();
        assert_eq!(err.path, "/modified");
        assert_eq!(
            err.id.as_deref(),
            Some("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f")
        );
    }

    #[test]
    fn id_must_match_type() {
        let raw = INDICATOR.replace("\"type\":\"indicator\"", "\"type\":\"malware\"");
        let err = StixObject::parse(&raw, &schemas()).unwrap_err();
        assert!(err.path == "/id" || err.path.starts_with("/id"), "{err}");
    }

    #[test]
    fn an_unparseable_stix_pattern_is_refused_with_its_position() {
        let raw = INDICATOR.replace("'198.51.100.1']", "'198.51.100.1' AND]");
        let err = StixObject::parse(&raw, &schemas()).unwrap_err();
        assert_eq!(err.path, "/pattern");
        assert!(err.reason.contains("at character 37"), "{err}");
        // Other pattern languages are not STIX's to judge.
        let snort = raw.replace("\"pattern_type\":\"stix\"", "\"pattern_type\":\"snort\"");
        assert!(StixObject::parse(&snort, &schemas()).is_ok());
    }

    #[test]
    fn stix_2_0_is_refused_with_a_reason() {
        let raw = INDICATOR.replace("\"2.1\"", "\"2.0\"");
        let err = StixObject::parse(&raw, &schemas()).unwrap_err();
        assert_eq!(err.path, "/spec_version");
    }

    #[test]
    fn reads_the_distribution_extension() {
        let raw = INDICATOR.replace(
            "\"pattern_type\"",
            &format!(
                "\"extensions\":{{\"{DISTRIBUTION_EXTENSION_ID}\":{{\"extension_type\":\"property-extension\",\"recipient_teams\":[\"identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\"]}}}},\"pattern_type\""
            ),
        );
        let o = StixObject::parse(&raw, &schemas()).unwrap();
        assert_eq!(o.distribution().unwrap().recipient_teams.len(), 1);
    }

    #[test]
    fn custom_objects_with_custom_properties_are_accepted() {
        let raw = r#"{"type":"x-vigia-test","spec_version":"2.1","id":"x-vigia-test--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","x_anything":{"a":1}}"#;
        assert!(StixObject::parse(raw, &schemas()).is_ok());
    }

    use proptest::prelude::*;

    /// Whatever the input, parsing returns; a refusal always says why.
    fn check_never_panics(raw: &str) -> Result<(), TestCaseError> {
        if let Err(e) = StixObject::parse(raw, &SCHEMAS) {
            prop_assert!(!e.reason.is_empty(), "an error without a reason for {raw}");
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in ".{0,400}") {
            check_never_panics(&text)?;
        }

        #[test]
        fn arbitrary_json_objects_never_panic(
            keys in prop::collection::vec("(type|id|created|modified|spec_version|revoked|object_marking_refs|extensions|[a-z_]{1,8})", 0..8),
            values in prop::collection::vec(prop_oneof![
                Just(serde_json::json!(null)),
                Just(serde_json::json!("indicator")),
                Just(serde_json::json!("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f")),
                Just(serde_json::json!("2016-04-06T20:03:48.000Z")),
                Just(serde_json::json!([])),
                Just(serde_json::json!({})),
                Just(serde_json::json!(true)),
                Just(serde_json::json!(1e308)),
                ".{0,20}".prop_map(serde_json::Value::String),
            ], 0..8),
        ) {
            let mut map = serde_json::Map::new();
            for (k, v) in keys.into_iter().zip(values) {
                map.insert(k, v);
            }
            check_never_panics(&serde_json::Value::Object(map).to_string())?;
        }
    }

    static SCHEMAS: std::sync::LazyLock<SchemaSet> =
        std::sync::LazyLock::new(|| SchemaSet::new().unwrap());
}
