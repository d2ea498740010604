//! Index keys: a value's 64-bit key, and the keys a lookup probes so that
//! an address is found inside every indexed network that contains it.
//!
//! The index stores (key, object) pairs, not values: 8 bytes per key
//! whatever the value's length, which keeps the index smaller than the
//! values themselves. Two distinct values share a key with probability
//! about n²/2⁶⁵ (under 3·10⁻⁶ for ten million values); a collision can
//! only show an object the viewer may see anyway as related.
//!
//! IPv4 networks are the exception: their key is `(prefix << 32) | bits`,
//! kept in a table of their own, so the key of every network enclosing an
//! address is computed from the address ([`v4_enclosing_keys`]).

use sha2::{Digest, Sha256};

use crate::observable::{Network, Observable};

/// The index key of a value in normal form.
pub fn value_key(o: &Observable) -> i64 {
    if let Some(n) = o.network().filter(|n| !n.v6 && n.prefix < 32) {
        return v4_network_key(n);
    }
    let mut hash = Sha256::new();
    hash.update(o.kind.as_str().as_bytes());
    hash.update([0]);
    hash.update(o.value.as_bytes());
    let digest = hash.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// An IPv4 network's key: its prefix length, then its 32 bits. An
/// address is written as prefix 32, which is how a lookup names it to the
/// store; indexed networks are always shorter.
pub fn v4_network_key(n: Network) -> i64 {
    (i64::from(n.prefix) << 32) | (n.bits as u32 as i64)
}

/// The keys of the IPv4 networks with a prefix length in `prefixes` that
/// hold `target` (a [`v4_network_key`]; an address has prefix 32), the
/// target itself included when it is a network of such a length.
pub fn v4_enclosing_keys(target: i64, prefixes: &[u8]) -> impl Iterator<Item = i64> + '_ {
    let target_prefix = target >> 32;
    let bits = target as u32;
    prefixes
        .iter()
        .filter(move |&&p| i64::from(p) <= target_prefix && p <= 32)
        .map(move |&p| {
            let mask = u32::MAX.checked_shl(32 - u32::from(p)).unwrap_or(0);
            (i64::from(p) << 32) | i64::from(bits & mask)
        })
}

/// Where a key's rows are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyTable {
    /// Plain values (addresses included).
    Values,
    /// IPv4 networks, keyed by [`v4_network_key`].
    V4Networks,
    /// IPv6 networks.
    V6Networks,
}

impl KeyTable {
    pub fn of(o: &Observable) -> KeyTable {
        match o.network() {
            Some(n) if n.prefix < n.width() && n.v6 => KeyTable::V6Networks,
            Some(n) if n.prefix < n.width() => KeyTable::V4Networks,
            _ => KeyTable::Values,
        }
    }
}

/// What a lookup of some values asks the store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LookupKeys {
    /// Keys of plain values.
    pub values: Vec<i64>,
    /// Keys of IPv6 networks: those looked up and all that enclose them.
    pub v6_networks: Vec<i64>,
    /// IPv4 addresses and networks, as [`v4_network_key`] (an address with
    /// prefix 32): the store finds every indexed network holding each.
    pub v4_targets: Vec<i64>,
    /// The values' own keys, for the over-correlation flag.
    pub own: Vec<i64>,
}

impl LookupKeys {
    /// The keys for `values`, with `prefixes` for IPv6 containment.
    pub fn of<'a>(
        values: impl IntoIterator<Item = &'a Observable>,
        prefixes: &Prefixes,
    ) -> LookupKeys {
        let mut k = LookupKeys::default();
        for o in values {
            let own = value_key(o);
            k.own.push(own);
            match (KeyTable::of(o), o.network()) {
                (KeyTable::V6Networks, _) => k.v6_networks.push(own),
                (KeyTable::V4Networks, Some(n)) => k.v4_targets.push(v4_network_key(n)),
                (_, Some(n)) if !n.v6 => {
                    k.values.push(own);
                    k.v4_targets.push(v4_network_key(n));
                }
                _ => k.values.push(own),
            }
            if let Some(n) = o.network().filter(|n| n.v6) {
                k.v6_networks
                    .extend(enclosing(n, prefixes).map(|e| value_key(&e.observable())));
            }
        }
        k
    }
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
    via: Via,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Via {
    Value(Observable),
    /// Written out only when asked: most probes of a lookup match nothing.
    Network(Network),
}

