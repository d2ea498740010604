//! Well-known benign values, read from MISP warninglists
//! (`lists/<name>/list.json` in MISP/misp-warninglists, shipped by
//! `pymispwarninglists`). A value on a list is shown as "known benign:
//! <list name>" instead of as a correlation.
//!
//! The five list types are MISP's: `string` (the whole value), `hostname`
//! (the domain or any parent of it), `substring`, `cidr` (the address or
//! network inside one of the list's networks) and `regex` (`/…/flags`).
//! `matching_attributes` names MISP attribute types; a list applies to the
//! kinds of observable those types hold, or to every kind if it names
//! none.

use std::collections::HashSet;

use serde::Deserialize;

use crate::observable::{Kind, Network, Observable};

/// Why a list cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("warninglist {name}: {reason}")]
pub struct WarningListError {
    pub name: String,
    pub reason: String,
}

#[derive(Deserialize)]
struct ListFile {
    name: String,
    #[serde(rename = "type")]
    list_type: String,
    list: Vec<String>,
    #[serde(default)]
    matching_attributes: Vec<String>,
}

/// One list, ready to match.
#[derive(Debug)]
pub struct WarningList {
    pub name: String,
    /// `None`: every kind.
    kinds: Option<Vec<Kind>>,
    entries: Entries,
}

#[derive(Debug)]
enum Entries {
    Exact(HashSet<String>),
    Hostname(HashSet<String>),
    Substring(Vec<String>),
    /// Merged, sorted ranges per family: (first, last) address.
    Cidr {
        v4: Vec<(u128, u128)>,
        v6: Vec<(u128, u128)>,
    },
    Regex(regex::RegexSet),
}

impl WarningList {
    /// Reads a `list.json`. `source` names it in errors (the file).
    ///
    /// # Errors
    /// [`WarningListError`] if the JSON is not a warninglist, its type is
    /// unknown or a regular expression does not compile.
    pub fn from_json(source: &str, json: &str) -> Result<WarningList, WarningListError> {
        let file: ListFile = serde_json::from_str(json).map_err(|e| WarningListError {
            name: source.to_owned(),
            reason: format!("not a MISP warninglist: {e}"),
        })?;
        let fail = |reason: String| WarningListError {
            name: file.name.clone(),
            reason,
        };
        let entries = match file.list_type.as_str() {
            "string" => Entries::Exact(file.list.iter().map(|e| fold(e)).collect()),
            "hostname" => Entries::Hostname(
                file.list
                    .iter()
                    .map(|e| fold(e.trim_start_matches('.').trim_end_matches('.')))
                    .collect(),
            ),
            "substring" => Entries::Substring(file.list.iter().map(|e| fold(e)).collect()),
            "cidr" => cidr_ranges(&file.list),
            "regex" => {
                let patterns: Vec<String> = file.list.iter().map(|r| misp_regex(r)).collect();
                Entries::Regex(
                    regex::RegexSet::new(patterns)
                        .map_err(|e| fail(format!("a regular expression does not compile: {e}")))?,
                )
            }
            other => return Err(fail(format!("unknown list type {other:?}"))),
        };
        Ok(WarningList {
            kinds: kinds_of(&file.matching_attributes),
            name: file.name,
            entries,
        })
    }

    pub fn len(&self) -> usize {
        match &self.entries {
            Entries::Exact(s) | Entries::Hostname(s) => s.len(),
            Entries::Substring(v) => v.len(),
            Entries::Cidr { v4, v6 } => v4.len() + v6.len(),
            Entries::Regex(r) => r.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `o` is on this list.
    pub fn matches(&self, o: &Observable) -> bool {
        if self.kinds.as_ref().is_some_and(|k| !k.contains(&o.kind)) {
            return false;
        }
        match &self.entries {
            Entries::Exact(set) => set.contains(&o.value) || set.contains(&fold(&o.value)),
            Entries::Hostname(set) => host_of(o).is_some_and(|host| {
                let mut name = host.as_str();
                loop {
                    if set.contains(name) {
                        return true;
                    }
                    match name.split_once('.') {
                        Some((_, parent)) => name = parent,
                        None => return false,
                    }
                }
            }),
            Entries::Substring(list) => {
                let value = fold(&o.value);
                list.iter().any(|e| value.contains(e.as_str()))
            }
            Entries::Cidr { v4, v6 } => o.network().is_some_and(|n| {
                let ranges = if n.v6 { v6 } else { v4 };
                let (first, last) = range(n);
                // The last range starting at or before `first`, merged, is
                // the only one that can hold the whole of `n`.
                let i = ranges.partition_point(|r| r.0 <= first);
                i > 0 && ranges[i - 1].1 >= last
            }),
            Entries::Regex(set) => set.is_match(&o.value),
        }
    }
}

fn fold(s: &str) -> String {
    s.trim().to_lowercase()
}

/// The host name an observable carries, for hostname lists.
fn host_of(o: &Observable) -> Option<String> {
    match o.kind {
        Kind::Domain => Some(o.value.clone()),
        Kind::Url => url::Url::parse(&o.value)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned)),
        Kind::Email => o.value.rsplit_once('@').map(|(_, h)| h.to_owned()),
        _ => None,
    }
}

