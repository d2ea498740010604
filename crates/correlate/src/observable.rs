//! Observable values in their normal form: the one spelling under which a
//! value is indexed and looked up, whoever wrote it and however.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

/// What kind of value an observable is. The names are STIX's, with the
/// hash algorithms as STIX spells them in `hashes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Kind {
    #[serde(rename = "ipv4-addr")]
    Ipv4,
    #[serde(rename = "ipv6-addr")]
    Ipv6,
    #[serde(rename = "domain-name")]
    Domain,
    #[serde(rename = "url")]
    Url,
    #[serde(rename = "email-addr")]
    Email,
    #[serde(rename = "MD5")]
    Md5,
    #[serde(rename = "SHA-1")]
    Sha1,
    #[serde(rename = "SHA-256")]
    Sha256,
    #[serde(rename = "SHA-512")]
    Sha512,
    #[serde(rename = "autonomous-system")]
    AutonomousSystem,
    #[serde(rename = "x509-serial")]
    X509Serial,
    #[serde(rename = "mac-addr")]
    Mac,
}

impl Kind {
    pub const ALL: [Kind; 12] = [
        Kind::Ipv4,
        Kind::Ipv6,
        Kind::Domain,
        Kind::Url,
        Kind::Email,
        Kind::Md5,
        Kind::Sha1,
        Kind::Sha256,
        Kind::Sha512,
        Kind::AutonomousSystem,
        Kind::X509Serial,
        Kind::Mac,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Ipv4 => "ipv4-addr",
            Kind::Ipv6 => "ipv6-addr",
            Kind::Domain => "domain-name",
            Kind::Url => "url",
            Kind::Email => "email-addr",
            Kind::Md5 => "MD5",
            Kind::Sha1 => "SHA-1",
            Kind::Sha256 => "SHA-256",
            Kind::Sha512 => "SHA-512",
            Kind::AutonomousSystem => "autonomous-system",
            Kind::X509Serial => "x509-serial",
            Kind::Mac => "mac-addr",
        }
    }

    /// The kind a caller names: the STIX type or hash name, in any case,
    /// with or without the hyphen in hash names (`sha256`, `SHA-256`).
    pub fn from_name(name: &str) -> Option<Kind> {
        let folded: String = name
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .flat_map(char::to_lowercase)
            .collect();
        Some(match folded.as_str() {
            "ipv4addr" | "ipv4" | "ip" => Kind::Ipv4,
            "ipv6addr" | "ipv6" => Kind::Ipv6,
            "domainname" | "domain" | "hostname" => Kind::Domain,
            "url" => Kind::Url,
            "emailaddr" | "email" => Kind::Email,
            "md5" => Kind::Md5,
            "sha1" => Kind::Sha1,
            "sha256" => Kind::Sha256,
            "sha512" => Kind::Sha512,
            "autonomoussystem" | "as" | "asn" => Kind::AutonomousSystem,
            "x509serial" | "x509serialnumber" | "serialnumber" => Kind::X509Serial,
            "macaddr" | "mac" => Kind::Mac,
            _ => return None,
        })
    }

    /// The hash kind for a key of a STIX `hashes` dictionary.
    pub fn from_hash_name(name: &str) -> Option<Kind> {
        match Kind::from_name(name)? {
            k @ (Kind::Md5 | Kind::Sha1 | Kind::Sha256 | Kind::Sha512) => Some(k),
            _ => None,
        }
    }

    fn hex_len(self) -> Option<usize> {
        match self {
            Kind::Md5 => Some(32),
            Kind::Sha1 => Some(40),
            Kind::Sha256 => Some(64),
            Kind::Sha512 => Some(128),
            _ => None,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value in normal form. IP values may be networks (`10.0.0.0/8`); a
/// network's host bits are cleared and a full-length prefix is written as
/// the plain address.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Observable {
    #[serde(rename = "type")]
    pub kind: Kind,
    pub value: String,
}

impl fmt::Display for Observable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.value)
    }
}

/// Why a value has no normal form.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid {kind}: {reason}")]
pub struct ValueError {
    pub kind: String,
    pub value: String,
    pub reason: String,
}

