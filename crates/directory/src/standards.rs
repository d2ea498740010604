//! The minimum-standards and trust-attribute checklist (REQUIREMENTS
//! §2.2 and §2.3) and a team's score against it.
//!
//! The seeds give three versions of the minimum standards; the default
//! checklist merges them into distinct items, each naming its sources.
//! Operators may configure their own checklist (TOML or JSON). An item is
//! met automatically when the entry shows it, or by the team's own
//! attestation; items only a team can vouch for are `attested` only.

use serde::{Deserialize, Serialize};

use crate::entry::{parse_date, DirectoryEntry};

/// The group of the items a national CSIRT must meet to take part.
pub const MINIMUM_STANDARDS: &str = "minimum-standards";
/// The group of the qualities that make a team trusted (§2.3).
pub const TRUST_ATTRIBUTES: &str = "trust-attributes";
/// The groups an item may belong to.
pub const GROUPS: [&str; 2] = [MINIMUM_STANDARDS, TRUST_ATTRIBUTES];

/// How an item can be met without the team's word, from its entry.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// Only the team's attestation can meet it.
    #[default]
    Attested,
    /// A government designation with a named authority.
    Designated,
    /// An emergency phone or e-mail, staffed 24/7.
    AlertContact,
    /// The team runs or is hosted on a node of the network.
    SharesInNetwork,
    /// A certification that has not expired.
    Certified,
    /// At least one affiliation (FIRST, LAC-CSIRTs, TF-CSIRT…).
    Affiliated,
    /// A reporting channel or a website the public can use.
    PublicInterface,
}

/// One thing a team should meet, with where the seeds ask for it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    /// Stable id (lowercase, digits, hyphens); attestations are keyed by it.
    pub id: String,
    /// `minimum-standards` or `trust-attributes`.
    pub group: String,
    pub text: String,
    /// Where the seeds ask for it, e.g. `000 §III(1)a; 001 §III.2 i`.
    #[serde(default)]
    pub source: String,
    /// Its share of the score, 1 to 100.
    #[serde(default = "one")]
    pub weight: u32,
    #[serde(default)]
    pub check: Check,
}

fn one() -> u32 {
    1
}

/// The items teams are scored against; operators may replace the default.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Checklist {
    pub items: Vec<ChecklistItem>,
}

fn item(
    id: &str,
    group: &str,
    text: &str,
    source: &str,
    weight: u32,
    check: Check,
) -> ChecklistItem {
    ChecklistItem {
        id: id.to_owned(),
        group: group.to_owned(),
        text: text.to_owned(),
        source: source.to_owned(),
        weight,
        check,
    }
}

