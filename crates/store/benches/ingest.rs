//! Bulk ingest benchmark: a deterministic, realistic mix of STIX 2.1
//! objects through the server's ingest path (split bundle, schema
//! validation, audience, access keys, `Store::insert_objects`) in batches
//! of 1,000, into a fresh SQLite file and/or a fresh PostgreSQL database.
//!
//! ```text
//! cargo bench -p vigia-store --bench ingest -- [--objects N] [--backend sqlite|postgres|both]
//!     [--validate-only] [--sequential] [--keep] [--seed S]
//! ```
//!
//! - `--objects N`: objects to ingest (default 1,000,000).
//! - `--backend`: SQLite in a temporary directory, a fresh PostgreSQL
//!   database on `VIGIA_TEST_DATABASE_URL` (default
//!   `postgres://root@127.0.0.1:5432/test`), or both (default).
//! - `--validate-only`: no database; validation alone on one thread, then
//!   stage by stage (JSON parse, schema, the rest), to profile it.
//! - `--sequential`: validate each batch, then insert it, with no overlap,
//!   to see the insert cost without the validation thread competing.
//! - `--keep`: leave the database behind for inspection.
//!
//! Generation is deterministic (`--seed`) and not timed. Validation of the
//! next batch runs on a blocking thread while the current batch is inserted,
//! as a server under concurrent requests would overlap them. Without
//! `--bench` on the command line (that is, under `cargo test --benches`) it
//! runs a 2,000-object smoke test on SQLite.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sqlx::{Connection, Executor, Row};
use vigia_policy::{object_keys, Audience, TeamId};
use vigia_stix::{
    split_objects, Distribution, SchemaSet, StixObject, Tlp, DISTRIBUTION_EXTENSION_ID,
};
use vigia_store::{InsertOutcome, NewObject, Store};

/// Objects per bundle, per transaction: the server's `BATCH`.
const BATCH: usize = 1_000;
/// Sustained throughput is also measured over this many last objects.
const TAIL: usize = 100_000;
const DEFAULT_POSTGRES_URL: &str = "postgres://root@127.0.0.1:5432/test";
const GOAL_SQLITE: f64 = 30_000.0;
const GOAL_POSTGRES: f64 = 15_000.0;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

// ---------------------------------------------------------------- options

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }

    fn goal(self) -> f64 {
        match self {
            Backend::Sqlite => GOAL_SQLITE,
            Backend::Postgres => GOAL_POSTGRES,
        }
    }
}

struct Options {
    objects: usize,
    backends: Vec<Backend>,
    validate_only: bool,
    sequential: bool,
    keep: bool,
    seed: u64,
    smoke: bool,
}

fn options() -> Result<Options, BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes `--bench`; `cargo test --benches` does not.
    let smoke = !args.iter().any(|a| a == "--bench");
    let mut o = Options {
        objects: if smoke { 2 * BATCH } else { 1_000_000 },
        backends: if smoke {
            vec![Backend::Sqlite]
        } else {
            vec![Backend::Sqlite, Backend::Postgres]
        },
        validate_only: false,
        sequential: false,
        keep: false,
        seed: 0x5eed_2025,
        smoke,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--bench" => {}
            "--objects" => o.objects = value()?.replace('_', "").parse()?,
            "--seed" => o.seed = value()?.parse()?,
            "--backend" => {
                o.backends = match value()?.as_str() {
                    "sqlite" => vec![Backend::Sqlite],
                    "postgres" => vec![Backend::Postgres],
                    "both" => vec![Backend::Sqlite, Backend::Postgres],
                    other => {
                        return Err(
                            format!("--backend {other}: expected sqlite, postgres or both").into(),
                        )
                    }
                }
            }
            "--validate-only" => o.validate_only = true,
            "--sequential" => o.sequential = true,
            "--keep" => o.keep = true,
            other if other.starts_with('-') => return Err(format!("unknown option {other}").into()),
            // A positional filter, as `cargo bench -- NAME` passes: nothing to filter.
            _ => {}
        }
    }
    if o.objects == 0 {
        return Err("--objects must be at least 1".into());
    }
    Ok(o)
}

// ---------------------------------------------------------------- data

/// SplitMix64: tiny, fast, and the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    fn percent(&mut self, p: usize) -> bool {
        self.below(100) < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn hex(&mut self, bytes: usize) -> String {
        let mut s = String::with_capacity(bytes * 2);
        for _ in 0..bytes {
            s.push_str(&format!("{:02x}", self.next() as u8));
        }
        s
    }

    fn id(&mut self, object_type: &str) -> String {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.next().to_le_bytes());
        b[8..].copy_from_slice(&self.next().to_le_bytes());
        format!(
            "{object_type}--{}",
            uuid::Builder::from_random_bytes(b).into_uuid()
        )
    }
}

const WORDS: &[&str] = &[
    "actor",
    "campaign",
    "phishing",
    "credential",
    "harvesting",
    "ransomware",
    "loader",
    "beacon",
    "command",
    "control",
    "server",
    "infrastructure",
    "observed",
    "targeting",
    "ministry",
    "finance",
    "energy",
    "sector",
    "regional",
    "national",
    "CSIRT",
    "partners",
    "reported",
    "malicious",
    "payload",
    "dropper",
    "exfiltration",
    "lateral",
    "movement",
    "exploitation",
    "vulnerability",
    "patch",
    "advisory",
    "domain",
    "registered",
    "recently",
    "hosting",
    "provider",
    "botnet",
    "traffic",
    "spearphishing",
    "attachment",
    "macro",
    "document",
    "invoice",
    "government",
    "portal",
    "spoofed",
    "TLS",
    "certificate",
    "VPN",
    "appliance",
    "edge",
    "device",
    "webshell",
    "persistence",
    "scheduled",
    "task",
    "the",
    "a",
    "of",
    "and",
    "to",
    "in",
    "from",
    "with",
    "was",
    "has",
    "been",
    "by",
    "on",
];
const TLDS: &[&str] = &[
    "com", "net", "org", "info", "xyz", "top", "cr", "mx", "br", "co", "gt", "pa",
];
const GROUPS: &[&str] = &[
    "caribbean",
    "central-america",
    "andean",
    "southern-cone",
    "oas-cicte",
    "finance-isac",
    "energy-sector",
];
const USERS: &[&str] = &[
    "alice", "bruno", "carla", "diego", "elena", "fabio", "gabriela", "hector",
];
const MALWARE: &[&str] = &[
    "Emotet",
    "QakBot",
    "AsyncRAT",
    "Grandoreiro",
    "Mekotio",
    "LockBit",
    "BlackCat",
    "Remcos",
];
const KILL_CHAIN: &[&str] = &[
    "reconnaissance",
    "weaponization",
    "delivery",
    "exploitation",
    "installation",
    "command-and-control",
    "actions-on-objectives",
];
const SECTORS: &[&str] = &[
    "government-national",
    "financial-services",
    "energy",
    "telecommunications",
    "healthcare",
    "education",
];
const REPORT_TYPES: &[&str] = &[
    "threat-report",
    "campaign",
    "indicator",
    "malware",
    "vulnerability",
    "attack-pattern",
];

