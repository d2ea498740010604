//! The federation outbox (what is due for each peer, with the relay hint
//! queued beside each object) and the configuration each delivery reads.

use vigia_policy::{GroupName, Tlp, Viewer};
use vigia_store::{DeliveryOutcome, NewObject, NewPeer};

use crate::support::{indicator, on_both_backends, team, Item, TestDb, TEAM_A, TEAM_B, TEAM_C};

on_both_backends!(
    due_deliveries_come_per_peer_in_order_with_their_covered_sets,
    federation_snapshot_reads_every_table_at_once,
);

async fn federation_snapshot_reads_every_table_at_once(db: &TestDb) {
    let s = &db.store;
    let empty = s
        .federation_snapshot(Some("outbound_policy"))
        .await
        .unwrap();
    assert!(empty.peers.is_empty() && empty.groups.is_empty() && empty.setting.is_none());

    s.add_peer(&NewPeer {
        team_id: team(TEAM_B),
        name: "BR".into(),
        url: "https://br.example".into(),
        fingerprint: "SHA256:b".into(),
        public_key: "a2V5LWI".into(),
        node_id: "node-br".into(),
        country: "BR".into(),
    })
    .await
    .unwrap();
    let local = GroupName::parse("caribbean").unwrap();
    let foreign = GroupName::parse("mercosur").unwrap();
    s.put_sharing_group(&local, &team(TEAM_A), &[team(TEAM_B), team(TEAM_A)])
        .await
        .unwrap();
    s.put_foreign_group(&foreign, &team(TEAM_B), &[team(TEAM_C)], "{\"signed\":1}")
        .await
        .unwrap();
    s.put_setting("outbound_policy", "{}").await.unwrap();
    s.put_setting("other", "x").await.unwrap();

    let snap = s
        .federation_snapshot(Some("outbound_policy"))
        .await
        .unwrap();
    assert_eq!(snap.peers, vec![team(TEAM_B)]);
    assert_eq!(
        snap.node_keys.get(TEAM_B).map(String::as_str),
        Some("a2V5LWI")
    );
    assert_eq!(
        snap.setting.as_deref(),
        Some("{}"),
        "only the setting asked for"
    );
    assert_eq!(
        snap.groups,
        vec![
            (
                local.clone(),
                team(TEAM_A),
                vec![team(TEAM_A), team(TEAM_B)]
            ),
            (foreign.clone(), team(TEAM_B), vec![team(TEAM_C)]),
        ]
    );
    assert_eq!(
        snap.foreign_groups.keys().collect::<Vec<_>>(),
        vec!["mercosur"]
    );
    let c = Viewer::Peer { team: team(TEAM_C) };
    let mut audience = vigia_policy::Audience::new(Tlp::Green, Some(team(TEAM_B)));
    audience.sharing_groups.insert(foreign);
    assert!(vigia_policy::may_view(&c, &audience, &snap.community));
    assert_eq!(s.community().await.unwrap(), snap.community);
    assert!(s.federation_snapshot(None).await.unwrap().setting.is_none());
}

async fn due_deliveries_come_per_peer_in_order_with_their_covered_sets(db: &TestDb) {
    let s = &db.store;
    let items: Vec<Item> = (1..=5)
        .map(|n| Item::green(indicator(n, "2026-01-01T00:00:00.000Z")))
        .collect();
    let both = [TEAM_B.to_owned(), TEAM_C.to_owned()];
    let only_b = [TEAM_B.to_owned()];
    let covered = format!(r#"["{TEAM_B}","{TEAM_C}"]"#);
    let news: Vec<NewObject<'_>> = items
        .iter()
        .enumerate()
        .map(|(i, item)| NewObject {
            deliver_to: if i < 4 { &both } else { &only_b },
            covered: (i < 4).then_some(covered.as_str()),
            ..item.as_new()
        })
        .collect();
    s.insert_objects(&news).await.unwrap();

    let ids = |batch: &vigia_store::DueBatch| -> Vec<String> {
        batch
            .objects
            .iter()
            .map(|q| q.object.id.to_string())
            .collect()
    };
    let id = |n: usize| items[n].object.id().to_string();
    let first = s.due_deliveries(3).await.unwrap();
    assert_eq!(first.len(), 2, "one batch per peer");
    let b = first.iter().find(|x| x.peer == team(TEAM_B)).unwrap();
    let c = first.iter().find(|x| x.peer == team(TEAM_C)).unwrap();
    assert_eq!(ids(b), vec![id(0), id(1), id(2)], "oldest first, at most 3");
    assert_eq!(ids(c), vec![id(0), id(1), id(2)]);
    assert!(b
        .objects
        .iter()
        .all(|q| q.covered.as_deref() == Some(covered.as_str())));
    assert_eq!(b.attempts, 0);

    for batch in &first {
        let done: Vec<_> = batch
            .objects
            .iter()
            .map(|q| (q.object.date_added, DeliveryOutcome::Delivered))
            .collect();
        s.finish_deliveries(&batch.peer, &done, true).await.unwrap();
    }
    let second = s.due_deliveries(3).await.unwrap();
    let b = second.iter().find(|x| x.peer == team(TEAM_B)).unwrap();
    let c = second.iter().find(|x| x.peer == team(TEAM_C)).unwrap();
    assert_eq!(ids(b), vec![id(3), id(4)]);
    assert_eq!(b.objects[1].covered, None, "queued without a hint");
    assert_eq!(ids(c), vec![id(3)]);

    // A failed attempt is not due again until its retry time.
    let dates: Vec<_> = c.objects.iter().map(|q| q.object.date_added).collect();
    let later = vigia_stix::Timestamp::from_datetime(
        time::OffsetDateTime::now_utc() + time::Duration::minutes(5),
    );
    s.retry_deliveries(&team(TEAM_C), &dates, "peer down", later)
        .await
        .unwrap();
    let third = s.due_deliveries(3).await.unwrap();
    assert_eq!(third.len(), 1, "only B is due");
    assert_eq!(third[0].peer, team(TEAM_B));
}
