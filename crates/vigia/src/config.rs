//! Node configuration: defaults, then `DIR/vigia.toml`, then `VIGIA_*`
//! environment variables, then command-line flags. A bad value is reported
//! with its key and the layer it came from (figment keeps both).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use vigia_policy::OutboundPolicy;
use vigia_stix::Tlp;
use vigia_web::taxii::{default_collections, CollectionConfig};

pub(crate) const CONFIG_FILE: &str = "vigia.toml";
pub(crate) const KEY_FILE: &str = "node.key";

/// Every key `vigia.toml` and `VIGIA_*` may set.
const KEYS: &[&str] = &[
    "node_id",
    "team_id",
    "team_name",
    "country",
    "listen",
    "public_url",
    "database_url",
    "default_tlp",
    "max_body_bytes",
    "shutdown_grace_secs",
    "log_format",
    "taxii_public",
    "tls_cert",
    "tls_key",
];

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Config {
    pub(crate) node_id: String,
    pub(crate) team_id: String,
    pub(crate) team_name: String,
    pub(crate) country: String,
    pub(crate) listen: SocketAddr,
    /// The URL peers and users reach this node at.
    pub(crate) public_url: Option<String>,
    /// `sqlite://…` or `postgres://…`; default: SQLite in the data directory.
    pub(crate) database_url: Option<String>,
    pub(crate) default_tlp: Tlp,
    pub(crate) max_body_bytes: usize,
    pub(crate) shutdown_grace_secs: u64,
    pub(crate) log_format: LogFormat,
    /// Offer the anonymous, TLP:CLEAR-only TAXII API root.
    pub(crate) taxii_public: bool,
    /// Serve HTTPS with this certificate chain and key (PEM files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) tls_cert: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) tls_key: Option<PathBuf>,
    /// The TAXII collections (`[[collections]]`); defaults when absent.
    pub(crate) collections: Vec<CollectionConfig>,
    pub(crate) federation: FederationConfig,
    /// What never leaves this node, whatever its analysts choose.
    pub(crate) outbound: OutboundPolicy,
    /// `[watch]`: escalation, SMTP, acknowledgement links.
    #[serde(default)]
    pub(crate) watch: vigia_notify::WatchSettings,
    /// `[directory]`: the trusted Secretariat, sectors, checklist.
    #[serde(default)]
    pub(crate) directory: vigia_web::directory::DirectorySettings,
    /// `[console]`: second factor and lockout.
    #[serde(default)]
    pub(crate) console: vigia_web::ConsoleSettings,
    /// `[correlation]`: the cap per value and the warninglists.
    #[serde(default)]
    pub(crate) correlation: CorrelationConfig,
}

/// `[correlation]`: how observable values are correlated.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct CorrelationConfig {
    /// Objects indexed under one value before it is flagged as
    /// over-correlating and indexed no further.
    pub(crate) cap: u32,
    /// A directory of MISP warninglists: `<name>/list.json` files, as in
    /// MISP/misp-warninglists' `lists` or pymispwarninglists' data.
    pub(crate) warninglists: Option<PathBuf>,
    /// Only these lists (directory names) from `warninglists`; all when
    /// empty.
    pub(crate) lists: Vec<String>,
}

impl Default for CorrelationConfig {
    fn default() -> Self {
        Self {
            cap: vigia_store::DEFAULT_CORRELATION_CAP,
            warninglists: None,
            lists: Vec::new(),
        }
    }
}

impl CorrelationConfig {
    /// Reads the configured warninglists. A list that cannot be read or
    /// parsed stops the node with its path: an operator who named lists
    /// expects them applied.
    pub(crate) fn exclusions(&self) -> anyhow::Result<vigia_correlate::Exclusions> {
        let Some(dir) = &self.warninglists else {
            return Ok(vigia_correlate::Exclusions::default());
        };
        let mut names: Vec<String> = if self.lists.is_empty() {
            std::fs::read_dir(dir)
                .with_context(|| {
                    format!(
                        "key `correlation.warninglists`: cannot read {}",
                        dir.display()
                    )
                })?
                .filter_map(Result::ok)
                .filter(|e| e.path().join("list.json").is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        } else {
            self.lists.clone()
        };
        names.sort();
        let mut lists = Vec::with_capacity(names.len());
        for name in names {
            let path = dir.join(&name).join("list.json");
            let json = std::fs::read_to_string(&path).with_context(|| {
                format!("key `correlation.lists`: cannot read {}", path.display())
            })?;
            let source = path.display().to_string();
            lists.push(vigia_correlate::WarningList::from_json(&source, &json)?);
        }
        Ok(vigia_correlate::Exclusions::new(lists))
    }
}

/// `[federation]`: how this node exchanges objects with its peers.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct FederationConfig {
    /// Seal published objects, queue them for peers, accept pushes and
    /// serve pulls. Off, the node keeps everything to itself.
    pub(crate) enabled: bool,
    /// Seconds between two pulls from each peer.
    pub(crate) pull_interval_secs: u64,
    /// First retry delay of a failed delivery, in milliseconds; it doubles
    /// with each further failure, up to `retry_max_secs`.
    pub(crate) retry_base_ms: u64,
    pub(crate) retry_max_secs: u64,
    /// Objects per push request.
    pub(crate) push_batch: i64,
    /// Extra trust anchors (PEM bundle) for peers' certificates, e.g. a
    /// national PKI; the public web roots are always trusted.
    pub(crate) ca_file: Option<PathBuf>,
}

