//! An object's audience: its TLP, its originator and whom it names.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use vigia_stix::{Distribution, StixObject, Tlp};

use crate::ids::{GroupName, NameError, TeamId, UserRef};

/// Everything the access rule needs to know about one object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audience {
    pub tlp: Tlp,
    /// The team that originated the object; it always sees its own work.
    pub originator: Option<TeamId>,
    pub recipient_teams: BTreeSet<TeamId>,
    pub recipient_users: BTreeSet<UserRef>,
    pub sharing_groups: BTreeSet<GroupName>,
    /// TLP:AMBER only: recipients' client teams may see it too.
    pub allow_clients: bool,
    /// The national team whose node sealed (published) the object; `None`
    /// for an object that was never published and so never leaves its node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_node: Option<TeamId>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AudienceError {
    #[error("distribution names an invalid recipient: {0}")]
    Name(#[from] NameError),
    #[error("TLP:RED must name its recipient persons (recipient_users); teams or groups alone are not enough")]
    RedWithoutPersons,
    #[error("allow_clients applies only to TLP:AMBER, not {0}")]
    ClientsNotAmber(&'static str),
}

impl Audience {
    /// An audience with only a TLP and an originator.
    pub fn new(tlp: Tlp, originator: Option<TeamId>) -> Self {
        Self {
            tlp,
            originator,
            recipient_teams: BTreeSet::new(),
            recipient_users: BTreeSet::new(),
            sharing_groups: BTreeSet::new(),
            allow_clients: false,
            origin_node: None,
        }
    }

    /// Reads the audience an object carries. An object with no TLP marking
    /// gets `default_tlp`; `originator` is the team that submitted it.
    pub fn of_object(
        object: &StixObject,
        default_tlp: Tlp,
        originator: Option<TeamId>,
    ) -> Result<Self, AudienceError> {
        let tlp = object.tlp().unwrap_or(default_tlp);
        let mut audience = Self::new(tlp, originator);
        if let Some(d) = object.distribution() {
            audience.apply(d)?;
        }
        audience.check()?;
        Ok(audience)
    }

    fn apply(&mut self, d: &Distribution) -> Result<(), AudienceError> {
        for t in &d.recipient_teams {
            self.recipient_teams.insert(TeamId::parse(t)?);
        }
        for u in &d.recipient_users {
            self.recipient_users.insert(UserRef::parse(u)?);
        }
        for g in &d.sharing_groups {
            self.sharing_groups.insert(GroupName::parse(g)?);
        }
        self.allow_clients = d.allow_clients;
        Ok(())
    }

    /// Refuses addressing that TLP cannot honour, so an analyst learns at
    /// once rather than the object silently reaching no one.
    pub fn check(&self) -> Result<(), AudienceError> {
        if self.allow_clients && self.tlp != Tlp::Amber {
            return Err(AudienceError::ClientsNotAmber(self.tlp.label()));
        }
        if self.tlp == Tlp::Red
            && self.recipient_users.is_empty()
            && !(self.recipient_teams.is_empty() && self.sharing_groups.is_empty())
        {
            return Err(AudienceError::RedWithoutPersons);
        }
        Ok(())
    }

    /// Whether the originator named anyone at all.
    pub fn names_anyone(&self) -> bool {
        !(self.recipient_teams.is_empty()
            && self.recipient_users.is_empty()
            && self.sharing_groups.is_empty())
    }
}
