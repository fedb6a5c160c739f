//! The deployment file: where the Osiris contracts live on which chain.
//!
//! JSON written by `osiris deploy` and read by the CLI, indexer, gateway and tests:
//! ```json
//! { "genesis_hash": "0x…", "node_url": "ws://127.0.0.1:9944",
//!   "registry": { "address": "5…", "code_hash": "0x…", "block": 1 },
//!   "escrow":   { "address": "5…", "code_hash": "0x…", "block": 2 },
//!   "agreements": { "address": "5…", "code_hash": "0x…", "block": 3 },
//!   "ddc":      { "address": "5…", "code_hash": "0x…", "block": 4 } }
//! ```
//! `agreements` and `ddc` are absent from files written before those contracts existed.
//! Addresses are SS58; `block` is the number of the block that instantiated the contract.

use crate::{AccountId, ChainError};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One deployed contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployedContract {
    /// Contract account, SS58.
    pub address: AccountId,
    /// blake2-256 of the contract's Wasm code, 0x-hex.
    pub code_hash: String,
    /// Block number in which the contract was instantiated.
    pub block: u64,
}

/// Where the Osiris contracts are deployed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    /// Genesis hash of the chain, 0x-hex: a deployment file is only valid on that chain.
    pub genesis_hash: String,
    /// The node URL the contracts were deployed through.
    pub node_url: String,
    pub registry: DeployedContract,
    pub escrow: DeployedContract,
    /// The agreements contract (absent in deployments made before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreements: Option<DeployedContract>,
    /// The ddc contract: clusters, nodes and buckets (absent in deployments made before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ddc: Option<DeployedContract>,
}

impl Deployment {
    /// Reads a deployment file. Errors name the path and the problem.
    pub fn load(path: &Path) -> Result<Self, ChainError> {
        let err = |reason: String| ChainError::Deployment { path: path.display().to_string(), reason };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        serde_json::from_str(&text).map_err(|e| err(e.to_string()))
    }

    /// Writes the deployment file (pretty JSON), creating parent directories.
    pub fn save(&self, path: &Path) -> Result<(), ChainError> {
        let err = |reason: String| ChainError::Deployment { path: path.display().to_string(), reason };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
        }
        let text = serde_json::to_string_pretty(self).expect("a deployment serializes");
        std::fs::write(path, text + "\n").map_err(|e| err(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_a_file_with_ss58_addresses() {
        let dir = std::env::temp_dir().join(format!("osiris-deployment-{}", std::process::id()));
        let path = dir.join("deployment.json");
        let contract =
            |b| DeployedContract { address: AccountId::from([b; 32]), code_hash: "0x00".into(), block: b as u64 };
        let deployment = Deployment {
            genesis_hash: "0xab".into(),
            node_url: "ws://127.0.0.1:9944".into(),
            registry: contract(1),
            escrow: contract(2),
            agreements: Some(contract(3)),
            ddc: Some(contract(4)),
        };
        deployment.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(&AccountId::from([1; 32]).to_string()), "{text}");
        assert_eq!(Deployment::load(&path).unwrap(), deployment);
        std::fs::remove_dir_all(dir).unwrap();
        assert!(matches!(Deployment::load(&path), Err(ChainError::Deployment { .. })));
    }

    #[test]
    fn a_file_from_before_the_agreements_contract_still_loads() {
        let text = serde_json::json!({
            "genesis_hash": "0xab", "node_url": "ws://x",
            "registry": {"address": AccountId::from([1; 32]).to_string(), "code_hash": "0x00", "block": 1},
            "escrow": {"address": AccountId::from([2; 32]).to_string(), "code_hash": "0x00", "block": 2},
        });
        let deployment: Deployment = serde_json::from_value(text).unwrap();
        assert_eq!(deployment.agreements, None);
    }
}
