//! CSAF 2.0 (OASIS Common Security Advisory Framework) as data, with no
//! I/O: what a national team's node needs to be a CSAF provider for its
//! TLP:CLEAR advisories and to read other providers' advisories.
//!
//! - [`export`]: a vigia product as a CSAF 2.0 document, the profile chosen
//!   by what the product holds (see the module for why), the tracking id and
//!   file name (section 5.1). TLP:AMBER+STRICT is refused ([`tlp`]).
//! - [`import`]: a CSAF 2.0 document of any profile read into the facts of
//!   a vulnerability notice; bad input gives an error naming the field.
//! - [`provider`]: `provider-metadata.json`, ROLIE feeds, `index.txt` and
//!   `changes.csv`, and where each file sits under `/.well-known/csaf/`.
//! - [`hashes`]: `.sha256` and `.sha512` files.
//! - [`openpgp`]: the node's OpenPGP key (v4, Ed25519, readable by GnuPG
//!   2.2) and `.asc` detached signatures, with rPGP.
//!
//! Time and randomness come in as arguments; nothing here reads the clock,
//! the environment or the file system.
//!
//! Publishing one product, as a provider does:
//!
//! ```
//! use rand::{rngs::StdRng, SeedableRng};
//! use vigia_csaf::{export, sha256_file, sha512_file, verify_detached, AdvisoryInput,
//!     FeedEntry, Layout, OpenPgpKey, Publisher, Reference, Revision};
//! use vigia_stix::{StixId, Timestamp, Tlp};
//! use vigia_watch::{ProductKind, Severity};
//!
//! let now = Timestamp::parse("2024-11-06T10:00:00Z").unwrap();
//! let input = AdvisoryInput {
//!     stix_id: StixId::parse("report--6b1c3f0e-2a8d-4f6b-9c1e-3d5a7b9c0e21").unwrap(),
//!     kind: ProductKind::Alert,
//!     severity: Severity::High,
//!     title: "Phishing campaign against tax payers".into(),
//!     description: "E-mails impersonating the tax office ask for card numbers.".into(),
//!     cves: vec![],
//!     cvss: None,
//!     tlp: Tlp::Clear,
//!     revisions: vec![Revision { date: now, summary: "Initial release.".into() }],
//!     publisher: Publisher {
//!         name: "CERTuy".into(),
//!         namespace: "https://csirt.example.gov.uy".into(),
//!         contact_details: None,
//!         issuing_authority: None,
//!     },
//!     lang: Some("es".into()),
//!     references: vec![Reference::external(
//!         "https://csirt.example.gov.uy/advisories/1",
//!         "This alert on the portal",
//!     )],
//!     exercise: false,
//! };
//! let doc = export(&input)?;
//! let bytes = doc.to_bytes();
//! let layout = Layout::new("https://csirt.example.gov.uy")?;
//! let url = layout.document_url(&doc); // …/.well-known/csaf/white/2024/vigia-6b1c….json
//! let sha256 = sha256_file(&bytes, doc.file_name());
//! let sha512 = sha512_file(&bytes, doc.file_name());
//!
//! let mut rng = StdRng::seed_from_u64(1); // a node uses OsRng
//! let key = OpenPgpKey::generate(&mut rng, "CERTuy CSAF <csaf@cert.example>", now)?;
//! let asc = key.sign_detached(&mut rng, &bytes, now)?;
//! assert_eq!(verify_detached(&key.armored_public()?, &bytes, &asc)?, key.fingerprint());
//!
//! let entry = FeedEntry::for_document(&doc, &url);
//! assert_eq!(entry.signature_url.as_deref(), Some(format!("{url}.asc").as_str()));
//! # assert!(sha256.ends_with(".json\n") && sha512.len() > 128);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod discovery;
pub mod export;
pub mod hashes;
pub mod import;
pub mod openpgp;
pub mod provider;
pub mod tlp;

pub use discovery::{
    directory_documents, provider_distributions, resolve, rolie_documents, stated_digest,
    DiscoveryError, DocumentLink, ProviderDistributions,
};
pub use export::{
    export, file_name, tracking_id, AdvisoryInput, CsafDocument, DocumentCategory, ExportError,
    Publisher, Reference, ReferenceCategory, Revision,
};
pub use hashes::{sha256_file, sha512_file};
pub use import::{import, import_value, ImportError, ImportedAdvisory};
pub use openpgp::{verify_cleartext, verify_detached, OpenPgpError, OpenPgpKey};
pub use provider::{
    changes_csv, document_path, feed_path, index_txt, public_key_path, FeedEntry, FeedRef, KeyRef,
    Layout, ProviderError, ProviderMetadata, Role, RolieFeed,
};
pub use tlp::{AmberStrictHasNoLabel, CsafTlp, TLP_URL};
