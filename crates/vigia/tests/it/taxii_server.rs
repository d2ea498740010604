//! The TAXII 2.1 server over real HTTP: every endpoint, media types,
//! paging, status, markings and the public root.

use std::collections::HashSet;

use reqwest::blocking::RequestBuilder;
use serde_json::{json, Value};
use vigia_stix::Tlp;

use crate::helpers::{indicator, init_node, json, Node};

const TAXII: &str = "application/taxii+json;version=2.1";

fn taxii(req: RequestBuilder, token: &str) -> RequestBuilder {
    req.bearer_auth(token).header("accept", TAXII)
}

fn collection_id(node: &Node, token: &str, alias: &str) -> String {
    let (status, v) = json(
        taxii(node.get("/taxii2/api/collections/"), token)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{v}");
    let c = v["collections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["alias"] == alias)
        .unwrap()
        .clone();
    assert_eq!(c["can_read"], true);
    c["id"].as_str().unwrap().to_owned()
}

fn post(node: &Node, token: &str, coll: &str, objects: Vec<Value>) -> Value {
    let resp = taxii(
        node.post(&format!("/taxii2/api/collections/{coll}/objects/")),
        token,
    )
    .header("content-type", TAXII)
    .body(json!({"objects": objects}).to_string())
    .send()
    .unwrap();
    assert_eq!(resp.headers()["content-type"], TAXII);
    let (status, v) = json(resp);
    assert_eq!(status, 202, "{v}");
    v
}

#[test]
fn discovery_roots_and_collections_follow_the_specification() {
    let node = Node::start("taxii-discovery");
    let token = node.token("analyst", &[]);
    let (status, d) = json(node.get("/taxii2/").header("accept", TAXII).send().unwrap());
    assert_eq!(status, 200);
    assert!(
        d["api_roots"][0]
            .as_str()
            .unwrap()
            .ends_with("/taxii2/api/"),
        "{d}"
    );
    let (_, root) = json(taxii(node.get("/taxii2/api/"), &token).send().unwrap());
    assert_eq!(root["versions"], json!([TAXII]));
    assert!(root["max_content_length"].as_u64().unwrap() > 0);
    let (_, cs) = json(
        taxii(node.get("/taxii2/api/collections/"), &token)
            .send()
            .unwrap(),
    );
    let aliases: HashSet<&str> = cs["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["alias"].as_str().unwrap())
        .collect();
    for a in [
        "alerts",
        "advisories",
        "indicators",
        "incidents",
        "knowledge",
        "directory",
    ] {
        assert!(aliases.contains(a), "{a} missing: {cs}");
    }
    let reader = node.token("read-only", &[]);
    let (_, c) = json(
        taxii(node.get("/taxii2/api/collections/"), &reader)
            .send()
            .unwrap(),
    );
    assert!(c["collections"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["can_read"] == true && c["can_write"] == false));
    // Media types: 406 for a wrong Accept, 415 for a wrong Content-Type, errors as TAXII resources.
    let r = node
        .get("/taxii2/api/collections/")
        .bearer_auth(&token)
        .header("accept", "application/xml")
        .send()
        .unwrap();
    assert_eq!(r.status(), 406);
    assert_eq!(r.headers()["content-type"], TAXII);
    let (_, err) = json(r);
    assert_eq!(err["http_status"], "406");
    assert!(err["title"].is_string());
    let coll = collection_id(&node, &token, "indicators");
    let r = taxii(
        node.post(&format!("/taxii2/api/collections/{coll}/objects/")),
        &token,
    )
    .header("content-type", "application/json")
    .body("{}")
    .send()
    .unwrap();
    assert_eq!(r.status(), 415);
    assert_eq!(
        node.get("/taxii2/api/collections/")
            .header("accept", TAXII)
            .send()
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        taxii(node.get("/taxii2/public/"), &token)
            .send()
            .unwrap()
            .status(),
        404,
        "public root is off by default"
    );
    let (status, _) = json(
        taxii(node.get("/taxii2/api/collections/no-such/"), &token)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 404);
}

#[test]
fn paging_status_manifest_versions_and_delete() {
    let node = Node::start("taxii-paging");
    let token = node.token("analyst", &[]);
    let coll = collection_id(&node, &token, "indicators");
    let mut bad = indicator(999_999, Tlp::Green.marking_id(), None);
    bad.as_object_mut().unwrap().remove("pattern");
    let objects: Vec<Value> = (0..1_200)
        .map(|i| indicator(i, Tlp::Green.marking_id(), None))
        .chain([bad])
        .collect();
    let status = post(&node, &token, &coll, objects);
    assert_eq!(status["status"], "complete");
    assert_eq!(status["total_count"], 1201);
    assert_eq!(status["success_count"], 1200);
    assert_eq!(status["failure_count"], 1);
    assert_eq!(
        status["failures"][0]["id"],
        "indicator--00000000-0000-4000-8000-000000999999"
    );
    let sid = status["id"].as_str().unwrap();
    let (code, again) = json(
        taxii(node.get(&format!("/taxii2/api/status/{sid}/")), &token)
            .send()
            .unwrap(),
    );
    assert_eq!((code, &again["success_count"]), (200, &json!(1200)));

    // Page through with next: nothing skipped or repeated.
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let mut url =
            format!("/taxii2/api/collections/{coll}/objects/?limit=100&match[type]=indicator");
        if let Some(n) = &next {
            url.push_str(&format!("&next={n}"));
        }
        let resp = taxii(node.get(&url), &token).send().unwrap();
        let first = resp
            .headers()
            .get("x-taxii-date-added-first")
            .map(|v| v.to_str().unwrap().to_owned());
        let (_, page) = json(resp);
        let objs = page["objects"].as_array().cloned().unwrap_or_default();
        assert!(objs.len() <= 100);
        if !objs.is_empty() {
            assert!(first.is_some(), "date-added headers on a non-empty page");
        }
        seen.extend(objs.iter().map(|o| o["id"].as_str().unwrap().to_owned()));
        if page["more"] != true {
            break;
        }
        next = page["next"].as_str().map(str::to_owned);
    }
    assert_eq!(seen.len(), 1200);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 1200);

    // Manifest, versions, one object, match[version].
    let (_, manifest) = json(
        taxii(
            node.get(&format!("/taxii2/api/collections/{coll}/manifest/?limit=5")),
            &token,
        )
        .send()
        .unwrap(),
    );
    assert_eq!(manifest["objects"].as_array().unwrap().len(), 5);
    assert_eq!(manifest["more"], true);
    assert_eq!(
        manifest["objects"][0]["media_type"],
        "application/stix+json;version=2.1"
    );
    let id = "indicator--00000000-0000-4000-8000-000000000007";
    let mut v2 = indicator(7, Tlp::Green.marking_id(), None);
    v2["modified"] = json!("2026-03-01T00:00:00.000Z");
    post(&node, &token, &coll, vec![v2]);
    let (_, versions) = json(
        taxii(
            node.get(&format!(
                "/taxii2/api/collections/{coll}/objects/{id}/versions/"
            )),
            &token,
        )
        .send()
        .unwrap(),
    );
    assert_eq!(
        versions["versions"].as_array().unwrap().len(),
        2,
        "{versions}"
    );
    let (_, last) = json(
        taxii(
            node.get(&format!("/taxii2/api/collections/{coll}/objects/{id}/")),
            &token,
        )
        .send()
        .unwrap(),
    );
    assert_eq!(last["objects"].as_array().unwrap().len(), 1);
    assert_eq!(last["objects"][0]["modified"], "2026-03-01T00:00:00.000Z");
    let (_, all) = json(
        taxii(
            node.get(&format!(
                "/taxii2/api/collections/{coll}/objects/{id}/?match[version]=all"
            )),
            &token,
        )
        .send()
        .unwrap(),
    );
    assert_eq!(all["objects"].as_array().unwrap().len(), 2);
    let (_, first) = json(
        taxii(
            node.get(&format!(
                "/taxii2/api/collections/{coll}/objects/{id}/?match[version]=first"
            )),
            &token,
        )
        .send()
        .unwrap(),
    );
    assert_eq!(first["objects"][0]["modified"], "2026-01-01T00:00:00.000Z");

    // Delete: a read-only token may not; the originator may.
    let reader = node.token("read-only", &[]);
    let r = taxii(
        node.client.delete(format!(
            "{}/taxii2/api/collections/{coll}/objects/{id}/",
            node.url
        )),
        &reader,
    )
    .send()
    .unwrap();
    assert_eq!(r.status(), 403);
    let r = taxii(
        node.client.delete(format!(
            "{}/taxii2/api/collections/{coll}/objects/{id}/",
            node.url
        )),
        &token,
    )
    .send()
    .unwrap();
    assert_eq!(r.status(), 200);
    let r = taxii(
        node.get(&format!("/taxii2/api/collections/{coll}/objects/{id}/")),
        &token,
    )
    .send()
    .unwrap();
    assert_eq!(r.status(), 404);
}

#[test]
fn markings_are_enforced_and_the_public_root_serves_only_clear() {
    let node = Node::serve(
        init_node("taxii-markings", "CR", &[]),
        &[],
        &[("VIGIA_TAXII_PUBLIC", "true")],
    );
    let admin = node.admin_token();
    let (status, team) = json(
        node.post("/api/teams")
            .bearer_auth(&admin)
            .json(&json!({"name": "Other", "country": "AR", "kind": "national-csirt"}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201);
    let other = node.token("analyst", &["--team", team["id"].as_str().unwrap()]);
    let coll = collection_id(&node, &admin, "indicators");
    post(
        &node,
        &admin,
        &coll,
        vec![
            indicator(1, Tlp::Clear.marking_id(), None),
            indicator(2, Tlp::Green.marking_id(), None),
            indicator(3, Tlp::Amber.marking_id(), None),
            indicator(
                4,
                Tlp::Red.marking_id(),
                Some(
                    json!({vigia_stix::DISTRIBUTION_EXTENSION_ID: {"extension_type": "property-extension", "recipient_users": [format!("admin@{}", crate::helpers::team_id(&node))]}}),
                ),
            ),
        ],
    );
    let count = |req: RequestBuilder| -> (usize, Option<String>) {
        let resp = req.header("accept", TAXII).send().unwrap();
        let last = resp
            .headers()
            .get("x-taxii-date-added-last")
            .map(|v| v.to_str().unwrap().to_owned());
        let (_, v) = json(resp);
        (v["objects"].as_array().map_or(0, Vec::len), last)
    };
    let url = format!("/taxii2/api/collections/{coll}/objects/?match[type]=indicator");
    assert_eq!(count(node.get(&url).bearer_auth(&admin)).0, 4);
    assert_eq!(
        count(node.get(&url).bearer_auth(&other)).0,
        2,
        "another team sees CLEAR and GREEN only"
    );
    let public = format!("/taxii2/public/collections/{coll}/objects/");
    let (n, _) = count(node.get(&public));
    assert_eq!(n, 1, "the public root serves TLP:CLEAR only");
    let (n, _) = count(node.get(&public).bearer_auth(&admin));
    assert_eq!(n, 1, "credentials do not widen the public root");
    // The manifest and versions do not reveal hidden objects either.
    let (_, m) = json(
        node.get(&format!("/taxii2/api/collections/{coll}/manifest/"))
            .bearer_auth(&other)
            .header("accept", TAXII)
            .send()
            .unwrap(),
    );
    assert!(m["objects"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| !r["id"].as_str().unwrap().ends_with("000000000003")));
    let hidden = format!("/taxii2/api/collections/{coll}/objects/indicator--00000000-0000-4000-8000-000000000004/versions/");
    assert_eq!(
        node.get(&hidden)
            .bearer_auth(&other)
            .header("accept", TAXII)
            .send()
            .unwrap()
            .status(),
        404
    );
    // HTTP Basic against node users works for TAXII clients that speak only Basic.
    let basic = node
        .get(&url)
        .basic_auth("admin", Some(&node.init.admin_password))
        .header("accept", TAXII)
        .send()
        .unwrap();
    assert_eq!(basic.status(), 200);
}

#[test]
fn operators_configure_their_own_collections() {
    let init = init_node("taxii-config", "CR", &[]);
    let path = init.dir.path().join("vigia.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(
        "\n[[collections]]\nalias = \"finance\"\ntitle = \"Financial sector\"\ntypes = [\"indicator\"]\nfallback = true\nread_roles = [\"admin\", \"analyst\"]\nwrite_roles = [\"admin\"]\n",
    );
    std::fs::write(&path, text).unwrap();
    let node = Node::serve(init, &[], &[]);
    let analyst = node.token("analyst", &[]);
    let (_, cs) = json(
        taxii(node.get("/taxii2/api/collections/"), &analyst)
            .send()
            .unwrap(),
    );
    let list = cs["collections"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{cs}");
    assert_eq!(list[0]["alias"], "finance");
    assert_eq!(
        (list[0]["can_read"].clone(), list[0]["can_write"].clone()),
        (json!(true), json!(false))
    );
    let reader = node.token("read-only", &[]);
    let (_, none) = json(
        taxii(node.get("/taxii2/api/collections/"), &reader)
            .send()
            .unwrap(),
    );
    assert!(
        none.get("collections").is_none(),
        "read-only may not use it: {none}"
    );
    let coll = list[0]["id"].as_str().unwrap();
    let r = taxii(
        node.post(&format!("/taxii2/api/collections/{coll}/objects/")),
        &analyst,
    )
    .header("content-type", TAXII)
    .body(json!({"objects": [indicator(1, Tlp::Green.marking_id(), None)]}).to_string())
    .send()
    .unwrap();
    assert_eq!(r.status(), 403, "analysts may read but not write here");
}