/// `/pattern/flags` as MISP writes it, to the `regex` crate's syntax.
fn misp_regex(r: &str) -> String {
    let body = r.strip_prefix('/').and_then(|rest| rest.rsplit_once('/'));
    match body {
        Some((pattern, flags)) if flags.contains('i') => format!("(?i){pattern}"),
        Some((pattern, _)) => pattern.to_owned(),
        None => r.to_owned(),
    }
}

fn range(n: Network) -> (u128, u128) {
    let host_bits = u32::from(n.width() - n.prefix);
    let span = if host_bits >= 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    (n.bits, n.bits | span)
}

fn cidr_ranges(list: &[String]) -> Entries {
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    for entry in list {
        let parsed =
            Observable::new(Kind::Ipv4, entry).or_else(|_| Observable::new(Kind::Ipv6, entry));
        if let Some(n) = parsed.ok().and_then(|o| o.network()) {
            let list = if n.v6 { &mut v6 } else { &mut v4 };
            list.push(range(n));
        }
    }
    Entries::Cidr {
        v4: merge(v4),
        v6: merge(v6),
    }
}

fn merge(mut ranges: Vec<(u128, u128)>) -> Vec<(u128, u128)> {
    ranges.sort_unstable();
    let mut out: Vec<(u128, u128)> = Vec::with_capacity(ranges.len());
    for (first, last) in ranges {
        match out.last_mut() {
            Some(prev) if first <= prev.1.saturating_add(1) => prev.1 = prev.1.max(last),
            _ => out.push((first, last)),
        }
    }
    out
}

/// The kinds of observable MISP attribute types hold; `None` (every
/// kind) if the list names no types. A list naming only types no
/// observable here holds (phone numbers, say) gets no kinds: it never
/// applies.
fn kinds_of(attributes: &[String]) -> Option<Vec<Kind>> {
    if attributes.is_empty() {
        return None;
    }
    let mut kinds = Vec::new();
    for attribute in attributes {
        let more: &[Kind] = match attribute.as_str() {
            "ip-src" | "ip-dst" | "ip-src|port" | "ip-dst|port" | "ip" => &[Kind::Ipv4, Kind::Ipv6],
            "domain|ip" => &[Kind::Domain, Kind::Ipv4, Kind::Ipv6],
            "domain" | "hostname" | "hostname|port" => &[Kind::Domain],
            "url" | "uri" | "link" => &[Kind::Url],
            "email"
            | "email-src"
            | "email-dst"
            | "target-email"
            | "whois-registrant-email"
            | "dns-soa-email"
            | "email-reply-to" => &[Kind::Email],
            "md5" | "filename|md5" | "x509-fingerprint-md5" => &[Kind::Md5],
            "sha1" | "filename|sha1" | "x509-fingerprint-sha1" => &[Kind::Sha1],
            "sha256" | "filename|sha256" | "x509-fingerprint-sha256" => &[Kind::Sha256],
            "sha512" | "filename|sha512" => &[Kind::Sha512],
            "AS" => &[Kind::AutonomousSystem],
            "mac-address" => &[Kind::Mac],
            _ => &[],
        };
        for k in more {
            if !kinds.contains(k) {
                kinds.push(*k);
            }
        }
    }
    Some(kinds)
}

