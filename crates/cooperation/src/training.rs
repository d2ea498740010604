//! Capacity building (C-119 to C-127): each member's training needs, per
//! person training records, mentoring offers and requests matched by
//! topic, language and region, and mentoring engagements followed through
//! the phased programme of a new CSIRT, whose stages are the directory's
//! maturity stages.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::Date;
use vigia_directory::entry::MaturityStage;

use crate::{check_text, check_title, parse_date, FieldError};

/// The topics: the twelve role profiles of ENISA's European Cybersecurity
/// Skills Framework (ECSF).
pub const ECSF_PROFILES: [(&str, &str); 12] = [
    ("ciso", "Chief Information Security Officer (CISO)"),
    ("incident-responder", "Cyber Incident Responder"),
    (
        "legal-policy-compliance",
        "Cyber Legal, Policy and Compliance Officer",
    ),
    (
        "threat-intelligence",
        "Cyber Threat Intelligence Specialist",
    ),
    ("architect", "Cybersecurity Architect"),
    ("auditor", "Cybersecurity Auditor"),
    ("educator", "Cybersecurity Educator"),
    ("implementer", "Cybersecurity Implementer"),
    ("researcher", "Cybersecurity Researcher"),
    ("risk-manager", "Cybersecurity Risk Manager"),
    ("forensics", "Digital Forensics Investigator"),
    ("penetration-tester", "Penetration Tester"),
];

/// The OAS sub-regions mentoring is matched within.
pub const REGIONS: [&str; 4] = [
    "north-america",
    "central-america",
    "caribbean",
    "south-america",
];

/// A topic's name, if it is one.
pub fn topic_name(id: &str) -> Option<&'static str> {
    ECSF_PROFILES
        .iter()
        .find(|(t, _)| *t == id)
        .map(|(_, n)| *n)
}

fn check_topics(field: &'static str, topics: &[String]) -> Result<(), FieldError> {
    if topics.is_empty() {
        return Err((field, "name at least one ECSF role profile".into()));
    }
    match topics.iter().find(|t| topic_name(t).is_none()) {
        Some(t) => Err((
            field,
            format!(
                "{t:?} is not an ECSF role profile ({})",
                ECSF_PROFILES.map(|(t, _)| t).join(", ")
            ),
        )),
        None => Ok(()),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Priority {
    High,
    Medium,
    Low,
}

/// One need: a topic, how many people, by when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Need {
    pub topic: String,
    pub people: u32,
    /// Needed by, `YYYY-MM-DD`.
    pub by: String,
    pub priority: Priority,
}

/// A member's training needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingNeeds {
    /// The milestone this answers, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub milestone_ref: Option<String>,
    pub needs: Vec<Need>,
    #[serde(default)]
    pub comment: String,
}

impl TrainingNeeds {
    /// # Errors
    /// The field that is wrong and why.
    pub fn check(&self) -> Result<(), FieldError> {
        if self.needs.is_empty() || self.needs.len() > 100 {
            return Err(("needs", "between 1 and 100 needs".into()));
        }
        for n in &self.needs {
            check_topics("needs", std::slice::from_ref(&n.topic))?;
            if n.people == 0 || n.people > 10_000 {
                return Err(("needs", format!("{}: people between 1 and 10000", n.topic)));
            }
            parse_date("needs", &n.by)?;
        }
        check_text("comment", &self.comment)
    }
}

/// One topic's demand across the region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TopicDemand {
    pub topic: String,
    pub name: String,
    pub countries: Vec<String>,
    pub people: u32,
    pub high_priority: u32,
    pub earliest: String,
}