/// 2024-01-01T00:00:00Z in milliseconds.
const EPOCH_MS: i64 = 1_704_067_200_000;

fn stamp(ms: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).expect("timestamp in range");
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        ms.rem_euclid(1000)
    )
}

/// A previously generated indicator, kept to publish new versions of it.
struct IndicatorSeed {
    id: String,
    created_ms: i64,
    modified_ms: i64,
    pattern: String,
    name: String,
}

/// Generates the object stream: mostly indicators, observables and
/// relationships, some reports, vulnerabilities, notes and identities, and
/// a few new versions of earlier indicators.
struct Generator {
    rng: Rng,
    clock_ms: i64,
    originator: String,
    teams: Vec<String>,
    recent: Vec<String>,
    indicators: Vec<IndicatorSeed>,
}

impl Generator {
    fn new(seed: u64, originator: &str) -> Self {
        let mut rng = Rng(seed);
        let teams = (0..40).map(|_| rng.id("identity")).collect();
        Self {
            rng,
            clock_ms: EPOCH_MS,
            originator: originator.to_owned(),
            teams,
            recent: Vec::new(),
            indicators: Vec::new(),
        }
    }

    fn words(&mut self, lo: usize, hi: usize) -> String {
        let n = self.rng.range(lo, hi);
        let mut s = String::new();
        for i in 0..n {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(self.rng.pick::<&str>(WORDS));
        }
        s.push('.');
        s
    }

    fn ipv4(&mut self) -> String {
        let r = &mut self.rng;
        format!(
            "{}.{}.{}.{}",
            r.range(1, 223),
            r.below(256),
            r.below(256),
            r.range(1, 254)
        )
    }

    fn domain(&mut self) -> String {
        let a = self.rng.pick(WORDS).to_ascii_lowercase();
        let b = self.rng.hex(3);
        let tld = self.rng.pick(TLDS);
        format!("{a}-{b}.{tld}")
    }

    fn url(&mut self) -> String {
        let host = self.domain();
        let path = self.rng.pick(WORDS).to_ascii_lowercase();
        let token = self.rng.hex(8);
        format!(
            "https://{host}/{path}/{token}.php?id={}",
            self.rng.below(100_000)
        )
    }

    fn remember(&mut self, id: &str) {
        if self.recent.len() < 4096 {
            self.recent.push(id.to_owned());
        } else {
            let slot = self.rng.below(self.recent.len());
            self.recent[slot] = id.to_owned();
        }
    }

    fn some_ref(&mut self) -> String {
        if self.recent.is_empty() {
            self.rng.id("indicator")
        } else {
            self.rng.pick(&self.recent).clone()
        }
    }

    /// TLP marking (or none) and, sometimes, a distribution naming recipients.
    fn markings(&mut self, obj: &mut serde_json::Map<String, Value>) {
        let roll = self.rng.below(100);
        let tlp = match roll {
            0..=9 => None, // the node's default TLP applies
            10..=24 => Some(Tlp::Clear),
            25..=59 => Some(Tlp::Green),
            60..=84 => Some(Tlp::Amber),
            85..=94 => Some(Tlp::AmberStrict),
            _ => Some(Tlp::Red),
        };
        if let Some(t) = tlp {
            obj.insert("object_marking_refs".into(), json!([t.marking_id()]));
        }
        let mut d = Distribution::default();
        let teams = |g: &mut Self, lo, hi| -> Vec<String> {
            let n = g.rng.range(lo, hi);
            let mut v: Vec<String> = (0..n).map(|_| g.rng.pick(&g.teams).clone()).collect();
            v.sort();
            v.dedup();
            v
        };
        match tlp {
            Some(Tlp::Clear) => {}
            Some(Tlp::Green) if self.rng.percent(15) => {
                if self.rng.percent(50) {
                    d.sharing_groups = vec![(*self.rng.pick(GROUPS)).to_owned()];
                } else {
                    d.recipient_teams = teams(self, 1, 3);
                }
            }
            Some(Tlp::Amber) if self.rng.percent(35) => {
                d.recipient_teams = teams(self, 1, 4);
                if self.rng.percent(20) {
                    d.sharing_groups = vec![(*self.rng.pick(GROUPS)).to_owned()];
                }
                d.allow_clients = self.rng.percent(30);
            }
            Some(Tlp::AmberStrict) if self.rng.percent(50) => d.recipient_teams = teams(self, 1, 3),
            Some(Tlp::Red) if self.rng.percent(60) => {
                let n = self.rng.range(1, 3);
                for _ in 0..n {
                    let user = self.rng.pick(USERS);
                    let team = self.rng.pick(&self.teams).clone();
                    d.recipient_users.push(format!("{user}@{team}"));
                }
                d.recipient_users.sort();
                d.recipient_users.dedup();
                if self.rng.percent(30) {
                    d.recipient_teams = teams(self, 1, 2);
                }
            }
            None if self.rng.percent(10) => d.recipient_teams = teams(self, 1, 2),
            _ => {}
        }
        if !d.is_empty() {
            obj.insert(
                "extensions".into(),
                json!({ DISTRIBUTION_EXTENSION_ID: d.to_extension() }),
            );
        }
    }

