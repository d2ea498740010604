//! `vigia taxii pull` and `vigia taxii push` against the OASIS reference
//! TAXII 2.1 server, medallion (memory back-end, HTTP Basic), on loopback.
//!
//! medallion comes from `scripts/python-env.sh` (`VIGIA_MEDALLION`). Its
//! data is written here: an API root with a collection of 2,500 objects
//! (some with two versions) served 100 per page, and empty collections to
//! push to.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use vigia_stix::{Distribution, Tlp, DISTRIBUTION_EXTENSION_ID};

use crate::helpers::{init_node, json, stderr, stdout, vigia, Node, TempDir};

const TAXII: &str = "application/taxii+json;version=2.1";
const ROOT: &str = "vigia-test";
const PULL: &str = "9a8a6e34-7b64-4c1e-9f3c-1f2f7d4a0001";
const PUSH_FILE: &str = "9a8a6e34-7b64-4c1e-9f3c-1f2f7d4a0002";
const PUSH_QUERY: &str = "9a8a6e34-7b64-4c1e-9f3c-1f2f7d4a0003";
const USER: &str = "vigia";
const PASSWORD: &str = "medallion-test-password";
/// medallion's largest page: small, so paging is exercised.
const MAX_PAGE: usize = 100;
const INDICATORS: usize = 2000;
const MALWARE: usize = 250;
const RELATIONSHIPS: usize = 250;
/// Indicators with a second version (medallion serves only the last).
const TWO_VERSIONS: usize = 50;

fn medallion_program() -> String {
    match std::env::var("VIGIA_MEDALLION") {
        Ok(p) if !p.trim().is_empty() => p,
        _ => panic!(
            "VIGIA_MEDALLION is not set: the TAXII client tests run the OASIS reference \
             server, medallion. Run `source scripts/python-env.sh && ensure_python_env` in \
             this shell first (it creates .venv with medallion and exports VIGIA_MEDALLION), \
             then run the tests again."
        ),
    }
}

/// TLP of the n-th generated object: CLEAR, GREEN, or no marking (which a
/// vigia node reads as its default, AMBER).
fn marking(n: usize) -> Option<Tlp> {
    match n % 3 {
        0 => Some(Tlp::Clear),
        1 => Some(Tlp::Green),
        _ => None,
    }
}

fn uuid(kind: u32, n: usize) -> String {
    format!("{kind:08x}-0000-4000-8000-{n:012}")
}

fn with_marking(mut v: Value, n: usize) -> Value {
    if let Some(tlp) = marking(n) {
        v["object_marking_refs"] = json!([tlp.marking_id()]);
    }
    v
}

fn indicator(n: usize, version: u32) -> Value {
    let modified = if version == 1 {
        "2026-01-01T00:00:00.000Z"
    } else {
        "2026-02-01T00:00:00.000Z"
    };
    with_marking(
        json!({
            "type": "indicator",
            "spec_version": "2.1",
            "id": format!("indicator--{}", uuid(1, n)),
            "created": "2026-01-01T00:00:00.000Z",
            "modified": modified,
            "name": format!("C2 address {n} (version {version})"),
            "indicator_types": ["malicious-activity"],
            "pattern": format!("[ipv4-addr:value = '10.{}.{}.{}']", n / 65536, n / 256 % 256, n % 256),
            "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z"
        }),
        n,
    )
}

fn malware(n: usize) -> Value {
    with_marking(
        json!({
            "type": "malware",
            "spec_version": "2.1",
            "id": format!("malware--{}", uuid(2, n)),
            "created": "2026-01-01T00:00:00.000Z",
            "modified": "2026-01-01T00:00:00.000Z",
            "name": format!("Family {n}"),
            "is_family": true,
            "malware_types": ["ransomware"]
        }),
        n,
    )
}

