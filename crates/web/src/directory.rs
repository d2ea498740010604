//! The directory and census at run time: entries assembled for each reader
//! from the parts the access rule lets them see, publication of this
//! node's own entries, the Secretariat's endorsements and onboarding,
//! coverage, standards, exports and census campaigns. The HTTP routes
//! (`routes::directory`) and the CLI both call these functions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use vigia_directory::census::{
    apply_answers, request_id, request_object, response_id, response_object, CensusRequest,
    CensusResponse, Change, Questionnaire,
};
use vigia_directory::coverage::{coverage, CoverageReport, DEFAULT_SECTORS};
use vigia_directory::entry::{parse_date, DesignationKind, Visibility};
use vigia_directory::standards::{score, Checklist, Score};
use vigia_directory::stix::{
    endorsement_object, entry_objects, tier_id, Endorsement, EndorsementSubject,
};
use vigia_directory::{DirectoryEntry, DirectoryExtension, TeamKind};
use vigia_policy::{may_view, Community, TeamId, Viewer};
use vigia_stix::Timestamp;
use vigia_store::ingest::{ingest, IngestContext, IngestReport};
use vigia_store::{CampaignRecord, Store, StoreError, StoredObject};

use crate::state::NodeContext;

/// `[directory]` settings.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct DirectorySettings {
    /// The Secretariat's team id, whose endorsements this node trusts.
    /// Unset: a team whose own node publishes it as the Secretariat.
    pub secretariat: Option<String>,
    /// Sectors the gap report checks in every member state.
    pub sectors: Vec<String>,
    /// The minimum-standards and trust-attribute checklist.
    pub checklist: Checklist,
    /// Days a generated `security.txt` stays valid (RFC 9116 `Expires`).
    pub security_txt_days: u32,
}

impl Default for DirectorySettings {
    fn default() -> Self {
        Self {
            secretariat: None,
            sectors: DEFAULT_SECTORS.iter().map(|s| (*s).to_owned()).collect(),
            checklist: Checklist::default(),
            security_txt_days: 180,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// The request cannot be carried out as asked; the message says why.
    #[error("{0}")]
    Refused(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Ingest(String),
}

type Result<T> = std::result::Result<T, DirectoryError>;

fn refused(m: impl Into<String>) -> DirectoryError {
    DirectoryError::Refused(m.into())
}

/// An entry as one reader sees it.
#[derive(Clone, Debug, Serialize)]
pub struct EntryView {
    pub entry: DirectoryEntry,
    /// The parts the reader holds: `public`, `network`, `restricted`.
    pub parts: Vec<&'static str>,
    /// `modified` of the newest part.
    pub version: String,
    /// The node that published (and signed) it.
    pub origin_node: Option<String>,
    pub endorsements: Vec<EndorsementView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct EndorsementView {
    pub subject: EndorsementSubject,
    pub by: String,
    pub endorsed_at: String,
    /// Signed by the trusted Secretariat and, for a designation, still
    /// matching the entry's designation.
    pub valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notified_on: Option<String>,
}

/// What the directory needs from the node.
pub struct Directory<'a> {
    pub store: &'a Store,
    pub ingest: &'a IngestContext,
    pub node: &'a NodeContext,
    pub settings: &'a DirectorySettings,
}

/// The parsed directory objects a reader may see.
struct Visible {
    parts: BTreeMap<String, Vec<(Visibility, DirectoryExtension, StoredObject)>>,
    endorsements: Vec<(DirectoryExtension, StoredObject)>,
}

impl<'a> Directory<'a> {
    /// The directory of a serving node.
    pub fn of(state: &'a crate::state::AppState) -> Self {
        Self {
            store: &state.store,
            ingest: &state.ingest,
            node: &state.node,
            settings: &state.directory,
        }
    }
}

/// The teams whose network-only or restricted fields `views` show: such
/// reads are audited, whatever the interface.
pub fn non_public_reads<'v>(views: impl IntoIterator<Item = &'v EntryView>) -> Vec<&'v str> {
    views
        .into_iter()
        .filter(|v| v.parts.iter().any(|p| *p != "public"))
        .map(|v| v.entry.team.as_str())
        .collect()
}

fn now() -> Timestamp {
    Timestamp::from_datetime(time::OffsetDateTime::now_utc())
}

impl Directory<'_> {
    async fn visible(&self, viewer: Option<&Viewer>, at: Option<Timestamp>) -> Result<Visible> {
        let community = self.store.community().await?;
        let types = ["identity", "note"];
        let objects = match at {
            None => self.store.directory_objects(&types).await?,
            Some(at) => self.store.directory_objects_as_of(&types, at).await?,
        };
        let mut parts: BTreeMap<String, Vec<_>> = BTreeMap::new();
        let mut endorsements = Vec::new();
        for o in objects {
            if viewer.is_some_and(|v| !may_view(v, &o.audience, &community)) {
                continue;
            }
            let Ok(value) = serde_json::from_str::<Value>(&o.raw) else {
                continue;
            };
            let Some(Ok(ext)) = DirectoryExtension::of(&value) else {
                continue;
            };
            if let Some(tier) = ext.visibility() {
                // Only the part with the id its team and tier give counts.
                if o.id.as_str() == tier_id(&ext.team, tier) {
                    parts
                        .entry(ext.team.clone())
                        .or_default()
                        .push((tier, ext, o));
                }
            } else if ext.tier == "endorsement" {
                endorsements.push((ext, o));
            }
        }
        Ok(Visible {
            parts,
            endorsements,
        })
    }

