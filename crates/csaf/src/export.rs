//! A vigia product as a CSAF 2.0 document.
//!
//! vigia's products carry a title, a description, a severity, CVE ids and
//! at most one CVSS vector for the whole product, but no product data
//! (vendors, versions, CPEs): a national team warns about what others
//! make. That decides the profile (CSAF 2.0 section 4):
//!
//! - `csaf_security_advisory` and `csaf_vex` need `/product_tree` and a
//!   `product_status` per vulnerability (mandatory tests 6.1.27.4, 6.1.27.6,
//!   6.1.27.7), and CVSS `scores` need product ids (schema: `products` is
//!   required). Inventing a product would be false data, so vigia uses
//!   neither, and states its CVSS in a document note instead of `scores`.
//! - `csaf_informational_advisory` (4.3) is for information **not related to
//!   a vulnerability**: no `/vulnerabilities` (6.1.27.3), at least one note
//!   of category description, details, general or summary (6.1.27.1) and
//!   one `external` reference (6.1.27.2). An alert, advisory, mitigation,
//!   lessons-learned or best-practice product without CVEs, with a
//!   description and an external reference (such as its page on the
//!   portal), is one.
//! - `csaf_security_incident_response` (4.2) is for a response to an
//!   incident, including one unrelated to the issuer's own products; it has
//!   the same two tests and allows vulnerabilities. A suspicious-activity
//!   warning with a description and an external reference is one.
//! - Everything else, and every vulnerability notice, is `csaf_base` (4.1):
//!   its only mandatory test beyond the schema is 6.1.26 (the category
//!   name), and it may carry `/vulnerabilities` with the CVE ids.
//!
//! Tracking (3.2.1.12): the id is derived from the product's STIX id, so
//! every version of a product is a version of the same CSAF document; the
//! revision history numbers the versions 1, 2, … (integer versioning,
//! 3.1.11.1) in date order, the version is the last number, the status is
//! `final` (tests 6.1.14 to 6.1.22).

use serde_json::{json, Map, Value};
use vigia_stix::{StixId, Timestamp, Tlp};
use vigia_watch::{Cvss, ProductKind, Severity};

use crate::tlp::{AmberStrictHasNoLabel, CsafTlp, TLP_URL};

/// The generator named in `/document/tracking/generator/engine`.
pub const ENGINE_NAME: &str = "vigia";
/// The version of vigia that wrote the document (the workspace version).
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The issuing party (`/document/publisher`). A national team issues on
/// behalf of others, so its category is always `coordinator`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Publisher {
    /// e.g. "CERTuy".
    pub name: String,
    /// The node's public URL, e.g. `https://csirt.example.gov.uy`.
    pub namespace: String,
    /// How to reach the team (e-mail, telephone), optional.
    pub contact_details: Option<String>,
    /// The team's authority to publish, optional.
    pub issuing_authority: Option<String>,
}

/// The publisher category vigia writes.
pub const PUBLISHER_CATEGORY: &str = "coordinator";

impl Publisher {
    /// The `publisher` object, as the CSAF document and
    /// `provider-metadata.json` both write it.
    ///
    /// # Errors
    /// [`ExportError::Empty`] for an empty name, [`ExportError::Url`] for a
    /// namespace that is not an absolute http(s) URL.
    pub fn to_json(&self) -> Result<Value, ExportError> {
        non_blank("publisher.name", &self.name)?;
        check_url("publisher.namespace", &self.namespace)?;
        let mut p = Map::new();
        p.insert("category".into(), PUBLISHER_CATEGORY.into());
        p.insert("name".into(), self.name.clone().into());
        p.insert("namespace".into(), self.namespace.clone().into());
        if let Some(c) = &self.contact_details {
            non_blank("publisher.contact_details", c)?;
            p.insert("contact_details".into(), c.clone().into());
        }
        if let Some(a) = &self.issuing_authority {
            non_blank("publisher.issuing_authority", a)?;
            p.insert("issuing_authority".into(), a.clone().into());
        }
        Ok(Value::Object(p))
    }
}

/// One released version of the product.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revision {
    /// When it was released (the STIX `created`, then each `modified`).
    pub date: Timestamp,
    /// What changed, e.g. "Initial release." or "Severity raised to high."
    pub summary: String,
}

