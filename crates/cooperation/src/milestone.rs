//! Network commitments with a due date per member (C-010): "training
//! needs due 1 February", "census answers due". A member has met one when
//! it publishes a record naming the milestone (`milestone-done`, or the
//! training needs that answer it).

use serde::{Deserialize, Serialize};
use time::Date;

use crate::{check_text, check_title, parse_date, FieldError};

/// A milestone's body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Milestone {
    /// The default due date, `YYYY-MM-DD`.
    pub due: String,
    /// The members bound by it, each with its own date if it differs.
    pub members: Vec<MemberDue>,
    /// Days before the due date on which reminders go out.
    #[serde(default = "default_reminders")]
    pub remind_days_before: Vec<u32>,
    /// What meets it (`training-needs`, `census`, or free text).
    #[serde(default)]
    pub topic: String,
    #[serde(default)]
    pub description: String,
    /// The reminders already sent, as days before the due date; each new
    /// version of the milestone that sends one adds it.
    #[serde(default)]
    pub reminded: Vec<u32>,
}

fn default_reminders() -> Vec<u32> {
    vec![14, 3]
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberDue {
    pub team: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
}

/// Where one member stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MemberState {
    Pending,
    Done,
    Overdue,
}

impl MemberState {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberState::Pending => "pending",
            MemberState::Done => "done",
            MemberState::Overdue => "overdue",
        }
    }
}

impl Milestone {
    /// # Errors
    /// The field that is wrong and why.
    pub fn check(&self, title: &str) -> Result<(), FieldError> {
        check_title("title", title)?;
        parse_date("due", &self.due)?;
        if self.members.is_empty() {
            return Err(("members", "name at least one member team".into()));
        }
        for m in &self.members {
            if !m.team.starts_with("identity--") {
                return Err(("members", format!("{:?} is not a team id", m.team)));
            }
            if let Some(d) = &m.due {
                parse_date("members", d)?;
            }
        }
        if self.remind_days_before.iter().any(|d| *d > 366) {
            return Err(("remind_days_before", "at most 366 days".into()));
        }
        check_text("description", &self.description)
    }

    /// The date `team` must meet it by, if it is bound.
    pub fn due_for(&self, team: &str) -> Option<Date> {
        let m = self.members.iter().find(|m| m.team == team)?;
        parse_date("due", m.due.as_deref().unwrap_or(&self.due)).ok()
    }

    /// Each member's state on `today`, given the date each one met it.
    pub fn states(
        &self,
        today: Date,
        done: impl Fn(&str) -> Option<Date>,
    ) -> Vec<(String, Option<Date>, MemberState)> {
        self.members
            .iter()
            .map(|m| {
                let due = self.due_for(&m.team);
                let state = member_state(due, done(&m.team), today);
                (m.team.clone(), due, state)
            })
            .collect()
    }

    /// The reminder due on `today`, as days before the default due date:
    /// the nearest reminder day already reached and not yet sent, while
    /// the due date has not passed.
    pub fn reminder_due(&self, today: Date) -> Option<u32> {
        let due = parse_date("due", &self.due).ok()?;
        let left = (due - today).whole_days();
        if left < 0 {
            return None;
        }
        self.remind_days_before
            .iter()
            .copied()
            .filter(|d| i64::from(*d) >= left && !self.reminded.contains(d))
            .min()
    }

    /// The reminder a member is due on `today`, as days before its own due
    /// date: the nearest reminder day reached while that date has not
    /// passed. Each node asks this for its own team; the outbox keeps each
    /// day's message to one per contact.
    pub fn reminder_for(&self, team: &str, today: Date) -> Option<u32> {
        let left = (self.due_for(team)? - today).whole_days();
        if left < 0 {
            return None;
        }
        self.remind_days_before
            .iter()
            .copied()
            .filter(|d| i64::from(*d) >= left)
            .min()
    }
}

/// Subject and plain-text body of a reminder e-mail to a member team. The
/// marking leads both, as on every message the node sends.
pub fn reminder_email(
    title: &str,
    tlp_label: &str,
    due: Date,
    today: Date,
    description: &str,
    link: &str,
) -> (String, String) {
    let left = (due - today).whole_days();
    let when = match left {
        0 => "today".to_owned(),
        1 => "tomorrow".to_owned(),
        n => format!("in {n} days"),
    };
    let due = crate::format_date(due);
    let subject = format!("[{tlp_label}] Reminder: {title} due {due} ({when})");
    let mut body =
        format!("{tlp_label}\n\n{title}\nDue {due} ({when}). Your team has not met it yet.\n");
    if !description.is_empty() {
        body.push_str(&format!("\n{description}\n"));
    }
    body.push_str(&format!(
        "\nMark it done, or publish what meets it, at {link}\n"
    ));
    (subject, body)
}