    /// Every entry `viewer` may read, with what it may read of each.
    /// `None` reads everything this node holds (its own operators' tools).
    pub async fn views(&self, viewer: Option<&Viewer>) -> Result<Vec<EntryView>> {
        self.views_as_of(viewer, None).await
    }

    /// As [`Directory::views`], as the entries stood at `at` (`None`: now).
    async fn views_as_of(
        &self,
        viewer: Option<&Viewer>,
        at: Option<Timestamp>,
    ) -> Result<Vec<EntryView>> {
        let visible = self.visible(viewer, at).await?;
        let trusted = self.trusted_secretariats(&visible);
        let mut out = Vec::new();
        for (team, parts) in &visible.parts {
            // Without the public part (the identity) there is no entry.
            if !parts.iter().any(|(t, _, _)| *t == Visibility::Public) {
                continue;
            }
            let Ok(entry) = DirectoryEntry::assemble(parts.iter().map(|(_, e, _)| &e.fields))
            else {
                continue;
            };
            let mut tiers: Vec<&'static str> = parts.iter().map(|(t, _, _)| t.as_str()).collect();
            tiers.sort_unstable();
            let version = parts
                .iter()
                .filter_map(|(_, _, o)| o.version)
                .max()
                .map(|v| v.to_micros_string())
                .unwrap_or_default();
            let origin_node = parts
                .iter()
                .find(|(t, _, _)| *t == Visibility::Public)
                .and_then(|(_, _, o)| o.audience.origin_node.as_ref().map(ToString::to_string));
            let endorsements = visible
                .endorsements
                .iter()
                .filter(|(ext, _)| &ext.team == team)
                .filter_map(|(ext, o)| endorsement_view(ext, o, &entry, &trusted))
                .collect();
            out.push(EntryView {
                entry,
                parts: tiers,
                version,
                origin_node,
                endorsements,
            });
        }
        out.sort_by(|a, b| {
            (a.entry.country.as_str(), a.entry.short_name.as_str())
                .cmp(&(b.entry.country.as_str(), b.entry.short_name.as_str()))
        });
        Ok(out)
    }

    pub async fn view(&self, viewer: Option<&Viewer>, team: &str) -> Result<EntryView> {
        self.views(viewer)
            .await?
            .into_iter()
            .find(|v| v.entry.team == team)
            .ok_or_else(|| DirectoryError::NotFound(format!("directory entry {team}")))
    }

    /// Teams whose endorsements count: the configured Secretariat, else
    /// those whose own node publishes them as the Secretariat.
    fn trusted_secretariats(&self, visible: &Visible) -> Vec<String> {
        if let Some(s) = &self.settings.secretariat {
            return vec![s.clone()];
        }
        visible
            .parts
            .iter()
            .filter_map(|(team, parts)| {
                parts.iter().find(|(t, ext, o)| {
                    *t == Visibility::Public
                        && ext.fields.get("kind").and_then(Value::as_str) == Some("secretariat")
                        && o.audience.origin_node.as_ref().map(TeamId::as_str) == Some(team)
                })?;
                Some(team.clone())
            })
            .collect()
    }

