//! Assistance requests between national teams (C-061): a team asks
//! another for help on an incident, and the request moves through
//! requested → accepted or declined → in progress → closed, with a note at
//! each step.
//!
//! The request and every step are STIX `note`s addressed to the other
//! team, under the marking the requester chose, so they travel, are
//! sealed and are checked like any object; each node projects them into
//! the same view for both sides.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use vigia_stix::{Distribution, Timestamp, Tlp, DISTRIBUTION_EXTENSION_ID};

/// The property extension of a request and of each step.
pub const ASSISTANCE_EXTENSION_ID: &str =
    "extension-definition--b7e3c0a4-2f61-4d8e-9a5b-3c1f0e7d9a42";

/// Longest text of a need or a note.
pub const MAX_TEXT: usize = 4000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Urgency {
    Routine,
    Urgent,
    Critical,
}

impl Urgency {
    pub const ALL: [Urgency; 3] = [Urgency::Routine, Urgency::Urgent, Urgency::Critical];
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Routine => "routine",
            Urgency::Urgent => "urgent",
            Urgency::Critical => "critical",
        }
    }
}

impl std::str::FromStr for Urgency {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Urgency::ALL
            .into_iter()
            .find(|u| u.as_str() == s.trim())
            .ok_or_else(|| format!("urgency {s:?} is not routine, urgent or critical"))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AssistanceState {
    Requested,
    Accepted,
    Declined,
    InProgress,
    Closed,
}

impl AssistanceState {
    pub const ALL: [AssistanceState; 5] = [
        AssistanceState::Requested,
        AssistanceState::Accepted,
        AssistanceState::Declined,
        AssistanceState::InProgress,
        AssistanceState::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AssistanceState::Requested => "requested",
            AssistanceState::Accepted => "accepted",
            AssistanceState::Declined => "declined",
            AssistanceState::InProgress => "in-progress",
            AssistanceState::Closed => "closed",
        }
    }
}

impl std::str::FromStr for AssistanceState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AssistanceState::ALL
            .into_iter()
            .find(|st| st.as_str() == s.trim())
            .ok_or_else(|| {
                format!("state {s:?} is not requested, accepted, declined, in-progress or closed")
            })
    }
}

/// Which side of a request a team is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Requester,
    Helper,
}

/// Whether `side` may move a request from `from` to `to`: the asked team
/// accepts, declines and starts work; either side closes an open request;
/// nothing leaves declined or closed.
pub fn may_move(side: Side, from: AssistanceState, to: AssistanceState) -> Result<(), String> {
    use AssistanceState::*;
    let ok = matches!(
        (side, from, to),
        (Side::Helper, Requested, Accepted | Declined)
            | (Side::Helper, Accepted, InProgress)
            | (_, Requested | Accepted | InProgress, Closed)
    );
    if ok {
        Ok(())
    } else {
        let who = match side {
            Side::Requester => "the requesting team",
            Side::Helper => "the asked team",
        };
        Err(format!(
            "{who} cannot move a request from {} to {}",
            from.as_str(),
            to.as_str()
        ))
    }
}

/// What the extension says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistanceExtension {
    #[serde(default)]
    pub extension_type: Option<String>,
    /// The request's own id (`note--…` of the request).
    pub request: String,
    pub state: AssistanceState,
    /// On the request only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgency: Option<Urgency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helper: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_ref: Option<String>,
    /// STIX custom property names have at least three characters.
    #[serde(rename = "changed_at")]
    pub at: Timestamp,
}

/// A new request, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestDraft {
    pub requester: String,
    pub helper: String,
    pub need: String,
    pub urgency: Urgency,
    pub tlp: Tlp,
    pub incident_ref: Option<String>,
}

fn check_text(field: &str, text: &str, required: bool) -> Result<(), String> {
    let n = text.trim().chars().count();
    if required && n == 0 {
        return Err(format!("{field}: say what is needed"));
    }
    if n > MAX_TEXT {
        return Err(format!("{field}: {n} characters is more than {MAX_TEXT}"));
    }
    Ok(())
}

impl RequestDraft {
    /// # Errors
    /// A message naming the field: an empty or long need, asking one's own
    /// team, or TLP:RED (a request is addressed to a team, and RED only
    /// to named persons).
    pub fn check(&self) -> Result<(), String> {
        check_text("need", &self.need, true)?;
        if self.requester == self.helper {
            return Err("to: a team does not ask itself for assistance".into());
        }
        if self.tlp == Tlp::Red {
            return Err(
                "tlp: TLP:RED is for named persons; mark a request to a team AMBER+STRICT at most"
                    .into(),
            );
        }
        if let Some(i) = &self.incident_ref {
            if !i.starts_with("incident--") {
                return Err(format!("incident_ref: {i:?} is not a STIX incident id"));
            }
        }
        Ok(())
    }

    pub fn to_stix(&self, uuid: &str, now: Timestamp) -> Value {
        let id = format!("note--{uuid}");
        let ext = AssistanceExtension {
            extension_type: Some("property-extension".into()),
            request: id.clone(),
            state: AssistanceState::Requested,
            urgency: Some(self.urgency),
            requester: Some(self.requester.clone()),
            helper: Some(self.helper.clone()),
            incident_ref: self.incident_ref.clone(),
            at: now,
        };
        note(
            &id,
            &self.requester,
            &self.helper,
            self.tlp,
            format!("Assistance request ({})", self.urgency.as_str()),
            self.need.trim(),
            self.incident_ref.iter().cloned().collect(),
            &ext,
            now,
        )
    }
}

