//! The TLP 2.0 access rule at the API boundary, with several teams on one
//! node: each sees exactly what its marking and addressing allow.

use serde_json::{json, Value};
use vigia_stix::{Tlp, DISTRIBUTION_EXTENSION_ID};

use crate::helpers::{indicator, json, run, stderr, team_id, token, Node, STIX};

struct World {
    node: Node,
    a_admin: String,
    b_team: String,
    b_service: String,
    b_bea: String,
    b_bob: String,
    c_client: String,
}

fn world() -> World {
    let node = Node::start("access");
    let a_admin = node.admin_token();
    let create_team = |name: &str, client_of: Option<&str>| -> String {
        let body = json!({"name": name, "country": "BR", "kind": "sector", "client_of": client_of});
        let (status, v) = json(
            node.post("/api/teams")
                .bearer_auth(&a_admin)
                .json(&body)
                .send()
                .unwrap(),
        );
        assert_eq!(status, 201, "{v}");
        v["id"].as_str().unwrap().to_owned()
    };
    let b_team = create_team("CSIRT B", None);
    let c_team = create_team("Bank of B", Some(&b_team));
    for user in ["bea", "bob"] {
        let out = run(&[
            "user",
            "add",
            "--data-dir",
            node.dir(),
            user,
            "--role",
            "analyst",
            "--team",
            &b_team,
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    World {
        b_service: token(node.dir(), "analyst", &["--team", &b_team]),
        b_bea: token(node.dir(), "analyst", &["--user", "bea"]),
        b_bob: token(node.dir(), "analyst", &["--user", "bob"]),
        c_client: token(node.dir(), "analyst", &["--team", &c_team]),
        a_admin,
        b_team,
        node,
    }
}

fn distribution(teams: &[&str], users: &[String], allow_clients: bool) -> Value {
    // STIX forbids empty lists, so absent audiences are left out.
    let mut body = json!({"extension_type": "property-extension", "allow_clients": allow_clients});
    if !teams.is_empty() {
        body["recipient_teams"] = json!(teams);
    }
    if !users.is_empty() {
        body["recipient_users"] = json!(users);
    }
    json!({ DISTRIBUTION_EXTENSION_ID: body })
}

impl World {
    fn publish(&self, object: Value) {
        let (status, v) = json(
            self.node
                .post("/api/objects")
                .bearer_auth(&self.a_admin)
                .header("content-type", STIX)
                .body(object.to_string())
                .send()
                .unwrap(),
        );
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["failures"], json!([]), "{v}");
    }

    fn sees(&self, token: Option<&str>, n: u32) -> bool {
        let id = format!("indicator--00000000-0000-4000-8000-{n:012}");
        let mut req = self.node.get(&format!("/api/objects/{id}"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let by_id = req.send().unwrap().status() == 200;
        let mut list = self.node.get("/api/objects?type=indicator&limit=1000");
        if let Some(t) = token {
            list = list.bearer_auth(t);
        }
        let (_, page) = json(list.send().unwrap());
        let in_list = page["objects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["id"] == id.as_str());
        assert_eq!(by_id, in_list, "by-id and list disagree for {id}");
        by_id
    }
}

#[test]
fn each_team_sees_exactly_what_the_marking_allows() {
    let w = world();
    let b = w.b_team.as_str();
    let a_team = team_id(&w.node);
    w.publish(indicator(1, Tlp::Clear.marking_id(), None));
    w.publish(indicator(2, Tlp::Green.marking_id(), None));
    w.publish(indicator(3, Tlp::Amber.marking_id(), None));
    w.publish(indicator(
        4,
        Tlp::Amber.marking_id(),
        Some(distribution(&[b], &[], false)),
    ));
    w.publish(indicator(
        5,
        Tlp::Amber.marking_id(),
        Some(distribution(&[b], &[], true)),
    ));
    w.publish(indicator(
        6,
        Tlp::AmberStrict.marking_id(),
        Some(distribution(&[b], &[], false)),
    ));
    w.publish(indicator(
        7,
        Tlp::Red.marking_id(),
        Some(distribution(&[], &[format!("bea@{b}")], false)),
    ));
    let mut unmarked = indicator(8, Tlp::Clear.marking_id(), None);
    unmarked
        .as_object_mut()
        .unwrap()
        .remove("object_marking_refs");
    w.publish(unmarked);

    let public = None;
    let table = [
        // (object, public, B service, bea, bob, client C of B, originator A)
        (1, true, true, true, true, true, true),
        (2, false, true, true, true, true, true),
        (3, false, false, false, false, false, true),
        (4, false, true, true, true, false, true),
        (5, false, true, true, true, true, true),
        (6, false, true, true, true, false, true),
        (7, false, false, true, false, false, true),
        (8, false, false, false, false, false, true), // default TLP:AMBER, no one named
    ];
    for (n, p, bs, bea, bob, c, a) in table {
        assert_eq!(w.sees(public, n), p, "public, object {n}");
        assert_eq!(w.sees(Some(&w.b_service), n), bs, "B service, object {n}");
        assert_eq!(w.sees(Some(&w.b_bea), n), bea, "bea, object {n}");
        assert_eq!(w.sees(Some(&w.b_bob), n), bob, "bob, object {n}");
        assert_eq!(w.sees(Some(&w.c_client), n), c, "client C, object {n}");
        assert_eq!(w.sees(Some(&w.a_admin), n), a, "originator A, object {n}");
    }
    assert!(!a_team.is_empty());
}

#[test]
fn red_without_named_persons_is_refused_with_a_reason() {
    let w = world();
    let object = indicator(
        20,
        Tlp::Red.marking_id(),
        Some(distribution(&[&w.b_team], &[], false)),
    );
    let (status, v) = json(
        w.node
            .post("/api/objects")
            .bearer_auth(&w.a_admin)
            .header("content-type", STIX)
            .body(object.to_string())
            .send()
            .unwrap(),
    );
    assert_eq!(status, 422, "{v}");
    assert!(
        v["failures"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("recipient_users"),
        "{v}"
    );
}
