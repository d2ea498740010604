//! The network's working life (issue 11) over the API: calendar and
//! iCalendar feeds, milestones and reminders, the annual report, training
//! needs and mentoring, the compendium and national self-assessment.
//!
//! Every record is a sealed note published by the caller's team under the
//! marking it chooses (`vigia_cooperation::record`), so it federates like
//! any product; every list is read through the store's index by kind and
//! then `may_view`, so nothing is shown, counted or charted that the
//! caller may not see.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use time::Date;
use vigia_cooperation::assessment::{self, Assessment, Questionnaire, Scores};
use vigia_cooperation::calendar::{self, Attendance, Event, FeedEvent};
use vigia_cooperation::compendium::Document;
use vigia_cooperation::milestone::{Milestone, MilestoneDone};
use vigia_cooperation::report::{self, AnnualReport, Facts, ReportSection};
use vigia_cooperation::training::{
    self, Engagement, Mentoring, Side, TrainingNeeds, TrainingRecord,
};
use vigia_cooperation::{Kind, Record, RecordDraft, COOPERATION_EXTENSION_ID};
use vigia_policy::{may_view, viewer_keys, TeamId};
use vigia_stix::{Timestamp, Tlp};
use vigia_store::StoredObject;

use crate::assistance::{publish_one, writer};
use crate::auth::Caller;
use crate::correlation::{Sharing, Teams};
use crate::error::{AppError, AppResult};
use crate::state::{now, AppState};

/// Records listed per kind at most.
const MAX_RECORDS: u32 = 2000;

/// A record to publish, or (with `id`) a new version of one of the
/// caller's team's own records.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewRecord {
    pub(crate) title: String,
    #[serde(default)]
    pub(crate) summary: String,
    #[serde(default)]
    pub(crate) body: Value,
    #[serde(default)]
    pub(crate) id: Option<String>,
    #[serde(flatten)]
    pub(crate) sharing: Sharing,
}

/// A record as listed.
#[derive(Serialize, Clone, Debug)]
pub(crate) struct Listed {
    #[serde(flatten)]
    pub(crate) record: Record,
    pub(crate) team_name: Option<String>,
    pub(crate) country: Option<String>,
}

pub(crate) fn today() -> Date {
    now().datetime().date()
}

