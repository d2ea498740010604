//! The one ingest path every interface uses: split, validate, address,
//! store. Good objects are stored, bad ones reported; none is half-stored.
//!
//! Two doors lead in:
//! - [`ingest`]: objects a team of this node submits. On a federating node,
//!   an object that carries a distribution is *published*: sealed with the
//!   node key and queued, in the same transaction, for every peer the rules
//!   and the outbound policy entitle.
//! - [`ingest_from_peer`]: objects a peer node delivers. Each must carry a
//!   seal that verifies with the key trusted for its origin node, and the
//!   rules must let this node receive it from that peer; GREEN and CLEAR
//!   ones are then queued for relay to the peers entitled to them, but for
//!   the nodes the sender named as already on the object's way
//!   (`vigia_taxii::relay`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use vigia_directory::stix::check_authority;
use vigia_directory::{DirectoryExtension, DIRECTORY_EXTENSION_ID};
use vigia_policy::{
    collection_keys, covered_after, may_deliver, may_receive, object_keys, Audience, Community,
    GroupName, OutboundPolicy, TeamId,
};
use vigia_sign::{NodeKey, PublicKey};
use vigia_stix::{
    seal, split_objects, verify_seal_with, GroupDefinition, KeyCache, SchemaSet, Seal, StixObject,
    Tlp, DISTRIBUTION_EXTENSION_ID, SEAL_EXTENSION_ID,
};

use crate::db::Store;
use crate::error::StoreError;
use crate::objects::{InsertOutcome, NewObject};

/// Objects stored per transaction.
const BATCH: usize = 1000;

/// The setting under which the run-time outbound policy is kept.
pub const OUTBOUND_POLICY_SETTING: &str = "outbound_policy";

#[derive(Debug, Default, Serialize)]
pub struct IngestReport {
    pub stored: Vec<Ingested>,
    pub duplicates: Vec<Ingested>,
    pub failures: Vec<Failure>,
}

#[derive(Debug, Serialize)]
pub struct Ingested {
    pub id: String,
    pub version: Option<String>,
    pub date_added: String,
    /// Peers the new version was queued for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub queued_for: Vec<String>,
}

/// One refused object: which, where in it, and why.
#[derive(Debug, Serialize)]
pub struct Failure {
    /// Position in the bundle, from 0.
    pub index: usize,
    pub id: Option<String>,
    pub path: String,
    pub reason: String,
}

struct Accepted {
    object: StixObject,
    audience: Audience,
    keys: Vec<String>,
    deliver_to: Vec<String>,
    /// Announced with it to `deliver_to` (JSON array of team ids).
    covered: Option<String>,
}

/// Why a whole submission was refused before any object was looked at.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{0}")]
    Envelope(#[from] vigia_stix::BundleError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("validation worker failed: {0}")]
    Worker(String),
    #[error("{0}")]
    RelayHint(String),
}

/// Chooses the collections an object belongs to.
pub type CollectionRouter = Arc<dyn Fn(&StixObject) -> Vec<String> + Send + Sync>;

/// Where objects come from and where they go.
#[derive(Clone)]
pub struct IngestContext {
    pub schemas: Arc<SchemaSet>,
    /// The TLP given to objects that carry none.
    pub default_tlp: Tlp,
    pub router: CollectionRouter,
    /// Present on a node that federates.
    pub federation: Option<FederationContext>,
}

impl IngestContext {
    /// The operator's configured outbound policy (none on a node that does
    /// not federate, which sends nothing anyway).
    pub fn configured_outbound(&self) -> OutboundPolicy {
        self.federation
            .as_ref()
            .map(|f| f.configured_outbound.clone())
            .unwrap_or_default()
    }
}

/// What a federating node needs to seal and address objects.
#[derive(Clone)]
pub struct FederationContext {
    /// The national team that operates this node.
    pub here: TeamId,
    pub node_key: Arc<NodeKey>,
    /// The operator's configured outbound policy; the run-time one (API)
    /// applies on top, and neither can loosen the other.
    pub configured_outbound: OutboundPolicy,
}

