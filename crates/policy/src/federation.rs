//! What may travel between national nodes.
//!
//! Two rules, applied at every hop to the originator's marking and
//! recipients (never a relayer's wishes):
//!
//! - [`may_send`], at egress: may this node pass the object to that peer?
//! - [`may_receive`], at ingress: may this node accept it from that peer?
//!
//! | TLP          | sent to a peer when                          | relayed? |
//! |--------------|----------------------------------------------|----------|
//! | CLEAR        | always                                       | yes      |
//! | GREEN        | the peer's team is in the named community    | yes, inside it |
//! | AMBER, AMBER+STRICT | the peer's team is named (or in a named group) | no: only by the origin node |
//! | RED          | the peer hosts a named person                | no: only by the origin node |
//!
//! An object without an origin node was never published and never leaves.
//! Relays skip the nodes a [`covered_after`] hint names as already on the
//! object's way: fewer copies, same reach.
//! On top of the rules, each node's [`OutboundPolicy`] may only narrow what
//! leaves it; no peer can change it.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use vigia_stix::Tlp;

use crate::access::{may_view, Community, Viewer};
use crate::audience::Audience;
use crate::ids::{GroupName, TeamId};

/// May the node of team `here` send an object with `audience` to `peer`?
pub fn may_send(here: &TeamId, peer: &TeamId, audience: &Audience, community: &Community) -> bool {
    let Some(origin) = &audience.origin_node else {
        return false;
    };
    if origin == peer || here == peer {
        return false;
    }
    let peer_may_view = || may_view(&Viewer::Peer { team: peer.clone() }, audience, community);
    match audience.tlp {
        Tlp::Clear => true,
        Tlp::Green => peer_may_view(),
        Tlp::Amber | Tlp::AmberStrict | Tlp::Red => origin == here && peer_may_view(),
    }
}

/// May the node of team `here` accept an object with `audience` that the
/// node of team `from` sent it?
pub fn may_receive(
    here: &TeamId,
    from: &TeamId,
    audience: &Audience,
    community: &Community,
) -> bool {
    let Some(origin) = &audience.origin_node else {
        return false;
    };
    if origin == here {
        return false;
    }
    let here_may_view = || may_view(&Viewer::Peer { team: here.clone() }, audience, community);
    match audience.tlp {
        Tlp::Clear => true,
        Tlp::Green => here_may_view(),
        Tlp::Amber | Tlp::AmberStrict | Tlp::Red => origin == from && here_may_view(),
    }
}

/// The whole egress decision: the rule of travel, then this node's
/// outbound policy. What every path that sends to a peer asks.
pub fn may_deliver(
    here: &TeamId,
    peer: &TeamId,
    object_type: &str,
    audience: &Audience,
    community: &Community,
    outbound: &OutboundPolicy,
) -> bool {
    may_send(here, peer, audience, community)
        && outbound.permits(object_type, audience.tlp, peer, community)
}

/// Is an object with this marking passed on by nodes other than its origin?
pub fn is_relayed(tlp: Tlp) -> bool {
    matches!(tlp, Tlp::Clear | Tlp::Green)
}

/// The nodes a node names as covered when it queues an object for
/// `deliver_to`, having received it with `covered` (nothing at the origin):
/// itself, what it was told, and every peer it queued. A receiver skips
/// them when it relays. Sound only because a queued delivery is durable
/// and retried; a node named wrongly still gets the object by its pull.
/// Empty for an object nobody relays.
pub fn covered_after(
    here: &TeamId,
    tlp: Tlp,
    covered: &BTreeSet<TeamId>,
    deliver_to: &[TeamId],
) -> BTreeSet<TeamId> {
    if !is_relayed(tlp) {
        return BTreeSet::new();
    }
    let mut out = covered.clone();
    out.insert(here.clone());
    out.extend(deliver_to.iter().cloned());
    out
}