/// Whether a reference points elsewhere or at this document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReferenceCategory {
    /// `external`: e.g. the advisory's page on the public portal.
    External,
    /// `self`: the canonical URL of this CSAF document.
    SelfDocument,
}

/// A document reference (`/document/references[]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub category: ReferenceCategory,
    pub url: String,
    pub summary: String,
}

impl Reference {
    /// A reference to another resource (the `external` category).
    pub fn external(url: impl Into<String>, summary: impl Into<String>) -> Self {
        Self {
            category: ReferenceCategory::External,
            url: url.into(),
            summary: summary.into(),
        }
    }
}

/// What vigia knows of a product, to export it.
#[derive(Clone, Debug, PartialEq)]
pub struct AdvisoryInput {
    /// The product's STIX id; the tracking id is derived from it.
    pub stix_id: StixId,
    pub kind: ProductKind,
    pub severity: Severity,
    pub title: String,
    /// May be empty; then the document has no summary note and can only
    /// be `csaf_base`.
    pub description: String,
    pub cves: Vec<String>,
    pub cvss: Option<Cvss>,
    pub tlp: Tlp,
    /// The released versions, oldest first, at least one, dates strictly
    /// increasing. The first is the initial release, the last the current.
    pub revisions: Vec<Revision>,
    pub publisher: Publisher,
    /// The document's language (BCP 47: `en`, `es`, `pt-BR`, `fr`, `es-419`).
    pub lang: Option<String>,
    /// Further reading: at least one `external` reference (e.g. the
    /// product's page on the portal) lets a product without CVEs be an
    /// informational advisory rather than `csaf_base`.
    pub references: Vec<Reference>,
    /// A drill: the document says so in a note.
    pub exercise: bool,
}

/// The profile of an exported document (`/document/category`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DocumentCategory {
    Base,
    InformationalAdvisory,
    SecurityIncidentResponse,
}

impl DocumentCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentCategory::Base => "csaf_base",
            DocumentCategory::InformationalAdvisory => "csaf_informational_advisory",
            DocumentCategory::SecurityIncidentResponse => "csaf_security_incident_response",
        }
    }

    /// The profile for a product, by the rules in the module documentation.
    pub fn for_input(input: &AdvisoryInput) -> DocumentCategory {
        let has_note = !input.description.trim().is_empty();
        let has_external = input
            .references
            .iter()
            .any(|r| r.category == ReferenceCategory::External);
        match input.kind {
            ProductKind::VulnerabilityNotice => DocumentCategory::Base,
            _ if !(has_note && has_external) => DocumentCategory::Base,
            ProductKind::SuspiciousActivity => DocumentCategory::SecurityIncidentResponse,
            _ if input.cves.is_empty() => DocumentCategory::InformationalAdvisory,
            _ => DocumentCategory::Base,
        }
    }
}

/// Why a product cannot be exported.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    AmberStrict(#[from] AmberStrictHasNoLabel),
    #[error("{field} is empty")]
    Empty { field: &'static str },
    #[error("{field}: {value:?} is not an absolute http(s) URL")]
    Url { field: &'static str, value: String },
    #[error("cves: {0:?} is not a CVE id (CVE-YYYY-NNNN…)")]
    Cve(String),
    #[error("lang: {0:?} is not a language tag such as en, es, pt-BR or es-419")]
    Lang(String),
    #[error("revisions: a document needs at least its initial release")]
    NoRevision,
    #[error("revisions: revision {number} ({date}) is not later than the one before it")]
    RevisionOrder { number: usize, date: String },
    #[error("cvss: base score {0} is outside 0.0–10.0")]
    CvssScore(f64),
}

/// An exported document and what a provider needs to publish it.
#[derive(Clone, Debug, PartialEq)]
pub struct CsafDocument {
    json: Value,
    tracking_id: String,
    file_name: String,
    category: DocumentCategory,
    tlp: CsafTlp,
    title: String,
    summary: Option<String>,
    initial_release_date: Timestamp,
    current_release_date: Timestamp,
}

impl CsafDocument {
    pub fn json(&self) -> &Value {
        &self.json
    }

    pub fn into_json(self) -> Value {
        self.json
    }

    /// The bytes to serve, hash and sign: pretty-printed JSON and a final
    /// newline. The same input always gives the same bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(&self.json).unwrap_or_default();
        out.push(b'\n');
        out
    }

    pub fn tracking_id(&self) -> &str {
        &self.tracking_id
    }

    /// The file name of section 5.1, e.g. `vigia-<uuid>.json`.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    pub fn category(&self) -> DocumentCategory {
        self.category
    }

    pub fn tlp(&self) -> CsafTlp {
        self.tlp
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    /// The summary note's text, for a feed entry.
    pub fn summary(&self) -> Option<&str> {
        self.summary.as_deref()
    }

    pub fn initial_release_date(&self) -> Timestamp {
        self.initial_release_date
    }

    pub fn current_release_date(&self) -> Timestamp {
        self.current_release_date
    }

    /// Where the document sits under the provider's base directory:
    /// `<tlp>/<YYYY>/<file name>`, the year being that of the initial
    /// release (requirement 11, section 7.1.11).
    pub fn path(&self) -> String {
        crate::provider::document_path(self.tlp, self.initial_release_date, &self.file_name)
    }
}

