//! The hash-chained audit log: appends, verification and tampering.

use vigia_sign::ChainBreak;
use vigia_stix::Timestamp;
use vigia_store::{AuditEvent, AuditVerification};

use crate::support::{on_both_backends, TestDb};

on_both_backends!(
    an_empty_log_is_intact,
    appends_chain_and_read_back,
    an_altered_actor_is_found,
    an_altered_detail_is_found,
    a_removed_middle_entry_is_found,
    a_removed_last_entry_is_found,
    a_status_and_its_audit_entry_are_stored_together,
);

pub(crate) fn event(actor: &str, n: i64) -> AuditEvent {
    AuditEvent {
        // Nanoseconds: the store keeps microseconds and hashes what it keeps.
        at: Timestamp::parse(&format!("2025-01-02T03:04:{:02}.123456789Z", n % 60)).unwrap(),
        actor: actor.to_owned(),
        action: "object.read".to_owned(),
        subject: (n % 2 == 0).then(|| format!("indicator--{}", crate::support::uuid(1, n as u64))),
        outcome: "ok".to_owned(),
        detail: serde_json::json!({ "n": n, "ratio": 0.5, "nested": { "z": [1, "two", null], "a": true }, "text": "ünï \"q\"" }),
    }
}

/// Eight entries: three single appends and a batch of five.
async fn eight_entries(db: &TestDb) {
    for n in 1..=3 {
        db.store.append_audit(&event("cli", n)).await.unwrap();
    }
    let batch: Vec<_> = (4..=8).map(|n| event("token:t1", n)).collect();
    db.store.append_audit_batch(&batch).await.unwrap();
}

async fn verification(db: &TestDb) -> AuditVerification {
    db.store.verify_audit().await.unwrap()
}

async fn an_empty_log_is_intact(db: &TestDb) {
    assert_eq!(
        verification(db).await,
        AuditVerification::Intact { entries: 0 }
    );
    assert!(db.store.audit_entries(0, 10).await.unwrap().is_empty());
    db.store.append_audit_batch(&[]).await.unwrap();
    assert_eq!(
        verification(db).await,
        AuditVerification::Intact { entries: 0 }
    );
}

async fn appends_chain_and_read_back(db: &TestDb) {
    let first = db.store.append_audit(&event("cli", 1)).await.unwrap();
    assert_eq!(first.seq, 1);
    assert_eq!(first.prev_hash, vigia_sign::GENESIS_HASH);
    assert_eq!(
        first.event.at.to_micros_string(),
        "2025-01-02T03:04:01.123456Z"
    );
    let second = db.store.append_audit(&event("cli", 2)).await.unwrap();
    assert_eq!(second.prev_hash, first.hash);
    let batch: Vec<_> = (3..=8).map(|n| event("peer:node-b", n)).collect();
    db.store.append_audit_batch(&batch).await.unwrap();

    let entries = db.store.audit_entries(0, 100).await.unwrap();
    assert_eq!(entries.len(), 8);
    assert_eq!(entries[0], first);
    assert_eq!(entries[1], second);
    for (k, e) in entries.iter().enumerate() {
        assert_eq!(e.seq, k as i64 + 1);
        if k > 0 {
            assert_eq!(e.prev_hash, entries[k - 1].hash);
        }
    }
    assert_eq!(entries[4].event.detail, event("x", 5).detail);
    assert_eq!(entries[5].event.subject, event("x", 6).subject);
    let middle = db.store.audit_entries(3, 2).await.unwrap();
    assert_eq!(middle.iter().map(|e| e.seq).collect::<Vec<_>>(), [4, 5]);
    assert_eq!(
        verification(db).await,
        AuditVerification::Intact { entries: 8 }
    );
}

async fn an_altered_actor_is_found(db: &TestDb) {
    eight_entries(db).await;
    assert_eq!(
        db.raw_execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
            .await,
        1
    );
    assert_eq!(
        verification(db).await,
        AuditVerification::Broken(ChainBreak::Altered { seq: 3 })
    );
}

async fn an_altered_detail_is_found(db: &TestDb) {
    eight_entries(db).await;
    db.raw_execute(r#"UPDATE audit_log SET detail = '{"n":6,"ratio":0.5}' WHERE seq = 6"#)
        .await;
    assert_eq!(
        verification(db).await,
        AuditVerification::Broken(ChainBreak::Altered { seq: 6 })
    );
    // Detail that is no longer JSON at all is an alteration, not an error.
    db.raw_execute("UPDATE audit_log SET detail = 'not json' WHERE seq = 2")
        .await;
    assert_eq!(
        verification(db).await,
        AuditVerification::Broken(ChainBreak::Altered { seq: 2 })
    );
}

async fn a_removed_middle_entry_is_found(db: &TestDb) {
    eight_entries(db).await;
    assert_eq!(
        db.raw_execute("DELETE FROM audit_log WHERE seq = 4").await,
        1
    );
    let outcome = verification(db).await;
    assert!(
        matches!(
            outcome,
            AuditVerification::Broken(
                ChainBreak::Gap {
                    seq: 5,
                    expected: 4
                } | ChainBreak::Unlinked { seq: 5 }
            )
        ),
        "{outcome:?}"
    );
}

async fn a_removed_last_entry_is_found(db: &TestDb) {
    eight_entries(db).await;
    assert_eq!(
        db.raw_execute("DELETE FROM audit_log WHERE seq = 8").await,
        1
    );
    assert_eq!(
        verification(db).await,
        AuditVerification::Broken(ChainBreak::Truncated { last: 7, head: 8 })
    );
}

async fn a_status_and_its_audit_entry_are_stored_together(db: &TestDb) {
    db.store.append_audit(&event("cli", 1)).await.unwrap();
    let body = r#"{"id":"s-1","status":"complete","total_count":0}"#;
    let entry = db
        .store
        .put_taxii_status_audited("s-1", body, &event("token:t1", 2))
        .await
        .unwrap();
    assert_eq!(entry.seq, 2);
    let status = db.store.taxii_status("s-1").await.unwrap().expect("stored");
    assert_eq!(status["status"], "complete");
    assert_eq!(
        verification(db).await,
        AuditVerification::Intact { entries: 2 }
    );
    // A second status under the same id is refused, and its entry with it.
    assert!(db
        .store
        .put_taxii_status_audited("s-1", body, &event("token:t1", 3))
        .await
        .is_err());
    assert_eq!(db.store.audit_entries(0, 10).await.unwrap().len(), 2);
}
