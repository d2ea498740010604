//! A CSAF 2.0 document, of any profile, read into the plain facts vigia
//! turns into a vulnerability notice (or an advisory, without CVEs).
//!
//! Only what vigia uses is read, and each of it is checked: a document
//! that lacks a field the schema requires, or has one of the wrong type,
//! gives an error naming the field by its JSON pointer. Everything else
//! (product tree, remediations, threats…) is ignored.

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use vigia_stix::{Timestamp, Tlp};
use vigia_watch::Cvss;

use crate::export::is_cve;
use crate::tlp::CsafTlp;

/// What vigia takes from a CSAF document.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedAdvisory {
    /// `/document/tracking/id`.
    pub tracking_id: String,
    pub title: String,
    /// `/document/category`, e.g. `csaf_security_advisory`.
    pub category: String,
    /// `/document/publisher/name`.
    pub publisher: String,
    /// `/document/publisher/namespace`.
    pub publisher_namespace: String,
    /// The TLP 2.0 marking of the label (WHITE is CLEAR); `None` when the
    /// document has no TLP label, and the caller decides.
    pub tlp: Option<Tlp>,
    /// Every `/vulnerabilities[]/cve`, each once, in document order.
    pub cves: Vec<String>,
    /// The first document note of category summary, else description,
    /// general or details; else such a note of the first vulnerability
    /// that has one.
    pub summary: Option<String>,
    /// The highest-scoring CVSS v3 (`cvss_v3`) of any vulnerability (the
    /// later one on a tie).
    pub cvss: Option<Cvss>,
    /// `/document/aggregate_severity/text`, as the publisher words it.
    pub aggregate_severity: Option<String>,
    /// `/document/tracking/version`.
    pub version: String,
    pub initial_release_date: Timestamp,
    pub current_release_date: Timestamp,
}

/// Why a document cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("not JSON: {0}")]
    Json(String),
    #[error("{0} is missing")]
    Missing(String),
    #[error("{path} is not {expected}")]
    Type {
        path: String,
        expected: &'static str,
    },
    #[error("/document/csaf_version is {0:?}: only CSAF 2.0 is read")]
    Version(String),
    #[error("/document/distribution/tlp/label {0:?} is not WHITE, GREEN, AMBER or RED")]
    Tlp(String),
    #[error("{path}: {value:?} is not an RFC 3339 date-time")]
    Date { path: String, value: String },
    #[error("{path}: {value:?} is not a CVE id (CVE-YYYY-NNNN…)")]
    Cve { path: String, value: String },
}

/// Reads a CSAF 2.0 document from its text.
///
/// # Errors
/// [`ImportError::Json`] when the text is not JSON; otherwise as
/// [`import_value`].
pub fn import(text: &str) -> Result<ImportedAdvisory, ImportError> {
    let value: Value = serde_json::from_str(text).map_err(|e| ImportError::Json(e.to_string()))?;
    import_value(&value)
}

