//! Correlation over the API (C-062, C-063, C-067 to C-069): batch lookup
//! of observable values, the objects related to any object, sightings and
//! analysis claims.
//!
//! Entitlement first: every match, count and sighting is computed from the
//! objects the caller may see (`may_view` after the store's access-key
//! narrowing), so a caller never learns of an object it may not see, not
//! even as a count. A value flagged as over-correlating says so only to a
//! caller who sees at least one of its matches.

use std::collections::{BTreeSet, HashMap, HashSet};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use vigia_correlate::work::{close_claim, Claim, ClaimState};
use vigia_correlate::{
    observables, probes, ClaimDraft, Kind, LookupKeys, Observable, Probe, Sighting, SightingDraft,
    SightingSummary,
};
use vigia_policy::{may_view, viewer_keys, Community, Role};
use vigia_stix::{Distribution, Timestamp, Tlp};
use vigia_store::{ObjectMatch, StoredObject, TeamRecord};

use crate::assistance::{publish_one, writer};
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::state::{now, AppState};

/// Most values in one lookup.
pub(crate) const MAX_LOOKUP_VALUES: usize = 100_000;
/// Matches listed per value unless the caller asks for fewer or more.
const DEFAULT_MATCHES: usize = 10;
const MAX_MATCHES: usize = 100;
/// Sightings read per lookup, at most.
const MAX_SIGHTINGS: u32 = 100_000;
/// Objects listed as referring to an object.
const MAX_REFERRING: u32 = 500;
/// Candidates read for an over-correlating value: enough to show some
/// the caller may see, not all.
const OVER_CORRELATING_LISTED: u32 = 100;

/// One value to look up: as typed, or with its kind.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum LookupValue {
    Plain(String),
    Typed {
        #[serde(rename = "type")]
        kind: String,
        value: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LookupRequest {
    pub(crate) values: Vec<LookupValue>,
    #[serde(default)]
    pub(crate) matches_per_value: Option<usize>,
}

/// One object a value was found in.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Seen {
    pub(crate) id: String,
    #[serde(rename = "type")]
    pub(crate) object_type: String,
    pub(crate) team: Option<String>,
    pub(crate) team_name: Option<String>,
    pub(crate) country: Option<String>,
    pub(crate) tlp: String,
    pub(crate) date_added: String,
    /// The value or enclosing network the object names.
    pub(crate) via: String,
}

/// The answer for one value.
#[derive(Debug, Serialize)]
pub(crate) struct ValueAnswer {
    pub(crate) value: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub(crate) kind: Option<Kind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) normalised: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
    /// The warninglist the value is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) known_benign: Option<String>,
    pub(crate) over_correlating: bool,
    /// Objects the caller may see that name the value.
    pub(crate) objects: usize,
    pub(crate) teams: Vec<String>,
    pub(crate) countries: Vec<String>,
    pub(crate) first_added: Option<String>,
    pub(crate) last_added: Option<String>,
    pub(crate) sightings: SightingSummary,
    pub(crate) matches: Vec<Seen>,
}

/// What the node knows of teams, by id.
pub(crate) struct Teams(HashMap<String, TeamRecord>);

impl Teams {
    pub(crate) async fn load(state: &AppState) -> AppResult<Teams> {
        let teams = state.store.list_teams().await?;
        Ok(Teams(
            teams
                .into_iter()
                .map(|t| (t.id.as_str().to_owned(), t))
                .collect(),
        ))
    }

    pub(crate) fn country(&self, team: &str) -> Option<String> {
        self.0.get(team).map(|t| t.country.clone())
    }

    pub(crate) fn name(&self, team: &str) -> Option<String> {
        self.0.get(team).map(|t| t.name.clone())
    }
}

/// The caller's view: its access keys and the community rule.
struct View<'a> {
    caller: &'a Caller,
    keys: Vec<String>,
    community: Community,
}

