//! Watch and warning from the command line: products, acknowledgements,
//! rosters and drills, on the node's store (a running node picks them up
//! within half a second).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::Notify;
use vigia_notify::{Clock, Watch};
use vigia_sign::{NodeKey, SecretBox};
use vigia_store::Store;
use vigia_web::AppState;

use crate::config::Config;

/// The watch context of a serving node.
pub(crate) fn context(
    config: &Config,
    store: &Store,
    state: &AppState,
    key: &NodeKey,
) -> anyhow::Result<Watch> {
    let timeout = Duration::from_secs(config.watch.send_timeout_secs.max(1));
    let mailer = config
        .watch
        .smtp
        .as_ref()
        .map(|s| vigia_notify::send::Mailer::new(s, timeout))
        .transpose()
        .map_err(|e| anyhow::anyhow!("invalid configuration: key `{e}"))?;
    let http = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("cannot build the webhook client")?;
    Ok(Watch {
        store: store.clone(),
        ingest: state.ingest.clone(),
        here: state.node.team_id.clone(),
        public_url: state.node.public_url.clone(),
        settings: Arc::new(config.watch.clone()),
        clock: Clock::default(),
        secrets: Arc::new(SecretBox::for_node(key)),
        arrivals: Arc::new(Notify::new()),
        outbox: state.outbox.clone(),
        messages: Arc::new(Notify::new()),
        hub: vigia_notify::stream::Hub::new(),
        mailer,
        http,
    })
}
