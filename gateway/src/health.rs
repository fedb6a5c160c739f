//! Health and heartbeat: every `probe_interval_ms` the gateway probes what its calls
//! depend on — the upstream (gRPC health check, an HTTP URL, a TCP connect, or the
//! process's executable), the database (`SELECT 1`) and the indexer's freshness (its
//! cursor no more than `max_indexer_lag_blocks` behind the chain's finalized block) — and
//! reports the result through the standard gRPC health protocol (`grpc.health.v1.Health`,
//! for `""` and each of the service's names): NOT_SERVING while any part is down, SERVING
//! again when all are back. Probes run beside the calls, never on their path.

use crate::channels::ChannelCache;
pub use crate::config::{HealthConfig, UpstreamProbe};
use crate::config::{ServiceConfig, ServiceType};
use osiris_chain::Chain;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tonic_health::server::HealthReporter;
use tonic_health::ServingStatus;

/// What the heartbeat probes and where it reports.
pub struct Heartbeat {
    pub config: HealthConfig,
    pub service: ServiceConfig,
    pub reporter: HealthReporter,
    /// The names reported besides `""`: the service's gRPC services.
    pub services: Vec<String>,
    pub pool: PgPool,
    pub chain: Chain,
    pub channels: Arc<ChannelCache>,
    /// Where the upstream's state is reported for the alerts.
    pub vitals: Arc<crate::alerts::Vitals>,
}

impl Heartbeat {
    /// The parts that are down now, each with why; empty when all are up.
    pub async fn failures(&self) -> Vec<String> {
        let timeout = Duration::from_millis(self.config.probe_timeout_ms);
        let mut failures = Vec::new();
        let within = |what: &'static str| move |_| format!("{what}: no answer within {} ms", timeout.as_millis());
        match tokio::time::timeout(timeout, self.upstream()).await.map_err(within("upstream")) {
            Ok(Ok(())) => self.vitals.upstream(None),
            Ok(Err(e)) | Err(e) => {
                self.vitals.upstream(Some(e.clone()));
                failures.push(e)
            }
        }
        let database = tokio::time::timeout(timeout, sqlx::query("SELECT 1").execute(&self.pool)).await;
        match database.map_err(within("database")) {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => failures.push(format!("database: {e}")),
            Err(e) => failures.push(e),
        }
        if self.config.max_indexer_lag_blocks > 0 {
            match tokio::time::timeout(timeout, self.chain.block_number()).await.map_err(within("chain")) {
                Ok(Ok(finalized)) => {
                    let mirrored = self.channels.finalized_block();
                    let lag = finalized.saturating_sub(mirrored);
                    if lag > self.config.max_indexer_lag_blocks {
                        failures.push(format!(
                            "indexer: {lag} blocks behind the chain (mirrored {mirrored}, finalized {finalized}; at most {})",
                            self.config.max_indexer_lag_blocks
                        ));
                    }
                }
                Ok(Err(e)) => failures.push(format!("chain (for the indexer's lag): {e}")),
                Err(e) => failures.push(e),
            }
        }
        failures
    }

    async fn upstream(&self) -> Result<(), String> {
        let svc = &self.service;
        let probe = match (self.config.upstream_probe, svc.service_type) {
            (UpstreamProbe::Auto, ServiceType::Grpc) => UpstreamProbe::Grpc,
            (UpstreamProbe::Auto, ServiceType::Jsonrpc) if self.config.probe_url.is_some() => UpstreamProbe::Http,
            (UpstreamProbe::Auto, ServiceType::Jsonrpc) => UpstreamProbe::Tcp,
            (probe, _) => probe,
        };
        match probe {
            UpstreamProbe::None => Ok(()),
            UpstreamProbe::Auto => {
                let program = match svc.service_type {
                    ServiceType::Job => svc.job_runner.first(),
                    _ => svc.command.first(),
                };
                executable(program.map(String::as_str).unwrap_or_default())
            }
            UpstreamProbe::Grpc => grpc_health(&svc.endpoint).await,
            UpstreamProbe::Http => {
                let url = self.config.probe_url.as_deref().ok_or("upstream: the http probe needs health.probe_url")?;
                let response = reqwest::get(url).await.map_err(|e| format!("upstream {url}: {e}"))?;
                if response.status().is_success() {
                    Ok(())
                } else {
                    Err(format!("upstream {url}: HTTP {}", response.status()))
                }
            }
            UpstreamProbe::Tcp => {
                let uri: http::Uri = svc.endpoint.parse().map_err(|e| format!("upstream {}: {e}", svc.endpoint))?;
                let host = uri.host().unwrap_or("127.0.0.1");
                let port = uri.port_u16().unwrap_or(if uri.scheme_str() == Some("https") { 443 } else { 80 });
                tokio::net::TcpStream::connect((host, port))
                    .await
                    .map(drop)
                    .map_err(|e| format!("upstream {host}:{port}: {e}"))
            }
        }
    }

