//! Incident reports from the public (C-058, C-059): what a reporter may
//! send, the checks at the boundary, and the STIX 2.1 `incident` that
//! carries a report to the national team it is routed to.
//!
//! A report is always TLP:AMBER+STRICT addressed to one team alone: the
//! receiving team. The reporter's contact and attachment travel only in
//! that object, so they never reach anyone else. The reporter's tracking
//! reference is never stored or sent, only its SHA-256: whoever holds the
//! reference may see the report's status, and nobody else can derive it.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use vigia_stix::{Distribution, Timestamp, Tlp, DISTRIBUTION_EXTENSION_ID};

/// The property extension of a public report's `incident`.
pub const PUBLIC_REPORT_EXTENSION_ID: &str =
    "extension-definition--4d1f0b7e-6a2c-4e8b-9f13-2c7d5a9e0b61";

/// Longest description, in characters.
pub const MAX_DESCRIPTION: usize = 10_000;
/// Shortest description that can say what happened, in characters.
pub const MIN_DESCRIPTION: usize = 20;
/// Longest contact (an e-mail address or a telephone number).
pub const MAX_CONTACT: usize = 200;
/// Largest attachment, in bytes.
pub const MAX_ATTACHMENT: usize = 1024 * 1024;
/// Longest attachment file name.
const MAX_FILE_NAME: usize = 120;

/// What happened, in the words of the public (after the reference
/// incident classification used by CSIRTs, reduced to what a member of
/// the public can tell apart).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Phishing,
    Malware,
    Ransomware,
    Intrusion,
    DenialOfService,
    Fraud,
    DataLeak,
    Vulnerability,
    Other,
}

impl Category {
    pub const ALL: [Category; 9] = [
        Category::Phishing,
        Category::Malware,
        Category::Ransomware,
        Category::Intrusion,
        Category::DenialOfService,
        Category::Fraud,
        Category::DataLeak,
        Category::Vulnerability,
        Category::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Phishing => "phishing",
            Category::Malware => "malware",
            Category::Ransomware => "ransomware",
            Category::Intrusion => "intrusion",
            Category::DenialOfService => "denial-of-service",
            Category::Fraud => "fraud",
            Category::DataLeak => "data-leak",
            Category::Vulnerability => "vulnerability",
            Category::Other => "other",
        }
    }
}

impl std::str::FromStr for Category {
    type Err = ReportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| {
                ReportError::new(
                    "category",
                    format!(
                        "{s:?} is not one of {}",
                        Category::ALL.map(Category::as_str).join(", ")
                    ),
                )
            })
    }
}

/// The attachment types accepted, told by their first bytes (never by
/// the name or the type the browser claims).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttachmentType {
    #[serde(rename = "application/pdf")]
    Pdf,
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "text/plain")]
    Text,
}

impl AttachmentType {
    pub fn as_str(self) -> &'static str {
        match self {
            AttachmentType::Pdf => "application/pdf",
            AttachmentType::Png => "image/png",
            AttachmentType::Jpeg => "image/jpeg",
            AttachmentType::Text => "text/plain",
        }
    }

    /// The type of `bytes`: PDF, PNG and JPEG by their signatures; text
    /// when it is UTF-8 without control characters other than tab and
    /// line ends (a saved e-mail, a log excerpt). Anything else is `None`.
    pub fn sniff(bytes: &[u8]) -> Option<AttachmentType> {
        if bytes.starts_with(b"%PDF-") {
            Some(AttachmentType::Pdf)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(AttachmentType::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(AttachmentType::Jpeg)
        } else {
            let text = std::str::from_utf8(bytes).ok()?;
            text.chars()
                .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
                .then_some(AttachmentType::Text)
        }
    }
}

/// A file the reporter adds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// What the reporter sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportDraft {
    /// ISO 3166-1 alpha-2 code of the member state concerned.
    pub country: String,
    pub category: Category,
    pub description: String,
    /// How the team may answer, if the reporter wants an answer.
    pub contact: Option<String>,
    pub attachment: Option<Attachment>,
}

/// A bad report: the field, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ReportError {
    pub field: &'static str,
    pub reason: String,
}

impl ReportError {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}

/// A report that passed [`ReportDraft::check`], normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedReport {
    pub country: String,
    pub category: Category,
    pub description: String,
    pub contact: Option<String>,
    pub attachment: Option<(String, AttachmentType, Vec<u8>)>,
}

