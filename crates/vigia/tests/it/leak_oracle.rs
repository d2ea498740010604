//! The leak oracle: random networks of 3 to 7 real nodes with random
//! teams, client teams, sharing groups, outbound policies and publishing.
//! After convergence it checks, from the originators' intent alone, that
//! every node holds exactly what the rules entitle it to (nothing leaked,
//! nothing missing) and that every user sees exactly what they may.
//!
//! `VIGIA_LEAK_SEED` and `VIGIA_LEAK_ROUNDS` run it longer:
//! `VIGIA_LEAK_SEED=7 VIGIA_LEAK_ROUNDS=50 cargo test -p vigia --test it leak_oracle`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::json;
use vigia_policy::{
    may_receive, may_send, may_view, Audience, Community, GroupName, OutboundPolicy, Role, TeamId,
    Tlp, UserName, UserRef, Viewer,
};

use crate::federation_net::{net_node, note, peer, publish, NetNode};
use crate::helpers::{json as json_of, run, stderr};

const COUNTRIES: [&str; 7] = ["CR", "BR", "JM", "MX", "AR", "CA", "HT"];
const USERS: [&str; 2] = ["ana", "bruno"];

struct Member {
    node: usize,
    viewer: Viewer,
    token: String,
}

struct Published {
    id: String,
    object_type: String,
    origin: usize,
    audience: Audience,
}

fn team(node: &NetNode) -> TeamId {
    TeamId::parse(&node.team).unwrap()
}

#[test]
fn random_networks_never_leak_and_deliver_everything_entitled() {
    let seed: u64 = std::env::var("VIGIA_LEAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2026);
    let rounds: u32 = std::env::var("VIGIA_LEAK_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    let mut rng = StdRng::seed_from_u64(seed);
    for round in 0..rounds {
        one_round(&mut rng, round, seed);
    }
}

fn one_round(rng: &mut StdRng, round: u32, seed: u64) {
    let n = rng.gen_range(3..=7);
    let nodes: Vec<NetNode> = COUNTRIES[..n].iter().map(|c| net_node(c)).collect();
    let teams: Vec<TeamId> = nodes.iter().map(team).collect();
    let edges = topology(rng, n);
    for &(a, b) in &edges {
        peer(&nodes[a], &nodes[b]);
    }
    let mut community = Community::new();
    let members = people(rng, &nodes, &mut community);
    let groups = sharing_groups(rng, &nodes, &teams, round, &mut community);
    let policies = outbound_policies(rng, &nodes);

    let mut published = Vec::new();
    for k in 0..8u32 {
        published.push(publish_random(
            rng,
            &nodes,
            &teams,
            &groups,
            round * 100 + k,
        ));
    }
    let expected = entitled(&published, &edges, &teams, &policies, &community, n);
    converge(&nodes, &published, &expected, seed, round);

    for m in &members {
        let (status, list) = nodes[m.node].get("/api/objects?limit=1000", &m.token);
        assert_eq!(status, 200);
        let visible: BTreeSet<&str> = list["objects"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|o| o["id"].as_str())
            .collect();
        for p in published
            .iter()
            .filter(|p| expected[&p.id].contains(&m.node))
        {
            let may = may_view(&m.viewer, &p.audience, &community);
            assert_eq!(
                visible.contains(p.id.as_str()),
                may,
                "seed {seed} round {round}: {:?} at {} {} see {} ({:?})",
                m.viewer,
                nodes[m.node].country,
                if may { "must" } else { "must not" },
                p.id,
                p.audience
            );
        }
    }
}

/// A random connected graph: a random spanning tree plus a few extra edges.
fn topology(rng: &mut StdRng, n: usize) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    let mut edges = BTreeSet::new();
    for i in 1..n {
        let j = rng.gen_range(0..i);
        let (a, b) = (order[i].min(order[j]), order[i].max(order[j]));
        edges.insert((a, b));
    }
    for _ in 0..rng.gen_range(0..n) {
        let (a, b) = (rng.gen_range(0..n), rng.gen_range(0..n));
        if a != b {
            edges.insert((a.min(b), a.max(b)));
        }
    }
    edges.into_iter().collect()
}

/// Users ana and bruno and the admin on every node; a client team with a
/// token on some.
fn people(rng: &mut StdRng, nodes: &[NetNode], community: &mut Community) -> Vec<Member> {
    let mut members = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let t = team(node);
        for u in USERS {
            let out = run(&[
                "user",
                "add",
                "--data-dir",
                node.dir(),
                u,
                "--role",
                "analyst",
            ]);
            assert!(out.status.success(), "{}", stderr(&out));
            members.push(Member {
                node: i,
                viewer: Viewer::Member {
                    team: t.clone(),
                    user: Some(UserName::parse(u).unwrap()),
                    role: Role::Analyst,
                },
                token: node.token("analyst", &["--user", u]),
            });
        }
        let admin = node.token("admin", &["--user", "admin"]);
        members.push(Member {
            node: i,
            viewer: Viewer::Member {
                team: t.clone(),
                user: Some(UserName::parse("admin").unwrap()),
                role: Role::Admin,
            },
            token: admin.clone(),
        });
        if rng.gen_bool(0.5) {
            let resp = node
                .client
                .post(format!("{}/api/teams", node.url))
                .bearer_auth(&admin)
                .json(&json!({"name": format!("Client of {}", node.country), "country": node.country, "kind": "sector", "client_of": node.team}))
                .send()
                .unwrap();
            let (status, created) = json_of(resp);
            assert_eq!(status, 201, "{created}");
            let client = TeamId::parse(created["id"].as_str().unwrap()).unwrap();
            *community = std::mem::take(community).with_client(client.clone(), t.clone());
            members.push(Member {
                node: i,
                viewer: Viewer::Member {
                    team: client.clone(),
                    user: None,
                    role: Role::Analyst,
                },
                token: node.token("analyst", &["--team", client.as_str()]),
            });
        }
    }
    members
}