    /// The whole entry of a team this node hosts, as last published, or a
    /// first draft from the team record.
    pub async fn draft(&self, team: &TeamId) -> Result<DirectoryEntry> {
        let record = self
            .hosted(team)
            .await?
            .ok_or_else(|| refused(format!("{team} is not a team of this node")))?;
        // One read of the published parts gives the fields and, from the
        // tier each field sits in, the visibility overrides.
        let visible = self.visible(None, None).await?;
        let parts = visible.parts.get(team.as_str());
        if let Some(parts) = parts.filter(|p| p.iter().any(|(t, _, _)| *t == Visibility::Public)) {
            let mut entry = DirectoryEntry::assemble(parts.iter().map(|(_, e, _)| &e.fields))
                .map_err(|e| {
                    refused(format!(
                        "the published entry of {team} does not read back: {e}"
                    ))
                })?;
            entry.visibility = published_visibility(parts);
            return Ok(entry);
        }
        let kind = record.kind;
        let mut entry = DirectoryEntry {
            team: team.to_string(),
            node: self.node.team_id.to_string(),
            kind,
            short_name: record.name.chars().take(100).collect(),
            official_name: record.name.clone(),
            country: record.country.clone(),
            ..Default::default()
        };
        if team == &self.node.team_id {
            self.fill_node_fields(&mut entry);
        }
        Ok(entry)
    }

    fn fill_node_fields(&self, entry: &mut DirectoryEntry) {
        if entry.node_url.is_none() && !self.node.public_url.is_empty() {
            entry.node_url = Some(self.node.public_url.clone());
        }
        entry.node_key = Some(self.node.public_key.clone());
        entry.node_fingerprint = Some(self.node.key_fingerprint.clone());
    }

    /// Publishes `entry` for a team this node hosts: signed by this node,
    /// one object per visibility, delivered by federation.
    pub async fn publish(&self, mut entry: DirectoryEntry) -> Result<IngestReport> {
        let team = TeamId::parse(&entry.team).map_err(|e| refused(format!("team: {e}")))?;
        if !self.hosts(&team).await? {
            return Err(refused(format!(
                "{team} is not a team of this node; each node publishes only its own teams' entries"
            )));
        }
        entry.node = self.node.team_id.to_string();
        if team == self.node.team_id {
            self.fill_node_fields(&mut entry);
        }
        entry.validate().map_err(|e| refused(e.to_string()))?;
        let restricted_to = if entry.restricted_to.is_empty() {
            self.default_restricted_readers().await?
        } else {
            entry.restricted_to.clone()
        };
        let created = self.created_times(&entry.team).await?;
        let objects = entry_objects(
            &entry,
            &|id| created.get(id).copied(),
            now(),
            &restricted_to,
        )
        .map_err(|e| refused(e.to_string()))?;
        self.ingest_objects(&team, objects).await
    }

    /// Whether `team` is this node's team or one it hosts (not a team of
    /// another node that federation made known here).
    pub async fn hosts(&self, team: &TeamId) -> Result<bool> {
        Ok(self.hosted(team).await?.is_some())
    }

    /// The record of a team this node hosts.
    async fn hosted(&self, team: &TeamId) -> Result<Option<vigia_store::TeamRecord>> {
        let teams = self.store.list_teams().await?;
        let Some(record) = teams.into_iter().find(|t| &t.id == team) else {
            return Ok(None);
        };
        if team == &self.node.team_id {
            return Ok(Some(record));
        }
        let peers = self.store.peer_links().await?;
        let peer = peers.iter().any(|p| &p.team_id == team);
        let node = self.store.node_keys().await?.contains_key(team.as_str());
        Ok((!peer && !node).then_some(record))
    }

    /// Restricted fields go, by default, to the teams of this node's peers
    /// and to the Secretariat.
    async fn default_restricted_readers(&self) -> Result<Vec<String>> {
        let mut teams: Vec<String> = self
            .store
            .peer_links()
            .await?
            .into_iter()
            .map(|p| p.team_id.to_string())
            .collect();
        if let Some(s) = &self.settings.secretariat {
            teams.push(s.clone());
        }
        teams.retain(|t| t != self.node.team_id.as_str());
        teams.sort();
        teams.dedup();
        Ok(teams)
    }

    async fn created_times(&self, team: &str) -> Result<BTreeMap<String, Timestamp>> {
        let mut out = BTreeMap::new();
        for tier in Visibility::ALL {
            let id = tier_id(team, tier);
            if let Some(created) = self.created_of(&id).await? {
                out.insert(id, created);
            }
        }
        Ok(out)
    }

    async fn created_of(&self, id: &str) -> Result<Option<Timestamp>> {
        Ok(self
            .store
            .latest_object(id)
            .await?
            .and_then(|o| serde_json::from_str::<Value>(&o.raw).ok())
            .and_then(|v| v.get("created").and_then(Value::as_str).map(str::to_owned))
            .and_then(|c| Timestamp::parse(&c).ok()))
    }

