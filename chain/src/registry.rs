//! Typed client of the registry contract (dry-run first, like [`crate::escrow`]).

use crate::{account::to_ink, client::CallOutcome, contract::message, AccountId, Chain, ChainError, Signer};
use osiris_contract_types::registry::{
    InstanceGroup, OrgMetadata, Organization, RegistryError, Service, ServiceMetadata,
};

/// The registry contract at `address`.
#[derive(Clone)]
pub struct Registry {
    chain: Chain,
    address: AccountId,
}

impl Registry {
    pub fn new(chain: Chain, address: AccountId) -> Self {
        Self { chain, address }
    }

    /// The contract's account.
    pub fn address(&self) -> &AccountId {
        &self.address
    }

    async fn call(&self, signer: &Signer, data: Vec<u8>, what: &'static str) -> Result<CallOutcome<()>, ChainError> {
        self.chain.call::<(), RegistryError>(signer, &self.address, 0, data, what).await
    }

    pub async fn create_org(
        &self,
        signer: &Signer,
        org_id: &str,
        metadata: OrgMetadata,
        members: &[AccountId],
    ) -> Result<CallOutcome<()>, ChainError> {
        let members: Vec<_> = members.iter().map(to_ink).collect();
        self.call(signer, message("create_org", (org_id, metadata, members)), "create_org").await
    }

    pub async fn update_org_metadata(
        &self,
        signer: &Signer,
        org_id: &str,
        metadata: OrgMetadata,
    ) -> Result<CallOutcome<()>, ChainError> {
        self.call(signer, message("update_org_metadata", (org_id, metadata)), "update_org_metadata").await
    }

    pub async fn change_org_owner(
        &self,
        signer: &Signer,
        org_id: &str,
        new_owner: &AccountId,
    ) -> Result<CallOutcome<()>, ChainError> {
        self.call(signer, message("change_org_owner", (org_id, to_ink(new_owner))), "change_org_owner").await
    }

    pub async fn add_org_members(
        &self,
        signer: &Signer,
        org_id: &str,
        members: &[AccountId],
    ) -> Result<CallOutcome<()>, ChainError> {
        let members: Vec<_> = members.iter().map(to_ink).collect();
        self.call(signer, message("add_org_members", (org_id, members)), "add_org_members").await
    }

    pub async fn remove_org_members(
        &self,
        signer: &Signer,
        org_id: &str,
        members: &[AccountId],
    ) -> Result<CallOutcome<()>, ChainError> {
        let members: Vec<_> = members.iter().map(to_ink).collect();
        self.call(signer, message("remove_org_members", (org_id, members)), "remove_org_members").await
    }

    pub async fn delete_org(&self, signer: &Signer, org_id: &str) -> Result<CallOutcome<()>, ChainError> {
        self.call(signer, message("delete_org", (org_id,)), "delete_org").await
    }

    pub async fn create_service(
        &self,
        signer: &Signer,
        org_id: &str,
        service_id: &str,
        metadata: ServiceMetadata,
        groups: Vec<InstanceGroup>,
    ) -> Result<CallOutcome<()>, ChainError> {
        self.call(signer, message("create_service", (org_id, service_id, metadata, groups)), "create_service").await
    }

    pub async fn update_service_metadata(
        &self,
        signer: &Signer,
        org_id: &str,
        service_id: &str,
        metadata: ServiceMetadata,
    ) -> Result<CallOutcome<()>, ChainError> {
        self.call(signer, message("update_service_metadata", (org_id, service_id, metadata)), "update_service_metadata")
            .await
    }

    pub async fn add_group(
        &self,
        signer: &Signer,
        org_id: &str,
        service_id: &str,
        group: InstanceGroup,
    ) -> Result<CallOutcome<()>, ChainError> {
        self.call(signer, message("add_group", (org_id, service_id, group)), "add_group").await
    }

    pub async fn remove_group(
        &self,
        signer: &Signer,
        org_id: &str,
        service_id: &str,
        group_id: &str,
    ) -> Result<CallOutcome<()>, ChainError> {
        self.call(signer, message("remove_group", (org_id, service_id, group_id)), "remove_group").await
    }

    pub async fn add_endpoints(
        &self,
        signer: &Signer,
        org_id: &str,
        service_id: &str,
        group_id: &str,
        endpoints: Vec<String>,
    ) -> Result<CallOutcome<()>, ChainError> {
        self.call(signer, message("add_endpoints", (org_id, service_id, group_id, endpoints)), "add_endpoints").await
    }

    pub async fn remove_endpoints(
        &self,
        signer: &Signer,
        org_id: &str,
        service_id: &str,
        group_id: &str,
        endpoints: Vec<String>,
    ) -> Result<CallOutcome<()>, ChainError> {
        self.call(signer, message("remove_endpoints", (org_id, service_id, group_id, endpoints)), "remove_endpoints")
            .await
    }

    pub async fn delete_service(
        &self,
        signer: &Signer,
        org_id: &str,
        service_id: &str,
    ) -> Result<CallOutcome<()>, ChainError> {
        self.call(signer, message("delete_service", (org_id, service_id)), "delete_service").await
    }

    pub async fn get_org(&self, org_id: &str) -> Result<Option<Organization>, ChainError> {
        self.chain.query(&self.address, message("get_org", (org_id,)), "get_org").await
    }

    pub async fn list_orgs(&self) -> Result<Vec<String>, ChainError> {
        self.chain.query(&self.address, message("list_orgs", ()), "list_orgs").await
    }

    pub async fn get_service(&self, org_id: &str, service_id: &str) -> Result<Option<Service>, ChainError> {
        self.chain.query(&self.address, message("get_service", (org_id, service_id)), "get_service").await
    }

    pub async fn list_services(&self, org_id: &str) -> Result<Option<Vec<Service>>, ChainError> {
        self.chain.query(&self.address, message("list_services", (org_id,)), "list_services").await
    }
}
