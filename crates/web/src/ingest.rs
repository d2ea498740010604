//! The one ingest path every interface uses: split, validate, address,
//! store. Good objects are stored, bad ones reported; none is half-stored.

use serde::Serialize;
use vigia_policy::{object_keys, Audience, TeamId};
use vigia_stix::{split_objects, StixObject};
use vigia_store::{InsertOutcome, NewObject};

use crate::error::AppError;
use crate::state::AppState;

/// Objects stored per transaction.
const BATCH: usize = 1000;

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
}

/// Validates and stores every object in `body` (a bundle or one object)
/// as originated by `originator`.
pub async fn ingest(
    state: &AppState,
    originator: &TeamId,
    body: String,
) -> Result<IngestReport, AppError> {
    let schemas = state.schemas.clone();
    let default_tlp = state.node.default_tlp;
    let originator_owned = originator.clone();
    // Validation is CPU work; keep it off the async workers.
    let (accepted, failures) = tokio::task::spawn_blocking(move || {
        validate_all(&body, &schemas, default_tlp, &originator_owned)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))??;

    let mut report = IngestReport {
        failures,
        ..Default::default()
    };
    for chunk in accepted.chunks(BATCH) {
        let batch: Vec<NewObject<'_>> = chunk
            .iter()
            .map(|a| NewObject {
                object: &a.object,
                audience: &a.audience,
                access_keys: &a.keys,
            })
            .collect();
        let outcomes = state.store.insert_objects(&batch).await?;
        for (a, outcome) in chunk.iter().zip(outcomes) {
            let (list, date_added) = match outcome {
                InsertOutcome::Stored { date_added } => (&mut report.stored, date_added),
                InsertOutcome::Duplicate { date_added } => (&mut report.duplicates, date_added),
            };
            list.push(Ingested {
                id: a.object.id().to_string(),
                version: a.object.version().map(|v| v.to_millis_string()),
                date_added: date_added.to_micros_string(),
            });
        }
    }
    metrics::counter!("vigia_objects_stored_total").increment(report.stored.len() as u64);
    metrics::counter!("vigia_objects_rejected_total").increment(report.failures.len() as u64);
    Ok(report)
}

fn validate_all(
    body: &str,
    schemas: &vigia_stix::SchemaSet,
    default_tlp: vigia_stix::Tlp,
    originator: &TeamId,
) -> Result<(Vec<Accepted>, Vec<Failure>), AppError> {
    let raws = split_objects(body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let mut accepted = Vec::with_capacity(raws.len());
    let mut failures = Vec::new();
    for (index, raw) in raws.into_iter().enumerate() {
        let parsed = StixObject::parse(raw, schemas).map_err(|e| Failure {
            index,
            id: e.id,
            path: e.path,
            reason: e.reason,
        });
        let result = parsed.and_then(|object| {
            let audience = Audience::of_object(&object, default_tlp, Some(originator.clone()))
                .map_err(|e| Failure {
                    index,
                    id: Some(object.id().to_string()),
                    path: format!("/extensions/{}", vigia_stix::DISTRIBUTION_EXTENSION_ID),
                    reason: e.to_string(),
                })?;
            let keys = object_keys(&audience);
            Ok(Accepted {
                object,
                audience,
                keys,
            })
        });
        match result {
            Ok(a) => accepted.push(a),
            Err(f) => failures.push(f),
        }
    }
    Ok((accepted, failures))
}
