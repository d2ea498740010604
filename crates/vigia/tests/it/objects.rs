//! STIX objects through the API: validation, byte-faithful storage,
//! versioning and partial acceptance of bundles.

use serde_json::value::RawValue;
use serde_json::{json, Value};

use crate::helpers::{indicator, json, shared_examples, Node, STIX};

/// One example file: its path, its text, and each object's id and exact text.
type ExampleFile = (String, String, Vec<(String, String)>);

/// The example bundles from OASIS, each object with its exact text.
fn example_bundles() -> Vec<ExampleFile> {
    let mut out = Vec::new();
    let mut stack = vec![shared_examples()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(&path).unwrap();
                #[derive(serde::Deserialize)]
                struct Envelope<'a> {
                    #[serde(borrow, default)]
                    objects: Option<Vec<&'a RawValue>>,
                }
                // A file holds a bundle or a single object.
                let whole: &RawValue = serde_json::from_str(&text).unwrap();
                let envelope: Envelope<'_> = serde_json::from_str(&text).unwrap();
                let raws = envelope.objects.unwrap_or_else(|| vec![whole]);
                let objects = raws
                    .iter()
                    .map(|raw| {
                        let v: Value = serde_json::from_str(raw.get()).unwrap();
                        (v["id"].as_str().unwrap().to_owned(), raw.get().to_owned())
                    })
                    .collect();
                out.push((path.display().to_string(), text.clone(), objects));
            }
        }
    }
    assert!(
        out.len() >= 8,
        "expected the shared STIX examples, found {}",
        out.len()
    );
    out
}

#[test]
fn every_shared_example_is_accepted_and_returned_byte_for_byte() {
    let node = Node::start("examples");
    let token = node.token("analyst", &[]);
    // The same id and version can appear in several files with different
    // white space; the first one stored is the one kept (idempotent).
    let mut first_seen: std::collections::HashMap<(String, Value), String> = Default::default();
    for (file, text, objects) in example_bundles() {
        let (status, report) = json(
            node.post("/api/objects")
                .bearer_auth(&token)
                .header("content-type", STIX)
                .body(text)
                .send()
                .unwrap(),
        );
        assert_eq!(status, 200, "{file}: {report}");
        assert_eq!(report["failures"], json!([]), "{file}");
        for (id, raw) in objects {
            let sent: Value = serde_json::from_str(&raw).unwrap();
            let version = sent.get("modified").cloned().unwrap_or(Value::Null);
            let expected = first_seen
                .entry((id.clone(), version))
                .or_insert(raw)
                .clone();
            let resp = node
                .get(&format!("/api/objects/{id}"))
                .bearer_auth(&token)
                .send()
                .unwrap();
            assert_eq!(resp.status(), 200, "{file}: {id}");
            let body = resp.text().unwrap();
            // Objects repeated across example files may differ; compare only
            // where this file's version is the stored last version.
            let stored: Value = serde_json::from_str(&body).unwrap();
            if stored.get("modified") == sent.get("modified") {
                assert_eq!(body, expected, "{file}: {id} must come back byte for byte");
            }
        }
    }
}

#[test]
fn a_bundle_with_bad_objects_stores_the_good_ones_and_names_each_bad_one() {
    let node = Node::start("partial");
    let token = node.token("analyst", &[]);
    let good = indicator(
        1,
        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        None,
    );
    let mut no_pattern = indicator(
        2,
        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        None,
    );
    no_pattern.as_object_mut().unwrap().remove("pattern");
    let mut bad_time = indicator(
        3,
        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        None,
    );
    bad_time["created"] = json!("last tuesday");
    let bundle = json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000009", "objects": [good, no_pattern, bad_time, 42]});
    let (status, report) = json(
        node.post("/api/objects")
            .bearer_auth(&token)
            .header("content-type", STIX)
            .body(bundle.to_string())
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["stored"].as_array().unwrap().len(), 1);
    let failures = report["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 3, "{report}");
    assert_eq!(failures[0]["index"], 1);
    assert_eq!(
        failures[0]["id"],
        "indicator--00000000-0000-4000-8000-000000000002"
    );
    assert!(
        failures[0]["reason"].as_str().unwrap().contains("pattern"),
        "{report}"
    );
    assert_eq!(
        failures[1]["id"],
        "indicator--00000000-0000-4000-8000-000000000003"
    );
    assert!(
        failures[1]["path"].as_str().unwrap().contains("created"),
        "{report}"
    );
    assert_eq!(failures[2]["index"], 3);
    let (status, _) = json(
        node.get("/api/objects/indicator--00000000-0000-4000-8000-000000000002")
            .bearer_auth(&token)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 404, "a refused object must not be stored");

    let all_bad = json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000010", "objects": [42]});
    let (status, _) = json(
        node.post("/api/objects")
            .bearer_auth(&token)
            .header("content-type", STIX)
            .body(all_bad.to_string())
            .send()
            .unwrap(),
    );
    assert_eq!(status, 422);
}

#[test]
fn versions_are_kept_and_a_repeat_is_idempotent() {
    let node = Node::start("versions");
    let token = node.token("analyst", &[]);
    let clear = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
    let v1 = indicator(7, clear, None);
    let mut v2 = v1.clone();
    v2["modified"] = json!("2026-02-01T00:00:00.000Z");
    v2["revoked"] = json!(true);
    let post = |o: &Value| {
        json(
            node.post("/api/objects")
                .bearer_auth(&token)
                .header("content-type", STIX)
                .body(o.to_string())
                .send()
                .unwrap(),
        )
    };
    assert_eq!(post(&v1).1["stored"].as_array().unwrap().len(), 1);
    assert_eq!(post(&v2).1["stored"].as_array().unwrap().len(), 1);
    let (_, again) = post(&v1);
    assert_eq!(again["duplicates"].as_array().unwrap().len(), 1, "{again}");
    let id = "indicator--00000000-0000-4000-8000-000000000007";
    let (_, all) = json(
        node.get(&format!("/api/objects/{id}?version=all"))
            .bearer_auth(&token)
            .send()
            .unwrap(),
    );
    assert_eq!(all["objects"].as_array().unwrap().len(), 2);
    let (_, last) = json(
        node.get(&format!("/api/objects/{id}"))
            .bearer_auth(&token)
            .send()
            .unwrap(),
    );
    assert_eq!(last["revoked"], true, "a revoked version stays retrievable");
    let (_, first) = json(
        node.get(&format!("/api/objects/{id}?version=first"))
            .bearer_auth(&token)
            .send()
            .unwrap(),
    );
    assert_eq!(first["modified"], "2026-01-01T00:00:00.000Z");
    let (_, page) = json(
        node.get("/api/objects?type=indicator&version=all")
            .bearer_auth(&token)
            .send()
            .unwrap(),
    );
    let added: Vec<&str> = page["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["modified"].as_str().unwrap())
        .collect();
    assert_eq!(
        added,
        vec!["2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z"]
    );
}