impl<'a> View<'a> {
    async fn of(state: &AppState, caller: &'a Caller) -> AppResult<View<'a>> {
        let community = state.store.community().await?;
        Ok(View {
            keys: viewer_keys(&caller.viewer, &community),
            caller,
            community,
        })
    }

    fn sees(&self, audience: &vigia_policy::Audience) -> bool {
        may_view(&self.caller.viewer, audience, &self.community)
    }
}

fn reader(caller: &Caller) -> AppResult<()> {
    caller.require_authenticated()?;
    match caller.role() {
        None | Some(Role::PeerNode) => Err(AppError::Forbidden(
            "correlation needs a user or token of a team on this node".into(),
        )),
        Some(_) => Ok(()),
    }
}

/// Looks up `values` as the caller, each answered within its entitlement.
/// `exclude` is left out of the matches (the object whose relations are
/// asked for).
async fn answer(
    state: &AppState,
    view: &View<'_>,
    values: Vec<(String, Result<Observable, String>)>,
    per_value: usize,
    exclude: Option<&str>,
) -> AppResult<Vec<ValueAnswer>> {
    let prefixes = state.store.observable_prefixes().await?;
    let probed: Vec<Vec<Probe>> = values
        .iter()
        .map(|(_, o)| o.as_ref().map(|o| probes(o, &prefixes)).unwrap_or_default())
        .collect();
    let keys = LookupKeys::of(
        values.iter().filter_map(|(_, o)| o.as_ref().ok()),
        &prefixes,
    );
    let (candidates, over) = state
        .store
        .lookup_candidates(&keys, Some(&view.keys), OVER_CORRELATING_LISTED)
        .await?;
    let mut by_key: HashMap<i64, Vec<ObjectMatch>> = HashMap::new();
    for m in candidates {
        if view.sees(&m.audience) && exclude != Some(m.id.as_str()) {
            by_key.entry(m.value_key).or_default().push(m);
        }
    }
    let matched_ids: Vec<&str> = by_key.values().flatten().map(|m| m.id.as_str()).collect();
    let sightings = sightings_of(state, view, &matched_ids).await?;
    let teams = Teams::load(state).await?;
    Ok(values
        .into_iter()
        .zip(probed)
        .map(|((input, parsed), probes)| {
            let o = match parsed {
                Ok(o) => o,
                Err(error) => return ValueAnswer::refused(input, error),
            };
            let found: Vec<(&Probe, &ObjectMatch)> = probes
                .iter()
                .flat_map(|p| {
                    by_key
                        .get(&p.key)
                        .into_iter()
                        .flatten()
                        .map(move |m| (p, m))
                })
                .collect();
            let mut a = ValueAnswer::of(input, &o, &found, &teams, &sightings, per_value);
            a.known_benign = state.exclusions.benign(&o).map(str::to_owned);
            a.over_correlating =
                !found.is_empty() && probes.first().is_some_and(|p| over.contains(&p.key));
            a
        })
        .collect())
}

/// The sightings the viewer may see of each of `ids`.
async fn sightings_of(
    state: &AppState,
    view: &View<'_>,
    ids: &[&str],
) -> AppResult<HashMap<String, Vec<Sighting>>> {
    let mut unique: Vec<&str> = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let mut out: HashMap<String, Vec<Sighting>> = HashMap::new();
    for chunk in unique.chunks(5_000) {
        let found = state
            .store
            .objects_referring_to(chunk, &["sighting"], Some(&view.keys), MAX_SIGHTINGS)
            .await?;
        for o in found.iter().filter(|o| view.sees(&o.audience)) {
            let Ok(v) = serde_json::from_str::<Value>(&o.raw) else {
                continue;
            };
            if let (Some(of), Some(mut s)) = (
                v.get("sighting_of_ref").and_then(Value::as_str),
                Sighting::read(&v),
            ) {
                if let Some(team) = originator(&o.audience, None) {
                    s.team = team;
                }
                out.entry(of.to_owned()).or_default().push(s);
            }
        }
    }
    Ok(out)
}

/// The team an object comes from: the originator the node recorded when
/// it verified the object, else the object's own `created_by_ref`.
fn originator(audience: &vigia_policy::Audience, created_by_ref: Option<&str>) -> Option<String> {
    audience
        .originator
        .as_ref()
        .map(|t| t.as_str().to_owned())
        .or_else(|| created_by_ref.map(str::to_owned))
}

impl ValueAnswer {
    fn refused(value: String, error: String) -> ValueAnswer {
        ValueAnswer {
            value,
            kind: None,
            normalised: None,
            error: Some(error),
            known_benign: None,
            over_correlating: false,
            objects: 0,
            teams: Vec::new(),
            countries: Vec::new(),
            first_added: None,
            last_added: None,
            sightings: SightingSummary::default(),
            matches: Vec::new(),
        }
    }

