//! vigia's distribution extension: who an object is addressed to.
//!
//! TLP says how far information may travel; the distribution names the
//! audience inside that limit. It travels inside the object as a STIX 2.1
//! property extension, so it is covered by the originator's signature and
//! every hop reads the originator's intent, not a relayer's:
//!
//! ```json
//! "extensions": {
//!   "extension-definition--467f6ffe-97d3-48af-8a90-53a64eebf6b7": {
//!     "extension_type": "property-extension",
//!     "recipient_teams": ["identity--…"],
//!     "recipient_users": ["alice@identity--…"],
//!     "sharing_groups": ["caribbean"],
//!     "allow_clients": false
//!   }
//! }
//! ```

use serde::{Deserialize, Serialize};

pub const DISTRIBUTION_EXTENSION_ID: &str =
    "extension-definition--467f6ffe-97d3-48af-8a90-53a64eebf6b7";

/// The audience an originator named. Empty lists mean "no one named".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Distribution {
    #[serde(default)]
    pub extension_type: Option<String>,
    /// Team identities (`identity--…`) the object is addressed to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipient_teams: Vec<String>,
    /// Named persons, `user@identity--…`; the only audience TLP:RED allows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipient_users: Vec<String>,
    /// Named sets of teams.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sharing_groups: Vec<String>,
    /// TLP:AMBER only: recipients may pass it to their own clients.
    #[serde(default)]
    pub allow_clients: bool,
}

impl Distribution {
    pub fn is_empty(&self) -> bool {
        self.recipient_teams.is_empty()
            && self.recipient_users.is_empty()
            && self.sharing_groups.is_empty()
    }

    /// The extension body, ready to place under `extensions`.
    pub fn to_extension(&self) -> serde_json::Value {
        let mut body = self.clone();
        body.extension_type = Some("property-extension".to_owned());
        serde_json::to_value(body).unwrap_or_default()
    }
}
