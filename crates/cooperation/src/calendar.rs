//! Network events and their iCalendar (RFC 5545) feeds.
//!
//! An event's recurrence is an RFC 5545 `RRULE` of the subset calendar
//! clients agree on for meetings: `FREQ` (DAILY, WEEKLY, MONTHLY,
//! YEARLY), `INTERVAL`, and `COUNT` or `UNTIL`. A quarterly call is
//! `FREQ=MONTHLY;INTERVAL=3`.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use vigia_stix::Timestamp;

use crate::{check_text, check_title, FieldError};

/// The kinds of network event (C-104 to C-108).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// A call of the national points of contact.
    Call,
    Meeting,
    Training,
    Exercise,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Call => "call",
            EventKind::Meeting => "meeting",
            EventKind::Training => "training",
            EventKind::Exercise => "exercise",
        }
    }
}

/// An event's body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub kind: EventKind,
    /// The first occurrence's start, RFC 3339.
    pub start: String,
    pub duration_minutes: u32,
    /// An RFC 5545 RRULE value, e.g. `FREQ=MONTHLY;INTERVAL=3`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<String>,
    /// A place or a meeting link.
    #[serde(default)]
    pub location: String,
    /// Who it is for, in words ("national points of contact").
    #[serde(default)]
    pub audience: String,
    #[serde(default)]
    pub description: String,
}

impl Event {
    /// # Errors
    /// The field that is wrong and why.
    pub fn check(&self, title: &str) -> Result<(), FieldError> {
        check_title("title", title)?;
        Timestamp::parse(&self.start).map_err(|e| ("start", e.to_string()))?;
        if self.duration_minutes == 0 || self.duration_minutes > 7 * 24 * 60 {
            return Err(("duration_minutes", "between 1 and 10080".into()));
        }
        if let Some(r) = &self.recurrence {
            Recurrence::parse(r).map_err(|e| ("recurrence", e))?;
        }
        check_text("location", &self.location)?;
        check_text("audience", &self.audience)?;
        check_text("description", &self.description)
    }

    /// Starts of the occurrences in `[from, to)`, at most `limit`.
    pub fn occurrences(&self, from: Timestamp, to: Timestamp, limit: usize) -> Vec<Timestamp> {
        let Ok(start) = Timestamp::parse(&self.start) else {
            return Vec::new();
        };
        let rule = match &self.recurrence {
            None => None,
            Some(r) => match Recurrence::parse(r) {
                Ok(r) => Some(r),
                Err(_) => return Vec::new(),
            },
        };
        let mut out = Vec::new();
        // `n` counts steps of the rule, `held` the occurrences that exist
        // (a 31st in a short month does not, and is not counted).
        let (mut n, mut held) = (0u32, 0u32);
        while n <= 100_000 {
            if let Some(at) = nth(start.datetime(), rule.as_ref(), n) {
                if rule.as_ref().is_some_and(|r| r.ends_before(held, at)) || at >= to.datetime() {
                    break;
                }
                held += 1;
                if at >= from.datetime() {
                    out.push(Timestamp::from_datetime(at));
                    if out.len() >= limit {
                        break;
                    }
                }
            }
            if rule.is_none() {
                break;
            }
            n += 1;
        }
        out
    }
}

/// The `n`th occurrence (0 is the first).
fn nth(start: OffsetDateTime, rule: Option<&Recurrence>, n: u32) -> Option<OffsetDateTime> {
    let Some(rule) = rule else {
        return (n == 0).then_some(start);
    };
    let step = i64::from(n) * i64::from(rule.interval);
    match rule.freq {
        Freq::Daily => start.checked_add(Duration::days(step)),
        Freq::Weekly => start.checked_add(Duration::weeks(step)),
        Freq::Monthly => add_months(start, step),
        Freq::Yearly => add_months(start, step * 12),
    }
}

