//! User, token, audit and node commands, run directly against the store.

use std::io::Read as _;
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::json;
use vigia_policy::{Role, TeamId, UserName};
use vigia_sign::PublicKey;
use vigia_store::{AuditVerification, NewUser, Store};
use vigia_web::credentials::{generate_password, hash_password};
use vigia_web::state::audit_event;

use crate::config::Config;

const ACTOR: &str = "cli";

fn parse_role(text: &str) -> anyhow::Result<Role> {
    text.parse::<Role>()
        .map_err(|e| anyhow::anyhow!("--role: {e}"))
}

fn parse_team(text: Option<String>, config: &Config) -> anyhow::Result<TeamId> {
    let text = text.unwrap_or_else(|| config.team_id.clone());
    TeamId::parse(&text).map_err(|e| anyhow::anyhow!("--team: {e}"))
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn user_add(
    config: &Config,
    store: &Store,
    name: &str,
    role: &str,
    team: Option<String>,
    display_name: Option<String>,
    email: Option<String>,
    password_stdin: bool,
) -> anyhow::Result<ExitCode> {
    let name = UserName::parse(name)?;
    let role = parse_role(role)?;
    if role == Role::PeerNode {
        anyhow::bail!("--role: peer-node is for node keys, not users");
    }
    let team = parse_team(team, config)?;
    if store.team(&team).await?.is_none() {
        anyhow::bail!("--team: no team {team} on this node");
    }
    let (password, generated) = if password_stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the password from stdin")?;
        let text = text.trim_end_matches(['\r', '\n']).to_owned();
        if text.chars().count() < 12 {
            anyhow::bail!("the password must be at least 12 characters");
        }
        (text, false)
    } else {
        (generate_password(), true)
    };
    let user = NewUser {
        team: team.clone(),
        display_name: display_name.unwrap_or_else(|| name.to_string()),
        name: name.clone(),
        email,
        role,
        password_hash: hash_password(&password)?,
    };
    store.create_user(&user).await?;
    store
        .append_audit(&audit_event(
            ACTOR,
            "user.create",
            Some(name.as_str()),
            "ok",
            json!({"role": role, "team": team}),
        ))
        .await?;
    println!("Added user {name} ({role}) to team {team}");
    if generated {
        println!("Password (shown once): {password}");
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn user_list(store: &Store, as_json: bool) -> anyhow::Result<ExitCode> {
    let users = store.list_users(None).await?;
    if as_json {
        println!("{}", serde_json::to_string_pretty(&users)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{:<24} {:<14} {:<9} TEAM", "NAME", "ROLE", "STATUS");
    for u in users {
        let status = if u.disabled { "disabled" } else { "active" };
        println!("{:<24} {:<14} {:<9} {}", u.name, u.role, status, u.team);
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn user_disable(store: &Store, name: &str) -> anyhow::Result<ExitCode> {
    let name = UserName::parse(name)?;
    if !store.set_user_disabled(&name, true).await? {
        anyhow::bail!("no user named {name}");
    }
    store
        .append_audit(&audit_event(
            ACTOR,
            "user.disable",
            Some(name.as_str()),
            "ok",
            json!(null),
        ))
        .await?;
    println!("Disabled user {name}");
    Ok(ExitCode::SUCCESS)
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn token_create(
    config: &Config,
    store: &Store,
    role: &str,
    user: Option<String>,
    team: Option<String>,
    label: String,
    scope: String,
    expires_in_days: Option<u32>,
) -> anyhow::Result<ExitCode> {
    let role = parse_role(role)?;
    if !vigia_web::auth::TOKEN_SCOPES.contains(&scope.as_str()) {
        anyhow::bail!(
            "--scope: {scope:?} is not one of {:?}",
            vigia_web::auth::TOKEN_SCOPES
        );
    }
    let user = user
        .map(|u| UserName::parse(&u))
        .transpose()
        .map_err(|e| anyhow::anyhow!("--user: {e}"))?;
    let team = match &user {
        Some(name) => {
            store
                .user_by_name(name)
                .await?
                .with_context(|| format!("--user: no user named {name}"))?
                .team
        }
        None => parse_team(team, config)?,
    };
    let request = vigia_web::TokenRequest {
        team,
        user,
        role,
        label,
        scope,
        expires_in_days,
    };
    let (record, secret) = vigia_web::create_token(store, ACTOR, request).await?;
    eprintln!(
        "Created token {} ({role}) for team {}; the secret below is shown once.",
        record.id, record.team
    );
    println!("{secret}");
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn token_list(store: &Store, as_json: bool) -> anyhow::Result<ExitCode> {
    let tokens = store.list_tokens().await?;
    if as_json {
        println!("{}", serde_json::to_string_pretty(&tokens)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<18} {:<14} {:<9} {:<16} LABEL",
        "ID", "ROLE", "STATUS", "USER"
    );
    for t in tokens {
        let status = if t.revoked_at.is_some() {
            "revoked"
        } else {
            "live"
        };
        let user = t
            .user
            .as_ref()
            .map(|u| u.to_string())
            .unwrap_or_else(|| "-".into());
        println!(
            "{:<18} {:<14} {:<9} {:<16} {}",
            t.id, t.role, status, user, t.label
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn token_revoke(store: &Store, id: &str) -> anyhow::Result<ExitCode> {
    if !store.revoke_token(id).await? {
        anyhow::bail!("no live token with id {id}");
    }
    store
        .append_audit(&audit_event(
            ACTOR,
            "token.revoke",
            Some(id),
            "ok",
            json!(null),
        ))
        .await?;
    println!("Revoked token {id}");
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn audit_verify(store: &Store) -> anyhow::Result<ExitCode> {
    match store.verify_audit().await? {
        AuditVerification::Intact { entries } => {
            println!("audit log intact: {entries} entries verified");
            Ok(ExitCode::SUCCESS)
        }
        AuditVerification::Broken(at) => {
            println!("audit log BROKEN: {at}");
            Ok(ExitCode::FAILURE)
        }
    }
}

pub(crate) async fn node_info(
    config: &Config,
    store: &Store,
    as_json: bool,
) -> anyhow::Result<ExitCode> {
    let node = store
        .node()
        .await?
        .context("the database has no node record")?;
    let fingerprint = PublicKey::parse_base64(&node.public_key)?.fingerprint();
    let info = json!({
        "node_id": node.node_id,
        "team_id": node.team_id,
        "team_name": config.team_name,
        "country": node.country,
        "public_url": config.public_url(),
        "public_key": node.public_key,
        "key_fingerprint": fingerprint,
    });
    if as_json {
        println!("{}", serde_json::to_string_pretty(&info)?);
    } else {
        println!("node:        {}", node.node_id);
        println!("team:        {} ({})", config.team_name, node.team_id);
        println!("country:     {}", node.country);
        println!("public URL:  {}", config.public_url());
        println!("key:         {fingerprint}");
    }
    Ok(ExitCode::SUCCESS)
}