    async fn ingest_objects(
        &self,
        originator: &TeamId,
        objects: Vec<Value>,
    ) -> Result<IngestReport> {
        let bundle = json!({
            "type": "bundle",
            "id": format!("bundle--{}", uuid::Uuid::new_v4()),
            "objects": objects,
        });
        let report = ingest(self.store, self.ingest, originator, bundle.to_string())
            .await
            .map_err(|e| DirectoryError::Ingest(e.to_string()))?;
        if let Some(f) = report.failures.first() {
            return Err(DirectoryError::Ingest(format!(
                "{} refused at {}: {}",
                f.id.as_deref().unwrap_or("object"),
                f.path,
                f.reason
            )));
        }
        Ok(report)
    }

    async fn require_secretariat(&self) -> Result<()> {
        let here = self
            .store
            .list_teams()
            .await?
            .into_iter()
            .find(|t| t.id == self.node.team_id)
            .ok_or_else(|| refused("this node's team record is missing"))?;
        if here.kind != TeamKind::Secretariat {
            return Err(refused(
                "only the Secretariat's node endorses designations and activates members",
            ));
        }
        Ok(())
    }

    /// The Secretariat endorses a team's designation as it stands.
    pub async fn endorse_designation(&self, team: &str) -> Result<IngestReport> {
        self.require_secretariat().await?;
        let view = self.view(None, team).await?;
        let designation =
            view.entry.designation.clone().ok_or_else(|| {
                refused(format!("{team} has no designation in its entry to endorse"))
            })?;
        let endorsement = Endorsement {
            subject: EndorsementSubject::Designation,
            country: view.entry.country.clone(),
            designation: Some(designation),
            notified_on: None,
            notification: None,
            endorsed_at: today(),
        };
        self.publish_endorsement(team, &endorsement).await
    }

    async fn publish_endorsement(&self, team: &str, e: &Endorsement) -> Result<IngestReport> {
        let what = match e.subject {
            EndorsementSubject::Designation => "endorsement/designation",
            EndorsementSubject::Membership => "endorsement/membership",
        };
        let id = vigia_directory::stix::derived_id("note", team, what);
        let created = self.created_of(&id).await?;
        let object = endorsement_object(self.node.team_id.as_str(), team, e, created, now());
        self.ingest_objects(&self.node.team_id, vec![object]).await
    }

    /// Records that a member state notified the Secretariat (onboarding).
    pub async fn record_notification(&self, iso2: &str, on: &str, text: &str) -> Result<()> {
        self.require_secretariat().await?;
        if parse_date(on).is_none() {
            return Err(refused(format!(
                "notified_on {on:?} is not a date (YYYY-MM-DD)"
            )));
        }
        if text.trim().is_empty() || text.len() > 2_000 {
            return Err(refused("notification: describe it in 1 to 2000 characters"));
        }
        if !self
            .store
            .record_notification(iso2, on, text.trim(), now().unix_micros())
            .await?
        {
            return Err(DirectoryError::NotFound(format!("member state {iso2}")));
        }
        Ok(())
    }

    /// Activates a notified member: the register says so and the
    /// Secretariat publishes a signed membership endorsement of its team.
    pub async fn activate(&self, iso2: &str, team: &str) -> Result<IngestReport> {
        self.require_secretariat().await?;
        let view = self.view(None, team).await?;
        if view.entry.country != iso2 {
            return Err(refused(format!(
                "{team} is a team of {}, not of {iso2}",
                view.entry.country
            )));
        }
        let states = self.store.member_states().await?;
        let state = states
            .iter()
            .find(|s| s.state.iso2 == iso2)
            .ok_or_else(|| DirectoryError::NotFound(format!("member state {iso2}")))?;
        let (Some(on), Some(text)) = (&state.notified_on, &state.notification) else {
            return Err(refused(format!(
                "{iso2} has not notified the Secretariat yet: record its notification first"
            )));
        };
        let day = today();
        self.store
            .activate_member(iso2, &day, now().unix_micros())
            .await?;
        let endorsement = Endorsement {
            subject: EndorsementSubject::Membership,
            country: iso2.to_owned(),
            designation: view.entry.designation.clone(),
            notified_on: Some(on.clone()),
            notification: Some(text.clone()),
            endorsed_at: day,
        };
        self.publish_endorsement(team, &endorsement).await
    }

    /// The gap report over the register and the entries `viewer` reads.
    pub async fn coverage(&self, viewer: Option<&Viewer>) -> Result<CoverageReport> {
        self.coverage_as_of(viewer, None).await
    }

