//! Reading another provider: from its `provider-metadata.json` to the
//! documents it lists (ROLIE feeds or a directory's `index.txt`), with
//! the hash and signature files beside each, and from an imported
//! advisory to the facts of a vulnerability notice.
//!
//! Pure: the caller fetches each URL this module names and passes the
//! text back. URLs in feeds may be relative; they are resolved against
//! the URL of the file that holds them.

use serde_json::Value;
use vigia_watch::Severity;

use crate::import::ImportedAdvisory;

/// Where a provider's documents and keys are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProviderDistributions {
    /// ROLIE feed URLs, absolute.
    pub feeds: Vec<String>,
    /// Directory URLs (each with an `index.txt`), absolute, no final slash.
    pub directories: Vec<String>,
    /// The OpenPGP public key URLs, absolute.
    pub keys: Vec<String>,
}

/// One document to fetch, with its companions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentLink {
    pub document: String,
    /// `.sha512` first when there is one: the stronger hash is checked.
    pub hashes: Vec<String>,
    pub signature: Option<String>,
}

/// Why a provider's files cannot be followed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiscoveryError {
    #[error("{what} is not JSON: {reason}")]
    Json { what: String, reason: String },
    #[error("{what}: {reason}")]
    Shape { what: String, reason: String },
}

/// Reads `provider-metadata.json` fetched from `url`.
///
/// # Errors
/// [`DiscoveryError`] when it is not JSON, has no `distributions`, or
/// names neither a feed nor a directory.
pub fn provider_distributions(
    url: &str,
    text: &str,
) -> Result<ProviderDistributions, DiscoveryError> {
    let what = || format!("provider metadata {url}");
    let v: Value = serde_json::from_str(text).map_err(|e| DiscoveryError::Json {
        what: what(),
        reason: e.to_string(),
    })?;
    let shape = |reason: &str| DiscoveryError::Shape {
        what: what(),
        reason: reason.into(),
    };
    let distributions = v["distributions"]
        .as_array()
        .ok_or_else(|| shape("/distributions is missing or not an array"))?;
    let mut out = ProviderDistributions::default();
    for d in distributions {
        if let Some(dir) = d["directory_url"].as_str() {
            out.directories
                .push(resolve(url, dir).trim_end_matches('/').to_owned());
        }
        for f in d["rolie"]["feeds"].as_array().into_iter().flatten() {
            if let Some(u) = f["url"].as_str() {
                out.feeds.push(resolve(url, u));
            }
        }
    }
    for k in v["public_openpgp_keys"].as_array().into_iter().flatten() {
        if let Some(u) = k["url"].as_str() {
            out.keys.push(resolve(url, u));
        }
    }
    if out.feeds.is_empty() && out.directories.is_empty() {
        return Err(shape("it names neither a ROLIE feed nor a directory"));
    }
    Ok(out)
}

/// The documents a ROLIE feed fetched from `url` lists.
///
/// # Errors
/// [`DiscoveryError`] when it is not JSON or has no `/feed/entry` array.
pub fn rolie_documents(url: &str, text: &str) -> Result<Vec<DocumentLink>, DiscoveryError> {
    let what = || format!("ROLIE feed {url}");
    let v: Value = serde_json::from_str(text).map_err(|e| DiscoveryError::Json {
        what: what(),
        reason: e.to_string(),
    })?;
    let entries = v["feed"]["entry"]
        .as_array()
        .ok_or_else(|| DiscoveryError::Shape {
            what: what(),
            reason: "/feed/entry is missing or not an array".into(),
        })?;
    let mut out = Vec::new();
    for e in entries {
        let links: Vec<(&str, &str)> = e["link"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| Some((l["rel"].as_str()?, l["href"].as_str()?)))
            .collect();
        let document = e["content"]["src"]
            .as_str()
            .or_else(|| links.iter().find(|(r, _)| *r == "self").map(|(_, h)| *h));
        let Some(document) = document else { continue };
        let mut hashes: Vec<String> = links
            .iter()
            .filter(|(r, _)| *r == "hash")
            .map(|(_, h)| resolve(url, h))
            .collect();
        hashes.sort_by_key(|h| !h.ends_with(".sha512"));
        out.push(DocumentLink {
            document: resolve(url, document),
            hashes,
            signature: links
                .iter()
                .find(|(r, _)| *r == "signature")
                .map(|(_, h)| resolve(url, h)),
        });
    }
    Ok(out)
}

/// The documents of a directory's `index.txt`: one path per line,
/// relative to the directory; the hash and signature files sit beside.
pub fn directory_documents(directory_url: &str, index_txt: &str) -> Vec<DocumentLink> {
    index_txt
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && l.ends_with(".json"))
        .map(|path| {
            let document = resolve(&format!("{directory_url}/"), path);
            DocumentLink {
                hashes: vec![format!("{document}.sha512"), format!("{document}.sha256")],
                signature: Some(format!("{document}.asc")),
                document,
            }
        })
        .collect()
}

