//! The directory and census across real nodes: entries replicate signed,
//! each field reaches only the readers its visibility allows, a forged
//! edit is refused, the Secretariat endorses and onboards, and a census
//! goes out, comes back, is chased and confirmed into the directory.

use serde_json::{json, Value};
use vigia_stix::seal;

use crate::federation::{node_key, signed_push};
use crate::federation_net::{eventually, net_node_init, peer, NetNode};
use crate::helpers::{json as json_of, run, stderr, stdout};

fn secretariat() -> NetNode {
    net_node_init("US", None, &["--kind", "secretariat"], "")
}

fn member(country: &str, secretariat: &NetNode) -> NetNode {
    net_node_init(
        country,
        None,
        &[],
        &format!("[directory]\nsecretariat = {:?}", secretariat.team),
    )
}

fn admin(node: &NetNode) -> String {
    node.token("admin", &["--user", "admin"])
}

fn put(node: &NetNode, path: &str, token: &str, body: &Value) -> (u16, Value) {
    json_of(
        node.client
            .put(format!("{}{path}", node.url))
            .bearer_auth(token)
            .json(body)
            .send()
            .expect("request"),
    )
}

fn post(node: &NetNode, path: &str, token: &str, body: &Value) -> (u16, Value) {
    json_of(
        node.client
            .post(format!("{}{path}", node.url))
            .bearer_auth(token)
            .json(body)
            .send()
            .expect("request"),
    )
}

fn anonymous(node: &NetNode, path: &str) -> (u16, Value) {
    json_of(
        node.client
            .get(format!("{}{path}", node.url))
            .send()
            .expect("request"),
    )
}

/// A full entry for `node`'s team: public, network and restricted fields.
pub fn entry(node: &NetNode, name: &str, restricted_to: &[&str]) -> Value {
    json!({
        "team": node.team,
        "node": node.team,
        "kind": "national-csirt",
        "short_name": name,
        "official_name": format!("{name} national CSIRT"),
        "country": node.country,
        "constituency": {"description": "Government and critical infrastructure", "sectors": ["government", "energy"]},
        "cert_types": ["national"],
        "established": "2012",
        "staff_size": 14,
        "hours": {"always": true, "time_zone": "America/Mexico_City"},
        "languages": ["es", "en"],
        "email": format!("cert@{}.example", node.country.to_lowercase()),
        "phone": "+52 55 5000 0000",
        "emergency": {"phone": "+52 55 5999 9999"},
        "reporting": [{"channel": "email", "address": format!("incidents@{}.example", node.country.to_lowercase())}],
        "services": ["incident-management/incident-coordination", "situational-awareness/communication"],
        "designation": {"kind": "national-csirt", "authority": "Ministry of Security", "instrument": "Decree 12/2012", "date": "2012-03-01"},
        "law_enforcement": {"network_247_member": true, "liaison": "Cybercrime unit liaison officer"},
        "restricted_to": restricted_to,
    })
}

