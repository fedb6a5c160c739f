//! Organization messages.

use crate::{registry::Registry, validate, OrgMetadata, Organization, RegistryError, Result, MAX_MEMBERS};
use ink::codegen::Env;
use ink::prelude::vec::Vec;
use osiris_contract_types::{registry::*, AccountId, OrgId};

/// Who may perform a change to an organization.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Owner,
    OwnerOrMember,
}

impl Registry {
    /// Loads `org_id` and checks that the caller holds `role` in it.
    pub(crate) fn org_for_change(&self, org_id: &OrgId, role: Role) -> Result<Organization> {
        let org = self.orgs.get(org_id).ok_or(RegistryError::OrganizationNotFound)?;
        let caller = self.env().caller();
        let allowed = org.owner == caller || (role == Role::OwnerOrMember && org.members.contains(&caller));
        allowed.then_some(org).ok_or(RegistryError::NotAuthorized)
    }

    pub(crate) fn do_create_org(
        &mut self,
        org_id: OrgId,
        metadata: OrgMetadata,
        members: Vec<AccountId>,
    ) -> Result<()> {
        validate::id(&org_id)?;
        validate::org_metadata(&metadata)?;
        if self.orgs.contains(&org_id) {
            return Err(RegistryError::OrganizationExists);
        }
        let owner = self.env().caller();
        let org = Organization {
            id: org_id.clone(),
            owner,
            members: Vec::new(),
            metadata: metadata.clone(),
            services: Vec::new(),
        };
        let org = with_members_added(org, &members)?;
        self.orgs.insert(&org_id, &org);
        let mut ids = self.org_ids.get_or_default();
        ids.push(org_id.clone());
        self.org_ids.set(&ids);
        self.env().emit_event(OrganizationCreated { org_id, owner, members: org.members, metadata });
        Ok(())
    }

    pub(crate) fn do_update_org_metadata(&mut self, org_id: OrgId, metadata: OrgMetadata) -> Result<()> {
        validate::org_metadata(&metadata)?;
        let mut org = self.org_for_change(&org_id, Role::OwnerOrMember)?;
        org.metadata = metadata.clone();
        self.orgs.insert(&org_id, &org);
        self.env().emit_event(OrganizationMetadataUpdated { org_id, metadata });
        Ok(())
    }

    pub(crate) fn do_change_org_owner(&mut self, org_id: OrgId, new_owner: AccountId) -> Result<()> {
        let mut org = self.org_for_change(&org_id, Role::Owner)?;
        // A member who becomes owner is no longer listed as a member.
        org.members.retain(|m| *m != new_owner);
        org.owner = new_owner;
        self.orgs.insert(&org_id, &org);
        self.env().emit_event(OrganizationOwnerChanged { org_id, new_owner });
        Ok(())
    }

    pub(crate) fn do_add_org_members(&mut self, org_id: OrgId, members: Vec<AccountId>) -> Result<()> {
        let org = self.org_for_change(&org_id, Role::OwnerOrMember)?;
        let org = with_members_added(org, &members)?;
        self.orgs.insert(&org_id, &org);
        self.env().emit_event(MembersAdded { org_id, members });
        Ok(())
    }

    pub(crate) fn do_remove_org_members(&mut self, org_id: OrgId, members: Vec<AccountId>) -> Result<()> {
        let mut org = self.org_for_change(&org_id, Role::Owner)?;
        for m in &members {
            let at = org.members.iter().position(|x| x == m).ok_or(RegistryError::MemberNotFound)?;
            org.members.remove(at);
        }
        self.orgs.insert(&org_id, &org);
        self.env().emit_event(MembersRemoved { org_id, members });
        Ok(())
    }

    pub(crate) fn do_delete_org(&mut self, org_id: OrgId) -> Result<()> {
        let org = self.org_for_change(&org_id, Role::Owner)?;
        for service_id in org.services {
            self.services.remove(&(org_id.clone(), service_id.clone()));
            self.env().emit_event(ServiceDeleted { org_id: org_id.clone(), service_id });
        }
        self.orgs.remove(&org_id);
        let mut ids = self.org_ids.get_or_default();
        ids.retain(|id| *id != org_id);
        self.org_ids.set(&ids);
        self.env().emit_event(OrganizationDeleted { org_id });
        Ok(())
    }
}

/// `org` with `members` appended; each must be new (neither owner nor member, nor repeated).
fn with_members_added(mut org: Organization, members: &[AccountId]) -> Result<Organization> {
    for m in members {
        if *m == org.owner || org.members.contains(m) {
            return Err(RegistryError::MemberExists);
        }
        org.members.push(*m);
    }
    if org.members.len() > MAX_MEMBERS {
        return Err(RegistryError::TooMany);
    }
    Ok(org)
}
