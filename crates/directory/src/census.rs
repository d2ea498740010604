//! The census (C-021): a versioned questionnaire sent to teams, their
//! responses with history, reminders, and confirmation.
//!
//! The seeds mention a census questionnaire but do not contain it; the
//! default questionnaire is the reconstruction in REQUIREMENTS §2.1(b).
//! Questions that map to a directory field name it, so an answer can update
//! the team's entry, which happens only when the team confirms it: the
//! entry belongs to the team's node, not to whoever runs the census.
//!
//! A request is a `note` (TLP:GREEN, addressed to the recipient teams) and
//! a response a `note` (TLP:AMBER, addressed to the requesting team), both
//! with the directory extension. Each reminder is a new version of the
//! request addressed to the teams that have not answered; each revision of
//! a response is a new version of it, so the history is the versions.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use vigia_stix::{Timestamp, Tlp, DISTRIBUTION_EXTENSION_ID};

use crate::entry::{DirectoryEntry, EntryError};
use crate::stix::{derived_id, DIRECTORY_EXTENSION_ID};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnswerKind {
    Text,
    YesNo,
    Number,
    Date,
    /// A list of strings.
    List,
    /// One of `choices`.
    Choice,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Stable across versions when the question is unchanged.
    pub id: String,
    pub section: String,
    pub text: String,
    pub answer: AnswerKind,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    /// The directory field the answer updates (`constituency.sectors`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Questionnaire {
    pub version: u32,
    pub title: String,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CensusError {
    #[error("question {question}: {reason}")]
    Answer { question: String, reason: String },
    #[error("questionnaire: {0}")]
    Questionnaire(String),
    #[error("the answers would make an invalid entry: {0}")]
    Entry(#[from] EntryError),
}

fn answer_error(question: &str, reason: impl Into<String>) -> CensusError {
    CensusError::Answer {
        question: question.to_owned(),
        reason: reason.into(),
    }
}

type Q = (
    &'static str,
    &'static str,
    AnswerKind,
    &'static [&'static str],
    Option<&'static str>,
);

const SECTIONS: [(&str, &[Q]); 11] = {
    use AnswerKind::{Choice, Date, List, Number, Text, YesNo};
    [
        ("A. Identification", &[
            ("a1-name", "Team name.", Text, &[], Some("official_name")),
            ("a1-acronym", "Team acronym or short name.", Text, &[], Some("short_name")),
            ("a2-country", "Country (ISO 3166-1 alpha-2).", Text, &[], Some("country")),
            ("a2-other-countries", "Other countries served (ISO 3166-1 alpha-2).", List, &[], Some("additional_countries")),
            ("a3-parent", "Host or parent organisation.", Text, &[], Some("parent_organisation")),
            ("a4-established", "Year established.", Text, &[], Some("established")),
            ("a5-websites", "Website(s).", List, &[], Some("websites")),
            ("a5-languages", "Languages (ISO 639-1).", List, &[], Some("languages")),
        ]),
        ("B. Status and mandate", &[
            ("b6-designation", "Is the team the government-designated national CSIRT, the national point of contact only, or neither?", Choice, &["national-csirt", "national-poc", "neither"], Some("designation.kind")),
            ("b7-authority", "Designating authority.", Text, &[], Some("designation.authority")),
            ("b7-instrument", "Legal or administrative instrument.", Text, &[], Some("designation.instrument")),
            ("b7-date", "Date of designation.", Date, &[], Some("designation.date")),
            ("b8-maturity", "Maturity stage.", Choice, &["poc-only", "being-established", "operational"], Some("maturity.stage")),
            ("b9-last-resort", "Is the team the country's CSIRT of last resort?", YesNo, &[], Some("last_resort")),
            ("b10-disseminate", "Is it authorised to disseminate information to other national CSIRTs?", YesNo, &[], Some("attestations.authorised-to-disseminate.met")),
        ]),
        ("C. Type and resources", &[
            ("c11-ownership", "Ownership type.", Choice, &["national-csirt", "sector", "government", "academic", "private"], Some("kind")),
            ("c12-staff", "Staff headcount.", Number, &[], Some("staff_size")),
            ("c13-funding", "Funding mechanism.", Text, &[], Some("funding.mechanism")),
            ("c13-stability", "Funding stability (stable, uncertain, project-based).", Text, &[], Some("funding.stability")),
        ]),
        ("D. Constituency and coverage", &[
            ("d14-constituency", "Description of the constituency.", Text, &[], Some("constituency.description")),
            ("d15-membership-range", "Membership range: number and kinds of constituents served.", Text, &[], Some("constituency.membership_range")),
            ("d17-sectors", "Sectors covered (STIX industry-sector vocabulary).", List, &[], Some("constituency.sectors")),
            ("d18-uncovered", "Sectors and areas the team knows are not covered in its country.", Text, &[], None),
        ]),
        ("E. Services", &[
            ("e19-services", "Services offered (FIRST CSIRT Services Framework 2.1 ids).", List, &[], Some("services")),
            ("e20-critical", "Which of these are most critical.", List, &[], Some("critical_services")),
            ("e21-planned", "Services planned.", Text, &[], None),
        ]),
        ("F. Operations and trust attributes", &[
            ("f22-24x7", "Is the team available 24/7?", YesNo, &[], Some("hours.always")),
            ("f23-phone", "24/7 alert-and-warning phone.", Text, &[], Some("emergency.phone")),
            ("f23-email", "24/7 alert-and-warning e-mail.", Text, &[], Some("emergency.email")),
            ("f23-pgp", "OpenPGP key fingerprints.", List, &[], Some("pgp_fingerprints")),
            ("f24-secure-infrastructure", "Secure infrastructure for sensitive data?", YesNo, &[], Some("attestations.trust-secure-infrastructure.met")),
            ("f25-secure-communication", "Secure communications with stakeholders?", YesNo, &[], Some("attestations.trust-secure-communication.met")),
            ("f26-marshal-experts", "Ability to marshal experts and decision-makers?", YesNo, &[], Some("attestations.trust-marshal-experts.met")),
            ("f27-advance-notification", "Infrastructure for advance notification to select audiences?", YesNo, &[], Some("attestations.trust-advance-notification.met")),
            ("f28-leakage", "Procedures against information leakage?", YesNo, &[], Some("attestations.trust-leak-prevention.met")),
            ("f29-public-interface", "A well-known public interface?", YesNo, &[], Some("attestations.trust-public-interface.met")),
            ("f30-large-audience", "Ability to reach a large audience quickly?", YesNo, &[], Some("attestations.trust-reach-large-audience.met")),
        ]),
        ("G. Information sharing", &[
            ("g31-principles", "Has the team accepted the network's information-sharing principles?", YesNo, &[], Some("attestations.information-sharing-principles.met")),
            ("g32-redistribute", "Can it receive from other national CSIRTs and redistribute within the country?", YesNo, &[], Some("attestations.receive-and-disseminate.met")),
            ("g33-allowed-types", "Types of information the member state allows to be exchanged.", Text, &[], None),
            ("g34-disclosure-policy", "Vulnerability disclosure policy (link).", Text, &[], None),
        ]),
        ("H. Affiliations and certification", &[
            ("h35-first", "FIRST membership (full member, liaison, none).", Text, &[], None),
            ("h36-certcc", "CERT/CC affiliation.", Text, &[], None),
            ("h37-regional", "Regional and sub-regional forums (e.g. LAC-CSIRTs).", List, &[], None),
            ("h38-certification", "Certification or accreditation: scheme, level, date.", Text, &[], None),
        ]),
        ("I. Legal and law enforcement", &[
            ("i40-law-enforcement-link", "Operational link with the national cybercrime unit.", Text, &[], Some("law_enforcement.liaison")),
            ("i41-24x7-network", "Is the country in the 24/7 High Tech Crime Network?", YesNo, &[], Some("law_enforcement.network_247_member")),
            ("i42-legislation", "Status of cybercrime legislation.", Text, &[], None),
        ]),
        ("J. Capacity building", &[
            ("j43-training", "Training needs and timelines.", Text, &[], None),
            ("j44-mentoring", "Wants mentoring, or can offer mentoring.", Text, &[], None),
            ("j45-assistance", "Assistance requested: plans, funding or projects.", Text, &[], None),
        ]),
        ("K. Publication", &[
            ("k46-public-fields", "Which fields may be published publicly.", Text, &[], None),
            ("k47-contact", "Contact for keeping the census record up to date.", Text, &[], None),
        ]),
    ]
};

impl Default for Questionnaire {
    /// Version 1: REQUIREMENTS §2.1(b).
    fn default() -> Self {
        let questions = SECTIONS
            .iter()
            .flat_map(|(section, qs)| {
                qs.iter()
                    .map(move |(id, text, answer, choices, field)| Question {
                        id: (*id).to_owned(),
                        section: (*section).to_owned(),
                        text: (*text).to_owned(),
                        answer: *answer,
                        choices: choices.iter().map(|c| (*c).to_owned()).collect(),
                        field: field.map(str::to_owned),
                    })
            })
            .collect();
        Self {
            version: 1,
            title: "Inter-American CSIRT census".into(),
            questions,
        }
    }
}

impl Questionnaire {
    pub fn validate(&self) -> Result<(), CensusError> {
        let bad = |r: String| Err(CensusError::Questionnaire(r));
        if self.version == 0 {
            return bad("version starts at 1".into());
        }
        if self.questions.is_empty() || self.questions.len() > 500 {
            return bad("needs 1 to 500 questions".into());
        }
        let mut seen = std::collections::BTreeSet::new();
        for q in &self.questions {
            if q.id.is_empty() || !seen.insert(q.id.as_str()) {
                return bad(format!("question id {:?} is empty or repeated", q.id));
            }
            if q.text.trim().is_empty() {
                return bad(format!("question {} has no text", q.id));
            }
            if q.answer == AnswerKind::Choice && q.choices.is_empty() {
                return bad(format!("question {} is a choice without choices", q.id));
            }
        }
        Ok(())
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// Checks each answer against its question.
    pub fn check_answers(&self, answers: &Map<String, Value>) -> Result<(), CensusError> {
        for (id, value) in answers {
            let q = self.question(id).ok_or_else(|| {
                answer_error(
                    id,
                    format!("is not in questionnaire version {}", self.version),
                )
            })?;
            let ok = match q.answer {
                AnswerKind::Text => value.as_str().is_some_and(|s| s.len() <= 4_000),
                AnswerKind::YesNo => value.is_boolean(),
                AnswerKind::Number => value.as_u64().is_some(),
                AnswerKind::Date => value
                    .as_str()
                    .is_some_and(|s| crate::entry::parse_date(s).is_some()),
                AnswerKind::List => value.as_array().is_some_and(|a| {
                    a.len() <= 200 && a.iter().all(|v| v.as_str().is_some_and(|s| s.len() <= 500))
                }),
                AnswerKind::Choice => value
                    .as_str()
                    .is_some_and(|s| q.choices.iter().any(|c| c == s)),
            };
            if !ok {
                let expected = match q.answer {
                    AnswerKind::Text => "text".to_owned(),
                    AnswerKind::YesNo => "true or false".to_owned(),
                    AnswerKind::Number => "a whole number".to_owned(),
                    AnswerKind::Date => "a date (YYYY-MM-DD)".to_owned(),
                    AnswerKind::List => "a list of text".to_owned(),
                    AnswerKind::Choice => format!("one of {}", q.choices.join(", ")),
                };
                return Err(answer_error(
                    id,
                    format!("expected {expected}, got {value}"),
                ));
            }
        }
        Ok(())
    }

    /// Answers read from an entry, so a team starts from what is known.
    pub fn prefill(&self, entry: &DirectoryEntry) -> Map<String, Value> {
        let whole = serde_json::to_value(entry).unwrap_or_default();
        let mut out = Map::new();
        for q in &self.questions {
            let Some(field) = &q.field else { continue };
            let mut at = &whole;
            for part in field.split('.') {
                at = at.get(part).unwrap_or(&Value::Null);
            }
            let value = match (field.as_str(), at) {
                ("designation.kind", Value::Null) if entry.designation.is_none() => {
                    json!("neither")
                }
                (_, Value::Null) => continue,
                (_, v) => v.clone(),
            };
            if self
                .check_answers(&Map::from_iter([(q.id.clone(), value.clone())]))
                .is_ok()
            {
                out.insert(q.id.clone(), value);
            }
        }
        out
    }
}

/// One change confirming answers would make to an entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    pub question: String,
    pub field: String,
    pub before: Value,
    pub after: Value,
}

/// The entry the answers describe, and what changes. Answers to questions
/// without a field are kept in the response only.
pub fn apply_answers(
    entry: &DirectoryEntry,
    questionnaire: &Questionnaire,
    answers: &Map<String, Value>,
) -> Result<(DirectoryEntry, Vec<Change>), CensusError> {
    questionnaire.check_answers(answers)?;
    let mut whole = serde_json::to_value(entry).map_err(|e| EntryError::Shape(e.to_string()))?;
    let mut changes = Vec::new();
    // Designation parts first need the designation to exist.
    let neither = answers.get("b6-designation").and_then(Value::as_str) == Some("neither");
    for q in &questionnaire.questions {
        let (Some(field), Some(value)) = (&q.field, answers.get(&q.id)) else {
            continue;
        };
        if field.starts_with("designation.") && neither {
            continue;
        }
        let before = get_path(&whole, field);
        if &before == value {
            continue;
        }
        set_path(&mut whole, field, value.clone());
        changes.push(Change {
            question: q.id.clone(),
            field: field.clone(),
            before,
            after: value.clone(),
        });
    }
    if neither && entry.designation.is_some() {
        changes.push(Change {
            question: "b6-designation".into(),
            field: "designation".into(),
            before: serde_json::to_value(&entry.designation).unwrap_or_default(),
            after: Value::Null,
        });
        if let Some(o) = whole.as_object_mut() {
            o.insert("designation".into(), Value::Null);
        }
    }
    let updated = DirectoryEntry::from_json(whole).map_err(|e| {
        CensusError::Entry(EntryError::Shape(format!(
            "{e} (a designation needs kind, authority, instrument and date together)"
        )))
    })?;
    updated.validate()?;
    Ok((updated, changes))
}

fn get_path(value: &Value, path: &str) -> Value {
    let mut at = value;
    for part in path.split('.') {
        at = at.get(part).unwrap_or(&Value::Null);
    }
    at.clone()
}

fn set_path(value: &mut Value, path: &str, new: Value) {
    let mut at = value;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        if !at.is_object() {
            *at = Value::Object(Map::new());
        }
        let Some(map) = at.as_object_mut() else {
            return;
        };
        if i + 1 == parts.len() {
            map.insert((*part).to_owned(), new);
            return;
        }
        at = map.entry((*part).to_owned()).or_insert(Value::Null);
    }
}

