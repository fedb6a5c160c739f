//! The gateway as one call: [`run`] starts it ([`crate::startup::start`]), runs its
//! background tasks (the mirror follower, claims and settlements, the heartbeat, alerts,
//! rate-limit upkeep, certificate reloads and the deal mode's own tasks) and serves
//! `listener` until `shutdown` is cancelled; then it reports NOT_SERVING, lets open calls
//! finish within `shutdown_grace_ms` and waits for the tasks that must finish (the last
//! byte counts of a bucket node). The binary adds arguments, the runtime and signals; the
//! tests call the same function.

use crate::config::{Config, GatewayMode};
use crate::front;
use crate::startup::{start, StartError, Started};
use osiris_chain::agreements::Agreements;
use osiris_chain::escrow::Escrow;
use osiris_ledger::claims::{claim_periodically, Claimer};
use osiris_ledger::settlements::{settle_periodically, Settler};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How often consumers whose rate-limit buckets are full again are forgotten.
pub const FORGET_IDLE_CONSUMERS: Duration = Duration::from_secs(60);

/// Why the gateway could not run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("gateway start: {0}")]
    Start(#[from] StartError),
    #[error("claim_interval_secs needs recipient_suri (the recipient's key)")]
    ClaimsWithoutKey,
    #[error("listen on {addr} (tls.cleartext_listen): {source}")]
    Listen { addr: std::net::SocketAddr, source: std::io::Error },
}

/// Starts the gateway of `config` and serves `listener` until `shutdown` is cancelled.
///
/// Errors: whatever [`start`] refuses (each naming the mismatch), claims without the
/// recipient's key, a cleartext listener that cannot be bound.
pub async fn run(config: Config, listener: TcpListener, shutdown: CancellationToken) -> Result<(), RunError> {
    let started = start(&config).await?;
    serve(started, &config, listener, shutdown).await
}

/// Serves a started gateway on `listener` with its background tasks until `shutdown` is
/// cancelled (see the module docs).
pub async fn serve(
    started: Started,
    config: &Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), RunError> {
    tokio::spawn(started.channels.clone().follow(shutdown.clone()));
    if config.claim_interval_secs > 0 {
        let signer = started.recipient_signer.clone().ok_or(RunError::ClaimsWithoutKey)?;
        let escrow = Escrow::new(started.chain.clone(), started.deployment.escrow.address);
        let claimer = Claimer {
            pool: started.payments.pool().clone(),
            escrow,
            signer: signer.clone(),
            lease_wait: config.prepaid_leases.claim_wait(),
            batching: Default::default(),
        };
        let interval = Duration::from_secs(config.claim_interval_secs);
        let vitals = started.gateway.vitals.clone();
        tokio::spawn(claim_periodically(claimer, interval, shutdown.clone(), move |result| {
            vitals.claim(result.err().map(|e| e.to_string()))
        }));
        if let Some(agreements) = &started.deployment.agreements {
            let settler = Settler {
                pool: started.payments.pool().clone(),
                agreements: Agreements::new(started.chain.clone(), agreements.address),
                signer,
            };
            tokio::spawn(settle_periodically(settler, interval, shutdown.clone()));
        }
    }
    tokio::spawn(started.heartbeat(config).run(shutdown.clone()));
    tokio::spawn(started.alerts(config).run(shutdown.clone()));
    let mode_tasks =
        started.gateway.mode.spawn_tasks(Duration::from_millis(config.bucket_node.usage_flush_ms), &shutdown);
    let limits = started.gateway.rate_limits.clone();
    let stop_forgetting = shutdown.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! { _ = stop_forgetting.cancelled() => return, _ = tokio::time::sleep(FORGET_IDLE_CONSUMERS) => {} }
            limits.forget_idle();
        }
    });

    let transport = if started.tls.is_some() { "TLS" } else { "cleartext" };
    let address = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    match config.mode() {
        GatewayMode::BucketNode { node_id } => tracing::info!(
            "gateway for ddc node {node_id} (bucket mode, object store at {}) listening on {address} ({transport})",
            config.service.endpoint,
        ),
        GatewayMode::Calls | GatewayMode::Jobs => tracing::info!(
            "gateway for {}/{} group {} ({}) listening on {address} ({transport}), price {} planck per call",
            config.service.org_id,
            config.service.service_id,
            config.service.group_id,
            config.service.service_type.as_str(),
            started.channels.price()
        ),
    }
    let grace = Duration::from_millis(config.shutdown_grace_ms);
    let tls = started.tls.as_ref().map(|cert| {
        let interval = Duration::from_millis(config.tls.reload_interval_ms);
        tokio::spawn(cert.clone().watch(interval, shutdown.clone()));
        cert.server_config()
    });
    let cleartext = match (config.tls.cleartext_listen, &tls) {
        (Some(addr), Some(_)) => {
            let listener = TcpListener::bind(addr).await.map_err(|source| RunError::Listen { addr, source })?;
            tracing::info!("cleartext listener for local use on {addr}");
            Some(tokio::spawn(front::serve(listener, started.front.clone(), None, shutdown.clone(), grace)))
        }
        _ => None,
    };
    let (health, services) = (started.health.clone(), started.services.clone());
    let stopping = shutdown.clone();
    tokio::spawn(async move {
        stopping.cancelled().await;
        tracing::info!("stopping: no new connections; open calls have {} ms to finish", grace.as_millis());
        // Load balancers that watch the health status stop sending calls here.
        health.set_service_status("", tonic_health::ServingStatus::NotServing).await;
        for name in &services {
            health.set_service_status(name, tonic_health::ServingStatus::NotServing).await;
        }
    });
    front::serve(listener, started.front, tls, shutdown, grace).await;
    if let Some(cleartext) = cleartext {
        let _ = cleartext.await;
    }
    for task in mode_tasks {
        // A mode's last work (a bucket node's last byte counts) is done before the gateway exits.
        let _ = task.await;
    }
    // Every answered call's payment was committed before its answer; nothing is left to flush.
    tracing::info!("stopped");
    Ok(())
}
