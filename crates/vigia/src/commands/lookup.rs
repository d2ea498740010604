//! `vigia lookup FILE`: a batch of observable values sent to a node's
//! `POST /api/lookup` with a bearer token, so the answer is exactly what
//! that token may see, printed as a table or as the node's JSON.

use std::io::Read as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::{json, Value};

use crate::cli::LookupArgs;
use crate::config::Config;

/// Values per request: the node's limit.
const BATCH: usize = 100_000;

pub(crate) async fn lookup(args: LookupArgs) -> anyhow::Result<ExitCode> {
    let base = Config::node_url(args.url.as_deref(), args.data_dir.as_deref())?;
    let text = if args.file.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read standard input")?;
        s
    } else {
        std::fs::read_to_string(&args.file)
            .with_context(|| format!("cannot read {}", args.file.display()))?
    };
    let values = values_of(&text);
    if values.is_empty() {
        anyhow::bail!("{} holds no values", args.file.display());
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()
        .context("cannot build the HTTP client")?;
    let mut results = Vec::with_capacity(values.len());
    for batch in values.chunks(BATCH) {
        let response = http
            .post(format!("{base}/api/lookup"))
            .bearer_auth(&args.token)
            .json(&json!({ "values": batch }))
            .send()
            .await
            .with_context(|| format!("cannot reach {base}"))?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .with_context(|| format!("{base} answered {status} without JSON"))?;
        if !status.is_success() {
            anyhow::bail!(
                "{base} refused the lookup ({status}): {}",
                body["message"].as_str().unwrap_or("no reason given")
            );
        }
        if let Some(r) = body["results"].as_array() {
            results.extend(r.iter().cloned());
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "results": results }))?
        );
    } else {
        print_table(&results, args.found_only);
    }
    let refused = results.iter().filter(|r| r.get("error").is_some()).count();
    Ok(if refused > 0 {
        eprintln!("{refused} value(s) could not be read; see the error column");
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The values in a file: one per line, `TYPE VALUE` when typed.
fn values_of(text: &str) -> Vec<Value> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| match line.split_once(char::is_whitespace) {
            Some((kind, value)) if vigia_correlate::Kind::from_name(kind).is_some() => {
                json!({"type": kind, "value": value.trim()})
            }
            _ => json!(line),
        })
        .collect()
}

fn print_table(results: &[Value], found_only: bool) {
    println!("VALUE\tTYPE\tOBJECTS\tTEAMS\tCOUNTRIES\tSIGHTINGS\tLAST ADDED\tNOTE");
    let mut found = 0;
    for r in results {
        let objects = r["objects"].as_u64().unwrap_or(0);
        let benign = r["known_benign"].as_str();
        if objects > 0 {
            found += 1;
        }
        if found_only && objects == 0 && benign.is_none() {
            continue;
        }
        let list = |k: &str| {
            r[k].as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default()
        };
        let note = if let Some(e) = r["error"].as_str() {
            format!("error: {e}")
        } else if let Some(b) = benign {
            format!("known benign: {b}")
        } else if r["over_correlating"].as_bool() == Some(true) {
            "over-correlating".to_owned()
        } else {
            String::new()
        };
        println!(
            "{}\t{}\t{objects}\t{}\t{}\t{}\t{}\t{note}",
            r["value"].as_str().unwrap_or_default(),
            r["type"].as_str().unwrap_or("-"),
            list("teams"),
            list("countries"),
            r["sightings"]["count"].as_u64().unwrap_or(0),
            r["last_added"].as_str().unwrap_or("-"),
        );
    }
    eprintln!("{found} of {} value(s) found", results.len());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_values_and_a_known_type_prefix_types_them() {
        let v = values_of("# feed\n198.51.100.7\n\n x509-serial 01:ab \nnot typed value\n");
        assert_eq!(
            v,
            [
                json!("198.51.100.7"),
                json!({"type": "x509-serial", "value": "01:ab"}),
                json!("not typed value")
            ]
        );
    }
}
