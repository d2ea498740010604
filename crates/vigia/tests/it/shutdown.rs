//! Graceful shutdown: on SIGTERM, a request in flight finishes and what it
//! acknowledged is stored.

use std::process::Command;
use std::time::Duration;

use serde_json::json;
use vigia_stix::Tlp;

use crate::helpers::{indicator, json, spawn_serve, Node, STIX};

#[test]
fn sigterm_lets_the_request_in_flight_finish_and_loses_nothing() {
    let node = Node::start("sigterm");
    let token = node.token("analyst", &[]);
    let objects: Vec<_> = (0..20_000)
        .map(|i| indicator(100_000 + i, Tlp::Green.marking_id(), None))
        .collect();
    let bundle = json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001", "objects": objects}).to_string();
    let url = format!("{}/api/objects", node.url);
    let client = node.client.clone();
    let auth = token.clone();
    let upload = std::thread::spawn(move || {
        let resp = client
            .post(url)
            .bearer_auth(auth)
            .header("content-type", STIX)
            .body(bundle)
            .send()
            .unwrap();
        json(resp)
    });
    std::thread::sleep(Duration::from_millis(300));
    let pid = node.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let (status, report) = upload.join().unwrap();
    assert_eq!(status, 200, "{report}");
    let acknowledged = report["stored"].as_array().unwrap().len();
    assert_eq!(acknowledged, 20_000);

    let mut node = node;
    let exit = node.child.wait().unwrap();
    assert!(
        exit.success(),
        "vigia serve must exit cleanly on SIGTERM: {exit:?}"
    );

    let (mut child, url) = spawn_serve(node.init.dir.path(), &[], &[]);
    let mut seen = 0;
    let mut next: Option<String> = None;
    loop {
        let mut q = format!("{url}/api/objects?type=indicator&limit=1000");
        if let Some(n) = &next {
            q.push_str(&format!("&added_after={n}"));
        }
        let (_, page) = json(node.client.get(q).bearer_auth(&token).send().unwrap());
        let n = page["objects"].as_array().unwrap().len();
        seen += n;
        if page["more"] == false || n == 0 {
            break;
        }
        next = page["next"].as_str().map(str::to_owned);
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        seen, acknowledged,
        "every acknowledged object survives the restart"
    );
}
