//! A [`Filter`] written as the URL query parameters of TAXII 2.1 section
//! 3.5, the inverse of [`Filter::parse`].

use vigia_stix::Timestamp;
use vigia_taxii::{Filter, VersionMatch};

/// The query parameters for `filter`, with `limit` (when the filter has
/// none) and the server's opaque `next` token.
///
/// `filter.next` is vigia's own cursor and is not sent: a foreign
/// server's `next` token is opaque and comes in `next`. `match[version]`
/// is left out when it asks for the server's default, the last version.
pub fn query_pairs(
    filter: &Filter,
    limit: Option<u32>,
    next: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut pairs = Vec::new();
    if let Some(t) = filter.added_after {
        pairs.push(("added_after", t.to_micros_string()));
    }
    if let Some(limit) = filter.limit.or(limit) {
        pairs.push(("limit", limit.to_string()));
    }
    if let Some(next) = next {
        pairs.push(("next", next.to_owned()));
    }
    if !filter.ids.is_empty() {
        pairs.push(("match[id]", filter.ids.join(",")));
    }
    if !filter.types.is_empty() {
        pairs.push(("match[type]", filter.types.join(",")));
    }
    if let Some(versions) = version_param(&filter.versions) {
        pairs.push(("match[version]", versions));
    }
    if !filter.spec_versions.is_empty() {
        pairs.push(("match[spec_version]", filter.spec_versions.join(",")));
    }
    pairs
}

/// `match[version]`, or `None` for the default (`last`, or nothing asked).
fn version_param(v: &VersionMatch) -> Option<String> {
    let default = v.at.is_empty() && !v.all && !v.first;
    if default {
        return None;
    }
    let mut items: Vec<String> = Vec::new();
    for (set, name) in [(v.all, "all"), (v.first, "first"), (v.last, "last")] {
        if set {
            items.push(name.to_owned());
        }
    }
    items.extend(v.at.iter().map(version_text));
    Some(items.join(","))
}

/// A version timestamp as STIX writes them: milliseconds, unless the
/// version is finer than that.
fn version_text(t: &Timestamp) -> String {
    let at = t.datetime();
    if at.nanosecond() == u32::from(at.millisecond()) * 1_000_000 {
        t.to_millis_string()
    } else {
        t.to_micros_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    #[test]
    fn the_default_filter_sends_only_the_page_size() {
        assert_eq!(
            query_pairs(&Filter::default(), Some(100), None),
            vec![("limit", "100".to_owned())]
        );
        let parsed = Filter::parse([]).unwrap();
        assert_eq!(query_pairs(&parsed, None, None), vec![]);
    }

    #[test]
    fn every_filter_is_written_and_parses_back() {
        let filter = Filter {
            added_after: Some(ts("2016-02-01T00:00:01.123456Z")),
            limit: Some(50),
            next: None,
            ids: vec!["indicator--1".into(), "indicator--2".into()],
            types: vec!["indicator".into(), "malware".into()],
            versions: VersionMatch {
                all: false,
                first: true,
                last: false,
                at: vec![ts("2016-02-01T00:00:01.000Z")],
            },
            spec_versions: vec!["2.1".into()],
        };
        let pairs = query_pairs(&filter, Some(1000), Some("opaque token"));
        assert!(pairs.contains(&("added_after", "2016-02-01T00:00:01.123456Z".into())));
        assert!(
            pairs.contains(&("limit", "50".into())),
            "the filter's own limit wins"
        );
        assert!(pairs.contains(&("next", "opaque token".into())));
        assert!(pairs.contains(&("match[version]", "first,2016-02-01T00:00:01.000Z".into())));
        let back = Filter::parse(
            pairs
                .iter()
                .filter(|(k, _)| *k != "next")
                .map(|(k, v)| (*k, v.as_str())),
        )
        .unwrap();
        assert_eq!(back, filter);
    }

    #[test]
    fn versions_finer_than_milliseconds_keep_their_precision() {
        let v = VersionMatch {
            at: vec![ts("2020-01-01T00:00:00.000001Z")],
            ..VersionMatch::default()
        };
        assert_eq!(
            version_param(&v).as_deref(),
            Some("2020-01-01T00:00:00.000001Z")
        );
        assert_eq!(version_param(&VersionMatch::last()), None);
        let all = VersionMatch {
            all: true,
            ..VersionMatch::default()
        };
        assert_eq!(version_param(&all).as_deref(), Some("all"));
    }
}
