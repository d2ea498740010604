//! Analysis done once: sightings ("we saw this too") and analysis claims
//! ("we are analysing this; expect our results by …"), as STIX objects
//! that federate under their own marking like any other.
//!
//! A sighting is a STIX `sighting` of the object, by the sighting team. A
//! claim is a STIX `note` about the object, so any STIX tool shows it, with
//! a property extension holding its state, the expected time and, once
//! published, the analysis it led to (also added to the note's
//! `object_refs`, so the analysis links back to the claim).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use vigia_stix::{Distribution, Timestamp, Tlp, DISTRIBUTION_EXTENSION_ID};

/// vigia's analysis-claim property extension on notes.
pub const CLAIM_EXTENSION_ID: &str = "extension-definition--4c9e1f6a-8d2b-4e7a-9f3c-1a5b7d9e0c24";
/// Largest sighting count (STIX: up to 999,999,999).
pub const MAX_COUNT: u64 = 999_999_999;
const MAX_TEXT: usize = 4_000;

/// A sighting to record.
#[derive(Clone, Debug)]
pub struct SightingDraft {
    pub team: String,
    pub sighting_of_ref: String,
    pub count: u64,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    pub tlp: Tlp,
    pub distribution: Distribution,
}

impl SightingDraft {
    /// # Errors
    /// The field that is wrong and why.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if !self.sighting_of_ref.contains("--") {
            return Err(("sighting_of_ref", "not a STIX id".into()));
        }
        if self.count > MAX_COUNT {
            return Err(("count", format!("at most {MAX_COUNT}")));
        }
        if let (Some(first), Some(last)) = (self.first_seen, self.last_seen) {
            if last < first {
                return Err(("last_seen", "before first_seen".into()));
            }
        }
        if self.tlp == Tlp::Red && self.distribution.recipient_users.is_empty() {
            return Err(("tlp", "TLP:RED needs named recipients".into()));
        }
        Ok(())
    }

    pub fn to_stix(&self, uuid: &str, now: Timestamp) -> Value {
        let mut v = json!({
            "type": "sighting",
            "spec_version": "2.1",
            "id": format!("sighting--{uuid}"),
            "created": now.to_millis_string(),
            "modified": now.to_millis_string(),
            "created_by_ref": self.team,
            "sighting_of_ref": self.sighting_of_ref,
            "count": self.count,
            "where_sighted_refs": [self.team],
            "object_marking_refs": [self.tlp.marking_id()],
        });
        if let Some(t) = self.first_seen {
            v["first_seen"] = json!(t.to_millis_string());
        }
        if let Some(t) = self.last_seen {
            v["last_seen"] = json!(t.to_millis_string());
        }
        // The distribution extension, even empty, is what makes the node
        // publish (seal and send) an object rather than keep it.
        v["extensions"] = json!({ DISTRIBUTION_EXTENSION_ID: self.distribution.to_extension() });
        v
    }
}

/// One sighting as read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sighting {
    pub team: String,
    pub count: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
}

impl Sighting {
    pub fn read(v: &Value) -> Option<Sighting> {
        if v.get("type")?.as_str()? != "sighting" {
            return None;
        }
        let team = v
            .get("created_by_ref")
            .or_else(|| v.get("where_sighted_refs").and_then(|w| w.get(0)))?
            .as_str()?
            .to_owned();
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        Some(Sighting {
            team,
            // A sighting without a count is one sighting.
            count: v.get("count").and_then(Value::as_u64).unwrap_or(1),
            first_seen: text("first_seen"),
            last_seen: text("last_seen"),
        })
    }
}

/// "Seen by 7 teams in 4 countries": the sightings a viewer may see,
/// summed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SightingSummary {
    /// Sighting objects.
    pub sightings: usize,
    /// Their counts, summed.
    pub count: u64,
    pub teams: usize,
    pub countries: usize,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
}

