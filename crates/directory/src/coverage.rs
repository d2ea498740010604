//! Coverage gaps across the hemisphere: which member states have a
//! national CSIRT or point of contact, which sectors nobody serves, and
//! where two teams do the same work for the same constituents.
//!
//! Pure functions of the register and the directory; the report is
//! serialised as JSON by the API and drawn as text or SVG here.
//!
//! Order: states are grouped by sub-region (sub-regions by name), and by
//! name within a sub-region; every list that follows states follows that
//! order. Teams are ordered by short name, then id; sectors follow the
//! configured list, then any other sector named, alphabetically; services
//! are ordered by id.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::entry::{DesignationKind, DirectoryEntry, TeamKind};
use crate::register::MemberState;

/// The sectors checked when the operator configures none: the critical
/// infrastructure sectors most national strategies name first.
pub const DEFAULT_SECTORS: [&str; 7] = [
    "energy",
    "financial-services",
    "government",
    "healthcare",
    "telecommunications",
    "transportation",
    "water",
];

/// Whether a state has a government-designated contact in the network.
#[derive(Serialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "kebab-case")]
pub enum StateStatus {
    /// A designated national CSIRT (also the point of contact).
    NationalCsirt,
    /// A designated national point of contact, but no national CSIRT.
    PointOfContact,
    /// No designated team: the network cannot reach the state.
    Neither,
}

impl StateStatus {
    /// The status in words, for tables and charts (never colour alone).
    pub fn label(self) -> &'static str {
        match self {
            StateStatus::NationalCsirt => "National CSIRT",
            StateStatus::PointOfContact => "Point of contact",
            StateStatus::Neither => "No contact",
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            StateStatus::NationalCsirt => "national-csirt",
            StateStatus::PointOfContact => "point-of-contact",
            StateStatus::Neither => "neither",
        }
    }
}

/// A team named in the report: its id for links, its short name for people.
#[derive(Serialize, Clone, PartialEq, Eq, Debug)]
pub struct TeamRef {
    pub team: String,
    pub short_name: String,
}

impl TeamRef {
    fn of(e: &DirectoryEntry) -> Self {
        TeamRef {
            team: e.team.clone(),
            short_name: e.short_name.clone(),
        }
    }
}

/// One member state's coverage: who answers for it and what nobody serves.
#[derive(Serialize, Clone, PartialEq, Eq, Debug)]
pub struct StateCoverage {
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub name: String,
    pub subregion: String,
    pub status: StateStatus,
    /// The date of the designation behind `status`.
    pub since: Option<String>,
    /// The designated national CSIRT, or else the designated point of contact.
    pub national_team: Option<TeamRef>,
    /// Every other team based in or serving the state.
    pub other_teams: Vec<TeamRef>,
    /// Configured sectors some team serving the state lists.
    pub covered_sectors: Vec<String>,
    /// Configured sectors no team serving the state lists.
    pub uncovered_sectors: Vec<String>,
    /// The team that takes ownership when no other party exists (C-029).
    pub last_resort: Option<TeamRef>,
}

/// A sub-region's totals, to see at a glance where the network is thin.
#[derive(Serialize, Clone, PartialEq, Eq, Debug)]
pub struct SubregionCoverage {
    pub name: String,
    pub states: usize,
    pub national_csirt: usize,
    pub point_of_contact: usize,
    pub neither: usize,
    /// ISO codes of the sub-region's states with no designated contact.
    pub uncovered: Vec<String>,
}

/// Two or more teams serving the same state doing the same thing: a
/// sector both list, or a service both offer to a shared sector.
#[derive(Serialize, Clone, PartialEq, Eq, Debug)]
pub struct Redundancy {
    pub country: String,
    /// A sector id or a FIRST service id.
    pub what: String,
    pub teams: Vec<TeamRef>,
}

/// The configured sectors no team serving a state lists.
#[derive(Serialize, Clone, PartialEq, Eq, Debug)]
pub struct SectorGap {
    pub country: String,
    pub sectors: Vec<String>,
}

/// The whole gap analysis: per state, per sub-region, and the lists the
/// Secretariat acts on.
#[derive(Serialize, Clone, PartialEq, Eq, Debug)]
pub struct CoverageReport {
    pub states: Vec<StateCoverage>,
    pub subregions: Vec<SubregionCoverage>,
    /// ISO codes of states with neither a national CSIRT nor a PoC.
    pub states_without_contact: Vec<String>,
    /// Sub-regions where no state has a national CSIRT or PoC.
    pub subregions_without_any: Vec<String>,
    pub sectoral_gaps: Vec<SectorGap>,
    pub redundant_constituencies: Vec<Redundancy>,
    pub redundant_services: Vec<Redundancy>,
    /// The sector list used (the configured one, or [`DEFAULT_SECTORS`]).
    pub sectors: Vec<String>,
}

