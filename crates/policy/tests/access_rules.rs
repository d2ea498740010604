//! Property tests of the access rule: for random audiences, communities and
//! viewers, the TLP 2.0 guarantees hold.

use proptest::prelude::*;
use vigia_policy::{
    may_receive, may_send, may_view, object_keys, viewer_keys, Audience, Community, GroupName,
    Role, TeamId, Tlp, UserName, UserRef, Viewer,
};

const TEAMS: usize = 6;
const USERS: [&str; 3] = ["ana", "bruno", "chloe"];
const GROUPS: [&str; 2] = ["caribbean", "mercosur"];

fn team(i: usize) -> TeamId {
    TeamId::parse(&format!("identity--00000000-0000-4000-8000-{i:012}")).unwrap()
}

fn tlp() -> impl Strategy<Value = Tlp> {
    prop::sample::select(Tlp::ALL.to_vec())
}

fn role() -> impl Strategy<Value = Role> {
    prop::sample::select(Role::ALL.to_vec())
}

fn audience() -> impl Strategy<Value = Audience> {
    (
        tlp(),
        prop::option::of(0..TEAMS),
        prop::collection::btree_set(0..TEAMS, 0..3),
        prop::collection::btree_set((0..USERS.len(), 0..TEAMS), 0..3),
        prop::collection::btree_set(0..GROUPS.len(), 0..2),
        any::<bool>(),
    )
        .prop_map(
            |(tlp, originator, teams, users, groups, allow_clients)| Audience {
                tlp,
                originator: originator.map(team),
                recipient_teams: teams.into_iter().map(team).collect(),
                recipient_users: users
                    .into_iter()
                    .map(|(u, t)| UserRef {
                        user: UserName::parse(USERS[u]).unwrap(),
                        team: team(t),
                    })
                    .collect(),
                sharing_groups: groups
                    .into_iter()
                    .map(|g| GroupName::parse(GROUPS[g]).unwrap())
                    .collect(),
                allow_clients,
                origin_node: None,
            },
        )
}

fn community() -> impl Strategy<Value = Community> {
    (
        prop::collection::vec(prop::collection::btree_set(0..TEAMS, 0..4), GROUPS.len()),
        prop::collection::btree_map(0..TEAMS, 0..TEAMS, 0..3),
    )
        .prop_map(|(members, clients)| {
            let mut c = Community::new();
            for (g, m) in GROUPS.iter().zip(members) {
                c = c.with_group(GroupName::parse(g).unwrap(), m.into_iter().map(team));
            }
            for (client, of) in clients {
                if client != of {
                    c = c.with_client(team(client), team(of));
                }
            }
            c
        })
}

fn viewer() -> impl Strategy<Value = Viewer> {
    prop_oneof![
        Just(Viewer::Public),
        (0..TEAMS, prop::option::of(0..USERS.len()), role()).prop_map(|(t, u, role)| {
            Viewer::Member {
                team: team(t),
                user: u.map(|u| UserName::parse(USERS[u]).unwrap()),
                role,
            }
        }),
        (0..TEAMS).prop_map(|t| Viewer::Peer { team: team(t) }),
    ]
}

fn viewer_team(v: &Viewer) -> Option<&TeamId> {
    match v {
        Viewer::Public => None,
        Viewer::Member { team, .. } | Viewer::Peer { team } => Some(team),
    }
}

