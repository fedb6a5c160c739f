//! Service, instance group and endpoint messages. All need the caller to be
//! the organization's owner or a member.

use crate::{
    org::Role, registry::Registry, validate, InstanceGroup, RegistryError, Result, Service, ServiceMetadata,
    MAX_GROUPS, MAX_SERVICES,
};
use ink::codegen::Env;
use ink::prelude::{string::String, vec::Vec};
use osiris_contract_types::{registry::*, GroupId, OrgId, ServiceId};

impl Registry {
    /// Loads a service after checking that the caller may change its organization.
    fn service_for_change(&self, org_id: &OrgId, service_id: &ServiceId) -> Result<Service> {
        self.org_for_change(org_id, Role::OwnerOrMember)?;
        self.services.get(&(org_id.clone(), service_id.clone())).ok_or(RegistryError::ServiceNotFound)
    }

    fn store_service(&mut self, service: &Service) {
        self.services.insert(&(service.org_id.clone(), service.id.clone()), service);
    }

    pub(crate) fn do_create_service(
        &mut self,
        org_id: OrgId,
        service_id: ServiceId,
        metadata: ServiceMetadata,
        groups: Vec<InstanceGroup>,
    ) -> Result<()> {
        validate::id(&service_id)?;
        validate::service_metadata(&metadata)?;
        let mut org = self.org_for_change(&org_id, Role::OwnerOrMember)?;
        if groups.is_empty() {
            return Err(RegistryError::LastGroup);
        }
        if groups.len() > MAX_GROUPS || org.services.len() >= MAX_SERVICES {
            return Err(RegistryError::TooMany);
        }
        for (i, g) in groups.iter().enumerate() {
            validate::group(g, &groups[..i])?;
        }
        if org.services.contains(&service_id) {
            return Err(RegistryError::ServiceExists);
        }
        org.services.push(service_id.clone());
        self.orgs.insert(&org_id, &org);
        let service = Service {
            org_id: org_id.clone(),
            id: service_id.clone(),
            metadata: metadata.clone(),
            groups: groups.clone(),
        };
        self.store_service(&service);
        self.env().emit_event(ServiceCreated { org_id, service_id, metadata, groups });
        Ok(())
    }

    pub(crate) fn do_update_service_metadata(
        &mut self,
        org_id: OrgId,
        service_id: ServiceId,
        metadata: ServiceMetadata,
    ) -> Result<()> {
        validate::service_metadata(&metadata)?;
        let mut service = self.service_for_change(&org_id, &service_id)?;
        service.metadata = metadata.clone();
        self.store_service(&service);
        self.env().emit_event(ServiceMetadataUpdated { org_id, service_id, metadata });
        Ok(())
    }

    pub(crate) fn do_add_group(&mut self, org_id: OrgId, service_id: ServiceId, group: InstanceGroup) -> Result<()> {
        let mut service = self.service_for_change(&org_id, &service_id)?;
        validate::group(&group, &service.groups)?;
        if service.groups.len() >= MAX_GROUPS {
            return Err(RegistryError::TooMany);
        }
        service.groups.push(group.clone());
        self.store_service(&service);
        self.env().emit_event(GroupAdded { org_id, service_id, group });
        Ok(())
    }

    pub(crate) fn do_remove_group(&mut self, org_id: OrgId, service_id: ServiceId, group_id: GroupId) -> Result<()> {
        let mut service = self.service_for_change(&org_id, &service_id)?;
        let at = service.groups.iter().position(|g| g.id == group_id).ok_or(RegistryError::GroupNotFound)?;
        if service.groups.len() == 1 {
            return Err(RegistryError::LastGroup);
        }
        service.groups.remove(at);
        self.store_service(&service);
        self.env().emit_event(GroupRemoved { org_id, service_id, group_id });
        Ok(())
    }

    pub(crate) fn do_add_endpoints(
        &mut self,
        org_id: OrgId,
        service_id: ServiceId,
        group_id: GroupId,
        endpoints: Vec<String>,
    ) -> Result<()> {
        let mut service = self.service_for_change(&org_id, &service_id)?;
        let group = group_mut(&mut service, &group_id)?;
        validate::endpoints(&endpoints, &group.endpoints)?;
        group.endpoints.extend(endpoints.iter().cloned());
        self.store_service(&service);
        self.env().emit_event(EndpointsAdded { org_id, service_id, group_id, endpoints });
        Ok(())
    }

    pub(crate) fn do_remove_endpoints(
        &mut self,
        org_id: OrgId,
        service_id: ServiceId,
        group_id: GroupId,
        endpoints: Vec<String>,
    ) -> Result<()> {
        let mut service = self.service_for_change(&org_id, &service_id)?;
        let group = group_mut(&mut service, &group_id)?;
        for e in &endpoints {
            let at = group.endpoints.iter().position(|x| x == e).ok_or(RegistryError::EndpointNotFound)?;
            group.endpoints.remove(at);
        }
        self.store_service(&service);
        self.env().emit_event(EndpointsRemoved { org_id, service_id, group_id, endpoints });
        Ok(())
    }

    pub(crate) fn do_delete_service(&mut self, org_id: OrgId, service_id: ServiceId) -> Result<()> {
        let mut org = self.org_for_change(&org_id, Role::OwnerOrMember)?;
        let at = org.services.iter().position(|s| *s == service_id).ok_or(RegistryError::ServiceNotFound)?;
        org.services.remove(at);
        self.orgs.insert(&org_id, &org);
        self.services.remove(&(org_id.clone(), service_id.clone()));
        self.env().emit_event(ServiceDeleted { org_id, service_id });
        Ok(())
    }
}

fn group_mut<'a>(service: &'a mut Service, group_id: &str) -> Result<&'a mut InstanceGroup> {
    service.groups.iter_mut().find(|g| g.id == group_id).ok_or(RegistryError::GroupNotFound)
}
