//! The command line.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// vigia: the node software of the Inter-American CSIRT Watch and Warning
/// Network. Each national CSIRT runs its own node.
#[derive(Parser, Debug)]
#[command(name = "vigia", version, about, long_about = None, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Args, Debug, Clone)]
pub(crate) struct DataDir {
    /// The node's data directory (configuration, key, SQLite database).
    #[arg(long, env = "VIGIA_DATA_DIR", value_name = "DIR")]
    pub(crate) data_dir: PathBuf,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Create a new node: key, configuration, team and first admin.
    Init(InitArgs),
    /// Run the node until SIGTERM or Ctrl-C.
    Serve(ServeArgs),
    /// Manage the node's users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Inspect the tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Facts about this node.
    #[command(subcommand)]
    Node(NodeCommand),
}

#[derive(Args, Debug)]
pub(crate) struct InitArgs {
    #[command(flatten)]
    pub(crate) dir: DataDir,
    /// ISO 3166-1 alpha-2 code of the member state, e.g. CR.
    #[arg(long, value_name = "CC")]
    pub(crate) country: String,
    /// The name of the national team that operates the node.
    #[arg(long, value_name = "TEAM NAME")]
    pub(crate) name: String,
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8440")]
    pub(crate) listen: SocketAddr,
    /// Use PostgreSQL (postgres://…) instead of SQLite in the data directory.
    #[arg(long, value_name = "URL")]
    pub(crate) database_url: Option<String>,
    /// The URL peers and users reach this node at (default: http://ADDR).
    #[arg(long, value_name = "URL")]
    pub(crate) public_url: Option<String>,
    /// Sign-in name of the first admin.
    #[arg(long, value_name = "NAME", default_value = "admin")]
    pub(crate) admin: String,
}

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub(crate) dir: DataDir,
    /// Override the configured listen address (use port 0 for any free port).
    #[arg(long, value_name = "ADDR")]
    pub(crate) listen: Option<SocketAddr>,
    /// Override the configured database URL.
    #[arg(long, value_name = "URL")]
    pub(crate) database_url: Option<String>,
    /// Log format: text or json.
    #[arg(long, value_name = "FORMAT")]
    pub(crate) log_format: Option<String>,
}

#[derive(Subcommand, Debug)]
pub(crate) enum UserCommand {
    /// Add a user; prints a generated password once unless --password-stdin.
    Add {
        #[command(flatten)]
        dir: DataDir,
        /// Sign-in name: a-z, 0-9, '.', '_' or '-'.
        name: String,
        /// admin, analyst, duty-officer or read-only.
        #[arg(long)]
        role: String,
        /// Team id (identity--…); default: the node's own team.
        #[arg(long)]
        team: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    List {
        #[command(flatten)]
        dir: DataDir,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Disable a user; they can no longer sign in.
    Disable {
        #[command(flatten)]
        dir: DataDir,
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum TokenCommand {
    /// Issue an API token; the token is printed alone on the last line.
    Create {
        #[command(flatten)]
        dir: DataDir,
        /// admin, analyst, duty-officer, read-only or peer-node.
        #[arg(long)]
        role: String,
        /// Act as this user; default: a service token of the node's team.
        #[arg(long)]
        user: Option<String>,
        /// Team id for a service token; default: the node's team.
        #[arg(long)]
        team: Option<String>,
        #[arg(long, default_value = "")]
        label: String,
        /// What the token may be used for.
        #[arg(long, default_value = "*")]
        scope: String,
        #[arg(long, value_name = "DAYS")]
        expires_in_days: Option<u32>,
    },
    /// List tokens (never their secrets).
    List {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by id.
    Revoke {
        #[command(flatten)]
        dir: DataDir,
        id: String,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum AuditCommand {
    /// Check the hash chain; exits 1 and names the first broken entry.
    Verify {
        #[command(flatten)]
        dir: DataDir,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum NodeCommand {
    /// Print the node's id, team, country, public URL and key fingerprint.
    Info {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        json: bool,
    },
}
