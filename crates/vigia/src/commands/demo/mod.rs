//! `vigia demo`: a Watch and Warning Network on one machine.
//!
//! National nodes and a Secretariat node run as real `vigia serve`
//! processes on loopback, peered with each other through `vigia peer add`,
//! seeded through `vigia publish` so every product travels the real
//! federation path, and stopped cleanly on Ctrl-C. Everything lives in one
//! data directory, reused on the next run.

mod mail;
mod scenario;
mod seed;

use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::Duration;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use tokio::process::{Child, Command};

use crate::cli::DemoArgs;

/// The OAS member states: ISO code, name, sub-region, languages.
const MEMBER_STATES: &str = include_str!("member-states.csv");

/// The default five: four languages, four sub-regions, and every state of
/// coverage (full national CSIRT, point of contact only, neither).
const DEFAULT_COUNTRIES: [&str; 5] = ["BR", "MX", "CR", "JM", "HT"];

/// How well a member state is covered. Illustrative in the demo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Coverage {
    NationalCsirt,
    PointOfContact,
    Neither,
}

impl Coverage {
    fn describe(self) -> &'static str {
        match self {
            Coverage::NationalCsirt => "national CSIRT",
            Coverage::PointOfContact => "point of contact only",
            Coverage::Neither => "no CSIRT, no point of contact",
        }
    }
}

/// One node of the demo network.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Site {
    pub(crate) country: String,
    pub(crate) state: String,
    pub(crate) subregion: String,
    pub(crate) languages: String,
    pub(crate) coverage: Coverage,
    pub(crate) team_name: String,
    pub(crate) port: u16,
    pub(crate) dir: PathBuf,
    pub(crate) secretariat: bool,
}

impl Site {
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub(crate) fn dir_str(&self) -> &str {
        self.dir.to_str().unwrap_or_default()
    }
}

struct MemberState {
    iso2: String,
    name: String,
    subregion: String,
    languages: String,
}

fn member_states() -> Vec<MemberState> {
    MEMBER_STATES
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            (f.len() >= 5).then(|| MemberState {
                iso2: f[0].to_owned(),
                name: f[2].to_owned(),
                subregion: f[3].to_owned(),
                languages: f[4].to_owned(),
            })
        })
        .collect()
}

fn team_name(state: &MemberState, coverage: Coverage) -> String {
    match coverage {
        Coverage::NationalCsirt => format!("CSIRT {}", state.name),
        Coverage::PointOfContact => format!("{} national point of contact", state.name),
        Coverage::Neither => format!("{} (onboarding node)", state.name),
    }
}

/// The Secretariat plus `n` national nodes, on consecutive ports.
fn plan(n: usize, base_port: u16, data_dir: &Path) -> anyhow::Result<Vec<Site>> {
    let states = member_states();
    if n == 0 || n > states.len() {
        anyhow::bail!("--nodes must be between 1 and {}", states.len());
    }
    let mut order: Vec<&MemberState> = DEFAULT_COUNTRIES
        .iter()
        .filter_map(|c| states.iter().find(|s| s.iso2 == *c))
        .collect();
    order.extend(
        states
            .iter()
            .filter(|s| !DEFAULT_COUNTRIES.contains(&s.iso2.as_str())),
    );
    let mut sites = vec![Site {
        country: "US".into(),
        state: "OAS General Secretariat".into(),
        subregion: "Secretariat".into(),
        languages: "en,es,pt,fr".into(),
        coverage: Coverage::NationalCsirt,
        team_name: "CICTE Secretariat (OAS)".into(),
        port: base_port,
        dir: data_dir.join("secretariat"),
        secretariat: true,
    }];
    for (i, state) in order.into_iter().take(n).enumerate() {
        // Illustrative coverage: the defaults show each case; beyond them
        // every fourth state has only a point of contact, every ninth neither.
        let coverage = match (state.iso2.as_str(), i) {
            ("JM", _) => Coverage::PointOfContact,
            ("HT", _) => Coverage::Neither,
            (_, i) if i >= 5 && i % 9 == 0 => Coverage::Neither,
            (_, i) if i >= 5 && i % 4 == 0 => Coverage::PointOfContact,
            _ => Coverage::NationalCsirt,
        };
        sites.push(Site {
            country: state.iso2.clone(),
            state: state.name.clone(),
            subregion: state.subregion.clone(),
            languages: state.languages.clone(),
            coverage,
            team_name: team_name(state, coverage),
            port: base_port
                .checked_add(1 + i as u16)
                .context("--base-port leaves no room for the nodes")?,
            dir: data_dir.join(state.iso2.to_lowercase()),
            secretariat: false,
        });
    }
    Ok(sites)
}

