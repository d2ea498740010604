//! The official OASIS STIX 2.1 JSON schemas, compiled once, selected per
//! object type.
//!
//! The schemas are embedded (`schemas/`, BSD-3-Clause, OASIS Open) so a
//! node validates exactly what the standard says without reading files.

use std::collections::HashSet;

use jsonschema::{Draft, Resource, Validator};
use serde_json::{json, Value};

const BASE_URI: &str =
    "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/";

/// Every schema file, by its path under `schemas/`.
const SCHEMA_FILES: &[(&str, &str)] = &[
    (
        "common/binary.json",
        include_str!("../schemas/common/binary.json"),
    ),
    (
        "common/bundle.json",
        include_str!("../schemas/common/bundle.json"),
    ),
    (
        "common/core.json",
        include_str!("../schemas/common/core.json"),
    ),
    (
        "common/cyber-observable-core.json",
        include_str!("../schemas/common/cyber-observable-core.json"),
    ),
    (
        "common/dictionary.json",
        include_str!("../schemas/common/dictionary.json"),
    ),
    (
        "common/extension-definition.json",
        include_str!("../schemas/common/extension-definition.json"),
    ),
    (
        "common/extension.json",
        include_str!("../schemas/common/extension.json"),
    ),
    (
        "common/external-reference.json",
        include_str!("../schemas/common/external-reference.json"),
    ),
    (
        "common/granular-marking.json",
        include_str!("../schemas/common/granular-marking.json"),
    ),
    (
        "common/hashes-type.json",
        include_str!("../schemas/common/hashes-type.json"),
    ),
    (
        "common/hex.json",
        include_str!("../schemas/common/hex.json"),
    ),
    (
        "common/identifier.json",
        include_str!("../schemas/common/identifier.json"),
    ),
    (
        "common/kill-chain-phase.json",
        include_str!("../schemas/common/kill-chain-phase.json"),
    ),
    (
        "common/language-content.json",
        include_str!("../schemas/common/language-content.json"),
    ),
    (
        "common/marking-definition.json",
        include_str!("../schemas/common/marking-definition.json"),
    ),
    (
        "common/properties.json",
        include_str!("../schemas/common/properties.json"),
    ),
    (
        "common/timestamp.json",
        include_str!("../schemas/common/timestamp.json"),
    ),
    (
        "common/url-regex.json",
        include_str!("../schemas/common/url-regex.json"),
    ),
    (
        "observables/artifact.json",
        include_str!("../schemas/observables/artifact.json"),
    ),
    (
        "observables/autonomous-system.json",
        include_str!("../schemas/observables/autonomous-system.json"),
    ),
    (
        "observables/directory.json",
        include_str!("../schemas/observables/directory.json"),
    ),
    (
        "observables/domain-name.json",
        include_str!("../schemas/observables/domain-name.json"),
    ),
    (
        "observables/email-addr.json",
        include_str!("../schemas/observables/email-addr.json"),
    ),
    (
        "observables/email-message.json",
        include_str!("../schemas/observables/email-message.json"),
    ),
    (
        "observables/file.json",
        include_str!("../schemas/observables/file.json"),
    ),
    (
        "observables/ipv4-addr.json",
        include_str!("../schemas/observables/ipv4-addr.json"),
    ),
    (
        "observables/ipv6-addr.json",
        include_str!("../schemas/observables/ipv6-addr.json"),
    ),
    (
        "observables/mac-addr.json",
        include_str!("../schemas/observables/mac-addr.json"),
    ),
    (
        "observables/mutex.json",
        include_str!("../schemas/observables/mutex.json"),
    ),
    (
        "observables/network-traffic.json",
        include_str!("../schemas/observables/network-traffic.json"),
    ),
    (
        "observables/process.json",
        include_str!("../schemas/observables/process.json"),
    ),
    (
        "observables/software.json",
        include_str!("../schemas/observables/software.json"),
    ),
    (
        "observables/url.json",
        include_str!("../schemas/observables/url.json"),
    ),
    (
        "observables/user-account.json",
        include_str!("../schemas/observables/user-account.json"),
    ),
    (
        "observables/windows-registry-key.json",
        include_str!("../schemas/observables/windows-registry-key.json"),
    ),
    (
        "observables/x509-certificate.json",
        include_str!("../schemas/observables/x509-certificate.json"),
    ),
    (
        "sdos/attack-pattern.json",
        include_str!("../schemas/sdos/attack-pattern.json"),
    ),
    (
        "sdos/campaign.json",
        include_str!("../schemas/sdos/campaign.json"),
    ),
    (
        "sdos/course-of-action.json",
        include_str!("../schemas/sdos/course-of-action.json"),
    ),
    (
        "sdos/grouping.json",
        include_str!("../schemas/sdos/grouping.json"),
    ),
    (
        "sdos/identity.json",
        include_str!("../schemas/sdos/identity.json"),
    ),
    (
        "sdos/incident.json",
        include_str!("../schemas/sdos/incident.json"),
    ),
    (
        "sdos/indicator.json",
        include_str!("../schemas/sdos/indicator.json"),
    ),
    (
        "sdos/infrastructure.json",
        include_str!("../schemas/sdos/infrastructure.json"),
    ),
    (
        "sdos/intrusion-set.json",
        include_str!("../schemas/sdos/intrusion-set.json"),
    ),
    (
        "sdos/location.json",
        include_str!("../schemas/sdos/location.json"),
    ),
    (
        "sdos/malware-analysis.json",
        include_str!("../schemas/sdos/malware-analysis.json"),
    ),
    (
        "sdos/malware.json",
        include_str!("../schemas/sdos/malware.json"),
    ),
    ("sdos/note.json", include_str!("../schemas/sdos/note.json")),
    (
        "sdos/observed-data.json",
        include_str!("../schemas/sdos/observed-data.json"),
    ),
    (
        "sdos/opinion.json",
        include_str!("../schemas/sdos/opinion.json"),
    ),
    (
        "sdos/report.json",
        include_str!("../schemas/sdos/report.json"),
    ),
    (
        "sdos/threat-actor.json",
        include_str!("../schemas/sdos/threat-actor.json"),
    ),
    ("sdos/tool.json", include_str!("../schemas/sdos/tool.json")),
    (
        "sdos/vulnerability.json",
        include_str!("../schemas/sdos/vulnerability.json"),
    ),
    (
        "sros/relationship.json",
        include_str!("../schemas/sros/relationship.json"),
    ),
    (
        "sros/sighting.json",
        include_str!("../schemas/sros/sighting.json"),
    ),
];