fn relationship(n: usize) -> Value {
    with_marking(
        json!({
            "type": "relationship",
            "spec_version": "2.1",
            "id": format!("relationship--{}", uuid(3, n)),
            "created": "2026-01-01T00:00:00.000Z",
            "modified": "2026-01-01T00:00:00.000Z",
            "relationship_type": "indicates",
            "source_ref": format!("indicator--{}", uuid(1, n)),
            "target_ref": format!("malware--{}", uuid(2, n % MALWARE))
        }),
        n,
    )
}

/// Every object version in the pull collection, oldest first.
fn pull_collection_versions() -> Vec<Value> {
    let mut all: Vec<Value> = (0..TWO_VERSIONS).map(|n| indicator(n, 1)).collect();
    all.extend((0..INDICATORS).map(|n| indicator(n, if n < TWO_VERSIONS { 2 } else { 1 })));
    all.extend((0..MALWARE).map(malware));
    all.extend((0..RELATIONSHIPS).map(relationship));
    all
}

/// What medallion serves from the pull collection: the last version of each.
fn expected_objects() -> BTreeMap<String, Value> {
    pull_collection_versions()
        .into_iter()
        .map(|v| (v["id"].as_str().unwrap().to_owned(), v))
        .collect()
}

fn manifest_entry(v: &Value, k: usize) -> Value {
    json!({
        "id": v["id"],
        "date_added": format!("2026-03-01T{:02}:{:02}:{:02}.{:06}Z", k / 3600, k / 60 % 60, k % 60, k),
        "version": v["modified"],
        "media_type": "application/stix+json;version=2.1"
    })
}

fn collection(id: &str, title: &str, objects: Vec<Value>) -> Value {
    let manifest: Vec<Value> = objects
        .iter()
        .enumerate()
        .map(|(k, v)| manifest_entry(v, k))
        .collect();
    json!({
        "id": id,
        "title": title,
        "can_read": true,
        "can_write": true,
        "media_types": ["application/stix+json;version=2.1"],
        "objects": objects,
        "manifest": manifest
    })
}

/// A running medallion, killed on drop.
struct Medallion {
    child: Child,
    /// `http://127.0.0.1:PORT`
    base: String,
    dir: TempDir,
}

