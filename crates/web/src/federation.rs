//! The node's side of federation over HTTP.
//!
//! Peers speak TAXII 2.1 to the `network` collection of the `api` root:
//! they push with `POST …/collections/network/objects/` and pull with
//! `GET …/objects/?added_after=…`. Every such request is signed with the
//! peer's node key (HTTP Message Signatures, RFC 9421, Ed25519) instead of
//! carrying a bearer token: no shared secret exists between two national
//! teams, only public keys whose fingerprints they exchanged.

use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::Json;
use serde_json::json;
use vigia_policy::{may_deliver, may_view, Audience, OutboundPolicy, Role, TeamId, Viewer};
use vigia_sign::message::{self, RequestParts};
use vigia_stix::StixId;
use vigia_store::ingest::{
    effective_outbound, ingest_from_peer, IngestError, IngestReport, OUTBOUND_POLICY_SETTING,
};
use vigia_store::{Delivery, PeerRecord};

use crate::auth::{Caller, SignedBy};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::taxii::CollectionConfig;

/// The collection peers push to and pull from.
pub const NETWORK_ALIAS: &str = "network";

/// How far a signature's `created` may be from this node's clock.
pub const MAX_SIGNATURE_SKEW_SECS: i64 = 300;

pub fn network_collection() -> CollectionConfig {
    CollectionConfig {
        alias: NETWORK_ALIAS.to_owned(),
        title: "Network".to_owned(),
        description: Some(
            "Federation between national nodes: what this node shares with the calling peer. \
             Signed requests from peer nodes only."
                .to_owned(),
        ),
        types: vec![],
        fallback: false,
        read_roles: vec![Role::PeerNode],
        write_roles: vec![Role::PeerNode],
        teams: None,
        public: false,
    }
}

fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Authenticates a request signed by a peer node. Unknown keys, bad
/// signatures and replays are refused and audited.
pub(crate) async fn signed_caller(parts: &mut Parts, state: &AppState) -> Result<Caller, AppError> {
    let result = verify_signed(parts, state).await;
    if let Err((reason, key)) = &result {
        metrics::counter!("vigia_federation_refused_requests_total", "reason" => reason.kind())
            .increment(1);
        state
            .audit(
                &format!("key:{}", key.as_deref().unwrap_or("unknown")),
                "federation.request",
                Some(parts.uri.path()),
                "denied",
                json!({"reason": reason.to_string()}),
            )
            .await?;
    }
    result.map_err(|(reason, _)| AppError::Unauthorized(reason.to_string()))
}

#[derive(Debug, thiserror::Error)]
enum Refusal {
    #[error("bad signature: {0}")]
    Signature(#[from] message::MessageSignatureError),
    #[error("key {0} is not a peer of this node")]
    UnknownKey(String),
    #[error("replayed request: nonce already used")]
    Replay,
    #[error("{0}")]
    Other(String),
}

impl Refusal {
    fn kind(&self) -> &'static str {
        match self {
            Refusal::Signature(_) => "bad_signature",
            Refusal::UnknownKey(_) => "unknown_key",
            Refusal::Replay => "replay",
            Refusal::Other(_) => "other",
        }
    }
}