/// Reads a parsed CSAF 2.0 document.
///
/// # Errors
/// - [`ImportError::Missing`] or [`ImportError::Type`]: a field vigia
///   reads and the schema requires (`/document/tracking/id`, the title,
///   the publisher's name and namespace, the category, the version, the
///   release dates) is absent or of the wrong type; the error names it.
/// - [`ImportError::Version`]: not a CSAF 2.0 document.
/// - [`ImportError::Tlp`], [`ImportError::Date`], [`ImportError::Cve`]: a
///   TLP label, a date or a CVE id is malformed.
pub fn import_value(d: &Value) -> Result<ImportedAdvisory, ImportError> {
    if !d.is_object() {
        return Err(ImportError::Type {
            path: "/".into(),
            expected: "an object",
        });
    }
    let version = string(d, "/document/csaf_version")?;
    if version != "2.0" {
        return Err(ImportError::Version(version.to_owned()));
    }
    let tlp = match d.pointer("/document/distribution/tlp") {
        None => None,
        Some(_) => {
            let label = string(d, "/document/distribution/tlp/label")?;
            let label = CsafTlp::parse(label).ok_or_else(|| ImportError::Tlp(label.to_owned()))?;
            Some(label.to_tlp())
        }
    };
    let vulns = match d.get("vulnerabilities") {
        None => &[][..],
        Some(v) => v.as_array().map(Vec::as_slice).ok_or(ImportError::Type {
            path: "/vulnerabilities".into(),
            expected: "an array",
        })?,
    };
    let mut cves = Vec::new();
    for (i, v) in vulns.iter().enumerate() {
        let path = format!("/vulnerabilities/{i}/cve");
        match v.get("cve") {
            None => {}
            Some(Value::String(c)) if is_cve(c) && cves.contains(c) => {}
            Some(Value::String(c)) if is_cve(c) => cves.push(c.clone()),
            Some(Value::String(c)) => {
                return Err(ImportError::Cve {
                    path,
                    value: c.clone(),
                })
            }
            Some(_) => {
                return Err(ImportError::Type {
                    path,
                    expected: "a string",
                })
            }
        }
    }
    let summary = match summary_of(d.pointer("/document/notes"), "/document/notes")? {
        Some(s) => Some(s),
        None => {
            let mut found = None;
            for (i, v) in vulns.iter().enumerate() {
                found = summary_of(v.get("notes"), &format!("/vulnerabilities/{i}/notes"))?;
                if found.is_some() {
                    break;
                }
            }
            found
        }
    };
    Ok(ImportedAdvisory {
        tracking_id: string(d, "/document/tracking/id")?.to_owned(),
        title: string(d, "/document/title")?.to_owned(),
        category: string(d, "/document/category")?.to_owned(),
        publisher: string(d, "/document/publisher/name")?.to_owned(),
        publisher_namespace: string(d, "/document/publisher/namespace")?.to_owned(),
        tlp,
        cves,
        summary,
        cvss: highest_cvss_v3(vulns)?,
        aggregate_severity: match d.pointer("/document/aggregate_severity") {
            None => None,
            Some(_) => Some(string(d, "/document/aggregate_severity/text")?.to_owned()),
        },
        version: string(d, "/document/tracking/version")?.to_owned(),
        initial_release_date: date(d, "/document/tracking/initial_release_date")?,
        current_release_date: date(d, "/document/tracking/current_release_date")?,
    })
}

/// The note categories that tell what a document is about, in the order
/// they are preferred.
const SUMMARY_CATEGORIES: [&str; 4] = ["summary", "description", "general", "details"];

fn summary_of(notes: Option<&Value>, path: &str) -> Result<Option<String>, ImportError> {
    let Some(notes) = notes else {
        return Ok(None);
    };
    let notes = notes.as_array().ok_or_else(|| ImportError::Type {
        path: path.to_owned(),
        expected: "an array",
    })?;
    for category in SUMMARY_CATEGORIES {
        for (i, n) in notes.iter().enumerate() {
            if n.get("category").and_then(Value::as_str) == Some(category) {
                let text = string(n, "/text").map_err(|e| relocate(e, &format!("{path}/{i}")))?;
                return Ok(Some(text.to_owned()));
            }
        }
    }
    Ok(None)
}