fn addressed(a: &Audience, c: &Community, t: &TeamId) -> bool {
    a.recipient_teams.contains(t)
        || a.sharing_groups
            .iter()
            .any(|g| c.group_members(g).any(|m| m == t))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn the_public_sees_only_clear(a in audience(), c in community()) {
        prop_assert_eq!(may_view(&Viewer::Public, &a, &c), a.tlp == Tlp::Clear);
    }

    #[test]
    fn clear_is_visible_to_everyone(a in audience(), c in community(), v in viewer()) {
        let a = Audience { tlp: Tlp::Clear, ..a };
        prop_assert!(may_view(&v, &a, &c), "hidden from {:?}", v);
    }

    #[test]
    fn the_originator_always_sees_its_own(a in audience(), c in community(), t in 0..TEAMS, r in role()) {
        let a = Audience { originator: Some(team(t)), ..a };
        let v = Viewer::Member { team: team(t), user: None, role: r };
        prop_assert!(may_view(&v, &a, &c), "originator {:?} could not see {:?}", v, a);
    }

    #[test]
    fn red_reaches_only_named_persons_and_the_originator(a in audience(), c in community(), v in viewer()) {
        let a = Audience { tlp: Tlp::Red, ..a };
        if may_view(&v, &a, &c) {
            let t = viewer_team(&v).expect("public never sees RED");
            let is_originator = a.originator.as_ref() == Some(t);
            let named = match &v {
                Viewer::Member { user: Some(u), .. } => a.recipient_users.contains(&UserRef { user: u.clone(), team: t.clone() }),
                Viewer::Peer { .. } => a.recipient_users.iter().any(|r| &r.team == t),
                _ => false,
            };
            prop_assert!(is_originator || named, "{:?} saw RED {:?}", v, a);
        }
    }

    #[test]
    fn red_is_hidden_from_unnamed_colleagues_of_a_recipient(a in audience(), c in community(), r in role()) {
        let a = Audience { tlp: Tlp::Red, ..a };
        for named in &a.recipient_users {
            if a.originator.as_ref() == Some(&named.team) { continue; }
            for other in USERS {
                let other = UserName::parse(other).unwrap();
                let colleague = UserRef { user: other.clone(), team: named.team.clone() };
                let v = Viewer::Member { team: named.team.clone(), user: Some(other), role: r };
                prop_assert_eq!(may_view(&v, &a, &c), a.recipient_users.contains(&colleague));
            }
            let service = Viewer::Member { team: named.team.clone(), user: None, role: r };
            prop_assert!(!may_view(&service, &a, &c), "service token saw RED");
        }
    }

    #[test]
    fn amber_strict_never_leaves_the_recipient_teams(a in audience(), c in community(), v in viewer()) {
        let a = Audience { tlp: Tlp::AmberStrict, ..a };
        if may_view(&v, &a, &c) {
            let t = viewer_team(&v).expect("public never sees AMBER+STRICT");
            prop_assert!(a.originator.as_ref() == Some(t) || addressed(&a, &c, t), "{:?} saw {:?}", v, a);
        }
    }

    #[test]
    fn amber_reaches_clients_only_when_allowed(a in audience(), c in community(), v in viewer()) {
        let a = Audience { tlp: Tlp::Amber, ..a };
        if may_view(&v, &a, &c) {
            let t = viewer_team(&v).expect("public never sees AMBER");
            let via_parent = c.client_of(t).is_some_and(|p| addressed(&a, &c, p));
            prop_assert!(
                a.originator.as_ref() == Some(t) || addressed(&a, &c, t) || (a.allow_clients && via_parent),
                "{:?} saw {:?}", v, a
            );
        }
    }

    #[test]
    fn green_stays_in_its_community(a in audience(), c in community(), v in viewer()) {
        let a = Audience { tlp: Tlp::Green, ..a };
        if matches!(v, Viewer::Public) {
            prop_assert!(!may_view(&v, &a, &c), "the public saw GREEN");
        }
        let community_named = !a.recipient_teams.is_empty() || !a.sharing_groups.is_empty();
        if community_named && may_view(&v, &a, &c) {
            let t = viewer_team(&v).unwrap();
            let via_parent = c.client_of(t).is_some_and(|p| addressed(&a, &c, p));
            prop_assert!(a.originator.as_ref() == Some(t) || addressed(&a, &c, t) || via_parent, "{:?} saw GREEN {:?}", v, a);
        }
    }

    #[test]
    fn naming_more_recipients_never_hides_anything(a in audience(), c in community(), v in viewer(), extra in 0..TEAMS) {
        // GREEN is excluded: naming a community narrows network-wide GREEN.
        let a = if a.tlp == Tlp::Green { Audience { tlp: Tlp::Amber, ..a } } else { a };
        let mut wider = a.clone();
        wider.recipient_teams.insert(team(extra));
        if may_view(&v, &a, &c) {
            prop_assert!(may_view(&v, &wider, &c), "widening hid it from {:?}", v);
        }
    }

    #[test]
    fn roles_never_widen_access(a in audience(), c in community(), t in 0..TEAMS, u in prop::option::of(0..USERS.len())) {
        let user = u.map(|u| UserName::parse(USERS[u]).unwrap());
        let seen: Vec<bool> = Role::ALL
            .iter()
            .map(|r| may_view(&Viewer::Member { team: team(t), user: user.clone(), role: *r }, &a, &c))
            .collect();
        prop_assert!(seen.iter().all(|s| *s == seen[0]), "roles differ: {:?}", seen);
    }

    #[test]
    fn keys_cover_every_visible_object(a in audience(), c in community(), v in viewer()) {
        if may_view(&v, &a, &c) {
            let object = object_keys(&a);
            let viewer = viewer_keys(&v, &c);
            prop_assert!(object.iter().any(|k| viewer.contains(k)), "{:?} may see {:?} but keys {:?} miss {:?}", v, a, viewer, object);
        }
    }
}

/// Federation: an audience with a random origin node.
fn published() -> impl Strategy<Value = Audience> {
    (audience(), 0..TEAMS).prop_map(|(mut a, origin)| {
        a.origin_node = Some(team(origin));
        a
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn a_peer_is_sent_only_what_it_may_view(a in published(), c in community(), here in 0..TEAMS, peer in 0..TEAMS) {
        if may_send(&team(here), &team(peer), &a, &c) {
            let viewer = Viewer::Peer { team: team(peer) };
            prop_assert!(may_view(&viewer, &a, &c), "sent to {:?}", viewer);
        }
        if may_receive(&team(here), &team(peer), &a, &c) {
            let viewer = Viewer::Peer { team: team(here) };
            prop_assert!(may_view(&viewer, &a, &c), "received by {:?}", viewer);
        }
    }

    #[test]
    fn only_the_origin_node_sends_amber_and_red(a in published(), c in community(), here in 0..TEAMS, peer in 0..TEAMS) {
        if a.tlp > Tlp::Green && may_send(&team(here), &team(peer), &a, &c) {
            prop_assert_eq!(a.origin_node.as_ref(), Some(&team(here)));
        }
        if a.tlp > Tlp::Green && may_receive(&team(here), &team(peer), &a, &c) {
            prop_assert_eq!(a.origin_node.as_ref(), Some(&team(peer)));
        }
    }

    #[test]
    fn scope_never_widens_along_a_path(a in published(), c in community(), path in prop::collection::vec(0..TEAMS, 1..6)) {
        // Walk the object from its origin along `path`, as far as the rules let it go.
        let mut at = a.origin_node.clone().unwrap();
        for next in path.into_iter().map(team) {
            if !(may_send(&at, &next, &a, &c) && may_receive(&next, &at, &a, &c)) {
                break;
            }
            let viewer = Viewer::Peer { team: next.clone() };
            prop_assert!(may_view(&viewer, &a, &c), "{:?} reached {:?}", a, viewer);
            at = next;
        }
    }

    #[test]
    fn nothing_unpublished_leaves(a in audience(), c in community(), here in 0..TEAMS, peer in 0..TEAMS) {
        prop_assert!(!may_send(&team(here), &team(peer), &a, &c));
    }
}
