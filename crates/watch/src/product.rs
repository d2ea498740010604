//! Products: the kinds of notice the seeds name, mapped onto STIX 2.1.
//!
//! | kind                  | product object              | with                                   |
//! |-----------------------|-----------------------------|----------------------------------------|
//! | `alert`               | `report`, `report_types: ["alert"]` | related objects as `object_refs` |
//! | `advisory`            | `report`, `["advisory"]`    |                                        |
//! | `vulnerability-notice`| `report`, `["vulnerability"]` | one `vulnerability` per CVE (external reference `cve`) |
//! | `suspicious-activity` | `report`, `["suspicious-activity"]` | findings of other teams: `note`s on it |
//! | `mitigation`          | `course-of-action`          | a `mitigates` `relationship` per target |
//! | `lessons-learned`     | `report`, `["lessons-learned"]` |                                    |
//! | `best-practice`       | `report`, `["best-practice"]` |                                      |
//!
//! Every product object carries vigia's product extension (kind, severity,
//! CVSS, embargo end, what it supersedes) beside the distribution
//! extension; both are covered by the originating node's seal. A `report`
//! must reference at least one object, so one that has nothing else to
//! reference names its author's identity.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use vigia_policy::TeamId;
use vigia_stix::{Distribution, StixId, Timestamp, Tlp, DISTRIBUTION_EXTENSION_ID};

pub const PRODUCT_EXTENSION_ID: &str = "extension-definition--2f6b8c1e-5d7a-4e39-9b0c-7a4d1e6f3c58";

const MAX_TITLE: usize = 300;
const MAX_DESCRIPTION: usize = 200_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProductKind {
    Alert,
    Advisory,
    VulnerabilityNotice,
    SuspiciousActivity,
    Mitigation,
    LessonsLearned,
    BestPractice,
}

impl ProductKind {
    pub const ALL: [ProductKind; 7] = [
        ProductKind::Alert,
        ProductKind::Advisory,
        ProductKind::VulnerabilityNotice,
        ProductKind::SuspiciousActivity,
        ProductKind::Mitigation,
        ProductKind::LessonsLearned,
        ProductKind::BestPractice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProductKind::Alert => "alert",
            ProductKind::Advisory => "advisory",
            ProductKind::VulnerabilityNotice => "vulnerability-notice",
            ProductKind::SuspiciousActivity => "suspicious-activity",
            ProductKind::Mitigation => "mitigation",
            ProductKind::LessonsLearned => "lessons-learned",
            ProductKind::BestPractice => "best-practice",
        }
    }

    fn report_type(self) -> &'static str {
        match self {
            ProductKind::VulnerabilityNotice => "vulnerability",
            other => other.as_str(),
        }
    }

    /// Human words for messages.
    pub fn label(self) -> &'static str {
        match self {
            ProductKind::Alert => "Alert",
            ProductKind::Advisory => "Advisory",
            ProductKind::VulnerabilityNotice => "Vulnerability notice",
            ProductKind::SuspiciousActivity => "Suspicious-activity warning",
            ProductKind::Mitigation => "Mitigation guidance",
            ProductKind::LessonsLearned => "Lessons learned",
            ProductKind::BestPractice => "Best practice",
        }
    }
}

impl std::str::FromStr for ProductKind {
    type Err = ProductError;
    fn from_str(s: &str) -> Result<Self, ProductError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| ProductError::UnknownKind(s.to_owned()))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = ProductError;
    fn from_str(s: &str) -> Result<Self, ProductError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| ProductError::UnknownSeverity(s.to_owned()))
    }
}

/// A CVSS score as the originator states it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cvss {
    /// e.g. `CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`
    pub vector: String,
    pub base_score: f64,
}

/// vigia's product extension, as it travels inside the product object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductExtension {
    #[serde(default)]
    pub extension_type: Option<String>,
    pub kind: ProductKind,
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cves: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<Cvss>,
    /// Until when the audience is the select one; it then widens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embargo_until: Option<Timestamp>,
    /// The product this one replaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<String>,
    /// A drill or exercise, not a real event.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exercise: bool,
}