impl ReportDraft {
    /// Checks every field and returns the report as it will be kept:
    /// trimmed, the country upper-case, an empty contact dropped.
    ///
    /// # Errors
    /// The first bad field, named, with the limit it broke.
    pub fn check(self) -> Result<CheckedReport, ReportError> {
        let country = self.country.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(ReportError::new(
                "country",
                format!("{:?} is not a two-letter country code", self.country),
            ));
        }
        let description = self.description.trim().to_owned();
        let chars = description.chars().count();
        if chars < MIN_DESCRIPTION {
            return Err(ReportError::new(
                "description",
                format!("say what happened in at least {MIN_DESCRIPTION} characters"),
            ));
        }
        if chars > MAX_DESCRIPTION {
            return Err(ReportError::new(
                "description",
                format!("{chars} characters is more than the limit of {MAX_DESCRIPTION}"),
            ));
        }
        if description.contains('\0') {
            return Err(ReportError::new("description", "contains a NUL character"));
        }
        let contact = self
            .contact
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty());
        if let Some(c) = &contact {
            if c.chars().count() > MAX_CONTACT || c.chars().any(char::is_control) {
                return Err(ReportError::new(
                    "contact",
                    format!("give one e-mail address or telephone number of at most {MAX_CONTACT} characters on one line"),
                ));
            }
        }
        let attachment = match self.attachment {
            None => None,
            Some(a) if a.bytes.is_empty() && a.file_name.trim().is_empty() => None,
            Some(a) => Some(check_attachment(a)?),
        };
        Ok(CheckedReport {
            country,
            category: self.category,
            description,
            contact,
            attachment,
        })
    }
}

fn check_attachment(a: Attachment) -> Result<(String, AttachmentType, Vec<u8>), ReportError> {
    if a.bytes.is_empty() {
        return Err(ReportError::new("attachment", "the file is empty"));
    }
    if a.bytes.len() > MAX_ATTACHMENT {
        return Err(ReportError::new(
            "attachment",
            format!(
                "{} bytes is more than the limit of {MAX_ATTACHMENT} bytes",
                a.bytes.len()
            ),
        ));
    }
    let kind = AttachmentType::sniff(&a.bytes).ok_or_else(|| {
        ReportError::new(
            "attachment",
            "only PDF, PNG, JPEG and plain-text files are accepted",
        )
    })?;
    // Keep the last path segment, printable, and short.
    let name: String = a
        .file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FILE_NAME)
        .collect();
    let name = if name.trim().is_empty() {
        "attachment".to_owned()
    } else {
        name
    };
    Ok((name, kind, a.bytes))
}

/// The tracking reference shown to the reporter, from 15 random bytes:
/// `VR-` and 24 characters of Crockford base32 in groups of four.
pub fn tracking_reference(random: [u8; 15]) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut bits: u128 = 0;
    for b in random {
        bits = (bits << 8) | u128::from(b);
    }
    let chars: Vec<char> = (0..24)
        .rev()
        .map(|i| ALPHABET[((bits >> (i * 5)) & 31) as usize] as char)
        .collect();
    let groups: Vec<String> = chars.chunks(4).map(|c| c.iter().collect()).collect();
    format!("VR-{}", groups.join("-"))
}

/// The SHA-256 (hex) under which a reference is kept. Case, spaces and
/// the look-alike letters Crockford base32 folds (O→0, I/L→1) do not
/// matter, so a reference read over the telephone still matches.
pub fn reference_hash(reference: &str) -> String {
    let folded: String = reference
        .trim()
        .to_ascii_uppercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect();
    hex::encode(Sha256::digest(folded.as_bytes()))
}

/// The extension a report's `incident` carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportExtension {
    #[serde(default)]
    pub extension_type: Option<String>,
    pub country: String,
    pub category: Category,
    pub reference_sha256: String,
    pub received_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<ReportAttachment>,
}

/// An attachment inside the object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportAttachment {
    pub file_name: String,
    pub media_type: AttachmentType,
    /// Standard base64.
    pub content: String,
}

