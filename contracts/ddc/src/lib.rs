//! # DDC: clusters, nodes and buckets
//!
//! Storage capacity sold by the block. Providers register **nodes** and trust
//! **managers**; a manager forms a **cluster** of virtual nodes (vnodes), each mapped onto
//! a node of a provider that trusts it, reserving resource on it. Apps create **buckets**
//! in a cluster, deposit funds into their **account** and allocate resource into the
//! cluster; rent accrues per block at the cluster's rent per resource unit, is settled from
//! the owner's deposit into the cluster's revenues, and is distributed to the providers by
//! vnodes after a manager fee and a network fee set at deployment.
//!
//! Invariant: the planck the contract holds for users equals the sum of all account
//! deposits and all clusters' undistributed revenues. A deposit never goes negative: rent
//! that the deposit cannot cover stays unsettled, and the bucket's status shows the block
//! up to which its rent is covered. Every change emits an event; every failure is a
//! [`DdcError`].
#![cfg_attr(not(feature = "std"), no_std, no_main)]

mod account;
mod bucket;
mod cluster;
mod node;
#[cfg(test)]
mod tests;

pub use osiris_contract_types::ddc::*;

#[ink::contract]
mod ddc {
    use ink::prelude::{string::String, vec::Vec};
    use ink::storage::Mapping;
    use osiris_contract_types::ddc::*;

    /// Result of every ddc message.
    pub type Result<T> = core::result::Result<T, DdcError>;

    #[ink(storage)]
    pub struct Ddc {
        pub(crate) accounts: Mapping<AccountId, Account>,
        pub(crate) nodes: Mapping<NodeId, Node>,
        pub(crate) next_node_id: NodeId,
        /// (provider, manager) pairs: the provider's nodes may serve the manager's clusters.
        pub(crate) trust: Mapping<(AccountId, AccountId), ()>,
        pub(crate) clusters: Mapping<ClusterId, Cluster>,
        pub(crate) next_cluster_id: ClusterId,
        pub(crate) buckets: Mapping<BucketId, Bucket>,
        pub(crate) next_bucket_id: BucketId,
        /// The network's share of every distribution, basis points, and who receives it.
        pub(crate) network_fee_bp: u32,
        pub(crate) network_fee_account: AccountId,
    }

    impl Ddc {
        /// A ddc contract whose distributions give `network_fee_bp` basis points to
        /// `network_fee_account`'s deposit.
        #[ink(constructor)]
        pub fn new(network_fee_bp: u32, network_fee_account: AccountId) -> Result<Self> {
            if network_fee_bp > BASIS_POINTS {
                return Err(DdcError::InvalidFee);
            }
            Ok(Self {
                accounts: Mapping::default(),
                nodes: Mapping::default(),
                next_node_id: NodeId(0),
                trust: Mapping::default(),
                clusters: Mapping::default(),
                next_cluster_id: ClusterId(0),
                buckets: Mapping::default(),
                next_bucket_id: BucketId(0),
                network_fee_bp,
                network_fee_account,
            })
        }

        // --- accounts (account.rs) ---

        /// Adds the transferred value to the caller's deposit.
        #[ink(message, payable)]
        pub fn account_deposit(&mut self) -> Result<()> {
            self.do_deposit()
        }

        /// Sends `amount` planck of the caller's deposit to its free balance; only what is
        /// not owed as rent of its buckets.
        #[ink(message)]
        pub fn account_withdraw(&mut self, amount: Balance) -> Result<()> {
            self.do_withdraw(amount)
        }

        // --- nodes (node.rs) ---

        /// Registers a node of the caller with `capacity` resource at `rent_per_vnode`
        /// planck per block, answering at `url`; returns its id.
        #[ink(message)]
        pub fn node_create(&mut self, capacity: Resource, rent_per_vnode: Balance, url: String) -> Result<NodeId> {
            self.do_node_create(capacity, rent_per_vnode, url)
        }

