//! Correlation benchmark (issue 10): a store holding N indicator values of
//! mixed types (5% networks), then
//!
//! 1. the size of the correlation index against the raw values;
//! 2. batch lookups of 10,000 values (half of them stored), as
//!    `POST /api/lookup` runs them: normal forms, network probes, candidate
//!    matches narrowed by a viewer's access keys, `may_view` on each,
//!    over-correlation flags and the sightings of what matched;
//! 3. what correlation adds to ingesting a bundle of 10,000 new indicators,
//!    through the server's ingest path: the same bundle shape with
//!    `pattern_type` "stix" (parsed and indexed) against "sigma" (neither),
//!    alternated, medians compared.
//!
//! ```text
//! cargo bench -p vigia-store --bench correlation -- [--values N] [--backend sqlite|postgres]
//!     [--rounds R] [--keep] [--reuse DIR] [--lookup-only]
//! ```
//!
//! `--keep` leaves the SQLite database and the sample of stored values in
//! a directory; `--reuse DIR` measures on it again without loading (the
//! ingest measurement then adds to it).
//!
//! Defaults: 10,000,000 values, SQLite, 30 lookup rounds. Data are
//! deterministic (SplitMix64) and their generation is not timed. Without
//! `--bench` (under `cargo test --benches`) it runs a 20,000-value smoke
//! test.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sqlx::{Connection, Executor, Row};
use vigia_correlate::{probes, Observable};
use vigia_policy::{may_view, object_keys, viewer_keys, Audience, TeamId, Viewer};
use vigia_stix::{SchemaSet, StixObject, Tlp};
use vigia_store::ingest::{ingest, IngestContext};
use vigia_store::{NewObject, Store};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const VALUES_PER_INDICATOR: usize = 20;
const OBJECTS_PER_BATCH: usize = 1_000;
const LOOKUP_VALUES: usize = 10_000;
const NEW_BUNDLE: usize = 10_000;
const BUNDLE_ROUNDS: usize = 5;
/// Stored values kept aside to look up as hits.
const SAMPLE: usize = 200_000;
const TEAM_A: &str = "identity--a0000000-0000-4000-8000-00000000000a";
const TEAM_B: &str = "identity--b0000000-0000-4000-8000-00000000000b";
const TEAM_C: &str = "identity--c0000000-0000-4000-8000-00000000000c";
const DEFAULT_POSTGRES_URL: &str = "postgres://root@127.0.0.1:5432/test";

struct Options {
    values: usize,
    postgres: bool,
    rounds: usize,
    keep: bool,
    reuse: Option<PathBuf>,
    lookup_only: bool,
    smoke: bool,
}

fn options() -> Result<Options, BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let smoke = !args.iter().any(|a| a == "--bench");
    let mut o = Options {
        values: if smoke { 20_000 } else { 10_000_000 },
        postgres: false,
        rounds: if smoke { 2 } else { 30 },
        keep: false,
        reuse: None,
        lookup_only: false,
        smoke,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--bench" => {}
            "--values" => o.values = value()?.replace('_', "").parse()?,
            "--rounds" => o.rounds = value()?.parse()?,
            "--backend" => {
                o.postgres = match value()?.as_str() {
                    "sqlite" => false,
                    "postgres" => true,
                    other => return Err(format!("--backend {other}: sqlite or postgres").into()),
                }
            }
            "--keep" => o.keep = true,
            "--reuse" => o.reuse = Some(PathBuf::from(value()?)),
            "--lookup-only" => o.lookup_only = true,
            other if other.starts_with('-') => return Err(format!("unknown option {other}").into()),
            _ => {}
        }
    }
    Ok(o)
}

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn hex(&mut self, bytes: usize) -> String {
        (0..bytes)
            .map(|_| format!("{:02x}", self.next() as u8))
            .collect()
    }

    fn uuid(&mut self) -> String {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.next().to_le_bytes());
        b[8..].copy_from_slice(&self.next().to_le_bytes());
        uuid::Builder::from_random_bytes(b).into_uuid().to_string()
    }
}