/// `vigia ARGS` as a child of this process.
pub(crate) fn vigia() -> anyhow::Result<Command> {
    let exe = std::env::current_exe().context("cannot find the vigia executable")?;
    let mut cmd = Command::new(exe);
    cmd.env_remove("VIGIA_DATA_DIR").kill_on_drop(true);
    Ok(cmd)
}

/// Runs `vigia ARGS`, returning stdout; fails with stderr.
pub(crate) async fn vigia_ok(args: &[&str]) -> anyhow::Result<String> {
    let out = vigia()?
        .args(args)
        .env("VIGIA_LOG", "error")
        .output()
        .await
        .with_context(|| format!("cannot run vigia {}", args.join(" ")))?;
    if !out.status.success() {
        anyhow::bail!(
            "vigia {} failed: {}{}",
            args.first().copied().unwrap_or_default(),
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Sign-ins and the token, kept beside the nodes (this is a demo: a real
/// node shows a password once and stores only its hash).
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct Credentials {
    /// (node country, user, password)
    pub(crate) sign_ins: Vec<(String, String, String)>,
    pub(crate) token: Option<String>,
}

fn credentials_path(data_dir: &Path) -> PathBuf {
    data_dir.join("credentials.json")
}

pub(crate) fn save_credentials(data_dir: &Path, c: &Credentials) -> anyhow::Result<()> {
    let path = credentials_path(data_dir);
    std::fs::write(&path, serde_json::to_string_pretty(c)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

fn load_credentials(data_dir: &Path) -> Credentials {
    std::fs::read_to_string(credentials_path(data_dir))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

pub(crate) async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let data_dir = std::path::absolute(&args.data_dir)?;
    if args.fresh && data_dir.exists() {
        std::fs::remove_dir_all(&data_dir)
            .with_context(|| format!("cannot remove {}", data_dir.display()))?;
    }
    std::fs::create_dir_all(&data_dir)?;
    let sites = plan(args.nodes, args.base_port, &data_dir)?;
    let plan_path = data_dir.join("network.json");
    if let Ok(previous) = std::fs::read_to_string(&plan_path) {
        let previous: Vec<Site> = serde_json::from_str(&previous).unwrap_or_default();
        if previous.len() != sites.len()
            || previous.iter().zip(&sites).any(|(a, b)| a.port != b.port)
        {
            anyhow::bail!(
                "{} holds a demo of {} nodes on other ports; run with the same --nodes and --base-port, or add --fresh",
                data_dir.display(),
                previous.len().saturating_sub(1)
            );
        }
    }
    std::fs::write(&plan_path, serde_json::to_string_pretty(&sites)?)?;

    let started = std::time::Instant::now();
    // Duty officers' e-mail lands in DIR/mail, through a real SMTP
    // listener on loopback, just below the Secretariat's port.
    let mail_port = args.base_port.saturating_sub(1);
    let mail_dir = data_dir.join("mail");
    std::fs::create_dir_all(&mail_dir)?;
    let catcher = tokio::net::TcpListener::bind(("127.0.0.1", mail_port))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{mail_port} for the demo's mail catcher; choose another --base-port"))?;
    let mail_task = tokio::spawn(mail::run(catcher, mail_dir.clone()));
    let mut creds = load_credentials(&data_dir);
    for site in &sites {
        seed::init_site(site, &mut creds, mail_port).await?;
    }
    save_credentials(&data_dir, &creds)?;
    let mut children = Vec::new();
    for site in &sites {
        children.push((site.clone(), start(site).await?));
    }
    for (site, child) in &mut children {
        wait_listening(site, child).await?;
    }
    let marker = data_dir.join("seeded");
    if !marker.exists() {
        println!("Seeding the network (first run)…");
        seed::seed(&sites, &mut creds, args.examples.as_deref()).await?;
        save_credentials(&data_dir, &creds)?;
        std::fs::write(&marker, "seeded\n")?;
    } else {
        println!("Reusing {} (add --fresh to start over)", data_dir.display());
    }
    print_summary(&sites, &creds, started.elapsed());
    println!(
        "E-mail to duty officers (alerts, escalations, acknowledgement links) is caught in {}",
        mail_dir.display()
    );
    println!();
    let result = if args.scenario {
        scenario::play(&sites).await
    } else {
        Ok(())
    };
    if let Err(e) = &result {
        eprintln!("scenario failed: {e:#}");
    }
    if result.is_ok() {
        println!("vigia demo running; press Ctrl-C to stop every node");
        crate::commands::serve::shutdown_signal().await;
    }
    println!("Stopping {} nodes…", children.len());
    for (site, child) in &mut children {
        stop(site, child).await;
    }
    mail_task.abort();
    println!("All nodes stopped. Data kept in {}", data_dir.display());
    result.map(|_| ExitCode::SUCCESS)
}

async fn start(site: &Site) -> anyhow::Result<Child> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(site.dir.join("serve.log"))?;
    let listen = format!("127.0.0.1:{}", site.port);
    vigia()?
        .args(["serve", "--data-dir", site.dir_str(), "--listen", &listen])
        .env("VIGIA_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .with_context(|| format!("cannot start the {} node", site.country))
}

async fn wait_listening(site: &Site, child: &mut Child) -> anyhow::Result<()> {
    let log = site.dir.join("serve.log");
    for _ in 0..600 {
        if tokio::net::TcpStream::connect(("127.0.0.1", site.port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            // Most often the port is taken: say so at once, with the reason.
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let last = text
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            anyhow::bail!(
                "the {} node stopped ({status}) before listening on port {}: {last} (see {}; another --base-port may help)",
                site.country,
                site.port,
                log.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!(
        "the {} node did not start listening on port {}; see {}",
        site.country,
        site.port,
        log.display()
    )
}

/// SIGTERM for a clean shutdown; SIGKILL if it lingers.
async fn stop(site: &Site, child: &mut Child) {
    if let Some(pid) = child.id() {
        let _ = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await;
    }
    if tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .is_err()
    {
        eprintln!("the {} node did not stop in time; killing it", site.country);
        let _ = child.kill().await;
    }
}

fn print_summary(sites: &[Site], creds: &Credentials, took: Duration) {
    println!();
    println!(
        "vigia demo: {} national nodes and the Secretariat, ready in {:.1} s",
        sites.len() - 1,
        took.as_secs_f64()
    );
    println!();
    println!(
        "{:<4} {:<24} {:<34} {:<16} {:<12} coverage (illustrative)",
        "CC", "URL", "team", "sub-region", "languages"
    );
    for s in sites {
        println!(
            "{:<4} {:<24} {:<34} {:<16} {:<12} {}",
            s.country,
            s.url(),
            s.team_name,
            s.subregion,
            s.languages,
            if s.secretariat {
                "the network's Secretariat"
            } else {
                s.coverage.describe()
            }
        );
    }
    println!();
    println!(
        "Web console: each node's URL + /console/ (e.g. {}/console/).",
        sites.get(1).map(Site::url).unwrap_or_default()
    );
    println!("The first sign-in enrols an authenticator app (TOTP, RFC 6238); later sign-ins ask for its code.");
    let public = sites.first().map(Site::url).unwrap_or_default();
    println!(
        "Public portal (no sign-in, TLP:CLEAR only): {public}/advisories, {public}/awareness/phishing, feeds {public}/feeds/advisories.atom and .json, {public}/report (whom to report to), {public}/.well-known/security.txt (signed), CSAF 2.0 provider {public}/.well-known/csaf/provider-metadata.json; report an incident at {public}/report/incident"
    );
    println!("Sign-in names and passwords (stored in credentials.json in the data directory):");
    for (country, user, password) in &creds.sign_ins {
        println!("  {country:<4} {user:<10} {password}");
    }
    if let Some(token) = &creds.token {
        println!();
        println!(
            "API token (analyst at {}):",
            sites.get(1).map(|s| s.country.as_str()).unwrap_or("?")
        );
        println!("  {token}");
        if let Some(s) = sites.get(1) {
            println!(
                "  try: curl -H 'Authorization: Bearer {token}' {}/api/objects",
                s.url()
            );
        }
    }
    println!();
}