impl Default for Checklist {
    /// The consolidated minimum standards of §2.2 (`000` §III(1), `001`
    /// §III.2, `003` Escobar and Strategy) and the seven trust attributes
    /// of §2.3.
    fn default() -> Self {
        let m = MINIMUM_STANDARDS;
        let t = TRUST_ATTRIBUTES;
        let trust = "001 §III.3";
        let both = "; 003 Appendix I and Escobar";
        Checklist {
            items: vec![
                item(
                    "designation",
                    m,
                    "Designated by the member state's government.",
                    "000 §III(1)a; 001 §III.2 i; 003 Escobar; 003 Strategy (Service Model)",
                    2,
                    Check::Designated,
                ),
                item(
                    "information-sharing-principles",
                    m,
                    "Agreement on information-sharing principles among cooperating teams.",
                    "000 §III(1)b; 001 §III.2 ii; 003 Escobar",
                    1,
                    Check::Attested,
                ),
                item(
                    "receive-and-disseminate",
                    m,
                    "Capability and responsibility to receive information from other national \
                     CSIRTs and disseminate it within the country.",
                    "000 §III(1)c; 001 §III.2 iii; 003 Escobar",
                    1,
                    Check::Attested,
                ),
                item(
                    "network-participation",
                    m,
                    "Participation in information sharing among the national CSIRTs of the network.",
                    "001 §III.2 iv",
                    1,
                    Check::SharesInNetwork,
                ),
                item(
                    "authorised-to-disseminate",
                    m,
                    "Authorisation to disseminate information to other national CSIRTs.",
                    "001 §III.2 v; 003 Escobar",
                    1,
                    Check::Attested,
                ),
                item(
                    "assistance-to-csirts",
                    m,
                    "Provision of (coordination) assistance to other national CSIRTs for \
                     incidents and threats.",
                    "001 §III.2 vi; 003 Escobar",
                    1,
                    Check::Attested,
                ),
                item(
                    "secure-infrastructure",
                    m,
                    "A secure infrastructure for managing sensitive information.",
                    "000 §III(1)d",
                    1,
                    Check::Attested,
                ),
                item(
                    "alert-contact",
                    m,
                    "A point of contact for alert and warning (24/7).",
                    "000 §III(1)e",
                    2,
                    Check::AlertContact,
                ),
                item(
                    "certification",
                    m,
                    "Certified and accredited in accordance with international norms in the \
                     computer security community.",
                    "003 Strategy (Service Model)",
                    1,
                    Check::Certified,
                ),
                item(
                    "trust-secure-infrastructure",
                    t,
                    "A secure infrastructure for managing sensitive information.",
                    &format!("{trust} i{both}"),
                    1,
                    Check::Attested,
                ),
                item(
                    "trust-secure-communication",
                    t,
                    "The ability to communicate securely with stakeholders.",
                    &format!("{trust} ii{both}"),
                    1,
                    Check::Attested,
                ),
                item(
                    "trust-marshal-experts",
                    t,
                    "The ability to marshal experts and decision-makers.",
                    &format!("{trust} iii{both}"),
                    1,
                    Check::Attested,
                ),
                item(
                    "trust-advance-notification",
                    t,
                    "Infrastructure to support advance notification to select audiences.",
                    &format!("{trust} iv{both}"),
                    1,
                    Check::Attested,
                ),
                item(
                    "trust-leak-prevention",
                    t,
                    "Procedures to guard against information leakage.",
                    &format!("{trust} v{both}"),
                    1,
                    Check::Attested,
                ),
                item(
                    "trust-public-interface",
                    t,
                    "A well-known public interface for disseminating critical information.",
                    &format!("{trust} vi{both}"),
                    1,
                    Check::PublicInterface,
                ),
                item(
                    "trust-reach-large-audience",
                    t,
                    "The ability to reach a large audience quickly.",
                    &format!("{trust} vii{both}"),
                    1,
                    Check::Attested,
                ),
            ],
        }
    }
}

impl Checklist {
    /// Refuses a checklist that would score wrongly: no items, an empty,
    /// malformed or repeated id, an unknown group, empty text, or a weight
    /// outside 1..=100. The message names the item.
    pub fn validate(&self) -> Result<(), String> {
        if self.items.is_empty() {
            return Err("the checklist has no items".into());
        }
        for (i, it) in self.items.iter().enumerate() {
            let name = if it.id.is_empty() {
                format!("item {}", i + 1)
            } else {
                format!("item {:?}", it.id)
            };
            if it.id.is_empty() || it.id.len() > 64 {
                return Err(format!("{name}: id must be 1 to 64 characters"));
            }
            if !it
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(format!(
                    "{name}: id must be lowercase letters, digits and hyphens"
                ));
            }
            if self.items[..i].iter().any(|o| o.id == it.id) {
                return Err(format!("{name}: the id is used twice"));
            }
            if !GROUPS.contains(&it.group.as_str()) {
                return Err(format!(
                    "{name}: group {:?} is not one of {}",
                    it.group,
                    GROUPS.join(", ")
                ));
            }
            if it.text.trim().is_empty() {
                return Err(format!("{name}: text is required"));
            }
            if !(1..=100).contains(&it.weight) {
                return Err(format!(
                    "{name}: weight {} is not between 1 and 100",
                    it.weight
                ));
            }
        }
        Ok(())
    }
}

