//! National self-assessment (C-131 to C-137) over the five framework
//! elements of the ITU readiness toolkit: a maturity level per element
//! with evidence, goals, steps and their state, gaps and priorities. The
//! question set is data with a version. The first assessment is the
//! baseline; later ones show their progress against it. A country that
//! opts in shares its levels alone (an `assessment-scores` record), and
//! the regional readiness index is computed from those alone.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::training::Priority;
use crate::{check_text, parse_date, FieldError};

/// The question set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Questionnaire {
    pub version: u32,
    pub elements: Vec<Element>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Element {
    pub id: String,
    pub name: String,
    /// What levels 1 to 5 mean for this element.
    pub levels: Vec<String>,
    pub questions: Vec<Question>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    pub text: String,
}

const LEVELS: [&str; 5] = [
    "Initial: nothing in place, or only ad hoc efforts",
    "Developing: first steps taken, not yet formal",
    "Defined: formally in place, not yet fully applied",
    "Managed: applied nationally and measured",
    "Optimising: reviewed and improved regularly, shared with the region",
];

fn element(id: &str, name: &str, questions: &[(&str, &str)]) -> Element {
    Element {
        id: id.into(),
        name: name.into(),
        levels: LEVELS.iter().map(|l| (*l).to_owned()).collect(),
        questions: questions
            .iter()
            .map(|(q, t)| Question {
                id: (*q).into(),
                text: (*t).into(),
            })
            .collect(),
    }
}

impl Questionnaire {
    /// The default question set, version 1, from REQUIREMENTS §2.4: the
    /// five elements in Richardson's order, with the orientation
    /// questions (where are we, where are we going, how) for each.
    pub fn default_v1() -> Questionnaire {
        Questionnaire {
            version: 1,
            elements: vec![
                element("national-strategy", "National strategy", &[
                    ("policy", "Is there a national cybersecurity strategy or policy statement, and who owns it?"),
                    ("goals", "What goals does it set, and how far has the country come in meeting them?"),
                ]),
                element("deterring-cybercrime", "Deterring cybercrime", &[
                    ("law", "Does national law criminalise cybercrime and enable international cooperation?"),
                    ("enforcement", "Are there units able to investigate and prosecute it?"),
                ]),
                element("incident-management", "National incident management capabilities", &[
                    ("csirt", "Is there a national CSIRT with a mandate, staff and 24/7 contact?"),
                    ("coordination", "How are incidents coordinated nationally and with other countries?"),
                ]),
                element("public-private", "Government–private sector collaboration", &[
                    ("partnership", "Which formal partnerships exist with operators of critical infrastructure?"),
                    ("sharing", "How is information shared between government and industry?"),
                ]),
                element("culture", "Culture of cybersecurity", &[
                    ("awareness", "Which awareness programmes reach the public, and how is their effect measured?"),
                    ("education", "Is cybersecurity part of education and professional training?"),
                ]),
            ],
        }
    }

    /// # Errors
    /// The field that is wrong and why.
    pub fn check(&self) -> Result<(), FieldError> {
        if self.elements.is_empty() || self.elements.len() > 20 {
            return Err(("elements", "between 1 and 20 elements".into()));
        }
        let mut ids = std::collections::BTreeSet::new();
        for e in &self.elements {
            if e.id.trim().is_empty() || !ids.insert(e.id.as_str()) {
                return Err((
                    "elements",
                    format!("element id {:?} is blank or repeated", e.id),
                ));
            }
            if e.levels.len() != 5 {
                return Err((
                    "elements",
                    format!("{}: describe exactly five levels", e.id),
                ));
            }
        }
        Ok(())
    }

