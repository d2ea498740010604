//! Index keys: a value's 64-bit key, and the keys a lookup probes so that
//! an address is found inside every indexed network that contains it.
//!
//! The index stores (key, object) pairs, not values: 8 bytes per key
//! whatever the value's length, which keeps the index smaller than the
//! values themselves. Two distinct values share a key with probability
//! about n²/2⁶⁵ (under 3·10⁻⁶ for ten million values); a collision can
//! only show an object the viewer may see anyway as related.

use sha2::{Digest, Sha256};

use crate::observable::{Network, Observable};

/// The index key of a value in normal form.
pub fn value_key(o: &Observable) -> i64 {
    let mut hash = Sha256::new();
    hash.update(o.kind.as_str().as_bytes());
    hash.update([0]);
    hash.update(o.value.as_bytes());
    let digest = hash.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// The network prefix lengths present in an index, per family, which is
/// all a lookup needs to find enclosing networks by exact keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Prefixes {
    pub v4: Vec<u8>,
    pub v6: Vec<u8>,
}

impl Prefixes {
    /// Records the prefix of an indexed network; plain addresses and
    /// other kinds are not networks and add nothing.
    pub fn note(&mut self, o: &Observable) {
        if let Some(n) = o.network() {
            if n.prefix < n.width() {
                let list = if n.v6 { &mut self.v6 } else { &mut self.v4 };
                if !list.contains(&n.prefix) {
                    list.push(n.prefix);
                    list.sort_unstable();
                }
            }
        }
    }
}

/// A key to probe and the value it stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    pub key: i64,
    /// The value itself, or the enclosing network the key names.
    pub matched: Observable,
}

impl Probe {
    /// Whether the key is a network's (kept apart from plain values).
    pub fn is_network(&self) -> bool {
        self.matched.network().is_some_and(|n| n.prefix < n.width())
    }
}

/// The probes' keys, as (plain values, networks).
pub fn split_keys<'a>(probes: impl IntoIterator<Item = &'a Probe>) -> (Vec<i64>, Vec<i64>) {
    let mut values = Vec::new();
    let mut networks = Vec::new();
    for p in probes {
        if p.is_network() {
            networks.push(p.key);
        } else {
            values.push(p.key);
        }
    }
    (values, networks)
}

/// The keys under which objects related to `o` are indexed: its own, and
/// for an address or network, those of every enclosing network whose
/// prefix length is in `prefixes`.
pub fn probes(o: &Observable, prefixes: &Prefixes) -> Vec<Probe> {
    let mut out = vec![Probe {
        key: value_key(o),
        matched: o.clone(),
    }];
    if let Some(n) = o.network() {
        out.extend(enclosing(n, prefixes).map(|net| {
            let matched = net.observable();
            Probe {
                key: value_key(&matched),
                matched,
            }
        }));
    }
    out
}

fn enclosing(n: Network, prefixes: &Prefixes) -> impl Iterator<Item = Network> + '_ {
    let lengths = if n.v6 { &prefixes.v6 } else { &prefixes.v4 };
    lengths
        .iter()
        .filter(move |&&len| len < n.prefix)
        .map(move |&len| n.truncate(len))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::observable::Kind;

    fn ip(v: &str) -> Observable {
        Observable::infer(v).unwrap()
    }

    #[test]
    fn keys_differ_by_kind_and_value_and_agree_on_spelling() {
        assert_eq!(
            value_key(&ip("198.51.100.7")),
            value_key(&ip(" 198.51.100.7/32"))
        );
        assert_ne!(
            value_key(&ip("198.51.100.7")),
            value_key(&ip("198.51.100.8"))
        );
        let md5 = Observable::new(Kind::Md5, &"a".repeat(32)).unwrap();
        let serial = Observable::new(Kind::X509Serial, &"a".repeat(32)).unwrap();
        assert_ne!(value_key(&md5), value_key(&serial));
    }

    #[test]
    fn an_address_probes_its_enclosing_networks_present() {
        let mut prefixes = Prefixes::default();
        for net in [
            "10.0.0.0/8",
            "192.0.2.0/24",
            "2001:db8::/32",
            "198.51.100.9",
        ] {
            prefixes.note(&ip(net));
        }
        assert_eq!(prefixes.v4, [8, 24]);
        assert_eq!(prefixes.v6, [32]);
        let matched: Vec<String> = probes(&ip("10.1.2.3"), &prefixes)
            .into_iter()
            .map(|p| p.matched.value)
            .collect();
        assert_eq!(matched, ["10.1.2.3", "10.0.0.0/8", "10.1.2.0/24"]);
        // A network probes only shorter prefixes than its own.
        let matched: Vec<String> = probes(&ip("10.1.2.0/24"), &prefixes)
            .into_iter()
            .map(|p| p.matched.value)
            .collect();
        assert_eq!(matched, ["10.1.2.0/24", "10.0.0.0/8"]);
        assert_eq!(probes(&ip("evil.example"), &prefixes).len(), 1);
    }

    proptest! {
        /// Containment found by probing is containment: a probe's network
        /// holds the address, and every recorded network that holds the
        /// address is probed.
        #[test]
        fn probing_finds_exactly_the_enclosing_networks(
            addr in any::<u32>(),
            nets in proptest::collection::vec((any::<u32>(), 0u8..=32), 0..20),
        ) {
            let a = ip(&std::net::Ipv4Addr::from(addr).to_string());
            let mut prefixes = Prefixes::default();
            let nets: Vec<Observable> = nets
                .into_iter()
                .map(|(bits, len)| ip(&format!("{}/{len}", std::net::Ipv4Addr::from(bits))))
                .collect();
            for n in &nets {
                prefixes.note(n);
            }
            let probed: Vec<i64> = probes(&a, &prefixes).iter().map(|p| p.key).collect();
            for n in &nets {
                let holds = n.network().unwrap().contains(a.network().unwrap());
                prop_assert_eq!(probed.contains(&value_key(n)), holds, "{}", n);
            }
        }
    }
}
