//! The node's TAXII collections: configured per node, with defaults, each
//! with read and write permission per role and team, and the routing that
//! files every object into its collections.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;
use vigia_policy::{Role, TeamId};
use vigia_stix::StixObject;

/// Collection ids are UUIDv5 of the alias in this namespace, so the same
/// collection has the same id on every node of the network.
const COLLECTION_NAMESPACE: Uuid = Uuid::from_u128(0x6b1f_0c2e_55a4_4d0e_9a57_3c4d_2e1f_a001);

/// One collection as an operator configures it in `vigia.toml`
/// (`[[collections]]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionConfig {
    pub alias: String,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    /// STIX types filed here; `report:<report_type>` files reports by type.
    #[serde(default)]
    pub types: Vec<String>,
    /// Receives objects no other collection takes.
    #[serde(default)]
    pub fallback: bool,
    /// Roles that may read and write.
    #[serde(default = "default_read_roles")]
    pub read_roles: Vec<Role>,
    #[serde(default = "default_write_roles")]
    pub write_roles: Vec<Role>,
    /// Teams that may use it; absent means every team.
    #[serde(default)]
    pub teams: Option<Vec<TeamId>>,
    /// Also offered, read-only and TLP:CLEAR only, on the public API root.
    #[serde(default = "yes")]
    pub public: bool,
}

fn yes() -> bool {
    true
}

fn default_read_roles() -> Vec<Role> {
    Role::ALL.to_vec()
}

fn default_write_roles() -> Vec<Role> {
    vec![
        Role::Admin,
        Role::Analyst,
        Role::DutyOfficer,
        Role::PeerNode,
    ]
}

impl CollectionConfig {
    pub fn id(&self) -> String {
        Uuid::new_v5(&COLLECTION_NAMESPACE, self.alias.as_bytes()).to_string()
    }

    fn team_allowed(&self, team: &TeamId) -> bool {
        self.teams.as_ref().is_none_or(|t| t.contains(team))
    }

    pub fn can_read(&self, role: Option<Role>, team: Option<&TeamId>) -> bool {
        match (role, team) {
            (Some(role), Some(team)) => self.read_roles.contains(&role) && self.team_allowed(team),
            _ => self.public,
        }
    }

    pub fn can_write(&self, role: Option<Role>, team: Option<&TeamId>) -> bool {
        match (role, team) {
            (Some(role), Some(team)) => self.write_roles.contains(&role) && self.team_allowed(team),
            _ => false,
        }
    }

    fn takes(&self, object_type: &str, report_types: &[String]) -> bool {
        self.types.iter().any(|t| match t.strip_prefix("report:") {
            Some(rt) => object_type == "report" && report_types.iter().any(|r| r == rt),
            None => t == object_type,
        })
    }
}

fn collection(alias: &str, title: &str, description: &str, types: &[&str]) -> CollectionConfig {
    CollectionConfig {
        alias: alias.to_owned(),
        title: title.to_owned(),
        description: Some(description.to_owned()),
        types: types.iter().map(|t| (*t).to_owned()).collect(),
        fallback: false,
        read_roles: default_read_roles(),
        write_roles: default_write_roles(),
        teams: None,
        public: true,
    }
}

