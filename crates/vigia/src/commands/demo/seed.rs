//! Creating and seeding the demo network through the real commands.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::Context as _;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt as _;
use vigia_policy::{GroupName, TeamId};
use vigia_store::{NewTeam, TeamKind};

use super::{vigia, vigia_ok, Coverage, Credentials, Site};

/// Creates the node's directory with `vigia init` unless it exists.
pub(super) async fn init_site(
    site: &Site,
    creds: &mut Credentials,
    mail_port: u16,
) -> anyhow::Result<()> {
    if site.dir.join("vigia.toml").exists() {
        return Ok(());
    }
    let kind = match (site.secretariat, site.coverage) {
        (true, _) => "secretariat",
        (false, Coverage::NationalCsirt) => "national-csirt",
        (false, _) => "government",
    };
    let listen = format!("127.0.0.1:{}", site.port);
    let out = vigia_ok(&[
        "init",
        "--data-dir",
        site.dir_str(),
        "--country",
        &site.country,
        "--name",
        &site.team_name,
        "--listen",
        &listen,
        "--kind",
        kind,
    ])
    .await?;
    let password = out
        .lines()
        .find_map(|l| l.strip_prefix("Admin password (shown once, store it now): "))
        .context("vigia init printed no admin password")?;
    creds
        .sign_ins
        .push((site.country.clone(), "admin".into(), password.to_owned()));
    // Quick federation for a network on one machine.
    let mut config = std::fs::OpenOptions::new()
        .append(true)
        .open(site.dir.join("vigia.toml"))?;
    writeln!(
        config,
        "\n# vigia demo: federate quickly on loopback.\n[federation]\npull_interval_secs = 5\nretry_base_ms = 250\nretry_max_secs = 10"
    )?;
    // Escalate within minutes, so a watcher sees it; mail to the catcher.
    writeln!(
        config,
        "\n[watch]\n[watch.escalation]\ncritical_secs = 120\nhigh_secs = 600\n[watch.smtp]\nhost = \"127.0.0.1\"\nport = {mail_port}\nsecurity = \"none\"\nfrom = \"{} duty desk <watch@{}.demo.test>\"",
        site.team_name.replace(['"', '(', ')'], ""),
        site.country.to_lowercase()
    )?;
    let lists = write_warninglists(&site.dir)?;
    writeln!(
        config,
        "\n[correlation]\nwarninglists = {:?}",
        lists.display().to_string()
    )?;
    Ok(())
}

/// Two small lists in MISP's warninglist format, so the demo shows a
/// "known benign" answer without a download. A real node points
/// `correlation.warninglists` at MISP/misp-warninglists' `lists` (or the
/// copy pymispwarninglists ships).
fn write_warninglists(dir: &Path) -> anyhow::Result<PathBuf> {
    let root = dir.join("warninglists");
    let lists = [
        (
            "rfc1918",
            json!({"name": "List of RFC 1918 CIDR blocks", "version": 1, "type": "cidr",
                "description": "Private address space (RFC 1918).",
                "list": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"],
                "matching_attributes": ["ip-src", "ip-dst", "domain|ip"]}),
        ),
        (
            "public-dns-v4",
            json!({"name": "List of known IPv4 public DNS resolvers", "version": 1, "type": "cidr",
                "description": "Well-known public resolvers (vigia demo excerpt).",
                "list": ["1.1.1.1/32", "1.0.0.1/32", "8.8.8.8/32", "8.8.4.4/32", "9.9.9.9/32"],
                "matching_attributes": ["ip-src", "ip-dst", "domain|ip"]}),
        ),
    ];
    for (name, list) in lists {
        std::fs::create_dir_all(root.join(name))?;
        std::fs::write(
            root.join(name).join("list.json"),
            serde_json::to_vec_pretty(&list)?,
        )?;
    }
    Ok(std::path::absolute(&root)?)
}