    pub fn element(&self, id: &str) -> Option<&Element> {
        self.elements.iter().find(|e| e.id == id)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepState {
    NotStarted,
    InProgress,
    Done,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub text: String,
    pub state: StepState,
    #[serde(default)]
    pub owner: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_date: Option<String>,
}

/// One element as assessed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElementAssessment {
    pub element: String,
    /// 1 to 5.
    pub level: u8,
    /// The level the country aims for.
    pub target: u8,
    #[serde(default)]
    pub policy_statement: bool,
    #[serde(default)]
    pub evidence: String,
    #[serde(default)]
    pub goals: Vec<String>,
    #[serde(default)]
    pub steps: Vec<Step>,
    #[serde(default)]
    pub gaps: String,
    pub priority: Priority,
    /// Answers by question id.
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
}

/// An assessment's body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assessment {
    pub country: String,
    pub questionnaire_version: u32,
    pub assessed_on: String,
    pub elements: Vec<ElementAssessment>,
    /// Whether the country shares its levels (never its answers) with
    /// the network for the regional index.
    #[serde(default)]
    pub share_scores: bool,
}

impl Assessment {
    /// # Errors
    /// The field that is wrong and why.
    pub fn check(&self, q: &Questionnaire) -> Result<(), FieldError> {
        if self.country.len() != 2 || !self.country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err((
                "country",
                format!("{:?} is not an ISO 3166 alpha-2 code", self.country),
            ));
        }
        if self.questionnaire_version != q.version {
            return Err((
                "questionnaire_version",
                format!("the question set in force is version {}", q.version),
            ));
        }
        parse_date("assessed_on", &self.assessed_on)?;
        for e in &self.elements {
            let Some(def) = q.element(&e.element) else {
                return Err((
                    "elements",
                    format!("{:?} is not an element of the question set", e.element),
                ));
            };
            if !(1..=5).contains(&e.level) || !(1..=5).contains(&e.target) {
                return Err((
                    "elements",
                    format!("{}: level and target are 1 to 5", e.element),
                ));
            }
            if let Some(a) = e
                .answers
                .keys()
                .find(|a| !def.questions.iter().any(|q| &q.id == *a))
            {
                return Err((
                    "elements",
                    format!("{}: {a:?} is not one of its questions", e.element),
                ));
            }
            for text in [&e.evidence, &e.gaps]
                .into_iter()
                .chain(e.goals.iter())
                .chain(e.answers.values())
            {
                check_text("elements", text)?;
            }
            for s in &e.steps {
                check_text("elements", &s.text)?;
                if let Some(d) = &s.target_date {
                    parse_date("elements", d)?;
                }
            }
        }
        let missing: Vec<&str> = q
            .elements
            .iter()
            .filter(|d| !self.elements.iter().any(|e| e.element == d.id))
            .map(|d| d.id.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(("elements", format!("not assessed: {}", missing.join(", "))));
        }
        if self.elements.len() != q.elements.len() {
            return Err(("elements", "an element is assessed twice".into()));
        }
        Ok(())
    }

    /// The national score: the mean level, in tenths.
    pub fn score_tenths(&self) -> u32 {
        mean_tenths(self.elements.iter().map(|e| u32::from(e.level)))
    }

    /// The levels alone, as shared with the network.
    pub fn scores(&self) -> Scores {
        Scores {
            country: self.country.clone(),
            questionnaire_version: self.questionnaire_version,
            assessed_on: self.assessed_on.clone(),
            levels: self
                .elements
                .iter()
                .map(|e| (e.element.clone(), e.level))
                .collect(),
        }
    }
}

/// Mean of `values` in tenths, rounded half up; 0 when empty.
fn mean_tenths(values: impl Iterator<Item = u32>) -> u32 {
    let (sum, n) = values.fold((0u32, 0u32), |(s, n), v| (s + v, n + 1));
    if n == 0 {
        return 0;
    }
    (sum * 100 / n + 5) / 10
}

/// One element's change since the baseline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ElementProgress {
    pub element: String,
    pub baseline: u8,
    pub current: u8,
    pub change: i8,
    pub steps_done: usize,
    pub steps: usize,
}

