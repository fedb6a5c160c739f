//! What the registry stores.

use crate::{AccountId, Balance, GroupId, OrgId, ServiceId};
use alloc::{string::String, vec::Vec};

/// Longest organization or service name, in bytes.
pub const MAX_NAME_LEN: usize = 128;
/// Longest metadata URI or endpoint URL, in bytes.
pub const MAX_URI_LEN: usize = 256;
/// Most members an organization may have (the owner not counted).
pub const MAX_MEMBERS: usize = 32;
/// Most instance groups a service may have.
pub const MAX_GROUPS: usize = 16;
/// Most endpoints an instance group may have.
pub const MAX_ENDPOINTS: usize = 16;
/// Most services an organization may have.
pub const MAX_SERVICES: usize = 256;

/// Descriptive data of an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct OrgMetadata {
    /// Display name, at most [`MAX_NAME_LEN`] bytes.
    pub name: String,
    /// Where the full description lives (e.g. `ipfs://…`), at most [`MAX_URI_LEN`] bytes; may be empty.
    pub uri: String,
    /// blake2-256 of the document at `uri` (all zero when there is none).
    pub content_hash: [u8; 32],
}

/// An organization: the owner and members may change it and its services.
#[derive(Debug, Clone, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct Organization {
    pub id: OrgId,
    /// The only account that may change the owner, remove members or delete the organization.
    pub owner: AccountId,
    /// Accounts that may change the organization's metadata and services.
    pub members: Vec<AccountId>,
    pub metadata: OrgMetadata,
    /// Ids of the organization's services, in creation order.
    pub services: Vec<ServiceId>,
}

/// Descriptive and commercial data of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct ServiceMetadata {
    /// Display name, at most [`MAX_NAME_LEN`] bytes.
    pub name: String,
    /// Where the full description (API, proto files) lives, at most [`MAX_URI_LEN`] bytes; may be empty.
    pub uri: String,
    /// blake2-256 of the document at `uri` (all zero when there is none).
    pub content_hash: [u8; 32],
    /// Price of one call, in planck.
    pub price_per_call: Balance,
}

/// A set of replicas of a service that share one payment recipient and one payment state.
/// Consumers open escrow channels to (`payment_recipient`, `id`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct InstanceGroup {
    pub id: GroupId,
    /// The account that claims the group's payment channels.
    pub payment_recipient: AccountId,
    /// Gateway URLs of the group's replicas (e.g. `http://10.0.0.5:7000`), each at most [`MAX_URI_LEN`] bytes.
    pub endpoints: Vec<String>,
}

/// A service offered by an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct Service {
    pub org_id: OrgId,
    pub id: ServiceId,
    pub metadata: ServiceMetadata,
    /// At least one group, at most [`MAX_GROUPS`], ids unique.
    pub groups: Vec<InstanceGroup>,
}

impl Service {
    /// The group with id `group_id`, if the service has one.
    pub fn group(&self, group_id: &str) -> Option<&InstanceGroup> {
        self.groups.iter().find(|g| g.id == group_id)
    }
}