/// Longest value accepted, in bytes (a long URL fits).
pub const MAX_VALUE: usize = 8 * 1024;

impl Observable {
    /// The normal form of `value` as a `kind`.
    ///
    /// # Errors
    /// [`ValueError`] naming the kind and what is wrong with the value.
    pub fn new(kind: Kind, value: &str) -> Result<Observable, ValueError> {
        let fail = |reason: &str| ValueError {
            kind: kind.as_str().to_owned(),
            value: value.chars().take(200).collect(),
            reason: reason.to_owned(),
        };
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(fail("empty"));
        }
        if trimmed.len() > MAX_VALUE {
            return Err(fail("too long"));
        }
        let normal = match kind {
            Kind::Ipv4 => ipv4(trimmed).map_err(&fail)?,
            Kind::Ipv6 => ipv6(trimmed).map_err(&fail)?,
            Kind::Domain => domain(trimmed).map_err(&fail)?,
            Kind::Url => url(trimmed).map_err(&fail)?,
            Kind::Email => email(trimmed).map_err(&fail)?,
            Kind::Md5 | Kind::Sha1 | Kind::Sha256 | Kind::Sha512 => {
                let len = kind.hex_len().unwrap_or(0);
                if trimmed.len() != len || !trimmed.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(fail(&format!("not {len} hexadecimal digits")));
                }
                trimmed.to_ascii_lowercase()
            }
            Kind::AutonomousSystem => autonomous_system(trimmed).map_err(&fail)?,
            Kind::X509Serial => x509_serial(trimmed).map_err(&fail)?,
            Kind::Mac => mac(trimmed).map_err(&fail)?,
        };
        Ok(Observable {
            kind,
            value: normal,
        })
    }

    /// Recognises the kind of an untyped value, as typed into a lookup:
    /// URLs by their scheme, addresses and networks, `AS` numbers, MAC
    /// addresses, hashes by their length, e-mail addresses, then domain
    /// names. X.509 serial numbers look like anything and must be typed.
    ///
    /// # Errors
    /// [`ValueError`] when the value is none of these.
    pub fn infer(value: &str) -> Result<Observable, ValueError> {
        let v = value.trim();
        let kind = if v.contains("://") {
            Kind::Url
        } else if ipv4(v).is_ok() {
            Kind::Ipv4
        } else if v.contains(':') && ipv6(v).is_ok() {
            Kind::Ipv6
        } else if mac(v).is_ok() && (v.contains(':') || v.contains('-')) {
            Kind::Mac
        } else if v.len() > 2
            && v[..2].eq_ignore_ascii_case("as")
            && v[2..].bytes().all(|b| b.is_ascii_digit())
        {
            Kind::AutonomousSystem
        } else if v.bytes().all(|b| b.is_ascii_hexdigit()) && hash_kind(v.len()).is_some() {
            hash_kind(v.len()).unwrap_or(Kind::Sha256)
        } else if v.contains('@') {
            Kind::Email
        } else if v.contains('.') {
            Kind::Domain
        } else {
            return Err(ValueError {
                kind: "observable".to_owned(),
                value: v.chars().take(200).collect(),
                reason: "not recognisable as an address, domain, URL, e-mail address, hash, \
                         AS number or MAC address; give its type"
                    .to_owned(),
            });
        };
        Observable::new(kind, v)
    }

    /// The network this IP observable names, if it is one: (address bits
    /// as an integer, prefix length, family width).
    pub fn network(&self) -> Option<Network> {
        Network::of(self)
    }
}

fn hash_kind(len: usize) -> Option<Kind> {
    match len {
        32 => Some(Kind::Md5),
        40 => Some(Kind::Sha1),
        64 => Some(Kind::Sha256),
        128 => Some(Kind::Sha512),
        _ => None,
    }
}

/// An IP address or network as bits: IPv4 in the low 32 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    pub v6: bool,
    pub bits: u128,
    pub prefix: u8,
}

impl Network {
    pub fn width(self) -> u8 {
        if self.v6 {
            128
        } else {
            32
        }
    }