    fn sdo(
        &mut self,
        object_type: &str,
        id: &str,
        created_ms: i64,
        modified_ms: i64,
    ) -> serde_json::Map<String, Value> {
        let mut o = serde_json::Map::new();
        o.insert("type".into(), json!(object_type));
        o.insert("spec_version".into(), json!("2.1"));
        o.insert("id".into(), json!(id));
        o.insert("created".into(), json!(stamp(created_ms)));
        o.insert("modified".into(), json!(stamp(modified_ms)));
        o.insert("created_by_ref".into(), json!(self.originator));
        o
    }

    fn sco(&mut self, object_type: &str) -> (String, serde_json::Map<String, Value>) {
        let id = self.rng.id(object_type);
        let mut o = serde_json::Map::new();
        o.insert("type".into(), json!(object_type));
        o.insert("spec_version".into(), json!("2.1"));
        o.insert("id".into(), json!(id));
        (id, o)
    }

    fn indicator_body(
        &mut self,
        seed: &IndicatorSeed,
        revision: bool,
    ) -> serde_json::Map<String, Value> {
        let mut o = self.sdo("indicator", &seed.id, seed.created_ms, seed.modified_ms);
        o.insert("name".into(), json!(seed.name));
        o.insert("description".into(), json!(self.words(20, 90)));
        o.insert(
            "indicator_types".into(),
            json!([self.rng.pick(&[
                "malicious-activity",
                "compromised",
                "anomalous-activity",
                "attribution"
            ])]),
        );
        o.insert("pattern".into(), json!(seed.pattern));
        o.insert("pattern_type".into(), json!("stix"));
        o.insert("pattern_version".into(), json!("2.1"));
        o.insert("valid_from".into(), json!(stamp(seed.created_ms)));
        if self.rng.percent(40) {
            o.insert(
                "valid_until".into(),
                json!(stamp(seed.created_ms + 90 * 86_400_000)),
            );
        }
        o.insert(
            "kill_chain_phases".into(),
            json!([{ "kill_chain_name": "lockheed-martin-cyber-kill-chain", "phase_name": self.rng.pick(KILL_CHAIN) }]),
        );
        o.insert(
            "labels".into(),
            json!([self.rng.pick(MALWARE).to_ascii_lowercase(), "csirt-feed"]),
        );
        o.insert("confidence".into(), json!(self.rng.range(15, 100)));
        if revision && self.rng.percent(20) {
            o.insert("revoked".into(), json!(true));
        }
        self.markings(&mut o);
        o
    }

    fn indicator(&mut self) -> Value {
        let (pattern, name) = match self.rng.below(4) {
            0 => {
                let ip = self.ipv4();
                (
                    format!("[ipv4-addr:value = '{ip}']"),
                    format!("Malicious IP {ip}"),
                )
            }
            1 => {
                let d = self.domain();
                (
                    format!("[domain-name:value = '{d}']"),
                    format!("Malicious domain {d}"),
                )
            }
            2 => {
                let h = self.rng.hex(32);
                let family = self.rng.pick(MALWARE);
                (
                    format!("[file:hashes.'SHA-256' = '{h}']"),
                    format!("{family} sample"),
                )
            }
            _ => {
                let u = self.url();
                (format!("[url:value = '{u}']"), "Phishing URL".to_owned())
            }
        };
        let seed = IndicatorSeed {
            id: self.rng.id("indicator"),
            created_ms: self.clock_ms,
            modified_ms: self.clock_ms,
            pattern,
            name,
        };
        let o = self.indicator_body(&seed, false);
        self.remember(&seed.id);
        if self.indicators.len() < 4096 {
            self.indicators.push(seed);
        } else {
            let slot = self.rng.below(self.indicators.len());
            self.indicators[slot] = seed;
        }
        Value::Object(o)
    }

    /// A new version of an earlier indicator: same id and created, later modified.
    fn revision(&mut self) -> Value {
        if self.indicators.is_empty() {
            return self.indicator();
        }
        let slot = self.rng.below(self.indicators.len());
        let bump = 1_000 + self.rng.below(3_600_000) as i64;
        let mut seed = std::mem::replace(
            &mut self.indicators[slot],
            IndicatorSeed {
                id: String::new(),
                created_ms: 0,
                modified_ms: 0,
                pattern: String::new(),
                name: String::new(),
            },
        );
        seed.modified_ms = seed.modified_ms.max(self.clock_ms) + bump;
        let o = self.indicator_body(&seed, true);
        self.indicators[slot] = seed;
        Value::Object(o)
    }

    fn observable(&mut self) -> Value {
        let kind = self.rng.below(4);
        let (id, mut o) = match kind {
            0 => {
                let (id, mut o) = self.sco("ipv4-addr");
                o.insert("value".into(), json!(self.ipv4()));
                if self.rng.percent(50) {
                    let asn = self.rng.id("autonomous-system");
                    o.insert("belongs_to_refs".into(), json!([asn]));
                }
                (id, o)
            }
            1 => {
                let (id, mut o) = self.sco("domain-name");
                o.insert("value".into(), json!(self.domain()));
                let n = self.rng.range(1, 3);
                let refs: Vec<String> = (0..n).map(|_| self.rng.id("ipv4-addr")).collect();
                o.insert("resolves_to_refs".into(), json!(refs));
                (id, o)
            }
            2 => {
                let (id, mut o) = self.sco("url");
                o.insert("value".into(), json!(self.url()));
                (id, o)
            }
            _ => {
                let (id, mut o) = self.sco("file");
                o.insert(
                    "hashes".into(),
                    json!({ "MD5": self.rng.hex(16), "SHA-1": self.rng.hex(20), "SHA-256": self.rng.hex(32) }),
                );
                let stem = self.rng.pick(WORDS).to_ascii_lowercase();
                let ext = self
                    .rng
                    .pick(&["exe", "dll", "docm", "xlsm", "js", "zip", "lnk"]);
                o.insert(
                    "name".into(),
                    json!(format!("{stem}_{}.{ext}", self.rng.below(10_000))),
                );
                o.insert("size".into(), json!(self.rng.range(1_024, 8_000_000)));
                o.insert("mime_type".into(), json!("application/octet-stream"));
                (id, o)
            }
        };
        self.markings(&mut o);
        self.remember(&id);
        Value::Object(o)
    }

