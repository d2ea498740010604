//! Assistance requests between two national teams over federation: asked,
//! accepted, worked and closed, each step seen on both sides; a third
//! node never sees it, and the rules of who may move it hold.

use serde_json::{json, Value};

use crate::federation_net::{eventually, net_node, peer, NetNode};

fn state_at(node: &NetNode, token: &str, id: &str) -> String {
    let (status, body) = node.get(&format!("/api/assistance/{id}"), token);
    if status != 200 {
        return format!("HTTP {status}");
    }
    body["request"]["state"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn an_assistance_request_goes_round_trip_between_two_teams_and_no_further() {
    let a = net_node("DO");
    let b = net_node("CO");
    let c = net_node("UY");
    peer(&a, &b);
    peer(&a, &c);
    peer(&b, &c);
    let ta = a.token("analyst", &["--user", "admin"]);
    let tb = b.token("analyst", &["--user", "admin"]);
    let tc = c.token("analyst", &["--user", "admin"]);
    let read_only_b = b.token("read-only", &[]);

    let (status, body) = a.post(&ta,
        "/api/assistance",
        &json!({"to": b.team, "need": "Malware reverse engineering of a loader seen at two ministries",
                "urgency": "urgent", "tlp": "amber+strict"}),
    );
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(state_at(&a, &ta, &id), "requested");
    eventually(30, "B sees the request", || {
        state_at(&b, &tb, &id) == "requested"
    });
    let (_, listed) = b.get("/api/assistance", &tb);
    let r = &listed["requests"][0];
    assert_eq!(
        (r["requester"].as_str(), r["urgency"].as_str()),
        (Some(a.team.as_str()), Some("urgent"))
    );
    assert_eq!(r["tlp"], "amber+strict");

    // Only the asked team accepts; a read-only user moves nothing.
    assert_eq!(
        a.post(
            &ta,
            &format!("/api/assistance/{id}/state"),
            &json!({"state": "accepted"})
        )
        .0,
        409
    );
    assert_eq!(
        b.post(
            &read_only_b,
            &format!("/api/assistance/{id}/state"),
            &json!({"state": "accepted"})
        )
        .0,
        403
    );
    let (status, body) = b.post(
        &tb,
        &format!("/api/assistance/{id}/state"),
        &json!({"state": "accepted", "note": "Send the sample over the usual channel."}),
    );
    assert_eq!(status, 200, "{body}");
    eventually(30, "A sees it accepted", || {
        state_at(&a, &ta, &id) == "accepted"
    });
    assert_eq!(
        b.post(
            &tb,
            &format!("/api/assistance/{id}/state"),
            &json!({"state": "in-progress"})
        )
        .0,
        200
    );
    eventually(30, "A sees it in progress", || {
        state_at(&a, &ta, &id) == "in-progress"
    });
    assert_eq!(
        a.post(
            &ta,
            &format!("/api/assistance/{id}/state"),
            &json!({"state": "closed", "note": "Thank you, contained."})
        )
        .0,
        200
    );
    eventually(30, "B sees it closed", || {
        state_at(&b, &tb, &id) == "closed"
    });
    let (status, _) = b.post(
        &tb,
        &format!("/api/assistance/{id}/state"),
        &json!({"state": "in-progress"}),
    );
    assert_eq!(status, 409, "nothing leaves closed");

    // Both sides hold the same history, with the notes.
    let (_, at_a) = a.get(&format!("/api/assistance/{id}"), &ta);
    let (_, at_b) = b.get(&format!("/api/assistance/{id}"), &tb);
    let states = |v: &Value| -> Vec<String> {
        v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["state"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        states(&at_a),
        ["requested", "accepted", "in-progress", "closed"]
    );
    assert_eq!(states(&at_a), states(&at_b));
    assert!(at_a.to_string().contains("usual channel") && at_b.to_string().contains("contained"));

    // The console shows both sides the request and its history, and asks.
    let browser = crate::console::client();
    let duty = crate::console::console_sign_in(&browser, &b.url, "admin", &b.init.admin_password);
    let (status, list) = crate::console::page(&browser, &b.url, &duty, "/console/assistance");
    assert_eq!(status, 200);
    assert!(
        list.contains(&format!("/console/assistance/{id}")),
        "{list}"
    );
    let (_, one) = crate::console::page(
        &browser,
        &b.url,
        &duty,
        &format!("/console/assistance/{id}"),
    );
    assert!(
        one.contains("TLP:AMBER+STRICT")
            && one.contains("usual channel")
            && one.contains("contained"),
        "{one}"
    );
    assert!(
        !one.contains("name=\"state\""),
        "nothing may move a closed request: {one}"
    );
    let (status, headers, _) = crate::console::submit(
        &browser,
        &b.url,
        &duty,
        "/console/assistance",
        &[
            ("to", a.team.as_str()),
            ("need", "Translation of a ransom note"),
            ("urgency", "routine"),
            ("tlp", "amber"),
            ("incident_ref", ""),
        ],
    );
    assert_eq!(status, 303);
    let second = headers["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/console/assistance/")
        .to_owned();
    eventually(30, "A sees B's request", || {
        state_at(&a, &ta, &second) == "requested"
    });

    // C: nothing, and bad requests are named.
    assert_eq!(c.get(&format!("/api/assistance/{id}"), &tc).0, 404);
    assert!(!c.stored_ids().contains(&id));
    let (status, body) = a.post(
        &ta,
        "/api/assistance",
        &json!({"to": b.team, "need": "x", "urgency": "soon", "tlp": "amber"}),
    );
    assert_eq!(status, 422);
    assert!(body.to_string().contains("urgency"), "{body}");
    let (status, body) = a.post(
        &ta,
        "/api/assistance",
        &json!({"to": a.team, "need": "x", "urgency": "routine", "tlp": "amber"}),
    );
    assert_eq!(status, 422, "{body}");
}
