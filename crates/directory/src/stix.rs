//! The directory in STIX 2.1.
//!
//! An entry travels as up to three objects, one per visibility, so the
//! node's one access rule decides field by field who reads what:
//!
//! | tier         | object                                   | marking                          |
//! |--------------|------------------------------------------|----------------------------------|
//! | `public`     | the team's `identity` (id = team id)     | TLP:CLEAR                        |
//! | `network`    | a `note` on the identity                 | TLP:GREEN                        |
//! | `restricted` | a `note` on the identity                 | TLP:AMBER to `restricted_to`     |
//!
//! Each carries vigia's directory extension with the tier's fields. Note
//! ids are UUIDv5 of the team and tier, so every publication is a new
//! version of the same three objects. The Secretariat's endorsements of a
//! designation or a membership are `note`s with the same extension.
//!
//! Only the node that hosts a team may publish its entry: the seal's
//! origin node must be the entry's `node`, and a later version must come
//! from the node that published the first ([`check_authority`]).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use uuid::Uuid;
use vigia_stix::{Distribution, Timestamp, Tlp, DISTRIBUTION_EXTENSION_ID};

use crate::entry::{Designation, DirectoryEntry, EntryError, Visibility};

pub const DIRECTORY_EXTENSION_ID: &str =
    "extension-definition--6d1f0c3a-8b27-4c5e-9a41-3e7b2d9f8c15";

/// The UUIDv5 namespace of the directory's derived ids.
const NAMESPACE: Uuid = Uuid::from_u128(0x0b6f_41c2_9d3e_4a57_8e21_6c4f_0d9a_7b13);

/// What one directory object holds, as read from its extension.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryExtension {
    #[serde(default)]
    pub extension_type: Option<String>,
    /// `public`, `network`, `restricted`, `endorsement`, `census-request`
    /// or `census-response`.
    pub tier: String,
    /// The team the object is about.
    pub team: String,
    /// The national team whose node published it.
    pub node: String,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub fields: Map<String, Value>,
}

impl DirectoryExtension {
    /// The extension of a STIX object, if it has one.
    pub fn of(object: &Value) -> Option<Result<Self, String>> {
        let ext = object.get("extensions")?.get(DIRECTORY_EXTENSION_ID)?;
        Some(serde_json::from_value(ext.clone()).map_err(|e| e.to_string()))
    }

    pub fn visibility(&self) -> Option<Visibility> {
        Visibility::ALL
            .into_iter()
            .find(|v| v.as_str() == self.tier)
    }
}

/// The id of a derived object: `note--uuidv5(team/what)`.
pub fn derived_id(object_type: &str, team: &str, what: &str) -> String {
    let uuid = Uuid::new_v5(&NAMESPACE, format!("{team}/{what}").as_bytes());
    format!("{object_type}--{uuid}")
}

/// The id of the object holding `team`'s fields of one visibility.
pub fn tier_id(team: &str, tier: Visibility) -> String {
    match tier {
        Visibility::Public => team.to_owned(),
        _ => derived_id("note", team, tier.as_str()),
    }
}

fn common(
    object_type: &str,
    id: &str,
    author: &str,
    created: Timestamp,
    now: Timestamp,
    tlp: Tlp,
) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("type".into(), json!(object_type));
    o.insert("spec_version".into(), json!("2.1"));
    o.insert("id".into(), json!(id));
    o.insert("created".into(), json!(created.to_micros_string()));
    o.insert("modified".into(), json!(now.to_micros_string()));
    o.insert("created_by_ref".into(), json!(author));
    o.insert("object_marking_refs".into(), json!([tlp.marking_id()]));
    o
}

fn extension(tier: &str, team: &str, node: &str, fields: Map<String, Value>) -> Value {
    serde_json::to_value(DirectoryExtension {
        extension_type: Some("property-extension".into()),
        tier: tier.into(),
        team: team.into(),
        node: node.into(),
        fields,
    })
    .unwrap_or_default()
}

