//! Plain records the store reads and writes.

use serde::{Deserialize, Serialize};
use vigia_policy::{Role, TeamId, UserName};
use vigia_stix::Timestamp;

/// This node: set once by `vigia init`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeRecord {
    pub node_id: String,
    /// The national team that operates the node.
    pub team_id: TeamId,
    pub country: String,
    /// Base64 Ed25519 public key.
    pub public_key: String,
    pub created_at: Timestamp,
}

/// The kinds of team, as the directory defines them.
pub use vigia_directory::TeamKind;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTeam {
    pub id: TeamId,
    pub name: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
    pub kind: TeamKind,
    /// A client team (in-country constituent) names the team it is a client of.
    pub client_of: Option<TeamId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamRecord {
    pub id: TeamId,
    pub name: String,
    pub country: String,
    pub kind: TeamKind,
    pub client_of: Option<TeamId>,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUser {
    pub team: TeamId,
    pub name: UserName,
    pub display_name: String,
    pub email: Option<String>,
    pub role: Role,
    /// argon2id PHC string; never the password.
    pub password_hash: String,
}

#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct UserRecord {
    pub id: i64,
    pub team: TeamId,
    pub name: UserName,
    pub display_name: String,
    pub email: Option<String>,
    pub role: Role,
    #[serde(skip)]
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: Timestamp,
    /// The TOTP secret, sealed by the node's secret box; `None` until the
    /// user enrols a second factor.
    #[serde(skip)]
    pub totp_secret: Option<String>,
    /// Failed sign-ins in a row.
    pub failed_logins: i64,
    /// Locked after too many failures, until then.
    pub locked_until: Option<Timestamp>,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("team", &self.team)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewToken {
    /// Public identifier, shown in listings and used to revoke.
    pub id: String,
    /// SHA-256 of the secret token; the secret itself is never stored.
    pub secret_hash: [u8; 32],
    pub team: TeamId,
    pub user: Option<UserName>,
    pub role: Role,
    /// What the token may be used for, e.g. "api", "taxii" or "*".
    pub scope: String,
    pub label: String,
    pub expires_at: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenRecord {
    pub id: String,
    pub team: TeamId,
    pub user: Option<UserName>,
    pub role: Role,
    pub scope: String,
    pub label: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}