impl CheckedReport {
    /// The STIX 2.1 `incident` that carries the report: created by the
    /// team whose portal received it, TLP:AMBER+STRICT, addressed to
    /// `receiving_team` alone.
    pub fn to_stix(
        &self,
        uuid: &str,
        reference_sha256: &str,
        received_by: &str,
        receiving_team: &str,
        now: Timestamp,
    ) -> Value {
        use base64::Engine as _;
        let distribution = Distribution {
            recipient_teams: vec![receiving_team.to_owned()],
            ..Distribution::default()
        };
        let ext = ReportExtension {
            extension_type: Some("property-extension".into()),
            country: self.country.clone(),
            category: self.category,
            reference_sha256: reference_sha256.to_owned(),
            received_at: now,
            contact: self.contact.clone(),
            attachment: self
                .attachment
                .as_ref()
                .map(|(name, kind, bytes)| ReportAttachment {
                    file_name: name.clone(),
                    media_type: *kind,
                    content: base64::engine::general_purpose::STANDARD.encode(bytes),
                }),
        };
        json!({
            "type": "incident",
            "spec_version": "2.1",
            "id": format!("incident--{uuid}"),
            "created": now.to_millis_string(),
            "modified": now.to_millis_string(),
            "created_by_ref": received_by,
            "name": format!("Public report: {} ({})", self.category.as_str(), self.country),
            "description": self.description,
            "object_marking_refs": [Tlp::AmberStrict.marking_id()],
            "extensions": {
                DISTRIBUTION_EXTENSION_ID: distribution.to_extension(),
                PUBLIC_REPORT_EXTENSION_ID: ext,
            }
        })
    }
}

/// A public report read back from its object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportInfo {
    pub id: String,
    pub description: String,
    /// The teams it is addressed to (one).
    pub recipients: Vec<String>,
    /// The team whose portal received it.
    pub received_by: String,
    pub ext: ReportExtension,
}

impl ReportInfo {
    /// Reads a public report; `None` for any other object.
    pub fn read(object: &Value) -> Option<Self> {
        if object.get("type")?.as_str()? != "incident" {
            return None;
        }
        let exts = object.get("extensions")?;
        let ext: ReportExtension =
            serde_json::from_value(exts.get(PUBLIC_REPORT_EXTENSION_ID)?.clone()).ok()?;
        let recipients = exts
            .get(DISTRIBUTION_EXTENSION_ID)
            .and_then(|d| serde_json::from_value::<Distribution>(d.clone()).ok())
            .map(|d| d.recipient_teams)
            .unwrap_or_default();
        Some(Self {
            id: object.get("id")?.as_str()?.to_owned(),
            description: object
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            recipients,
            received_by: object
                .get("created_by_ref")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            ext,
        })
    }
}

/// Where a report stands, as the reporter and the receiving team see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReportStatus {
    /// Arrived; nobody has looked yet.
    Received,
    /// An analyst is assessing it.
    InTriage,
    /// It is part of an incident the team handles.
    Linked,
    /// Nothing more will be done.
    Closed,
}

impl ReportStatus {
    pub const ALL: [ReportStatus; 4] = [
        ReportStatus::Received,
        ReportStatus::InTriage,
        ReportStatus::Linked,
        ReportStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Received => "received",
            ReportStatus::InTriage => "in-triage",
            ReportStatus::Linked => "linked",
            ReportStatus::Closed => "closed",
        }
    }
}