/// The needs of every member, gathered by topic (the Secretariat's view),
/// most people first.
pub fn gather<'a>(
    needs: impl IntoIterator<Item = (&'a str, &'a TrainingNeeds)>,
) -> Vec<TopicDemand> {
    let mut by_topic: BTreeMap<&str, (BTreeSet<String>, u32, u32, String)> = BTreeMap::new();
    for (country, tn) in needs {
        for n in &tn.needs {
            let e = by_topic
                .entry(n.topic.as_str())
                .or_insert_with(|| (BTreeSet::new(), 0, 0, n.by.clone()));
            e.0.insert(country.to_owned());
            e.1 = e.1.saturating_add(n.people);
            if n.priority == Priority::High {
                e.2 = e.2.saturating_add(n.people);
            }
            if n.by < e.3 {
                e.3 = n.by.clone();
            }
        }
    }
    let mut out: Vec<TopicDemand> = by_topic
        .into_iter()
        .map(|(topic, (countries, people, high, earliest))| TopicDemand {
            topic: topic.to_owned(),
            name: topic_name(topic).unwrap_or(topic).to_owned(),
            countries: countries.into_iter().collect(),
            people,
            high_priority: high,
            earliest,
        })
        .collect();
    out.sort_by(|a, b| b.people.cmp(&a.people).then(a.topic.cmp(&b.topic)));
    out
}

/// One person's completed training.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingRecord {
    pub person: String,
    pub course: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    pub completed: String,
    /// For periodic training: when it must be taken again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
    #[serde(default)]
    pub provider: String,
}

/// Whether a person's training is current.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Currency {
    Current,
    /// Due again within 60 days.
    DueSoon,
    Expired,
}

impl TrainingRecord {
    /// # Errors
    /// The field that is wrong and why.
    pub fn check(&self) -> Result<(), FieldError> {
        check_title("person", &self.person)?;
        check_title("course", &self.course)?;
        if let Some(t) = &self.topic {
            check_topics("topic", std::slice::from_ref(t))?;
        }
        let done = parse_date("completed", &self.completed)?;
        if let Some(v) = &self.valid_until {
            if parse_date("valid_until", v)? <= done {
                return Err(("valid_until", "must be after completed".into()));
            }
        }
        check_text("provider", &self.provider)
    }

    pub fn currency(&self, today: Date) -> Currency {
        match self
            .valid_until
            .as_deref()
            .and_then(|v| parse_date("valid_until", v).ok())
        {
            None => Currency::Current,
            Some(v) if v < today => Currency::Expired,
            Some(v) if (v - today).whole_days() <= 60 => Currency::DueSoon,
            Some(_) => Currency::Current,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    Offer,
    Ask,
}

/// A team's offer of mentoring, or its request for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mentoring {
    pub side: Side,
    pub topics: Vec<String>,
    pub languages: Vec<String>,
    pub region: String,
    /// How many teams an offer can take on at once.
    #[serde(default = "one")]
    pub capacity: u32,
    #[serde(default)]
    pub comment: String,
}

fn one() -> u32 {
    1
}

impl Mentoring {
    /// # Errors
    /// The field that is wrong and why.
    pub fn check(&self) -> Result<(), FieldError> {
        check_topics("topics", &self.topics)?;
        if self.languages.is_empty() {
            return Err(("languages", "name at least one".into()));
        }
        if let Some(l) = self
            .languages
            .iter()
            .find(|l| !crate::compendium::LANGUAGES.contains(&l.as_str()))
        {
            return Err(("languages", format!("{l:?} is not one of en, es, pt, fr")));
        }
        if !REGIONS.contains(&self.region.as_str()) {
            return Err((
                "region",
                format!("{:?} is not one of {}", self.region, REGIONS.join(", ")),
            ));
        }
        if self.capacity == 0 || self.capacity > 50 {
            return Err(("capacity", "between 1 and 50".into()));
        }
        check_text("comment", &self.comment)
    }
}

/// A proposed pairing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Pairing {
    pub mentor: String,
    pub mentee: String,
    pub topics: Vec<String>,
    pub languages: Vec<String>,
    pub same_region: bool,
    pub score: u32,
}

