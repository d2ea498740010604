//! A cooperation record as a STIX `note`: the abstract is its title, the
//! content a readable summary, `object_refs` what it is about (the
//! team's identity when nothing else), and vigia's cooperation property
//! extension holds its kind and its typed body.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use vigia_stix::{Distribution, Timestamp, Tlp, DISTRIBUTION_EXTENSION_ID};

/// vigia's cooperation property extension on notes.
pub const COOPERATION_EXTENSION_ID: &str =
    "extension-definition--7d3f2b8e-5a1c-4e9b-8f60-2c4d6e8a0b13";

/// What a record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A network event: call, meeting, training or exercise.
    Event,
    /// Which teams attended one occurrence of an event.
    Attendance,
    /// A network commitment with a due date per member.
    Milestone,
    /// A member's report that it met a milestone.
    MilestoneDone,
    /// A national point of contact's section of the annual report.
    ReportSection,
    /// A member's training needs.
    TrainingNeeds,
    /// One person's completed training.
    TrainingRecord,
    /// A team's offer of, or request for, mentoring.
    Mentoring,
    /// A mentoring engagement and its stage.
    Engagement,
    /// A compendium document: lessons learned, best practice, minutes or
    /// an exercise's after-action notes.
    Document,
    /// A national self-assessment.
    Assessment,
    /// The levels alone of an assessment, shared by a country that opted
    /// in to the regional readiness index.
    AssessmentScores,
    /// A version of the self-assessment question set.
    Questionnaire,
}

impl Kind {
    pub const ALL: [Kind; 13] = [
        Kind::Event,
        Kind::Attendance,
        Kind::Milestone,
        Kind::MilestoneDone,
        Kind::ReportSection,
        Kind::TrainingNeeds,
        Kind::TrainingRecord,
        Kind::Mentoring,
        Kind::Engagement,
        Kind::Document,
        Kind::Assessment,
        Kind::AssessmentScores,
        Kind::Questionnaire,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Event => "event",
            Kind::Attendance => "attendance",
            Kind::Milestone => "milestone",
            Kind::MilestoneDone => "milestone-done",
            Kind::ReportSection => "report-section",
            Kind::TrainingNeeds => "training-needs",
            Kind::TrainingRecord => "training-record",
            Kind::Mentoring => "mentoring",
            Kind::Engagement => "engagement",
            Kind::Document => "document",
            Kind::Assessment => "assessment",
            Kind::AssessmentScores => "assessment-scores",
            Kind::Questionnaire => "questionnaire",
        }
    }

    /// The key under which a store indexes records of this kind.
    pub fn index_key(self) -> String {
        format!("vigia-cooperation:{}", self.as_str())
    }
}

impl std::str::FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                format!("{s:?} is not one of {}", all.join(", "))
            })
    }
}

/// A record to publish: a new one, or (with `id` and `created`) a new
/// version of one.
#[derive(Clone, Debug)]
pub struct RecordDraft {
    pub kind: Kind,
    pub team: String,
    pub title: String,
    pub summary: String,
    /// What the record is about; the team's identity when empty.
    pub refs: Vec<String>,
    pub body: Value,
    pub tlp: Tlp,
    pub distribution: Distribution,
}

impl RecordDraft {
    /// The STIX note. `id` and `created` are the record's own when this is
    /// a new version.
    pub fn to_stix(&self, id: &str, created: Timestamp, now: Timestamp) -> Value {
        let mut refs = self.refs.clone();
        if refs.is_empty() {
            refs.push(self.team.clone());
        }
        refs.dedup();
        let mut extensions = Map::new();
        extensions.insert(
            COOPERATION_EXTENSION_ID.into(),
            json!({
                "extension_type": "property-extension",
                "kind": self.kind.as_str(),
                "body": self.body,
            }),
        );
        // The distribution extension, even empty, makes the node publish
        // (seal and send) the note rather than keep it.
        extensions.insert(
            DISTRIBUTION_EXTENSION_ID.into(),
            self.distribution.to_extension(),
        );
        let content = if self.summary.trim().is_empty() {
            self.title.clone()
        } else {
            self.summary.clone()
        };
        // Strictly after `created`: a new version must be newer.
        let modified = if now > created { now } else { created };
        json!({
            "type": "note",
            "spec_version": "2.1",
            "id": id,
            "created": created.to_millis_string(),
            "modified": modified.to_millis_string(),
            "created_by_ref": self.team,
            "abstract": self.title,
            "content": content,
            "object_refs": refs,
            "object_marking_refs": [self.tlp.marking_id()],
            "extensions": extensions,
        })
    }
}

