//! STIX objects: byte-faithful storage, versions, date_added and paging.

use std::collections::HashSet;

use vigia_policy::{viewer_keys, Audience, Community, Role, Viewer};
use vigia_stix::{StixId, Timestamp, Tlp};
use vigia_store::{InsertOutcome, ObjectQuery, StoredObject, VersionFilter};

use crate::support::{
    batch, indicator, indicator_raw, on_both_backends, parse, team, uuid, Item, TestDb, TEAM_A,
    TEAM_B, TEAM_C,
};

on_both_backends!(
    round_trip_is_byte_faithful,
    versions_and_duplicates,
    latest_objects_gives_each_latest_version_once,
    version_filters,
    date_added_strictly_increases,
    paging_never_skips_or_repeats,
    access_keys_select_and_page,
    type_id_and_spec_version_filters,
    concurrent_inserters_and_auditors,
);

fn ts(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn stored_at(outcome: &InsertOutcome) -> Timestamp {
    match outcome {
        InsertOutcome::Stored { date_added } => *date_added,
        other => panic!("expected Stored, got {other:?}"),
    }
}

fn all(limit: u32) -> ObjectQuery {
    ObjectQuery {
        versions: VersionFilter::All,
        limit,
        ..ObjectQuery::default()
    }
}

/// Every page of `query`, following `added_after`, checking each page's
/// size and order.
async fn page_through(db: &TestDb, mut query: ObjectQuery) -> Vec<StoredObject> {
    let mut out: Vec<StoredObject> = Vec::new();
    loop {
        let page = db.store.query_objects(&query).await.unwrap();
        assert!(page.len() <= query.limit as usize);
        for w in page.windows(2) {
            assert!(w[0].date_added < w[1].date_added, "page out of order");
        }
        let Some(last) = page.last() else { break };
        if let Some(prev) = out.last() {
            assert!(prev.date_added < page[0].date_added, "pages overlap");
        }
        query.added_after = Some(last.date_added);
        out.extend(page);
    }
    out
}

async fn round_trip_is_byte_faithful(db: &TestDb) {
    let id = format!("indicator--{}", uuid(7, 1));
    // Odd spacing, key order, escapes and non-ASCII text must survive.
    let raw = format!(
        "{{\n  \"valid_from\" : \"2024-01-01T00:00:00Z\",\"type\":\"indicator\",  \"id\":\"{id}\",\r\n\t\"spec_version\":\"2.1\",\
         \"pattern_type\":\"stix\",\"pattern\":\"[ipv4-addr:value = '198.51.100.1']\",\"created\":\"2024-01-01T00:00:00.000Z\",\
         \"modified\":\"2024-01-02T03:04:05.123456Z\",\"description\":\"caf\\u00e9 — ünïcødé 🛰 \\\"quoted\\\" \\\\ \",\
         \"created_by_ref\":\"{TEAM_B}\",\"object_marking_refs\":[\"{}\"],\"x_num\":1.50e3   }}\n",
        Tlp::Amber.marking_id()
    );
    let object = parse(&raw);
    let mut audience = Audience::new(Tlp::Amber, Some(team(TEAM_B)));
    audience.recipient_teams.insert(team(TEAM_A));
    let item = Item::with_audience(object, audience.clone());
    let outcomes = db
        .store
        .insert_objects(&batch(std::slice::from_ref(&item)))
        .await
        .unwrap();
    let date_added = stored_at(&outcomes[0]);

    let versions = db
        .store
        .object_versions(&StixId::parse(&id).unwrap())
        .await
        .unwrap();
    assert_eq!(versions.len(), 1);
    let o = &versions[0];
    assert_eq!(o.raw, raw);
    assert_eq!(o.date_added, date_added);
    assert_eq!(o.id.as_str(), id);
    assert_eq!(o.object_type, "indicator");
    assert_eq!(o.version, Some(ts("2024-01-02T03:04:05.123456Z")));
    assert_eq!(o.spec_version, "2.1");
    assert_eq!(o.created_by_ref.as_deref(), Some(TEAM_B));
    assert_eq!(o.tlp, Tlp::Amber);
    assert!(!o.revoked);
    assert_eq!(o.audience, audience);

    let page = db.store.query_objects(&all(10)).await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].raw, raw);
    assert_eq!(db.store.count_objects().await.unwrap(), 1);
}