/// `/document/tracking/id` for a product: `vigia-<uuid of the STIX id>`.
/// Stable across the product's versions and unique to it.
pub fn tracking_id(stix_id: &StixId) -> String {
    format!("{ENGINE_NAME}-{}", stix_id.uuid())
}

/// The file name of a CSAF document (section 5.1): the tracking id in lower
/// case, each run of characters other than `a`–`z`, `0`–`9`, `+` and `-`
/// replaced by one `_`, and `.json`.
pub fn file_name(tracking_id: &str) -> String {
    let lower = tracking_id.to_lowercase();
    let mut out = String::with_capacity(lower.len() + 5);
    let mut in_run = false;
    for c in lower.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '+' || c == '-' {
            out.push(c);
            in_run = false;
        } else if !in_run {
            out.push('_');
            in_run = true;
        }
    }
    out.push_str(".json");
    out
}

/// The CSAF 2.0 document for a product.
///
/// # Errors
/// - [`ExportError::AmberStrict`]: the product is TLP:AMBER+STRICT, which
///   has no CSAF 2.0 label; it is never exported.
/// - [`ExportError::Empty`], [`ExportError::Url`], [`ExportError::Cve`],
///   [`ExportError::Lang`], [`ExportError::CvssScore`]: a field, named in
///   the error, is not what the schema allows.
/// - [`ExportError::NoRevision`], [`ExportError::RevisionOrder`]: the
///   revisions are missing or not in strictly increasing date order.
pub fn export(input: &AdvisoryInput) -> Result<CsafDocument, ExportError> {
    let tlp = CsafTlp::try_from(input.tlp)?;
    non_blank("title", &input.title)?;
    let publisher = input.publisher.to_json()?;
    if let Some(lang) = &input.lang {
        if !is_language_tag(lang) {
            return Err(ExportError::Lang(lang.clone()));
        }
    }
    let cves = unique_cves(&input.cves)?;
    if let Some(c) = &input.cvss {
        if !(0.0..=10.0).contains(&c.base_score) {
            return Err(ExportError::CvssScore(c.base_score));
        }
        non_blank("cvss.vector", &c.vector)?;
    }
    let (initial, current) = check_revisions(&input.revisions)?;
    let mut references = Vec::new();
    for r in &input.references {
        check_url("references.url", &r.url)?;
        non_blank("references.summary", &r.summary)?;
        references.push(json!({
            "category": match r.category {
                ReferenceCategory::External => "external",
                ReferenceCategory::SelfDocument => "self",
            },
            "summary": r.summary,
            "url": r.url,
        }));
    }

    let category = DocumentCategory::for_input(input);
    let id = tracking_id(&input.stix_id);
    let summary = (!input.description.trim().is_empty()).then(|| input.description.clone());

    let mut notes = Vec::new();
    if let Some(text) = &summary {
        notes.push(note("summary", "Summary", text));
    }
    notes.push(note(
        "other",
        "Kind and severity",
        &format!(
            "{} (vigia product kind {}), severity {}.",
            input.kind.label(),
            input.kind.as_str(),
            input.severity.as_str()
        ),
    ));
    if let Some(c) = &input.cvss {
        notes.push(note(
            "other",
            "CVSS",
            &format!(
                "{} (base score {:.1}), as assessed by the publisher for this {}.",
                c.vector,
                c.base_score,
                input.kind.label().to_lowercase()
            ),
        ));
    }
    if input.exercise {
        notes.push(note(
            "general",
            "Exercise",
            "This document is part of an exercise. It does not describe a real event.",
        ));
    }

    let revision_history: Vec<Value> = input
        .revisions
        .iter()
        .enumerate()
        .map(|(i, r)| {
            json!({
                "date": r.date.to_micros_string(),
                "number": (i + 1).to_string(),
                "summary": r.summary,
            })
        })
        .collect();

    let mut document = Map::new();
    document.insert("category".into(), category.as_str().into());
    document.insert("csaf_version".into(), "2.0".into());
    document.insert("title".into(), input.title.clone().into());
    if let Some(lang) = &input.lang {
        document.insert("lang".into(), lang.clone().into());
    }
    document.insert("publisher".into(), publisher);
    document.insert(
        "distribution".into(),
        json!({
            "text": distribution_text(input.tlp, tlp),
            "tlp": { "label": tlp.as_str(), "url": TLP_URL },
        }),
    );
    document.insert(
        "aggregate_severity".into(),
        json!({ "text": severity_text(input.severity) }),
    );
    document.insert("notes".into(), Value::Array(notes));
    if !references.is_empty() {
        document.insert("references".into(), Value::Array(references));
    }
    document.insert(
        "tracking".into(),
        json!({
            "id": id,
            "status": "final",
            "version": input.revisions.len().to_string(),
            "initial_release_date": initial.to_micros_string(),
            "current_release_date": current.to_micros_string(),
            "revision_history": revision_history,
            "generator": { "engine": { "name": ENGINE_NAME, "version": ENGINE_VERSION } },
        }),
    );

    let mut root = Map::new();
    root.insert("document".into(), Value::Object(document));
    let vulnerabilities = vulnerabilities(input, &cves, summary.as_deref());
    if !vulnerabilities.is_empty() {
        root.insert("vulnerabilities".into(), Value::Array(vulnerabilities));
    }

    Ok(CsafDocument {
        json: Value::Object(root),
        file_name: file_name(&id),
        tracking_id: id,
        category,
        tlp,
        title: input.title.clone(),
        summary,
        initial_release_date: initial,
        current_release_date: current,
    })
}

