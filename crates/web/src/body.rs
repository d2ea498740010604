//! Request bodies: content type checked, size limited, parsed with errors
//! that say where the JSON went wrong.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::state::AppState;

/// Media types accepted for STIX content.
const STIX_TYPES: &[&str] = &[
    "application/json",
    "application/stix+json",
    "application/taxii+json",
];

/// A JSON body deserialised into `T`.
pub struct JsonBody<T>(pub T);

/// A STIX bundle or object as UTF-8 text, unparsed, so the original bytes
/// can be kept.
pub struct StixBody(pub String);

fn media_type(req: &Request) -> String {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default()
}

async fn read_bytes(req: Request, state: &AppState) -> Result<Bytes, AppError> {
    Bytes::from_request(req, state).await.map_err(|e| match e {
        BytesRejection::FailedToBufferBody(_) => AppError::PayloadTooLarge {
            limit: state.limits.max_body_bytes,
        },
        other => AppError::BadRequest(other.body_text()),
    })
}

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        let found = media_type(&req);
        if found != "application/json" {
            return Err(AppError::UnsupportedMediaType {
                found,
                expected: "application/json",
            });
        }
        let bytes = read_bytes(req, state).await?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| AppError::BadRequest(format!("invalid JSON body: {e}")))
    }
}

impl FromRequest<AppState> for StixBody {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        let found = media_type(&req);
        if !STIX_TYPES.contains(&found.as_str()) {
            return Err(AppError::UnsupportedMediaType {
                found,
                expected: "application/stix+json;version=2.1 or application/json",
            });
        }
        let bytes = read_bytes(req, state).await?;
        String::from_utf8(bytes.to_vec())
            .map(StixBody)
            .map_err(|e| {
                AppError::BadRequest(format!(
                    "body is not UTF-8 (byte {})",
                    e.utf8_error().valid_up_to()
                ))
            })
    }
}
