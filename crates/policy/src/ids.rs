//! Names of teams, users and sharing groups.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use vigia_stix::StixId;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("team id {0:?} must be a STIX identity id (identity--<uuid>)")]
    Team(String),
    #[error("user name {0:?} must be 1 to 64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit")]
    User(String),
    #[error("user reference {0:?} must be of the form user@identity--<uuid>")]
    UserRef(String),
    #[error(
        "sharing group name {0:?} must be 1 to 64 characters of a-z, 0-9, '.', '_', ':' or '-'"
    )]
    Group(String),
}

/// A team is identified network-wide by its STIX identity object id.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TeamId(StixId);

impl TeamId {
    pub fn parse(text: &str) -> Result<Self, NameError> {
        match StixId::parse(text) {
            Ok(id) if id.object_type() == "identity" => Ok(Self(id)),
            _ => Err(NameError::Team(text.to_owned())),
        }
    }

    pub fn from_stix_id(id: StixId) -> Result<Self, NameError> {
        if id.object_type() == "identity" {
            Ok(Self(id))
        } else {
            Err(NameError::Team(id.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn stix_id(&self) -> &StixId {
        &self.0
    }
}

fn valid_name(text: &str, extra: &[u8]) -> bool {
    let b = text.as_bytes();
    (1..=64).contains(&b.len())
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || extra.contains(c))
}

/// A user's sign-in name, unique within its team.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserName(String);

impl UserName {
    pub fn parse(text: &str) -> Result<Self, NameError> {
        if valid_name(text, b"._-") {
            Ok(Self(text.to_owned()))
        } else {
            Err(NameError::User(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A named person at a team: `user@identity--…`. TLP:RED is addressed to these.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserRef {
    pub user: UserName,
    pub team: TeamId,
}

impl UserRef {
    pub fn parse(text: &str) -> Result<Self, NameError> {
        let (user, team) = text
            .split_once('@')
            .ok_or_else(|| NameError::UserRef(text.to_owned()))?;
        Ok(Self {
            user: UserName::parse(user).map_err(|_| NameError::UserRef(text.to_owned()))?,
            team: TeamId::parse(team).map_err(|_| NameError::UserRef(text.to_owned()))?,
        })
    }
}

/// A sharing group: a named set of teams, such as `caribbean`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupName(String);

impl GroupName {
    pub fn parse(text: &str) -> Result<Self, NameError> {
        if valid_name(text, b"._-:") {
            Ok(Self(text.to_owned()))
        } else {
            Err(NameError::Group(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_like {
    ($ty:ident) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($ty), self.as_str())
            }
        }
        impl FromStr for $ty {
            type Err = NameError;
            fn from_str(s: &str) -> Result<Self, NameError> {
                Self::parse(s)
            }
        }
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}
string_like!(TeamId);
string_like!(UserName);
string_like!(GroupName);

impl fmt::Display for UserRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.user, self.team)
    }
}

impl Serialize for UserRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for UserRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl fmt::Debug for UserRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserRef({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_on_construction() {
        assert!(UserName::parse("ana.perez").is_ok());
        assert!(UserName::parse("Ana").is_err());
        assert!(UserName::parse("").is_err());
        assert!(UserName::parse(&"a".repeat(65)).is_err());
        assert!(TeamId::parse("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f").is_err());
        let r = UserRef::parse("ana@identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f").unwrap();
        assert_eq!(r.user.as_str(), "ana");
        assert_eq!(
            r.to_string(),
            "ana@identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
        );
        assert!(GroupName::parse("caribbean").is_ok());
        assert!(GroupName::parse("Caribbean States").is_err());
    }
}