/// The facts addressing needs, read once per submission.
struct Plan {
    here: TeamId,
    node_key: Arc<NodeKey>,
    peers: Vec<TeamId>,
    community: Community,
    outbound: OutboundPolicy,
    /// Local groups: name → (owner, members); foreign: name → definition.
    local_groups: BTreeMap<GroupName, (TeamId, Vec<TeamId>)>,
    foreign_groups: BTreeMap<String, GroupDefinition>,
    /// Trusted node keys: team → base64 key.
    node_keys: BTreeMap<String, String>,
    /// Origin node of the stored versions of the directory objects in
    /// this submission.
    directory_origins: BTreeMap<String, String>,
    /// Whether the submission holds any directory object at all.
    has_directory: bool,
}

impl Plan {
    async fn load(store: &Store, fed: &FederationContext) -> Result<Self, StoreError> {
        let snapshot = store
            .federation_snapshot(Some(OUTBOUND_POLICY_SETTING))
            .await?;
        let mut local_groups = BTreeMap::new();
        for (name, owner, members) in snapshot.groups {
            if !snapshot.foreign_groups.contains_key(name.as_str()) {
                local_groups.insert(name, (owner, members));
            }
        }
        let foreign_groups = snapshot
            .foreign_groups
            .into_iter()
            .filter_map(|(name, def)| Some((name, serde_json::from_str(&def).ok()?)))
            .collect();
        Ok(Self {
            here: fed.here.clone(),
            node_key: fed.node_key.clone(),
            peers: snapshot.peers,
            community: snapshot.community,
            outbound: outbound_with(&fed.configured_outbound, snapshot.setting.as_deref())?,
            local_groups,
            foreign_groups,
            node_keys: snapshot.node_keys,
            directory_origins: BTreeMap::new(),
            has_directory: false,
        })
    }

    /// Loads who published the stored versions of the directory objects
    /// among `raws`; most submissions have none and cost nothing here.
    async fn with_directory<'r>(
        mut self,
        store: &Store,
        raws: impl Iterator<Item = &'r str>,
    ) -> Result<Self, StoreError> {
        let ids: Vec<String> = raws
            .filter(|r| r.contains(DIRECTORY_EXTENSION_ID))
            .filter_map(|r| serde_json::from_str::<IdAndVersion>(r).ok().map(|x| x.id))
            .collect();
        if !ids.is_empty() {
            self.directory_origins = store.origin_nodes(&ids).await?;
            self.has_directory = true;
        }
        Ok(self)
    }

    /// Only the node that hosts a team publishes its directory entry, and
    /// only the node that published a directory object changes it.
    fn directory_authority(&self, object: &StixObject, origin: &TeamId) -> Result<(), String> {
        if !self.has_directory || !object.raw().contains(DIRECTORY_EXTENSION_ID) {
            return Ok(());
        }
        let value: Value = serde_json::from_str(object.raw()).map_err(|e| e.to_string())?;
        let first = self.directory_origins.get(object.id().as_str());
        check_authority(&value, origin.as_str(), first.map(String::as_str))?;
        if let Some(Ok(ext)) = DirectoryExtension::of(&value) {
            let entry_part = ext.visibility().is_some();
            if entry_part && ext.team != origin.as_str() && self.node_keys.contains_key(&ext.team) {
                return Err(format!(
                    "{} is the team of another node; only that node publishes its entry",
                    ext.team
                ));
            }
        }
        Ok(())
    }

    /// Peers other than `except` this node may send the object to.
    fn deliveries(
        &self,
        object: &StixObject,
        audience: &Audience,
        except: Option<&TeamId>,
        covered: &BTreeSet<TeamId>,
    ) -> Vec<TeamId> {
        self.peers
            .iter()
            .filter(|p| Some(*p) != except && !covered.contains(*p))
            .filter(|p| {
                may_deliver(
                    &self.here,
                    p,
                    object.object_type(),
                    audience,
                    &self.community,
                    &self.outbound,
                )
            })
            .cloned()
            .collect()
    }

    /// Signed definitions of the groups an audience names.
    fn group_definitions(&self, audience: &Audience) -> Result<Vec<GroupDefinition>, String> {
        audience
            .sharing_groups
            .iter()
            .map(|g| {
                if let Some(def) = self.foreign_groups.get(g.as_str()) {
                    return Ok(def.clone());
                }
                let (owner, members) = self
                    .local_groups
                    .get(g)
                    .ok_or_else(|| format!("sharing group '{g}' is not defined on this node (groups of other nodes become known with the first object that uses them)"))?;
                Ok(GroupDefinition::signed(
                    g.as_str(),
                    owner.as_str(),
                    members.iter().map(|m| m.as_str().to_owned()).collect(),
                    &self.node_key,
                ))
            })
            .collect()
    }
}