/// One item per CVE; a vulnerability notice without CVEs still names its
/// vulnerability, by title. Informational advisories have none (6.1.27.3).
fn vulnerabilities(input: &AdvisoryInput, cves: &[String], summary: Option<&str>) -> Vec<Value> {
    if DocumentCategory::for_input(input) == DocumentCategory::InformationalAdvisory {
        return Vec::new();
    }
    if cves.is_empty() {
        if input.kind != ProductKind::VulnerabilityNotice {
            return Vec::new();
        }
        let mut v = Map::new();
        v.insert("title".into(), input.title.clone().into());
        if let Some(text) = summary {
            v.insert(
                "notes".into(),
                json!([note("description", "Description", text)]),
            );
        }
        return vec![Value::Object(v)];
    }
    cves.iter()
        .map(|cve| {
            json!({
                "cve": cve,
                "references": [{
                    "category": "external",
                    "summary": format!("{cve} in the CVE List"),
                    "url": format!("https://www.cve.org/CVERecord?id={cve}"),
                }],
            })
        })
        .collect()
}

fn note(category: &str, title: &str, text: &str) -> Value {
    json!({ "category": category, "title": title, "text": text })
}

fn distribution_text(tlp: Tlp, label: CsafTlp) -> String {
    if tlp == Tlp::Clear {
        format!(
            "{} (TLP 2.0), written as TLP:{} because CSAF 2.0 uses the TLP 1.0 labels.",
            tlp.label(),
            label.as_str()
        )
    } else {
        format!("{} (TLP 2.0).", tlp.label())
    }
}

fn severity_text(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Info => "Informational",
    }
}

