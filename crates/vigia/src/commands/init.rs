//! `vigia init`: create a node without asking questions.

use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use rand::RngCore;
use serde_json::json;
use vigia_policy::{object_keys, Audience, Role, TeamId, UserName};
use vigia_sign::NodeKey;
use vigia_stix::{SchemaSet, StixObject, Tlp};
use vigia_store::{NewObject, NewTeam, NewUser, NodeRecord, Store, TeamKind};
use vigia_web::credentials::{generate_password, hash_password};
use vigia_web::state::{audit_event, now};

use crate::cli::InitArgs;
use crate::config::{default_sqlite_url, initial_file, Config, LogFormat, CONFIG_FILE, KEY_FILE};

pub(crate) async fn run(args: InitArgs) -> anyhow::Result<ExitCode> {
    let dir = &args.dir.data_dir;
    for existing in [CONFIG_FILE, KEY_FILE] {
        if dir.join(existing).exists() {
            anyhow::bail!(
                "{} already holds a vigia node ({} exists); refusing to change it",
                dir.display(),
                existing
            );
        }
    }
    let country =
        vigia_web::parse_country(&args.country).map_err(|e| anyhow::anyhow!("--country: {e}"))?;
    let team_name = args.name.trim().to_owned();
    if team_name.is_empty() {
        anyhow::bail!("--name: the team name must not be empty");
    }
    let admin_name = UserName::parse(&args.admin).map_err(|e| anyhow::anyhow!("--admin: {e}"))?;
    let created_dir = !dir.exists();
    create_private_dir(dir)?;

    let result = create_node(&args, country, team_name, admin_name).await;
    if result.is_err() && created_dir {
        // Leave nothing behind from a refused or failed init.
        let _ = fs::remove_dir_all(dir);
    }
    result
}

async fn create_node(
    args: &InitArgs,
    country: String,
    team_name: String,
    admin_name: UserName,
) -> anyhow::Result<ExitCode> {
    let dir = &args.dir.data_dir;
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let key = NodeKey::from_seed(seed);
    let team_id = TeamId::parse(&format!("identity--{}", uuid::Uuid::new_v4()))?;
    let config = Config {
        node_id: uuid::Uuid::new_v4().to_string(),
        team_id: team_id.to_string(),
        team_name: team_name.clone(),
        country: country.clone(),
        listen: args.listen,
        public_url: args.public_url.clone(),
        database_url: args.database_url.clone(),
        default_tlp: Tlp::Amber,
        max_body_bytes: 64 * 1024 * 1024,
        shutdown_grace_secs: 30,
        log_format: LogFormat::Text,
        taxii_public: false,
        tls_cert: None,
        tls_key: None,
        collections: vigia_web::taxii::default_collections(),
        federation: crate::config::FederationConfig::default(),
        outbound: vigia_policy::OutboundPolicy::default(),
        watch: vigia_notify::WatchSettings::default(),
        directory: Default::default(),
        console: Default::default(),
        correlation: Default::default(),
    };
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(|| default_sqlite_url(dir));
    let store = Store::connect(&url)
        .await
        .context("cannot open the database")?;

    let password = generate_password();
    let phc = hash_password(&password)?;
    let node = NodeRecord {
        node_id: config.node_id.clone(),
        team_id: team_id.clone(),
        country: country.clone(),
        public_key: key.public().to_base64(),
        created_at: now(),
    };
    let team = NewTeam {
        id: team_id.clone(),
        name: team_name.clone(),
        country: country.clone(),
        kind: TeamKind::parse(&args.kind).with_context(|| {
            format!("--kind {:?}: expected national-csirt, government, secretariat, sector, academic or private", args.kind)
        })?,
        client_of: None,
    };
    let admin = NewUser {
        team: team_id.clone(),
        name: admin_name.clone(),
        display_name: "Node administrator".into(),
        email: None,
        role: Role::Admin,
        password_hash: phc,
    };
    let event = audit_event(
        "cli",
        "node.init",
        Some(&config.node_id),
        "ok",
        json!({"team": team_id, "country": country, "admin": admin_name, "key": key.public().fingerprint()}),
    );
    store.initialise_node(&node, &team, &admin, &event).await?;
    seed_objects(&store, &team_id, &team_name).await?;
    store.close().await;

    write_private(&dir.join(KEY_FILE), key.to_pkcs8_pem()?.as_bytes())?;
    write_private(&dir.join(CONFIG_FILE), initial_file(&config)?.as_bytes())?;

    println!("Created vigia node {} in {}", config.node_id, dir.display());
    println!("  team:        {team_name} ({team_id})");
    println!("  country:     {country}");
    println!("  listen:      {}", config.listen);
    println!(
        "  database:    {}",
        if args.database_url.is_some() {
            "PostgreSQL"
        } else {
            "SQLite (in the data directory)"
        }
    );
    println!("  key:         {}", key.public().fingerprint());
    println!("Admin sign-in name: {admin_name}");
    println!("Admin password (shown once, store it now): {password}");
    println!("Next: vigia serve --data-dir {}", dir.display());
    Ok(ExitCode::SUCCESS)
}

/// The team's public STIX identity and the five TLP 2.0 marking
/// definitions, so TAXII clients can resolve every marking reference.
async fn seed_objects(store: &Store, team_id: &TeamId, team_name: &str) -> anyhow::Result<()> {
    let schemas = SchemaSet::new()?;
    let created = now().to_millis_string();
    let identity = json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": team_id,
        "created": created,
        "modified": created,
        "name": team_name,
        "identity_class": "organization",
        "created_by_ref": team_id,
        "object_marking_refs": [Tlp::Clear.marking_id()],
    });
    let mut raws = vec![identity.to_string()];
    raws.extend(Tlp::ALL.iter().map(|t| t.marking_definition().to_string()));
    let objects = raws
        .iter()
        .map(|raw| StixObject::parse(raw, &schemas))
        .collect::<Result<Vec<_>, _>>()?;
    let audience = Audience::new(Tlp::Clear, Some(team_id.clone()));
    let keys = object_keys(&audience);
    let batch: Vec<NewObject<'_>> = objects
        .iter()
        .map(|object| NewObject {
            object,
            audience: &audience,
            access_keys: &keys,
            deliver_to: &[],
            covered: None,
        })
        .collect();
    store.insert_objects(&batch).await?;
    Ok(())
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot restrict {}", dir.display()))?;
    }
    Ok(())
}

/// Writes a file readable by its owner only, through a temporary name so a
/// crash never leaves half a key or half a configuration.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&tmp)
        .with_context(|| format!("cannot create {}", tmp.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
