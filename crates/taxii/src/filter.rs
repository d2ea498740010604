//! URL query parameters of the TAXII 2.1 collection endpoints (section 3.5).

use vigia_stix::Timestamp;

use crate::cursor::{Cursor, CursorError};

/// `match[version]`: any union of `first`, `last`, `all` and timestamps.
/// Absent, it means `last`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VersionMatch {
    pub all: bool,
    pub first: bool,
    pub last: bool,
    pub at: Vec<Timestamp>,
}

impl VersionMatch {
    pub fn last() -> Self {
        Self {
            last: true,
            ..Self::default()
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub added_after: Option<Timestamp>,
    pub limit: Option<u32>,
    pub next: Option<Cursor>,
    pub ids: Vec<String>,
    pub types: Vec<String>,
    pub versions: VersionMatch,
    pub spec_versions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("{param}: {value:?} is not a timestamp (RFC 3339, UTC, 'Z')")]
    Timestamp { param: &'static str, value: String },
    #[error("limit: {0:?} is not a positive whole number")]
    Limit(String),
    #[error(transparent)]
    Next(#[from] CursorError),
    #[error("match[version]: {0:?} is not first, last, all or a timestamp")]
    Version(String),
    #[error("{0} is not a filter this server supports")]
    Unsupported(String),
}

fn comma_list(value: &str) -> impl Iterator<Item = String> + '_ {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl Filter {
    /// Parses decoded query pairs. Parameters outside TAXII are ignored;
    /// an unknown `match[…]` is refused, since silently ignoring a filter
    /// would return more than the client asked for.
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, FilterError> {
        let mut f = Filter::default();
        let mut versions: Option<VersionMatch> = None;
        for (key, value) in pairs {
            match key {
                "added_after" => {
                    f.added_after =
                        Some(Timestamp::parse(value).map_err(|_| FilterError::Timestamp {
                            param: "added_after",
                            value: value.to_owned(),
                        })?)
                }
                "limit" => {
                    let n: u32 = value
                        .parse()
                        .map_err(|_| FilterError::Limit(value.to_owned()))?;
                    if n == 0 {
                        return Err(FilterError::Limit(value.to_owned()));
                    }
                    f.limit = Some(n);
                }
                "next" => f.next = Some(Cursor::decode(value)?),
                "match[id]" => f.ids.extend(comma_list(value)),
                "match[type]" => f.types.extend(comma_list(value)),
                "match[spec_version]" => f.spec_versions.extend(comma_list(value)),
                "match[version]" => {
                    let v = versions.get_or_insert_with(VersionMatch::default);
                    for item in comma_list(value) {
                        match item.as_str() {
                            "all" => v.all = true,
                            "first" => v.first = true,
                            "last" => v.last = true,
                            other => v.at.push(
                                Timestamp::parse(other)
                                    .map_err(|_| FilterError::Version(other.to_owned()))?,
                            ),
                        }
                    }
                }
                other if other.starts_with("match[") => {
                    return Err(FilterError::Unsupported(other.to_owned()))
                }
                _ => {}
            }
        }
        f.versions = versions.unwrap_or_else(VersionMatch::last);
        Ok(f)
    }

    /// The page size: the client's, capped at `max`; `max` if none.
    pub fn page_size(&self, max: u32) -> u32 {
        self.limit.unwrap_or(max).min(max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_filter() {
        let f = Filter::parse([
            ("added_after", "2016-02-01T00:00:01.000Z"),
            ("limit", "50"),
            ("match[id]", "indicator--1,indicator--2"),
            ("match[type]", "indicator"),
            ("match[type]", "malware"),
            ("match[version]", "first,2016-02-01T00:00:01.000Z"),
            ("match[spec_version]", "2.1"),
            ("unrelated", "x"),
        ])
        .unwrap();
        assert_eq!(f.ids.len(), 2);
        assert_eq!(f.types, vec!["indicator", "malware"]);
        assert!(f.versions.first && !f.versions.last && f.versions.at.len() == 1);
        assert_eq!(f.page_size(1000), 50);
        assert_eq!(Filter::parse([]).unwrap().versions, VersionMatch::last());
    }

    #[test]
    fn refuses_bad_values_with_the_parameter_named() {
        assert!(matches!(
            Filter::parse([("limit", "0")]),
            Err(FilterError::Limit(_))
        ));
        assert!(matches!(
            Filter::parse([("limit", "-1")]),
            Err(FilterError::Limit(_))
        ));
        assert!(matches!(
            Filter::parse([("added_after", "now")]),
            Err(FilterError::Timestamp { .. })
        ));
        assert!(matches!(
            Filter::parse([("match[version]", "newest")]),
            Err(FilterError::Version(_))
        ));
        assert!(matches!(
            Filter::parse([("match[color]", "red")]),
            Err(FilterError::Unsupported(_))
        ));
        assert!(matches!(
            Filter::parse([("next", "zzz")]),
            Err(FilterError::Next(_))
        ));
    }
}
