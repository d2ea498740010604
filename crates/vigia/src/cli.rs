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
    /// Exchange objects with other TAXII 2.1 servers.
    #[command(subcommand)]
    Taxii(TaxiiCommand),
    /// Peer nodes of the network: set up, list, remove, check.
    #[command(subcommand)]
    Peer(PeerCommand),
    /// Run a small Watch and Warning Network on this machine: national
    /// nodes and the Secretariat as real `vigia serve` processes on
    /// loopback, peered and seeded through the real federation path.
    Demo(DemoArgs),
    /// Publish STIX objects from this node's team with a TLP marking and a
    /// distribution; they are sealed with the node key and delivered to
    /// every peer the marking and the outbound policy entitle.
    Publish(PublishArgs),
    /// Watch and warning products: alerts, advisories, vulnerability
    /// notices, suspicious-activity warnings, mitigation guidance, lessons
    /// learned and best practice.
    #[command(subcommand)]
    Product(Box<ProductCommand>),
    /// Acknowledge a product for this node's team; the receipt travels
    /// back to the originator, signed.
    Ack(AckArgs),
    /// This team's duty roster: who is on duty, when, and how to reach them.
    #[command(subcommand)]
    Roster(RosterCommand),
    /// Reachability drill: send a test alert to national points of contact
    /// and report each one's time to acknowledge (or --history).
    Drill(DrillArgs),
    /// The network's directory: this node's team entries (signed, with a
    /// visibility per field), everyone else's, endorsements and exports.
    #[command(subcommand)]
    Directory(DirectoryCommand),
    /// CSAF 2.0: import another provider's advisories as vulnerability
    /// notices. (This node's own provider is served under
    /// `/.well-known/csaf/`.)
    #[command(subcommand)]
    Csaf(CsafCommand),
    /// The coverage gap report: states without a national point of contact
    /// or CSIRT, uncovered sectors, and redundancy.
    Coverage(CoverageArgs),
    /// Look up observable values (addresses, networks, domains, URLs,
    /// e-mail addresses, hashes, AS numbers, MAC addresses) across every
    /// object the token may see on a node: where each was seen, by which
    /// teams and when, sightings, and warninglist hits.
    Lookup(LookupArgs),
    /// The network's working life on a node, as a token sees it: publish a
    /// record (event, attendance, milestone, training needs, mentoring,
    /// document, assessment, report section…), list them, and read the
    /// calendar, milestones, training, compendium, self-assessment and the
    /// annual report.
    Network(NetworkArgs),
    /// Each team's score against the minimum standards and the seven trust
    /// attributes.
    Standards {
        #[command(flatten)]
        dir: DataDir,
        /// One team (id or short name); default: every team.
        #[arg(long)]
        team: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The member-state register, and the Secretariat's onboarding of a
    /// member (notification, activation).
    #[command(subcommand, name = "member-states")]
    MemberStates(MemberStatesCommand),
    /// Census campaigns: questionnaires sent to teams, answers, reminders,
    /// completion, and confirmation into the directory.
    #[command(subcommand)]
    Census(CensusCommand),
}

#[derive(Args, Debug)]
pub(crate) struct LookupArgs {
    /// One value per line (`-` for standard input); blank lines and lines
    /// starting with `#` are skipped. A line `TYPE VALUE` names the type,
    /// e.g. `x509-serial 01:ab:cd`.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
    /// The node's base URL; default: the public URL of the node in
    /// --data-dir.
    #[arg(long, value_name = "URL")]
    pub(crate) url: Option<String>,
    /// The node's data directory, to find its URL.
    #[arg(long, env = "VIGIA_DATA_DIR", value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// A bearer token of the node (`vigia token create`); the answer is
    /// what this token may see.
    #[arg(long, env = "VIGIA_TOKEN", hide_env_values = true)]
    pub(crate) token: String,
    /// Print the node's JSON answer instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
    /// Print only values that were found or are on a warninglist.
    #[arg(long)]
    pub(crate) found_only: bool,
}

#[derive(Args, Debug)]
pub(crate) struct NetworkArgs {
    #[command(subcommand)]
    pub(crate) command: NetworkCommand,
    /// The node's base URL; default: the public URL of the node in
    /// --data-dir.
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) url: Option<String>,
    /// The node's data directory, to find its URL.
    #[arg(long, global = true, env = "VIGIA_DATA_DIR", value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// A bearer token of the node (`vigia token create`).
    #[arg(long, global = true, env = "VIGIA_TOKEN", hide_env_values = true)]
    pub(crate) token: Option<String>,
}