async fn versions_and_duplicates(db: &TestDb) {
    let store = &db.store;
    let v1 = Item::green(indicator(1, "2024-01-01T00:00:00.000Z"));
    let d1 = stored_at(
        &store
            .insert_objects(&batch(std::slice::from_ref(&v1)))
            .await
            .unwrap()[0],
    );

    // The same version again, even written with another precision, is a
    // duplicate reporting the stored date_added.
    let again = Item::green(indicator(1, "2024-01-01T00:00:00.000000Z"));
    let outcome = store.insert_objects(&batch(&[v1, again])).await.unwrap();
    assert_eq!(
        outcome,
        vec![
            InsertOutcome::Duplicate { date_added: d1 },
            InsertOutcome::Duplicate { date_added: d1 }
        ]
    );

    let v2 = Item::green(indicator(1, "2024-02-01T00:00:00.000Z"));
    let d2 = stored_at(&store.insert_objects(&batch(&[v2])).await.unwrap()[0]);
    assert!(d2 > d1);

    // A repeat inside one batch is a duplicate of its first occurrence.
    let v3 = || Item::green(indicator(1, "2024-03-01T00:00:00.000Z"));
    let outcome = store.insert_objects(&batch(&[v3(), v3()])).await.unwrap();
    let d3 = stored_at(&outcome[0]);
    assert!(d3 > d2);
    assert_eq!(outcome[1], InsertOutcome::Duplicate { date_added: d3 });

    // Revoked versions are stored and read back like any other.
    let revoked_raw = indicator_raw(1, "2024-04-01T00:00:00.000Z")
        .replace("\"pattern_type\"", "\"revoked\":true,\"pattern_type\"");
    let v4 = Item::green(parse(&revoked_raw));
    stored_at(&store.insert_objects(&batch(&[v4])).await.unwrap()[0]);

    let id = StixId::parse(&format!("indicator--{}", uuid(1, 1))).unwrap();
    let versions = store.object_versions(&id).await.unwrap();
    let keys: Vec<_> = versions
        .iter()
        .map(|o| o.version.unwrap().to_millis_string())
        .collect();
    assert_eq!(
        keys,
        [
            "2024-01-01T00:00:00.000Z",
            "2024-02-01T00:00:00.000Z",
            "2024-03-01T00:00:00.000Z",
            "2024-04-01T00:00:00.000Z"
        ]
    );
    assert_eq!(
        versions.iter().map(|o| o.revoked).collect::<Vec<_>>(),
        [false, false, false, true]
    );
    assert_eq!(versions[3].raw, revoked_raw);
    assert_eq!(store.count_objects().await.unwrap(), 4);

    let latest = store
        .query_objects(&ObjectQuery {
            limit: 10,
            ..ObjectQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(latest.len(), 1);
    assert!(latest[0].revoked, "the revocation is the latest version");
    assert!(store
        .object_versions(&StixId::parse(&format!("indicator--{}", uuid(1, 9))).unwrap())
        .await
        .unwrap()
        .is_empty());
}

async fn latest_objects_gives_each_latest_version_once(db: &TestDb) {
    let store = &db.store;
    let items = [
        Item::green(indicator(1, "2024-01-01T00:00:00.000Z")),
        Item::green(indicator(1, "2024-02-01T00:00:00.000Z")),
        Item::green(indicator(2, "2024-01-01T00:00:00.000Z")),
    ];
    store.insert_objects(&batch(&items)).await.unwrap();
    let id = |n: u64| items[if n == 1 { 0 } else { 2 }].object.id().to_string();
    let (one, two) = (id(1), id(2));
    let missing = "indicator--00000000-0000-4000-8000-00000000ffff";
    let mut found = store
        .latest_objects(&[one.as_str(), two.as_str(), missing])
        .await
        .unwrap();
    found.sort_by_key(|o| o.id.to_string());
    assert_eq!(found.len(), 2, "each once; the missing one is left out");
    let first = found.iter().find(|o| o.id.to_string() == one).unwrap();
    assert_eq!(first.version, Some(ts("2024-02-01T00:00:00.000Z")));
    assert!(store.latest_objects(&[]).await.unwrap().is_empty());
}

async fn version_filters(db: &TestDb) {
    let store = &db.store;
    let a = |m: &str| Item::green(indicator(1, m));
    let b = |m: &str| Item::green(indicator(2, m));
    store
        .insert_objects(&batch(&[
            a("2024-01-01T00:00:00.000Z"),
            a("2024-03-01T00:00:00.000Z"),
        ]))
        .await
        .unwrap();
    // An older version arriving late does not become the latest.
    store
        .insert_objects(&batch(&[a("2024-02-01T00:00:00.000Z")]))
        .await
        .unwrap();
    // Versions of one id out of order within a batch.
    store
        .insert_objects(&batch(&[
            b("2024-06-01T00:00:00.000Z"),
            b("2024-05-01T00:00:00.000Z"),
        ]))
        .await
        .unwrap();
    // An unversioned observable is both its first and last version.
    let sco = parse(&format!(
        r#"{{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--{}","value":"198.51.100.7"}}"#,
        uuid(3, 1)
    ));
    let sco_id = sco.id().to_string();
    store
        .insert_objects(&batch(&[Item::green(sco)]))
        .await
        .unwrap();

    let a_id = format!("indicator--{}", uuid(1, 1));
    let b_id = format!("indicator--{}", uuid(1, 2));
    let summary = |rows: Vec<StoredObject>| -> Vec<(String, Option<String>)> {
        let mut v: Vec<_> = rows
            .into_iter()
            .map(|o| {
                (
                    o.id.to_string(),
                    o.version.map(|t| t.to_millis_string()[..7].to_owned()),
                )
            })
            .collect();
        v.sort();
        v
    };
    let run = |versions: VersionFilter, keys: Option<Vec<String>>| {
        let query = ObjectQuery {
            versions,
            access_keys: keys,
            limit: 100,
            ..ObjectQuery::default()
        };
        async move { summary(store.query_objects(&query).await.unwrap()) }
    };
    let s = |t: &str| Some(t.to_owned());
    for keys in [
        None,
        Some(vec!["network".to_owned(), format!("team:{TEAM_A}")]),
    ] {
        assert_eq!(
            run(VersionFilter::Last, keys.clone()).await,
            vec![
                (a_id.clone(), s("2024-03")),
                (b_id.clone(), s("2024-06")),
                (sco_id.clone(), None)
            ]
        );
        assert_eq!(
            run(VersionFilter::First, keys.clone()).await,
            vec![
                (a_id.clone(), s("2024-01")),
                (b_id.clone(), s("2024-05")),
                (sco_id.clone(), None)
            ]
        );
        assert_eq!(
            run(
                VersionFilter::At(vec![
                    ts("2024-02-01T00:00:00Z"),
                    ts("2024-05-01T00:00:00.000000Z")
                ]),
                keys.clone()
            )
            .await,
            vec![(a_id.clone(), s("2024-02")), (b_id.clone(), s("2024-05"))]
        );
        assert_eq!(run(VersionFilter::At(vec![]), keys.clone()).await, vec![]);
        assert_eq!(run(VersionFilter::All, keys.clone()).await.len(), 6);
    }
}

async fn date_added_strictly_increases(db: &TestDb) {
    let before = Timestamp::from_unix_micros(time_now_micros()).unwrap();
    let first: Vec<Item> = (0..2_000)
        .map(|n| Item::green(indicator(n, "2024-01-01T00:00:00.000Z")))
        .collect();
    let out1 = db.store.insert_objects(&batch(&first)).await.unwrap();
    let second: Vec<Item> = (2_000..2_010)
        .map(|n| Item::green(indicator(n, "2024-01-01T00:00:00.000Z")))
        .collect();
    let out2 = db.store.insert_objects(&batch(&second)).await.unwrap();

    let dates: Vec<Timestamp> = out1.iter().chain(&out2).map(stored_at).collect();
    assert_eq!(dates.len(), 2_010);
    assert!(
        dates.windows(2).all(|w| w[0] < w[1]),
        "date_added must strictly increase"
    );
    assert!(dates[0] >= before, "date_added follows the clock");
    assert!(
        dates[1_999].unix_micros() - dates[0].unix_micros() == 1_999,
        "a batch gets consecutive micros"
    );

    let stored = page_through(db, all(500)).await;
    let read: Vec<Timestamp> = stored.iter().map(|o| o.date_added).collect();
    assert_eq!(read, dates, "reads return insertion order");
}

fn time_now_micros() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(now.as_micros()).unwrap() - 1
}

async fn paging_never_skips_or_repeats(db: &TestDb) {
    let items: Vec<Item> = (0..5_000)
        .map(|n| Item::green(indicator(n, "2024-01-01T00:00:00.000Z")))
        .collect();
    for chunk in items.chunks(1_000) {
        db.store.insert_objects(&batch(chunk)).await.unwrap();
    }
    let mut query = all(100);
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = db.store.query_objects(&query).await.unwrap();
        if page.is_empty() {
            break;
        }
        assert_eq!(page.len(), 100);
        pages += 1;
        query.added_after = Some(page.last().unwrap().date_added);
        seen.extend(page.into_iter().map(|o| o.id.to_string()));
    }
    assert_eq!(pages, 50);
    let expected: Vec<String> = items.iter().map(|i| i.object.id().to_string()).collect();
    assert_eq!(seen, expected);
}

