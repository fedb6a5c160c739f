//! Events of the ddc contract. Values after the change are included so that a mirror
//! never has to read contract storage.

use super::{BucketId, ClusterId, NodeId, Permission, ProviderShare, Resource};
use crate::{AccountId, Balance, BlockNumber};
use alloc::string::String;
use alloc::vec::Vec;

/// Planck deposited into an account.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DdcDeposited {
    #[ink(topic)]
    pub account: AccountId,
    pub amount: Balance,
    /// The account's deposit after it.
    pub deposit: Balance,
}

/// Planck withdrawn from an account to its free balance.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DdcWithdrawn {
    #[ink(topic)]
    pub account: AccountId,
    pub amount: Balance,
    pub deposit: Balance,
}

/// A node was registered.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeCreated {
    #[ink(topic)]
    pub node_id: NodeId,
    #[ink(topic)]
    pub owner: AccountId,
    pub capacity: Resource,
    pub rent_per_vnode: Balance,
    pub url: String,
}

/// A node's parameters changed (its free resource follows its capacity).
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeChanged {
    #[ink(topic)]
    pub node_id: NodeId,
    pub capacity: Resource,
    pub free_resource: Resource,
    pub rent_per_vnode: Balance,
    pub url: String,
}

/// A provider trusts (or no longer trusts) a manager with its nodes.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerTrustChanged {
    #[ink(topic)]
    pub provider: AccountId,
    #[ink(topic)]
    pub manager: AccountId,
    pub trusted: bool,
}

/// A cluster was created, reserving `resource_per_vnode` on the node of each vnode.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterCreated {
    #[ink(topic)]
    pub cluster_id: ClusterId,
    #[ink(topic)]
    pub manager: AccountId,
    pub vnodes: Vec<NodeId>,
    pub resource_per_vnode: Resource,
    pub rent_per_resource: Balance,
    pub manager_fee_bp: u32,
}

/// The cluster reserved `added` more resource per vnode.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterResourceReserved {
    #[ink(topic)]
    pub cluster_id: ClusterId,
    pub added: Resource,
    pub resource_per_vnode: Resource,
}

/// Vnode `vnode` moved from node `from` to node `to`.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterNodeReplaced {
    #[ink(topic)]
    pub cluster_id: ClusterId,
    pub vnode: u32,
    pub from: NodeId,
    pub to: NodeId,
}

/// Vnode `vnode` (its index before the removal) left the cluster; the vnodes after it
/// move down by one. Its node's reserved resource is free again.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterVnodeRemoved {
    #[ink(topic)]
    pub cluster_id: ClusterId,
    pub vnode: u32,
    pub node_id: NodeId,
}

/// The cluster was handed to another manager.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterManagerChanged {
    #[ink(topic)]
    pub cluster_id: ClusterId,
    pub from: AccountId,
    #[ink(topic)]
    pub to: AccountId,
}

/// The cluster's revenues were distributed: fees first, then equal parts per vnode to
/// the providers; `kept` (the rounding rest) stays in the cluster.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterRevenuesDistributed {
    #[ink(topic)]
    pub cluster_id: ClusterId,
    pub total: Balance,
    /// Paid to the deployment's network fee account.
    pub network_fee: Balance,
    pub network_fee_account: AccountId,
    /// Paid to the cluster's manager.
    pub manager_fee: Balance,
    pub shares: Vec<ProviderShare>,
    pub kept: Balance,
}

/// A bucket was created.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketCreated {
    #[ink(topic)]
    pub bucket_id: BucketId,
    #[ink(topic)]
    pub owner: AccountId,
    pub cluster_id: ClusterId,
    pub metadata: String,
    pub settled_until: BlockNumber,
}

/// A bucket's resource allocated into its cluster changed.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketAllocated {
    #[ink(topic)]
    pub bucket_id: BucketId,
    pub resource: Resource,
    pub cluster_resource_used: Resource,
    pub rent_per_block: Balance,
}

/// A bucket's rent was settled: `paid` moved from the owner's deposit to the cluster.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketSettled {
    #[ink(topic)]
    pub bucket_id: BucketId,
    #[ink(topic)]
    pub owner: AccountId,
    pub cluster_id: ClusterId,
    pub paid: Balance,
    pub settled_until: BlockNumber,
    pub owner_deposit: Balance,
    pub cluster_revenues: Balance,
}

/// The bucket's owner granted or revoked a permission.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketPermissionChanged {
    #[ink(topic)]
    pub bucket_id: BucketId,
    #[ink(topic)]
    pub account: AccountId,
    pub permission: Permission,
    pub granted: bool,
}