/// What an analyst fills in to create a product.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductDraft {
    pub kind: ProductKind,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub severity: Severity,
    pub tlp: Tlp,
    /// Recipient teams, persons and sharing groups; empty means everyone
    /// the marking allows (the network, for CLEAR and GREEN).
    #[serde(default)]
    pub audience: Distribution,
    #[serde(default)]
    pub embargo: Option<EmbargoDraft>,
    #[serde(default)]
    pub cves: Vec<String>,
    #[serde(default)]
    pub cvss: Option<Cvss>,
    /// Mitigation guidance: what it mitigates (vulnerabilities, malware,
    /// attack patterns, indicators…).
    #[serde(default)]
    pub mitigates: Vec<String>,
    /// Other objects the product is about (indicators, observed data…).
    #[serde(default)]
    pub related: Vec<String>,
    #[serde(default)]
    pub supersedes: Option<String>,
    #[serde(default)]
    pub exercise: bool,
}

/// Advance notification: the draft's audience first, `widen_to` at `until`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EmbargoDraft {
    pub until: Timestamp,
    #[serde(default)]
    pub widen_to: Distribution,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProductError {
    #[error("unknown product kind {0:?}; use one of alert, advisory, vulnerability-notice, suspicious-activity, mitigation, lessons-learned, best-practice")]
    UnknownKind(String),
    #[error("unknown severity {0:?}; use one of critical, high, medium, low, info")]
    UnknownSeverity(String),
    #[error("title: {0}")]
    Title(&'static str),
    #[error("description: longer than {MAX_DESCRIPTION} characters")]
    Description,
    #[error("cves: {0:?} is not a CVE id (CVE-YYYY-NNNN…)")]
    Cve(String),
    #[error("cvss: {0}")]
    Cvss(String),
    #[error("a vulnerability notice names at least one CVE in `cves`")]
    NoCve,
    #[error("mitigation guidance names what it mitigates in `mitigates`")]
    NothingMitigated,
    #[error("{field}: {value:?} is not a STIX id")]
    Reference { field: &'static str, value: String },
    #[error("embargo.until must be in the future (it is {0})")]
    EmbargoPast(Timestamp),
    #[error("embargo.widen_to must keep every recipient of the select audience ({0} is missing) and add someone")]
    EmbargoNarrows(String),
    #[error("the object is not a vigia product")]
    NotAProduct,
}

/// The UUIDs a product's objects get. The domain draws no random
/// numbers: the caller does.
pub struct ProductIds {
    pub product: String,
    /// One per CVE (vulnerability notices) or per target (mitigations).
    pub extra: Vec<String>,
}

impl ProductDraft {
    /// Checks everything an analyst could get wrong, naming the field.
    pub fn validate(&self, now: Timestamp) -> Result<(), ProductError> {
        let title = self.title.trim();
        if title.is_empty() {
            return Err(ProductError::Title("empty"));
        }
        if title.chars().count() > MAX_TITLE {
            return Err(ProductError::Title("longer than 300 characters"));
        }
        if self.description.chars().count() > MAX_DESCRIPTION {
            return Err(ProductError::Description);
        }
        for cve in &self.cves {
            if !is_cve(cve) {
                return Err(ProductError::Cve(cve.clone()));
            }
        }
        if self.kind == ProductKind::VulnerabilityNotice && self.cves.is_empty() {
            return Err(ProductError::NoCve);
        }
        if let Some(c) = &self.cvss {
            check_cvss(c)?;
        }
        if self.kind == ProductKind::Mitigation && self.mitigates.is_empty() {
            return Err(ProductError::NothingMitigated);
        }
        for (field, list) in [("mitigates", &self.mitigates), ("related", &self.related)] {
            for r in list {
                check_ref(field, r)?;
            }
        }
        if let Some(s) = &self.supersedes {
            check_ref("supersedes", s)?;
        }
        if let Some(e) = &self.embargo {
            if e.until <= now {
                return Err(ProductError::EmbargoPast(e.until));
            }
            check_widens(&self.audience, &e.widen_to)?;
        }
        Ok(())
    }

    fn extension(&self) -> ProductExtension {
        ProductExtension {
            extension_type: Some("property-extension".into()),
            kind: self.kind,
            severity: self.severity,
            cves: self.cves.clone(),
            cvss: self.cvss.clone(),
            embargo_until: self.embargo.as_ref().map(|e| e.until),
            supersedes: self.supersedes.clone(),
            exercise: self.exercise,
        }
    }

    /// The STIX objects of the product, product object first, each with
    /// the marking and the (select, if embargoed) audience. `ids.extra`
    /// must hold one id per CVE (vulnerability notice) or per mitigated
    /// target (mitigation); the draft must have been validated.
    pub fn to_stix(&self, ids: &ProductIds, author: &TeamId, now: Timestamp) -> Vec<Value> {
        let common = |object_type: &str, id: &str| {
            let mut o = Map::new();
            o.insert("type".into(), json!(object_type));
            o.insert("spec_version".into(), json!("2.1"));
            o.insert("id".into(), json!(format!("{object_type}--{id}")));
            o.insert("created".into(), json!(now.to_millis_string()));
            o.insert("modified".into(), json!(now.to_millis_string()));
            o.insert("created_by_ref".into(), json!(author.as_str()));
            o.insert("object_marking_refs".into(), json!([self.tlp.marking_id()]));
            o
        };
        let distribution = || json!({ DISTRIBUTION_EXTENSION_ID: self.audience.to_extension() });
        let mut extra = Vec::new();
        let mut refs: Vec<String> = self.related.clone();
        let mut main = match self.kind {
            ProductKind::Mitigation => {
                let mut coa = common("course-of-action", &ids.product);
                coa.insert("name".into(), json!(self.title.trim()));
                if !self.description.is_empty() {
                    coa.insert("description".into(), json!(self.description));
                }
                let coa_id = format!("course-of-action--{}", ids.product);
                for (target, id) in self.mitigates.iter().zip(&ids.extra) {
                    let mut r = common("relationship", id);
                    r.insert("relationship_type".into(), json!("mitigates"));
                    r.insert("source_ref".into(), json!(coa_id));
                    r.insert("target_ref".into(), json!(target));
                    r.insert("extensions".into(), distribution());
                    extra.push(Value::Object(r));
                }
                coa
            }
            kind => {
                if kind == ProductKind::VulnerabilityNotice {
                    for (cve, id) in self.cves.iter().zip(&ids.extra) {
                        let mut v = common("vulnerability", id);
                        v.insert("name".into(), json!(cve));
                        v.insert(
                            "external_references".into(),
                            json!([{ "source_name": "cve", "external_id": cve }]),
                        );
                        v.insert("extensions".into(), distribution());
                        refs.push(format!("vulnerability--{id}"));
                        extra.push(Value::Object(v));
                    }
                }
                if refs.is_empty() {
                    refs.push(author.as_str().to_owned());
                }
                let mut report = common("report", &ids.product);
                report.insert("name".into(), json!(self.title.trim()));
                if !self.description.is_empty() {
                    report.insert("description".into(), json!(self.description));
                }
                report.insert("report_types".into(), json!([kind.report_type()]));
                report.insert("published".into(), json!(now.to_millis_string()));
                report.insert("object_refs".into(), json!(refs));
                report
            }
        };
        main.insert(
            "extensions".into(),
            json!({
                DISTRIBUTION_EXTENSION_ID: self.audience.to_extension(),
                PRODUCT_EXTENSION_ID: self.extension(),
            }),
        );
        let mut all = vec![Value::Object(main)];
        all.extend(extra);
        all
    }
}

fn is_cve(s: &str) -> bool {
    let mut parts = s.splitn(3, '-');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some("CVE"), Some(year), Some(seq))
            if year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit())
            && seq.len() >= 4 && seq.len() <= 19 && seq.bytes().all(|b| b.is_ascii_digit())
    )
}

