//! A dev chain per test.

use crate::process::{die_with_parent, logged_address};
use osiris_chain::Chain;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a node may take to answer RPC (it takes about 6 s here).
const START_TIMEOUT: Duration = Duration::from_secs(90);
/// What precedes the RPC address in the node's log: `Running JSON-RPC server: addr=127.0.0.1:40107,[::1]:44699`.
const RPC_MARKER: &str = "Running JSON-RPC server: addr=";

/// A running `substrate-contracts-node --dev` with its own temporary base path; it binds
/// its RPC and p2p ports itself (port 0) and the harness reads the RPC address from its
/// log. Killed and deleted on drop.
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
        let log = base.path().join("node.log");
        let mut command = Command::new("substrate-contracts-node");
        command
            .args(["--dev", "--no-prometheus", "--no-telemetry", "--no-mdns"])
            .arg("--base-path")
            .arg(base.path().join("chain"))
            .args(["--rpc-port", "0", "--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("node log file"));
        let child = die_with_parent(&mut command)
            .spawn()
            .expect("substrate-contracts-node must be installed (scripts/setup.sh)");
        let mut this = Self { child, url: String::new(), _base: base };
        let started = Instant::now();
        loop {
            if this.url.is_empty() {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                if let Some(address) = text.lines().find_map(|l| logged_address(l, RPC_MARKER)) {
                    this.url = format!("ws://{address}");
                }
            } else if let Ok(chain) = Chain::connect(&this.url).await {
                return (this, chain);
            }
            if started.elapsed() > START_TIMEOUT {
                let tail = std::fs::read_to_string(&log).unwrap_or_default();
                let tail: Vec<&str> = tail.lines().rev().take(20).collect();
                panic!(
                    "the dev chain did not answer at `{}` within {START_TIMEOUT:?}; log tail:\n{}",
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
