//! Federation between real nodes: what travels where by marking, relay,
//! outbound policy, catch-up after downtime and partition, refusal of
//! tampered, unknown and replayed requests, and crash safety.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use vigia_sign::message::{content_digest, sign_request, RequestParts};
use vigia_sign::NodeKey;
use vigia_stix::{seal, Tlp};

use crate::federation_net::{eventually, net_node, note, note_id, peer, publish, settle, NetNode};
use crate::helpers::{run, stderr, stdout};

fn has(node: &NetNode, id: &str) -> bool {
    node.stored_ids().contains(id)
}

fn holders(nodes: &[&NetNode], id: &str) -> BTreeSet<String> {
    nodes
        .iter()
        .filter(|n| has(n, id))
        .map(|n| n.country.clone())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn add_user(node: &NetNode, name: &str) -> String {
    let out = run(&[
        "user",
        "add",
        "--data-dir",
        node.dir(),
        name,
        "--role",
        "analyst",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    node.token("analyst", &["--user", name])
}

/// Five nodes in a partial mesh: CR–BR, CR–JM, BR–JM, JM–MX, MX–AR.
/// AR is reachable from CR only through JM and MX.
#[test]
fn five_nodes_share_exactly_what_each_marking_allows() {
    let cr = net_node("CR");
    let br = net_node("BR");
    let jm = net_node("JM");
    let mx = net_node("MX");
    let ar = net_node("AR");
    for (a, b) in [(&cr, &br), (&cr, &jm), (&br, &jm), (&jm, &mx), (&mx, &ar)] {
        peer(a, b);
    }
    let all = [&cr, &br, &jm, &mx, &ar];

    // GREEN to the network reaches every node, AR by relay.
    let out = publish(&cr, &note(1, "phishing wave"), &["--tlp", "green"]);
    assert!(out.contains("queued for 2 peer(s)"), "{out}");
    eventually(30, "GREEN reaches all five nodes", || {
        holders(&all, &note_id(1)) == set(&["CR", "BR", "JM", "MX", "AR"])
    });
    // CR told BR and JM that both were getting it, so BR relays nothing
    // and JM relays only to MX (vigia_taxii::relay).
    let relayed_to = |node: &NetNode| -> BTreeSet<String> {
        let token = node.token("analyst", &["--user", "admin"]);
        let (status, rows) = node.get(&format!("/api/objects/{}/deliveries", note_id(1)), &token);
        assert_eq!(status, 200, "{rows}");
        let name = |team: &str| {
            all.iter()
                .find(|n| n.team == team)
                .map_or(team.to_owned(), |n| n.country.clone())
        };
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| name(r["peer"].as_str().unwrap()))
            .collect()
    };
    assert_eq!(relayed_to(&cr), set(&["BR", "JM"]));
    assert_eq!(relayed_to(&br), set(&[]), "JM was named covered");
    assert_eq!(relayed_to(&jm), set(&["MX"]), "BR was named covered");
    assert_eq!(relayed_to(&mx), set(&["AR"]));

    // AMBER to BR and JM reaches exactly those two; they do not pass it on.
    publish(
        &cr,
        &note(2, "amber"),
        &["--tlp", "amber", "--to", "BR", "--to", "JM"],
    );
    eventually(30, "AMBER reaches BR and JM", || {
        holders(&all, &note_id(2)).is_superset(&set(&["BR", "JM"]))
    });

    // RED reaches only the named person at BR, not a colleague.
    let ana = add_user(&br, "ana");
    let bruno = add_user(&br, "bruno");
    let to_user = format!("ana@{}", br.team);
    publish(
        &cr,
        &note(3, "red"),
        &["--tlp", "red", "--to-user", &to_user],
    );
    eventually(30, "RED reaches BR", || has(&br, &note_id(3)));
    assert_eq!(br.get(&format!("/api/objects/{}", note_id(3)), &ana).0, 200);
    assert_eq!(
        br.get(&format!("/api/objects/{}", note_id(3)), &bruno).0,
        404
    );

    // AMBER+STRICT to BR is not visible to BR's client team; AMBER with
    // allow_clients is.
    let admin = br.token("admin", &["--user", "admin"]);
    let resp = br
        .client
        .post(format!("{}/api/teams", br.url))
        .bearer_auth(&admin)
        .json(&json!({"name": "Banco Central CSIRT", "country": "BR", "kind": "sector", "client_of": br.team}))
        .send()
        .unwrap();
    let (status, team) = crate::helpers::json(resp);
    assert_eq!(status, 201, "{team}");
    let client = br.token("analyst", &["--team", team["id"].as_str().unwrap()]);
    publish(
        &cr,
        &note(4, "strict"),
        &["--tlp", "amber+strict", "--to", "BR"],
    );
    publish(
        &cr,
        &note(5, "clients ok"),
        &["--tlp", "amber", "--to", "BR", "--allow-clients"],
    );
    eventually(30, "both reach BR", || {
        has(&br, &note_id(4)) && has(&br, &note_id(5))
    });
    assert_eq!(
        br.get(&format!("/api/objects/{}", note_id(4)), &client).0,
        404
    );
    assert_eq!(
        br.get(&format!("/api/objects/{}", note_id(5)), &client).0,
        200
    );

    // CR's outbound policy keeps incidents home, whatever the marking.
    let cr_admin = cr.token("admin", &["--user", "admin"]);
    let resp = cr
        .client
        .put(format!("{}/api/federation/outbound-policy", cr.url))
        .bearer_auth(&cr_admin)
        .json(&json!({"deny_types": ["incident"]}))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let incident = json!({
        "type": "incident", "spec_version": "2.1",
        "id": "incident--00000000-0000-4000-8000-000000000006",
        "created": "2026-02-01T00:00:00.000Z", "modified": "2026-02-01T00:00:00.000Z",
        "name": "Ransomware at a hospital"
    });
    let out = publish(&cr, &incident, &["--tlp", "green"]);
    assert!(out.contains("queued for 0 peer(s)"), "{out}");
    publish(&cr, &note(7, "after the policy"), &["--tlp", "green"]);
    eventually(30, "the note after the policy reaches AR", || {
        has(&ar, &note_id(7))
    });
    settle();
    let incident_id = "incident--00000000-0000-4000-8000-000000000006";
    assert_eq!(
        holders(&all, incident_id),
        set(&["CR"]),
        "the incident never left CR"
    );
    assert_eq!(
        holders(&all, &note_id(2)),
        set(&["CR", "BR", "JM"]),
        "AMBER was passed on"
    );
    assert_eq!(
        holders(&all, &note_id(3)),
        set(&["CR", "BR"]),
        "RED went beyond BR"
    );
    assert_eq!(holders(&all, &note_id(4)), set(&["CR", "BR"]));

    // The originator sees where each object went.
    let (status, deliveries) = cr.get(
        &format!("/api/objects/{}/deliveries", note_id(1)),
        &cr_admin,
    );
    assert_eq!(status, 200);
    let delivered: BTreeSet<String> = deliveries
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["state"] == "delivered")
        .map(|d| d["peer"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(delivered.len(), 2, "{deliveries}");
    let (_, audit) = cr.get("/api/audit?limit=500", &cr_admin);
    assert!(
        audit.to_string().contains("outbound_policy.change"),
        "policy change audited"
    );

    // Peer status shows each peer reachable with nothing backlogged.
    let out = run(&["peer", "status", "--data-dir", cr.dir(), "--json"]);
    let peers: Value = serde_json::from_str(&stdout(&out)).unwrap();
    for p in peers.as_array().unwrap() {
        assert_eq!(p["reachable"], true, "{p}");
        assert_eq!(p["backlog"], 0, "{p}");
    }
}

/// CR–BR–JM in a line. JM down while CR publishes, then JM cut off (BR
/// down): each time it catches up once it can.
#[test]
fn a_node_down_or_cut_off_catches_up_without_help() {
    let cr = net_node("CR");
    let mut br = net_node("BR");
    let mut jm = net_node("JM");
    peer(&cr, &br);
    peer(&br, &jm);

    jm.kill();
    publish(&cr, &note(11, "while JM was down"), &["--tlp", "green"]);
    eventually(30, "BR has it", || has(&br, &note_id(11)));
    jm.start();
    eventually(30, "JM catches up after restart", || has(&jm, &note_id(11)));

    br.kill();
    publish(&cr, &note(12, "while JM was cut off"), &["--tlp", "green"]);
    settle();
    assert!(!has(&jm, &note_id(12)), "JM had no path");
    let out = run(&["peer", "status", "--data-dir", cr.dir(), "--json"]);
    let peers: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        peers[0]["reachable"], false,
        "CR sees BR unreachable: {peers}"
    );
    assert!(peers[0]["backlog"].as_i64().unwrap() >= 1, "{peers}");
    br.start();
    eventually(30, "JM converges once BR is back", || {
        has(&jm, &note_id(12))
    });
}

/// Signs a push to `to`'s network collection as the holder of `key`.
pub(crate) fn signed_push(
    to: &NetNode,
    key: &NodeKey,
    body: &str,
) -> reqwest::blocking::RequestBuilder {
    let url = format!("{}/taxii2/api/collections/network/objects/", to.url);
    let digest = content_digest(body.as_bytes());
    let created = time::OffsetDateTime::now_utc().unix_timestamp();
    let parts = RequestParts {
        method: "POST",
        target_uri: &url,
        content_digest: Some(&digest),
    };
    let h = sign_request(key, &parts, created, &uuid::Uuid::new_v4().to_string()).unwrap();
    to.client
        .post(&url)
        .header("content-type", "application/taxii+json;version=2.1")
        .header("accept", "application/taxii+json;version=2.1")
        .header("content-digest", digest)
        .header("signature-input", h.signature_input)
        .header("signature", h.signature)
        .body(body.to_owned())
}

pub(crate) fn node_key(node: &NetNode) -> NodeKey {
    NodeKey::from_pkcs8_pem(
        &std::fs::read_to_string(node.init.dir.path().join("node.key")).unwrap(),
    )
    .unwrap()
}

fn green(n: u32, text: &str) -> Value {
    let mut v = note(n, text);
    v["object_marking_refs"] = json!([Tlp::Green.marking_id()]);
    v["extensions"] =
        json!({vigia_stix::DISTRIBUTION_EXTENSION_ID: {"extension_type": "property-extension"}});
    v
}

fn envelope(objects: &[String]) -> String {
    format!("{{\"objects\":[{}]}}", objects.join(","))
}

fn audit_text(node: &NetNode) -> String {
    let token = node.token("admin", &["--user", "admin"]);
    node.get("/api/audit?limit=1000", &token).1.to_string()
}

#[test]
fn tampered_unknown_and_replayed_requests_are_refused_and_audited() {
    let cr = net_node("CR");
    let br = net_node("BR");
    peer(&cr, &br);
    let br_key = node_key(&br);

    // A tampered object, correctly delivered by a peer, is refused.
    let sealed = seal(
        &green(21, "genuine").to_string(),
        &br_key,
        &br.team,
        &br.team,
        vec![],
    )
    .unwrap();
    let mut tampered: Value = serde_json::from_str(&sealed).unwrap();
    tampered["content"] = json!("forged");
    let resp = signed_push(&cr, &br_key, &envelope(&[tampered.to_string()]))
        .send()
        .unwrap();
    let (status, body) = crate::helpers::json(resp);
    assert_eq!(status, 202);
    assert_eq!(body["failure_count"], 1, "{body}");
    assert!(body.to_string().contains("altered"), "{body}");
    assert!(!cr.stored_ids().contains(&note_id(21)));

    // An object claiming BR as origin but sealed with another key.
    let impostor = NodeKey::from_seed([9; 32]);
    let forged = seal(
        &green(22, "forged origin").to_string(),
        &impostor,
        &br.team,
        &br.team,
        vec![],
    )
    .unwrap();
    let resp = signed_push(&cr, &br_key, &envelope(&[forged]))
        .send()
        .unwrap();
    let (_, body) = crate::helpers::json(resp);
    assert_eq!(body["failure_count"], 1, "{body}");
    assert!(body.to_string().contains("not the one trusted"), "{body}");

    // A request signed by a key that is not a peer.
    let resp = signed_push(&cr, &impostor, &envelope(std::slice::from_ref(&sealed)))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);

    // A malformed relay hint refuses the whole delivery and says why.
    let body = format!(r#"{{"objects":[{sealed}],"x_vigia_covered":{{"sets":[],"objects":[0]}}}}"#);
    let resp = signed_push(&cr, &br_key, &body).send().unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let text = resp.text().unwrap();
    assert!(
        text.contains("x_vigia_covered: an object points at set 0"),
        "{text}"
    );
    assert!(!cr.stored_ids().contains(&note_id(21)), "nothing stored");

    // The genuine object is stored; the identical request replayed is
    // refused; a fresh delivery of it is idempotent.
    let request = signed_push(&cr, &br_key, &envelope(std::slice::from_ref(&sealed)))
        .build()
        .unwrap();
    let replay = request.try_clone().unwrap();
    let first = cr.client.execute(request).unwrap();
    assert_eq!(first.status().as_u16(), 202);
    assert!(cr.stored_ids().contains(&note_id(21)));
    let second = cr.client.execute(replay).unwrap();
    assert_eq!(
        second.status().as_u16(),
        401,
        "a replayed signature is refused"
    );
    let again = signed_push(&cr, &br_key, &envelope(&[sealed]))
        .send()
        .unwrap();
    let (_, body) = crate::helpers::json(again);
    assert_eq!(body["success_count"], 1, "{body}");
    assert!(body.to_string().contains("already stored"), "{body}");
    let copies = cr
        .stored()
        .iter()
        .filter(|o| o.id.as_str() == note_id(21))
        .count();
    assert_eq!(copies, 1, "stored once");

    // Publishing is the same over the JSON API and TAXII: an object that
    // carries the distribution extension is sealed and delivered.
    let analyst = cr.token("analyst", &["--user", "admin"]);
    let resp = cr
        .client
        .post(format!("{}/api/objects", cr.url))
        .bearer_auth(&analyst)
        .header("content-type", crate::helpers::STIX)
        .body(green(31, "via the API").to_string())
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let resp = cr
        .client
        .post(format!(
            "{}/taxii2/api/collections/knowledge/objects/",
            cr.url
        ))
        .bearer_auth(&analyst)
        .header("content-type", "application/taxii+json;version=2.1")
        .header("accept", "application/taxii+json;version=2.1")
        .body(envelope(&[green(32, "via TAXII").to_string()]))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 202);
    eventually(30, "both reach BR", || {
        let held = br.stored_ids();
        held.contains(&note_id(31)) && held.contains(&note_id(32))
    });

    let audit = audit_text(&cr);
    assert!(audit.contains("federation.refused"), "refusals audited");
    assert!(
        audit.contains("not a peer of this node"),
        "unknown key audited"
    );
    assert!(audit.contains("replayed request"), "replay audited");
    let metrics = cr
        .client
        .get(format!("{}/metrics", cr.url))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains("vigia_federation_refused_objects_total"),
        "refusals counted"
    );
    assert!(
        metrics.contains("vigia_federation_refused_requests_total"),
        "requests counted"
    );
}

