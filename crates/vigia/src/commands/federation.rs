//! `vigia peer …` and `vigia publish`.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::{json, Value};
use vigia_federation::sync::fetch_node_info;
use vigia_policy::TeamId;
use vigia_sign::{NodeKey, PublicKey};
use vigia_stix::{split_objects, Distribution, SchemaSet, Tlp, DISTRIBUTION_EXTENSION_ID};
use vigia_store::ingest::{ingest, FederationContext, IngestContext};
use vigia_store::{NewPeer, PeerRecord, Store, TeamRecord};

use crate::cli::PublishArgs;
use crate::config::{Config, KEY_FILE};

/// The node key from the data directory.
pub(crate) fn node_key(data_dir: &Path) -> anyhow::Result<NodeKey> {
    let path = data_dir.join(KEY_FILE);
    let pem = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(NodeKey::from_pkcs8_pem(&pem)?)
}

/// Validation, default TLP and routing as `serve` uses them; with
/// `federation`, sealing and addressing with the node key too.
pub(crate) fn ingest_context(
    config: &Config,
    federation: Option<FederationContext>,
) -> anyhow::Result<IngestContext> {
    let collections = config.collections.clone();
    Ok(IngestContext {
        schemas: Arc::new(SchemaSet::new()?),
        default_tlp: config.default_tlp,
        router: Arc::new(move |o| vigia_web::taxii::route(&collections, o)),
        federation,
    })
}

pub(crate) fn federation_context(
    config: &Config,
    data_dir: &Path,
) -> anyhow::Result<FederationContext> {
    Ok(FederationContext {
        here: TeamId::parse(&config.team_id)
            .map_err(|e| anyhow::anyhow!("key `team_id` in vigia.toml: {e}"))?,
        node_key: Arc::new(node_key(data_dir)?),
        configured_outbound: config.outbound.clone(),
    })
}

pub(crate) async fn audit(
    store: &Store,
    action: &str,
    subject: Option<&str>,
    detail: Value,
) -> anyhow::Result<()> {
    store
        .append_audit(&vigia_web::state::audit_event(
            "cli", action, subject, "ok", detail,
        ))
        .await?;
    Ok(())
}

pub(crate) async fn peer_add(
    config: &Config,
    store: &Store,
    url: &str,
    fingerprint: &str,
    name: Option<String>,
) -> anyhow::Result<ExitCode> {
    let url = url.trim_end_matches('/').to_owned();
    let info = fetch_node_info(&url, Duration::from_secs(15), &config.federation.roots()?)
        .await
        .map_err(|e| anyhow::anyhow!("cannot read the peer's node description: {e}"))?;
    let key = PublicKey::parse_base64(&info.public_key)
        .with_context(|| format!("{url} offers an invalid public key"))?;
    if key.fingerprint() != fingerprint.trim() {
        anyhow::bail!(
            "{url} presents key {} but --key is {}; check the fingerprint with the peer's operators",
            key.fingerprint(),
            fingerprint.trim()
        );
    }
    let me = store
        .node()
        .await?
        .context("the database has no node record")?;
    if me.public_key == info.public_key {
        anyhow::bail!("{url} is this node itself");
    }
    let team_id = TeamId::parse(&info.team_id)
        .map_err(|e| anyhow::anyhow!("{url} names an invalid team id: {e}"))?;
    let name = name
        .or(info.team_name.clone())
        .unwrap_or_else(|| format!("{} node", info.country));
    let peer = NewPeer {
        team_id,
        name: name.clone(),
        url: url.clone(),
        fingerprint: key.fingerprint(),
        public_key: info.public_key.clone(),
        node_id: info.node_id.clone(),
        country: info.country.clone(),
    };
    store.add_peer(&peer).await?;
    audit(
        store,
        "peer.add",
        Some(peer.team_id.as_str()),
        json!({"name": name, "url": url, "fingerprint": peer.fingerprint}),
    )
    .await?;
    println!(
        "peer added: {name} ({}) at {url}, key {}",
        peer.country, peer.fingerprint
    );
    println!("the peer must also add this node before requests between you are accepted");
    Ok(ExitCode::SUCCESS)
}

fn shown(t: Option<vigia_stix::Timestamp>) -> String {
    t.map(|t| t.to_micros_string())
        .unwrap_or_else(|| "never".into())
}

