//! `osiris-indexer`: follow the chain into PostgreSQL and serve the mirror.
//!
//! Configuration: `--config FILE` (TOML) and the environment (see `config.rs`).
//! SIGTERM or Ctrl-C finishes the block in flight, then stops.
//!
//! Several processes may run on one database: all serve REST, the one holding the follower
//! lock follows the chain, the others take over when it dies (`leader`). `--api-only`
//! serves REST and never follows.

use anyhow::Context;
use clap::Parser;
use osiris_chain::Deployment;
use osiris_indexer::api::{self, AppState};
use osiris_indexer::config::Config;
use osiris_indexer::describe::Describer;
use osiris_indexer::follower::{self, Follower, Progress};
use osiris_indexer::leader::FollowerLock;
use osiris_indexer::reputation::Reputation;
use osiris_indexer::store::Store;
use std::path::PathBuf;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(
    name = "osiris-indexer",
    version,
    about = "Mirror the Osiris contracts into PostgreSQL and serve it over REST."
)]
struct Args {
    /// TOML configuration file.
    #[arg(long, env = "OSIRIS_INDEXER_CONFIG")]
    config: Option<PathBuf>,
    /// Serve REST only: never follow the chain (a read replica).
    #[arg(long)]
    api_only: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let args = Args::parse();
    let mut config = Config::load(args.config.as_deref()).context("configuration")?;
    config.api_only |= args.api_only;
    let deployment = Deployment::load(&config.deployment)?;
    let metrics =
        metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder().context("metrics recorder")?;

    let api_client = if config.api_only {
        None
    } else {
        let api_client = follower::connect(&config.node_url).await?;
        let genesis = osiris_indexer::json::hex0x(&api_client.genesis_hash().0);
        anyhow::ensure!(
            genesis == deployment.genesis_hash,
            "the deployment file {} is for chain {} but the node at {} is chain {genesis}",
            config.deployment.display(),
            deployment.genesis_hash,
            config.node_url
        );
        Some(api_client)
    };
    let store = Store::connect(&config.database_url, config.max_connections).await.context("database")?;
    let progress = Arc::new(Progress::default());

    let shutdown = CancellationToken::new();
    // The genesis hash was checked equal to the deployment's above.
    let (describer_pool, reputation_pool) = (store.pool.clone(), store.pool.clone());
    let mut state = AppState::new(store.clone(), progress.clone(), &deployment, Some(metrics));
    if !config.public_node_url.is_empty() {
        state.node_url = config.public_node_url.clone();
    }
    let site = config
        .web_dir
        .join("index.html")
        .is_file()
        .then(|| api::site::Site { web_dir: config.web_dir.clone(), contracts_dir: config.contracts_dir.clone() });
    match &site {
        Some(site) => tracing::info!(web_dir = %site.web_dir.display(), "serving the market at /"),
        None => {
            tracing::info!(web_dir = %config.web_dir.display(), "no web application built there (scripts/build-web.sh); API only")
        }
    }
    let app = api::app(state, &config.cors_allowed_origins, site.as_ref())?;
    let listener =
        tokio::net::TcpListener::bind(config.listen).await.with_context(|| format!("listen on {}", config.listen))?;
    tracing::info!(listen = %listener.local_addr()?, node = %config.node_url, "indexer started");
    let server = {
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            axum::serve(listener, app).with_graceful_shutdown(async move { shutdown.cancelled().await }).await
        })
    };
    tokio::spawn(signal_shutdown(shutdown.clone()));
    if config.describe_interval_ms > 0 {
        let describer =
            Describer { pool: describer_pool, interval: std::time::Duration::from_millis(config.describe_interval_ms) };
        tokio::spawn(describer.run(shutdown.clone()));
    }
    if config.reputation_interval_ms > 0 {
        let reputation = Reputation {
            pool: reputation_pool,
            interval: std::time::Duration::from_millis(config.reputation_interval_ms),
        };
        tokio::spawn(reputation.run(shutdown.clone()));
    }
    let followed = match api_client {
        None => {
            tracing::info!("API only: not following the chain");
            shutdown.cancelled().await;
            Ok(())
        }
        Some(api_client) => follow_while_leading(api_client, &store, &deployment, &progress, &config, &shutdown).await,
    };
    shutdown.cancel();
    server.await??;
    followed?;
    tracing::info!("indexer stopped");
    Ok(())
}

/// Follows the chain whenever this process holds the follower lock, until `shutdown`.
async fn follow_while_leading(
    api_client: subxt::OnlineClient<subxt::PolkadotConfig>,
    store: &Store,
    deployment: &Deployment,
    progress: &Arc<Progress>,
    config: &Config,
    shutdown: &CancellationToken,
) -> Result<(), follower::FollowError> {
    loop {
        let Some(lock) = FollowerLock::acquire(&config.database_url, shutdown).await else { return Ok(()) };
        tracing::info!("following the chain (this process holds the follower lock)");
        let lost = shutdown.child_token();
        let watch = tokio::spawn(lock.watch(lost.clone(), shutdown.clone()));
        let follower = Follower::new(api_client.clone(), store.clone(), deployment, progress.clone());
        let followed = follower.run(lost).await;
        // Dropping the lock's connection frees the lock for a standby.
        watch.abort();
        if followed.is_err() || shutdown.is_cancelled() {
            return followed;
        }
        tracing::warn!("lost the follower lock; standing by");
    }
}

/// Cancels `shutdown` on SIGTERM or SIGINT.
async fn signal_shutdown(shutdown: CancellationToken) {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    tracing::info!("shutting down after the block in flight");
    shutdown.cancel();
}
