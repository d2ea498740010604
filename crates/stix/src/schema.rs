//! The official OASIS STIX 2.1 JSON schemas, parsed once, each type's
//! validator compiled when an object of that type first needs it.
//!
//! The schemas are embedded (`schemas/`, BSD-3-Clause, OASIS Open) so a
//! node validates exactly what the standard says without reading files.

use std::collections::HashMap;
use std::sync::OnceLock;

use jsonschema::{Draft, Registry, Resource, Validator};
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

/// Validators for every STIX 2.1 type, plus the generic schemas used for
/// custom objects, each compiled the first time an object needs it.
///
/// The resource registry (every schema file, parsed once, about 2 MB) is
/// shared; a compiled validator costs about 1 MB, so a node holds only
/// the types it has seen: an idle node none, one that has validated every
/// type about 45 MB. Compiling one takes a few milliseconds, once.
pub struct SchemaSet {
    registry: Registry,
    /// Standard type → its schema file and compiled validator.
    by_type: HashMap<String, Lazy>,
    /// Custom objects: SDO/SRO core (with `created`), SCO core (without).
    custom_core: Lazy,
    custom_observable: Lazy,
}

/// A validator compiled on first use; a schema that fails to compile
/// (only if the embedded files were broken, which the tests rule out)
/// keeps its error, reported on every object that needs it.
struct Lazy {
    file: &'static str,
    cell: OnceLock<Result<Validator, String>>,
}

impl Lazy {
    fn new(file: &'static str) -> Self {
        Self {
            file,
            cell: OnceLock::new(),
        }
    }

    fn get(&self, registry: &Registry) -> Result<&Validator, SchemaViolation> {
        self.cell
            .get_or_init(|| {
                jsonschema::options()
                    .with_draft(Draft::Draft202012)
                    .with_registry(registry.clone())
                    .build(&json!({"$ref": format!("{BASE_URI}{}", self.file)}))
                    .map_err(|e| {
                        format!("embedded STIX schema {} does not compile: {e}", self.file)
                    })
            })
            .as_ref()
            .map_err(|reason| SchemaViolation {
                path: String::new(),
                reason: reason.clone(),
            })
    }
}

#[derive(Debug, thiserror::Error)]
#[error("embedded STIX schema {file} does not compile: {reason}")]
pub struct SchemaBuildError {
    file: String,
    reason: String,
}

impl SchemaSet {
    /// Parses the embedded schemas into one registry. Fails only if the
    /// embedded files are broken, which the tests rule out.
    pub fn new() -> Result<Self, SchemaBuildError> {
        let fail = |file: &str, reason: String| SchemaBuildError {
            file: file.to_owned(),
            reason,
        };
        let mut resources = Vec::with_capacity(SCHEMA_FILES.len());
        let mut by_type = HashMap::new();
        for (file, text) in SCHEMA_FILES {
            let value: Value = serde_json::from_str(text).map_err(|e| fail(file, e.to_string()))?;
            let resource = Resource::from_contents(value).map_err(|e| fail(file, e.to_string()))?;
            resources.push((format!("{BASE_URI}{file}"), resource));
            if let Some(type_name) = object_type_of_schema(file) {
                by_type.insert(type_name.to_owned(), Lazy::new(file));
            }
        }
        let registry = Registry::options()
            .draft(Draft::Draft202012)
            .build(resources)
            .map_err(|e| fail("(registry)", e.to_string()))?;
        Ok(Self {
            registry,
            by_type,
            custom_core: Lazy::new("common/core.json"),
            custom_observable: Lazy::new("common/cyber-observable-core.json"),
        })
    }

    /// Whether the type is one the specification defines.
    pub fn is_standard_type(&self, object_type: &str) -> bool {
        self.by_type.contains_key(object_type)
    }

    /// The validator for `object`: its type's schema, or for a custom type
    /// the common properties (SDO/SRO core if it carries `created`, SCO
    /// core otherwise).
    fn validator_for(&self, object: &Value) -> Result<&Validator, SchemaViolation> {
        let standard = object
            .get("type")
            .and_then(Value::as_str)
            .and_then(|t| self.by_type.get(t));
        let lazy = match standard {
            Some(lazy) => lazy,
            None if object.get("created").is_some() => &self.custom_core,
            None => &self.custom_observable,
        };
        lazy.get(&self.registry)
    }

    /// Validates one object.
    pub fn validate(&self, object: &Value) -> Result<(), Vec<SchemaViolation>> {
        let validator = self.validator_for(object).map_err(|v| vec![v])?;
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

    /// Compiles every validator now (tests, and operators who prefer the
    /// memory spent up front to a few milliseconds on a type's first use).
    ///
    /// # Errors
    /// The first schema that does not compile.
    pub fn compile_all(&self) -> Result<(), SchemaBuildError> {
        self.by_type
            .values()
            .chain([&self.custom_core, &self.custom_observable])
            .try_for_each(|lazy| {
                lazy.get(&self.registry)
                    .map(|_| ())
                    .map_err(|v| SchemaBuildError {
                        file: lazy.file.to_owned(),
                        reason: v.reason,
                    })
            })
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
    fn every_schema_compiles() {
        // Validators compile on first use; this compiles them all now.
        schemas()
            .compile_all()
            .expect("every embedded schema compiles");
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
