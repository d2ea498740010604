//! Paths, the schema validators, sample products and temporary directories.

use std::path::{Path, PathBuf};

use jsonschema::{Draft, Resource, Validator};
use serde_json::Value;
use uuid::Uuid;
use vigia_csaf::{AdvisoryInput, Publisher, Reference, Revision};
use vigia_stix::{StixId, Timestamp, Tlp};
use vigia_watch::{Cvss, ProductKind, Severity};

/// The repository's root (the workspace).
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `../shared/data/csaf/csaf_2.0` beside the repository.
pub(crate) fn csaf_data() -> PathBuf {
    let dir = repo_root().join("../shared/data/csaf/csaf_2.0");
    assert!(
        dir.is_dir(),
        "the OASIS CSAF 2.0 data is expected at {}",
        dir.display()
    );
    dir
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// A validator for one of the official schemas, with the CVSS schemas and
/// the CSAF schema registered under the URLs the `$ref`s name, so nothing
/// is fetched; formats (`uri`, `date-time`) are checked.
pub(crate) fn validator(schema_file: &str) -> Validator {
    let data = csaf_data();
    let mut options = jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true);
    for (url, file) in [
        (
            "https://www.first.org/cvss/cvss-v2.0.json",
            "cvss-v2.0.json",
        ),
        (
            "https://www.first.org/cvss/cvss-v3.0.json",
            "cvss-v3.0.json",
        ),
        (
            "https://www.first.org/cvss/cvss-v3.1.json",
            "cvss-v3.1.json",
        ),
    ] {
        let schema = read_json(&data.join("referenced_schema/first").join(file));
        let resource = Resource::from_contents(schema).expect("a CVSS schema");
        options = options.with_resource(url, resource);
    }
    let csaf = read_json(&data.join("json_schema/csaf_json_schema.json"));
    options = options.with_resource(
        "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json",
        Resource::from_contents(csaf).expect("the CSAF schema"),
    );
    let schema = read_json(&data.join("json_schema").join(schema_file));
    options
        .build(&schema)
        .unwrap_or_else(|e| panic!("{schema_file} compiles: {e}"))
}

/// Every schema error of `instance`, one per line, empty when valid.
pub(crate) fn schema_errors(validator: &Validator, instance: &Value) -> String {
    validator
        .iter_errors(instance)
        .map(|e| format!("  {} at {}\n", e, e.instance_path))
        .collect()
}

pub(crate) fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("timestamp")
}

pub(crate) fn publisher() -> Publisher {
    Publisher {
        name: "CERTuy".into(),
        namespace: "https://csirt.example.gov.uy".into(),
        contact_details: Some("Email: incidentes@example.gov.uy".into()),
        issuing_authority: Some("National CSIRT of Uruguay".into()),
    }
}

/// A product of `kind` at `tlp`; `name` makes its id.
pub(crate) fn sample(name: &str, kind: ProductKind, tlp: Tlp) -> AdvisoryInput {
    let uuid = Uuid::new_v5(&Uuid::NAMESPACE_URL, name.as_bytes());
    let stix_type = if kind == ProductKind::Mitigation {
        "course-of-action"
    } else {
        "report"
    };
    let stix_id = StixId::new_v4(stix_type, uuid).expect("id");
    AdvisoryInput {
        references: vec![Reference::external(
            format!("https://csirt.example.gov.uy/portal/advisories/{stix_id}"),
            "This advisory on the CERTuy portal",
        )],
        stix_id,
        kind,
        severity: Severity::High,
        title: format!("{}: {name}", kind.label()),
        description: format!(
            "{} about {name}. Patch or isolate affected systems; report incidents to CERTuy.",
            kind.label()
        ),
        cves: vec![],
        cvss: None,
        tlp,
        revisions: vec![
            Revision {
                date: ts("2024-11-05T14:00:00.000Z"),
                summary: "Initial release.".into(),
            },
            Revision {
                date: ts("2024-11-06T09:30:00.123456Z"),
                summary: "Indicators and mitigations added.".into(),
            },
        ],
        publisher: publisher(),
        lang: Some("es".into()),
        exercise: false,
    }
}

/// Samples covering every kind at every exportable TLP, and the variants
/// that change the profile: CVEs with CVSS, no reference, no description,
/// one revision, an exercise, no language.
pub(crate) fn samples() -> Vec<AdvisoryInput> {
    let mut out = Vec::new();
    for kind in ProductKind::ALL {
        for tlp in [Tlp::Clear, Tlp::Green, Tlp::Amber, Tlp::Red] {
            out.push(sample(&format!("{}-{tlp}", kind.as_str()), kind, tlp));
        }
        let mut with_cves = sample(&format!("{}-cves", kind.as_str()), kind, Tlp::Clear);
        with_cves.cves = vec!["CVE-2024-3400".into(), "CVE-2023-46805".into()];
        with_cves.cvss = Some(Cvss {
            vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into(),
            base_score: 10.0,
        });
        with_cves.severity = Severity::Critical;
        out.push(with_cves);
        let mut bare = sample(&format!("{}-bare", kind.as_str()), kind, Tlp::Clear);
        bare.references.clear();
        bare.description.clear();
        bare.revisions.truncate(1);
        bare.lang = None;
        bare.severity = Severity::Info;
        bare.publisher.contact_details = None;
        bare.publisher.issuing_authority = None;
        out.push(bare);
    }
    let mut drill = sample("exercise", ProductKind::Alert, Tlp::Green);
    drill.exercise = true;
    out.push(drill);
    out
}

/// A directory under the system's temporary directory, removed on drop.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("vigia-csaf-{tag}-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