    fn of(
        value: String,
        o: &Observable,
        found: &[(&Probe, &ObjectMatch)],
        teams: &Teams,
        sightings: &HashMap<String, Vec<Sighting>>,
        per_value: usize,
    ) -> ValueAnswer {
        let mut seen: Vec<Seen> = Vec::new();
        let mut ids = HashSet::new();
        let mut sorted: Vec<&(&Probe, &ObjectMatch)> = found.iter().collect();
        sorted.sort_by_key(|b| std::cmp::Reverse(b.1.date_added));
        for (p, m) in sorted {
            if !ids.insert(m.id.as_str()) {
                continue;
            }
            let team = originator(&m.audience, m.created_by_ref.as_deref());
            seen.push(Seen {
                id: m.id.to_string(),
                object_type: m.object_type.clone(),
                team_name: team.as_deref().and_then(|t| teams.name(t)),
                country: team.as_deref().and_then(|t| teams.country(t)),
                team,
                tlp: m.tlp.label().to_owned(),
                date_added: m.date_added.to_string(),
                via: p.matched().value,
            });
        }
        let team_set: BTreeSet<String> = seen
            .iter()
            .filter_map(|s| s.team_name.clone().or(s.team.clone()))
            .collect();
        let countries: BTreeSet<String> = seen.iter().filter_map(|s| s.country.clone()).collect();
        let all_sightings: Vec<&Sighting> = seen
            .iter()
            .flat_map(|s| sightings.get(&s.id).into_iter().flatten())
            .collect();
        let summary = SightingSummary::of(all_sightings, |t| teams.country(t));
        let first_added = seen.iter().map(|s| s.date_added.clone()).min();
        let last_added = seen.iter().map(|s| s.date_added.clone()).max();
        let objects = seen.len();
        seen.truncate(per_value);
        ValueAnswer {
            value,
            kind: Some(o.kind),
            normalised: Some(o.value.clone()),
            error: None,
            known_benign: None,
            over_correlating: false,
            objects,
            teams: team_set.into_iter().collect(),
            countries: countries.into_iter().collect(),
            first_added,
            last_added,
            sightings: summary,
            matches: seen,
        }
    }
}

fn read_value(v: LookupValue) -> (String, Result<Observable, String>) {
    match v {
        LookupValue::Plain(s) => {
            let o = Observable::infer(&s).map_err(|e| e.to_string());
            (s, o)
        }
        LookupValue::Typed { kind, value } => {
            let o = match Kind::from_name(&kind) {
                Some(k) => Observable::new(k, &value).map_err(|e| e.to_string()),
                None => Err(format!("unknown observable type {kind:?}")),
            };
            (value, o)
        }
    }
}

/// `POST /api/lookup`: up to 100,000 values, each answered with where it
/// was seen, by which teams and when, its sightings and any warninglist.
pub(crate) async fn lookup(
    State(state): State<AppState>,
    caller: Caller,
    Json(request): Json<LookupRequest>,
) -> AppResult<Json<Value>> {
    let n = request.values.len();
    let answers = lookup_as(&state, &caller, request, "api").await?;
    let found = answers.iter().filter(|a| a.objects > 0).count();
    Ok(Json(json!({
        "values": n,
        "found": found,
        "results": answers,
    })))
}

/// A batch lookup as the caller; audited.
pub(crate) async fn lookup_as(
    state: &AppState,
    caller: &Caller,
    request: LookupRequest,
    via: &str,
) -> AppResult<Vec<ValueAnswer>> {
    reader(caller)?;
    let n = request.values.len();
    if n > MAX_LOOKUP_VALUES {
        return Err(AppError::field(
            "values",
            format!("{n} values; a lookup takes at most {MAX_LOOKUP_VALUES}"),
        ));
    }
    let per_value = request
        .matches_per_value
        .unwrap_or(DEFAULT_MATCHES)
        .min(MAX_MATCHES);
    let view = View::of(state, caller).await?;
    let values = request.values.into_iter().map(read_value).collect();
    let answers = answer(state, &view, values, per_value, None).await?;
    audit_matches(state, caller, "correlation.lookup", None, via, &answers, n).await?;
    metrics::counter!("vigia_lookup_values_total").increment(n as u64);
    Ok(answers)
}

/// Records what a lookup revealed of restricted objects.
async fn audit_matches(
    state: &AppState,
    caller: &Caller,
    action: &str,
    subject: Option<&str>,
    via: &str,
    answers: &[ValueAnswer],
    values: usize,
) -> AppResult<()> {
    let mut restricted: Vec<&str> = answers
        .iter()
        .flat_map(|a| &a.matches)
        .filter(|m| m.tlp != Tlp::Clear.label())
        .map(|m| m.id.as_str())
        .collect();
    restricted.sort_unstable();
    restricted.dedup();
    let listed = restricted.len().min(1_000);
    state
        .audit(
            &caller.actor,
            action,
            subject,
            "ok",
            json!({"values": values, "restricted_matches": restricted.len(), "ids": &restricted[..listed], "via": via}),
        )
        .await
}

/// The latest version of an object the caller may see; hidden and absent
/// look the same.
async fn visible(state: &AppState, view: &View<'_>, id: &str) -> AppResult<StoredObject> {
    state
        .store
        .latest_object(id)
        .await?
        .filter(|o| view.sees(&o.audience))
        .ok_or_else(|| AppError::NotFound(format!("object {id}")))
}

/// A team's sighting, as listed.
#[derive(Debug, Serialize)]
pub(crate) struct SightingRow {
    pub(crate) team: String,
    pub(crate) team_name: Option<String>,
    pub(crate) country: Option<String>,
    pub(crate) count: u64,
    pub(crate) first_seen: Option<String>,
    pub(crate) last_seen: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Sightings {
    pub(crate) summary: SightingSummary,
    pub(crate) by_team: Vec<SightingRow>,
}

/// An analysis claim, as listed.
#[derive(Debug, Serialize)]
pub(crate) struct ClaimRow {
    pub(crate) id: String,
    pub(crate) team: String,
    pub(crate) team_name: Option<String>,
    pub(crate) country: Option<String>,
    pub(crate) object_ref: String,
    pub(crate) state: &'static str,
    pub(crate) expected_by: String,
    pub(crate) result_ref: Option<String>,
    pub(crate) comment: String,
}

impl ClaimRow {
    fn of(c: Claim, teams: &Teams) -> ClaimRow {
        ClaimRow {
            team_name: teams.name(&c.team),
            country: teams.country(&c.team),
            state: c.state.as_str(),
            id: c.id,
            team: c.team,
            object_ref: c.object_ref,
            expected_by: c.expected_by,
            result_ref: c.result_ref,
            comment: c.content,
        }
    }
}

/// Another object referring to this one.
#[derive(Debug, Serialize)]
pub(crate) struct RefRow {
    pub(crate) id: String,
    #[serde(rename = "type")]
    pub(crate) object_type: String,
    pub(crate) team: Option<String>,
    pub(crate) team_name: Option<String>,
    pub(crate) tlp: &'static str,
    pub(crate) date_added: String,
}

/// What is related to one object, within entitlement.
#[derive(Debug, Serialize)]
pub(crate) struct Related {
    pub(crate) id: String,
    #[serde(rename = "type")]
    pub(crate) object_type: String,
    pub(crate) observables: Vec<ValueAnswer>,
    pub(crate) sightings: Sightings,
    pub(crate) claims: Vec<ClaimRow>,
    pub(crate) referred_to_by: Vec<RefRow>,
}

/// The values an object names with their other matches, the objects
/// referring to it (sightings, claims, others), as the caller may see
/// them; audited.
pub(crate) async fn related_as(
    state: &AppState,
    caller: &Caller,
    id: &str,
    via: &str,
) -> AppResult<Related> {
    reader(caller)?;
    let view = View::of(state, caller).await?;
    let object = visible(state, &view, id).await?;
    let value: Value = serde_json::from_str(&object.raw)
        .map_err(|e| AppError::Internal(format!("stored object {id}: {e}")))?;
    let values = observables(&value)
        .into_iter()
        .map(|o| (o.to_string(), Ok(o)))
        .collect();
    let answers = answer(state, &view, values, MAX_MATCHES, Some(id)).await?;
    let referring = state
        .store
        .objects_referring_to(&[id], &[], Some(&view.keys), MAX_REFERRING)
        .await?;
    let teams = Teams::load(state).await?;
    let mut sightings = Vec::new();
    let mut claims = Vec::new();
    let mut referred_to_by = Vec::new();
    for o in referring
        .iter()
        .filter(|o| view.sees(&o.audience) && o.id.as_str() != id)
    {
        let v: Value = serde_json::from_str(&o.raw).unwrap_or(Value::Null);
        if let Some(mut s) = Sighting::read(&v) {
            if let Some(team) = originator(&o.audience, None) {
                s.team = team;
            }
            sightings.push(s);
        } else if let Some(c) = Claim::read(&v) {
            claims.push(ClaimRow::of(c, &teams));
        } else {
            let team = originator(&o.audience, o.created_by_ref.as_deref());
            referred_to_by.push(RefRow {
                id: o.id.to_string(),
                object_type: o.object_type.clone(),
                team_name: team.as_deref().and_then(|t| teams.name(t)),
                team,
                tlp: o.tlp.label(),
                date_added: o.date_added.to_string(),
            });
        }
    }
    let summary = SightingSummary::of(&sightings, |t| teams.country(t));
    let by_team = sightings
        .into_iter()
        .map(|s| SightingRow {
            team_name: teams.name(&s.team),
            country: teams.country(&s.team),
            team: s.team,
            count: s.count,
            first_seen: s.first_seen,
            last_seen: s.last_seen,
        })
        .collect();
    audit_matches(
        state,
        caller,
        "correlation.related",
        Some(id),
        via,
        &answers,
        answers.len(),
    )
    .await?;
    Ok(Related {
        id: id.to_owned(),
        object_type: object.object_type,
        observables: answers,
        sightings: Sightings { summary, by_team },
        claims,
        referred_to_by,
    })
}

/// `GET /api/objects/{id}/related`: the values the object names and the
/// other objects naming them; the objects referring to it (sightings,
/// analysis claims, notes, reports, relationships); all within the
/// caller's entitlement.
pub(crate) async fn related(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Related>> {
    Ok(Json(related_as(&state, &caller, &id, "api").await?))
}

/// Who an object is shared with, as the caller gives it.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct Sharing {
    /// clear, green (default), amber or amber+strict.
    #[serde(default)]
    pub(crate) tlp: Option<String>,
    /// Recipient teams: ids or country codes.
    #[serde(default)]
    pub(crate) to: Vec<String>,
    /// Sharing groups.
    #[serde(default)]
    pub(crate) groups: Vec<String>,
}

impl Sharing {
    pub(crate) async fn resolve(self, state: &AppState) -> AppResult<(Tlp, Distribution)> {
        let tlp = match self.tlp.as_deref() {
            None => Tlp::Green,
            Some(t) => t.parse::<Tlp>().map_err(|e| AppError::field("tlp", e))?,
        };
        if tlp == Tlp::Red {
            return Err(AppError::field(
                "tlp",
                "TLP:RED goes to named persons; publish it as an object with recipient users",
            ));
        }
        let mut recipient_teams = Vec::new();
        for to in &self.to {
            recipient_teams.push(
                crate::assistance::resolve_team(state, to)
                    .await?
                    .as_str()
                    .to_owned(),
            );
        }
        if matches!(tlp, Tlp::Amber | Tlp::AmberStrict)
            && recipient_teams.is_empty()
            && self.groups.is_empty()
        {
            return Err(AppError::field(
                "to",
                format!("{} needs recipient teams or sharing groups", tlp.label()),
            ));
        }
        Ok((
            tlp,
            Distribution {
                recipient_teams,
                sharing_groups: self.groups,
                ..Distribution::default()
            },
        ))
    }
}

fn timestamp(field: &str, text: Option<&str>) -> AppResult<Option<Timestamp>> {
    text.map(|t| Timestamp::parse(t).map_err(|e| AppError::field(field, e)))
        .transpose()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewSighting {
    pub(crate) sighting_of_ref: String,
    #[serde(default)]
    pub(crate) count: Option<u64>,
    #[serde(default)]
    pub(crate) first_seen: Option<String>,
    #[serde(default)]
    pub(crate) last_seen: Option<String>,
    #[serde(flatten)]
    pub(crate) sharing: Sharing,
}

/// Records a sighting by the caller's team of an object it may see.
pub(crate) async fn sight_as(
    state: &AppState,
    caller: &Caller,
    s: NewSighting,
    via: &str,
) -> AppResult<String> {
    let team = writer(caller, "sightings and analysis claims")?;
    let view = View::of(state, caller).await?;
    visible(state, &view, &s.sighting_of_ref).await?;
    let (tlp, distribution) = s.sharing.resolve(state).await?;
    let draft = SightingDraft {
        team: team.as_str().to_owned(),
        sighting_of_ref: s.sighting_of_ref,
        count: s.count.unwrap_or(1),
        first_seen: timestamp("first_seen", s.first_seen.as_deref())?,
        last_seen: timestamp("last_seen", s.last_seen.as_deref())?,
        tlp,
        distribution,
    };
    draft.check().map_err(|(f, e)| AppError::field(f, e))?;
    let object = draft.to_stix(&uuid::Uuid::new_v4().to_string(), now());
    publish_one(state, &team, &object).await?;
    let id = object["id"].as_str().unwrap_or_default().to_owned();
    state
        .audit(
            &caller.actor,
            "sighting.create",
            Some(&id),
            "ok",
            json!({"of": draft.sighting_of_ref, "count": draft.count, "tlp": tlp.label(), "via": via}),
        )
        .await?;
    Ok(id)
}

/// `POST /api/sightings`
pub(crate) async fn create_sighting(
    State(state): State<AppState>,
    caller: Caller,
    Json(s): Json<NewSighting>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let id = sight_as(&state, &caller, s, "api").await?;
    Ok((StatusCode::CREATED, Json(json!({"id": id}))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewClaim {
    pub(crate) object_ref: String,
    pub(crate) expected_by: String,
    #[serde(default)]
    pub(crate) comment: String,
    #[serde(flatten)]
    pub(crate) sharing: Sharing,
}

/// Marks that the caller's team is analysing an object it may see.
pub(crate) async fn claim_as(
    state: &AppState,
    caller: &Caller,
    c: NewClaim,
    via: &str,
) -> AppResult<String> {
    let team = writer(caller, "sightings and analysis claims")?;
    let view = View::of(state, caller).await?;
    visible(state, &view, &c.object_ref).await?;
    let (tlp, distribution) = c.sharing.resolve(state).await?;
    let at = now();
    let draft = ClaimDraft {
        team: team.as_str().to_owned(),
        object_ref: c.object_ref,
        expected_by: timestamp("expected_by", Some(&c.expected_by))?
            .ok_or_else(|| AppError::field("expected_by", "missing"))?,
        comment: c.comment,
        tlp,
        distribution,
    };
    draft.check(at).map_err(|(f, e)| AppError::field(f, e))?;
    let object = draft.to_stix(&uuid::Uuid::new_v4().to_string(), at);
    publish_one(state, &team, &object).await?;
    let id = object["id"].as_str().unwrap_or_default().to_owned();
    state
        .audit(
            &caller.actor,
            "claim.create",
            Some(&id),
            "ok",
            json!({"object": draft.object_ref, "expected_by": draft.expected_by.to_string(), "tlp": tlp.label(), "via": via}),
        )
        .await?;
    Ok(id)
}

/// `POST /api/claims`
pub(crate) async fn create_claim(
    State(state): State<AppState>,
    caller: Caller,
    Json(c): Json<NewClaim>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let id = claim_as(&state, &caller, c, "api").await?;
    Ok((StatusCode::CREATED, Json(json!({"id": id}))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CloseClaim {
    /// `published` (with `result_ref`) or `withdrawn`.
    pub(crate) state: String,
    #[serde(default)]
    pub(crate) result_ref: Option<String>,
}

/// Publishes or withdraws one of the caller's team's claims.
pub(crate) async fn close_as(
    state: &AppState,
    caller: &Caller,
    id: &str,
    c: CloseClaim,
    via: &str,
) -> AppResult<ClaimRow> {
    let team = writer(caller, "sightings and analysis claims")?;
    let view = View::of(state, caller).await?;
    let note = visible(state, &view, id).await?;
    let value: Value = serde_json::from_str(&note.raw)
        .map_err(|e| AppError::Internal(format!("stored object {id}: {e}")))?;
    let claim = Claim::read(&value).ok_or_else(|| AppError::NotFound(format!("claim {id}")))?;
    if claim.team != team.as_str() {
        return Err(AppError::Forbidden(
            "only the team that made a claim closes it".into(),
        ));
    }
    let to = match c.state.as_str() {
        "published" => ClaimState::Published,
        "withdrawn" => ClaimState::Withdrawn,
        other => {
            return Err(AppError::field(
                "state",
                format!("{other:?}: expected published or withdrawn"),
            ))
        }
    };
    if let Some(r) = &c.result_ref {
        visible(state, &view, r)
            .await
            .map_err(|_| AppError::field("result_ref", format!("no object {r} visible here")))?;
    }
    let next =
        close_claim(&value, to, c.result_ref.as_deref(), now()).map_err(AppError::Conflict)?;
    publish_one(state, &team, &next).await?;
    state
        .audit(
            &caller.actor,
            "claim.close",
            Some(id),
            "ok",
            json!({"state": to.as_str(), "result": c.result_ref, "via": via}),
        )
        .await?;
    let teams = Teams::load(state).await?;
    let closed = Claim::read(&next).ok_or_else(|| AppError::Internal("claim lost".into()))?;
    Ok(ClaimRow::of(closed, &teams))
}

/// `POST /api/claims/{id}`
pub(crate) async fn close_claim_route(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(c): Json<CloseClaim>,
) -> AppResult<Json<ClaimRow>> {
    Ok(Json(close_as(&state, &caller, &id, c, "api").await?))
}
