//! The watch tables on both back-ends: the projection's compare-and-set
//! cursor, receipts that keep the first time of each state, escalation
//! steps taken once, the message outbox's leases, single-use links.

use vigia_store::{
    AckLink, Assignment, NewNotification, ProductRecord, ReceiptUpdate, SendOutcome,
    WatchProjection,
};

use crate::support::{on_both_backends, TestDb};

on_both_backends!(
    a_projection_moves_the_cursor_once,
    receipts_keep_the_first_time_of_each_state,
    an_escalation_step_is_taken_once,
    messages_are_leased_retried_and_finished,
    an_acknowledgement_link_works_once,
);

fn product(id: &str, version: &str) -> ProductRecord {
    ProductRecord {
        id: id.into(),
        kind: "alert".into(),
        severity: "critical".into(),
        title: format!("title {version}"),
        originator: Some("identity--00000000-0000-4000-8000-000000000001".into()),
        tlp: "amber".into(),
        version: version.into(),
        date_added: 1,
        first_arrived: 1,
        exercise: false,
        supersedes: None,
    }
}

fn message(product: &str, contact: &str) -> NewNotification {
    NewNotification {
        product_id: product.into(),
        team: "t".into(),
        step: 0,
        contact: contact.into(),
        channel: "email",
        address: format!("{contact}@cert.test"),
        subject: "s".into(),
        body: "b".into(),
        secret: None,
        user: None,
        next_at: 0,
    }
}

async fn a_projection_moves_the_cursor_once(db: &TestDb) {
    let s = &db.store;
    assert_eq!(s.watch_cursor().await.unwrap(), 0);
    let p = WatchProjection {
        products: vec![product("report--1", "2")],
        notifications: vec![message("report--1", "ana"), message("report--1", "ana")],
        ..WatchProjection::default()
    };
    assert!(s.apply_watch_projection(0, 10, &p, 5).await.unwrap());
    assert!(
        !s.apply_watch_projection(0, 10, &p, 5).await.unwrap(),
        "another replica's stale cursor is refused"
    );
    assert_eq!(s.watch_cursor().await.unwrap(), 10);
    // An older version does not overwrite a newer one.
    let older = WatchProjection {
        products: vec![product("report--1", "1")],
        ..WatchProjection::default()
    };
    assert!(s.apply_watch_projection(10, 11, &older, 5).await.unwrap());
    assert_eq!(
        s.product("report--1").await.unwrap().unwrap().title,
        "title 2"
    );
    assert_eq!(
        s.notifications_for("report--1").await.unwrap().len(),
        1,
        "a message is queued once"
    );
}

async fn receipts_keep_the_first_time_of_each_state(db: &TestDb) {
    let s = &db.store;
    let r = |state: &'static str, at: i64, note: Option<&str>| ReceiptUpdate {
        product_id: "report--1".into(),
        team: "t".into(),
        state,
        at,
        by: None,
        note: note.map(str::to_owned),
    };
    let p = WatchProjection {
        receipts: vec![
            r("delivered", 100, None),
            r("acknowledged", 200, Some("on it")),
            r("acknowledged", 300, None),
        ],
        ..WatchProjection::default()
    };
    assert!(s.apply_watch_projection(0, 1, &p, 5).await.unwrap());
    let got = s.receipts("report--1").await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].delivered_at, got[0].acknowledged_at, got[0].seen_at),
        (Some(100), Some(200), None)
    );
    assert_eq!(got[0].note.as_deref(), Some("on it"));
    // Read in bulk, as the annual report does, the same rows come back.
    let many: Vec<String> = (0..1200).map(|i| format!("report--x{i}")).collect();
    let mut ids: Vec<&str> = many.iter().map(String::as_str).collect();
    ids.push("report--1");
    let bulk = s.receipts_of(&ids).await.unwrap();
    assert_eq!(
        bulk.len(),
        1,
        "chunks past the parameter limit find the one row"
    );
    assert_eq!(bulk[0].acknowledged_at, Some(200));
    assert!(s.receipts_of(&[]).await.unwrap().is_empty());
}

async fn an_escalation_step_is_taken_once(db: &TestDb) {
    let s = &db.store;
    let a = Assignment {
        product_id: "report--1".into(),
        team: "t".into(),
        severity: "critical".into(),
        arrived_at: 0,
        step: 0,
        next_step_at: Some(900),
        closed_at: None,
    };
    let p = WatchProjection {
        assignments: vec![a.clone()],
        ..WatchProjection::default()
    };
    assert!(s.apply_watch_projection(0, 1, &p, 0).await.unwrap());
    assert!(s.due_assignments(899).await.unwrap().is_empty());
    let due = s.due_assignments(900).await.unwrap();
    assert_eq!(due, vec![a.clone()]);
    assert!(s
        .escalate(
            &due[0],
            1,
            Some(1800),
            &[message("report--1", "backup")],
            900
        )
        .await
        .unwrap());
    assert!(
        !s.escalate(&due[0], 1, Some(1800), &[], 900).await.unwrap(),
        "a step is taken once"
    );
    let closed = WatchProjection {
        closed: vec![("report--1".into(), "t".into())],
        ..WatchProjection::default()
    };
    assert!(s.apply_watch_projection(1, 2, &closed, 1000).await.unwrap());
    assert!(s.due_assignments(i64::MAX).await.unwrap().is_empty());
    assert!(s.open_assignments().await.unwrap().is_empty());
}

async fn messages_are_leased_retried_and_finished(db: &TestDb) {
    let s = &db.store;
    let p = WatchProjection {
        notifications: vec![message("report--1", "ana"), message("report--1", "bea")],
        ..WatchProjection::default()
    };
    assert!(s.apply_watch_projection(0, 1, &p, 0).await.unwrap());
    let claimed = s.claim_notifications(10, 100, 10).await.unwrap();
    assert_eq!(claimed.len(), 2);
    assert!(
        s.claim_notifications(50, 100, 10).await.unwrap().is_empty(),
        "leased messages are not claimed twice"
    );
    s.finish_notification(claimed[0].id, &SendOutcome::Sent, 60)
        .await
        .unwrap();
    s.finish_notification(
        claimed[1].id,
        &SendOutcome::Retry {
            at: 500,
            error: "refused".into(),
        },
        60,
    )
    .await
    .unwrap();
    assert!(s
        .claim_notifications(499, 100, 10)
        .await
        .unwrap()
        .is_empty());
    let again = s.claim_notifications(500, 100, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 2);
    let counts = s.notification_counts().await.unwrap();
    assert!(counts.contains(&("sent".to_owned(), 1)), "{counts:?}");
}

async fn an_acknowledgement_link_works_once(db: &TestDb) {
    let s = &db.store;
    let link = AckLink {
        product_id: "report--1".into(),
        team: "t".into(),
        contact: "ana".into(),
        user: None,
        expires_at: 1_000,
        used_at: None,
    };
    s.put_ack_link("hash", &link, 0).await.unwrap();
    assert!(s.use_ack_link("hash", 10).await.unwrap());
    assert!(!s.use_ack_link("hash", 20).await.unwrap());
    s.put_ack_link("old", &link, 0).await.unwrap();
    assert!(
        !s.use_ack_link("old", 2_000).await.unwrap(),
        "an expired link does nothing"
    );
    assert_eq!(s.ack_link("hash").await.unwrap().unwrap().used_at, Some(10));
}
