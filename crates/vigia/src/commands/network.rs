//! `vigia network …`: the network's working life through a node's API
//! with a bearer token, so what is read or written is exactly what that
//! token may.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::Value;

use crate::cli::{NetworkArgs, NetworkCommand};
use crate::config::Config;

pub(crate) async fn network(args: NetworkArgs) -> anyhow::Result<ExitCode> {
    let base = Config::node_url(args.url.as_deref(), args.data_dir.as_deref())?;
    let token = args
        .token
        .context("give a bearer token with --token or VIGIA_TOKEN")?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .context("cannot build the HTTP client")?;
    let get = |path: String| http.get(format!("{base}{path}")).bearer_auth(&token);
    let request = match args.command {
        NetworkCommand::Publish { kind, file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let body: Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", file.display()))?;
            http.post(format!("{base}/api/cooperation/{kind}"))
                .bearer_auth(&token)
                .json(&body)
        }
        NetworkCommand::List { kind } => get(format!("/api/cooperation/{kind}")),
        NetworkCommand::Calendar { ics: true } => get("/api/calendar.ics".into()),
        NetworkCommand::Calendar { ics: false } => get("/api/calendar".into()),
        NetworkCommand::Milestones => get("/api/milestones".into()),
        NetworkCommand::Remind => http
            .post(format!("{base}/api/milestones/remind"))
            .bearer_auth(&token),
        NetworkCommand::Approve { id } => http
            .post(format!("{base}/api/report/sections/{id}/approve"))
            .bearer_auth(&token),
        NetworkCommand::Training => get("/api/training".into()),
        NetworkCommand::Compendium => get("/api/compendium".into()),
        NetworkCommand::Assessment => get("/api/assessment".into()),
        NetworkCommand::Report {
            year,
            format,
            lang,
            out,
        } => {
            let response = get(format!(
                "/api/report/annual?year={year}&format={format}&lang={lang}"
            ))
            .send()
            .await
            .with_context(|| format!("cannot reach {base}"))?;
            let bytes = answer(response).await?;
            return write_out(&bytes, out.as_deref());
        }
    };
    let response = request
        .send()
        .await
        .with_context(|| format!("cannot reach {base}"))?;
    let bytes = answer(response).await?;
    write_out(&bytes, None)
}

/// The body of a successful answer; the node's error otherwise.
async fn answer(response: reqwest::Response) -> anyhow::Result<Vec<u8>> {
    let status = response.status();
    let bytes = response.bytes().await.context("the answer was cut short")?;
    if !status.is_success() {
        let message = serde_json::from_slice::<Value>(&bytes)
            .ok()
            .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
            .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned());
        anyhow::bail!("the node answered {status}: {message}");
    }
    Ok(bytes.to_vec())
}

fn write_out(bytes: &[u8], out: Option<&std::path::Path>) -> anyhow::Result<ExitCode> {
    match out {
        Some(path) => std::fs::write(path, bytes)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(bytes)?;
            if !bytes.ends_with(b"\n") {
                stdout.write_all(b"\n")?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
