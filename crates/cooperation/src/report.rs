//! The annual report on the state of cybersecurity (C-106, C-107, C-138):
//! its numbers, computed from plain facts the node gathers from what the
//! reader may see, and its SVG charts. Nothing here reads a store: the
//! caller hands in only entitled facts, so the report cannot hold more.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::{check_text, FieldError};

/// A national point of contact's section about its own jurisdiction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSection {
    pub year: i32,
    pub country: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incidents_handled: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exercises: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub awareness_campaigns: Option<u32>,
    /// New or amended laws and policies.
    #[serde(default)]
    pub legislation: String,
    /// Set by the point of contact once the section is final; only
    /// approved sections go into the report.
    #[serde(default)]
    pub approved: bool,
}

impl ReportSection {
    /// # Errors
    /// The field that is wrong and why.
    pub fn check(&self) -> Result<(), FieldError> {
        if !(2000..=2100).contains(&self.year) {
            return Err(("year", format!("{} is not a plausible year", self.year)));
        }
        if self.country.len() != 2 || !self.country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err((
                "country",
                format!("{:?} is not an ISO 3166 alpha-2 code", self.country),
            ));
        }
        if self.text.trim().is_empty() {
            return Err(("text", "missing".into()));
        }
        check_text("text", &self.text)?;
        check_text("legislation", &self.legislation)
    }
}

/// A product published in the year (exercise products are drills and are
/// counted there).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductFact {
    pub kind: String,
    pub severity: String,
    /// The originator's country.
    pub country: String,
    /// The originator's constituency sectors.
    pub sectors: Vec<String>,
    /// Unix seconds.
    pub published: i64,
    pub exercise: bool,
}

/// One team's receipt of one product.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryFact {
    pub team: String,
    pub published: i64,
    pub delivered: Option<i64>,
    pub acknowledged: Option<i64>,
    pub exercise: bool,
}

/// A drill and its receipts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DrillFact {
    pub title: String,
    pub started: i64,
    pub teams: Vec<String>,
    /// Seconds from start to acknowledgement, per team that acknowledged.
    pub acknowledged: BTreeMap<String, i64>,
}

/// A member state's coverage at the start and end of the year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoverageFact {
    pub country: String,
    /// `national-csirt`, `poc-only` or `none`.
    pub start: String,
    pub end: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicReportFact {
    pub category: String,
    pub country: String,
    pub received: i64,
}

/// Correlation and sighting figures for the year.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CorrelationFigures {
    pub index_rows: i64,
    pub over_correlating: i64,
    pub sightings: u64,
    pub sighting_teams: usize,
    pub claims: usize,
    pub claims_published: usize,
}

/// Everything the report is built from, already narrowed to the reader.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub products: Vec<ProductFact>,
    pub deliveries: Vec<DeliveryFact>,
    pub drills: Vec<DrillFact>,
    pub coverage: Vec<CoverageFact>,
    pub public_reports: Vec<PublicReportFact>,
    pub correlation: CorrelationFigures,
    /// Sections with their team and marking.
    pub sections: Vec<(String, String, ReportSection)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub total: usize,
    pub by_kind: BTreeMap<String, usize>,
    pub by_severity: BTreeMap<String, usize>,
    pub by_country: BTreeMap<String, usize>,
    pub by_sector: BTreeMap<String, usize>,
}