fn field((f, e): (&'static str, String)) -> AppError {
    AppError::field(f, e)
}

fn body<T: serde::de::DeserializeOwned>(v: &Value) -> AppResult<T> {
    serde_json::from_value(v.clone()).map_err(|e| AppError::field("body", e.to_string()))
}

/// The records of `kind` the caller may see, newest first.
pub(crate) async fn visible(
    state: &AppState,
    caller: &Caller,
    kind: Kind,
) -> AppResult<Vec<(Record, StoredObject)>> {
    let community = state.store.community().await?;
    let keys = viewer_keys(&caller.viewer, &community);
    let objects = state
        .store
        .cooperation_records(kind, Some(&keys), MAX_RECORDS)
        .await?;
    Ok(objects
        .into_iter()
        .filter(|o| may_view(&caller.viewer, &o.audience, &community))
        .filter_map(|o| {
            let v: Value = serde_json::from_str(&o.raw).ok()?;
            Record::read(&v).map(|r| (r, o))
        })
        .collect())
}

/// Audits the caller's reading of restricted records.
async fn audit_reads(
    state: &AppState,
    caller: &Caller,
    via: &str,
    records: &[(Record, StoredObject)],
) -> AppResult<()> {
    let objects: Vec<StoredObject> = records.iter().map(|(_, o)| o.clone()).collect();
    crate::routes::objects::audit_reads(state, caller, via, &objects).await
}

/// Checks a record's body for its kind; returns the references it adds.
async fn check(
    state: &AppState,
    team: &TeamId,
    kind: Kind,
    title: &str,
    b: &Value,
) -> AppResult<Vec<String>> {
    let here_country = || async {
        Ok::<_, AppError>(
            Teams::load(state)
                .await?
                .country(team.as_str())
                .unwrap_or_default(),
        )
    };
    match kind {
        Kind::Event => body::<Event>(b)?.check(title).map_err(field)?,
        Kind::Attendance => {
            let a: Attendance = body(b)?;
            a.check().map_err(field)?;
            return Ok(vec![a.event_ref]);
        }
        Kind::Milestone => body::<Milestone>(b)?.check(title).map_err(field)?,
        Kind::MilestoneDone => {
            let d: MilestoneDone = body(b)?;
            if !d.milestone_ref.starts_with("note--") {
                return Err(AppError::field("milestone_ref", "not a milestone id"));
            }
            return Ok(vec![d.milestone_ref]);
        }
        Kind::ReportSection => {
            let s: ReportSection = body(b)?;
            s.check().map_err(field)?;
            if s.country != here_country().await? {
                return Err(AppError::field(
                    "country",
                    "a team writes the section of its own country only",
                ));
            }
        }
        Kind::TrainingNeeds => {
            let n: TrainingNeeds = body(b)?;
            n.check().map_err(field)?;
            return Ok(n.milestone_ref.into_iter().collect());
        }
        Kind::TrainingRecord => body::<TrainingRecord>(b)?.check().map_err(field)?,
        Kind::Mentoring => body::<Mentoring>(b)?.check().map_err(field)?,
        Kind::Engagement => {
            let e: Engagement = body(b)?;
            e.check().map_err(field)?;
            return Ok(vec![e.mentor, e.mentee]);
        }
        Kind::Document => {
            let d: Document = body(b)?;
            d.check(title).map_err(field)?;
            return Ok(d.event_ref.into_iter().collect());
        }
        Kind::Assessment => {
            let a: Assessment = body(b)?;
            a.check(&questionnaire(state).await?).map_err(field)?;
            if a.country != here_country().await? {
                return Err(AppError::field(
                    "country",
                    "a team assesses its own country only",
                ));
            }
        }
        Kind::AssessmentScores => {
            return Err(AppError::field(
                "kind",
                "scores are shared by publishing an assessment with share_scores",
            ))
        }
        Kind::Questionnaire => {
            let q: Questionnaire = body(b)?;
            q.check().map_err(field)?;
            let current = questionnaire(state).await?;
            if q.version <= current.version {
                return Err(AppError::field(
                    "version",
                    format!("must be above the version in force, {}", current.version),
                ));
            }
        }
    }
    Ok(Vec::new())
}

/// The question set in force: the newest published version, else the
/// default.
pub(crate) async fn questionnaire(state: &AppState) -> AppResult<Questionnaire> {
    let mut best = Questionnaire::default_v1();
    for o in state
        .store
        .cooperation_records(Kind::Questionnaire, None, MAX_RECORDS)
        .await?
    {
        let Some(r) = serde_json::from_str(&o.raw)
            .ok()
            .and_then(|v| Record::read(&v))
        else {
            continue;
        };
        if let Ok(q) = r.body_as::<Questionnaire>() {
            if q.version > best.version && q.check().is_ok() {
                best = q;
            }
        }
    }
    Ok(best)
}

/// Publishes a record as the caller; audited. Returns its id.
pub(crate) async fn publish_as(
    state: &AppState,
    caller: &Caller,
    kind: Kind,
    mut r: NewRecord,
    via: &str,
) -> AppResult<String> {
    let team = writer(caller, "network records")?;
    let refs = check(state, &team, kind, &r.title, &r.body).await?;
    let (tlp, distribution) = std::mem::take(&mut r.sharing).resolve(state).await?;
    let at = now();
    let (id, created) = match &r.id {
        None => (format!("note--{}", uuid::Uuid::new_v4()), at),
        Some(id) => (id.clone(), own_created(state, &team, kind, id).await?),
    };
    let draft = RecordDraft {
        kind,
        team: team.as_str().to_owned(),
        title: r.title.trim().to_owned(),
        summary: summary(kind, &r),
        refs,
        body: r.body.clone(),
        tlp,
        distribution,
    };
    publish_one(state, &team, &draft.to_stix(&id, created, at)).await?;
    if kind == Kind::Assessment {
        share_scores(state, &team, &r.body, at).await?;
    }
    state
        .audit(
            &caller.actor,
            "cooperation.publish",
            Some(&id),
            "ok",
            json!({"kind": kind.as_str(), "tlp": tlp.label(), "via": via}),
        )
        .await?;
    Ok(id)
}

fn summary(kind: Kind, r: &NewRecord) -> String {
    if !r.summary.trim().is_empty() {
        return r.summary.clone();
    }
    match kind {
        Kind::Document => serde_json::from_value::<Document>(r.body.clone())
            .map(|d| d.content())
            .unwrap_or_default(),
        Kind::ReportSection => r.body["text"].as_str().unwrap_or_default().to_owned(),
        _ => String::new(),
    }
}

/// The `created` of one of the team's own records of `kind`: a new
/// version keeps it.
async fn own_created(
    state: &AppState,
    team: &TeamId,
    kind: Kind,
    id: &str,
) -> AppResult<Timestamp> {
    let old = state
        .store
        .latest_object(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("record {id}")))?;
    let v: Value = serde_json::from_str(&old.raw).map_err(|e| AppError::Internal(e.to_string()))?;
    let r = Record::read(&v).ok_or_else(|| AppError::NotFound(format!("record {id}")))?;
    if r.team != team.as_str() {
        return Err(AppError::Forbidden(format!(
            "{id} is another team's record"
        )));
    }
    if r.kind != kind {
        return Err(AppError::field(
            "id",
            format!("{id} is a {} record", r.kind.as_str()),
        ));
    }
    Timestamp::parse(&r.created).map_err(|e| AppError::Internal(e.to_string()))
}

/// A country that opts in shares its levels alone, network-wide, under a
/// record id derived from its team, so each assessment replaces the last.
async fn share_scores(state: &AppState, team: &TeamId, b: &Value, at: Timestamp) -> AppResult<()> {
    let a: Assessment = body(b)?;
    if !a.share_scores {
        return Ok(());
    }
    let scores = a.scores();
    let id = format!(
        "note--{}",
        uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_URL,
            format!("vigia:assessment-scores:{}", team.as_str()).as_bytes()
        )
    );
    let created = match state.store.latest_object(&id).await? {
        Some(o) => serde_json::from_str::<Value>(&o.raw)
            .ok()
            .and_then(|v| v["created"].as_str().and_then(|c| Timestamp::parse(c).ok()))
            .unwrap_or(at),
        None => at,
    };
    let draft = RecordDraft {
        kind: Kind::AssessmentScores,
        team: team.as_str().to_owned(),
        title: format!("Readiness levels of {}", a.country),
        summary: String::new(),
        refs: vec![],
        body: json!(scores),
        tlp: Tlp::Green,
        distribution: Default::default(),
    };
    publish_one(state, team, &draft.to_stix(&id, created, at)).await
}

fn kind_of(text: &str) -> AppResult<Kind> {
    text.parse()
        .map_err(|e: String| AppError::NotFound(format!("record kind: {e}")))
}

/// `POST /api/cooperation/{kind}`
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(kind): Path<String>,
    Json(r): Json<NewRecord>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let id = publish_as(&state, &caller, kind_of(&kind)?, r, "api").await?;
    Ok((StatusCode::CREATED, Json(json!({"id": id}))))
}

