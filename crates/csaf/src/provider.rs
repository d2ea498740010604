//! Distribution (CSAF 2.0 section 7): where documents sit, the
//! `provider-metadata.json` (requirement 7, 7.1.7), the ROLIE feed
//! (requirement 15, 7.1.15) and, for a directory-based distribution,
//! `index.txt` and `changes.csv` (requirements 12 and 13).
//!
//! vigia's layout under `/.well-known/csaf/` (requirement 9):
//!
//! ```text
//! provider-metadata.json
//! openpgp/<FINGERPRINT>.asc                       the public key (requirement 20)
//! <tlp>/csaf-feed-tlp-<tlp>.json                  the ROLIE feed of one TLP label
//! <tlp>/<YYYY>/<file name>                        a document (requirements 2, 11)
//! <tlp>/<YYYY>/<file name>.sha256, .sha512, .asc  its hashes and signature (18, 19)
//! ```
//!
//! `<tlp>` is `white` on the public portal; AMBER and RED documents, if a
//! node ever serves them, need access control and another path
//! (requirement 5).

use serde_json::{json, Value};
use vigia_stix::Timestamp;

use crate::export::{check_url, CsafDocument, ExportError, Publisher};
use crate::tlp::CsafTlp;

/// The schema URL a ROLIE entry names in `format`.
pub const CSAF_SCHEMA_URL: &str =
    "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json";

/// The path under the provider's base of a document:
/// `<tlp>/<YYYY>/<file name>`, with the year of its initial release.
pub fn document_path(tlp: CsafTlp, initial_release_date: Timestamp, file_name: &str) -> String {
    format!(
        "{}/{:04}/{file_name}",
        tlp.as_lower(),
        initial_release_date.datetime().year()
    )
}

/// The path under the provider's base of the ROLIE feed of one label.
pub fn feed_path(tlp: CsafTlp) -> String {
    let t = tlp.as_lower();
    format!("{t}/csaf-feed-tlp-{t}.json")
}

/// The path under the provider's base of the public OpenPGP key.
pub fn public_key_path(fingerprint: &str) -> String {
    format!("openpgp/{}.asc", fingerprint.to_ascii_uppercase())
}

/// The absolute URLs of vigia's layout for a node's public URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    base: String,
}

impl Layout {
    /// The layout under `<public_url>/.well-known/csaf`.
    ///
    /// # Errors
    /// [`ProviderError::Field`] when `public_url` is not an absolute http(s)
    /// URL.
    pub fn new(public_url: &str) -> Result<Layout, ProviderError> {
        check_url("public_url", public_url)?;
        Ok(Layout {
            base: format!("{}/.well-known/csaf", public_url.trim_end_matches('/')),
        })
    }

    /// `…/.well-known/csaf`, without a final slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn provider_metadata_url(&self) -> String {
        format!("{}/provider-metadata.json", self.base)
    }

    pub fn feed_url(&self, tlp: CsafTlp) -> String {
        format!("{}/{}", self.base, feed_path(tlp))
    }

    pub fn document_url(&self, document: &CsafDocument) -> String {
        format!("{}/{}", self.base, document.path())
    }

    pub fn public_key_url(&self, fingerprint: &str) -> String {
        format!("{}/{}", self.base, public_key_path(fingerprint))
    }
}

/// The role a provider claims (`role`, section 7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Requirements 1 to 4.
    Publisher,
    /// Also 5 to 7, one of 8 to 10, and 11 to 14 or 15 to 17.
    Provider,
    /// Also 18 to 20: hashes, signatures and the public OpenPGP key.
    TrustedProvider,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Publisher => "csaf_publisher",
            Role::Provider => "csaf_provider",
            Role::TrustedProvider => "csaf_trusted_provider",
        }
    }
}

/// A ROLIE feed as `provider-metadata.json` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedRef {
    pub tlp: CsafTlp,
    pub url: String,
    pub summary: String,
}

/// A public OpenPGP key as `provider-metadata.json` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRef {
    pub url: String,
    /// Upper-case hex, 40 digits for a v4 key.
    pub fingerprint: Option<String>,
}

