//! A team's duty roster: its on-call contacts, their channels and the
//! hours each is on duty, in the contact's own IANA time zone.
//!
//! A window is a weekly rule: days, a start and an end in local time. An
//! end at or before the start runs past midnight into the next day. A
//! primary or backup contact with no windows is on duty all week; an
//! escalation contact is called whatever the hour.

use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use vigia_stix::Timestamp;

const MAX_CONTACTS: usize = 500;
const MAX_WINDOWS: usize = 50;
const MAX_TEXT: usize = 320;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContactRole {
    /// Called first.
    Primary,
    /// Called when no primary acknowledges in time.
    Backup,
    /// The team's escalation chain (head of team, management).
    Escalation,
}

/// Where a webhook goes and whether it may carry AMBER bodies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    pub url: String,
    /// The Standard Webhooks secret (`whsec_…`). Given in, never shown
    /// again; the store keeps it encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The team allows AMBER bodies to this URL (a system it controls).
    #[serde(default)]
    pub allow_amber: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// `mon` … `sun`; empty means every day.
    #[serde(default)]
    pub days: Vec<String>,
    /// Local `HH:MM`.
    pub start: String,
    /// Local `HH:MM`; `24:00` is the end of the day.
    pub end: String,
    /// IANA time zone, e.g. `America/Sao_Paulo`.
    pub tz: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: String,
    pub role: ContactRole,
    /// The node user this contact signs in as; names them as a person for
    /// TLP:RED and lets them acknowledge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Shown to humans who need to call; never dialled by the node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<Webhook>,
    #[serde(default)]
    pub windows: Vec<Window>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roster {
    #[serde(default)]
    pub contacts: Vec<Contact>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RosterError {
    #[error("contacts[{index}].{field}: {reason}")]
    Contact {
        index: usize,
        field: String,
        reason: String,
    },
    #[error("a roster holds at most {MAX_CONTACTS} contacts")]
    TooMany,
}

/// An interval with nobody (primary or backup) on duty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Gap {
    pub start: Timestamp,
    pub end: Timestamp,
}

/// A window compiled for fast checks.
struct Rule {
    /// Bit `n` set: day `n` from Monday.
    days: u8,
    start: u16,
    end: u16,
    tz: TimeZone,
}

fn parse_day(d: &str) -> Option<Weekday> {
    Some(match d.to_ascii_lowercase().as_str() {
        "mon" => Weekday::Monday,
        "tue" => Weekday::Tuesday,
        "wed" => Weekday::Wednesday,
        "thu" => Weekday::Thursday,
        "fri" => Weekday::Friday,
        "sat" => Weekday::Saturday,
        "sun" => Weekday::Sunday,
        _ => return None,
    })
}

/// Minutes since midnight of `HH:MM` (`24:00` allowed).
fn parse_clock(t: &str) -> Option<u16> {
    let (h, m) = t.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) => Some(24 * 60),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

impl Window {
    fn rule(&self) -> Result<Rule, (String, String)> {
        let days = if self.days.is_empty() {
            0x7f
        } else {
            let mut mask = 0u8;
            for d in &self.days {
                let day = parse_day(d).ok_or_else(|| {
                    (
                        "days".to_owned(),
                        format!("{d:?} is not one of mon, tue, wed, thu, fri, sat, sun"),
                    )
                })?;
                mask |= 1 << day.to_monday_zero_offset();
            }
            mask
        };
        let clock = |field: &str, v: &str| {
            parse_clock(v).ok_or_else(|| (field.to_owned(), format!("{v:?} is not a time HH:MM")))
        };
        let start = clock("start", &self.start)?;
        let end = clock("end", &self.end)?;
        let tz = TimeZone::get(&self.tz).map_err(|_| {
            (
                "tz".to_owned(),
                format!("{:?} is not an IANA time zone", self.tz),
            )
        })?;
        Ok(Rule {
            days,
            start,
            end,
            tz,
        })
    }
}

impl Rule {
    fn covers(&self, micros: i64) -> bool {
        let Ok(ts) = jiff::Timestamp::from_microsecond(micros) else {
            return false;
        };
        let local = ts.to_zoned(self.tz.clone());
        let minute = u16::from(local.hour() as u8) * 60 + u16::from(local.minute() as u8);
        let day = local.weekday().to_monday_zero_offset();
        let listed = |d: i8| self.days & (1 << d) != 0;
        if self.start < self.end {
            listed(day) && minute >= self.start && minute < self.end
        } else {
            // Runs past midnight: the evening of a listed day, or the
            // early hours after one.
            (listed(day) && minute >= self.start) || (listed((day + 6) % 7) && minute < self.end)
        }
    }
}

