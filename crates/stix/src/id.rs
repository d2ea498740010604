//! STIX identifiers: `<object-type>--<UUID>`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// A parsed STIX identifier. The string form is kept as received (lower-case
/// UUIDs are required by the spec, so no normalisation is needed).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StixId {
    value: String,
    type_len: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("identifier {0:?} is not of the form <type>--<uuid>")]
    Shape(String),
    #[error("identifier {0:?} has an invalid object type")]
    Type(String),
    #[error("identifier {0:?} has an invalid UUID")]
    Uuid(String),
}

impl StixId {
    pub fn parse(value: &str) -> Result<Self, IdError> {
        let (ty, uuid) = value
            .split_once("--")
            .ok_or_else(|| IdError::Shape(value.to_owned()))?;
        if !is_valid_type(ty) {
            return Err(IdError::Type(value.to_owned()));
        }
        // 8-4-4-4-12 hex; the official schema (and OASIS' own examples)
        // allow upper-case hex digits, so they are accepted as received.
        if uuid.len() != 36 {
            return Err(IdError::Uuid(value.to_owned()));
        }
        Uuid::parse_str(uuid).map_err(|_| IdError::Uuid(value.to_owned()))?;
        Ok(Self {
            value: value.to_owned(),
            type_len: ty.len(),
        })
    }

    /// A fresh random (version 4) identifier of the given type.
    pub fn new_v4(object_type: &str, uuid: Uuid) -> Result<Self, IdError> {
        Self::parse(&format!("{object_type}--{uuid}"))
    }

    pub fn as_str(&self) -> &str {
        &self.value
    }

    pub fn object_type(&self) -> &str {
        &self.value[..self.type_len]
    }

    pub fn uuid(&self) -> Uuid {
        // Checked in `parse`.
        Uuid::parse_str(&self.value[self.type_len + 2..]).unwrap_or_default()
    }
}

/// STIX type names: lower-case ASCII letters, digits and single hyphens,
/// 3 to 250 characters, starting with a letter.
pub(crate) fn is_valid_type(ty: &str) -> bool {
    let bytes = ty.as_bytes();
    (3..=250).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && !ty.contains("--")
        && !ty.ends_with('-')
}

impl fmt::Display for StixId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

impl fmt::Debug for StixId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StixId({})", self.value)
    }
}

impl FromStr for StixId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for StixId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.value)
    }
}

impl<'de> Deserialize<'de> for StixId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_valid_identifier() {
        let id = StixId::parse("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f").unwrap();
        assert_eq!(id.object_type(), "indicator");
        assert_eq!(
            id.uuid().to_string(),
            "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
        );
    }

    #[test]
    fn rejects_bad_identifiers() {
        for bad in [
            "indicator",
            "indicator--",
            "Indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "in--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "indicator--not-a-uuid",
            "x-y---8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        ] {
            assert!(StixId::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn upper_case_hex_is_accepted_as_the_official_examples_use_it() {
        let id = StixId::parse("relationship--81f12913-1372-4c96-85ec-E9034ac98aba").unwrap();
        assert_eq!(
            id.as_str(),
            "relationship--81f12913-1372-4c96-85ec-E9034ac98aba"
        );
    }

    #[test]
    fn custom_types_with_hyphens_are_valid() {
        let id = StixId::parse("x-vigia-team--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f").unwrap();
        assert_eq!(id.object_type(), "x-vigia-team");
    }
}