pub(crate) async fn peer_list(
    store: &Store,
    as_json: bool,
    with_errors: bool,
) -> anyhow::Result<ExitCode> {
    let peers = store.peers().await?;
    if as_json {
        let list: Vec<Value> = peers.iter().map(vigia_web::federation::peer_json).collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(ExitCode::SUCCESS);
    }
    if peers.is_empty() {
        println!("no peers; add one with `vigia peer add URL --key FINGERPRINT`");
    }
    for p in &peers {
        let reachable = match p.reachable() {
            Some(true) => "reachable",
            Some(false) => "UNREACHABLE",
            None => "not contacted yet",
        };
        println!(
            "{} ({}) {} — {reachable}",
            p.peer.name, p.peer.country, p.peer.url
        );
        println!("  team {}  key {}", p.peer.team_id, p.peer.fingerprint);
        println!(
            "  last sync {}  cursor {}  backlog {}  failures {}",
            shown(p.last_success_at),
            p.pull_cursor.as_deref().unwrap_or("(start)"),
            p.backlog,
            p.failures
        );
        if with_errors {
            if let Some(e) = &p.last_error {
                println!("  last error ({}): {e}", shown(p.last_failure_at));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn find_peer<'a>(peers: &'a [PeerRecord], key: &str) -> Option<&'a PeerRecord> {
    peers.iter().find(|p| {
        p.peer.name == key
            || p.peer.team_id.as_str() == key
            || p.peer.country.eq_ignore_ascii_case(key)
    })
}

pub(crate) async fn peer_remove(store: &Store, key: &str) -> anyhow::Result<ExitCode> {
    let peers = store.peers().await?;
    let peer = find_peer(&peers, key).with_context(|| format!("no peer named {key:?}"))?;
    store.remove_peer(&peer.peer.team_id).await?;
    audit(
        store,
        "peer.remove",
        Some(peer.peer.team_id.as_str()),
        json!({"name": peer.peer.name}),
    )
    .await?;
    println!("peer removed: {}", peer.peer.name);
    Ok(ExitCode::SUCCESS)
}

/// A team by id, country code (its national team) or name.
fn resolve_team(teams: &[TeamRecord], key: &str) -> anyhow::Result<TeamId> {
    if let Ok(id) = TeamId::parse(key) {
        return Ok(id);
    }
    let national = |t: &&TeamRecord| t.kind == vigia_store::TeamKind::NationalCsirt;
    teams
        .iter()
        .filter(national)
        .find(|t| t.country.eq_ignore_ascii_case(key))
        .or_else(|| teams.iter().find(|t| t.name.eq_ignore_ascii_case(key)))
        .map(|t| t.id.clone())
        .with_context(|| format!("no team {key:?} is known here: use its id, country code or name"))
}

/// The audience `--to TEAM`, `--to-user USER@TEAM` and `--group NAME` name.
pub(crate) async fn recipients(
    store: &Store,
    to: &[String],
    to_user: &[String],
    groups: &[String],
) -> anyhow::Result<Distribution> {
    let teams = store.list_teams().await?;
    let mut d = Distribution::default();
    for t in to {
        d.recipient_teams.push(resolve_team(&teams, t)?.to_string());
    }
    for u in to_user {
        let (user, team) = u
            .split_once('@')
            .with_context(|| format!("--to-user {u:?}: expected USER@TEAM"))?;
        d.recipient_users
            .push(format!("{user}@{}", resolve_team(&teams, team)?));
    }
    d.sharing_groups = groups.to_vec();
    Ok(d)
}

/// Sets the TLP marking and the distribution on every object of `body`.
fn address(body: &str, tlp: Tlp, distribution: &Distribution) -> anyhow::Result<String> {
    let raws = split_objects(body)?;
    let mut objects = Vec::with_capacity(raws.len());
    for (i, raw) in raws.into_iter().enumerate() {
        let mut v: Value =
            serde_json::from_str(raw).with_context(|| format!("object #{i} is not JSON"))?;
        let o = v
            .as_object_mut()
            .with_context(|| format!("object #{i} is not a JSON object"))?;
        let mut markings: Vec<Value> = o
            .get("object_marking_refs")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|m| m.as_str().is_none_or(|m| Tlp::from_marking_id(m).is_none()))
            .collect();
        markings.push(json!(tlp.marking_id()));
        o.insert("object_marking_refs".into(), Value::Array(markings));
        let ext = o.entry("extensions").or_insert_with(|| json!({}));
        ext.as_object_mut()
            .with_context(|| format!("object #{i}: extensions is not an object"))?
            .insert(
                DISTRIBUTION_EXTENSION_ID.into(),
                distribution.to_extension(),
            );
        objects.push(v);
    }
    Ok(json!({"type": "bundle", "id": format!("bundle--{}", uuid::Uuid::new_v4()), "objects": objects}).to_string())
}

pub(crate) async fn publish(
    config: &Config,
    store: &Store,
    data_dir: &Path,
    args: PublishArgs,
) -> anyhow::Result<ExitCode> {
    let tlp: Tlp = args
        .tlp
        .parse()
        .map_err(|e| anyhow::anyhow!("--tlp: {e}"))?;
    let mut distribution = recipients(store, &args.to, &args.to_user, &args.group).await?;
    distribution.allow_clients = args.allow_clients;
    let body = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let addressed = address(&body, tlp, &distribution)?;
    let ctx = ingest_context(config, Some(federation_context(config, data_dir)?))?;
    let here = TeamId::parse(&config.team_id).map_err(|e| anyhow::anyhow!("team_id: {e}"))?;
    let report = ingest(store, &ctx, &here, addressed).await?;
    let stored: Vec<&str> = report.stored.iter().map(|o| o.id.as_str()).collect();
    audit(
        store,
        "object.publish",
        None,
        json!({"tlp": tlp.label(), "stored": stored, "duplicates": report.duplicates.len(), "failed": report.failures.len()}),
    )
    .await?;
    for o in &report.stored {
        println!(
            "published {} → queued for {} peer(s)",
            o.id,
            o.queued_for.len()
        );
    }
    for o in &report.duplicates {
        println!("already published {}", o.id);
    }
    for f in &report.failures {
        eprintln!(
            "refused object #{} {}: {} (at {})",
            f.index,
            f.id.as_deref().unwrap_or(""),
            f.reason,
            if f.path.is_empty() { "/" } else { &f.path }
        );
    }
    println!(
        "{} published, {} already published, {} refused",
        report.stored.len(),
        report.duplicates.len(),
        report.failures.len()
    );
    Ok(if report.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
