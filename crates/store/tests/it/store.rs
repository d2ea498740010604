//! Connecting, reopening and reading back damaged rows.

use vigia_stix::StixId;
use vigia_store::{Backend, ObjectQuery, Store, StoreError, VersionFilter};

use crate::support::{batch, indicator, on_both_backends, Item, TestDb};

on_both_backends!(
    reopening_keeps_data_and_migrations,
    damaged_rows_are_corrupt_not_panics
);

async fn reopening_keeps_data_and_migrations(db: &TestDb) {
    db.store.ping().await.unwrap();
    let expected = if db.url.starts_with("sqlite:") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    };
    assert_eq!(db.store.backend(), expected);
    let items = [Item::green(indicator(1, "2024-01-01T00:00:00.000Z"))];
    db.store.insert_objects(&batch(&items)).await.unwrap();

    // A second handle (another process, say) runs the migrations again
    // harmlessly and continues the same clock.
    let other = Store::connect(&db.url).await.unwrap();
    assert_eq!(other.count_objects().await.unwrap(), 1);
    let later = [Item::green(indicator(2, "2024-01-01T00:00:00.000Z"))];
    other.insert_objects(&batch(&later)).await.unwrap();
    let all = db
        .store
        .query_objects(&ObjectQuery {
            versions: VersionFilter::All,
            limit: 10,
            ..ObjectQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    assert!(all[0].date_added < all[1].date_added);
    other.close().await;
}

async fn damaged_rows_are_corrupt_not_panics(db: &TestDb) {
    let items = [Item::green(indicator(1, "2024-01-01T00:00:00.000Z"))];
    db.store.insert_objects(&batch(&items)).await.unwrap();
    db.raw_execute("UPDATE objects SET tlp = 'purple'").await;
    let id = StixId::parse(items[0].object.id().as_str()).unwrap();
    let err = db.store.object_versions(&id).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");

    db.raw_execute("UPDATE objects SET tlp = 'green', audience = '{\"tlp\":'")
        .await;
    let err = db
        .store
        .query_objects(&ObjectQuery {
            limit: 10,
            ..ObjectQuery::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");

    db.store
        .append_audit(&crate::audit::event("cli", 1))
        .await
        .unwrap();
    db.raw_execute("UPDATE audit_log SET detail = '{'").await;
    let err = db.store.audit_entries(0, 10).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
}

#[tokio::test]
async fn bad_urls_are_connect_errors() {
    let err = Store::connect("mysql://localhost/db").await.unwrap_err();
    assert!(matches!(err, StoreError::Connect { .. }), "{err:?}");
    let err = Store::connect("sqlite:///nonexistent-directory-for-vigia/x.db")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Connect { .. }), "{err:?}");
    let err = Store::connect("postgres://nobody:secret@127.0.0.1:notaport/none")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Connect { .. }), "{err:?}");
    assert!(
        !err.to_string().contains("secret"),
        "the password is not echoed: {err}"
    );
}

/// After a bulk insert the WAL is copied back into the database file in
/// the background: the writer's own automatic checkpoint would wait for
/// 16,384 pages, far more than these objects fill.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_checkpoints_after_bulk_inserts_in_the_background() {
    let db = TestDb::sqlite().await;
    let file = db.url.trim_start_matches("sqlite://").to_owned();
    let size = || std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    let before = size();
    let items: Vec<Item> = (0..2000)
        .map(|n| Item::green(indicator(n, "2024-01-01T00:00:00.000Z")))
        .collect();
    db.store.insert_objects(&batch(&items)).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while size() < before + 400_000 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        size() >= before + 400_000,
        "the database file grew from {before} to only {} bytes: no checkpoint ran",
        size()
    );
    assert_eq!(db.store.count_objects().await.unwrap(), 2000);
}
