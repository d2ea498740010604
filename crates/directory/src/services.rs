//! The FIRST CSIRT Services Framework 2.1: five service areas and their
//! services, as stable ids `area/service`.

/// A service area and its services: (id, name).
pub struct ServiceArea {
    pub id: &'static str,
    pub name: &'static str,
    pub services: &'static [(&'static str, &'static str)],
}

pub const AREAS: [ServiceArea; 5] = [
    ServiceArea {
        id: "event-management",
        name: "Information Security Event Management",
        services: &[
            ("monitoring-and-detection", "Monitoring and detection"),
            ("event-analysis", "Event analysis"),
        ],
    },
    ServiceArea {
        id: "incident-management",
        name: "Information Security Incident Management",
        services: &[
            (
                "incident-report-acceptance",
                "Information security incident report acceptance",
            ),
            (
                "incident-analysis",
                "Information security incident analysis",
            ),
            (
                "artifact-and-forensic-evidence-analysis",
                "Artifact and forensic evidence analysis",
            ),
            ("mitigation-and-recovery", "Mitigation and recovery"),
            (
                "incident-coordination",
                "Information security incident coordination",
            ),
            ("crisis-management-support", "Crisis management support"),
        ],
    },
    ServiceArea {
        id: "vulnerability-management",
        name: "Vulnerability Management",
        services: &[
            (
                "vulnerability-discovery",
                "Vulnerability discovery / research",
            ),
            ("vulnerability-report-intake", "Vulnerability report intake"),
            ("vulnerability-analysis", "Vulnerability analysis"),
            ("vulnerability-coordination", "Vulnerability coordination"),
            ("vulnerability-disclosure", "Vulnerability disclosure"),
            ("vulnerability-response", "Vulnerability response"),
        ],
    },
    ServiceArea {
        id: "situational-awareness",
        name: "Situational Awareness",
        services: &[
            ("data-acquisition", "Data acquisition"),
            ("analysis-and-synthesis", "Analysis and synthesis"),
            ("communication", "Communication"),
        ],
    },
    ServiceArea {
        id: "knowledge-transfer",
        name: "Knowledge Transfer",
        services: &[
            ("awareness-building", "Awareness building"),
            ("training-and-education", "Training and education"),
            ("exercises", "Exercises"),
            (
                "technical-and-policy-advisory",
                "Technical and policy advisory",
            ),
        ],
    },
];

/// A service by id: (area name, service name).
pub fn find(id: &str) -> Option<(&'static str, &'static str)> {
    let (area, service) = id.split_once('/')?;
    let a = AREAS.iter().find(|a| a.id == area)?;
    let (_, name) = a.services.iter().find(|(s, _)| *s == service)?;
    Some((a.name, name))
}

/// Every service id.
pub fn all() -> impl Iterator<Item = String> {
    AREAS
        .iter()
        .flat_map(|a| a.services.iter().map(move |(s, _)| format!("{}/{s}", a.id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_framework_has_its_21_services_in_5_areas() {
        assert_eq!(all().count(), 21);
        assert_eq!(
            find("vulnerability-management/vulnerability-disclosure"),
            Some(("Vulnerability Management", "Vulnerability disclosure"))
        );
        assert_eq!(find("vulnerability-management"), None);
        assert_eq!(find("knowledge-transfer/juggling"), None);
    }
}
