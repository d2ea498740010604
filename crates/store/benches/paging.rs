//! Store throughput and page latency, on SQLite and PostgreSQL:
//!
//! ```text
//! VIGIA_PERF_ROWS=1000000 cargo bench -p vigia-store --bench paging
//! ```
//!
//! `VIGIA_PERF_ROWS` sets how many objects the paging measurement loads
//! (default 200,000). Targets: bulk insert of 1,000-object batches at
//! 30,000 objects/s on SQLite and 15,000 on PostgreSQL; a 1,000-row page
//! with access keys under 50 ms at p99 on 1,000,000 rows.

use std::time::{Duration, Instant};

use vigia_policy::{viewer_keys, Audience, Community, Role, Viewer};
use vigia_stix::Tlp;
use vigia_store::{ObjectQuery, VersionFilter};

use crate::support::{batch, parse, team, uuid, Item, TestDb, TEAM_A, TEAM_B, TEAM_C};

#[path = "../tests/it/support.rs"]
#[allow(dead_code, unreachable_pub, unused_macros, unused_imports)]
mod support;

/// Runs both measurements on SQLite, then on PostgreSQL.
fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let db = TestDb::sqlite().await;
        perf_bulk_insert(&db).await;
        perf_paging(&db).await;
        drop(db);
        let db = TestDb::postgres().await;
        perf_bulk_insert(&db).await;
        perf_paging(&db).await;
    });
}

/// About 1 KB: an indicator with a description and a varied audience.
fn object(series: u32, n: u64) -> Item {
    let raw = format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{}","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"perf indicator {n}","description":"{}","pattern":"[ipv4-addr:value = '198.51.{}.{}']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z","labels":["malicious-activity","perf"],"created_by_ref":"{TEAM_C}"}}"#,
        uuid(series, n),
        "lorem ipsum dolor sit amet ".repeat(28),
        (n / 256) % 256,
        n % 256
    );
    let object = parse(&raw);
    match n % 4 {
        0 => Item::new(object, Tlp::Clear, Some(TEAM_C)),
        1 => Item::new(object, Tlp::Green, Some(TEAM_A)),
        2 => Item::new(object, Tlp::Amber, Some(TEAM_B)),
        _ => {
            let mut audience = Audience::new(Tlp::Amber, Some(team(TEAM_C)));
            audience.recipient_teams.insert(team(TEAM_A));
            Item::with_audience(object, audience)
        }
    }
}

async fn perf_bulk_insert(db: &TestDb) {
    const BATCHES: u64 = 30;
    let batches: Vec<Vec<Item>> = (0..BATCHES)
        .map(|b| (0..1_000).map(|k| object(11, b * 1_000 + k)).collect())
        .collect();
    let bytes: usize = batches.iter().flatten().map(|i| i.object.raw().len()).sum();
    let started = Instant::now();
    for items in &batches {
        db.store.insert_objects(&batch(items)).await.unwrap();
    }
    let elapsed = started.elapsed();
    let rate = (BATCHES * 1_000) as f64 / elapsed.as_secs_f64();
    println!(
        "{:?} bulk insert: {} objects ({} bytes avg) in {elapsed:?}: {rate:.0} objects/s",
        db.store.backend(),
        BATCHES * 1_000,
        bytes / (BATCHES as usize * 1_000)
    );
}

async fn perf_paging(db: &TestDb) {
    let rows: u64 = std::env::var("VIGIA_PERF_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let load = Instant::now();
    for b in 0..rows.div_ceil(1_000) {
        let items: Vec<Item> = (b * 1_000..((b + 1) * 1_000).min(rows))
            .map(|n| object(12, n))
            .collect();
        db.store.insert_objects(&batch(&items)).await.unwrap();
    }
    println!(
        "{:?} loaded {rows} objects in {:?}",
        db.store.backend(),
        load.elapsed()
    );

    let all_pages = db
        .store
        .query_objects(&ObjectQuery {
            versions: VersionFilter::All,
            limit: 1,
            ..ObjectQuery::default()
        })
        .await
        .unwrap();
    let first = all_pages[0].date_added.unix_micros();
    let viewer = Viewer::Member {
        team: team(TEAM_B),
        user: None,
        role: Role::Analyst,
    };
    let keys = viewer_keys(&viewer, &Community::new());
    let ids = vec![
        format!("indicator--{}", uuid(12, rows - 1)),
        format!("indicator--{}", uuid(12, rows / 2)),
    ];
    let cases = [
        ("no keys", None, vec![], 1_000),
        ("team B keys", Some(keys.clone()), vec![], 1_000),
        ("two ids", None, ids.clone(), 1),
        ("two ids, team B keys", Some(keys), ids, 1),
    ];
    for (label, access_keys, ids, min_rows) in cases {
        let mut times = Vec::new();
        for i in 0..100u64 {
            // Cursors spread over the first half of the table.
            let offset = (i * 7_919 % 100) * rows / 200;
            let query = ObjectQuery {
                ids: ids.clone(),
                access_keys: access_keys.clone(),
                added_after: Some(
                    vigia_stix::Timestamp::from_unix_micros(first + offset as i64).unwrap(),
                ),
                limit: 1_000,
                ..ObjectQuery::default()
            };
            let started = Instant::now();
            let page = db.store.query_objects(&query).await.unwrap();
            times.push(started.elapsed());
            assert!(page.len() >= min_rows, "{label}: {} rows", page.len());
        }
        times.sort();
        let pct = |p: usize| times[(times.len() * p / 100).min(times.len() - 1)];
        println!(
            "{:?} 1,000-row page, {label}, {rows} rows: p50 {:?} p99 {:?} max {:?}",
            db.store.backend(),
            pct(50),
            pct(99),
            times.last().copied().unwrap_or(Duration::ZERO)
        );
    }
}