const TLDS: &[&str] = &[
    "com", "net", "org", "example", "info", "br", "mx", "co", "pa", "cr",
];
const WORDS: &[&str] = &[
    "secure", "login", "update", "bank", "mail", "cdn", "portal", "pay", "cloud", "files",
];

/// One value as a pattern comparison, and its normal form (what the
/// index stands for). Mix: IPv4 25%, IPv4 networks 4%, IPv6 4%, IPv6
/// networks 1%, domains 25%, URLs 15%, e-mail 5%, MD5 7%, SHA-1 4%,
/// SHA-256 8%, AS 1%, MAC 1%. Network prefixes follow `IPV4_PREFIXES`.
fn value(rng: &mut Rng) -> (String, Observable) {
    let domain = |rng: &mut Rng| {
        format!(
            "{}{}.{}",
            WORDS[rng.below(WORDS.len() as u64) as usize],
            rng.below(50_000_000),
            TLDS[rng.below(TLDS.len() as u64) as usize]
        )
    };
    let roll = rng.below(100);
    let (path, text) = match roll {
        0..=24 => (
            "ipv4-addr:value =",
            std::net::Ipv4Addr::from(rng.next() as u32).to_string(),
        ),
        25..=28 => ("ipv4-addr:value ISSUBSET", ipv4_network(rng)),
        29..=32 => (
            "ipv6-addr:value =",
            std::net::Ipv6Addr::from(ipv6_head(rng) | u128::from(rng.next())).to_string(),
        ),
        33 => {
            let len = [32u8, 48, 48, 64, 64][rng.below(5) as usize];
            let addr = std::net::Ipv6Addr::from(ipv6_head(rng) | (u128::from(rng.next()) << 64));
            ("ipv6-addr:value ISSUBSET", format!("{addr}/{len}"))
        }
        34..=58 => ("domain-name:value =", domain(rng)),
        59..=73 => (
            "url:value =",
            format!(
                "https://{}/{}/{}.php",
                domain(rng),
                WORDS[rng.below(10) as usize],
                rng.below(1_000_000)
            ),
        ),
        74..=78 => (
            "email-addr:value =",
            format!("user{}@{}", rng.below(1_000_000), domain(rng)),
        ),
        79..=85 => ("file:hashes.MD5 =", rng.hex(16)),
        86..=89 => ("file:hashes.'SHA-1' =", rng.hex(20)),
        90..=97 => ("file:hashes.'SHA-256' =", rng.hex(32)),
        98 => (
            "autonomous-system:number =",
            (rng.below(400_000) + 1).to_string(),
        ),
        _ => ("mac-addr:value =", {
            let h = rng.hex(6);
            (0..6)
                .map(|i| &h[i * 2..i * 2 + 2])
                .collect::<Vec<_>>()
                .join(":")
        }),
    };
    let literal = if path.starts_with("autonomous-system") {
        text.clone()
    } else {
        format!("'{text}'")
    };
    let pattern = format!("[{path} {literal}]");
    let observable = vigia_correlate::observables(&json!({
        "type": "indicator", "pattern_type": "stix", "pattern": pattern
    }))
    .pop()
    .expect("generated values normalise");
    (pattern, observable)
}

/// Prefix lengths of IPv4 network indicators as block lists have them:
/// mostly /24, some /16 to /23, a few shorter, weights in percent.
const IPV4_PREFIXES: &[(u8, u64)] = &[
    (24, 55),
    (23, 5),
    (22, 10),
    (21, 5),
    (20, 6),
    (19, 3),
    (18, 2),
    (17, 2),
    (16, 8),
    (15, 1),
    (14, 1),
    (13, 1),
];
/// The broad networks that do appear, over and over: special-use space.
const BOGONS: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
];

fn ipv4_network(rng: &mut Rng) -> String {
    let mut roll = rng.below(100);
    for &(len, weight) in IPV4_PREFIXES {
        if roll < weight {
            let addr = std::net::Ipv4Addr::from(rng.next() as u32);
            return format!("{addr}/{len}");
        }
        roll -= weight;
    }
    BOGONS[rng.below(BOGONS.len() as u64) as usize].to_owned()
}

/// A global unicast /32 (2000::/4 and up).
fn ipv6_head(rng: &mut Rng) -> u128 {
    u128::from(0x2000_0000u32 | (rng.next() as u32 & 0x0fff_ffff)) << 96
}