/// Up to two sharing groups, each defined at a random node.
fn sharing_groups(
    rng: &mut StdRng,
    nodes: &[NetNode],
    teams: &[TeamId],
    round: u32,
    community: &mut Community,
) -> Vec<(usize, GroupName)> {
    let mut groups = Vec::new();
    for g in 0..rng.gen_range(0..=2) {
        let owner = rng.gen_range(0..nodes.len());
        let name = GroupName::parse(&format!("group-{round}-{g}")).unwrap();
        let mut members: Vec<TeamId> = teams
            .iter()
            .filter(|_| rng.gen_bool(0.5))
            .cloned()
            .collect();
        members.push(teams[owner].clone());
        let admin = nodes[owner].token("admin", &["--user", "admin"]);
        let resp = nodes[owner]
            .client
            .put(format!("{}/api/sharing-groups/{name}", nodes[owner].url))
            .bearer_auth(&admin)
            .json(&json!({"members": members}))
            .send()
            .unwrap();
        assert!(resp.status().is_success(), "{}", resp.text().unwrap());
        *community = std::mem::take(community).with_group(name.clone(), members);
        groups.push((owner, name));
    }
    groups
}

fn outbound_policies(rng: &mut StdRng, nodes: &[NetNode]) -> Vec<OutboundPolicy> {
    nodes
        .iter()
        .map(|node| {
            let policy = match rng.gen_range(0..4) {
                0 => OutboundPolicy {
                    deny_types: ["incident".to_owned()].into(),
                    ..Default::default()
                },
                1 => OutboundPolicy {
                    allow_markings: Some([Tlp::Clear, Tlp::Green].into()),
                    ..Default::default()
                },
                _ => return OutboundPolicy::default(),
            };
            let admin = node.token("admin", &["--user", "admin"]);
            let resp = node
                .client
                .put(format!("{}/api/federation/outbound-policy", node.url))
                .bearer_auth(&admin)
                .json(&policy)
                .send()
                .unwrap();
            assert!(resp.status().is_success());
            policy
        })
        .collect()
}