/// A node's own limits on what leaves it, whatever its analysts chose.
/// Empty lists mean "no limit of this kind".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundPolicy {
    /// STIX types that never leave (e.g. `incident`).
    #[serde(default)]
    pub deny_types: BTreeSet<String>,
    /// When set, only these markings leave.
    #[serde(default)]
    pub allow_markings: Option<BTreeSet<Tlp>>,
    /// Peers that receive nothing from this node.
    #[serde(default)]
    pub deny_peers: BTreeSet<TeamId>,
    /// When set, only peers in these sharing groups receive anything.
    #[serde(default)]
    pub only_groups: Option<BTreeSet<GroupName>>,
}

impl OutboundPolicy {
    /// Whether this policy lets an object of `object_type` and `tlp` go to `peer`.
    pub fn permits(
        &self,
        object_type: &str,
        tlp: Tlp,
        peer: &TeamId,
        community: &Community,
    ) -> bool {
        !self.deny_types.contains(object_type)
            && self
                .allow_markings
                .as_ref()
                .is_none_or(|m| m.contains(&tlp))
            && !self.deny_peers.contains(peer)
            && self.only_groups.as_ref().is_none_or(|groups| {
                groups
                    .iter()
                    .any(|g| community.group_members(g).any(|m| m == peer))
            })
    }

    /// Both policies at once: what either forbids stays home.
    pub fn and(&self, other: &OutboundPolicy) -> OutboundPolicy {
        OutboundPolicy {
            deny_types: self.deny_types.union(&other.deny_types).cloned().collect(),
            allow_markings: both(&self.allow_markings, &other.allow_markings),
            deny_peers: self.deny_peers.union(&other.deny_peers).cloned().collect(),
            only_groups: both(&self.only_groups, &other.only_groups),
        }
    }
}

/// The intersection of two optional allow-lists; `None` allows everything.
fn both<T: Ord + Clone>(a: &Option<BTreeSet<T>>, b: &Option<BTreeSet<T>>) -> Option<BTreeSet<T>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.intersection(b).cloned().collect()),
        (Some(x), None) | (None, Some(x)) => Some(x.clone()),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team(i: u32) -> TeamId {
        TeamId::parse(&format!("identity--00000000-0000-4000-8000-{i:012}")).unwrap()
    }

    #[test]
    fn amber_goes_only_from_its_origin_to_the_named_team() {
        let mut a = Audience::new(Tlp::Amber, Some(team(1)));
        a.origin_node = Some(team(1));
        a.recipient_teams.insert(team(2));
        let c = Community::new();
        assert!(may_send(&team(1), &team(2), &a, &c));
        assert!(!may_send(&team(1), &team(3), &a, &c));
        assert!(!may_send(&team(2), &team(3), &a, &c), "no relay");
        assert!(may_receive(&team(2), &team(1), &a, &c));
        assert!(
            !may_receive(&team(2), &team(3), &a, &c),
            "only from the origin"
        );
    }

    #[test]
    fn green_to_the_network_is_relayed_but_unpublished_objects_stay_home() {
        let mut a = Audience::new(Tlp::Green, Some(team(1)));
        assert!(!may_send(&team(1), &team(2), &a, &Community::new()));
        a.origin_node = Some(team(1));
        assert!(may_send(&team(2), &team(3), &a, &Community::new()));
        assert!(
            !may_send(&team(2), &team(1), &a, &Community::new()),
            "not back to its origin"
        );
        assert!(may_receive(&team(3), &team(2), &a, &Community::new()));
    }

    #[test]
    fn outbound_policy_only_narrows() {
        let c = Community::new();
        let deny_incidents = OutboundPolicy {
            deny_types: ["incident".to_owned()].into(),
            ..Default::default()
        };
        let green_only = OutboundPolicy {
            allow_markings: Some([Tlp::Green, Tlp::Clear].into()),
            ..Default::default()
        };
        let both = deny_incidents.and(&green_only);
        assert!(!both.permits("incident", Tlp::Green, &team(2), &c));
        assert!(!both.permits("indicator", Tlp::Amber, &team(2), &c));
        assert!(both.permits("indicator", Tlp::Green, &team(2), &c));
        assert!(OutboundPolicy::default().permits("incident", Tlp::Red, &team(2), &c));
    }
}
