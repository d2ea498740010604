//! Bad input at the HTTP boundary: every case gets a 4xx with a JSON body
//! naming what was wrong, and the node keeps serving.

use crate::helpers::{init_node, json, Node, STIX};

fn error_code(v: &serde_json::Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

#[test]
fn malformed_json_is_a_400_naming_the_position() {
    let node = Node::start("malformed");
    let token = node.token("analyst", &[]);
    let (status, v) = json(
        node.post("/api/objects")
            .bearer_auth(&token)
            .header("content-type", STIX)
            .body("{\"type\": \"bundle\", ")
            .send()
            .unwrap(),
    );
    assert_eq!(status, 400);
    assert!(
        v["error"]["message"].as_str().unwrap().contains("line 1"),
        "{v}"
    );
}

#[test]
fn a_wrong_content_type_is_a_415() {
    let node = Node::start("ctype");
    let token = node.token("analyst", &[]);
    let (status, v) = json(
        node.post("/api/objects")
            .bearer_auth(&token)
            .header("content-type", "text/plain")
            .body("{}")
            .send()
            .unwrap(),
    );
    assert_eq!(status, 415);
    assert_eq!(error_code(&v), "unsupported_media_type");
    let (status, _) = json(node.post("/api/login").body("{}").send().unwrap());
    assert_eq!(status, 415);
}

#[test]
fn an_oversize_body_is_a_413() {
    let node = Node::serve(
        init_node("oversize", "CR", &[]),
        &[],
        &[("VIGIA_MAX_BODY_BYTES", "2048")],
    );
    let token = node.token("analyst", &[]);
    let body = format!(
        "{{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":[\"{}\"]}}",
        "x".repeat(10_000)
    );
    let (status, v) = json(
        node.post("/api/objects")
            .bearer_auth(&token)
            .header("content-type", STIX)
            .body(body)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 413);
    assert!(
        v["error"]["message"].as_str().unwrap().contains("2048"),
        "{v}"
    );
    assert_eq!(node.get("/healthz").send().unwrap().status(), 200);
}

#[test]
fn not_stix_and_unknown_routes_and_methods_are_json_errors() {
    let node = Node::start("misc-errors");
    let token = node.token("analyst", &[]);
    let (status, v) = json(
        node.post("/api/objects")
            .bearer_auth(&token)
            .header("content-type", STIX)
            .body("[1,2]")
            .send()
            .unwrap(),
    );
    assert_eq!(status, 400);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("neither a STIX bundle"),
        "{v}"
    );
    let (status, v) = json(node.get("/api/nope").send().unwrap());
    assert_eq!((status, error_code(&v)), (404, "not_found"));
    let (status, v) = json(
        node.client
            .delete(format!("{}/api/objects", node.url))
            .send()
            .unwrap(),
    );
    assert_eq!((status, error_code(&v)), (405, "method_not_allowed"));
    let (status, v) = json(
        node.get("/api/objects/not-an-id")
            .bearer_auth(&token)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 400, "{v}");
    let (status, _) = json(
        node.get("/api/objects?added_after=yesterday")
            .bearer_auth(&token)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 400);
}

#[test]
fn bad_credentials_are_401_and_roles_are_enforced() {
    let node = Node::start("auth");
    let (status, v) = json(
        node.get("/api/users")
            .bearer_auth("vigia_nope")
            .send()
            .unwrap(),
    );
    assert_eq!((status, error_code(&v)), (401, "unauthorized"));
    let (status, _) = json(
        node.get("/api/users")
            .header("authorization", "Basic !!!")
            .send()
            .unwrap(),
    );
    assert_eq!(status, 401);
    let reader = node.token("read-only", &[]);
    let (status, _) = json(node.get("/api/users").bearer_auth(&reader).send().unwrap());
    assert_eq!(status, 403);
    let (status, _) = json(
        node.post("/api/objects")
            .bearer_auth(&reader)
            .header("content-type", STIX)
            .body("{}")
            .send()
            .unwrap(),
    );
    assert_eq!(status, 403);
    let (status, _) = json(node.get("/api/users").send().unwrap());
    assert_eq!(status, 401);
}

#[test]
fn health_readiness_metrics_and_openapi_answer() {
    let node = Node::start("ops");
    assert_eq!(node.get("/healthz").send().unwrap().status(), 200);
    assert_eq!(node.get("/readyz").send().unwrap().text().unwrap(), "ready");
    let _ = node.get("/api/node").send().unwrap();
    let metrics = node.get("/metrics").send().unwrap().text().unwrap();
    assert!(metrics.contains("vigia_http_requests_total"), "{metrics}");
    for index in ["search", "correlation"] {
        let gauge = format!("vigia_index_backlog_objects{{index=\"{index}\"}} 0");
        assert!(metrics.contains(&gauge), "{gauge} in {metrics}");
    }
    let (status, doc) = json(node.get("/api/openapi.json").send().unwrap());
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    // Every documented path is routed (none falls through to the 404 handler).
    for path in doc["paths"].as_object().unwrap().keys() {
        let concrete = path
            .replace("{id}", "indicator--00000000-0000-4000-8000-000000000001")
            .replace("{name}", "nobody");
        let methods = doc["paths"][path].as_object().unwrap();
        for method in methods.keys() {
            let req = node.client.request(
                method.to_uppercase().parse().unwrap(),
                format!("{}{concrete}", node.url),
            );
            let resp = req.send().unwrap();
            let status = resp.status().as_u16();
            let streaming = resp
                .headers()
                .get("content-type")
                .is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream"));
            // A live stream never ends: its status is the answer.
            let body = if streaming {
                String::new()
            } else {
                resp.text().unwrap()
            };
            assert!(
                !(status == 404 && body.contains("no such endpoint")) && status != 405,
                "{method} {path} is documented but not routed ({status})"
            );
        }
    }
}

#[test]
fn mutated_bundles_never_make_the_server_fail() {
    let node = Node::start("mutations");
    let token = node.token("analyst", &[]);
    let original =
        std::fs::read(crate::helpers::shared_examples().join("indicators-for-C2-with-COA.json"))
            .unwrap();
    let mut seed: u64 = 0x5eed_1234_abcd_0001;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..150 {
        let mut body = original.clone();
        for _ in 0..(1 + next() % 4) {
            let at = (next() as usize) % body.len();
            match next() % 4 {
                0 => body[at] = (next() % 256) as u8,
                1 => body.truncate(at.max(1)),
                2 => body.insert(at, b"\"{}[],:\\"[(next() % 8) as usize]),
                _ => {
                    body.remove(at);
                }
            }
        }
        let resp = node
            .post("/api/objects")
            .bearer_auth(&token)
            .header("content-type", STIX)
            .body(body)
            .send()
            .unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().unwrap();
        assert!(status < 500, "round {round}: {status} {text}");
        let v: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("round {round}: not JSON: {text}"));
        assert!(
            v.get("error").is_some() || v.get("stored").is_some(),
            "round {round}: {v}"
        );
    }
    assert_eq!(node.get("/readyz").send().unwrap().status(), 200);
}

#[test]
fn a_token_reaches_only_its_scope() {
    let node = Node::start("scopes");
    let taxii_only = node.token("analyst", &["--scope", "taxii"]);
    let (status, v) = json(
        node.get("/api/teams")
            .bearer_auth(&taxii_only)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 403, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("scope"),
        "{v}"
    );
    let api = node.token("analyst", &["--scope", "api"]);
    assert_eq!(
        node.get("/api/teams")
            .bearer_auth(&api)
            .send()
            .unwrap()
            .status(),
        200
    );
    let out = crate::helpers::run(&[
        "token",
        "create",
        "--data-dir",
        node.dir(),
        "--role",
        "analyst",
        "--scope",
        "everything",
    ]);
    assert!(!out.status.success());
    assert!(crate::helpers::stderr(&out).contains("--scope"));
}