fn highest_cvss_v3(vulns: &[Value]) -> Result<Option<Cvss>, ImportError> {
    let mut best: Option<Cvss> = None;
    for (i, v) in vulns.iter().enumerate() {
        let Some(scores) = v.get("scores") else {
            continue;
        };
        let scores = scores.as_array().ok_or_else(|| ImportError::Type {
            path: format!("/vulnerabilities/{i}/scores"),
            expected: "an array",
        })?;
        for (j, s) in scores.iter().enumerate() {
            let Some(c) = s.get("cvss_v3") else {
                continue;
            };
            let at = format!("/vulnerabilities/{i}/scores/{j}/cvss_v3");
            let vector = string(c, "/vectorString").map_err(|e| relocate(e, &at))?;
            let score =
                c.get("baseScore")
                    .and_then(Value::as_f64)
                    .ok_or_else(|| ImportError::Type {
                        path: format!("{at}/baseScore"),
                        expected: "a number",
                    })?;
            // On a tie the later one wins, as `Iterator::max_by` would.
            if best.as_ref().is_none_or(|b| score >= b.base_score) {
                best = Some(Cvss {
                    vector: vector.to_owned(),
                    base_score: score,
                });
            }
        }
    }
    Ok(best)
}

/// A non-empty string at `pointer`.
fn string<'a>(d: &'a Value, pointer: &str) -> Result<&'a str, ImportError> {
    match d.pointer(pointer) {
        None | Some(Value::Null) => Err(ImportError::Missing(pointer.to_owned())),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(_) => Err(ImportError::Type {
            path: pointer.to_owned(),
            expected: "a non-empty string",
        }),
    }
}

fn date(d: &Value, pointer: &str) -> Result<Timestamp, ImportError> {
    let text = string(d, pointer)?;
    OffsetDateTime::parse(text, &Rfc3339)
        .map(Timestamp::from_datetime)
        .map_err(|_| ImportError::Date {
            path: pointer.to_owned(),
            value: text.to_owned(),
        })
}

