//! The watch projector: from newly stored objects to products, receipts,
//! findings, assignments and the first messages to the person on duty.

use serde_json::Value;
use vigia_policy::{may_view, Audience, TeamId, UserName, UserRef, Viewer};
use vigia_store::{
    Assignment, AssistanceRecord, AssistanceStep, FindingRow, NewNotification, ProductRecord,
    PublicReportRecord, ReceiptUpdate, StoredObject, WatchProjection,
};
use vigia_watch::assistance::AssistanceInfo;
use vigia_watch::message::{email, webhook_payload, Links, ACK_LINK_MARKER};
use vigia_watch::public_report::{ReportInfo, ReportStatus};
use vigia_watch::{
    disclosure, finding_subject, Channel, ContactRole, ProductInfo, ReceiptInfo, ReceiptState,
    Roster, Step,
};

use crate::receipts::publish_receipt;
use crate::{Watch, WatchError};

/// Objects looked at per run.
const BATCH: i64 = 200;

/// A team's roster as stored (webhook secrets sealed); empty if none.
pub async fn load_roster(w: &Watch, team: &str) -> Result<Roster, WatchError> {
    Ok(match w.store.roster(team).await? {
        Some(body) => serde_json::from_str(&body).map_err(|e| {
            WatchError::Refused(format!("stored roster of {team} is unreadable: {e}"))
        })?,
        None => Roster::default(),
    })
}

/// Projects up to `runs` runs now, so a page shown right after a write
/// (an acknowledgement, say) already reflects it. The worker projects
/// the rest; the store's cursor check keeps the two from doubling up.
pub async fn catch_up(w: &Watch, runs: usize) -> Result<(), WatchError> {
    for _ in 0..runs {
        if !project_once(w).await? {
            break;
        }
    }
    Ok(())
}

/// Projects the next run of objects; `true` when more may be waiting.
pub async fn project_once(w: &Watch) -> Result<bool, WatchError> {
    let from = w.store.watch_cursor().await?;
    let objects = w.store.watch_objects_after(from, BATCH).await?;
    let Some(last) = objects.last() else {
        return Ok(false);
    };
    let to = last.date_added.unix_micros();
    let teams = w.store.list_teams().await?;
    let community = w.store.community().await?;
    let now = w.clock.now();
    let mut p = WatchProjection::default();
    let mut delivered: Vec<(&StoredObject, TeamId)> = Vec::new();
    for o in &objects {
        let Ok(value) = serde_json::from_str::<Value>(&o.raw) else {
            continue;
        };
        if let Some(info) = ProductInfo::read(&value) {
            p.products.push(product_record(o, &info));
            for team in &teams {
                let entitled = o.audience.originator.as_ref() != Some(&team.id)
                    && may_view(
                        &Viewer::Peer {
                            team: team.id.clone(),
                        },
                        &o.audience,
                        &community,
                    );
                let known = p
                    .assignments
                    .iter()
                    .any(|a| a.product_id == info.id && a.team == team.id.as_str())
                    || w.store
                        .assignment(&info.id, team.id.as_str())
                        .await?
                        .is_some();
                if !entitled || known {
                    continue;
                }
                let next_step_at = if info.exercise {
                    None
                } else {
                    w.settings
                        .escalation
                        .next(info.severity, Step::Primary)
                        .map(|(_, secs)| now.unix_micros() + secs as i64 * 1_000_000)
                };
                p.assignments.push(Assignment {
                    product_id: info.id.clone(),
                    team: team.id.as_str().to_owned(),
                    severity: info.severity.as_str().to_owned(),
                    arrived_at: now.unix_micros(),
                    step: 0,
                    next_step_at,
                    closed_at: None,
                });
                let roster = load_roster(w, team.id.as_str()).await?;
                p.notifications.extend(messages(
                    w,
                    &roster,
                    &info,
                    o,
                    &team.id,
                    Step::Primary,
                    None,
                ));
                delivered.push((o, team.id.clone()));
                metrics::counter!("vigia_watch_products_arrived_total", "severity" => info.severity.as_str())
                    .increment(1);
            }
        } else if let Some(r) = ReportInfo::read(&value) {
            // Stored here only when addressed to a team here: a portal
            // relays reports for other nodes without storing them.
            if let Some(team) = r.recipients.first() {
                metrics::counter!("vigia_public_reports_received_total").increment(1);
                p.public_reports.push(PublicReportRecord {
                    id: r.id.clone(),
                    reference_hash: r.ext.reference_sha256.clone(),
                    team: team.clone(),
                    received_by: r.received_by.clone(),
                    country: r.ext.country.clone(),
                    category: r.ext.category.as_str().to_owned(),
                    received_at: r.ext.received_at.unix_micros(),
                    status: ReportStatus::Received.as_str().to_owned(),
                    incident_ref: None,
                    reply: None,
                    updated_at: r.ext.received_at.unix_micros(),
                    updated_by: None,
                });
            }
        } else if let Some(a) = AssistanceInfo::read(&value) {
            // The sealing team speaks for the step, whatever it claims.
            let team = o
                .audience
                .originator
                .as_ref()
                .map(|t| t.as_str().to_owned())
                .unwrap_or(a.author.clone());
            let at = a.ext.at.unix_micros();
            if a.is_request() {
                p.assistance.push(AssistanceRecord {
                    id: a.id.clone(),
                    requester: team.clone(),
                    helper: a.ext.helper.clone().unwrap_or_default(),
                    need: a.content.clone(),
                    urgency: a
                        .ext
                        .urgency
                        .map(|u| u.as_str())
                        .unwrap_or("routine")
                        .to_owned(),
                    tlp: o.tlp.as_str().to_owned(),
                    incident_ref: a.ext.incident_ref.clone(),
                    state: a.ext.state.as_str().to_owned(),
                    created_at: at,
                    updated_at: at,
                });
            }
            p.assistance_steps.push(AssistanceStep {
                id: a.id.clone(),
                request_id: a.ext.request.clone(),
                team,
                state: a.ext.state.as_str().to_owned(),
                note: a.content,
                at,
            });
        } else if let Some(r) = ReceiptInfo::read(&value) {
            // The sealing team speaks for the receipt, whatever it claims.
            let team = o
                .audience
                .originator
                .as_ref()
                .map(|t| t.as_str().to_owned())
                .unwrap_or(r.team.clone());
            if r.state.is_acknowledgement() && teams.iter().any(|t| t.id.as_str() == team) {
                p.closed.push((r.product.clone(), team.clone()));
                if let Some(a) = w.store.assignment(&r.product, &team).await? {
                    let secs = (r.at.unix_micros() - a.arrived_at).max(0) as f64 / 1e6;
                    metrics::histogram!("vigia_watch_time_to_acknowledge_seconds", "team" => team.clone(), "severity" => a.severity)
                        .record(secs);
                }
            }
            p.receipts.push(ReceiptUpdate {
                product_id: r.product,
                team,
                state: r.state.as_str(),
                at: r.at.unix_micros(),
                by: r.by,
                note: r.note,
            });
        } else if let Some(subject) = finding_subject(&value) {
            p.findings.push(FindingRow {
                product_id: subject.to_owned(),
                note_id: o.id.as_str().to_owned(),
                team: o
                    .audience
                    .originator
                    .as_ref()
                    .map(|t| t.as_str().to_owned()),
                date_added: o.date_added.unix_micros(),
            });
        }
    }
    if !w
        .store
        .apply_watch_projection(from, to, &p, now.unix_micros())
        .await?
    {
        // Another replica projected this run.
        return Ok(true);
    }
    if !p.notifications.is_empty() {
        w.messages.notify_one();
    }
    for (o, team) in delivered {
        if let Err(e) = publish_receipt(w, o, &team, ReceiptState::Delivered, None, None).await {
            tracing::warn!(product = %o.id, %team, error = %e, "cannot send the delivered receipt");
        }
    }
    Ok(objects.len() as i64 == BATCH)
}

