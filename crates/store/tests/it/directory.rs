//! The directory tables on both back-ends: the member-state register keeps
//! what the Secretariat recorded across re-imports, questionnaire versions
//! never change under their number, campaigns count reminders.

use std::collections::BTreeMap;

use vigia_directory::MemberState;
use vigia_store::{CampaignRecord, StoreError};

use crate::support::{batch, on_both_backends, parse, Item, TestDb};

on_both_backends!(
    the_register_is_loaded_edited_and_keeps_onboarding,
    a_questionnaire_version_never_changes,
    campaigns_count_reminders_and_close_once,
    the_directory_is_read_as_it_stood_at_an_instant,
);

fn state(iso2: &str, name: &str) -> MemberState {
    MemberState {
        iso2: iso2.into(),
        iso3: format!("{iso2}X"),
        name: name.into(),
        subregion: "Caribbean".into(),
        languages: vec!["en".into(), "fr".into()],
        timezone: "America/Port-au-Prince".into(),
        note: String::new(),
    }
}

async fn the_register_is_loaded_edited_and_keeps_onboarding(db: &TestDb) {
    let s = &db.store;
    s.put_member_states(&[state("HT", "Haiti"), state("JM", "Jamaica")], 1)
        .await
        .unwrap();
    // Activation needs a notification first.
    assert!(!s.activate_member("HT", "2026-02-01", 2).await.unwrap());
    assert!(s
        .record_notification("HT", "2026-01-10", "Note verbale 1/2026", 2)
        .await
        .unwrap());
    assert!(s.activate_member("HT", "2026-02-01", 3).await.unwrap());
    assert!(!s
        .record_notification("XX", "2026-01-10", "?", 3)
        .await
        .unwrap());
    // A re-import edits the state and keeps what the Secretariat recorded.
    s.put_member_states(&[state("HT", "Republic of Haiti")], 4)
        .await
        .unwrap();
    let states = s.member_states().await.unwrap();
    assert_eq!(states.len(), 2);
    let ht = states.iter().find(|r| r.state.iso2 == "HT").unwrap();
    assert_eq!(ht.state.name, "Republic of Haiti");
    assert_eq!(ht.state.languages, ["en", "fr"]);
    assert_eq!(ht.notified_on.as_deref(), Some("2026-01-10"));
    assert_eq!(ht.activated_on.as_deref(), Some("2026-02-01"));
    assert!(s.remove_member_state("JM").await.unwrap());
    assert!(!s.remove_member_state("JM").await.unwrap());
    assert_eq!(s.member_states().await.unwrap().len(), 1);
}

async fn a_questionnaire_version_never_changes(db: &TestDb) {
    let s = &db.store;
    s.put_questionnaire(1, "{\"v\":1}", 1).await.unwrap();
    // The same content again is fine; other content under the number is not.
    s.put_questionnaire(1, "{\"v\":1}", 2).await.unwrap();
    let err = s.put_questionnaire(1, "{\"v\":2}", 3).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    s.put_questionnaire(2, "{\"v\":2}", 3).await.unwrap();
    let all = s.questionnaires().await.unwrap();
    assert_eq!(all.iter().map(|(v, _)| *v).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(all[0].1, "{\"v\":1}");
}

async fn campaigns_count_reminders_and_close_once(db: &TestDb) {
    let s = &db.store;
    let c = CampaignRecord {
        id: "census-1".into(),
        title: "Census".into(),
        questionnaire: 1,
        recipients: vec!["identity--a".into(), "identity--b".into()],
        reminders: BTreeMap::new(),
        deadline: Some("2026-12-31".into()),
        created_by: "user:admin".into(),
        created_at: 1,
        closed_at: None,
    };
    s.create_campaign(&c).await.unwrap();
    assert!(s.create_campaign(&c).await.is_err(), "ids are unique");
    s.record_reminders("census-1", &["identity--b".into()])
        .await
        .unwrap();
    s.record_reminders("census-1", &["identity--b".into()])
        .await
        .unwrap();
    let stored = s.campaign("census-1").await.unwrap().unwrap();
    assert_eq!(stored.reminders.get("identity--b"), Some(&2));
    assert_eq!(stored.recipients, c.recipients);
    assert!(matches!(
        s.record_reminders("census-9", &[]).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(s.close_campaign("census-1", 5).await.unwrap());
    assert!(!s.close_campaign("census-1", 6).await.unwrap());
    assert_eq!(s.campaigns().await.unwrap().len(), 1);
}

/// A directory identity carrying `tier`, at version `modified`.
fn entry(n: u8, modified: &str, tier: &str) -> Item {
    Item::green(parse(&format!(
        r#"{{"type":"identity","spec_version":"2.1","id":"identity--e0000000-0000-4000-8000-0000000000{n:02x}","created":"2025-06-01T00:00:00.000Z","modified":"{modified}","name":"Team {n}","identity_class":"organization","extensions":{{"{ext}":{{"extension_type":"property-extension","tier":"{tier}"}}}}}}"#,
        ext = vigia_directory::DIRECTORY_EXTENSION_ID,
    )))
}

async fn the_directory_is_read_as_it_stood_at_an_instant(db: &TestDb) {
    let s = &db.store;
    let at = |t: &str| vigia_stix::Timestamp::parse(t).unwrap();
    for item in [
        entry(1, "2025-06-01T00:00:00.000Z", "poc"),
        entry(1, "2026-03-01T00:00:00.000Z", "csirt"),
        entry(2, "2026-07-01T00:00:00.000Z", "poc"),
    ] {
        s.insert_objects(&batch(std::slice::from_ref(&item)))
            .await
            .unwrap();
    }
    let tiers = |objects: Vec<vigia_store::StoredObject>| -> Vec<(String, String)> {
        objects
            .iter()
            .map(|o| {
                let v: serde_json::Value = serde_json::from_str(&o.raw).unwrap();
                (
                    v["name"].as_str().unwrap().to_owned(),
                    v["extensions"][vigia_directory::DIRECTORY_EXTENSION_ID]["tier"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                )
            })
            .collect()
    };
    let types = ["identity"];
    let pair = |n: &str, t: &str| (n.to_owned(), t.to_owned());
    assert_eq!(
        tiers(
            s.directory_objects_as_of(&types, at("2024-12-31T00:00:00Z"))
                .await
                .unwrap()
        ),
        []
    );
    assert_eq!(
        tiers(
            s.directory_objects_as_of(&types, at("2026-01-01T00:00:00Z"))
                .await
                .unwrap()
        ),
        [pair("Team 1", "poc")],
        "the first version only"
    );
    assert_eq!(
        tiers(
            s.directory_objects_as_of(&types, at("2026-03-01T00:00:00Z"))
                .await
                .unwrap()
        ),
        [pair("Team 1", "csirt")],
        "a version at the instant counts"
    );
    assert_eq!(
        tiers(
            s.directory_objects_as_of(&types, at("2027-01-01T00:00:00Z"))
                .await
                .unwrap()
        ),
        tiers(s.directory_objects(&types).await.unwrap()),
        "after the last change, the same as now"
    );
    assert_eq!(
        tiers(s.directory_objects(&types).await.unwrap()),
        [pair("Team 1", "csirt"), pair("Team 2", "poc")]
    );
}
