//! The network's working life across three federated nodes (issue 11):
//! events and their iCalendar feeds (public and per user), a milestone
//! met by training needs, the annual report assembled per reader (a
//! section marked AMBER for one team never reaches another's copy), and
//! the readiness index built only from countries that opted in.

use serde_json::{json, Value};

use crate::federation_net::{eventually, net_node, peer, NetNode};

fn publish(node: &NetNode, token: &str, kind: &str, record: Value) -> String {
    let (status, body) = node.post(token, &format!("/api/cooperation/{kind}"), &record);
    assert_eq!(status, 201, "{kind}: {body}");
    body["id"].as_str().unwrap().to_owned()
}

fn text(node: &NetNode, path: &str, token: Option<&str>) -> (u16, String, String) {
    let mut r = node.client.get(format!("{}{path}", node.url));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, r.text().unwrap())
}

fn assessment(country: &str, levels: [u8; 5], share: bool) -> Value {
    let ids = [
        "national-strategy",
        "deterring-cybercrime",
        "incident-management",
        "public-private",
        "culture",
    ];
    let elements: Vec<Value> = ids
        .iter()
        .zip(levels)
        .map(|(e, l)| json!({"element": e, "level": l, "target": 4, "priority": "medium", "answers": {}}))
        .collect();
    json!({"country": country, "questionnaire_version": 1, "assessed_on": "2026-03-01",
        "elements": elements, "share_scores": share})
}

