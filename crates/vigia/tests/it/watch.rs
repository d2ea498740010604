//! Watch and warning across real nodes: a real SMTP listener and a webhook
//! receiver on loopback, the manual watch clock for escalation timing.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::federation_net::{eventually, net_node_full, peer, NetNode};

/// One e-mail the sink accepted.
#[derive(Clone, Debug)]
pub struct Mail {
    pub to: Vec<String>,
    pub data: String,
}

/// A minimal SMTP server on loopback that accepts every message.
pub struct SmtpSink {
    pub port: u16,
    pub mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpSink {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let store = mails.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let store = store.clone();
                std::thread::spawn(move || {
                    let _ = smtp_session(conn, &store);
                });
            }
        });
        Self { port, mails }
    }

    pub fn to(&self, address: &str) -> Vec<Mail> {
        self.mails
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.to.iter().any(|t| t.contains(address)))
            .cloned()
            .collect()
    }
}

fn smtp_session(conn: std::net::TcpStream, store: &Mutex<Vec<Mail>>) -> std::io::Result<()> {
    let mut out = conn.try_clone()?;
    let mut input = BufReader::new(conn);
    out.write_all(b"220 sink ESMTP\r\n")?;
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            out.write_all(b"250-sink\r\n250 8BITMIME\r\n")?;
        } else if upper.starts_with("MAIL FROM") {
            to.clear();
            out.write_all(b"250 ok\r\n")?;
        } else if upper.starts_with("RCPT TO") {
            to.push(line[8..].trim().to_owned());
            out.write_all(b"250 ok\r\n")?;
        } else if upper.starts_with("DATA") {
            out.write_all(b"354 go\r\n")?;
            let mut data = String::new();
            loop {
                line.clear();
                if input.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
                data.push_str(&line);
            }
            store.lock().unwrap().push(Mail {
                to: to.clone(),
                data,
            });
            out.write_all(b"250 queued\r\n")?;
        } else if upper.starts_with("QUIT") {
            out.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            out.write_all(b"250 ok\r\n")?;
        }
    }
}

/// One webhook delivery, with whether its Standard Webhooks signature
/// verified under the secret.
#[derive(Clone, Debug)]
pub struct Hook {
    pub body: Value,
    pub signature_ok: bool,
}

/// A webhook receiver on loopback that checks signatures.
pub struct WebhookSink {
    pub url: String,
    pub secret: String,
    pub hooks: Arc<Mutex<Vec<Hook>>>,
}

impl WebhookSink {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let secret = vigia_sign::webhook::new_secret();
        let hooks = Arc::new(Mutex::new(Vec::new()));
        let (store, key) = (hooks.clone(), secret.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (store, key) = (store.clone(), key.clone());
                std::thread::spawn(move || {
                    let _ = http_session(conn, &store, &key);
                });
            }
        });
        Self { url, secret, hooks }
    }

    pub fn all(&self) -> Vec<Hook> {
        self.hooks.lock().unwrap().clone()
    }
}

