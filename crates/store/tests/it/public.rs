//! Public reports (queue and relay), assistance requests and awareness
//! pages, on both back-ends.

use vigia_store::{
    AssistanceRecord, AssistanceStep, AwarenessPage, PublicReportRecord, ReportTriage,
    WatchProjection,
};

use crate::support::{on_both_backends, TestDb};

on_both_backends!(
    a_report_is_queued_once_triaged_and_found_by_its_reference,
    a_relay_is_erased_once_delivered_and_retried_until_then,
    assistance_moves_forward_only_by_its_parties,
    awareness_pages_are_kept_per_language,
);

fn report(id: &str, hash: &str) -> PublicReportRecord {
    PublicReportRecord {
        id: id.into(),
        reference_hash: hash.into(),
        team: "identity--b".into(),
        received_by: "identity--a".into(),
        country: "PA".into(),
        category: "phishing".into(),
        received_at: 100,
        status: "received".into(),
        incident_ref: None,
        reply: None,
        updated_at: 100,
        updated_by: None,
    }
}

async fn a_report_is_queued_once_triaged_and_found_by_its_reference(db: &TestDb) {
    let s = &db.store;
    let p = WatchProjection {
        public_reports: vec![report("incident--1", "h1"), report("incident--1", "h1")],
        ..WatchProjection::default()
    };
    assert!(s.apply_watch_projection(0, 10, &p, 5).await.unwrap());
    assert_eq!(s.public_reports("identity--b", 10).await.unwrap().len(), 1);
    assert!(s
        .public_reports("identity--c", 10)
        .await
        .unwrap()
        .is_empty());
    let step = ReportTriage {
        status: "linked".into(),
        incident_ref: Some("incident--9".into()),
        reply: Some("Thanks".into()),
        by: "ana".into(),
        at: 200,
    };
    assert!(s.triage_public_report("incident--1", &step).await.unwrap());
    let closed = ReportTriage {
        status: "closed".into(),
        by: "ana".into(),
        at: 300,
        ..ReportTriage::default()
    };
    assert!(s
        .triage_public_report("incident--1", &closed)
        .await
        .unwrap());
    let r = s.public_report_by_reference("h1").await.unwrap().unwrap();
    assert_eq!(
        (
            r.status.as_str(),
            r.incident_ref.as_deref(),
            r.reply.as_deref()
        ),
        ("closed", Some("incident--9"), Some("Thanks")),
        "an empty step keeps the link and the reply"
    );
    assert!(!s
        .triage_public_report("incident--2", &closed)
        .await
        .unwrap());
}

async fn a_relay_is_erased_once_delivered_and_retried_until_then(db: &TestDb) {
    let s = &db.store;
    s.queue_report_relay("h1", "identity--b", "sealed", 100)
        .await
        .unwrap();
    assert!(s
        .queue_report_relay("h1", "identity--b", "again", 100)
        .await
        .is_err());
    assert!(s.due_report_relays(99, 10).await.unwrap().is_empty());
    assert_eq!(s.due_report_relays(100, 10).await.unwrap().len(), 1);
    s.report_relay_failed("h1", "peer down", 500).await.unwrap();
    assert!(s.due_report_relays(400, 10).await.unwrap().is_empty());
    let r = s.report_relay("h1").await.unwrap().unwrap();
    assert_eq!(
        (r.attempts, r.last_error.as_deref()),
        (1, Some("peer down"))
    );
    s.report_relay_delivered("h1", 600).await.unwrap();
    let r = s.report_relay("h1").await.unwrap().unwrap();
    assert_eq!((r.payload, r.forwarded_at), (None, Some(600)));
    assert!(s.due_report_relays(10_000, 10).await.unwrap().is_empty());
}

fn step(id: &str, team: &str, state: &str, at: i64) -> AssistanceStep {
    AssistanceStep {
        id: id.into(),
        request_id: "note--r".into(),
        team: team.into(),
        state: state.into(),
        note: String::new(),
        at,
    }
}

async fn assistance_moves_forward_only_by_its_parties(db: &TestDb) {
    let s = &db.store;
    let request = AssistanceRecord {
        id: "note--r".into(),
        requester: "identity--a".into(),
        helper: "identity--b".into(),
        need: "help".into(),
        urgency: "urgent".into(),
        tlp: "amber".into(),
        incident_ref: None,
        state: "requested".into(),
        created_at: 100,
        updated_at: 100,
    };
    let p = WatchProjection {
        assistance: vec![request],
        assistance_steps: vec![
            step("note--r", "identity--a", "requested", 100),
            // A stranger's step is kept in no state.
            step("note--x", "identity--c", "closed", 150),
            // The helper's clock is behind: order by state, not time.
            step("note--1", "identity--b", "accepted", 90),
        ],
        ..WatchProjection::default()
    };
    assert!(s.apply_watch_projection(0, 10, &p, 5).await.unwrap());
    assert_eq!(
        s.assistance("note--r").await.unwrap().unwrap().state,
        "accepted"
    );
    let back = WatchProjection {
        assistance_steps: vec![step("note--2", "identity--b", "requested", 300)],
        ..WatchProjection::default()
    };
    assert!(s.apply_watch_projection(10, 20, &back, 5).await.unwrap());
    assert_eq!(
        s.assistance("note--r").await.unwrap().unwrap().state,
        "accepted",
        "never backwards"
    );
    let close = WatchProjection {
        assistance_steps: vec![step("note--3", "identity--a", "closed", 400)],
        ..WatchProjection::default()
    };
    assert!(s.apply_watch_projection(20, 30, &close, 5).await.unwrap());
    let r = s.assistance("note--r").await.unwrap().unwrap();
    assert_eq!((r.state.as_str(), r.updated_at), ("closed", 400));
    assert_eq!(s.assistance_for("identity--b", 10).await.unwrap().len(), 1);
    assert!(s
        .assistance_for("identity--c", 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        s.assistance_steps("note--r").await.unwrap().len(),
        4,
        "not the stranger's"
    );
}

async fn awareness_pages_are_kept_per_language(db: &TestDb) {
    let s = &db.store;
    let page = |lang: &str, title: &str, at: i64| AwarenessPage {
        slug: "phishing".into(),
        lang: lang.into(),
        title: title.into(),
        markdown: "**x**".into(),
        updated_at: at,
        updated_by: "ana".into(),
    };
    s.put_awareness_page(&page("en", "One", 1)).await.unwrap();
    s.put_awareness_page(&page("es", "Uno", 2)).await.unwrap();
    s.put_awareness_page(&page("en", "One, again", 3))
        .await
        .unwrap();
    let versions = s.awareness_page("phishing").await.unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].title, "One, again");
    assert_eq!(s.awareness_pages().await.unwrap()[0].lang, "en");
    assert!(s.delete_awareness_page("phishing", "es").await.unwrap());
    assert!(!s.delete_awareness_page("phishing", "es").await.unwrap());
    assert_eq!(s.awareness_page("phishing").await.unwrap().len(), 1);
}
