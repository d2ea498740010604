//! Correlation across three federated nodes: batch lookup and related
//! objects within entitlement (a TLP:RED indicator never shows in another
//! team's answer, not even as a count), networks, MISP warninglists from
//! pymispwarninglists, and sightings and analysis claims that replicate.

use serde_json::{json, Value};

use crate::federation_net::{eventually, net_node_full, note, note_id, peer, publish, NetNode};
use crate::helpers::{run, stderr, stdout};

fn warninglists_toml() -> String {
    let dir = std::env::var("VIGIA_WARNINGLISTS").unwrap_or_else(|_| {
        panic!(
            "VIGIA_WARNINGLISTS is not set: the correlation test reads MISP's warninglists \
             from pymispwarninglists. Run `source scripts/python-env.sh && ensure_python_env` \
             in this shell first (it installs them into .venv and exports VIGIA_WARNINGLISTS), \
             then run the tests again."
        )
    });
    format!(
        "\n[correlation]\nwarninglists = {dir:?}\nlists = [\"rfc1918\", \"empty-hashes\", \"google\"]\n"
    )
}

fn indicator(n: u32, pattern: &str) -> Value {
    json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": indicator_id(n),
        "created": "2026-03-01T00:00:00.000Z",
        "modified": "2026-03-01T00:00:00.000Z",
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2026-03-01T00:00:00Z"
    })
}

fn indicator_id(n: u32) -> String {
    format!("indicator--10000000-0000-4000-8000-{n:012}")
}

fn lookup(node: &NetNode, token: &str, values: Value) -> Vec<Value> {
    let (status, body) = node.post(token, "/api/lookup", &json!({ "values": values }));
    assert_eq!(status, 200, "{body}");
    body["results"].as_array().unwrap().clone()
}