    /// The coverage as the directory stood at `at` (`None`: now), from the
    /// entries' version history.
    pub async fn coverage_as_of(
        &self,
        viewer: Option<&Viewer>,
        at: Option<Timestamp>,
    ) -> Result<CoverageReport> {
        let states: Vec<_> = self
            .store
            .member_states()
            .await?
            .into_iter()
            .map(|s| s.state)
            .collect();
        if states.is_empty() {
            return Err(refused(
                "the member-state register is empty: load it with `vigia member-states import FILE` or PUT /api/member-states",
            ));
        }
        let entries: Vec<DirectoryEntry> = self
            .views_as_of(viewer, at)
            .await?
            .into_iter()
            .map(|v| v.entry)
            .collect();
        Ok(coverage(&states, &entries, &self.settings.sectors))
    }

    /// Each team's minimum-standards score, or one team's.
    pub async fn scores(&self, viewer: Option<&Viewer>, team: Option<&str>) -> Result<Vec<Score>> {
        let today = time::OffsetDateTime::now_utc().date();
        let views = self.views(viewer).await?;
        let scores: Vec<Score> = views
            .iter()
            .filter(|v| team.is_none_or(|t| v.entry.team == t))
            .filter(|v| v.entry.kind != TeamKind::Secretariat)
            .map(|v| score(&v.entry, &self.settings.checklist, today))
            .collect();
        if let (Some(t), true) = (team, scores.is_empty()) {
            return Err(DirectoryError::NotFound(format!("directory entry {t}")));
        }
        Ok(scores)
    }

    /// The directory as FIRST global-irt JSON, or one team as RFC 2350 or
    /// RFC 9116 text, with what `viewer` may read.
    pub async fn export(
        &self,
        viewer: Option<&Viewer>,
        format: &str,
        team: Option<&str>,
    ) -> Result<String> {
        let views = self.views(viewer).await?;
        let pick = |t: &str| {
            views
                .iter()
                .find(|v| v.entry.team == t || v.entry.short_name.eq_ignore_ascii_case(t))
                .ok_or_else(|| DirectoryError::NotFound(format!("directory entry {t}")))
        };
        let one = || pick(team.unwrap_or(self.node.team_id.as_str()));
        let stamp = now().to_millis_string();
        match format {
            "global-irt" => {
                let entries: Vec<DirectoryEntry> = match team {
                    Some(t) => vec![pick(t)?.entry.clone()],
                    None => views.iter().map(|v| v.entry.clone()).collect(),
                };
                let value = vigia_directory::export::global_irt(&entries, &stamp);
                Ok(serde_json::to_string_pretty(&value).unwrap_or_default())
            }
            "rfc2350" => Ok(vigia_directory::export::rfc2350(
                &one()?.entry,
                &stamp[..10],
            )),
            "security-txt" => {
                let v = one()?;
                let expires = time::OffsetDateTime::now_utc()
                    + time::Duration::days(i64::from(self.settings.security_txt_days));
                let expires = Timestamp::from_datetime(expires).to_millis_string();
                let canonical = (self.node.public_url.starts_with("https://")
                    && v.entry.team == self.node.team_id.as_str())
                .then(|| {
                    format!(
                        "{}/.well-known/security.txt",
                        self.node.public_url.trim_end_matches('/')
                    )
                });
                vigia_directory::export::security_txt(&v.entry, &expires, canonical.as_deref())
                    .map_err(|e| refused(e.to_string()))
            }
            other => Err(refused(format!(
                "format {other:?}: use global-irt, rfc2350 or security-txt"
            ))),
        }
    }
}

fn today() -> String {
    now().to_millis_string()[..10].to_owned()
}

/// The visibility overrides that published parts imply: a field in
/// another tier than its default was moved there.
fn published_visibility(
    parts: &[(Visibility, DirectoryExtension, StoredObject)],
) -> BTreeMap<String, Visibility> {
    let mut out = BTreeMap::new();
    for (tier, ext, _) in parts {
        for field in ext.fields.keys() {
            if vigia_directory::entry::default_visibility(field) != *tier
                && !vigia_directory::entry::ALWAYS_PUBLIC.contains(&field.as_str())
            {
                out.insert(field.clone(), *tier);
            }
        }
    }
    out
}

