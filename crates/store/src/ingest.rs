//! The one ingest path every interface uses: split, validate, address,
//! store. Good objects are stored, bad ones reported; none is half-stored.

use std::sync::Arc;

use serde::Serialize;
use vigia_policy::{collection_keys, object_keys, Audience, TeamId};
use vigia_stix::{split_objects, SchemaSet, StixObject, Tlp};

use crate::db::Store;
use crate::error::StoreError;
use crate::objects::{InsertOutcome, NewObject};

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

/// Why a whole submission was refused before any object was looked at.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{0}")]
    Envelope(#[from] vigia_stix::BundleError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("validation worker failed: {0}")]
    Worker(String),
}

/// Chooses the collections an object belongs to.
pub type CollectionRouter = Arc<dyn Fn(&StixObject) -> Vec<String> + Send + Sync>;

/// Where objects come from and where they go.
#[derive(Clone)]
pub struct IngestContext {
    pub schemas: Arc<SchemaSet>,
    /// The TLP given to objects that carry none.
    pub default_tlp: Tlp,
    pub router: CollectionRouter,
}

/// Validates and stores every object in `body` (a bundle or one object)
/// as originated by `originator`.
pub async fn ingest(
    store: &Store,
    ctx: &IngestContext,
    originator: &TeamId,
    body: String,
) -> Result<IngestReport, IngestError> {
    let originator_owned = originator.clone();
    let ctx = ctx.clone();
    // Validation is CPU work; keep it off the async workers.
    let (accepted, failures) =
        tokio::task::spawn_blocking(move || validate_all(&body, &ctx, &originator_owned))
            .await
            .map_err(|e| IngestError::Worker(e.to_string()))??;

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
        let outcomes = store.insert_objects(&batch).await?;
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
    Ok(report)
}

fn validate_all(
    body: &str,
    ctx: &IngestContext,
    originator: &TeamId,
) -> Result<(Vec<Accepted>, Vec<Failure>), IngestError> {
    let (schemas, default_tlp) = (&*ctx.schemas, ctx.default_tlp);
    let raws = split_objects(body)?;
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
            let mut keys = object_keys(&audience);
            let scoped: Vec<String> = (ctx.router)(&object)
                .iter()
                .flat_map(|c| collection_keys(c, &keys).collect::<Vec<_>>())
                .collect();
            keys.extend(scoped);
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
