//! The scale-out path: several `vigia serve` replicas on one PostgreSQL
//! database, written to concurrently, agree on every object.

use std::collections::HashSet;

use serde_json::json;
use sqlx::Connection;
use vigia_stix::Tlp;

use crate::helpers::{indicator, init_node, json, spawn_serve, token, STIX};

fn admin_url() -> String {
    std::env::var("VIGIA_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/test".into())
}

/// A fresh database, dropped on drop.
struct PgDatabase {
    name: String,
    url: String,
}

impl PgDatabase {
    fn create() -> Self {
        let name = format!("vigia_it_{}", uuid::Uuid::new_v4().simple());
        let admin = admin_url();
        block_on(async {
            let mut c = sqlx::PgConnection::connect(&admin)
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is required for this test (set VIGIA_TEST_DATABASE_URL): {e}"));
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut c)
                .await
                .unwrap();
        });
        let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap();
        Self {
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin = admin_url();
        let name = self.name.clone();
        block_on(async move {
            if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut c)
                    .await;
            }
        });
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn two_replicas_on_one_postgres_database_agree() {
    let db = PgDatabase::create();
    let init = init_node("pg-replicas", "MX", &["--database-url", &db.url]);
    assert!(
        !init.dir.path().join("vigia.db").exists(),
        "no SQLite file when PostgreSQL is configured"
    );
    let (mut one, url_one) = spawn_serve(init.dir.path(), &[], &[]);
    let (mut two, url_two) = spawn_serve(init.dir.path(), &[], &[]);
    let tok = token(init.dir.str(), "analyst", &[]);

    let writers: Vec<_> = [(url_one.clone(), 0u32), (url_two.clone(), 1u32)]
        .into_iter()
        .map(|(url, w)| {
            let tok = tok.clone();
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::new();
                for batch in 0..10u32 {
                    let objects: Vec<_> = (0..200u32)
                        .map(|i| indicator(w * 1_000_000 + batch * 1000 + i, Tlp::Green.marking_id(), None))
                        .collect();
                    let bundle = json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000002", "objects": objects});
                    let (status, v) = json(client.post(format!("{url}/api/objects")).bearer_auth(&tok).header("content-type", STIX).body(bundle.to_string()).send().unwrap());
                    assert_eq!(status, 200, "{v}");
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }

    let client = reqwest::blocking::Client::new();
    let read_all = |url: &str| -> Vec<String> {
        let mut ids = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut q = format!("{url}/api/objects?type=indicator&limit=1000");
            if let Some(a) = &after {
                q.push_str(&format!("&added_after={a}"));
            }
            let (_, page) = json(client.get(q).bearer_auth(&tok).send().unwrap());
            let objects = page["objects"].as_array().unwrap();
            ids.extend(objects.iter().map(|o| o["id"].as_str().unwrap().to_owned()));
            if page["more"] == false || objects.is_empty() {
                return ids;
            }
            after = page["next"].as_str().map(str::to_owned);
        }
    };
    let from_one = read_all(&url_one);
    let from_two = read_all(&url_two);
    assert_eq!(from_one.len(), 4000);
    assert_eq!(
        from_one, from_two,
        "both replicas page the same objects in the same order"
    );
    assert_eq!(
        from_one.iter().collect::<HashSet<_>>().len(),
        4000,
        "no object repeated"
    );

    // TAXII paging is stateless: pages alternate between the replicas,
    // each continuing from the other's `next`, and by `added_after` too.
    let taxii = "application/taxii+json;version=2.1";
    let (_, cs) = json(
        client
            .get(format!("{url_one}/taxii2/api/collections/"))
            .bearer_auth(&tok)
            .header("accept", taxii)
            .send()
            .unwrap(),
    );
    let coll = cs["collections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["alias"] == "indicators")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut by_next = Vec::new();
    let mut next: Option<String> = None;
    for page in 0.. {
        let base = if page % 2 == 0 { &url_one } else { &url_two };
        let mut url = format!(
            "{base}/taxii2/api/collections/{coll}/objects/?limit=500&match[type]=indicator"
        );
        if let Some(n) = &next {
            url.push_str(&format!("&next={n}"));
        }
        let (status, v) = json(
            client
                .get(url)
                .bearer_auth(&tok)
                .header("accept", taxii)
                .send()
                .unwrap(),
        );
        assert_eq!(status, 200, "{v}");
        by_next.extend(
            v["objects"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["id"].as_str().unwrap().to_owned()),
        );
        if v["more"] != true {
            break;
        }
        next = v["next"].as_str().map(str::to_owned);
        assert!(page < 100, "paging must end");
    }
    assert_eq!(
        by_next, from_one,
        "next-paging across replicas sees every object once, in order"
    );
    let mut by_added_after = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut url = format!(
            "{url_two}/taxii2/api/collections/{coll}/objects/?limit=300&match[type]=indicator"
        );
        if let Some(a) = &after {
            url.push_str(&format!("&added_after={a}"));
        }
        let resp = client
            .get(url)
            .bearer_auth(&tok)
            .header("accept", taxii)
            .send()
            .unwrap();
        let last = resp
            .headers()
            .get("x-taxii-date-added-last")
            .map(|v| v.to_str().unwrap().to_owned());
        let (_, v) = json(resp);
        let objects = v["objects"].as_array().cloned().unwrap_or_default();
        by_added_after.extend(objects.iter().map(|o| o["id"].as_str().unwrap().to_owned()));
        match last {
            Some(l) if v["more"] == true => after = Some(l),
            _ => break,
        }
    }
    assert_eq!(
        by_added_after, from_one,
        "added_after paging by X-TAXII-Date-Added-Last neither skips nor repeats"
    );

    let verify = crate::helpers::run(&["audit", "verify", "--data-dir", init.dir.str()]);
    assert!(
        verify.status.success(),
        "{}",
        crate::helpers::stdout(&verify)
    );
    for child in [&mut one, &mut two] {
        let _ = child.kill();
        let _ = child.wait();
    }
}
