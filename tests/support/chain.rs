//! A dev chain per test.

use crate::process::{die_with_parent, free_port};
use osiris_chain::Chain;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a node may take to answer RPC (it takes about 6 s here).
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// A running `substrate-contracts-node --dev` with its own temporary base path, RPC
/// and p2p ports. Killed and deleted on drop.
pub struct TestChain {
    child: Child,
    /// ws:// URL of its RPC.
    pub url: String,
    _base: tempfile::TempDir,
}

impl TestChain {
    /// Starts a node and waits until it answers; panics with the node's log tail if it does not.
    pub async fn start() -> (Self, Chain) {
        let base = tempfile::Builder::new().prefix("osiris-test-chain").tempdir().expect("temp dir");
        let rpc_port = free_port();
        let log = base.path().join("node.log");
        let mut command = Command::new("substrate-contracts-node");
        command
            .args(["--dev", "--no-prometheus", "--no-telemetry", "--no-mdns"])
            .arg("--base-path")
            .arg(base.path().join("chain"))
            .args(["--rpc-port", &rpc_port.to_string(), "--port", &free_port().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("node log file"));
        let child = die_with_parent(&mut command)
            .spawn()
            .expect("substrate-contracts-node must be installed (scripts/setup.sh)");
        let this = Self { child, url: format!("ws://127.0.0.1:{rpc_port}"), _base: base };
        let started = Instant::now();
        loop {
            if let Ok(chain) = Chain::connect(&this.url).await {
                return (this, chain);
            }
            if started.elapsed() > START_TIMEOUT {
                let tail = std::fs::read_to_string(&log).unwrap_or_default();
                let tail: Vec<&str> = tail.lines().rev().take(20).collect();
                panic!(
                    "the dev chain did not answer at {} within {START_TIMEOUT:?}; log tail:\n{}",
                    this.url,
                    tail.join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

impl Drop for TestChain {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