/// The outbound policy in force: configuration and run-time setting together.
pub async fn effective_outbound(
    store: &Store,
    configured: &OutboundPolicy,
) -> Result<OutboundPolicy, StoreError> {
    outbound_with(
        configured,
        store.setting(OUTBOUND_POLICY_SETTING).await?.as_deref(),
    )
}

/// The configured outbound policy narrowed by the stored one (the text of
/// the [`OUTBOUND_POLICY_SETTING`], if any).
pub fn outbound_with(
    configured: &OutboundPolicy,
    stored: Option<&str>,
) -> Result<OutboundPolicy, StoreError> {
    let stored = match stored {
        Some(text) => serde_json::from_str::<OutboundPolicy>(text)
            .map_err(|e| crate::sql::corrupt("outbound policy setting", e))?,
        None => OutboundPolicy::default(),
    };
    Ok(configured.and(&stored))
}

/// Validates and stores every object in `body` (a bundle or one object)
/// as submitted by `originator`, a team of this node.
pub async fn ingest(
    store: &Store,
    ctx: &IngestContext,
    originator: &TeamId,
    body: String,
) -> Result<IngestReport, IngestError> {
    let plan = match &ctx.federation {
        Some(fed) => {
            let plan = Plan::load(store, fed).await?;
            let raws = if body.contains(DIRECTORY_EXTENSION_ID) {
                split_objects(&body).unwrap_or_default()
            } else {
                Vec::new()
            };
            Some(plan.with_directory(store, raws.into_iter()).await?)
        }
        None => None,
    };
    let originator = originator.clone();
    let ctx_owned = ctx.clone();
    let small = body.len() <= INLINE_BYTES;
    let (accepted, failures) = off_the_workers(small, move || {
        validate_all(&body, |index, raw| {
            accept_local(index, raw, &ctx_owned, &originator, plan.as_ref())
        })
    })
    .await??;
    store_accepted(store, accepted, failures).await
}

/// Submissions up to this size are validated on the async worker that
/// received them: a handoff to a blocking thread costs more than the work.
const INLINE_BYTES: usize = 64 * 1024;

/// Runs CPU work inline when it is small, else on a blocking thread so the
/// async workers keep serving.
async fn off_the_workers<T: Send + 'static>(
    small: bool,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, IngestError> {
    if small {
        Ok(work())
    } else {
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| IngestError::Worker(e.to_string()))
    }
}

/// What a peer delivery brought that this node must remember besides the
/// objects: newly trusted node keys and group definitions.
#[derive(Default)]
struct Learned {
    keys: BTreeMap<String, String>,
    groups: Vec<GroupDefinition>,
}

/// Verifies, checks and stores objects that the peer of team `from`
/// delivered. Refusals come back as failures, for the caller to audit.
pub async fn ingest_from_peer(
    store: &Store,
    ctx: &IngestContext,
    from: &TeamId,
    body: String,
) -> Result<IngestReport, IngestError> {
    let checked = check_from_peer(store, ctx, from, body).await?;
    store_checked(store, checked).await
}

/// A peer's delivery checked and ready to store: [`ingest_from_peer`] in
/// two steps, so that a pull can check one page while it stores the last.
pub struct CheckedDelivery {
    accepted: Vec<(usize, Accepted)>,
    failures: Vec<Failure>,
    learned: Learned,
    repeats: Vec<Ingested>,
}