fn http_session(
    conn: std::net::TcpStream,
    store: &Mutex<Vec<Hook>>,
    secret: &str,
) -> std::io::Result<()> {
    let mut out = conn.try_clone()?;
    let mut input = BufReader::new(conn);
    loop {
        let mut headers = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            if input.read_line(&mut line)? == 0 {
                return Ok(());
            }
            if line == "\r\n" {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let len: usize = header("content-length").parse().unwrap_or(0);
        let mut body = vec![0; len];
        input.read_exact(&mut body)?;
        let timestamp: i64 = header("webhook-timestamp").parse().unwrap_or(0);
        let signature_ok = vigia_sign::webhook::verify(
            secret,
            &header("webhook-id"),
            timestamp,
            &body,
            &header("webhook-signature"),
        )
        .is_ok();
        store.lock().unwrap().push(Hook {
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            signature_ok,
        });
        out.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")?;
    }
}

fn watch_toml(smtp: &SmtpSink, extra: &str) -> String {
    format!(
        "\n[watch]\nmanual_clock = true\n{extra}\n[watch.smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\nfrom = \"vigia <watch@vigia.test>\"\n",
        smtp.port
    )
}

fn post(node: &NetNode, path: &str, token: &str, body: &Value) -> (u16, Value) {
    let r = node
        .client
        .post(format!("{}{path}", node.url))
        .bearer_auth(token)
        .json(body)
        .send()
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn put(node: &NetNode, path: &str, token: &str, body: &Value) -> (u16, Value) {
    let r = node
        .client
        .put(format!("{}{path}", node.url))
        .bearer_auth(token)
        .json(body)
        .send()
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn contact(name: &str, role: &str, email: &str) -> Value {
    json!({"name": name, "role": role, "user": "admin", "email": email})
}

fn alert(title: &str, severity: &str, tlp: &str, to: &[&str]) -> Value {
    json!({
        "kind": "alert",
        "title": title,
        "description": "Encryption of hospital file servers in progress.",
        "severity": severity,
        "tlp": tlp,
        "audience": {"recipient_teams": to},
    })
}

fn advance(node: &NetNode, token: &str, secs: u64) {
    let (status, body) = post(
        node,
        "/api/watch/clock",
        token,
        &json!({"advance_secs": secs}),
    );
    assert_eq!(status, 200, "{body}");
}

fn receipt<'a>(product: &'a Value, team: &str) -> Option<&'a Value> {
    product["receipts"]
        .as_array()?
        .iter()
        .find(|r| r["team"] == team)
}

#[test]
fn a_critical_alert_reaches_the_primary_by_mail_and_webhook_and_the_acknowledgement_travels_back() {
    let smtp = SmtpSink::start();
    let hook = WebhookSink::start();
    let origin = net_node_full("BR", None, &watch_toml(&smtp, ""));
    let recipient = net_node_full("MX", None, &watch_toml(&smtp, ""));
    peer(&origin, &recipient);
    let admin_r = recipient.token("admin", &["--user", "admin"]);
    let mut primary = contact("Ana", "primary", "ana@cert.mx.test");
    primary["webhook"] = json!({"url": hook.url, "secret": hook.secret});
    let (status, roster) = put(
        &recipient,
        "/api/roster",
        &admin_r,
        &json!({"contacts": [primary]}),
    );
    assert_eq!(status, 200, "{roster}");
    assert!(
        roster["contacts"][0]["webhook"].get("secret").is_none(),
        "secrets are never shown"
    );

    let writer = origin.token("analyst", &["--user", "admin"]);
    let (status, created) = post(
        &origin,
        "/api/products",
        &writer,
        &alert(
            "Ransomware at hospitals",
            "critical",
            "amber",
            &[&recipient.team],
        ),
    );
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();

    eventually(20, "the primary's e-mail", || {
        !smtp.to("ana@cert.mx.test").is_empty()
    });
    let mail = smtp.to("ana@cert.mx.test").remove(0);
    assert!(
        mail.data.contains("[TLP:AMBER]") && mail.data.contains("Ransomware at hospitals"),
        "{}",
        mail.data
    );
    eventually(20, "the webhook", || !hook.all().is_empty());
    let h = hook.all().remove(0);
    assert!(h.signature_ok, "the webhook's signature verifies");
    assert_eq!(h.body["data"]["id"], id);
    assert!(
        h.body["data"].get("title").is_none(),
        "an AMBER body is not sent to a webhook the team did not allow: {}",
        h.body
    );

    // The single-use link in the e-mail acknowledges, once.
    // Undo quoted-printable soft line breaks and escapes.
    let text = mail.data.replace("=\r\n", "").replace("=3D", "=");
    let link = text
        .lines()
        .find_map(|l| l.strip_prefix("Acknowledge (single use): "))
        .expect("an acknowledgement link")
        .trim()
        .to_owned();
    let page = recipient.client.get(&link).send().unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let done = recipient.client.post(&link).send().unwrap();
    assert_eq!(done.status().as_u16(), 200);
    let again = recipient.client.post(&link).send().unwrap();
    assert_eq!(again.status().as_u16(), 410, "a link works once");

    let reader = origin.token("analyst", &["--user", "admin"]);
    eventually(20, "the acknowledgement at the originator", || {
        let (_, p) = origin.get(&format!("/api/products/{id}"), &reader);
        receipt(&p, &recipient.team)
            .is_some_and(|r| r["acknowledged_at"].is_i64() && r["delivered_at"].is_i64())
    });
}

#[test]
fn unacknowledged_alerts_escalate_to_the_backup_then_the_chain_and_every_step_is_audited() {
    let smtp = SmtpSink::start();
    let origin = net_node_full("CR", None, &watch_toml(&smtp, ""));
    let recipient = net_node_full("JM", None, &watch_toml(&smtp, ""));
    peer(&origin, &recipient);
    let admin_r = recipient.token("admin", &["--user", "admin"]);
    let roster = json!({"contacts": [
        contact("Primary", "primary", "primary@cert.jm.test"),
        contact("Backup", "backup", "backup@cert.jm.test"),
        contact("Head", "escalation", "head@cert.jm.test"),
    ]});
    assert_eq!(put(&recipient, "/api/roster", &admin_r, &roster).0, 200);
    let writer = origin.token("analyst", &["--user", "admin"]);
    let (status, created) = post(
        &origin,
        "/api/products",
        &writer,
        &alert("Wiper in the grid", "critical", "amber", &[&recipient.team]),
    );
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    eventually(20, "the primary's e-mail", || {
        !smtp.to("primary@").is_empty()
    });
    assert!(smtp.to("backup@").is_empty() && smtp.to("head@").is_empty());

    advance(&recipient, &admin_r, 15 * 60 + 1);
    eventually(20, "the backup's e-mail", || !smtp.to("backup@").is_empty());
    assert!(smtp.to("backup@")[0].data.contains("ESCALATED"));
    assert!(
        smtp.to("head@").is_empty(),
        "the chain waits for its own interval"
    );
    advance(&recipient, &admin_r, 15 * 60);
    eventually(20, "the chain's e-mail", || !smtp.to("head@").is_empty());

    let (_, audit) = recipient.get("/api/audit?action=watch.escalate", &admin_r);
    let steps: Vec<String> = audit
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["action"] == "watch.escalate" && e["subject"] == id)
        .map(|e| e["detail"]["step"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(steps, ["backup", "chain"], "{audit}");

    // Acknowledged, it climbs no further.
    let (status, body) = post(
        &recipient,
        &format!("/api/products/{id}/acknowledge"),
        &admin_r,
        &json!({"note": "isolating substations"}),
    );
    assert_eq!(status, 200, "{body}");
    let mails = smtp.mails.lock().unwrap().len();
    advance(&recipient, &admin_r, 3600);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(smtp.mails.lock().unwrap().len(), mails);
    let reader = origin.token("analyst", &["--user", "admin"]);
    eventually(
        20,
        "the acknowledgement with its note at the originator",
        || {
            let (_, p) = origin.get(&format!("/api/products/{id}"), &reader);
            receipt(&p, &recipient.team).is_some_and(|r| r["note"] == "isolating substations")
        },
    );
}

#[test]
fn an_embargoed_advisory_reaches_the_select_group_first_and_widens_at_its_time() {
    let smtp = SmtpSink::start();
    let origin = net_node_full("US", None, &watch_toml(&smtp, ""));
    let select = net_node_full("CA", None, &watch_toml(&smtp, ""));
    let others = net_node_full("BS", None, &watch_toml(&smtp, ""));
    peer(&origin, &select);
    peer(&origin, &others);
    let writer = origin.token("admin", &["--user", "admin"]);
    let (_, clock) = post(
        &origin,
        "/api/watch/clock",
        &writer,
        &json!({"advance_secs": 0}),
    );
    let now = time::OffsetDateTime::parse(
        clock["now"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let until = (now + time::Duration::hours(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let advisory = json!({
        "kind": "advisory",
        "title": "Patch the VPN concentrators",
        "severity": "high",
        "tlp": "green",
        "audience": {"recipient_teams": [select.team]},
        "embargo": {"until": until, "widen_to": {}},
    });
    let (status, created) = post(&origin, "/api/products", &writer, &advisory);
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    eventually(20, "the select audience has it", || {
        select.stored_ids().contains(&id)
    });
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        !others.stored_ids().contains(&id),
        "nobody else has it before the embargo ends"
    );

    advance(&origin, &writer, 3601);
    eventually(20, "the wider audience has it after the embargo", || {
        others.stored_ids().contains(&id)
    });
    let versions = origin
        .stored()
        .into_iter()
        .filter(|o| o.id.as_str() == id)
        .count();
    assert_eq!(
        versions, 2,
        "the widening is a new version; the history is kept"
    );
}

#[test]
fn a_drill_across_five_nodes_reports_time_to_acknowledge_and_the_team_that_never_answers() {
    let smtp = SmtpSink::start();
    let secretariat = net_node_full("US", None, &watch_toml(&smtp, ""));
    let members: Vec<NetNode> = ["AR", "CL", "PE", "HT"]
        .into_iter()
        .map(|c| net_node_full(c, None, &watch_toml(&smtp, "")))
        .collect();
    for m in &members {
        peer(&secretariat, m);
    }
    let admin = secretariat.token("admin", &["--user", "admin"]);
    let (status, drill) = post(&secretariat, "/api/drills", &admin, &json!({"teams": []}));
    assert_eq!(status, 201, "{drill}");
    let id = drill["drill"].as_str().unwrap().to_owned();
    assert_eq!(drill["teams"].as_array().unwrap().len(), 4);
    for m in &members[..3] {
        let token = m.token("admin", &["--user", "admin"]);
        eventually(20, "the drill arrives", || m.stored_ids().contains(&id));
        let (status, body) = post(
            m,
            &format!("/api/products/{id}/acknowledge"),
            &token,
            &json!({}),
        );
        assert_eq!(status, 200, "{body}");
    }
    eventually(30, "three answers at the Secretariat", || {
        let (_, h) = secretariat.get("/api/drills", &admin);
        h["teams"]
            .as_array()
            .is_some_and(|t| t.iter().filter(|t| t["answered"] == 1).count() == 3)
    });
    let (_, history) = secretariat.get("/api/drills", &admin);
    let silent: Vec<&Value> = history["teams"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["never_answered"] == 1)
        .collect();
    assert_eq!(silent.len(), 1, "{history}");
    assert_eq!(silent[0]["team"], members[3].team);
    let answered = history["drills"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["seconds_to_acknowledge"].is_f64())
        .count();
    assert_eq!(answered, 3);
}

/// Reads SSE events from a response until `n` product events arrived.
fn read_products(reader: &mut impl BufRead, n: usize) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let (mut id, mut event, mut data) = (String::new(), String::new(), String::new());
    let mut line = String::new();
    while out.len() < n {
        line.clear();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            if event == "product" {
                out.push((id.clone(), serde_json::from_str(&data).unwrap()));
            }
            event.clear();
            data.clear();
        } else if let Some(v) = l.strip_prefix("id:") {
            id = v.trim().to_owned();
        } else if let Some(v) = l.strip_prefix("event:") {
            event = v.trim().to_owned();
        } else if let Some(v) = l.strip_prefix("data:") {
            data.push_str(v.trim_start());
        }
    }
    out
}

#[test]
fn an_sse_client_that_reconnects_with_last_event_id_misses_nothing_and_sees_only_what_it_may() {
    let smtp = SmtpSink::start();
    let node = net_node_full("UY", None, &watch_toml(&smtp, ""));
    let admin = node.token("admin", &["--user", "admin"]);
    // A client team of the node subscribes: it may see GREEN to the
    // network, not AMBER addressed to its parent team only.
    let (status, client) = post(
        &node,
        "/api/teams",
        &admin,
        &json!({"name": "Hospital CSIRT", "country": "UY", "kind": "sector", "client_of": node.team}),
    );
    assert_eq!(status, 201, "{client}");
    let client_team = client["id"].as_str().unwrap().to_owned();
    let client_token = node.token("read-only", &["--team", &client_team]);
    let stream = |last: Option<&str>| {
        let mut r = node
            .client
            .get(format!("{}/api/stream", node.url))
            .bearer_auth(&client_token)
            .timeout(Duration::from_secs(30));
        if let Some(l) = last {
            r = r.header("Last-Event-ID", l);
        }
        let resp = r.send().unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        BufReader::new(resp)
    };
    let mut first = stream(None);
    std::thread::sleep(Duration::from_millis(500));
    let writer = node.token("analyst", &["--user", "admin"]);
    let publish = |title: &str, tlp: &str, to: &[&str]| {
        let (status, body) = post(
            &node,
            "/api/products",
            &writer,
            &alert(title, "high", tlp, to),
        );
        assert_eq!(status, 201, "{body}");
    };
    publish("one", "green", &[]);
    publish("hidden", "amber", &[&node.team]);
    publish("two", "green", &[]);
    let got = read_products(&mut first, 1);
    assert_eq!(got[0].1["title"], "one");
    drop(first);
    publish("three", "green", &[]);
    let mut second = stream(Some(&got[0].0));
    let rest: Vec<String> = read_products(&mut second, 2)
        .into_iter()
        .map(|(_, v)| v["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        rest,
        ["two", "three"],
        "nothing missed, nothing it may not see"
    );
}

#[test]
fn the_cli_sets_a_roster_with_its_gaps_publishes_a_notice_and_acknowledges_it() {
    use crate::helpers::{run, stderr, stdout};
    let smtp = SmtpSink::start();
    let origin = net_node_full("AR", None, &watch_toml(&smtp, ""));
    let recipient = net_node_full("CL", None, &watch_toml(&smtp, ""));
    peer(&origin, &recipient);
    let file = std::env::temp_dir().join(format!("roster-{}.json", uuid::Uuid::new_v4()));
    let roster = json!({"contacts": [{"name": "Day desk", "role": "primary", "email": "day@csirt.cl.test",
        "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "18:00", "tz": "America/Santiago"}]}]});
    std::fs::write(&file, roster.to_string()).unwrap();
    let out = run(&[
        "roster",
        "set",
        "--data-dir",
        recipient.dir(),
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("GAP: nobody on duty"),
        "{}",
        stdout(&out)
    );
    let bad = run(&[
        "product",
        "create",
        "--data-dir",
        origin.dir(),
        "--kind",
        "vulnerability-notice",
        "--title",
        "x",
        "--severity",
        "high",
        "--tlp",
        "green",
    ]);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("at least one CVE"),
        "{}",
        stderr(&bad)
    );
    let out = run(&[
        "product",
        "create",
        "--data-dir",
        origin.dir(),
        "--kind",
        "vulnerability-notice",
        "--title",
        "Critical flaw in border routers",
        "--severity",
        "critical",
        "--tlp",
        "amber",
        "--to",
        "CL",
        "--cve",
        "CVE-2026-40001",
        "--cvss-vector",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "--cvss-score",
        "9.8",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let id = stdout(&out).split_whitespace().nth(1).unwrap().to_owned();
    eventually(20, "the notice reaches the recipient", || {
        recipient.stored_ids().contains(&id)
    });
    let out = run(&[
        "ack",
        "--data-dir",
        recipient.dir(),
        &id,
        "--state",
        "actioned",
        "--note",
        "routers patched",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    eventually(20, "the originator sees it actioned", || {
        let out = run(&["product", "show", "--data-dir", origin.dir(), &id]);
        stdout(&out).contains("routers patched")
    });
}

#[test]
fn a_red_alert_is_mailed_only_to_its_named_recipients_and_never_put_in_a_webhook_body() {
    let smtp = SmtpSink::start();
    let hook = WebhookSink::start();
    let origin = net_node_full("GT", None, &watch_toml(&smtp, ""));
    let recipient = net_node_full("SV", None, &watch_toml(&smtp, ""));
    peer(&origin, &recipient);
    let admin_r = recipient.token("admin", &["--user", "admin"]);
    let mut named =
        json!({"name": "Named", "role": "primary", "user": "duty", "email": "named@cert.sv.test"});
    named["webhook"] = json!({"url": hook.url, "secret": hook.secret, "allow_amber": true});
    let other = json!({"name": "Other", "role": "primary", "user": "admin", "email": "other@cert.sv.test",
        "webhook": {"url": hook.url, "secret": hook.secret, "allow_amber": true}});
    assert_eq!(
        put(
            &recipient,
            "/api/roster",
            &admin_r,
            &json!({"contacts": [named, other]})
        )
        .0,
        200
    );
    let writer = origin.token("analyst", &["--user", "admin"]);
    let red = json!({"kind": "alert", "title": "Named source compromised", "description": "RED detail",
        "severity": "critical", "tlp": "red", "audience": {"recipient_users": [format!("duty@{}", recipient.team)]}});
    let (status, created) = post(&origin, "/api/products", &writer, &red);
    assert_eq!(status, 201, "{created}");
    eventually(20, "the named recipient's e-mail", || {
        !smtp.to("named@").is_empty()
    });
    eventually(20, "the named recipient's webhook", || {
        !hook.all().is_empty()
    });
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        smtp.to("other@").is_empty(),
        "a RED e-mail goes to named recipients only"
    );
    let hooks = hook.all();
    assert_eq!(
        hooks.len(),
        1,
        "only the named recipient's webhook: {hooks:?}"
    );
    assert!(
        hooks[0].body["data"].get("title").is_none()
            && !hooks[0].body.to_string().contains("RED detail")
    );
    assert!(smtp.to("named@")[0].data.contains("RED detail"));
}

#[test]
fn after_the_chain_the_secretariat_is_told_which_product_went_unacknowledged_and_nothing_of_its_content(
) {
    let smtp = SmtpSink::start();
    let secretariat = net_node_full("US", None, &watch_toml(&smtp, ""));
    let origin = net_node_full("PA", None, &watch_toml(&smtp, ""));
    let extra = format!(
        "secretariat = \"{}\"\n[watch.escalation]\nnotify_secretariat = true\n",
        secretariat.team
    );
    let recipient = net_node_full("HN", None, &watch_toml(&smtp, &extra));
    peer(&origin, &recipient);
    peer(&recipient, &secretariat);
    let admin_r = recipient.token("admin", &["--user", "admin"]);
    let roster = json!({"contacts": [contact("Primary", "primary", "primary@cert.hn.test")]});
    assert_eq!(put(&recipient, "/api/roster", &admin_r, &roster).0, 200);
    let writer = origin.token("analyst", &["--user", "admin"]);
    let (status, created) = post(
        &origin,
        "/api/products",
        &writer,
        &alert(
            "Confidential outage details",
            "critical",
            "amber",
            &[&recipient.team],
        ),
    );
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    eventually(20, "the primary's e-mail", || {
        !smtp.to("primary@cert.hn").is_empty()
    });
    for _ in 0..3 {
        advance(&recipient, &admin_r, 15 * 60 + 1);
        std::thread::sleep(Duration::from_millis(1500));
    }
    eventually(30, "the Secretariat's escalation notice", || {
        secretariat
            .stored()
            .iter()
            .any(|o| o.raw.contains("\"escalation\"") && o.raw.contains(&id))
    });
    let notice = secretariat
        .stored()
        .into_iter()
        .find(|o| o.raw.contains("\"escalation\""))
        .unwrap();
    assert!(
        !notice.raw.contains("Confidential outage details"),
        "the notice carries nothing of the product's content"
    );
    assert!(
        !secretariat.stored_ids().contains(&id),
        "the Secretariat was not sent the AMBER product itself"
    );
}
