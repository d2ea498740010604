//! `vigia directory …`, `vigia coverage`, `vigia standards`,
//! `vigia member-states …` and `vigia census …`: the same functions as the
//! API (`vigia_web::directory`), run beside (or without) the server.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::{json, Map, Value};
use vigia_directory::DirectoryEntry;
use vigia_policy::TeamId;
use vigia_store::Store;
use vigia_web::directory::{designation_label, non_public_reads, Directory, EntryView};
use vigia_web::NodeContext;

use super::federation::{audit, federation_context, ingest_context, node_key};
use crate::cli::{CensusCommand, CoverageArgs, DirectoryCommand, MemberStatesCommand};
use crate::config::Config;

/// Everything a directory command needs, opened from the data directory.
struct Offline {
    config: Config,
    store: Store,
    ingest: vigia_store::ingest::IngestContext,
    node: NodeContext,
}

impl Offline {
    async fn open(dir: &Path) -> anyhow::Result<Self> {
        let (config, store) = super::open(dir).await?;
        let key = node_key(dir)?;
        let ingest = ingest_context(&config, Some(federation_context(&config, dir)?))?;
        let node = NodeContext {
            node_id: config.node_id.clone(),
            team_id: TeamId::parse(&config.team_id).map_err(|e| anyhow::anyhow!("team_id: {e}"))?,
            team_name: config.team_name.clone(),
            country: config.country.clone(),
            public_url: config.public_url(),
            public_key: key.public().to_base64(),
            key_fingerprint: key.public().fingerprint(),
            default_tlp: config.default_tlp,
        };
        config
            .directory
            .checklist
            .validate()
            .map_err(|e| anyhow::anyhow!("[directory.checklist] in vigia.toml: {e}"))?;
        Ok(Self {
            config,
            store,
            ingest,
            node,
        })
    }

    fn directory(&self) -> Directory<'_> {
        Directory {
            store: &self.store,
            ingest: &self.ingest,
            node: &self.node,
            settings: &self.config.directory,
        }
    }

    fn here(&self) -> &TeamId {
        &self.node.team_id
    }
}

/// A team named by id, short name or country code (its national team).
fn resolve(views: &[EntryView], name: &str) -> anyhow::Result<String> {
    if name.starts_with("identity--") {
        return Ok(name.to_owned());
    }
    let by_name: Vec<&EntryView> = views
        .iter()
        .filter(|v| v.entry.short_name.eq_ignore_ascii_case(name))
        .collect();
    if let [one] = by_name.as_slice() {
        return Ok(one.entry.team.clone());
    }
    let national: Vec<&EntryView> = views
        .iter()
        .filter(|v| v.entry.country.eq_ignore_ascii_case(name) && v.entry.designation.is_some())
        .collect();
    match national.as_slice() {
        [one] => Ok(one.entry.team.clone()),
        [] => anyhow::bail!("no team in the directory is named {name:?} (give a team id, short name or country code)"),
        _ => anyhow::bail!("{name:?} names several teams; give a team id"),
    }
}

/// Reads of network-only or restricted fields are audited, as over the API.
async fn audit_restricted(store: &Store, views: &[EntryView]) -> anyhow::Result<()> {
    let teams = non_public_reads(views);
    if !teams.is_empty() {
        audit(
            store,
            "directory.read",
            teams.first().copied(),
            json!({"entries": teams.len(), "teams": teams}),
        )
        .await?;
    }
    Ok(())
}

fn print_report(report: &vigia_store::ingest::IngestReport) {
    for o in &report.stored {
        println!(
            "published {} → queued for {} peer(s)",
            o.id,
            o.queued_for.len()
        );
    }
}