impl Contact {
    fn check(&self, index: usize) -> Result<(), RosterError> {
        let bad = |field: &str, reason: String| RosterError::Contact {
            index,
            field: field.to_owned(),
            reason,
        };
        if self.name.trim().is_empty() || self.name.len() > MAX_TEXT {
            return Err(bad("name", "empty or longer than 320 characters".into()));
        }
        if let Some(e) = &self.email {
            let valid = e.len() <= MAX_TEXT
                && e.split_once('@').is_some_and(|(l, d)| {
                    !l.is_empty() && d.contains('.') && !e.contains(char::is_whitespace)
                });
            if !valid {
                return Err(bad("email", format!("{e:?} is not an e-mail address")));
            }
        }
        if let Some(p) = &self.phone {
            if p.len() > 64 {
                return Err(bad("phone", "longer than 64 characters".into()));
            }
        }
        if let Some(w) = &self.webhook {
            if !(w.url.starts_with("https://") || w.url.starts_with("http://"))
                || w.url.len() > 2048
            {
                return Err(bad(
                    "webhook.url",
                    format!("{:?} is not an http(s) URL", w.url),
                ));
            }
            if let Some(s) = &w.secret {
                if !s.starts_with("whsec_") || s.len() < 30 || s.len() > 200 {
                    return Err(bad(
                        "webhook.secret",
                        "a Standard Webhooks secret is whsec_ followed by base64 (at least 24 bytes)".into(),
                    ));
                }
            }
        }
        if self.windows.len() > MAX_WINDOWS {
            return Err(bad("windows", format!("at most {MAX_WINDOWS} windows")));
        }
        for (i, w) in self.windows.iter().enumerate() {
            w.rule()
                .map_err(|(field, reason)| bad(&format!("windows[{i}].{field}"), reason))?;
        }
        Ok(())
    }

    /// Whether the contact is on duty at `at`.
    pub fn on_duty(&self, at: Timestamp) -> bool {
        if self.role == ContactRole::Escalation || self.windows.is_empty() {
            return true;
        }
        self.windows
            .iter()
            .filter_map(|w| w.rule().ok())
            .any(|r| r.covers(at.unix_micros()))
    }
}

impl Roster {
    /// Checks every contact, naming the first bad field.
    pub fn validate(&self) -> Result<(), RosterError> {
        if self.contacts.len() > MAX_CONTACTS {
            return Err(RosterError::TooMany);
        }
        self.contacts
            .iter()
            .enumerate()
            .try_for_each(|(i, c)| c.check(i))
    }

    /// The contacts of `role` on duty at `at`.
    pub fn on_duty(&self, role: ContactRole, at: Timestamp) -> Vec<&Contact> {
        self.contacts
            .iter()
            .filter(|c| c.role == role && c.on_duty(at))
            .collect()
    }

    /// The gaps of the seven days from `now`, checked every quarter hour.
    pub fn gaps_next_week(&self, now: Timestamp) -> Vec<Gap> {
        let week =
            Timestamp::from_unix_micros(now.unix_micros() + 7 * 86_400_000_000).unwrap_or(now);
        self.gaps(now, week, 15)
    }

