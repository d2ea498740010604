//! vigia's HTTP surface: the JSON API under `/api/`, authentication,
//! health, readiness and Prometheus metrics.
//!
//! Layout:
//! - [`state`]: [`AppState`], built once by the binary.
//! - [`auth`]: [`Caller`], from a bearer token, HTTP Basic, or no one.
//! - [`credentials`]: argon2id passwords and token secrets.
//! - [`body`]: size-limited, content-type-checked bodies.
//! - `routes`: one module per resource of the JSON API.
//! - [`taxii`]: the TAXII 2.1 server.
//! - [`federation`]: signed requests from peer nodes, the `network`
//!   collection they push to and pull from, delivery state and the
//!   outbound policy.
//!
//! Architecture invariant: every handler that returns objects filters them
//! through `vigia_policy::may_view` and audits non-CLEAR reads.

pub mod auth;
pub mod body;
mod console;
pub use console::ConsoleSettings;
mod assistance;
mod awareness;
mod cooperation;
mod correlation;
pub mod credentials;
pub mod directory;
pub mod error;
pub mod federation;
mod portal;
mod reports;
mod routes;
pub mod state;
pub mod taxii;
pub mod throttle;
mod totp;

use std::future::Future;
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::Router;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

pub use auth::Caller;
pub use cooperation::{run_reminders, send_due_reminders};
pub use error::{AppError, AppResult};
pub use routes::admin::{new_team_id, parse_country};
pub use routes::tokens::{create_token, TokenRequest};
pub use state::{AppState, Limits, NodeContext, TaxiiSettings};

/// Every route of the node.
pub fn router(state: AppState) -> Router {
    use routes::{ack, admin, directory, objects, ops, session, stream, tokens, watch};
    let api = Router::new()
        .route("/openapi.json", get(ops::openapi))
        .route("/node", get(ops::node))
        .route(
            "/login",
            post(session::login).layer(middleware::from_fn_with_state(
                state.clone(),
                throttle::limit_sign_ins,
            )),
        )
        .route("/objects", get(objects::list).post(objects::post))
        .route("/objects/{id}", get(objects::get))
        .route("/search", get(objects::search))
        .route("/teams", get(admin::list_teams).post(admin::create_team))
        .route("/users", get(admin::list_users).post(admin::create_user))
        .route("/users/{name}/disable", post(admin::disable_user))
        .route("/users/{name}/enable", post(admin::enable_user))
        .route("/users/{name}/role", put(admin::set_role))
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/{id}", delete(tokens::revoke))
        .route("/sharing-groups", get(admin::list_groups))
        .route("/sharing-groups/{name}", put(admin::put_group))
        .route("/audit", get(admin::audit_log))
        .route("/audit/verify", get(admin::audit_verify))
        .route("/objects/{id}/deliveries", get(federation::deliveries))
        .route("/peers", get(federation::list_peers))
        .route("/products", get(watch::list).post(watch::create))
        .route("/products/preview", post(watch::preview))
        .route("/products/{id}", get(watch::get))
        .route("/products/{id}/acknowledge", post(watch::acknowledge))
        .route("/products/{id}/revise", post(watch::revise_product))
        .route("/products/{id}/findings", post(watch::add_finding))
        .route("/roster", get(watch::get_roster).put(watch::put_roster))
        .route("/drills", get(watch::drills).post(watch::start_drill))
        .route("/watch/assignments", get(watch::assignments))
        .route("/watch/clock", post(watch::advance_clock))
        .route("/stream", get(stream::stream))
        .route("/directory", get(directory::list))
        .route("/directory/export", get(directory::export))
        .route("/directory/{team}", get(directory::get).put(directory::put))
        .route("/directory/{team}/draft", get(directory::draft))
        .route("/directory/{team}/endorsements", post(directory::endorse))
        .route("/coverage", get(directory::coverage))
        .route("/standards", get(directory::standards))
        .route(
            "/member-states",
            get(directory::member_states).put(directory::put_member_states),
        )
        .route(
            "/member-states/{iso2}",
            delete(directory::remove_member_state),
        )
        .route(
            "/member-states/{iso2}/notification",
            post(directory::notification),
        )
        .route(
            "/member-states/{iso2}/activation",
            post(directory::activation),
        )
        .route(
            "/census/questionnaires",
            get(directory::questionnaires).post(directory::add_questionnaire),
        )
        .route(
            "/census/campaigns",
            get(directory::campaigns).post(directory::create_campaign),
        )
        .route("/census/campaigns/{id}", get(directory::campaign))
        .route("/census/campaigns/{id}/reminders", post(directory::remind))
        .route("/census/campaigns/{id}/form", get(directory::form))
        .route("/census/campaigns/{id}/response", put(directory::respond))
        .route(
            "/census/campaigns/{id}/confirmation",
            post(directory::confirm),
        )
        .route("/census/inbox", get(directory::inbox))
        .route(
            "/public/reports",
            post(reports::submit_json)
                .layer(DefaultBodyLimit::max(reports::MAX_REPORT_BODY))
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    throttle::limit_reports,
                )),
        )
        .route(
            "/public/reports/status",
            post(reports::status_json).layer(DefaultBodyLimit::max(4096)),
        )
        .route(
            "/assistance",
            get(assistance::list).post(assistance::create),
        )
        .route("/assistance/{id}", get(assistance::get))
        .route("/assistance/{id}/state", post(assistance::step))
        .route("/lookup", post(correlation::lookup))
        .route("/objects/{id}/related", get(correlation::related))
        .route("/sightings", post(correlation::create_sighting))
        .route("/claims", post(correlation::create_claim))
        .route("/claims/{id}", post(correlation::close_claim_route))
        .route(
            "/cooperation/{kind}",
            get(cooperation::list).post(cooperation::create),
        )
        .route("/calendar", get(cooperation::calendar_list))
        .route("/calendar.ics", get(cooperation::user_feed))
        .route("/milestones", get(cooperation::milestones))
        .route("/milestones/remind", post(cooperation::remind))
        .route("/report/annual", get(cooperation::annual))
        .route(
            "/report/sections/{id}/approve",
            post(cooperation::approve_section),
        )
        .route("/training", get(cooperation::training))
        .route("/compendium", get(cooperation::compendium))
        .route("/assessment", get(cooperation::assessment))
        .route("/readiness", get(cooperation::readiness))
        .route("/awareness", get(awareness::list))
        .route(
            "/awareness/{slug}/{lang}",
            put(awareness::put).delete(awareness::delete),
        )
        .route("/reports", get(reports::list))
        .route("/reports/{id}", get(reports::get))
        .route("/reports/{id}/attachment", get(reports::attachment))
        .route("/reports/{id}/triage", post(reports::triage))
        .route(
            "/federation/outbound-policy",
            get(federation::get_outbound_policy).put(federation::put_outbound_policy),
        );
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .nest("/api", api)
        .route("/calendar.ics", get(cooperation::public_feed))
        .route("/ack/{token}", get(ack::show).post(ack::confirm))
        .merge(console::router(state.clone()))
        .merge(portal::router(state.clone()))
        .merge(taxii::router())
        .fallback(ops::not_found)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .layer(middleware::from_fn(record_metrics))
        .layer(DefaultBodyLimit::max(state.limits.max_body_bytes))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(|_| {
            AppError::Internal("a handler panicked".into()).into_response()
        }))
        .with_state(state)
}