/// Every list an operator loaded, in the order given.
#[derive(Debug, Default)]
pub struct Exclusions {
    lists: Vec<WarningList>,
}

impl Exclusions {
    pub fn new(lists: Vec<WarningList>) -> Exclusions {
        Exclusions { lists }
    }

    pub fn lists(&self) -> &[WarningList] {
        &self.lists
    }

    /// The name of the first list `o` is on.
    pub fn benign(&self, o: &Observable) -> Option<&str> {
        self.lists
            .iter()
            .find(|l| l.matches(o))
            .map(|l| l.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(json: &str) -> WarningList {
        WarningList::from_json("test", json).unwrap()
    }

    fn o(v: &str) -> Observable {
        Observable::infer(v).unwrap()
    }

    #[test]
    fn cidr_lists_hold_addresses_and_networks_inside_them() {
        let l = list(
            r#"{"name": "RFC 1918", "type": "cidr", "list": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fd00::/8"],
            "matching_attributes": ["ip-src", "ip-dst"]}"#,
        );
        assert!(l.matches(&o("10.9.8.7")));
        assert!(l.matches(&o("172.31.255.255")));
        assert!(!l.matches(&o("172.32.0.0")));
        assert!(l.matches(&o("192.168.4.0/24")));
        assert!(
            !l.matches(&o("192.0.0.0/8")),
            "wider than the list's network"
        );
        assert!(l.matches(&o("fd12::1")));
        assert!(!l.matches(&o("evil.example")));
    }

    #[test]
    fn hostname_lists_hold_subdomains_and_url_hosts() {
        let l = list(
            r#"{"name": "Google", "type": "hostname", "list": ["google.com", ".gstatic.com"],
            "matching_attributes": ["domain", "hostname", "url"]}"#,
        );
        assert!(l.matches(&o("google.com")));
        assert!(l.matches(&o("mail.GOOGLE.com")));
        assert!(l.matches(&o("https://fonts.gstatic.com/x")));
        assert!(!l.matches(&o("notgoogle.com")));
        assert!(!l.matches(&o("google.com.evil.example")));
    }

    #[test]
    fn string_substring_and_regex_lists() {
        let s = list(
            r#"{"name": "Empty hashes", "type": "string", "list": ["D41D8CD98F00B204E9800998ECF8427E"]}"#,
        );
        assert!(s.matches(&o("d41d8cd98f00b204e9800998ecf8427e")));
        let sub = list(
            r#"{"name": "Disposable", "type": "substring", "list": ["mailinator.com"],
            "matching_attributes": ["email-src"]}"#,
        );
        assert!(sub.matches(&o("x@mailinator.com")));
        assert!(
            !sub.matches(&o("mailinator.com")),
            "a domain is not an e-mail address"
        );
        let re = list(
            r#"{"name": "Contacts", "type": "regex", "list": ["/^(security|abuse)\\@.*$/i"],
            "matching_attributes": ["email-dst"]}"#,
        );
        assert!(re.matches(&o("abuse@cert.example")));
        assert!(!re.matches(&o("alice@cert.example")));
    }

    #[test]
    fn lists_for_other_attribute_types_never_match() {
        let l = list(
            r#"{"name": "Phones", "type": "string", "list": ["evil.example"],
            "matching_attributes": ["phone-number"]}"#,
        );
        assert!(!l.matches(&o("evil.example")));
    }

    #[test]
    fn bad_lists_are_refused_with_their_name() {
        let e = WarningList::from_json("x/list.json", "{}").unwrap_err();
        assert!(e.to_string().contains("x/list.json"), "{e}");
        let e = WarningList::from_json("f", r#"{"name": "N", "type": "fuzzy", "list": []}"#)
            .unwrap_err();
        assert!(e.to_string().contains("fuzzy"), "{e}");
    }

    #[test]
    fn exclusions_name_the_first_list_that_holds_a_value() {
        let ex = Exclusions::new(vec![
            list(r#"{"name": "A", "type": "cidr", "list": ["10.0.0.0/8"]}"#),
            list(r#"{"name": "B", "type": "cidr", "list": ["10.0.0.0/16"]}"#),
        ]);
        assert_eq!(ex.benign(&o("10.0.0.1")), Some("A"));
        assert_eq!(ex.benign(&o("11.0.0.1")), None);
    }
}
