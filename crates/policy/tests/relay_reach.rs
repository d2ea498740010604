//! Property test of relay hints: on any connected mesh, with deliveries in
//! any order, a GREEN object still reaches every node when relays skip the
//! nodes named covered, and it takes no more copies than flooding.

use std::collections::BTreeSet;

use proptest::prelude::*;
use vigia_policy::{covered_after, is_relayed, TeamId, Tlp};

fn team(i: usize) -> TeamId {
    TeamId::parse(&format!("identity--00000000-0000-4000-8000-{i:012}")).unwrap()
}

/// A connected graph: a random spanning tree plus random extra links.
fn mesh() -> impl Strategy<Value = Vec<BTreeSet<usize>>> {
    (2usize..14)
        .prop_flat_map(|n| {
            (
                Just(n),
                prop::collection::vec(any::<prop::sample::Index>(), n - 1),
                prop::collection::vec((0..n, 0..n), 0..2 * n),
            )
        })
        .prop_map(|(n, parents, extra)| {
            let mut links = vec![BTreeSet::new(); n];
            let mut link = |a: usize, b: usize| {
                if a != b {
                    links[a].insert(b);
                    links[b].insert(a);
                }
            };
            for (child, parent) in parents.iter().enumerate() {
                link(child + 1, parent.index(child + 1));
            }
            for (a, b) in extra {
                link(a, b);
            }
            links
        })
}

struct Copy {
    from: usize,
    to: usize,
    covered: BTreeSet<TeamId>,
}

/// Spreads one object from node 0, delivering queued copies in the order
/// `picks` chooses; returns which nodes got it and how many copies went.
fn spread(links: &[BTreeSet<usize>], picks: &[prop::sample::Index], hints: bool) -> (usize, usize) {
    let mut held = vec![false; links.len()];
    let mut queue: Vec<Copy> = Vec::new();
    let mut sent = 0;
    let mut receive =
        |node: usize, from: Option<usize>, covered: BTreeSet<TeamId>, queue: &mut Vec<Copy>| {
            if std::mem::replace(&mut held[node], true) {
                return;
            }
            let skip = if hints { covered } else { BTreeSet::new() };
            let to: Vec<usize> = links[node]
                .iter()
                .copied()
                .filter(|&p| Some(p) != from && !skip.contains(&team(p)))
                .collect();
            let queued: Vec<TeamId> = to.iter().map(|&p| team(p)).collect();
            let announced = covered_after(&team(node), Tlp::Green, &skip, &queued);
            for p in to {
                queue.push(Copy {
                    from: node,
                    to: p,
                    covered: announced.clone(),
                });
            }
        };
    receive(0, None, BTreeSet::new(), &mut queue);
    let mut k = 0;
    while !queue.is_empty() {
        let i = picks[k % picks.len()].index(queue.len());
        k += 1;
        let copy = queue.swap_remove(i);
        sent += 1;
        receive(copy.to, Some(copy.from), copy.covered, &mut queue);
    }
    (held.iter().filter(|h| **h).count(), sent)
}

proptest! {
    #[test]
    fn a_relayed_object_reaches_every_node_with_no_more_copies(
        links in mesh(),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 1..64),
    ) {
        let (reached, with_hints) = spread(&links, &picks, true);
        let (flooded, without) = spread(&links, &picks, false);
        prop_assert_eq!(reached, links.len());
        prop_assert_eq!(flooded, links.len());
        prop_assert!(with_hints <= without, "{} copies with hints, {} without", with_hints, without);
    }

    #[test]
    fn objects_nobody_relays_announce_nothing(
        tlp in prop::sample::select(Tlp::ALL.to_vec()),
        queued in prop::collection::btree_set(1usize..6, 0..5),
    ) {
        let queued: Vec<TeamId> = queued.into_iter().map(team).collect();
        let announced = covered_after(&team(0), tlp, &BTreeSet::new(), &queued);
        if is_relayed(tlp) {
            prop_assert!(announced.contains(&team(0)));
            prop_assert!(queued.iter().all(|t| announced.contains(t)));
        } else {
            prop_assert!(announced.is_empty());
        }
    }
}
