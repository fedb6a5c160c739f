//! `osiris-keeper`: a ddc cluster manager's keeper (see the library docs).
//!
//! Configuration: `--config FILE` (TOML) and the environment (see `config.rs`). `--once`
//! runs one pass, prints what it did and exits; otherwise passes run every `interval_ms`
//! until SIGTERM or Ctrl-C.

use anyhow::Context;
use clap::Parser;
use osiris_chain::ddc::Ddc;
use osiris_chain::{Chain, Deployment};
use osiris_keeper::{Config, Keeper};
use osiris_payments::signing::account::AccountKey;
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(name = "osiris-keeper", version, about = "Keep a ddc cluster's storage deal: usage, allocations, rent.")]
struct Args {
    /// TOML configuration file.
    #[arg(long, env = "OSIRIS_KEEPER_CONFIG")]
    config: Option<PathBuf>,
    /// One pass, then exit.
    #[arg(long)]
    once: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let args = Args::parse();
    let config = Config::load(args.config.as_deref()).context("configuration")?;
    let deployment = Deployment::load(&config.deployment)?;
    let ddc_address = deployment.ddc.as_ref().context("the deployment has no ddc contract")?.address;
    let chain = Chain::connect(&config.node_url).await?;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect(&config.database_url)
        .await
        .context("connecting to the mirror's database (DATABASE_URL)")?;
    let manager = osiris_chain::account::signer_from_uri(&config.manager_suri)?;
    let key = AccountKey::from_uri(&config.manager_suri)?;
    let keeper = Keeper::new(pool, Ddc::new(chain, ddc_address), manager, key, config);
    if args.once {
        let r = keeper.pass().await?;
        println!(
            "{} buckets measured; allocations raised: {}; rent settled for {} bucket(s); revenues distributed in {} cluster(s); {} nodes silent; audits: {}",
            r.buckets,
            if r.allocations.is_empty() {
                "none".to_string()
            } else {
                r.allocations
                    .iter()
                    .map(|a| format!("bucket {} {} → {} units ({} bytes)", a.bucket_id, a.from, a.to, a.bytes))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            r.settled.len(),
            r.distributed.len(),
            r.silent_nodes.len(),
            r.audits
                .iter()
                .map(|a| format!(
                    "node {} {} (`{}`{})",
                    a.node_id,
                    a.result.as_str(),
                    a.key,
                    a.detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
                ))
                .collect::<Vec<_>>()
                .join(", "),
        );
        return Ok(());
    }
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM");
        tokio::select! { _ = tokio::signal::ctrl_c() => {}, _ = term.recv() => {} }
        stop.cancel();
    });
    keeper.run(shutdown).await;
    Ok(())
}