#[derive(Subcommand, Debug)]
pub(crate) enum NetworkCommand {
    /// Publishes a record from a JSON file holding `title`, `body` and
    /// optionally `summary`, `id` (a new version), `tlp`, `to`, `groups`.
    Publish {
        /// event, attendance, milestone, milestone-done, report-section,
        /// training-needs, training-record, mentoring, engagement,
        /// document, assessment, questionnaire.
        kind: String,
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// The records of one kind the token may see, as JSON.
    List { kind: String },
    /// Upcoming events, as JSON.
    Calendar {
        /// Print the iCalendar feed instead.
        #[arg(long)]
        ics: bool,
    },
    /// Milestones and each member's state, as JSON.
    Milestones,
    /// Sends the milestone reminders due now (admin token): new versions
    /// of this team's milestones, and e-mails to its own primary contacts.
    Remind,
    /// Approves one of the team's own national sections of the annual
    /// report; only approved sections go into it.
    Approve {
        #[arg(value_name = "SECTION_ID")]
        id: String,
    },
    /// Training needs gathered across the region, mentoring pairs,
    /// engagements and training records, as JSON.
    Training,
    /// The compendium, as JSON.
    Compendium,
    /// The country's self-assessment (baseline, progress, gap list) and
    /// the regional readiness index, as JSON.
    Assessment,
    /// The annual report.
    Report {
        #[arg(long)]
        year: i32,
        /// json, html or pdf (needs Chromium on the node).
        #[arg(long, default_value = "json")]
        format: String,
        /// The language of HTML and PDF: en, es, pt or fr.
        #[arg(long, default_value = "en")]
        lang: String,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum DirectoryCommand {
    /// Entries this node holds, with what this node may read of each.
    List {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        json: bool,
    },
    /// One entry (team id or short name; default: this node's team).
    Show {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        team: Option<String>,
    },
    /// Print a team's whole entry as JSON, to edit and `set`.
    Draft {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        team: Option<String>,
    },
    /// Publish a team's entry from FILE (JSON), signed by this node.
    Set {
        #[command(flatten)]
        dir: DataDir,
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Export: FIRST global-irt JSON, RFC 2350 or RFC 9116 security.txt.
    Export {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long, value_parser = ["global-irt", "rfc2350", "security-txt"])]
        format: String,
        #[arg(long)]
        team: Option<String>,
        /// Write to FILE instead of standard output.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// (Secretariat) Endorse a team's designation with this node's signature.
    Endorse {
        #[command(flatten)]
        dir: DataDir,
        #[arg(value_name = "TEAM")]
        team: String,
    },
}

#[derive(Args, Debug)]
pub(crate) struct CoverageArgs {
    #[command(flatten)]
    pub(crate) dir: DataDir,
    #[arg(long)]
    pub(crate) json: bool,
    /// Also write the report as an SVG table to FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) svg: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub(crate) enum MemberStatesCommand {
    List {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        json: bool,
    },
    /// Add or update states from a CSV file
    /// (iso2,iso3,name,subregion,languages,timezone,note), e.g.
    /// ../shared/data/oas/member-states.csv.
    Import {
        #[command(flatten)]
        dir: DataDir,
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Remove a state from the register.
    Remove {
        #[command(flatten)]
        dir: DataDir,
        #[arg(value_name = "ISO2")]
        iso2: String,
    },
    /// (Secretariat) Record a state's notification of its national contact.
    Notify {
        #[command(flatten)]
        dir: DataDir,
        #[arg(value_name = "ISO2")]
        iso2: String,
        /// Date of the notification, YYYY-MM-DD.
        #[arg(long)]
        on: String,
        /// The notification (note verbale, letter) and its reference.
        #[arg(long)]
        text: String,
    },
    /// (Secretariat) Activate a notified member and endorse its team.
    Activate {
        #[command(flatten)]
        dir: DataDir,
        #[arg(value_name = "ISO2")]
        iso2: String,
        /// The state's national team (id or short name).
        #[arg(long)]
        team: String,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum CensusCommand {
    /// Open a campaign and send the questionnaire to teams.
    Create {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        title: String,
        /// Recipient teams (id or country code), comma-separated; default:
        /// every national team in the directory.
        #[arg(long, value_delimiter = ',')]
        to: Vec<String>,
        /// YYYY-MM-DD.
        #[arg(long)]
        deadline: Option<String>,
        /// Questionnaire version; default: the newest.
        #[arg(long)]
        questionnaire: Option<u32>,
    },
    /// Campaigns this node runs.
    List {
        #[command(flatten)]
        dir: DataDir,
    },
    /// Completion of a campaign: who answered, confirmed, was reminded.
    Status {
        #[command(flatten)]
        dir: DataDir,
        #[arg(value_name = "CAMPAIGN")]
        campaign: String,
        #[arg(long)]
        json: bool,
    },
    /// Remind the teams that have not answered.
    Remind {
        #[command(flatten)]
        dir: DataDir,
        #[arg(value_name = "CAMPAIGN")]
        campaign: String,
    },
    /// Census requests addressed to this node's team.
    Inbox {
        #[command(flatten)]
        dir: DataDir,
    },
    /// Print a campaign's questionnaire with answers prefilled from this
    /// team's entry (JSON), to edit and `respond` with.
    Form {
        #[command(flatten)]
        dir: DataDir,
        #[arg(value_name = "CAMPAIGN")]
        campaign: String,
    },
    /// Answer (or revise) from FILE: {"answers": {question id: value}}.
    Respond {
        #[command(flatten)]
        dir: DataDir,
        #[arg(value_name = "CAMPAIGN")]
        campaign: String,
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Confirm the answers: this team's directory entry is updated from
    /// them and republished.
    Confirm {
        #[command(flatten)]
        dir: DataDir,
        #[arg(value_name = "CAMPAIGN")]
        campaign: String,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum ProductCommand {
    /// Create and publish a product from this node's team.
    Create(Box<ProductArgs>),
    /// Products known here, newest first.
    List {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// One product with each recipient team's receipt state.
    Show {
        #[command(flatten)]
        dir: DataDir,
        id: String,
    },
}

#[derive(Args, Debug)]
pub(crate) struct ProductArgs {
    #[command(flatten)]
    pub(crate) dir: DataDir,
    /// alert, advisory, vulnerability-notice, suspicious-activity,
    /// mitigation, lessons-learned or best-practice.
    #[arg(long)]
    pub(crate) kind: String,
    #[arg(long)]
    pub(crate) title: String,
    #[arg(long, default_value = "")]
    pub(crate) description: String,
    /// critical, high, medium, low or info.
    #[arg(long)]
    pub(crate) severity: String,
    /// clear, green, amber, amber+strict or red.
    #[arg(long)]
    pub(crate) tlp: String,
    /// A recipient team: its id, country code or name.
    #[arg(long = "to", value_name = "TEAM")]
    pub(crate) to: Vec<String>,
    /// A recipient person, USER@TEAM.
    #[arg(long = "to-user", value_name = "USER@TEAM")]
    pub(crate) to_user: Vec<String>,
    #[arg(long = "group", value_name = "NAME")]
    pub(crate) group: Vec<String>,
    #[arg(long = "cve", value_name = "CVE-ID")]
    pub(crate) cve: Vec<String>,
    #[arg(long, requires = "cvss_score")]
    pub(crate) cvss_vector: Option<String>,
    #[arg(long, requires = "cvss_vector")]
    pub(crate) cvss_score: Option<f64>,
    /// What mitigation guidance mitigates (STIX ids).
    #[arg(long = "mitigates", value_name = "ID")]
    pub(crate) mitigates: Vec<String>,
    /// Objects the product is about (STIX ids).
    #[arg(long = "related", value_name = "ID")]
    pub(crate) related: Vec<String>,
    /// The product this one replaces.
    #[arg(long, value_name = "ID")]
    pub(crate) supersedes: Option<String>,
    /// Advance notification: until this RFC 3339 time only the named
    /// audience has it, then it widens to --widen-to (or, with none, to
    /// everyone the marking allows).
    #[arg(long, value_name = "TIME")]
    pub(crate) embargo_until: Option<String>,
    #[arg(long = "widen-to", value_name = "TEAM", requires = "embargo_until")]
    pub(crate) widen_to: Vec<String>,
    #[arg(
        long = "widen-to-group",
        value_name = "NAME",
        requires = "embargo_until"
    )]
    pub(crate) widen_to_group: Vec<String>,
    /// An exercise, not a real event.
    #[arg(long)]
    pub(crate) exercise: bool,
}

#[derive(Args, Debug)]
pub(crate) struct AckArgs {
    #[command(flatten)]
    pub(crate) dir: DataDir,
    /// The product's id.
    pub(crate) id: String,
    /// acknowledged or actioned.
    #[arg(long, default_value = "acknowledged")]
    pub(crate) state: String,
    #[arg(long)]
    pub(crate) note: Option<String>,
    /// The person acknowledging (a user of this node).
    #[arg(long)]
    pub(crate) user: Option<String>,
}

#[derive(Subcommand, Debug)]
pub(crate) enum RosterCommand {
    /// Show the roster (secrets withheld), who is on duty now and the gaps
    /// of the coming week.
    Show {
        #[command(flatten)]
        dir: DataDir,
    },
    /// Replace the roster with FILE (JSON: {"contacts": […]}).
    Set {
        #[command(flatten)]
        dir: DataDir,
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

#[derive(Args, Debug)]
pub(crate) struct DrillArgs {
    #[command(flatten)]
    pub(crate) dir: DataDir,
    /// Teams to drill (team id or country code), comma-separated; default:
    /// every peer.
    #[arg(long, value_delimiter = ',')]
    pub(crate) teams: Vec<String>,
    /// Wait up to SECS for acknowledgements and report them.
    #[arg(long, value_name = "SECS", default_value_t = 0)]
    pub(crate) wait: u64,
    /// Show every drill's results and each team's record instead.
    #[arg(long)]
    pub(crate) history: bool,
}

#[derive(Subcommand, Debug)]
pub(crate) enum PeerCommand {
    /// Set up a peering with the node at URL. Run it on both sides.
    ///
    /// Fetches URL/api/node and checks its key against --key, the
    /// fingerprint the peer's operators gave you out of band (their
    /// `vigia node info`). Peers are reached over https; plain http is
    /// accepted only on loopback, with a warning.
    Add {
        #[command(flatten)]
        dir: DataDir,
        /// The peer's public URL, e.g. https://vigia.csirt.example.
        #[arg(value_name = "URL")]
        url: String,
        /// The peer's key fingerprint (SHA256:…).
        #[arg(long, value_name = "FINGERPRINT")]
        key: String,
        /// A name for the peer; default: its team's name.
        #[arg(long)]
        name: Option<String>,
    },
    /// List peers with reachability, last sync, cursor, backlog and failures.
    List {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        json: bool,
    },
    /// The same as list, with the last error of each peer.
    Status {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        json: bool,
    },
    /// Remove a peer (by name, team id or country); what was still queued
    /// for it is dropped.
    Remove {
        #[command(flatten)]
        dir: DataDir,
        peer: String,
    },
}

#[derive(Args, Debug)]
pub(crate) struct DemoArgs {
    /// National nodes to start (1 to 35), besides the Secretariat.
    #[arg(long, default_value_t = 5)]
    pub(crate) nodes: usize,
    /// The Secretariat listens here; national nodes on the next ports.
    #[arg(long, value_name = "PORT", default_value_t = 8450)]
    pub(crate) base_port: u16,
    /// Where the nodes keep their data; reused on the next run.
    #[arg(long, value_name = "DIR", default_value = "vigia-demo")]
    pub(crate) data_dir: PathBuf,
    /// Delete the data directory first and start over.
    #[arg(long)]
    pub(crate) fresh: bool,
    /// Play a scripted incident end to end, printing each step's timings.
    #[arg(long)]
    pub(crate) scenario: bool,
    /// The OASIS STIX 2.1 examples to seed from (default: found from
    /// shared/data/stix-2.1/examples above the working directory).
    #[arg(long, value_name = "DIR")]
    pub(crate) examples: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub(crate) struct PublishArgs {
    #[command(flatten)]
    pub(crate) dir: DataDir,
    /// A STIX bundle, TAXII envelope or single object.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
    /// clear, green, amber, amber+strict or red.
    #[arg(long)]
    pub(crate) tlp: String,
    /// A recipient team: its id (identity--…), country code or name.
    #[arg(long = "to", value_name = "TEAM")]
    pub(crate) to: Vec<String>,
    /// A recipient person, USER@TEAM (TEAM as for --to); what TLP:RED needs.
    #[arg(long = "to-user", value_name = "USER@TEAM")]
    pub(crate) to_user: Vec<String>,
    /// A sharing group.
    #[arg(long = "group", value_name = "NAME")]
    pub(crate) group: Vec<String>,
    /// TLP:AMBER only: recipients may pass it to their own clients.
    #[arg(long)]
    pub(crate) allow_clients: bool,
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
    /// What the operating team is: national-csirt, government (a point of
    /// contact without a CSIRT) or secretariat.
    #[arg(long, value_name = "KIND", default_value = "national-csirt")]
    pub(crate) kind: String,
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

#[derive(Subcommand, Debug)]
pub(crate) enum TaxiiCommand {
    /// Copy a TAXII 2.1 collection's objects into this node.
    ///
    /// Reads every page of the collection (following the server's paging
    /// to the end) and stores each page through the node's ingest path:
    /// objects are validated and kept byte for byte as the server sent
    /// them, with this node's team as originator and its default_tlp for
    /// objects without a TLP marking. Objects already stored count as
    /// duplicates. Prints pages, objects received, stored, duplicates and
    /// failures (each failure on stderr), and records a `taxii.pull` audit
    /// entry. Exits non-zero if the server could not be read.
    Pull(TaxiiPullArgs),
    /// Send objects to a TAXII 2.1 collection.
    ///
    /// Sends a bundle FILE, or this node's objects of the given types
    /// (--query, every version), in envelopes of --chunk objects, then
    /// polls each status until it is complete or --status-timeout passes,
    /// and prints the success, failure and pending counts. Only objects
    /// this node would show the whole network are sent: TLP:CLEAR, and
    /// TLP:GREEN addressed to no named team, person or sharing group (an
    /// object without a TLP marking has the node's default_tlp). Others are
    /// skipped and counted. Records a `taxii.push` audit entry. Exits
    /// non-zero if the server could not be reached or refused a request.
    Push(TaxiiPushArgs),
}

/// The server, collection and credentials of a TAXII command.
#[derive(Args, Debug)]
pub(crate) struct TaxiiTarget {
    #[command(flatten)]
    pub(crate) dir: DataDir,
    /// The server's API root URL, e.g. https://taxii.example.org/api1/ (a
    /// discovery URL ending in /taxii2/ selects the server's default API
    /// root).
    #[arg(value_name = "URL")]
    pub(crate) url: String,
    /// The collection's id on that server.
    #[arg(long, value_name = "ID")]
    pub(crate) collection: String,
    /// Bearer token for the server.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "VIGIA_TAXII_TOKEN",
        hide_env_values = true
    )]
    pub(crate) token: Option<String>,
    /// HTTP Basic user name (used instead of any token); the password comes
    /// from VIGIA_TAXII_PASSWORD or, with --password-stdin, from standard
    /// input.
    #[arg(long, value_name = "USER")]
    pub(crate) user: Option<String>,
    /// Read the HTTP Basic password from standard input.
    #[arg(long, requires = "user")]
    pub(crate) password_stdin: bool,
    /// Seconds one request may take, from connecting to the last byte.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    pub(crate) timeout: u64,
}

#[derive(Args, Debug)]
pub(crate) struct TaxiiPullArgs {
    #[command(flatten)]
    pub(crate) target: TaxiiTarget,
    /// Only objects the server added after this time (RFC 3339, UTC, e.g.
    /// 2026-01-31T00:00:00Z); the summary prints the value for next time.
    #[arg(long, value_name = "TIMESTAMP")]
    pub(crate) since: Option<String>,
    /// Objects asked for per page (servers may send fewer).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub(crate) page_size: u32,
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["file", "query"])))]
pub(crate) struct TaxiiPushArgs {
    #[command(flatten)]
    pub(crate) target: TaxiiTarget,
    /// A STIX bundle (or TAXII envelope, or single object) to send.
    #[arg(value_name = "FILE")]
    pub(crate) file: Option<PathBuf>,
    /// Send this node's objects of these STIX types, e.g. indicator,malware.
    #[arg(long, value_name = "TYPE[,TYPE...]", value_delimiter = ',')]
    pub(crate) query: Vec<String>,
    /// Objects per request.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub(crate) chunk: usize,
    /// Seconds to wait for each status to become complete.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub(crate) status_timeout: u64,
}

#[derive(Subcommand, Debug)]
pub(crate) enum CsafCommand {
    /// Read CSAF 2.0 advisories into vulnerability notices of this node's
    /// team. SOURCE is a provider's `provider-metadata.json` URL (its ROLIE
    /// feeds or directory are followed, and each document's hash and
    /// OpenPGP signature must check), a directory of documents, or one
    /// document file. A document already imported at the same release is
    /// skipped; a newer release supersedes the earlier notice.
    Import(CsafImportArgs),
}

#[derive(Args, Debug)]
pub(crate) struct CsafImportArgs {
    #[command(flatten)]
    pub(crate) dir: DataDir,
    /// A provider-metadata.json URL, a directory or a file.
    pub(crate) source: String,
    /// The marking of a document that carries no TLP label:
    /// clear, green, amber, amber+strict or red.
    #[arg(long, default_value = "amber")]
    pub(crate) tlp: String,
    /// For local files: the provider's armored OpenPGP public key; each
    /// document's `.asc` beside it must then verify.
    #[arg(long, value_name = "FILE")]
    pub(crate) key: Option<std::path::PathBuf>,
    /// A recipient team of the notices (id, country code or name).
    #[arg(long = "to", value_name = "TEAM")]
    pub(crate) to: Vec<String>,
    /// A sharing group that receives the notices.
    #[arg(long = "group", value_name = "NAME")]
    pub(crate) group: Vec<String>,
}
