//! Configuration: defaults that run locally, then a TOML file, then the environment
//! (`osiris_config`): `DATABASE_URL`, `OSIRIS_NODE_URL`, `OSIRIS_DEPLOYMENT`, and
//! `OSIRIS_KEEPER_<KEY>` for each key below (`OSIRIS_KEEPER_MANAGER_SURI`, …).
//!
//! ```toml
//! manager_suri = "//Alice"          # the clusters' manager: allocations are its calls
//! interval_ms = 60000               # between passes
//! bytes_per_unit = 1073741824       # the clusters' rule: one resource unit holds this many bytes
//! replicas = 2                      # nodes holding each object (as the node gateways repair)
//! settle_every_blocks = 600         # settle a bucket's rent once this many blocks are unsettled
//! clusters = []                     # only these cluster ids; empty: every cluster the manager has
//! audits_per_node = 1               # challenges per node per pass (0: no audits)
//! audit_all_objects = false         # instead, challenge each node on every object it should hold
//! alert_window = 10                 # a node's last audits the alert looks at
//! alert_failed_percent = 20         # alert when more than this share of them failed
//! alert_webhook_url = "https://…"   # where the alert is POSTed as JSON (absent: logged only)
//! ```

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// PostgreSQL URL of the mirror the indexer writes.
    pub database_url: String,
    /// Node RPC URL (`ws://` or `wss://`).
    pub node_url: String,
    /// Deployment file written by `osiris deploy`.
    pub deployment: PathBuf,
    /// The clusters' manager's secret URI (allocations are the manager's calls).
    pub manager_suri: String,
    /// Pause between passes, ms.
    pub interval_ms: u64,
    /// Bytes one resource unit holds: the clusters' stated rule for usage.
    pub bytes_per_unit: u64,
    /// Nodes holding each object, as the node gateways keep them (their `replicas`).
    pub replicas: usize,
    /// A bucket's rent is settled once this many blocks of it are unsettled.
    pub settle_every_blocks: u32,
    /// Only these clusters; empty: every cluster the manager manages.
    pub clusters: Vec<u32>,
    /// A CA file (PEM) trusted for `https://` nodes besides the system roots.
    pub ca_file: Option<PathBuf>,
    /// Challenges per node per pass, each on a random object; 0: no audits.
    pub audits_per_node: usize,
    /// Challenge each node on every object it should hold instead (a full sweep).
    pub audit_all_objects: bool,
    /// The alert looks at a node's last this many audits (only once it has that many).
    pub alert_window: usize,
    /// A node whose failed (or disputed) audits in the window exceed this percent raises an alert.
    pub alert_failed_percent: u32,
    /// Where an alert is POSTed as JSON; absent: logged only.
    pub alert_webhook_url: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "postgres://postgres@127.0.0.1:5432/osiris".into(),
            node_url: "ws://127.0.0.1:9944".into(),
            deployment: ".osiris/deployment.json".into(),
            manager_suri: "//Alice".into(),
            interval_ms: 60_000,
            bytes_per_unit: 1024 * 1024 * 1024,
            replicas: 2,
            settle_every_blocks: 600,
            clusters: Vec::new(),
            ca_file: None,
            audits_per_node: 1,
            audit_all_objects: false,
            alert_window: 10,
            alert_failed_percent: 20,
            alert_webhook_url: None,
        }
    }
}

impl Config {
    /// The defaults, then `file`, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, osiris_config::ConfigError> {
        osiris_config::load(&Self::default(), file, "OSIRIS_KEEPER", &[])
    }
}