/// What `provider-metadata.json` says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderMetadata {
    /// Where this file is served; ends in `/provider-metadata.json`.
    pub canonical_url: String,
    pub publisher: Publisher,
    pub role: Role,
    /// ROLIE feeds, one per TLP label (requirement 15).
    pub feeds: Vec<FeedRef>,
    /// A directory-based distribution (requirements 11 to 14), if served.
    pub directory_url: Option<String>,
    pub public_openpgp_keys: Vec<KeyRef>,
    pub list_on_csaf_aggregators: bool,
    pub mirror_on_csaf_aggregators: bool,
    /// When the metadata last changed.
    pub last_updated: Timestamp,
}

/// Why metadata or a feed cannot be written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    #[error(transparent)]
    Field(#[from] ExportError),
    #[error("canonical_url: {0:?} does not end in /provider-metadata.json")]
    CanonicalUrl(String),
    #[error("{field}: {value:?} does not end in .json")]
    NotJson { field: &'static str, value: String },
    #[error("public_openpgp_keys: fingerprint {0:?} is not 40 or more hex digits")]
    Fingerprint(String),
    #[error("a provider lists its documents in at least one ROLIE feed or a directory")]
    NoDistribution,
    #[error("feeds: there is no TLP:WHITE or TLP:GREEN feed (requirement 15 needs one)")]
    NoOpenFeed,
    #[error("feeds: TLP:{0} has more than one feed (requirement 15: one feed per label)")]
    DuplicateFeed(CsafTlp),
}

impl ProviderMetadata {
    /// The metadata for a node with vigia's layout: the TLP:WHITE feed, the
    /// node's public key, listing and mirroring allowed, role
    /// `csaf_trusted_provider` (vigia hashes and signs every document).
    pub fn for_node(
        layout: &Layout,
        publisher: Publisher,
        fingerprint: &str,
        last_updated: Timestamp,
    ) -> ProviderMetadata {
        ProviderMetadata {
            canonical_url: layout.provider_metadata_url(),
            feeds: vec![FeedRef {
                tlp: CsafTlp::White,
                url: layout.feed_url(CsafTlp::White),
                summary: format!(
                    "All TLP:WHITE (TLP:CLEAR) advisories of {}.",
                    publisher.name
                ),
            }],
            publisher,
            role: Role::TrustedProvider,
            directory_url: None,
            public_openpgp_keys: vec![KeyRef {
                url: layout.public_key_url(fingerprint),
                fingerprint: Some(fingerprint.to_ascii_uppercase()),
            }],
            list_on_csaf_aggregators: true,
            mirror_on_csaf_aggregators: true,
            last_updated,
        }
    }

    /// `provider-metadata.json`.
    ///
    /// # Errors
    /// [`ProviderError`]: a URL, the publisher or a fingerprint is
    /// malformed (the error names it), there is neither a feed nor a
    /// directory, no feed is WHITE or GREEN, or a label has two feeds.
    pub fn to_json(&self) -> Result<Value, ProviderError> {
        check_url("canonical_url", &self.canonical_url)?;
        if !self.canonical_url.ends_with("/provider-metadata.json") {
            return Err(ProviderError::CanonicalUrl(self.canonical_url.clone()));
        }
        let publisher = self.publisher.to_json()?;
        if self.feeds.is_empty() && self.directory_url.is_none() {
            return Err(ProviderError::NoDistribution);
        }
        let mut distributions = Vec::new();
        if let Some(dir) = &self.directory_url {
            check_url("directory_url", dir)?;
            distributions.push(json!({ "directory_url": dir }));
        }
        if !self.feeds.is_empty() {
            if !self
                .feeds
                .iter()
                .any(|f| matches!(f.tlp, CsafTlp::White | CsafTlp::Green))
            {
                return Err(ProviderError::NoOpenFeed);
            }
            let mut feeds = Vec::new();
            for (i, f) in self.feeds.iter().enumerate() {
                if self.feeds[..i].iter().any(|g| g.tlp == f.tlp) {
                    return Err(ProviderError::DuplicateFeed(f.tlp));
                }
                check_json_url("feeds.url", &f.url)?;
                feeds.push(json!({
                    "summary": f.summary,
                    "tlp_label": f.tlp.as_str(),
                    "url": f.url,
                }));
            }
            distributions.push(json!({ "rolie": { "feeds": feeds } }));
        }
        let mut keys = Vec::new();
        for k in &self.public_openpgp_keys {
            check_url("public_openpgp_keys.url", &k.url)?;
            let mut key = json!({ "url": k.url });
            if let Some(fpr) = &k.fingerprint {
                if fpr.len() < 40 || !fpr.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(ProviderError::Fingerprint(fpr.clone()));
                }
                key["fingerprint"] = fpr.clone().into();
            }
            keys.push(key);
        }
        let mut out = json!({
            "canonical_url": self.canonical_url,
            "distributions": distributions,
            "last_updated": self.last_updated.to_micros_string(),
            "list_on_CSAF_aggregators": self.list_on_csaf_aggregators,
            "metadata_version": "2.0",
            "mirror_on_CSAF_aggregators": self.mirror_on_csaf_aggregators,
            "publisher": publisher,
            "role": self.role.as_str(),
        });
        if !keys.is_empty() {
            out["public_openpgp_keys"] = Value::Array(keys);
        }
        Ok(out)
    }
}