/// The records of a kind the caller may see, with team names.
pub(crate) async fn list_as(
    state: &AppState,
    caller: &Caller,
    kind: Kind,
    via: &str,
) -> AppResult<Vec<Listed>> {
    caller.require_authenticated()?;
    let records = visible(state, caller, kind).await?;
    audit_reads(state, caller, via, &records).await?;
    let teams = Teams::load(state).await?;
    Ok(records
        .into_iter()
        .map(|(r, _)| Listed {
            team_name: teams.name(&r.team),
            country: teams.country(&r.team),
            record: r,
        })
        .collect())
}

/// `GET /api/cooperation/{kind}`
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(kind): Path<String>,
) -> AppResult<Json<Value>> {
    let records = list_as(&state, &caller, kind_of(&kind)?, "api").await?;
    Ok(Json(json!({"records": records})))
}

// ---- calendar ----

/// An event with its next occurrences.
#[derive(Serialize, Clone, Debug)]
pub(crate) struct Upcoming {
    pub(crate) id: String,
    pub(crate) title: String,
    /// The organising team.
    pub(crate) team: String,
    pub(crate) team_name: Option<String>,
    pub(crate) tlp: String,
    pub(crate) event: Event,
    pub(crate) next: Vec<String>,
    /// Teams recorded as present, per occurrence date.
    pub(crate) attendance: BTreeMap<String, Vec<String>>,
}

pub(crate) async fn calendar_as(
    state: &AppState,
    caller: &Caller,
    via: &str,
) -> AppResult<Vec<Upcoming>> {
    let events = visible(state, caller, Kind::Event).await?;
    let attendance = if caller.team().is_some() {
        visible(state, caller, Kind::Attendance).await?
    } else {
        Vec::new()
    };
    audit_reads(state, caller, via, &events).await?;
    let teams = Teams::load(state).await?;
    let from = now();
    let to = Timestamp::from_datetime(from.datetime() + time::Duration::days(400));
    let mut out: Vec<Upcoming> = events
        .into_iter()
        .filter_map(|(r, _)| {
            let event: Event = r.body_as().ok()?;
            let mut present: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for (a, _) in &attendance {
                if let Ok(a) = a.body_as::<Attendance>() {
                    if a.event_ref == r.id {
                        let names = a
                            .present
                            .iter()
                            .map(|t| teams.name(t).unwrap_or_else(|| t.clone()))
                            .collect();
                        present.insert(a.occurrence.clone(), names);
                    }
                }
            }
            Some(Upcoming {
                next: event
                    .occurrences(from, to, 4)
                    .iter()
                    .map(|t| t.to_string())
                    .collect(),
                id: r.id,
                title: r.title,
                team_name: teams.name(&r.team),
                team: r.team,
                tlp: r.tlp.unwrap_or_default(),
                event,
                attendance: present,
            })
        })
        .collect();
    out.sort_by(|a, b| a.next.first().cmp(&b.next.first()));
    Ok(out)
}

