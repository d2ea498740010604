//! The command line: init, its refusal to run twice, users, tokens, help,
//! and configuration errors.

use std::fs;

use crate::helpers::{init_node, run, stderr, stdout, token, Node};

#[test]
fn init_creates_a_complete_node() {
    let node = init_node("init", "cr", &[]);
    let dir = node.dir.path();
    for f in ["vigia.toml", "node.key", "vigia.db"] {
        assert!(dir.join(f).exists(), "{f} missing");
    }
    assert_eq!(node.admin_password.len(), 20);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.join("node.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "node key must be owner-only");
    }
    let config = fs::read_to_string(dir.join("vigia.toml")).unwrap();
    assert!(config.contains("country = \"CR\""), "{config}");
    let out = run(&["node", "info", "--data-dir", node.dir.str(), "--json"]);
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(info["key_fingerprint"]
        .as_str()
        .unwrap()
        .starts_with("SHA256:"));
    assert!(info["team_id"].as_str().unwrap().starts_with("identity--"));
}

#[test]
fn init_refuses_a_second_run_and_changes_nothing() {
    let node = init_node("init-twice", "CR", &[]);
    let dir = node.dir.path();
    let before: Vec<Vec<u8>> = ["vigia.toml", "node.key", "vigia.db"]
        .iter()
        .map(|f| fs::read(dir.join(f)).unwrap())
        .collect();
    let out = run(&[
        "init",
        "--data-dir",
        node.dir.str(),
        "--country",
        "AR",
        "--name",
        "Other",
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("refusing"), "{}", stderr(&out));
    let after: Vec<Vec<u8>> = ["vigia.toml", "node.key", "vigia.db"]
        .iter()
        .map(|f| fs::read(dir.join(f)).unwrap())
        .collect();
    assert_eq!(before, after);
}

#[test]
fn init_rejects_a_bad_country_and_leaves_nothing() {
    let dir = crate::helpers::TempDir::new("bad-country");
    let out = run(&[
        "init",
        "--data-dir",
        dir.str(),
        "--country",
        "Costa Rica",
        "--name",
        "X",
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--country"), "{}", stderr(&out));
    assert!(
        !dir.path().exists(),
        "a refused init must not leave a directory"
    );
}

#[test]
fn users_are_added_listed_and_disabled() {
    let node = init_node("users", "BR", &[]);
    let d = node.dir.str();
    let out = run(&["user", "add", "--data-dir", d, "ana", "--role", "analyst"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Password (shown once): "));
    let dup = run(&["user", "add", "--data-dir", d, "ana", "--role", "analyst"]);
    assert!(!dup.status.success());
    assert!(stderr(&dup).contains("already exists"), "{}", stderr(&dup));
    let bad_role = run(&["user", "add", "--data-dir", d, "bruno", "--role", "boss"]);
    assert!(
        stderr(&bad_role).contains("not a role"),
        "{}",
        stderr(&bad_role)
    );
    assert!(run(&["user", "disable", "--data-dir", d, "ana"])
        .status
        .success());
    let list = stdout(&run(&["user", "list", "--data-dir", d]));
    let ana = list
        .lines()
        .find(|l| l.starts_with("ana "))
        .expect("ana listed");
    assert!(ana.contains("disabled"), "{list}");
}

#[test]
fn tokens_print_alone_on_the_last_line_and_can_be_revoked() {
    let node = Node::start("tokens");
    let secret = token(node.dir(), "read-only", &["--label", "siem"]);
    assert!(secret.starts_with("vigia_"));
    let ok = node.get("/api/teams").bearer_auth(&secret).send().unwrap();
    assert_eq!(ok.status(), 200);
    let list = stdout(&run(&["token", "list", "--data-dir", node.dir(), "--json"]));
    let tokens: serde_json::Value = serde_json::from_str(&list).unwrap();
    let id = tokens
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["label"] == "siem")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!list.contains(&secret), "listing must never show secrets");
    assert!(run(&["token", "revoke", "--data-dir", node.dir(), &id])
        .status
        .success());
    let refused = node.get("/api/teams").bearer_auth(&secret).send().unwrap();
    assert_eq!(refused.status(), 401);
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["init", "--help"],
        vec!["serve", "--help"],
        vec!["user", "add", "--help"],
        vec!["user", "list", "--help"],
        vec!["user", "disable", "--help"],
        vec!["token", "create", "--help"],
        vec!["token", "list", "--help"],
        vec!["token", "revoke", "--help"],
        vec!["audit", "verify", "--help"],
        vec!["node", "info", "--help"],
    ] {
        let out = run(&args);
        assert!(out.status.success(), "{args:?}");
        assert!(stdout(&out).contains("Usage:"), "{args:?}");
    }
}

#[test]
fn a_bad_environment_value_names_its_key_and_layer() {
    let node = init_node("bad-env", "CR", &[]);
    let out = crate::helpers::vigia()
        .args(["serve", "--data-dir", node.dir.str()])
        .env("VIGIA_DEFAULT_TLP", "purple")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("default_tlp"), "{err}");
    assert!(err.contains("VIGIA_"), "{err}");
}

#[test]
fn a_bad_file_value_names_its_key_and_file() {
    let node = init_node("bad-file", "CR", &[]);
    let path = node.dir.path().join("vigia.toml");
    let text = fs::read_to_string(&path)
        .unwrap()
        .replace("max_body_bytes = 67108864", "max_body_bytes = \"lots\"");
    fs::write(&path, text).unwrap();
    let out = run(&["serve", "--data-dir", node.dir.str()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("max_body_bytes") && err.contains("vigia.toml"),
        "{err}"
    );
}

#[test]
fn a_disabled_users_tokens_stop_working() {
    let node = Node::start("disabled-token");
    assert!(run(&[
        "user",
        "add",
        "--data-dir",
        node.dir(),
        "carla",
        "--role",
        "analyst"
    ])
    .status
    .success());
    let secret = token(node.dir(), "analyst", &["--user", "carla"]);
    assert_eq!(
        node.get("/api/teams")
            .bearer_auth(&secret)
            .send()
            .unwrap()
            .status(),
        200
    );
    assert!(run(&["user", "disable", "--data-dir", node.dir(), "carla"])
        .status
        .success());
    assert_eq!(
        node.get("/api/teams")
            .bearer_auth(&secret)
            .send()
            .unwrap()
            .status(),
        401
    );
}
