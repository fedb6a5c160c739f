//! `osiris-gateway`: sell calls to a service over escrow payment channels and service agreements.
//!
//! Configuration: `--config FILE` (TOML) and the environment (see `config.rs`).
//! SIGTERM or Ctrl-C stops accepting, reports NOT_SERVING and lets open calls finish (up to
//! `shutdown_grace_ms`), then exits 0; a second signal exits at once (code 130).

use anyhow::Context;
use clap::Parser;
use osiris_gateway::config::Config;
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

/// Exit code when a second SIGTERM or Ctrl-C cuts the graceful shutdown short.
const SECOND_SIGNAL_EXIT_CODE: i32 = 130;

/// Upper bounds of the call latency histogram's buckets, seconds: from a cached payment
/// check on a fast upstream to the longest translated calls.
const CALL_SECONDS_BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0];

#[derive(Parser)]
#[command(name = "osiris-gateway", version, about = "Sell calls to a service over Osiris payment channels.")]
struct Args {
    /// TOML configuration file.
    #[arg(long, env = "OSIRIS_GATEWAY_CONFIG")]
    config: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let config = Config::load(args.config.as_deref()).context("configuration")?;
    // Flushes the log writers when main returns.
    let _log_guards = osiris_gateway::logging::init(&config.log).context("logging")?;
    let runtime = match config.worker_threads {
        1 => tokio::runtime::Builder::new_current_thread().enable_all().build(),
        0 => tokio::runtime::Builder::new_multi_thread().enable_all().build(),
        n => tokio::runtime::Builder::new_multi_thread().worker_threads(n).enable_all().build(),
    }
    .context("the Tokio runtime")?;
    runtime.block_on(run(config))
}

async fn run(config: Config) -> anyhow::Result<()> {
    if let Some(addr) = config.metrics_listen {
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .set_buckets_for_metric(
                metrics_exporter_prometheus::Matcher::Full("osiris_gateway_call_seconds".into()),
                &CALL_SECONDS_BUCKETS,
            )
            .context("metrics buckets")?
            .with_http_listener(addr)
            .install()
            .context("metrics exporter")?;
    }
    let listener =
        tokio::net::TcpListener::bind(config.listen).await.with_context(|| format!("listen on {}", config.listen))?;
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! { _ = term.recv() => {}, _ = tokio::signal::ctrl_c() => {} }
        stop.cancel();
        tokio::select! { _ = term.recv() => {}, _ = tokio::signal::ctrl_c() => {} }
        tracing::warn!("second signal: exiting now");
        std::process::exit(SECOND_SIGNAL_EXIT_CODE);
    });
    osiris_gateway::run(config, listener, shutdown).await?;
    Ok(())
}
