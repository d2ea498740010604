//! Access keys: a coarse index of [`may_view`](crate::may_view) that a
//! store can answer with an indexed lookup.
//!
//! Each object gets the keys of everyone who might see it; each viewer
//! holds the keys it answers to. An object is a candidate for a viewer when
//! the two sets meet. The keys over-approximate the rule: a store selects
//! candidates by key, then [`may_view`](crate::may_view) decides. The
//! property test `keys_cover_every_visible_object` proves no visible object
//! is ever missed.

use vigia_stix::Tlp;

use crate::access::{Community, Viewer};
use crate::audience::Audience;

/// The keys under which an object with this audience is indexed.
pub fn object_keys(audience: &Audience) -> Vec<String> {
    let mut keys = Vec::new();
    if audience.tlp == Tlp::Clear {
        keys.push("public".to_owned());
        return keys;
    }
    let community_named =
        !(audience.recipient_teams.is_empty() && audience.sharing_groups.is_empty());
    if audience.tlp == Tlp::Green && !community_named {
        keys.push("network".to_owned());
    }
    if let Some(o) = &audience.originator {
        keys.push(format!("team:{o}"));
    }
    for t in &audience.recipient_teams {
        keys.push(format!("team:{t}"));
    }
    for g in &audience.sharing_groups {
        keys.push(format!("group:{g}"));
    }
    for u in &audience.recipient_users {
        keys.push(format!("user:{u}"));
        keys.push(format!("peer:{}", u.team));
    }
    let clients_too =
        audience.tlp == Tlp::Green || (audience.tlp == Tlp::Amber && audience.allow_clients);
    if clients_too {
        for t in &audience.recipient_teams {
            keys.push(format!("clients-of:{t}"));
        }
        for g in &audience.sharing_groups {
            keys.push(format!("clients-of-group:{g}"));
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// The keys a viewer answers to, given the current community.
pub fn viewer_keys(viewer: &Viewer, community: &Community) -> Vec<String> {
    let mut keys = vec!["public".to_owned()];
    let team = match viewer {
        Viewer::Public => return keys,
        Viewer::Member { team, .. } | Viewer::Peer { team } => team,
    };
    keys.push("network".to_owned());
    keys.push(format!("team:{team}"));
    for g in community.groups_of(team) {
        keys.push(format!("group:{g}"));
    }
    match viewer {
        Viewer::Member {
            user: Some(user), ..
        } => keys.push(format!("user:{user}@{team}")),
        Viewer::Peer { .. } => keys.push(format!("peer:{team}")),
        _ => {}
    }
    if let Some(parent) = community.client_of(team) {
        keys.push(format!("clients-of:{parent}"));
        for g in community.groups_of(parent) {
            keys.push(format!("clients-of-group:{g}"));
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// Keys confined to one collection: an object in collection `c` is indexed
/// under `c|key` as well as `key`, so a collection is paged by key ranges
/// like the whole node.
pub fn collection_keys<'a>(
    collection: &'a str,
    keys: &'a [String],
) -> impl Iterator<Item = String> + 'a {
    keys.iter().map(move |k| format!("c:{collection}|{k}"))
}