async fn verify_signed(
    parts: &Parts,
    state: &AppState,
) -> Result<Caller, (Refusal, Option<String>)> {
    let no_key = |r: Refusal| (r, None);
    let input = header(parts, "signature-input").unwrap_or_default();
    let signature = header(parts, "signature")
        .ok_or_else(|| no_key(Refusal::Other("Signature-Input without Signature".into())))?;
    let host = header(parts, "host").ok_or_else(|| {
        no_key(Refusal::Other(
            "a signed request needs a Host header".into(),
        ))
    })?;
    let scheme = if state.node.public_url.starts_with("https://") {
        "https"
    } else {
        "http"
    };
    let path = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map(|u| u.0.clone())
        .unwrap_or_else(|| parts.uri.clone());
    let target = format!(
        "{scheme}://{host}{}",
        path.path_and_query().map(|p| p.as_str()).unwrap_or("/")
    );
    let digest = header(parts, "content-digest");
    let request = RequestParts {
        method: parts.method.as_str(),
        target_uri: &target,
        content_digest: digest,
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let verified =
        message::verify_request(&request, input, signature, now, MAX_SIGNATURE_SKEW_SECS)
            .map_err(|e| no_key(e.into()))?;
    let fingerprint = verified.key.fingerprint();
    let with_key = |r: Refusal| (r, Some(fingerprint.clone()));
    let peer_team = state
        .store
        .peer_by_fingerprint(&fingerprint)
        .await
        .map_err(|e| with_key(Refusal::Other(e.to_string())))?
        .ok_or_else(|| with_key(Refusal::UnknownKey(fingerprint.clone())))?;
    let expires = vigia_stix::Timestamp::from_unix_micros(
        (verified.created + 2 * MAX_SIGNATURE_SKEW_SECS) * 1_000_000,
    )
    .map_err(|e| with_key(Refusal::Other(e.to_string())))?;
    let fresh = state
        .store
        .remember_nonce(&fingerprint, &verified.nonce, expires)
        .await
        .map_err(|e| with_key(Refusal::Other(e.to_string())))?;
    if !fresh {
        return Err(with_key(Refusal::Replay));
    }
    Ok(Caller {
        actor: format!("peer:{peer_team}"),
        viewer: Viewer::Peer { team: peer_team },
        signed: Some(SignedBy {
            content_digest: digest.map(str::to_owned),
        }),
    })
}

/// The peer behind a signed request, or why the network collection refuses it.
pub(crate) fn require_signed_peer(caller: &Caller) -> Result<TeamId, AppError> {
    match (&caller.viewer, &caller.signed) {
        (Viewer::Peer { team }, Some(_)) => Ok(team.clone()),
        _ => Err(AppError::Forbidden(
            "the network collection takes requests signed by a peer node's key only".into(),
        )),
    }
}

/// Objects a peer delivered: verified, checked against the rules and
/// stored; every refusal audited and counted.
pub(crate) async fn receive(
    state: &AppState,
    caller: &Caller,
    body: &[u8],
) -> AppResult<IngestReport> {
    let peer = require_signed_peer(caller)?;
    let digest = caller
        .signed
        .as_ref()
        .and_then(|s| s.content_digest.as_deref())
        .ok_or_else(|| AppError::BadRequest("a signed push must cover Content-Digest".into()))?;
    message::check_content_digest(digest, body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let text = std::str::from_utf8(body)
        .map_err(|_| AppError::BadRequest("body is not UTF-8".into()))?
        .to_owned();
    let report = ingest_from_peer(&state.store, &state.ingest, &peer, text)
        .await
        .map_err(|e| match e {
            IngestError::Envelope(e) => AppError::BadRequest(e.to_string()),
            IngestError::Store(e) => AppError::from(e),
            IngestError::Worker(e) => AppError::Internal(e),
            IngestError::RelayHint(e) => AppError::BadRequest(e),
        })?;
    // Relay first: the queued rows are committed, the audit can follow.
    if report.stored.iter().any(|o| !o.queued_for.is_empty()) {
        state.outbox.notify_one();
    }
    let label = peer.as_str().to_owned();
    metrics::counter!("vigia_federation_received_total", "peer" => label.clone())
        .increment(report.stored.len() as u64);
    metrics::counter!("vigia_federation_refused_objects_total", "peer" => label)
        .increment(report.failures.len() as u64);
    let mut events = Vec::new();
    for f in &report.failures {
        tracing::warn!(peer = %peer, object = ?f.id, reason = %f.reason, "refused an object from a peer");
        events.push(crate::state::audit_event(
            &caller.actor,
            "federation.refused",
            f.id.as_deref(),
            "denied",
            json!({"path": f.path, "reason": f.reason}),
        ));
    }
    let stored: Vec<&str> = report.stored.iter().map(|o| o.id.as_str()).collect();
    // A delivery of nothing new is no new share; it is not recorded.
    if stored.is_empty() && report.failures.is_empty() {
        return Ok(report);
    }
    events.push(crate::state::audit_event(
        &caller.actor,
        "federation.receive",
        None,
        "ok",
        json!({"stored": stored, "duplicates": report.duplicates.len(), "refused": report.failures.len()}),
    ));
    state.store.append_audit_batch(&events).await?;
    if !report.stored.is_empty() {
        state.stored();
    }
    Ok(report)
}

/// The extra test an object must pass to be served to `peer` from the
/// network collection: the egress rule and this node's outbound policy.
pub(crate) struct Egress {
    here: TeamId,
    peer: TeamId,
    outbound: OutboundPolicy,
}

impl Egress {
    pub(crate) async fn for_caller(state: &AppState, caller: &Caller) -> AppResult<Self> {
        let peer = require_signed_peer(caller)?;
        Ok(Self {
            here: state.node.team_id.clone(),
            peer,
            outbound: effective_outbound(&state.store, &state.ingest.configured_outbound()).await?,
        })
    }

    pub(crate) fn peer(&self) -> &TeamId {
        &self.peer
    }

    pub(crate) fn permits(
        &self,
        object_type: &str,
        audience: &Audience,
        community: &vigia_policy::Community,
    ) -> bool {
        may_deliver(
            &self.here,
            &self.peer,
            object_type,
            audience,
            community,
            &self.outbound,
        )
    }
}

/// `GET /api/objects/{id}/deliveries`: where each version of an object
/// stands with each peer. For the object's originator and the node's own team.
pub(crate) async fn deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<Delivery>>> {
    let team = caller.require_authenticated()?.clone();
    let id = StixId::parse(&id).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let community = state.store.community().await?;
    let versions = state.store.object_versions(&id).await?;
    let visible = versions
        .iter()
        .any(|o| may_view(&caller.viewer, &o.audience, &community));
    let own = versions
        .iter()
        .any(|o| o.audience.originator.as_ref() == Some(&team) || team == state.node.team_id);
    if !visible || !own {
        return Err(AppError::NotFound(format!("object {id}")));
    }
    Ok(Json(state.store.deliveries(id.as_str()).await?))
}

/// `GET /api/peers`: every peer with reachability, sync state and backlog.
pub(crate) async fn list_peers(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<serde_json::Value>> {
    caller.require_authenticated()?;
    let peers = state.store.peers().await?;
    Ok(Json(json!(peers.iter().map(peer_json).collect::<Vec<_>>())))
}

pub fn peer_json(p: &PeerRecord) -> serde_json::Value {
    let mut v = serde_json::to_value(p).unwrap_or_default();
    v["reachable"] = json!(p.reachable());
    v
}

pub(crate) async fn get_outbound_policy(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<serde_json::Value>> {
    caller.require_admin()?;
    let configured = state.ingest.configured_outbound();
    let stored = match state.store.setting(OUTBOUND_POLICY_SETTING).await? {
        Some(t) => serde_json::from_str(&t).map_err(|e| AppError::Internal(e.to_string()))?,
        None => OutboundPolicy::default(),
    };
    Ok(Json(json!({
        "configured": configured,
        "runtime": stored,
        "effective": configured.and(&stored),
    })))
}

/// `PUT /api/federation/outbound-policy`
pub(crate) async fn put_outbound_policy(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<OutboundPolicy>, axum::extract::rejection::JsonRejection>,
) -> AppResult<Json<serde_json::Value>> {
    let Json(policy) = body.map_err(|e| AppError::BadRequest(format!("outbound policy: {e}")))?;
    set_outbound_policy_as(&state, &caller, &policy, "api").await?;
    get_outbound_policy(State(state), caller).await
}

/// Replaces the run-time outbound policy. It can only narrow what the
/// configuration allows; the change is audited with both versions. The
/// API and the console both come here.
pub(crate) async fn set_outbound_policy_as(
    state: &AppState,
    caller: &Caller,
    policy: &OutboundPolicy,
    via: &str,
) -> AppResult<()> {
    caller.require_admin()?;
    let before = state.store.setting(OUTBOUND_POLICY_SETTING).await?;
    let text = serde_json::to_string(policy).map_err(|e| AppError::Internal(e.to_string()))?;
    state
        .store
        .put_setting(OUTBOUND_POLICY_SETTING, &text)
        .await?;
    state
        .audit(
            &caller.actor,
            "outbound_policy.change",
            None,
            "ok",
            json!({"before": before.and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok()), "after": policy, "via": via}),
        )
        .await
}
