//! `vigia serve`: run one national node.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use vigia_federation::sync::{run_outbox, run_pull, Federation, SyncSettings};
use vigia_policy::TeamId;
use vigia_sign::NodeKey;
use vigia_store::ingest::FederationContext;
use vigia_web::{AppState, Limits, NodeContext, TaxiiSettings};

use crate::cli::ServeArgs;
use crate::config::{LogFormat, Overrides, KEY_FILE};
use crate::telemetry;

pub(crate) async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let dir = &args.dir.data_dir;
    let overrides = Overrides {
        listen: args.listen,
        database_url: args.database_url,
        log_format: args.log_format,
    };
    let config = crate::config::Config::load(dir, overrides)?;
    telemetry::init_logs(config.log_format, "info,sqlx=warn,tower_http=info");
    let metrics = telemetry::init_metrics();

    let store = super::connect(&config, dir).await?;
    let node_record = store
        .node()
        .await?
        .context("the database has no node record")?;
    let key_path = dir.join(KEY_FILE);
    let pem = std::fs::read_to_string(&key_path)
        .with_context(|| format!("cannot read {}", key_path.display()))?;
    let key = NodeKey::from_pkcs8_pem(&pem)?;
    if key.public().to_base64() != node_record.public_key {
        anyhow::bail!(
            "{} does not match the public key recorded for this node",
            key_path.display()
        );
    }
    let team_id = TeamId::parse(&config.team_id)
        .map_err(|e| anyhow::anyhow!("key `team_id` in vigia.toml: {e}"))?;

    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let local = listener.local_addr()?;
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(vigia_web::TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        }),
        (None, None) => None,
        _ => anyhow::bail!("keys `tls_cert` and `tls_key` go together: set both or neither"),
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let public_url = match &config.public_url {
        Some(url) => url.clone(),
        None => format!("{scheme}://{local}"),
    };
    let node = NodeContext {
        node_id: config.node_id.clone(),
        team_id,
        team_name: config.team_name.clone(),
        country: config.country.clone(),
        public_url: public_url.clone(),
        public_key: key.public().to_base64(),
        key_fingerprint: key.public().fingerprint(),
        default_tlp: config.default_tlp,
    };
    let limits = Limits {
        max_body_bytes: config.max_body_bytes,
        ..Limits::default()
    };
    let taxii = TaxiiSettings {
        collections: config.collections.clone(),
        public_root: config.taxii_public,
    };
    config
        .directory
        .checklist
        .validate()
        .map_err(|e| anyhow::anyhow!("[directory.checklist] in vigia.toml: {e}"))?;
    let mut state = AppState::new(store.clone(), node, limits, metrics, taxii)?
        .with_directory(config.directory.clone())
        .with_console(config.console.clone());
    store.set_correlation_cap(config.correlation.cap);
    let exclusions = config.correlation.exclusions()?;
    if !exclusions.lists().is_empty() {
        tracing::info!(
            lists = exclusions.lists().len(),
            entries = exclusions.lists().iter().map(|l| l.len()).sum::<usize>(),
            "warninglists loaded"
        );
    }
    state.exclusions = std::sync::Arc::new(exclusions);
    let mut workers = tokio::task::JoinSet::new();
    let key = std::sync::Arc::new(key);
    if config.federation.enabled {
        let federation = FederationContext {
            here: state.node.team_id.clone(),
            node_key: key.clone(),
            configured_outbound: config.outbound.clone(),
        };
        state = state.with_federation(federation.clone());
        let fed = Federation {
            store: store.clone(),
            ingest: state.ingest.clone(),
            here: federation.here.clone(),
            key: federation.node_key.clone(),
            outbox: state.outbox.clone(),
            settings: SyncSettings {
                pull_interval: Duration::from_secs(config.federation.pull_interval_secs.max(1)),
                retry_base: Duration::from_millis(config.federation.retry_base_ms.max(10)),
                retry_max: Duration::from_secs(config.federation.retry_max_secs.max(1)),
                push_batch: config.federation.push_batch.clamp(1, 5000),
                root_certificates_pem: config.federation.roots()?,
                ..SyncSettings::default()
            },
        };
        if !public_url.starts_with("https://") {
            if local.ip().is_loopback() {
                tracing::info!(%public_url, "federation over plain http on loopback");
            } else {
                tracing::warn!(%public_url, "federation over plain http: put the node behind TLS (https public_url); peers refuse plain http beyond loopback");
            }
        }
        workers.spawn(run_outbox(fed.clone()));
        workers.spawn(vigia_federation::relay::run_report_relays(
            fed.clone(),
            std::sync::Arc::new(vigia_sign::SecretBox::for_node(&key)),
        ));
        workers.spawn(run_pull(fed));
    }
    let watch = super::watch::context(&config, &store, &state, &key)?;
    if config.watch.manual_clock {
        tracing::warn!("watch.manual_clock is on: an admin can move this node's escalation clock (exercises and tests only)");
    }
    state = state.with_watch(watch.clone());
    workers.spawn(vigia_notify::run(watch));
    workers.spawn(vigia_web::run_reminders(state.clone()));
    tracing::info!(%local, node_id = %config.node_id, backend = ?store.backend(), "vigia node listening");
    if config.log_format == LogFormat::Text {
        // A plain line for scripts and tests that start a node on port 0.
        println!("vigia listening on {scheme}://{local}");
    }
    let grace = Duration::from_secs(config.shutdown_grace_secs);
    match &tls {
        Some(files) => {
            let listener = listener.into_std()?;
            vigia_web::run_tls(listener, state, files, shutdown_signal(), grace).await?
        }
        None => vigia_web::run(listener, state, shutdown_signal(), grace).await?,
    }
    // Deliveries are durable and idempotent: stopping mid-way loses nothing.
    workers.shutdown().await;
    store.close().await;
    tracing::info!("vigia node stopped");
    Ok(ExitCode::SUCCESS)
}

/// Resolves on SIGTERM or Ctrl-C.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("received Ctrl-C"),
        _ = term => tracing::info!("received SIGTERM"),
    }
}
