//! Publishing products, drills and rosters: the operations the API and the
//! CLI share.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use vigia_policy::TeamId;
use vigia_stix::{Distribution, Timestamp, Tlp};
use vigia_store::ingest::{ingest, IngestReport};
use vigia_store::{DrillRecord, Embargo, Store};
use vigia_watch::{ProductDraft, ProductIds, ProductKind, Roster, Severity};

use crate::{Watch, WatchError};

/// A product once stored and queued.
#[derive(Debug, serde::Serialize)]
pub struct Published {
    pub id: String,
    pub objects: Vec<String>,
    pub queued_for_peers: usize,
    pub embargo_until: Option<Timestamp>,
}

fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Stores what the report refused as an error naming each failure.
pub fn refused(report: &IngestReport) -> Result<(), WatchError> {
    match report.failures.first() {
        None => Ok(()),
        Some(f) => Err(WatchError::Refused(format!(
            "{} object(s) refused; object #{} at {}: {}",
            report.failures.len(),
            f.index,
            if f.path.is_empty() { "/" } else { &f.path },
            f.reason
        ))),
    }
}

/// Validates, builds, stores and queues a product from `team`; records its
/// embargo.
pub async fn publish_product(
    w: &Watch,
    team: &TeamId,
    draft: &ProductDraft,
) -> Result<Published, WatchError> {
    let now = w.clock.now();
    draft
        .validate(now)
        .map_err(|e| WatchError::Refused(e.to_string()))?;
    let ids = ProductIds {
        product: new_uuid(),
        extra: (0..draft.cves.len().max(draft.mitigates.len()))
            .map(|_| new_uuid())
            .collect(),
    };
    let objects = draft.to_stix(&ids, team, now);
    let id = objects[0]["id"].as_str().unwrap_or_default().to_owned();
    let bundle =
        json!({"type": "bundle", "id": format!("bundle--{}", new_uuid()), "objects": objects});
    let report = ingest(&w.store, &w.ingest, team, bundle.to_string()).await?;
    refused(&report)?;
    if let Some(e) = &draft.embargo {
        w.store
            .add_embargo(&Embargo {
                product_id: id.clone(),
                widen_at: e.until.unix_micros(),
                widen_to: serde_json::to_string(&e.widen_to).unwrap_or_default(),
            })
            .await?;
    }
    w.outbox.notify_one();
    w.stored();
    Ok(Published {
        id,
        objects: report.stored.iter().map(|o| o.id.clone()).collect(),
        queued_for_peers: report.stored.iter().map(|o| o.queued_for.len()).sum(),
        embargo_until: draft.embargo.as_ref().map(|e| e.until),
    })
}

/// The teams a drill goes to: every peer's team when `keys` is empty,
/// else each key as a peer's team id or country, or a team of this node.
pub async fn drill_targets(
    store: &Store,
    here: &TeamId,
    keys: &[String],
) -> Result<Vec<TeamId>, WatchError> {
    let peers = store.peers().await?;
    if keys.is_empty() {
        return Ok(peers.into_iter().map(|p| p.peer.team_id).collect());
    }
    let teams = store.list_teams().await?;
    keys.iter()
        .map(|key| {
            peers
                .iter()
                .find(|p| p.peer.team_id.as_str() == key || p.peer.country.eq_ignore_ascii_case(key))
                .map(|p| p.peer.team_id.clone())
                .or_else(|| {
                    teams
                        .iter()
                        .find(|t| &t.id != here && (t.id.as_str() == key || t.name.eq_ignore_ascii_case(key)))
                        .map(|t| t.id.clone())
                })
                .ok_or_else(|| {
                    WatchError::Refused(format!(
                        "teams: {key:?} is neither a peer's team id or country nor a team of this node"
                    ))
                })
        })
        .collect()
}

