//! `vigia csaf import`: another provider's CSAF 2.0 advisories into
//! vulnerability notices of this node's team.
//!
//! From a URL, nothing is taken on trust: each document's hash file must
//! match and its signature must verify with a key the provider metadata
//! names. A document that fails is listed with the reason; the others are
//! imported.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::json;
use vigia_csaf::{DocumentLink, ImportedAdvisory};
use vigia_notify::Watch;
use vigia_policy::TeamId;
use vigia_stix::{Distribution, Tlp};
use vigia_watch::{ProductDraft, ProductKind};

use super::federation::{audit, recipients};
use super::watch::offline;
use crate::cli::CsafImportArgs;

/// The largest file fetched or read: a CSAF document, feed or key.
const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// A document to import, with where it came from and what was checked.
struct Fetched {
    origin: String,
    text: String,
    checked: &'static str,
}

pub(crate) async fn import(a: CsafImportArgs) -> anyhow::Result<ExitCode> {
    let (w, config) = offline(&a.dir.data_dir).await?;
    let team = TeamId::parse(&config.team_id).map_err(|e| anyhow::anyhow!("team_id: {e}"))?;
    let default_tlp: Tlp = a.tlp.parse().map_err(|e| anyhow::anyhow!("--tlp: {e}"))?;
    let audience = recipients(&w.store, &a.to, &[], &a.group).await?;
    let (documents, mut refused) =
        if a.source.starts_with("http://") || a.source.starts_with("https://") {
            from_provider(&a.source).await?
        } else {
            from_path(Path::new(&a.source), a.key.as_deref())?
        };
    let mut imported = 0;
    for d in documents {
        match import_one(&w, &team, &d, default_tlp, &audience).await {
            Ok(Some(line)) => {
                imported += 1;
                println!("{line}");
            }
            Ok(None) => println!("unchanged {} (already imported at this release)", d.origin),
            Err(e) => refused.push((d.origin, format!("{e:#}"))),
        }
    }
    for (origin, reason) in &refused {
        println!("refused {origin}: {reason}");
    }
    println!("{imported} imported, {} refused", refused.len());
    Ok(if refused.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Imports one document; `None` when this release is already here.
async fn import_one(
    w: &Watch,
    team: &TeamId,
    d: &Fetched,
    default_tlp: Tlp,
    audience: &Distribution,
) -> anyhow::Result<Option<String>> {
    let advisory = vigia_csaf::import(&d.text)?;
    let seen_key = format!(
        "csaf.imported:{}#{}",
        advisory.publisher_namespace, advisory.tracking_id
    );
    let release = advisory.current_release_date.to_micros_string();
    let earlier = w.store.setting(&seen_key).await?;
    let supersedes = match earlier.as_deref().and_then(|v| v.split_once('|')) {
        Some((at, _)) if at == release => return Ok(None),
        Some((_, id)) => Some(id.to_owned()),
        None => None,
    };
    let tlp = advisory.tlp.unwrap_or(default_tlp);
    let draft = notice(&advisory, tlp, audience.clone(), supersedes);
    let published = vigia_notify::products::publish_product(w, team, &draft).await?;
    w.store
        .put_setting(&seen_key, &format!("{release}|{}", published.id))
        .await?;
    audit(
        &w.store,
        "csaf.import",
        Some(&published.id),
        json!({"tracking_id": advisory.tracking_id, "version": advisory.version,
               "publisher": advisory.publisher_namespace, "source": d.origin,
               "checked": d.checked, "tlp": tlp.label()}),
    )
    .await?;
    Ok(Some(format!(
        "imported {} v{} → {} ({}, {}; {})",
        advisory.tracking_id,
        advisory.version,
        published.id,
        tlp.label(),
        draft.severity.as_str(),
        d.checked
    )))
}

fn notice(
    a: &ImportedAdvisory,
    tlp: Tlp,
    audience: Distribution,
    supersedes: Option<String>,
) -> ProductDraft {
    ProductDraft {
        kind: ProductKind::VulnerabilityNotice,
        title: a.title.clone(),
        description: a.notice_description(),
        severity: a.severity(),
        tlp,
        audience,
        embargo: None,
        cves: a.cves.clone(),
        cvss: a.cvss.clone(),
        mitigates: Vec::new(),
        related: Vec::new(),
        supersedes,
        exercise: false,
    }
}

type Found = (Vec<Fetched>, Vec<(String, String)>);

/// Follows `provider-metadata.json` to every document, checking each.
async fn from_provider(url: &str) -> anyhow::Result<Found> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("vigia/", env!("CARGO_PKG_VERSION")))
        .build()?;
    let metadata = get(&http, url).await?;
    let dist = vigia_csaf::provider_distributions(url, &metadata)?;
    let mut keys = Vec::new();
    for k in &dist.keys {
        keys.push(
            get(&http, k)
                .await
                .with_context(|| format!("public key {k}"))?,
        );
    }
    anyhow::ensure!(
        !keys.is_empty(),
        "{url} names no OpenPGP public key, so no signature can be checked"
    );
    let mut links: Vec<DocumentLink> = Vec::new();
    for f in &dist.feeds {
        links.extend(vigia_csaf::rolie_documents(f, &get(&http, f).await?)?);
    }
    for dir in &dist.directories {
        let index = get(&http, &format!("{dir}/index.txt")).await?;
        links.extend(vigia_csaf::directory_documents(dir, &index));
    }
    links.dedup_by(|a, b| a.document == b.document);
    let mut found = Vec::new();
    let mut refused = Vec::new();
    for link in links {
        match fetch_checked(&http, &link, &keys).await {
            Ok(f) => found.push(f),
            Err(e) => refused.push((link.document, format!("{e:#}"))),
        }
    }
    Ok((found, refused))
}

