//! The observables an object names: the values an indicator's STIX pattern
//! tests for equality or membership, the values of cyber-observable
//! objects, and those embedded in observed-data.

use std::collections::BTreeSet;

use serde_json::Value;
use vigia_stix::pattern::{self, Literal, Operator, PathStep, PropTest};

use crate::observable::{Kind, Observable};

/// Most observables read from one object; a pattern or bundle with more is
/// indexed under its first ones (a pattern is at most 64 KiB anyway).
pub const MAX_PER_OBJECT: usize = 10_000;

/// Every observable `object` names, in normal form, without repeats.
/// Values that do not normalise (a pattern may test `ipv4-addr:value`
/// against any string) are passed over: they cannot match anything.
pub fn observables(object: &Value) -> Vec<Observable> {
    let mut out = BTreeSet::new();
    match object.get("type").and_then(Value::as_str) {
        Some("indicator") => from_indicator(object, &mut out),
        Some("observed-data") => {
            if let Some(objects) = object.get("objects").and_then(Value::as_object) {
                for sco in objects.values() {
                    from_sco(sco, &mut out);
                }
            }
        }
        Some(_) => from_sco(object, &mut out),
        None => {}
    }
    out.into_iter().take(MAX_PER_OBJECT).collect()
}

/// The parse error of an indicator's STIX pattern, if it has one.
/// Patterns in other languages (`pattern_type` other than `stix`) are not
/// read.
pub fn pattern_error(object: &Value) -> Option<pattern::PatternError> {
    let text = stix_pattern(object)?;
    pattern::parse(text).err()
}

fn stix_pattern(object: &Value) -> Option<&str> {
    if object.get("type").and_then(Value::as_str) != Some("indicator") {
        return None;
    }
    let language = object
        .get("pattern_type")
        .and_then(Value::as_str)
        .unwrap_or("stix");
    if language != "stix" {
        return None;
    }
    object.get("pattern").and_then(Value::as_str)
}

fn from_indicator(object: &Value, out: &mut BTreeSet<Observable>) {
    let Some(text) = stix_pattern(object) else {
        return;
    };
    let Ok(parsed) = pattern::parse(text) else {
        return;
    };
    for test in parsed.comparisons() {
        if test.negated || out.len() >= MAX_PER_OBJECT {
            continue;
        }
        let Some(kind) = path_kind(test) else {
            continue;
        };
        for literal in compared_values(test) {
            let value = match literal {
                Literal::Str(s) => s.clone(),
                Literal::Int(n) => n.to_string(),
                Literal::Hex(h) => h.clone(),
                _ => continue,
            };
            let observable = match kind {
                Some(kind) => Observable::new(kind, &value),
                // Referenced addresses may be of either family.
                None => Observable::new(Kind::Ipv4, &value)
                    .or_else(|_| Observable::new(Kind::Ipv6, &value)),
            };
            if let Ok(o) = observable {
                out.insert(o);
            }
        }
    }
}

/// The literals a test compares its path with as equal or as a member:
/// `=`, `IN (…)` and `ISSUBSET` (an address inside a network).
fn compared_values(test: &PropTest) -> Vec<&Literal> {
    match (&test.operator, &test.value) {
        (Operator::Eq | Operator::IsSubset, Some(Literal::Set(items))) => items.iter().collect(),
        (Operator::Eq | Operator::IsSubset, Some(v)) => vec![v],
        (Operator::In, Some(Literal::Set(items))) => items.iter().collect(),
        _ => Vec::new(),
    }
}

/// The kind of value a path holds: `Some(Some(kind))`, or `Some(None)`
/// for a referenced address of either family; `None` if not indexed.
fn path_kind(test: &PropTest) -> Option<Option<Kind>> {
    let keys: Vec<&str> = test
        .path
        .steps
        .iter()
        .filter_map(|s| match s {
            PathStep::Key(k) => Some(k.as_str()),
            PathStep::Index(_) => None,
        })
        .collect();
    let kind = match (test.path.object_type.as_str(), keys.as_slice()) {
        ("ipv4-addr", ["value"]) => Kind::Ipv4,
        ("ipv6-addr", ["value"]) => Kind::Ipv6,
        ("domain-name", ["value"]) => Kind::Domain,
        ("url", ["value"]) => Kind::Url,
        ("email-addr", ["value"]) => Kind::Email,
        ("mac-addr", ["value"]) => Kind::Mac,
        ("autonomous-system", ["number"]) => Kind::AutonomousSystem,
        ("x509-certificate", ["serial_number"]) => Kind::X509Serial,
        ("file" | "artifact" | "x509-certificate", ["hashes", algorithm]) => {
            Kind::from_hash_name(algorithm)?
        }
        (
            "email-message",
            ["from_ref" | "sender_ref" | "to_refs" | "cc_refs" | "bcc_refs", "value"],
        ) => Kind::Email,
        ("network-traffic", ["src_ref" | "dst_ref", "value"])
        | ("domain-name", ["resolves_to_refs", "value"]) => return Some(None),
        _ => return None,
    };
    Some(Some(kind))
}

