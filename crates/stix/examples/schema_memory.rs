//! How much resident memory compiling the STIX schema set costs, the
//! largest part of an idle node's footprint (BENCHMARKS.md).
//!
//! `cargo run --release -p vigia-stix --example schema_memory` (Linux).

fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let before = resident_kib();
    let _schemas = vigia_stix::SchemaSet::new().expect("the embedded schemas compile");
    let after = resident_kib();
    match (before, after) {
        (Some(b), Some(a)) => println!(
            "VmRSS before {:.1} MB, after compiling the schema set {:.1} MB (+{:.1} MB)",
            b as f64 / 1024.0,
            a as f64 / 1024.0,
            a.saturating_sub(b) as f64 / 1024.0,
        ),
        _ => println!("VmRSS is read from /proc/self/status, which this system lacks"),
    }
}