impl Medallion {
    fn api_root(&self) -> String {
        format!("{}/{ROOT}/", self.base)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("medallion.log")).unwrap_or_default()
    }

    /// Starts medallion with the pull collection (when `with_data`) and
    /// the push collections, and waits until it answers.
    fn start(tag: &str, with_data: bool) -> Self {
        let program = medallion_program();
        let mut last_log = String::new();
        // A port found free can be taken before medallion binds it: retry.
        for _ in 0..3 {
            let dir = TempDir::new(tag);
            std::fs::create_dir_all(dir.path()).unwrap();
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let base = format!("http://127.0.0.1:{port}");
            let data_path = dir.path().join("data.json");
            let pull_objects = if with_data {
                pull_collection_versions()
            } else {
                vec![]
            };
            let data = json!({
                "/discovery": {
                    "title": "medallion for vigia's tests",
                    "default": format!("{base}/{ROOT}/"),
                    "api_roots": [format!("{base}/{ROOT}/")]
                },
                ROOT: {
                    "information": {
                        "title": "vigia test root",
                        "versions": [TAXII],
                        "max_content_length": 20_000_000
                    },
                    "status": [],
                    "collections": [
                        collection(PULL, "objects to pull", pull_objects),
                        collection(PUSH_FILE, "pushed from a file", vec![]),
                        collection(PUSH_QUERY, "pushed from a query", vec![]),
                    ]
                }
            });
            std::fs::write(&data_path, data.to_string()).unwrap();
            // medallion 3.0.0's configuration: the memory back-end (with
            // `next` sessions that outlive a slow first page), users for
            // HTTP Basic, and the page size.
            let conf = json!({
                "backend": {
                    "module": "medallion.backends.memory_backend",
                    "module_class": "MemoryBackend",
                    "filename": data_path,
                    "session_timeout": 3600
                },
                "users": {USER: PASSWORD},
                "taxii": {"max_page_size": MAX_PAGE}
            });
            let conf_path = dir.path().join("medallion.json");
            std::fs::write(&conf_path, conf.to_string()).unwrap();
            let log = File::create(dir.path().join("medallion.log")).unwrap();
            // medallion 3.0.0 takes the configuration file as its one
            // positional argument (later versions also accept --conf-file).
            let child = Command::new(&program)
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .arg(&conf_path)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run {program} (VIGIA_MEDALLION): {e}"));
            let mut server = Medallion { child, base, dir };
            if server.wait_until_ready() {
                return server;
            }
            last_log = server.log();
            eprintln!("medallion did not answer on port {port}; its log:\n{last_log}");
            // Dropping `server` stops it and removes its directory.
        }
        panic!("medallion did not start:\n{last_log}");
    }

    /// Polls discovery until it answers 200; false if medallion exits or
    /// a minute passes.
    fn wait_until_ready(&mut self) -> bool {
        let client = Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            let answer = client
                .get(format!("{}/taxii2/", self.base))
                .basic_auth(USER, Some(PASSWORD))
                .header("accept", TAXII)
                .send();
            if answer.is_ok_and(|r| r.status() == 200) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        false
    }

    /// Every object of a collection as medallion serves it, each as its
    /// exact text, read page by page with a plain HTTP client.
    fn served(&self, collection: &str) -> BTreeMap<String, String> {
        let client = Client::builder()
            .timeout(Duration::from_secs(600))
            .build()
            .unwrap();
        let url = format!("{}collections/{collection}/objects/", self.api_root());
        let mut out = BTreeMap::new();
        let mut next: Option<String> = None;
        loop {
            let mut query = vec![("limit", MAX_PAGE.to_string())];
            if let Some(n) = &next {
                query.push(("next", n.clone()));
            }
            let resp = client
                .get(&url)
                .query(&query)
                .basic_auth(USER, Some(PASSWORD))
                .header("accept", TAXII)
                .send()
                .unwrap();
            assert_eq!(resp.status(), 200, "{}", self.log());
            let text = resp.text().unwrap();
            #[derive(serde::Deserialize)]
            struct Envelope<'a> {
                #[serde(borrow, default)]
                objects: Vec<&'a RawValue>,
                #[serde(default)]
                more: bool,
                next: Option<String>,
            }
            let page: Envelope<'_> = serde_json::from_str(&text).unwrap();
            for raw in &page.objects {
                let v: Value = serde_json::from_str(raw.get()).unwrap();
                out.insert(v["id"].as_str().unwrap().to_owned(), raw.get().to_owned());
            }
            if !page.more {
                return out;
            }
            next = Some(page.next.expect("medallion sends next with more"));
        }
    }
}

impl Drop for Medallion {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `vigia taxii ARGS` with the medallion password in the environment.
fn taxii(args: &[&str], password: &str) -> Output {
    vigia()
        .arg("taxii")
        .args(args)
        .env_remove("VIGIA_DATA_DIR")
        .env_remove("VIGIA_TAXII_TOKEN")
        .env("VIGIA_TAXII_PASSWORD", password)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .stdin(Stdio::null())
        .output()
        .expect("vigia runs")
}

/// The value of a `key: value` summary line.
fn summary(out: &Output, key: &str) -> u64 {
    let text = stdout(out);
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}: ")))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no `{key}:` line in:\n{text}\nstderr:\n{}", stderr(out)))
}

/// Every object version a node holds, each as its exact text.
fn node_objects(node: &Node, token: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut after: Option<String> = None;
    loop {
        let mut path = "/api/objects?limit=1000&version=all".to_owned();
        if let Some(a) = &after {
            path.push_str(&format!("&added_after={a}"));
        }
        let resp = node.get(&path).bearer_auth(token).send().unwrap();
        assert_eq!(resp.status(), 200);
        let text = resp.text().unwrap();
        #[derive(serde::Deserialize)]
        struct Page<'a> {
            #[serde(borrow)]
            objects: Vec<&'a RawValue>,
            more: bool,
            next: Option<String>,
        }
        let page: Page<'_> = serde_json::from_str(&text).unwrap();
        for raw in &page.objects {
            let v: Value = serde_json::from_str(raw.get()).unwrap();
            let id = v["id"].as_str().unwrap().to_owned();
            assert!(
                out.insert(id.clone(), raw.get().to_owned()).is_none(),
                "{id} stored twice"
            );
        }
        if !page.more || page.objects.is_empty() {
            return out;
        }
        after = page.next;
    }
}

