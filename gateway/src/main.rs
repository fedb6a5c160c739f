//! `osiris-gateway`: sell calls to a service over escrow payment channels and service agreements.
//!
//! Configuration: `--config FILE` (TOML) and the environment (see `config.rs`).
//! SIGTERM or Ctrl-C stops accepting, reports NOT_SERVING and lets open calls finish (up to
//! `shutdown_grace_ms`), then exits 0; a second signal exits at once (code 130).

use anyhow::Context;
use clap::Parser;
use osiris_chain::agreements::Agreements;
use osiris_gateway::config::Config;
use osiris_gateway::front;
use osiris_ledger::claims::Claimer;
use osiris_ledger::settlements::Settler;
use std::path::PathBuf;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Exit code when a second SIGTERM or Ctrl-C cuts the graceful shutdown short.
const SECOND_SIGNAL_EXIT_CODE: i32 = 130;

/// Upper bounds of the call latency histogram's buckets, seconds: from a cached payment
/// check on a fast upstream to the longest translated calls.
const CALL_SECONDS_BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0];

/// How often consumers whose rate-limit buckets are full again are forgotten.
const FORGET_IDLE_CONSUMERS: Duration = Duration::from_secs(60);

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
    let started = osiris_gateway::startup::start(&config).await.context("gateway start")?;
    let shutdown = CancellationToken::new();
    tokio::spawn(started.channels.clone().follow(shutdown.clone()));

    if config.claim_interval_secs > 0 {
        let signer = started
            .recipient_signer
            .clone()
            .context("claim_interval_secs needs recipient_suri (the recipient's key)")?;
        let escrow = osiris_chain::escrow::Escrow::new(started.chain.clone(), started.deployment.escrow.address);
        let claimer = Claimer { pool: started.payments.pool().clone(), escrow, signer };
        let interval = Duration::from_secs(config.claim_interval_secs);
        let vitals = started.gateway.vitals.clone();
        tokio::spawn(osiris_ledger::claims::claim_periodically(claimer, interval, shutdown.clone(), move |result| {
            vitals.claim(result.err().map(|e| e.to_string()))
        }));
        if let Some(agreements) = &started.deployment.agreements {
            let settler = Settler {
                pool: started.payments.pool().clone(),
                agreements: Agreements::new(started.chain.clone(), agreements.address),
                signer: started.recipient_signer.clone().expect("checked above"),
            };
            tokio::spawn(osiris_ledger::settlements::settle_periodically(settler, interval, shutdown.clone()));
        }
    }

    tokio::spawn(started.heartbeat(&config).run(shutdown.clone()));
    let usage = started.gateway.authorizer.buckets.clone().map(|node| {
        tokio::spawn(
            node.flush_periodically(Duration::from_millis(config.bucket_node.usage_flush_ms), shutdown.clone()),
        )
    });
    tokio::spawn(started.alerts(&config).run(shutdown.clone()));
    let limits = started.gateway.authorizer.limits.clone();
    let stop_forgetting = shutdown.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! { _ = stop_forgetting.cancelled() => return, _ = tokio::time::sleep(FORGET_IDLE_CONSUMERS) => {} }
            limits.forget_idle();
        }
    });

    let listener =
        tokio::net::TcpListener::bind(config.listen).await.with_context(|| format!("listen on {}", config.listen))?;
    if let Some(node_id) = config.bucket_node.node_id {
        tracing::info!(
            "gateway for ddc node {node_id} (bucket mode, object store at {}) listening on {} ({})",
            config.service.endpoint,
            listener.local_addr()?,
            if started.tls.is_some() { "TLS" } else { "cleartext" },
        );
    } else {
        tracing::info!(
            "gateway for {}/{} group {} ({}) listening on {} ({}), price {} planck per call",
            config.service.org_id,
            config.service.service_id,
            config.service.group_id,
            config.service.service_type.as_str(),
            listener.local_addr()?,
            if started.tls.is_some() { "TLS" } else { "cleartext" },
            started.channels.price()
        );
    }
    let grace = Duration::from_millis(config.shutdown_grace_ms);
    let tls = started.tls.as_ref().map(|cert| {
        let interval = Duration::from_millis(config.tls.reload_interval_ms);
        tokio::spawn(cert.clone().watch(interval, shutdown.clone()));
        cert.server_config()
    });
    let cleartext = match (config.tls.cleartext_listen, &tls) {
        (Some(addr), Some(_)) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("listen on {addr} (tls.cleartext_listen)"))?;
            tracing::info!("cleartext listener for local use on {addr}");
            Some(tokio::spawn(front::serve(listener, started.front.clone(), None, shutdown.clone(), grace)))
        }
        _ => None,
    };
    let stop = shutdown.clone();
    let (health, services) = (started.health.clone(), started.services.clone());
    tokio::spawn(async move {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! { _ = term.recv() => {}, _ = tokio::signal::ctrl_c() => {} }
        tracing::info!("stopping: no new connections; open calls have {} ms to finish", grace.as_millis());
        stop.cancel();
        // Load balancers that watch the health status stop sending calls here.
        health.set_service_status("", tonic_health::ServingStatus::NotServing).await;
        for name in &services {
            health.set_service_status(name, tonic_health::ServingStatus::NotServing).await;
        }
        tokio::select! { _ = term.recv() => {}, _ = tokio::signal::ctrl_c() => {} }
        tracing::warn!("second signal: exiting now");
        std::process::exit(SECOND_SIGNAL_EXIT_CODE);
    });
    front::serve(listener, started.front, tls, shutdown, grace).await;
    if let Some(cleartext) = cleartext {
        let _ = cleartext.await;
    }
    if let Some(usage) = usage {
        // The last byte counts of buckets are written before the gateway exits.
        let _ = usage.await;
    }
    // Every answered call's payment was committed before its answer; nothing is left to flush.
    tracing::info!("stopped");
    Ok(())
}