pub(crate) async fn directory(cmd: DirectoryCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DirectoryCommand::List { dir, json } => {
            let o = Offline::open(&dir.data_dir).await?;
            let views = o.directory().views(None).await?;
            audit_restricted(&o.store, &views).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&views)?);
            } else {
                println!(
                    "{:<3} {:<22} {:<15} {:<26} {:<22} endorsed",
                    "", "team", "kind", "designation", "parts"
                );
                for v in &views {
                    let endorsed = v.endorsements.iter().filter(|e| e.valid).count();
                    println!(
                        "{:<3} {:<22} {:<15} {:<26} {:<22} {}",
                        v.entry.country,
                        v.entry.short_name,
                        v.entry.kind.as_str(),
                        designation_label(v.entry.designated()),
                        v.parts.join(","),
                        if endorsed > 0 { "yes" } else { "no" }
                    );
                }
                println!("{} entries", views.len());
            }
        }
        DirectoryCommand::Show { dir, team } => {
            let o = Offline::open(&dir.data_dir).await?;
            let d = o.directory();
            let views = d.views(None).await?;
            let team = match team {
                Some(t) => resolve(&views, &t)?,
                None => o.here().to_string(),
            };
            let view = d.view(None, &team).await?;
            audit_restricted(&o.store, std::slice::from_ref(&view)).await?;
            println!("{}", serde_json::to_string_pretty(&view)?);
        }
        DirectoryCommand::Draft { dir, team } => {
            let o = Offline::open(&dir.data_dir).await?;
            let team = match team {
                Some(t) => TeamId::parse(&t).map_err(|e| anyhow::anyhow!("--team: {e}"))?,
                None => o.here().clone(),
            };
            let entry = o.directory().draft(&team).await?;
            println!("{}", serde_json::to_string_pretty(&entry)?);
        }
        DirectoryCommand::Set { dir, file } => {
            let o = Offline::open(&dir.data_dir).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let value: Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", file.display()))?;
            let entry = DirectoryEntry::from_json(value)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let team = entry.team.clone();
            let report = o.directory().publish(entry).await?;
            audit(
                &o.store,
                "directory.publish",
                Some(&team),
                json!({"objects": report.stored.len()}),
            )
            .await?;
            print_report(&report);
            println!("directory entry of {team} published");
        }
        DirectoryCommand::Export {
            dir,
            format,
            team,
            output,
        } => {
            let o = Offline::open(&dir.data_dir).await?;
            let d = o.directory();
            let team = match team {
                Some(t) => Some(resolve(&d.views(None).await?, &t)?),
                None => None,
            };
            let text = d.export(None, &format, team.as_deref()).await?;
            audit(
                &o.store,
                "directory.export",
                team.as_deref(),
                json!({"format": format}),
            )
            .await?;
            match output {
                Some(path) => {
                    std::fs::write(&path, &text)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    println!("wrote {}", path.display());
                }
                None => print!("{text}{}", if text.ends_with('\n') { "" } else { "\n" }),
            }
        }
        DirectoryCommand::Endorse { dir, team } => {
            let o = Offline::open(&dir.data_dir).await?;
            let d = o.directory();
            let team = resolve(&d.views(None).await?, &team)?;
            let report = d.endorse_designation(&team).await?;
            audit(
                &o.store,
                "directory.endorse",
                Some(&team),
                json!({"subject": "designation"}),
            )
            .await?;
            print_report(&report);
            println!("designation of {team} endorsed");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn coverage(args: CoverageArgs) -> anyhow::Result<ExitCode> {
    let o = Offline::open(&args.dir.data_dir).await?;
    let report = o.directory().coverage(None).await?;
    if let Some(path) = &args.svg {
        std::fs::write(path, vigia_directory::coverage::to_svg(&report))
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", vigia_directory::coverage::to_text(&report));
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn standards(
    dir: &Path,
    team: Option<String>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let o = Offline::open(dir).await?;
    let d = o.directory();
    let team = match team {
        Some(t) => Some(resolve(&d.views(None).await?, &t)?),
        None => None,
    };
    let scores = d.scores(None, team.as_deref()).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&scores)?);
        return Ok(ExitCode::SUCCESS);
    }
    for s in &scores {
        println!(
            "{} — {}% ({} of {}); minimum standards {}",
            s.short_name,
            s.percent,
            s.met_weight,
            s.total_weight,
            if s.minimum_standards_met {
                "met"
            } else {
                "not met"
            }
        );
        for i in &s.items {
            println!(
                "  [{}] {:<34} {}",
                if i.met { "x" } else { " " },
                i.id,
                i.how
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn micros_now() -> i64 {
    vigia_stix::Timestamp::from_datetime(time::OffsetDateTime::now_utc()).unix_micros()
}

pub(crate) async fn member_states(cmd: MemberStatesCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        MemberStatesCommand::List { dir, json } => {
            let (_, store) = super::open(&dir.data_dir).await?;
            let states = store.member_states().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&states)?);
            } else {
                for s in &states {
                    println!(
                        "{} {:<32} {:<16} {:<6} {}",
                        s.state.iso2,
                        s.state.name,
                        s.state.subregion,
                        s.state.languages.join(";"),
                        match (&s.notified_on, &s.activated_on) {
                            (_, Some(a)) => format!("active since {a}"),
                            (Some(n), None) => format!("notified {n}"),
                            _ => String::new(),
                        }
                    );
                }
                println!("{} member states", states.len());
            }
        }
        MemberStatesCommand::Import { dir, file } => {
            let (_, store) = super::open(&dir.data_dir).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let states = vigia_directory::register::parse_csv(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            store.put_member_states(&states, micros_now()).await?;
            audit(
                &store,
                "member_states.put",
                None,
                json!({"states": states.len(), "file": file}),
            )
            .await?;
            println!(
                "{} member states loaded from {}",
                states.len(),
                file.display()
            );
        }
        MemberStatesCommand::Remove { dir, iso2 } => {
            let (_, store) = super::open(&dir.data_dir).await?;
            if !store.remove_member_state(&iso2).await? {
                anyhow::bail!("{iso2} is not in the register");
            }
            audit(&store, "member_states.remove", Some(&iso2), Value::Null).await?;
            println!("{iso2} removed from the register");
        }
        MemberStatesCommand::Notify {
            dir,
            iso2,
            on,
            text,
        } => {
            let o = Offline::open(&dir.data_dir).await?;
            o.directory().record_notification(&iso2, &on, &text).await?;
            audit(
                &o.store,
                "member_states.notification",
                Some(&iso2),
                json!({"notified_on": on}),
            )
            .await?;
            println!("notification of {iso2} recorded ({on})");
        }
        MemberStatesCommand::Activate { dir, iso2, team } => {
            let o = Offline::open(&dir.data_dir).await?;
            let d = o.directory();
            let team = resolve(&d.views(None).await?, &team)?;
            let report = d.activate(&iso2, &team).await?;
            audit(
                &o.store,
                "member_states.activate",
                Some(&iso2),
                json!({"team": team}),
            )
            .await?;
            print_report(&report);
            println!("{iso2} activated; membership of {team} endorsed");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn census(cmd: CensusCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        CensusCommand::Create {
            dir,
            title,
            to,
            deadline,
            questionnaire,
        } => {
            let o = Offline::open(&dir.data_dir).await?;
            let d = o.directory();
            let views = d.views(None).await?;
            let recipients: Vec<String> = if to.is_empty() {
                views
                    .iter()
                    .filter(|v| v.entry.designation.is_some() && v.entry.team != o.here().as_str())
                    .map(|v| v.entry.team.clone())
                    .collect()
            } else {
                to.iter()
                    .map(|t| resolve(&views, t))
                    .collect::<anyhow::Result<_>>()?
            };
            let c = d
                .create_campaign(
                    &title,
                    &recipients,
                    deadline.as_deref(),
                    questionnaire,
                    "cli",
                )
                .await?;
            audit(
                &o.store,
                "census.create",
                Some(&c.id),
                json!({"recipients": c.recipients.len()}),
            )
            .await?;
            println!(
                "census campaign {} sent to {} team(s)",
                c.id,
                c.recipients.len()
            );
            println!("{}", c.id);
        }
        CensusCommand::List { dir } => {
            let (_, store) = super::open(&dir.data_dir).await?;
            for c in store.campaigns().await? {
                println!(
                    "{} {:<40} questionnaire v{} {} recipient(s){}",
                    c.id,
                    c.title,
                    c.questionnaire,
                    c.recipients.len(),
                    c.deadline
                        .map(|d| format!(", deadline {d}"))
                        .unwrap_or_default()
                );
            }
        }
        CensusCommand::Status {
            dir,
            campaign,
            json,
        } => {
            let o = Offline::open(&dir.data_dir).await?;
            let s = o.directory().campaign_status(&campaign).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&s)?);
            } else {
                println!(
                    "{}: {} of {} answered ({}%), {} confirmed",
                    s.campaign.title,
                    s.responded,
                    s.recipients.len(),
                    s.completion,
                    s.confirmed
                );
                for r in &s.recipients {
                    let name: String = r
                        .name
                        .as_deref()
                        .unwrap_or(&r.team)
                        .chars()
                        .take(34)
                        .collect();
                    println!(
                        "  {:<34} {:<9} revisions {}  {}  reminders {}",
                        name,
                        if r.responded { "answered" } else { "pending" },
                        r.revisions,
                        if r.confirmed {
                            "confirmed"
                        } else {
                            "not confirmed"
                        },
                        r.reminders
                    );
                }
            }
        }
        CensusCommand::Remind { dir, campaign } => {
            let o = Offline::open(&dir.data_dir).await?;
            let reminded = o.directory().remind(&campaign).await?;
            audit(
                &o.store,
                "census.remind",
                Some(&campaign),
                json!({"teams": reminded}),
            )
            .await?;
            println!("reminded {} team(s)", reminded.len());
        }
        CensusCommand::Inbox { dir } => {
            let o = Offline::open(&dir.data_dir).await?;
            let items = o.directory().inbox(o.here()).await?;
            println!("{}", serde_json::to_string_pretty(&items)?);
        }
        CensusCommand::Form { dir, campaign } => {
            let o = Offline::open(&dir.data_dir).await?;
            let (questionnaire, answers) = o.directory().form(&campaign, o.here()).await?;
            println!(
                "{}",
                serde_json::to_string_pretty(
                    &json!({"questionnaire": questionnaire, "answers": answers})
                )?
            );
        }
        CensusCommand::Respond {
            dir,
            campaign,
            file,
        } => {
            let o = Offline::open(&dir.data_dir).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let value: Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", file.display()))?;
            let answers: Map<String, Value> = value
                .get("answers")
                .and_then(Value::as_object)
                .cloned()
                .with_context(|| format!("{}: expected {{\"answers\": {{…}}}}", file.display()))?;
            let (response, changes) = o
                .directory()
                .respond(&campaign, o.here(), answers, "cli")
                .await?;
            audit(
                &o.store,
                "census.respond",
                Some(&campaign),
                json!({"revision": response.revision}),
            )
            .await?;
            println!("answers sent (revision {}); {} change(s) to the directory entry await confirmation", response.revision, changes.len());
            for c in &changes {
                println!("  {}: {} → {}", c.field, c.before, c.after);
            }
        }
        CensusCommand::Confirm { dir, campaign } => {
            let o = Offline::open(&dir.data_dir).await?;
            let changes = o.directory().confirm(&campaign, o.here(), "cli").await?;
            audit(
                &o.store,
                "census.confirm",
                Some(&campaign),
                json!({"changes": changes.len()}),
            )
            .await?;
            println!(
                "answers confirmed; {} change(s) applied to the directory entry and published",
                changes.len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