/// The coverage of `states` by `entries`, checking `sectors` (empty: the
/// [`DEFAULT_SECTORS`]). Secretariat entries and entries based outside
/// the register are ignored.
pub fn coverage(
    states: &[MemberState],
    entries: &[DirectoryEntry],
    sectors: &[String],
) -> CoverageReport {
    let mut configured: Vec<String> = Vec::new();
    let source: Vec<String> = if sectors.iter().all(|s| s.trim().is_empty()) {
        DEFAULT_SECTORS.iter().map(|s| s.to_string()).collect()
    } else {
        sectors.to_vec()
    };
    for s in source {
        let s = s.trim().to_owned();
        if !s.is_empty() && !configured.contains(&s) {
            configured.push(s);
        }
    }

    // The register, one row per code, grouped by sub-region then name.
    let mut register: Vec<&MemberState> = Vec::new();
    for s in states {
        if !register.iter().any(|r| r.iso2 == s.iso2) {
            register.push(s);
        }
    }
    register
        .sort_by(|a, b| (&a.subregion, &a.name, &a.iso2).cmp(&(&b.subregion, &b.name, &b.iso2)));

    // Teams that count: not the Secretariat, based in a member state, and
    // each team once.
    let mut teams: Vec<&DirectoryEntry> = Vec::new();
    for e in entries {
        if e.kind != TeamKind::Secretariat
            && register.iter().any(|s| s.iso2 == e.country)
            && !teams.iter().any(|t| t.team == e.team)
        {
            teams.push(e);
        }
    }
    teams.sort_by(|a, b| (&a.short_name, &a.team).cmp(&(&b.short_name, &b.team)));

    let mut report = CoverageReport {
        states: Vec::new(),
        subregions: Vec::new(),
        states_without_contact: Vec::new(),
        subregions_without_any: Vec::new(),
        sectoral_gaps: Vec::new(),
        redundant_constituencies: Vec::new(),
        redundant_services: Vec::new(),
        sectors: configured.clone(),
    };

    for state in &register {
        let code = state.iso2.as_str();
        let serving: Vec<&DirectoryEntry> = teams
            .iter()
            .copied()
            .filter(|e| e.country == code || e.additional_countries.iter().any(|c| c == code))
            .collect();

        let designated = |kind: DesignationKind| {
            serving
                .iter()
                .copied()
                .filter(|e| e.country == code)
                .filter_map(|e| {
                    let d = e.designation.as_ref()?;
                    (d.kind == kind).then_some((d.date.as_str(), e))
                })
                .min_by(|(da, a), (db, b)| {
                    (da, &a.short_name, &a.team).cmp(&(db, &b.short_name, &b.team))
                })
        };
        let (status, national) = match designated(DesignationKind::NationalCsirt) {
            Some(n) => (StateStatus::NationalCsirt, Some(n)),
            None => match designated(DesignationKind::NationalPoc) {
                Some(n) => (StateStatus::PointOfContact, Some(n)),
                None => (StateStatus::Neither, None),
            },
        };
        let national_id = national.map(|(_, e)| e.team.as_str());

        let lists =
            |sector: &str, e: &DirectoryEntry| e.constituency.sectors.iter().any(|s| s == sector);
        let (covered, uncovered): (Vec<String>, Vec<String>) = configured
            .iter()
            .cloned()
            .partition(|s| serving.iter().any(|e| lists(s, e)));

        let last_resort = national
            .map(|(_, e)| e)
            .filter(|e| e.last_resort)
            .or_else(|| serving.iter().copied().find(|e| e.last_resort))
            .map(TeamRef::of);

        // Sectors: the configured ones first, then any other named.
        let mut named: Vec<String> = configured.clone();
        let extra: BTreeSet<&String> = serving
            .iter()
            .flat_map(|e| &e.constituency.sectors)
            .filter(|s| !configured.contains(s))
            .collect();
        named.extend(extra.into_iter().cloned());
        for sector in named {
            let listing: Vec<TeamRef> = serving
                .iter()
                .filter(|e| lists(&sector, e))
                .map(|e| TeamRef::of(e))
                .collect();
            if listing.len() > 1 {
                report.redundant_constituencies.push(Redundancy {
                    country: code.to_owned(),
                    what: sector,
                    teams: listing,
                });
            }
        }

        let mut offering: BTreeMap<&str, Vec<&DirectoryEntry>> = BTreeMap::new();
        for e in &serving {
            let unique: BTreeSet<&str> = e.services.iter().map(String::as_str).collect();
            for s in unique {
                offering.entry(s).or_default().push(e);
            }
        }
        for (service, offering) in offering {
            let shares = |a: &DirectoryEntry, b: &DirectoryEntry| {
                a.constituency
                    .sectors
                    .iter()
                    .any(|s| b.constituency.sectors.contains(s))
            };
            let overlapping: Vec<TeamRef> = offering
                .iter()
                .filter(|a| offering.iter().any(|b| a.team != b.team && shares(a, b)))
                .map(|e| TeamRef::of(e))
                .collect();
            if overlapping.len() > 1 {
                report.redundant_services.push(Redundancy {
                    country: code.to_owned(),
                    what: service.to_owned(),
                    teams: overlapping,
                });
            }
        }

        if status == StateStatus::Neither {
            report.states_without_contact.push(code.to_owned());
        }
        if !uncovered.is_empty() {
            report.sectoral_gaps.push(SectorGap {
                country: code.to_owned(),
                sectors: uncovered.clone(),
            });
        }
        report.states.push(StateCoverage {
            country: code.to_owned(),
            name: state.name.clone(),
            subregion: state.subregion.clone(),
            status,
            since: national.map(|(date, _)| date.to_owned()),
            national_team: national.map(|(_, e)| TeamRef::of(e)),
            other_teams: serving
                .iter()
                .filter(|e| Some(e.team.as_str()) != national_id)
                .map(|e| TeamRef::of(e))
                .collect(),
            covered_sectors: covered,
            uncovered_sectors: uncovered,
            last_resort,
        });
    }

    for s in &report.states {
        let i = match report.subregions.iter().position(|r| r.name == s.subregion) {
            Some(i) => i,
            None => {
                report.subregions.push(SubregionCoverage {
                    name: s.subregion.clone(),
                    states: 0,
                    national_csirt: 0,
                    point_of_contact: 0,
                    neither: 0,
                    uncovered: Vec::new(),
                });
                report.subregions.len() - 1
            }
        };
        let Some(r) = report.subregions.get_mut(i) else {
            continue;
        };
        r.states += 1;
        match s.status {
            StateStatus::NationalCsirt => r.national_csirt += 1,
            StateStatus::PointOfContact => r.point_of_contact += 1,
            StateStatus::Neither => {
                r.neither += 1;
                r.uncovered.push(s.country.clone());
            }
        }
    }
    report.subregions_without_any = report
        .subregions
        .iter()
        .filter(|r| r.national_csirt + r.point_of_contact == 0)
        .map(|r| r.name.clone())
        .collect();
    report
}