/// Adds months; a day the month lacks (31 April) is skipped by RFC 5545,
/// so it is `None` and the caller moves on.
fn add_months(start: OffsetDateTime, months: i64) -> Option<OffsetDateTime> {
    let total = i64::from(start.year()) * 12 + i64::from(u8::from(start.month())) - 1 + months;
    let year = i32::try_from(total.div_euclid(12)).ok()?;
    let month = time::Month::try_from(u8::try_from(total.rem_euclid(12) + 1).ok()?).ok()?;
    let date = time::Date::from_calendar_date(year, month, start.day()).ok()?;
    Some(start.replace_date(date))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Freq {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

/// A parsed RRULE.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recurrence {
    pub freq: Freq,
    pub interval: u32,
    pub count: Option<u32>,
    pub until: Option<OffsetDateTime>,
}

impl Recurrence {
    /// # Errors
    /// What is wrong with the rule.
    pub fn parse(text: &str) -> Result<Recurrence, String> {
        let text = text.trim().trim_start_matches("RRULE:");
        let (mut freq, mut interval, mut count, mut until) = (None, 1u32, None, None);
        for part in text.split(';').filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?} is not NAME=VALUE"))?;
            match k.to_ascii_uppercase().as_str() {
                "FREQ" => {
                    freq = Some(match v.to_ascii_uppercase().as_str() {
                        "DAILY" => Freq::Daily,
                        "WEEKLY" => Freq::Weekly,
                        "MONTHLY" => Freq::Monthly,
                        "YEARLY" => Freq::Yearly,
                        _ => {
                            return Err(format!("FREQ={v} is not DAILY, WEEKLY, MONTHLY or YEARLY"))
                        }
                    })
                }
                "INTERVAL" => {
                    interval = v
                        .parse()
                        .ok()
                        .filter(|i| (1..=1000).contains(i))
                        .ok_or_else(|| format!("INTERVAL={v} is not between 1 and 1000"))?
                }
                "COUNT" => {
                    count = Some(
                        v.parse()
                            .ok()
                            .filter(|c| (1..=10_000).contains(c))
                            .ok_or_else(|| format!("COUNT={v} is not between 1 and 10000"))?,
                    )
                }
                "UNTIL" => until = Some(parse_until(v)?),
                other => {
                    return Err(format!(
                        "{other} is not supported (FREQ, INTERVAL, COUNT, UNTIL)"
                    ))
                }
            }
        }
        if count.is_some() && until.is_some() {
            return Err("COUNT and UNTIL together are not allowed (RFC 5545 3.3.10)".into());
        }
        Ok(Recurrence {
            freq: freq.ok_or("FREQ is missing")?,
            interval,
            count,
            until,
        })
    }

    fn ends_before(&self, n: u32, at: OffsetDateTime) -> bool {
        self.count.is_some_and(|c| n >= c) || self.until.is_some_and(|u| at > u)
    }
}

fn parse_until(v: &str) -> Result<OffsetDateTime, String> {
    let bad = || format!("UNTIL={v} is not a UTC date-time (YYYYMMDDTHHMMSSZ) or date");
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    if let Ok(t) = time::PrimitiveDateTime::parse(v, fmt) {
        return Ok(t.assume_utc());
    }
    let d = time::Date::parse(v, time::macros::format_description!("[year][month][day]"))
        .map_err(|_| bad())?;
    Ok(d.with_hms(23, 59, 59).map_err(|_| bad())?.assume_utc())
}

/// Which teams attended one occurrence of an event (recorded by its
/// organiser).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attendance {
    pub event_ref: String,
    /// The occurrence's date, `YYYY-MM-DD`.
    pub occurrence: String,
    /// The teams present.
    pub present: Vec<String>,
    #[serde(default)]
    pub notes: String,
}

impl Attendance {
    /// # Errors
    /// The field that is wrong and why.
    pub fn check(&self) -> Result<(), FieldError> {
        if !self.event_ref.starts_with("note--") {
            return Err(("event_ref", "not an event id".into()));
        }
        crate::parse_date("occurrence", &self.occurrence)?;
        if let Some(t) = self.present.iter().find(|t| !t.starts_with("identity--")) {
            return Err(("present", format!("{t:?} is not a team id")));
        }
        check_text("notes", &self.notes)
    }
}