fn check_cvss(c: &Cvss) -> Result<(), ProductError> {
    if !(0.0..=10.0).contains(&c.base_score) || c.base_score.is_nan() {
        return Err(ProductError::Cvss(format!(
            "base_score {} is outside 0.0–10.0",
            c.base_score
        )));
    }
    let known = ["CVSS:3.0/", "CVSS:3.1/", "CVSS:4.0/"];
    if !known.iter().any(|p| c.vector.starts_with(p)) || c.vector.len() > 200 {
        return Err(ProductError::Cvss(format!(
            "vector {:?} does not start with CVSS:3.0/, CVSS:3.1/ or CVSS:4.0/",
            c.vector
        )));
    }
    Ok(())
}

fn check_ref(field: &'static str, value: &str) -> Result<(), ProductError> {
    StixId::parse(value)
        .map(|_| ())
        .map_err(|_| ProductError::Reference {
            field,
            value: value.to_owned(),
        })
}

/// The wider audience keeps everyone of the select one and adds someone;
/// an empty wider audience means everyone the marking allows.
fn check_widens(select: &Distribution, wider: &Distribution) -> Result<(), ProductError> {
    if wider.is_empty() {
        return if select.is_empty() {
            Err(ProductError::EmbargoNarrows("nobody".into()))
        } else {
            Ok(())
        };
    }
    let missing = select
        .recipient_teams
        .iter()
        .find(|t| !wider.recipient_teams.contains(t))
        .or_else(|| {
            select
                .recipient_users
                .iter()
                .find(|u| !wider.recipient_users.contains(u))
        })
        .or_else(|| {
            select
                .sharing_groups
                .iter()
                .find(|g| !wider.sharing_groups.contains(g))
        });
    if let Some(m) = missing {
        return Err(ProductError::EmbargoNarrows(m.clone()));
    }
    if wider.recipient_teams.len() + wider.recipient_users.len() + wider.sharing_groups.len()
        == select.recipient_teams.len() + select.recipient_users.len() + select.sharing_groups.len()
    {
        return Err(ProductError::EmbargoNarrows("nobody".into()));
    }
    Ok(())
}

