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
    /// The ddc contract's network fee: the network's share of every cluster distribution,
    /// basis points (10,000 = 100 %).
    #[arg(long, default_value_t = artifacts::DEFAULT_NETWORK_FEE_BP, value_name = "BASIS_POINTS")]
    ddc_network_fee_bp: u32,
    /// Who receives the network fee (SS58; default: the deploying account).
    #[arg(long, value_name = "SS58")]
    ddc_network_fee_account: Option<String>,
}

pub async fn run(global: &GlobalArgs, args: DeployArgs) -> Result<Report> {
    let chain = global.chain().await?;
    let signer = global.signer()?;
    let dir = args.contracts_dir.unwrap_or_else(artifacts::contracts_dir);
    let network_fee_account = match &args.ddc_network_fee_account {
        Some(text) => Some(osiris_chain::parse_account(text)?),
        None => None,
    };
    let settings = artifacts::DdcSettings { network_fee_bp: args.ddc_network_fee_bp, network_fee_account };
    let deployment = artifacts::deploy_all_with(&chain, &signer, &dir, settings).await?;
    deployment.save(&global.deployment)?;
    let mut lines = Vec::new();
    let contracts = [("registry", Some(&deployment.registry)), ("escrow", Some(&deployment.escrow))];
    let optional = [("agreements", deployment.agreements.as_ref()), ("ddc", deployment.ddc.as_ref())];
    for (name, contract) in contracts.into_iter().chain(optional) {
        if let Some(c) = contract {
            lines.push(format!("{name:<10} {} (code {}, block #{})", c.address, c.code_hash, c.block));
        }
    }
    lines.push(format!("wrote {}", global.deployment.display()));
    let text = lines.join("\n");
    Ok(Report::new(text, json!({ "deployment": deployment, "file": global.deployment })))
}
