//! The access rule.

use std::collections::{BTreeMap, BTreeSet};

use vigia_stix::Tlp;

use crate::audience::Audience;
use crate::ids::{GroupName, TeamId, UserName, UserRef};
use crate::role::Role;

/// Who is asking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Viewer {
    /// Anyone, unauthenticated: the public portal, feeds, anonymous TAXII.
    Public,
    /// A user of a team, or a team's service token (`user: None`).
    Member {
        team: TeamId,
        user: Option<UserName>,
        role: Role,
    },
    /// Another national node, speaking for its team.
    Peer { team: TeamId },
}

/// The facts about the network the rule needs besides the object: who is in
/// which sharing group, and which teams are clients of which.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Community {
    groups: BTreeMap<GroupName, BTreeSet<TeamId>>,
    /// A client team (an in-country constituent) → the team it is a client of.
    client_of: BTreeMap<TeamId, TeamId>,
}

impl Community {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_group(
        mut self,
        name: GroupName,
        members: impl IntoIterator<Item = TeamId>,
    ) -> Self {
        self.groups.entry(name).or_default().extend(members);
        self
    }

    pub fn with_client(mut self, client: TeamId, of: TeamId) -> Self {
        self.client_of.insert(client, of);
        self
    }

    pub fn group_members(&self, name: &GroupName) -> impl Iterator<Item = &TeamId> {
        self.groups.get(name).into_iter().flatten()
    }

    /// The sharing groups a team belongs to.
    pub fn groups_of<'a>(&'a self, team: &'a TeamId) -> impl Iterator<Item = &'a GroupName> + 'a {
        self.groups
            .iter()
            .filter(move |(_, members)| members.contains(team))
            .map(|(name, _)| name)
    }

    pub fn client_of(&self, team: &TeamId) -> Option<&TeamId> {
        self.client_of.get(team)
    }

    /// Teams named directly or through a sharing group.
    fn addressed(&self, audience: &Audience, team: &TeamId) -> bool {
        audience.recipient_teams.contains(team)
            || audience
                .sharing_groups
                .iter()
                .any(|g| self.groups.get(g).is_some_and(|m| m.contains(team)))
    }
}

/// May `viewer` see an object with this `audience`?
///
/// | TLP          | visible to |
/// |--------------|------------|
/// | CLEAR        | everyone, the public included |
/// | GREEN        | every member and peer when no one is named; else the named teams, group members and their clients |
/// | AMBER        | named teams and group members; their clients only if `allow_clients` |
/// | AMBER+STRICT | named teams and group members |
/// | RED          | the named persons; a peer only if it hosts one |
///
/// The originating team sees its own objects at every TLP. Roles do not
/// widen what a team may see: an admin reads what its team may read.
pub fn may_view(viewer: &Viewer, audience: &Audience, community: &Community) -> bool {
    if audience.tlp == Tlp::Clear {
        return true;
    }
    let team = match viewer {
        Viewer::Public => return false,
        Viewer::Member { team, .. } | Viewer::Peer { team } => team,
    };
    if audience.originator.as_ref() == Some(team) {
        return true;
    }
    let addressed = community.addressed(audience, team);
    let client_of_addressed = || {
        community
            .client_of(team)
            .is_some_and(|parent| community.addressed(audience, parent))
    };
    match audience.tlp {
        Tlp::Clear => true,
        Tlp::Green => {
            (audience.recipient_teams.is_empty() && audience.sharing_groups.is_empty())
                || addressed
                || client_of_addressed()
        }
        Tlp::Amber => addressed || (audience.allow_clients && client_of_addressed()),
        Tlp::AmberStrict => addressed,
        Tlp::Red => match viewer {
            Viewer::Member {
                user: Some(user), ..
            } => audience.recipient_users.contains(&UserRef {
                user: user.clone(),
                team: team.clone(),
            }),
            Viewer::Peer { .. } => audience.recipient_users.iter().any(|r| &r.team == team),
            _ => false,
        },
    }
}