/// One reason an object does not conform to its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    /// JSON pointer into the object, `""` for the object itself.
    pub path: String,
    pub reason: String,
}

/// Compiled validators for every STIX 2.1 type, plus the generic schemas
/// used for custom objects.
///
/// All schemas are compiled into one validator that dispatches on `type`:
/// each compiled validator carries its own copy of the resource registry
/// (about 30 MB), so one per type would cost over 400 MB of memory.
pub struct SchemaSet {
    standard_types: HashSet<String>,
    validator: Validator,
}

#[derive(Debug, thiserror::Error)]
#[error("embedded STIX schema {file} does not compile: {reason}")]
pub struct SchemaBuildError {
    file: String,
    reason: String,
}

impl SchemaSet {
    /// Compiles the embedded schemas. Fails only if the embedded files are
    /// broken, which the tests rule out.
    pub fn new() -> Result<Self, SchemaBuildError> {
        let mut parsed = Vec::with_capacity(SCHEMA_FILES.len());
        for (file, text) in SCHEMA_FILES {
            let value: Value = serde_json::from_str(text).map_err(|e| SchemaBuildError {
                file: (*file).to_owned(),
                reason: e.to_string(),
            })?;
            parsed.push((*file, value));
        }
        let fail = |file: &str, reason: String| SchemaBuildError {
            file: file.to_owned(),
            reason,
        };
        let mut options = jsonschema::options().with_draft(Draft::Draft202012);
        let mut standard_types = HashSet::new();
        let mut branches = Vec::new();
        for (file, value) in &parsed {
            let resource =
                Resource::from_contents(value.clone()).map_err(|e| fail(file, e.to_string()))?;
            options = options.with_resource(format!("{BASE_URI}{file}"), resource);
            if let Some(type_name) = object_type_of_schema(file) {
                standard_types.insert(type_name.to_owned());
                branches.push(json!({
                    "if": {"required": ["type"], "properties": {"type": {"const": type_name}}},
                    "then": {"$ref": format!("{BASE_URI}{file}")}
                }));
            }
        }
        let known: Vec<&String> = standard_types.iter().collect();
        branches.push(json!({
            "if": {"not": {"required": ["type"], "properties": {"type": {"enum": known}}}},
            "then": {
                "if": {"required": ["created"]},
                "then": {"$ref": format!("{BASE_URI}common/core.json")},
                "else": {"$ref": format!("{BASE_URI}common/cyber-observable-core.json")}
            }
        }));
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "allOf": branches
        });
        let validator = options
            .build(&root)
            .map_err(|e| fail("(type dispatch)", e.to_string()))?;
        Ok(Self {
            standard_types,
            validator,
        })
    }

    /// Whether the type is one the specification defines.
    pub fn is_standard_type(&self, object_type: &str) -> bool {
        self.standard_types.contains(object_type)
    }

    /// Validates one object. Custom types are checked against the common
    /// properties (SDO/SRO core if they carry `created`, SCO core otherwise).
    pub fn validate(&self, object: &Value) -> Result<(), Vec<SchemaViolation>> {
        let validator = &self.validator;
        if validator.is_valid(object) {
            return Ok(());
        }
        let mut violations: Vec<SchemaViolation> = validator
            .iter_errors(object)
            .map(|e| SchemaViolation {
                path: e.instance_path.to_string(),
                reason: e.to_string(),
            })
            .collect();
        // Deepest paths first: they point at the actual mistake, while the
        // `allOf` wrapper errors at the root only repeat it.
        violations.sort_by_key(|v| std::cmp::Reverse(v.path.len()));
        violations.dedup();
        Err(violations)
    }
}