/// A step on an existing request, by `team`, addressed to `other`.
#[allow(clippy::too_many_arguments)]
pub fn step_to_stix(
    uuid: &str,
    request: &str,
    team: &str,
    other: &str,
    tlp: Tlp,
    state: AssistanceState,
    text: &str,
    now: Timestamp,
) -> Result<Value, String> {
    check_text("note", text, false)?;
    let ext = AssistanceExtension {
        extension_type: Some("property-extension".into()),
        request: request.to_owned(),
        state,
        urgency: None,
        requester: None,
        helper: None,
        incident_ref: None,
        at: now,
    };
    let content = match text.trim() {
        "" => state.as_str().to_owned(),
        t => t.to_owned(),
    };
    Ok(note(
        &format!("note--{uuid}"),
        team,
        other,
        tlp,
        format!("Assistance: {}", state.as_str()),
        &content,
        vec![request.to_owned()],
        &ext,
        now,
    ))
}

#[allow(clippy::too_many_arguments)]
fn note(
    id: &str,
    author: &str,
    to: &str,
    tlp: Tlp,
    summary: String,
    content: &str,
    refs: Vec<String>,
    ext: &AssistanceExtension,
    now: Timestamp,
) -> Value {
    let distribution = Distribution {
        recipient_teams: vec![to.to_owned()],
        ..Distribution::default()
    };
    let mut v = json!({
        "type": "note",
        "spec_version": "2.1",
        "id": id,
        "created": now.to_millis_string(),
        "modified": now.to_millis_string(),
        "created_by_ref": author,
        "abstract": summary,
        "content": content,
        "object_marking_refs": [tlp.marking_id()],
        "extensions": {
            DISTRIBUTION_EXTENSION_ID: distribution.to_extension(),
            ASSISTANCE_EXTENSION_ID: ext,
        }
    });
    // A note must refer to something; a new request refers to itself
    // only when there is no incident to name.
    v["object_refs"] = if refs.is_empty() {
        json!([id])
    } else {
        json!(refs)
    };
    v
}

/// A request or a step read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssistanceInfo {
    pub id: String,
    pub author: String,
    pub content: String,
    pub ext: AssistanceExtension,
}

impl AssistanceInfo {
    pub fn read(object: &Value) -> Option<Self> {
        if object.get("type")?.as_str()? != "note" {
            return None;
        }
        let ext: AssistanceExtension = serde_json::from_value(
            object
                .get("extensions")?
                .get(ASSISTANCE_EXTENSION_ID)?
                .clone(),
        )
        .ok()?;
        Some(Self {
            id: object.get("id")?.as_str()?.to_owned(),
            author: object.get("created_by_ref")?.as_str()?.to_owned(),
            content: object
                .get("content")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            ext,
        })
    }

    /// The request itself, not a step on it.
    pub fn is_request(&self) -> bool {
        self.id == self.ext.request && self.ext.state == AssistanceState::Requested
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AssistanceState::*;

    #[test]
    fn only_the_asked_team_accepts_and_nothing_leaves_an_end() {
        assert!(may_move(Side::Helper, Requested, Accepted).is_ok());
        assert!(may_move(Side::Helper, Requested, Declined).is_ok());
        assert!(may_move(Side::Requester, Requested, Accepted).is_err());
        assert!(may_move(Side::Helper, Accepted, InProgress).is_ok());
        assert!(may_move(Side::Requester, InProgress, Closed).is_ok());
        assert!(may_move(Side::Helper, Requested, InProgress).is_err());
        for to in AssistanceState::ALL {
            for side in [Side::Requester, Side::Helper] {
                assert!(may_move(side, Declined, to).is_err());
                assert!(may_move(side, Closed, to).is_err());
            }
        }
        assert!(may_move(Side::Requester, Requested, Closed).is_ok());
    }

    #[test]
    fn a_request_and_a_step_read_back() {
        let now = Timestamp::parse("2026-11-24T10:00:00Z").unwrap();
        let d = RequestDraft {
            requester: "identity--a".into(),
            helper: "identity--b".into(),
            need: "Forensic imaging of two servers".into(),
            urgency: Urgency::Urgent,
            tlp: Tlp::AmberStrict,
            incident_ref: None,
        };
        d.check().unwrap();
        let v = d.to_stix("0b3f6a4e-6a0c-4d3b-8a39-9f1f1b2c3d4e", now);
        let r = AssistanceInfo::read(&v).unwrap();
        assert!(r.is_request());
        assert_eq!(v["object_refs"][0], v["id"]);
        let s = step_to_stix(
            "1b3f6a4e-6a0c-4d3b-8a39-9f1f1b2c3d4e",
            &r.id,
            "identity--b",
            "identity--a",
            Tlp::AmberStrict,
            Accepted,
            "",
            now,
        )
        .unwrap();
        let s = AssistanceInfo::read(&s).unwrap();
        assert!(!s.is_request());
        assert_eq!(
            (s.ext.request.as_str(), s.content.as_str()),
            (r.id.as_str(), "accepted")
        );
    }

    #[test]
    fn bad_requests_name_the_field() {
        let base = RequestDraft {
            requester: "identity--a".into(),
            helper: "identity--b".into(),
            need: "help".into(),
            urgency: Urgency::Routine,
            tlp: Tlp::Amber,
            incident_ref: None,
        };
        let bad = |f: fn(&mut RequestDraft)| {
            let mut d = base.clone();
            f(&mut d);
            d.check().unwrap_err()
        };
        assert!(bad(|d| d.need = "  ".into()).starts_with("need"));
        assert!(bad(|d| d.helper = "identity--a".into()).starts_with("to"));
        assert!(bad(|d| d.tlp = Tlp::Red).starts_with("tlp"));
        assert!(bad(|d| d.incident_ref = Some("report--x".into())).starts_with("incident_ref"));
        assert!("soon".parse::<Urgency>().is_err());
    }
}