    fn relationship(&mut self) -> Value {
        let id = self.rng.id("relationship");
        let mut o = self.sdo("relationship", &id, self.clock_ms, self.clock_ms);
        let source = self.some_ref();
        let mut target = self.some_ref();
        if target == source {
            target = self.rng.id("vulnerability");
        }
        let kind = *self.rng.pick(&[
            "related-to",
            "related-to",
            "based-on",
            "derived-from",
            "indicates",
        ]);
        o.insert("relationship_type".into(), json!(kind));
        o.insert("source_ref".into(), json!(source));
        o.insert("target_ref".into(), json!(target));
        o.insert("description".into(), json!(self.words(10, 45)));
        if self.rng.percent(50) {
            o.insert(
                "start_time".into(),
                json!(stamp(self.clock_ms - 86_400_000)),
            );
        }
        self.markings(&mut o);
        Value::Object(o)
    }

    fn report(&mut self) -> Value {
        let id = self.rng.id("report");
        let mut o = self.sdo("report", &id, self.clock_ms, self.clock_ms);
        let name = format!(
            "{} activity against the {} sector",
            self.rng.pick(MALWARE),
            self.rng.pick(SECTORS)
        );
        o.insert("name".into(), json!(name));
        o.insert("description".into(), json!(self.words(25, 80)));
        o.insert("report_types".into(), json!([self.rng.pick(REPORT_TYPES)]));
        o.insert("published".into(), json!(stamp(self.clock_ms)));
        let n = self.rng.range(5, 22);
        let mut refs: Vec<String> = (0..n).map(|_| self.some_ref()).collect();
        refs.sort();
        refs.dedup();
        o.insert("object_refs".into(), json!(refs));
        self.markings(&mut o);
        self.remember(&id);
        Value::Object(o)
    }

    fn vulnerability(&mut self) -> Value {
        let id = self.rng.id("vulnerability");
        let mut o = self.sdo("vulnerability", &id, self.clock_ms, self.clock_ms);
        let cve = format!(
            "CVE-{}-{}",
            self.rng.range(2018, 2025),
            self.rng.range(1_000, 59_999)
        );
        o.insert("name".into(), json!(cve));
        o.insert("description".into(), json!(self.words(25, 110)));
        o.insert(
            "external_references".into(),
            json!([
                { "source_name": "cve", "external_id": cve, "url": format!("https://www.cve.org/CVERecord?id={cve}") },
                { "source_name": "nvd", "url": format!("https://nvd.nist.gov/vuln/detail/{cve}") }
            ]),
        );
        self.markings(&mut o);
        self.remember(&id);
        Value::Object(o)
    }

    fn identity(&mut self) -> Value {
        let id = self.rng.id("identity");
        let mut o = self.sdo("identity", &id, self.clock_ms, self.clock_ms);
        let sector = self.rng.pick(SECTORS);
        o.insert(
            "name".into(),
            json!(format!("Organisation {} ({sector})", self.rng.hex(3))),
        );
        o.insert("description".into(), json!(self.words(10, 40)));
        o.insert("identity_class".into(), json!("organization"));
        o.insert("sectors".into(), json!([sector]));
        o.insert(
            "contact_information".into(),
            json!(format!("soc@{}", self.domain())),
        );
        self.markings(&mut o);
        self.remember(&id);
        Value::Object(o)
    }

    fn note(&mut self) -> Value {
        let id = self.rng.id("note");
        let mut o = self.sdo("note", &id, self.clock_ms, self.clock_ms);
        o.insert("abstract".into(), json!(self.words(4, 10)));
        o.insert("content".into(), json!(self.words(30, 120)));
        o.insert(
            "authors".into(),
            json!([format!("{}@csirt", self.rng.pick(USERS))]),
        );
        let n = self.rng.range(1, 4);
        let refs: Vec<String> = (0..n).map(|_| self.some_ref()).collect();
        o.insert("object_refs".into(), json!(refs));
        self.markings(&mut o);
        Value::Object(o)
    }

    /// The next object, as compact JSON text, and its type.
    fn next_object(&mut self) -> (String, String) {
        self.clock_ms += self.rng.range(1, 60_000) as i64;
        let v = match self.rng.below(100) {
            0..=29 => self.indicator(),
            30..=33 => self.revision(),
            34..=65 => self.observable(),
            66..=83 => self.relationship(),
            84..=88 => self.report(),
            89..=94 => self.vulnerability(),
            95..=96 => self.identity(),
            _ => self.note(),
        };
        let ty = v["type"].as_str().unwrap_or_default().to_owned();
        (v.to_string(), ty)
    }
}

/// What generation produced: one bundle text per batch, plus size figures.
struct Corpus {
    bundles: Arc<[String]>,
    objects: usize,
    bytes: usize,
    min: usize,
    max: usize,
    in_range: usize,
    by_type: std::collections::BTreeMap<String, usize>,
}

fn generate(n: usize, seed: u64, originator: &str) -> Corpus {
    let mut g = Generator::new(seed, originator);
    let mut bundles = Vec::with_capacity(n.div_ceil(BATCH));
    let (mut bytes, mut min, mut max, mut in_range) = (0, usize::MAX, 0, 0);
    let mut by_type = std::collections::BTreeMap::new();
    let mut left = n;
    while left > 0 {
        let k = left.min(BATCH);
        left -= k;
        let mut body = format!(
            "{{\"type\":\"bundle\",\"id\":\"{}\",\"objects\":[",
            g.rng.id("bundle")
        );
        for i in 0..k {
            let (o, ty) = g.next_object();
            bytes += o.len();
            min = min.min(o.len());
            max = max.max(o.len());
            in_range += usize::from((400..=2048).contains(&o.len()));
            *by_type.entry(ty).or_insert(0) += 1;
            if i > 0 {
                body.push(',');
            }
            body.push_str(&o);
        }
        body.push_str("]}");
        bundles.push(body);
    }
    Corpus {
        bundles: bundles.into(),
        objects: n,
        bytes,
        min,
        max,
        in_range,
        by_type,
    }
}

