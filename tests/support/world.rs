//! `Osiris`: a chain with the contracts deployed, and the named actors of a story.

use crate::chain::TestChain;
use osiris_chain::types::agreements::{ConditionKind, ConditionSpec, TemplateId};
use osiris_chain::{
    account::signer_from_uri, artifacts, escrow::Escrow, registry::Registry, AccountId, Balance, Chain, Deployment,
    Signer,
};
use std::sync::Mutex;

/// One unit of the dev chain's token in planck (10^12).
pub const UNIT: Balance = 1_000_000_000_000;

/// Building the contracts is done once per test process, not by every test at once.
static BUILD: Mutex<()> = Mutex::new(());

/// A signer for a dev account: `//Alice`, `//Bob`, `//Charlie`, `//Dave`, `//Eve`, `//Ferdie`.
pub fn actor(uri: &str) -> Signer {
    signer_from_uri(uri).expect("a valid dev URI")
}

/// The account id of a dev actor (`//Bob` …).
pub fn actor_account(uri: &str) -> AccountId {
    osiris_chain::account::account_of(&actor(uri))
}

/// A fresh chain with the registry, escrow and agreements contracts deployed by //Alice.
pub struct Osiris {
    pub chain: Chain,
    pub deployment: Deployment,
    /// Keeps the node alive; dropped last.
    pub node: TestChain,
}

impl Osiris {
    pub async fn start() -> Self {
        // Build first (if needed): a chain connection left idle through a long build can drop.
        let dir = artifacts::contracts_dir();
        {
            let _guard = BUILD.lock().unwrap_or_else(|e| e.into_inner());
            for name in artifacts::CONTRACTS {
                artifacts::load_or_build(&dir, name).expect("contracts build");
            }
        }
        let (node, chain) = TestChain::start().await;
        let deployment = artifacts::deploy_all(&chain, &actor("//Alice"), &dir).await.expect("contracts deploy");
        Self { chain, deployment, node }
    }

    pub fn escrow(&self) -> Escrow {
        Escrow::new(self.chain.clone(), self.deployment.escrow.address)
    }

    pub fn registry(&self) -> Registry {
        Registry::new(self.chain.clone(), self.deployment.registry.address)
    }

    pub fn ddc(&self) -> osiris_chain::ddc::Ddc {
        let deployed = self.deployment.ddc.as_ref().expect("deploy_all deploys the ddc contract");
        osiris_chain::ddc::Ddc::new(self.chain.clone(), deployed.address)
    }

    pub fn agreements(&self) -> osiris_chain::agreements::Agreements {
        let deployed = self.deployment.agreements.as_ref().expect("deploy_all deploys the agreements contract");
        osiris_chain::agreements::Agreements::new(self.chain.clone(), deployed.address)
    }
}

/// A template condition of `kind` with no time lock, waiting for the conditions at
/// `depends_on` and due `timeout` blocks after the agreement's creation.
pub fn condition(kind: ConditionKind, depends_on: &[u8], timeout: u32) -> ConditionSpec {
    ConditionSpec { kind, depends_on: depends_on.to_vec(), time_lock: 0, timeout }
}

impl Osiris {
    /// Alice, the agreements contract's owner (it deploys the contracts), creates and
    /// whitelists a template of `conditions`; its id.
    pub async fn whitelisted_template(&self, conditions: Vec<ConditionSpec>) -> TemplateId {
        let (agreements, alice) = (self.agreements(), actor("//Alice"));
        let template_id = agreements.create_template(&alice, conditions).await.expect("create_template").value;
        agreements.set_template_whitelisted(&alice, template_id, true).await.expect("set_template_whitelisted");
        template_id
    }
}