/// `GET /api/calendar`
pub(crate) async fn calendar_list(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Value>> {
    caller.require_authenticated()?;
    Ok(Json(
        json!({"events": calendar_as(&state, &caller, "api").await?}),
    ))
}

async fn feed(state: &AppState, caller: &Caller, name: &str, via: &str) -> AppResult<Response> {
    let events = visible(state, caller, Kind::Event).await?;
    audit_reads(state, caller, via, &events).await?;
    let parsed: Vec<(Record, Event)> = events
        .into_iter()
        .filter_map(|(r, _)| r.body_as::<Event>().ok().map(|e| (r, e)))
        .collect();
    let feed: Vec<FeedEvent<'_>> = parsed
        .iter()
        .map(|(r, e)| FeedEvent {
            id: &r.id,
            title: &r.title,
            modified: &r.modified,
            tlp: r.tlp.as_deref().unwrap_or("TLP:CLEAR"),
            organiser: &r.team,
            event: e,
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        calendar::ics(name, &feed),
    )
        .into_response())
}

/// `GET /calendar.ics`: the public feed, TLP:CLEAR events only.
pub(crate) async fn public_feed(State(state): State<AppState>) -> AppResult<Response> {
    let name = format!("{} — network calendar", state.node.team_name);
    feed(&state, &Caller::public(), &name, "ics").await
}

/// `GET /api/calendar.ics`: the caller's own feed (bearer or HTTP Basic,
/// which calendar clients speak).
pub(crate) async fn user_feed(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Response> {
    caller.require_authenticated()?;
    let name = format!("{} — my network calendar", state.node.team_name);
    feed(&state, &caller, &name, "ics").await
}

// ---- milestones ----

#[derive(Serialize, Clone, Debug)]
pub(crate) struct MemberView {
    pub(crate) team: String,
    pub(crate) team_name: Option<String>,
    pub(crate) due: Option<String>,
    pub(crate) state: &'static str,
}

#[derive(Serialize, Clone, Debug)]
pub(crate) struct MilestoneView {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) team_name: Option<String>,
    pub(crate) milestone: Milestone,
    pub(crate) members: Vec<MemberView>,
}

pub(crate) async fn milestones_as(
    state: &AppState,
    caller: &Caller,
    via: &str,
) -> AppResult<Vec<MilestoneView>> {
    caller.require_authenticated()?;
    let milestones = visible(state, caller, Kind::Milestone).await?;
    audit_reads(state, caller, via, &milestones).await?;
    // Met by a `milestone-done` or by training needs naming it.
    let mut done: HashMap<(String, String), Date> = HashMap::new();
    for kind in [Kind::MilestoneDone, Kind::TrainingNeeds] {
        for (r, _) in visible(state, caller, kind).await? {
            let on = Timestamp::parse(&r.created)
                .map(|t| t.datetime().date())
                .ok();
            let target = match kind {
                Kind::MilestoneDone => r.body_as::<MilestoneDone>().ok().map(|d| d.milestone_ref),
                _ => r
                    .body_as::<TrainingNeeds>()
                    .ok()
                    .and_then(|n| n.milestone_ref),
            };
            if let (Some(m), Some(on)) = (target, on) {
                let e = done.entry((m, r.team.clone())).or_insert(on);
                *e = (*e).min(on);
            }
        }
    }
    let teams = Teams::load(state).await?;
    let today = today();
    Ok(milestones
        .into_iter()
        .filter_map(|(r, _)| {
            let m: Milestone = r.body_as().ok()?;
            let members = m
                .states(today, |t| done.get(&(r.id.clone(), t.to_owned())).copied())
                .into_iter()
                .map(|(team, due, s)| MemberView {
                    team_name: teams.name(&team),
                    team,
                    due: due.map(vigia_cooperation::format_date),
                    state: s.as_str(),
                })
                .collect();
            Some(MilestoneView {
                id: r.id,
                title: r.title,
                team_name: teams.name(&r.team),
                milestone: m,
                members,
            })
        })
        .collect())
}

/// `GET /api/milestones`
pub(crate) async fn milestones(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Value>> {
    Ok(Json(
        json!({"milestones": milestones_as(&state, &caller, "api").await?}),
    ))
}

/// What one reminder run did.
#[derive(Serialize, Default, Debug)]
pub struct Reminders {
    /// Milestones this node's team set that got a new reminder version.
    pub reminded: Vec<String>,
    /// E-mails queued to this node's own contacts for milestones it must meet.
    pub emailed: u64,
}

/// Runs both halves of the reminders due today: as the milestone's
/// setter, a new version naming the members still pending, which reaches
/// them over federation like the milestone did; as a member, an e-mail to
/// this node's own primary contacts. Each node mails only its own people,
/// so no address ever leaves its node.
pub async fn send_due_reminders(state: &AppState) -> AppResult<Reminders> {
    let caller = node_caller(state);
    let views = milestones_as(state, &caller, "reminder").await?;
    let mut done = Reminders::default();
    for view in &views {
        if remind_members(state, view).await? {
            done.reminded.push(view.id.clone());
        }
        done.emailed += email_own_contacts(state, view).await?;
    }
    Ok(done)
}

/// The node acting for its own team, as its background tasks do.
fn node_caller(state: &AppState) -> Caller {
    Caller {
        viewer: vigia_policy::Viewer::Member {
            team: state.node.team_id.clone(),
            user: None,
            role: vigia_policy::Role::Admin,
        },
        actor: "node".into(),
        signed: None,
    }
}

/// Publishes the reminder version of a milestone this node's team set,
/// when one is due; `true` when it did.
async fn remind_members(state: &AppState, view: &MilestoneView) -> AppResult<bool> {
    let here = state.node.team_id.clone();
    let Some(day) = view.milestone.reminder_due(today()) else {
        return Ok(false);
    };
    let Some(old) = state.store.latest_object(&view.id).await? else {
        return Ok(false);
    };
    let mut v: Value =
        serde_json::from_str(&old.raw).map_err(|e| AppError::Internal(e.to_string()))?;
    if v["created_by_ref"].as_str() != Some(here.as_str()) {
        return Ok(false);
    }
    let pending: Vec<String> = view
        .members
        .iter()
        .filter(|m| m.state == "pending")
        .map(|m| m.team_name.clone().unwrap_or_else(|| m.team.clone()))
        .collect();
    let mut m = view.milestone.clone();
    m.reminded.push(day);
    v["extensions"][COOPERATION_EXTENSION_ID]["body"] = json!(m);
    v["content"] = json!(format!(
        "Reminder: due {} ({day} days). Still pending: {}.",
        m.due,
        if pending.is_empty() {
            "none".to_owned()
        } else {
            pending.join(", ")
        }
    ));
    republish(state, &here, v).await?;
    state
        .audit(
            "node",
            "milestone.remind",
            Some(&view.id),
            "ok",
            json!({"days_before": day, "pending": pending}),
        )
        .await?;
    Ok(true)
}

/// Publishes `v`, one of `team`'s own sealed records edited in place, as
/// its new version: same id, marking and recipients, sealed afresh.
async fn republish(state: &AppState, team: &TeamId, mut v: Value) -> AppResult<()> {
    v["modified"] = json!(now().to_millis_string());
    if let Some(ext) = v.get_mut("extensions").and_then(Value::as_object_mut) {
        ext.retain(|k, _| {
            k == COOPERATION_EXTENSION_ID || k == vigia_stix::DISTRIBUTION_EXTENSION_ID
        });
    }
    publish_one(state, team, &v).await
}

/// Approves one of the caller's team's own national sections: a new
/// version with `approved` set, under the same marking and recipients.
/// Only approved sections go into the report. Approving twice is a no-op.
pub(crate) async fn approve_section_as(
    state: &AppState,
    caller: &Caller,
    id: &str,
    via: &str,
) -> AppResult<()> {
    let team = writer(caller, "national sections")?;
    let not_ours = || AppError::NotFound(format!("national section {id} of your team"));
    let old = state.store.latest_object(id).await?.ok_or_else(not_ours)?;
    let mut v: Value =
        serde_json::from_str(&old.raw).map_err(|e| AppError::Internal(e.to_string()))?;
    let record = Record::read(&v)
        .filter(|r| r.kind == Kind::ReportSection && r.team == team.as_str())
        .ok_or_else(not_ours)?;
    if record.body["approved"] == json!(true) {
        return Ok(());
    }
    v["extensions"][COOPERATION_EXTENSION_ID]["body"]["approved"] = json!(true);
    republish(state, &team, v).await?;
    state
        .audit(
            &caller.actor,
            "cooperation.approve",
            Some(id),
            "ok",
            json!({"kind": "report-section", "via": via}),
        )
        .await?;
    Ok(())
}

/// `POST /api/report/sections/{id}/approve`
pub(crate) async fn approve_section(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    approve_section_as(&state, &caller, &id, "api").await?;
    Ok(Json(json!({"id": id, "approved": true})))
}

/// Queues the reminder e-mail due today to this node's own primary
/// contacts, when its team is still pending on `view`. The outbox keys
/// each message by milestone, team, reminder day and contact, so a day's
/// reminder goes once however often this runs, on however many replicas.
async fn email_own_contacts(state: &AppState, view: &MilestoneView) -> AppResult<u64> {
    let here = state.node.team_id.as_str();
    let today = today();
    let pending = view
        .members
        .iter()
        .any(|m| m.team == here && m.state == "pending");
    let (Some(day), Some(due), true) = (
        view.milestone.reminder_for(here, today),
        view.milestone.due_for(here),
        pending,
    ) else {
        return Ok(0);
    };
    let Ok(watch) = state.watch() else {
        return Ok(0);
    };
    let Some(object) = state.store.latest_object(&view.id).await? else {
        return Ok(0);
    };
    let roster = vigia_notify::project::load_roster(watch, here)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let link = format!("{}/console/network", watch.public_url.trim_end_matches('/'));
    let (subject, body) = vigia_cooperation::milestone::reminder_email(
        &view.title,
        object.tlp.label(),
        due,
        today,
        &view.milestone.description,
        &link,
    );
    let at = watch.clock.now().unix_micros();
    let messages: Vec<vigia_store::NewNotification> = roster
        .contacts
        .iter()
        .filter(|c| c.role == vigia_watch::ContactRole::Primary)
        .filter(|c| object.tlp != Tlp::Red || named(&object, here, c.user.as_deref()))
        .filter_map(|c| {
            Some(vigia_store::NewNotification {
                product_id: view.id.clone(),
                team: here.to_owned(),
                step: i64::from(day),
                contact: c.name.clone(),
                channel: "email",
                address: c.email.clone()?,
                subject: subject.clone(),
                body: body.clone(),
                secret: None,
                user: c.user.clone(),
                next_at: at,
            })
        })
        .collect();
    if messages.is_empty() {
        tracing::warn!(milestone = %view.id, "a milestone reminder is due but the roster has no primary contact with an e-mail address");
        return Ok(0);
    }
    let queued = state.store.queue_notifications(&messages, at).await?;
    if queued > 0 {
        watch.messages.notify_one();
        state
            .audit(
                "node",
                "milestone.remind.email",
                Some(&view.id),
                "ok",
                json!({"days_before": day, "contacts": queued}),
            )
            .await?;
    }
    Ok(queued)
}

/// Whether `user` of `team` is one of a RED record's named persons.
fn named(object: &StoredObject, team: &str, user: Option<&str>) -> bool {
    user.is_some_and(|u| {
        object
            .audience
            .recipient_users
            .iter()
            .any(|r| r.team.as_str() == team && r.user.as_str() == u)
    })
}

/// `POST /api/milestones/remind`: sends the reminders due now (admins).
pub(crate) async fn remind(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Reminders>> {
    caller.require_admin()?;
    Ok(Json(send_due_reminders(&state).await?))
}

/// Sends due milestone reminders every hour, for as long as the node runs.
pub async fn run_reminders(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tick.tick().await;
        if let Err(e) = send_due_reminders(&state).await {
            tracing::warn!(error = %e, "milestone reminders failed; retrying in an hour");
        }
    }
}

// ---- annual report ----

#[derive(Deserialize)]
pub(crate) struct YearQuery {
    pub(crate) year: Option<i32>,
    pub(crate) format: Option<String>,
    /// en (default), es, pt or fr, for HTML and PDF.
    pub(crate) lang: Option<String>,
}

/// The annual report as the caller may read it.
pub(crate) async fn annual_as(
    state: &AppState,
    caller: &Caller,
    year: i32,
    via: &str,
) -> AppResult<AnnualReport> {
    let team = caller.require_authenticated()?.clone();
    if !(2000..=2100).contains(&year) {
        return Err(AppError::field(
            "year",
            format!("{year} is not a plausible year"),
        ));
    }
    let teams = Teams::load(state).await?;
    let country = |t: &str| teams.country(t).unwrap_or_else(|| "??".into());
    let entries = crate::directory::Directory::of(state)
        .views(Some(&caller.viewer))
        .await
        .unwrap_or_default();
    let sectors: HashMap<String, Vec<String>> = entries
        .iter()
        .map(|v| (v.entry.team.clone(), v.entry.constituency.sectors.clone()))
        .collect();
    let mut facts = Facts::default();
    let products = crate::routes::watch::visible_products(state, caller, 20_000, None).await?;
    let (from, to) = (report::year_start(year), report::year_start(year + 1));
    let mut in_year: HashMap<&str, (i64, bool)> = HashMap::new();
    for (p, _) in &products {
        let published = p.first_arrived / 1_000_000;
        let originator = p.originator.clone().unwrap_or_default();
        facts.products.push(report::ProductFact {
            kind: p.kind.clone(),
            severity: p.severity.clone(),
            country: country(&originator),
            sectors: sectors.get(&originator).cloned().unwrap_or_default(),
            published,
            exercise: p.exercise,
        });
        if (from..to).contains(&published) {
            in_year.insert(p.id.as_str(), (published, p.exercise));
        }
    }
    let ids: Vec<&str> = in_year.keys().copied().collect();
    for r in state.store.receipts_of(&ids).await? {
        let Some(&(published, exercise)) = in_year.get(r.product_id.as_str()) else {
            continue;
        };
        facts.deliveries.push(report::DeliveryFact {
            team: teams.name(&r.team).unwrap_or(r.team.clone()),
            published,
            delivered: r.delivered_at.map(|t| t / 1_000_000),
            acknowledged: r.acknowledged_at.or(r.actioned_at).map(|t| t / 1_000_000),
            exercise,
        });
    }
    let visible_ids: std::collections::HashSet<&str> =
        products.iter().map(|(p, _)| p.id.as_str()).collect();
    for d in state.store.drills().await? {
        if !visible_ids.contains(d.product_id.as_str()) {
            continue;
        }
        let started = d.started_at / 1_000_000;
        let receipts = state.store.receipts(&d.product_id).await?;
        let title = products
            .iter()
            .find(|(p, _)| p.id == d.product_id)
            .map(|(p, _)| p.title.clone())
            .unwrap_or_default();
        facts.drills.push(report::DrillFact {
            title,
            started,
            teams: d
                .teams
                .iter()
                .map(|t| teams.name(t).unwrap_or(t.clone()))
                .collect(),
            acknowledged: receipts
                .iter()
                .filter_map(|r| {
                    let at = r.acknowledged_at.or(r.actioned_at)? / 1_000_000;
                    Some((
                        teams.name(&r.team).unwrap_or(r.team.clone()),
                        (at - started).max(0),
                    ))
                })
                .collect(),
        });
    }
    facts.coverage = coverage_facts(state, caller, from, to).await;
    for r in state.store.public_reports(team.as_str(), 100_000).await? {
        facts.public_reports.push(report::PublicReportFact {
            category: r.category,
            country: r.country,
            received: r.received_at / 1_000_000,
        });
    }
    facts.correlation = correlation_figures(state, caller, from, to).await?;
    let sections = visible(state, caller, Kind::ReportSection).await?;
    audit_reads(state, caller, via, &sections).await?;
    for (r, _) in sections {
        if let Ok(s) = r.body_as::<ReportSection>() {
            facts.sections.push((
                teams.name(&r.team).unwrap_or(r.team.clone()),
                r.tlp.unwrap_or_default(),
                s,
            ));
        }
    }
    state
        .audit(
            &caller.actor,
            "report.annual",
            None,
            "ok",
            json!({"year": year, "via": via}),
        )
        .await?;
    Ok(AnnualReport::build(year, &facts))
}

/// Coverage at the start and at the end of the year, each computed from
/// the directory entries as they stood then (their version history, which
/// census answers and designations write). A year not yet over ends now.
async fn coverage_facts(
    state: &AppState,
    caller: &Caller,
    from: i64,
    to: i64,
) -> Vec<report::CoverageFact> {
    let directory = crate::directory::Directory::of(state);
    let at = |secs: i64| Timestamp::from_unix_micros(secs.saturating_mul(1_000_000)).ok();
    let end_at = if to.saturating_mul(1_000_000) > now().unix_micros() {
        None
    } else {
        at(to)
    };
    let (Ok(start), Ok(end)) = (
        directory
            .coverage_as_of(Some(&caller.viewer), at(from))
            .await,
        directory.coverage_as_of(Some(&caller.viewer), end_at).await,
    ) else {
        return Vec::new();
    };
    let label = |s: vigia_directory::coverage::StateStatus| {
        use vigia_directory::coverage::StateStatus as S;
        match s {
            S::NationalCsirt => "national-csirt",
            S::PointOfContact => "poc-only",
            S::Neither => "none",
        }
        .to_owned()
    };
    let before: HashMap<String, String> = start
        .states
        .into_iter()
        .map(|s| (s.country, label(s.status)))
        .collect();
    end.states
        .into_iter()
        .map(|s| report::CoverageFact {
            start: before
                .get(&s.country)
                .cloned()
                .unwrap_or_else(|| "none".into()),
            end: label(s.status),
            country: s.country,
        })
        .collect()
}

async fn correlation_figures(
    state: &AppState,
    caller: &Caller,
    from: i64,
    to: i64,
) -> AppResult<report::CorrelationFigures> {
    let stats = state.store.correlation_stats().await?;
    let community = state.store.community().await?;
    let keys = viewer_keys(&caller.viewer, &community);
    let mut f = report::CorrelationFigures {
        index_rows: stats.index_rows,
        over_correlating: stats.over_correlating,
        ..Default::default()
    };
    let mut sighting_teams = std::collections::BTreeSet::new();
    let query = vigia_store::ObjectQuery {
        access_keys: Some(keys),
        types: vec!["sighting".into(), "note".into()],
        versions: vigia_store::VersionFilter::Last,
        limit: 50_000,
        ..Default::default()
    };
    for o in state.store.query_objects(&query).await? {
        let added = o.date_added.unix_micros() / 1_000_000;
        if added < from || added >= to || !may_view(&caller.viewer, &o.audience, &community) {
            continue;
        }
        let Ok(v) = serde_json::from_str::<Value>(&o.raw) else {
            continue;
        };
        if let Some(s) = vigia_correlate::work::Sighting::read(&v) {
            f.sightings = f.sightings.saturating_add(s.count);
            sighting_teams.insert(s.team);
        } else if let Some(c) = vigia_correlate::work::Claim::read(&v) {
            f.claims += 1;
            if c.state == vigia_correlate::work::ClaimState::Published {
                f.claims_published += 1;
            }
        }
    }
    f.sighting_teams = sighting_teams.len();
    Ok(f)
}

/// `GET /api/report/annual?year=Y[&format=json|html|pdf][&lang=en|es|pt|fr]`
pub(crate) async fn annual(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<YearQuery>,
) -> AppResult<Response> {
    let year = q.year.unwrap_or_else(|| today().year());
    let lang = q.lang.as_deref().unwrap_or("en");
    if !crate::console::LANGUAGES.contains(&lang) {
        return Err(AppError::field(
            "lang",
            format!(
                "{lang:?} is not one of {}",
                crate::console::LANGUAGES.join(", ")
            ),
        ));
    }
    let m = crate::console::Messages::new(lang);
    let report = annual_as(&state, &caller, year, "api").await?;
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(report).into_response()),
        "html" => Ok(html_response(crate::console::report_html(
            &report,
            &state.node.team_name,
            true,
            m,
        )?)),
        "pdf" => {
            let html = crate::console::report_html(&report, &state.node.team_name, true, m)?;
            let pdf = render_pdf(&html).await?;
            Ok(([(header::CONTENT_TYPE, "application/pdf")], pdf).into_response())
        }
        other => Err(AppError::field(
            "format",
            format!("{other:?} is not json, html or pdf"),
        )),
    }
}