/// Fails with the ids only one side has (a few of them), not all ids.
fn assert_same_ids<A, B>(left: &BTreeMap<String, A>, right: &BTreeMap<String, B>, what: &str) {
    let l: BTreeSet<&String> = left.keys().collect();
    let r: BTreeSet<&String> = right.keys().collect();
    let only_left: Vec<_> = l.difference(&r).take(10).collect();
    let only_right: Vec<_> = r.difference(&l).take(10).collect();
    assert!(
        only_left.is_empty() && only_right.is_empty(),
        "{what}: {} against {} ids; only in the first: {only_left:?}; only in the second: {only_right:?}",
        l.len(),
        r.len()
    );
}

fn audit_entries(node: &Node, admin: &str, action: &str) -> Vec<Value> {
    let (status, v) = json(
        node.get("/api/audit?limit=1000")
            .bearer_auth(admin)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{v}");
    v.as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == action)
        .cloned()
        .collect()
}

#[test]
fn pull_copies_every_page_byte_for_byte_and_push_sends_only_what_may_leave() {
    let medallion = Medallion::start("medallion-pull", true);
    let root = medallion.api_root();
    // Pull into a running node, as an operator would.
    let node = Node::serve(init_node("taxii-pull", "CR", &[]), &[], &[]);
    let admin = node.admin_token();
    let before = node_objects(&node, &admin);
    let dir = node.dir().to_owned();

    let started = Instant::now();
    let out = taxii(
        &[
            "pull",
            &root,
            "--collection",
            PULL,
            "--data-dir",
            &dir,
            "--user",
            USER,
            "--timeout",
            "900",
        ],
        PASSWORD,
    );
    assert!(
        out.status.success(),
        "pull failed:\n{}\n{}\nmedallion:\n{}",
        stdout(&out),
        stderr(&out),
        medallion.log()
    );
    eprintln!(
        "pull of {} objects took {:?}",
        INDICATORS + MALWARE + RELATIONSHIPS,
        started.elapsed()
    );
    let expected = expected_objects();
    let total = expected.len() as u64;
    assert_eq!(total, 2500);
    assert_eq!(summary(&out, "objects received"), total);
    assert_eq!(summary(&out, "pages"), total.div_ceil(MAX_PAGE as u64));
    assert_eq!(summary(&out, "stored"), total, "{}", stderr(&out));
    assert_eq!(summary(&out, "duplicates"), 0);
    assert_eq!(summary(&out, "failures"), 0);

    // What the node holds is exactly what medallion serves, byte for byte,
    // and, as JSON, exactly the objects written into medallion's data.
    let served = medallion.served(PULL);
    assert_eq!(served.len(), expected.len());
    let mut stored = node_objects(&node, &admin);
    // What `init` stored (the team's identity, the TLP markings) is
    // unchanged; everything else came from the pull.
    for (id, raw) in &before {
        assert_eq!(stored.remove(id).as_ref(), Some(raw), "{id}");
    }
    assert_same_ids(
        &stored,
        &served,
        "the node holds the ids medallion serves, each once (the last version)",
    );
    for (id, raw) in &stored {
        assert_eq!(raw, &served[id], "{id} is not stored as medallion sent it");
        let value: Value = serde_json::from_str(raw).unwrap();
        assert_eq!(&value, &expected[id], "{id}");
    }

    let pulls = audit_entries(&node, &admin, "taxii.pull");
    assert_eq!(pulls.len(), 1, "{pulls:?}");
    let detail = &pulls[0]["detail"];
    assert_eq!(pulls[0]["outcome"], "ok");
    assert_eq!(pulls[0]["subject"], PULL);
    assert_eq!(detail["url"], root.as_str());
    assert_eq!(detail["collection"], PULL);
    assert_eq!(detail["received"], total);
    assert_eq!(detail["stored"], total);
    assert!(!pulls[0].to_string().contains(PASSWORD));

    // Push the node's malware back to medallion: only the CLEAR and GREEN
    // ones may leave; the unmarked ones are TLP:AMBER on this node.
    let may_leave: BTreeMap<String, Value> = (0..MALWARE)
        .filter(|&n| marking(n).is_some())
        .map(|n| {
            let v = malware(n);
            (v["id"].as_str().unwrap().to_owned(), v)
        })
        .collect();
    let out = taxii(
        &[
            "push",
            &root,
            "--query",
            "malware",
            "--collection",
            PUSH_QUERY,
            "--data-dir",
            node.dir(),
            "--user",
            USER,
            "--chunk",
            "100",
        ],
        PASSWORD,
    );
    assert!(
        out.status.success(),
        "push failed:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let sent = may_leave.len() as u64;
    assert_eq!(summary(&out, "selected"), MALWARE as u64);
    assert_eq!(summary(&out, "skipped by marking"), MALWARE as u64 - sent);
    assert_eq!(summary(&out, "sent"), sent);
    assert_eq!(summary(&out, "success"), sent);
    assert_eq!(summary(&out, "failure"), 0);
    assert_eq!(summary(&out, "pending"), 0);
    assert!(stdout(&out).contains(&format!("in {} request(s)", sent.div_ceil(100))));
    let arrived = medallion.served(PUSH_QUERY);
    assert_same_ids(
        &arrived,
        &may_leave,
        "medallion has the malware that may leave",
    );
    for (id, raw) in &arrived {
        assert_eq!(&serde_json::from_str::<Value>(raw).unwrap(), &may_leave[id]);
    }
    let pushes = audit_entries(&node, &admin, "taxii.push");
    assert_eq!(pushes.len(), 1, "{pushes:?}");
    assert_eq!(pushes[0]["detail"]["sent"], sent);
    let green = (0..MALWARE)
        .filter(|&n| marking(n) == Some(Tlp::Green))
        .count();
    assert_eq!(
        pushes[0]["detail"]["shared_restricted"]
            .as_array()
            .unwrap()
            .len(),
        green,
        "every GREEN object that left is named in the audit log"
    );
}

#[test]
fn push_sends_a_bundle_file_and_refuses_what_its_marking_keeps_home() {
    let medallion = Medallion::start("medallion-push", false);
    let root = medallion.api_root();
    let init = init_node("taxii-push", "CR", &[]);
    let dir = init.dir.str().to_owned();

    let marked = |n: usize, tlp: Option<Tlp>| {
        let mut v = indicator(10_000 + n, 1);
        match tlp {
            Some(t) => v["object_marking_refs"] = json!([t.marking_id()]),
            None => {
                v.as_object_mut().unwrap().remove("object_marking_refs");
            }
        }
        v
    };
    let mut leaving = Vec::new();
    for n in 0..4 {
        leaving.push(marked(n, Some(Tlp::Clear)));
        leaving.push(marked(10 + n, Some(Tlp::Green)));
    }
    let mut green_for_one_team = marked(20, Some(Tlp::Green));
    green_for_one_team["extensions"] = json!({
        DISTRIBUTION_EXTENSION_ID: Distribution {
            recipient_teams: vec!["identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f".into()],
            ..Distribution::default()
        }
        .to_extension()
    });
    let staying = [
        marked(30, Some(Tlp::Amber)),
        marked(31, Some(Tlp::AmberStrict)),
        marked(32, None),
        green_for_one_team,
    ];
    let mut objects = leaving.clone();
    objects.extend(staying.iter().cloned());
    let bundle = json!({
        "type": "bundle",
        "id": "bundle--6b1f6f7e-7a2c-4d8e-9a33-1c2d3e4f5a6b",
        "objects": objects
    });
    let file = TempDir::new("taxii-push-file");
    std::fs::create_dir_all(file.path()).unwrap();
    let path = file.path().join("bundle.json");
    std::fs::write(&path, serde_json::to_string_pretty(&bundle).unwrap()).unwrap();
    let path = path.to_str().unwrap();

    let out = taxii(
        &[
            "push",
            &root,
            path,
            "--collection",
            PUSH_FILE,
            "--data-dir",
            &dir,
            "--user",
            USER,
        ],
        PASSWORD,
    );
    assert!(
        out.status.success(),
        "push failed:\n{}\n{}\nmedallion:\n{}",
        stdout(&out),
        stderr(&out),
        medallion.log()
    );
    assert_eq!(summary(&out, "selected"), objects.len() as u64);
    assert_eq!(summary(&out, "skipped by marking"), staying.len() as u64);
    assert_eq!(summary(&out, "sent"), leaving.len() as u64);
    assert_eq!(summary(&out, "success"), leaving.len() as u64);
    assert_eq!(summary(&out, "failure"), 0);
    assert_eq!(summary(&out, "pending"), 0);

    let arrived = medallion.served(PUSH_FILE);
    let expected: BTreeMap<String, &Value> = leaving
        .iter()
        .map(|v| (v["id"].as_str().unwrap().to_owned(), v))
        .collect();
    assert_same_ids(
        &arrived,
        &expected,
        "medallion has the objects that may leave",
    );
    for (id, raw) in &arrived {
        assert_eq!(&serde_json::from_str::<Value>(raw).unwrap(), expected[id]);
    }

    // The same objects again: medallion reports them as failures (it
    // already has them); the command still succeeds and says so.
    let again = taxii(
        &[
            "push",
            &root,
            path,
            "--collection",
            PUSH_FILE,
            "--data-dir",
            &dir,
            "--user",
            USER,
        ],
        PASSWORD,
    );
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(summary(&again, "failure"), leaving.len() as u64);
    assert!(
        stderr(&again).contains("failure: indicator--"),
        "{}",
        stderr(&again)
    );

    // Errors: a wrong password, a collection that does not exist, a
    // server that is not there. Each names the URL and the cause, and the
    // command fails.
    let out = taxii(
        &[
            "pull",
            &root,
            "--collection",
            PUSH_FILE,
            "--data-dir",
            &dir,
            "--user",
            USER,
        ],
        "wrong password",
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("HTTP 401"), "{err}");
    assert!(err.contains(&root), "{err}");
    assert!(!err.contains("wrong password"), "{err}");

    let out = taxii(
        &[
            "pull",
            &root,
            "--collection",
            "no-such-collection",
            "--data-dir",
            &dir,
            "--user",
            USER,
        ],
        PASSWORD,
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("HTTP 404"), "{err}");
    assert!(
        err.contains("Collection 'no-such-collection' not found"),
        "the server's TAXII error resource is shown: {err}"
    );

    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = taxii(
        &[
            "pull",
            &format!("http://127.0.0.1:{closed}/{ROOT}/"),
            "--collection",
            PULL,
            "--data-dir",
            &dir,
        ],
        PASSWORD,
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&format!("127.0.0.1:{closed}")),
        "{}",
        stderr(&out)
    );

    // Every attempt is in the audit log, failures included.
    let node = Node::serve(init, &[], &[]);
    let admin = node.admin_token();
    let pushes = audit_entries(&node, &admin, "taxii.push");
    assert_eq!(pushes.len(), 2);
    assert_eq!(pushes[0]["detail"]["skipped_by_marking"], staying.len());
    let pulls = audit_entries(&node, &admin, "taxii.pull");
    assert_eq!(pulls.len(), 3);
    assert!(pulls.iter().all(|e| e["outcome"] == "error"), "{pulls:?}");
    let verify = crate::helpers::run(&["audit", "verify", "--data-dir", node.dir()]);
    assert!(verify.status.success(), "{}", stdout(&verify));
}