fn parts(view: &Value) -> Vec<String> {
    view["parts"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn entries_replicate_signed_each_field_by_its_visibility_and_forgeries_are_refused() {
    let sec = secretariat();
    let mx = member("MX", &sec);
    let br = member("BR", &sec);
    peer(&sec, &mx);
    peer(&sec, &br);
    peer(&mx, &br);

    let mx_admin = admin(&mx);
    let path = format!("/api/directory/{}", mx.team);
    let (status, body) = put(&mx, &path, &mx_admin, &entry(&mx, "CSIRT-MX", &[&br.team]));
    assert_eq!(status, 200, "{body}");

    // It replicates to both other nodes.
    let br_admin = admin(&br);
    let sec_admin = admin(&sec);
    eventually(30, "BR holds MX's entry with its restricted part", || {
        let (s, v) = br.get(&path, &br_admin);
        s == 200 && parts(&v).len() == 3
    });
    eventually(30, "the Secretariat holds MX's entry", || {
        let (s, v) = sec.get(&path, &sec_admin);
        s == 200 && parts(&v).len() == 2
    });

    // The owner sees everything.
    let (_, own) = mx.get(&path, &mx_admin);
    assert_eq!(parts(&own), ["network", "public", "restricted"]);
    assert_eq!(own["entry"]["emergency"]["phone"], "+52 55 5999 9999");
    assert_eq!(own["origin_node"], mx.team.as_str());
    // A member named for the restricted part sees every field.
    let (_, at_br) = br.get(&path, &br_admin);
    assert_eq!(at_br["entry"]["emergency"]["phone"], "+52 55 5999 9999");
    assert_eq!(
        at_br["entry"]["law_enforcement"]["network_247_member"],
        true
    );
    assert_eq!(at_br["entry"]["phone"], "+52 55 5000 0000");
    // Another member sees public and network fields, not restricted ones.
    let (_, at_sec) = sec.get(&path, &sec_admin);
    assert_eq!(parts(&at_sec), ["network", "public"]);
    assert_eq!(at_sec["entry"]["staff_size"], 14);
    assert!(at_sec["entry"]["emergency"].is_null(), "{at_sec}");
    assert!(at_sec["entry"]["law_enforcement"].is_null(), "{at_sec}");
    // The public sees who the national contact is and how to report.
    let (status, public) = anonymous(&br, &path);
    assert_eq!(status, 200, "{public}");
    assert_eq!(parts(&public), ["public"]);
    assert_eq!(public["entry"]["designation"]["kind"], "national-csirt");
    assert_eq!(
        public["entry"]["reporting"][0]["address"],
        "incidents@mx.example"
    );
    for hidden in [
        "phone",
        "staff_size",
        "emergency",
        "law_enforcement",
        "node_key",
    ] {
        assert!(
            public["entry"][hidden].is_null(),
            "{hidden} is public: {public}"
        );
    }
    // The public TAXII-free listing and the anonymous export agree.
    let (_, listing) = anonymous(&br, "/api/directory");
    assert!(listing.to_string().contains("CSIRT-MX"));
    assert!(!listing.to_string().contains("5999"), "{listing}");

    // The Secretariat endorses MX's designation; BR sees it valid.
    let endorse = format!("{path}/endorsements");
    let (status, body) = post(
        &sec,
        &endorse,
        &sec_admin,
        &json!({"subject": "designation"}),
    );
    assert_eq!(status, 201, "{body}");
    eventually(30, "BR sees the endorsement", || {
        let (_, v) = br.get(&path, &br_admin);
        v["endorsements"][0]["valid"] == true
    });
    // Only the Secretariat's node endorses.
    let (status, body) = post(&br, &endorse, &br_admin, &json!({"subject": "designation"}));
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("only the Secretariat"), "{body}");

    // A forged edit: BR cannot publish MX's entry, locally…
    let mut forged = entry(&mx, "HIJACKED", &[]);
    forged["node"] = json!(br.team);
    let (status, body) = put(&br, &path, &br_admin, &forged);
    assert_eq!(status, 400, "{body}");
    assert!(
        body.to_string().contains("not a team of this node"),
        "{body}"
    );
    // …nor by sealing a new version with its own key and pushing it.
    let ext = vigia_directory::DIRECTORY_EXTENSION_ID;
    let mut object = json!({
        "type": "identity", "spec_version": "2.1", "id": mx.team,
        "created": "2026-01-01T00:00:00.000Z", "identity_class": "organization",
        "object_marking_refs": [vigia_stix::Tlp::Clear.marking_id()],
        "extensions": {
            vigia_stix::DISTRIBUTION_EXTENSION_ID: {"extension_type": "property-extension"},
            ext: {"extension_type": "property-extension", "tier": "public", "team": mx.team, "node": br.team,
                  "fields": {"team": mx.team, "node": br.team, "short_name": "HIJACKED", "official_name": "Hijacked", "country": "MX"}}
        }
    });
    object["modified"] = json!("2099-01-01T00:00:00.000000Z");
    object["name"] = json!("Hijacked");
    let sealed = seal(
        &object.to_string(),
        &node_key(&br),
        &br.team,
        &br.team,
        vec![],
    )
    .unwrap();
    let resp = signed_push(&sec, &node_key(&br), &format!("{{\"objects\":[{sealed}]}}"))
        .send()
        .unwrap();
    let (status, body) = json_of(resp);
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["failure_count"], 1, "{body}");
    assert!(
        body.to_string().contains("may not change it") || body.to_string().contains("another node"),
        "{body}"
    );
    let (_, after) = sec.get(&path, &sec_admin);
    assert_eq!(after["entry"]["short_name"], "CSIRT-MX");

    // A changed designation voids the endorsement.
    let mut changed = entry(&mx, "CSIRT-MX", &[&br.team]);
    changed["designation"]["instrument"] = json!("Decree 7/2026");
    let (status, body) = put(&mx, &path, &mx_admin, &changed);
    assert_eq!(status, 200, "{body}");
    eventually(30, "BR sees the endorsement void", || {
        let (_, v) = br.get(&path, &br_admin);
        v["endorsements"][0]["valid"] == false
            && v["entry"]["designation"]["instrument"] == "Decree 7/2026"
    });
    // Every read of network or restricted fields is audited.
    let (_, audit) = br.get("/api/audit?limit=1000", &br_admin);
    assert!(audit.to_string().contains("directory.read"), "{audit}");
}