// ---------------------------------------------------------------- pipeline

struct Accepted {
    object: StixObject,
    audience: Audience,
    keys: Vec<String>,
}

struct Validated {
    accepted: Vec<Accepted>,
    failures: Vec<String>,
    took: Duration,
}

/// The server's `validate_all`: split, parse against the schemas, read the
/// audience (default TLP:AMBER, submitted by `originator`), derive keys.
fn validate(body: &str, schemas: &SchemaSet, originator: &TeamId) -> Validated {
    let start = Instant::now();
    let raws = split_objects(body).expect("generated bundles split");
    let mut accepted = Vec::with_capacity(raws.len());
    let mut failures = Vec::new();
    for raw in raws {
        match StixObject::parse(raw, schemas) {
            Err(e) => failures.push(e.to_string()),
            Ok(object) => {
                match Audience::of_object(&object, Tlp::Amber, Some(originator.clone())) {
                    Err(e) => failures.push(format!("{}: {e}", object.id())),
                    Ok(audience) => {
                        let keys = object_keys(&audience);
                        accepted.push(Accepted {
                            object,
                            audience,
                            keys,
                        });
                    }
                }
            }
        }
    }
    Validated {
        accepted,
        failures,
        took: start.elapsed(),
    }
}

struct RunResult {
    stored: usize,
    duplicates: usize,
    failures: usize,
    total: Duration,
    /// Per batch, from submission to validation until commit.
    batch: Vec<Duration>,
    insert: Vec<Duration>,
    validate: Vec<Duration>,
    /// Elapsed time at the commit of each batch, and objects committed by then.
    done_at: Vec<(Duration, usize)>,
    /// From the last insert's commit until the derived indexes held
    /// everything (part of `total`).
    indexing_tail: Duration,
    /// CPU used over the timed run: this process, and the whole machine.
    cpu: CpuUse,
}

/// CPU seconds from `/proc`: this process (user + system) and all CPUs
/// busy (everything but idle and iowait), to show whether others competed.
#[derive(Clone, Copy, Default)]
struct CpuUse {
    process: f64,
    machine_busy: f64,
    loadavg: f64,
}

/// User + system CPU seconds of one process, from its `/proc/PID/stat`.
/// Clock ticks are 100 per second on Linux (USER_HZ).
fn process_cpu(stat: &str) -> f64 {
    std::fs::read_to_string(stat)
        .ok()
        .and_then(|s| {
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some((f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?) / 100.0)
        })
        .unwrap_or(0.0)
}

fn cpu_now() -> CpuUse {
    let ticks = 100.0;
    let process = process_cpu("/proc/self/stat");
    let machine_busy = std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| {
            let f: Vec<f64> = s
                .lines()
                .next()?
                .split_whitespace()
                .skip(1)
                .filter_map(|v| v.parse().ok())
                .collect();
            let total: f64 = f.iter().take(8).sum();
            Some((total - f.get(3)? - f.get(4)?) / ticks)
        })
        .unwrap_or(0.0);
    let loadavg = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    CpuUse {
        process,
        machine_busy,
        loadavg,
    }
}

/// What every back-end run shares.
struct Ctx<'a> {
    corpus: &'a Corpus,
    schemas: Arc<SchemaSet>,
    originator: TeamId,
    /// Validate the next batch while the current one is inserted.
    overlap: bool,
    /// Leave the database behind for inspection.
    keep: bool,
}

async fn pipeline(store: &Store, ctx: &Ctx<'_>) -> Result<RunResult, BoxError> {
    let n = ctx.corpus.bundles.len();
    let spawn = |i: usize| {
        let bundles = Arc::clone(&ctx.corpus.bundles);
        let schemas = Arc::clone(&ctx.schemas);
        let originator = ctx.originator.clone();
        let submitted = Instant::now();
        let task =
            tokio::task::spawn_blocking(move || validate(&bundles[i], &schemas, &originator));
        (submitted, task)
    };
    let mut r = RunResult {
        stored: 0,
        duplicates: 0,
        failures: 0,
        total: Duration::ZERO,
        batch: Vec::with_capacity(n),
        insert: Vec::with_capacity(n),
        validate: Vec::with_capacity(n),
        done_at: Vec::with_capacity(n),
        indexing_tail: Duration::ZERO,
        cpu: CpuUse::default(),
    };
    let cpu_start = cpu_now();
    let start = Instant::now();
    let mut next = Some(spawn(0));
    let mut objects = 0;
    for i in 0..n {
        let (submitted, task) = next.take().expect("a batch in flight");
        let v = task.await?;
        if ctx.overlap && i + 1 < n {
            next = Some(spawn(i + 1));
        }
        if !v.failures.is_empty() {
            eprintln!(
                "batch {i}: {} objects refused, first: {}",
                v.failures.len(),
                v.failures[0]
            );
        }
        r.failures += v.failures.len();
        r.validate.push(v.took);
        let t = Instant::now();
        let batch: Vec<NewObject<'_>> = v
            .accepted
            .iter()
            .map(|a| NewObject {
                object: &a.object,
                audience: &a.audience,
                access_keys: &a.keys,
                deliver_to: &[],
                covered: None,
            })
            .collect();
        let outcomes = store.insert_objects(&batch).await?;
        let done = Instant::now();
        for o in &outcomes {
            match o {
                InsertOutcome::Stored { .. } => r.stored += 1,
                InsertOutcome::Duplicate { .. } => r.duplicates += 1,
            }
        }
        objects += outcomes.len();
        r.insert.push(done - t);
        r.batch.push(done - submitted);
        r.done_at.push((done - start, objects));
        drop(batch);
        // Dropping parsed objects is part of the server's work too.
        drop(v);
        if !ctx.overlap && i + 1 < n {
            next = Some(spawn(i + 1));
        }
    }
    // The derived indexes (search) are written beside the inserts; the
    // run ends when they hold every object too.
    let inserted = start.elapsed();
    store.finish_indexing().await?;
    r.total = start.elapsed();
    r.indexing_tail = r.total - inserted;
    let cpu_end = cpu_now();
    r.cpu = CpuUse {
        process: cpu_end.process - cpu_start.process,
        machine_busy: cpu_end.machine_busy - cpu_start.machine_busy,
        loadavg: cpu_end.loadavg,
    };
    Ok(r)
}