fn match_ids(answer: &Value) -> Vec<String> {
    let mut ids: Vec<String> = answer["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn related(node: &NetNode, token: &str, id: &str) -> Value {
    let (status, body) = node.get(&format!("/api/objects/{id}/related"), token);
    assert_eq!(status, 200, "{body}");
    body
}

#[test]
fn correlation_sightings_and_claims_across_three_nodes() {
    let lists = warninglists_toml();
    let a = net_node_full("PA", None, &lists);
    let b = net_node_full("CR", None, &lists);
    let c = net_node_full("DO", None, &lists);
    peer(&a, &b);
    peer(&a, &c);
    peer(&b, &c);
    let ta = a.token("analyst", &["--user", "admin"]);
    let tb = b.token("analyst", &["--user", "admin"]);
    let tc = c.token("analyst", &["--user", "admin"]);

    // A: a GREEN indicator for the network. B: a RED one on the same
    // address for its own admin only, and a GREEN one on the network
    // around it.
    let x = indicator_id(1);
    publish(
        &a,
        &indicator(
            1,
            "[ipv4-addr:value = '203.0.113.5'] OR [domain-name:value = 'Evil.Example'] \
             OR [ipv4-addr:value = '10.1.2.3']",
        ),
        &["--tlp", "green"],
    );
    publish(
        &b,
        &indicator(2, "[ipv4-addr:value = '203.0.113.5']"),
        &["--tlp", "red", "--to-user", &format!("admin@{}", b.team)],
    );
    publish(
        &b,
        &indicator(3, "[ipv4-addr:value ISSUBSET '203.0.113.0/24']"),
        &["--tlp", "green"],
    );
    for (node, token) in [(&a, &ta), (&c, &tc)] {
        eventually(30, "the GREEN indicators reach every node", || {
            node.get(&format!("/api/objects/{x}"), token).0 == 200
                && node
                    .get(&format!("/api/objects/{}", indicator_id(3)), token)
                    .0
                    == 200
        });
    }
    eventually(30, "B has A's indicator", || {
        b.get(&format!("/api/objects/{x}"), &tb).0 == 200
    });

    // C sees both GREEN indicators, by the address and by its network;
    // nothing of B's RED indicator, not even in a count.
    let answers = lookup(
        &c,
        &tc,
        json!(["203.0.113.5", "EVIL.example.", "10.1.2.3", "nonsense", {"type": "x509-serial", "value": "zz"}]),
    );
    assert_eq!(match_ids(&answers[0]), [x.clone(), indicator_id(3)]);
    assert_eq!(answers[0]["objects"], 2);
    let vias: Vec<&str> = answers[0]["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["via"].as_str().unwrap())
        .collect();
    assert!(vias.contains(&"203.0.113.0/24"), "{vias:?}");
    assert_eq!(
        answers[0]["countries"],
        json!(["CR", "PA"]),
        "{}",
        answers[0]
    );
    assert_eq!(answers[1]["normalised"], "evil.example");
    assert_eq!(match_ids(&answers[1]), std::slice::from_ref(&x));
    assert_eq!(
        answers[2]["known_benign"], "List of RFC 1918 CIDR blocks",
        "{}",
        answers[2]
    );
    assert!(answers[3]["error"]
        .as_str()
        .unwrap()
        .contains("give its type"));
    assert!(answers[4]["error"]
        .as_str()
        .unwrap()
        .contains("x509-serial"));
    let text = serde_json::to_string(&answers).unwrap();
    assert!(!text.contains(&indicator_id(2)), "RED leaked to C: {text}");
    let at_a = lookup(&a, &ta, json!(["203.0.113.5"]));
    assert_eq!(at_a[0]["objects"], 2);
    assert!(!serde_json::to_string(&at_a)
        .unwrap()
        .contains(&indicator_id(2)));
    // The same from the command line, with A's token.
    let file = a.init.dir.path().join("values.txt");
    std::fs::write(
        &file,
        "# from a feed\n203.0.113.5\nevil.example\n192.0.2.200\n",
    )
    .unwrap();
    let out = run(&[
        "lookup",
        file.to_str().unwrap(),
        "--url",
        &a.url,
        "--token",
        &ta,
    ]);
    let table = stdout(&out);
    assert!(out.status.success(), "{table}{}", stderr(&out));
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("203.0.113.5\tipv4-addr\t2\t")),
        "{table}"
    );
    assert!(
        stderr(&out).contains("2 of 3 value(s) found"),
        "{}",
        stderr(&out)
    );
    // B's admin, the RED recipient, sees all three.
    let at_b = lookup(&b, &tb, json!(["203.0.113.5"]));
    assert_eq!(
        match_ids(&at_b[0]),
        [x.clone(), indicator_id(2), indicator_id(3)]
    );

    // Related objects: A's indicator leads to B's network indicator.
    let rel = related(&c, &tc, &x);
    let names: Vec<&str> = rel["observables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["value"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(serde_json::to_string(&rel)
        .unwrap()
        .contains(&indicator_id(3)));
    assert!(!serde_json::to_string(&rel)
        .unwrap()
        .contains(&indicator_id(2)));

    // Sightings at B and C reach A, the originator, without re-sending X.
    let (s, body) = b.post(
        &tb,
        "/api/sightings",
        &json!({"sighting_of_ref": x, "count": 5,
        "first_seen": "2026-03-02T00:00:00Z", "last_seen": "2026-03-03T00:00:00Z"}),
    );
    assert_eq!(s, 201, "{body}");
    let (s, body) = c.post(
        &tc,
        "/api/sightings",
        &json!({"sighting_of_ref": x, "count": 2}),
    );
    assert_eq!(s, 201, "{body}");
    eventually(30, "A sees both sightings", || {
        related(&a, &ta, &x)["sightings"]["summary"]["count"] == 7
    });
    let summary = &related(&a, &ta, &x)["sightings"]["summary"];
    assert_eq!(
        (summary["teams"].as_u64(), summary["countries"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(
        lookup(&a, &ta, json!(["evil.example"]))[0]["sightings"]["count"],
        7
    );
    // A sighting of something the caller cannot see is refused as unknown.
    let (s, _) = c.post(
        &tc,
        "/api/sightings",
        &json!({"sighting_of_ref": indicator_id(2)}),
    );
    assert_eq!(s, 404);

    // C claims the analysis; A and B see the work in progress.
    let (s, body) = c.post(
        &tc,
        "/api/claims",
        &json!({"object_ref": x,
        "expected_by": "2030-01-01T00:00:00Z", "comment": "Reversing the loader"}),
    );
    assert_eq!(s, 201, "{body}");
    let claim = body["id"].as_str().unwrap().to_owned();
    for (node, token) in [(&a, &ta), (&b, &tb)] {
        eventually(30, "the claim reaches the node", || {
            related(node, token, &x)["claims"][0]["state"] == "in-progress"
        });
    }
    let seen = &related(&b, &tb, &x)["claims"][0];
    assert_eq!(
        (seen["country"].as_str(), seen["comment"].as_str()),
        (Some("DO"), Some("Reversing the loader"))
    );
    // Only C closes it; then with its published analysis.
    let (s, _) = a.post(
        &ta,
        &format!("/api/claims/{claim}"),
        &json!({"state": "withdrawn"}),
    );
    assert!(s == 403 || s == 404, "{s}");
    publish(
        &c,
        &note(77, "Loader analysis: C2 at 203.0.113.5"),
        &["--tlp", "green"],
    );
    let (s, body) = c.post(
        &tc,
        &format!("/api/claims/{claim}"),
        &json!({"state": "published", "result_ref": note_id(77)}),
    );
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["result_ref"], note_id(77));
    let (s, _) = c.post(
        &tc,
        &format!("/api/claims/{claim}"),
        &json!({"state": "withdrawn"}),
    );
    assert_eq!(s, 409, "a claim closes once");
    eventually(
        30,
        "A sees the published analysis linked to the claim",
        || {
            related(&a, &ta, &x)["claims"][0]["result_ref"] == note_id(77)
                && related(&a, &ta, &note_id(77))["claims"][0]["id"] == claim.as_str()
        },
    );

    // The console does the same through the same functions.
    let browser = crate::console::client();
    let duty = crate::console::console_sign_in(&browser, &b.url, "admin", &b.init.admin_password);
    let (status, _, html) = crate::console::submit(
        &browser,
        &b.url,
        &duty,
        "/console/lookup",
        &[("values", "203.0.113.5\n10.1.2.3\n")],
    );
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains(&format!("/console/related/{}", indicator_id(2))),
        "B's admin sees its RED one"
    );
    assert!(
        html.contains("Known benign: List of RFC 1918 CIDR blocks"),
        "{html}"
    );
    let (status, headers, _) = crate::console::submit(
        &browser,
        &b.url,
        &duty,
        &format!("/console/related/{x}/sighting"),
        &[("count", "3"), ("tlp", "green")],
    );
    assert_eq!(status, 303, "a sighting from the console");
    assert_eq!(headers["location"], format!("/console/related/{x}"));
    let (_, html) = crate::console::page(&browser, &b.url, &duty, &format!("/console/related/{x}"));
    assert!(
        html.contains("<strong>10</strong>"),
        "5 + 2 + 3 sightings: {html}"
    );
    assert!(html.contains("Reversing the loader"), "C's claim: {html}");
    let (status, _, _) = crate::console::submit(
        &browser,
        &b.url,
        &duty,
        &format!("/console/related/{}/claim", indicator_id(3)),
        &[
            ("within_hours", "24"),
            ("comment", "Mapping the /24"),
            ("tlp", "green"),
        ],
    );
    assert_eq!(status, 303);
    let (_, html) = crate::console::page(
        &browser,
        &b.url,
        &duty,
        &format!("/console/related/{}", indicator_id(3)),
    );
    assert!(
        html.contains("Mapping the /24") && html.contains("in-progress"),
        "{html}"
    );
}

#[test]
fn bad_patterns_and_oversized_lookups_are_refused_with_reasons() {
    let a = net_node_full("JM", None, "");
    let ta = a.token("analyst", &["--user", "admin"]);
    let bad = indicator(9, "[ipv4-addr:value = '198.51.100.1' AND]");
    let r = a
        .client
        .post(format!("{}/api/objects", a.url))
        .bearer_auth(&ta)
        .header("content-type", "application/stix+json;version=2.1")
        .body(bad.to_string())
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let body: Value = r.json().unwrap();
    let failure = &body["failures"][0];
    assert_eq!(failure["path"], "/pattern", "{body}");
    assert!(
        failure["reason"]
            .as_str()
            .unwrap()
            .contains("at character 37"),
        "{body}"
    );

    let too_many: Vec<String> = (0..100_001)
        .map(|i| format!("10.0.{}.{}", i / 256 % 256, i % 256))
        .collect();
    let (s, body) = a.post(&ta, "/api/lookup", &json!({ "values": too_many }));
    assert_eq!(s, 422, "{body}");
    assert!(body.to_string().contains("values"), "{body}");
    let (s, body) = a.post(&ta, "/api/lookup", &json!({ "vals": [] }));
    assert!(s == 400 || s == 422, "{s} {body}");
    // Anonymous callers look nothing up.
    let r = a
        .client
        .post(format!("{}/api/lookup", a.url))
        .json(&json!({"values": ["198.51.100.1"]}))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
}