/// Time-to-deliver and time-to-acknowledge of one team, in seconds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Timeliness {
    pub team: String,
    pub products: usize,
    pub delivered: usize,
    pub acknowledged: usize,
    pub median_deliver_s: Option<i64>,
    pub median_acknowledge_s: Option<i64>,
    /// Percentage acknowledged, rounded down.
    pub acknowledged_pct: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DrillResult {
    pub title: String,
    pub started: i64,
    pub teams: usize,
    pub acknowledged: usize,
    pub median_acknowledge_s: Option<i64>,
    /// Teams that never acknowledged.
    pub silent: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    pub start: BTreeMap<String, usize>,
    pub end: BTreeMap<String, usize>,
    /// (country, from, to) for each state whose coverage changed.
    pub changes: Vec<(String, String, String)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PublicReports {
    pub total: usize,
    pub by_category: BTreeMap<String, usize>,
    pub by_country: BTreeMap<String, usize>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SectionOut {
    pub team: String,
    pub tlp: String,
    pub section: ReportSection,
}

/// The annual report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AnnualReport {
    pub year: i32,
    pub products: Counts,
    pub timeliness: Vec<Timeliness>,
    pub drills: Vec<DrillResult>,
    pub coverage: Coverage,
    pub public_reports: PublicReports,
    pub correlation: CorrelationFigures,
    pub sections: Vec<SectionOut>,
}

/// Unix seconds of 1 January of `year`, 00:00 UTC.
pub fn year_start(year: i32) -> i64 {
    time::Date::from_calendar_date(year, time::Month::January, 1)
        .map(|d| d.midnight().assume_utc().unix_timestamp())
        .unwrap_or(0)
}

/// The median, the mean of the two middle values when even, rounded down.
pub fn median(mut v: Vec<i64>) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]).div_euclid(2)
    })
}

impl AnnualReport {
    /// The report for `year` from `facts`.
    pub fn build(year: i32, facts: &Facts) -> AnnualReport {
        let (from, to) = (year_start(year), year_start(year + 1));
        let within = |t: i64| t >= from && t < to;
        AnnualReport {
            year,
            products: counts(
                facts
                    .products
                    .iter()
                    .filter(|p| !p.exercise && within(p.published)),
            ),
            timeliness: timeliness(
                facts
                    .deliveries
                    .iter()
                    .filter(|d| !d.exercise && within(d.published)),
            ),
            drills: facts
                .drills
                .iter()
                .filter(|d| within(d.started))
                .map(drill)
                .collect(),
            coverage: coverage(&facts.coverage),
            public_reports: public_reports(
                facts.public_reports.iter().filter(|r| within(r.received)),
            ),
            correlation: facts.correlation.clone(),
            sections: facts
                .sections
                .iter()
                .filter(|(_, _, s)| s.year == year && s.approved)
                .map(|(team, tlp, s)| SectionOut {
                    team: team.clone(),
                    tlp: tlp.clone(),
                    section: s.clone(),
                })
                .collect(),
        }
    }
}

fn counts<'a>(products: impl Iterator<Item = &'a ProductFact>) -> Counts {
    let mut c = Counts::default();
    for p in products {
        c.total += 1;
        *c.by_kind.entry(p.kind.clone()).or_default() += 1;
        *c.by_severity.entry(p.severity.clone()).or_default() += 1;
        *c.by_country.entry(p.country.clone()).or_default() += 1;
        let sectors: BTreeSet<&String> = p.sectors.iter().collect();
        if sectors.is_empty() {
            *c.by_sector.entry("unspecified".into()).or_default() += 1;
        }
        for s in sectors {
            *c.by_sector.entry(s.clone()).or_default() += 1;
        }
    }
    c
}

fn timeliness<'a>(deliveries: impl Iterator<Item = &'a DeliveryFact>) -> Vec<Timeliness> {
    let mut by_team: BTreeMap<&str, Vec<&DeliveryFact>> = BTreeMap::new();
    for d in deliveries {
        by_team.entry(&d.team).or_default().push(d);
    }
    by_team
        .into_iter()
        .map(|(team, ds)| {
            let deliver: Vec<i64> = ds
                .iter()
                .filter_map(|d| d.delivered.map(|t| (t - d.published).max(0)))
                .collect();
            let ack: Vec<i64> = ds
                .iter()
                .filter_map(|d| d.acknowledged.map(|t| (t - d.published).max(0)))
                .collect();
            Timeliness {
                team: team.to_owned(),
                products: ds.len(),
                delivered: deliver.len(),
                acknowledged: ack.len(),
                acknowledged_pct: (ack.len() * 100 / ds.len().max(1)) as u32,
                median_deliver_s: median(deliver),
                median_acknowledge_s: median(ack),
            }
        })
        .collect()
}