// ---------------------------------------------------------------- back-ends

struct Report {
    backend: Backend,
    run: RunResult,
    stored_rows: i64,
    db_bytes: u64,
    detail: String,
}

fn temp_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    std::env::temp_dir().join(format!("vigia-bench-{}-{nanos:x}", std::process::id()))
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

async fn bench_sqlite(ctx: &Ctx<'_>) -> Result<Report, BoxError> {
    let dir = temp_dir();
    std::fs::create_dir_all(&dir)?;
    let result = async {
        let path = dir.join("vigia.db");
        let url = format!("sqlite://{}", path.display());
        let store = Store::connect(&url).await?;
        let run = pipeline(&store, ctx).await?;
        let stored_rows = store.count_objects().await?;
        // Fold the WAL back into the database file, then measure both.
        let mut raw = sqlx::SqliteConnection::connect(&url).await?;
        raw.execute("PRAGMA busy_timeout = 10000").await?;
        let row = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(&mut raw).await?;
        let busy: i64 = row.try_get(0)?;
        let version: String = sqlx::query("SELECT sqlite_version()").fetch_one(&mut raw).await?.try_get(0)?;
        let db = file_size(&path);
        let wal = file_size(&path.with_file_name("vigia.db-wal"));
        raw.close().await?;
        store.close().await;
        let detail = format!(
            "SQLite {version}, store pragmas {}, file {} on {}; db {db} B + wal {wal} B after wal_checkpoint(TRUNCATE){}",
            store_pragmas(),
            path.display(),
            filesystem_of(&dir),
            if busy != 0 { " (checkpoint reported busy)" } else { "" }
        );
        Ok::<_, BoxError>(Report { backend: Backend::Sqlite, run, stored_rows, db_bytes: db + wal, detail })
    }
    .await;
    if ctx.keep {
        println!("kept (--keep): {}", dir.join("vigia.db").display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

/// `url` with its database name replaced.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let host_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[host_start..]
        .find('/')
        .map_or(base.len(), |i| host_start + i);
    let mut out = format!("{}/{db}", &base[..path_start]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

async fn bench_postgres(ctx: &Ctx<'_>) -> Result<Report, BoxError> {
    let admin_url = std::env::var("VIGIA_TEST_DATABASE_URL")
        .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .map_err(|e| format!("PostgreSQL at {admin_url} (set VIGIA_TEST_DATABASE_URL): {e}"))?;
    let mut rng = Rng(std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
        ^ u64::from(std::process::id()));
    let name = format!("vigia_bench_{}", rng.hex(6));
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await?;
    let url = with_database(&admin_url, &name);
    let result = async {
        let store = Store::connect(&url).await?;
        let run = pipeline(&store, ctx).await?;
        let stored_rows = store.count_objects().await?;
        // CPU of the server processes that served the store's pool.
        let mut conn = sqlx::PgConnection::connect(&url).await?;
        let pids: Vec<i32> = sqlx::query(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .fetch_all(&mut conn)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
        let server_cpu: f64 = pids.iter().map(|&p| process_cpu(&format!("/proc/{p}/stat"))).sum();
        store.close().await;
        let size: i64 = sqlx::query("SELECT pg_database_size(current_database())")
            .fetch_one(&mut conn)
            .await?
            .try_get(0)?;
        let mut settings = Vec::new();
        for s in [
            "server_version",
            "shared_buffers",
            "synchronous_commit",
            "fsync",
            "max_wal_size",
        ] {
            let v: String = sqlx::query(&format!("SHOW {s}"))
                .fetch_one(&mut conn)
                .await?
                .try_get(0)?;
            settings.push(format!("{s}={v}"));
        }
        conn.close().await?;
        let detail = format!(
            "PostgreSQL on {} ({}), database {name}; pg_database_size {size} B; its {} backend processes used {server_cpu:.1} s CPU (since connect)",
            redact(&admin_url),
            settings.join(", "),
            pids.len(),
        );
        Ok::<_, BoxError>(Report {
            backend: Backend::Postgres,
            run,
            stored_rows,
            db_bytes: u64::try_from(size).unwrap_or(0),
            detail,
        })
    }
    .await;
    let dropped = if ctx.keep {
        println!("kept (--keep): {url}");
        Ok(Default::default())
    } else {
        admin
            .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
            .await
    };
    let _ = admin.close().await;
    let report = result?;
    dropped?;
    Ok(report)
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => match url[s + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
            None => url.to_owned(),
        },
        _ => url.to_owned(),
    }
}

// ---------------------------------------------------------------- reporting

fn percentile(samples: &[Duration], p: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    let mut v = samples.to_vec();
    v.sort_unstable();
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Objects per second over the last `tail` objects (whole batches), until
/// the derived indexes held them too.
fn tail_rate(run: &RunResult, tail: usize) -> (usize, f64) {
    let Some(&(last_commit, total)) = run.done_at.last() else {
        return (0, 0.0);
    };
    let end = last_commit + run.indexing_tail;
    let from = run
        .done_at
        .iter()
        .rev()
        .find(|(_, n)| total - n >= tail)
        .copied()
        .unwrap_or((Duration::ZERO, 0));
    let objects = total - from.1;
    (objects, objects as f64 / (end - from.0).as_secs_f64())
}

fn first_line_with(path: &str, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    Some(line.split_once(':')?.1.trim().to_owned())
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model =
        first_line_with("/proc/cpuinfo", "model name").unwrap_or_else(|| "unknown CPU".into());
    let mem = first_line_with("/proc/meminfo", "MemTotal")
        .and_then(|m| m.trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or_else(
            || "unknown".to_owned(),
            |kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0),
        );
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{cpus} CPUs (nproc), {model}, {mem} RAM, Linux {}",
        kernel.trim()
    )
}

/// The PRAGMAs the store sets on its SQLite connections, as written in
/// `src/db.rs` (the store offers no way to ask its pool).
fn store_pragmas() -> String {
    let db_rs = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/db.rs");
    let text = std::fs::read_to_string(db_rs).unwrap_or_default();
    let pragmas: Vec<String> = text
        .match_indices("PRAGMA ")
        .filter_map(|(i, _)| {
            let rest = &text[i + 7..];
            let end = rest.find([';', '"', '\\'])?;
            Some(rest[..end].split_whitespace().collect::<Vec<_>>().join(""))
        })
        .filter(|p| p.contains('='))
        .collect();
    if pragmas.is_empty() {
        "unknown".into()
    } else {
        format!("[{}] (from src/db.rs)", pragmas.join(", "))
    }
}

/// Which store code was measured: the commit, whether the store's sources
/// differ from it, and an FNV-1a hash of `src/` and `migrations/` as read now.
fn store_source() -> String {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, files);
            } else {
                files.push(p);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join("src"), &mut files);
    walk(&root.join("migrations"), &mut files);
    files.sort();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for f in &files {
        let rel = f
            .strip_prefix(root)
            .unwrap_or(f)
            .to_string_lossy()
            .into_owned();
        for b in rel.bytes().chain(std::fs::read(f).unwrap_or_default()) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let head = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let dirty =
        git(&["status", "--porcelain", "--", "src", "migrations"]).is_some_and(|s| !s.is_empty());
    format!(
        "commit {head}{}; fnv64 of crates/store/{{src,migrations}} ({} files) = {h:016x}",
        if dirty {
            " + uncommitted store changes"
        } else {
            ""
        },
        files.len()
    )
}

fn filesystem_of(dir: &Path) -> String {
    // The longest mount point that contains `dir`.
    let Ok(mounts) = std::fs::read_to_string("/proc/mounts") else {
        return "unknown filesystem".into();
    };
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    mounts
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 3 && dir.starts_with(f[1]))
                .then(|| (f[1].len(), format!("{} ({}) at {}", f[2], f[0], f[1])))
        })
        .max_by_key(|(len, _)| *len)
        .map_or_else(|| "unknown filesystem".into(), |(_, s)| s)
}