/// A census request as its recipients receive it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CensusRequest {
    pub campaign: String,
    pub title: String,
    pub questionnaire: Questionnaire,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    /// 0 for the first sending, then one more per reminder.
    #[serde(default)]
    pub reminder: u32,
}

/// A team's answers to one campaign.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CensusResponse {
    pub campaign: String,
    pub questionnaire_version: u32,
    pub answers: Map<String, Value>,
    /// 1 for the first answer, then one more per revision.
    pub revision: u32,
    /// The team confirmed the answers; its entry was updated from them.
    #[serde(default)]
    pub confirmed: bool,
    pub submitted_by: String,
}

pub fn request_id(campaign: &str) -> String {
    derived_id("note", campaign, "census-request")
}

pub fn response_id(campaign: &str, team: &str) -> String {
    derived_id("note", campaign, &format!("census-response/{team}"))
}

#[allow(clippy::too_many_arguments)]
fn census_note(
    id: &str,
    author: &str,
    node: &str,
    tier: &str,
    tlp: Tlp,
    recipients: &[String],
    summary: (&str, String),
    fields: Value,
    created: Option<Timestamp>,
    now: Timestamp,
) -> Value {
    let fields = match fields {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    json!({
        "type": "note",
        "spec_version": "2.1",
        "id": id,
        "created": created.unwrap_or(now).to_micros_string(),
        "modified": now.to_micros_string(),
        "created_by_ref": author,
        "object_marking_refs": [tlp.marking_id()],
        "abstract": summary.0,
        "content": summary.1,
        "object_refs": [author],
        "extensions": {
            DISTRIBUTION_EXTENSION_ID: {
                "extension_type": "property-extension",
                "recipient_teams": recipients,
            },
            DIRECTORY_EXTENSION_ID: {
                "extension_type": "property-extension",
                "tier": tier,
                "team": author,
                "node": node,
                "fields": fields,
            }
        }
    })
}

/// The request note from `author` (on `node`) to `recipients`.
pub fn request_object(
    author: &str,
    node: &str,
    recipients: &[String],
    request: &CensusRequest,
    created: Option<Timestamp>,
    now: Timestamp,
) -> Value {
    let summary = if request.reminder == 0 {
        format!("Please answer the census \"{}\".", request.title)
    } else {
        format!(
            "Reminder {}: please answer the census \"{}\".",
            request.reminder, request.title
        )
    };
    census_note(
        &request_id(&request.campaign),
        author,
        node,
        "census-request",
        Tlp::Green,
        recipients,
        ("Census request", summary),
        serde_json::to_value(request).unwrap_or_default(),
        created,
        now,
    )
}

/// The response note from `team` (on `node`) to the requesting team.
pub fn response_object(
    team: &str,
    node: &str,
    requester: &str,
    response: &CensusResponse,
    created: Option<Timestamp>,
    now: Timestamp,
) -> Value {
    let summary = format!(
        "Census answers, revision {}{}.",
        response.revision,
        if response.confirmed {
            ", confirmed"
        } else {
            ""
        }
    );
    census_note(
        &response_id(&response.campaign, team),
        team,
        node,
        "census-response",
        Tlp::Amber,
        &[requester.to_owned()],
        ("Census response", summary),
        serde_json::to_value(response).unwrap_or_default(),
        created,
        now,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::tests::sample;

    #[test]
    fn the_default_questionnaire_covers_section_2_1_b() {
        let q = Questionnaire::default();
        q.validate().expect("valid");
        assert!(q.questions.len() >= 47, "{}", q.questions.len());
        // Every mapped field exists in the entry.
        let fields = DirectoryEntry::published_fields();
        for question in &q.questions {
            if let Some(f) = &question.field {
                let top = f.split('.').next().unwrap_or_default();
                assert!(fields.contains(&top), "{f}");
            }
        }
    }

    #[test]
    fn attestation_questions_name_checklist_items() {
        let checklist = crate::standards::Checklist::default();
        for q in &Questionnaire::default().questions {
            if let Some(item) = q
                .field
                .as_deref()
                .and_then(|f| f.strip_prefix("attestations."))
            {
                let id = item.trim_end_matches(".met");
                assert!(checklist.items.iter().any(|i| i.id == id), "{id}");
            }
        }
    }

    #[test]
    fn prefilled_answers_change_nothing() {
        let q = Questionnaire::default();
        let entry = sample();
        let answers = q.prefill(&entry);
        assert_eq!(answers["a2-country"], "MX");
        let (same, changes) = apply_answers(&entry, &q, &answers).expect("applies");
        assert_eq!(changes, vec![]);
        assert_eq!(same, entry);
    }

    #[test]
    fn answers_update_the_entry_and_list_the_changes() {
        let q = Questionnaire::default();
        let entry = sample();
        let mut answers = Map::new();
        answers.insert("c12-staff".into(), json!(20));
        answers.insert(
            "d17-sectors".into(),
            json!(["government", "energy", "healthcare"]),
        );
        answers.insert("f24-secure-infrastructure".into(), json!(true));
        answers.insert("j43-training".into(), json!("Malware analysis, 2027"));
        let (updated, changes) = apply_answers(&entry, &q, &answers).expect("applies");
        assert_eq!(updated.staff_size, Some(20));
        assert_eq!(updated.constituency.sectors.len(), 3);
        assert!(updated.attestations["trust-secure-infrastructure"].met);
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "staff_size",
                "constituency.sectors",
                "attestations.trust-secure-infrastructure.met"
            ]
        );
    }

    #[test]
    fn a_bad_answer_is_named_by_question() {
        let q = Questionnaire::default();
        let mut answers = Map::new();
        answers.insert("b8-maturity".into(), json!("excellent"));
        let err = apply_answers(&sample(), &q, &answers).expect_err("refused");
        assert!(
            err.to_string()
                .starts_with("question b8-maturity: expected one of poc-only"),
            "{err}"
        );
        let mut answers = Map::new();
        answers.insert("z9".into(), json!("?"));
        let err = apply_answers(&sample(), &q, &answers).expect_err("refused");
        assert_eq!(
            err.to_string(),
            "question z9: is not in questionnaire version 1"
        );
        let mut answers = Map::new();
        answers.insert("a2-country".into(), json!("Mexico"));
        let err = apply_answers(&sample(), &q, &answers).expect_err("refused");
        assert!(err.to_string().contains("country"), "{err}");
    }

    #[test]
    fn neither_removes_a_designation() {
        let q = Questionnaire::default();
        let mut answers = Map::new();
        answers.insert("b6-designation".into(), json!("neither"));
        let (updated, changes) = apply_answers(&sample(), &q, &answers).expect("applies");
        assert_eq!(updated.designation, None);
        assert_eq!(changes.len(), 1);
    }

    #[test]
    fn requests_and_responses_are_valid_stix() {
        let schemas = vigia_stix::SchemaSet::new().expect("schemas");
        let now = Timestamp::parse("2026-11-24T10:00:00Z").expect("ts");
        let team = "identity--11111111-1111-4111-8111-111111111111";
        let secretariat = "identity--33333333-3333-4333-8333-333333333333";
        let request = CensusRequest {
            campaign: "census-2026".into(),
            title: "Census 2026".into(),
            questionnaire: Questionnaire::default(),
            deadline: Some("2026-12-31".into()),
            reminder: 0,
        };
        let o = request_object(
            secretariat,
            secretariat,
            &[team.to_owned()],
            &request,
            None,
            now,
        );
        vigia_stix::StixObject::parse(&o.to_string(), &schemas).expect("valid request");
        let response = CensusResponse {
            campaign: "census-2026".into(),
            questionnaire_version: 1,
            answers: Questionnaire::default().prefill(&sample()),
            revision: 1,
            confirmed: false,
            submitted_by: "analyst".into(),
        };
        let o = response_object(team, team, secretariat, &response, None, now);
        vigia_stix::StixObject::parse(&o.to_string(), &schemas).expect("valid response");
        assert_eq!(o["id"], response_id("census-2026", team));
        crate::stix::check_authority(&o, team, None).expect("the team's node answers for it");
    }
}