impl SightingSummary {
    /// `country` gives each team's country, where known.
    pub fn of<'a>(
        sightings: impl IntoIterator<Item = &'a Sighting>,
        country: impl Fn(&str) -> Option<String>,
    ) -> SightingSummary {
        let mut s = SightingSummary::default();
        let mut teams = BTreeSet::new();
        let mut countries = BTreeSet::new();
        for x in sightings {
            s.sightings += 1;
            s.count = s.count.saturating_add(x.count);
            if teams.insert(x.team.clone()) {
                if let Some(c) = country(&x.team) {
                    countries.insert(c);
                }
            }
            if let Some(f) = &x.first_seen {
                if s.first_seen.as_ref().is_none_or(|cur| f < cur) {
                    s.first_seen = Some(f.clone());
                }
            }
            if let Some(l) = &x.last_seen {
                if s.last_seen.as_ref().is_none_or(|cur| l > cur) {
                    s.last_seen = Some(l.clone());
                }
            }
        }
        s.teams = teams.len();
        s.countries = countries.len();
        s
    }
}

/// Where an analysis claim stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClaimState {
    InProgress,
    Published,
    Withdrawn,
}

impl ClaimState {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimState::InProgress => "in-progress",
            ClaimState::Published => "published",
            ClaimState::Withdrawn => "withdrawn",
        }
    }
}

/// The claim extension's body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimExtension {
    pub extension_type: String,
    pub state: ClaimState,
    /// When results are expected.
    pub expected_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_ref: Option<String>,
}

/// A claim to make.
#[derive(Clone, Debug)]
pub struct ClaimDraft {
    pub team: String,
    pub object_ref: String,
    pub expected_by: Timestamp,
    pub comment: String,
    pub tlp: Tlp,
    pub distribution: Distribution,
}

impl ClaimDraft {
    /// # Errors
    /// The field that is wrong and why.
    pub fn check(&self, now: Timestamp) -> Result<(), (&'static str, String)> {
        if !self.object_ref.contains("--") {
            return Err(("object_ref", "not a STIX id".into()));
        }
        if self.expected_by <= now {
            return Err(("expected_by", "must be in the future".into()));
        }
        if self.comment.chars().count() > MAX_TEXT {
            return Err(("comment", format!("longer than {MAX_TEXT} characters")));
        }
        if self.tlp == Tlp::Red && self.distribution.recipient_users.is_empty() {
            return Err(("tlp", "TLP:RED needs named recipients".into()));
        }
        Ok(())
    }

    pub fn to_stix(&self, uuid: &str, now: Timestamp) -> Value {
        let ext = ClaimExtension {
            extension_type: "property-extension".into(),
            state: ClaimState::InProgress,
            expected_by: self.expected_by.to_millis_string(),
            result_ref: None,
        };
        let content = match self.comment.trim() {
            "" => format!(
                "Analysis in progress; results expected by {}.",
                ext.expected_by
            ),
            c => c.to_owned(),
        };
        let mut extensions = serde_json::Map::new();
        extensions.insert(CLAIM_EXTENSION_ID.into(), json!(ext));
        extensions.insert(
            DISTRIBUTION_EXTENSION_ID.into(),
            self.distribution.to_extension(),
        );
        json!({
            "type": "note",
            "spec_version": "2.1",
            "id": format!("note--{uuid}"),
            "created": now.to_millis_string(),
            "modified": now.to_millis_string(),
            "created_by_ref": self.team,
            "abstract": "Analysis in progress",
            "content": content,
            "object_refs": [self.object_ref],
            "object_marking_refs": [self.tlp.marking_id()],
            "extensions": extensions,
        })
    }
}

/// A claim as read back from its note.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Claim {
    pub id: String,
    pub team: String,
    pub object_ref: String,
    pub state: ClaimState,
    pub expected_by: String,
    pub result_ref: Option<String>,
    pub content: String,
}

impl Claim {
    pub fn read(v: &Value) -> Option<Claim> {
        let ext: ClaimExtension =
            serde_json::from_value(v.get("extensions")?.get(CLAIM_EXTENSION_ID)?.clone()).ok()?;
        Some(Claim {
            id: v.get("id")?.as_str()?.to_owned(),
            team: v.get("created_by_ref")?.as_str()?.to_owned(),
            object_ref: v.get("object_refs")?.get(0)?.as_str()?.to_owned(),
            state: ext.state,
            expected_by: ext.expected_by,
            result_ref: ext.result_ref,
            content: v
                .get("content")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        })
    }
}