fn html_response(html: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// The Chromium binary, if one is installed.
pub(crate) fn chromium() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("VIGIA_CHROMIUM") {
        return Some(p.into());
    }
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "headless_shell",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
    .find(|p| p.is_file())
}

/// Prints HTML to PDF with headless Chromium.
pub(crate) async fn render_pdf(html: &str) -> AppResult<Vec<u8>> {
    let chromium = chromium().ok_or_else(|| {
        AppError::Unavailable(
            "PDF needs Chromium, which is not installed here; use format=html and print it".into(),
        )
    })?;
    let dir = std::env::temp_dir().join(format!("vigia-report-{}", uuid::Uuid::new_v4()));
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| AppError::Internal(format!("cannot make {}: {e}", dir.display())))?;
    let printed = print(&chromium, &dir, html).await;
    let _ = tokio::fs::remove_dir_all(&dir).await;
    printed
}

async fn print(
    chromium: &std::path::Path,
    dir: &std::path::Path,
    html: &str,
) -> AppResult<Vec<u8>> {
    let input = dir.join("report.html");
    let output = dir.join("report.pdf");
    tokio::fs::write(&input, html)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let status = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        tokio::process::Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
                &format!("--user-data-dir={}", dir.join("profile").display()),
                &format!("--print-to-pdf={}", output.display()),
            ])
            .arg(format!("file://{}", input.display()))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .status(),
    )
    .await
    .map_err(|_| AppError::Internal("Chromium took longer than 60 s to print the report".into()))?
    .map_err(|e| AppError::Internal(format!("cannot run Chromium: {e}")))?;
    if !status.success() {
        return Err(AppError::Internal(format!(
            "Chromium failed to print the report: {status}"
        )));
    }
    tokio::fs::read(&output)
        .await
        .map_err(|e| AppError::Internal(format!("Chromium wrote no PDF: {e}")))
}

