//! One module per sub-command.

mod admin;
mod csaf;
mod demo;
mod directory;
pub(crate) mod federation;
mod init;
mod lookup;
mod network;
pub(crate) mod serve;
mod taxii;
pub(crate) mod watch;

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use vigia_store::Store;

use crate::cli::{
    AuditCommand, Cli, Command, NodeCommand, PeerCommand, TaxiiCommand, TokenCommand, UserCommand,
};
use crate::config::{Config, LogFormat, Overrides};
use crate::telemetry;

pub(crate) async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Init(args) => {
            telemetry::init_logs(LogFormat::Text, "warn");
            init::run(args).await
        }
        Command::Serve(args) => serve::run(args).await,
        Command::User(cmd) => {
            telemetry::init_logs(LogFormat::Text, "warn");
            match cmd {
                UserCommand::Add {
                    dir,
                    name,
                    role,
                    team,
                    display_name,
                    email,
                    password_stdin,
                } => {
                    let (config, store) = open(&dir.data_dir).await?;
                    admin::user_add(
                        &config,
                        &store,
                        &name,
                        &role,
                        team,
                        display_name,
                        email,
                        password_stdin,
                    )
                    .await
                }
                UserCommand::List { dir, json } => {
                    admin::user_list(&open(&dir.data_dir).await?.1, json).await
                }
                UserCommand::Disable { dir, name } => {
                    admin::user_disable(&open(&dir.data_dir).await?.1, &name).await
                }
            }
        }
        Command::Token(cmd) => {
            telemetry::init_logs(LogFormat::Text, "warn");
            match cmd {
                TokenCommand::Create {
                    dir,
                    role,
                    user,
                    team,
                    label,
                    scope,
                    expires_in_days,
                } => {
                    let (config, store) = open(&dir.data_dir).await?;
                    admin::token_create(
                        &config,
                        &store,
                        &role,
                        user,
                        team,
                        label,
                        scope,
                        expires_in_days,
                    )
                    .await
                }
                TokenCommand::List { dir, json } => {
                    admin::token_list(&open(&dir.data_dir).await?.1, json).await
                }
                TokenCommand::Revoke { dir, id } => {
                    admin::token_revoke(&open(&dir.data_dir).await?.1, &id).await
                }
            }
        }
        Command::Audit(AuditCommand::Verify { dir }) => {
            telemetry::init_logs(LogFormat::Text, "warn");
            admin::audit_verify(&open(&dir.data_dir).await?.1).await
        }
        Command::Node(NodeCommand::Info { dir, json }) => {
            telemetry::init_logs(LogFormat::Text, "warn");
            let (config, store) = open(&dir.data_dir).await?;
            admin::node_info(&config, &store, json).await
        }
        Command::Taxii(cmd) => {
            telemetry::init_logs(LogFormat::Text, "warn");
            match cmd {
                TaxiiCommand::Pull(args) => {
                    let (config, store) = open(&args.target.dir.data_dir).await?;
                    taxii::pull(&config, &store, args).await
                }
                TaxiiCommand::Push(args) => {
                    let (config, store) = open(&args.target.dir.data_dir).await?;
                    taxii::push(&config, &store, args).await
                }
            }
        }
        Command::Peer(cmd) => {
            telemetry::init_logs(LogFormat::Text, "warn");
            match cmd {
                PeerCommand::Add {
                    dir,
                    url,
                    key,
                    name,
                } => {
                    let (config, store) = open(&dir.data_dir).await?;
                    federation::peer_add(&config, &store, &url, &key, name).await
                }
                PeerCommand::List { dir, json } => {
                    federation::peer_list(&open(&dir.data_dir).await?.1, json, false).await
                }
                PeerCommand::Status { dir, json } => {
                    federation::peer_list(&open(&dir.data_dir).await?.1, json, true).await
                }
                PeerCommand::Remove { dir, peer } => {
                    federation::peer_remove(&open(&dir.data_dir).await?.1, &peer).await
                }
            }
        }
        Command::Demo(args) => {
            telemetry::init_logs(LogFormat::Text, "warn");
            demo::run(args).await
        }
        Command::Publish(args) => {
            telemetry::init_logs(LogFormat::Text, "warn");
            let dir = args.dir.data_dir.clone();
            let (config, store) = open(&dir).await?;
            federation::publish(&config, &store, &dir, args).await
        }
        Command::Product(cmd) => {
            telemetry::init_logs(LogFormat::Text, "warn");
            watch::product(*cmd).await
        }
        Command::Ack(args) => {
            telemetry::init_logs(LogFormat::Text, "warn");
            watch::ack(args).await
        }
        Command::Roster(cmd) => {
            telemetry::init_logs(LogFormat::Text, "warn");
            watch::roster(cmd).await
        }
        Command::Drill(args) => {
            telemetry::init_logs(LogFormat::Text, "warn");
            watch::drill(args).await
        }
        Command::Directory(cmd) => {
            telemetry::init_logs(LogFormat::Text, "warn");
            directory::directory(cmd).await
        }
        Command::Csaf(cmd) => {
            telemetry::init_logs(LogFormat::Text, "warn");
            match cmd {
                crate::cli::CsafCommand::Import(args) => csaf::import(args).await,
            }
        }
        Command::Network(args) => {
            telemetry::init_logs(LogFormat::Text, "warn");
            network::network(args).await
        }
        Command::Lookup(args) => {
            telemetry::init_logs(LogFormat::Text, "warn");
            lookup::lookup(args).await
        }
        Command::Coverage(args) => {
            telemetry::init_logs(LogFormat::Text, "warn");
            directory::coverage(args).await
        }
        Command::Standards { dir, team, json } => {
            telemetry::init_logs(LogFormat::Text, "warn");
            directory::standards(&dir.data_dir, team, json).await
        }
        Command::MemberStates(cmd) => {
            telemetry::init_logs(LogFormat::Text, "warn");
            directory::member_states(cmd).await
        }
        Command::Census(cmd) => {
            telemetry::init_logs(LogFormat::Text, "warn");
            directory::census(cmd).await
        }
    }
}

/// Loads the configuration and opens the node's store, checking that the
/// database belongs to this node.
pub(crate) async fn open(data_dir: &Path) -> anyhow::Result<(Config, Store)> {
    let config = Config::load(data_dir, Overrides::default())?;
    let store = connect(&config, data_dir).await?;
    Ok((config, store))
}

/// Opens the store a loaded configuration names.
pub(crate) async fn connect(config: &Config, data_dir: &Path) -> anyhow::Result<Store> {
    let url = config.database_url(data_dir);
    let store = Store::connect(&url)
        .await
        .with_context(|| "cannot open the node's database".to_string())?;
    match store.node().await? {
        Some(node) if node.node_id == config.node_id => Ok(store),
        Some(node) => anyhow::bail!(
            "the database holds node {} but {} configures node {}; refusing to mix them",
            node.node_id,
            data_dir.join(crate::config::CONFIG_FILE).display(),
            config.node_id
        ),
        None => anyhow::bail!("the database has no node record; was `vigia init` interrupted?"),
    }
}