async fn record_metrics(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("vigia_http_requests_total", "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!("vigia_http_request_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Where the TLS certificate chain and private key are (PEM files).
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: std::path::PathBuf,
    pub key: std::path::PathBuf,
}

/// As [`run`], over HTTPS with rustls (ring provider).
pub async fn run_tls(
    listener: std::net::TcpListener,
    state: AppState,
    tls: &TlsFiles,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    // The process may install it once; a second call is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(&tls.cert, &tls.key)
        .await
        .map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!(
                    "cannot load TLS certificate {} and key {}: {e}",
                    tls.cert.display(),
                    tls.key.display()
                ),
            )
        })?;
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!(
            grace_secs = grace.as_secs(),
            "shutting down: finishing in-flight requests"
        );
        stopper.graceful_shutdown(Some(grace));
    });
    listener.set_nonblocking(true)?;
    axum_server::from_tcp_rustls(listener, config)?
        .handle(handle)
        .serve(router(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .await
}

/// Serves until `shutdown` resolves, then stops accepting connections and
/// lets in-flight requests finish (up to `grace`).
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        let _ = stopped_tx.send(());
    };
    let server = axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(signal);
    let mut server = tokio::spawn(async move { server.await });
    tokio::select! {
        finished = &mut server => return finished.map_err(std::io::Error::other)?,
        _ = stopped_rx => {}
    }
    tracing::info!(
        grace_secs = grace.as_secs(),
        "shutting down: finishing in-flight requests"
    );
    match tokio::time::timeout(grace, server).await {
        Ok(joined) => joined.map_err(std::io::Error::other)?,
        Err(_) => {
            tracing::warn!("in-flight requests did not finish within the grace period");
            Ok(())
        }
    }
}
