//! Derived indexes (search, correlation) written beside the inserts: they
//! catch up on their own, a query never misses what was stored before it,
//! a backlog left by a crash is indexed when the store opens, and a version
//! deleted before it was indexed is never indexed.

use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::Connection;
use vigia_stix::{StixId, StixObject};
use vigia_store::{InsertOutcome, Store};

use crate::support::{batch, indicator, on_both_backends, parse, uuid, Item, TestDb};

on_both_backends!(
    inserts_are_indexed_without_a_query,
    a_query_indexes_what_it_finds_unindexed,
    a_backlog_is_indexed_when_the_store_opens,
    a_version_deleted_before_indexing_is_never_indexed,
);

const CREATED: &str = "2024-01-01T00:00:00.000Z";
const INDICATORS: u64 = 20;

fn sighting_of(target: &str) -> StixObject {
    parse(
        &json!({"type": "sighting", "spec_version": "2.1", "id": format!("sighting--{}", uuid(40, 1)),
            "created": CREATED, "modified": CREATED, "sighting_of_ref": target, "count": 1})
        .to_string(),
    )
}

/// Twenty indicators (each names 198.51.100.n) and a sighting of the
/// first; returns the date each version was stored at, in order.
async fn store_sample(store: &Store) -> Vec<vigia_stix::Timestamp> {
    let mut objects: Vec<StixObject> = (1..=INDICATORS).map(|n| indicator(n, CREATED)).collect();
    objects.push(sighting_of(&target()));
    let items: Vec<Item> = objects.into_iter().map(Item::green).collect();
    store
        .insert_objects(&batch(&items))
        .await
        .unwrap()
        .into_iter()
        .map(|o| match o {
            InsertOutcome::Stored { date_added } => date_added,
            InsertOutcome::Duplicate { .. } => panic!("fresh objects reported as duplicates"),
        })
        .collect()
}

fn target() -> String {
    indicator(1, CREATED).id().as_str().to_owned()
}

async fn count(db: &TestDb, table: &str) -> i64 {
    let mut conn = db.raw().await;
    let n = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let _ = conn.close().await;
    n
}

/// Waits, without querying any index, until every derived index has
/// caught up; fails after 30 s.
async fn wait_indexed(store: &Store) {
    let start = Instant::now();
    loop {
        let backlog = store.indexing_backlog().await.unwrap();
        if backlog.iter().all(|(_, behind)| *behind == 0) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "still behind after 30 s: {backlog:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What a crash between an insert's commit and its indexing leaves: the
/// objects stored, no derived rows, the progress at the start.
async fn forget_indexing(db: &TestDb) {
    // Nothing may be under way in the background meanwhile.
    db.store.finish_indexing().await.unwrap();
    for sql in [
        "DELETE FROM object_search",
        "DELETE FROM observable_index",
        "DELETE FROM object_refs",
        "UPDATE derived_progress SET through = 0",
    ] {
        db.raw_execute(sql).await;
    }
}

fn behind(n: i64) -> Vec<(String, i64)> {
    vec![("correlation".to_owned(), n), ("search".to_owned(), n)]
}

async fn inserts_are_indexed_without_a_query(db: &TestDb) {
    store_sample(&db.store).await;
    wait_indexed(&db.store).await;
    let stored = INDICATORS as i64 + 1;
    assert_eq!(count(db, "object_search").await, stored);
    assert_eq!(count(db, "observable_index").await, INDICATORS as i64);
    assert_eq!(count(db, "object_refs").await, 1);
}

async fn a_query_indexes_what_it_finds_unindexed(db: &TestDb) {
    let store = &db.store;
    store_sample(store).await;
    forget_indexing(db).await;
    let stored = INDICATORS as i64 + 1;
    assert_eq!(store.indexing_backlog().await.unwrap(), behind(stored));

    let found = store.search_objects("indicator 7", 50).await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    let sightings = store
        .objects_referring_to(&[target().as_str()], &["sighting"], None, 10)
        .await
        .unwrap();
    assert_eq!(sightings.len(), 1);
    assert_eq!(store.indexing_backlog().await.unwrap(), behind(0));
    assert_eq!(count(db, "object_search").await, stored);
}

async fn a_backlog_is_indexed_when_the_store_opens(db: &TestDb) {
    store_sample(&db.store).await;
    forget_indexing(db).await;

    let reopened = Store::connect(&db.url).await.unwrap();
    wait_indexed(&reopened).await;
    assert_eq!(count(db, "object_search").await, INDICATORS as i64 + 1);
    assert_eq!(count(db, "observable_index").await, INDICATORS as i64);
    assert_eq!(count(db, "object_refs").await, 1);
    reopened.close().await;
}

async fn a_version_deleted_before_indexing_is_never_indexed(db: &TestDb) {
    let store = &db.store;
    let dates = store_sample(store).await;
    forget_indexing(db).await;

    let first = StixId::parse(&target()).unwrap();
    assert_eq!(
        store
            .delete_object_versions(&first, &dates[..1])
            .await
            .unwrap(),
        1
    );
    store.finish_indexing().await.unwrap();
    assert_eq!(store.indexing_backlog().await.unwrap(), behind(0));
    assert!(store
        .search_objects("198.51.100.1", 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(count(db, "object_search").await, INDICATORS as i64);
    assert_eq!(count(db, "observable_index").await, INDICATORS as i64 - 1);
}