/// The first step of [`ingest_from_peer`]: repeats answered from the
/// index, every new object verified and its audience and relays decided.
/// Stores nothing but the "held by the peer" marks of repeats.
pub async fn check_from_peer(
    store: &Store,
    ctx: &IngestContext,
    from: &TeamId,
    body: String,
) -> Result<CheckedDelivery, IngestError> {
    let Some(fed) = &ctx.federation else {
        return Err(IngestError::Worker(
            "this node does not federate".to_owned(),
        ));
    };
    // Peers deliver the same object along several paths: answer repeats
    // from the index, before any validation.
    let (fresh, repeats) = split_repeats(store, &body).await?;
    let covered = covered_in(&body, fresh.len() + repeats.len())?;
    // The sender holds what it sent: nothing queued for it needs to go.
    if !repeats.is_empty() {
        let held: Vec<vigia_stix::Timestamp> = repeats
            .iter()
            .filter_map(|r| vigia_stix::Timestamp::parse(&r.date_added).ok())
            .collect();
        store.held_by_peer(from, &held).await?;
    }
    if fresh.is_empty() {
        return Ok(CheckedDelivery {
            accepted: Vec::new(),
            failures: Vec::new(),
            learned: Learned::default(),
            repeats,
        });
    }
    let plan = Plan::load(store, fed)
        .await?
        .with_directory(store, fresh.iter().map(|(_, raw)| raw.as_str()))
        .await?;
    let from = from.clone();
    let ctx_owned = ctx.clone();
    let small = fresh.iter().map(|(_, raw)| raw.len()).sum::<usize>() <= INLINE_BYTES;
    let (accepted, failures, learned) = off_the_workers(small, move || {
        let (checked, mut failures) = verify_all(&fresh, &ctx_owned)?;
        let mut learned = Learned::default();
        let mut accepted = Vec::with_capacity(checked.len());
        for (index, object, seal) in checked {
            let sender = Sender {
                team: &from,
                covered: &covered[index],
            };
            match accept_from_peer(index, object, seal, &ctx_owned, sender, &plan, &mut learned) {
                Ok(a) => accepted.push((index, a)),
                Err(f) => failures.push(f),
            }
        }
        Ok::<_, IngestError>((accepted, failures, learned))
    })
    .await??;
    Ok(CheckedDelivery {
        accepted,
        failures,
        learned,
        repeats,
    })
}

/// The second step of [`ingest_from_peer`]: remembers the node keys and
/// groups the delivery taught this node, and stores its accepted objects.
pub async fn store_checked(
    store: &Store,
    checked: CheckedDelivery,
) -> Result<IngestReport, IngestError> {
    let CheckedDelivery {
        mut accepted,
        mut failures,
        learned,
        mut repeats,
    } = checked;
    for (team, key) in &learned.keys {
        if let (Ok(team_id), Ok(public)) = (TeamId::parse(team), PublicKey::parse_base64(key)) {
            store
                .learn_node_key(&team_id, key, &public.fingerprint(), "relayed")
                .await?;
        }
    }
    for def in &learned.groups {
        if let Err(reason) = remember_group(store, def).await? {
            // The group clashes with one this node knows: refuse its objects.
            let (clash, keep): (Vec<_>, Vec<_>) = accepted.into_iter().partition(|(_, a)| {
                a.audience
                    .sharing_groups
                    .iter()
                    .any(|g| g.as_str() == def.name)
            });
            accepted = keep;
            failures.extend(clash.into_iter().map(|(index, a)| Failure {
                index,
                id: Some(a.object.id().to_string()),
                path: format!("/extensions/{SEAL_EXTENSION_ID}/sharing_groups"),
                reason: reason.clone(),
            }));
        }
    }
    failures.sort_by_key(|f| f.index);
    let mut report = store_accepted(store, accepted, failures).await?;
    report.duplicates.append(&mut repeats);
    Ok(report)
}

/// The id and version of an object, read cheaply.
#[derive(serde::Deserialize)]
struct IdAndVersion {
    id: String,
    modified: Option<String>,
    created: Option<String>,
}