/// Progress of `current` against `baseline`, element by element.
pub fn progress(baseline: &Assessment, current: &Assessment) -> Vec<ElementProgress> {
    current
        .elements
        .iter()
        .map(|c| {
            let b = baseline
                .elements
                .iter()
                .find(|b| b.element == c.element)
                .map_or(c.level, |b| b.level);
            ElementProgress {
                element: c.element.clone(),
                baseline: b,
                current: c.level,
                change: c.level as i8 - b as i8,
                steps_done: c
                    .steps
                    .iter()
                    .filter(|s| s.state == StepState::Done)
                    .count(),
                steps: c.steps.len(),
            }
        })
        .collect()
}

/// One gap to close.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Gap {
    pub element: String,
    pub level: u8,
    pub target: u8,
    pub priority: Priority,
    pub gaps: String,
    /// Steps not yet done.
    pub open_steps: Vec<String>,
}

/// The prioritised gap list: elements below their target, by priority,
/// then by the distance to the target, largest first.
pub fn gap_list(a: &Assessment) -> Vec<Gap> {
    let mut gaps: Vec<Gap> = a
        .elements
        .iter()
        .filter(|e| e.target > e.level)
        .map(|e| Gap {
            element: e.element.clone(),
            level: e.level,
            target: e.target,
            priority: e.priority,
            gaps: e.gaps.clone(),
            open_steps: e
                .steps
                .iter()
                .filter(|s| s.state != StepState::Done)
                .map(|s| s.text.clone())
                .collect(),
        })
        .collect();
    gaps.sort_by(|x, y| {
        x.priority
            .cmp(&y.priority)
            .then((y.target - y.level).cmp(&(x.target - x.level)))
            .then(x.element.cmp(&y.element))
    });
    gaps
}

/// A country's shared levels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scores {
    pub country: String,
    pub questionnaire_version: u32,
    pub assessed_on: String,
    pub levels: BTreeMap<String, u8>,
}

/// The regional readiness index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReadinessIndex {
    /// The countries it is computed from: those that opted in.
    pub countries: Vec<String>,
    /// Mean level per element, in tenths.
    pub elements: BTreeMap<String, u32>,
    /// Mean of the national scores, in tenths.
    pub index_tenths: u32,
}