async fn access_keys_select_and_page(db: &TestDb) {
    // Interleave objects for the public, team A, team B, both, and a rare
    // custom type, so that keys and filters select sparse rows.
    let items: Vec<Item> = (0..1_500u64)
        .map(|n| {
            let object = if n % 97 == 0 {
                parse(&format!(
                    r#"{{"type":"x-vigia-test","spec_version":"2.1","id":"x-vigia-test--{}","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z"}}"#,
                    uuid(9, n)
                ))
            } else {
                indicator(n, "2024-01-01T00:00:00.000Z")
            };
            match n % 4 {
                0 => Item::new(object, Tlp::Clear, Some(TEAM_C)),
                1 => Item::new(object, Tlp::Amber, Some(TEAM_A)),
                2 => Item::new(object, Tlp::Amber, Some(TEAM_B)),
                _ => {
                    let mut audience = Audience::new(Tlp::AmberStrict, Some(team(TEAM_C)));
                    audience.recipient_teams.insert(team(TEAM_A));
                    audience.recipient_teams.insert(team(TEAM_B));
                    Item::with_audience(object, audience)
                }
            }
        })
        .collect();
    for chunk in items.chunks(400) {
        db.store.insert_objects(&batch(chunk)).await.unwrap();
    }

    let viewer = Viewer::Member {
        team: team(TEAM_A),
        user: None,
        role: Role::Analyst,
    };
    let mut keys = viewer_keys(&viewer, &Community::new());
    keys.push(keys[0].clone()); // repeated keys are harmless
    let has_key = |item: &Item| item.keys.iter().any(|k| keys.contains(k));

    let expected: Vec<String> = items
        .iter()
        .filter(|i| has_key(i))
        .map(|i| i.object.id().to_string())
        .collect();
    let got: Vec<String> = page_through(
        db,
        ObjectQuery {
            access_keys: Some(keys.clone()),
            ..all(50)
        },
    )
    .await
    .iter()
    .map(|o| o.id.to_string())
    .collect();
    assert_eq!(got.len(), 1_125);
    assert_eq!(got, expected);

    // A selective filter on top of the keys: windows must keep going.
    let rare = |i: &&Item| i.object.object_type() == "x-vigia-test";
    let expected: Vec<String> = items
        .iter()
        .filter(rare)
        .filter(|i| has_key(i))
        .map(|i| i.object.id().to_string())
        .collect();
    let query = ObjectQuery {
        access_keys: Some(keys.clone()),
        types: vec!["x-vigia-test".to_owned()],
        ..all(3)
    };
    let got: Vec<String> = page_through(db, query)
        .await
        .iter()
        .map(|o| o.id.to_string())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);

    // Team B's private objects stay out of a public viewer's candidates.
    let public = viewer_keys(&Viewer::Public, &Community::new());
    let got = page_through(
        db,
        ObjectQuery {
            access_keys: Some(public),
            ..all(1_000)
        },
    )
    .await;
    assert_eq!(got.len(), 375);
    assert!(got.iter().all(|o| o.tlp == Tlp::Clear));

    let nobody = db
        .store
        .query_objects(&ObjectQuery {
            access_keys: Some(vec![]),
            ..all(10)
        })
        .await
        .unwrap();
    assert!(nobody.is_empty());
    let unknown = db
        .store
        .query_objects(&ObjectQuery {
            access_keys: Some(vec!["team:nobody".to_owned()]),
            ..all(10)
        })
        .await
        .unwrap();
    assert!(unknown.is_empty());
}

