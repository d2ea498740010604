//! The node as a CSAF 2.0 trusted provider (CSAF 2.0 §7.1): the team's own
//! TLP:CLEAR advisories as CSAF documents under `/.well-known/csaf/`, each
//! beside its `.sha256`, `.sha512` and OpenPGP `.asc` files, listed in a
//! ROLIE feed that `provider-metadata.json` points to, with the node's
//! OpenPGP public key.
//!
//! Only what the public may see is exported (the access rule with the
//! public viewer), and only what this team originated: a provider speaks
//! for its own publisher. The OpenPGP key lives in the store, sealed with
//! the node's secret box, so every replica signs with the same key.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use rand::rngs::OsRng;
use vigia_csaf::{
    AdvisoryInput, CsafDocument, CsafTlp, FeedEntry, Layout, OpenPgpKey, ProviderMetadata,
    Publisher, Reference, Revision, RolieFeed,
};
use vigia_stix::{StixId, Timestamp, Tlp};

use super::{cacheable, Advisory};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The setting that holds the sealed, armored OpenPGP secret key.
const KEY_SETTING: &str = "csaf.openpgp_secret_key";

const JSON: &str = "application/json";
const TEXT: &str = "text/plain; charset=utf-8";
const SIGNATURE: &str = "application/pgp-signature";
const KEYS: &str = "application/pgp-keys";