        /// Changes a node's capacity (not below what clusters reserved), rent (for clusters
        /// created from now on) and URL. Owner only.
        #[ink(message)]
        pub fn node_change_params(
            &mut self,
            node_id: NodeId,
            capacity: Resource,
            rent_per_vnode: Balance,
            url: String,
        ) -> Result<()> {
            self.do_node_change_params(node_id, capacity, rent_per_vnode, url)
        }

        /// The caller's nodes may from now on serve `manager`'s clusters.
        #[ink(message)]
        pub fn node_trust_manager(&mut self, manager: AccountId) -> Result<()> {
            self.do_trust(manager, true)
        }

        /// The caller's nodes may no longer be added to `manager`'s clusters (vnodes already
        /// on them stay until replaced).
        #[ink(message)]
        pub fn node_distrust_manager(&mut self, manager: AccountId) -> Result<()> {
            self.do_trust(manager, false)
        }

        // --- clusters (cluster.rs) ---

        /// Creates a cluster managed by the caller whose vnode `i` is on node `vnodes[i]`,
        /// each reserving `resource_per_vnode` on its node; the manager takes
        /// `manager_fee_bp` of every distribution. Returns its id.
        #[ink(message)]
        pub fn cluster_create(
            &mut self,
            vnodes: Vec<NodeId>,
            resource_per_vnode: Resource,
            manager_fee_bp: u32,
        ) -> Result<ClusterId> {
            self.do_cluster_create(vnodes, resource_per_vnode, manager_fee_bp)
        }

        /// Reserves `amount` more resource per vnode on the cluster's nodes. Manager only.
        #[ink(message)]
        pub fn cluster_reserve_resource(&mut self, cluster_id: ClusterId, amount: Resource) -> Result<()> {
            self.do_cluster_reserve(cluster_id, amount)
        }

        /// Moves vnode `vnode` onto node `node_id` (whose owner trusts the manager). Manager only.
        #[ink(message)]
        pub fn cluster_replace_node(&mut self, cluster_id: ClusterId, vnode: u32, node_id: NodeId) -> Result<()> {
            self.do_cluster_replace_node(cluster_id, vnode, node_id)
        }

        /// Removes vnode `vnode` (an index; the later vnodes move down by one) and frees its
        /// resource on its node. The revenues collected so far are distributed first, among
        /// the vnodes that served. A cluster keeps one vnode at least and room for what its
        /// buckets allocated. Manager only.
        #[ink(message)]
        pub fn cluster_remove_vnode(&mut self, cluster_id: ClusterId, vnode: u32) -> Result<()> {
            self.do_cluster_remove_vnode(cluster_id, vnode)
        }

        /// Removes every vnode on node `node_id` (one that failed its audits, say), as
        /// `cluster_remove_vnode` does for each. Manager only.
        #[ink(message)]
        pub fn cluster_remove_node(&mut self, cluster_id: ClusterId, node_id: NodeId) -> Result<()> {
            self.do_cluster_remove_node(cluster_id, node_id)
        }

        /// Hands the cluster to manager `manager` (its nodes' owners decide whether they
        /// trust it for further vnodes). Manager only.
        #[ink(message)]
        pub fn cluster_set_manager(&mut self, cluster_id: ClusterId, manager: AccountId) -> Result<()> {
            self.do_cluster_set_manager(cluster_id, manager)
        }

        /// Pays out the cluster's revenues: the network fee, the manager fee, then equal
        /// parts per vnode to the owners of the vnodes' nodes (into their deposits).
        #[ink(message)]
        pub fn cluster_distribute_revenues(&mut self, cluster_id: ClusterId) -> Result<()> {
            self.do_distribute(cluster_id)
        }

        // --- buckets (bucket.rs) ---

        /// Creates a bucket of the caller in `cluster_id`; returns its id.
        #[ink(message)]
        pub fn bucket_create(&mut self, cluster_id: ClusterId, metadata: String) -> Result<BucketId> {
            self.do_bucket_create(cluster_id, metadata)
        }