fn from_sco(sco: &Value, out: &mut BTreeSet<Observable>) {
    let Some(kind) = sco.get("type").and_then(Value::as_str) else {
        return;
    };
    let string = |key: &str| sco.get(key).and_then(Value::as_str);
    let mut add = |kind: Kind, value: &str| {
        if let Ok(o) = Observable::new(kind, value) {
            out.insert(o);
        }
    };
    match kind {
        "ipv4-addr" => string("value").into_iter().for_each(|v| add(Kind::Ipv4, v)),
        "ipv6-addr" => string("value").into_iter().for_each(|v| add(Kind::Ipv6, v)),
        "domain-name" => string("value")
            .into_iter()
            .for_each(|v| add(Kind::Domain, v)),
        "url" => string("value").into_iter().for_each(|v| add(Kind::Url, v)),
        "email-addr" => string("value")
            .into_iter()
            .for_each(|v| add(Kind::Email, v)),
        "mac-addr" => string("value").into_iter().for_each(|v| add(Kind::Mac, v)),
        "autonomous-system" => {
            if let Some(n) = sco.get("number").and_then(Value::as_u64) {
                add(Kind::AutonomousSystem, &n.to_string());
            }
        }
        "file" | "artifact" | "x509-certificate" => {
            if let Some(hashes) = sco.get("hashes").and_then(Value::as_object) {
                for (algorithm, value) in hashes {
                    if let (Some(kind), Some(value)) =
                        (Kind::from_hash_name(algorithm), value.as_str())
                    {
                        add(kind, value);
                    }
                }
            }
            if let Some(serial) = string("serial_number") {
                add(Kind::X509Serial, serial);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn values(object: Value) -> Vec<String> {
        observables(&object)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_pattern_yields_what_it_tests_for_equality() {
        let got = values(json!({
            "type": "indicator",
            "pattern_type": "stix",
            "pattern": "([ipv4-addr:value = '198.51.100.7' OR ipv4-addr:value ISSUBSET '203.0.113.0/24'] \
                AND [file:hashes.'SHA-256' = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) \
                OR [domain-name:value IN ('Evil.Example', 'bücher.example')] \
                OR [network-traffic:dst_ref.value = '2001:db8::1'] \
                OR [email-message:from_ref.value = 'Phish@Evil.Example'] \
                OR [url:value != 'http://benign.example/'] \
                OR [file:name MATCHES '^x'] \
                OR [x509-certificate:serial_number = '00:ab:cd'] \
                OR [autonomous-system:number = 64500] \
                OR [mac-addr:value = '00-1A-2B-3C-4D-5E'] \
                OR [ipv4-addr:value = 'not an address']"
        }));
        assert_eq!(
            got,
            [
                "ipv4-addr:198.51.100.7",
                "ipv4-addr:203.0.113.0/24",
                "ipv6-addr:2001:db8::1",
                "domain-name:evil.example",
                "domain-name:xn--bcher-kva.example",
                "email-addr:phish@evil.example",
                "SHA-256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "autonomous-system:64500",
                "x509-serial:abcd",
                "mac-addr:00:1a:2b:3c:4d:5e",
            ]
        );
    }

    #[test]
    fn negations_other_languages_and_bad_patterns_yield_nothing() {
        assert!(values(json!({"type": "indicator", "pattern_type": "stix",
            "pattern": "[ipv4-addr:value NOT = '198.51.100.7']"}))
        .is_empty());
        assert!(values(json!({"type": "indicator", "pattern_type": "snort",
            "pattern": "alert tcp 198.51.100.7 any"}))
        .is_empty());
        assert!(values(json!({"type": "indicator", "pattern": "[ipv4-addr:value = "})).is_empty());
    }

    #[test]
    fn bad_stix_patterns_are_reported_with_their_position() {
        let e = pattern_error(&json!({"type": "indicator", "pattern_type": "stix",
            "pattern": "[ipv4-addr:value = '1.2.3.4' AND]"}))
        .unwrap();
        assert_eq!(e.position, 32);
        assert!(
            pattern_error(&json!({"type": "indicator", "pattern_type": "yara",
            "pattern": "rule {"}))
            .is_none()
        );
        assert!(pattern_error(&json!({"type": "malware", "pattern": "["})).is_none());
    }

    #[test]
    fn scos_and_observed_data_yield_their_values() {
        assert_eq!(
            values(
                json!({"type": "file", "hashes": {"MD5": "D41D8CD98F00B204E9800998ECF8427E", "SHA3-256": "ab"}})
            ),
            ["MD5:d41d8cd98f00b204e9800998ecf8427e"]
        );
        assert_eq!(
            values(json!({"type": "x509-certificate", "serial_number": "01:02",
                "hashes": {"SHA-1": "A".repeat(40)}})),
            [
                format!("SHA-1:{}", "a".repeat(40)),
                "x509-serial:102".to_owned()
            ]
        );
        assert_eq!(
            values(json!({"type": "observed-data", "objects": {
                "0": {"type": "ipv4-addr", "value": "198.51.100.7"},
                "1": {"type": "url", "value": "HTTP://Evil.Example/a"},
                "2": {"type": "autonomous-system", "number": 64500}
            }})),
            [
                "ipv4-addr:198.51.100.7",
                "url:http://evil.example/a",
                "autonomous-system:64500"
            ]
        );
        assert!(values(json!({"type": "malware", "name": "x"})).is_empty());
    }
}