/// The three objects of an entry. `created` gives the creation time of an
/// object's earlier versions (STIX keeps `created` across versions);
/// `restricted_to` the teams that read restricted fields.
pub fn entry_objects(
    entry: &DirectoryEntry,
    created: &dyn Fn(&str) -> Option<Timestamp>,
    now: Timestamp,
    restricted_to: &[String],
) -> Result<Vec<Value>, EntryError> {
    entry.validate()?;
    let tiers = entry.tiers();
    let team = entry.team.as_str();
    let mut out = Vec::with_capacity(3);
    for tier in Visibility::ALL {
        let id = tier_id(team, tier);
        let first = created(&id).unwrap_or(now);
        let fields = tiers.get(tier).clone();
        let (tlp, object_type) = match tier {
            Visibility::Public => (Tlp::Clear, "identity"),
            Visibility::Network => (Tlp::Green, "note"),
            Visibility::Restricted => (Tlp::Amber, "note"),
        };
        let mut o = common(object_type, &id, team, first, now, tlp);
        let mut extensions = Map::new();
        match tier {
            Visibility::Public => {
                o.insert("name".into(), json!(entry.official_name));
                o.insert("identity_class".into(), json!("organization"));
                o.insert("roles".into(), json!(["csirt", entry.kind.as_str()]));
                if !entry.constituency.description.is_empty() {
                    o.insert("description".into(), json!(entry.constituency.description));
                }
                if !entry.constituency.sectors.is_empty() {
                    o.insert("sectors".into(), json!(entry.constituency.sectors));
                }
                if let Some(contact) = public_contact(entry) {
                    o.insert("contact_information".into(), json!(contact));
                }
            }
            Visibility::Network | Visibility::Restricted => {
                o.insert(
                    "abstract".into(),
                    json!(format!(
                        "Directory entry of {}: {} fields",
                        entry.short_name,
                        tier.as_str()
                    )),
                );
                o.insert(
                    "content".into(),
                    json!(format!(
                        "The {} fields of the directory entry of {} ({}).",
                        tier.as_str(),
                        entry.official_name,
                        entry.country
                    )),
                );
                o.insert("object_refs".into(), json!([team]));
            }
        }
        if tier == Visibility::Restricted {
            // With no readers named, only the team itself reads them.
            let d = Distribution {
                extension_type: Some("property-extension".into()),
                recipient_teams: restricted_to.to_vec(),
                ..Default::default()
            };
            extensions.insert(
                DISTRIBUTION_EXTENSION_ID.into(),
                serde_json::to_value(d).unwrap_or_default(),
            );
        } else {
            extensions.insert(
                DISTRIBUTION_EXTENSION_ID.into(),
                json!({"extension_type": "property-extension"}),
            );
        }
        extensions.insert(
            DIRECTORY_EXTENSION_ID.into(),
            extension(tier.as_str(), team, &entry.node, fields),
        );
        o.insert("extensions".into(), Value::Object(extensions));
        out.push(Value::Object(o));
    }
    Ok(out)
}

fn public_contact(entry: &DirectoryEntry) -> Option<String> {
    let public = entry.tiers().public;
    let mut parts = Vec::new();
    if let Some(Value::String(e)) = public.get("email") {
        parts.push(format!("e-mail: {e}"));
    }
    if let Some(Value::String(p)) = public.get("phone") {
        parts.push(format!("phone: {p}"));
    }
    if let Some(Value::Array(w)) = public.get("websites") {
        for u in w.iter().filter_map(Value::as_str) {
            parts.push(format!("web: {u}"));
        }
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// What the Secretariat endorses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EndorsementSubject {
    /// The team's designation as it stands in its entry.
    Designation,
    /// The member state's notification, and its activation in the network.
    Membership,
}

/// The Secretariat's signed statement about a team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endorsement {
    pub subject: EndorsementSubject,
    pub country: String,
    /// The designation endorsed, copied, so a later change voids it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub designation: Option<Designation>,
    /// Membership: when and how the state notified the Secretariat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notified_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification: Option<String>,
    pub endorsed_at: String,
}

/// The endorsement `note` (TLP:CLEAR) by `secretariat` about `team`.
pub fn endorsement_object(
    secretariat: &str,
    team: &str,
    endorsement: &Endorsement,
    created: Option<Timestamp>,
    now: Timestamp,
) -> Value {
    let what = match endorsement.subject {
        EndorsementSubject::Designation => "endorsement/designation",
        EndorsementSubject::Membership => "endorsement/membership",
    };
    let id = derived_id("note", team, what);
    let mut o = common(
        "note",
        &id,
        secretariat,
        created.unwrap_or(now),
        now,
        Tlp::Clear,
    );
    let summary = match endorsement.subject {
        EndorsementSubject::Designation => format!(
            "The Secretariat endorses the designation of this team as {} national contact of {}.",
            endorsement
                .designation
                .as_ref()
                .map_or("the", |d| match d.kind {
                    crate::entry::DesignationKind::NationalCsirt => "the national CSIRT and",
                    crate::entry::DesignationKind::NationalPoc => "the",
                }),
            endorsement.country
        ),
        EndorsementSubject::Membership => format!(
            "The Secretariat recorded the notification of {} and activated its membership of the network.",
            endorsement.country
        ),
    };
    o.insert("abstract".into(), json!("Endorsement by the Secretariat"));
    o.insert("content".into(), json!(summary));
    o.insert("object_refs".into(), json!([team]));
    let fields = match serde_json::to_value(endorsement) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    o.insert(
        "extensions".into(),
        json!({
            DISTRIBUTION_EXTENSION_ID: {"extension_type": "property-extension"},
            DIRECTORY_EXTENSION_ID: extension("endorsement", team, secretariat, fields),
        }),
    );
    Value::Object(o)
}