// ---- training and mentoring ----

pub(crate) async fn training_as(state: &AppState, caller: &Caller, via: &str) -> AppResult<Value> {
    caller.require_authenticated()?;
    let teams = Teams::load(state).await?;
    let needs = visible(state, caller, Kind::TrainingNeeds).await?;
    let mentoring = visible(state, caller, Kind::Mentoring).await?;
    let records = visible(state, caller, Kind::TrainingRecord).await?;
    let engagements = visible(state, caller, Kind::Engagement).await?;
    for r in [&needs, &mentoring, &records, &engagements] {
        audit_reads(state, caller, via, r).await?;
    }
    // The latest needs of each team.
    let mut latest: BTreeMap<String, TrainingNeeds> = BTreeMap::new();
    for (r, _) in &needs {
        if let Ok(n) = r.body_as::<TrainingNeeds>() {
            latest
                .entry(teams.country(&r.team).unwrap_or(r.team.clone()))
                .or_insert(n);
        }
    }
    let demand = training::gather(latest.iter().map(|(c, n)| (c.as_str(), n)));
    let parsed: Vec<(String, Mentoring)> = mentoring
        .iter()
        .filter_map(|(r, _)| r.body_as::<Mentoring>().ok().map(|m| (r.team.clone(), m)))
        .collect();
    let offers: Vec<(&str, &Mentoring)> = parsed
        .iter()
        .filter(|(_, m)| m.side == Side::Offer)
        .map(|(t, m)| (t.as_str(), m))
        .collect();
    let asks: Vec<(&str, &Mentoring)> = parsed
        .iter()
        .filter(|(_, m)| m.side == Side::Ask)
        .map(|(t, m)| (t.as_str(), m))
        .collect();
    let pairs: Vec<Value> = training::match_pairs(&offers, &asks)
        .into_iter()
        .map(|p| json!({"mentor": p.mentor, "mentor_name": teams.name(&p.mentor), "mentee": p.mentee, "mentee_name": teams.name(&p.mentee), "topics": p.topics, "languages": p.languages, "same_region": p.same_region, "score": p.score}))
        .collect();
    let today = today();
    let people: Vec<Value> = records
        .iter()
        .filter_map(|(r, _)| {
            let t: TrainingRecord = r.body_as().ok()?;
            Some(json!({"team_name": teams.name(&r.team), "person": t.person, "course": t.course, "completed": t.completed, "valid_until": t.valid_until, "currency": t.currency(today)}))
        })
        .collect();
    let engagements: Vec<Value> = engagements
        .iter()
        .filter_map(|(r, _)| {
            let e: Engagement = r.body_as().ok()?;
            Some(json!({"id": r.id, "mentor_name": teams.name(&e.mentor), "mentee_name": teams.name(&e.mentee), "stage": e.stage, "history": e.history, "topics": e.topics}))
        })
        .collect();
    Ok(json!({
        "needs_by_country": latest,
        "regional_demand": demand,
        "mentoring": parsed.iter().map(|(t, m)| json!({"team": t, "team_name": teams.name(t), "mentoring": m})).collect::<Vec<_>>(),
        "proposed_pairs": pairs,
        "engagements": engagements,
        "training_records": people,
    }))
}

