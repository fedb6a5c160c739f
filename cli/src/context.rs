//! Options every command shares, and what they resolve to: the node, the
//! deployment file and the signing account.

use anyhow::{Context, Result};
use clap::Args;
use osiris_chain::{account::signer_from_uri, escrow::Escrow, registry::Registry, Chain, Deployment, Signer};
use std::path::PathBuf;

/// Default node RPC endpoint (the dev chain of `scripts/dev-chain.sh`).
pub const DEFAULT_NODE_URL: &str = "ws://127.0.0.1:9944";
/// Default deployment file, relative to the current directory.
pub const DEFAULT_DEPLOYMENT: &str = ".osiris/deployment.json";

#[derive(Args)]
pub struct GlobalArgs {
    /// Node RPC URL.
    #[arg(long, global = true, env = "OSIRIS_NODE_URL", default_value = DEFAULT_NODE_URL)]
    pub url: String,
    /// Deployment file written by `osiris deploy`.
    #[arg(long, global = true, env = "OSIRIS_DEPLOYMENT", default_value = DEFAULT_DEPLOYMENT)]
    pub deployment: PathBuf,
    /// Secret URI of the signing account (`//Alice`, a mnemonic, or a 0x seed).
    #[arg(long, global = true, env = "OSIRIS_SURI", default_value = "//Alice", hide_env_values = true)]
    pub suri: String,
    /// File holding the signing account's secret URI (takes precedence over --suri).
    #[arg(long, global = true, env = "OSIRIS_SURI_FILE")]
    pub suri_file: Option<PathBuf>,
    /// Indexer REST API URL, where `osiris call org/service` and `osiris services` look
    /// services and channels up (without it they ask the chain).
    #[arg(long, global = true, env = "OSIRIS_INDEXER_URL")]
    pub indexer: Option<String>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// A CA certificate (PEM) trusted for `https://` gateways besides the system's roots.
    #[arg(long, global = true, env = "OSIRIS_CA_FILE")]
    pub ca_file: Option<PathBuf>,
}

impl GlobalArgs {
    pub async fn chain(&self) -> Result<Chain> {
        Ok(Chain::connect(&self.url).await?)
    }

    /// The signing account's secret URI, from --suri-file or --suri.
    pub fn secret_uri(&self) -> Result<String> {
        match &self.suri_file {
            Some(path) => {
                std::fs::read_to_string(path).with_context(|| format!("reading secret URI file {}", path.display()))
            }
            None => Ok(self.suri.clone()),
        }
    }

    /// The signing account from --suri-file or --suri.
    pub fn signer(&self) -> Result<Signer> {
        Ok(signer_from_uri(&self.secret_uri()?)?)
    }

    /// The deployment file as it is, without asking the node (for commands that need only
    /// the contracts' addresses).
    pub fn deployment_file(&self) -> Result<Deployment> {
        Deployment::load(&self.deployment).context("run `osiris deploy` first, or pass --deployment")
    }

    /// The deployment file, checked against the chain's genesis hash.
    pub async fn deployment(&self, chain: &Chain) -> Result<Deployment> {
        let deployment = self.deployment_file()?;
        let genesis = chain.genesis_hash().await?;
        anyhow::ensure!(
            deployment.genesis_hash == genesis,
            "deployment file {} is for chain {} but the node at {} is chain {genesis}",
            self.deployment.display(),
            deployment.genesis_hash,
            self.url
        );
        Ok(deployment)
    }

    /// Connects to the node and loads the deployment file.
    pub async fn connect(&self) -> Result<Connected> {
        let chain = self.chain().await?;
        let deployment = self.deployment(&chain).await?;
        Ok(Connected { chain, deployment })
    }
}

/// A node connection and the contracts deployed on it.
pub struct Connected {
    pub chain: Chain,
    pub deployment: Deployment,
}

impl Connected {
    pub fn escrow(&self) -> Escrow {
        Escrow::new(self.chain.clone(), self.deployment.escrow.address)
    }

    pub fn registry(&self) -> Registry {
        Registry::new(self.chain.clone(), self.deployment.registry.address)
    }

    /// The ddc contract, when the deployment has one.
    pub fn ddc(&self) -> Result<osiris_chain::ddc::Ddc> {
        Ok(osiris_chain::ddc::Ddc::new(self.chain.clone(), ddc_address(&self.deployment)?))
    }
}

/// The ddc contract's address in `deployment`; an error saying what to do when it has none.
pub fn ddc_address(deployment: &Deployment) -> Result<osiris_chain::AccountId> {
    let ddc = deployment.ddc.as_ref().context("this deployment has no ddc contract: run `osiris deploy` again")?;
    Ok(ddc.address)
}
