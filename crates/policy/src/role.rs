//! Roles carried by users and tokens.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Manages the node: users, tokens, configuration, policy.
    Admin,
    /// Publishes and analyses products.
    Analyst,
    /// Receives and acknowledges alerts on duty.
    DutyOfficer,
    /// Reads what the team may see, changes nothing.
    ReadOnly,
    /// Another national node, authenticated by its key (federation).
    PeerNode,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a role; expected admin, analyst, duty-officer, read-only or peer-node")]
pub struct UnknownRole(pub String);

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Analyst,
        Role::DutyOfficer,
        Role::ReadOnly,
        Role::PeerNode,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::DutyOfficer => "duty-officer",
            Role::ReadOnly => "read-only",
            Role::PeerNode => "peer-node",
        }
    }

    /// May create or change shared objects.
    pub fn can_write_objects(self) -> bool {
        matches!(
            self,
            Role::Admin | Role::Analyst | Role::DutyOfficer | Role::PeerNode
        )
    }

    /// May manage users, tokens and node settings.
    pub fn can_administer(self) -> bool {
        self == Role::Admin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(
            match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
                "admin" => Role::Admin,
                "analyst" => Role::Analyst,
                "duty-officer" | "duty" => Role::DutyOfficer,
                "read-only" | "readonly" => Role::ReadOnly,
                "peer-node" | "peer" => Role::PeerNode,
                _ => return Err(UnknownRole(s.to_owned())),
            },
        )
    }
}
