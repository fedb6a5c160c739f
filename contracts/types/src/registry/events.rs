//! Events of the registry contract. Each carries everything needed to mirror
//! the change without reading the contract's storage.

use super::{InstanceGroup, OrgMetadata, ServiceMetadata};
use crate::{AccountId, GroupId, OrgId, ServiceId};
use alloc::{string::String, vec::Vec};

/// An organization was created by `owner`.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationCreated {
    #[ink(topic)]
    pub org_id: OrgId,
    #[ink(topic)]
    pub owner: AccountId,
    pub members: Vec<AccountId>,
    pub metadata: OrgMetadata,
}

/// An organization's metadata was replaced.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationMetadataUpdated {
    #[ink(topic)]
    pub org_id: OrgId,
    pub metadata: OrgMetadata,
}

/// An organization passed to a new owner.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationOwnerChanged {
    #[ink(topic)]
    pub org_id: OrgId,
    #[ink(topic)]
    pub new_owner: AccountId,
}

/// Accounts became members of an organization.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembersAdded {
    #[ink(topic)]
    pub org_id: OrgId,
    pub members: Vec<AccountId>,
}

/// Accounts stopped being members of an organization.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembersRemoved {
    #[ink(topic)]
    pub org_id: OrgId,
    pub members: Vec<AccountId>,
}

/// An organization was deleted; its services were deleted first, each with a [`ServiceDeleted`].
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationDeleted {
    #[ink(topic)]
    pub org_id: OrgId,
}

/// A service was created with its metadata and groups.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceCreated {
    #[ink(topic)]
    pub org_id: OrgId,
    #[ink(topic)]
    pub service_id: ServiceId,
    pub metadata: ServiceMetadata,
    pub groups: Vec<InstanceGroup>,
}

/// A service's metadata (price included) was replaced.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceMetadataUpdated {
    #[ink(topic)]
    pub org_id: OrgId,
    #[ink(topic)]
    pub service_id: ServiceId,
    pub metadata: ServiceMetadata,
}

/// A service was deleted.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDeleted {
    #[ink(topic)]
    pub org_id: OrgId,
    #[ink(topic)]
    pub service_id: ServiceId,
}

/// An instance group was added to a service.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupAdded {
    #[ink(topic)]
    pub org_id: OrgId,
    #[ink(topic)]
    pub service_id: ServiceId,
    pub group: InstanceGroup,
}

/// An instance group was removed from a service.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRemoved {
    #[ink(topic)]
    pub org_id: OrgId,
    #[ink(topic)]
    pub service_id: ServiceId,
    pub group_id: GroupId,
}

/// Endpoints were added to an instance group.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointsAdded {
    #[ink(topic)]
    pub org_id: OrgId,
    #[ink(topic)]
    pub service_id: ServiceId,
    pub group_id: GroupId,
    pub endpoints: Vec<String>,
}

/// Endpoints were removed from an instance group.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointsRemoved {
    #[ink(topic)]
    pub org_id: OrgId,
    #[ink(topic)]
    pub service_id: ServiceId,
    pub group_id: GroupId,
    pub endpoints: Vec<String>,
}
