//! The correlation index on both back-ends: values found through patterns,
//! SCOs and enclosing networks, latest versions only, the cap, references
//! and deletion.

use serde_json::json;
use vigia_correlate::{probes, value_key, Observable};
use vigia_stix::{StixId, StixObject, Tlp};
use vigia_store::Store;

use crate::support::{batch, on_both_backends, parse, uuid, Item, TestDb, TEAM_A, TEAM_B};

on_both_backends!(
    values_are_found_through_patterns_scos_and_networks,
    only_latest_unrevoked_versions_match,
    a_value_past_the_cap_is_flagged_not_indexed,
    lookups_skip_common_networks_and_list_a_common_value_in_part,
    networks_indexed_by_another_process_are_found,
    access_keys_narrow_matches,
    references_lead_back_to_sightings_and_notes,
    deleted_versions_leave_the_correlation_index,
    cooperation_records_are_listed_by_kind,
);

const CREATED: &str = "2024-01-01T00:00:00.000Z";

fn indicator_id(n: u64) -> String {
    format!("indicator--{}", uuid(30, n))
}

fn indicator(n: u64, modified: &str, pattern: &str) -> StixObject {
    parse(
        &json!({
            "type": "indicator", "spec_version": "2.1", "id": indicator_id(n),
            "created": CREATED, "modified": modified, "pattern": pattern,
            "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z",
        })
        .to_string(),
    )
}

async fn store_green(store: &Store, objects: Vec<StixObject>) {
    let items: Vec<Item> = objects.into_iter().map(Item::green).collect();
    store.insert_objects(&batch(&items)).await.unwrap();
}

/// The ids matching `value` (as typed), with the value each matched by.
async fn lookup(store: &Store, value: &str, keys: Option<&[String]>) -> Vec<(String, String)> {
    let o = Observable::infer(value).unwrap();
    let prefixes = store.observable_prefixes().await.unwrap();
    let probes = probes(&o, &prefixes);
    let keys_of: Vec<i64> = probes.iter().map(|p| p.key).collect();
    let mut out: Vec<(String, String)> = store
        .observable_matches(&keys_of, keys)
        .await
        .unwrap()
        .into_iter()
        .map(|m| {
            let via = probes.iter().find(|p| p.key == m.value_key).unwrap();
            (m.id.to_string(), via.matched().value)
        })
        .collect();
    out.sort();
    out
}

async fn values_are_found_through_patterns_scos_and_networks(db: &TestDb) {
    let store = &db.store;
    let sco_id = format!("domain-name--{}", uuid(31, 1));
    store_green(
        store,
        vec![
            indicator(
                1,
                CREATED,
                "[ipv4-addr:value = '198.51.100.7'] OR [domain-name:value = 'Evil.Example']",
            ),
            indicator(2, CREATED, "[ipv4-addr:value ISSUBSET '198.51.100.0/24']"),
            indicator(3, CREATED, "[ipv4-addr:value = '10.0.0.0/8']"),
            parse(
                &json!({"type": "domain-name", "spec_version": "2.1", "id": sco_id,
                "value": "evil.example."})
                .to_string(),
            ),
        ],
    )
    .await;
    assert_eq!(
        lookup(store, "198.51.100.7", None).await,
        [
            (indicator_id(1), "198.51.100.7".to_owned()),
            (indicator_id(2), "198.51.100.0/24".to_owned()),
        ]
    );
    assert_eq!(
        lookup(store, "EVIL.example", None).await,
        [
            (sco_id, "evil.example".to_owned()),
            (indicator_id(1), "evil.example".to_owned())
        ]
    );
    assert_eq!(
        lookup(store, "10.20.30.40", None).await,
        [(indicator_id(3), "10.0.0.0/8".to_owned())]
    );
    assert!(lookup(store, "203.0.113.1", None).await.is_empty());
    let prefixes = store.observable_prefixes().await.unwrap();
    assert_eq!(prefixes.v4, [8, 24]);
}

async fn only_latest_unrevoked_versions_match(db: &TestDb) {
    let store = &db.store;
    store_green(
        store,
        vec![
            indicator(1, CREATED, "[ipv4-addr:value = '192.0.2.1']"),
            indicator(
                1,
                "2024-02-01T00:00:00.000Z",
                "[ipv4-addr:value = '192.0.2.2']",
            ),
        ],
    )
    .await;
    assert!(
        lookup(store, "192.0.2.1", None).await.is_empty(),
        "superseded"
    );
    assert_eq!(lookup(store, "192.0.2.2", None).await.len(), 1);
    let mut revoked: serde_json::Value = serde_json::from_str(
        indicator(
            1,
            "2024-03-01T00:00:00.000Z",
            "[ipv4-addr:value = '192.0.2.2']",
        )
        .raw(),
    )
    .unwrap();
    revoked["revoked"] = json!(true);
    store_green(store, vec![parse(&revoked.to_string())]).await;
    assert!(lookup(store, "192.0.2.2", None).await.is_empty(), "revoked");
}