/// Everything the sender recorded as delivered survives a SIGKILL of the
/// receiver, and the rest arrives after it restarts.
#[test]
fn kill_9_mid_sync_loses_nothing_acknowledged() {
    let cr = net_node("CR");
    let mut br = net_node("BR");
    peer(&cr, &br);
    let count = 3000u32;
    let objects: Vec<Value> = (0..count)
        .map(|i| note(100_000 + i, &format!("bulk {i}")))
        .collect();
    let file = cr.init.dir.path().join("bulk.json");
    std::fs::write(&file, json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001", "objects": objects}).to_string()).unwrap();
    let out = run(&[
        "publish",
        "--data-dir",
        cr.dir(),
        file.to_str().unwrap(),
        "--tlp",
        "green",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    eventually(60, "some deliveries are acknowledged", || {
        !delivered_at(&cr).is_empty()
    });
    br.kill();
    let delivered = delivered_at(&cr);
    let held = br.stored_ids();
    assert!(!delivered.is_empty());
    for id in &delivered {
        assert!(
            held.contains(id),
            "{id} was acknowledged but is not stored after kill -9"
        );
    }
    br.start();
    let notes = || {
        br.stored()
            .iter()
            .filter(|o| o.object_type == "note")
            .count()
    };
    let arrived = || notes() == count as usize;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !arrived() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let status = stdout(&run(&["peer", "status", "--data-dir", cr.dir()]));
    let back = stdout(&run(&["peer", "status", "--data-dir", br.dir()]));
    assert!(
        arrived(),
        "{} of {count} arrived after restart; CR: {status}; BR: {back}",
        notes()
    );
}

/// Ids the node's outbox records as delivered.
fn delivered_at(node: &NetNode) -> BTreeSet<String> {
    let url = format!(
        "sqlite://{}",
        node.init.dir.path().join("vigia.db").display()
    );
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            let rows: Vec<(String,)> = sqlx::query_as(
                "SELECT o.id FROM outbox b JOIN objects o ON o.date_added = b.date_added WHERE b.state = 'delivered'",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            pool.close().await;
            rows.into_iter().map(|r| r.0).collect()
        })
}

/// A test CA and a certificate for 127.0.0.1 signed by it, made with openssl.
fn test_pki(dir: &std::path::Path) {
    std::fs::create_dir_all(dir).unwrap();
    let script = r#"
set -e
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=vigia-test-ca 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout node.key -out node.csr -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n' > ext.cnf
openssl x509 -req -in node.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out node.pem -days 2 -extfile ext.cnf 2>/dev/null
"#;
    let status = std::process::Command::new("bash")
        .args(["-c", script])
        .current_dir(dir)
        .status()
        .expect("bash and openssl run");
    assert!(status.success(), "openssl made the test PKI");
}

/// Two nodes serving HTTPS with rustls federate; the peers trust the test
/// CA through `federation.ca_file`.
#[test]
fn peers_federate_over_https() {
    let pki = crate::helpers::TempDir::new("pki");
    test_pki(pki.path());
    let cr = crate::federation_net::net_node_with("CR", Some(pki.path()));
    let br = crate::federation_net::net_node_with("BR", Some(pki.path()));
    assert!(cr.url.starts_with("https://"));
    let health = cr.client.get(format!("{}/healthz", cr.url)).send().unwrap();
    assert!(health.status().is_success(), "the node answers over TLS");
    peer(&cr, &br);
    publish(&cr, &note(41, "over TLS"), &["--tlp", "green"]);
    eventually(30, "the note crosses over https", || has(&br, &note_id(41)));
}