fn print_report(r: &Report, corpus: &Corpus, overlap: bool) {
    let run = &r.run;
    let secs = run.total.as_secs_f64();
    let rate = run.stored as f64 / secs;
    let (tail_n, tail) = tail_rate(run, TAIL.min(corpus.objects / 10).max(BATCH));
    let validate_sum: Duration = run.validate.iter().sum();
    let insert_sum: Duration = run.insert.iter().sum();
    println!();
    println!("## {}", r.backend.name());
    println!("{}", r.detail);
    println!(
        "stored {} objects ({} duplicates, {} refused; count(*) = {}) in {secs:.1} s = {rate:.0} objects/s; last {tail_n}: {tail:.0} objects/s",
        run.stored, run.duplicates, run.failures, r.stored_rows
    );
    println!(
        "per 1,000-object batch: pipeline p50 {:.1} ms, p99 {:.1} ms; insert-only p50 {:.1} ms, p99 {:.1} ms; validate-only p50 {:.1} ms, p99 {:.1} ms",
        ms(percentile(&run.batch, 50.0)),
        ms(percentile(&run.batch, 99.0)),
        ms(percentile(&run.insert, 50.0)),
        ms(percentile(&run.insert, 99.0)),
        ms(percentile(&run.validate, 50.0)),
        ms(percentile(&run.validate, 99.0)),
    );
    println!(
        "time spent: inserting {:.1} s ({:.0} objects/s in insert_objects), validating {:.1} s {} ({:.0} objects/s while validating); wall {secs:.1} s",
        insert_sum.as_secs_f64(),
        run.stored as f64 / insert_sum.as_secs_f64(),
        validate_sum.as_secs_f64(),
        if overlap { "on a blocking thread, overlapped" } else { "before each insert" },
        corpus.objects as f64 / validate_sum.as_secs_f64(),
    );
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    println!(
        "CPU over the run: this process {:.1} s ({:.2} cores), whole machine busy {:.1} s ({:.2} of {cores:.0} cores; the difference is {}); 1-min load average at the end {:.2}",
        run.cpu.process,
        run.cpu.process / secs,
        run.cpu.machine_busy,
        run.cpu.machine_busy / secs,
        if r.backend == Backend::Sqlite { "other processes" } else { "PostgreSQL and other processes" },
        run.cpu.loadavg,
    );
    // Throughput along the run, to show whether it degrades with size.
    let marks: Vec<String> = [0.1, 0.25, 0.5, 0.75, 1.0]
        .iter()
        .filter_map(|f| {
            let target = (corpus.objects as f64 * f) as usize;
            let i = run.done_at.iter().position(|(_, n)| *n >= target)?;
            let lo = i.saturating_sub(run.done_at.len() / 20 + 1);
            let (t0, n0) = if lo == 0 && i == 0 {
                (Duration::ZERO, 0)
            } else {
                run.done_at[lo]
            };
            let (t1, n1) = run.done_at[i];
            let dt = (t1 - t0).as_secs_f64();
            (dt > 0.0).then(|| format!("{}k: {:.0}/s", n1 / 1000, (n1 - n0) as f64 / dt))
        })
        .collect();
    println!(
        "throughput along the run (over ~5% windows, by insert commits): {}",
        marks.join(", ")
    );
    println!(
        "derived indexes (search, correlation) complete {:.1} ms after the last insert's commit (counted in the totals)",
        ms(run.indexing_tail)
    );
}

fn table(reports: &[Report], corpus: &Corpus) {
    let tail_n = TAIL.min(corpus.objects / 10).max(BATCH);
    println!();
    println!("| back-end | objects stored | total s | objects/s | objects/s, last {}k | batch p50 ms | batch p99 ms | insert p50 ms | insert p99 ms | bytes/object | goal |", tail_n / 1000);
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for r in reports {
        let run = &r.run;
        let secs = run.total.as_secs_f64();
        let rate = run.stored as f64 / secs;
        let (_, tail) = tail_rate(run, tail_n);
        let goal = r.backend.goal();
        let met = if rate >= goal && tail >= goal {
            "met"
        } else {
            "NOT met"
        };
        println!(
            "| {} | {} | {secs:.1} | {rate:.0} | {tail:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {:.0} | ≥{goal:.0}/s: {met} |",
            r.backend.name(),
            run.stored,
            ms(percentile(&run.batch, 50.0)),
            ms(percentile(&run.batch, 99.0)),
            ms(percentile(&run.insert, 50.0)),
            ms(percentile(&run.insert, 99.0)),
            r.db_bytes as f64 / run.stored.max(1) as f64,
        );
    }
}

