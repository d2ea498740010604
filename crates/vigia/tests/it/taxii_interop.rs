//! Interoperability with the OASIS reference tools: the TAXII 2.1 client
//! (`taxii2-client`) talks to a real node with tokens of two teams, Basic
//! auth and the public root, and the STIX validator (`stix2-validator`)
//! checks every object the node served. The checks are in
//! `crates/vigia/tests/interop/taxii2_client_check.py`; this test starts
//! the node, makes the credentials and runs the script with them.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{init_node, json, Node, TempDir};

/// How long the whole script may take (it usually needs well under a minute).
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(600);

fn python() -> String {
    match std::env::var("VIGIA_PYTHON") {
        Ok(p) if !p.trim().is_empty() => p,
        _ => panic!(
            "VIGIA_PYTHON is not set: the TAXII interoperability test needs the OASIS \
             Python tools. Run `source scripts/python-env.sh && ensure_python_env` in \
             this shell first (it creates .venv with medallion, taxii2-client and \
             stix2-validator and exports VIGIA_PYTHON), then run the tests again."
        ),
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

#[test]
fn oasis_taxii2_client_and_stix2_validator_accept_the_taxii_server() {
    let python = python();
    let repo = repo_root();
    let script = repo.join("crates/vigia/tests/interop/taxii2_client_check.py");
    assert!(script.is_file(), "missing {}", script.display());

    let node = Node::serve(
        init_node("taxii-interop", "CR", &[]),
        &[],
        &[("VIGIA_TAXII_PUBLIC", "true")],
    );
    let admin = node.admin_token();
    let (status, team_b) = json(
        node.post("/api/teams")
            .bearer_auth(&admin)
            .json(&json!({"name": "CSIRT Other", "country": "AR", "kind": "national-csirt"}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201, "{team_b}");
    let team_b = team_b["id"].as_str().expect("team id").to_owned();
    let token_a = node.token("analyst", &[]);
    let token_b = node.token("analyst", &["--team", &team_b]);
    let reader = node.token("read-only", &[]);

    // Output goes to files, so a chatty script never blocks on a full pipe.
    let out = TempDir::new("taxii-interop-out");
    std::fs::create_dir_all(out.path()).unwrap();
    let (stdout_path, stderr_path) = (out.path().join("stdout"), out.path().join("stderr"));
    let mut child = Command::new(&python)
        .arg(&script)
        .current_dir(&repo)
        .env("VIGIA_URL", &node.url)
        .env("VIGIA_TOKEN_A", &token_a)
        .env("VIGIA_TOKEN_B", &token_b)
        .env("VIGIA_TOKEN_READER", &reader)
        .env("VIGIA_ADMIN_USER", "admin")
        .env("VIGIA_ADMIN_PASSWORD", &node.init.admin_password)
        .env("VIGIA_REPO", &repo)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).unwrap())
        .stderr(File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python} (VIGIA_PYTHON): {e}"));
    let deadline = Instant::now() + SCRIPT_TIMEOUT;
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break Some(exit);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stdout = std::fs::read_to_string(&stdout_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    println!("{stdout}");
    if !stderr.trim().is_empty() {
        println!("--- stderr ---\n{stderr}");
    }
    let exit = exit.unwrap_or_else(|| {
        panic!(
            "{} did not finish within {SCRIPT_TIMEOUT:?}",
            script.display()
        )
    });
    assert!(
        exit.success(),
        "taxii2_client_check.py failed ({exit}):\n{stdout}\n{stderr}"
    );
    for check in [
        "ok   discovery",
        "ok   collections",
        "ok   add_objects threat-reports/poisonivy.json",
        "ok   get_objects as_pages",
        "ok   get_manifest as_pages",
        "ok   markings",
        "ok   get_object_versions",
        "ok   HTTP Basic",
        "ok   public root",
        "ok   stix2-validator",
        "ALL CHECKS PASSED",
    ] {
        assert!(stdout.contains(check), "no {check:?} in:\n{stdout}");
    }
}
