//! # Registry
//!
//! Organizations, the services they sell and the instance groups that serve them.
//! The owner and members of an organization change it; anyone reads it.
//! Every change emits an event from `osiris_contract_types::registry`; every
//! failure is a [`RegistryError`].
#![cfg_attr(not(feature = "std"), no_std, no_main)]

mod org;
mod service;
#[cfg(test)]
mod tests;
mod validate;

pub use osiris_contract_types::registry::*;

#[ink::contract]
mod registry {
    use ink::prelude::{string::String, vec::Vec};
    use ink::storage::{Lazy, Mapping};
    use osiris_contract_types::{registry::*, GroupId, OrgId, ServiceId};

    /// Result of every registry message.
    pub type Result<T> = core::result::Result<T, RegistryError>;

    #[ink(storage)]
    #[derive(Default)]
    pub struct Registry {
        /// Organizations by id.
        pub(crate) orgs: Mapping<OrgId, Organization>,
        /// Services by (organization id, service id).
        pub(crate) services: Mapping<(OrgId, ServiceId), Service>,
        /// Ids of all organizations, in creation order.
        pub(crate) org_ids: Lazy<Vec<OrgId>>,
    }

    impl Registry {
        #[ink(constructor)]
        pub fn new() -> Self {
            Self::default()
        }

        // --- organizations (org.rs) ---

        /// Creates an organization owned by the caller.
        #[ink(message)]
        pub fn create_org(&mut self, org_id: OrgId, metadata: OrgMetadata, members: Vec<AccountId>) -> Result<()> {
            self.do_create_org(org_id, metadata, members)
        }

        /// Replaces an organization's metadata. Owner or member.
        #[ink(message)]
        pub fn update_org_metadata(&mut self, org_id: OrgId, metadata: OrgMetadata) -> Result<()> {
            self.do_update_org_metadata(org_id, metadata)
        }

        /// Passes an organization to a new owner. Owner only.
        #[ink(message)]
        pub fn change_org_owner(&mut self, org_id: OrgId, new_owner: AccountId) -> Result<()> {
            self.do_change_org_owner(org_id, new_owner)
        }

        /// Adds members. Owner or member.
        #[ink(message)]
        pub fn add_org_members(&mut self, org_id: OrgId, members: Vec<AccountId>) -> Result<()> {
            self.do_add_org_members(org_id, members)
        }

        /// Removes members. Owner only.
        #[ink(message)]
        pub fn remove_org_members(&mut self, org_id: OrgId, members: Vec<AccountId>) -> Result<()> {
            self.do_remove_org_members(org_id, members)
        }

        /// Deletes an organization and all its services. Owner only.
        #[ink(message)]
        pub fn delete_org(&mut self, org_id: OrgId) -> Result<()> {
            self.do_delete_org(org_id)
        }

        // --- services (service.rs); owner or member of the organization ---

        /// Creates a service with at least one instance group.
        #[ink(message)]
        pub fn create_service(
            &mut self,
            org_id: OrgId,
            service_id: ServiceId,
            metadata: ServiceMetadata,
            groups: Vec<InstanceGroup>,
        ) -> Result<()> {
            self.do_create_service(org_id, service_id, metadata, groups)
        }

        /// Replaces a service's metadata, price included.
        #[ink(message)]
        pub fn update_service_metadata(
            &mut self,
            org_id: OrgId,
            service_id: ServiceId,
            metadata: ServiceMetadata,
        ) -> Result<()> {
            self.do_update_service_metadata(org_id, service_id, metadata)
        }

        /// Adds an instance group to a service.
        #[ink(message)]
        pub fn add_group(&mut self, org_id: OrgId, service_id: ServiceId, group: InstanceGroup) -> Result<()> {
            self.do_add_group(org_id, service_id, group)
        }

        /// Removes an instance group; a service keeps at least one.
        #[ink(message)]
        pub fn remove_group(&mut self, org_id: OrgId, service_id: ServiceId, group_id: GroupId) -> Result<()> {
            self.do_remove_group(org_id, service_id, group_id)
        }

        /// Adds endpoint URLs to an instance group.
        #[ink(message)]
        pub fn add_endpoints(
            &mut self,
            org_id: OrgId,
            service_id: ServiceId,
            group_id: GroupId,
            endpoints: Vec<String>,
        ) -> Result<()> {
            self.do_add_endpoints(org_id, service_id, group_id, endpoints)
        }

        /// Removes endpoint URLs from an instance group.
        #[ink(message)]
        pub fn remove_endpoints(
            &mut self,
            org_id: OrgId,
            service_id: ServiceId,
            group_id: GroupId,
            endpoints: Vec<String>,
        ) -> Result<()> {
            self.do_remove_endpoints(org_id, service_id, group_id, endpoints)
        }

        /// Deletes a service.
        #[ink(message)]
        pub fn delete_service(&mut self, org_id: OrgId, service_id: ServiceId) -> Result<()> {
            self.do_delete_service(org_id, service_id)
        }

        // --- queries ---

        /// The organization, if it exists.
        #[ink(message)]
        pub fn get_org(&self, org_id: OrgId) -> Option<Organization> {
            self.orgs.get(&org_id)
        }

        /// Ids of all organizations, in creation order.
        #[ink(message)]
        pub fn list_orgs(&self) -> Vec<OrgId> {
            self.org_ids.get_or_default()
        }

        /// The service, if it exists.
        #[ink(message)]
        pub fn get_service(&self, org_id: OrgId, service_id: ServiceId) -> Option<Service> {
            self.services.get(&(org_id, service_id))
        }

        /// The organization's services, in creation order; `None` if the organization does not exist.
        #[ink(message)]
        pub fn list_services(&self, org_id: OrgId) -> Option<Vec<Service>> {
            let org = self.orgs.get(&org_id)?;
            Some(org.services.into_iter().filter_map(|sid| self.services.get(&(org_id.clone(), sid))).collect())
        }
    }
}

pub use registry::{Registry, RegistryRef, Result};