impl std::str::FromStr for ReportStatus {
    type Err = ReportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReportStatus::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| {
                ReportError::new(
                    "status",
                    format!(
                        "{s:?} is not one of {}",
                        ReportStatus::ALL.map(ReportStatus::as_str).join(", ")
                    ),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn draft() -> ReportDraft {
        ReportDraft {
            country: " cr ".into(),
            category: Category::Phishing,
            description: "A message asking for my bank password arrived.".into(),
            contact: Some("  ".into()),
            attachment: None,
        }
    }

    #[test]
    fn a_good_report_is_normalised() {
        let r = draft().check().expect("good");
        assert_eq!(r.country, "CR");
        assert_eq!(r.contact, None);
    }

    #[test]
    fn each_bad_field_is_named() {
        let bad = |f: fn(&mut ReportDraft)| {
            let mut d = draft();
            f(&mut d);
            d.check().unwrap_err().field
        };
        assert_eq!(bad(|d| d.country = "Costa Rica".into()), "country");
        assert_eq!(bad(|d| d.description = "help".into()), "description");
        assert_eq!(
            bad(|d| d.description = "x".repeat(MAX_DESCRIPTION + 1)),
            "description"
        );
        assert_eq!(bad(|d| d.contact = Some("a\nb".into())), "contact");
        assert_eq!(
            bad(|d| d.attachment = Some(Attachment {
                file_name: "a.exe".into(),
                bytes: b"MZ\x90\x00\x03".to_vec()
            })),
            "attachment"
        );
        assert_eq!(
            bad(|d| d.attachment = Some(Attachment {
                file_name: "big.txt".into(),
                bytes: vec![b'a'; MAX_ATTACHMENT + 1]
            })),
            "attachment"
        );
        assert!("worm"
            .parse::<Category>()
            .unwrap_err()
            .reason
            .contains("phishing"));
    }

    #[test]
    fn attachment_types_are_told_by_their_bytes() {
        assert_eq!(
            AttachmentType::sniff(b"%PDF-1.7\n"),
            Some(AttachmentType::Pdf)
        );
        assert_eq!(
            AttachmentType::sniff(b"\x89PNG\r\n\x1a\n...."),
            Some(AttachmentType::Png)
        );
        assert_eq!(
            AttachmentType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(AttachmentType::Jpeg)
        );
        assert_eq!(
            AttachmentType::sniff(b"Received: from x\r\n\tby y\n"),
            Some(AttachmentType::Text)
        );
        assert_eq!(AttachmentType::sniff(b"MZ\x90\x00"), None);
        assert_eq!(AttachmentType::sniff(b"PK\x03\x04"), None);
        let mut d = draft();
        d.attachment = Some(Attachment {
            file_name: "../../etc/evil\u{7}.txt".into(),
            bytes: b"log line\n".to_vec(),
        });
        let (name, kind, _) = d.check().unwrap().attachment.unwrap();
        assert_eq!((name.as_str(), kind), ("evil.txt", AttachmentType::Text));
    }

    #[test]
    fn a_report_travels_as_amber_strict_to_its_team_alone_and_reads_back() {
        let mut d = draft();
        d.contact = Some("ana@example.org".into());
        d.attachment = Some(Attachment {
            file_name: "mail.txt".into(),
            bytes: b"From: x\n".to_vec(),
        });
        let r = d.check().unwrap();
        let now = Timestamp::parse("2026-11-24T10:00:00Z").unwrap();
        let v = r.to_stix(
            "2f1d9b1e-0c57-4c2a-9c39-1c0e5a7e4b10",
            "ab",
            "identity--a",
            "identity--b",
            now,
        );
        assert_eq!(v["object_marking_refs"][0], Tlp::AmberStrict.marking_id());
        let info = ReportInfo::read(&v).expect("reads");
        assert_eq!(info.recipients, ["identity--b"]);
        assert_eq!(info.received_by, "identity--a");
        assert_eq!(info.ext.contact.as_deref(), Some("ana@example.org"));
        assert_eq!(info.ext.attachment.unwrap().content, "RnJvbTogeAo=");
        assert!(ReportInfo::read(&json!({"type": "incident", "id": "incident--x"})).is_none());
    }

    #[test]
    fn a_reference_survives_being_read_aloud() {
        let r = tracking_reference([7; 15]);
        assert!(r.starts_with("VR-") && r.len() == 3 + 24 + 5, "{r}");
        let spoken = r
            .to_lowercase()
            .replace('0', "o")
            .replace('1', "l")
            .replace('-', " - ");
        assert_eq!(reference_hash(&spoken), reference_hash(&r));
        assert_ne!(
            reference_hash(&tracking_reference([8; 15])),
            reference_hash(&r)
        );
    }

    proptest! {
        #[test]
        fn checking_never_panics_and_accepted_reports_keep_the_limits(
            country in ".{0,4}", description in ".{0,300}", contact in proptest::option::of(".{0,250}"),
            bytes in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let d = ReportDraft {
                country, category: Category::Other, description, contact,
                attachment: Some(Attachment { file_name: "f".into(), bytes }),
            };
            if let Ok(r) = d.check() {
                prop_assert_eq!(r.country.len(), 2);
                prop_assert!(r.description.chars().count() >= MIN_DESCRIPTION);
                prop_assert!(r.contact.is_none_or(|c| c.chars().count() <= MAX_CONTACT));
            }
        }
    }
}