fn check_revisions(revisions: &[Revision]) -> Result<(Timestamp, Timestamp), ExportError> {
    let (first, last) = match (revisions.first(), revisions.last()) {
        (Some(f), Some(l)) => (f, l),
        _ => return Err(ExportError::NoRevision),
    };
    for (i, r) in revisions.iter().enumerate() {
        non_blank("revisions.summary", &r.summary)?;
        // Compared at the precision written (microseconds), so that the
        // dates in the document sort exactly like the numbers (6.1.14).
        if i > 0 && r.date.unix_micros() <= revisions[i - 1].date.unix_micros() {
            return Err(ExportError::RevisionOrder {
                number: i + 1,
                date: r.date.to_micros_string(),
            });
        }
    }
    Ok((first.date, last.date))
}

/// The CVE ids in order, each once (6.1.23: a CVE is in one item only).
fn unique_cves(cves: &[String]) -> Result<Vec<String>, ExportError> {
    let mut out: Vec<String> = Vec::with_capacity(cves.len());
    for cve in cves {
        if !is_cve(cve) {
            return Err(ExportError::Cve(cve.clone()));
        }
        if !out.contains(cve) {
            out.push(cve.clone());
        }
    }
    Ok(out)
}

/// `^CVE-[0-9]{4}-[0-9]{4,}$`, the schema's pattern.
pub(crate) fn is_cve(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, seq)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && seq.len() >= 4
        && seq.bytes().all(|b| b.is_ascii_digit())
}

/// A language, optionally with a script and a region: `en`, `es`,
/// `pt-BR`, `es-419`, `zh-Hant-TW`. A subset of BCP 47 that the schema's
/// `lang_t` pattern accepts.
fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let lang = parts.next().unwrap_or_default();
    if !(2..=3).contains(&lang.len()) || !lang.bytes().all(|b| b.is_ascii_alphabetic()) {
        return false;
    }
    let mut rest: Vec<&str> = parts.collect();
    if rest
        .first()
        .is_some_and(|p| p.len() == 4 && p.bytes().all(|b| b.is_ascii_alphabetic()))
    {
        rest.remove(0);
    }
    match rest.as_slice() {
        [] => true,
        [region] => {
            (region.len() == 2 && region.bytes().all(|b| b.is_ascii_alphabetic()))
                || (region.len() == 3 && region.bytes().all(|b| b.is_ascii_digit()))
        }
        _ => false,
    }
}

fn non_blank(field: &'static str, value: &str) -> Result<(), ExportError> {
    if value.trim().is_empty() {
        Err(ExportError::Empty { field })
    } else {
        Ok(())
    }
}