/// One event in a feed.
#[derive(Clone, Debug)]
pub struct FeedEvent<'a> {
    /// The STIX id; the UID is derived from it, so clients update in place.
    pub id: &'a str,
    pub title: &'a str,
    pub modified: &'a str,
    /// `TLP:CLEAR` and the others.
    pub tlp: &'a str,
    pub organiser: &'a str,
    pub event: &'a Event,
}

/// An RFC 5545 calendar of `events`, CRLF line ends, folded at 75 octets.
pub fn ics(name: &str, events: &[FeedEvent<'_>]) -> String {
    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".into(),
        "VERSION:2.0".into(),
        "PRODID:-//vigia//Inter-American CSIRT Watch and Warning Network//EN".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        format!("X-WR-CALNAME:{}", escape(name)),
    ];
    for e in events {
        let Ok(start) = Timestamp::parse(&e.event.start) else {
            continue;
        };
        lines.push("BEGIN:VEVENT".into());
        lines.push(format!("UID:{}@vigia", e.id));
        lines.push(format!("DTSTAMP:{}", utc(e.modified)));
        lines.push(format!("LAST-MODIFIED:{}", utc(e.modified)));
        lines.push(format!("DTSTART:{}", basic(start.datetime())));
        lines.push(format!("DURATION:PT{}M", e.event.duration_minutes));
        if let Some(r) = &e.event.recurrence {
            lines.push(format!("RRULE:{}", r.trim().trim_start_matches("RRULE:")));
        }
        lines.push(format!("SUMMARY:{}", escape(e.title)));
        if !e.event.description.is_empty() || !e.event.audience.is_empty() {
            let mut d = e.event.description.clone();
            if !e.event.audience.is_empty() {
                d = format!("{d}\n\nAudience: {}", e.event.audience);
            }
            lines.push(format!("DESCRIPTION:{}", escape(d.trim())));
        }
        if !e.event.location.is_empty() {
            lines.push(format!("LOCATION:{}", escape(&e.event.location)));
        }
        lines.push(format!(
            "CATEGORIES:{}",
            e.event.kind.as_str().to_uppercase()
        ));
        // CLASS tells clients whether the event may be shown to others.
        let class = if e.tlp == "TLP:CLEAR" {
            "PUBLIC"
        } else {
            "CONFIDENTIAL"
        };
        lines.push(format!("CLASS:{class}"));
        lines.push(format!("X-VIGIA-TLP:{}", escape(e.tlp)));
        lines.push(format!(
            "ORGANIZER;CN={}:urn:stix:{}",
            param(e.organiser),
            e.organiser
        ));
        lines.push("END:VEVENT".into());
    }
    lines.push("END:VCALENDAR".into());
    let mut out = String::new();
    for l in lines {
        fold(&l, &mut out);
    }
    out
}

