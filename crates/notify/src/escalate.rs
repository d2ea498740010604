//! Escalation: when nobody acknowledges in time, the backups on duty are
//! called, then the team's escalation chain, then (if the team wants it)
//! the network's Secretariat. Every step is written to the audit log.

use serde_json::{json, Value};
use vigia_policy::TeamId;
use vigia_stix::{Distribution, Tlp, DISTRIBUTION_EXTENSION_ID};
use vigia_store::ingest::ingest;
use vigia_store::{Assignment, AuditEvent};
use vigia_watch::{ProductInfo, Severity, Step};

use crate::project::{load_roster, messages};
use crate::{Watch, WatchError};

/// Takes every escalation step that is due.
pub async fn escalate_once(w: &Watch) -> Result<bool, WatchError> {
    let now = w.clock.now();
    for a in w.store.due_assignments(now.unix_micros()).await? {
        if let Err(e) = step(w, &a).await {
            tracing::warn!(product = %a.product_id, team = %a.team, error = %e, "escalation step failed");
        }
    }
    Ok(false)
}

async fn step(w: &Watch, a: &Assignment) -> Result<(), WatchError> {
    let now = w.clock.now();
    let acknowledged = w
        .store
        .receipts(&a.product_id)
        .await?
        .into_iter()
        .any(|r| r.team == a.team && (r.acknowledged_at.is_some() || r.actioned_at.is_some()));
    let severity: Severity = a
        .severity
        .parse()
        .map_err(|e: vigia_watch::ProductError| WatchError::Refused(e.to_string()))?;
    let done = Step::from_index(a.step).unwrap_or(Step::Secretariat);
    let next = w.settings.escalation.next(severity, done);
    let (Some((step, _)), false) = (next, acknowledged) else {
        // Acknowledged, or the ladder ends: stop the clock.
        w.store
            .escalate(a, a.step, None, &[], now.unix_micros())
            .await?;
        return Ok(());
    };
    let following = w
        .settings
        .escalation
        .next(severity, step)
        .map(|(_, secs)| a.arrived_at + secs as i64 * 1_000_000);
    let Some(object) = w.store.latest_object(&a.product_id).await? else {
        return Err(WatchError::Refused(format!(
            "product {} is not stored",
            a.product_id
        )));
    };
    let info = serde_json::from_str::<Value>(&object.raw)
        .ok()
        .and_then(|v| ProductInfo::read(&v))
        .ok_or_else(|| WatchError::Refused(format!("{} is not a product", a.product_id)))?;
    let team = TeamId::parse(&a.team).map_err(|e| WatchError::Refused(e.to_string()))?;
    let minutes = (now.unix_micros() - a.arrived_at) / 60_000_000;
    let why = format!(
        "not acknowledged {minutes} min after arrival (step: {})",
        step.as_str()
    );
    let msgs = if step == Step::Secretariat {
        Vec::new()
    } else {
        let roster = load_roster(w, &a.team).await?;
        messages(w, &roster, &info, &object, &team, step, Some(&why))
    };
    if !w
        .store
        .escalate(a, step.index(), following, &msgs, now.unix_micros())
        .await?
    {
        return Ok(());
    }
    let mut told_secretariat = false;
    if step == Step::Secretariat {
        told_secretariat = tell_secretariat(w, &team, &info, &why).await?;
    }
    w.store
        .append_audit(&AuditEvent {
            // The audit log keeps real time, whatever the watch clock says.
            at: vigia_stix::Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
            actor: "watch".into(),
            action: "watch.escalate".into(),
            subject: Some(a.product_id.clone()),
            outcome: "ok".into(),
            detail: json!({
                "team": a.team,
                "step": step.as_str(),
                "severity": a.severity,
                "messages": msgs.iter().map(|m| json!({"contact": m.contact, "channel": m.channel})).collect::<Vec<_>>(),
                "secretariat_told": told_secretariat,
            }),
        })
        .await?;
    metrics::counter!("vigia_watch_escalations_total", "step" => step.as_str()).increment(1);
    tracing::info!(product = %a.product_id, team = %a.team, step = step.as_str(), messages = msgs.len(), "escalated");
    w.messages.notify_one();
    Ok(())
}

/// Publishes a notice to the Secretariat: which product (its id, kind and
/// severity, nothing of its content) went unacknowledged by which team.
async fn tell_secretariat(
    w: &Watch,
    team: &TeamId,
    info: &ProductInfo,
    why: &str,
) -> Result<bool, WatchError> {
    let Some(secretariat) = &w.settings.secretariat else {
        return Ok(false);
    };
    let distribution = Distribution {
        recipient_teams: vec![secretariat.clone()],
        ..Distribution::default()
    };
    let now = w.clock.now();
    let note = json!({
        "type": "note",
        "spec_version": "2.1",
        "id": format!("note--{}", uuid::Uuid::new_v4()),
        "created": now.to_millis_string(),
        "modified": now.to_millis_string(),
        "created_by_ref": team.as_str(),
        "abstract": "Escalation: a product is not acknowledged",
        "content": format!("The {} {} {} was {why}.", info.severity.as_str(), info.kind.label().to_lowercase(), info.id),
        "labels": ["escalation"],
        "object_refs": [info.id],
        "object_marking_refs": [Tlp::Amber.marking_id()],
        "extensions": { DISTRIBUTION_EXTENSION_ID: distribution.to_extension() }
    });
    let report = ingest(&w.store, &w.ingest, team, note.to_string()).await?;
    w.outbox.notify_one();
    w.stored();
    Ok(report.failures.is_empty())
}

/// Unacknowledged products per team and severity, as gauges.
pub async fn record_gauges(w: &Watch) -> Result<(), WatchError> {
    let open = w.store.open_assignments().await?;
    for team in w.store.list_teams().await? {
        for s in Severity::ALL {
            let n = open
                .iter()
                .filter(|a| a.team == team.id.as_str() && a.severity == s.as_str())
                .count();
            metrics::gauge!("vigia_watch_unacknowledged", "team" => team.id.as_str().to_owned(), "severity" => s.as_str())
                .set(n as f64);
        }
    }
    Ok(())
}