impl Probe {
    /// The value itself, or the enclosing network the key names.
    pub fn matched(&self) -> Observable {
        match &self.via {
            Via::Value(o) => o.clone(),
            Via::Network(n) => n.observable(),
        }
    }
}

/// The keys under which objects related to `o` are indexed: its own, and
/// for an address or network, those of every enclosing network whose
/// prefix length is in `prefixes`.
pub fn probes(o: &Observable, prefixes: &Prefixes) -> Vec<Probe> {
    let mut out = vec![Probe {
        key: value_key(o),
        via: Via::Value(o.clone()),
    }];
    if let Some(n) = o.network() {
        out.extend(enclosing(n, prefixes).map(|net| Probe {
            key: if net.v6 {
                value_key(&net.observable())
            } else {
                v4_network_key(net)
            },
            via: Via::Network(net),
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
    fn enclosing_v4_keys_are_the_truncated_networks_of_each_length() {
        let address = (32 << 32) | 0xC633_6407; // 198.51.100.7
        let keys: Vec<i64> = v4_enclosing_keys(address, &[0, 8, 24, 31]).collect();
        assert_eq!(
            keys,
            [
                0,
                (8 << 32) | 0xC600_0000,
                (24 << 32) | 0xC633_6400,
                (31 << 32) | 0xC633_6406
            ]
        );
        // A network finds itself and what encloses it, not what it holds.
        let network = (24 << 32) | 0xC633_6400;
        let keys: Vec<i64> = v4_enclosing_keys(network, &[16, 24, 25]).collect();
        assert_eq!(keys, [(16 << 32) | 0xC633_0000, network]);
    }

    proptest! {
        /// The keys agree with the networks `probes` names for an address.
        #[test]
        fn enclosing_v4_keys_agree_with_probes(bits in any::<u32>(), lengths in proptest::collection::btree_set(1u8..32, 0..8)) {
            let address = ip(&std::net::Ipv4Addr::from(bits).to_string());
            let prefixes = Prefixes { v4: lengths.iter().copied().collect(), v6: Vec::new() };
            let from_probes: Vec<i64> = probes(&address, &prefixes).iter().skip(1).map(|p| p.key).collect();
            let target = (32 << 32) | i64::from(bits);
            let direct: Vec<i64> = v4_enclosing_keys(target, &prefixes.v4).collect();
            prop_assert_eq!(direct, from_probes);
        }
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
            .map(|p| p.matched().value)
            .collect();
        assert_eq!(matched, ["10.1.2.3", "10.0.0.0/8", "10.1.2.0/24"]);
        // A network probes only shorter prefixes than its own.
        let matched: Vec<String> = probes(&ip("10.1.2.0/24"), &prefixes)
            .into_iter()
            .map(|p| p.matched().value)
            .collect();
        assert_eq!(matched, ["10.1.2.0/24", "10.0.0.0/8"]);
        assert_eq!(probes(&ip("evil.example"), &prefixes).len(), 1);
    }

    #[test]
    fn ipv4_networks_are_keyed_by_prefix_and_bits() {
        let n = ip("10.0.0.0/8");
        assert_eq!(value_key(&n), (8 << 32) | 0x0a00_0000);
        let keys = LookupKeys::of(
            [&ip("10.1.2.3"), &n, &ip("evil.example")],
            &Prefixes::default(),
        );
        assert_eq!(
            keys.v4_targets,
            [(32 << 32) | 0x0a01_0203, (8 << 32) | 0x0a00_0000]
        );
        assert_eq!(keys.values.len(), 2, "the address and the domain");
        assert_eq!(keys.own.len(), 3);
        assert!(keys.v6_networks.is_empty());
    }

    proptest! {
        /// The store's SQL computes an enclosing network's key from a
        /// target as `(p << 32) | ((bits >> (32 - p)) << (32 - p))`: the
        /// same as here, for every prefix.
        #[test]
        fn the_sql_key_formula_agrees(bits in any::<u32>(), p in 0u8..32) {
            let address = ip(&std::net::Ipv4Addr::from(bits).to_string());
            let target = v4_network_key(address.network().unwrap());
            let b = target & 0xffff_ffff;
            let shift = 32 - i64::from(p);
            let sql = (i64::from(p) << 32) | ((b >> shift) << shift);
            let network = address.network().unwrap().truncate(p).observable();
            prop_assert_eq!(sql, value_key(&network));
        }

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