/// Splits a delivery into objects not yet stored (with their positions)
/// and repeats of stored ones.
async fn split_repeats(
    store: &Store,
    body: &str,
) -> Result<(Vec<(usize, String)>, Vec<Ingested>), IngestError> {
    let raws = split_objects(body)?;
    let keys: Vec<Option<(String, String)>> = raws
        .iter()
        .map(|raw| {
            let head: IdAndVersion = serde_json::from_str(raw).ok()?;
            let version = match head.modified.or(head.created) {
                Some(v) => vigia_stix::Timestamp::parse(&v).ok()?.version_key(),
                None => String::new(),
            };
            Some((head.id, version))
        })
        .collect();
    let known: Vec<(String, String)> = keys.iter().flatten().cloned().collect();
    let stored = store.stored_versions(&known).await?;
    let mut fresh = Vec::new();
    let mut repeats = Vec::new();
    for (index, (raw, key)) in raws.into_iter().zip(keys).enumerate() {
        match key.as_ref().and_then(|k| stored.get(k).map(|at| (k, at))) {
            Some(((id, _), at)) => repeats.push(Ingested {
                id: id.clone(),
                version: None,
                date_added: at.to_micros_string(),
                queued_for: Vec::new(),
            }),
            None => fresh.push((index, raw.to_owned())),
        }
    }
    Ok((fresh, repeats))
}

/// An object whose schema and seal check out, with its position.
type Verified = (usize, StixObject, Seal);

/// Deliveries of fewer objects are verified on the calling thread.
const PARALLEL_VERIFY_FROM: usize = 16;

/// Parses, validates and checks the seal of each object, on every core:
/// the stateless, costly part of accepting a delivery.
fn verify_all(
    fresh: &[(usize, String)],
    ctx: &IngestContext,
) -> Result<(Vec<Verified>, Vec<Failure>), IngestError> {
    // A relay round brings a few objects: threads would cost more than they save.
    let results = on_every_core(fresh, PARALLEL_VERIFY_FROM, |_, part| {
        let mut keys = KeyCache::default();
        part.iter()
            .map(|(index, raw)| verify_one(*index, raw, ctx, &mut keys))
            .collect()
    })?;
    Ok(split_failures(results))
}

