//! When a product nobody acknowledges climbs the team's ladder.
//!
//! Step 0 calls the primary contacts on duty when the product arrives. If
//! no one acknowledges within the severity's interval, step 1 calls the
//! backups on duty; after a second interval step 2 calls the escalation
//! chain; after a third, if the team wants it, step 3 tells the network's
//! Secretariat. `info` products call the primaries only.

use serde::{Deserialize, Serialize};

use crate::product::Severity;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    Primary,
    Backup,
    Chain,
    Secretariat,
}

impl Step {
    pub fn index(self) -> i64 {
        match self {
            Step::Primary => 0,
            Step::Backup => 1,
            Step::Chain => 2,
            Step::Secretariat => 3,
        }
    }

    pub fn from_index(i: i64) -> Option<Step> {
        Some(match i {
            0 => Step::Primary,
            1 => Step::Backup,
            2 => Step::Chain,
            3 => Step::Secretariat,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Primary => "primary",
            Step::Backup => "backup",
            Step::Chain => "chain",
            Step::Secretariat => "secretariat",
        }
    }
}

/// Seconds to wait for an acknowledgement at each step, per severity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EscalationPolicy {
    pub critical_secs: u64,
    pub high_secs: u64,
    pub medium_secs: u64,
    pub low_secs: u64,
    /// Tell the Secretariat node after the chain (step 3).
    pub notify_secretariat: bool,
}

impl Default for EscalationPolicy {
    fn default() -> Self {
        Self {
            critical_secs: 15 * 60,
            high_secs: 60 * 60,
            medium_secs: 4 * 60 * 60,
            low_secs: 24 * 60 * 60,
            notify_secretariat: false,
        }
    }
}

impl EscalationPolicy {
    /// The interval for `severity`; `None` means no escalation.
    pub fn interval_secs(&self, severity: Severity) -> Option<u64> {
        match severity {
            Severity::Critical => Some(self.critical_secs),
            Severity::High => Some(self.high_secs),
            Severity::Medium => Some(self.medium_secs),
            Severity::Low => Some(self.low_secs),
            Severity::Info => None,
        }
        .filter(|s| *s > 0)
    }

    /// The step after `done`, and how many seconds after arrival it is due;
    /// `None` when the ladder ends there.
    pub fn next(&self, severity: Severity, done: Step) -> Option<(Step, u64)> {
        let interval = self.interval_secs(severity)?;
        let next = Step::from_index(done.index() + 1)?;
        if next == Step::Secretariat && !self.notify_secretariat {
            return None;
        }
        Some((next, interval.saturating_mul(next.index() as u64)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_critical_alert_climbs_every_fifteen_minutes() {
        let p = EscalationPolicy {
            notify_secretariat: true,
            ..EscalationPolicy::default()
        };
        assert_eq!(
            p.next(Severity::Critical, Step::Primary),
            Some((Step::Backup, 900))
        );
        assert_eq!(
            p.next(Severity::Critical, Step::Backup),
            Some((Step::Chain, 1800))
        );
        assert_eq!(
            p.next(Severity::Critical, Step::Chain),
            Some((Step::Secretariat, 2700))
        );
        assert_eq!(p.next(Severity::Critical, Step::Secretariat), None);
    }

    #[test]
    fn the_secretariat_is_told_only_when_the_team_wants_it_and_info_never_escalates() {
        let p = EscalationPolicy::default();
        assert_eq!(p.next(Severity::High, Step::Chain), None);
        assert_eq!(p.next(Severity::Info, Step::Primary), None);
        assert_eq!(
            p.next(Severity::Low, Step::Primary),
            Some((Step::Backup, 86_400))
        );
    }
}
