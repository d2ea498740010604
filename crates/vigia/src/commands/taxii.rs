//! `vigia taxii pull` and `vigia taxii push`: this node as a TAXII 2.1
//! client of other servers, run directly against the node's store.

use std::io::Read as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::json;
use vigia_federation::endpoint::{parse_base, redact};
use vigia_federation::{envelope, Auth, Options, Status, TaxiiClient};
use vigia_policy::{Audience, TeamId};
use vigia_stix::{split_objects, SchemaSet, StixObject, Timestamp, Tlp};
use vigia_store::ingest::{ingest, IngestContext};
use vigia_store::{ObjectQuery, Store, VersionFilter};
use vigia_web::state::audit_event;

use crate::cli::{TaxiiPullArgs, TaxiiPushArgs, TaxiiTarget};
use crate::config::Config;

const ACTOR: &str = "cli";
/// Rows read from the store per query when pushing.
const QUERY_PAGE: u32 = 1000;

/// The credentials the flags and environment give.
fn auth(target: &TaxiiTarget) -> anyhow::Result<Auth> {
    if let Some(user) = &target.user {
        let password = if target.password_stdin {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("cannot read the password from stdin")?;
            text.trim_end_matches(['\r', '\n']).to_owned()
        } else {
            std::env::var("VIGIA_TAXII_PASSWORD").map_err(|_| {
                anyhow::anyhow!(
                    "--user {user}: give the password in VIGIA_TAXII_PASSWORD or on standard input with --password-stdin"
                )
            })?
        };
        return Ok(Auth::Basic {
            user: user.clone(),
            password,
        });
    }
    Ok(match &target.token {
        Some(token) if !token.trim().is_empty() => Auth::Bearer(token.trim().to_owned()),
        _ => Auth::None,
    })
}

fn client(target: &TaxiiTarget, page_size: u32) -> anyhow::Result<TaxiiClient> {
    if target.timeout == 0 {
        anyhow::bail!("--timeout must be at least 1 second");
    }
    let options = Options {
        timeout: Duration::from_secs(target.timeout),
        page_size,
        ..Options::default()
    };
    Ok(TaxiiClient::new(&target.url, auth(target)?, options)?)
}

/// The URL as it may be printed and audited: no credentials.
fn shown_url(target: &TaxiiTarget) -> String {
    parse_base(&target.url)
        .map(|u| redact(&u))
        .unwrap_or_else(|_| "(invalid URL)".to_owned())
}

/// The same validation, default TLP and collection routing `serve` uses;
/// objects from outside TAXII servers are not sealed or federated.
fn ingest_context(config: &Config) -> anyhow::Result<IngestContext> {
    super::federation::ingest_context(config, None)
}

#[derive(Debug, Default)]
struct PullTally {
    pages: u64,
    received: u64,
    stored: u64,
    duplicates: u64,
    failures: u64,
    last_date_added: Option<String>,
}