/// A record as read back from its note.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Record {
    pub id: String,
    pub kind: Kind,
    pub team: String,
    pub title: String,
    pub created: String,
    pub modified: String,
    pub refs: Vec<String>,
    pub tlp: Option<String>,
    pub body: Value,
}

impl Record {
    /// The record a STIX object is, if it is one.
    pub fn read(v: &Value) -> Option<Record> {
        if v.get("type")?.as_str()? != "note" {
            return None;
        }
        let ext = v.get("extensions")?.get(COOPERATION_EXTENSION_ID)?;
        let kind: Kind = ext.get("kind")?.as_str()?.parse().ok()?;
        let text = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let refs = v
            .get("object_refs")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let tlp = v
            .get("object_marking_refs")
            .and_then(Value::as_array)
            .and_then(|m| Tlp::strictest_of(m.iter().filter_map(Value::as_str)))
            .map(|t| t.label().to_owned());
        Some(Record {
            id: text("id"),
            kind,
            team: text("created_by_ref"),
            title: text("abstract"),
            created: text("created"),
            modified: text("modified"),
            refs,
            tlp,
            body: ext.get("body").cloned().unwrap_or(Value::Null),
        })
    }

    /// The body as its type, or why it is not one.
    pub fn body_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, String> {
        serde_json::from_value(self.body.clone())
            .map_err(|e| format!("{} {} is malformed: {e}", self.kind.as_str(), self.id))
    }
}

/// The kind of a raw STIX object, for the store's index: cheap on
/// everything that is not a cooperation note.
pub fn kind_of(object_type: &str, raw: &str) -> Option<Kind> {
    if object_type != "note" || !raw.contains(COOPERATION_EXTENSION_ID) {
        return None;
    }
    let v: Value = serde_json::from_str(raw).ok()?;
    kind_in(&v)
}

/// The kind of a parsed STIX object, if it is a cooperation note.
pub fn kind_in(v: &Value) -> Option<Kind> {
    if v.get("type")?.as_str()? != "note" {
        return None;
    }
    v.get("extensions")?
        .get(COOPERATION_EXTENSION_ID)?
        .get("kind")?
        .as_str()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> RecordDraft {
        RecordDraft {
            kind: Kind::Event,
            team: "identity--00000000-0000-4000-8000-000000000001".into(),
            title: "Quarterly call".into(),
            summary: String::new(),
            refs: vec![],
            body: json!({"a": 1}),
            tlp: Tlp::Green,
            distribution: Distribution::default(),
        }
    }

    #[test]
    fn a_record_round_trips_through_its_note() {
        let at = Timestamp::parse("2026-01-10T12:00:00Z").unwrap();
        let v = draft().to_stix("note--00000000-0000-4000-8000-0000000000aa", at, at);
        let r = Record::read(&v).unwrap();
        assert_eq!(r.kind, Kind::Event);
        assert_eq!(r.title, "Quarterly call");
        assert_eq!(r.refs, vec![draft().team]);
        assert_eq!(r.tlp.as_deref(), Some("TLP:GREEN"));
        assert_eq!(r.body, json!({"a": 1}));
        assert_eq!(v["content"], "Quarterly call");
        assert_eq!(
            kind_of("note", &v.to_string()),
            Some(Kind::Event),
            "the store indexes it"
        );
        assert_eq!(kind_of("indicator", &v.to_string()), None);
    }

    #[test]
    fn a_new_version_is_newer_than_its_creation() {
        let created = Timestamp::parse("2026-01-10T12:00:00Z").unwrap();
        let earlier = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
        let v = draft().to_stix(
            "note--00000000-0000-4000-8000-0000000000aa",
            created,
            earlier,
        );
        assert_eq!(v["modified"], v["created"]);
    }

    #[test]
    fn kinds_parse_from_their_names_and_nothing_else() {
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>(), Ok(k));
        }
        let e = "meeting".parse::<Kind>().unwrap_err();
        assert!(e.contains("\"meeting\" is not one of event"), "{e}");
    }

    #[test]
    fn notes_without_the_extension_are_not_records() {
        let v = json!({"type": "note", "id": "note--1", "content": "x", "object_refs": ["a--1"]});
        assert_eq!(Record::read(&v), None);
    }
}