#[test]
fn calendar_milestones_report_and_readiness_across_three_nodes() {
    let a = net_node("PA");
    let b = net_node("CR");
    let c = net_node("DO");
    peer(&a, &b);
    peer(&a, &c);
    peer(&b, &c);
    let ta = a.token("analyst", &["--user", "admin"]);
    let tb = b.token("analyst", &["--user", "admin"]);
    let tc = c.token("analyst", &["--user", "admin"]);

    // Bad input is refused with the field named; nothing is stored.
    let (status, body) = a.post(
        &ta,
        "/api/cooperation/event",
        &json!({
        "title": "Call", "body": {"kind": "call", "start": "2026-12-01T14:00:00Z",
            "duration_minutes": 60, "recurrence": "FREQ=HOURLY"}}),
    );
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("recurrence"), "{body}");
    let (status, _) = a.post(&ta, "/api/cooperation/meeting", &json!({"title": "x"}));
    assert_eq!(status, 404);
    let (status, body) = b.post(
        &tb,
        "/api/cooperation/report-section",
        &json!({
        "title": "x", "body": {"year": 2026, "country": "PA", "text": "not ours"}}),
    );
    assert_eq!(
        status, 422,
        "a team writes its own country's section only: {body}"
    );

    // Events: a GREEN quarterly call and a CLEAR public meeting.
    let call = publish(
        &a,
        &ta,
        "event",
        json!({"title": "Quarterly call; national points of contact", "tlp": "green",
        "body": {"kind": "call", "start": "2026-12-01T14:00:00Z", "duration_minutes": 90,
            "recurrence": "FREQ=MONTHLY;INTERVAL=3", "audience": "National points of contact"}}),
    );
    publish(
        &a,
        &ta,
        "event",
        json!({"title": "Awareness week", "tlp": "clear",
        "body": {"kind": "meeting", "start": "2027-01-20T13:00:00Z", "duration_minutes": 240}}),
    );
    eventually(30, "C has both events", || {
        text(&c, "/api/calendar.ics", Some(&tc))
            .2
            .matches("BEGIN:VEVENT")
            .count()
            == 2
    });
    let (status, ct, feed) = text(&c, "/api/calendar.ics", Some(&tc));
    assert_eq!(status, 200);
    assert_eq!(ct, "text/calendar; charset=utf-8");
    assert!(feed.contains(&format!("UID:{call}@vigia\r\n")), "{feed}");
    assert!(feed.contains("RRULE:FREQ=MONTHLY;INTERVAL=3\r\n"), "{feed}");
    assert!(
        feed.contains("SUMMARY:Quarterly call\\; national points of contact\r\n"),
        "{feed}"
    );
    let (_, _, public) = text(&c, "/calendar.ics", None);
    assert_eq!(
        public.matches("BEGIN:VEVENT").count(),
        1,
        "the public feed holds CLEAR events only: {public}"
    );
    assert!(public.contains("SUMMARY:Awareness week"));
    assert_eq!(text(&c, "/api/calendar.ics", None).0, 401);
    // HTTP Basic, as calendar clients speak it, is not needed for this
    // test: the feed answers any caller the API authenticates.

    // A milestone for B and C, met by B's training needs.
    let due = "2099-02-01";
    let milestone = publish(
        &a,
        &ta,
        "milestone",
        json!({"title": "Training needs", "tlp": "green",
        "body": {"due": due, "members": [{"team": b.team}, {"team": c.team}], "topic": "training-needs"}}),
    );
    eventually(30, "B has the milestone", || {
        b.get("/api/milestones", &tb).1["milestones"]
            .as_array()
            .is_some_and(|m| !m.is_empty())
    });
    publish(
        &b,
        &tb,
        "training-needs",
        json!({"title": "Needs", "tlp": "green",
        "body": {"milestone_ref": milestone, "needs": [{"topic": "forensics", "people": 2, "by": "2099-06-30", "priority": "high"}]}}),
    );
    eventually(30, "A sees B done and C pending", || {
        let m = a.get("/api/milestones", &ta).1;
        let states: Vec<(String, String)> = m["milestones"][0]["members"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|x| {
                (
                    x["team"].as_str().unwrap().to_owned(),
                    x["state"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        states
            == [
                (b.team.clone(), "done".to_owned()),
                (c.team.clone(), "pending".to_owned()),
            ]
    });
    let t = a.get("/api/training", &ta).1;
    assert_eq!(t["regional_demand"][0]["topic"], "forensics", "{t}");
    assert_eq!(t["regional_demand"][0]["people"], 2);

    // B's section is AMBER for A: A's report has it, C's never does.
    publish(
        &b,
        &tb,
        "report-section",
        json!({"title": "CR 2026", "tlp": "amber", "to": [a.team],
        "body": {"year": 2026, "country": "CR", "text": "Costa Rica's year", "approved": true, "staff": 9}}),
    );
    eventually(30, "A's report holds B's section", || {
        a.get("/api/report/annual?year=2026", &ta).1["sections"]
            .as_array()
            .is_some_and(|s| s.len() == 1)
    });
    let report = a.get("/api/report/annual?year=2026", &ta).1;
    assert_eq!(report["sections"][0]["section"]["staff"], 9, "{report}");
    assert_eq!(report["sections"][0]["tlp"], "TLP:AMBER");
    let at_c = c.get("/api/report/annual?year=2026", &tc).1;
    assert_eq!(
        at_c["sections"],
        json!([]),
        "C never reads B's section: {at_c}"
    );
    let (status, ct, html) = text(&c, "/api/report/annual?year=2026&format=html", Some(&tc));
    assert_eq!((status, ct.as_str()), (200, "text/html; charset=utf-8"));
    assert!(!html.contains("Costa Rica"));
    assert!(html.contains("<svg"), "charts are SVG");
    let (_, _, html_a) = text(&a, "/api/report/annual?year=2026&format=html", Some(&ta));
    assert!(
        html_a.contains("Costa Rica"),
        "A's HTML copy holds the section"
    );
    let (status, _, es) = text(
        &a,
        "/api/report/annual?year=2026&format=html&lang=es",
        Some(&ta),
    );
    assert_eq!(status, 200);
    assert!(
        es.contains("<html lang=\"es\">") && es.contains("Secciones nacionales"),
        "{es}"
    );
    assert!(
        es.contains("Productos por tipo"),
        "chart titles are translated too"
    );
    let (status, _, body) = text(
        &a,
        "/api/report/annual?year=2026&format=html&lang=xx",
        Some(&ta),
    );
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("lang"), "{body}");

    // Readiness: B opts in (its assessment stays with B), C does not.
    publish(
        &b,
        &tb,
        "assessment",
        json!({"title": "Assessment", "tlp": "amber+strict", "to": [b.team],
        "body": assessment("CR", [3, 2, 4, 2, 2], true)}),
    );
    publish(
        &c,
        &tc,
        "assessment",
        json!({"title": "Assessment", "tlp": "amber+strict", "to": [c.team],
        "body": assessment("DO", [1, 1, 1, 1, 1], false)}),
    );
    eventually(30, "A's index counts B", || {
        a.get("/api/readiness", &ta).1["countries"] == json!(["CR"])
    });
    let index = a.get("/api/readiness", &ta).1;
    assert_eq!(index["index_tenths"], 26, "(3+2+4+2+2)/5 = 2.6: {index}");
    assert_eq!(
        a.get("/api/cooperation/assessment", &ta).1["records"],
        json!([]),
        "A reads no answers"
    );
    let mine = b.get("/api/assessment", &tb).1;
    assert_eq!(mine["score_tenths"], 26);
    assert_eq!(
        mine["gaps"][0]["element"], "culture",
        "ties go by name: {mine}"
    );

    // PDF: printed by Chromium where it is installed, refused clearly where not.
    let chromium = std::env::var("VIGIA_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let (status, _, body) = text(&a, "/api/report/annual?year=2026&format=pdf", Some(&ta));
    if std::path::Path::new(&chromium).exists() {
        assert_eq!(status, 200, "{body}");
    } else {
        assert_eq!(status, 503, "{body}");
        assert!(body.contains("Chromium"));
    }
}

#[test]
fn a_pending_member_mails_its_own_primary_contacts_once_per_reminder_day() {
    let smtp = crate::watch::SmtpSink::start();
    let a = net_node("PA");
    let b = crate::federation_net::net_node_full(
        "CR",
        None,
        &format!(
            "\n[watch.smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\nfrom = \"vigia <watch@vigia.test>\"\n",
            smtp.port
        ),
    );
    peer(&a, &b);
    let ta = a.token("analyst", &["--user", "admin"]);
    let tb = b.token("admin", &["--user", "admin"]);
    let r = b
        .client
        .put(format!("{}/api/roster", b.url))
        .bearer_auth(&tb)
        .json(&json!({"contacts": [
            {"name": "Ana", "role": "primary", "user": "admin", "email": "ana@cert.cr.test"},
            {"name": "Luis", "role": "backup", "email": "luis@cert.cr.test"}]}))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    // Due in two days, so the 3-day reminder is due today; B meets the
    // second milestone before anyone asks.
    let due = vigia_cooperation::format_date(
        time::OffsetDateTime::now_utc().date() + time::Duration::days(2),
    );
    let milestone = |title: &str| {
        publish(
            &a,
            &ta,
            "milestone",
            json!({"title": title, "tlp": "green",
            "body": {"due": due, "members": [{"team": b.team}], "remind_days_before": [3],
                "description": "One line per topic, with the number of people."}}),
        )
    };
    milestone("Training needs");
    let met = milestone("Census answers");
    eventually(30, "B has both milestones", || {
        b.get("/api/milestones", &tb).1["milestones"]
            .as_array()
            .is_some_and(|m| m.len() == 2)
    });
    publish(
        &b,
        &tb,
        "milestone-done",
        json!({"title": "Done", "tlp": "green", "body": {"milestone_ref": met}}),
    );

    let (status, first) = b.post(&tb, "/api/milestones/remind", &json!({}));
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        first["emailed"], 1,
        "the primary, for the one still pending: {first}"
    );
    let (_, again) = b.post(&tb, "/api/milestones/remind", &json!({}));
    assert_eq!(again["emailed"], 0, "once per reminder day: {again}");

    eventually(20, "Ana's reminder", || {
        !smtp.to("ana@cert.cr.test").is_empty()
    });
    let mail = smtp.to("ana@cert.cr.test").remove(0);
    assert!(
        mail.data.contains(&format!(
            "[TLP:GREEN] Reminder: Training needs due {due} (in 2 days)"
        )),
        "{}",
        mail.data
    );
    assert!(mail.data.contains("One line per topic"), "{}", mail.data);
    assert!(
        !mail.data.contains("Census answers"),
        "met milestones are not reminded"
    );
    assert!(
        smtp.to("luis@cert.cr.test").is_empty(),
        "reminders go to primary contacts"
    );
    assert_eq!(smtp.mails.lock().unwrap().len(), 1);
    // A is the setter, not a member: its own reminder run mails nobody.
    let admin_a = a.token("admin", &["--user", "admin"]);
    let (_, at_a) = a.post(&admin_a, "/api/milestones/remind", &json!({}));
    assert_eq!(at_a["emailed"], 0, "{at_a}");
    assert_eq!(at_a["reminded"].as_array().map(Vec::len), Some(2), "{at_a}");
}

#[test]
fn the_console_marks_done_records_attendance_takes_needs_and_approves_a_section() {
    use crate::console::{client, console_sign_in, page, submit};
    let a = net_node("GT");
    let ta = a.token("analyst", &["--user", "admin"]);
    let c = client();
    let base = a.url.as_str();
    let admin = console_sign_in(&c, base, "admin", &a.init.admin_password);
    // The team's own milestone and event, as another member's would arrive.
    let milestone = publish(
        &a,
        &ta,
        "milestone",
        json!({"title": "Census answers", "tlp": "green",
        "body": {"due": "2099-02-01", "members": [{"team": a.team}]}}),
    );
    let event = publish(
        &a,
        &ta,
        "event",
        json!({"title": "Quarterly call", "tlp": "green",
        "body": {"kind": "call", "start": "2099-03-01T14:00:00Z", "duration_minutes": 60}}),
    );
    let (status, html) = page(&c, base, &admin, "/console/network");
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(&format!("name=\"milestone_ref\" value=\"{milestone}\"")));
    assert!(
        html.contains("Cyber Incident Responder"),
        "ECSF topics offered"
    );

    let ok = |(status, _, body): (u16, _, String)| assert_eq!(status, 303, "{body}");
    ok(submit(
        &c,
        base,
        &admin,
        "/console/network",
        &[
            ("kind", "milestone-done"),
            ("milestone_ref", &milestone),
            ("title", "Done"),
            ("tlp", "green"),
            ("comment", "Sent by post"),
        ],
    ));
    ok(submit(
        &c,
        base,
        &admin,
        "/console/network",
        &[
            ("kind", "attendance"),
            ("event_ref", &event),
            ("title", "Attendance"),
            ("tlp", "green"),
            ("occurrence", "2099-03-01"),
        ],
    ));
    ok(submit(
        &c,
        base,
        &admin,
        "/console/network",
        &[
            ("kind", "training-needs"),
            ("title", "Needs"),
            ("tlp", "green"),
            ("topic0", "forensics"),
            ("people0", "3"),
            ("by0", "2099-06-30"),
            ("priority0", "high"),
            ("topic1", ""),
            ("people1", "1"),
            ("by1", ""),
            ("priority1", "medium"),
        ],
    ));
    // A bad number names its field; nothing is stored.
    let (status, _, body) = submit(
        &c,
        base,
        &admin,
        "/console/network",
        &[
            ("kind", "report-section"),
            ("title", "GT"),
            ("year", "2026"),
            ("text", "x"),
            ("staff", "nine"),
            ("tlp", "green"),
        ],
    );
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("staff"), "{body}");
    ok(submit(
        &c,
        base,
        &admin,
        "/console/network",
        &[
            ("kind", "report-section"),
            ("title", "Guatemala 2026"),
            ("year", "2026"),
            ("text", "Guatemala's year"),
            ("staff", "9"),
            ("incidents_handled", "120"),
            ("tlp", "green"),
        ],
    ));

    ok(submit(
        &c,
        base,
        &admin,
        "/console/network",
        &[
            ("kind", "mentoring"),
            ("side", "offer"),
            ("topics", "forensics"),
            ("topics", "incident-responder"),
            ("languages", "es"),
            ("languages", "en"),
            ("region", "central-america"),
            ("capacity", "2"),
        ],
    ));
    let mut document = vec![
        ("kind", "document"),
        ("title", "Ransomware at municipalities"),
        ("document_type", "lessons-learned"),
        ("template", "igf-bpf"),
        ("content", ""),
        ("services", "incident-management/incident-coordination"),
        ("audiences", "government"),
        ("language", "es"),
        ("owner", "Head of response"),
        ("review_by", "2099-01-01"),
        ("event_ref", ""),
        ("tlp", "green"),
    ];
    let parts: Vec<String> = (0..8).map(|i| format!("part{i}")).collect();
    for p in &parts {
        document.push((p.as_str(), "Drawn from the case."));
    }
    ok(submit(&c, base, &admin, "/console/network", &document));
    let docs = a.get("/api/compendium", &ta).1;
    let doc = &docs["documents"][0]["document"];
    assert_eq!(doc["sections"].as_array().map(Vec::len), Some(8), "{docs}");
    assert_eq!(doc["template"], "igf-bpf");
    assert_eq!(
        doc["services"],
        json!(["incident-management/incident-coordination"])
    );
    let mentoring = a.get("/api/cooperation/mentoring", &ta).1;
    assert_eq!(
        mentoring["records"][0]["body"]["topics"],
        json!(["forensics", "incident-responder"]),
        "{mentoring}"
    );
    assert_eq!(mentoring["records"][0]["body"]["capacity"], 2);

    let m = a.get("/api/milestones", &ta).1;
    assert_eq!(m["milestones"][0]["members"][0]["state"], "done", "{m}");
    let cal = a.get("/api/calendar", &ta).1;
    assert!(
        cal.to_string().contains(&a.team),
        "attendance recorded: {cal}"
    );
    let t = a.get("/api/training", &ta).1;
    assert_eq!(t["regional_demand"][0]["people"], 3, "{t}");
    assert_eq!(
        t["regional_demand"].as_array().map(Vec::len),
        Some(1),
        "empty rows are skipped"
    );

    // The draft is not in the report until approved, from the console.
    let report = a.get("/api/report/annual?year=2026", &ta).1;
    assert_eq!(report["sections"], json!([]), "{report}");
    let (_, html) = page(&c, base, &admin, "/console/network");
    let sections = crate::console::between(&html, "id=\"sections\"", "</table>");
    assert!(
        sections.contains("Guatemala 2026") && sections.contains("/console/network/approve"),
        "{sections}"
    );
    let id = crate::console::between(&sections, "name=\"id\" value=\"", "\"");
    ok(submit(
        &c,
        base,
        &admin,
        "/console/network/approve",
        &[("id", &id)],
    ));
    let report = a.get("/api/report/annual?year=2026", &ta).1;
    assert_eq!(report["sections"][0]["section"]["staff"], 9, "{report}");
    assert_eq!(report["sections"][0]["section"]["incidents_handled"], 120);
    // Another team's record, or a made-up id, cannot be approved.
    let (status, _) = a.post(
        &ta,
        "/api/report/sections/note--00000000-0000-4000-8000-000000000000/approve",
        &json!({}),
    );
    assert_eq!(status, 404);
    let (status, again) = a.post(
        &ta,
        &format!("/api/report/sections/{id}/approve"),
        &json!({}),
    );
    assert_eq!(
        (status, again["approved"].clone()),
        (200, json!(true)),
        "approving twice is harmless"
    );
}