pub(crate) async fn pull(
    config: &Config,
    store: &Store,
    args: TaxiiPullArgs,
) -> anyhow::Result<ExitCode> {
    let since = args
        .since
        .as_deref()
        .map(Timestamp::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--since: {e}"))?;
    if args.page_size == 0 {
        anyhow::bail!("--page-size must be at least 1");
    }
    let team = TeamId::parse(&config.team_id)
        .map_err(|e| anyhow::anyhow!("key `team_id` in vigia.toml: {e}"))?;
    let ctx = ingest_context(config)?;
    let target = &args.target;
    let client = client(target, args.page_size)?;
    let url = shown_url(target);

    let mut tally = PullTally::default();
    let outcome = pull_pages(
        client,
        store,
        &ctx,
        &team,
        &target.collection,
        since,
        &mut tally,
    )
    .await;

    let error = outcome.as_ref().err().map(|e| format!("{e:#}"));
    store
        .append_audit(&audit_event(
            ACTOR,
            "taxii.pull",
            Some(&target.collection),
            if error.is_some() { "error" } else { "ok" },
            json!({
                "url": url,
                "collection": target.collection,
                "since": since.map(|t| t.to_micros_string()),
                "pages": tally.pages,
                "received": tally.received,
                "stored": tally.stored,
                "duplicates": tally.duplicates,
                "failed": tally.failures,
                "last_date_added": tally.last_date_added,
                "error": error,
            }),
        ))
        .await?;

    println!("pulled collection {} from {url}", target.collection);
    println!("pages: {}", tally.pages);
    println!("objects received: {}", tally.received);
    println!("stored: {}", tally.stored);
    println!("duplicates: {}", tally.duplicates);
    println!("failures: {}", tally.failures);
    if let Some(last) = &tally.last_date_added {
        println!("last date_added: {last} (pull what is newer with --since {last})");
    }
    match error {
        None => Ok(ExitCode::SUCCESS),
        Some(e) => {
            eprintln!("error: the pull stopped: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Reads every page and ingests it; `tally` counts what was done even if
/// a later page fails.
async fn pull_pages(
    client: TaxiiClient,
    store: &Store,
    ctx: &IngestContext,
    team: &TeamId,
    collection: &str,
    since: Option<Timestamp>,
    tally: &mut PullTally,
) -> anyhow::Result<()> {
    let client = client.with_default_api_root().await?;
    let mut pages = client.pull_all(collection, since);
    while let Some(page) = pages.next_page().await? {
        tally.pages += 1;
        tally.received += page.objects.len() as u64;
        if page.date_added_last.is_some() {
            tally.last_date_added.clone_from(&page.date_added_last);
        }
        if page.objects.is_empty() {
            continue;
        }
        // A TAXII envelope around the objects' exact text: ingest splits
        // it again without re-serialising.
        let body = envelope(page.objects.iter().map(|o| o.get()));
        let report = ingest(store, ctx, team, body)
            .await
            .with_context(|| format!("cannot store page {}", tally.pages))?;
        tally.stored += report.stored.len() as u64;
        tally.duplicates += report.duplicates.len() as u64;
        for f in &report.failures {
            tally.failures += 1;
            eprintln!(
                "failure: page {} object {} ({}) at {}: {}",
                tally.pages,
                f.index,
                f.id.as_deref().unwrap_or("no id"),
                if f.path.is_empty() { "/" } else { &f.path },
                f.reason
            );
        }
    }
    Ok(())
}

/// Whether an object may leave the node for another TAXII server: only
/// what this node would show the whole network. TLP:CLEAR, or TLP:GREEN
/// that names no team, person or sharing group (GREEN addressed to some
/// is theirs alone).
fn may_push(audience: &Audience) -> bool {
    match audience.tlp {
        Tlp::Clear => true,
        Tlp::Green => !audience.names_anyone(),
        Tlp::Amber | Tlp::AmberStrict | Tlp::Red => false,
    }
}

#[derive(Debug, Default)]
struct PushTally {
    selected: u64,
    skipped: u64,
    invalid: u64,
    sent: u64,
    requests: u64,
    success: u64,
    failure: u64,
    pending: u64,
    statuses: Vec<String>,
    /// Ids of the non-CLEAR objects sent, for the audit log.
    shared_restricted: Vec<String>,
}

/// Collects objects into envelopes of `chunk` and sends each.
struct Sender<'a> {
    client: &'a TaxiiClient,
    collection: &'a str,
    chunk: usize,
    status_timeout: Duration,
    buffer: Vec<String>,
}

impl Sender<'_> {
    async fn add(&mut self, raw: String, tally: &mut PushTally) -> anyhow::Result<()> {
        self.buffer.push(raw);
        if self.buffer.len() >= self.chunk {
            self.flush(tally).await?;
        }
        Ok(())
    }

    async fn flush(&mut self, tally: &mut PushTally) -> anyhow::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let objects = std::mem::take(&mut self.buffer);
        let body = envelope(objects.iter().map(String::as_str));
        tally.requests += 1;
        let status = self.client.add_objects(self.collection, body).await?;
        tally.sent += objects.len() as u64;
        tally.statuses.push(status.id.clone());
        let status = self
            .client
            .wait_for_status(status, self.status_timeout)
            .await?;
        count_status(&status, tally);
        Ok(())
    }
}

fn count_status(status: &Status, tally: &mut PushTally) {
    tally.success += status.success_count;
    tally.failure += status.failure_count;
    tally.pending += status.pending_count;
    for f in &status.failures {
        eprintln!(
            "failure: {} version {}: {}",
            f.id,
            f.version,
            f.message.as_deref().unwrap_or("(no message)")
        );
    }
}

pub(crate) async fn push(
    config: &Config,
    store: &Store,
    args: TaxiiPushArgs,
) -> anyhow::Result<ExitCode> {
    if args.chunk == 0 {
        anyhow::bail!("--chunk must be at least 1");
    }
    if args.status_timeout == 0 {
        anyhow::bail!("--status-timeout must be at least 1 second");
    }
    let target = &args.target;
    let client = client(target, QUERY_PAGE)?;
    let url = shown_url(target);
    let source = match &args.file {
        Some(path) => format!("file {}", path.display()),
        None => format!("query {}", args.query.join(",")),
    };
    let file_text = match &args.file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?,
        ),
        None => None,
    };

    let mut tally = PushTally::default();
    let outcome = push_objects(
        client,
        config,
        store,
        &args,
        file_text.as_deref(),
        &mut tally,
    )
    .await;

    let error = outcome.as_ref().err().map(|e| format!("{e:#}"));
    store
        .append_audit(&audit_event(
            ACTOR,
            "taxii.push",
            Some(&target.collection),
            if error.is_some() { "error" } else { "ok" },
            json!({
                "url": url,
                "collection": target.collection,
                "source": source,
                "selected": tally.selected,
                "skipped_by_marking": tally.skipped,
                "invalid": tally.invalid,
                "sent": tally.sent,
                "requests": tally.requests,
                "success": tally.success,
                "failure": tally.failure,
                "pending": tally.pending,
                "statuses": tally.statuses,
                "shared_restricted": tally.shared_restricted,
                "error": error,
            }),
        ))
        .await?;

    println!("pushed to collection {} at {url}", target.collection);
    println!("selected: {}", tally.selected);
    println!(
        "skipped by marking: {} (only TLP:CLEAR, and TLP:GREEN addressed to no one, leave the node)",
        tally.skipped
    );
    if tally.invalid > 0 {
        println!("invalid, not sent: {}", tally.invalid);
    }
    println!("sent: {} in {} request(s)", tally.sent, tally.requests);
    println!("success: {}", tally.success);
    println!("failure: {}", tally.failure);
    println!("pending: {}", tally.pending);
    match error {
        None => Ok(ExitCode::SUCCESS),
        Some(e) => {
            eprintln!("error: the push stopped: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn push_objects(
    client: TaxiiClient,
    config: &Config,
    store: &Store,
    args: &TaxiiPushArgs,
    file_text: Option<&str>,
    tally: &mut PushTally,
) -> anyhow::Result<()> {
    let client = client.with_default_api_root().await?;
    let mut sender = Sender {
        client: &client,
        collection: &args.target.collection,
        chunk: args.chunk,
        status_timeout: Duration::from_secs(args.status_timeout),
        buffer: Vec::new(),
    };
    if let Some(text) = file_text {
        let schemas = SchemaSet::new()?;
        let raws = split_objects(text).context("the file is not a STIX bundle or object")?;
        for (index, raw) in raws.into_iter().enumerate() {
            tally.selected += 1;
            let audience = StixObject::parse(raw, &schemas)
                .map_err(|e| {
                    format!(
                        "{} at {}: {}",
                        e.id.as_deref().unwrap_or("no id"),
                        e.path,
                        e.reason
                    )
                })
                .and_then(|o| {
                    Audience::of_object(&o, config.default_tlp, None)
                        .map(|a| (o.id().to_string(), a))
                        .map_err(|e| format!("{}: {e}", o.id()))
                });
            match audience {
                Err(reason) => {
                    tally.invalid += 1;
                    eprintln!("invalid, not sent: object {index}: {reason}");
                }
                Ok((id, audience)) => {
                    if !may_push(&audience) {
                        tally.skipped += 1;
                        continue;
                    }
                    if audience.tlp != Tlp::Clear {
                        tally.shared_restricted.push(id);
                    }
                    sender.add(raw.to_owned(), tally).await?;
                }
            }
        }
    } else {
        let mut query = ObjectQuery {
            access_keys: None,
            types: args.query.iter().map(|t| t.trim().to_owned()).collect(),
            versions: VersionFilter::All,
            limit: QUERY_PAGE,
            ..ObjectQuery::default()
        };
        loop {
            let rows = store.query_objects(&query).await?;
            let exhausted = rows.len() < QUERY_PAGE as usize;
            query.added_after = rows.last().map(|o| o.date_added).or(query.added_after);
            for o in rows {
                tally.selected += 1;
                if !may_push(&o.audience) {
                    tally.skipped += 1;
                    continue;
                }
                if o.tlp != Tlp::Clear {
                    tally.shared_restricted.push(o.id.to_string());
                }
                sender.add(o.raw, tally).await?;
            }
            if exhausted {
                break;
            }
        }
    }
    sender.flush(tally).await?;
    if tally.skipped > 0 {
        eprintln!(
            "note: {} object(s) not sent: their marking (TLP:AMBER or stricter, or TLP:GREEN for named recipients) keeps them on this node",
            tally.skipped
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_the_whole_network_may_see_is_pushed() {
        let team = TeamId::parse("identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f").unwrap();
        for (tlp, expected) in [
            (Tlp::Clear, true),
            (Tlp::Green, true),
            (Tlp::Amber, false),
            (Tlp::AmberStrict, false),
            (Tlp::Red, false),
        ] {
            assert_eq!(
                may_push(&Audience::new(tlp, Some(team.clone()))),
                expected,
                "{tlp}"
            );
        }
        let mut addressed = Audience::new(Tlp::Green, None);
        addressed.recipient_teams.insert(team.clone());
        assert!(
            !may_push(&addressed),
            "GREEN for named teams stays with them"
        );
        let mut clear = Audience::new(Tlp::Clear, None);
        clear.recipient_teams.insert(team);
        assert!(may_push(&clear), "CLEAR is for everyone, whoever is named");
    }
}
