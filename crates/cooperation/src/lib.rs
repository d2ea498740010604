//! The network's working life as data, with no I/O (issue 11): what the
//! national teams do together besides alerts.
//!
//! Every record here is a STIX `note` carrying vigia's cooperation
//! property extension ([`record`]), so it is sealed, marked and federated
//! like any product, and any STIX tool can read its abstract and content.
//!
//! - [`calendar`]: network events (quarterly calls with a recurrence
//!   rule, meetings, trainings, exercises), attendance, and RFC 5545
//!   iCalendar feeds.
//! - [`milestone`]: network commitments with a due date per member, each
//!   member's state and when reminders fall due.
//! - [`report`]: the annual report's numbers, computed from plain facts,
//!   and its SVG charts.
//! - [`training`]: training needs (ECSF roles as topics), per-person
//!   training records, mentoring offers and requests, their matching and
//!   the phased programme for a new CSIRT.
//! - [`compendium`]: lessons-learned and best-practice documents, the IGF
//!   Best Practice Forum template and review dates.
//! - [`assessment`]: the national self-assessment over the five framework
//!   elements, its baseline, progress, gap list and the regional
//!   readiness index of the countries that opted in.

pub mod assessment;
pub mod calendar;
pub mod compendium;
pub mod milestone;
pub mod record;
pub mod report;
pub mod training;

pub use record::{Kind, Record, RecordDraft, COOPERATION_EXTENSION_ID};

/// A field that is wrong and why.
pub type FieldError = (&'static str, String);

pub(crate) const MAX_TEXT: usize = 20_000;
pub(crate) const MAX_TITLE: usize = 300;

/// Checks a required title.
pub(crate) fn check_title(field: &'static str, title: &str) -> Result<(), FieldError> {
    if title.trim().is_empty() {
        return Err((field, "missing".into()));
    }
    if title.chars().count() > MAX_TITLE {
        return Err((field, format!("longer than {MAX_TITLE} characters")));
    }
    Ok(())
}

/// Checks a free text's length.
pub(crate) fn check_text(field: &'static str, text: &str) -> Result<(), FieldError> {
    if text.chars().count() > MAX_TEXT {
        return Err((field, format!("longer than {MAX_TEXT} characters")));
    }
    Ok(())
}

/// A `YYYY-MM-DD` date.
pub fn parse_date(field: &'static str, text: &str) -> Result<time::Date, FieldError> {
    time::Date::parse(
        text.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| (field, format!("{text:?} is not a date (YYYY-MM-DD)")))
}

/// A date as `YYYY-MM-DD`.
pub fn format_date(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}