fn names(teams: &[TeamRef]) -> String {
    teams
        .iter()
        .map(|t| t.short_name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Left-aligned columns, two spaces apart; widths in characters.
fn table(rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            let w = cell.chars().count();
            match widths.get_mut(i) {
                Some(x) => *x = (*x).max(w),
                None => widths.push(w),
            }
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                let pad = widths.get(i).copied().unwrap_or(0) - cell.chars().count() + 2;
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn or_dash(s: String) -> String {
    if s.is_empty() {
        "-".to_owned()
    } else {
        s
    }
}

/// The report as plain text for the command line: one line per state,
/// then the sub-region totals, then sectoral gaps and redundancies.
pub fn to_text(report: &CoverageReport) -> String {
    let mut out = format!(
        "Coverage of {} member states (sectors: {})\n\n",
        report.states.len(),
        report.sectors.join(", ")
    );
    let mut rows = vec![[
        "CODE",
        "NAME",
        "SUB-REGION",
        "STATUS",
        "SINCE",
        "NATIONAL TEAM",
        "UNCOVERED SECTORS",
    ]
    .map(str::to_owned)
    .to_vec()];
    for s in &report.states {
        rows.push(vec![
            s.country.clone(),
            s.name.clone(),
            s.subregion.clone(),
            s.status.as_str().to_owned(),
            or_dash(s.since.clone().unwrap_or_default()),
            or_dash(
                s.national_team
                    .as_ref()
                    .map(|t| t.short_name.clone())
                    .unwrap_or_default(),
            ),
            or_dash(s.uncovered_sectors.join(", ")),
        ]);
    }
    out.push_str(&table(&rows));

    out.push_str("\nSub-regions\n\n");
    let mut rows = vec![[
        "SUB-REGION",
        "STATES",
        "NATIONAL CSIRT",
        "POINT OF CONTACT",
        "NEITHER",
        "WITHOUT CONTACT",
    ]
    .map(str::to_owned)
    .to_vec()];
    for r in &report.subregions {
        rows.push(vec![
            r.name.clone(),
            r.states.to_string(),
            r.national_csirt.to_string(),
            r.point_of_contact.to_string(),
            r.neither.to_string(),
            or_dash(r.uncovered.join(", ")),
        ]);
    }
    out.push_str(&table(&rows));
    out.push_str(&format!(
        "\nStates without a contact: {}\n",
        or_dash(report.states_without_contact.join(", "))
    ));
    out.push_str(&format!(
        "Sub-regions without any contact: {}\n",
        or_dash(report.subregions_without_any.join(", "))
    ));

    out.push_str("\nSectoral gaps\n\n");
    if report.sectoral_gaps.is_empty() {
        out.push_str("none\n");
    }
    for g in &report.sectoral_gaps {
        out.push_str(&format!("{}: {}\n", g.country, g.sectors.join(", ")));
    }
    for (title, list) in [
        ("Redundant constituencies", &report.redundant_constituencies),
        ("Redundant services", &report.redundant_services),
    ] {
        out.push_str(&format!("\n{title}\n\n"));
        if list.is_empty() {
            out.push_str("none\n");
        }
        for r in list {
            out.push_str(&format!("{} {}: {}\n", r.country, r.what, names(&r.teams)));
        }
    }
    out
}

/// Text for XML: the five characters that can break out of content or an
/// attribute.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

const ROW: u32 = 24;
const FONT: &str = "font-family=\"sans-serif\" font-size=\"12\"";

/// Fill and text colours per status; the label says the same in words.
fn status_colours(s: StateStatus) -> (&'static str, &'static str) {
    match s {
        StateStatus::NationalCsirt => ("#1a7f37", "#ffffff"),
        StateStatus::PointOfContact => ("#f2c744", "#1f2328"),
        StateStatus::Neither => ("#cf222e", "#ffffff"),
    }
}

/// The report as a self-contained SVG table: a row per state grouped by
/// sub-region, the status as a coloured and labelled cell, and a column
/// per sector marked ✓ (covered) or — (uncovered). No scripts, no
/// external references; colour is never the only signal.
pub fn to_svg(report: &CoverageReport) -> String {
    let code_w = 50u32;
    let name_w = report
        .states
        .iter()
        .map(|s| s.name.chars().count())
        .chain(report.subregions.iter().map(|r| r.name.chars().count()))
        .max()
        .unwrap_or(0)
        .clamp(12, 60) as u32
        * 7
        + 16;
    let status_w = 130u32;
    let sector_ws: Vec<u32> = report
        .sectors
        .iter()
        .map(|s| (s.chars().count().clamp(6, 40) as u32) * 7 + 16)
        .collect();
    let width = code_w + name_w + status_w + sector_ws.iter().sum::<u32>();

    let national = report
        .states
        .iter()
        .filter(|s| s.status == StateStatus::NationalCsirt)
        .count();
    let poc = report
        .states
        .iter()
        .filter(|s| s.status == StateStatus::PointOfContact)
        .count();
    let summary = format!(
        "Coverage of {} member states: {} with a national CSIRT, {} with a point of contact only, {} without a contact",
        report.states.len(),
        national,
        poc,
        report.states.len() - national - poc
    );

    let mut body = String::new();
    let mut y = 0u32;
    // Header row.
    let mut x = 0u32;
    body.push_str(&format!(
        "<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{ROW}\" fill=\"#24292f\"/>\n"
    ));
    for (label, w) in [("Code", code_w), ("State", name_w), ("Status", status_w)]
        .into_iter()
        .chain(
            report
                .sectors
                .iter()
                .map(String::as_str)
                .zip(sector_ws.iter().copied()),
        )
    {
        body.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" fill=\"#ffffff\" font-weight=\"bold\">{}</text>\n",
            x + 6,
            y + 16,
            esc(label)
        ));
        x += w;
    }
    y += ROW;

    let mut current: Option<&str> = None;
    for s in &report.states {
        if current != Some(s.subregion.as_str()) {
            current = Some(s.subregion.as_str());
            body.push_str(&format!(
                "<rect x=\"0\" y=\"{y}\" width=\"{width}\" height=\"{ROW}\" fill=\"#eaeef2\"/>\n\
                 <text x=\"6\" y=\"{}\" font-weight=\"bold\">{}</text>\n",
                y + 16,
                esc(&s.subregion)
            ));
            y += ROW;
        }
        let (fill, ink) = status_colours(s.status);
        let mut x = 0u32;
        body.push_str(&format!(
            "<g>\n<title>{}</title>\n\
             <rect x=\"0\" y=\"{y}\" width=\"{width}\" height=\"{ROW}\" fill=\"#ffffff\" stroke=\"#d0d7de\"/>\n\
             <text x=\"{}\" y=\"{}\">{}</text>\n",
            esc(&format!(
                "{} ({}): {}{}",
                s.name,
                s.country,
                s.status.label(),
                s.since
                    .as_ref()
                    .map(|d| format!(" since {d}"))
                    .unwrap_or_default()
            )),
            x + 6,
            y + 16,
            esc(&s.country)
        ));
        x += code_w;
        body.push_str(&format!(
            "<text x=\"{}\" y=\"{}\">{}</text>\n",
            x + 6,
            y + 16,
            esc(&s.name)
        ));
        x += name_w;
        body.push_str(&format!(
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\"/>\n\
             <text x=\"{}\" y=\"{}\" fill=\"{ink}\">{}</text>\n",
            x + 2,
            y + 2,
            status_w - 4,
            ROW - 4,
            x + 6,
            y + 16,
            esc(s.status.label())
        ));
        x += status_w;
        for (sector, w) in report.sectors.iter().zip(sector_ws.iter().copied()) {
            let covered = s.covered_sectors.contains(sector);
            let (mark, fill, word) = if covered {
                ("✓", "#dafbe1", "covered")
            } else {
                ("—", "#ffebe9", "not covered")
            };
            body.push_str(&format!(
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\"><title>{}</title></rect>\n\
                 <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{mark}</text>\n",
                x + 2,
                y + 2,
                w - 4,
                ROW - 4,
                esc(&format!("{sector}: {word}")),
                x + w / 2,
                y + 16
            ));
            x += w;
        }
        body.push_str("</g>\n");
        y += ROW;
    }

    // Legend: what each colour and mark means, in words.
    y += 8;
    let mut x = 0u32;
    for status in [
        StateStatus::NationalCsirt,
        StateStatus::PointOfContact,
        StateStatus::Neither,
    ] {
        let (fill, ink) = status_colours(status);
        body.push_str(&format!(
            "<rect x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\" fill=\"{fill}\"/>\n\
             <text x=\"{}\" y=\"{}\" fill=\"{ink}\">{}</text>\n",
            status_w - 4,
            ROW - 4,
            x + 4,
            y + 14,
            esc(status.label())
        ));
        x += status_w;
    }
    body.push_str(&format!(
        "<text x=\"{}\" y=\"{}\">✓ sector covered   — sector not covered</text>\n",
        x + 6,
        y + 14
    ));
    y += ROW + 4;
    let height = y;

    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{height}\" \
         viewBox=\"0 0 {w} {height}\" role=\"img\" aria-label=\"{label}\" {FONT} fill=\"#1f2328\">\n\
         <title>{label}</title>\n{body}</svg>\n",
        w = width.max(x + 260),
        label = esc(&summary)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::{Constituency, Designation};

    fn state(iso2: &str, name: &str, subregion: &str) -> MemberState {
        MemberState {
            iso2: iso2.into(),
            iso3: format!("{iso2}X"),
            name: name.into(),
            subregion: subregion.into(),
            languages: vec!["es".into()],
            timezone: "UTC".into(),
            note: String::new(),
        }
    }

    fn team(
        id: &str,
        short: &str,
        country: &str,
        kind: TeamKind,
        sectors: &[&str],
    ) -> DirectoryEntry {
        DirectoryEntry {
            team: id.into(),
            short_name: short.into(),
            country: country.into(),
            kind,
            constituency: Constituency {
                sectors: sectors.iter().map(|s| s.to_string()).collect(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn designated(mut e: DirectoryEntry, kind: DesignationKind, date: &str) -> DirectoryEntry {
        e.designation = Some(Designation {
            kind,
            authority: "Ministry".into(),
            instrument: "Decree".into(),
            date: date.into(),
        });
        e
    }

    fn r(team: &str, short: &str) -> TeamRef {
        TeamRef {
            team: team.into(),
            short_name: short.into(),
        }
    }

    fn strings(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    /// Six states in three sub-regions, given in iso2 order so the report
    /// has to regroup them.
    fn register() -> Vec<MemberState> {
        vec![
            state("AR", "Argentina", "South America"),
            state("BB", "Barbados", "Caribbean"),
            state("CL", "Chile", "South America"),
            state("CR", "Costa Rica", "Central America"),
            state("GT", "Guatemala", "Central America"),
            state("JM", "Jamaica", "Caribbean"),
        ]
    }

    fn entries() -> Vec<DirectoryEntry> {
        const COORDINATION: &str = "incident-management/incident-coordination";
        const AWARENESS: &str = "knowledge-transfer/awareness-building";
        let mut csirt_ar = designated(
            team(
                "t-ar",
                "CSIRT-AR",
                "AR",
                TeamKind::NationalCsirt,
                &["government", "energy"],
            ),
            DesignationKind::NationalCsirt,
            "2011-03-01",
        );
        csirt_ar.services = strings(&[COORDINATION, AWARENESS]);
        csirt_ar.last_resort = true;
        let mut energy = team(
            "t-energy",
            "ENERGY-CERT",
            "AR",
            TeamKind::Sector,
            &["energy"],
        );
        energy.services = strings(&[COORDINATION]);
        let mut fin = team(
            "t-fin",
            "FIN-CSIRT",
            "AR",
            TeamKind::Sector,
            &["financial-services"],
        );
        fin.services = strings(&[AWARENESS]);
        let mut nren = team(
            "t-nren",
            "CARIB-NREN",
            "JM",
            TeamKind::Academic,
            &["education"],
        );
        nren.additional_countries = strings(&["BB"]);
        let mut secretariat = team(
            "t-sec",
            "OAS-SEC",
            "AR",
            TeamKind::Secretariat,
            &["government"],
        );
        secretariat.services = strings(&[COORDINATION]);
        let mut foreign = designated(
            team(
                "t-mx",
                "CSIRT-MX",
                "MX",
                TeamKind::NationalCsirt,
                &["energy"],
            ),
            DesignationKind::NationalCsirt,
            "2010-01-01",
        );
        foreign.additional_countries = strings(&["GT"]);
        vec![
            csirt_ar,
            energy,
            fin,
            designated(
                team(
                    "t-cl",
                    "CSIRT-CL",
                    "CL",
                    TeamKind::NationalCsirt,
                    &["government"],
                ),
                DesignationKind::NationalCsirt,
                "2016-01-01",
            ),
            designated(
                team("t-gov-cl", "GOV-CL", "CL", TeamKind::Government, &[]),
                DesignationKind::NationalPoc,
                "2012-07-01",
            ),
            designated(
                team(
                    "t-cr",
                    "PoC-CR",
                    "CR",
                    TeamKind::Government,
                    &["government", "healthcare"],
                ),
                DesignationKind::NationalPoc,
                "2015-06-01",
            ),
            nren,
            secretariat,
            foreign,
        ]
    }

    #[test]
    fn the_report_is_computed_as_by_hand() {
        let sectors = strings(&DEFAULT_SECTORS);
        let report = coverage(&register(), &entries(), &sectors);
        let all_sectors = sectors.clone();
        let expected = CoverageReport {
            states: vec![
                // Caribbean first (sub-regions by name), then by state name.
                // Barbados: only the Jamaican NREN serves it (additional
                // country), undesignated, and "education" is not a
                // configured sector.
                StateCoverage {
                    country: "BB".into(),
                    name: "Barbados".into(),
                    subregion: "Caribbean".into(),
                    status: StateStatus::Neither,
                    since: None,
                    national_team: None,
                    other_teams: vec![r("t-nren", "CARIB-NREN")],
                    covered_sectors: vec![],
                    uncovered_sectors: all_sectors.clone(),
                    last_resort: None,
                },
                // Jamaica: same NREN, based there; still no designation.
                StateCoverage {
                    country: "JM".into(),
                    name: "Jamaica".into(),
                    subregion: "Caribbean".into(),
                    status: StateStatus::Neither,
                    since: None,
                    national_team: None,
                    other_teams: vec![r("t-nren", "CARIB-NREN")],
                    covered_sectors: vec![],
                    uncovered_sectors: all_sectors.clone(),
                    last_resort: None,
                },
                // Costa Rica: a designated PoC only, serving government
                // and healthcare.
                StateCoverage {
                    country: "CR".into(),
                    name: "Costa Rica".into(),
                    subregion: "Central America".into(),
                    status: StateStatus::PointOfContact,
                    since: Some("2015-06-01".into()),
                    national_team: Some(r("t-cr", "PoC-CR")),
                    other_teams: vec![],
                    covered_sectors: strings(&["government", "healthcare"]),
                    uncovered_sectors: strings(&[
                        "energy",
                        "financial-services",
                        "telecommunications",
                        "transportation",
                        "water",
                    ]),
                    last_resort: None,
                },
                // Guatemala: only CSIRT-MX lists it, and Mexico is not in
                // the register, so nobody.
                StateCoverage {
                    country: "GT".into(),
                    name: "Guatemala".into(),
                    subregion: "Central America".into(),
                    status: StateStatus::Neither,
                    since: None,
                    national_team: None,
                    other_teams: vec![],
                    covered_sectors: vec![],
                    uncovered_sectors: all_sectors.clone(),
                    last_resort: None,
                },
                // Argentina: national CSIRT plus two sector teams; the
                // Secretariat entry is ignored.
                StateCoverage {
                    country: "AR".into(),
                    name: "Argentina".into(),
                    subregion: "South America".into(),
                    status: StateStatus::NationalCsirt,
                    since: Some("2011-03-01".into()),
                    national_team: Some(r("t-ar", "CSIRT-AR")),
                    other_teams: vec![r("t-energy", "ENERGY-CERT"), r("t-fin", "FIN-CSIRT")],
                    covered_sectors: strings(&["energy", "financial-services", "government"]),
                    uncovered_sectors: strings(&[
                        "healthcare",
                        "telecommunications",
                        "transportation",
                        "water",
                    ]),
                    last_resort: Some(r("t-ar", "CSIRT-AR")),
                },
                // Chile: a national CSIRT (2016) outranks an earlier PoC
                // (2012), which becomes one of the other teams.
                StateCoverage {
                    country: "CL".into(),
                    name: "Chile".into(),
                    subregion: "South America".into(),
                    status: StateStatus::NationalCsirt,
                    since: Some("2016-01-01".into()),
                    national_team: Some(r("t-cl", "CSIRT-CL")),
                    other_teams: vec![r("t-gov-cl", "GOV-CL")],
                    covered_sectors: strings(&["government"]),
                    uncovered_sectors: strings(&[
                        "energy",
                        "financial-services",
                        "healthcare",
                        "telecommunications",
                        "transportation",
                        "water",
                    ]),
                    last_resort: None,
                },
            ],
            subregions: vec![
                // Two states, neither designated.
                SubregionCoverage {
                    name: "Caribbean".into(),
                    states: 2,
                    national_csirt: 0,
                    point_of_contact: 0,
                    neither: 2,
                    uncovered: strings(&["BB", "JM"]),
                },
                // Costa Rica's PoC; Guatemala without.
                SubregionCoverage {
                    name: "Central America".into(),
                    states: 2,
                    national_csirt: 0,
                    point_of_contact: 1,
                    neither: 1,
                    uncovered: strings(&["GT"]),
                },
                // Argentina and Chile both have a national CSIRT.
                SubregionCoverage {
                    name: "South America".into(),
                    states: 2,
                    national_csirt: 2,
                    point_of_contact: 0,
                    neither: 0,
                    uncovered: vec![],
                },
            ],
            states_without_contact: strings(&["BB", "JM", "GT"]),
            // The NREN serves the Caribbean, but nobody designated.
            subregions_without_any: strings(&["Caribbean"]),
            // Every state misses some configured sector.
            sectoral_gaps: vec![
                SectorGap {
                    country: "BB".into(),
                    sectors: all_sectors.clone(),
                },
                SectorGap {
                    country: "JM".into(),
                    sectors: all_sectors.clone(),
                },
                SectorGap {
                    country: "CR".into(),
                    sectors: strings(&[
                        "energy",
                        "financial-services",
                        "telecommunications",
                        "transportation",
                        "water",
                    ]),
                },
                SectorGap {
                    country: "GT".into(),
                    sectors: all_sectors.clone(),
                },
                SectorGap {
                    country: "AR".into(),
                    sectors: strings(&[
                        "healthcare",
                        "telecommunications",
                        "transportation",
                        "water",
                    ]),
                },
                SectorGap {
                    country: "CL".into(),
                    sectors: strings(&[
                        "energy",
                        "financial-services",
                        "healthcare",
                        "telecommunications",
                        "transportation",
                        "water",
                    ]),
                },
            ],
            // CSIRT-AR and ENERGY-CERT both list energy in Argentina
            // (the Secretariat's "government" does not count).
            redundant_constituencies: vec![Redundancy {
                country: "AR".into(),
                what: "energy".into(),
                teams: vec![r("t-ar", "CSIRT-AR"), r("t-energy", "ENERGY-CERT")],
            }],
            // Both offer incident coordination and share energy. CSIRT-AR
            // and FIN-CSIRT both do awareness building but share no
            // sector: complementary, not redundant.
            redundant_services: vec![Redundancy {
                country: "AR".into(),
                what: "incident-management/incident-coordination".into(),
                teams: vec![r("t-ar", "CSIRT-AR"), r("t-energy", "ENERGY-CERT")],
            }],
            sectors: all_sectors.clone(),
        };
        assert_eq!(report, expected);
        // No sectors configured: the defaults.
        assert_eq!(coverage(&register(), &entries(), &[]), expected);
    }

    #[test]
    fn other_sectors_named_can_be_redundant_too() {
        let mut a = team("t-a", "A", "AR", TeamKind::Academic, &["education"]);
        a.services = strings(&["knowledge-transfer/training-and-education"]);
        let mut b = a.clone();
        b.team = "t-b".into();
        b.short_name = "B".into();
        let report = coverage(&register(), &[b, a.clone(), a], &strings(&["water"]));
        assert_eq!(report.sectors, ["water"]);
        // The duplicate entry of A counts once.
        assert_eq!(
            report.redundant_constituencies,
            vec![Redundancy {
                country: "AR".into(),
                what: "education".into(),
                teams: vec![r("t-a", "A"), r("t-b", "B")],
            }]
        );
        assert_eq!(report.redundant_services.len(), 1);
        assert_eq!(report.states[4].other_teams.len(), 2);
    }

    #[test]
    fn nothing_panics_on_empty_input() {
        let report = coverage(&[], &entries(), &[]);
        assert!(report.states.is_empty());
        assert!(report.subregions.is_empty());
        assert!(to_text(&report).starts_with("Coverage of 0 member states"));
        assert!(to_svg(&report).starts_with("<svg"));
    }

    #[test]
    fn the_text_table_has_a_line_per_state_and_the_summaries() {
        let text = to_text(&coverage(&register(), &entries(), &[]));
        assert!(text.contains("\nCODE  NAME"), "{text}");
        let ar = text
            .lines()
            .find(|l| l.starts_with("AR "))
            .expect("a line for Argentina");
        for part in [
            "Argentina",
            "national-csirt",
            "2011-03-01",
            "CSIRT-AR",
            "healthcare",
        ] {
            assert!(ar.contains(part), "{ar}");
        }
        assert!(
            text.contains("States without a contact: BB, JM, GT\n"),
            "{text}"
        );
        assert!(text.contains("Sub-regions without any contact: Caribbean\n"));
        assert!(text.contains("AR energy: CSIRT-AR, ENERGY-CERT\n"));
        assert!(
            text.contains("AR incident-management/incident-coordination: CSIRT-AR, ENERGY-CERT\n")
        );
    }

    #[test]
    fn the_svg_labels_every_state_and_status_in_text() {
        let report = coverage(&register(), &entries(), &[]);
        let svg = to_svg(&report);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("aria-label=\"Coverage of 6 member states: 2 with a national CSIRT, 1 with a point of contact only, 3 without a contact\""));
        assert!(svg.contains("<title>Coverage of 6 member states"));
        for s in &report.states {
            assert!(svg.contains(&format!(">{}</text>", s.name)), "{}", s.name);
        }
        for label in ["National CSIRT", "Point of contact", "No contact"] {
            assert!(svg.contains(&format!(">{label}</text>")), "{label}");
        }
        assert!(svg.contains(">✓</text>") && svg.contains(">—</text>"));
        assert!(svg.contains("<title>energy: not covered</title>"));
        assert!(!svg.contains("<script") && !svg.contains("href"));
        // Every opened element is closed.
        assert_eq!(svg.matches("<g>").count(), svg.matches("</g>").count());
        assert_eq!(
            svg.matches("<title>").count(),
            svg.matches("</title>").count()
        );
    }

    #[test]
    fn the_svg_escapes_names() {
        let states = vec![state("TT", "Trinidad & <Tobago> \"'", "Caribbean & <Co>")];
        let svg = to_svg(&coverage(&states, &[], &[]));
        assert!(
            svg.contains(">Trinidad &amp; &lt;Tobago&gt; &quot;&apos;</text>"),
            "{svg}"
        );
        assert!(svg.contains(">Caribbean &amp; &lt;Co&gt;</text>"));
        assert!(!svg.contains("<Tobago>") && !svg.contains("& <"));
    }
}