async fn type_id_and_spec_version_filters(db: &TestDb) {
    let items: Vec<Item> = (0..20u64)
        .map(|n| {
            if n % 5 == 0 {
                Item::green(parse(&format!(
                    r#"{{"type":"malware","spec_version":"2.1","id":"malware--{}","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"m{n}","is_family":false}}"#,
                    uuid(5, n)
                )))
            } else {
                Item::green(indicator(n, "2024-01-01T00:00:00.000Z"))
            }
        })
        .collect();
    db.store.insert_objects(&batch(&items)).await.unwrap();

    let malware = db
        .store
        .query_objects(&ObjectQuery {
            types: vec!["malware".to_owned()],
            ..all(100)
        })
        .await
        .unwrap();
    assert_eq!(malware.len(), 4);
    assert!(malware.iter().all(|o| o.object_type == "malware"));

    let both = db
        .store
        .query_objects(&ObjectQuery {
            types: vec!["malware".to_owned(), "indicator".to_owned()],
            ..all(100)
        })
        .await
        .unwrap();
    assert_eq!(both.len(), 20);

    let ids = vec![
        items[3].object.id().to_string(),
        items[10].object.id().to_string(),
    ];
    let by_id = db
        .store
        .query_objects(&ObjectQuery {
            ids: ids.clone(),
            ..all(100)
        })
        .await
        .unwrap();
    assert_eq!(
        by_id.iter().map(|o| o.id.to_string()).collect::<Vec<_>>(),
        ids
    );

    let after = by_id[0].date_added;
    let later = db
        .store
        .query_objects(&ObjectQuery {
            ids: ids.clone(),
            added_after: Some(after),
            ..all(100)
        })
        .await
        .unwrap();
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].id.to_string(), ids[1]);

    let with_keys = db
        .store
        .query_objects(&ObjectQuery {
            ids: ids.clone(),
            types: vec!["malware".to_owned()],
            access_keys: Some(vec!["network".to_owned()]),
            ..all(100)
        })
        .await
        .unwrap();
    assert_eq!(
        with_keys
            .iter()
            .map(|o| o.id.to_string())
            .collect::<Vec<_>>(),
        vec![ids[1].clone()]
    );

    let spec = db
        .store
        .query_objects(&ObjectQuery {
            spec_versions: vec!["2.1".to_owned()],
            ..all(100)
        })
        .await
        .unwrap();
    assert_eq!(spec.len(), 20);
    let none = db
        .store
        .query_objects(&ObjectQuery {
            spec_versions: vec!["2.0".to_owned()],
            ..all(100)
        })
        .await
        .unwrap();
    assert!(none.is_empty());
    let zero = db.store.query_objects(&all(0)).await.unwrap();
    assert!(zero.is_empty());
}