/// A product as read back from its object.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProductInfo {
    pub id: String,
    pub kind: ProductKind,
    pub severity: Severity,
    pub title: String,
    pub description: String,
    pub cves: Vec<String>,
    pub cvss: Option<Cvss>,
    pub embargo_until: Option<Timestamp>,
    pub supersedes: Option<String>,
    pub exercise: bool,
    /// `modified` of this version.
    pub version: Option<Timestamp>,
}

impl ProductInfo {
    /// Reads the product extension of an object; `None` for any object
    /// that is not a product.
    pub fn read(object: &Value) -> Option<Self> {
        let ext = object.get("extensions")?.get(PRODUCT_EXTENSION_ID)?;
        let ext: ProductExtension = serde_json::from_value(ext.clone()).ok()?;
        let text = |k: &str| {
            object
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Some(Self {
            id: text("id"),
            kind: ext.kind,
            severity: ext.severity,
            title: text("name"),
            description: text("description"),
            cves: ext.cves,
            cvss: ext.cvss,
            embargo_until: ext.embargo_until,
            supersedes: ext.supersedes,
            exercise: ext.exercise,
            version: object
                .get("modified")
                .and_then(Value::as_str)
                .and_then(|t| Timestamp::parse(t).ok()),
        })
    }
}

/// What may change in a new version of a product.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductRevision {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub severity: Option<Severity>,
    /// A new audience (only the originator revises; the marking stays).
    #[serde(default)]
    pub audience: Option<Distribution>,
}

