//! Incident reports from the public, across three real nodes: a report
//! taken at A's portal for a country whose team is on B reaches B alone
//! (TLP:AMBER+STRICT), is not kept at A, never reaches C; the reporter
//! follows it with the tracking reference; B triages and replies; and
//! the abuse controls hold.

use base64::Engine as _;
use serde_json::{json, Value};

use crate::federation_net::{eventually, net_node, peer, NetNode};

fn member_states(node: &NetNode, admin: &str) {
    let csv = std::fs::read_to_string(
        crate::helpers::shared_examples().join("../../oas/member-states.csv"),
    )
    .expect("../shared/data/oas/member-states.csv");
    let r = node
        .client
        .put(format!("{}/api/member-states", node.url))
        .bearer_auth(admin)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

fn directory_entry(node: &NetNode, admin: &str, name: &str) {
    let r = node
        .client
        .put(format!("{}/api/directory/{}", node.url, node.team))
        .bearer_auth(admin)
        .json(&crate::directory::entry(node, name, &[]))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().unwrap());
}

fn post(node: &NetNode, path: &str, body: &Value) -> (u16, Value) {
    let r = node
        .client
        .post(format!("{}{path}", node.url))
        .json(body)
        .send()
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn report(country: &str, extra: Value) -> Value {
    let mut r = json!({
        "country": country,
        "category": "phishing",
        "description": "A message that looks like the tax office asks for card numbers.",
    });
    if let (Some(r), Some(e)) = (r.as_object_mut(), extra.as_object()) {
        r.extend(e.clone());
    }
    r
}

fn queue(node: &NetNode, token: &str) -> Vec<Value> {
    let (status, body) = node.get("/api/reports", token);
    assert_eq!(status, 200, "{body}");
    body["reports"].as_array().cloned().unwrap_or_default()
}

#[test]
fn a_public_report_reaches_only_its_national_team_is_tracked_and_abuse_is_refused() {
    let a = net_node("CR");
    let b = net_node("PA");
    let c = net_node("JM");
    peer(&a, &b);
    peer(&a, &c);
    peer(&b, &c);
    let admin_a = a.token("admin", &["--user", "admin"]);
    let admin_b = b.token("admin", &["--user", "admin"]);
    let analyst_a = a.token("analyst", &["--user", "admin"]);
    let analyst_b = b.token("analyst", &["--user", "admin"]);
    let analyst_c = c.token("analyst", &["--user", "admin"]);
    for (node, admin, name) in [(&a, &admin_a, "CSIRT-CR"), (&b, &admin_b, "CSIRT-PA")] {
        member_states(node, admin);
        directory_entry(node, admin, name);
    }
    eventually(30, "A's portal routes Panama's reports to CSIRT-PA", || {
        let page = a
            .client
            .get(format!("{}/report/PA", a.url))
            .send()
            .unwrap()
            .text()
            .unwrap();
        page.contains("CSIRT-PA")
    });

    // At A, for Panama: forwarded to B.
    let attachment = b"From: impostor@tax.example\nSubject: refund\n\nSend your card number.\n";
    let (status, sent) = post(
        &a,
        "/api/public/reports",
        &report(
            "pa",
            json!({
                "contact": "ana@example.org",
                "attachment": {"file_name": "message.eml",
                               "content": base64::engine::general_purpose::STANDARD.encode(attachment)},
            }),
        ),
    );
    assert_eq!(status, 201, "{sent}");
    assert_eq!(sent["forwarded"], true, "{sent}");
    assert!(
        sent["routed_to"].as_str().unwrap().contains("CSIRT-PA"),
        "{sent}"
    );
    let reference = sent["reference"].as_str().unwrap().to_owned();
    assert!(reference.starts_with("VR-"), "{reference}");

    // B has it, with the contact and the attachment.
    let mut listed = Vec::new();
    eventually(30, "B's queue holds the report", || {
        listed = queue(&b, &analyst_b);
        !listed.is_empty()
    });
    assert_eq!(listed.len(), 1);
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("incident--"), "{id}");
    assert_eq!(listed[0]["country"], "PA");
    assert_eq!(listed[0]["status"], "received");
    let (status, full) = b.get(&format!("/api/reports/{id}"), &analyst_b);
    assert_eq!(status, 200, "{full}");
    assert_eq!(full["contact"], "ana@example.org");
    assert!(full["description"].as_str().unwrap().contains("tax office"));
    assert_eq!(full["attachment"]["media_type"], "text/plain");
    let file = b
        .client
        .get(format!("{}/api/reports/{id}/attachment", b.url))
        .bearer_auth(&analyst_b)
        .send()
        .unwrap();
    assert!(file.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(file.bytes().unwrap().as_ref(), attachment);
    let stored_b = b
        .stored()
        .into_iter()
        .find(|o| o.id.as_str() == id)
        .expect("B stores it");
    assert_eq!(stored_b.tlp.label(), "TLP:AMBER+STRICT");

    // A keeps nothing of it; C never sees it.
    let status_at = |node: &NetNode| {
        post(
            node,
            "/api/public/reports/status",
            &json!({"reference": reference}),
        )
    };
    eventually(30, "A has forwarded it", || {
        status_at(&a).1["status"] == "forwarded"
    });
    let (_, at_a) = status_at(&a);
    assert!(
        at_a["follow_at"].as_str().unwrap().starts_with(&b.url),
        "{at_a}"
    );
    assert!(!a.stored_ids().contains(&id), "A does not keep the report");
    assert!(queue(&a, &analyst_a).is_empty());
    assert!(!c.stored_ids().contains(&id), "C never receives it");
    assert!(queue(&c, &analyst_c).is_empty());
    assert_eq!(a.get(&format!("/api/reports/{id}"), &analyst_a).0, 404);
    assert_eq!(status_at(&c).0, 404);
    let raw_a = std::fs::read(a.init.dir.path().join("vigia.db")).unwrap();
    let raw_text = String::from_utf8_lossy(&raw_a);
    assert!(
        !raw_text.contains("ana@example.org"),
        "the contact is not in A's database"
    );

    // B triages, links and replies; the reporter sees status and reply.
    let (status, body) = post(
        &b,
        "/api/public/reports/status",
        &json!({"reference": reference.to_lowercase()}),
    );
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("received")),
        "{body}"
    );
    let incident = "incident--6c2f7a51-3f0e-4d7b-9e36-1a2b3c4d5e6f";
    let t = b
        .client
        .post(format!("{}/api/reports/{id}/triage", b.url))
        .bearer_auth(&analyst_b)
        .json(&json!({"status": "linked", "incident_ref": incident, "reply": "Thank you: we have blocked the site."}))
        .send()
        .unwrap();
    assert_eq!(t.status().as_u16(), 200);
    let (_, body) = post(
        &b,
        "/api/public/reports/status",
        &json!({"reference": reference}),
    );
    assert_eq!(body["status"], "linked");
    assert_eq!(body["reply"], "Thank you: we have blocked the site.");
    assert!(
        body.get("contact").is_none() && !body.to_string().contains("tax office"),
        "{body}"
    );
    let bad = b
        .client
        .post(format!("{}/api/reports/{id}/triage", b.url))
        .bearer_auth(&analyst_b)
        .json(&json!({"status": "solved"}))
        .send()
        .unwrap();
    assert_eq!(bad.status().as_u16(), 422);
    assert!(bad.text().unwrap().contains("status"));

    // B's console shows the queue and the report, and triages it.
    let browser = crate::console::client();
    let duty = crate::console::console_sign_in(&browser, &b.url, "admin", &b.init.admin_password);
    let (status, list_page) = crate::console::page(&browser, &b.url, &duty, "/console/reports");
    assert_eq!(status, 200);
    assert!(
        list_page.contains(&format!("/console/reports/{id}")),
        "{list_page}"
    );
    let (_, one) = crate::console::page(&browser, &b.url, &duty, &format!("/console/reports/{id}"));
    assert!(
        one.contains("ana@example.org") && one.contains("TLP:AMBER+STRICT"),
        "{one}"
    );
    assert!(
        one.contains("CSIRT Test") && !one.contains(&format!("<dd>{}</dd>", a.team)),
        "the portal that took it, by name: {one}"
    );
    let (status, _, _) = crate::console::submit(
        &browser,
        &b.url,
        &duty,
        &format!("/console/reports/{id}"),
        &[("status", "closed"), ("incident_ref", ""), ("reply", "")],
    );
    assert_eq!(status, 303);
    let (_, body) = post(
        &b,
        "/api/public/reports/status",
        &json!({"reference": reference}),
    );
    assert_eq!(body["status"], "closed");
    assert_eq!(
        body["reply"], "Thank you: we have blocked the site.",
        "an empty reply keeps the last"
    );
    let (status, _) = crate::console::page(
        &browser,
        &a.url,
        &crate::console::console_sign_in(&browser, &a.url, "admin", &a.init.admin_password),
        &format!("/console/reports/{id}"),
    );
    assert_eq!(status, 404, "A's console has no such report");

    // At B, for Panama: kept at B.
    let (status, local) = post(&b, "/api/public/reports", &report("PA", json!({})));
    assert_eq!(
        (status, &local["forwarded"]),
        (201, &json!(false)),
        "{local}"
    );
    eventually(20, "the local report is queued", || {
        queue(&b, &analyst_b).len() == 2
    });

    // The form works without JavaScript.
    let form = a
        .client
        .get(format!("{}/report/incident", a.url))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        form.contains("name=\"description\"") && form.contains("value=\"PA\""),
        "{form}"
    );
    let parts = reqwest::blocking::multipart::Form::new()
        .text("country", "PA")
        .text("category", "fraud")
        .text(
            "description",
            "Someone sells fake tickets for the national stadium online.",
        )
        .text("contact", "")
        .text("website", "");
    let sent_page = a
        .client
        .post(format!("{}/report/incident", a.url))
        .multipart(parts)
        .send()
        .unwrap();
    assert_eq!(sent_page.status().as_u16(), 201);
    let page = sent_page.text().unwrap();
    assert!(
        page.contains("id=\"reference\"") && page.contains("CSIRT-PA"),
        "{page}"
    );

    // Bad input: each named.
    let (status, body) = post(
        &a,
        "/api/public/reports",
        &report("PA", json!({"category": "worm"})),
    );
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("category"), "{body}");
    let exe = base64::engine::general_purpose::STANDARD.encode(b"MZ\x90\x00\x03\x00\x00\x00");
    let (status, body) = post(
        &a,
        "/api/public/reports",
        &report(
            "PA",
            json!({"attachment": {"file_name": "invoice.pdf", "content": exe}}),
        ),
    );
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("attachment"), "{body}");
    let (status, _) = post(&a, "/api/public/reports", &report("XX", json!({})));
    assert_eq!(status, 422);

    // The honeypot: answered like a person, nothing kept or sent.
    let (status, bot) = post(
        &a,
        "/api/public/reports",
        &report("PA", json!({"website": "http://spam.example"})),
    );
    assert_eq!(status, 201, "{bot}");
    assert_eq!(
        post(
            &a,
            "/api/public/reports/status",
            &json!({"reference": bot["reference"]})
        )
        .0,
        404
    );

    // Size limit, then the per-address limit.
    let big = "x".repeat(3 * 1024 * 1024);
    // Its own connection: the server answers 413 before reading the body
    // and closes the connection, which a shared pool would try to reuse.
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/api/public/reports", a.url))
        .header("content-type", "application/json")
        .body(format!(
            "{{\"country\":\"PA\",\"category\":\"other\",\"description\":\"{big}\"}}"
        ))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    let mut limited = None;
    for i in 0..12 {
        let r = a
            .client
            .post(format!("{}/api/public/reports", a.url))
            .json(&report("PA", json!({})))
            .send()
            .unwrap();
        if r.status().as_u16() == 429 {
            limited = Some((i, r.headers().get("retry-after").is_some()));
            break;
        }
    }
    let (after, retry_after) = limited.expect("the per-address limit takes effect");
    assert!(
        after <= 10 && retry_after,
        "limited after {after} more reports"
    );
    // Reading the portal is not limited.
    assert_eq!(
        a.client
            .get(format!("{}/report", a.url))
            .send()
            .unwrap()
            .status()
            .as_u16(),
        200
    );
}
