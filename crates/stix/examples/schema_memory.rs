//! How much resident memory the STIX schema set costs: parsed (what an
//! idle node holds), then with every type's validator compiled (what a
//! node holds once it has seen every type). BENCHMARKS.md.
//!
//! `cargo run --release -p vigia-stix --example schema_memory` (Linux).

use std::time::Instant;

fn resident_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() {
    let Some(before) = resident_mb() else {
        println!("VmRSS is read from /proc/self/status, which this system lacks");
        return;
    };
    let schemas = vigia_stix::SchemaSet::new().expect("the embedded schemas compile");
    let parsed = resident_mb().unwrap_or_default();
    let indicator = serde_json::json!({"type": "indicator", "spec_version": "2.1",
        "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
        "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z"});
    let started = Instant::now();
    schemas.validate(&indicator).expect("a valid indicator");
    let first = started.elapsed();
    let one = resident_mb().unwrap_or_default();
    let started = Instant::now();
    schemas.compile_all().expect("every schema compiles");
    let all = started.elapsed();
    let every = resident_mb().unwrap_or_default();
    println!("VmRSS: process {before:.1} MB; schemas parsed {parsed:.1} MB; after the first indicator {one:.1} MB (compiled in {first:.1?}); every type compiled {every:.1} MB (in {all:.1?})");
}
