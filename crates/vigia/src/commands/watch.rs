//! Watch and warning from the command line: products, acknowledgements,
//! rosters and drills, on the node's store (a running node picks them up
//! within half a second).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::Notify;
use vigia_notify::{Clock, Watch};
use vigia_sign::{NodeKey, SecretBox};
use vigia_store::Store;
use vigia_web::AppState;

use serde_json::json;
use vigia_policy::TeamId;
use vigia_stix::Timestamp;
use vigia_watch::{Cvss, EmbargoDraft, ProductDraft, ReceiptState, Roster};

use super::federation::{audit, federation_context, ingest_context, node_key, recipients};
use crate::cli::{AckArgs, DrillArgs, ProductArgs, ProductCommand, RosterCommand};
use crate::config::Config;

/// The watch context of a serving node.
pub(crate) fn context(
    config: &Config,
    store: &Store,
    state: &AppState,
    key: &NodeKey,
) -> anyhow::Result<Watch> {
    build(
        config,
        store,
        state.ingest.clone(),
        state.node.public_url.clone(),
        state.outbox.clone(),
        key,
    )
}

fn build(
    config: &Config,
    store: &Store,
    ingest: vigia_store::ingest::IngestContext,
    public_url: String,
    outbox: Arc<Notify>,
    key: &NodeKey,
) -> anyhow::Result<Watch> {
    let timeout = Duration::from_secs(config.watch.send_timeout_secs.max(1));
    let mailer = config
        .watch
        .smtp
        .as_ref()
        .map(|s| vigia_notify::send::Mailer::new(s, timeout))
        .transpose()
        .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
    let http = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("cannot build the webhook client")?;
    Ok(Watch {
        store: store.clone(),
        ingest,
        public_url,
        settings: Arc::new(config.watch.clone()),
        clock: Clock::default(),
        secrets: Arc::new(SecretBox::for_node(key)),
        arrivals: Arc::new(Notify::new()),
        outbox,
        messages: Arc::new(Notify::new()),
        hub: vigia_notify::stream::Hub::new(),
        mailer,
        http,
    })
}

/// The watch context for a command run beside (or without) the server.
pub(crate) async fn offline(dir: &std::path::Path) -> anyhow::Result<(Watch, Config)> {
    let (config, store) = super::open(dir).await?;
    let key = node_key(dir)?;
    let ingest = ingest_context(&config, Some(federation_context(&config, dir)?))?;
    let watch = build(
        &config,
        &store,
        ingest,
        config.public_url(),
        Arc::new(Notify::new()),
        &key,
    )?;
    Ok((watch, config))
}