/// Whether the node `origin` may publish `object`, which carries the
/// directory extension. `first_origin` is the origin node of the stored
/// versions of the same id, if any; `local_teams` the teams this node hosts
/// when `origin` is this node.
pub fn check_authority(
    object: &Value,
    origin: &str,
    first_origin: Option<&str>,
) -> Result<(), String> {
    let Some(ext) = DirectoryExtension::of(object) else {
        return Ok(());
    };
    let ext = ext.map_err(|e| format!("malformed directory extension: {e}"))?;
    if let Some(first) = first_origin {
        if first != origin {
            return Err(format!(
                "{} was published by node {first}; node {origin} may not change it",
                object
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or("the object")
            ));
        }
    }
    if ext.node != origin {
        return Err(format!(
            "directory object names node {} but was sealed by node {origin}",
            ext.node
        ));
    }
    match ext.tier.as_str() {
        "endorsement" | "census-request" => Ok(()),
        "census-response" => Ok(()),
        _ => {
            let id = object.get("id").and_then(Value::as_str).unwrap_or_default();
            let tier = ext
                .visibility()
                .ok_or_else(|| format!("unknown directory tier {:?}", ext.tier))?;
            if id != tier_id(&ext.team, tier) {
                return Err(format!(
                    "directory object {id} is not the {} part of {}",
                    ext.tier, ext.team
                ));
            }
            let claimed = ext.fields.get("team").and_then(Value::as_str);
            if claimed.is_some_and(|t| t != ext.team) {
                return Err("directory fields name another team".into());
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::tests::sample;

    fn now() -> Timestamp {
        Timestamp::parse("2026-11-24T10:00:00.000000Z").expect("ts")
    }

    const PEER: &str = "identity--22222222-2222-4222-8222-222222222222";

    #[test]
    fn an_entry_becomes_an_identity_and_two_notes() {
        let e = sample();
        let objects = entry_objects(&e, &|_| None, now(), &[PEER.to_owned()]).expect("objects");
        assert_eq!(objects.len(), 3);
        assert_eq!(objects[0]["type"], "identity");
        assert_eq!(objects[0]["id"], e.team.as_str());
        assert_eq!(
            objects[0]["object_marking_refs"][0],
            Tlp::Clear.marking_id()
        );
        assert_eq!(
            objects[1]["object_marking_refs"][0],
            Tlp::Green.marking_id()
        );
        assert_eq!(
            objects[2]["object_marking_refs"][0],
            Tlp::Amber.marking_id()
        );
        let restricted = DirectoryExtension::of(&objects[2])
            .expect("ext")
            .expect("parses");
        assert!(restricted.fields.contains_key("emergency"));
        assert_eq!(
            objects[2]["extensions"][DISTRIBUTION_EXTENSION_ID]["recipient_teams"][0],
            PEER
        );
        // Every object validates against the official schemas.
        let schemas = vigia_stix::SchemaSet::new().expect("schemas");
        for o in &objects {
            vigia_stix::StixObject::parse(&o.to_string(), &schemas).expect("valid STIX");
        }
    }

    #[test]
    fn later_versions_keep_created() {
        let e = sample();
        let first = Timestamp::parse("2025-01-01T00:00:00.000000Z").expect("ts");
        let objects =
            entry_objects(&e, &|_| Some(first), now(), &[PEER.to_owned()]).expect("objects");
        assert_eq!(objects[1]["created"], first.to_micros_string());
        assert_eq!(objects[1]["modified"], now().to_micros_string());
    }

    #[test]
    fn restricted_fields_without_readers_stay_with_the_team() {
        let objects = entry_objects(&sample(), &|_| None, now(), &[]).expect("objects");
        let d = &objects[2]["extensions"][DISTRIBUTION_EXTENSION_ID];
        assert_eq!(
            objects[2]["object_marking_refs"][0],
            Tlp::Amber.marking_id()
        );
        assert!(d.get("recipient_teams").is_none(), "{d}");
    }

    #[test]
    fn only_the_hosting_node_may_publish_an_entry() {
        let e = sample();
        let objects = entry_objects(&e, &|_| None, now(), &[PEER.to_owned()]).expect("objects");
        for o in &objects {
            check_authority(o, &e.node, None).expect("its own node");
            check_authority(o, &e.node, Some(&e.node)).expect("its own node again");
            assert!(check_authority(o, PEER, None).is_err(), "another node");
            assert!(
                check_authority(o, &e.node, Some(PEER)).is_err(),
                "a node that did not publish it first"
            );
        }
        // A peer cannot pass off its own note as another team's tier.
        let mut forged = objects[1].clone();
        forged["id"] = json!(derived_id("note", PEER, "network"));
        assert!(check_authority(&forged, &e.node, None).is_err());
    }

    #[test]
    fn an_endorsement_is_a_clear_note_on_the_team() {
        let e = sample();
        let endorsement = Endorsement {
            subject: EndorsementSubject::Designation,
            country: "MX".into(),
            designation: e.designation.clone(),
            notified_on: None,
            notification: None,
            endorsed_at: "2026-11-24".into(),
        };
        let o = endorsement_object(PEER, &e.team, &endorsement, None, now());
        let schemas = vigia_stix::SchemaSet::new().expect("schemas");
        vigia_stix::StixObject::parse(&o.to_string(), &schemas).expect("valid STIX");
        let ext = DirectoryExtension::of(&o).expect("ext").expect("parses");
        assert_eq!(ext.tier, "endorsement");
        assert_eq!(ext.node, PEER);
        check_authority(&o, PEER, None).expect("the Secretariat signs its own endorsement");
    }
}
