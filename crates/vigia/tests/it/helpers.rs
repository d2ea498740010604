//! Typed helpers: start nodes, run commands, make requests.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::Value;

pub fn vigia() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vigia"))
}

/// Runs `vigia ARGS` to completion.
pub fn run(args: &[&str]) -> Output {
    vigia()
        .args(args)
        .env_remove("VIGIA_DATA_DIR")
        .output()
        .expect("vigia runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!("vigia-it-{tag}-{}", uuid::Uuid::new_v4()));
        Self(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
    pub fn str(&self) -> &str {
        self.0.to_str().expect("utf-8 temp path")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A node created with `vigia init`: its directory and admin password.
pub struct InitNode {
    pub dir: TempDir,
    pub admin_password: String,
}

pub fn init_node(tag: &str, country: &str, extra: &[&str]) -> InitNode {
    let dir = TempDir::new(tag);
    let mut args = vec![
        "init",
        "--data-dir",
        dir.str(),
        "--country",
        country,
        "--name",
        "CSIRT Test",
        "--listen",
        "127.0.0.1:0",
    ];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert!(out.status.success(), "init failed: {}", stderr(&out));
    let text = stdout(&out);
    let admin_password = text
        .lines()
        .find_map(|l| l.strip_prefix("Admin password (shown once, store it now): "))
        .expect("init prints the admin password")
        .to_owned();
    InitNode {
        dir,
        admin_password,
    }
}

/// Appends TOML to a node's configuration before it starts.
pub fn append_config(init: &InitNode, toml: &str) {
    use std::io::Write as _;
    let mut config = std::fs::OpenOptions::new()
        .append(true)
        .open(init.dir.path().join("vigia.toml"))
        .unwrap();
    writeln!(config, "\n{toml}").unwrap();
}

/// A running `vigia serve`, killed on drop.
pub struct Node {
    pub init: InitNode,
    pub url: String,
    pub child: Child,
    pub client: Client,
}

impl Node {
    pub fn start(tag: &str) -> Self {
        Self::serve(init_node(tag, "CR", &[]), &[], &[])
    }

    pub fn serve(init: InitNode, extra: &[&str], env: &[(&str, &str)]) -> Self {
        let (child, url) = spawn_serve(init.dir.path(), extra, env);
        Self {
            init,
            url,
            child,
            client: Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
        }
    }

    pub fn dir(&self) -> &str {
        self.init.dir.str()
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(format!("{}{path}", self.url))
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.client.post(format!("{}{path}", self.url))
    }

    /// A bearer token made with the CLI, for a role and optional user.
    pub fn token(&self, role: &str, extra: &[&str]) -> String {
        token(self.dir(), role, extra)
    }

    pub fn admin_token(&self) -> String {
        self.token("admin", &["--user", "admin"])
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn token(dir: &str, role: &str, extra: &[&str]) -> String {
    let mut args = vec!["token", "create", "--data-dir", dir, "--role", role];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert!(
        out.status.success(),
        "token create failed: {}",
        stderr(&out)
    );
    stdout(&out)
        .lines()
        .last()
        .expect("a token line")
        .trim()
        .to_owned()
}

/// Starts `vigia serve` and waits for its "listening" line.
// The child is returned to the caller, who kills and waits for it.
#[allow(clippy::zombie_processes)]
pub fn spawn_serve(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> (Child, String) {
    let mut cmd = vigia();
    cmd.args(["serve", "--data-dir", dir.to_str().unwrap()]);
    if !extra.contains(&"--listen") {
        cmd.args(["--listen", "127.0.0.1:0"]);
    }
    cmd.args(extra)
        .env("VIGIA_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("vigia serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(url) = line.strip_prefix("vigia listening on ") {
                    // Keep draining stdout so the node never blocks on a full pipe.
                    std::thread::spawn(move || for _ in lines.by_ref() {});
                    return (child, url.trim().to_owned());
                }
            }
            _ => break,
        }
    }
    let _ = child.kill();
    panic!("vigia serve did not report its address");
}

pub fn json(resp: Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().expect("body");
    let value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, value)
}

pub const STIX: &str = "application/stix+json;version=2.1";

/// The shared STIX examples from the standards bodies.
pub fn shared_examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/stix-2.1/examples")
}

pub fn team_id(node: &Node) -> String {
    let (_, v) = json(node.get("/api/node").send().unwrap());
    v["team_id"].as_str().unwrap().to_owned()
}

pub fn indicator(id_suffix: u32, tlp_marking: &str, extensions: Option<Value>) -> Value {
    let mut v = serde_json::json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{id_suffix:012}"),
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "pattern": "[ipv4-addr:value = '198.51.100.7']",
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
        "object_marking_refs": [tlp_marking]
    });
    if let Some(ext) = extensions {
        v["extensions"] = ext;
    }
    v
}