/// Runs `work` on `items` split into one contiguous part per core (one
/// part only below `parallel_from` items, or on one core), and returns its
/// results in order. `work` is given each part's offset in `items`.
fn on_every_core<T: Sync, R: Send>(
    items: &[T],
    parallel_from: usize,
    work: impl Fn(usize, &[T]) -> Vec<R> + Sync,
) -> Result<Vec<R>, IngestError> {
    let cores = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    if cores == 1 || items.len() < parallel_from {
        return Ok(work(0, items));
    }
    let chunk = items.len().div_ceil(cores);
    let parts = std::thread::scope(|scope| {
        let work = &work;
        let handles: Vec<_> = items
            .chunks(chunk)
            .enumerate()
            .map(|(n, part)| scope.spawn(move || work(n * chunk, part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join())
            .collect::<Result<Vec<_>, _>>()
    })
    .map_err(|_| IngestError::Worker("a validation thread panicked".to_owned()))?;
    Ok(parts.into_iter().flatten().collect())
}

/// What passed and what was refused, each in the order given.
fn split_failures<T>(results: Vec<Result<T, Failure>>) -> (Vec<T>, Vec<Failure>) {
    let mut checked = Vec::with_capacity(results.len());
    let mut failures = Vec::new();
    for r in results {
        match r {
            Ok(c) => checked.push(c),
            Err(f) => failures.push(f),
        }
    }
    (checked, failures)
}

fn verify_one(
    index: usize,
    raw: &str,
    ctx: &IngestContext,
    keys: &mut KeyCache,
) -> Result<Verified, Failure> {
    let limit = vigia_stix::object::MAX_OBJECT_BYTES;
    if raw.len() > limit {
        let reason = format!("object is {} bytes; the limit is {limit}", raw.len());
        return Err(failure(index, None, "", reason));
    }
    let value: Value = serde_json::from_str(raw)
        .map_err(|e| failure(index, None, "", format!("not valid JSON: {e}")))?;
    let object = StixObject::from_value(raw, &value, &ctx.schemas).map_err(|e| Failure {
        index,
        id: e.id,
        path: e.path,
        reason: e.reason,
    })?;
    let id = object.id().to_string();
    let (seal, _) = verify_seal_with(&value, keys).map_err(|e| {
        failure(
            index,
            Some(&id),
            &format!("/extensions/{SEAL_EXTENSION_ID}"),
            e.to_string(),
        )
    })?;
    Ok((index, object, seal))
}

async fn remember_group(
    store: &Store,
    def: &GroupDefinition,
) -> Result<Result<(), String>, StoreError> {
    let parsed = (
        GroupName::parse(&def.name),
        TeamId::parse(&def.owner),
        def.members
            .iter()
            .map(|m| TeamId::parse(m))
            .collect::<Result<Vec<_>, _>>(),
    );
    let (Ok(name), Ok(owner), Ok(members)) = parsed else {
        return Ok(Err(format!(
            "sharing group {:?} has an invalid name or member",
            def.name
        )));
    };
    let text =
        serde_json::to_string(def).map_err(|e| crate::sql::corrupt("group definition", e))?;
    match store
        .put_foreign_group(&name, &owner, &members, &text)
        .await
    {
        Ok(()) => Ok(Ok(())),
        Err(StoreError::Conflict { what }) => {
            Ok(Err(format!("conflicts with {what} on this node")))
        }
        Err(e) => Err(e),
    }
}

async fn store_accepted(
    store: &Store,
    accepted: Vec<(usize, Accepted)>,
    failures: Vec<Failure>,
) -> Result<IngestReport, IngestError> {
    let mut report = IngestReport {
        failures,
        ..Default::default()
    };
    for chunk in accepted.chunks(BATCH) {
        let batch: Vec<NewObject<'_>> = chunk
            .iter()
            .map(|(_, a)| NewObject {
                object: &a.object,
                audience: &a.audience,
                access_keys: &a.keys,
                deliver_to: &a.deliver_to,
                covered: a.covered.as_deref(),
            })
            .collect();
        let outcomes = store.insert_objects(&batch).await?;
        for ((_, a), outcome) in chunk.iter().zip(outcomes) {
            let (list, date_added, queued_for) = match outcome {
                InsertOutcome::Stored { date_added } => {
                    (&mut report.stored, date_added, a.deliver_to.clone())
                }
                InsertOutcome::Duplicate { date_added } => {
                    (&mut report.duplicates, date_added, Vec::new())
                }
            };
            list.push(Ingested {
                id: a.object.id().to_string(),
                version: a.object.version().map(|v| v.to_millis_string()),
                date_added: date_added.to_micros_string(),
                queued_for,
            });
        }
    }
    Ok(report)
}

/// What passed, with its positions in the submission, and the refusals.
type Sorted<T> = (Vec<(usize, T)>, Vec<Failure>);

/// Runs `accept` on every object of `body`: its accepted objects with
/// their positions in the submission, in order, and its refusals.
fn validate_all<T: Send>(
    body: &str,
    accept: impl Fn(usize, &str) -> Result<T, Failure> + Sync,
) -> Result<Sorted<T>, IngestError> {
    let raws = split_objects(body)?;
    // Schema validation is most of the cost of a submission, and each
    // object's is independent of the others'.
    let results = on_every_core(&raws, PARALLEL_VALIDATE_FROM, |first, part| {
        (first..)
            .zip(part)
            .map(|(index, raw)| accept(index, raw).map(|a| (index, a)))
            .collect()
    })?;
    Ok(split_failures(results))
}

/// Submissions of fewer objects are validated on one thread.
const PARALLEL_VALIDATE_FROM: usize = 64;

fn failure(index: usize, id: Option<&str>, path: &str, reason: impl Into<String>) -> Failure {
    Failure {
        index,
        id: id.map(str::to_owned),
        path: path.to_owned(),
        reason: reason.into(),
    }
}

fn parse(index: usize, raw: &str, schemas: &SchemaSet) -> Result<StixObject, Failure> {
    StixObject::parse(raw, schemas).map_err(|e| Failure {
        index,
        id: e.id,
        path: e.path,
        reason: e.reason,
    })
}

fn keys_for(ctx: &IngestContext, object: &StixObject, audience: &Audience) -> Vec<String> {
    let mut keys = object_keys(audience);
    let scoped: Vec<String> = (ctx.router)(object)
        .iter()
        .flat_map(|c| collection_keys(c, &keys).collect::<Vec<_>>())
        .collect();
    keys.extend(scoped);
    keys
}

fn accept_local(
    index: usize,
    raw: &str,
    ctx: &IngestContext,
    originator: &TeamId,
    plan: Option<&Plan>,
) -> Result<Accepted, Failure> {
    let mut object = parse(index, raw, &ctx.schemas)?;
    let id = object.id().to_string();
    let distribution_path = format!("/extensions/{DISTRIBUTION_EXTENSION_ID}");
    let mut audience = Audience::of_object(&object, ctx.default_tlp, Some(originator.clone()))
        .map_err(|e| failure(index, Some(&id), &distribution_path, e.to_string()))?;
    if object.sealed_by().is_some() {
        return Err(failure(
            index,
            Some(&id),
            &format!("/extensions/{SEAL_EXTENSION_ID}"),
            "object is already sealed by a node; objects from other nodes arrive through federation",
        ));
    }
    let mut deliver_to = Vec::new();
    if let (Some(plan), Some(_)) = (plan, object.distribution()) {
        let groups = plan
            .group_definitions(&audience)
            .map_err(|reason| failure(index, Some(&id), &distribution_path, reason))?;
        let sealed = seal(
            raw,
            &plan.node_key,
            plan.here.as_str(),
            originator.as_str(),
            groups,
        )
        .map_err(|e| failure(index, Some(&id), "", e.to_string()))?;
        object = parse(index, &sealed, &ctx.schemas)?;
        plan.directory_authority(&object, &plan.here)
            .map_err(|reason| failure(index, Some(&id), "", reason))?;
        audience.origin_node = Some(plan.here.clone());
        deliver_to = plan.deliveries(&object, &audience, None, &BTreeSet::new());
    }
    let covered = plan.and_then(|p| announced(&p.here, &audience, &BTreeSet::new(), &deliver_to));
    let deliver_to = team_strings(deliver_to);
    Ok(Accepted {
        keys: keys_for(ctx, &object, &audience),
        object,
        audience,
        deliver_to,
        covered,
    })
}

/// The peer a delivery came from, and the nodes it named covered for one
/// of its objects.
struct Sender<'a> {
    team: &'a TeamId,
    covered: &'a BTreeSet<TeamId>,
}

fn accept_from_peer(
    index: usize,
    object: StixObject,
    seal: Seal,
    ctx: &IngestContext,
    sender: Sender<'_>,
    plan: &Plan,
    learned: &mut Learned,
) -> Result<Accepted, Failure> {
    let Sender {
        team: from,
        covered,
    } = sender;
    let id = object.id().to_string();
    let seal_path = format!("/extensions/{SEAL_EXTENSION_ID}");
    let refuse = |reason: String| failure(index, Some(&id), &seal_path, reason);
    let origin = TeamId::parse(&seal.origin_node).map_err(|e| refuse(e.to_string()))?;
    let originator = TeamId::parse(&seal.originator).map_err(|e| refuse(e.to_string()))?;
    trust_key(plan, learned, &origin, &seal.key).map_err(refuse)?;
    plan.directory_authority(&object, &origin)
        .map_err(|reason| failure(index, Some(&id), "", reason))?;
    let mut community = plan.community.clone();
    for def in &seal.sharing_groups {
        let owner = TeamId::parse(&def.owner).map_err(|e| refuse(e.to_string()))?;
        trust_key(plan, learned, &owner, &def.key).map_err(refuse)?;
        let name = GroupName::parse(&def.name).map_err(|e| refuse(e.to_string()))?;
        let members = def
            .members
            .iter()
            .map(|m| TeamId::parse(m))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| refuse(e.to_string()))?;
        community = community.with_group(name, members);
        learned.groups.push(def.clone());
    }
    let mut audience =
        Audience::of_object(&object, ctx.default_tlp, Some(originator)).map_err(|e| {
            failure(
                index,
                Some(&id),
                &format!("/extensions/{DISTRIBUTION_EXTENSION_ID}"),
                e.to_string(),
            )
        })?;
    audience.origin_node = Some(origin.clone());
    if !may_receive(&plan.here, from, &audience, &community) {
        return Err(refuse(format!(
            "{} object from {origin} may not be received by this node from {from}",
            audience.tlp.label()
        )));
    }
    let deliver_to = plan.deliveries(&object, &audience, Some(from), covered);
    let covered = announced(&plan.here, &audience, covered, &deliver_to);
    let deliver_to = team_strings(deliver_to);
    Ok(Accepted {
        keys: keys_for(ctx, &object, &audience),
        object,
        audience,
        deliver_to,
        covered,
    })
}