/// The node's OpenPGP key, created and stored on first use.
pub(crate) async fn node_key(state: &AppState) -> AppResult<&OpenPgpKey> {
    state
        .csaf_key
        .get_or_try_init(|| async {
            let secrets = state.secrets()?;
            let sealed = match state.store.setting(KEY_SETTING).await? {
                Some(sealed) => sealed,
                None => {
                    let user_id = format!("{} CSAF", state.node.team_name);
                    let key = OpenPgpKey::generate(&mut OsRng, &user_id, crate::state::now())
                        .map_err(internal)?;
                    let armored = key.armored_secret().map_err(internal)?;
                    state
                        .store
                        .setting_or_insert(KEY_SETTING, &secrets.seal(&armored))
                        .await?
                }
            };
            let armored = secrets.open(&sealed).map_err(|_| {
                AppError::Internal(format!("{KEY_SETTING} does not open with this node's key"))
            })?;
            OpenPgpKey::from_armored_secret(&armored).map_err(internal)
        })
        .await
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

fn layout(state: &AppState) -> AppResult<Layout> {
    Layout::new(&state.node.public_url).map_err(internal)
}

fn publisher(state: &AppState) -> Publisher {
    Publisher {
        name: state.node.team_name.clone(),
        namespace: state.node.public_url.trim_end_matches('/').to_owned(),
        contact_details: None,
        issuing_authority: None,
    }
}

/// The provider's documents, newest first: the team's own public
/// advisories that CSAF can carry. One that cannot be exported is left
/// out and logged, never served half-made.
pub(crate) async fn documents(state: &AppState) -> AppResult<Vec<CsafDocument>> {
    let here = state.node.team_id.as_str();
    let mut out = Vec::new();
    for a in super::advisories(state).await? {
        if a.originator.as_deref() != Some(here) {
            continue;
        }
        let input = input_for(state, &a).await?;
        match vigia_csaf::export(&input) {
            Ok(d) => out.push(d),
            Err(e) => tracing::warn!(advisory = %a.id, error = %e, "not exported as CSAF"),
        }
    }
    Ok(out)
}

async fn input_for(state: &AppState, a: &Advisory) -> AppResult<AdvisoryInput> {
    let stix_id = StixId::parse(&a.id).map_err(internal)?;
    let mut dates: Vec<Timestamp> = Vec::new();
    for v in state.store.object_versions(&stix_id).await? {
        // Only versions the public could see make its public history.
        if v.tlp == Tlp::Clear {
            let raw: serde_json::Value = serde_json::from_str(&v.raw).unwrap_or_default();
            if let Some(m) = raw["modified"]
                .as_str()
                .and_then(|m| Timestamp::parse(m).ok())
            {
                dates.push(m);
            }
        }
    }
    dates.sort();
    dates.dedup();
    if dates.is_empty() {
        dates.push(a.updated);
    }
    let revisions = dates
        .iter()
        .enumerate()
        .map(|(i, d)| Revision {
            date: *d,
            summary: if i == 0 {
                "Initial release.".into()
            } else {
                "Revised.".into()
            },
        })
        .collect();
    let page = format!(
        "{}/advisories/{}",
        state.node.public_url.trim_end_matches('/'),
        a.id
    );
    Ok(AdvisoryInput {
        stix_id,
        kind: a.info.kind,
        severity: a.info.severity,
        title: a.title.clone(),
        description: a.description.clone(),
        cves: a.cves.clone(),
        cvss: a.info.cvss.clone(),
        tlp: Tlp::Clear,
        revisions,
        publisher: publisher(state),
        lang: None,
        references: vec![Reference::external(
            page,
            "The advisory on the team's public portal.",
        )],
        exercise: false,
    })
}

/// `GET /.well-known/csaf/provider-metadata.json`.
pub(crate) async fn provider_metadata(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let key = node_key(&state).await?;
    let docs = documents(&state).await?;
    let last_updated = docs
        .iter()
        .map(CsafDocument::current_release_date)
        .max()
        .unwrap_or_else(crate::state::now);
    let metadata = ProviderMetadata::for_node(
        &layout(&state)?,
        publisher(&state),
        &key.fingerprint(),
        last_updated,
    )
    .to_json()
    .map_err(internal)?;
    Ok(cacheable(
        &headers,
        JSON,
        pretty(&metadata),
        Some(last_updated),
    ))
}

/// `GET /.well-known/csaf/white/csaf-feed-tlp-white.json`: the ROLIE feed.
pub(crate) async fn feed(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    let layout = layout(&state)?;
    let docs = documents(&state).await?;
    let entries: Vec<FeedEntry> = docs
        .iter()
        .map(|d| FeedEntry::for_document(d, &layout.document_url(d)))
        .collect();
    let updated = docs
        .iter()
        .map(CsafDocument::current_release_date)
        .max()
        .unwrap_or_else(crate::state::now);
    let feed = RolieFeed {
        id: format!("{}-csaf-feed-tlp-white", state.node.team_id.as_str()),
        title: format!("{} CSAF feed (TLP:WHITE)", state.node.team_name),
        self_url: layout.feed_url(CsafTlp::White),
        tlp: CsafTlp::White,
        updated,
    }
    .to_json(&entries)
    .map_err(internal)?;
    Ok(cacheable(&headers, JSON, pretty(&feed), Some(updated)))
}

/// `GET /.well-known/csaf/openpgp/{FINGERPRINT}.asc`: the public key.
pub(crate) async fn public_key(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let key = node_key(&state).await?;
    if file != format!("{}.asc", key.fingerprint()) {
        return Err(AppError::NotFound(format!("key {file}")));
    }
    let armored = key.armored_public().map_err(internal)?;
    Ok(cacheable(&headers, KEYS, armored, None))
}

/// `GET /.well-known/csaf/white/{year}/{file}`: a document, or its
/// `.sha256`, `.sha512` or `.asc` file.
pub(crate) async fn document_file(
    State(state): State<AppState>,
    Path((year, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let (name, suffix) = split_suffix(&file);
    let not_found = || AppError::NotFound(format!("CSAF document white/{year}/{file}"));
    let doc = documents(&state)
        .await?
        .into_iter()
        .find(|d| d.file_name() == name && d.path() == format!("white/{year}/{name}"))
        .ok_or_else(not_found)?;
    let bytes = doc.to_bytes();
    let modified = Some(doc.current_release_date());
    Ok(match suffix {
        "" => cacheable(
            &headers,
            JSON,
            String::from_utf8_lossy(&bytes).into_owned(),
            modified,
        ),
        ".sha256" => cacheable(
            &headers,
            TEXT,
            vigia_csaf::sha256_file(&bytes, name),
            modified,
        ),
        ".sha512" => cacheable(
            &headers,
            TEXT,
            vigia_csaf::sha512_file(&bytes, name),
            modified,
        ),
        ".asc" => {
            let key = node_key(&state).await?;
            let signature = key
                .sign_detached(&mut OsRng, &bytes, crate::state::now())
                .map_err(internal)?;
            cacheable(&headers, SIGNATURE, signature, modified)
        }
        _ => return Err(not_found()),
    })
}

/// `name.json.sha256` → (`name.json`, `.sha256`); a bare document has no
/// suffix.
fn split_suffix(file: &str) -> (&str, &str) {
    for suffix in [".sha256", ".sha512", ".asc"] {
        if let Some(name) = file.strip_suffix(suffix) {
            return (name, suffix);
        }
    }
    if file.ends_with(".json") {
        (file, "")
    } else {
        (file, "?")
    }
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// The provider-metadata URL, for the `CSAF:` field of `security.txt`.
pub(crate) fn provider_metadata_url(state: &AppState) -> AppResult<String> {
    Ok(layout(state)?.provider_metadata_url())
}

#[cfg(test)]
mod tests {
    use super::split_suffix;

    #[test]
    fn suffixes_name_the_file_they_belong_to() {
        assert_eq!(split_suffix("a.json"), ("a.json", ""));
        assert_eq!(split_suffix("a.json.sha256"), ("a.json", ".sha256"));
        assert_eq!(split_suffix("a.json.sha512"), ("a.json", ".sha512"));
        assert_eq!(split_suffix("a.json.asc"), ("a.json", ".asc"));
        assert_eq!(split_suffix("a.txt").1, "?");
    }
}