/// One item's outcome for a team, with how it was established.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ItemResult {
    pub id: String,
    pub group: String,
    pub text: String,
    pub met: bool,
    /// `automatic` (shown by the entry), `attested` (the team's word) or
    /// `not met`.
    pub how: String,
    pub evidence: Option<String>,
}

/// A team's standing against the checklist, for the directory and the
/// Secretariat's follow-up.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Score {
    pub team: String,
    pub short_name: String,
    pub items: Vec<ItemResult>,
    pub met_weight: u32,
    pub total_weight: u32,
    /// `met_weight * 100 / total_weight`, rounded down.
    pub percent: u32,
    /// Every `minimum-standards` item is met (false if there are none).
    pub minimum_standards_met: bool,
}

/// What the entry shows for `check`, if it meets it.
fn automatic(entry: &DirectoryEntry, check: Check, today: time::Date) -> Option<String> {
    let filled = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.trim().is_empty());
    match check {
        Check::Attested => None,
        Check::Designated => entry
            .designation
            .as_ref()
            .filter(|d| !d.authority.trim().is_empty())
            .map(|d| {
                format!(
                    "designated by {} ({}, {})",
                    d.authority, d.instrument, d.date
                )
            }),
        Check::AlertContact => {
            let e = entry.emergency.as_ref()?;
            (entry.hours.always && (filled(&e.phone) || filled(&e.email)))
                .then(|| "emergency contact, staffed 24/7".to_owned())
        }
        Check::SharesInNetwork => {
            (!entry.node.trim().is_empty()).then(|| format!("on the network's node {}", entry.node))
        }
        Check::Certified => entry
            .certifications
            .iter()
            .find(|c| match &c.expiry {
                None => true,
                Some(x) => parse_date(x).is_some_and(|x| x >= today),
            })
            .map(|c| match &c.expiry {
                Some(x) => format!("{} certification, valid until {x}", c.scheme),
                None => format!("{} certification", c.scheme),
            }),
        Check::Affiliated => (!entry.affiliations.is_empty()).then(|| {
            entry
                .affiliations
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }),
        Check::PublicInterface => entry
            .reporting
            .first()
            .map(|r| r.address.clone())
            .or_else(|| entry.websites.first().cloned()),
    }
}