impl FederationConfig {
    /// The extra trust anchors, read from `ca_file`.
    pub(crate) fn roots(&self) -> anyhow::Result<Vec<Vec<u8>>> {
        match &self.ca_file {
            None => Ok(Vec::new()),
            Some(p) => Ok(vec![std::fs::read(p).with_context(|| {
                format!("key `federation.ca_file`: cannot read {}", p.display())
            })?]),
        }
    }
}

impl Default for FederationConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            pull_interval_secs: 30,
            retry_base_ms: 1000,
            retry_max_secs: 300,
            push_batch: 500,
            ca_file: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum LogFormat {
    Text,
    Json,
}

/// The defaults layer; identity keys have no default and must come from
/// the file that `vigia init` writes.
#[derive(Serialize)]
struct Defaults {
    listen: SocketAddr,
    default_tlp: Tlp,
    max_body_bytes: usize,
    shutdown_grace_secs: u64,
    log_format: LogFormat,
    taxii_public: bool,
    collections: Vec<CollectionConfig>,
    federation: FederationConfig,
    outbound: OutboundPolicy,
}

impl Default for Defaults {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8440)),
            default_tlp: Tlp::Amber,
            max_body_bytes: 64 * 1024 * 1024,
            shutdown_grace_secs: 30,
            log_format: LogFormat::Text,
            taxii_public: false,
            collections: default_collections(),
            federation: FederationConfig::default(),
            outbound: OutboundPolicy::default(),
        }
    }
}

/// Flag values that override everything else.
#[derive(Default, Serialize)]
pub(crate) struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) log_format: Option<String>,
}

impl Config {
    /// Loads the layered configuration of the node in `data_dir`.
    pub(crate) fn load(data_dir: &Path, overrides: Overrides) -> anyhow::Result<Self> {
        let file = data_dir.join(CONFIG_FILE);
        if !file.exists() {
            anyhow::bail!(
                "{} does not exist: create the node first with `vigia init --data-dir {}`",
                file.display(),
                data_dir.display()
            );
        }
        Figment::from(Serialized::defaults(Defaults::default()))
            .merge(Toml::file(&file))
            .merge(Env::prefixed("VIGIA_").only(KEYS))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(|e| anyhow::anyhow!(describe(e)))
            .with_context(|| {
                format!(
                    "invalid configuration for the node in {}",
                    data_dir.display()
                )
            })
    }

    pub(crate) fn database_url(&self, data_dir: &Path) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| default_sqlite_url(data_dir))
    }

    /// The base URL of the node a client command talks to: `--url`, else
    /// the public URL in `--data-dir`'s configuration; no trailing slash.
    pub(crate) fn node_url(url: Option<&str>, data_dir: Option<&Path>) -> anyhow::Result<String> {
        let base = match (url, data_dir) {
            (Some(url), _) => url.to_owned(),
            (None, Some(dir)) => Config::load(dir, Overrides::default())?.public_url(),
            (None, None) => anyhow::bail!("give the node's --url, or its --data-dir"),
        };
        Ok(base.trim_end_matches('/').to_owned())
    }

    pub(crate) fn public_url(&self) -> String {
        let scheme = if self.tls_cert.is_some() {
            "https"
        } else {
            "http"
        };
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("{scheme}://{}", self.listen))
    }
}

pub(crate) fn default_sqlite_url(data_dir: &Path) -> String {
    let absolute = std::path::absolute(data_dir).unwrap_or_else(|_| PathBuf::from(data_dir));
    format!("sqlite://{}", absolute.join("vigia.db").display())
}