async fn a_value_past_the_cap_is_flagged_not_indexed(db: &TestDb) {
    let store = &db.store;
    store.set_correlation_cap(3);
    // Two in one batch, then three more one by one.
    store_green(
        store,
        (1..=2)
            .map(|n| indicator(n, CREATED, "[domain-name:value = 'common.example']"))
            .collect(),
    )
    .await;
    for n in 3..=5 {
        store_green(
            store,
            vec![indicator(
                n,
                CREATED,
                "[domain-name:value = 'common.example']",
            )],
        )
        .await;
    }
    assert_eq!(lookup(store, "common.example", None).await.len(), 3);
    let key = value_key(&Observable::infer("common.example").unwrap());
    let other = value_key(&Observable::infer("rare.example").unwrap());
    let flagged = store.over_correlating(&[key, other]).await.unwrap();
    assert_eq!(flagged.into_iter().collect::<Vec<_>>(), [key]);
    let stats = store.correlation_stats().await.unwrap();
    assert_eq!((stats.index_rows, stats.over_correlating), (3, 1));
}

async fn access_keys_narrow_matches(db: &TestDb) {
    let store = &db.store;
    let a = Item::new(
        indicator(1, CREATED, "[ipv4-addr:value = '192.0.2.9']"),
        Tlp::Red,
        Some(TEAM_A),
    );
    let b = Item::new(
        indicator(2, CREATED, "[ipv4-addr:value = '192.0.2.9']"),
        Tlp::Amber,
        Some(TEAM_B),
    );
    store.insert_objects(&batch(&[a, b])).await.unwrap();
    let b_keys = vec![format!("team:{TEAM_B}")];
    assert_eq!(
        lookup(store, "192.0.2.9", Some(&b_keys)).await,
        [(indicator_id(2), "192.0.2.9".to_owned())]
    );
    assert!(lookup(store, "192.0.2.9", Some(&[])).await.is_empty());
    assert_eq!(lookup(store, "192.0.2.9", None).await.len(), 2);
}

async fn references_lead_back_to_sightings_and_notes(db: &TestDb) {
    let store = &db.store;
    let target = indicator_id(1);
    let sighting = parse(
        &json!({"type": "sighting", "spec_version": "2.1", "id": format!("sighting--{}", uuid(32, 1)),
            "created": CREATED, "modified": CREATED, "sighting_of_ref": target, "count": 3})
        .to_string(),
    );
    let note = parse(
        &json!({"type": "note", "spec_version": "2.1", "id": format!("note--{}", uuid(33, 1)),
            "created": CREATED, "modified": CREATED, "content": "analysing", "object_refs": [target]})
        .to_string(),
    );
    store_green(
        store,
        vec![
            indicator(1, CREATED, "[ipv4-addr:value = '192.0.2.1']"),
            sighting,
            note,
        ],
    )
    .await;
    let all = store
        .objects_referring_to(&[target.as_str()], &[], None, 10)
        .await
        .unwrap();
    let types: Vec<&str> = all.iter().map(|o| o.object_type.as_str()).collect();
    assert_eq!(types, ["note", "sighting"], "newest first");
    let sightings = store
        .objects_referring_to(&[target.as_str()], &["sighting"], None, 10)
        .await
        .unwrap();
    assert_eq!(sightings.len(), 1);
    assert!(store
        .objects_referring_to(&[target.as_str()], &[], Some(&[]), 10)
        .await
        .unwrap()
        .is_empty());
}

async fn deleted_versions_leave_the_correlation_index(db: &TestDb) {
    let store = &db.store;
    store_green(
        store,
        vec![indicator(
            1,
            CREATED,
            "[ipv4-addr:value = '192.0.2.77'] OR [ipv4-addr:value ISSUBSET '203.0.113.0/24'] \
             OR [ipv6-addr:value ISSUBSET '2001:db8::/32']",
        )],
    )
    .await;
    assert_eq!(lookup(store, "192.0.2.77", None).await.len(), 1);
    assert_eq!(store.correlation_stats().await.unwrap().index_rows, 3);
    let id = StixId::parse(&indicator_id(1)).unwrap();
    let versions = store.object_versions(&id).await.unwrap();
    store
        .delete_object_versions(&id, &[versions[0].date_added])
        .await
        .unwrap();
    assert!(lookup(store, "192.0.2.77", None).await.is_empty());
    assert!(lookup(store, "203.0.113.5", None).await.is_empty());
    assert_eq!(
        store.correlation_stats().await.unwrap().index_rows,
        0,
        "networks leave their tables too"
    );
}