// ---------------------------------------------------------------- validate-only

/// Validation alone, one thread, in stages, to show where its time goes.
fn validate_only(corpus: &Corpus, schemas: &SchemaSet, originator: &TeamId) -> usize {
    let mut failures = 0;
    let mut per_batch = Vec::new();
    let start = Instant::now();
    for body in corpus.bundles.iter() {
        let v = validate(body, schemas, originator);
        failures += v.failures.len();
        per_batch.push(v.took);
    }
    let total = start.elapsed();
    println!(
        "validate-only (split + parse + schema + audience + keys, 1 thread): {} objects in {:.1} s = {:.0} objects/s; per batch p50 {:.1} ms, p99 {:.1} ms; {failures} refused",
        corpus.objects,
        total.as_secs_f64(),
        corpus.objects as f64 / total.as_secs_f64(),
        ms(percentile(&per_batch, 50.0)),
        ms(percentile(&per_batch, 99.0)),
    );

    // Stage by stage over the same data.
    let (mut split, mut json, mut schema, mut common, mut audience) = (
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO,
    );
    let mut by_type: std::collections::BTreeMap<String, (usize, Duration)> = Default::default();
    for body in corpus.bundles.iter() {
        let t = Instant::now();
        let raws = split_objects(body).expect("bundle splits");
        split += t.elapsed();
        for raw in raws {
            let t = Instant::now();
            let value: Value = serde_json::from_str(raw).expect("JSON");
            let t1 = Instant::now();
            json += t1 - t;
            let ok = schemas.validate(&value).is_ok();
            let t2 = Instant::now();
            schema += t2 - t1;
            let ty = value["type"].as_str().unwrap_or("").to_owned();
            let entry = by_type.entry(ty).or_default();
            entry.0 += 1;
            entry.1 += t2 - t1;
            // from_value validates again; subtract the schema time measured above.
            let object = StixObject::from_value(raw, &value, schemas);
            let t3 = Instant::now();
            common += (t3 - t2).saturating_sub(t2 - t1);
            if let (true, Ok(object)) = (ok, object) {
                let a = Audience::of_object(&object, Tlp::Amber, Some(originator.clone()))
                    .expect("audience");
                let _keys = object_keys(&a);
                audience += t3.elapsed();
            }
        }
    }
    let n = corpus.objects as f64;
    let per = |d: Duration| d.as_secs_f64() * 1e6 / n;
    println!(
        "validation stages, µs per object: split {:.2}, JSON parse {:.2}, schema validation {:.2}, common properties + ids + timestamps ≈{:.2}, audience + keys {:.2}",
        per(split),
        per(json),
        per(schema),
        per(common),
        per(audience),
    );
    let types: Vec<String> = by_type
        .iter()
        .map(|(t, (c, d))| format!("{t} {:.1}", d.as_secs_f64() * 1e6 / *c as f64))
        .collect();
    println!(
        "schema validation by type, µs per object: {}",
        types.join(", ")
    );
    failures
}

// ---------------------------------------------------------------- main

fn main() -> Result<(), BoxError> {
    let opts = options()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    println!("machine: {}", machine());
    println!("store source: {}", store_source());
    let schemas = Arc::new(SchemaSet::new()?);
    let originator_id = Rng(opts.seed ^ 0xa5a5).id("identity");
    let originator = TeamId::parse(&originator_id)?;

    let t = Instant::now();
    let corpus = generate(opts.objects, opts.seed, &originator_id);
    let mix: Vec<String> = corpus
        .by_type
        .iter()
        .map(|(t, c)| format!("{t} {:.1}%", *c as f64 * 100.0 / corpus.objects as f64))
        .collect();
    println!(
        "data: {} objects (seed {:#x}) in {} bundles of ≤{BATCH}, generated in {:.1} s (not timed); object size mean {:.0} B, min {} B, max {} B, {:.1}% within 400–2048 B; {:.0} MB of JSON",
        corpus.objects,
        opts.seed,
        corpus.bundles.len(),
        t.elapsed().as_secs_f64(),
        corpus.bytes as f64 / corpus.objects as f64,
        corpus.min,
        corpus.max,
        corpus.in_range as f64 * 100.0 / corpus.objects as f64,
        corpus.bytes as f64 / 1e6,
    );
    println!("mix: {}", mix.join(", "));

    if opts.validate_only {
        let failures = validate_only(&corpus, &schemas, &originator);
        assert_eq!(
            failures, 0,
            "every generated object must pass StixObject::parse and Audience::of_object"
        );
        return Ok(());
    }

    let ctx = Ctx {
        corpus: &corpus,
        schemas: Arc::clone(&schemas),
        originator: originator.clone(),
        overlap: !opts.sequential,
        keep: opts.keep,
    };
    println!(
        "pipeline: {}",
        if ctx.overlap {
            "batch i+1 is validated on a blocking thread while batch i is inserted"
        } else {
            "sequential (--sequential): validate a batch, then insert it, no overlap"
        }
    );
    let mut reports = Vec::new();
    for backend in &opts.backends {
        let report = runtime.block_on(async {
            match backend {
                Backend::Sqlite => bench_sqlite(&ctx).await,
                Backend::Postgres => bench_postgres(&ctx).await,
            }
        })?;
        print_report(&report, &corpus, ctx.overlap);
        assert_eq!(
            report.run.failures, 0,
            "every generated object must pass StixObject::parse and Audience::of_object"
        );
        assert_eq!(
            report.run.stored, corpus.objects,
            "every object is new and must be stored"
        );
        assert_eq!(
            report.stored_rows, corpus.objects as i64,
            "count(*) must equal the objects stored"
        );
        reports.push(report);
    }
    table(&reports, &corpus);
    if opts.smoke {
        println!(
            "(smoke run: pass --bench, as `cargo bench` does, for the full 1,000,000 objects)"
        );
    }
    Ok(())
}