        /// Sets the resource the bucket uses in its cluster (reported by its owner or the
        /// cluster's manager); its rent is settled up to now first.
        #[ink(message)]
        pub fn bucket_alloc_into_cluster(&mut self, bucket_id: BucketId, resource: Resource) -> Result<()> {
            self.do_bucket_alloc(bucket_id, resource)
        }

        /// Moves the rent the bucket owes up to now (or as much as the owner's deposit
        /// covers) from the owner's deposit to the cluster's revenues. Anyone may call;
        /// settling twice pays once.
        #[ink(message)]
        pub fn bucket_settle_payment(&mut self, bucket_id: BucketId) -> Result<()> {
            self.do_bucket_settle(bucket_id).map(|_| ())
        }

        /// Gives `account` the permission on the bucket. Owner only.
        #[ink(message)]
        pub fn bucket_grant(&mut self, bucket_id: BucketId, account: AccountId, permission: Permission) -> Result<()> {
            self.do_bucket_permission(bucket_id, account, permission, true)
        }

        /// Takes the permission back. Owner only.
        #[ink(message)]
        pub fn bucket_revoke(&mut self, bucket_id: BucketId, account: AccountId, permission: Permission) -> Result<()> {
            self.do_bucket_permission(bucket_id, account, permission, false)
        }

        // --- queries ---

        #[ink(message)]
        pub fn account(&self, account: AccountId) -> Account {
            self.accounts.get(account).unwrap_or_default()
        }

        #[ink(message)]
        pub fn node(&self, node_id: NodeId) -> Option<Node> {
            self.nodes.get(node_id)
        }

        /// Whether `provider`'s nodes may serve `manager`'s clusters.
        #[ink(message)]
        pub fn trusts(&self, provider: AccountId, manager: AccountId) -> bool {
            self.trust.contains((provider, manager))
        }

        #[ink(message)]
        pub fn cluster(&self, cluster_id: ClusterId) -> Option<Cluster> {
            self.clusters.get(cluster_id)
        }

        /// The bucket with its rent and the block up to which its owner's deposit covers it.
        #[ink(message)]
        pub fn bucket(&self, bucket_id: BucketId) -> Option<BucketStatus> {
            self.bucket_status(bucket_id)
        }

        /// Nodes `offset..offset + limit` (limit at most `MAX_PAGE`) with their ids.
        #[ink(message)]
        pub fn node_list(&self, offset: u32, limit: u32) -> Vec<(NodeId, Node)> {
            page(offset, limit, self.next_node_id, |id| self.nodes.get(id))
        }

        #[ink(message)]
        pub fn cluster_list(&self, offset: u32, limit: u32) -> Vec<(ClusterId, Cluster)> {
            page(offset, limit, self.next_cluster_id, |id| self.clusters.get(id))
        }

        #[ink(message)]
        pub fn bucket_list(&self, offset: u32, limit: u32) -> Vec<(BucketId, BucketStatus)> {
            page(offset, limit, self.next_bucket_id, |id| self.bucket_status(id))
        }

        /// The network fee, basis points, and the account it is paid to.
        #[ink(message)]
        pub fn network_fee(&self) -> (u32, AccountId) {
            (self.network_fee_bp, self.network_fee_account)
        }
    }

    /// Items `offset..offset + min(limit, MAX_PAGE)` of ids `0..end`.
    fn page<Id: From<u32> + Into<u32> + Copy, T>(
        offset: u32,
        limit: u32,
        end: Id,
        get: impl Fn(Id) -> Option<T>,
    ) -> Vec<(Id, T)> {
        let last = offset.saturating_add(limit.min(MAX_PAGE)).min(end.into());
        (offset..last).map(Id::from).filter_map(|id| get(id).map(|item| (id, item))).collect()
    }
}

pub use ddc::{Ddc, DdcRef, Result};
