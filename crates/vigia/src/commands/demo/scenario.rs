//! `vigia demo --scenario`: a scripted incident, step by step, with the
//! time each product took to reach each node.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use vigia_stix::StixId;
use vigia_store::Store;

use super::seed::{publish, report};
use super::vigia_ok;
use super::Site;

struct Watch {
    site: Site,
    store: Store,
}

/// Prints how many copies of a GREEN object the nodes queued, against the
/// copies a flood (every node to all its peers but the sender) would send:
/// the difference is what the relay hints saved.
async fn relay_copies(watches: &[Watch], object: &Value, origin: usize) -> anyhow::Result<()> {
    let id = id_of(object);
    let (mut queued, mut flood) = (0, 0);
    for (i, w) in watches.iter().enumerate() {
        queued += w.store.deliveries(&id).await?.len();
        let degree = w.store.peer_links().await?.len();
        flood += if i == origin {
            degree
        } else {
            degree.saturating_sub(1)
        };
    }
    println!(
        "      relay hints: the nodes queued {queued} copies; a flood would have sent {flood}"
    );
    Ok(())
}

/// Waits until `id` is stored at each of `targets`, printing the time each
/// took; then checks it is not stored at `outsiders`.
async fn reach(
    watches: &[Watch],
    object: &Value,
    targets: &[usize],
    outsiders: &[usize],
    since: Instant,
) -> anyhow::Result<()> {
    let id = StixId::parse(&id_of(object))?;
    let version = object["modified"]
        .as_str()
        .map(vigia_stix::Timestamp::parse)
        .transpose()?;
    let mut pending: Vec<usize> = targets.to_vec();
    let mut reached = Vec::new();
    let deadline = since + Duration::from_secs(60);
    while !pending.is_empty() {
        if Instant::now() > deadline {
            let missing: Vec<&str> = pending
                .iter()
                .map(|&i| watches[i].site.country.as_str())
                .collect();
            anyhow::bail!("{id} did not reach {} within 60 s", missing.join(", "));
        }
        let mut still = Vec::new();
        for &i in &pending {
            let held = watches[i].store.object_versions(&id).await?;
            if !held
                .iter()
                .any(|o| version.is_none() || o.version == version)
            {
                still.push(i);
            } else {
                reached.push(format!(
                    "{} {} ms",
                    watches[i].site.country,
                    since.elapsed().as_millis()
                ));
            }
        }
        pending = still;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!("      reached {}", reached.join(", "));
    for &i in outsiders {
        if !watches[i].store.object_versions(&id).await?.is_empty() {
            anyhow::bail!(
                "{id} reached {}, which it was not addressed to",
                watches[i].site.country
            );
        }
    }
    if !outsiders.is_empty() {
        let names: Vec<&str> = outsiders
            .iter()
            .map(|&i| watches[i].site.country.as_str())
            .collect();
        println!("      not at {} (not addressed)", names.join(", "));
    }
    Ok(())
}

/// A new API token of the node's admin user, with `role`.
async fn api_token(site: &Site, role: &str) -> anyhow::Result<String> {
    let out = vigia_ok(&[
        "token",
        "create",
        "--data-dir",
        site.dir_str(),
        "--role",
        role,
        "--user",
        "admin",
    ])
    .await?;
    out.lines()
        .last()
        .map(|l| l.trim().to_owned())
        .ok_or_else(|| anyhow::anyhow!("vigia token create printed no token"))
}

/// What the console's compose page shows before sending: exactly which
/// teams the alert will reach (`POST /api/products/preview`).
async fn preview(site: &Site, token: &str, to: &[String]) -> anyhow::Result<()> {
    let draft = serde_json::json!({
        "kind": "alert", "severity": "critical", "tlp": "amber",
        "title": "Ransomware encrypting hospital systems now",
        "audience": {"recipient_teams": to},
    });
    let body: Value = reqwest::Client::new()
        .post(format!("{}/api/products/preview", site.url()))
        .bearer_auth(token)
        .json(&draft)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let recipients = body["recipients"].as_array().cloned().unwrap_or_default();
    let (yes, no): (Vec<&Value>, Vec<&Value>) =
        recipients.iter().partition(|r| r["receives"] == true);
    let names = |list: &[&Value]| -> String {
        list.iter()
            .filter_map(|r| r["name"].as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "      preview before sending (POST /api/products/preview): reaches {}; not {} other teams",
        names(&yes),
        no.len()
    );
    Ok(())
}

/// Full-text search as an analyst at `site` (`GET /api/search`): only
/// what the team may see is found.
async fn search(site: &Site, q: &str) -> anyhow::Result<()> {
    let token = api_token(site, "read-only").await?;
    let body: Value = reqwest::Client::new()
        .get(format!("{}/api/search", site.url()))
        .query(&[("q", q)])
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let hits = body["objects"].as_array().map_or(0, Vec::len);
    println!(
        "      {:<4} searches \"{q}\" (GET /api/search): {hits} objects it may see",
        site.country
    );
    Ok(())
}

/// What the operator's Prometheus sees of the derived indexes at `site`
/// (`GET /metrics`): objects stored and not yet in search or correlation.
async fn indexing_backlog(site: &Site) -> anyhow::Result<()> {
    let text = reqwest::get(format!("{}/metrics", site.url()))
        .await?
        .error_for_status()?
        .text()
        .await?;
    let gauges: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("vigia_index_backlog_objects{index=\""))
        .filter_map(|l| l.split_once("\"} "))
        .map(|(index, n)| format!("{index} {n}"))
        .collect();
    println!(
        "      {:<4} operator (GET /metrics, vigia_index_backlog_objects): objects not yet indexed: {}",
        site.country,
        gauges.join(", ")
    );
    Ok(())
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_owned()
}

/// Plays the incident; needs the Secretariat and at least two national nodes.
pub(super) async fn play(sites: &[Site]) -> anyhow::Result<()> {
    if sites.len() < 3 {
        anyhow::bail!("the scenario needs at least 2 national nodes (--nodes 2 or more)");
    }
    let mut watches = Vec::new();
    let mut teams = Vec::new();
    for s in sites {
        let (config, store) = crate::commands::open(&s.dir).await?;
        teams.push(config.team_id);
        watches.push(Watch {
            site: s.clone(),
            store,
        });
    }
    let team = |i: usize| -> anyhow::Result<String> { Ok(teams[i].clone()) };
    let everyone: Vec<usize> = (0..sites.len()).collect();
    let (origin, a, b) = (1, 2, if sites.len() > 3 { 3 } else { 2 });
    let rest: Vec<usize> = (1..sites.len())
        .filter(|i| ![origin, a, b].contains(i))
        .collect();
    let c = |i: usize| sites[i].country.as_str();
    let total = Instant::now();
    println!();
    println!("Scenario: a ransomware campaign against public institutions");

    println!(
        "  1. {} spots suspicious activity and warns {} and {} (TLP:AMBER)",
        c(origin),
        c(a),
        c(b)
    );
    let warning = report(
        "warning",
        "Suspicious logins on ministry VPN gateways",
        "Unusual authentication bursts from a residential proxy network.",
    );
    let t = Instant::now();
    publish(
        &sites[origin],
        std::slice::from_ref(&warning),
        &["--tlp", "amber", "--to", &team(a)?, "--to", &team(b)?],
    )
    .await?;
    reach(&watches, &warning, &[a, b], &rest, t).await?;

    println!("  2. {} and {} analyse it jointly and share their findings with each other and {} (TLP:AMBER)", c(a), c(b), c(origin));
    for (analyst, other) in [(a, b), (b, a)] {
        let finding = report(
            "threat-report",
            "Joint analysis: the proxy network serves a ransomware affiliate",
            "Same infrastructure seen in both countries.",
        );
        let t = Instant::now();
        let mut args = vec![
            "--tlp".to_owned(),
            "amber".to_owned(),
            "--to".to_owned(),
            team(origin)?,
        ];
        if other != analyst {
            args.extend(["--to".to_owned(), team(other)?]);
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        publish(&sites[analyst], std::slice::from_ref(&finding), &refs).await?;
        let targets: Vec<usize> = [origin, other]
            .into_iter()
            .filter(|&i| i != analyst)
            .collect();
        reach(&watches, &finding, &targets, &rest, t).await?;
    }

    println!(
        "  3. {} alerts the whole network (TLP:GREEN), relayed to any node it is not peered with",
        c(origin)
    );
    let alert = report(
        "alert",
        "ALERT: ransomware affiliate targeting public institutions",
        "Block the listed infrastructure; report sightings to your national CSIRT.",
    );
    let t = Instant::now();
    publish(
        &sites[origin],
        std::slice::from_ref(&alert),
        &["--tlp", "green"],
    )
    .await?;
    let others: Vec<usize> = everyone.iter().copied().filter(|&i| i != origin).collect();
    reach(&watches, &alert, &others, &[], t).await?;
    relay_copies(&watches, &alert, origin).await?;

    println!(
        "  4. {} sends a CRITICAL alert to {} and {} (TLP:AMBER); their duty desks are e-mailed, {} acknowledges",
        c(origin),
        c(a),
        c(b),
        c(a)
    );
    let writer = api_token(&sites[origin], "analyst").await?;
    preview(&sites[origin], &writer, &[team(a)?, team(b)?]).await?;
    let t = Instant::now();
    // The alert names the ATT&CK technique (Data Encrypted for Impact).
    let technique = super::seed::attack_pattern_id("T1486").unwrap_or_default();
    let out = vigia_ok(&[
        "product",
        "create",
        "--data-dir",
        sites[origin].dir_str(),
        "--kind",
        "alert",
        "--severity",
        "critical",
        "--tlp",
        "amber",
        "--title",
        "Ransomware encrypting hospital systems now",
        "--description",
        "Isolate affected segments; indicators follow. Technique: ATT&CK T1486.",
        "--to",
        &team(a)?,
        "--to",
        &team(b)?,
        "--related",
        &technique,
    ])
    .await?;
    let alert_id = out.split_whitespace().nth(1).unwrap_or_default().to_owned();
    let receipts = |i: usize| {
        let store = watches[origin].store.clone();
        let (id, team) = (alert_id.clone(), teams[i].clone());
        async move {
            let r = store.receipts(&id).await.ok()?;
            r.into_iter().find(|r| r.team == team)
        }
    };
    for i in [a, b] {
        wait_for(|| async { receipts(i).await.is_some_and(|r| r.delivered_at.is_some()) }).await?;
        println!(
            "      {:<4} delivered to its node and duty desk notified after {:>6.0} ms",
            c(i),
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    vigia_ok(&[
        "ack",
        "--data-dir",
        sites[a].dir_str(),
        &alert_id,
        "--user",
        "duty",
        "--note",
        "segments isolated",
    ])
    .await?;
    wait_for(|| async {
        receipts(a)
            .await
            .is_some_and(|r| r.acknowledged_at.is_some())
    })
    .await?;
    println!(
        "      {:<4} acknowledged (\"segments isolated\"); {} sees it after {:>6.0} ms",
        c(a),
        c(origin),
        t.elapsed().as_secs_f64() * 1e3
    );
    println!("      {:<4} has not acknowledged: its backup is called after 2 min, its head of team after 4 (demo timings)", c(b));
    search(&sites[a], "ransomware").await?;
    if let Some(&outsider) = rest.first() {
        search(&sites[outsider], "ransomware").await?;
    }
    indexing_backlog(&sites[a]).await?;

    println!("  5. {} holds a vulnerability advisory under embargo for {} (TLP:AMBER+STRICT), then widens it to the network", c(a), c(origin));
    let mut advisory = report(
        "vulnerability",
        "Authentication bypass in a regional e-government portal",
        "Embargoed until the vendor's fix.",
    );
    let t = Instant::now();
    publish(
        &sites[a],
        std::slice::from_ref(&advisory),
        &["--tlp", "amber+strict", "--to", &team(origin)?],
    )
    .await?;
    let outside: Vec<usize> = everyone
        .iter()
        .copied()
        .filter(|&i| i != a && i != origin)
        .collect();
    reach(&watches, &advisory, &[origin], &outside, t).await?;
    tokio::time::sleep(Duration::from_millis(5)).await;
    advisory["modified"] = Value::String(
        vigia_stix::Timestamp::from_datetime(time::OffsetDateTime::now_utc()).to_millis_string(),
    );
    advisory["description"] = Value::String("Fix released; details for every team.".into());
    let t = Instant::now();
    publish(
        &sites[a],
        std::slice::from_ref(&advisory),
        &["--tlp", "green"],
    )
    .await?;
    let widened: Vec<usize> = everyone.iter().copied().filter(|&i| i != a).collect();
    reach(&watches, &advisory, &widened, &[], t).await?;

    println!("  6. The Secretariat publishes a public advisory (TLP:CLEAR)");
    let public = report(
        "threat-report",
        "Advisory: protect public institutions against ransomware",
        "Guidance for the public and every institution.",
    );
    let t = Instant::now();
    publish(
        &sites[0],
        std::slice::from_ref(&public),
        &["--tlp", "clear"],
    )
    .await?;
    reach(&watches, &public, &everyone[1..], &[], t).await?;

    println!("  7. The Secretariat runs a reachability drill of every national point of contact");
    let out = vigia_ok(&["drill", "--data-dir", sites[0].dir_str()]).await?;
    let drill_id = out.split_whitespace().nth(1).unwrap_or_default().to_owned();
    let silent: Vec<usize> = (1..sites.len())
        .filter(|&i| sites[i].coverage == super::Coverage::Neither)
        .collect();
    for i in 1..sites.len() {
        if silent.contains(&i) {
            continue;
        }
        let store = watches[i].store.clone();
        let id = drill_id.clone();
        wait_for(|| async { store.latest_object(&id).await.ok().flatten().is_some() }).await?;
        vigia_ok(&[
            "ack",
            "--data-dir",
            sites[i].dir_str(),
            &drill_id,
            "--user",
            "duty",
        ])
        .await?;
    }
    let store = watches[0].store.clone();
    let answered = sites.len() - 1 - silent.len();
    wait_for(|| async {
        store
            .receipts(&drill_id)
            .await
            .is_ok_and(|r| r.iter().filter(|r| r.acknowledged_at.is_some()).count() >= answered)
    })
    .await?;
    let started = store
        .drills()
        .await?
        .into_iter()
        .find(|d| d.product_id == drill_id)
        .map(|d| d.started_at)
        .unwrap_or(0);
    let receipts = store.receipts(&drill_id).await?;
    for (i, team) in teams.iter().enumerate().skip(1) {
        match receipts.iter().find(|r| &r.team == team).and_then(|r| r.acknowledged_at) {
            Some(at) => println!("      {:<4} acknowledged in {:>5.1} s", c(i), (at - started) as f64 / 1e6),
            None => println!("      {:<4} NOT acknowledged (never-answered teams show in `vigia drill --history`)", c(i)),
        }
    }

    if let Some(&gap) = silent.first() {
        println!(
            "  8. {}'s duty roster has gaps (office hours only), reported by `vigia roster show`:",
            c(gap)
        );
        let out = vigia_ok(&["roster", "show", "--data-dir", sites[gap].dir_str()]).await?;
        for line in out.lines().filter(|l| l.starts_with("GAP")).take(3) {
            println!("      {line}");
        }
    }

    census_and_coverage(sites, &watches[origin].store, origin).await?;
    csaf_provider(sites, a).await?;
    public_report(sites, b, &watches[b].store, &team(b)?).await?;
    assistance(sites, origin, b, &team(b)?).await?;
    correlation(sites, origin, a, b, &team(b)?).await?;
    network_life(sites, &teams, origin, a, b).await?;

    for w in watches {
        w.store.close().await;
    }
    println!(
        "scenario complete in {:.1} s",
        total.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A member of the public reports an incident at the Secretariat's portal
/// for another country: it is forwarded to that country's team alone, and
/// the reporter follows it with the tracking reference.
async fn public_report(sites: &[Site], to: usize, store: &Store, team: &str) -> anyhow::Result<()> {
    let portal = &sites[0];
    let country = &sites[to].country;
    println!(
        "  11. Someone in {country} reports a phishing campaign at the Secretariat's public portal (POST {}/api/public/reports, no account)",
        portal.url()
    );
    let http = reqwest::Client::new();
    let sent: Value = http
        .post(format!("{}/api/public/reports", portal.url()))
        .json(&json!({
            "country": country,
            "category": "phishing",
            "description": "Text messages in the name of the national post office ask for card numbers to release a parcel.",
            "contact": "reporter@example.org",
        }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let reference = sent["reference"].as_str().unwrap_or_default().to_owned();
    let t = Instant::now();
    wait_for(|| async {
        store
            .public_reports(team, 10)
            .await
            .is_ok_and(|r| !r.is_empty())
    })
    .await?;
    println!(
        "      routed to {} over federation as TLP:AMBER+STRICT to that team alone, in its queue after {:.1} s; tracking reference {reference}",
        sent["routed_to"].as_str().unwrap_or_default(),
        t.elapsed().as_secs_f64()
    );
    let status: Value = http
        .post(format!("{}/api/public/reports/status", portal.url()))
        .json(&json!({ "reference": reference }))
        .send()
        .await?
        .json()
        .await?;
    println!(
        "      the reporter looks it up at the portal: {} (the portal kept no copy)",
        status["status"].as_str().unwrap_or("?")
    );
    Ok(())
}

/// One team asks another for assistance; the other accepts, over
/// federation, and both see the same state.
async fn assistance(
    sites: &[Site],
    asker: usize,
    helper: usize,
    helper_team: &str,
) -> anyhow::Result<()> {
    let (from, to) = (&sites[asker], &sites[helper]);
    println!(
        "  12. {} asks {} for assistance on the incident (POST /api/assistance, TLP:AMBER+STRICT); {} accepts",
        from.country, to.country, to.country
    );
    let http = reqwest::Client::new();
    let (ta, tb) = (
        api_token(from, "analyst").await?,
        api_token(to, "analyst").await?,
    );
    let asked: Value = http
        .post(format!("{}/api/assistance", from.url()))
        .bearer_auth(&ta)
        .json(&json!({"to": helper_team, "need": "Reverse engineering of the ransomware loader found at the ministries.",
                      "urgency": "urgent", "tlp": "amber+strict"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let id = asked["id"].as_str().unwrap_or_default().to_owned();
    let state_at = |site: &Site, token: String| {
        let (http, id, url) = (http.clone(), id.clone(), site.url());
        async move {
            let v: Value = http
                .get(format!("{url}/api/assistance/{id}"))
                .bearer_auth(&token)
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            v["request"]["state"].as_str().map(str::to_owned)
        }
    };
    let t = Instant::now();
    wait_for(|| async { state_at(to, tb.clone()).await.as_deref() == Some("requested") }).await?;
    let arrived = t.elapsed().as_secs_f64();
    http.post(format!("{}/api/assistance/{id}/state", to.url()))
        .bearer_auth(&tb)
        .json(&json!({"state": "accepted", "note": "Send the sample; two analysts are on it."}))
        .send()
        .await?
        .error_for_status()?;
    let t = Instant::now();
    wait_for(|| async { state_at(from, ta.clone()).await.as_deref() == Some("accepted") }).await?;
    println!(
        "      the request reached {} in {arrived:.1} s; {} saw it accepted {:.1} s after (both consoles: /console/assistance)",
        to.country,
        from.country,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// POSTs `body` as the holder of `token` and returns the JSON answer.
async fn post_json(site: &Site, token: &str, path: &str, body: &Value) -> anyhow::Result<Value> {
    Ok(reqwest::Client::new()
        .post(format!("{}{path}", site.url()))
        .bearer_auth(token)
        .json(body)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

async fn related(site: &Site, token: &str, id: &str) -> Option<Value> {
    reqwest::Client::new()
        .get(format!("{}/api/objects/{id}/related", site.url()))
        .bearer_auth(token)
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()
}

/// Correlation and analysis done once: an indicator from one team is
/// found by another's batch lookup (a third team's TLP:RED indicator on
/// the same address stays invisible to it), sightings come back to the
/// originator as "seen by N teams in M countries", and an analysis claim
/// tells everyone who is already working on it.
async fn correlation(
    sites: &[Site],
    origin: usize,
    looker: usize,
    other: usize,
    other_team: &str,
) -> anyhow::Result<()> {
    let (from, at) = (&sites[origin], &sites[looker]);
    println!(
        "  13. {} shares the ransomware's infrastructure as a TLP:GREEN indicator; {} looks up a batch of values from its own logs (POST /api/lookup)",
        from.country, at.country
    );
    let stamp =
        vigia_stix::Timestamp::from_datetime(time::OffsetDateTime::now_utc()).to_millis_string();
    let indicator = |pattern: &str| {
        json!({"type": "indicator", "spec_version": "2.1", "id": format!("indicator--{}", uuid::Uuid::new_v4()),
            "created": stamp, "modified": stamp, "name": "Ransomware loader infrastructure",
            "pattern": pattern, "pattern_type": "stix", "valid_from": stamp})
    };
    let shared = indicator("[ipv4-addr:value = '203.0.113.66'] OR [domain-name:value = 'update-check.example'] OR [ipv4-addr:value ISSUBSET '198.51.100.0/24']");
    let id = id_of(&shared);
    publish(from, std::slice::from_ref(&shared), &["--tlp", "green"]).await?;
    if looker != other {
        let secret = indicator("[ipv4-addr:value = '203.0.113.66']");
        let admin = format!("admin@{other_team}");
        publish(
            &sites[other],
            std::slice::from_ref(&secret),
            &["--tlp", "red", "--to-user", &admin],
        )
        .await?;
    }
    let (tl, to, tf) = (
        api_token(at, "analyst").await?,
        api_token(&sites[other], "analyst").await?,
        api_token(from, "analyst").await?,
    );
    let values = json!([
        "203.0.113.66",
        "Update-Check.EXAMPLE.",
        "198.51.100.23",
        "10.20.30.40",
        "8.8.8.8",
        "192.0.2.1"
    ]);
    wait_for(|| async {
        post_json(at, &tl, "/api/lookup", &json!({"values": ["203.0.113.66"]}))
            .await
            .is_ok_and(|v| v["results"][0]["objects"].as_u64() >= Some(1))
    })
    .await?;
    let answer = post_json(at, &tl, "/api/lookup", &json!({ "values": values })).await?;
    for r in answer["results"].as_array().into_iter().flatten() {
        let value = r["value"].as_str().unwrap_or_default();
        let line = if let Some(list) = r["known_benign"].as_str() {
            format!("known benign ({list})")
        } else if r["objects"].as_u64().unwrap_or(0) > 0 {
            let via = r["matches"][0]["via"].as_str().unwrap_or_default();
            format!(
                "seen in {} object(s) from {} (matched {via})",
                r["objects"],
                r["countries"]
                    .as_array()
                    .map(|c| c
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", "))
                    .unwrap_or_default()
            )
        } else {
            "not seen".to_owned()
        };
        println!("      {value:<22} {line}");
    }
    if looker != other {
        println!(
            "      ({}'s own TLP:RED indicator on 203.0.113.66 is neither listed nor counted for {})",
            sites[other].country, at.country
        );
    }
    for (site, token, count) in [(at, &tl, 4), (&sites[other], &to, 2)] {
        post_json(
            site,
            token,
            "/api/sightings",
            &json!({"sighting_of_ref": id, "count": count}),
        )
        .await?;
    }
    // The two sightings above: 4 + 2.
    let expected = 6;
    let t = Instant::now();
    wait_for(|| async {
        related(from, &tf, &id)
            .await
            .is_some_and(|v| v["sightings"]["summary"]["count"].as_u64() == Some(expected))
    })
    .await?;
    let summary = related(from, &tf, &id).await.unwrap_or_default()["sightings"]["summary"].clone();
    println!(
        "      sightings (POST /api/sightings) reach {} in {:.1} s: seen {} times by {} team(s) in {} country(ies), the indicator itself never re-sent",
        from.country,
        t.elapsed().as_secs_f64(),
        summary["count"],
        summary["teams"],
        summary["countries"]
    );
    let expected_by = vigia_stix::Timestamp::from_datetime(
        time::OffsetDateTime::now_utc() + time::Duration::days(1),
    )
    .to_millis_string();
    post_json(
        at,
        &tl,
        "/api/claims",
        &json!({"object_ref": id, "expected_by": expected_by,
        "comment": "Reversing the loader that talks to this infrastructure."}),
    )
    .await?;
    wait_for(|| async {
        related(&sites[other], &to, &id)
            .await
            .is_some_and(|v| v["claims"][0]["state"] == "in-progress")
    })
    .await?;
    println!(
        "      {} claims the analysis (POST /api/claims); {} sees it in progress, results expected by {expected_by}, and waits instead of redoing it",
        at.country, sites[other].country
    );
    Ok(())
}

/// A national team's CSAF 2.0 provider, read by another: each document's
/// hash and OpenPGP signature checked before it is imported.
async fn csaf_provider(sites: &[Site], importer: usize) -> anyhow::Result<()> {
    let provider = &sites[1];
    let url = format!("{}/.well-known/csaf/provider-metadata.json", provider.url());
    println!(
        "  10. {} is a CSAF 2.0 provider of its public advisories ({url}); {} imports them as vulnerability notices (`vigia csaf import`)",
        provider.country, sites[importer].country
    );
    let out = vigia_ok(&[
        "csaf",
        "import",
        "--data-dir",
        sites[importer].dir_str(),
        &url,
    ])
    .await?;
    for line in out.lines() {
        println!("      {line}");
    }
    Ok(())
}

/// Polls `done` every 100 ms for up to 30 s.
async fn wait_for<F, Fut>(mut done: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if done().await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("timed out after 30 s")
}

/// Step 9: the Secretariat's census goes out; one national team answers
/// and confirms (its directory entry changes), the others are reminded;
/// then the coverage gap report over the member-state register.
async fn census_and_coverage(
    sites: &[Site],
    answering: &Store,
    origin: usize,
) -> anyhow::Result<()> {
    println!(
        "  9. The Secretariat sends the census; {} answers and confirms, the rest are reminded",
        sites[origin].country
    );
    let secretariat = sites[0].dir_str();
    let out = vigia_ok(&[
        "census",
        "create",
        "--data-dir",
        secretariat,
        "--title",
        "Inter-American CSIRT census 2026",
        "--deadline",
        "2026-12-31",
    ])
    .await?;
    let campaign = out.lines().last().unwrap_or_default().trim().to_owned();
    let request = vigia_directory::census::request_id(&campaign);
    wait_for(|| async {
        answering
            .latest_object(&request)
            .await
            .ok()
            .flatten()
            .is_some()
    })
    .await?;
    let site = &sites[origin];
    let form: Value = serde_json::from_str(
        &vigia_ok(&["census", "form", "--data-dir", site.dir_str(), &campaign]).await?,
    )?;
    let mut answers = form["answers"].clone();
    let staff = answers["c12-staff"].as_u64().unwrap_or(0);
    answers["c12-staff"] = Value::from(staff + 2);
    answers["j43-training"] = Value::from("Malware analysis and ICS incident handling, 2027");
    let file = site.dir.join("census-answers.json");
    std::fs::write(&file, serde_json::json!({"answers": answers}).to_string())?;
    vigia_ok(&[
        "census",
        "respond",
        "--data-dir",
        site.dir_str(),
        &campaign,
        file.to_str().unwrap_or_default(),
    ])
    .await?;
    vigia_ok(&["census", "confirm", "--data-dir", site.dir_str(), &campaign]).await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status: Value = serde_json::from_str(
            &vigia_ok(&[
                "census",
                "status",
                "--data-dir",
                secretariat,
                &campaign,
                "--json",
            ])
            .await?,
        )?;
        if status["confirmed"].as_u64() >= Some(1) {
            break;
        }
        if Instant::now() > deadline {
            anyhow::bail!("the census answers did not reach the Secretariat within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let reminded = vigia_ok(&["census", "remind", "--data-dir", secretariat, &campaign]).await?;
    println!("      {}", reminded.trim());
    let status = vigia_ok(&["census", "status", "--data-dir", secretariat, &campaign]).await?;
    for line in status.lines() {
        println!("      {line}");
    }
    println!(
        "      {}'s staff size in the directory is now {} (confirmed from its answers)",
        site.country,
        staff + 2
    );
    let svg = sites[0]
        .dir
        .parent()
        .unwrap_or(&sites[0].dir)
        .join("coverage.svg");
    let report: Value = serde_json::from_str(
        &vigia_ok(&[
            "coverage",
            "--data-dir",
            secretariat,
            "--json",
            "--svg",
            svg.to_str().unwrap_or_default(),
        ])
        .await?,
    )?;
    let without = report["states_without_contact"]
        .as_array()
        .map_or(0, Vec::len);
    let states = report["states"].as_array().map_or(0, Vec::len);
    let gaps = report["sectoral_gaps"].as_array().map_or(0, Vec::len);
    println!("      coverage: {without} of {states} member states have no national point of contact or CSIRT; {gaps} have uncovered critical sectors");
    if let Some(subregions) = report["subregions_without_any"].as_array() {
        let names: Vec<&str> = subregions.iter().filter_map(Value::as_str).collect();
        if !names.is_empty() {
            println!(
                "      sub-regions with no national contact at all: {}",
                names.join(", ")
            );
        }
    }
    println!(
        "      the map: {} (also `vigia coverage`, GET /api/coverage?format=svg)",
        svg.display()
    );
    Ok(())
}

/// GETs `path` as the holder of `token` and returns the JSON answer.
async fn get_json(site: &Site, token: &str, path: &str) -> anyhow::Result<Value> {
    Ok(reqwest::Client::new()
        .get(format!("{}{path}", site.url()))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

/// The network's working life (issue 11): the Secretariat's quarterly
/// call and a training-needs milestone, a member's needs, mentoring
/// matched across two members, a lessons-learned document on the IGF
/// template, self-assessments with shared scores, and the annual report
/// with a national section the Secretariat alone may read.
async fn network_life(
    sites: &[Site],
    teams: &[String],
    origin: usize,
    a: usize,
    b: usize,
) -> anyhow::Result<()> {
    let secretariat = &sites[0];
    println!(
        "  14. The network's working life: the Secretariat's calendar and milestones, {}'s training needs, mentoring, the compendium, self-assessment and the annual report",
        sites[origin].country
    );
    let today = time::OffsetDateTime::now_utc().date();
    let date = |d: time::Date| vigia_cooperation::format_date(d);
    let ts = api_token(secretariat, "analyst").await?;
    let (to, ta, tb) = (
        api_token(&sites[origin], "analyst").await?,
        api_token(&sites[a], "analyst").await?,
        api_token(&sites[b], "analyst").await?,
    );
    let call = post_json(secretariat, &ts, "/api/cooperation/event", &json!({
        "title": "Quarterly call of the national points of contact",
        "tlp": "green",
        "body": {"kind": "call", "start": format!("{}T14:00:00Z", date(today + time::Duration::days(7))),
            "duration_minutes": 90, "recurrence": "FREQ=MONTHLY;INTERVAL=3",
            "location": "https://meet.example.org/wwn-npoc", "audience": "National points of contact",
            "description": "Standing agenda: drills, open incidents, training needs, AOB."}
    })).await?;
    post_json(secretariat, &ts, "/api/cooperation/event", &json!({
        "title": "Regional cybersecurity awareness week",
        "tlp": "clear",
        "body": {"kind": "meeting", "start": format!("{}T13:00:00Z", date(today + time::Duration::days(40))),
            "duration_minutes": 240, "audience": "The public, governments and industry"}
    })).await?;
    let members: Vec<Value> = teams.iter().skip(1).map(|t| json!({"team": t})).collect();
    let milestone = post_json(
        secretariat,
        &ts,
        "/api/cooperation/milestone",
        &json!({
            "title": "Training needs for the next cycle",
            "tlp": "green",
            "body": {"due": date(today + time::Duration::days(10)), "members": members,
                "remind_days_before": [14, 3], "topic": "training-needs"}
        }),
    )
    .await?;
    let milestone_id = milestone["id"].as_str().unwrap_or_default().to_owned();
    post_json(&sites[origin], &to, "/api/cooperation/training-needs", &json!({
        "title": "Training needs", "tlp": "green",
        "body": {"milestone_ref": milestone_id, "needs": [
            {"topic": "forensics", "people": 3, "by": date(today + time::Duration::days(180)), "priority": "high"},
            {"topic": "threat-intelligence", "people": 2, "by": date(today + time::Duration::days(365)), "priority": "medium"}]}
    })).await?;
    post_json(&sites[a], &ta, "/api/cooperation/mentoring", &json!({
        "title": "Mentoring offer", "tlp": "green",
        "body": {"side": "offer", "topics": ["incident-responder", "forensics"], "languages": ["es", "en"], "region": "south-america", "capacity": 2}
    })).await?;
    post_json(&sites[b], &tb, "/api/cooperation/mentoring", &json!({
        "title": "Mentoring request", "tlp": "green",
        "body": {"side": "ask", "topics": ["incident-responder"], "languages": ["es"], "region": "south-america"}
    })).await?;
    let sections: Vec<Value> = vigia_cooperation::compendium::IGF_BPF_TEMPLATE
        .iter()
        .map(|h| json!({"heading": h, "text": "Drawn from the ransomware case handled with two neighbouring teams."}))
        .collect();
    post_json(&sites[origin], &to, "/api/cooperation/document", &json!({
        "title": "Ransomware against municipal services: lessons learned", "tlp": "green",
        "body": {"document_type": "lessons-learned", "template": "igf-bpf", "sections": sections,
            "services": ["incident-management/incident-coordination"], "audiences": ["csirt", "government"],
            "language": "es", "owner": "Head of incident response", "review_by": date(today - time::Duration::days(1))}
    })).await?;
    let assessment = |country: &str, levels: [u8; 5]| {
        let q = vigia_cooperation::assessment::Questionnaire::default_v1();
        let elements: Vec<Value> = q.elements.iter().zip(levels).map(|(e, l)| json!({
            "element": e.id, "level": l, "target": 4, "priority": if l < 3 { "high" } else { "medium" },
            "gaps": "see steps", "steps": [{"text": "Adopt a plan", "state": "in-progress"}]})).collect();
        json!({"country": country, "questionnaire_version": 1, "assessed_on": date(today), "elements": elements, "share_scores": true})
    };
    post_json(
        &sites[origin],
        &to,
        "/api/cooperation/assessment",
        &json!({
            "title": "National self-assessment", "tlp": "amber", "to": [teams[0]],
            "body": assessment(&sites[origin].country, [3, 2, 4, 2, 2])
        }),
    )
    .await?;
    post_json(
        &sites[a],
        &ta,
        "/api/cooperation/assessment",
        &json!({
            "title": "National self-assessment", "tlp": "amber+strict", "to": [teams[a]],
            "body": assessment(&sites[a].country, [4, 3, 4, 3, 3])
        }),
    )
    .await?;
    let year = today.year();
    // The point of contact drafts its section, then approves it.
    let section = post_json(&sites[origin], &to, "/api/cooperation/report-section", &json!({
        "title": format!("{} in {year}", sites[origin].country), "tlp": "amber", "to": [teams[0]],
        "body": {"year": year, "country": sites[origin].country, "incidents_handled": 312, "staff": 14,
            "text": "The national CSIRT handled 312 incidents; ransomware against municipalities dominated."}
    })).await?;
    let section_id = section["id"].as_str().unwrap_or_default();
    post_json(
        &sites[origin],
        &to,
        &format!("/api/report/sections/{section_id}/approve"),
        &json!({}),
    )
    .await?;
    // Everything reaches the Secretariat over federation.
    wait_for(|| async {
        get_json(secretariat, &ts, "/api/milestones")
            .await
            .is_ok_and(|v| {
                v["milestones"][0]["members"]
                    .as_array()
                    .is_some_and(|m| m.iter().any(|m| m["state"] == "done"))
            })
            && get_json(secretariat, &ts, "/api/readiness")
                .await
                .is_ok_and(|v| v["countries"].as_array().is_some_and(|c| c.len() >= 2))
            && get_json(secretariat, &ts, "/api/training")
                .await
                .is_ok_and(|v| {
                    v["proposed_pairs"]
                        .as_array()
                        .is_some_and(|p| !p.is_empty())
                })
    })
    .await?;
    let ics = reqwest::Client::new()
        .get(format!("{}/api/calendar.ics", sites[b].url()))
        .bearer_auth(&tb)
        .send()
        .await?
        .text()
        .await?;
    let public = reqwest::get(format!("{}/calendar.ics", sites[b].url()))
        .await?
        .text()
        .await?;
    println!(
        "      {}'s calendar feed holds {} events (its public feed {}); quarterly call {}",
        sites[b].country,
        ics.matches("BEGIN:VEVENT").count(),
        public.matches("BEGIN:VEVENT").count(),
        call["id"].as_str().unwrap_or_default()
    );
    let m = get_json(secretariat, &ts, "/api/milestones").await?;
    let states: Vec<String> = m["milestones"][0]["members"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| {
            format!(
                "{} {}",
                x["team_name"].as_str().unwrap_or_default(),
                x["state"].as_str().unwrap_or_default()
            )
        })
        .collect();
    println!(
        "      milestone \"Training needs for the next cycle\": {}",
        states.join(", ")
    );
    let reminded = post_json(
        secretariat,
        &api_token(secretariat, "admin").await?,
        "/api/milestones/remind",
        &json!({}),
    )
    .await?;
    println!(
        "      reminders sent now for {} milestone(s), 10 days before the deadline",
        reminded["reminded"].as_array().map_or(0, Vec::len)
    );
    // A member still pending mails its own duty desk; no address leaves its node.
    let tb_admin = api_token(&sites[b], "admin").await?;
    wait_for(|| async {
        get_json(&sites[b], &tb, "/api/milestones")
            .await
            .is_ok_and(|v| v["milestones"].as_array().is_some_and(|m| !m.is_empty()))
    })
    .await?;
    let mailed = post_json(&sites[b], &tb_admin, "/api/milestones/remind", &json!({})).await?;
    let again = post_json(&sites[b], &tb_admin, "/api/milestones/remind", &json!({})).await?;
    println!(
        "      {}'s node e-mailed its own duty desk {} reminder(s) that its training needs are due; asked again the same day, {} more",
        sites[b].country, mailed["emailed"], again["emailed"]
    );
    let t = get_json(secretariat, &ts, "/api/training").await?;
    let demand = &t["regional_demand"][0];
    println!(
        "      regional training demand: {} — {} people",
        demand["name"].as_str().unwrap_or_default(),
        demand["people"]
    );
    let pair = &t["proposed_pairs"][0];
    println!(
        "      proposed mentoring pair: {} mentors {}",
        pair["mentor_name"].as_str().unwrap_or_default(),
        pair["mentee_name"].as_str().unwrap_or_default()
    );
    let docs = get_json(&sites[b], &tb, "/api/compendium").await;
    if let Ok(d) = docs {
        let overdue = d["documents"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| d["review_overdue"] == true)
            .count();
        println!(
            "      {} sees {} compendium document(s), {} past its review date",
            sites[b].country,
            d["documents"].as_array().map_or(0, Vec::len),
            overdue
        );
    }
    let r = get_json(secretariat, &ts, "/api/readiness").await?;
    println!(
        "      regional readiness index {}.{} from {} countries that opted in",
        r["index_tenths"].as_u64().unwrap_or(0) / 10,
        r["index_tenths"].as_u64().unwrap_or(0) % 10,
        r["countries"].as_array().map_or(0, Vec::len)
    );
    let at_secretariat =
        get_json(secretariat, &ts, &format!("/api/report/annual?year={year}")).await?;
    let at_member = get_json(&sites[a], &ta, &format!("/api/report/annual?year={year}")).await?;
    println!(
        "      annual report {year}: {} products; national sections seen by the Secretariat {}, by {} {}",
        at_secretariat["products"]["total"],
        at_secretariat["sections"].as_array().map_or(0, Vec::len),
        sites[a].country,
        at_member["sections"].as_array().map_or(0, Vec::len)
    );
    let coverage = &at_secretariat["coverage"];
    let count = |when: &str, status: &str| coverage[when][status].as_u64().unwrap_or(0);
    println!(
        "      coverage over {year}, from the directory's history: states with a national CSIRT {} → {}, with a point of contact only {} → {}; {} changed",
        count("start", "national-csirt"),
        count("end", "national-csirt"),
        count("start", "poc-only"),
        count("end", "poc-only"),
        coverage["changes"].as_array().map_or(0, Vec::len)
    );
    println!("      (the report as HTML: /console/annual?year={year}; PDF with Chromium: vigia network report --year {year} --format pdf)");
    Ok(())
}