/// Pairs offers with requests: a pair needs a shared topic and a shared
/// language; more shared topics count most, then the same sub-region, then
/// more shared languages. Best pairs are taken first, each request once,
/// each offer up to its capacity, never a team with itself.
pub fn match_pairs<'a>(
    offers: &[(&'a str, &'a Mentoring)],
    asks: &[(&'a str, &'a Mentoring)],
) -> Vec<Pairing> {
    let mut candidates = Vec::new();
    for (mentor, o) in offers {
        for (mentee, a) in asks {
            if mentor == mentee {
                continue;
            }
            let topics: Vec<String> = a
                .topics
                .iter()
                .filter(|t| o.topics.contains(t))
                .cloned()
                .collect();
            let languages: Vec<String> = a
                .languages
                .iter()
                .filter(|l| o.languages.contains(l))
                .cloned()
                .collect();
            if topics.is_empty() || languages.is_empty() {
                continue;
            }
            let same_region = o.region == a.region;
            let score =
                topics.len() as u32 * 10 + u32::from(same_region) * 5 + languages.len() as u32;
            candidates.push(Pairing {
                mentor: (*mentor).to_owned(),
                mentee: (*mentee).to_owned(),
                topics,
                languages,
                same_region,
                score,
            });
        }
    }
    candidates.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then_with(|| a.mentee.cmp(&b.mentee))
            .then_with(|| a.mentor.cmp(&b.mentor))
    });
    let mut load: BTreeMap<String, u32> = BTreeMap::new();
    let mut served = BTreeSet::new();
    let capacity = |m: &str| {
        offers
            .iter()
            .find(|(t, _)| *t == m)
            .map_or(0, |(_, o)| o.capacity)
    };
    let mut out = Vec::new();
    for c in candidates {
        let used = load.get(&c.mentor).copied().unwrap_or(0);
        if served.contains(&c.mentee) || used >= capacity(&c.mentor) {
            continue;
        }
        served.insert(c.mentee.clone());
        load.insert(c.mentor.clone(), used + 1);
        out.push(c);
    }
    out
}

/// A mentoring engagement, followed through the phased programme.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Engagement {
    pub mentor: String,
    pub mentee: String,
    pub topics: Vec<String>,
    pub stage: MaturityStage,
    /// Each stage reached, with its date.
    pub history: Vec<StageReached>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageReached {
    pub stage: MaturityStage,
    pub since: String,
}

/// The programme's stages, in order: the directory's maturity stages.
pub const STAGES: [MaturityStage; 3] = [
    MaturityStage::PocOnly,
    MaturityStage::BeingEstablished,
    MaturityStage::Operational,
];

impl Engagement {
    /// # Errors
    /// The field that is wrong and why.
    pub fn check(&self) -> Result<(), FieldError> {
        for (field, t) in [("mentor", &self.mentor), ("mentee", &self.mentee)] {
            if !t.starts_with("identity--") {
                return Err((field, format!("{t:?} is not a team id")));
            }
        }
        if self.mentor == self.mentee {
            return Err(("mentee", "a team does not mentor itself".into()));
        }
        check_topics("topics", &self.topics)?;
        for w in self.history.windows(2) {
            if w[1].stage <= w[0].stage || w[1].since < w[0].since {
                return Err(("history", "stages only move forward, in date order".into()));
            }
        }
        for h in &self.history {
            parse_date("history", &h.since)?;
        }
        if self.history.last().is_some_and(|h| h.stage != self.stage) {
            return Err(("stage", "is not the last stage in history".into()));
        }
        check_text("notes", &self.notes)
    }