/// Scores `entry` against `checklist` on `today` (for certification
/// expiry). An item is met automatically when the entry shows it, else
/// when the team attests it; automatic wins when both hold.
pub fn score(entry: &DirectoryEntry, checklist: &Checklist, today: time::Date) -> Score {
    let mut items = Vec::with_capacity(checklist.items.len());
    let mut met_weight: u64 = 0;
    let mut total_weight: u64 = 0;
    let mut minimum_any = false;
    let mut minimum_all = true;
    for it in &checklist.items {
        let (met, how, evidence) = match automatic(entry, it.check, today) {
            Some(ev) => (true, "automatic", Some(ev)),
            None => match entry.attestations.get(&it.id).filter(|a| a.met) {
                Some(a) => (true, "attested", a.evidence.clone()),
                None => (false, "not met", None),
            },
        };
        total_weight += u64::from(it.weight);
        if met {
            met_weight += u64::from(it.weight);
        }
        if it.group == MINIMUM_STANDARDS {
            minimum_any = true;
            minimum_all &= met;
        }
        items.push(ItemResult {
            id: it.id.clone(),
            group: it.group.clone(),
            text: it.text.clone(),
            met,
            how: how.to_owned(),
            evidence,
        });
    }
    let percent = (met_weight * 100).checked_div(total_weight).unwrap_or(0);
    let clamp = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    Score {
        team: entry.team.clone(),
        short_name: entry.short_name.clone(),
        items,
        met_weight: clamp(met_weight),
        total_weight: clamp(total_weight),
        percent: clamp(percent),
        minimum_standards_met: minimum_any && minimum_all,
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    use crate::entry::tests::sample;
    use crate::entry::{Attestation, Certification};

    #[test]
    fn the_default_checklist_validates_and_has_the_seven_trust_attributes() {
        let c = Checklist::default();
        c.validate().expect("valid");
        let trust: Vec<&str> = c
            .items
            .iter()
            .filter(|i| i.group == TRUST_ATTRIBUTES)
            .map(|i| i.id.as_str())
            .collect();
        assert_eq!(trust.len(), 7);
        let minimum = c
            .items
            .iter()
            .filter(|i| i.group == MINIMUM_STANDARDS)
            .count();
        assert_eq!(minimum, 9);
        assert!(c.items.iter().all(|i| !i.source.is_empty()));
        let weight = |id: &str| c.items.iter().find(|i| i.id == id).map(|i| i.weight);
        assert_eq!(weight("designation"), Some(2));
        assert_eq!(weight("alert-contact"), Some(2));
        assert_eq!(c.items.iter().map(|i| i.weight).sum::<u32>(), 18);
        // It survives a round trip through the configuration format.
        let json = serde_json::to_value(&c).expect("serialises");
        assert_eq!(json["items"][0]["check"], "designated");
        let back: Checklist = serde_json::from_value(json).expect("deserialises");
        assert_eq!(back, c);
    }

    #[test]
    fn the_sample_scores_as_computed_by_hand() {
        let mut e = sample();
        e.attestations.insert(
            "information-sharing-principles".into(),
            Attestation {
                met: true,
                evidence: Some("signed the network's charter".into()),
                date: Some("2024-01-10".into()),
            },
        );
        // Attested as not met: does not count.
        e.attestations.insert(
            "trust-leak-prevention".into(),
            Attestation {
                met: false,
                ..Default::default()
            },
        );
        let s = score(&e, &Checklist::default(), date!(2024 - 06 - 01));
        let met: Vec<(&str, &str)> = s
            .items
            .iter()
            .filter(|i| i.met)
            .map(|i| (i.id.as_str(), i.how.as_str()))
            .collect();
        // designation (2, decree), alert-contact (2, emergency phone and
        // 24/7), network-participation (1, has a node) are automatic;
        // information-sharing-principles (1) is attested. No
        // certification, no channel or website.
        assert_eq!(
            met,
            [
                ("designation", "automatic"),
                ("information-sharing-principles", "attested"),
                ("network-participation", "automatic"),
                ("alert-contact", "automatic"),
            ]
        );
        assert_eq!(s.met_weight, 6);
        assert_eq!(s.total_weight, 18);
        // 600 / 18 = 33.3…, rounded down.
        assert_eq!(s.percent, 33);
        assert!(!s.minimum_standards_met);
        assert_eq!(s.team, e.team);
        assert_eq!(s.short_name, "CSIRT-MX");
        let designation = &s.items[0];
        assert_eq!(
            designation.evidence.as_deref(),
            Some("designated by Secretaría de Seguridad (Acuerdo 1/2010, 2010-05-01)")
        );
        let attested = &s.items[1];
        assert_eq!(
            attested.evidence.as_deref(),
            Some("signed the network's charter")
        );
        let leak = s
            .items
            .iter()
            .find(|i| i.id == "trust-leak-prevention")
            .expect("item");
        assert_eq!((leak.met, leak.how.as_str()), (false, "not met"));
    }

    #[test]
    fn a_small_checklist_scores_every_check() {
        let checklist = Checklist {
            items: vec![
                item(
                    "a",
                    MINIMUM_STANDARDS,
                    "Designated",
                    "",
                    3,
                    Check::Designated,
                ),
                item("b", MINIMUM_STANDARDS, "Attested", "", 2, Check::Attested),
                item(
                    "c",
                    TRUST_ATTRIBUTES,
                    "Affiliated",
                    "",
                    5,
                    Check::Affiliated,
                ),
                item(
                    "d",
                    TRUST_ATTRIBUTES,
                    "Public",
                    "",
                    7,
                    Check::PublicInterface,
                ),
            ],
        };
        checklist.validate().expect("valid");
        let mut e = DirectoryEntry {
            websites: vec!["https://cert.example.org".into()],
            ..Default::default()
        };
        // Nothing but a website: only "d" (7 of 17).
        let s = score(&e, &checklist, date!(2024 - 01 - 01));
        assert_eq!((s.met_weight, s.total_weight, s.percent), (7, 17, 41));
        assert!(!s.minimum_standards_met);
        // Attesting the designation item meets it without a designation;
        // with "b" attested too, all minimum standards are met: 3+2+7 = 12
        // of 17, 70 %.
        for id in ["a", "b"] {
            e.attestations.insert(
                id.into(),
                Attestation {
                    met: true,
                    evidence: None,
                    date: None,
                },
            );
        }
        let s = score(&e, &checklist, date!(2024 - 01 - 01));
        assert_eq!(s.items[0].how, "attested");
        assert_eq!((s.met_weight, s.total_weight, s.percent), (12, 17, 70));
        assert!(s.minimum_standards_met);
    }

    #[test]
    fn an_expired_certification_does_not_count() {
        let checklist = Checklist {
            items: vec![item(
                "cert",
                MINIMUM_STANDARDS,
                "Certified",
                "",
                1,
                Check::Certified,
            )],
        };
        let today = date!(2024 - 06 - 01);
        let cert = |expiry: Option<&str>| Certification {
            scheme: "SIM3".into(),
            level: None,
            date: "2020-01-01".into(),
            expiry: expiry.map(str::to_owned),
        };
        let met = |certs: Vec<Certification>| {
            let e = DirectoryEntry {
                certifications: certs,
                ..Default::default()
            };
            score(&e, &checklist, today).items[0].met
        };
        assert!(!met(vec![]));
        assert!(!met(vec![cert(Some("2024-05-31"))]), "expired yesterday");
        assert!(!met(vec![cert(Some("not a date"))]));
        assert!(met(vec![cert(Some("2024-06-01"))]), "expires today");
        assert!(met(vec![cert(None)]), "no expiry");
        assert!(met(vec![
            cert(Some("2020-01-01")),
            cert(Some("2030-01-01"))
        ]));
    }

    #[test]
    fn a_bad_checklist_is_refused_with_a_clear_message() {
        let good = || item("x", MINIMUM_STANDARDS, "Text", "", 1, Check::Attested);
        let cases: Vec<(Vec<ChecklistItem>, &str)> = vec![
            (vec![], "the checklist has no items"),
            (vec![good(), good()], "item \"x\": the id is used twice"),
            (
                vec![ChecklistItem {
                    weight: 0,
                    ..good()
                }],
                "item \"x\": weight 0 is not between 1 and 100",
            ),
            (
                vec![ChecklistItem {
                    weight: 101,
                    ..good()
                }],
                "item \"x\": weight 101 is not between 1 and 100",
            ),
            (
                vec![ChecklistItem {
                    id: String::new(),
                    ..good()
                }],
                "item 1: id must be 1 to 64 characters",
            ),
            (
                vec![ChecklistItem {
                    id: "Has Space".into(),
                    ..good()
                }],
                "item \"Has Space\": id must be lowercase letters, digits and hyphens",
            ),
            (
                vec![ChecklistItem {
                    text: " ".into(),
                    ..good()
                }],
                "item \"x\": text is required",
            ),
            (
                vec![ChecklistItem {
                    group: "other".into(),
                    ..good()
                }],
                "item \"x\": group \"other\" is not one of minimum-standards, trust-attributes",
            ),
        ];
        for (items, message) in cases {
            assert_eq!(Checklist { items }.validate(), Err(message.to_owned()));
        }
        // Unknown fields in configuration are refused by name.
        let err = serde_json::from_value::<Checklist>(serde_json::json!({
            "items": [{"id": "x", "group": "minimum-standards", "text": "T", "wieght": 2}]
        }))
        .expect_err("refused");
        assert!(err.to_string().contains("wieght"), "{err}");
        // Weight, source and check may be left out.
        let c: Checklist = serde_json::from_value(serde_json::json!({
            "items": [{"id": "x", "group": "trust-attributes", "text": "T"}]
        }))
        .expect("defaults");
        assert_eq!(c.items[0].weight, 1);
        assert_eq!(c.items[0].check, Check::Attested);
    }
}