    fn of(o: &Observable) -> Option<Network> {
        let v6 = match o.kind {
            Kind::Ipv4 => false,
            Kind::Ipv6 => true,
            _ => return None,
        };
        let (addr, prefix) = match o.value.split_once('/') {
            Some((a, p)) => (a, p.parse().ok()?),
            None => (o.value.as_str(), if v6 { 128 } else { 32 }),
        };
        let bits = if v6 {
            u128::from(addr.parse::<Ipv6Addr>().ok()?)
        } else {
            u128::from(u32::from(addr.parse::<Ipv4Addr>().ok()?))
        };
        Some(Network { v6, bits, prefix })
    }

    /// The enclosing network of `prefix` bits (`prefix` ≤ this one's).
    pub fn truncate(self, prefix: u8) -> Network {
        let width = u32::from(self.width());
        let keep = u32::from(prefix).min(width);
        let full = if width == 128 {
            u128::MAX
        } else {
            (1u128 << width) - 1
        };
        let host_bits = width - keep;
        let host = match host_bits {
            0 => 0,
            128 => u128::MAX,
            n => (1u128 << n) - 1,
        };
        let mask = full & !host;
        Network {
            v6: self.v6,
            bits: self.bits & mask,
            prefix: keep as u8,
        }
    }

    /// Whether `other` lies wholly inside this network.
    pub fn contains(self, other: Network) -> bool {
        self.v6 == other.v6
            && other.prefix >= self.prefix
            && other.truncate(self.prefix).bits == self.bits
    }

    /// The observable naming this network.
    pub fn observable(self) -> Observable {
        let addr = if self.v6 {
            Ipv6Addr::from(self.bits).to_string()
        } else {
            Ipv4Addr::from(self.bits as u32).to_string()
        };
        let value = if self.prefix == self.width() {
            addr
        } else {
            format!("{addr}/{}", self.prefix)
        };
        Observable {
            kind: if self.v6 { Kind::Ipv6 } else { Kind::Ipv4 },
            value,
        }
    }
}

fn split_prefix(s: &str, width: u8) -> Result<(&str, u8), &'static str> {
    match s.split_once('/') {
        None => Ok((s, width)),
        Some((addr, len)) => {
            let len: u8 = len
                .parse()
                .map_err(|_| "the prefix length is not a number")?;
            if len > width {
                return Err("the prefix length is longer than the address");
            }
            Ok((addr, len))
        }
    }
}

fn ipv4(s: &str) -> Result<String, &'static str> {
    let (addr, prefix) = split_prefix(s, 32)?;
    let addr: Ipv4Addr = addr.parse().map_err(|_| "not a dotted-quad address")?;
    let n = Network {
        v6: false,
        bits: u128::from(u32::from(addr)),
        prefix: 32,
    };
    Ok(n.truncate(prefix).observable().value)
}

fn ipv6(s: &str) -> Result<String, &'static str> {
    let (addr, prefix) = split_prefix(s, 128)?;
    // An IPv6 literal may come bracketed, as in a URL.
    let addr = addr.trim_start_matches('[').trim_end_matches(']');
    let addr: Ipv6Addr = addr.parse().map_err(|_| "not an IPv6 address")?;
    let n = Network {
        v6: true,
        bits: u128::from(addr),
        prefix: 128,
    };
    Ok(n.truncate(prefix).observable().value)
}

fn domain(s: &str) -> Result<String, &'static str> {
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.is_empty() {
        return Err("empty");
    }
    if s.contains(['/', '@', ':', ' ', '\\']) {
        return Err("a domain name has no '/', '@', ':', '\\' or spaces");
    }
    // Plain ASCII names (nearly all) only fold case; IDNA is for the rest
    // and for A-labels, which it checks.
    let plain = s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
    let lower = s.to_ascii_lowercase();
    let ascii = if plain && !lower.contains("xn--") {
        lower
    } else {
        idna::domain_to_ascii(s).map_err(|_| "not a valid (internationalised) name")?
    };
    if ascii.is_empty()
        || ascii.len() > 253
        || ascii
            .split('.')
            .any(|label| label.is_empty() || label.len() > 63)
    {
        return Err("a label is empty or longer than 63 characters");
    }
    Ok(ascii)
}