fn drill(d: &DrillFact) -> DrillResult {
    DrillResult {
        title: d.title.clone(),
        started: d.started,
        teams: d.teams.len(),
        acknowledged: d
            .teams
            .iter()
            .filter(|t| d.acknowledged.contains_key(*t))
            .count(),
        median_acknowledge_s: median(
            d.teams
                .iter()
                .filter_map(|t| d.acknowledged.get(t).copied())
                .collect(),
        ),
        silent: d
            .teams
            .iter()
            .filter(|t| !d.acknowledged.contains_key(*t))
            .cloned()
            .collect(),
    }
}

fn coverage(facts: &[CoverageFact]) -> Coverage {
    let mut c = Coverage::default();
    for f in facts {
        *c.start.entry(f.start.clone()).or_default() += 1;
        *c.end.entry(f.end.clone()).or_default() += 1;
        if f.start != f.end {
            c.changes
                .push((f.country.clone(), f.start.clone(), f.end.clone()));
        }
    }
    c.changes.sort();
    c
}

fn public_reports<'a>(reports: impl Iterator<Item = &'a PublicReportFact>) -> PublicReports {
    let mut p = PublicReports::default();
    for r in reports {
        p.total += 1;
        *p.by_category.entry(r.category.clone()).or_default() += 1;
        *p.by_country.entry(r.country.clone()).or_default() += 1;
    }
    p
}

/// A horizontal bar chart as an accessible SVG (`role="img"`, a title),
/// largest bar full width.
pub fn bar_chart(title: &str, bars: &[(String, usize)]) -> String {
    const ROW: usize = 22;
    const LABEL: usize = 170;
    const WIDTH: usize = 600;
    let max = bars.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let height = ROW * bars.len().max(1) + 8;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" class=\"chart\"><title>{}</title>",
        xml(title)
    );
    for (i, (label, n)) in bars.iter().enumerate() {
        let y = i * ROW + 4;
        let w = (WIDTH - LABEL - 60) * n / max;
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\">{}</text>\
             <rect x=\"{LABEL}\" y=\"{y}\" width=\"{w}\" height=\"{}\" fill=\"#2b6cb0\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"12\">{n}</text>",
            LABEL - 6,
            y + 13,
            xml(label),
            ROW - 6,
            LABEL + w + 4,
            y + 13,
        ));
    }
    if bars.is_empty() {
        svg.push_str("<text x=\"4\" y=\"16\" font-size=\"12\">—</text>");
    }
    svg.push_str("</svg>");
    svg
}