/// The next version of a claim's note: published with its result (added
/// to `object_refs` too), or withdrawn.
///
/// # Errors
/// Why the claim cannot move: not a claim, or no longer in progress.
pub fn close_claim(
    note: &Value,
    state: ClaimState,
    result_ref: Option<&str>,
    now: Timestamp,
) -> Result<Value, String> {
    let claim = Claim::read(note).ok_or("not an analysis claim")?;
    if claim.state != ClaimState::InProgress {
        return Err(format!("the claim is already {}", claim.state.as_str()));
    }
    let mut next = note.clone();
    let ext = &mut next["extensions"][CLAIM_EXTENSION_ID];
    ext["state"] = json!(state.as_str());
    match (state, result_ref) {
        (ClaimState::Published, Some(r)) => {
            if !r.contains("--") {
                return Err("result_ref is not a STIX id".into());
            }
            ext["result_ref"] = json!(r);
            if let Some(refs) = next["object_refs"].as_array_mut() {
                refs.push(json!(r));
            }
            next["abstract"] = json!("Analysis published");
        }
        (ClaimState::Published, None) => {
            return Err("a published claim names its result_ref".into())
        }
        (ClaimState::Withdrawn, _) => next["abstract"] = json!("Analysis withdrawn"),
        (ClaimState::InProgress, _) => return Err("the claim is already in progress".into()),
    }
    next["modified"] = json!(now.to_millis_string());
    // The node seals the new version again; the old seal would not verify.
    if let Some(exts) = next["extensions"].as_object_mut() {
        exts.retain(|k, _| k == CLAIM_EXTENSION_ID || k == DISTRIBUTION_EXTENSION_ID);
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn a_sighting_is_a_stix_sighting_by_the_team() {
        let d = SightingDraft {
            team: "identity--a".into(),
            sighting_of_ref: "indicator--1".into(),
            count: 12,
            first_seen: Some(at("2026-01-01T00:00:00Z")),
            last_seen: Some(at("2026-01-02T00:00:00Z")),
            tlp: Tlp::Green,
            distribution: Distribution::default(),
        };
        d.check().unwrap();
        let v = d.to_stix("u", at("2026-01-03T00:00:00Z"));
        assert_eq!(v["where_sighted_refs"], json!(["identity--a"]));
        assert_eq!(Sighting::read(&v).unwrap().count, 12);
        let backwards = SightingDraft {
            last_seen: Some(at("2025-01-01T00:00:00Z")),
            ..d
        };
        assert_eq!(backwards.check().unwrap_err().0, "last_seen");
    }

    #[test]
    fn summaries_count_teams_and_countries_once() {
        let s = |team: &str, count| Sighting {
            team: team.into(),
            count,
            first_seen: Some(format!("2026-01-0{count}T00:00:00Z")),
            last_seen: None,
        };
        let all = [s("a", 1), s("a", 2), s("b", 3), s("c", 4)];
        let country = |t: &str| match t {
            "a" | "b" => Some("PA".to_owned()),
            "c" => Some("CR".to_owned()),
            _ => None,
        };
        let sum = SightingSummary::of(&all, country);
        assert_eq!(
            (sum.sightings, sum.count, sum.teams, sum.countries),
            (4, 10, 3, 2)
        );
        assert_eq!(sum.first_seen.as_deref(), Some("2026-01-01T00:00:00Z"));
    }

    #[test]
    fn a_claim_is_published_once_with_its_result() {
        let now = at("2026-01-01T00:00:00Z");
        let d = ClaimDraft {
            team: "identity--a".into(),
            object_ref: "malware--1".into(),
            expected_by: at("2026-01-02T00:00:00Z"),
            comment: String::new(),
            tlp: Tlp::Green,
            distribution: Distribution::default(),
        };
        d.check(now).unwrap();
        assert_eq!(
            d.check(at("2026-01-03T00:00:00Z")).unwrap_err().0,
            "expected_by"
        );
        let note = d.to_stix("u", now);
        let claim = Claim::read(&note).unwrap();
        assert_eq!(
            (claim.state, claim.object_ref.as_str()),
            (ClaimState::InProgress, "malware--1")
        );
        assert!(close_claim(&note, ClaimState::Published, None, now).is_err());
        let done = close_claim(
            &note,
            ClaimState::Published,
            Some("report--9"),
            at("2026-01-01T12:00:00Z"),
        )
        .unwrap();
        let claim = Claim::read(&done).unwrap();
        assert_eq!(claim.result_ref.as_deref(), Some("report--9"));
        assert_eq!(done["object_refs"], json!(["malware--1", "report--9"]));
        assert!(
            close_claim(&done, ClaimState::Withdrawn, None, now).is_err(),
            "closed once"
        );
    }
}