/// Pending until due, overdue after, done once met (on time or late).
pub fn member_state(due: Option<Date>, done: Option<Date>, today: Date) -> MemberState {
    match (done, due) {
        (Some(_), _) => MemberState::Done,
        (None, Some(due)) if today > due => MemberState::Overdue,
        _ => MemberState::Pending,
    }
}

/// A member's report that it met a milestone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MilestoneDone {
    pub milestone_ref: String,
    #[serde(default)]
    pub comment: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn milestone() -> Milestone {
        Milestone {
            due: "2027-02-01".into(),
            members: vec![
                MemberDue {
                    team: "identity--a".into(),
                    due: None,
                },
                MemberDue {
                    team: "identity--b".into(),
                    due: Some("2027-03-01".into()),
                },
            ],
            remind_days_before: vec![14, 3],
            topic: "training-needs".into(),
            description: String::new(),
            reminded: vec![],
        }
    }

    #[test]
    fn each_member_is_pending_done_or_overdue_against_its_own_date() {
        let m = milestone();
        let states = m.states(date!(2027 - 02 - 10), |t| {
            (t == "identity--c").then_some(date!(2027 - 01 - 01))
        });
        assert_eq!(states[0].2, MemberState::Overdue);
        assert_eq!(states[1].2, MemberState::Pending, "b's own date is 1 March");
        let states = m.states(date!(2027 - 02 - 10), |t| {
            (t == "identity--a").then_some(date!(2027 - 02 - 09))
        });
        assert_eq!(states[0].2, MemberState::Done, "late is still done");
        assert_eq!(m.due_for("identity--z"), None);
    }

    #[test]
    fn reminders_fall_due_once_each_before_the_deadline() {
        let mut m = milestone();
        assert_eq!(m.reminder_due(date!(2027 - 01 - 10)), None, "22 days left");
        assert_eq!(m.reminder_due(date!(2027 - 01 - 18)), Some(14));
        assert_eq!(m.reminder_due(date!(2027 - 01 - 29)), Some(3));
        m.reminded = vec![14];
        assert_eq!(m.reminder_due(date!(2027 - 01 - 20)), None);
        assert_eq!(m.reminder_due(date!(2027 - 01 - 30)), Some(3));
        m.reminded = vec![14, 3];
        assert_eq!(m.reminder_due(date!(2027 - 01 - 31)), None);
        m.reminded = vec![];
        assert_eq!(m.reminder_due(date!(2027 - 02 - 02)), None, "past due");
    }

    #[test]
    fn each_member_is_reminded_against_its_own_date() {
        let m = milestone();
        // a is due 1 Feb, b 1 March; reminders 14 and 3 days before.
        let on = date!(2027 - 01 - 20);
        assert_eq!(m.reminder_for("identity--a", on), Some(14), "12 days left");
        assert_eq!(m.reminder_for("identity--b", on), None, "40 days left");
        assert_eq!(
            m.reminder_for("identity--a", date!(2027 - 01 - 30)),
            Some(3)
        );
        assert_eq!(
            m.reminder_for("identity--a", date!(2027 - 02 - 01)),
            Some(3),
            "due today"
        );
        assert_eq!(
            m.reminder_for("identity--a", date!(2027 - 02 - 02)),
            None,
            "past due"
        );
        assert_eq!(
            m.reminder_for("identity--b", date!(2027 - 02 - 20)),
            Some(14)
        );
        assert_eq!(m.reminder_for("identity--z", on), None, "not a member");
    }

    #[test]
    fn a_reminder_email_leads_with_the_marking_and_says_how_long_is_left() {
        let (subject, body) = reminder_email(
            "Training needs",
            "TLP:GREEN",
            date!(2027 - 02 - 01),
            date!(2027 - 01 - 29),
            "Send your team's needs.",
            "https://cert.example/console/network",
        );
        assert_eq!(
            subject,
            "[TLP:GREEN] Reminder: Training needs due 2027-02-01 (in 3 days)"
        );
        assert!(body.starts_with("TLP:GREEN\n\nTraining needs\n"), "{body}");
        assert!(body.contains("Send your team's needs."));
        assert!(body.ends_with("at https://cert.example/console/network\n"));
        let (subject, _) = reminder_email(
            "x",
            "TLP:CLEAR",
            date!(2027 - 02 - 01),
            date!(2027 - 01 - 31),
            "",
            "l",
        );
        assert!(subject.ends_with("(tomorrow)"));
    }

    #[test]
    fn a_bad_milestone_names_its_field() {
        let mut m = milestone();
        m.due = "1 Feb".into();
        assert_eq!(m.check("Training needs").unwrap_err().0, "due");
        let mut m = milestone();
        m.members.clear();
        assert_eq!(m.check("Training needs").unwrap_err().0, "members");
        let mut m = milestone();
        m.members[0].team = "CL".into();
        assert!(m.check("x").unwrap_err().1.contains("not a team id"));
    }
}
