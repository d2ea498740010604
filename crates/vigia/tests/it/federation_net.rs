//! A small network of real `vigia serve` nodes on loopback, for the
//! federation tests: fixed ports (so a restarted node keeps its URL),
//! peerings set up with the CLI on both sides, and a look straight into
//! each node's store to see what it holds, whoever may read it.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use vigia_store::{ObjectQuery, Store, StoredObject, VersionFilter};

use crate::helpers::{init_node, json as json_of, run, spawn_serve, stderr, stdout, InitNode};

/// A port free right now on loopback.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// One node of a test network.
pub struct NetNode {
    pub init: InitNode,
    pub country: String,
    pub port: u16,
    pub url: String,
    pub team: String,
    pub fingerprint: String,
    child: Option<std::process::Child>,
    pub client: reqwest::blocking::Client,
}

impl NetNode {
    pub fn dir(&self) -> &str {
        self.init.dir.str()
    }

    /// Starts `vigia serve` on the node's fixed port.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "node {} already runs", self.country);
        let listen = format!("127.0.0.1:{}", self.port);
        let (child, url) = spawn_serve(
            self.init.dir.path(),
            &["--listen", &listen],
            &[("VIGIA_LOG", "error")],
        );
        assert_eq!(url, self.url);
        self.child = Some(child);
    }

    /// SIGKILL: no clean shutdown at all.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn token(&self, role: &str, extra: &[&str]) -> String {
        crate::helpers::token(self.dir(), role, extra)
    }

    /// Every object version the node stores, whoever may read it.
    pub fn stored(&self) -> Vec<StoredObject> {
        stored_in(self.init.dir.path())
    }

    pub fn stored_ids(&self) -> BTreeSet<String> {
        self.stored()
            .into_iter()
            .map(|o| o.id.to_string())
            .collect()
    }

    /// POSTs `body` as JSON with a bearer token: the status and the JSON
    /// answer (`null` when there is none).
    pub fn post(&self, token: &str, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.url))
            .bearer_auth(token)
            .json(body)
            .send()
            .expect("request");
        let status = r.status().as_u16();
        (status, r.json().unwrap_or(Value::Null))
    }

    pub fn get(&self, path: &str, token: &str) -> (u16, Value) {
        json_of(
            self.client
                .get(format!("{}{path}", self.url))
                .bearer_auth(token)
                .send()
                .expect("request"),
        )
    }
}

impl Drop for NetNode {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Reads a node's SQLite store directly.
pub fn stored_in(dir: &Path) -> Vec<StoredObject> {
    let url = format!("sqlite://{}", dir.join("vigia.db").display());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let store = Store::connect(&url).await.expect("open the node's store");
            let objects = store
                .query_objects(&ObjectQuery {
                    access_keys: None,
                    versions: VersionFilter::All,
                    limit: 100_000,
                    ..ObjectQuery::default()
                })
                .await
                .expect("read objects");
            store.close().await;
            objects
        })
}

/// Creates and starts a node for `country`, federating fast for tests.
pub fn net_node(country: &str) -> NetNode {
    net_node_with(country, None)
}

/// As [`net_node`]; with `tls`, a directory holding `ca.pem`, `node.pem` and
/// `node.key`, the node serves HTTPS and trusts that CA for its peers.
pub fn net_node_with(country: &str, tls: Option<&Path>) -> NetNode {
    net_node_full(country, tls, "")
}

/// As [`net_node_with`], with more configuration appended (TOML).
pub fn net_node_full(country: &str, tls: Option<&Path>, extra_toml: &str) -> NetNode {
    net_node_init(country, tls, &[], extra_toml)
}

/// As [`net_node_full`], with more `vigia init` arguments (`--kind …`).
pub fn net_node_init(
    country: &str,
    tls: Option<&Path>,
    init_args: &[&str],
    extra_toml: &str,
) -> NetNode {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let init = init_node(&format!("fed-{country}"), country, init_args);
    let mut config = std::fs::OpenOptions::new()
        .append(true)
        .open(init.dir.path().join("vigia.toml"))
        .unwrap();
    let scheme = if tls.is_some() { "https" } else { "http" };
    if let Some(dir) = tls {
        writeln!(
            config,
            "tls_cert = {:?}\ntls_key = {:?}",
            dir.join("node.pem"),
            dir.join("node.key")
        )
        .unwrap();
    }
    writeln!(
        config,
        "\n[federation]\npull_interval_secs = 1\nretry_base_ms = 100\nretry_max_secs = 1"
    )
    .unwrap();
    if let Some(dir) = tls {
        writeln!(config, "ca_file = {:?}", dir.join("ca.pem")).unwrap();
    }
    writeln!(config, "{extra_toml}").unwrap();
    let out = run(&["node", "info", "--data-dir", init.dir.str(), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let info: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let mut node = NetNode {
        country: country.to_owned(),
        port,
        url: format!("{scheme}://{listen}"),
        team: info["team_id"].as_str().unwrap().to_owned(),
        fingerprint: info["key_fingerprint"].as_str().unwrap().to_owned(),
        init,
        child: None,
        client: client(tls),
    };
    node.start();
    node
}

fn client(tls: Option<&Path>) -> reqwest::blocking::Client {
    let mut b = reqwest::blocking::Client::builder().timeout(Duration::from_secs(60));
    if let Some(dir) = tls {
        let pem = std::fs::read(dir.join("ca.pem")).unwrap();
        b = b.add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap());
    }
    b.build().unwrap()
}

/// Sets up a peering on both sides.
pub fn peer(a: &NetNode, b: &NetNode) {
    for (x, y) in [(a, b), (b, a)] {
        let out = run(&[
            "peer",
            "add",
            "--data-dir",
            x.dir(),
            &y.url,
            "--key",
            &y.fingerprint,
        ]);
        assert!(
            out.status.success(),
            "peer add {} → {}: {}",
            x.country,
            y.country,
            stderr(&out)
        );
    }
}

/// `vigia publish` of one object at `node`; panics unless it succeeds.
pub fn publish(node: &NetNode, object: &Value, args: &[&str]) -> String {
    let file = node
        .init
        .dir
        .path()
        .join(format!("publish-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&file, object.to_string()).unwrap();
    let mut all = vec!["publish", "--data-dir", node.dir(), file.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = run(&all);
    assert!(
        out.status.success(),
        "publish failed: {}{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

/// Polls `done` until it holds or `secs` pass.
pub fn eventually(secs: u64, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("not within {secs} s: {what}");
}

/// Waits a few pull rounds so anything that would arrive has arrived.
pub fn settle() {
    std::thread::sleep(Duration::from_millis(3500));
}

/// A note with a fixed id derived from `n`.
pub fn note(n: u32, text: &str) -> Value {
    json!({
        "type": "note",
        "spec_version": "2.1",
        "id": format!("note--00000000-0000-4000-8000-{n:012}"),
        "created": "2026-02-01T00:00:00.000Z",
        "modified": "2026-02-01T00:00:00.000Z",
        "content": text,
        "object_refs": [format!("note--00000000-0000-4000-8000-{n:012}")]
    })
}

pub fn note_id(n: u32) -> String {
    format!("note--00000000-0000-4000-8000-{n:012}")
}
