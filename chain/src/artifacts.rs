//! Finding (and if need be building) the contracts' Wasm code, and deploying it.

use crate::AccountId;
use crate::{
    contract::{blake2_256, message},
    deployment::{DeployedContract, Deployment},
    Chain, ChainError, Signer,
};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The contracts Osiris deploys, by crate directory name under `contracts/`.
pub const CONTRACTS: [&str; 4] = ["registry", "escrow", "agreements", "ddc"];

/// The ddc contract's network fee by default: 1 % of every cluster distribution.
pub const DEFAULT_NETWORK_FEE_BP: u32 = 100;

/// What the ddc contract is deployed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DdcSettings {
    /// The network's share of every cluster distribution, basis points (10,000 = 100 %).
    pub network_fee_bp: u32,
    /// Who receives it (into its ddc deposit); `None`: the deploying account.
    pub network_fee_account: Option<AccountId>,
}

impl Default for DdcSettings {
    fn default() -> Self {
        Self { network_fee_bp: DEFAULT_NETWORK_FEE_BP, network_fee_account: None }
    }
}

/// The `contracts/` directory of this source tree (compile-time path), overridable
/// with `OSIRIS_CONTRACTS_DIR`.
pub fn contracts_dir() -> PathBuf {
    std::env::var_os("OSIRIS_CONTRACTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts"))
}

/// Path of a contract's optimized Wasm as cargo-contract writes it:
/// `contracts/target/ink/osiris_<name>/osiris_<name>.wasm`.
pub fn wasm_path(dir: &Path, name: &str) -> PathBuf {
    dir.join("target/ink").join(format!("osiris_{name}")).join(format!("osiris_{name}.wasm"))
}

/// Reads a contract's Wasm, building it first with `cargo contract build --release` (Rust 1.86,
/// pinned by `contracts/rust-toolchain.toml`) when it is missing or older than its sources.
pub fn load_or_build(dir: &Path, name: &str) -> Result<Vec<u8>, ChainError> {
    let wasm = wasm_path(dir, name);
    if !is_fresh(dir, &wasm) {
        let status = Command::new("cargo")
            .current_dir(dir)
            .env_remove("RUSTUP_TOOLCHAIN")
            .env_remove("CARGO_TARGET_DIR")
            .args(["contract", "build", "--release", "--quiet", "--manifest-path"])
            .arg(format!("{name}/Cargo.toml"))
            .status()
            .map_err(|e| ChainError::Artifacts(format!("cannot run cargo contract: {e}")))?;
        if !status.success() {
            return Err(ChainError::Artifacts(format!("cargo contract build of {name} failed ({status})")));
        }
    }
    std::fs::read(&wasm).map_err(|e| ChainError::Artifacts(format!("{}: {e}", wasm.display())))
}

/// Whether `wasm` exists and is newer than every source file of the contracts.
fn is_fresh(dir: &Path, wasm: &Path) -> bool {
    let Ok(built) = std::fs::metadata(wasm).and_then(|m| m.modified()) else { return false };
    let mut stack: Vec<PathBuf> = CONTRACTS.iter().chain(&["types"]).map(|c| dir.join(c)).collect();
    while let Some(path) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&path) else { continue };
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| t > built) {
                return false;
            }
        }
    }
    true
}

/// Instantiates one contract with its `new` constructor taking no arguments.
pub async fn deploy_contract(chain: &Chain, signer: &Signer, code: Vec<u8>) -> Result<DeployedContract, ChainError> {
    deploy_with(chain, signer, code, message("new", ())).await
}

/// Instantiates one contract with constructor call `data`.
async fn deploy_with(
    chain: &Chain,
    signer: &Signer,
    code: Vec<u8>,
    data: Vec<u8>,
) -> Result<DeployedContract, ChainError> {
    let code_hash = format!("0x{}", hex::encode(blake2_256(&code)));
    // A fresh salt lets the same code be deployed more than once by the same account.
    let salt = osiris_payments::signing::channel::PaymentKey::generate().signer_key()[1..9].to_vec();
    let (address, block) = chain.instantiate(signer, code, data, salt).await?;
    Ok(DeployedContract { address, code_hash, block })
}

/// Deploys the registry, the escrow, the agreements contract (asking that registry) and the
/// ddc contract (with [`DdcSettings::default`]) from `dir` as `signer`, building them if
/// needed, and describes the result.
pub async fn deploy_all(chain: &Chain, signer: &Signer, dir: &Path) -> Result<Deployment, ChainError> {
    deploy_all_with(chain, signer, dir, DdcSettings::default()).await
}

/// [`deploy_all`] with the ddc contract's `settings`.
pub async fn deploy_all_with(
    chain: &Chain,
    signer: &Signer,
    dir: &Path,
    settings: DdcSettings,
) -> Result<Deployment, ChainError> {
    if settings.network_fee_bp > osiris_contract_types::ddc::BASIS_POINTS {
        return Err(ChainError::Artifacts(format!(
            "the ddc network fee is {} basis points; at most {} (100 %)",
            settings.network_fee_bp,
            osiris_contract_types::ddc::BASIS_POINTS
        )));
    }
    let registry = deploy_contract(chain, signer, load_or_build(dir, "registry")?).await?;
    let escrow = deploy_contract(chain, signer, load_or_build(dir, "escrow")?).await?;
    let new_agreements = message("new", (crate::account::to_ink(&registry.address),));
    let agreements = deploy_with(chain, signer, load_or_build(dir, "agreements")?, new_agreements).await?;
    let fee_account = settings.network_fee_account.unwrap_or_else(|| crate::account::account_of(signer));
    let new_ddc = message("new", (settings.network_fee_bp, crate::account::to_ink(&fee_account)));
    let ddc = deploy_with(chain, signer, load_or_build(dir, "ddc")?, new_ddc).await?;
    Ok(Deployment {
        genesis_hash: chain.genesis_hash().await?,
        node_url: chain.url().to_string(),
        registry,
        escrow,
        agreements: Some(agreements),
        ddc: Some(ddc),
    })
}
