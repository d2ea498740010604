//! `vigia demo --scenario`: a scripted incident, step by step, with the
//! time each product took to reach each node.

use std::time::{Duration, Instant};

use serde_json::Value;
use vigia_stix::StixId;
use vigia_store::Store;

use super::seed::{publish, report};
use super::Site;

struct Watch {
    site: Site,
    store: Store,
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

    println!(
        "  4. Acknowledgements: each peer node's receipt of the alert, as {} sees it",
        c(origin)
    );
    for d in watches[origin].store.deliveries(&id_of(&alert)).await? {
        println!(
            "      {:<40} {} after {} attempt(s)",
            d.peer_name.unwrap_or(d.peer),
            d.state,
            d.attempts
        );
    }
    println!("      (a person's acknowledgement on duty arrives with watch and warning)");

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

    for w in watches {
        w.store.close().await;
    }
    println!(
        "scenario complete in {:.1} s",
        total.elapsed().as_secs_f64()
    );
    Ok(())
}
