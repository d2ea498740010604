//! The audit log: what is recorded, and tamper evidence end to end.

use serde_json::Value;
use vigia_stix::Tlp;

use crate::helpers::{append_config, indicator, init_node, json, run, stdout, Node, STIX};

fn entries(node: &Node, admin: &str) -> Vec<Value> {
    let (_, v) = json(
        node.get("/api/audit?limit=1000")
            .bearer_auth(admin)
            .send()
            .unwrap(),
    );
    v.as_array().unwrap().clone()
}

#[test]
fn reads_logins_and_admin_changes_are_recorded() {
    // A password-only node: the API sign-in needs no second factor here.
    let init = init_node("audit-records", "CR", &[]);
    append_config(&init, "[console]\nrequire_totp = false");
    let node = Node::serve(init, &[], &[]);
    let admin = node.admin_token();
    let analyst = node.token("analyst", &[]);
    for (n, tlp) in [(1, Tlp::Clear), (2, Tlp::Amber)] {
        let body = indicator(n, tlp.marking_id(), None).to_string();
        node.post("/api/objects")
            .bearer_auth(&analyst)
            .header("content-type", STIX)
            .body(body)
            .send()
            .unwrap();
    }
    node.get("/api/objects/indicator--00000000-0000-4000-8000-000000000001")
        .bearer_auth(&analyst)
        .send()
        .unwrap();
    node.get("/api/objects/indicator--00000000-0000-4000-8000-000000000002")
        .bearer_auth(&analyst)
        .send()
        .unwrap();
    let bad = node
        .post("/api/login")
        .json(&serde_json::json!({"username": "admin", "password": "wrong password!"}))
        .send()
        .unwrap();
    assert_eq!(bad.status(), 401);
    let good = node
        .post("/api/login")
        .json(&serde_json::json!({"username": "admin", "password": node.init.admin_password}))
        .send()
        .unwrap();
    assert_eq!(good.status(), 200);
    let basic = node
        .get("/api/teams")
        .basic_auth("admin", Some("nope"))
        .send()
        .unwrap();
    assert_eq!(basic.status(), 401);

    let log = entries(&node, &admin);
    let has = |action: &str, outcome: &str, subject: Option<&str>| {
        log.iter().any(|e| {
            e["action"] == action
                && e["outcome"] == outcome
                && subject.is_none_or(|s| e["subject"] == s)
        })
    };
    assert!(has("node.init", "ok", None));
    assert!(has("token.create", "ok", None));
    assert!(has("object.ingest", "ok", None));
    assert!(
        has(
            "object.read",
            "ok",
            Some("indicator--00000000-0000-4000-8000-000000000002")
        ),
        "AMBER read must be audited"
    );
    assert!(
        !has(
            "object.read",
            "ok",
            Some("indicator--00000000-0000-4000-8000-000000000001")
        ),
        "CLEAR reads are not"
    );
    assert!(has("login.password", "denied", Some("admin")));
    assert!(has("login.password", "ok", Some("admin")));
    assert!(has("login.basic", "denied", Some("admin")));
    let (_, verdict) = json(
        node.get("/api/audit/verify")
            .bearer_auth(&admin)
            .send()
            .unwrap(),
    );
    assert_eq!(verdict["intact"], true, "{verdict}");
}

#[test]
fn altering_or_removing_an_entry_is_found_by_audit_verify() {
    let node = Node::start("audit-tamper");
    for i in 0..5 {
        node.token("read-only", &["--label", &format!("t{i}")]);
    }
    let dir = node.dir().to_owned();
    let ok = run(&["audit", "verify", "--data-dir", &dir]);
    assert!(ok.status.success());
    assert!(stdout(&ok).contains("intact"), "{}", stdout(&ok));

    let db = format!("sqlite://{dir}/vigia.db");
    let exec = |sql: &str| {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            use sqlx::Connection;
            let mut conn = sqlx::SqliteConnection::connect(&db).await.unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        });
    };
    exec("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3");
    let broken = run(&["audit", "verify", "--data-dir", &dir]);
    assert!(!broken.status.success());
    assert!(stdout(&broken).contains("entry 3"), "{}", stdout(&broken));

    let node2 = Node::start("audit-remove");
    for i in 0..5 {
        node2.token("read-only", &["--label", &format!("t{i}")]);
    }
    let dir2 = node2.dir().to_owned();
    let db2 = format!("sqlite://{dir2}/vigia.db");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&db2).await.unwrap();
        sqlx::query("DELETE FROM audit_log WHERE seq = 2")
            .execute(&mut conn)
            .await
            .unwrap();
    });
    let removed = run(&["audit", "verify", "--data-dir", &dir2]);
    assert!(!removed.status.success());
    assert!(stdout(&removed).contains("BROKEN"), "{}", stdout(&removed));
}