fn url(s: &str) -> Result<String, &'static str> {
    let mut u = url::Url::parse(s).map_err(|_| "not an absolute URL")?;
    if u.cannot_be_a_base() {
        return Err("not a URL with a host");
    }
    // A fragment never reaches the server, so it does not tell URLs apart.
    u.set_fragment(None);
    Ok(u.to_string())
}

fn email(s: &str) -> Result<String, &'static str> {
    let (local, host) = s.rsplit_once('@').ok_or("no '@'")?;
    if local.is_empty() || local.contains(char::is_whitespace) {
        return Err("the part before '@' is empty or has spaces");
    }
    let host = domain(host).map_err(|_| "the part after '@' is not a domain name")?;
    Ok(format!("{}@{host}", local.to_lowercase()))
}

fn autonomous_system(s: &str) -> Result<String, &'static str> {
    let digits = if s.len() > 2 && s[..2].eq_ignore_ascii_case("as") {
        &s[2..]
    } else {
        s
    };
    let n: u32 = digits.parse().map_err(|_| "not an AS number")?;
    Ok(n.to_string())
}

fn x509_serial(s: &str) -> Result<String, &'static str> {
    let hex: String = s
        .chars()
        .filter(|c| *c != ':' && *c != ' ' && *c != '-')
        .collect();
    if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("not hexadecimal");
    }
    let trimmed = hex.trim_start_matches('0');
    Ok(if trimmed.is_empty() {
        "0".to_owned()
    } else {
        trimmed.to_ascii_lowercase()
    })
}