    /// The stretches between `from` and `to` with no primary or backup on
    /// duty, checked every `step_minutes` (15 finds any gap of an hour).
    pub fn gaps(&self, from: Timestamp, to: Timestamp, step_minutes: i64) -> Vec<Gap> {
        let rules: Vec<Option<Vec<Rule>>> = self
            .contacts
            .iter()
            .filter(|c| c.role != ContactRole::Escalation)
            .map(|c| {
                if c.windows.is_empty() {
                    None
                } else {
                    Some(c.windows.iter().filter_map(|w| w.rule().ok()).collect())
                }
            })
            .collect();
        let covered = |m: i64| {
            rules.iter().any(|r| match r {
                None => true,
                Some(rules) => rules.iter().any(|r| r.covers(m)),
            })
        };
        let step = step_minutes.max(1) * 60_000_000;
        let (start, end) = (from.unix_micros(), to.unix_micros());
        let mut gaps = Vec::new();
        let mut open: Option<i64> = None;
        // Checks on the step's grid (whole quarter hours), so reported
        // gaps start and end where windows do.
        let mut m = start - start.rem_euclid(step);
        while m < end {
            match (covered(m), open) {
                (false, None) => open = Some(m.max(start)),
                (true, Some(s)) => {
                    gaps.push((s, m));
                    open = None;
                }
                _ => {}
            }
            m += step;
        }
        if let Some(s) = open {
            gaps.push((s, end));
        }
        gaps.into_iter()
            .filter_map(|(s, e)| {
                Some(Gap {
                    start: Timestamp::from_unix_micros(s).ok()?,
                    end: Timestamp::from_unix_micros(e).ok()?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn window(days: &[&str], start: &str, end: &str, tz: &str) -> Window {
        Window {
            days: days.iter().map(|d| d.to_string()).collect(),
            start: start.into(),
            end: end.into(),
            tz: tz.into(),
        }
    }

    fn contact(name: &str, role: ContactRole, windows: Vec<Window>) -> Contact {
        Contact {
            name: name.into(),
            role,
            user: None,
            email: Some(format!("{name}@cert.example")),
            phone: None,
            webhook: None,
            windows,
        }
    }

    fn at(t: &str) -> Timestamp {
        Timestamp::parse(t).unwrap()
    }

    #[test]
    fn windows_follow_the_contacts_time_zone() {
        // 08:00–20:00 in São Paulo (UTC−3) is 11:00–23:00 UTC.
        let c = contact(
            "ana",
            ContactRole::Primary,
            vec![window(&[], "08:00", "20:00", "America/Sao_Paulo")],
        );
        assert!(c.on_duty(at("2026-11-23T11:00:00Z")));
        assert!(c.on_duty(at("2026-11-23T22:59:00Z")));
        assert!(!c.on_duty(at("2026-11-23T23:00:00Z")));
        assert!(!c.on_duty(at("2026-11-23T10:59:00Z")));
    }

    #[test]
    fn a_night_window_runs_past_midnight_into_the_next_day() {
        let c = contact(
            "night",
            ContactRole::Primary,
            vec![window(&["fri"], "20:00", "08:00", "UTC")],
        );
        // 2026-11-27 is a Friday.
        assert!(c.on_duty(at("2026-11-27T21:00:00Z")));
        assert!(c.on_duty(at("2026-11-28T07:59:00Z")));
        assert!(!c.on_duty(at("2026-11-28T08:00:00Z")));
        assert!(!c.on_duty(at("2026-11-27T07:00:00Z")));
    }

    #[test]
    fn a_roster_with_an_empty_night_reports_the_gap() {
        let roster = Roster {
            contacts: vec![
                contact(
                    "day",
                    ContactRole::Primary,
                    vec![window(&[], "08:00", "20:00", "UTC")],
                ),
                contact("boss", ContactRole::Escalation, vec![]),
            ],
        };
        roster.validate().unwrap();
        let gaps = roster.gaps(at("2026-11-23T00:00:00Z"), at("2026-11-24T00:00:00Z"), 15);
        assert_eq!(
            gaps,
            vec![
                Gap {
                    start: at("2026-11-23T00:00:00Z"),
                    end: at("2026-11-23T08:00:00Z")
                },
                Gap {
                    start: at("2026-11-23T20:00:00Z"),
                    end: at("2026-11-24T00:00:00Z")
                },
            ]
        );
        let full = Roster {
            contacts: vec![
                contact(
                    "day",
                    ContactRole::Primary,
                    vec![window(&[], "08:00", "20:00", "UTC")],
                ),
                contact(
                    "night",
                    ContactRole::Backup,
                    vec![window(&[], "20:00", "08:00", "UTC")],
                ),
            ],
        };
        assert!(full
            .gaps(at("2026-11-23T00:00:00Z"), at("2026-11-30T00:00:00Z"), 15)
            .is_empty());
    }

    #[test]
    fn bad_fields_are_named() {
        let mut c = contact(
            "x",
            ContactRole::Primary,
            vec![window(&["funday"], "08:00", "20:00", "UTC")],
        );
        let r = Roster {
            contacts: vec![c.clone()],
        };
        assert_eq!(
            r.validate().unwrap_err().to_string(),
            "contacts[0].windows[0].days: \"funday\" is not one of mon, tue, wed, thu, fri, sat, sun"
        );
        c.windows = vec![window(&[], "8:00", "20:00", "UTC")];
        assert!(Roster {
            contacts: vec![c.clone()]
        }
        .validate()
        .unwrap_err()
        .to_string()
        .contains("start"));
        c.windows = vec![window(&[], "08:00", "20:00", "Mars/Olympus")];
        assert!(Roster {
            contacts: vec![c.clone()]
        }
        .validate()
        .unwrap_err()
        .to_string()
        .contains("IANA"));
        c.windows = vec![];
        c.email = Some("nobody".into());
        assert!(Roster {
            contacts: vec![c.clone()]
        }
        .validate()
        .unwrap_err()
        .to_string()
        .contains("email"));
        c.email = None;
        c.webhook = Some(Webhook {
            url: "ftp://x".into(),
            secret: None,
            allow_amber: false,
        });
        assert!(Roster { contacts: vec![c] }
            .validate()
            .unwrap_err()
            .to_string()
            .contains("webhook.url"));
    }

    proptest! {
        /// Gaps are exactly the checked instants with nobody on duty.
        #[test]
        fn gaps_match_on_duty(start_h in 0u16..24, len_h in 1u16..24, probe in 0i64..(7 * 24 * 4)) {
            let end_h = (start_h + len_h) % 24;
            let roster = Roster { contacts: vec![contact(
                "a",
                ContactRole::Primary,
                vec![window(&[], &format!("{start_h:02}:00"), &format!("{end_h:02}:00"), "America/Mexico_City")],
            )] };
            let from = at("2026-11-23T00:00:00Z");
            let to = at("2026-11-30T00:00:00Z");
            let gaps = roster.gaps(from, to, 15);
            let instant = Timestamp::from_unix_micros(from.unix_micros() + probe * 15 * 60_000_000).unwrap();
            let in_gap = gaps.iter().any(|g| g.start <= instant && instant < g.end);
            let on = !roster.on_duty(ContactRole::Primary, instant).is_empty();
            prop_assert_eq!(in_gap, !on);
        }
    }
}