/// Bars from a count map, largest first.
pub fn bars(map: &BTreeMap<String, usize>) -> Vec<(String, usize)> {
    let mut v: Vec<(String, usize)> = map.iter().map(|(k, n)| (k.clone(), *n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    const Y: i32 = 2026;

    fn at(day: i64) -> i64 {
        year_start(Y) + day * 86_400
    }

    fn product(
        kind: &str,
        sev: &str,
        cc: &str,
        sectors: &[&str],
        day: i64,
        exercise: bool,
    ) -> ProductFact {
        ProductFact {
            kind: kind.into(),
            severity: sev.into(),
            country: cc.into(),
            sectors: sectors.iter().map(|s| s.to_string()).collect(),
            published: at(day),
            exercise,
        }
    }

    /// The fixture, worked by hand in each test's comments.
    fn facts() -> Facts {
        Facts {
            products: vec![
                product("alert", "critical", "CL", &["energy", "finance"], 10, false),
                product("alert", "high", "CL", &["energy"], 40, false),
                product("advisory", "medium", "UY", &[], 100, false),
                product("alert", "critical", "UY", &[], 200, true),
                product("alert", "low", "JM", &["health"], -1, false),
                product("alert", "low", "JM", &["health"], 365, false),
            ],
            deliveries: vec![
                // CL: deliver 60, 120, 300 s → median 120; ack 600, 1800 → median 1200; 2 of 3 → 66 %.
                DeliveryFact {
                    team: "CL".into(),
                    published: at(1),
                    delivered: Some(at(1) + 60),
                    acknowledged: Some(at(1) + 600),
                    exercise: false,
                },
                DeliveryFact {
                    team: "CL".into(),
                    published: at(2),
                    delivered: Some(at(2) + 120),
                    acknowledged: Some(at(2) + 1800),
                    exercise: false,
                },
                DeliveryFact {
                    team: "CL".into(),
                    published: at(3),
                    delivered: Some(at(3) + 300),
                    acknowledged: None,
                    exercise: false,
                },
                // UY: deliver 30, 90 → median 60; no acks → 0 %.
                DeliveryFact {
                    team: "UY".into(),
                    published: at(5),
                    delivered: Some(at(5) + 30),
                    acknowledged: None,
                    exercise: false,
                },
                DeliveryFact {
                    team: "UY".into(),
                    published: at(6),
                    delivered: Some(at(6) + 90),
                    acknowledged: None,
                    exercise: false,
                },
                // Not counted: an exercise, and last year.
                DeliveryFact {
                    team: "UY".into(),
                    published: at(7),
                    delivered: Some(at(7) + 9999),
                    acknowledged: None,
                    exercise: true,
                },
                DeliveryFact {
                    team: "JM".into(),
                    published: at(-3),
                    delivered: Some(at(-3) + 1),
                    acknowledged: None,
                    exercise: false,
                },
            ],
            drills: vec![DrillFact {
                title: "Q2 drill".into(),
                started: at(150),
                teams: vec!["CL".into(), "JM".into(), "UY".into()],
                acknowledged: BTreeMap::from([("CL".into(), 300), ("UY".into(), 900)]),
            }],
            coverage: vec![
                CoverageFact {
                    country: "CL".into(),
                    start: "national-csirt".into(),
                    end: "national-csirt".into(),
                },
                CoverageFact {
                    country: "HT".into(),
                    start: "none".into(),
                    end: "poc-only".into(),
                },
                CoverageFact {
                    country: "BZ".into(),
                    start: "poc-only".into(),
                    end: "national-csirt".into(),
                },
            ],
            public_reports: vec![
                PublicReportFact {
                    category: "phishing".into(),
                    country: "CL".into(),
                    received: at(20),
                },
                PublicReportFact {
                    category: "phishing".into(),
                    country: "UY".into(),
                    received: at(21),
                },
                PublicReportFact {
                    category: "ransomware".into(),
                    country: "CL".into(),
                    received: at(22),
                },
                PublicReportFact {
                    category: "phishing".into(),
                    country: "CL".into(),
                    received: at(400),
                },
            ],
            correlation: CorrelationFigures {
                index_rows: 10,
                ..Default::default()
            },
            sections: vec![
                (
                    "identity--cl".into(),
                    "TLP:GREEN".into(),
                    section(Y, "CL", true),
                ),
                (
                    "identity--uy".into(),
                    "TLP:GREEN".into(),
                    section(Y, "UY", false),
                ),
                (
                    "identity--jm".into(),
                    "TLP:GREEN".into(),
                    section(Y - 1, "JM", true),
                ),
            ],
        }
    }

    fn section(year: i32, cc: &str, approved: bool) -> ReportSection {
        ReportSection {
            year,
            country: cc.into(),
            text: "A year of progress.".into(),
            incidents_handled: Some(312),
            staff: None,
            exercises: None,
            awareness_campaigns: None,
            legislation: String::new(),
            approved,
        }
    }

    #[test]
    fn products_are_counted_in_the_year_without_exercises() {
        let r = AnnualReport::build(Y, &facts());
        // In 2026 and not an exercise: the CL alerts (days 10, 40) and the UY advisory (day 100).
        assert_eq!(r.products.total, 3);
        assert_eq!(
            r.products.by_kind,
            BTreeMap::from([("advisory".into(), 1), ("alert".into(), 2)])
        );
        assert_eq!(r.products.by_severity["critical"], 1);
        assert_eq!(
            r.products.by_country,
            BTreeMap::from([("CL".into(), 2), ("UY".into(), 1)])
        );
        // energy twice, finance once, the advisory without sectors.
        assert_eq!(
            r.products.by_sector,
            BTreeMap::from([
                ("energy".into(), 2),
                ("finance".into(), 1),
                ("unspecified".into(), 1)
            ])
        );
    }

    #[test]
    fn timeliness_is_the_median_per_team() {
        let r = AnnualReport::build(Y, &facts());
        assert_eq!(r.timeliness.len(), 2, "JM's delivery was last year");
        let cl = &r.timeliness[0];
        assert_eq!(
            (cl.team.as_str(), cl.products, cl.delivered, cl.acknowledged),
            ("CL", 3, 3, 2)
        );
        assert_eq!(cl.median_deliver_s, Some(120));
        assert_eq!(cl.median_acknowledge_s, Some(1200));
        assert_eq!(cl.acknowledged_pct, 66);
        let uy = &r.timeliness[1];
        assert_eq!(uy.products, 2, "the exercise is left out");
        assert_eq!(uy.median_deliver_s, Some(60));
        assert_eq!(uy.median_acknowledge_s, None);
        assert_eq!(uy.acknowledged_pct, 0);
    }

    #[test]
    fn drills_coverage_reports_and_sections() {
        let r = AnnualReport::build(Y, &facts());
        let d = &r.drills[0];
        assert_eq!((d.teams, d.acknowledged), (3, 2));
        assert_eq!(d.median_acknowledge_s, Some(600), "(300 + 900) / 2");
        assert_eq!(d.silent, ["JM"]);
        assert_eq!(
            r.coverage.start,
            BTreeMap::from([
                ("national-csirt".into(), 1),
                ("none".into(), 1),
                ("poc-only".into(), 1)
            ])
        );
        assert_eq!(
            r.coverage.end,
            BTreeMap::from([("national-csirt".into(), 2), ("poc-only".into(), 1)])
        );
        assert_eq!(
            r.coverage.changes,
            [
                ("BZ".into(), "poc-only".into(), "national-csirt".into()),
                ("HT".into(), "none".into(), "poc-only".into())
            ]
        );
        assert_eq!(r.public_reports.total, 3, "the fourth is next year");
        assert_eq!(r.public_reports.by_category["phishing"], 2);
        assert_eq!(r.public_reports.by_country["CL"], 2);
        let cc: Vec<&str> = r
            .sections
            .iter()
            .map(|s| s.section.country.as_str())
            .collect();
        assert_eq!(cc, ["CL"], "UY's is not approved; JM's is last year's");
    }

    #[test]
    fn medians_and_year_bounds() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![5]), Some(5));
        assert_eq!(median(vec![4, 1, 3]), Some(3));
        assert_eq!(median(vec![1, 2]), Some(1), "1.5 rounds down");
        assert_eq!(year_start(2026), 1_767_225_600);
    }

    #[test]
    fn charts_escape_their_labels() {
        let svg = bar_chart("By <kind>", &[("a&b".into(), 2), ("c".into(), 1)]);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\""));
        assert!(svg.contains("<title>By &lt;kind&gt;</title>"));
        assert!(svg.contains(">a&amp;b<"));
        assert!(
            svg.contains("width=\"370\""),
            "the largest bar is full width"
        );
        assert!(svg.contains("width=\"185\""));
        assert!(bar_chart("x", &[]).contains("—"));
    }

    #[test]
    fn a_section_names_what_is_wrong() {
        assert_eq!(section(Y, "CL", false).check(), Ok(()));
        assert_eq!(section(1900, "CL", false).check().unwrap_err().0, "year");
        assert_eq!(section(Y, "chile", false).check().unwrap_err().0, "country");
    }
}