async fn lookups_skip_common_networks_and_list_a_common_value_in_part(db: &TestDb) {
    let store = &db.store;
    store.set_correlation_cap(2);
    // 10.0.0.0/8 and common.example are each named by three indicators.
    let mut objects: Vec<StixObject> = (1..=3)
        .map(|n| {
            indicator(
                n,
                CREATED,
                "[ipv4-addr:value ISSUBSET '10.0.0.0/8'] OR [domain-name:value = 'common.example']",
            )
        })
        .collect();
    objects.push(indicator(
        4,
        CREATED,
        "[ipv4-addr:value ISSUBSET '10.1.0.0/16']",
    ));
    store_green(store, objects).await;
    let address = Observable::infer("10.1.2.3").unwrap();
    let prefixes = store.observable_prefixes().await.unwrap();
    let keys = vigia_correlate::LookupKeys::of([&address], &prefixes);
    let (found, flagged) = store.lookup_candidates(&keys, None, 1).await.unwrap();
    let ids: Vec<String> = found.iter().map(|m| m.id.to_string()).collect();
    assert_eq!(
        ids,
        [indicator_id(4)],
        "the common /8 is not fetched for every address in it"
    );
    assert!(flagged.is_empty(), "the address itself is not common");
    let common = Observable::infer("common.example").unwrap();
    let key = value_key(&common);
    let keys = vigia_correlate::LookupKeys::of([&common], &prefixes);
    let (found, flagged) = store.lookup_candidates(&keys, None, 1).await.unwrap();
    assert_eq!(
        found.len(),
        1,
        "a common value itself: its newest candidates, limited"
    );
    assert!(flagged.contains(&key));
}

/// Each process holds the IPv4 network keys in memory: a network indexed
/// after its first lookup, by this process or another one (a replica on
/// the same database), is found by its next.
async fn networks_indexed_by_another_process_are_found(db: &TestDb) {
    let store = &db.store;
    let other = Store::connect(&db.url).await.unwrap();
    let ids_for = |value: &'static str| async move {
        let o = Observable::infer(value).unwrap();
        let prefixes = store.observable_prefixes().await.unwrap();
        let keys = vigia_correlate::LookupKeys::of([&o], &prefixes);
        let (found, _) = store.lookup_candidates(&keys, None, 10).await.unwrap();
        let mut ids: Vec<String> = found.iter().map(|m| m.id.to_string()).collect();
        ids.sort();
        ids
    };
    store_green(
        store,
        vec![indicator(
            1,
            CREATED,
            "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
        )],
    )
    .await;
    assert_eq!(ids_for("198.51.100.7").await, [indicator_id(1)]);
    store_green(
        &other,
        vec![indicator(
            2,
            CREATED,
            "[ipv4-addr:value ISSUBSET '198.51.0.0/16']",
        )],
    )
    .await;
    store_green(
        store,
        vec![indicator(
            3,
            CREATED,
            "[ipv4-addr:value ISSUBSET '198.51.100.0/25']",
        )],
    )
    .await;
    assert_eq!(
        ids_for("198.51.100.7").await,
        [indicator_id(1), indicator_id(2), indicator_id(3)],
        "a new prefix length and a network added elsewhere"
    );
    assert_eq!(
        ids_for("198.51.100.200").await,
        [indicator_id(1), indicator_id(2)]
    );
    assert!(ids_for("198.52.0.1").await.is_empty());
    other.close().await;
}

/// Cooperation records (issue 11) are listed by kind, latest version
/// only, through the reference index.
async fn cooperation_records_are_listed_by_kind(db: &TestDb) {
    use vigia_cooperation::{Kind, RecordDraft};
    let store = &db.store;
    let team = format!("identity--{}", uuid(34, 1));
    let draft = |kind, title: &str| RecordDraft {
        kind,
        team: team.clone(),
        title: title.into(),
        summary: String::new(),
        refs: vec![],
        body: json!({}),
        tlp: Tlp::Green,
        distribution: Default::default(),
    };
    let t0 = vigia_stix::Timestamp::parse(CREATED).unwrap();
    let t1 = vigia_stix::Timestamp::parse("2024-02-01T00:00:00Z").unwrap();
    let event_id = format!("note--{}", uuid(35, 1));
    let event = draft(Kind::Event, "Quarterly call").to_stix(&event_id, t0, t0);
    let moved = draft(Kind::Event, "Quarterly call (moved)").to_stix(&event_id, t0, t1);
    let doc = draft(Kind::Document, "Lessons").to_stix(&format!("note--{}", uuid(35, 2)), t0, t0);
    store_green(
        store,
        vec![parse(&event.to_string()), parse(&doc.to_string())],
    )
    .await;
    store_green(store, vec![parse(&moved.to_string())]).await;
    let events = store
        .cooperation_records(Kind::Event, None, 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 1, "the latest version only");
    assert!(events[0].raw.contains("(moved)"));
    let docs = store
        .cooperation_records(Kind::Document, None, 10)
        .await
        .unwrap();
    assert_eq!(docs.len(), 1);
    assert!(store
        .cooperation_records(Kind::Milestone, None, 10)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .cooperation_records(Kind::Event, Some(&[]), 10)
        .await
        .unwrap()
        .is_empty());
}
