//! Watch and warning benchmarks against a real `vigia serve` on loopback.
//!
//! 1. Live stream: N SSE subscribers (default 5,000) on one node; publish
//!    M alerts (default 100) and measure, at the subscribers, the time from
//!    the publish request to the event's arrival.
//! 2. Fan-out: a roster of R contacts (default 500), each with e-mail and a
//!    webhook; publish one alert and measure the time until every message
//!    was accepted by the loopback SMTP and webhook sinks.
//!
//! `cargo bench -p vigia --bench watch` (env: VIGIA_BENCH_SUBSCRIBERS,
//! VIGIA_BENCH_ALERTS, VIGIA_BENCH_INTERVAL_MS between alerts (250),
//! VIGIA_BENCH_RECIPIENTS). The load generator shares
//! the machine's cores with the node.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const BIN: &str = env!("CARGO_BIN_EXE_vigia");

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn vigia(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().expect("vigia runs");
    assert!(
        out.status.success(),
        "vigia {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn token(dir: &str, extra: &[&str]) -> String {
    let mut args = vec!["token", "create", "--data-dir", dir];
    args.extend_from_slice(extra);
    vigia(&args).lines().last().unwrap().trim().to_owned()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Counts SMTP messages accepted.
async fn smtp_sink(listener: TcpListener, count: Arc<AtomicUsize>) {
    loop {
        let Ok((conn, _)) = listener.accept().await else {
            continue;
        };
        let count = count.clone();
        tokio::spawn(async move {
            let (r, mut w) = conn.into_split();
            let mut lines = BufReader::new(r);
            let _ = w.write_all(b"220 sink\r\n").await;
            let mut line = String::new();
            let mut in_data = false;
            loop {
                line.clear();
                if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                if in_data {
                    if line == ".\r\n" {
                        in_data = false;
                        count.fetch_add(1, Ordering::Relaxed);
                        let _ = w.write_all(b"250 queued\r\n").await;
                    }
                    continue;
                }
                let upper = line.to_ascii_uppercase();
                let reply: &[u8] = if upper.starts_with("EHLO") {
                    b"250-sink\r\n250 8BITMIME\r\n"
                } else if upper.starts_with("DATA") {
                    in_data = true;
                    b"354 go\r\n"
                } else if upper.starts_with("QUIT") {
                    let _ = w.write_all(b"221 bye\r\n").await;
                    return;
                } else {
                    b"250 ok\r\n"
                };
                let _ = w.write_all(reply).await;
            }
        });
    }
}

/// Counts webhook POSTs (HTTP/1.1, keep-alive).
async fn webhook_sink(listener: TcpListener, count: Arc<AtomicUsize>) {
    loop {
        let Ok((conn, _)) = listener.accept().await else {
            continue;
        };
        let count = count.clone();
        tokio::spawn(async move {
            let (r, mut w) = conn.into_split();
            let mut reader = BufReader::new(r);
            loop {
                let mut len = 0usize;
                let mut line = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    if line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; len];
                if tokio::io::AsyncReadExt::read_exact(&mut reader, &mut body)
                    .await
                    .is_err()
                {
                    return;
                }
                count.fetch_add(1, Ordering::Relaxed);
                if w.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
            }
        });
    }
}

/// One SSE subscriber: records when each `bench-<i>` alert arrives.
async fn subscribe(
    addr: String,
    token: String,
    arrivals: Arc<Mutex<Vec<(usize, Instant)>>>,
    ready: Arc<AtomicUsize>,
) {
    let Ok(mut conn) = TcpStream::connect(&addr).await else {
        eprintln!("subscriber could not connect");
        return;
    };
    let req = format!("GET /api/stream HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n");
    if conn.write_all(req.as_bytes()).await.is_err() {
        return;
    }
    let mut lines = BufReader::new(conn);
    let mut line = String::new();
    let mut counted = false;
    let mut mine = Vec::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if !counted && line == "\r\n" {
            counted = true;
            ready.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(rest) = line.strip_prefix("data:") {
            if let Some(i) = rest.find("\"bench-") {
                let tail = &rest[i + 7..];
                let n: String = tail.chars().take_while(char::is_ascii_digit).collect();
                if let Ok(n) = n.parse::<usize>() {
                    mine.push((n, Instant::now()));
                    if n == usize::MAX {
                        break;
                    }
                }
            }
            if rest.contains("\"bench-end\"") {
                break;
            }
        }
    }
    arrivals.lock().unwrap().extend(mine);
}

async fn post(client: &reqwest::Client, url: &str, token: &str, body: &Value) -> Value {
    let r = client
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("request");
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{url}: {status} {v}");
    v
}

#[tokio::main]
async fn main() {
    let subscribers = env_or("VIGIA_BENCH_SUBSCRIBERS", 5_000);
    let alerts = env_or("VIGIA_BENCH_ALERTS", 100);
    let recipients = env_or("VIGIA_BENCH_RECIPIENTS", 500);
    let interval = env_or("VIGIA_BENCH_INTERVAL_MS", 250) as u64;
    let dir = std::env::temp_dir().join(format!("vigia-watch-bench-{}", uuid::Uuid::new_v4()));
    let d = dir.to_str().unwrap().to_owned();
    vigia(&[
        "init",
        "--data-dir",
        &d,
        "--country",
        "CR",
        "--name",
        "Bench CSIRT",
        "--listen",
        "127.0.0.1:0",
    ]);
    let smtp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hooks = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (smtp_port, hook_addr) = (
        smtp.local_addr().unwrap().port(),
        hooks.local_addr().unwrap(),
    );
    let (mails, posts) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    tokio::spawn(smtp_sink(smtp, mails.clone()));
    tokio::spawn(webhook_sink(hooks, posts.clone()));
    let mut toml = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("vigia.toml"))
        .unwrap();
    std::io::Write::write_all(
        &mut toml,
        format!("\n[watch.smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\nsecurity = \"none\"\nfrom = \"bench <b@bench.test>\"\n").as_bytes(),
    )
    .unwrap();
    let admin = token(&d, &["--role", "admin", "--user", "admin"]);
    let mut child = Command::new(BIN)
        .args(["serve", "--data-dir", &d])
        .env("VIGIA_LOG", "error")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut out, &mut first).unwrap();
    let base = first.trim().rsplit(' ').next().unwrap().to_owned();
    let addr = base.trim_start_matches("http://").to_owned();
    let client = reqwest::Client::new();
    let node: Value = client
        .get(format!("{base}/api/node"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let team = node["team_id"].as_str().unwrap().to_owned();
    // A client team receives the network's alerts: its roster is notified.
    let created = post(
        &client,
        &format!("{base}/api/teams"),
        &admin,
        &json!({"name": "Client", "country": "CR", "kind": "sector", "client_of": team}),
    )
    .await;
    let client_team = created["id"].as_str().unwrap().to_owned();
    let client_admin = token(&d, &["--role", "admin", "--team", &client_team]);
    let reader = token(&d, &["--role", "read-only", "--team", &client_team]);

    // 1. The live stream.
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let ready = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..subscribers {
        tasks.push(tokio::spawn(subscribe(
            addr.clone(),
            reader.clone(),
            arrivals.clone(),
            ready.clone(),
        )));
        if i % 200 == 199 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while ready.load(Ordering::Relaxed) < subscribers && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let connected = ready.load(Ordering::Relaxed);
    let mut sent_at = Vec::new();
    for i in 0..alerts {
        let body = json!({"kind": "alert", "title": format!("bench-{i}"), "severity": "info", "tlp": "green"});
        sent_at.push(Instant::now());
        post(&client, &format!("{base}/api/products"), &admin, &body).await;
        tokio::time::sleep(Duration::from_millis(interval)).await;
    }
    let body = json!({"kind": "alert", "title": "bench-end", "severity": "info", "tlp": "green"});
    post(&client, &format!("{base}/api/products"), &admin, &body).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    for t in tasks {
        let left = deadline.saturating_duration_since(Instant::now());
        let _ = tokio::time::timeout(left, t).await;
    }
    let mut latencies: Vec<f64> = arrivals
        .lock()
        .unwrap()
        .iter()
        .filter(|(n, _)| *n < alerts)
        .map(|(n, at)| at.duration_since(sent_at[*n]).as_secs_f64() * 1e3)
        .collect();
    latencies.sort_by(f64::total_cmp);
    let expected = connected * alerts;
    println!(
        "stream: {connected}/{subscribers} subscribers, {alerts} alerts one every {interval} ms, {} of {expected} events arrived; publish→arrival ms: p50 {:.1}, p90 {:.1}, p99 {:.1}, max {:.1}",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0)
    );

    // 2. Fan-out to e-mail and webhooks.
    let contacts: Vec<Value> = (0..recipients)
        .map(|i| json!({"name": format!("contact {i}"), "role": "primary", "email": format!("c{i}@bench.test"),
            "webhook": {"url": format!("http://{hook_addr}/hook/{i}")}}))
        .collect();
    let r = client
        .put(format!("{base}/api/roster"))
        .bearer_auth(&client_admin)
        .json(&json!({"contacts": contacts}))
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "roster: {}",
        r.text().await.unwrap_or_default()
    );
    let before = (mails.load(Ordering::Relaxed), posts.load(Ordering::Relaxed));
    let started = Instant::now();
    post(
        &client,
        &format!("{base}/api/products"),
        &admin,
        &json!({"kind": "alert", "title": "fan-out", "severity": "critical", "tlp": "green"}),
    )
    .await;
    let (mut mail_done, mut hook_done) = (None, None);
    let deadline = Instant::now() + Duration::from_secs(300);
    while (mail_done.is_none() || hook_done.is_none()) && Instant::now() < deadline {
        if mail_done.is_none() && mails.load(Ordering::Relaxed) - before.0 >= recipients {
            mail_done = Some(started.elapsed());
        }
        if hook_done.is_none() && posts.load(Ordering::Relaxed) - before.1 >= recipients {
            hook_done = Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    println!(
        "fan-out: {recipients} recipients; all e-mails accepted after {}, all webhooks after {} ({} mails, {} webhooks received)",
        mail_done.map(|d| format!("{:.0} ms", d.as_secs_f64() * 1e3)).unwrap_or_else(|| "TIMEOUT".into()),
        hook_done.map(|d| format!("{:.0} ms", d.as_secs_f64() * 1e3)).unwrap_or_else(|| "TIMEOUT".into()),
        mails.load(Ordering::Relaxed) - before.0,
        posts.load(Ordering::Relaxed) - before.1,
    );
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