/// Sends a reachability drill (an exercise alert, TLP:GREEN) to `targets`
/// and records it.
pub async fn start_drill(
    w: &Watch,
    team: &TeamId,
    targets: &[TeamId],
    started_by: &str,
) -> Result<Published, WatchError> {
    if targets.is_empty() {
        return Err(WatchError::Refused(
            "a drill needs at least one team (this node has no peers)".into(),
        ));
    }
    let now = w.clock.now();
    let draft = ProductDraft {
        kind: ProductKind::Alert,
        title: format!("Reachability drill {}", now.to_millis_string()),
        description: "This is a drill. Please acknowledge it to confirm that your point of contact is reachable.".into(),
        severity: Severity::Low,
        tlp: Tlp::Green,
        audience: Distribution {
            recipient_teams: targets.iter().map(|t| t.as_str().to_owned()).collect(),
            ..Distribution::default()
        },
        embargo: None,
        cves: vec![],
        cvss: None,
        mitigates: vec![],
        related: vec![],
        supersedes: None,
        exercise: true,
    };
    let published = publish_product(w, team, &draft).await?;
    w.store
        .add_drill(&DrillRecord {
            product_id: published.id.clone(),
            started_at: now.unix_micros(),
            started_by: started_by.to_owned(),
            teams: targets.iter().map(|t| t.as_str().to_owned()).collect(),
        })
        .await?;
    Ok(published)
}

/// Every drill with each team's time to acknowledge, and per team its
/// answered count, median and never-answered drills.
pub async fn drill_history(store: &Store) -> Result<Value, WatchError> {
    let mut per_team: BTreeMap<String, Vec<Option<f64>>> = BTreeMap::new();
    let mut drills = Vec::new();
    for d in store.drills().await? {
        let receipts = store.receipts(&d.product_id).await?;
        let mut results = Vec::new();
        for t in &d.teams {
            let r = receipts.iter().find(|r| &r.team == t);
            let ack = r.and_then(|r| r.acknowledged_at.or(r.actioned_at));
            let secs = ack.map(|a| (a - d.started_at).max(0) as f64 / 1e6);
            per_team.entry(t.clone()).or_default().push(secs);
            results.push(json!({
                "team": t,
                "delivered": r.and_then(|r| r.delivered_at).is_some(),
                "seconds_to_acknowledge": secs,
            }));
        }
        drills.push(json!({"drill": d.product_id, "started_at": Timestamp::from_unix_micros(d.started_at).ok(), "results": results}));
    }
    let teams: Vec<Value> = per_team
        .into_iter()
        .map(|(team, times)| {
            let mut answered: Vec<f64> = times.iter().flatten().copied().collect();
            answered.sort_by(f64::total_cmp);
            let median = (!answered.is_empty()).then(|| answered[answered.len() / 2]);
            json!({
                "team": team,
                "drills": times.len(),
                "answered": answered.len(),
                "never_answered": times.len() - answered.len(),
                "median_seconds_to_acknowledge": median,
            })
        })
        .collect();
    Ok(json!({"drills": drills, "teams": teams}))
}

/// Validates and stores `team`'s roster. Webhook secrets are sealed; a
/// webhook given without one keeps its old secret (same contact and URL)
/// or gets a new one, returned here once.
pub async fn store_roster(
    w: &Watch,
    team: &TeamId,
    mut roster: Roster,
) -> Result<(Roster, BTreeMap<String, String>), WatchError> {
    roster
        .validate()
        .map_err(|e| WatchError::Refused(e.to_string()))?;
    let old = crate::project::load_roster(w, team.as_str()).await?;
    let mut new_secrets = BTreeMap::new();
    for c in &mut roster.contacts {
        let Some(hook) = &mut c.webhook else { continue };
        let kept = || {
            old.contacts
                .iter()
                .find(|o| o.name == c.name)
                .and_then(|o| o.webhook.as_ref())
                .filter(|o| o.url == hook.url)
                .and_then(|o| o.secret.clone())
        };
        let sealed = match hook.secret.take() {
            Some(plain) => w.secrets.seal(&plain),
            None => match kept() {
                Some(k) => k,
                None => {
                    let plain = vigia_sign::webhook::new_secret();
                    new_secrets.insert(c.name.clone(), plain.clone());
                    w.secrets.seal(&plain)
                }
            },
        };
        hook.secret = Some(sealed);
    }
    let body = serde_json::to_string(&roster)
        .map_err(|e| WatchError::Refused(format!("roster cannot be stored: {e}")))?;
    w.store
        .put_roster(team.as_str(), &body, w.clock.now_micros())
        .await?;
    Ok((roster, new_secrets))
}