fn endorsement_view(
    ext: &DirectoryExtension,
    object: &StoredObject,
    entry: &DirectoryEntry,
    trusted: &[String],
) -> Option<EndorsementView> {
    let e: Endorsement = serde_json::from_value(Value::Object(ext.fields.clone())).ok()?;
    let by = object
        .audience
        .origin_node
        .as_ref()
        .map(ToString::to_string)?;
    let mut reason = None;
    if !trusted.contains(&by) {
        reason = Some("not signed by the Secretariat this node trusts".to_owned());
    } else if e.subject == EndorsementSubject::Designation && e.designation != entry.designation {
        reason = Some("the designation changed after it was endorsed".to_owned());
    }
    Some(EndorsementView {
        subject: e.subject,
        by,
        endorsed_at: e.endorsed_at,
        valid: reason.is_none(),
        reason,
        notified_on: e.notified_on,
    })
}

/// One recipient's progress in a campaign.
#[derive(Clone, Debug, Serialize)]
pub struct RecipientStatus {
    pub team: String,
    pub name: Option<String>,
    pub responded: bool,
    pub revisions: usize,
    pub confirmed: bool,
    pub reminders: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct CampaignStatus {
    pub campaign: CampaignRecord,
    pub recipients: Vec<RecipientStatus>,
    pub responded: usize,
    pub confirmed: usize,
    /// Share of recipients that answered, 0 to 100.
    pub completion: u32,
}

/// A census request as a recipient sees it.
#[derive(Clone, Debug, Serialize)]
pub struct InboxItem {
    pub campaign: String,
    pub title: String,
    pub from: String,
    pub deadline: Option<String>,
    pub reminder: u32,
    pub questionnaire_version: u32,
    pub revision: u32,
    pub confirmed: bool,
}

impl Directory<'_> {
    async fn ensure_questionnaire(&self, q: &Questionnaire) -> Result<()> {
        q.validate().map_err(|e| refused(e.to_string()))?;
        let body = serde_json::to_string(q).unwrap_or_default();
        self.store
            .put_questionnaire(i64::from(q.version), &body, now().unix_micros())
            .await
            .map_err(|e| match e {
                StoreError::Conflict { what } => refused(format!("{what} already exists")),
                other => DirectoryError::Store(other),
            })
    }

    /// Questionnaire versions this node holds (the default always).
    pub async fn questionnaires(&self) -> Result<Vec<Questionnaire>> {
        self.ensure_questionnaire(&Questionnaire::default()).await?;
        Ok(self
            .store
            .questionnaires()
            .await?
            .into_iter()
            .filter_map(|(_, body)| serde_json::from_str(&body).ok())
            .collect())
    }

    pub async fn add_questionnaire(&self, q: &Questionnaire) -> Result<()> {
        self.ensure_questionnaire(q).await
    }

    /// Opens a campaign and sends the request to `recipients`.
    pub async fn create_campaign(
        &self,
        title: &str,
        recipients: &[String],
        deadline: Option<&str>,
        version: Option<u32>,
        by: &str,
    ) -> Result<CampaignRecord> {
        let title = title.trim();
        if title.is_empty() || title.len() > 300 {
            return Err(refused("title: 1 to 300 characters"));
        }
        if recipients.is_empty() {
            return Err(refused("name at least one recipient team"));
        }
        for r in recipients {
            TeamId::parse(r).map_err(|e| refused(format!("recipient {r:?}: {e}")))?;
        }
        if let Some(d) = deadline {
            parse_date(d)
                .ok_or_else(|| refused(format!("deadline {d:?} is not a date (YYYY-MM-DD)")))?;
        }
        let all = self.questionnaires().await?;
        let questionnaire = match version {
            Some(v) => all
                .into_iter()
                .find(|q| q.version == v)
                .ok_or_else(|| DirectoryError::NotFound(format!("questionnaire version {v}")))?,
            None => all
                .into_iter()
                .max_by_key(|q| q.version)
                .unwrap_or_default(),
        };
        let mut recipients = recipients.to_vec();
        recipients.sort();
        recipients.dedup();
        let campaign = CampaignRecord {
            id: format!("census-{}", uuid::Uuid::new_v4()),
            title: title.to_owned(),
            questionnaire: i64::from(questionnaire.version),
            recipients: recipients.clone(),
            reminders: BTreeMap::new(),
            deadline: deadline.map(str::to_owned),
            created_by: by.to_owned(),
            created_at: now().unix_micros(),
            closed_at: None,
        };
        let request = CensusRequest {
            campaign: campaign.id.clone(),
            title: campaign.title.clone(),
            questionnaire,
            deadline: campaign.deadline.clone(),
            reminder: 0,
        };
        self.store.create_campaign(&campaign).await?;
        let here = self.node.team_id.as_str();
        let object = request_object(here, here, &recipients, &request, None, now());
        self.ingest_objects(&self.node.team_id, vec![object])
            .await?;
        Ok(campaign)
    }

