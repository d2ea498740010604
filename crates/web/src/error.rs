//! One error type for every handler, rendered as a JSON error body.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use vigia_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("authentication required: {0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    NotAcceptable(String),
    #[error("{0}")]
    Conflict(String),
    #[error("request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported content type {found:?}; send {expected}")]
    UnsupportedMediaType {
        found: String,
        expected: &'static str,
    },
    #[error("{message}")]
    Unprocessable {
        message: String,
        details: serde_json::Value,
    },
    #[error("{0}")]
    TooManyRequests(String),
    #[error("the server is not ready: {0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    /// 422 naming the bad field of a request body.
    pub(crate) fn field(field: &str, reason: impl std::fmt::Display) -> Self {
        AppError::Unprocessable {
            message: format!("{field}: {reason}"),
            details: serde_json::json!({ "field": field }),
        }
    }

    /// As [`AppError::field`] for a domain check's "field: reason" message.
    pub(crate) fn field_message(message: &str) -> Self {
        match message.split_once(": ") {
            Some((field, reason)) => Self::field(field, reason),
            None => Self::field("body", message),
        }
    }

    pub(crate) fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::NotAcceptable(_) => "not_acceptable",
            AppError::Conflict(_) => "conflict",
            AppError::PayloadTooLarge { .. } => "payload_too_large",
            AppError::UnsupportedMediaType { .. } => "unsupported_media_type",
            AppError::Unprocessable { .. } => "unprocessable",
            AppError::TooManyRequests(_) => "too_many_requests",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(detail) = &self {
            // The detail may name internals; log it, do not send it.
            tracing::error!(error = %detail, "internal error");
        }
        let details = match &self {
            AppError::Unprocessable { details, .. } => details.clone(),
            _ => serde_json::Value::Null,
        };
        let mut body = json!({"error": {"code": self.code(), "message": self.to_string()}});
        if !details.is_null() {
            body["error"]["details"] = details;
        }
        let mut response = (self.status(), Json(body)).into_response();
        if matches!(self, AppError::Unauthorized(_)) {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static(
                    "Bearer realm=\"vigia\", Basic realm=\"vigia\"",
                ),
            );
        }
        response
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { what } => AppError::Conflict(format!("{what} already exists")),
            StoreError::NotFound { what } => AppError::NotFound(what),
            StoreError::SearchQuery { reason } => AppError::BadRequest(format!("q: {reason}")),
            other => AppError::Internal(other.to_string()),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