/// The next version of a product object: `modified` set to `now` (later
/// than the current version), the changes applied and the old seal
/// removed, since the node seals the new version when it publishes it.
pub fn revise(
    object: &Value,
    change: &ProductRevision,
    now: Timestamp,
) -> Result<Value, ProductError> {
    let info = ProductInfo::read(object).ok_or(ProductError::NotAProduct)?;
    let mut next = object.clone();
    let o = next.as_object_mut().ok_or(ProductError::NotAProduct)?;
    let modified = match info.version {
        Some(v) if v >= now => Timestamp::from_unix_micros(v.unix_micros() + 1_000).unwrap_or(now),
        _ => now,
    };
    o.insert("modified".into(), json!(modified.to_millis_string()));
    if let Some(t) = &change.title {
        if t.trim().is_empty() {
            return Err(ProductError::Title("empty"));
        }
        o.insert("name".into(), json!(t.trim()));
    }
    if let Some(d) = &change.description {
        if d.chars().count() > MAX_DESCRIPTION {
            return Err(ProductError::Description);
        }
        o.insert("description".into(), json!(d));
    }
    let ext = o
        .get_mut("extensions")
        .and_then(Value::as_object_mut)
        .ok_or(ProductError::NotAProduct)?;
    ext.remove(vigia_stix::SEAL_EXTENSION_ID);
    if let Some(s) = change.severity {
        if let Some(p) = ext
            .get_mut(PRODUCT_EXTENSION_ID)
            .and_then(Value::as_object_mut)
        {
            p.insert("severity".into(), json!(s));
        }
    }
    if let Some(a) = &change.audience {
        ext.insert(DISTRIBUTION_EXTENSION_ID.into(), a.to_extension());
        if let Some(p) = ext
            .get_mut(PRODUCT_EXTENSION_ID)
            .and_then(Value::as_object_mut)
        {
            p.remove("embargo_until");
        }
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team() -> TeamId {
        TeamId::parse("identity--0b9a4c5e-1111-4a1a-8a1a-000000000001").unwrap()
    }

    fn now() -> Timestamp {
        Timestamp::parse("2026-11-23T10:00:00Z").unwrap()
    }

    fn draft(kind: ProductKind) -> ProductDraft {
        ProductDraft {
            kind,
            title: "Ransomware against hospitals".into(),
            description: "Details".into(),
            severity: Severity::Critical,
            tlp: Tlp::Amber,
            audience: Distribution::default(),
            embargo: None,
            cves: vec![],
            cvss: None,
            mitigates: vec![],
            related: vec![],
            supersedes: None,
            exercise: false,
        }
    }

    fn ids(n: usize) -> ProductIds {
        ProductIds {
            product: "6a1f0c4e-2b7d-4c11-9e5a-3f8b2d7c1a90".into(),
            extra: (0..n)
                .map(|i| format!("6a1f0c4e-2b7d-4c11-9e5a-3f8b2d7c1a{i:02}"))
                .collect(),
        }
    }

    #[test]
    fn an_alert_is_a_report_that_names_its_author_when_it_references_nothing() {
        let d = draft(ProductKind::Alert);
        d.validate(now()).unwrap();
        let objects = d.to_stix(&ids(0), &team(), now());
        assert_eq!(objects.len(), 1);
        let r = &objects[0];
        assert_eq!(r["type"], "report");
        assert_eq!(r["report_types"], json!(["alert"]));
        assert_eq!(r["object_refs"], json!([team().as_str()]));
        let info = ProductInfo::read(r).unwrap();
        assert_eq!(info.kind, ProductKind::Alert);
        assert_eq!(info.severity, Severity::Critical);
        assert_eq!(info.title, "Ransomware against hospitals");
    }

    #[test]
    fn a_vulnerability_notice_carries_one_vulnerability_per_cve() {
        let mut d = draft(ProductKind::VulnerabilityNotice);
        assert_eq!(d.validate(now()), Err(ProductError::NoCve));
        d.cves = vec!["CVE-2026-12345".into(), "CVE-2025-0001".into()];
        d.cvss = Some(Cvss {
            vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into(),
            base_score: 9.8,
        });
        d.validate(now()).unwrap();
        let objects = d.to_stix(&ids(2), &team(), now());
        assert_eq!(objects.len(), 3);
        assert_eq!(objects[1]["type"], "vulnerability");
        assert_eq!(
            objects[1]["external_references"][0]["external_id"],
            "CVE-2026-12345"
        );
        assert_eq!(objects[0]["object_refs"].as_array().unwrap().len(), 2);
        assert_eq!(
            ProductInfo::read(&objects[0])
                .unwrap()
                .cvss
                .unwrap()
                .base_score,
            9.8
        );
    }

    #[test]
    fn mitigation_guidance_is_a_course_of_action_with_mitigates_relationships() {
        let mut d = draft(ProductKind::Mitigation);
        assert_eq!(d.validate(now()), Err(ProductError::NothingMitigated));
        d.mitigates = vec!["vulnerability--6a1f0c4e-2b7d-4c11-9e5a-3f8b2d7c1a77".into()];
        d.validate(now()).unwrap();
        let objects = d.to_stix(&ids(1), &team(), now());
        assert_eq!(objects[0]["type"], "course-of-action");
        assert_eq!(objects[1]["relationship_type"], "mitigates");
        assert_eq!(objects[1]["source_ref"], objects[0]["id"]);
    }

    #[test]
    fn bad_fields_are_named() {
        let mut d = draft(ProductKind::Advisory);
        d.title = "  ".into();
        assert_eq!(d.validate(now()), Err(ProductError::Title("empty")));
        let mut d = draft(ProductKind::Advisory);
        d.cves = vec!["CVE-26-1".into()];
        assert!(matches!(d.validate(now()), Err(ProductError::Cve(_))));
        let mut d = draft(ProductKind::Advisory);
        d.cvss = Some(Cvss {
            vector: "AV:N".into(),
            base_score: 11.0,
        });
        assert!(matches!(d.validate(now()), Err(ProductError::Cvss(_))));
        let mut d = draft(ProductKind::Advisory);
        d.related = vec!["not-an-id".into()];
        assert!(matches!(
            d.validate(now()),
            Err(ProductError::Reference {
                field: "related",
                ..
            })
        ));
        assert_eq!(
            "bulletin".parse::<ProductKind>(),
            Err(ProductError::UnknownKind("bulletin".into()))
        );
    }

    #[test]
    fn an_embargo_must_end_in_the_future_and_only_widen() {
        let select = Distribution {
            recipient_teams: vec!["identity--0b9a4c5e-1111-4a1a-8a1a-000000000002".into()],
            ..Distribution::default()
        };
        let mut d = draft(ProductKind::Advisory);
        d.audience = select.clone();
        d.embargo = Some(EmbargoDraft {
            until: Timestamp::parse("2026-11-23T09:00:00Z").unwrap(),
            widen_to: Distribution::default(),
        });
        assert!(matches!(
            d.validate(now()),
            Err(ProductError::EmbargoPast(_))
        ));
        let later = Timestamp::parse("2026-11-24T09:00:00Z").unwrap();
        d.embargo = Some(EmbargoDraft {
            until: later,
            widen_to: select.clone(),
        });
        assert!(matches!(
            d.validate(now()),
            Err(ProductError::EmbargoNarrows(_))
        ));
        d.embargo = Some(EmbargoDraft {
            until: later,
            widen_to: Distribution {
                sharing_groups: vec!["caribbean".into()],
                ..Distribution::default()
            },
        });
        assert!(matches!(
            d.validate(now()),
            Err(ProductError::EmbargoNarrows(_))
        ));
        d.embargo = Some(EmbargoDraft {
            until: later,
            widen_to: Distribution::default(),
        });
        d.validate(now()).unwrap();
        let o = &d.to_stix(&ids(0), &team(), now())[0];
        assert_eq!(ProductInfo::read(o).unwrap().embargo_until, Some(later));
    }

    #[test]
    fn a_revision_is_a_later_version_without_the_old_seal() {
        let d = draft(ProductKind::Alert);
        let mut o = d.to_stix(&ids(0), &team(), now()).remove(0);
        o["extensions"][vigia_stix::SEAL_EXTENSION_ID] = json!({"signature": "x"});
        let next = revise(
            &o,
            &ProductRevision {
                severity: Some(Severity::High),
                ..ProductRevision::default()
            },
            now(),
        )
        .unwrap();
        let info = ProductInfo::read(&next).unwrap();
        assert_eq!(info.severity, Severity::High);
        assert!(info.version.unwrap() > now());
        assert!(next["extensions"]
            .get(vigia_stix::SEAL_EXTENSION_ID)
            .is_none());
        assert_eq!(
            revise(
                &json!({"type": "report"}),
                &ProductRevision::default(),
                now()
            ),
            Err(ProductError::NotAProduct)
        );
    }
}