/// Prefixes the path of an error found inside a nested value.
fn relocate(e: ImportError, prefix: &str) -> ImportError {
    match e {
        ImportError::Missing(p) => ImportError::Missing(format!("{prefix}{p}")),
        ImportError::Type { path, expected } => ImportError::Type {
            path: format!("{prefix}{path}"),
            expected,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn minimal() -> Value {
        json!({
            "document": {
                "category": "csaf_base",
                "csaf_version": "2.0",
                "publisher": {
                    "category": "vendor",
                    "name": "Example Company",
                    "namespace": "https://example.com"
                },
                "title": "Example advisory",
                "tracking": {
                    "current_release_date": "2024-02-01T10:00:00+01:00",
                    "id": "EX-2024-001",
                    "initial_release_date": "2024-01-31T10:00:00Z",
                    "revision_history": [
                        {"date": "2024-01-31T10:00:00Z", "number": "1", "summary": "Initial."}
                    ],
                    "status": "final",
                    "version": "1"
                }
            }
        })
    }

    #[test]
    fn a_minimal_document_has_no_tlp_cves_or_summary() {
        let a = import_value(&minimal()).expect("imports");
        assert_eq!(a.tracking_id, "EX-2024-001");
        assert_eq!(a.title, "Example advisory");
        assert_eq!(a.publisher, "Example Company");
        assert_eq!(a.tlp, None, "no label: the caller decides");
        assert!(a.cves.is_empty());
        assert_eq!(a.summary, None);
        assert_eq!(a.cvss, None);
        assert_eq!(
            a.current_release_date,
            Timestamp::parse("2024-02-01T09:00:00Z").expect("ts"),
            "offsets are read and turned into UTC"
        );
    }

    #[test]
    fn white_is_clear_and_other_labels_keep_their_names() {
        for (label, tlp) in [
            ("WHITE", Tlp::Clear),
            ("GREEN", Tlp::Green),
            ("AMBER", Tlp::Amber),
            ("RED", Tlp::Red),
        ] {
            let mut d = minimal();
            d["document"]["distribution"] = json!({"tlp": {"label": label}});
            assert_eq!(import_value(&d).expect("imports").tlp, Some(tlp));
        }
        let mut d = minimal();
        d["document"]["distribution"] = json!({"tlp": {"label": "CLEAR"}});
        assert_eq!(
            import_value(&d).unwrap_err(),
            ImportError::Tlp("CLEAR".into())
        );
        d["document"]["distribution"] = json!({"text": "Share freely."});
        assert_eq!(import_value(&d).expect("imports").tlp, None);
    }

    #[test]
    fn cves_summary_and_the_highest_cvss_are_read() {
        let mut d = minimal();
        d["document"]["notes"] = json!([
            {"category": "legal_disclaimer", "text": "As is."},
            {"category": "general", "text": "General words."},
            {"category": "summary", "text": "The summary."}
        ]);
        d["vulnerabilities"] = json!([
            {"cve": "CVE-2024-0001", "scores": [
                {"products": ["P1"], "cvss_v3": {"version": "3.1", "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", "baseScore": 5.3, "baseSeverity": "MEDIUM"}}
            ]},
            {"cve": "CVE-2024-0002", "scores": [
                {"products": ["P1"], "cvss_v2": {"version": "2.0", "vectorString": "AV:N/AC:L/Au:N/C:C/I:C/A:C", "baseScore": 10.0}},
                {"products": ["P1"], "cvss_v3": {"version": "3.1", "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "baseScore": 9.8, "baseSeverity": "CRITICAL"}}
            ]},
            {"cve": "CVE-2024-0001"},
            {"title": "No CVE"}
        ]);
        let a = import_value(&d).expect("imports");
        assert_eq!(a.cves, ["CVE-2024-0001", "CVE-2024-0002"]);
        assert_eq!(a.summary.as_deref(), Some("The summary."));
        let cvss = a.cvss.expect("cvss");
        assert_eq!(cvss.base_score, 9.8);
        assert!(cvss.vector.ends_with("C:H/I:H/A:H"));
    }

    #[test]
    fn a_vulnerability_note_is_the_summary_when_the_document_has_none() {
        let mut d = minimal();
        d["vulnerabilities"] = json!([
            {"cve": "CVE-2024-0001"},
            {"cve": "CVE-2024-0002", "notes": [{"category": "description", "text": "Buffer overflow."}]}
        ]);
        assert_eq!(
            import_value(&d).expect("imports").summary.as_deref(),
            Some("Buffer overflow.")
        );
    }

    #[test]
    fn bad_input_names_what_is_wrong() {
        let err = |f: &dyn Fn(&mut Value)| {
            let mut d = minimal();
            f(&mut d);
            import_value(&d).unwrap_err().to_string()
        };
        assert_eq!(
            err(&|d| {
                d["document"]["tracking"]
                    .as_object_mut()
                    .expect("obj")
                    .remove("id");
            }),
            "/document/tracking/id is missing"
        );
        assert_eq!(
            err(&|d| d["document"]["title"] = json!(7)),
            "/document/title is not a non-empty string"
        );
        assert!(err(&|d| d["document"]["csaf_version"] = json!("2.1")).contains("only CSAF 2.0"));
        assert_eq!(
            err(&|d| d["document"]["tracking"]["current_release_date"] = json!("yesterday")),
            "/document/tracking/current_release_date: \"yesterday\" is not an RFC 3339 date-time"
        );
        assert_eq!(
            err(&|d| d["vulnerabilities"] = json!([{"cve": "CVE-24-1"}])),
            "/vulnerabilities/0/cve: \"CVE-24-1\" is not a CVE id (CVE-YYYY-NNNN…)"
        );
        assert_eq!(
            err(&|d| d["vulnerabilities"] = json!([{"scores": [{"cvss_v3": {"baseScore": 5.0}}]}])),
            "/vulnerabilities/0/scores/0/cvss_v3/vectorString is missing"
        );
        assert_eq!(
            err(&|d| d["document"]["notes"] = json!([{"category": "summary"}])),
            "/document/notes/0/text is missing"
        );
        assert!(import("{").unwrap_err().to_string().starts_with("not JSON"));
        assert_eq!(import("[]").unwrap_err().to_string(), "/ is not an object");
    }
}
