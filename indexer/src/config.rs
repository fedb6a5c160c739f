//! Configuration: defaults that run locally, then a TOML file, then the environment.
//!
//! File keys are the field names below. Environment overrides: `DATABASE_URL`,
//! `OSIRIS_NODE_URL`, `OSIRIS_DEPLOYMENT`, `OSIRIS_INDEXER_LISTEN`,
//! `OSIRIS_INDEXER_MAX_CONNECTIONS`, `OSIRIS_INDEXER_CORS_ALLOWED_ORIGINS` (a TOML-like
//! list, `[https://a.example, https://b.example]`), `OSIRIS_INDEXER_DESCRIBE_INTERVAL_MS`,
//! `OSIRIS_INDEXER_REPUTATION_INTERVAL_MS`, `OSIRIS_INDEXER_WEB_DIR`, `OSIRIS_INDEXER_CONTRACTS_DIR`,
//! `OSIRIS_INDEXER_PUBLIC_NODE_URL`, `OSIRIS_INDEXER_API_ONLY`.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// PostgreSQL URL of the mirror.
    pub database_url: String,
    /// Node RPC URL (`ws://` or `wss://`).
    pub node_url: String,
    /// Deployment file written by `osiris deploy`.
    pub deployment: PathBuf,
    /// Address the REST API listens on.
    pub listen: SocketAddr,
    /// Most database connections (ingestion uses one; the API the rest).
    pub max_connections: u32,
    /// Origins whose web pages may read the REST API (`*`: any, the default; empty: none).
    pub cors_allowed_origins: Vec<String>,
    /// Pause between passes of the describer (services' metadata documents), milliseconds;
    /// 0 turns it off.
    pub describe_interval_ms: u64,
    /// Pause between passes of the reputation task (endpoint probes, then figures),
    /// milliseconds; 0 turns it off.
    pub reputation_interval_ms: u64,
    /// The market's built web application, served at `/` (absent: not served).
    pub web_dir: PathBuf,
    /// cargo-contract's output (`contracts/target/ink`), whose metadata is served under `/contracts`.
    pub contracts_dir: PathBuf,
    /// The node URL web pages are told to connect to (`GET /v1/network`); empty: the
    /// deployment's `node_url`.
    pub public_node_url: String,
    /// Serve REST only, never follow the chain nor connect to the node (a read replica,
    /// e.g. against a PostgreSQL streaming replica). Otherwise the process follows the
    /// chain whenever it holds the follower lock (`leader`), and serves REST either way.
    pub api_only: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "postgres://postgres@127.0.0.1:5432/osiris".into(),
            node_url: "ws://127.0.0.1:9944".into(),
            deployment: ".osiris/deployment.json".into(),
            listen: "127.0.0.1:8080".parse().expect("a socket address"),
            max_connections: 8,
            cors_allowed_origins: vec![crate::api::cors::ANY_ORIGIN.into()],
            describe_interval_ms: 5_000,
            reputation_interval_ms: 60_000,
            web_dir: "web/dist".into(),
            contracts_dir: "contracts/target/ink".into(),
            public_node_url: String::new(),
            api_only: false,
        }
    }
}

impl Config {
    /// Defaults, merged with `file` if given (it must exist), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, osiris_config::ConfigError> {
        // The indexer's keys are top-level: OSIRIS_INDEXER_LISTEN, OSIRIS_INDEXER_MAX_CONNECTIONS.
        osiris_config::load(&Config::default(), file, "OSIRIS_INDEXER", &[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment_override_the_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("indexer.toml", "listen = '127.0.0.1:9000'\nnode_url = 'ws://file:1'")?;
            jail.set_env("OSIRIS_NODE_URL", "ws://env:2");
            let config = Config::load(Some(Path::new("indexer.toml")))?;
            assert_eq!(config.listen.port(), 9000);
            assert_eq!(config.node_url, "ws://env:2");
            assert_eq!(config.max_connections, 8);
            assert_eq!(config.cors_allowed_origins, vec!["*".to_string()]);
            jail.set_env("OSIRIS_INDEXER_CORS_ALLOWED_ORIGINS", "[https://market.example]");
            let config = Config::load(None)?;
            assert_eq!(config.cors_allowed_origins, vec!["https://market.example".to_string()]);
            assert!(Config::load(Some(Path::new("missing.toml"))).is_err());
            Ok(())
        });
    }
}
