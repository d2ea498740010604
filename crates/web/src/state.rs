//! The application state built once by the binary and shared by handlers.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use time::OffsetDateTime;
use tokio::sync::Notify;
use vigia_policy::TeamId;
use vigia_stix::{SchemaSet, Timestamp, Tlp};
use vigia_store::ingest::{FederationContext, IngestContext};
use vigia_store::{AuditEvent, Store};

use crate::taxii::CollectionConfig;

use crate::error::AppError;

/// Facts about this node that handlers need.
#[derive(Clone, Debug)]
pub struct NodeContext {
    pub node_id: String,
    pub team_id: TeamId,
    pub team_name: String,
    pub country: String,
    pub public_url: String,
    /// Base64 Ed25519 public key and its fingerprint.
    pub public_key: String,
    pub key_fingerprint: String,
    /// The TLP given to objects that arrive without one.
    pub default_tlp: Tlp,
}

/// Limits applied at the HTTP boundary.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_body_bytes: usize,
    /// Largest page a list endpoint returns.
    pub max_page: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024 * 1024,
            max_page: 1000,
        }
    }
}

/// The TAXII 2.1 interface's settings.
#[derive(Clone, Debug)]
pub struct TaxiiSettings {
    pub collections: Vec<CollectionConfig>,
    /// Serve the anonymous, TLP:CLEAR-only API root at `/taxii2/public/`.
    pub public_root: bool,
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub schemas: Arc<SchemaSet>,
    pub node: Arc<NodeContext>,
    pub limits: Limits,
    pub metrics: Option<PrometheusHandle>,
    pub taxii: Arc<TaxiiSettings>,
    /// Validation, default TLP and collection routing for every ingest.
    pub ingest: IngestContext,
    /// Woken when objects are queued for peers, so delivery starts at once.
    pub outbox: Arc<Notify>,
    /// Watch and warning: present on a node that runs its workers.
    pub watch: Option<vigia_notify::Watch>,
    /// `[directory]`: the trusted Secretariat, sectors, checklist.
    pub directory: Arc<crate::directory::DirectorySettings>,
    /// `[console]`: the second factor and lockout.
    pub console: Arc<crate::ConsoleSettings>,
    pub login_throttle: Arc<crate::throttle::LoginThrottle>,
    /// Incident reports from the public, per address: 10 in 10 minutes.
    pub report_throttle: Arc<crate::throttle::LoginThrottle>,
    /// The CSAF provider's OpenPGP key, read or made on first use.
    pub csaf_key: Arc<tokio::sync::OnceCell<vigia_csaf::OpenPgpKey>>,
    /// Well-known benign values (MISP warninglists), shown as such in
    /// lookups instead of as correlations.
    pub exclusions: Arc<vigia_correlate::Exclusions>,
}

impl AppState {
    /// Builds the state; the ingest context follows from the collections.
    pub fn new(
        store: Store,
        node: NodeContext,
        limits: Limits,
        metrics: Option<PrometheusHandle>,
        taxii: TaxiiSettings,
    ) -> Result<Self, vigia_stix::schema::SchemaBuildError> {
        let schemas = Arc::new(SchemaSet::new()?);
        let collections = taxii.collections.clone();
        let ingest = IngestContext {
            schemas: schemas.clone(),
            default_tlp: node.default_tlp,
            router: Arc::new(move |o| crate::taxii::route(&collections, o)),
            federation: None,
        };
        Ok(Self {
            store,
            schemas,
            node: Arc::new(node),
            limits,
            metrics,
            taxii: Arc::new(taxii),
            ingest,
            outbox: Arc::new(Notify::new()),
            watch: None,
            directory: Arc::default(),
            console: Arc::default(),
            login_throttle: Arc::default(),
            report_throttle: Arc::new(crate::throttle::LoginThrottle::new(
                10,
                std::time::Duration::from_secs(600),
            )),
            csaf_key: Arc::default(),
            exclusions: Arc::default(),
        })
    }

    /// Turns federation on: published objects are sealed with the node key
    /// and queued for peers, and peers may push to and pull from the
    /// `network` collection.
    pub fn with_federation(mut self, federation: FederationContext) -> Self {
        self.ingest.federation = Some(federation);
        let mut taxii = (*self.taxii).clone();
        if !taxii
            .collections
            .iter()
            .any(|c| c.alias == crate::federation::NETWORK_ALIAS)
        {
            taxii
                .collections
                .push(crate::federation::network_collection());
        }
        self.taxii = Arc::new(taxii);
        self
    }
}

impl AppState {
    /// Turns on watch and warning (products, rosters, the live stream,
    /// acknowledgements, drills).
    pub fn with_watch(mut self, watch: vigia_notify::Watch) -> Self {
        self.watch = Some(watch);
        self
    }

    /// Sets the `[directory]` settings.
    pub fn with_console(mut self, settings: crate::ConsoleSettings) -> Self {
        self.console = Arc::new(settings);
        self
    }

    pub fn with_directory(mut self, settings: crate::directory::DirectorySettings) -> Self {
        self.directory = Arc::new(settings);
        self
    }

    /// The node's secret box (for sealed secrets such as TOTP), or 503 on
    /// a node built without its workers.
    pub fn secrets(&self) -> Result<&vigia_sign::SecretBox, AppError> {
        Ok(&self.watch()?.secrets)
    }

    /// The watch context, or 503 on a node built without it.
    pub fn watch(&self) -> Result<&vigia_notify::Watch, AppError> {
        self.watch.as_ref().ok_or_else(|| {
            AppError::Unavailable("watch and warning is not running on this node".into())
        })
    }

    /// Projects what was just stored, so the page or answer given next
    /// reflects it. It is stored either way; on failure the projector
    /// worker picks it up.
    pub async fn project_now(&self) {
        if let Some(w) = &self.watch {
            if let Err(e) = vigia_notify::project::catch_up(w, 4).await {
                tracing::warn!(error = %e, "projection deferred to the worker");
            }
        }
    }

    /// Objects were stored: wake the projector and the live stream.
    pub fn stored(&self) {
        if let Some(w) = &self.watch {
            w.stored();
        }
    }

    /// Appends one audit entry; a failure to audit fails the request, since
    /// an unrecorded access must not happen.
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        subject: Option<&str>,
        outcome: &str,
        detail: serde_json::Value,
    ) -> Result<(), AppError> {
        self.store
            .append_audit(&audit_event(actor, action, subject, outcome, detail))
            .await
            .map(|_| ())
            .map_err(AppError::from)
    }
}

pub fn now() -> Timestamp {
    Timestamp::from_datetime(OffsetDateTime::now_utc())
}

pub fn audit_event(
    actor: &str,
    action: &str,
    subject: Option<&str>,
    outcome: &str,
    detail: serde_json::Value,
) -> AuditEvent {
    AuditEvent {
        at: now(),
        actor: actor.to_owned(),
        action: action.to_owned(),
        subject: subject.map(str::to_owned),
        outcome: outcome.to_owned(),
        detail,
    }
}