    async fn response_versions(&self, campaign: &str, team: &str) -> Result<Vec<CensusResponse>> {
        let id = vigia_stix::StixId::parse(&response_id(campaign, team))
            .map_err(|e| refused(e.to_string()))?;
        let mut out = Vec::new();
        for o in self.store.object_versions(&id).await? {
            let Some(Ok(ext)) = serde_json::from_str::<Value>(&o.raw)
                .ok()
                .and_then(|v| DirectoryExtension::of(&v))
            else {
                continue;
            };
            // Only the team's own node answers for it.
            let origin = o.audience.origin_node.as_ref().map(TeamId::as_str);
            if ext.team != team || origin != Some(ext.node.as_str()) {
                continue;
            }
            if let Ok(r) = serde_json::from_value(Value::Object(ext.fields)) {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Who answered, who confirmed, and who was reminded.
    pub async fn campaign_status(&self, id: &str) -> Result<CampaignStatus> {
        let campaign = self
            .store
            .campaign(id)
            .await?
            .ok_or_else(|| DirectoryError::NotFound(format!("census campaign {id}")))?;
        let teams = self.views(None).await?;
        let mut recipients = Vec::new();
        for team in &campaign.recipients {
            let versions = self.response_versions(id, team).await?;
            recipients.push(RecipientStatus {
                team: team.clone(),
                name: teams
                    .iter()
                    .find(|v| &v.entry.team == team)
                    .map(|v| v.entry.short_name.clone()),
                responded: !versions.is_empty(),
                revisions: versions.len(),
                confirmed: versions.iter().any(|r| r.confirmed),
                reminders: campaign.reminders.get(team).copied().unwrap_or(0),
            });
        }
        let responded = recipients.iter().filter(|r| r.responded).count();
        let confirmed = recipients.iter().filter(|r| r.confirmed).count();
        let completion = (responded * 100 / recipients.len().max(1)) as u32;
        Ok(CampaignStatus {
            campaign,
            recipients,
            responded,
            confirmed,
            completion,
        })
    }

    /// Sends a reminder (a new version of the request) to the teams that
    /// have not answered; returns them.
    pub async fn remind(&self, id: &str) -> Result<Vec<String>> {
        let status = self.campaign_status(id).await?;
        if status.campaign.closed_at.is_some() {
            return Err(refused(format!("census campaign {id} is closed")));
        }
        let pending: Vec<String> = status
            .recipients
            .iter()
            .filter(|r| !r.responded)
            .map(|r| r.team.clone())
            .collect();
        if pending.is_empty() {
            return Ok(pending);
        }
        let request = self.request(id).await?.0;
        let reminder = status
            .recipients
            .iter()
            .map(|r| r.reminders)
            .max()
            .unwrap_or(0)
            + 1;
        let request = CensusRequest {
            reminder,
            ..request
        };
        let here = self.node.team_id.as_str();
        let created = self.created_of(&request_id(id)).await?;
        let object = request_object(here, here, &pending, &request, created, now());
        self.ingest_objects(&self.node.team_id, vec![object])
            .await?;
        self.store.record_reminders(id, &pending).await?;
        Ok(pending)
    }

    /// The latest request of a campaign and the team that sent it.
    async fn request(&self, campaign: &str) -> Result<(CensusRequest, String)> {
        let object = self
            .store
            .latest_object(&request_id(campaign))
            .await?
            .ok_or_else(|| DirectoryError::NotFound(format!("census campaign {campaign}")))?;
        let value: Value =
            serde_json::from_str(&object.raw).map_err(|e| DirectoryError::Ingest(e.to_string()))?;
        let ext = DirectoryExtension::of(&value)
            .and_then(|r| r.ok())
            .filter(|e| e.tier == "census-request")
            .ok_or_else(|| DirectoryError::NotFound(format!("census campaign {campaign}")))?;
        let request: CensusRequest = serde_json::from_value(Value::Object(ext.fields))
            .map_err(|e| refused(format!("census request {campaign} is malformed: {e}")))?;
        Ok((request, ext.team))
    }

    /// Census requests addressed to `team`, with its answers' state.
    pub async fn inbox(&self, team: &TeamId) -> Result<Vec<InboxItem>> {
        let community: Community = self.store.community().await?;
        let viewer = Viewer::Member {
            team: team.clone(),
            role: vigia_policy::Role::Admin,
            user: None,
        };
        let mut out = Vec::new();
        for o in self.store.directory_objects(&["note"]).await? {
            if !may_view(&viewer, &o.audience, &community) {
                continue;
            }
            let Ok(value) = serde_json::from_str::<Value>(&o.raw) else {
                continue;
            };
            let Some(Ok(ext)) = DirectoryExtension::of(&value) else {
                continue;
            };
            if ext.tier != "census-request" {
                continue;
            }
            let Ok(request) = serde_json::from_value::<CensusRequest>(Value::Object(ext.fields))
            else {
                continue;
            };
            let answers = self
                .response_versions(&request.campaign, team.as_str())
                .await?;
            out.push(InboxItem {
                campaign: request.campaign,
                title: request.title,
                from: ext.team,
                deadline: request.deadline,
                reminder: request.reminder,
                questionnaire_version: request.questionnaire.version,
                revision: answers.last().map_or(0, |r| r.revision),
                confirmed: answers.iter().any(|r| r.confirmed),
            });
        }
        Ok(out)
    }

    /// The questionnaire a campaign asks.
    pub async fn questionnaire(&self, campaign: &str) -> Result<Questionnaire> {
        Ok(self.request(campaign).await?.0.questionnaire)
    }

    /// The questionnaire of a campaign, prefilled from `team`'s entry.
    pub async fn form(
        &self,
        campaign: &str,
        team: &TeamId,
    ) -> Result<(Questionnaire, Map<String, Value>)> {
        let (request, _) = self.request(campaign).await?;
        let mut answers = match self.response_versions(campaign, team.as_str()).await?.pop() {
            Some(r) => r.answers,
            None => Map::new(),
        };
        if answers.is_empty() {
            answers = request.questionnaire.prefill(&self.draft(team).await?);
        }
        Ok((request.questionnaire, answers))
    }

    /// `team` answers (or revises its answers); the response goes, signed,
    /// to the team that asked. The directory is not changed yet.
    pub async fn respond(
        &self,
        campaign: &str,
        team: &TeamId,
        answers: Map<String, Value>,
        by: &str,
    ) -> Result<(CensusResponse, Vec<Change>)> {
        let (request, requester) = self.request(campaign).await?;
        let entry = self.draft(team).await?;
        let (_, changes) = apply_answers(&entry, &request.questionnaire, &answers)
            .map_err(|e| refused(e.to_string()))?;
        let previous = self.response_versions(campaign, team.as_str()).await?;
        let response = CensusResponse {
            campaign: campaign.to_owned(),
            questionnaire_version: request.questionnaire.version,
            answers,
            revision: previous.last().map_or(1, |r| r.revision + 1),
            confirmed: false,
            submitted_by: by.to_owned(),
        };
        self.send_response(team, &requester, &response).await?;
        Ok((response, changes))
    }

    async fn send_response(
        &self,
        team: &TeamId,
        requester: &str,
        r: &CensusResponse,
    ) -> Result<()> {
        let id = response_id(&r.campaign, team.as_str());
        let created = self.created_of(&id).await?;
        let object = response_object(
            team.as_str(),
            self.node.team_id.as_str(),
            requester,
            r,
            created,
            now(),
        );
        self.ingest_objects(team, vec![object]).await?;
        Ok(())
    }

    /// `team` confirms its latest answers: its directory entry is updated
    /// from them and republished, and the response is marked confirmed.
    pub async fn confirm(&self, campaign: &str, team: &TeamId, by: &str) -> Result<Vec<Change>> {
        let (request, requester) = self.request(campaign).await?;
        let latest = self
            .response_versions(campaign, team.as_str())
            .await?
            .pop()
            .ok_or_else(|| refused(format!("{team} has not answered census {campaign} yet")))?;
        let entry = self.draft(team).await?;
        let (updated, changes) = apply_answers(&entry, &request.questionnaire, &latest.answers)
            .map_err(|e| refused(e.to_string()))?;
        if !changes.is_empty() {
            self.publish(updated).await?;
        }
        let confirmed = CensusResponse {
            revision: latest.revision + 1,
            confirmed: true,
            submitted_by: by.to_owned(),
            ..latest
        };
        self.send_response(team, &requester, &confirmed).await?;
        Ok(changes)
    }
}

/// Which of a state's designations is the national contact, for readers
/// that only need the name.
pub fn designation_label(kind: Option<DesignationKind>) -> &'static str {
    match kind {
        Some(DesignationKind::NationalCsirt) => "national CSIRT",
        Some(DesignationKind::NationalPoc) => "national point of contact",
        None => "not designated",
    }
}