fn team_strings(teams: Vec<TeamId>) -> Vec<String> {
    teams.iter().map(|t| t.as_str().to_owned()).collect()
}

/// What a node announces with an object it queued for `deliver_to`.
fn announced(
    here: &TeamId,
    audience: &Audience,
    covered: &BTreeSet<TeamId>,
    deliver_to: &[TeamId],
) -> Option<String> {
    if deliver_to.is_empty() {
        return None;
    }
    let set = covered_after(here, audience.tlp, covered, deliver_to);
    if set.is_empty() {
        return None;
    }
    let names: Vec<&str> = set.iter().map(TeamId::as_str).collect();
    serde_json::to_string(&names).ok()
}

/// The nodes a delivery's sender named covered, by position in the
/// envelope (empty sets when it named none).
fn covered_in(body: &str, count: usize) -> Result<Vec<BTreeSet<TeamId>>, IngestError> {
    let refuse = |e: String| IngestError::RelayHint(e);
    let Some(hint) = vigia_taxii::CoveredHint::of_body(body).map_err(|e| refuse(e.to_string()))?
    else {
        return Ok(vec![BTreeSet::new(); count]);
    };
    hint.per_object(count)
        .map_err(|e| refuse(e.to_string()))?
        .into_iter()
        .map(|names| {
            names
                .iter()
                .map(|n| TeamId::parse(n))
                .collect::<Result<BTreeSet<_>, _>>()
                .map_err(|e| refuse(format!("{}: {e}", vigia_taxii::COVERED_PROPERTY)))
        })
        .collect()
}