pub(crate) async fn product(cmd: ProductCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ProductCommand::Create(args) => create(*args).await,
        ProductCommand::List { dir, limit } => {
            let (w, _) = offline(&dir.data_dir).await?;
            for p in w.store.products(limit.clamp(1, 1000)).await? {
                println!(
                    "{}  {:<20} {:<8} TLP:{:<12} {}",
                    p.id,
                    p.kind,
                    p.severity,
                    p.tlp.to_uppercase(),
                    p.title
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        ProductCommand::Show { dir, id } => {
            let (w, _) = offline(&dir.data_dir).await?;
            let p = w
                .store
                .product(&id)
                .await?
                .with_context(|| format!("no product {id} here"))?;
            println!(
                "{}\n{} · {} · TLP:{}\n{}",
                p.id,
                p.kind,
                p.severity,
                p.tlp.to_uppercase(),
                p.title
            );
            let show = |t: Option<i64>| {
                t.and_then(|m| Timestamp::from_unix_micros(m).ok())
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| "-".into())
            };
            println!(
                "{:<48} {:<28} {:<28} {:<28} {:<28}",
                "team", "delivered", "seen", "acknowledged", "actioned"
            );
            for r in w.store.receipts(&id).await? {
                println!(
                    "{:<48} {:<28} {:<28} {:<28} {:<28} {}",
                    r.team,
                    show(r.delivered_at),
                    show(r.seen_at),
                    show(r.acknowledged_at),
                    show(r.actioned_at),
                    r.note.unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn create(a: ProductArgs) -> anyhow::Result<ExitCode> {
    let (w, config) = offline(&a.dir.data_dir).await?;
    let audience = recipients(&w.store, &a.to, &a.to_user, &a.group).await?;
    let embargo = match &a.embargo_until {
        Some(t) => Some(EmbargoDraft {
            until: Timestamp::parse(t)
                .map_err(|e| anyhow::anyhow!("--embargo-until {t:?}: {e}"))?,
            widen_to: recipients(&w.store, &a.widen_to, &[], &a.widen_to_group).await?,
        }),
        None => None,
    };
    let draft = ProductDraft {
        kind: a.kind.parse().map_err(|e| anyhow::anyhow!("--kind: {e}"))?,
        title: a.title,
        description: a.description,
        severity: a
            .severity
            .parse()
            .map_err(|e| anyhow::anyhow!("--severity: {e}"))?,
        tlp: a.tlp.parse().map_err(|e| anyhow::anyhow!("--tlp: {e}"))?,
        audience,
        embargo,
        cves: a.cve,
        cvss: a
            .cvss_vector
            .zip(a.cvss_score)
            .map(|(vector, base_score)| Cvss { vector, base_score }),
        mitigates: a.mitigates,
        related: a.related,
        supersedes: a.supersedes,
        exercise: a.exercise,
    };
    let team = TeamId::parse(&config.team_id).map_err(|e| anyhow::anyhow!("team_id: {e}"))?;
    let published = vigia_notify::products::publish_product(&w, &team, &draft).await?;
    audit(&w.store, "product.create", Some(&published.id), json!({"kind": draft.kind.as_str(), "tlp": draft.tlp.label(), "queued": published.queued_for_peers})).await?;
    println!(
        "published {} → queued for {} peer delivery(ies)",
        published.id, published.queued_for_peers
    );
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn ack(a: AckArgs) -> anyhow::Result<ExitCode> {
    let (w, config) = offline(&a.dir.data_dir).await?;
    let state: ReceiptState = a
        .state
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--state: {e}"))?;
    anyhow::ensure!(
        state.is_acknowledgement(),
        "--state: use acknowledged or actioned"
    );
    let object = w
        .store
        .latest_object(&a.id)
        .await?
        .with_context(|| format!("no product {} here", a.id))?;
    let team = TeamId::parse(&config.team_id).map_err(|e| anyhow::anyhow!("team_id: {e}"))?;
    anyhow::ensure!(
        object.audience.originator.as_ref() != Some(&team),
        "a team does not acknowledge its own product"
    );
    let by = a.user.as_ref().map(|u| format!("{u}@{}", team.as_str()));
    vigia_notify::receipts::publish_receipt(&w, &object, &team, state, by.clone(), a.note).await?;
    audit(
        &w.store,
        "product.acknowledge",
        Some(&a.id),
        json!({"team": team, "state": state.as_str(), "by": by, "via": "cli"}),
    )
    .await?;
    println!("{} {} for {}", state.as_str(), a.id, team);
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn roster(cmd: RosterCommand) -> anyhow::Result<ExitCode> {
    let (dir, file) = match cmd {
        RosterCommand::Show { dir } => (dir, None),
        RosterCommand::Set { dir, file } => (dir, Some(file)),
    };
    let (w, config) = offline(&dir.data_dir).await?;
    let team = TeamId::parse(&config.team_id).map_err(|e| anyhow::anyhow!("team_id: {e}"))?;
    let roster = match file {
        Some(file) => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let roster: Roster = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a roster", file.display()))?;
            let (roster, secrets) = vigia_notify::products::store_roster(&w, &team, roster).await?;
            audit(
                &w.store,
                "roster.update",
                Some(team.as_str()),
                json!({"contacts": roster.contacts.len()}),
            )
            .await?;
            for (contact, secret) in secrets {
                println!("new webhook secret for {contact} (shown once): {secret}");
            }
            roster
        }
        None => vigia_notify::project::load_roster(&w, team.as_str()).await?,
    };
    let now = w.clock.now();
    for c in &roster.contacts {
        let duty = if c.on_duty(now) {
            "on duty"
        } else {
            "off duty"
        };
        println!(
            "{:<24} {:<10} {:<9} {}",
            c.name,
            format!("{:?}", c.role).to_lowercase(),
            duty,
            c.email.as_deref().unwrap_or("")
        );
    }
    let gaps = roster.gaps_next_week(now);
    if gaps.is_empty() {
        println!("no gaps: someone is on duty at every hour of the coming week");
    }
    for g in &gaps {
        println!("GAP: nobody on duty from {} to {}", g.start, g.end);
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn drill(a: DrillArgs) -> anyhow::Result<ExitCode> {
    let (w, config) = offline(&a.dir.data_dir).await?;
    if a.history {
        let history = vigia_notify::products::drill_history(&w.store).await?;
        println!("{}", serde_json::to_string_pretty(&history)?);
        return Ok(ExitCode::SUCCESS);
    }
    let team = TeamId::parse(&config.team_id).map_err(|e| anyhow::anyhow!("team_id: {e}"))?;
    let targets = vigia_notify::products::drill_targets(&w.store, &team, &a.teams).await?;
    let peers = w.store.peers().await?;
    let published = vigia_notify::products::start_drill(&w, &team, &targets, "cli").await?;
    audit(
        &w.store,
        "drill.start",
        Some(&published.id),
        json!({"teams": targets}),
    )
    .await?;
    println!("drill {} sent to {} team(s)", published.id, targets.len());
    let deadline = std::time::Instant::now() + Duration::from_secs(a.wait);
    loop {
        let receipts = w.store.receipts(&published.id).await?;
        let acked = targets
            .iter()
            .filter(|t| {
                receipts
                    .iter()
                    .any(|r| r.team == t.as_str() && r.acknowledged_at.is_some())
            })
            .count();
        if acked == targets.len() || std::time::Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let receipts = w.store.receipts(&published.id).await?;
    let started = w
        .store
        .drills()
        .await?
        .into_iter()
        .find(|d| d.product_id == published.id)
        .map(|d| d.started_at)
        .unwrap_or(0);
    let mut silent = 0;
    for t in &targets {
        let country = peers
            .iter()
            .find(|p| &p.peer.team_id == t)
            .map(|p| p.peer.country.clone())
            .unwrap_or_default();
        match receipts
            .iter()
            .find(|r| r.team == t.as_str())
            .and_then(|r| r.acknowledged_at)
        {
            Some(at) => println!(
                "{country:<3} {t}  acknowledged in {:.1} s",
                (at - started) as f64 / 1e6
            ),
            None => {
                silent += 1;
                println!("{country:<3} {t}  NOT acknowledged");
            }
        }
    }
    Ok(if silent == 0 || a.wait == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}