/// The index over the latest shared scores of each country. Only what
/// countries chose to share comes in, so nothing else can leak.
pub fn readiness_index<'a>(shared: impl IntoIterator<Item = &'a Scores>) -> ReadinessIndex {
    let mut latest: BTreeMap<&str, &Scores> = BTreeMap::new();
    for s in shared {
        let keep = latest
            .get(s.country.as_str())
            .is_none_or(|l| l.assessed_on < s.assessed_on);
        if keep {
            latest.insert(&s.country, s);
        }
    }
    let mut per_element: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut national = Vec::new();
    for s in latest.values() {
        for (e, l) in &s.levels {
            per_element
                .entry(e.clone())
                .or_default()
                .push(u32::from(*l));
        }
        national.push(mean_tenths(s.levels.values().map(|l| u32::from(*l))));
    }
    ReadinessIndex {
        countries: latest.keys().map(|c| (*c).to_owned()).collect(),
        elements: per_element
            .into_iter()
            .map(|(e, v)| (e, mean_tenths(v.into_iter())))
            .collect(),
        // The mean of national scores in tenths, rounded half up.
        index_tenths: if national.is_empty() {
            0
        } else {
            (national.iter().sum::<u32>() * 10 / national.len() as u32 + 5) / 10
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assessment(levels: [u8; 5], on: &str) -> Assessment {
        let q = Questionnaire::default_v1();
        Assessment {
            country: "CL".into(),
            questionnaire_version: 1,
            assessed_on: on.into(),
            elements: q
                .elements
                .iter()
                .zip(levels)
                .map(|(e, l)| ElementAssessment {
                    element: e.id.clone(),
                    level: l,
                    target: 4,
                    policy_statement: l > 1,
                    evidence: String::new(),
                    goals: vec![],
                    steps: vec![
                        Step {
                            text: "a".into(),
                            state: StepState::Done,
                            owner: String::new(),
                            target_date: None,
                        },
                        Step {
                            text: "b".into(),
                            state: StepState::InProgress,
                            owner: String::new(),
                            target_date: None,
                        },
                    ],
                    gaps: String::new(),
                    priority: if e.id == "culture" {
                        Priority::High
                    } else {
                        Priority::Medium
                    },
                    answers: BTreeMap::new(),
                })
                .collect(),
            share_scores: true,
        }
    }

    #[test]
    fn the_default_question_set_has_the_five_elements() {
        let q = Questionnaire::default_v1();
        assert_eq!(q.check(), Ok(()));
        let names: Vec<&str> = q.elements.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names[0], "National strategy");
        assert_eq!(names[4], "Culture of cybersecurity");
    }

    #[test]
    fn an_assessment_names_what_is_wrong() {
        let q = Questionnaire::default_v1();
        assert_eq!(assessment([2, 2, 3, 1, 2], "2026-03-01").check(&q), Ok(()));
        let mut a = assessment([2, 2, 3, 1, 2], "2026-03-01");
        a.elements.pop();
        assert!(a.check(&q).unwrap_err().1.contains("not assessed: culture"));
        let mut a = assessment([2, 2, 3, 1, 6], "2026-03-01");
        assert!(a.check(&q).unwrap_err().1.contains("1 to 5"));
        a = assessment([2, 2, 3, 1, 2], "2026-03-01");
        a.elements[0].answers.insert("nope".into(), "x".into());
        assert!(a
            .check(&q)
            .unwrap_err()
            .1
            .contains("not one of its questions"));
        a = assessment([2, 2, 3, 1, 2], "2026-03-01");
        a.questionnaire_version = 2;
        assert_eq!(a.check(&q).unwrap_err().0, "questionnaire_version");
        a = assessment([2, 2, 3, 1, 2], "2026-03-01");
        a.country = "Chile".into();
        assert_eq!(a.check(&q).unwrap_err().0, "country");
    }

    #[test]
    fn progress_is_measured_against_the_baseline() {
        // Worked by hand: levels 2,2,3,1,2 then 3,2,4,2,2.
        let base = assessment([2, 2, 3, 1, 2], "2026-03-01");
        let now = assessment([3, 2, 4, 2, 2], "2026-11-01");
        let p = progress(&base, &now);
        let changes: Vec<i8> = p.iter().map(|e| e.change).collect();
        assert_eq!(changes, [1, 0, 1, 1, 0]);
        assert_eq!(p[0].steps_done, 1);
        assert_eq!(base.score_tenths(), 20, "(2+2+3+1+2)/5 = 2.0");
        assert_eq!(now.score_tenths(), 26, "(3+2+4+2+2)/5 = 2.6");
    }

    #[test]
    fn gaps_come_by_priority_then_distance() {
        // Targets are all 4; culture is high priority.
        let a = assessment([3, 1, 4, 2, 3], "2026-03-01");
        let list = gap_list(&a);
        let g: Vec<(&str, u8)> = list
            .iter()
            .map(|g| (g.element.as_str(), g.target - g.level))
            .collect();
        assert_eq!(
            g,
            [
                ("culture", 1),
                ("deterring-cybercrime", 3),
                ("public-private", 2),
                ("national-strategy", 1)
            ]
        );
        assert_eq!(gap_list(&a)[0].open_steps, ["b"]);
    }

    #[test]
    fn the_index_uses_each_opted_in_countrys_latest_scores() {
        let mut cl_old = assessment([1, 1, 1, 1, 1], "2025-03-01").scores();
        cl_old.country = "CL".into();
        let cl = assessment([3, 2, 4, 2, 2], "2026-03-01").scores();
        let mut uy = assessment([4, 3, 4, 3, 3], "2026-05-01").scores();
        uy.country = "UY".into();
        let idx = readiness_index([&cl_old, &cl, &uy]);
        assert_eq!(idx.countries, ["CL", "UY"]);
        // national-strategy: (3+4)/2 = 3.5; CL 2.6, UY 3.4, mean 3.0.
        assert_eq!(idx.elements["national-strategy"], 35);
        assert_eq!(idx.index_tenths, 30);
        assert_eq!(readiness_index([]).countries.len(), 0);
    }
}