fn basic(t: OffsetDateTime) -> String {
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn utc(stix: &str) -> String {
    Timestamp::parse(stix)
        .map(|t| basic(t.datetime()))
        .unwrap_or_else(|_| "19700101T000000Z".into())
}

/// TEXT escaping (RFC 5545 3.3.11).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A parameter value: quoted, without the characters it may not hold.
fn param(text: &str) -> String {
    let clean: String = text
        .chars()
        .filter(|c| *c != '"' && !c.is_control())
        .collect();
    format!("\"{clean}\"")
}

/// Folds a content line at 75 octets without splitting a character
/// (RFC 5545 3.1).
fn fold(line: &str, out: &mut String) {
    let mut used = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if used + n > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += n;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call() -> Event {
        Event {
            kind: EventKind::Call,
            start: "2026-01-15T14:00:00Z".into(),
            duration_minutes: 90,
            recurrence: Some("FREQ=MONTHLY;INTERVAL=3".into()),
            location: "https://meet.example/npoc".into(),
            audience: "National points of contact".into(),
            description: "Agenda: status, drills; AOB".into(),
        }
    }

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn a_quarterly_call_falls_every_three_months() {
        let got = call().occurrences(ts("2026-01-01T00:00:00Z"), ts("2027-01-01T00:00:00Z"), 10);
        let got: Vec<String> = got.iter().map(|t| t.to_millis_string()).collect();
        assert_eq!(
            got,
            [
                "2026-01-15T14:00:00.000Z",
                "2026-04-15T14:00:00.000Z",
                "2026-07-15T14:00:00.000Z",
                "2026-10-15T14:00:00.000Z"
            ]
        );
    }

    #[test]
    fn count_and_until_end_a_series() {
        let mut e = call();
        e.recurrence = Some("FREQ=WEEKLY;COUNT=3".into());
        assert_eq!(
            e.occurrences(ts("2026-01-01T00:00:00Z"), ts("2027-01-01T00:00:00Z"), 10)
                .len(),
            3
        );
        e.recurrence = Some("FREQ=MONTHLY;UNTIL=20260501T000000Z".into());
        assert_eq!(
            e.occurrences(ts("2026-01-01T00:00:00Z"), ts("2027-01-01T00:00:00Z"), 10)
                .len(),
            4
        );
        e.recurrence = None;
        assert_eq!(
            e.occurrences(ts("2026-02-01T00:00:00Z"), ts("2027-01-01T00:00:00Z"), 10),
            vec![]
        );
    }

    #[test]
    fn a_bad_rule_is_named() {
        for (rule, says) in [
            ("FREQ=HOURLY", "FREQ=HOURLY is not"),
            ("INTERVAL=2", "FREQ is missing"),
            ("FREQ=WEEKLY;BYDAY=MO", "BYDAY is not supported"),
            ("FREQ=WEEKLY;COUNT=2;UNTIL=20270101", "COUNT and UNTIL"),
            ("FREQ=WEEKLY;INTERVAL=0", "INTERVAL=0"),
            ("FREQ", "is not NAME=VALUE"),
        ] {
            let e = Recurrence::parse(rule).unwrap_err();
            assert!(e.contains(says), "{rule}: {e}");
        }
        let mut e = call();
        e.recurrence = Some("FREQ=SECONDLY".into());
        assert_eq!(e.check("Call").unwrap_err().0, "recurrence");
        assert_eq!(call().check(" ").unwrap_err().0, "title");
    }

    #[test]
    fn the_feed_is_rfc_5545() {
        let e = call();
        let title = "Quarterly call of the national points of contact, Q1; with a long title that must fold";
        let feed = ics(
            "vigia",
            &[FeedEvent {
                id: "note--00000000-0000-4000-8000-000000000001",
                title,
                modified: "2026-01-02T03:04:05.000Z",
                tlp: "TLP:GREEN",
                organiser: "identity--x",
                event: &e,
            }],
        );
        assert!(feed.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(feed.ends_with("END:VCALENDAR\r\n"));
        assert!(feed.contains("DTSTART:20260115T140000Z\r\n"));
        assert!(feed.contains("RRULE:FREQ=MONTHLY;INTERVAL=3\r\n"));
        assert!(feed.contains("DTSTAMP:20260102T030405Z\r\n"));
        assert!(feed.contains("CLASS:CONFIDENTIAL\r\n"));
        assert!(
            feed.contains("DESCRIPTION:Agenda: status\\, drills\\; AOB\\n\\nAudience: National")
        );
        for line in feed.split("\r\n") {
            assert!(line.len() <= 75, "{line:?} is longer than 75 octets");
        }
        // Unfolding gives the summary back.
        let unfolded = feed.replace("\r\n ", "");
        assert!(unfolded.contains(
            "SUMMARY:Quarterly call of the national points of contact\\, Q1\\; with a long"
        ));
    }

    #[test]
    fn folding_never_splits_a_character() {
        let mut out = String::new();
        fold(&"é".repeat(100), &mut out);
        for line in out.split("\r\n") {
            assert!(line.len() <= 75);
        }
        assert_eq!(out.replace("\r\n ", "").trim_end(), "é".repeat(100));
    }

    #[test]
    fn the_thirty_first_is_skipped_in_short_months() {
        let mut e = call();
        e.start = "2026-01-31T10:00:00Z".into();
        e.recurrence = Some("FREQ=MONTHLY".into());
        let got = e.occurrences(ts("2026-01-01T00:00:00Z"), ts("2026-06-01T00:00:00Z"), 10);
        let months: Vec<u8> = got.iter().map(|t| u8::from(t.datetime().month())).collect();
        assert_eq!(months, [1, 3, 5]);
    }
}
