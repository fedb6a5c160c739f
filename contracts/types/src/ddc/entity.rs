//! What the ddc contract stores, takes and returns.

use crate::{AccountId, Balance, BlockNumber};
use alloc::string::String;
use alloc::vec::Vec;

id_newtype! {
    /// Node id, assigned by the contract from 0 upwards.
    NodeId(u32)
}
id_newtype! {
    /// Cluster id, assigned from 0 upwards.
    ClusterId(u32)
}
id_newtype! {
    /// Bucket id, assigned from 0 upwards.
    BucketId(u32)
}
/// Resource units (the unit is the cluster's, e.g. GiB of storage).
pub type Resource = u32;

/// Most vnodes a cluster may have.
pub const MAX_VNODES: usize = 64;
/// Most buckets one account may own (its rent is computed over all of them).
pub const MAX_BUCKETS_PER_ACCOUNT: usize = 32;
/// Most readers plus writers one bucket may have.
pub const MAX_PERMISSIONS: usize = 32;
/// Longest node URL or bucket metadata, bytes.
pub const MAX_DDC_TEXT_LEN: usize = 256;
/// Most items a list query returns.
pub const MAX_PAGE: u32 = 100;
/// Fees are in basis points: 10,000 = 100 %.
pub const BASIS_POINTS: u32 = 10_000;

/// A provider's storage node.
#[derive(Debug, Clone, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct Node {
    pub owner: AccountId,
    /// Resource the node offers in all.
    pub capacity: Resource,
    /// Resource not yet reserved by clusters.
    pub free_resource: Resource,
    /// Rent of one vnode on this node, planck per block.
    pub rent_per_vnode: Balance,
    /// Where the node's gateway answers (e.g. `https://node1.example:7000`).
    pub url: String,
}

/// A cluster of vnodes; vnode `i` lives on node `vnodes[i]`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct Cluster {
    pub manager: AccountId,
    /// The node each vnode is mapped onto.
    pub vnodes: Vec<NodeId>,
    /// Resource each vnode reserves on its node.
    pub resource_per_vnode: Resource,
    /// Resource the cluster's buckets have allocated.
    pub resource_used: Resource,
    /// Rent of one resource unit, planck per block: the vnodes' rents over the cluster's
    /// resource, rounded up, fixed at creation.
    pub rent_per_resource: Balance,
    /// The manager's share of distributed revenues, basis points.
    pub manager_fee_bp: u32,
    /// Rent collected from buckets and not yet distributed, planck.
    pub revenues: Balance,
}

impl Cluster {
    /// Resource the cluster offers: `resource_per_vnode × vnodes`.
    pub fn capacity(&self) -> Resource {
        let vnodes = Resource::try_from(self.vnodes.len()).unwrap_or(Resource::MAX);
        self.resource_per_vnode.saturating_mul(vnodes)
    }
}

/// An app's bucket in a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct Bucket {
    pub owner: AccountId,
    pub cluster_id: ClusterId,
    /// Free text the owner chose (e.g. a JSON description), at most `MAX_DDC_TEXT_LEN` bytes.
    pub metadata: String,
    /// Resource allocated into the cluster.
    pub resource: Resource,
    /// Rent accrues from this block on: everything before it is paid.
    pub settled_until: BlockNumber,
    pub writers: Vec<AccountId>,
    pub readers: Vec<AccountId>,
}

/// An account's deposit and the buckets whose rent it pays.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct Account {
    /// Planck held for the account (deposits, and revenues of providers and managers).
    pub deposit: Balance,
    /// Buckets it owns.
    pub buckets: Vec<BucketId>,
}

/// A bucket as queried: the bucket, its rent and whether the owner's deposit covers it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
pub struct BucketStatus {
    pub bucket_id: BucketId,
    pub bucket: Bucket,
    /// Rent of the bucket, planck per block.
    pub rent_per_block: Balance,
    /// The owner's deposit covers all its buckets' rent up to (excluding) this block.
    pub rent_covered_until: BlockNumber,
}

/// A reader may get objects; a writer may also put and delete them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
pub enum Permission {
    Reader,
    Writer,
}

/// One provider's part of a distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
pub struct ProviderShare {
    pub provider: AccountId,
    /// Vnodes of the cluster on this provider's nodes.
    pub vnodes: u32,
    pub amount: Balance,
}