/// Schemas under `sdos/`, `sros/` and `observables/` are named after their
/// type; three meta objects live under `common/`.
fn object_type_of_schema(file: &str) -> Option<&str> {
    let (dir, name) = file.split_once('/')?;
    let stem = name.strip_suffix(".json")?;
    match dir {
        "sdos" | "sros" | "observables" => Some(stem),
        "common" => match stem {
            "marking-definition" | "extension-definition" | "language-content" => Some(stem),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schemas() -> SchemaSet {
        SchemaSet::new().expect("embedded schemas compile")
    }

    #[test]
    fn every_standard_type_has_a_schema() {
        let set = schemas();
        for ty in [
            "attack-pattern",
            "campaign",
            "course-of-action",
            "grouping",
            "identity",
            "incident",
            "indicator",
            "infrastructure",
            "intrusion-set",
            "location",
            "malware",
            "malware-analysis",
            "note",
            "observed-data",
            "opinion",
            "report",
            "threat-actor",
            "tool",
            "vulnerability",
            "relationship",
            "sighting",
            "artifact",
            "autonomous-system",
            "directory",
            "domain-name",
            "email-addr",
            "email-message",
            "file",
            "ipv4-addr",
            "ipv6-addr",
            "mac-addr",
            "mutex",
            "network-traffic",
            "process",
            "software",
            "url",
            "user-account",
            "windows-registry-key",
            "x509-certificate",
            "marking-definition",
            "extension-definition",
            "language-content",
        ] {
            assert!(set.is_standard_type(ty), "{ty}");
        }
    }

    #[test]
    fn a_valid_indicator_passes() {
        let indicator = json!({
            "type": "indicator", "spec_version": "2.1",
            "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
            "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix",
            "valid_from": "2016-01-01T00:00:00Z"
        });
        assert_eq!(schemas().validate(&indicator), Ok(()));
    }

    #[test]
    fn a_missing_property_is_named() {
        let indicator = json!({
            "type": "indicator", "spec_version": "2.1",
            "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
            "pattern_type": "stix", "valid_from": "2016-01-01T00:00:00Z"
        });
        let errors = schemas().validate(&indicator).unwrap_err();
        assert!(
            errors.iter().any(|e| e.reason.contains("pattern")),
            "{errors:?}"
        );
    }

    #[test]
    fn a_bad_nested_value_has_its_path() {
        let file = json!({
            "type": "file", "spec_version": "2.1",
            "id": "file--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "hashes": {"SHA-256": "not hex"}, "name": "x"
        });
        let errors = schemas().validate(&file).unwrap_err();
        assert!(errors[0].path.starts_with("/hashes"), "{errors:?}");
    }
}
