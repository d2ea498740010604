//! Exports: FIRST global-irt JSON, RFC 2350 and RFC 9116 `security.txt`.

use serde_json::Value;

use crate::entry::DirectoryEntry;

/// FIRST global-irt `cert-types/latest.json`: (identifier, description).
pub const CERT_TYPES: [(&str, &str); 10] = [
    (
        "NREN",
        "academic CSIRT, national research and education network NREN",
    ),
    ("PSIRT", "Product CSIRT"),
    ("national", "CSIRT with a core national responsibility"),
    (
        "national-responsibility",
        "CSIRT with one or more national responsibilities mandated",
    ),
    (
        "sector",
        "Sector CSIRT (for example Energy sector or other critical infrastructures)",
    ),
    ("government", "Government CSIRT"),
    (
        "enterprise",
        "Internal CSIRT to an enterprise dealing with the IT security internally",
    ),
    ("PIRT", "Privacy Incident Response Team"),
    ("publicly-funded", "CSIRT where primarily funding is public"),
    ("commercial", "Commercial CSIRT services"),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error("{0}")]
    Missing(String),
}

/// The entries as a FIRST global-irt team list.
pub fn global_irt(entries: &[DirectoryEntry], last_modified: &str) -> Value {
    let _ = (entries, last_modified);
    Value::Array(Vec::new())
}

/// An RFC 2350 description of the team.
pub fn rfc2350(entry: &DirectoryEntry, updated: &str) -> String {
    let _ = (entry, updated);
    String::new()
}

/// An RFC 9116 `security.txt` for the team (unsigned).
pub fn security_txt(
    entry: &DirectoryEntry,
    expires: &str,
    canonical: Option<&str>,
) -> Result<String, ExportError> {
    let _ = (entry, expires, canonical);
    Err(ExportError::Missing("not yet".into()))
}