async fn add_user(
    site: &Site,
    name: &str,
    role: &str,
    creds: &mut Credentials,
) -> anyhow::Result<()> {
    let password = vigia_web::credentials::generate_password();
    let mut child = vigia()?
        .args([
            "user",
            "add",
            "--data-dir",
            site.dir_str(),
            name,
            "--role",
            role,
            "--password-stdin",
        ])
        .env("VIGIA_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(format!("{password}\n").as_bytes()).await?;
    }
    let out = child.wait_with_output().await?;
    if !out.status.success() {
        anyhow::bail!(
            "user add {name} at {}: {}",
            site.country,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    creds
        .sign_ins
        .push((site.country.clone(), name.to_owned(), password));
    Ok(())
}

async fn team_of(site: &Site) -> anyhow::Result<TeamId> {
    let (config, _) = crate::commands::open(&site.dir).await?;
    TeamId::parse(&config.team_id).map_err(|e| anyhow::anyhow!("{e}"))
}

async fn fingerprint(site: &Site) -> anyhow::Result<String> {
    let info: Value = serde_json::from_str(
        &vigia_ok(&["node", "info", "--data-dir", site.dir_str(), "--json"]).await?,
    )?;
    Ok(info["key_fingerprint"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

async fn peer(a: &Site, b: &Site, fingerprints: &[String], sites: &[Site]) -> anyhow::Result<()> {
    let index = |s: &Site| sites.iter().position(|x| x.port == s.port).unwrap_or(0);
    for (x, y) in [(a, b), (b, a)] {
        vigia_ok(&[
            "peer",
            "add",
            "--data-dir",
            x.dir_str(),
            &y.url(),
            "--key",
            &fingerprints[index(y)],
        ])
        .await?;
    }
    Ok(())
}

/// `vigia publish` of `objects` at `site`.
pub(crate) async fn publish(
    site: &Site,
    objects: &[Value],
    args: &[&str],
) -> anyhow::Result<String> {
    let file = site
        .dir
        .join(format!("publish-{}.json", uuid::Uuid::new_v4()));
    let bundle = json!({"type": "bundle", "id": format!("bundle--{}", uuid::Uuid::new_v4()), "objects": objects});
    std::fs::write(&file, bundle.to_string())?;
    let mut all = vec![
        "publish",
        "--data-dir",
        site.dir_str(),
        file.to_str().unwrap_or_default(),
    ];
    all.extend_from_slice(args);
    let result = vigia_ok(&all).await;
    let _ = std::fs::remove_file(&file);
    result
}

fn now() -> String {
    vigia_stix::Timestamp::from_datetime(time::OffsetDateTime::now_utc()).to_millis_string()
}

/// A STIX report with fresh ids.
pub(crate) fn report(kind: &str, name: &str, description: &str) -> Value {
    let at = now();
    let id = format!("report--{}", uuid::Uuid::new_v4());
    json!({
        "type": "report", "spec_version": "2.1", "id": id, "created": at, "modified": at,
        "name": name, "description": description, "report_types": [kind], "published": at,
        "object_refs": [id]
    })
}

/// An IANA time zone for the demo's rosters.
fn time_zone(country: &str) -> &'static str {
    match country {
        "US" => "America/New_York",
        "BR" => "America/Sao_Paulo",
        "MX" => "America/Mexico_City",
        "CR" => "America/Costa_Rica",
        "JM" => "America/Jamaica",
        "HT" => "America/Port-au-Prince",
        "AR" => "America/Argentina/Buenos_Aires",
        "CL" => "America/Santiago",
        "CO" => "America/Bogota",
        "PE" => "America/Lima",
        "CA" => "America/Toronto",
        _ => "America/Panama",
    }
}

/// A duty roster: a 24/7 desk for teams with a CSIRT; office hours only
/// (so the gaps show) for a state with neither CSIRT nor point of contact.
async fn roster(site: &Site) -> anyhow::Result<()> {
    let tz = time_zone(&site.country);
    let cc = site.country.to_lowercase();
    let desk_hours = match site.coverage {
        super::Coverage::Neither => {
            json!([{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "17:00", "tz": tz}])
        }
        _ => json!([]),
    };
    let roster = json!({"contacts": [
        {"name": "Duty desk", "role": "primary", "user": "duty", "email": format!("duty@{cc}.demo.test"), "phone": "+1 555 0100", "windows": desk_hours},
        {"name": "Backup analyst", "role": "backup", "user": "analyst", "email": format!("analyst@{cc}.demo.test"),
         "windows": [{"days": [], "start": "07:00", "end": "23:00", "tz": tz}]},
        {"name": "Head of team", "role": "escalation", "user": "admin", "email": format!("head@{cc}.demo.test")},
    ]});
    let file = site.dir.join("roster.json");
    std::fs::write(&file, serde_json::to_string_pretty(&roster)?)?;
    vigia_ok(&[
        "roster",
        "set",
        "--data-dir",
        site.dir_str(),
        file.to_str().unwrap_or_default(),
    ])
    .await?;
    Ok(())
}

/// Peerings, people, client teams, sharing groups and a history of
/// products at every marking, all through the real paths.
pub(super) async fn seed(
    sites: &[Site],
    creds: &mut Credentials,
    examples: Option<&Path>,
) -> anyhow::Result<()> {
    let mut fingerprints = Vec::new();
    let mut teams = Vec::new();
    for s in sites {
        fingerprints.push(fingerprint(s).await?);
        teams.push(team_of(s).await?);
    }
    // The Secretariat peers with every node; national nodes with their
    // neighbours in a ring: a partial mesh in which GREEN relays.
    let national = &sites[1..];
    for s in national {
        peer(&sites[0], s, &fingerprints, sites).await?;
    }
    // Each national node also peers with the next two in the ring, so
    // AMBER and RED (never relayed) can reach a few partners directly.
    let n = national.len();
    let mut links = std::collections::BTreeSet::new();
    for i in 0..n {
        for step in [1, 2] {
            let j = (i + step) % n;
            if i != j {
                links.insert((i.min(j), i.max(j)));
            }
        }
    }
    for (i, j) in links {
        peer(&national[i], &national[j], &fingerprints, sites).await?;
    }
    println!(
        "  peerings set up ({} nodes: the Secretariat with everyone, each national node with the next two in a ring)",
        sites.len()
    );

    for s in national {
        add_user(s, "duty", "duty-officer", creds).await?;
        add_user(s, "analyst", "analyst", creds).await?;
        client_team(s).await?;
    }
    for s in sites {
        roster(s).await?;
    }
    for s in sites {
        directory_entry(s).await?;
    }
    register_and_endorse(sites, &teams).await?;
    let groups = sharing_groups(&sites[0], national, &teams[1..]).await?;
    announce_groups(sites, &groups).await?;
    println!("  users, client teams and sharing groups created; groups announced to their members");

    let token = vigia_ok(&[
        "token",
        "create",
        "--data-dir",
        national[0].dir_str(),
        "--role",
        "analyst",
        "--user",
        "analyst",
        "--label",
        "demo",
    ])
    .await?;
    creds.token = token.lines().last().map(|l| l.trim().to_owned());

    products(sites, &teams).await?;
    attack_techniques(&sites[0]).await?;
    awareness(&sites[0]).await?;
    match find_examples(examples) {
        Some(dir) => {
            publish_examples(national, &dir).await?;
            // The CSAF examples sit beside the STIX ones in ../shared/data.
            let csaf = dir.join("../../csaf/csaf_2.0/examples/csaf");
            if csaf.is_dir() {
                publish_csaf(national, &csaf).await?;
            }
        }
        None => println!("  STIX examples not found (pass --examples DIR, e.g. ../shared/data/stix-2.1/examples); skipped"),
    }
    Ok(())
}

/// An in-country constituent of the national team, to show AMBER's
/// allow_clients and AMBER+STRICT.
async fn client_team(site: &Site) -> anyhow::Result<()> {
    let (config, store) = crate::commands::open(&site.dir).await?;
    let parent = TeamId::parse(&config.team_id).map_err(|e| anyhow::anyhow!("{e}"))?;
    store
        .create_team(&NewTeam {
            id: vigia_web::new_team_id().map_err(|e| anyhow::anyhow!("{e}"))?,
            name: format!("Central Bank of {} CSIRT", site.state),
            country: site.country.clone(),
            kind: TeamKind::Sector,
            client_of: Some(parent),
        })
        .await?;
    store.close().await;
    Ok(())
}

/// Sub-regional groups and "all-national-pocs", defined by the Secretariat.
/// Returns each group with the national sites in it.
async fn sharing_groups(
    secretariat: &Site,
    national: &[Site],
    teams: &[TeamId],
) -> anyhow::Result<Vec<(GroupName, Vec<usize>)>> {
    let mut defined = vec![(
        GroupName::parse("all-national-pocs")?,
        (1..=national.len()).collect(),
    )];
    let (config, store) = crate::commands::open(&secretariat.dir).await?;
    let owner = TeamId::parse(&config.team_id).map_err(|e| anyhow::anyhow!("{e}"))?;
    store
        .put_sharing_group(&GroupName::parse("all-national-pocs")?, &owner, teams)
        .await?;
    let mut regions: Vec<&str> = national.iter().map(|s| s.subregion.as_str()).collect();
    regions.sort_unstable();
    regions.dedup();
    for region in regions {
        let members: Vec<TeamId> = national
            .iter()
            .zip(teams)
            .filter(|(s, _)| s.subregion == region)
            .map(|(_, t)| t.clone())
            .collect();
        let name = GroupName::parse(&region.to_lowercase().replace(' ', "-"))?;
        store.put_sharing_group(&name, &owner, &members).await?;
        let sites = (1..=national.len())
            .filter(|&i| national[i - 1].subregion == region)
            .collect();
        defined.push((name, sites));
    }
    store.close().await;
    Ok(defined)
}

/// A group's definition travels with the objects that use it: the
/// Secretariat greets each group, and members can then address it.
async fn announce_groups(sites: &[Site], groups: &[(GroupName, Vec<usize>)]) -> anyhow::Result<()> {
    for (name, _) in groups {
        let text = format!(
            "Welcome to the sharing group {name}: address products to it with --group {name}."
        );
        publish(
            &sites[0],
            &[report(
                "threat-report",
                &format!("Sharing group {name}"),
                &text,
            )],
            &["--tlp", "green", "--group", name.as_str()],
        )
        .await?;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    for (name, members) in groups {
        for &i in members {
            let (_, store) = crate::commands::open(&sites[i].dir).await?;
            loop {
                let known = store
                    .list_sharing_groups()
                    .await?
                    .iter()
                    .any(|(g, _, _)| g == name);
                if known {
                    break;
                }
                if std::time::Instant::now() > deadline {
                    anyhow::bail!(
                        "sharing group {name} did not reach {} within 60 s",
                        sites[i].country
                    );
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            store.close().await;
        }
    }
    Ok(())
}

/// One product at each marking, from different nodes.
async fn products(sites: &[Site], teams: &[TeamId]) -> anyhow::Result<()> {
    let national = &sites[1..];
    let n = |i: usize| &national[i % national.len()];
    let t = |i: usize| teams[1 + i % national.len()].to_string();
    publish(
        &sites[0],
        &[report(
            "threat-report",
            "Hemispheric bulletin: ransomware trends this quarter",
            "Public summary for all member states.",
        )],
        &["--tlp", "clear"],
    )
    .await?;
    publish(
        n(0),
        &[report(
            "alert",
            "Phishing wave impersonating tax authorities",
            "Network-wide alert with indicators to follow.",
        )],
        &["--tlp", "green"],
    )
    .await?;
    publish(
        n(1),
        &[report(
            "warning",
            "Scanning of exposed VPN gateways",
            "Shared with the Secretariat's group of all national points of contact.",
        )],
        &["--tlp", "green", "--group", "all-national-pocs"],
    )
    .await?;
    publish(
        n(0),
        &[report(
            "attack-report",
            "Intrusion at a telecom operator",
            "For two partner teams; their constituents may be told.",
        )],
        &[
            "--tlp",
            "amber",
            "--to",
            &t(1),
            "--to",
            &t(2),
            "--allow-clients",
        ],
    )
    .await?;
    publish(
        n(1),
        &[report(
            "vulnerability",
            "Unpatched flaw in a regional e-government platform",
            "Under embargo: named teams only.",
        )],
        &["--tlp", "amber+strict", "--to", &t(0)],
    )
    .await?;
    let to_user = format!("analyst@{}", t(0));
    publish(
        n(2),
        &[report(
            "incident",
            "Compromise of a ministry mail server",
            "For one named analyst only.",
        )],
        &["--tlp", "red", "--to-user", &to_user],
    )
    .await?;
    println!("  products published at every marking (CLEAR, GREEN, GREEN to a group, AMBER, AMBER+STRICT, RED)");
    Ok(())
}

fn find_examples(given: Option<&Path>) -> Option<PathBuf> {
    if let Some(dir) = given {
        return dir.is_dir().then(|| dir.to_path_buf());
    }
    let relative = Path::new("shared/data/stix-2.1/examples");
    let mut roots: Vec<PathBuf> = Vec::new();
    if let Ok(cwd) = std::env::current_dir() {
        roots.extend(cwd.ancestors().map(Path::to_path_buf));
    }
    if let Ok(exe) = std::env::current_exe() {
        roots.extend(exe.ancestors().map(Path::to_path_buf));
    }
    roots
        .into_iter()
        .map(|r| r.join(relative))
        .find(|d| d.is_dir())
}

/// The OASIS STIX 2.1 examples, published GREEN from rotating nodes.
async fn publish_examples(national: &[Site], dir: &Path) -> anyhow::Result<()> {
    let mut files: Vec<PathBuf> = Vec::new();
    for d in [dir.to_path_buf(), dir.join("threat-reports")] {
        if let Ok(entries) = std::fs::read_dir(&d) {
            files.extend(
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "json")),
            );
        }
    }
    files.sort();
    let (mut ok, mut refused) = (0, 0);
    for (i, file) in files.iter().enumerate() {
        let site = &national[i % national.len()];
        let args = [
            "publish",
            "--data-dir",
            site.dir_str(),
            file.to_str().unwrap_or_default(),
            "--tlp",
            "green",
        ];
        match vigia_ok(&args).await {
            Ok(_) => ok += 1,
            Err(_) => refused += 1,
        }
    }
    println!(
        "  {ok} OASIS STIX 2.1 example bundles published GREEN from {} ({refused} with objects refused)",
        dir.display()
    );
    Ok(())
}

/// Vulnerability notices built from the OASIS CSAF 2.0 example advisories
/// (real public material), published from national nodes in turn.
async fn publish_csaf(national: &[Site], dir: &Path) -> anyhow::Result<()> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut published = 0;
    for file in files {
        let Some(n) = std::fs::read_to_string(&file)
            .ok()
            .and_then(|t| vigia_csaf::import(&t).ok())
        else {
            continue;
        };
        // A document without a label is published as CLEAR, RED is not
        // published.
        let tlp = match n.tlp {
            None | Some(vigia_stix::Tlp::Clear) => "clear",
            Some(vigia_stix::Tlp::Green) => "green",
            Some(vigia_stix::Tlp::Amber) => "amber",
            Some(_) => continue,
        };
        let title: String = n.title.chars().take(290).collect();
        let site = &national[published % national.len()];
        let severity = match n.cvss.as_ref().map(|c| c.base_score) {
            Some(s) if s >= 9.0 => "critical",
            Some(s) if s >= 7.0 => "high",
            Some(s) if s >= 4.0 => "medium",
            Some(_) => "low",
            None => "medium",
        };
        let description = format!("From CSAF advisory {} by {}.", n.tracking_id, n.publisher);
        let kind = if n.cves.is_empty() {
            "advisory"
        } else {
            "vulnerability-notice"
        };
        let mut args: Vec<String> = [
            "product",
            "create",
            "--data-dir",
            site.dir_str(),
            "--kind",
            kind,
            "--title",
            &title,
            "--description",
            &description,
            "--severity",
            severity,
            "--tlp",
            tlp,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for cve in n.cves.iter().take(20) {
            args.extend(["--cve".to_owned(), cve.clone()]);
        }
        if let Some(cvss) = &n.cvss {
            args.extend([
                "--cvss-vector".to_owned(),
                cvss.vector.clone(),
                "--cvss-score".to_owned(),
                cvss.base_score.to_string(),
            ]);
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        match vigia_ok(&refs).await {
            Ok(_) => published += 1,
            Err(e) => println!("  CSAF {} not published: {e:#}", n.tracking_id),
        }
    }
    println!("  {published} vulnerability notices and advisories published from the OASIS CSAF 2.0 examples");
    Ok(())
}

/// MITRE ATT&CK techniques (a subset made by `scripts/attack-subset.py`
/// from public ATT&CK data), embedded so the demo needs no network.
const ATTACK: &str = include_str!("attack-techniques.json");

/// The embedded technique with ATT&CK id `technique` (e.g. `T1486`).
pub(super) fn attack_pattern_id(technique: &str) -> Option<String> {
    let all: Value = serde_json::from_str(ATTACK).ok()?;
    all["objects"]
        .as_array()?
        .iter()
        .find(|o| o["external_references"][0]["external_id"] == technique)
        .and_then(|o| o["id"].as_str())
        .map(str::to_owned)
}

/// The Secretariat publishes the ATT&CK techniques to the network (CLEAR).
async fn attack_techniques(secretariat: &Site) -> anyhow::Result<()> {
    let all: Value = serde_json::from_str(ATTACK)?;
    let objects = all["objects"].as_array().cloned().unwrap_or_default();
    publish(secretariat, &objects, &["--tlp", "clear"]).await?;
    println!(
        "  {} MITRE ATT&CK techniques published from the Secretariat (TLP:CLEAR)",
        objects.len()
    );
    Ok(())
}

/// An awareness page of the Secretariat's portal, in the four languages.
async fn awareness(secretariat: &Site) -> anyhow::Result<()> {
    let (_, store) = crate::commands::open(&secretariat.dir).await?;
    let pages = [
        ("en", "Spot a phishing message", "Check the **sender's address**, not the name shown. Never type a password after following a link in a message.\n\n- Hover over links before you click.\n- Your bank never asks for your card number by e-mail.\n\nReport it: [how to report an incident](/report)."),
        ("es", "Reconozca un mensaje de phishing", "Revise la **dirección del remitente**, no el nombre que aparece. Nunca escriba una contraseña tras seguir un enlace de un mensaje.\n\n- Pase el cursor sobre los enlaces antes de hacer clic.\n- Su banco nunca le pide el número de tarjeta por correo.\n\nRepórtelo: [cómo reportar un incidente](/report)."),
        ("pt", "Reconheça uma mensagem de phishing", "Verifique o **endereço do remetente**, não o nome exibido. Nunca digite uma senha depois de seguir um link de uma mensagem.\n\n- Passe o cursor sobre os links antes de clicar.\n- Seu banco nunca pede o número do cartão por e-mail.\n\nRelate: [como relatar um incidente](/report)."),
        ("fr", "Reconnaître un message d'hameçonnage", "Vérifiez l'**adresse de l'expéditeur**, pas le nom affiché. Ne saisissez jamais un mot de passe après avoir suivi un lien reçu.\n\n- Survolez les liens avant de cliquer.\n- Votre banque ne demande jamais votre numéro de carte par courriel.\n\nSignalez-le : [comment signaler un incident](/report)."),
    ];
    let now = time::OffsetDateTime::now_utc().unix_timestamp() * 1_000_000;
    for (lang, title, markdown) in pages {
        store
            .put_awareness_page(&vigia_store::AwarenessPage {
                slug: "phishing".into(),
                lang: lang.into(),
                title: title.into(),
                markdown: markdown.into(),
                updated_at: now,
                updated_by: "demo".into(),
            })
            .await?;
    }
    store.close().await;
    println!(
        "  an awareness page in four languages on the Secretariat's portal (/awareness/phishing)"
    );
    Ok(())
}

/// A directory entry for the site's team, from `vigia directory draft`,
/// filled in as that kind of team would, and published with `set`.
async fn directory_entry(site: &Site) -> anyhow::Result<()> {
    let draft = vigia_ok(&["directory", "draft", "--data-dir", site.dir_str()]).await?;
    let mut e: Value = serde_json::from_str(&draft)?;
    let cc = site.country.to_lowercase();
    let tz = time_zone(&site.country);
    let languages: Vec<&str> = site
        .languages
        .split([';', ','])
        .filter(|l| !l.is_empty())
        .collect();
    e["subregion"] = json!(site.subregion);
    e["languages"] = json!(languages);
    e["email"] = json!(format!("cert@{cc}.demo.test"));
    e["phone"] = json!("+1 555 0100");
    e["websites"] = json!([format!("https://cert.{cc}.demo.test/")]);
    e["reporting"] = json!([
        {"channel": "email", "address": format!("incidents@{cc}.demo.test")},
        {"channel": "web", "address": format!("https://cert.{cc}.demo.test/report")}
    ]);
    e["pgp_fingerprints"] = json!(["0x1C2D3E4F5A6B7C8D9E0F1A2B3C4D5E6F7A8B9C0D"]);
    let (sectors, services, hours): (Value, Value, Value) = match (site.secretariat, site.coverage)
    {
        (true, _) => (
            json!([]),
            json!([
                "knowledge-transfer/training-and-education",
                "situational-awareness/communication"
            ]),
            json!({"always": false, "time_zone": tz, "windows": [{"days": "mon-fri", "open": "09:00", "close": "18:00"}]}),
        ),
        (false, Coverage::NationalCsirt) => (
            json!([
                "government",
                "energy",
                "financial-services",
                "telecommunications"
            ]),
            json!([
                "incident-management/incident-report-acceptance",
                "incident-management/incident-analysis",
                "incident-management/incident-coordination",
                "vulnerability-management/vulnerability-coordination",
                "situational-awareness/communication",
                "knowledge-transfer/awareness-building"
            ]),
            json!({"always": true, "time_zone": tz}),
        ),
        (false, Coverage::PointOfContact) => (
            json!(["government"]),
            json!([
                "incident-management/incident-report-acceptance",
                "incident-management/incident-coordination"
            ]),
            json!({"always": true, "time_zone": tz}),
        ),
        (false, Coverage::Neither) => (
            json!([]),
            json!(["incident-management/incident-report-acceptance"]),
            json!({"always": false, "time_zone": tz, "windows": [{"days": "mon-fri", "open": "08:00", "close": "17:00"}]}),
        ),
    };
    e["constituency"] = json!({"description": format!("{}: public administration and critical infrastructure", site.state), "sectors": sectors});
    e["services"] = services;
    e["hours"] = hours;
    if !site.secretariat {
        e["cert_types"] = json!(["national", "government", "publicly-funded"]);
        e["staff_size"] = json!(match site.coverage {
            Coverage::NationalCsirt => 18,
            Coverage::PointOfContact => 3,
            Coverage::Neither => 1,
        });
        e["funding"] = json!({"mechanism": "government-budget", "stability": "stable"});
        e["poc_capabilities"] = json!([
            "exchange-information",
            "report-national-status",
            "inform-authorities"
        ]);
        e["affiliations"] = json!([{"name": "LAC-CSIRTs", "membership": "member"}]);
    }
    match site.coverage {
        Coverage::NationalCsirt if !site.secretariat => {
            e["designation"] = json!({"kind": "national-csirt", "authority": format!("Government of {}", site.state), "instrument": "Executive decree", "date": "2015-06-01"});
            e["maturity"] = json!({"stage": "operational", "history": [{"stage": "poc-only", "since": "2009-01-01"}, {"stage": "operational", "since": "2015-06-01"}]});
            e["last_resort"] = json!(true);
            e["emergency"] =
                json!({"phone": "+1 555 0199", "email": format!("duty@{cc}.demo.test")});
            e["law_enforcement"] = json!({"network_247_member": true, "contact_247": {"name": "Cybercrime duty officer", "unit": "National police cybercrime unit", "phone": "+1 555 0911", "qualified": true}, "authorities": [{"name": "Public prosecutor's cybercrime office", "roles": ["prosecution"]}], "liaison": "Liaison officer seconded to the CSIRT"});
            e["certifications"] =
                json!([{"scheme": "FIRST", "level": "full member", "date": "2018-03-01"}]);
            e["attestations"] = json!({"information-sharing-principles": {"met": true}, "receive-and-disseminate": {"met": true}, "authorised-to-disseminate": {"met": true}, "assistance-to-csirts": {"met": true}, "secure-infrastructure": {"met": true}, "trust-secure-infrastructure": {"met": true}, "trust-secure-communication": {"met": true}, "trust-public-interface": {"met": true}});
        }
        Coverage::PointOfContact if !site.secretariat => {
            e["designation"] = json!({"kind": "national-poc", "authority": format!("Ministry of ICT of {}", site.state), "instrument": "Ministerial resolution", "date": "2021-09-15"});
            e["maturity"] = json!({"stage": "poc-only", "history": [{"stage": "poc-only", "since": "2021-09-15"}]});
            e["emergency"] = json!({"phone": "+1 555 0299"});
            e["attestations"] = json!({"information-sharing-principles": {"met": true}});
        }
        _ => {
            if !site.secretariat {
                e["maturity"] = json!({"stage": "being-established", "history": [{"stage": "being-established", "since": "2025-01-01"}]});
            }
        }
    }
    let file = site.dir.join("directory-entry.json");
    std::fs::write(&file, serde_json::to_string_pretty(&e)?)?;
    vigia_ok(&[
        "directory",
        "set",
        "--data-dir",
        site.dir_str(),
        file.to_str().unwrap_or_default(),
    ])
    .await?;
    Ok(())
}

/// The Secretariat loads the member-state register, waits for the
/// national entries, endorses the designations and onboards the first
/// state (its notification, then activation).
async fn register_and_endorse(sites: &[Site], teams: &[TeamId]) -> anyhow::Result<()> {
    let secretariat = &sites[0];
    let shared = Path::new("../shared/data/oas/member-states.csv");
    let register = if shared.is_file() {
        shared.to_path_buf()
    } else {
        let file = secretariat.dir.join("member-states.csv");
        std::fs::write(&file, super::MEMBER_STATES)?;
        file
    };
    vigia_ok(&[
        "member-states",
        "import",
        "--data-dir",
        secretariat.dir_str(),
        register.to_str().unwrap_or_default(),
    ])
    .await?;
    let (_, store) = crate::commands::open(&secretariat.dir).await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let mut held = 0;
        for t in &teams[1..] {
            if store.latest_object(t.as_str()).await?.is_some() {
                held += 1;
            }
        }
        if held == teams.len() - 1 {
            break;
        }
        if std::time::Instant::now() > deadline {
            anyhow::bail!(
                "the national directory entries did not reach the Secretariat within 60 s"
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    store.close().await;
    let mut endorsed = 0;
    for (site, team) in sites.iter().zip(teams).skip(1) {
        if site.coverage == Coverage::Neither {
            continue;
        }
        vigia_ok(&[
            "directory",
            "endorse",
            "--data-dir",
            secretariat.dir_str(),
            team.as_str(),
        ])
        .await?;
        endorsed += 1;
    }
    let first = &sites[1];
    vigia_ok(&[
        "member-states",
        "notify",
        "--data-dir",
        secretariat.dir_str(),
        &first.country,
        "--on",
        "2024-05-02",
        "--text",
        "Note verbale to the CICTE Secretariat designating the national CSIRT",
    ])
    .await?;
    vigia_ok(&[
        "member-states",
        "activate",
        "--data-dir",
        secretariat.dir_str(),
        &first.country,
        "--team",
        teams[1].as_str(),
    ])
    .await?;
    println!(
        "  directory: {} signed entries published; the Secretariat loaded the member-state register, endorsed {endorsed} designation(s) and activated {}",
        sites.len(),
        first.country
    );
    Ok(())
}