/// The collections a node offers unless configured otherwise.
pub fn default_collections() -> Vec<CollectionConfig> {
    let mut knowledge = collection(
        "knowledge",
        "Knowledge",
        "Lessons learned, best practices, notes, opinions and threat reports.",
        &[
            "note",
            "opinion",
            "grouping",
            "report:lessons-learned",
            "report:best-practice",
            "report:threat-report",
        ],
    );
    knowledge.fallback = true;
    vec![
        collection(
            "alerts",
            "Alerts and warnings",
            "Attacks in progress and suspicious-activity warnings.",
            &["report:alert", "report:warning", "report:attack-report"],
        ),
        collection(
            "advisories",
            "Advisories and vulnerability notices",
            "Security advisories, vulnerability notices and mitigation guidance.",
            &[
                "vulnerability",
                "course-of-action",
                "report:advisory",
                "report:vulnerability-notice",
            ],
        ),
        collection(
            "indicators",
            "Indicators and observables",
            "Indicators, observed data, sightings and the objects they describe.",
            &[
                "indicator",
                "observed-data",
                "sighting",
                "relationship",
                "attack-pattern",
                "campaign",
                "infrastructure",
                "intrusion-set",
                "malware",
                "malware-analysis",
                "threat-actor",
                "tool",
                "artifact",
                "autonomous-system",
                "directory",
                "domain-name",
                "email-addr",
                "email-message",
                "file",
                "ipv4-addr",
                "ipv6-addr",
                "mac-addr",
                "mutex",
                "network-traffic",
                "process",
                "software",
                "url",
                "user-account",
                "windows-registry-key",
                "x509-certificate",
                "report:indicator",
            ],
        ),
        collection(
            "incidents",
            "Incidents",
            "Incident reports.",
            &["incident", "report:incident"],
        ),
        knowledge,
        collection(
            "directory",
            "Directory",
            "Teams, points of contact, locations and the marking definitions in use.",
            &[
                "identity",
                "location",
                "marking-definition",
                "extension-definition",
                "language-content",
            ],
        ),
    ]
}

/// The collection ids an object is filed under.
pub fn route(collections: &[CollectionConfig], object: &StixObject) -> Vec<String> {
    let report_types: Vec<String> = if object.object_type() == "report" {
        serde_json::from_str::<Value>(object.raw())
            .ok()
            .and_then(|v| v.get("report_types").cloned())
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    // Directory parts, endorsements and census notes belong with the
    // directory (the collection that takes identities), not with notes.
    let directory = object.object_type() == "note"
        && object
            .raw()
            .contains(vigia_directory::DIRECTORY_EXTENSION_ID);
    let mut ids: Vec<String> = collections
        .iter()
        .filter(|c| {
            c.takes(object.object_type(), &report_types)
                || (directory && c.takes("identity", &report_types))
        })
        .map(CollectionConfig::id)
        .collect();
    if ids.is_empty() {
        ids.extend(
            collections
                .iter()
                .filter(|c| c.fallback)
                .map(CollectionConfig::id),
        );
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigia_stix::SchemaSet;

    fn parse(raw: &str) -> StixObject {
        StixObject::parse(raw, &SchemaSet::new().unwrap()).unwrap()
    }

    #[test]
    fn ids_are_stable_across_nodes() {
        let a = default_collections();
        let b = default_collections();
        assert_eq!(a[0].id(), b[0].id());
        assert_ne!(a[0].id(), a[1].id());
    }

    #[test]
    fn objects_are_filed_by_type_and_report_type() {
        let c = default_collections();
        let id_of = |alias: &str| c.iter().find(|x| x.alias == alias).unwrap().id();
        let alert = parse(
            r#"{"type":"report","spec_version":"2.1","id":"report--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","name":"x","report_types":["alert"],"published":"2016-04-06T20:03:48.000Z","object_refs":["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]}"#,
        );
        assert_eq!(route(&c, &alert), vec![id_of("alerts")]);
        let ip = parse(
            r#"{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","value":"198.51.100.1"}"#,
        );
        assert_eq!(route(&c, &ip), vec![id_of("indicators")]);
        let custom = parse(
            r#"{"type":"x-thing","spec_version":"2.1","id":"x-thing--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z"}"#,
        );
        assert_eq!(route(&c, &custom), vec![id_of("knowledge")]);
    }

    #[test]
    fn permissions_follow_role_and_team() {
        let mut c = default_collections().remove(0);
        let team = TeamId::parse("identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f").unwrap();
        assert!(c.can_read(Some(Role::ReadOnly), Some(&team)));
        assert!(!c.can_write(Some(Role::ReadOnly), Some(&team)));
        assert!(
            c.can_read(None, None),
            "public collections are readable anonymously"
        );
        assert!(!c.can_write(None, None));
        c.teams = Some(vec![]);
        assert!(!c.can_read(Some(Role::Admin), Some(&team)));
    }
}
