//! Health, readiness, metrics, the OpenAPI document and node facts.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

const OPENAPI: &str = include_str!("../openapi.json");

pub(crate) async fn healthz() -> &'static str {
    "ok"
}

pub(crate) async fn readyz(State(state): State<AppState>) -> AppResult<&'static str> {
    state
        .store
        .ping()
        .await
        .map(|_| "ready")
        .map_err(|e| AppError::Unavailable(format!("database: {e}")))
}

pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    match &state.metrics {
        Some(handle) => {
            note_indexing_backlog(&state).await;
            (
                [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                handle.render(),
            )
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "metrics are not enabled").into_response(),
    }
}

/// How far each derived index (search, correlation) is behind the stored
/// objects, read at each scrape: a backlog that keeps growing means the
/// indexer cannot keep up or is failing (its errors are logged).
async fn note_indexing_backlog(state: &AppState) {
    match state.store.indexing_backlog().await {
        Ok(backlog) => {
            for (index, behind) in backlog {
                metrics::gauge!("vigia_index_backlog_objects", "index" => index).set(behind as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not read the indexing backlog"),
    }
}

pub(crate) async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

pub(crate) async fn node(State(state): State<AppState>) -> Json<serde_json::Value> {
    let n = &state.node;
    Json(json!({
        "node_id": n.node_id,
        "team_id": n.team_id,
        "team_name": n.team_name,
        "country": n.country,
        "public_url": n.public_url,
        "public_key": n.public_key,
        "key_fingerprint": n.key_fingerprint,
        "default_tlp": n.default_tlp,
    }))
}

pub(crate) async fn not_found() -> AppError {
    AppError::NotFound("no such endpoint; see /api/openapi.json".into())
}

pub(crate) async fn method_not_allowed() -> Response {
    let body = Json(
        json!({"error": {"code": "method_not_allowed", "message": "method not allowed on this endpoint"}}),
    );
    (StatusCode::METHOD_NOT_ALLOWED, body).into_response()
}