    /// Probes until `shutdown`, reporting each change of the overall status (and logging why).
    pub async fn run(self, shutdown: CancellationToken) {
        let interval = Duration::from_millis(self.config.probe_interval_ms.max(1));
        let mut serving: Option<bool> = None;
        loop {
            let failures = self.failures().await;
            let now = failures.is_empty();
            metrics::gauge!("osiris_gateway_serving").set(if now { 1.0 } else { 0.0 });
            if serving != Some(now) {
                let status = if now { ServingStatus::Serving } else { ServingStatus::NotServing };
                self.reporter.set_service_status("", status).await;
                for name in &self.services {
                    self.reporter.set_service_status(name, status).await;
                }
                if now {
                    tracing::info!("health: SERVING");
                } else {
                    tracing::warn!("health: NOT_SERVING: {}", failures.join("; "));
                }
                serving = Some(now);
            }
            tokio::select! { _ = shutdown.cancelled() => return, _ = tokio::time::sleep(interval) => {} }
        }
    }
}

/// Asks the upstream's `grpc.health.v1.Health/Check` for `""`; a server without the health
/// service that answers UNIMPLEMENTED is up.
async fn grpc_health(endpoint: &str) -> Result<(), String> {
    let channel = tonic::transport::Endpoint::from_shared(endpoint.to_string())
        .map_err(|e| format!("upstream {endpoint}: {e}"))?
        .connect()
        .await
        .map_err(|e| format!("upstream {endpoint}: {e}"))?;
    let mut client = tonic_health::pb::health_client::HealthClient::new(channel);
    match client.check(tonic_health::pb::HealthCheckRequest { service: String::new() }).await {
        Ok(reply)
            if reply.get_ref().status == tonic_health::pb::health_check_response::ServingStatus::Serving as i32 =>
        {
            Ok(())
        }
        Ok(reply) => Err(format!("upstream {endpoint} reports status {}", reply.get_ref().status)),
        Err(status) if status.code() == tonic::Code::Unimplemented => Ok(()),
        Err(status) => Err(format!("upstream {endpoint}: {:?}: {}", status.code(), status.message())),
    }
}

/// Whether `program` (a path, or a name on PATH) is an executable file.
fn executable(program: &str) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let candidates: Vec<std::path::PathBuf> = if program.contains('/') {
        vec![program.into()]
    } else {
        std::env::var_os("PATH")
            .map(|paths| std::env::split_paths(&paths).map(|dir| dir.join(program)).collect())
            .unwrap_or_default()
    };
    let found = candidates
        .iter()
        .any(|path| std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0));
    if found {
        Ok(())
    } else {
        Err(format!("upstream: `{program}` is not an executable file"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executables_are_found_by_path_or_on_path() {
        assert!(executable("sh").is_ok());
        assert!(executable("/bin/sh").is_ok());
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data.txt");
        std::fs::write(&data, "not a program").unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(executable(data.to_str().unwrap()).is_err());
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(executable(data.to_str().unwrap()).is_ok());
        assert!(executable(dir.path().to_str().unwrap()).is_err(), "a directory is not a program");
        assert!(executable("no-such-program-osiris").is_err());
        assert!(executable("").is_err());
    }
}