fn indicator(rng: &mut Rng, comparisons: &[String], pattern_type: &str) -> Value {
    json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--{}", rng.uuid()),
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "pattern": comparisons.join(" OR "),
        "pattern_type": pattern_type,
        "valid_from": "2026-01-01T00:00:00Z"
    })
}

struct Loaded {
    raw_value_bytes: u64,
    values: usize,
    sample: Vec<String>,
    load: Duration,
}

/// Stores `n` values in indicators of 20, 95% TLP:GREEN from team A and
/// 5% TLP:AMBER for team C only; 1% of indicators get a sighting.
async fn load(
    store: &Store,
    schemas: &SchemaSet,
    n: usize,
    rng: &mut Rng,
) -> Result<Loaded, BoxError> {
    let mut raw_value_bytes = 0u64;
    let mut sample = Vec::with_capacity(SAMPLE);
    let mut seen = 0usize;
    let mut generated = 0usize;
    let mut busy = Duration::ZERO;
    let mut last_report = Instant::now();
    while generated < n {
        let mut objects = Vec::with_capacity(OBJECTS_PER_BATCH);
        let mut audiences = Vec::with_capacity(OBJECTS_PER_BATCH);
        for _ in 0..OBJECTS_PER_BATCH {
            if generated >= n {
                break;
            }
            let k = VALUES_PER_INDICATOR.min(n - generated);
            let mut comparisons = Vec::with_capacity(k);
            for _ in 0..k {
                let (pattern, o) = value(rng);
                raw_value_bytes += o.value.len() as u64;
                seen += 1;
                // Reservoir sampling keeps a uniform sample of what is stored.
                if sample.len() < SAMPLE {
                    sample.push(o.value.clone());
                } else {
                    let j = rng.below(seen as u64) as usize;
                    if j < SAMPLE {
                        sample[j] = o.value.clone();
                    }
                }
                comparisons.push(pattern);
            }
            generated += k;
            let v = indicator(rng, &comparisons, "stix");
            let amber = rng.below(100) < 5;
            let audience = if amber {
                let mut a = Audience::new(Tlp::Amber, Some(team(TEAM_A)));
                a.recipient_teams.insert(team(TEAM_C));
                a
            } else {
                Audience::new(Tlp::Green, Some(team(TEAM_A)))
            };
            if rng.below(100) == 0 {
                let sighting = json!({
                    "type": "sighting", "spec_version": "2.1",
                    "id": format!("sighting--{}", rng.uuid()),
                    "created": "2026-01-02T00:00:00.000Z", "modified": "2026-01-02T00:00:00.000Z",
                    "sighting_of_ref": v["id"], "count": 3, "created_by_ref": TEAM_B
                });
                objects.push(StixObject::parse(&sighting.to_string(), schemas)?);
                audiences.push(Audience::new(Tlp::Green, Some(team(TEAM_B))));
            }
            objects.push(StixObject::parse(&v.to_string(), schemas)?);
            audiences.push(audience);
        }
        let keys: Vec<Vec<String>> = audiences.iter().map(object_keys).collect();
        let batch: Vec<NewObject<'_>> = objects
            .iter()
            .zip(&audiences)
            .zip(&keys)
            .map(|((object, audience), keys)| NewObject {
                object,
                audience,
                access_keys: keys,
                deliver_to: &[],
                covered: None,
            })
            .collect();
        let t = Instant::now();
        store.insert_objects(&batch).await?;
        busy += t.elapsed();
        if last_report.elapsed() > Duration::from_secs(30) {
            eprintln!(
                "  … {generated} values stored ({:.0} values/s in inserts)",
                generated as f64 / busy.as_secs_f64()
            );
            last_report = Instant::now();
        }
    }
    // The index is written beside the inserts: loading ends when it holds
    // everything, and no lookup below pays for the backlog.
    let t = Instant::now();
    store.finish_indexing().await?;
    busy += t.elapsed();
    Ok(Loaded {
        raw_value_bytes,
        values: generated,
        sample,
        load: busy,
    })
}

