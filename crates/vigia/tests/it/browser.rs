//! The console in a real browser: Debian's Chromium, headless, driven by
//! playwright-core (`e2e/console.mjs`) over three federated nodes on
//! loopback. `scripts/test` installs Chromium and the npm package; without
//! them this test fails and says so, it is never skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use crate::federation_net::{eventually, net_node, peer, NetNode};
use crate::helpers::{run, stderr, stdout};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A new console user at `node`; returns the generated password.
fn add_user(node: &NetNode, name: &str, role: &str) -> String {
    let out = run(&[
        "user",
        "add",
        "--data-dir",
        node.dir(),
        name,
        "--role",
        role,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .find_map(|l| l.strip_prefix("Password (shown once): "))
        .expect("a generated password")
        .trim()
        .to_owned()
}

fn team_name(node: &NetNode) -> String {
    let out = run(&["node", "info", "--data-dir", node.dir(), "--json"]);
    let info: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    info["team_name"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn an_alert_composed_at_one_node_is_seen_live_acknowledged_and_kept_from_the_unentitled() {
    let root = repo_root();
    let chromium = std::env::var("VIGIA_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists()
            && ["playwright-core", "axe-core"]
                .iter()
                .all(|p| root.join("e2e/node_modules").join(p).exists()),
        "the browser tests need Chromium ({chromium}) and e2e/node_modules: run scripts/test, \
         which installs both"
    );
    let (a, b, c) = (net_node("AR"), net_node("BR"), net_node("CL"));
    peer(&a, &b);
    peer(&a, &c);
    peer(&b, &c);
    let users = [
        (&a, "ana", add_user(&a, "ana", "analyst")),
        (&b, "duty", add_user(&b, "duty", "analyst")),
        (&c, "carla", add_user(&c, "carla", "analyst")),
    ];

    // An AMBER product from A addressed to B alone, arrived at B.
    let token = a.token("analyst", &["--user", "admin"]);
    let amber_title = "AMBER for Brazil's team only";
    let (status, published) = crate::helpers::json(
        a.client
            .post(format!("{}/api/products", a.url))
            .bearer_auth(&token)
            .json(&json!({"kind": "advisory", "title": amber_title, "severity": "medium", "tlp": "amber",
                          "audience": {"recipient_teams": [b.team]}}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201, "{published}");
    let amber_id = published["id"].as_str().unwrap().to_owned();
    eventually(30, "the AMBER product reaches B", || {
        b.stored_ids().contains(&amber_id)
    });

    let out_dir = root.join("target/e2e-screenshots");
    let node_json = |(n, user, password): &(&NetNode, &str, String)| json!({"url": n.url, "user": user, "password": password, "team_name": team_name(n)});
    let mut node_a = node_json(&users[0]);
    node_a["admin_password"] = json!(a.init.admin_password);
    let config = json!({
        "a": node_a,
        "b": node_json(&users[1]),
        "c": node_json(&users[2]),
        "amber_id": amber_id,
        "amber_title": amber_title,
        "chromium": chromium,
        "locales": root.join("crates/web/locales"),
        "out_dir": out_dir,
    });
    let run = Command::new("node")
        .arg(root.join("e2e/console.mjs"))
        .env("E2E_CONFIG", config.to_string())
        .output()
        .expect("node runs (Node.js is installed by scripts/test)");
    let (o, e) = (
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr),
    );
    assert!(
        run.status.success(),
        "the browser scenario failed:\n{o}\n{e}"
    );
    assert!(o.contains("e2e: 4 steps"), "{o}");
    for shot in [
        "dashboard-live",
        "receipts",
        "es-compose",
        "fr-directory",
        "pt-product",
        "en-login",
    ] {
        let file = out_dir.join(format!("{shot}.png"));
        assert!(
            std::fs::metadata(&file).is_ok_and(|m| m.len() > 1000),
            "screenshot {}",
            file.display()
        );
    }
}