fn mac(s: &str) -> Result<String, &'static str> {
    let hex: String = s
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.'))
        .collect();
    if hex.len() != 12 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("not six octets");
    }
    let hex = hex.to_ascii_lowercase();
    Ok((0..6)
        .map(|i| &hex[i * 2..i * 2 + 2])
        .collect::<Vec<_>>()
        .join(":"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(kind: Kind, v: &str) -> String {
        Observable::new(kind, v).unwrap().value
    }

    #[test]
    fn addresses_and_networks_take_one_spelling() {
        assert_eq!(norm(Kind::Ipv4, " 198.51.100.7 "), "198.51.100.7");
        assert_eq!(norm(Kind::Ipv4, "198.51.100.7/32"), "198.51.100.7");
        assert_eq!(norm(Kind::Ipv4, "198.51.100.7/24"), "198.51.100.0/24");
        assert_eq!(norm(Kind::Ipv4, "10.1.2.3/0"), "0.0.0.0/0");
        assert_eq!(
            norm(Kind::Ipv6, "2001:DB8:0:0:0:0:0:1"),
            "2001:db8::1",
            "RFC 5952 form"
        );
        assert_eq!(norm(Kind::Ipv6, "2001:db8::1/128"), "2001:db8::1");
        assert_eq!(norm(Kind::Ipv6, "2001:db8:ffff::1/32"), "2001:db8::/32");
        assert!(Observable::new(Kind::Ipv4, "198.51.100.7/33").is_err());
        assert!(Observable::new(Kind::Ipv4, "198.51.100").is_err());
        assert!(Observable::new(Kind::Ipv4, "01.2.3.4").is_err());
    }

    #[test]
    fn names_are_lower_case_ascii() {
        assert_eq!(norm(Kind::Domain, "Evil.EXAMPLE."), "evil.example");
        assert_eq!(
            norm(Kind::Domain, "bücher.example"),
            "xn--bcher-kva.example"
        );
        assert_eq!(
            norm(Kind::Domain, "xn--bcher-kva.example"),
            "xn--bcher-kva.example"
        );
        assert!(Observable::new(Kind::Domain, "evil..example").is_err());
        assert!(Observable::new(Kind::Domain, "evil.example/x").is_err());
        assert_eq!(
            norm(Kind::Email, "Alice@Bücher.Example"),
            "alice@xn--bcher-kva.example"
        );
    }

    proptest::proptest! {
        /// The ASCII fast path and IDNA agree on plain names.
        #[test]
        fn plain_names_fold_like_idna(name in "[a-zA-Z0-9][a-zA-Z0-9-]{0,20}(\\.[a-zA-Z0-9][a-zA-Z0-9-]{0,20}){0,3}") {
            let fast = Observable::new(Kind::Domain, &name).map(|o| o.value);
            let idna = idna::domain_to_ascii(&name).map_err(|_| ());
            if let (Ok(fast), Ok(idna)) = (&fast, &idna) {
                proptest::prop_assert_eq!(fast, idna);
            }
        }
    }

    #[test]
    fn urls_take_their_canonical_form() {
        assert_eq!(
            norm(Kind::Url, "HTTP://Evil.Example:80/a/../b?q=1#frag"),
            "http://evil.example/b?q=1"
        );
        assert_eq!(
            norm(Kind::Url, "https://bücher.example/"),
            "https://xn--bcher-kva.example/"
        );
        assert!(Observable::new(Kind::Url, "evil.example/path").is_err());
        assert!(Observable::new(Kind::Url, "mailto:a@b.example").is_err());
    }

    #[test]
    fn hashes_serials_numbers_and_macs() {
        assert_eq!(
            norm(Kind::Md5, "D41D8CD98F00B204E9800998ECF8427E"),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
        assert!(Observable::new(Kind::Sha1, "d41d8cd98f00b204e9800998ecf8427e").is_err());
        assert_eq!(norm(Kind::AutonomousSystem, "AS64500"), "64500");
        assert_eq!(norm(Kind::AutonomousSystem, "64500"), "64500");
        assert_eq!(norm(Kind::X509Serial, "00:AB:cd:01"), "abcd01");
        assert_eq!(norm(Kind::Mac, "00-1A-2B-3C-4D-5E"), "00:1a:2b:3c:4d:5e");
        assert_eq!(norm(Kind::Mac, "001a.2b3c.4d5e"), "00:1a:2b:3c:4d:5e");
    }

    #[test]
    fn untyped_values_are_recognised() {
        let kind = |v: &str| Observable::infer(v).unwrap().kind;
        assert_eq!(kind("198.51.100.7"), Kind::Ipv4);
        assert_eq!(kind("10.0.0.0/8"), Kind::Ipv4);
        assert_eq!(kind("2001:db8::1"), Kind::Ipv6);
        assert_eq!(kind("https://evil.example/x"), Kind::Url);
        assert_eq!(kind("AS64500"), Kind::AutonomousSystem);
        assert_eq!(kind("00:1a:2b:3c:4d:5e"), Kind::Mac);
        assert_eq!(kind(&"a".repeat(64)), Kind::Sha256);
        assert_eq!(kind(&"a".repeat(32)), Kind::Md5);
        assert_eq!(kind("phish@evil.example"), Kind::Email);
        assert_eq!(kind("evil.example"), Kind::Domain);
        assert!(Observable::infer("hello").is_err());
    }

    #[test]
    fn networks_contain_their_addresses() {
        let n = |v: &str| Observable::infer(v).unwrap().network().unwrap();
        assert!(n("10.0.0.0/8").contains(n("10.200.3.4")));
        assert!(n("10.0.0.0/8").contains(n("10.1.0.0/16")));
        assert!(!n("10.1.0.0/16").contains(n("10.0.0.0/8")));
        assert!(!n("10.0.0.0/8").contains(n("11.0.0.1")));
        assert!(n("0.0.0.0/0").contains(n("203.0.113.9")));
        assert!(n("2001:db8::/32").contains(n("2001:db8:1::5")));
        assert!(!n("2001:db8::/32").contains(n("10.0.0.1")));
        assert_eq!(n("10.200.3.4").truncate(8).observable().value, "10.0.0.0/8");
        assert_eq!(
            n("2001:db8:1::5").truncate(48).observable().value,
            "2001:db8:1::/48"
        );
    }

    #[test]
    fn kind_names_are_read_loosely() {
        assert_eq!(Kind::from_hash_name("SHA-256"), Some(Kind::Sha256));
        assert_eq!(Kind::from_hash_name("sha256"), Some(Kind::Sha256));
        assert_eq!(Kind::from_hash_name("SHA3-256"), None);
        for k in Kind::ALL {
            assert_eq!(Kind::from_name(k.as_str()), Some(k));
        }
    }
}