/// Time spent per stage of a lookup.
#[derive(Default, Clone, Copy)]
struct Stages {
    prepare: Duration,
    matches: Duration,
    sightings: Duration,
}

/// A lookup as the API runs it, minus JSON: the number of values found.
async fn lookup(
    store: &Store,
    viewer: &Viewer,
    values: &[String],
    stages: &mut Stages,
) -> Result<usize, BoxError> {
    let t = Instant::now();
    let community = store.community().await?;
    let access = viewer_keys(viewer, &community);
    let observables: Vec<Observable> = values
        .iter()
        .filter_map(|v| Observable::infer(v).ok())
        .collect();
    let prefixes = store.observable_prefixes().await?;
    let probed: Vec<Vec<vigia_correlate::Probe>> =
        observables.iter().map(|o| probes(o, &prefixes)).collect();
    let keys = vigia_correlate::LookupKeys::of(&observables, &prefixes);
    stages.prepare += t.elapsed();
    let t = Instant::now();
    let narrow = std::env::var_os("VIGIA_BENCH_NO_ACCESS_KEYS").is_none();
    let (candidates, _flagged) = store
        .lookup_candidates(&keys, narrow.then_some(access.as_slice()), 20)
        .await?;
    let matches: Vec<_> = candidates
        .into_iter()
        .filter(|m| may_view(viewer, &m.audience, &community))
        .collect();
    stages.matches += t.elapsed();
    let t = Instant::now();
    let mut ids: Vec<&str> = matches.iter().map(|m| m.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(5_000) {
        let sightings = store
            .objects_referring_to(chunk, &["sighting"], Some(&access), 100_000)
            .await?;
        let _visible = sightings
            .iter()
            .filter(|s| may_view(viewer, &s.audience, &community))
            .count();
    }
    stages.sightings += t.elapsed();
    let hit: std::collections::HashSet<i64> = matches.iter().map(|m| m.value_key).collect();
    Ok(probed
        .iter()
        .filter(|p| p.iter().any(|p| hit.contains(&p.key)))
        .count())
}

fn team(id: &str) -> TeamId {
    TeamId::parse(id).expect("a team id")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A bundle of single-value indicators with new values.
fn bundle(rng: &mut Rng, pattern_type: &str) -> String {
    let objects: Vec<Value> = (0..NEW_BUNDLE)
        .map(|_| {
            let (pattern, _) = value(rng);
            indicator(rng, &[pattern], pattern_type)
        })
        .collect();
    json!({"type": "bundle", "id": format!("bundle--{}", rng.uuid()), "objects": objects})
        .to_string()
}

async fn ingest_costs(
    store: &Store,
    schemas: Arc<SchemaSet>,
    rng: &mut Rng,
    rounds: usize,
) -> Result<(Duration, Duration), BoxError> {
    let ctx = IngestContext {
        schemas,
        default_tlp: Tlp::Green,
        router: Arc::new(|_| vec!["indicators".to_owned()]),
        federation: None,
    };
    let team = team(TEAM_A);
    let mut with = Vec::new();
    let mut without = Vec::new();
    for _ in 0..rounds {
        for (pattern_type, times) in [("stix", &mut with), ("sigma", &mut without)] {
            let body = bundle(rng, pattern_type);
            let t = Instant::now();
            let report = ingest(store, &ctx, &team, body).await?;
            times.push(t.elapsed());
            if report.stored.len() != NEW_BUNDLE {
                return Err(format!(
                    "{} of {NEW_BUNDLE} stored: {:?}",
                    report.stored.len(),
                    report.failures.first()
                )
                .into());
            }
        }
    }
    with.sort();
    without.sort();
    Ok((percentile(&with, 0.5), percentile(&without, 0.5)))
}

async fn index_bytes(store_url: &str, postgres: bool) -> Result<(i64, i64), BoxError> {
    if postgres {
        let mut c = sqlx::PgConnection::connect(store_url).await?;
        let index: i64 = sqlx::query(
            "SELECT pg_total_relation_size('observable_index') + pg_total_relation_size('observable_v4_networks') \
             + pg_total_relation_size('observable_v6_networks') \
             + pg_total_relation_size('observable_prefixes') \
             + pg_total_relation_size('observable_over_correlating')",
        )
            .fetch_one(&mut c)
            .await?
            .try_get(0)?;
        let db: i64 = sqlx::query("SELECT pg_database_size(current_database())")
            .fetch_one(&mut c)
            .await?
            .try_get(0)?;
        Ok((index, db))
    } else {
        let mut c = sqlx::SqliteConnection::connect(store_url).await?;
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)").await?;
        // Every table and index of the value index (the network tables,
        // their `date_added` index, the prefixes and the flags included).
        let index: i64 = sqlx::query(
            "SELECT SUM(pgsize) FROM dbstat WHERE name IN ('observable_index', \
             'observable_v4_networks', 'observable_v4_networks_added', 'observable_v6_networks', \
             'observable_prefixes', 'observable_over_correlating') \
             OR name LIKE 'sqlite_autoindex_observable_%'",
        )
        .fetch_one(&mut c)
        .await?
        .try_get(0)?;
        let pages: i64 = sqlx::query("PRAGMA page_count")
            .fetch_one(&mut c)
            .await?
            .try_get(0)?;
        let size: i64 = sqlx::query("PRAGMA page_size")
            .fetch_one(&mut c)
            .await?
            .try_get(0)?;
        Ok((index, pages * size))
    }
}

fn temp_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    std::env::temp_dir().join(format!(
        "vigia-bench-correlation-{}-{nanos:x}",
        std::process::id()
    ))
}