/// One line per problem: the key, what was wrong, and where the value came from.
fn describe(errors: figment::Error) -> String {
    errors
        .into_iter()
        .map(|e| {
            let key = if e.path.is_empty() {
                "(top level)".to_owned()
            } else {
                e.path.join(".")
            };
            let source = e
                .metadata
                .as_ref()
                .map(|m| match &m.source {
                    Some(src) => format!("{} ({src})", m.name),
                    None => m.name.to_string(),
                })
                .unwrap_or_else(|| "unknown source".to_owned());
            format!("key `{key}`: {} [from {source}]", e.kind)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The text of a new node's `vigia.toml`.
pub(crate) fn initial_file(c: &Config) -> anyhow::Result<String> {
    let body = toml_lines(c)?;
    Ok(format!(
        "# vigia node configuration, written by `vigia init`.\n\
         # Layers: defaults < this file < VIGIA_* environment variables < flags.\n\
         # node_id and team_id identify this node in the network: do not change them.\n\n{body}"
    ))
}

fn toml_lines(c: &Config) -> anyhow::Result<String> {
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut out = String::new();
    out.push_str(&format!("node_id = {}\n", quote(&c.node_id)));
    out.push_str(&format!("team_id = {}\n", quote(&c.team_id)));
    out.push_str(&format!("team_name = {}\n", quote(&c.team_name)));
    out.push_str(&format!("country = {}\n", quote(&c.country)));
    out.push_str(&format!("listen = {}\n", quote(&c.listen.to_string())));
    if let Some(url) = &c.public_url {
        out.push_str(&format!("public_url = {}\n", quote(url)));
    }
    if let Some(url) = &c.database_url {
        out.push_str(&format!("database_url = {}\n", quote(url)));
    }
    out.push_str(&format!(
        "default_tlp = {}\n",
        quote(c.default_tlp.as_str())
    ));
    out.push_str(&format!("max_body_bytes = {}\n", c.max_body_bytes));
    out.push_str(&format!(
        "shutdown_grace_secs = {}\n",
        c.shutdown_grace_secs
    ));
    out.push_str("log_format = \"text\"\n");
    out.push_str(&format!("taxii_public = {}\n", c.taxii_public));
    out.push_str("# TAXII collections: the built-in defaults apply unless [[collections]] tables are given.\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Config {
        Config {
            node_id: "n".into(),
            team_id: "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f".into(),
            team_name: "CSIRT \"Test\"".into(),
            country: "CR".into(),
            listen: "127.0.0.1:9000".parse().unwrap(),
            public_url: None,
            database_url: None,
            default_tlp: Tlp::Amber,
            max_body_bytes: 10,
            shutdown_grace_secs: 5,
            log_format: LogFormat::Text,
            taxii_public: false,
            tls_cert: None,
            tls_key: None,
            collections: default_collections(),
            federation: FederationConfig::default(),
            outbound: OutboundPolicy::default(),
            watch: vigia_notify::WatchSettings::default(),
            directory: Default::default(),
            console: Default::default(),
            correlation: Default::default(),
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("vigia-config-{name}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_written_file_loads_back() {
        let dir = temp_dir("roundtrip");
        std::fs::write(dir.join(CONFIG_FILE), initial_file(&sample()).unwrap()).unwrap();
        let c = Config::load(&dir, Overrides::default()).unwrap();
        assert_eq!(c.team_name, "CSIRT \"Test\"");
        assert_eq!(c.listen.port(), 9000);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn flags_override_the_file() {
        let dir = temp_dir("flags");
        std::fs::write(dir.join(CONFIG_FILE), initial_file(&sample()).unwrap()).unwrap();
        let overrides = Overrides {
            listen: Some("127.0.0.1:1".parse().unwrap()),
            ..Default::default()
        };
        assert_eq!(Config::load(&dir, overrides).unwrap().listen.port(), 1);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_bad_value_names_its_key_and_file() {
        let dir = temp_dir("bad");
        let text = initial_file(&sample())
            .unwrap()
            .replace("default_tlp = \"amber\"", "default_tlp = \"purple\"");
        std::fs::write(dir.join(CONFIG_FILE), text).unwrap();
        let err = format!(
            "{:#}",
            Config::load(&dir, Overrides::default()).unwrap_err()
        );
        assert!(err.contains("default_tlp"), "{err}");
        assert!(err.contains("vigia.toml"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