/// `GET /api/training`
pub(crate) async fn training(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Value>> {
    Ok(Json(training_as(&state, &caller, "api").await?))
}

// ---- compendium ----

#[derive(Deserialize, Default)]
pub(crate) struct CompendiumQuery {
    pub(crate) service: Option<String>,
    pub(crate) audience: Option<String>,
    pub(crate) language: Option<String>,
}

pub(crate) async fn compendium_as(
    state: &AppState,
    caller: &Caller,
    q: &CompendiumQuery,
    via: &str,
) -> AppResult<Vec<Value>> {
    caller.require_authenticated()?;
    let docs = visible(state, caller, Kind::Document).await?;
    audit_reads(state, caller, via, &docs).await?;
    let teams = Teams::load(state).await?;
    let today = today();
    Ok(docs
        .into_iter()
        .filter_map(|(r, o)| {
            let d: Document = r.body_as().ok()?;
            let keep = q.service.as_ref().is_none_or(|s| d.services.contains(s))
                && q.audience.as_ref().is_none_or(|a| d.audiences.contains(a))
                && q.language.as_ref().is_none_or(|l| &d.language == l);
            keep.then(|| {
                json!({
                    "id": r.id, "title": r.title, "team_name": teams.name(&r.team), "tlp": r.tlp,
                    "version": o.version.map(|v| v.to_string()), "review_overdue": d.review_overdue(today), "document": d,
                })
            })
        })
        .collect())
}

/// `GET /api/compendium[?service=&audience=&language=]`
pub(crate) async fn compendium(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<CompendiumQuery>,
) -> AppResult<Json<Value>> {
    Ok(Json(
        json!({"documents": compendium_as(&state, &caller, &q, "api").await?}),
    ))
}

// ---- self-assessment ----

/// The caller's country's assessments (baseline, latest, progress, gap
/// list) and the regional readiness index from the countries that opted in.
pub(crate) async fn assessment_as(
    state: &AppState,
    caller: &Caller,
    via: &str,
) -> AppResult<Value> {
    let team = caller.require_authenticated()?.clone();
    let mine: Vec<(Record, StoredObject)> = visible(state, caller, Kind::Assessment)
        .await?
        .into_iter()
        .filter(|(r, _)| r.team == team.as_str())
        .collect();
    audit_reads(state, caller, via, &mine).await?;
    // Each assessment is its own record; versions of one are corrections.
    let mut own: Vec<Assessment> = mine.iter().filter_map(|(r, _)| r.body_as().ok()).collect();
    own.sort_by(|a, b| a.assessed_on.cmp(&b.assessed_on));
    let baseline = own.first().cloned();
    let latest = own.last().cloned();
    let (progress, gaps) = match (&baseline, &latest) {
        (Some(b), Some(l)) => (
            json!(assessment::progress(b, l)),
            json!(assessment::gap_list(l)),
        ),
        _ => (json!([]), json!([])),
    };
    Ok(json!({
        "questionnaire": questionnaire(state).await?,
        "baseline": baseline,
        "latest": latest,
        "score_tenths": latest.as_ref().map(Assessment::score_tenths),
        "progress": progress,
        "gaps": gaps,
        "readiness": readiness_as(state, caller).await?,
    }))
}

pub(crate) async fn readiness_as(
    state: &AppState,
    caller: &Caller,
) -> AppResult<assessment::ReadinessIndex> {
    let shared: Vec<Scores> = visible(state, caller, Kind::AssessmentScores)
        .await?
        .into_iter()
        .filter_map(|(r, _)| r.body_as().ok())
        .collect();
    Ok(assessment::readiness_index(shared.iter()))
}

/// `GET /api/assessment`
pub(crate) async fn assessment(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Value>> {
    Ok(Json(assessment_as(&state, &caller, "api").await?))
}

/// `GET /api/readiness`
pub(crate) async fn readiness(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Value>> {
    caller.require_authenticated()?;
    Ok(Json(json!(readiness_as(&state, &caller).await?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_its_sharing_and_refuses_unknown_fields() {
        let r: NewRecord = serde_json::from_value(json!({
            "title": "Call", "body": {}, "tlp": "amber", "to": ["CR"], "groups": ["g"]
        }))
        .unwrap();
        assert_eq!(r.sharing.tlp.as_deref(), Some("amber"));
        assert_eq!(
            (r.sharing.to, r.sharing.groups),
            (vec!["CR".to_owned()], vec!["g".to_owned()])
        );
        let err = serde_json::from_value::<NewRecord>(json!({"title": "Call", "tlpp": "red"}))
            .err()
            .expect("an unknown field is refused");
        assert!(err.to_string().contains("tlpp"), "{err}");
    }
}