/// An absolute `http://` or `https://` URL with a host and no white space
/// or control characters: enough for the schema's `uri` format.
pub(crate) fn check_url(field: &'static str, value: &str) -> Result<(), ExportError> {
    let bad = || ExportError::Url {
        field,
        value: value.to_owned(),
    };
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or_else(bad)?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty()
        || value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>' | '\\'))
    {
        return Err(bad());
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).expect("test timestamp")
    }

    pub(crate) fn input(kind: ProductKind, tlp: Tlp) -> AdvisoryInput {
        AdvisoryInput {
            stix_id: StixId::parse("report--6b1c3f0e-2a8d-4f6b-9c1e-3d5a7b9c0e21").expect("id"),
            kind,
            severity: Severity::High,
            title: "Ransomware campaign against health services".into(),
            description: "Several hospitals report encrypted file servers.".into(),
            cves: vec![],
            cvss: None,
            tlp,
            revisions: vec![Revision {
                date: ts("2024-03-01T10:00:00.000Z"),
                summary: "Initial release.".into(),
            }],
            publisher: Publisher {
                name: "CERTuy".into(),
                namespace: "https://csirt.example.gov.uy".into(),
                contact_details: Some("incidentes@example.gov.uy".into()),
                issuing_authority: None,
            },
            lang: Some("es".into()),
            references: vec![Reference::external(
                "https://csirt.example.gov.uy/portal/advisories/report--6b1c3f0e-2a8d-4f6b-9c1e-3d5a7b9c0e21",
                "This advisory on the CERTuy portal",
            )],
            exercise: false,
        }
    }

    #[test]
    fn file_names_follow_section_5_1() {
        assert_eq!(
            file_name("cisco-sa-20190513-secureboot"),
            "cisco-sa-20190513-secureboot.json"
        );
        assert_eq!(
            file_name("Example Company - 2019-YH3234"),
            "example_company_-_2019-yh3234.json"
        );
        assert_eq!(file_name("RHBA-2019:0024"), "rhba-2019_0024.json");
        // The spec's own note: one underscore for a run, and `_` itself
        // is replaced.
        assert_eq!(file_name("2022_#01-A"), "2022_01-a.json");
        assert_eq!(file_name("a+b"), "a+b.json");
        assert_eq!(file_name("Ünïcode/../x"), "_n_code_x.json");
    }

    #[test]
    fn tracking_id_is_stable_and_names_the_stix_uuid() {
        let id = StixId::parse("report--6B1C3F0E-2A8D-4F6B-9C1E-3D5A7B9C0E21").expect("id");
        assert_eq!(
            tracking_id(&id),
            "vigia-6b1c3f0e-2a8d-4f6b-9c1e-3d5a7b9c0e21"
        );
        assert_eq!(
            file_name(&tracking_id(&id)),
            "vigia-6b1c3f0e-2a8d-4f6b-9c1e-3d5a7b9c0e21.json"
        );
    }

    #[test]
    fn amber_strict_is_refused_and_nothing_is_written() {
        let err = export(&input(ProductKind::Alert, Tlp::AmberStrict)).unwrap_err();
        assert_eq!(err, ExportError::AmberStrict(AmberStrictHasNoLabel));
    }

    #[test]
    fn each_tlp_is_written_with_its_csaf_label_and_the_first_url() {
        for (tlp, label) in [
            (Tlp::Clear, "WHITE"),
            (Tlp::Green, "GREEN"),
            (Tlp::Amber, "AMBER"),
            (Tlp::Red, "RED"),
        ] {
            let doc = export(&input(ProductKind::Advisory, tlp)).expect("exports");
            let t = &doc.json()["document"]["distribution"]["tlp"];
            assert_eq!(t["label"], label);
            assert_eq!(t["url"], "https://www.first.org/tlp/");
            assert_eq!(doc.tlp().as_str(), label);
        }
        let clear = export(&input(ProductKind::Advisory, Tlp::Clear)).expect("exports");
        let text = clear.json()["document"]["distribution"]["text"]
            .as_str()
            .unwrap_or_default();
        assert!(text.contains("TLP:CLEAR"), "{text}");
    }

    #[test]
    fn category_follows_the_profiles() {
        use DocumentCategory as C;
        let cat = |f: &dyn Fn(&mut AdvisoryInput)| {
            let mut i = input(ProductKind::Alert, Tlp::Clear);
            f(&mut i);
            export(&i).expect("exports").category()
        };
        assert_eq!(cat(&|_| {}), C::InformationalAdvisory);
        assert_eq!(
            cat(&|i| i.kind = ProductKind::BestPractice),
            C::InformationalAdvisory
        );
        assert_eq!(
            cat(&|i| i.kind = ProductKind::SuspiciousActivity),
            C::SecurityIncidentResponse
        );
        assert_eq!(cat(&|i| i.kind = ProductKind::VulnerabilityNotice), C::Base);
        assert_eq!(cat(&|i| i.cves = vec!["CVE-2024-3400".into()]), C::Base);
        assert_eq!(
            cat(&|i| i.references.clear()),
            C::Base,
            "no external reference"
        );
        assert_eq!(cat(&|i| i.description = "  ".into()), C::Base, "no note");
        assert_eq!(
            cat(&|i| i.references[0].category = ReferenceCategory::SelfDocument),
            C::Base
        );
    }

    #[test]
    fn informational_advisories_have_no_vulnerabilities() {
        let mut i = input(ProductKind::Advisory, Tlp::Clear);
        let doc = export(&i).expect("exports");
        assert_eq!(doc.category(), DocumentCategory::InformationalAdvisory);
        assert!(doc.json().get("vulnerabilities").is_none());
        i.kind = ProductKind::VulnerabilityNotice;
        let doc = export(&i).expect("exports");
        assert_eq!(
            doc.json()["vulnerabilities"][0]["title"],
            "Ransomware campaign against health services"
        );
    }

    #[test]
    fn cves_are_one_vulnerability_each_and_checked() {
        let mut i = input(ProductKind::VulnerabilityNotice, Tlp::Green);
        i.cves = vec![
            "CVE-2024-3400".into(),
            "CVE-2023-46805".into(),
            "CVE-2024-3400".into(),
        ];
        let doc = export(&i).expect("exports");
        let cves: Vec<_> = doc.json()["vulnerabilities"]
            .as_array()
            .expect("array")
            .iter()
            .map(|v| v["cve"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(cves, ["CVE-2024-3400", "CVE-2023-46805"]);
        i.cves.push("cve-2024-1".into());
        assert_eq!(
            export(&i).unwrap_err(),
            ExportError::Cve("cve-2024-1".into())
        );
    }

    #[test]
    fn revisions_number_the_versions_in_date_order() {
        let mut i = input(ProductKind::Alert, Tlp::Clear);
        i.revisions.push(Revision {
            date: ts("2024-03-02T09:30:00.000Z"),
            summary: "Indicators added.".into(),
        });
        let doc = export(&i).expect("exports");
        let t = &doc.json()["document"]["tracking"];
        assert_eq!(t["version"], "2");
        assert_eq!(t["status"], "final");
        assert_eq!(t["revision_history"][0]["number"], "1");
        assert_eq!(t["revision_history"][1]["number"], "2");
        assert_eq!(t["initial_release_date"], "2024-03-01T10:00:00.000000Z");
        assert_eq!(t["current_release_date"], "2024-03-02T09:30:00.000000Z");
        assert_eq!(t["generator"]["engine"]["name"], "vigia");
        assert_eq!(doc.path(), format!("white/2024/{}", doc.file_name()));

        i.revisions.push(Revision {
            date: ts("2024-03-02T09:30:00.000Z"),
            summary: "Same instant.".into(),
        });
        assert!(matches!(
            export(&i).unwrap_err(),
            ExportError::RevisionOrder { number: 3, .. }
        ));
        i.revisions.clear();
        assert_eq!(export(&i).unwrap_err(), ExportError::NoRevision);
    }

    #[test]
    fn bad_fields_are_named() {
        let bad = |f: &dyn Fn(&mut AdvisoryInput)| {
            let mut i = input(ProductKind::Alert, Tlp::Clear);
            f(&mut i);
            export(&i).unwrap_err().to_string()
        };
        assert!(bad(&|i| i.title = " ".into()).starts_with("title"));
        assert!(bad(&|i| i.publisher.name.clear()).starts_with("publisher.name"));
        assert!(bad(&|i| i.publisher.namespace = "csirt.example".into())
            .starts_with("publisher.namespace"));
        assert!(bad(&|i| i.lang = Some("spanish".into())).starts_with("lang"));
        assert!(bad(&|i| i.references[0].url = "javascript:alert(1)".into())
            .starts_with("references.url"));
        assert!(bad(&|i| i.cvss = Some(Cvss {
            vector: "CVSS:3.1/AV:N".into(),
            base_score: 11.0
        }))
        .starts_with("cvss"));
    }

    #[test]
    fn language_tags() {
        for ok in ["en", "es", "pt-BR", "fr", "es-419", "zh-Hant-TW"] {
            assert!(is_language_tag(ok), "{ok}");
        }
        for bad in ["", "e", "english", "en-", "en-B", "en_US", "en-US-x"] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }

    #[test]
    fn the_same_input_gives_the_same_bytes() {
        let i = input(ProductKind::Mitigation, Tlp::Clear);
        assert_eq!(
            export(&i).expect("a").to_bytes(),
            export(&i).expect("b").to_bytes()
        );
        assert!(export(&i).expect("c").to_bytes().ends_with(b"}\n"));
    }

    #[test]
    fn cvss_and_exercise_are_stated_in_notes() {
        let mut i = input(ProductKind::VulnerabilityNotice, Tlp::Clear);
        i.cvss = Some(Cvss {
            vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into(),
            base_score: 9.8,
        });
        i.exercise = true;
        let doc = export(&i).expect("exports");
        let notes = doc.json()["document"]["notes"].to_string();
        assert!(notes.contains("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H (base score 9.8)"));
        assert!(notes.contains("exercise"));
        assert_eq!(doc.json()["document"]["aggregate_severity"]["text"], "High");
    }
}