async fn concurrent_inserters_and_auditors(db: &TestDb) {
    let left: Vec<Item> = (0..600)
        .map(|n| Item::green(indicator(n, "2024-01-01T00:00:00.000Z")))
        .collect();
    let right: Vec<Item> = (600..1_200)
        .map(|n| Item::green(indicator(n, "2024-01-01T00:00:00.000Z")))
        .collect();
    let (s1, s2) = (db.store.clone(), db.store.clone());
    let insert = |store: vigia_store::Store, items: &'static [Item]| async move {
        let mut dates = Vec::new();
        for chunk in items.chunks(100) {
            dates.extend(
                store
                    .insert_objects(&batch(chunk))
                    .await
                    .unwrap()
                    .iter()
                    .map(stored_at),
            );
        }
        dates
    };
    let (left, right): (&'static [Item], &'static [Item]) = (
        Box::leak(left.into_boxed_slice()),
        Box::leak(right.into_boxed_slice()),
    );
    let audit = |store: vigia_store::Store, actor: &'static str| async move {
        for i in 0..25 {
            store
                .append_audit(&crate::audit::event(actor, i))
                .await
                .unwrap();
        }
    };
    let (d1, d2, (), ()) = tokio::join!(
        tokio::spawn(insert(s1.clone(), left)),
        tokio::spawn(insert(s2.clone(), right)),
        audit(s1, "cli"),
        audit(s2, "public"),
    );
    let (d1, d2) = (d1.unwrap(), d2.unwrap());
    assert!(d1.windows(2).all(|w| w[0] < w[1]));
    assert!(d2.windows(2).all(|w| w[0] < w[1]));
    let unique: HashSet<_> = d1.iter().chain(&d2).collect();
    assert_eq!(unique.len(), 1_200);

    let stored = page_through(db, all(250)).await;
    assert_eq!(stored.len(), 1_200);
    assert_eq!(
        db.store.verify_audit().await.unwrap(),
        vigia_store::AuditVerification::Intact { entries: 50 }
    );
}