/// The digest a `.sha256`/`.sha512` file states (its first word).
pub fn stated_digest(hash_file: &str) -> Option<&str> {
    hash_file
        .split_whitespace()
        .next()
        .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `href` resolved against `base`: absolute URLs as they are, paths from
/// the root or relative to `base`'s directory.
pub fn resolve(base: &str, href: &str) -> String {
    if href.contains("://") {
        return href.to_owned();
    }
    let origin_end = base
        .find("://")
        .and_then(|i| base[i + 3..].find('/').map(|j| i + 3 + j))
        .unwrap_or(base.len());
    if let Some(rooted) = href.strip_prefix('/') {
        return format!("{}/{rooted}", &base[..origin_end]);
    }
    let dir_end = base
        .rfind('/')
        .filter(|i| *i >= origin_end)
        .unwrap_or(base.len());
    let mut parts: Vec<&str> = base[origin_end..dir_end]
        .split('/')
        .filter(|p| !p.is_empty())
        .collect();
    for p in href.split('/') {
        match p {
            "." | "" => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("{}/{}", &base[..origin_end], parts.join("/"))
}

impl ImportedAdvisory {
    /// The notice's severity: from the CVSS base score (the CVSS v3
    /// qualitative scale), else the publisher's aggregate severity, else
    /// medium.
    pub fn severity(&self) -> Severity {
        if let Some(c) = &self.cvss {
            return match c.base_score {
                s if s >= 9.0 => Severity::Critical,
                s if s >= 7.0 => Severity::High,
                s if s >= 4.0 => Severity::Medium,
                s if s > 0.0 => Severity::Low,
                _ => Severity::Info,
            };
        }
        let text = self
            .aggregate_severity
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if text.contains("critical") {
            Severity::Critical
        } else if text.contains("high") || text.contains("important") {
            Severity::High
        } else if text.contains("low") {
            Severity::Low
        } else {
            Severity::Medium
        }
    }

    /// The notice's text: the summary, then where it came from.
    pub fn notice_description(&self) -> String {
        let mut out = self.summary.clone().unwrap_or_default();
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(&format!(
            "Imported from CSAF advisory {} version {} by {} ({}), released {}.",
            self.tracking_id,
            self.version,
            self.publisher,
            self.publisher_namespace,
            self.current_release_date
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_links_resolve_against_the_file_that_holds_them() {
        let base = "https://csaf.example/.well-known/csaf/white/feed.json";
        assert_eq!(
            resolve(base, "2024/a.json"),
            "https://csaf.example/.well-known/csaf/white/2024/a.json"
        );
        assert_eq!(
            resolve(base, "../openpgp/K.asc"),
            "https://csaf.example/.well-known/csaf/openpgp/K.asc"
        );
        assert_eq!(resolve(base, "/x/y.json"), "https://csaf.example/x/y.json");
        assert_eq!(resolve(base, "http://other/z.json"), "http://other/z.json");
    }

    #[test]
    fn provider_metadata_names_feeds_directories_and_keys() {
        let d = provider_distributions(
            "https://p.example/.well-known/csaf/provider-metadata.json",
            r#"{"distributions":[{"rolie":{"feeds":[{"url":"https://p.example/.well-known/csaf/white/f.json","tlp_label":"WHITE"}]}},{"directory_url":"https://p.example/.well-known/csaf/white/"}],
                "public_openpgp_keys":[{"url":"https://p.example/k.asc"}]}"#,
        )
        .expect("reads");
        assert_eq!(d.feeds, ["https://p.example/.well-known/csaf/white/f.json"]);
        assert_eq!(d.directories, ["https://p.example/.well-known/csaf/white"]);
        assert_eq!(d.keys, ["https://p.example/k.asc"]);
        let none = provider_distributions("u", r#"{"distributions":[]}"#).unwrap_err();
        assert!(none
            .to_string()
            .contains("neither a ROLIE feed nor a directory"));
        assert!(provider_distributions("u", "{").is_err());
    }

    #[test]
    fn a_feed_lists_each_document_with_its_hashes_and_signature() {
        let docs = rolie_documents(
            "https://p.example/.well-known/csaf/white/f.json",
            r#"{"feed":{"entry":[{"content":{"src":"2024/a.json"},"link":[
                {"rel":"self","href":"2024/a.json"},{"rel":"hash","href":"2024/a.json.sha256"},
                {"rel":"hash","href":"2024/a.json.sha512"},{"rel":"signature","href":"2024/a.json.asc"}]}]}}"#,
        )
        .expect("reads");
        assert_eq!(docs.len(), 1);
        assert_eq!(
            docs[0].document,
            "https://p.example/.well-known/csaf/white/2024/a.json"
        );
        assert!(docs[0].hashes[0].ends_with(".sha512"));
        assert!(docs[0]
            .signature
            .as_deref()
            .is_some_and(|s| s.ends_with(".asc")));
        assert!(rolie_documents("u", r#"{"feed":{}}"#).is_err());
    }

    #[test]
    fn an_index_lists_documents_relative_to_its_directory() {
        let docs = directory_documents(
            "https://p.example/csaf/white",
            "2024/a.json\n\n2023/b.json\n",
        );
        assert_eq!(docs[1].document, "https://p.example/csaf/white/2023/b.json");
        assert_eq!(
            docs[1].signature.as_deref(),
            Some("https://p.example/csaf/white/2023/b.json.asc")
        );
    }

    #[test]
    fn a_hash_file_states_its_digest_first() {
        assert_eq!(stated_digest("abc123  a.json\n"), Some("abc123"));
        assert_eq!(stated_digest("not-hex a.json"), None);
        assert_eq!(stated_digest(""), None);
    }
}
