//! Receipts: how a recipient team tells the originator that a product
//! reached it, was seen, was acknowledged and was acted on.
//!
//! A receipt is a STIX 2.1 `note` on the product (`object_refs`), from the
//! recipient team (`created_by_ref`), addressed to the originating team
//! alone, with vigia's receipt extension naming the state. It travels like
//! any object: sealed by the recipient's node and checked at every hop, so
//! the originator knows which node vouches for it.
//!
//! Its marking follows the product's: GREEN for CLEAR and GREEN products
//! (a receipt is not for the public), the product's own for AMBER, and
//! AMBER+STRICT for AMBER+STRICT and RED, whose receipt names a team, not
//! persons.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use vigia_policy::TeamId;
use vigia_stix::{Distribution, Timestamp, Tlp, DISTRIBUTION_EXTENSION_ID};

pub const RECEIPT_EXTENSION_ID: &str = "extension-definition--9c3e7a52-81d4-4b6f-a0e2-5f1c8b3d7e64";

/// Label of a `note` that is a team's finding on a suspicious-activity
/// warning (joint analysis), not a receipt.
pub const FINDING_LABEL: &str = "joint-analysis-finding";

const MAX_NOTE: usize = 10_000;

/// The states of a product at a recipient team, in the order they happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReceiptState {
    /// It reached the team's node.
    Delivered,
    /// A person of the team opened it.
    Seen,
    /// A person took responsibility for it.
    Acknowledged,
    /// The team acted on it.
    Actioned,
}

impl ReceiptState {
    pub const ALL: [ReceiptState; 4] = [
        ReceiptState::Delivered,
        ReceiptState::Seen,
        ReceiptState::Acknowledged,
        ReceiptState::Actioned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptState::Delivered => "delivered",
            ReceiptState::Seen => "seen",
            ReceiptState::Acknowledged => "acknowledged",
            ReceiptState::Actioned => "actioned",
        }
    }

    /// Whether a person stands behind it (the escalation clock stops).
    pub fn is_acknowledgement(self) -> bool {
        self >= ReceiptState::Acknowledged
    }
}

impl std::str::FromStr for ReceiptState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!("unknown state {s:?}; use delivered, seen, acknowledged or actioned")
            })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct ReceiptExtension {
    #[serde(default)]
    extension_type: Option<String>,
    state: ReceiptState,
    /// The product's version the receipt is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    product_version: Option<Timestamp>,
    /// The person, when one acted (`user@team`). (STIX property names
    /// have at least three characters.)
    #[serde(default, rename = "person", skip_serializing_if = "Option::is_none")]
    by: Option<String>,
    #[serde(rename = "reached_at")]
    at: Timestamp,
}

/// The marking of a receipt for a product of marking `product`.
pub fn receipt_tlp(product: Tlp) -> Tlp {
    match product {
        Tlp::Clear | Tlp::Green => Tlp::Green,
        Tlp::Amber => Tlp::Amber,
        Tlp::AmberStrict | Tlp::Red => Tlp::AmberStrict,
    }
}

/// Everything a receipt says.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReceiptInfo {
    pub product: String,
    pub product_version: Option<Timestamp>,
    pub state: ReceiptState,
    pub team: String,
    pub by: Option<String>,
    pub at: Timestamp,
    pub note: Option<String>,
}

/// What the receipt will say; [`ReceiptDraft::to_stix`] makes the note.
pub struct ReceiptDraft<'a> {
    pub product_id: &'a str,
    pub product_version: Option<Timestamp>,
    pub product_tlp: Tlp,
    /// The product's originator, the receipt's only recipient.
    pub originator: &'a TeamId,
    /// The recipient team that sends the receipt.
    pub team: &'a TeamId,
    pub state: ReceiptState,
    pub by: Option<String>,
    pub note: Option<String>,
}

impl ReceiptDraft<'_> {
    pub fn check(&self) -> Result<(), String> {
        match &self.note {
            Some(n) if n.chars().count() > MAX_NOTE => {
                Err(format!("note: longer than {MAX_NOTE} characters"))
            }
            _ => Ok(()),
        }
    }

    /// The receipt `note`, with id `note--{uuid}`.
    pub fn to_stix(&self, uuid: &str, now: Timestamp) -> Value {
        let distribution = Distribution {
            recipient_teams: vec![self.originator.as_str().to_owned()],
            ..Distribution::default()
        };
        let ext = ReceiptExtension {
            extension_type: Some("property-extension".into()),
            state: self.state,
            product_version: self.product_version,
            by: self.by.clone(),
            at: now,
        };
        let content = match &self.note {
            Some(n) if !n.trim().is_empty() => format!("{}: {}", self.state.as_str(), n.trim()),
            _ => self.state.as_str().to_owned(),
        };
        json!({
            "type": "note",
            "spec_version": "2.1",
            "id": format!("note--{uuid}"),
            "created": now.to_millis_string(),
            "modified": now.to_millis_string(),
            "created_by_ref": self.team.as_str(),
            "abstract": format!("Receipt: {}", self.state.as_str()),
            "content": content,
            "object_refs": [self.product_id],
            "object_marking_refs": [receipt_tlp(self.product_tlp).marking_id()],
            "extensions": {
                DISTRIBUTION_EXTENSION_ID: distribution.to_extension(),
                RECEIPT_EXTENSION_ID: ext,
            }
        })
    }
}