async fn fetch_checked(
    http: &reqwest::Client,
    link: &DocumentLink,
    keys: &[String],
) -> anyhow::Result<Fetched> {
    let text = get(http, &link.document).await?;
    let name = link.document.rsplit('/').next().unwrap_or_default();
    let mut hashed = false;
    for h in &link.hashes {
        if let Ok(stated) = get(http, h).await {
            check_hash(h, &stated, text.as_bytes(), name)?;
            hashed = true;
            break;
        }
    }
    anyhow::ensure!(hashed, "no .sha512 or .sha256 file could be fetched");
    let signature_url = link
        .signature
        .as_deref()
        .context("the feed names no signature file")?;
    let signature = get(http, signature_url).await?;
    check_signature(keys, text.as_bytes(), &signature)?;
    Ok(Fetched {
        origin: link.document.clone(),
        text,
        checked: "hash and signature verified",
    })
}

fn check_hash(hash_url: &str, stated: &str, content: &[u8], name: &str) -> anyhow::Result<()> {
    let stated = vigia_csaf::stated_digest(stated)
        .with_context(|| format!("{hash_url} states no hex digest"))?;
    let ours = if hash_url.ends_with(".sha256") {
        vigia_csaf::sha256_file(content, name)
    } else {
        vigia_csaf::sha512_file(content, name)
    };
    anyhow::ensure!(
        ours.split_whitespace().next() == Some(&stated.to_ascii_lowercase()),
        "the document does not match {hash_url}"
    );
    Ok(())
}

fn check_signature(keys: &[String], content: &[u8], signature: &str) -> anyhow::Result<()> {
    let mut last = None;
    for k in keys {
        match vigia_csaf::verify_detached(k, content, signature) {
            Ok(_) => return Ok(()),
            Err(e) => last = Some(e),
        }
    }
    Err(anyhow::anyhow!(
        "the OpenPGP signature does not verify with the provider's keys: {}",
        last.map(|e| e.to_string()).unwrap_or_default()
    ))
}

async fn get(http: &reqwest::Client, url: &str) -> anyhow::Result<String> {
    let mut response = http
        .get(url)
        .send()
        .await
        .with_context(|| format!("cannot fetch {url}"))?;
    anyhow::ensure!(
        response.status().is_success(),
        "{url} answered {}",
        response.status()
    );
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        body.extend_from_slice(&chunk);
        anyhow::ensure!(
            body.len() <= MAX_FILE_BYTES,
            "{url} is larger than {MAX_FILE_BYTES} bytes"
        );
    }
    String::from_utf8(body).with_context(|| format!("{url} is not UTF-8"))
}

/// A document file, or every `*.json` document under a directory. Hash
/// files beside a document must match; with `--key`, its `.asc` must
/// verify.
fn from_path(path: &Path, key: Option<&Path>) -> anyhow::Result<Found> {
    let key = key
        .map(|k| read_limited(k).with_context(|| format!("--key {}", k.display())))
        .transpose()?;
    let mut files = Vec::new();
    if path.is_dir() {
        walk(path, &mut files)?;
        files.sort();
    } else {
        files.push(path.to_path_buf());
    }
    let mut found = Vec::new();
    let mut refused = Vec::new();
    for f in files {
        let origin = f.display().to_string();
        match read_checked(&f, key.as_deref()) {
            Ok(Some(mut d)) => {
                d.origin = origin;
                found.push(d);
            }
            Ok(None) => {}
            Err(e) => refused.push((origin, format!("{e:#}"))),
        }
    }
    anyhow::ensure!(
        !found.is_empty() || !refused.is_empty(),
        "{} holds no CSAF document",
        path.display()
    );
    Ok((found, refused))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let p = entry?.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
    Ok(())
}

/// `None` for a JSON file that is not a CSAF document (a feed, say).
fn read_checked(file: &Path, key: Option<&str>) -> anyhow::Result<Option<Fetched>> {
    let text = read_limited(file)?;
    let is_document = serde_json::from_str::<serde_json::Value>(&text)
        .map(|v| v.get("document").is_some())
        .unwrap_or(true);
    if !is_document {
        return Ok(None);
    }
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let mut checked = "no hash file beside it";
    for ext in ["sha512", "sha256"] {
        let h = PathBuf::from(format!("{}.{ext}", file.display()));
        if h.exists() {
            check_hash(
                &h.display().to_string(),
                &read_limited(&h)?,
                text.as_bytes(),
                name,
            )?;
            checked = "hash verified";
            break;
        }
    }
    if let Some(key) = key {
        let asc = PathBuf::from(format!("{}.asc", file.display()));
        let signature = read_limited(&asc).context("--key is given but the .asc is missing")?;
        check_signature(&[key.to_owned()], text.as_bytes(), &signature)?;
        checked = "hash and signature verified";
    }
    Ok(Some(Fetched {
        origin: String::new(),
        text,
        checked,
    }))
}

fn read_limited(path: &Path) -> anyhow::Result<String> {
    let len = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    anyhow::ensure!(
        len <= MAX_FILE_BYTES as u64,
        "{} is larger than {MAX_FILE_BYTES} bytes",
        path.display()
    );
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}
