//! TAXII 2.1 (OASIS cs01): discovery, API roots, status, collections,
//! manifests, objects and versions, on top of the same access rule and
//! ingest path as the JSON API.
//!
//! Two API roots: `/taxii2/api/` for authenticated callers and, when the
//! node enables it, `/taxii2/public/`, anonymous and TLP:CLEAR only (the
//! access rule enforces that, not the route).

mod collections;
mod handlers;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
pub use collections::{default_collections, route, CollectionConfig};
use vigia_taxii::{ErrorResource, TAXII_MEDIA_TYPE};

use crate::error::AppError;
use crate::state::AppState;

/// Every TAXII route, under `/taxii2/`.
pub(crate) fn router() -> Router<AppState> {
    use handlers::{
        api_root, collection, collections, discovery, manifest, object_delete, object_get,
        objects_get, objects_post, status, versions,
    };
    Router::new()
        .route("/taxii2/", get(discovery))
        .route("/taxii2/{root}/", get(api_root))
        .route("/taxii2/{root}/status/{id}/", get(status))
        .route("/taxii2/{root}/collections/", get(collections))
        .route("/taxii2/{root}/collections/{id}/", get(collection))
        .route("/taxii2/{root}/collections/{id}/manifest/", get(manifest))
        .route(
            "/taxii2/{root}/collections/{id}/objects/",
            get(objects_get).post(objects_post),
        )
        .route(
            "/taxii2/{root}/collections/{id}/objects/{object_id}/",
            get(object_get).delete(object_delete),
        )
        .route(
            "/taxii2/{root}/collections/{id}/objects/{object_id}/versions/",
            get(versions),
        )
}

/// A TAXII error message resource (3.6.1) with the TAXII media type.
pub(crate) struct TaxiiError(pub(crate) AppError);

impl From<AppError> for TaxiiError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

impl From<vigia_store::StoreError> for TaxiiError {
    fn from(e: vigia_store::StoreError) -> Self {
        Self(AppError::from(e))
    }
}

impl IntoResponse for TaxiiError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        if let AppError::Internal(detail) = &self.0 {
            tracing::error!(error = %detail, "internal error on TAXII");
        }
        let body = ErrorResource {
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            description: Some(self.0.to_string()),
            error_id: None,
            error_code: None,
            http_status: Some(status.as_u16().to_string()),
            external_details: None,
            details: None,
        };
        let mut response = taxii_json(
            status,
            serde_json::to_string(&body).unwrap_or_default(),
            HeaderMap::new(),
        );
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(
                    "Basic realm=\"vigia TAXII\", Bearer realm=\"vigia TAXII\"",
                ),
            );
        }
        response
    }
}

pub(crate) type TaxiiResult<T> = Result<T, TaxiiError>;

/// A response with the TAXII 2.1 media type.
pub(crate) fn taxii_json(status: StatusCode, body: String, mut headers: HeaderMap) -> Response {
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(TAXII_MEDIA_TYPE),
    );
    (status, headers, body).into_response()
}