fn product_record(o: &StoredObject, info: &ProductInfo) -> ProductRecord {
    ProductRecord {
        id: info.id.clone(),
        kind: info.kind.as_str().to_owned(),
        severity: info.severity.as_str().to_owned(),
        title: info.title.clone(),
        originator: o
            .audience
            .originator
            .as_ref()
            .map(|t| t.as_str().to_owned()),
        tlp: o.tlp.as_str().to_owned(),
        version: o.version.map(|v| v.version_key()).unwrap_or_default(),
        date_added: o.date_added.unix_micros(),
        first_arrived: o.date_added.unix_micros(),
        exercise: info.exercise,
        supersedes: info.supersedes.clone(),
    }
}

/// Whether `user` of `team` is one of the audience's named persons.
fn named(audience: &Audience, team: &TeamId, user: Option<&str>) -> bool {
    user.and_then(|u| UserName::parse(u).ok())
        .is_some_and(|user| {
            audience.recipient_users.contains(&UserRef {
                user,
                team: team.clone(),
            })
        })
}

/// The messages of escalation `step` to `team`'s contacts on duty, each
/// carrying what its channel may disclose.
pub(crate) fn messages(
    w: &Watch,
    roster: &Roster,
    info: &ProductInfo,
    o: &StoredObject,
    team: &TeamId,
    step: Step,
    escalation: Option<&str>,
) -> Vec<NewNotification> {
    let role = match step {
        Step::Primary => ContactRole::Primary,
        Step::Backup => ContactRole::Backup,
        Step::Chain | Step::Secretariat => ContactRole::Escalation,
    };
    let now = w.clock.now();
    let link = w.product_link(&info.id);
    let mut out = Vec::new();
    for c in roster.on_duty(role, now) {
        let is_named = named(&o.audience, team, c.user.as_deref());
        let base =
            |channel: &'static str, address: &str, subject: String, body: String| NewNotification {
                product_id: info.id.clone(),
                team: team.as_str().to_owned(),
                step: step.index(),
                contact: c.name.clone(),
                channel,
                address: address.to_owned(),
                subject,
                body,
                secret: None,
                user: c.user.clone(),
                next_at: now.unix_micros(),
            };
        if let Some(addr) = &c.email {
            let d = disclosure(Channel::Email, o.tlp, c, is_named);
            let links = Links {
                product: &link,
                acknowledge: Some(ACK_LINK_MARKER),
            };
            if let Some((subject, body)) = email(info, o.tlp, d, escalation, &links) {
                out.push(base("email", addr, subject, body));
            }
        }
        if let Some(hook) = &c.webhook {
            let d = disclosure(Channel::Webhook, o.tlp, c, is_named);
            if let Some(payload) = webhook_payload(info, o.tlp, d, escalation, &link, now) {
                let mut n = base("webhook", &hook.url, String::new(), payload.to_string());
                n.secret = hook.secret.clone();
                out.push(n);
            }
        }
    }
    out
}