impl ReceiptInfo {
    /// Reads a receipt note; `None` for any other object.
    pub fn read(object: &Value) -> Option<Self> {
        if object.get("type")?.as_str()? != "note" {
            return None;
        }
        let ext = object.get("extensions")?.get(RECEIPT_EXTENSION_ID)?;
        let ext: ReceiptExtension = serde_json::from_value(ext.clone()).ok()?;
        let product = object.get("object_refs")?.get(0)?.as_str()?.to_owned();
        let team = object.get("created_by_ref")?.as_str()?.to_owned();
        let content = object.get("content").and_then(Value::as_str).unwrap_or("");
        let note = content
            .strip_prefix(ext.state.as_str())
            .and_then(|rest| rest.strip_prefix(": "))
            .map(str::to_owned);
        Some(Self {
            product,
            product_version: ext.product_version,
            state: ext.state,
            team,
            by: ext.by,
            at: ext.at,
            note,
        })
    }
}

/// A team's finding on a suspicious-activity warning: a `note` on it,
/// labelled [`FINDING_LABEL`], with the marking and distribution the
/// finding's author chooses.
pub fn finding_to_stix(
    uuid: &str,
    product_id: &str,
    team: &TeamId,
    tlp: Tlp,
    audience: &Distribution,
    text: &str,
    now: Timestamp,
) -> Value {
    json!({
        "type": "note",
        "spec_version": "2.1",
        "id": format!("note--{uuid}"),
        "created": now.to_millis_string(),
        "modified": now.to_millis_string(),
        "created_by_ref": team.as_str(),
        "abstract": "Finding (joint analysis)",
        "content": text,
        "labels": [FINDING_LABEL],
        "object_refs": [product_id],
        "object_marking_refs": [tlp.marking_id()],
        "extensions": { DISTRIBUTION_EXTENSION_ID: audience.to_extension() }
    })
}

/// Whether a note is a joint-analysis finding, and on what.
pub fn finding_subject(object: &Value) -> Option<&str> {
    let labelled = object
        .get("labels")?
        .as_array()?
        .iter()
        .any(|l| l.as_str() == Some(FINDING_LABEL));
    if object.get("type")?.as_str()? != "note" || !labelled {
        return None;
    }
    object.get("object_refs")?.get(0)?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team(n: u8) -> TeamId {
        TeamId::parse(&format!(
            "identity--0b9a4c5e-1111-4a1a-8a1a-0000000000{n:02}"
        ))
        .unwrap()
    }

    #[test]
    fn a_receipt_reads_back_and_is_addressed_to_the_originator_only() {
        let now = Timestamp::parse("2026-11-23T10:00:00Z").unwrap();
        let (origin, me) = (team(1), team(2));
        let draft = ReceiptDraft {
            product_id: "report--6a1f0c4e-2b7d-4c11-9e5a-3f8b2d7c1a90",
            product_version: Some(now),
            product_tlp: Tlp::Red,
            originator: &origin,
            team: &me,
            state: ReceiptState::Acknowledged,
            by: Some("duty@x".into()),
            note: Some("on it".into()),
        };
        draft.check().unwrap();
        let note = draft.to_stix("6a1f0c4e-2b7d-4c11-9e5a-3f8b2d7c1a91", now);
        assert_eq!(
            note["object_marking_refs"][0],
            Tlp::AmberStrict.marking_id()
        );
        assert_eq!(
            note["extensions"][DISTRIBUTION_EXTENSION_ID]["recipient_teams"],
            json!([origin.as_str()])
        );
        let info = ReceiptInfo::read(&note).unwrap();
        assert_eq!(info.state, ReceiptState::Acknowledged);
        assert_eq!(info.team, me.as_str());
        assert_eq!(info.note.as_deref(), Some("on it"));
        assert!(info.state.is_acknowledgement());
        assert!(!ReceiptState::Seen.is_acknowledgement());
    }

    #[test]
    fn receipts_are_never_clear() {
        for tlp in Tlp::ALL {
            assert!(receipt_tlp(tlp) >= Tlp::Green);
            assert!(receipt_tlp(tlp) <= Tlp::AmberStrict);
        }
    }

    #[test]
    fn a_finding_is_recognised_and_a_receipt_is_not_a_finding() {
        let now = Timestamp::parse("2026-11-23T10:00:00Z").unwrap();
        let f = finding_to_stix(
            "6a1f0c4e-2b7d-4c11-9e5a-3f8b2d7c1a92",
            "report--6a1f0c4e-2b7d-4c11-9e5a-3f8b2d7c1a90",
            &team(3),
            Tlp::Green,
            &Distribution::default(),
            "Seen from AS 64500 too",
            now,
        );
        assert_eq!(
            finding_subject(&f),
            Some("report--6a1f0c4e-2b7d-4c11-9e5a-3f8b2d7c1a90")
        );
        assert!(ReceiptInfo::read(&f).is_none());
    }
}
