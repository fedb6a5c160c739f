//! Why a ddc message failed.

/// Every way a ddc message can fail. Returned as `Err`, never as a trap; on chain an `Err`
/// reverts all of the message's state changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
pub enum DdcError {
    /// The amount is zero where a positive amount is required.
    ZeroAmount,
    /// An amount or counter would overflow.
    Overflow,
    /// The deposit is lower than the amount (or than the rent already owed).
    InsufficientDeposit,
    /// The chain refused to transfer the withdrawal.
    TransferFailed,
    NodeNotFound,
    ClusterNotFound,
    BucketNotFound,
    /// Only the node's owner may change it.
    NotNodeOwner,
    /// Only the cluster's manager may do this.
    NotClusterManager,
    /// Only the bucket's owner may do this.
    NotBucketOwner,
    /// Only the bucket's owner or its cluster's manager may report its resource.
    NotBucketOwnerOrManager,
    /// The node's owner does not trust the cluster's manager.
    ManagerNotTrusted,
    /// A node has less free resource than the vnodes mapped onto it need.
    InsufficientNodeResource,
    /// The cluster has less free resource than the allocation needs.
    InsufficientClusterResource,
    /// A cluster needs 1..=`MAX_VNODES` vnodes and a positive resource per vnode.
    InvalidVnodes,
    /// No vnode with this index in the cluster.
    VnodeNotFound,
    /// A fee above 10,000 basis points, or fees adding up to more than that.
    InvalidFee,
    /// A URL or metadata text is empty (URL) or longer than `MAX_DDC_TEXT_LEN` bytes.
    InvalidText,
    /// The account owns `MAX_BUCKETS_PER_ACCOUNT` buckets already.
    TooManyBuckets,
    /// The bucket has `MAX_PERMISSIONS` readers and writers already.
    TooManyPermissions,
    /// The capacity would fall below what clusters have reserved on the node.
    CapacityBelowReserved,
    /// Nothing to distribute: the cluster collected no revenues (or less than one per vnode).
    NothingToDistribute,
    /// A cluster keeps at least one vnode: remove the cluster's buckets' data elsewhere first.
    LastVnode,
    /// The node holds no vnode of the cluster.
    NodeNotInCluster,
}