fn publish_random(
    rng: &mut StdRng,
    nodes: &[NetNode],
    teams: &[TeamId],
    groups: &[(usize, GroupName)],
    n: u32,
) -> Published {
    let origin = rng.gen_range(0..nodes.len());
    let tlp = *Tlp::ALL.choose(rng).unwrap();
    let mut audience = Audience::new(tlp, Some(teams[origin].clone()));
    audience.origin_node = Some(teams[origin].clone());
    let mut args: Vec<String> = vec!["--tlp".into(), tlp.as_str().into()];
    if tlp == Tlp::Red {
        for _ in 0..rng.gen_range(1..=2) {
            let t = rng.gen_range(0..nodes.len());
            let u = USERS.choose(rng).unwrap();
            audience.recipient_users.insert(UserRef {
                user: UserName::parse(u).unwrap(),
                team: teams[t].clone(),
            });
            args.extend(["--to-user".into(), format!("{u}@{}", teams[t])]);
        }
    } else if tlp != Tlp::Clear {
        for (t, team) in teams.iter().enumerate() {
            if t != origin && rng.gen_bool(0.3) {
                audience.recipient_teams.insert(team.clone());
                args.extend(["--to".into(), team.to_string()]);
            }
        }
        for (owner, g) in groups {
            if *owner == origin && rng.gen_bool(0.5) {
                audience.sharing_groups.insert(g.clone());
                args.extend(["--group".into(), g.to_string()]);
            }
        }
        if tlp == Tlp::Amber && rng.gen_bool(0.5) {
            audience.allow_clients = true;
            args.push("--allow-clients".into());
        }
    }
    let (object, object_type) = if rng.gen_bool(0.2) {
        let id = format!("incident--00000000-0000-4000-8000-{n:012}");
        (
            json!({"type": "incident", "spec_version": "2.1", "id": id, "created": "2026-03-01T00:00:00.000Z",
                   "modified": "2026-03-01T00:00:00.000Z", "name": format!("incident {n}")}),
            "incident",
        )
    } else {
        (note(n, &format!("product {n}")), "note")
    };
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    publish(&nodes[origin], &object, &refs);
    Published {
        id: object["id"].as_str().unwrap().to_owned(),
        object_type: object_type.to_owned(),
        origin,
        audience,
    }
}

/// Where each object may end up: a fixed point over the peerings of the
/// egress and ingress rules and each sender's outbound policy.
fn entitled(
    published: &[Published],
    edges: &[(usize, usize)],
    teams: &[TeamId],
    policies: &[OutboundPolicy],
    community: &Community,
    n: usize,
) -> BTreeMap<String, BTreeSet<usize>> {
    let mut result = BTreeMap::new();
    for p in published {
        let mut holds: BTreeSet<usize> = [p.origin].into();
        loop {
            let before = holds.len();
            for &(a, b) in edges {
                for (from, to) in [(a, b), (b, a)] {
                    if holds.contains(&from)
                        && !holds.contains(&to)
                        && may_send(&teams[from], &teams[to], &p.audience, community)
                        && may_receive(&teams[to], &teams[from], &p.audience, community)
                        && policies[from].permits(
                            &p.object_type,
                            p.audience.tlp,
                            &teams[to],
                            community,
                        )
                    {
                        holds.insert(to);
                    }
                }
            }
            if holds.len() == before {
                break;
            }
        }
        assert!(holds.iter().all(|&h| h < n));
        result.insert(p.id.clone(), holds);
    }
    result
}

/// Waits until every node holds what it is entitled to, then a little
/// longer, and checks nothing else arrived.
fn converge(
    nodes: &[NetNode],
    published: &[Published],
    expected: &BTreeMap<String, BTreeSet<usize>>,
    seed: u64,
    round: u32,
) {
    let actual = || -> BTreeMap<String, BTreeSet<usize>> {
        let held: Vec<BTreeSet<String>> = nodes.iter().map(|n| n.stored_ids()).collect();
        published
            .iter()
            .map(|p| {
                (
                    p.id.clone(),
                    (0..nodes.len())
                        .filter(|&i| held[i].contains(&p.id))
                        .collect(),
                )
            })
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline && actual() != *expected {
        std::thread::sleep(Duration::from_millis(250));
    }
    std::thread::sleep(Duration::from_millis(2500));
    let got = actual();
    for p in published {
        assert_eq!(
            got[&p.id], expected[&p.id],
            "seed {seed} round {round}: {} ({:?}) from {} held by {:?}, entitled {:?}",
            p.id, p.audience, nodes[p.origin].country, got[&p.id], expected[&p.id]
        );
    }
}