/// A seal's key must be the one trusted for its node. A node not yet known
/// is trusted on first sight through an authenticated peer, then pinned.
fn trust_key(plan: &Plan, learned: &mut Learned, node: &TeamId, key: &str) -> Result<(), String> {
    let known = plan
        .node_keys
        .get(node.as_str())
        .or_else(|| learned.keys.get(node.as_str()));
    match known {
        Some(k) if k == key => Ok(()),
        Some(_) => Err(format!(
            "sealed with a key that is not the one trusted for node {node}"
        )),
        None => {
            learned
                .keys
                .insert(node.as_str().to_owned(), key.to_owned());
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(n: usize) -> String {
        let objects: Vec<String> = (0..n)
            .map(|i| format!(r#"{{"type":"x-test","id":"x-test--{i}"}}"#))
            .collect();
        format!(
            r#"{{"type":"bundle","id":"bundle--1","objects":[{}]}}"#,
            objects.join(",")
        )
    }

    /// Accepts each object's id, refusing every seventh.
    fn check(index: usize, raw: &str) -> Result<String, Failure> {
        if index % 7 == 3 {
            return Err(failure(index, None, "/", "refused"));
        }
        let v: Value =
            serde_json::from_str(raw).map_err(|e| failure(index, None, "", e.to_string()))?;
        Ok(v["id"].as_str().unwrap_or_default().to_owned())
    }

    #[test]
    fn validation_on_several_threads_keeps_positions_and_order() {
        for n in [1, PARALLEL_VALIDATE_FROM - 1, PARALLEL_VALIDATE_FROM, 1001] {
            let (accepted, failures) = validate_all(&bundle(n), check).expect("a valid bundle");
            assert_eq!(accepted.len() + failures.len(), n, "n = {n}");
            for (index, id) in &accepted {
                assert_eq!(id, &format!("x-test--{index}"));
            }
            assert!(accepted.windows(2).all(|w| w[0].0 < w[1].0), "in order");
            assert!(failures.iter().all(|f| f.index % 7 == 3));
            assert!(failures.windows(2).all(|w| w[0].index < w[1].index));
        }
    }
}