/// A ROLIE feed (RFC 8322, JSON) of the documents of one TLP label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RolieFeed {
    /// e.g. `certuy-csaf-feed-tlp-white`.
    pub id: String,
    /// e.g. "CERTuy CSAF feed (TLP:WHITE)".
    pub title: String,
    /// Where the feed is served.
    pub self_url: String,
    pub tlp: CsafTlp,
    /// When the feed last changed: usually the newest entry's `updated`.
    pub updated: Timestamp,
}

/// One document in a ROLIE feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedEntry {
    /// The tracking id.
    pub id: String,
    pub title: String,
    pub document_url: String,
    /// The initial release.
    pub published: Timestamp,
    /// The current release.
    pub updated: Timestamp,
    pub summary: Option<String>,
    /// Every hash file (`rel: hash`, requirement 18).
    pub hash_urls: Vec<String>,
    /// The signature file (`rel: signature`, requirement 19).
    pub signature_url: Option<String>,
}

/// The longest summary an entry carries, in characters; the document has
/// the whole text.
const MAX_ENTRY_SUMMARY: usize = 1000;

impl FeedEntry {
    /// The entry for a document served at `document_url` beside its
    /// `.sha256`, `.sha512` and `.asc` files, as vigia serves them all.
    pub fn for_document(document: &CsafDocument, document_url: &str) -> FeedEntry {
        FeedEntry {
            id: document.tracking_id().to_owned(),
            title: document.title().to_owned(),
            document_url: document_url.to_owned(),
            published: document.initial_release_date(),
            updated: document.current_release_date(),
            summary: document.summary().map(str::to_owned),
            hash_urls: vec![
                format!("{document_url}.sha256"),
                format!("{document_url}.sha512"),
            ],
            signature_url: Some(format!("{document_url}.asc")),
        }
    }
}

impl RolieFeed {
    /// The feed document, entries in the order given.
    ///
    /// # Errors
    /// [`ProviderError`]: a URL is malformed or the feed or a document URL
    /// does not end in `.json`; an id or title is empty.
    pub fn to_json(&self, entries: &[FeedEntry]) -> Result<Value, ProviderError> {
        nonempty("feed.id", &self.id)?;
        nonempty("feed.title", &self.title)?;
        check_json_url("feed.self_url", &self.self_url)?;
        let mut items = Vec::with_capacity(entries.len());
        for e in entries {
            nonempty("entry.id", &e.id)?;
            nonempty("entry.title", &e.title)?;
            check_json_url("entry.document_url", &e.document_url)?;
            let mut links = vec![json!({ "rel": "self", "href": e.document_url })];
            for h in &e.hash_urls {
                check_url("entry.hash_urls", h)?;
                links.push(json!({ "rel": "hash", "href": h }));
            }
            if let Some(s) = &e.signature_url {
                check_url("entry.signature_url", s)?;
                links.push(json!({ "rel": "signature", "href": s }));
            }
            let mut item = json!({
                "id": e.id,
                "title": e.title,
                "link": links,
                "published": e.published.to_micros_string(),
                "updated": e.updated.to_micros_string(),
                "content": { "type": "application/json", "src": e.document_url },
                "format": { "schema": CSAF_SCHEMA_URL, "version": "2.0" },
            });
            if let Some(s) = e.summary.as_deref().filter(|s| !s.trim().is_empty()) {
                item["summary"] = json!({ "content": shorten(s, MAX_ENTRY_SUMMARY) });
            }
            items.push(item);
        }
        Ok(json!({
            "feed": {
                "id": self.id,
                "title": self.title,
                "link": [{ "rel": "self", "href": self.self_url }],
                "category": [{
                    "scheme": "urn:ietf:params:rolie:category:information-type",
                    "term": "csaf",
                }],
                "updated": self.updated.to_micros_string(),
                "entry": items,
            }
        }))
    }
}