    /// The engagement moved on to `to` on `on`.
    ///
    /// # Errors
    /// When `to` is not after the current stage.
    pub fn advance(&mut self, to: MaturityStage, on: Date) -> Result<(), FieldError> {
        if to <= self.stage {
            return Err(("stage", "stages only move forward".into()));
        }
        self.stage = to;
        self.history.push(StageReached {
            stage: to,
            since: crate::format_date(on),
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn m(side: Side, topics: &[&str], langs: &[&str], region: &str) -> Mentoring {
        Mentoring {
            side,
            topics: topics.iter().map(|t| t.to_string()).collect(),
            languages: langs.iter().map(|t| t.to_string()).collect(),
            region: region.into(),
            capacity: 1,
            comment: String::new(),
        }
    }

    #[test]
    fn pairs_need_a_topic_and_a_language_and_prefer_the_region() {
        let uy = m(
            Side::Offer,
            &["incident-responder", "forensics"],
            &["es"],
            "south-america",
        );
        let ca = m(
            Side::Offer,
            &["incident-responder"],
            &["en", "fr"],
            "north-america",
        );
        let py = m(Side::Ask, &["incident-responder"], &["es"], "south-america");
        let ht = m(Side::Ask, &["incident-responder"], &["fr"], "caribbean");
        let bz = m(Side::Ask, &["ciso"], &["en"], "central-america");
        let got = match_pairs(
            &[("uy", &uy), ("ca", &ca)],
            &[("py", &py), ("ht", &ht), ("bz", &bz)],
        );
        let pairs: Vec<(&str, &str)> = got
            .iter()
            .map(|p| (p.mentor.as_str(), p.mentee.as_str()))
            .collect();
        assert_eq!(pairs, [("uy", "py"), ("ca", "ht")], "bz shares no topic");
        assert_eq!(got[0].score, 10 + 5 + 1);
        assert!(!got[1].same_region);
    }

    #[test]
    fn an_offer_takes_no_more_than_its_capacity() {
        let uy = m(Side::Offer, &["forensics"], &["es"], "south-america");
        let a = m(Side::Ask, &["forensics"], &["es"], "south-america");
        let b = m(Side::Ask, &["forensics"], &["es"], "caribbean");
        assert_eq!(
            match_pairs(&[("uy", &uy)], &[("a", &a), ("b", &b)]).len(),
            1
        );
        let mut big = uy.clone();
        big.capacity = 2;
        assert_eq!(
            match_pairs(&[("uy", &big)], &[("a", &a), ("b", &b)]).len(),
            2
        );
        assert!(
            match_pairs(&[("a", &big)], &[("a", &a)]).is_empty(),
            "not with itself"
        );
    }

    #[test]
    fn needs_gather_by_topic_across_countries() {
        let need = |t: &str, p: u32, by: &str, pr| Need {
            topic: t.into(),
            people: p,
            by: by.into(),
            priority: pr,
        };
        let cl = TrainingNeeds {
            milestone_ref: None,
            needs: vec![
                need("forensics", 3, "2027-06-30", Priority::High),
                need("ciso", 1, "2027-12-31", Priority::Low),
            ],
            comment: String::new(),
        };
        let jm = TrainingNeeds {
            milestone_ref: None,
            needs: vec![need("forensics", 2, "2027-03-31", Priority::Medium)],
            comment: String::new(),
        };
        assert_eq!(cl.check(), Ok(()));
        let got = gather([("CL", &cl), ("JM", &jm)]);
        assert_eq!(got[0].topic, "forensics");
        assert_eq!(got[0].people, 5);
        assert_eq!(got[0].high_priority, 3);
        assert_eq!(got[0].countries, ["CL", "JM"]);
        assert_eq!(got[0].earliest, "2027-03-31");
        assert_eq!(got[1].people, 1);
        let mut bad = jm.clone();
        bad.needs[0].topic = "hacking".into();
        assert!(bad
            .check()
            .unwrap_err()
            .1
            .contains("not an ECSF role profile"));
    }

    #[test]
    fn periodic_training_comes_due_and_expires() {
        let r = TrainingRecord {
            person: "Luis".into(),
            course: "Incident handling".into(),
            topic: Some("incident-responder".into()),
            completed: "2026-03-01".into(),
            valid_until: Some("2027-03-01".into()),
            provider: "OAS".into(),
        };
        assert_eq!(r.check(), Ok(()));
        assert_eq!(r.currency(date!(2026 - 06 - 01)), Currency::Current);
        assert_eq!(r.currency(date!(2027 - 01 - 15)), Currency::DueSoon);
        assert_eq!(r.currency(date!(2027 - 03 - 02)), Currency::Expired);
    }

    #[test]
    fn an_engagement_only_moves_forward() {
        let mut e = Engagement {
            mentor: "identity--a".into(),
            mentee: "identity--b".into(),
            topics: vec!["incident-responder".into()],
            stage: MaturityStage::PocOnly,
            history: vec![StageReached {
                stage: MaturityStage::PocOnly,
                since: "2026-01-01".into(),
            }],
            notes: String::new(),
        };
        assert_eq!(e.check(), Ok(()));
        e.advance(MaturityStage::BeingEstablished, date!(2026 - 06 - 01))
            .unwrap();
        assert_eq!(e.check(), Ok(()));
        assert!(e
            .advance(MaturityStage::PocOnly, date!(2026 - 07 - 01))
            .is_err());
        e.history.swap(0, 1);
        assert_eq!(e.check().unwrap_err().0, "history");
    }
}
