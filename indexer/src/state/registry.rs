//! The registry contract's state (organizations, services, their groups and endpoints),
//! folded from its events.

use super::{remove_each, Position, Snapshot, StateError};
use crate::decode::RegistryEvent;
use crate::json::account;
use osiris_contract_types::registry::{InstanceGroup, OrgMetadata, ServiceMetadata};
use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRow {
    pub org_id: String,
    pub owner: String,
    pub members: Vec<String>,
    pub name: String,
    pub uri: String,
    pub content_hash: Vec<u8>,
    pub created: Position,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    pub group_id: String,
    pub payment_recipient: String,
    pub endpoints: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRow {
    pub org_id: String,
    pub service_id: String,
    pub name: String,
    pub uri: String,
    pub content_hash: Vec<u8>,
    /// Planck per call.
    pub price_per_call: u128,
    /// In the contract's order.
    pub groups: Vec<GroupRow>,
    pub created: Position,
}

/// Keys of the registry rows that events name.
#[derive(Debug, Default)]
pub struct Keys {
    pub orgs: HashSet<String>,
    /// (organization, service).
    pub services: HashSet<(String, String)>,
}

/// Adds the organization and service `ev` changes to `keys`.
pub fn add_keys(keys: &mut Keys, ev: &RegistryEvent) {
    let (org, service) = registry_keys(ev);
    if let Some(service) = service {
        keys.services.insert((org.clone(), service));
    }
    keys.orgs.insert(org);
}

fn registry_keys(ev: &RegistryEvent) -> (String, Option<String>) {
    use RegistryEvent::*;
    match ev {
        OrganizationCreated(x) => (x.org_id.clone(), None),
        OrganizationMetadataUpdated(x) => (x.org_id.clone(), None),
        OrganizationOwnerChanged(x) => (x.org_id.clone(), None),
        MembersAdded(x) => (x.org_id.clone(), None),
        MembersRemoved(x) => (x.org_id.clone(), None),
        OrganizationDeleted(x) => (x.org_id.clone(), None),
        ServiceCreated(x) => (x.org_id.clone(), Some(x.service_id.clone())),
        ServiceMetadataUpdated(x) => (x.org_id.clone(), Some(x.service_id.clone())),
        ServiceDeleted(x) => (x.org_id.clone(), Some(x.service_id.clone())),
        GroupAdded(x) => (x.org_id.clone(), Some(x.service_id.clone())),
        GroupRemoved(x) => (x.org_id.clone(), Some(x.service_id.clone())),
        EndpointsAdded(x) => (x.org_id.clone(), Some(x.service_id.clone())),
        EndpointsRemoved(x) => (x.org_id.clone(), Some(x.service_id.clone())),
    }
}

fn org_row(org_id: &str, owner: String, members: Vec<String>, m: &OrgMetadata, created: Position) -> OrgRow {
    OrgRow {
        org_id: org_id.to_string(),
        owner,
        members,
        name: m.name.clone(),
        uri: m.uri.clone(),
        content_hash: m.content_hash.to_vec(),
        created,
    }
}

fn group_row(g: &InstanceGroup) -> GroupRow {
    GroupRow {
        group_id: g.id.clone(),
        payment_recipient: account(&g.payment_recipient),
        endpoints: g.endpoints.clone(),
    }
}

fn set_service_metadata(row: &mut ServiceRow, m: &ServiceMetadata) {
    row.name = m.name.clone();
    row.uri = m.uri.clone();
    row.content_hash = m.content_hash.to_vec();
    row.price_per_call = m.price_per_call;
}

impl Snapshot {
    pub(super) fn org(&mut self, id: &str) -> Result<&mut OrgRow, StateError> {
        self.orgs.get_mut(id).and_then(Option::as_mut).ok_or_else(|| StateError::Missing(format!("organization {id}")))
    }

    pub(super) fn service(&mut self, org: &str, id: &str) -> Result<&mut ServiceRow, StateError> {
        self.services
            .get_mut(&(org.to_string(), id.to_string()))
            .and_then(Option::as_mut)
            .ok_or_else(|| StateError::Missing(format!("service {org}/{id}")))
    }

    pub(super) fn group(&mut self, org: &str, service: &str, group: &str) -> Result<&mut GroupRow, StateError> {
        self.service(org, service)?
            .groups
            .iter_mut()
            .find(|g| g.group_id == group)
            .ok_or_else(|| StateError::Missing(format!("group {org}/{service}/{group}")))
    }
}

/// Applies one registry event at position `at`, as the contract changed its storage.
pub fn apply(s: &mut Snapshot, ev: &RegistryEvent, at: Position) -> Result<(), StateError> {
    use RegistryEvent::*;
    match ev {
        OrganizationCreated(x) => {
            let members = x.members.iter().map(account).collect();
            s.orgs.insert(x.org_id.clone(), Some(org_row(&x.org_id, account(&x.owner), members, &x.metadata, at)));
        }
        OrganizationMetadataUpdated(x) => {
            let org = s.org(&x.org_id)?;
            *org = org_row(&x.org_id, org.owner.clone(), org.members.clone(), &x.metadata, org.created);
        }
        OrganizationOwnerChanged(x) => {
            let org = s.org(&x.org_id)?;
            let owner = account(&x.new_owner);
            org.members.retain(|m| *m != owner);
            org.owner = owner;
        }
        MembersAdded(x) => s.org(&x.org_id)?.members.extend(x.members.iter().map(account)),
        MembersRemoved(x) => {
            let gone: Vec<String> = x.members.iter().map(account).collect();
            remove_each(&mut s.org(&x.org_id)?.members, &gone);
        }
        OrganizationDeleted(x) => {
            s.org(&x.org_id)?;
            s.orgs.insert(x.org_id.clone(), None);
        }
        ServiceCreated(x) => {
            let mut row = ServiceRow {
                org_id: x.org_id.clone(),
                service_id: x.service_id.clone(),
                name: String::new(),
                uri: String::new(),
                content_hash: Vec::new(),
                price_per_call: 0,
                groups: x.groups.iter().map(group_row).collect(),
                created: at,
            };
            set_service_metadata(&mut row, &x.metadata);
            s.services.insert((x.org_id.clone(), x.service_id.clone()), Some(row));
        }
        ServiceMetadataUpdated(x) => set_service_metadata(s.service(&x.org_id, &x.service_id)?, &x.metadata),
        ServiceDeleted(x) => {
            s.service(&x.org_id, &x.service_id)?;
            s.services.insert((x.org_id.clone(), x.service_id.clone()), None);
        }
        GroupAdded(x) => s.service(&x.org_id, &x.service_id)?.groups.push(group_row(&x.group)),
        GroupRemoved(x) => s.service(&x.org_id, &x.service_id)?.groups.retain(|g| g.group_id != x.group_id),
        EndpointsAdded(x) => {
            s.group(&x.org_id, &x.service_id, &x.group_id)?.endpoints.extend(x.endpoints.iter().cloned())
        }
        EndpointsRemoved(x) => {
            remove_each(&mut s.group(&x.org_id, &x.service_id, &x.group_id)?.endpoints, &x.endpoints)
        }
    }
    Ok(())
}