#[test]
fn a_census_goes_out_is_chased_answered_and_confirmed_and_the_secretariat_onboards() {
    let sec = secretariat();
    let mx = member("MX", &sec);
    let br = member("BR", &sec);
    peer(&sec, &mx);
    peer(&sec, &br);
    let (sec_admin, mx_admin, br_admin) = (admin(&sec), admin(&mx), admin(&br));
    for (node, token, name) in [(&mx, &mx_admin, "CSIRT-MX"), (&br, &br_admin, "CERT-BR")] {
        let (s, b) = put(
            node,
            &format!("/api/directory/{}", node.team),
            token,
            &entry(node, name, &[&sec.team]),
        );
        assert_eq!(s, 200, "{b}");
    }
    eventually(30, "the Secretariat holds both entries", || {
        let (_, v) = sec.get("/api/directory", &sec_admin);
        v["entries"].as_array().is_some_and(|a| a.len() == 2)
    });

    // The register comes from the OAS list; coverage is computed on it.
    let csv = std::fs::read_to_string(
        crate::helpers::shared_examples().join("../../oas/member-states.csv"),
    )
    .expect("../shared/data/oas/member-states.csv");
    let resp = sec
        .client
        .put(format!("{}/api/member-states", sec.url))
        .bearer_auth(&sec_admin)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let (status, coverage) = sec.get("/api/coverage", &sec_admin);
    assert_eq!(status, 200, "{coverage}");
    let without: Vec<&str> = coverage["states_without_contact"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        without.len(),
        33,
        "35 states, 2 with a national CSIRT: {without:?}"
    );
    assert!(!without.contains(&"MX") && without.contains(&"HT"));
    let out = run(&["coverage", "--data-dir", sec.dir()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Haiti"), "{}", stdout(&out));

    // The census goes to both national teams.
    let (status, campaign) = post(
        &sec,
        "/api/census/campaigns",
        &sec_admin,
        &json!({"title": "Census 2026", "recipients": [mx.team, br.team], "deadline": "2026-12-31"}),
    );
    assert_eq!(status, 201, "{campaign}");
    let id = campaign["id"].as_str().unwrap().to_owned();
    eventually(30, "MX receives the census", || {
        let (_, v) = mx.get("/api/census/inbox", &mx_admin);
        v["requests"][0]["campaign"] == id.as_str()
    });

    // MX answers from the prefilled form; its entry does not change yet.
    let (_, form) = mx.get(&format!("/api/census/campaigns/{id}/form"), &mx_admin);
    assert_eq!(form["answers"]["a2-country"], "MX", "{form}");
    let mut answers = form["answers"].clone();
    answers["c12-staff"] = json!(25);
    answers["d17-sectors"] = json!(["government", "energy", "healthcare"]);
    answers["j43-training"] = json!("Malware analysis in 2027");
    let (status, body) = put(
        &mx,
        &format!("/api/census/campaigns/{id}/response"),
        &mx_admin,
        &json!({"answers": answers}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["pending_changes"].as_array().unwrap().len(),
        2,
        "{body}"
    );
    let (_, own) = mx.get(&format!("/api/directory/{}", mx.team), &mx_admin);
    assert_eq!(own["entry"]["staff_size"], 14);
    // A bad answer is named.
    let (status, body) = put(
        &mx,
        &format!("/api/census/campaigns/{id}/response"),
        &mx_admin,
        &json!({"answers": {"c12-staff": "many"}}),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("c12-staff"), "{body}");

    eventually(30, "the Secretariat sees MX's answers", || {
        let (_, v) = sec.get(&format!("/api/census/campaigns/{id}"), &sec_admin);
        v["responded"] == 1 && v["completion"] == 50
    });

    // BR, which has not answered, is reminded.
    let (status, body) = post(
        &sec,
        &format!("/api/census/campaigns/{id}/reminders"),
        &sec_admin,
        &json!({}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reminded"], json!([br.team]));
    eventually(30, "BR receives the reminder", || {
        let (_, v) = br.get("/api/census/inbox", &br_admin);
        v["requests"][0]["reminder"] == 1
    });

    // MX confirms: its entry is updated, republished and seen by the
    // Secretariat; the response history has both revisions.
    let (status, body) = post(
        &mx,
        &format!("/api/census/campaigns/{id}/confirmation"),
        &mx_admin,
        &json!({}),
    );
    assert_eq!(status, 200, "{body}");
    eventually(30, "the Secretariat sees the confirmed entry", || {
        let (_, v) = sec.get(&format!("/api/directory/{}", mx.team), &sec_admin);
        let (_, c) = sec.get(&format!("/api/census/campaigns/{id}"), &sec_admin);
        let mx_status = c["recipients"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["team"] == mx.team.as_str()).cloned())
            .unwrap_or_default();
        v["entry"]["staff_size"] == 25 && c["confirmed"] == 1 && mx_status["revisions"] == 2
    });
    let out = run(&["census", "status", "--data-dir", sec.dir(), &id]);
    assert!(
        stdout(&out).contains("1 of 2 answered (50%), 1 confirmed"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );

    // BR answers in the console: the form is prefilled from its entry, a
    // bad answer is named, and "send and apply" updates its entry.
    let c = crate::console::client();
    let br_console = crate::console::console_sign_in(&c, &br.url, "admin", &br.init.admin_password);
    let (status, census) = crate::console::page(&c, &br.url, &br_console, "/console/census");
    assert_eq!(status, 200);
    assert!(
        census.contains(&format!("href=\"/console/census/{id}\"")),
        "{census}"
    );
    let form_path = format!("/console/census/{id}");
    let (status, form) = crate::console::page(&c, &br.url, &br_console, &form_path);
    assert_eq!(status, 200);
    assert!(
        form.contains("name=\"q-a2-country\" maxlength=\"4000\" value=\"BR\""),
        "{form}"
    );
    let (status, _, refused) = crate::console::submit(
        &c,
        &br.url,
        &br_console,
        &form_path,
        &[
            ("q-a2-country", "BR"),
            ("q-c12-staff", "many"),
            ("action", "send"),
        ],
    );
    assert_eq!(status, 400, "{refused}");
    assert!(refused.contains("c12-staff"), "{refused}");
    let (status, _, applied) = crate::console::submit(
        &c,
        &br.url,
        &br_console,
        &form_path,
        &[
            ("q-a1-name", "CERT-BR"),
            ("q-a2-country", "BR"),
            ("q-c12-staff", "40"),
            ("q-d17-sectors", "government\nfinancial-services"),
            ("action", "apply"),
        ],
    );
    assert_eq!(status, 200, "{applied}");
    assert!(applied.contains("id=\"census-outcome\""), "{applied}");
    eventually(30, "the Secretariat sees BR's confirmed entry", || {
        let (_, v) = sec.get(&format!("/api/directory/{}", br.team), &sec_admin);
        let (_, c) = sec.get(&format!("/api/census/campaigns/{id}"), &sec_admin);
        v["entry"]["staff_size"] == 40 && c["confirmed"] == 2 && c["completion"] == 100
    });

    // Onboarding: notification recorded, then activation, which endorses
    // the membership of MX's team; BR sees it.
    let out = run(&[
        "member-states",
        "notify",
        "--data-dir",
        sec.dir(),
        "MX",
        "--on",
        "2026-01-10",
        "--text",
        "Note verbale OEA/12/2026",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&[
        "member-states",
        "activate",
        "--data-dir",
        sec.dir(),
        "MX",
        "--team",
        &mx.team,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (_, states) = sec.get("/api/member-states", &sec_admin);
    let mx_state = states["member_states"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["iso2"] == "MX")
        .unwrap()
        .clone();
    assert_eq!(mx_state["notified_on"], "2026-01-10");
    assert!(mx_state["activated_on"].is_string(), "{mx_state}");
    // Activation before notification is refused.
    let out = run(&[
        "member-states",
        "activate",
        "--data-dir",
        sec.dir(),
        "BR",
        "--team",
        &br.team,
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("has not notified"),
        "{}",
        stderr(&out)
    );

    // Exports, as a member node sees the directory.
    let out = run(&[
        "directory",
        "export",
        "--data-dir",
        mx.dir(),
        "--format",
        "global-irt",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let irt: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(
        irt.as_array()
            .unwrap()
            .iter()
            .any(|t| t["short-team-name"] == "CSIRT-MX" && t["country-code"] == "MX"),
        "{irt}"
    );
    let out = run(&[
        "directory",
        "export",
        "--data-dir",
        mx.dir(),
        "--format",
        "rfc2350",
    ]);
    assert!(
        stdout(&out).contains("2.1 Name of the Team"),
        "{}",
        stdout(&out)
    );
    let out = run(&[
        "directory",
        "export",
        "--data-dir",
        mx.dir(),
        "--format",
        "security-txt",
    ]);
    let text = stdout(&out);
    assert!(
        text.contains("Contact: mailto:incidents@mx.example") && text.contains("Expires: "),
        "{text}"
    );
    let (status, score) = mx.get(&format!("/api/standards?team={}", mx.team), &mx_admin);
    assert_eq!(status, 200, "{score}");
    assert!(score["scores"][0]["percent"].as_u64().is_some(), "{score}");
}