async fn open(o: &Options) -> Result<(String, Option<PathBuf>, Option<String>), BoxError> {
    if let Some(dir) = &o.reuse {
        return Ok((
            format!("sqlite://{}", dir.join("vigia.db").display()),
            Some(dir.clone()),
            None,
        ));
    }
    if o.postgres {
        let admin_url = std::env::var("VIGIA_TEST_DATABASE_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let mut admin = sqlx::PgConnection::connect(&admin_url).await?;
        let name = format!("vigia_bench_corr_{:x}", std::process::id());
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await?;
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(b, _)| b);
        Ok((format!("{base}/{name}"), None, Some(name)))
    } else {
        let dir = temp_dir();
        std::fs::create_dir_all(&dir)?;
        Ok((
            format!("sqlite://{}", dir.join("vigia.db").display()),
            Some(dir),
            None,
        ))
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), BoxError> {
    let o = options()?;
    let (url, dir, pg_name) = open(&o).await?;
    let store = Store::connect(&url).await?;
    let schemas = Arc::new(SchemaSet::new()?);
    // A reused store already holds the default seed's values.
    let mut rng = Rng(if o.reuse.is_some() {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    } else {
        0x5eed_0010
    });
    println!(
        "correlation benchmark: {} values, {} per indicator, {}",
        o.values,
        VALUES_PER_INDICATOR,
        if o.postgres { "PostgreSQL" } else { "SQLite" }
    );
    let loaded = match &o.reuse {
        Some(dir) => {
            let kept: Value = serde_json::from_slice(&std::fs::read(dir.join("sample.json"))?)?;
            Loaded {
                raw_value_bytes: kept["raw_value_bytes"].as_u64().unwrap_or(0),
                values: kept["values"].as_u64().unwrap_or(0) as usize,
                sample: serde_json::from_value(kept["sample"].clone())?,
                load: Duration::from_secs_f64(kept["load_secs"].as_f64().unwrap_or(0.0)),
            }
        }
        None => load(&store, &schemas, o.values, &mut rng).await?,
    };
    if o.keep {
        if let Some(dir) = &dir {
            let kept = json!({"raw_value_bytes": loaded.raw_value_bytes, "values": loaded.values,
                "sample": loaded.sample, "load_secs": loaded.load.as_secs_f64()});
            std::fs::write(dir.join("sample.json"), kept.to_string())?;
        }
    }
    let stats = store.correlation_stats().await?;
    println!(
        "loaded {} values in {:.1} s of inserts ({:.0} values/s); {} index rows, {} over-correlating",
        loaded.values,
        loaded.load.as_secs_f64(),
        loaded.values as f64 / loaded.load.as_secs_f64(),
        stats.index_rows,
        stats.over_correlating
    );
    if o.postgres {
        sqlx::PgConnection::connect(&url)
            .await?
            .execute("ANALYZE")
            .await?;
    }
    let (index, db) = index_bytes(&url, o.postgres).await?;
    println!(
        "index size: {index} B for {} B of raw values = {:.2}× ({:.1} B per value; whole database {db} B)",
        loaded.raw_value_bytes,
        index as f64 / loaded.raw_value_bytes as f64,
        index as f64 / loaded.values as f64
    );

    if std::env::var_os("VIGIA_BENCH_PLAN").is_some() && !o.postgres {
        let mut c = sqlx::SqliteConnection::connect(&url).await?;
        let version: String = sqlx::query("SELECT sqlite_version()")
            .fetch_one(&mut c)
            .await?
            .try_get(0)?;
        let keys: Vec<String> = (0..5000).map(|i| (i * 7919).to_string()).collect();
        let q = format!(
            "EXPLAIN QUERY PLAN SELECT i.value_key, o.audience FROM observable_index i JOIN objects o ON o.date_added = i.date_added \
             WHERE o.is_latest = 1 AND o.revoked = 0 AND i.value_key IN ({}) AND EXISTS (SELECT 1 FROM object_access a \
             WHERE a.date_added = i.date_added AND a.access_key IN ('public', 'network', 'team:x'))",
            keys.join(",")
        );
        println!("SQLite {version} plan:");
        for row in sqlx::query(&q).fetch_all(&mut c).await? {
            let detail: String = row.try_get(3)?;
            println!("  {detail}");
        }
    }
    let viewer = Viewer::Member {
        team: team(TEAM_B),
        user: None,
        role: vigia_policy::Role::Analyst,
    };
    let mut times = Vec::with_capacity(o.rounds);
    let mut found_total = 0;
    let mut stages = Stages::default();
    for round in 0..o.rounds {
        let values: Vec<String> = (0..LOOKUP_VALUES)
            .map(|i| {
                if i % 2 == 0 {
                    loaded.sample[rng.below(loaded.sample.len() as u64) as usize].clone()
                } else {
                    value(&mut rng).1.value
                }
            })
            .collect();
        let t = Instant::now();
        let found = lookup(&store, &viewer, &values, &mut stages).await?;
        let took = t.elapsed();
        if round == 0 {
            println!(
                "  first lookup (cold): {:.1} ms, {found} of {LOOKUP_VALUES} found",
                ms(took)
            );
        }
        found_total += found;
        times.push(took);
    }
    times.sort();
    println!(
        "lookup of {LOOKUP_VALUES} values × {} rounds: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms; {:.0} found per lookup (goal p50 < 100 ms)",
        o.rounds,
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.95)),
        ms(*times.last().unwrap_or(&Duration::ZERO)),
        found_total as f64 / o.rounds as f64
    );
    let per = |d: Duration| ms(d) / o.rounds.max(1) as f64;
    println!(
        "  per lookup: prepare {:.1} ms, matches and over-correlation flags {:.1} ms, sightings {:.1} ms",
        per(stages.prepare),
        per(stages.matches),
        per(stages.sightings)
    );

    let rounds = if o.smoke { 1 } else { BUNDLE_ROUNDS };
    if o.lookup_only {
        println!("ingest not measured (--lookup-only)");
    } else {
        let (with, without) = ingest_costs(&store, schemas, &mut rng, rounds).await?;
        println!(
        "ingest of {NEW_BUNDLE} new indicators (median of {rounds}): {:.0} ms correlated (stix) vs {:.0} ms not (sigma): {:.0} ms added (goal < 500 ms)",
        ms(with),
        ms(without),
        ms(with.saturating_sub(without))
        );
    }
    store.close().await;
    if o.keep || o.reuse.is_some() {
        println!("kept: {url}");
    } else if let Some(dir) = dir {
        let _ = std::fs::remove_dir_all(dir);
    } else if let Some(name) = pg_name {
        let admin_url = std::env::var("VIGIA_TEST_DATABASE_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let mut admin = sqlx::PgConnection::connect(&admin_url).await?;
        admin
            .execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str())
            .await?;
    }
    Ok(())
}
