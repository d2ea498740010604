//! Whom the public reports an incident to, state by state (C-053, C-094):
//! the designated national CSIRT, else the designated national point of
//! contact, else the team that is the state's CSIRT of last resort, else
//! the network's Secretariat. Every node answers this for the whole
//! hemisphere from the directory it holds.

use serde::Serialize;

use crate::coverage::{CoverageReport, StateStatus};
use crate::entry::{DirectoryEntry, TeamKind};

/// Why a team is the one to report to.
#[derive(Serialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "kebab-case")]
pub enum ReportTo {
    NationalCsirt,
    PointOfContact,
    LastResort,
    Secretariat,
    /// No team in the directory; the page says so rather than guess.
    Nobody,
}

/// One member state and the team its public reports to.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct ReportRoute {
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub name: String,
    pub subregion: String,
    pub to: ReportTo,
    /// The team's directory entry, as the reader may see it.
    pub team: Option<DirectoryEntry>,
}

/// The route for every state of `coverage`, in its order.
pub fn report_routes(coverage: &CoverageReport, entries: &[DirectoryEntry]) -> Vec<ReportRoute> {
    let entry = |id: &str| entries.iter().find(|e| e.team == id).cloned();
    let secretariat = entries
        .iter()
        .find(|e| e.kind == TeamKind::Secretariat)
        .cloned();
    coverage
        .states
        .iter()
        .map(|s| {
            let national = s.national_team.as_ref().and_then(|t| entry(&t.team));
            let last_resort = s.last_resort.as_ref().and_then(|t| entry(&t.team));
            let (to, team) = match (s.status, national, last_resort) {
                (StateStatus::NationalCsirt, Some(e), _) => (ReportTo::NationalCsirt, Some(e)),
                (StateStatus::PointOfContact, Some(e), _) => (ReportTo::PointOfContact, Some(e)),
                (_, _, Some(e)) => (ReportTo::LastResort, Some(e)),
                _ => match &secretariat {
                    Some(e) => (ReportTo::Secretariat, Some(e.clone())),
                    None => (ReportTo::Nobody, None),
                },
            };
            ReportRoute {
                country: s.country.clone(),
                name: s.name.clone(),
                subregion: s.subregion.clone(),
                to,
                team,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::coverage;
    use crate::entry::{Designation, DesignationKind};
    use crate::MemberState;

    fn state(iso2: &str) -> MemberState {
        MemberState {
            iso2: iso2.into(),
            iso3: format!("{iso2}X"),
            name: format!("State {iso2}"),
            subregion: "Caribbean".into(),
            languages: vec!["en".into()],
            timezone: "America/Jamaica".into(),
            note: String::new(),
        }
    }

    fn team(id: &str, country: &str, kind: TeamKind) -> DirectoryEntry {
        DirectoryEntry {
            team: id.into(),
            node: id.into(),
            short_name: format!("{kind:?}-{country}"),
            official_name: format!("{kind:?} of {country}"),
            country: country.into(),
            designation: None,
            kind,
            ..crate::entry::tests::sample()
        }
    }

    #[test]
    fn national_then_last_resort_then_the_secretariat() {
        let states = [state("JM"), state("TT"), state("BB"), state("LC")];
        let mut jm = team(
            "identity--00000000-0000-4000-8000-000000000001",
            "JM",
            TeamKind::NationalCsirt,
        );
        jm.designation = Some(Designation {
            kind: DesignationKind::NationalCsirt,
            authority: "Ministry".into(),
            instrument: "Decree 1".into(),
            date: "2020-01-01".into(),
        });
        // TT's academic team serves as last resort for BB too.
        let mut tt = team(
            "identity--00000000-0000-4000-8000-000000000002",
            "TT",
            TeamKind::Academic,
        );
        tt.last_resort = true;
        tt.additional_countries = vec!["BB".into()];
        let sec = team(
            "identity--00000000-0000-4000-8000-000000000003",
            "US",
            TeamKind::Secretariat,
        );
        let entries = vec![jm, tt, sec];
        let report = coverage(&states, &entries, &[]);
        let routes = report_routes(&report, &entries);
        let to = |c: &str| {
            let r = routes.iter().find(|r| r.country == c).unwrap();
            (r.to, r.team.as_ref().map(|t| t.team.clone()))
        };
        assert_eq!(to("JM").0, ReportTo::NationalCsirt);
        assert_eq!(to("TT").0, ReportTo::LastResort);
        assert_eq!(
            to("BB"),
            (ReportTo::LastResort, Some(entries[1].team.clone()))
        );
        assert_eq!(
            to("LC"),
            (ReportTo::Secretariat, Some(entries[2].team.clone()))
        );
        let without = report_routes(&report, &entries[..2]);
        assert_eq!(
            without.iter().find(|r| r.country == "LC").unwrap().to,
            ReportTo::Nobody
        );
    }
}
