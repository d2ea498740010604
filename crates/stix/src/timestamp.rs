//! STIX timestamps (RFC 3339, UTC, `Z` suffix) and their version keys.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// A STIX timestamp. Equality and order are by instant, to nanosecond
/// precision, whatever precision the text carried.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    #[error("timestamp {0:?} is not RFC 3339 in UTC with a 'Z' suffix")]
    Format(String),
    #[error("{0} microseconds since the epoch is out of range")]
    Range(i64),
}

impl Timestamp {
    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        // STIX requires the literal 'Z' and an upper-case 'T'.
        let bytes = text.as_bytes();
        if bytes.len() < 20 || !text.ends_with('Z') || bytes[10] != b'T' {
            return Err(TimestampError::Format(text.to_owned()));
        }
        OffsetDateTime::parse(text, &Rfc3339)
            .map(|t| Self(t.to_offset(UtcOffset::UTC)))
            .map_err(|_| TimestampError::Format(text.to_owned()))
    }

    pub fn from_unix_micros(micros: i64) -> Result<Self, TimestampError> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
            .map(Self)
            .map_err(|_| TimestampError::Range(micros))
    }

    pub fn from_datetime(t: OffsetDateTime) -> Self {
        Self(t.to_offset(UtcOffset::UTC))
    }

    pub fn unix_micros(&self) -> i64 {
        (self.0.unix_timestamp_nanos() / 1_000) as i64
    }

    pub fn datetime(&self) -> OffsetDateTime {
        self.0
    }

    /// A fixed-width, nanosecond key that sorts like the instant it names.
    /// Stored as the object's version so that equal instants written with
    /// different precision ("…27Z" and "…27.000Z") are the same version.
    pub fn version_key(&self) -> String {
        let t = self.0;
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.nanosecond()
        )
    }

    /// The TAXII form: microsecond precision, as used for `date_added`.
    pub fn to_micros_string(&self) -> String {
        let t = self.0;
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.nanosecond() / 1_000
        )
    }

    /// Millisecond precision, the STIX convention for `created`/`modified`.
    pub fn to_millis_string(&self) -> String {
        let t = self.0;
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.nanosecond() / 1_000_000
        )
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_micros_string())
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.version_key())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_micros_string())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn precision_does_not_change_the_version() {
        let a = Timestamp::parse("2016-05-12T08:17:27Z").unwrap();
        let b = Timestamp::parse("2016-05-12T08:17:27.000Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.version_key(), "2016-05-12T08:17:27.000000000Z");
    }

    #[test]
    fn rejects_offsets_and_lower_case() {
        for bad in [
            "2016-05-12T08:17:27+01:00",
            "2016-05-12t08:17:27z",
            "2016-05-12 08:17:27Z",
            "yesterday",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn version_keys_sort_like_instants(a in 0i64..4_000_000_000_000_000, b in 0i64..4_000_000_000_000_000) {
            let ta = Timestamp::from_unix_micros(a).unwrap();
            let tb = Timestamp::from_unix_micros(b).unwrap();
            prop_assert_eq!(ta.cmp(&tb), ta.version_key().cmp(&tb.version_key()));
        }

        #[test]
        fn micros_round_trip(a in 0i64..4_000_000_000_000_000) {
            let t = Timestamp::from_unix_micros(a).unwrap();
            prop_assert_eq!(Timestamp::parse(&t.to_micros_string()).unwrap(), t);
            prop_assert_eq!(t.unix_micros(), a);
        }
    }
}
