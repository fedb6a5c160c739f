//! `osiris deploy`

use crate::{context::GlobalArgs, output::Report};
use anyhow::Result;
use clap::Args;
use osiris_chain::artifacts;
use serde_json::json;
use std::path::PathBuf;

#[derive(Args)]
pub struct DeployArgs {
    /// The contracts/ directory to build from (default: this source tree's, or OSIRIS_CONTRACTS_DIR).
    #[arg(long)]
    contracts_dir: Option<PathBuf>,
}

pub async fn run(global: &GlobalArgs, args: DeployArgs) -> Result<Report> {
    let chain = global.chain().await?;
    let signer = global.signer()?;
    let dir = args.contracts_dir.unwrap_or_else(artifacts::contracts_dir);
    let deployment = artifacts::deploy_all(&chain, &signer, &dir).await?;
    deployment.save(&global.deployment)?;
    let mut lines = Vec::new();
    let contracts = [("registry", Some(&deployment.registry)), ("escrow", Some(&deployment.escrow))];
    for (name, contract) in contracts.into_iter().chain([("agreements", deployment.agreements.as_ref())]) {
        if let Some(c) = contract {
            lines.push(format!("{name:<10} {} (code {}, block #{})", c.address, c.code_hash, c.block));
        }
    }
    lines.push(format!("wrote {}", global.deployment.display()));
    let text = lines.join("\n");
    Ok(Report::new(text, json!({ "deployment": deployment, "file": global.deployment })))
}
