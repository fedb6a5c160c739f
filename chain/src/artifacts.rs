//! Finding (and if need be building) the contracts' Wasm code, and deploying it.

use crate::{
    contract::{blake2_256, message},
    deployment::{DeployedContract, Deployment},
    Chain, ChainError, Signer,
};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The contracts Osiris deploys, by crate directory name under `contracts/`.
pub const CONTRACTS: [&str; 3] = ["registry", "escrow", "agreements"];

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
    let salt = crate::payment::PaymentKey::generate().signer_key()[1..9].to_vec();
    let (address, block) = chain.instantiate(signer, code, data, salt).await?;
    Ok(DeployedContract { address, code_hash, block })
}

/// Deploys the registry, the escrow and the agreements contract (owned by `signer`, asking
/// that registry) from `dir`, building them if needed, and describes the result.
pub async fn deploy_all(chain: &Chain, signer: &Signer, dir: &Path) -> Result<Deployment, ChainError> {
    let registry = deploy_contract(chain, signer, load_or_build(dir, "registry")?).await?;
    let escrow = deploy_contract(chain, signer, load_or_build(dir, "escrow")?).await?;
    let new_agreements = message("new", (crate::account::to_ink(&registry.address),));
    let agreements = deploy_with(chain, signer, load_or_build(dir, "agreements")?, new_agreements).await?;
    Ok(Deployment {
        genesis_hash: chain.genesis_hash().await?,
        node_url: chain.url().to_string(),
        registry,
        escrow,
        agreements: Some(agreements),
    })
}