/// `index.txt` (requirement 12): one path per line, relative to the
/// directory, e.g. `2024/vigia-….json`.
pub fn index_txt<'a>(paths: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for p in paths {
        out.push_str(p);
        out.push('\n');
    }
    out
}

/// `changes.csv` (requirement 13): `"path","current_release_date"` per
/// document, newest first, no heading.
pub fn changes_csv<'a>(documents: impl IntoIterator<Item = (&'a str, Timestamp)>) -> String {
    let mut rows: Vec<(&str, Timestamp)> = documents.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let mut out = String::new();
    for (path, date) in rows {
        out.push_str(&format!(
            "\"{}\",\"{}\"\n",
            path.replace('"', "\"\""),
            date.to_micros_string()
        ));
    }
    out
}

fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some((cut, _)) => format!("{}…", s[..cut].trim_end()),
    }
}

fn nonempty(field: &'static str, value: &str) -> Result<(), ProviderError> {
    if value.trim().is_empty() {
        Err(ExportError::Empty { field }.into())
    } else {
        Ok(())
    }
}

fn check_json_url(field: &'static str, url: &str) -> Result<(), ProviderError> {
    check_url(field, url)?;
    if url.ends_with(".json") {
        Ok(())
    } else {
        Err(ProviderError::NotJson {
            field,
            value: url.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use vigia_stix::Tlp;
    use vigia_watch::ProductKind;

    use super::*;
    use crate::export::{export, tests::input, tests::ts};

    const FPR: &str = "8f5f267907b2c4559db360db2294ba7d2b2298b1";

    fn layout() -> Layout {
        Layout::new("https://csirt.example.gov.uy/").expect("layout")
    }

    #[test]
    fn the_layout_is_under_well_known_csaf() {
        let l = layout();
        assert_eq!(
            l.provider_metadata_url(),
            "https://csirt.example.gov.uy/.well-known/csaf/provider-metadata.json"
        );
        assert_eq!(
            l.feed_url(CsafTlp::White),
            "https://csirt.example.gov.uy/.well-known/csaf/white/csaf-feed-tlp-white.json"
        );
        assert_eq!(
            l.public_key_url(FPR),
            "https://csirt.example.gov.uy/.well-known/csaf/openpgp/8F5F267907B2C4559DB360DB2294BA7D2B2298B1.asc"
        );
        let doc = export(&input(ProductKind::Alert, Tlp::Clear)).expect("exports");
        assert_eq!(
            l.document_url(&doc),
            "https://csirt.example.gov.uy/.well-known/csaf/white/2024/vigia-6b1c3f0e-2a8d-4f6b-9c1e-3d5a7b9c0e21.json"
        );
        assert!(Layout::new("csirt.example.gov.uy").is_err());
    }

    #[test]
    fn metadata_for_a_node() {
        let l = layout();
        let p = input(ProductKind::Alert, Tlp::Clear).publisher;
        let m = ProviderMetadata::for_node(&l, p, FPR, ts("2024-03-01T10:00:00Z"))
            .to_json()
            .expect("metadata");
        assert_eq!(m["canonical_url"], l.provider_metadata_url());
        assert_eq!(m["role"], "csaf_trusted_provider");
        assert_eq!(m["metadata_version"], "2.0");
        assert_eq!(m["publisher"]["category"], "coordinator");
        assert_eq!(
            m["distributions"][0]["rolie"]["feeds"][0]["tlp_label"],
            "WHITE"
        );
        assert_eq!(
            m["public_openpgp_keys"][0]["fingerprint"],
            FPR.to_ascii_uppercase()
        );
    }

    #[test]
    fn metadata_errors_are_named() {
        let l = layout();
        let p = input(ProductKind::Alert, Tlp::Clear).publisher;
        let base = ProviderMetadata::for_node(&l, p, FPR, ts("2024-03-01T10:00:00Z"));
        let err = |f: &dyn Fn(&mut ProviderMetadata)| {
            let mut m = base.clone();
            f(&mut m);
            m.to_json().unwrap_err()
        };
        assert!(matches!(
            err(&|m| m.canonical_url = "https://x.example/csaf.json".into()),
            ProviderError::CanonicalUrl(_)
        ));
        assert_eq!(err(&|m| m.feeds.clear()), ProviderError::NoDistribution);
        assert_eq!(
            err(&|m| m.feeds[0].tlp = CsafTlp::Red),
            ProviderError::NoOpenFeed
        );
        assert_eq!(
            err(&|m| {
                let again = m.feeds[0].clone();
                m.feeds.push(again)
            }),
            ProviderError::DuplicateFeed(CsafTlp::White)
        );
        assert!(matches!(
            err(&|m| m.feeds[0].url = "https://x.example/feed".into()),
            ProviderError::NotJson {
                field: "feeds.url",
                ..
            }
        ));
        assert!(matches!(
            err(&|m| m.public_openpgp_keys[0].fingerprint = Some("ABCD".into())),
            ProviderError::Fingerprint(_)
        ));
        let mut dir_only = base.clone();
        dir_only.feeds.clear();
        dir_only.directory_url = Some(format!("{}/white/", l.base()));
        assert!(dir_only.to_json().is_ok());
    }

    #[test]
    fn a_feed_entry_links_the_document_its_hashes_and_signature() {
        let l = layout();
        let doc = export(&input(ProductKind::Alert, Tlp::Clear)).expect("exports");
        let url = l.document_url(&doc);
        let feed = RolieFeed {
            id: "certuy-csaf-feed-tlp-white".into(),
            title: "CERTuy CSAF feed (TLP:WHITE)".into(),
            self_url: l.feed_url(CsafTlp::White),
            tlp: CsafTlp::White,
            updated: doc.current_release_date(),
        };
        let f = feed
            .to_json(&[FeedEntry::for_document(&doc, &url)])
            .expect("feed");
        let e = &f["feed"]["entry"][0];
        assert_eq!(e["id"], doc.tracking_id());
        let rels: Vec<(&str, &str)> = e["link"]
            .as_array()
            .expect("links")
            .iter()
            .map(|l| {
                (
                    l["rel"].as_str().unwrap_or(""),
                    l["href"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            rels,
            [
                ("self", url.as_str()),
                ("hash", &format!("{url}.sha256")),
                ("hash", &format!("{url}.sha512")),
                ("signature", &format!("{url}.asc")),
            ]
        );
        assert_eq!(e["content"]["src"], url);
        assert_eq!(e["format"]["version"], "2.0");
        assert_eq!(f["feed"]["category"][0]["term"], "csaf");
        assert_eq!(
            e["summary"]["content"],
            "Several hospitals report encrypted file servers."
        );
    }

    #[test]
    fn long_summaries_are_shortened_in_the_feed() {
        let s = "é".repeat(1500);
        let short = shorten(&s, MAX_ENTRY_SUMMARY);
        assert_eq!(short.chars().count(), MAX_ENTRY_SUMMARY + 1);
        assert!(short.ends_with('…'));
        assert_eq!(shorten("short", 10), "short");
    }

    #[test]
    fn index_and_changes() {
        assert_eq!(
            index_txt(["2024/a.json", "2023/b.json"]),
            "2024/a.json\n2023/b.json\n"
        );
        let csv = changes_csv([
            ("2023/b.json", ts("2023-05-01T00:00:00Z")),
            ("2024/a.json", ts("2024-01-02T03:04:05Z")),
        ]);
        assert_eq!(
            csv,
            "\"2024/a.json\",\"2024-01-02T03:04:05.000000Z\"\n\"2023/b.json\",\"2023-05-01T00:00:00.000000Z\"\n"
        );
    }
}
