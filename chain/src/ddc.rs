//! Typed client of the ddc contract (clusters, nodes, buckets). Each state-changing method
//! dry-runs first (a refusal is a [`ChainError::Contract`] holding the [`DdcError`] and
//! submits nothing), then waits until its block is finalized. Methods that create
//! something return its id, read from the contract's event in the finalized block.

use crate::{
    account::to_ink,
    client::CallOutcome,
    contract::{find_event, message},
    AccountId, Balance, Chain, ChainError, Signer,
};
use osiris_contract_types::ddc::*;

/// The ddc contract at `address`.
#[derive(Clone)]
pub struct Ddc {
    chain: Chain,
    address: AccountId,
}

impl Ddc {
    pub fn new(chain: Chain, address: AccountId) -> Self {
        Self { chain, address }
    }

    /// The contract's account.
    pub fn address(&self) -> &AccountId {
        &self.address
    }

    async fn call<T: osiris_contract_types::ink::scale::Decode>(
        &self,
        signer: &Signer,
        value: Balance,
        data: Vec<u8>,
        what: &'static str,
    ) -> Result<CallOutcome<T>, ChainError> {
        self.chain.call::<T, DdcError>(signer, &self.address, value, data, what).await
    }

    /// The id in the event `E` of the call's block, by `id`.
    fn created<E: osiris_contract_types::ink::env::Event + osiris_contract_types::ink::scale::Decode, Id>(
        &self,
        outcome: CallOutcome<Id>,
        id: impl Fn(&E) -> Id,
        name: &'static str,
    ) -> Result<CallOutcome<Id>, ChainError> {
        let event: E = find_event(&outcome.events, &self.address).ok_or(ChainError::MissingEvent(name))?;
        Ok(CallOutcome { value: id(&event), ..outcome })
    }

    // --- accounts ---

    /// Deposits `amount` planck of the signer's free balance into its ddc account.
    pub async fn account_deposit(&self, signer: &Signer, amount: Balance) -> Result<CallOutcome<()>, ChainError> {
        self.call(signer, amount, message("account_deposit", ()), "account_deposit").await
    }

    /// Withdraws `amount` planck the signer's buckets do not owe as rent.
    pub async fn account_withdraw(&self, signer: &Signer, amount: Balance) -> Result<CallOutcome<()>, ChainError> {
        self.call(signer, 0, message("account_withdraw", (amount,)), "account_withdraw").await
    }

    // --- nodes ---

    /// Registers a node of the signer; the outcome's value is its id.
    pub async fn node_create(
        &self,
        signer: &Signer,
        capacity: Resource,
        rent_per_vnode: Balance,
        url: &str,
    ) -> Result<CallOutcome<NodeId>, ChainError> {
        let outcome =
            self.call(signer, 0, message("node_create", (capacity, rent_per_vnode, url)), "node_create").await?;
        self.created(outcome, |e: &NodeCreated| e.node_id, "NodeCreated")
    }

    /// Changes a node's capacity, rent and URL (its owner only).
    pub async fn node_change_params(
        &self,
        signer: &Signer,
        node_id: NodeId,
        capacity: Resource,
        rent_per_vnode: Balance,
        url: &str,
    ) -> Result<CallOutcome<()>, ChainError> {
        let data = message("node_change_params", (node_id, capacity, rent_per_vnode, url));
        self.call(signer, 0, data, "node_change_params").await
    }

    /// The signer's nodes may serve `manager`'s clusters (`trusted`), or no longer.
    pub async fn node_trust_manager(
        &self,
        signer: &Signer,
        manager: &AccountId,
        trusted: bool,
    ) -> Result<CallOutcome<()>, ChainError> {
        let name = if trusted { "node_trust_manager" } else { "node_distrust_manager" };
        self.call(signer, 0, message(name, (to_ink(manager),)), name).await
    }

    // --- clusters ---

    /// Creates a cluster managed by the signer; the outcome's value is its id.
    pub async fn cluster_create(
        &self,
        signer: &Signer,
        vnodes: Vec<NodeId>,
        resource_per_vnode: Resource,
        manager_fee_bp: u32,
    ) -> Result<CallOutcome<ClusterId>, ChainError> {
        let data = message("cluster_create", (vnodes, resource_per_vnode, manager_fee_bp));
        let outcome = self.call(signer, 0, data, "cluster_create").await?;
        self.created(outcome, |e: &ClusterCreated| e.cluster_id, "ClusterCreated")
    }

    /// Reserves `amount` more resource per vnode (the manager only).
    pub async fn cluster_reserve_resource(
        &self,
        signer: &Signer,
        cluster_id: ClusterId,
        amount: Resource,
    ) -> Result<CallOutcome<()>, ChainError> {
        self.call(signer, 0, message("cluster_reserve_resource", (cluster_id, amount)), "cluster_reserve_resource")
            .await
    }

    /// Moves vnode `vnode` onto node `node_id` (the manager only).
    pub async fn cluster_replace_node(
        &self,
        signer: &Signer,
        cluster_id: ClusterId,
        vnode: u32,
        node_id: NodeId,
    ) -> Result<CallOutcome<()>, ChainError> {
        let data = message("cluster_replace_node", (cluster_id, vnode, node_id));
        self.call(signer, 0, data, "cluster_replace_node").await
    }

    /// Distributes the cluster's revenues to the network, the manager and the providers.
    pub async fn cluster_distribute_revenues(
        &self,
        signer: &Signer,
        cluster_id: ClusterId,
    ) -> Result<CallOutcome<()>, ChainError> {
        let data = message("cluster_distribute_revenues", (cluster_id,));
        self.call(signer, 0, data, "cluster_distribute_revenues").await
    }

    // --- buckets ---

    /// Creates a bucket of the signer in `cluster_id`; the outcome's value is its id.
    pub async fn bucket_create(
        &self,
        signer: &Signer,
        cluster_id: ClusterId,
        metadata: &str,
    ) -> Result<CallOutcome<BucketId>, ChainError> {
        let outcome = self.call(signer, 0, message("bucket_create", (cluster_id, metadata)), "bucket_create").await?;
        self.created(outcome, |e: &BucketCreated| e.bucket_id, "BucketCreated")
    }

    /// Sets the resource the bucket uses in its cluster (its owner or the cluster's manager).
    pub async fn bucket_alloc_into_cluster(
        &self,
        signer: &Signer,
        bucket_id: BucketId,
        resource: Resource,
    ) -> Result<CallOutcome<()>, ChainError> {
        let data = message("bucket_alloc_into_cluster", (bucket_id, resource));
        self.call(signer, 0, data, "bucket_alloc_into_cluster").await
    }

    /// Moves the rent the bucket owes from its owner's deposit to its cluster.
    pub async fn bucket_settle_payment(
        &self,
        signer: &Signer,
        bucket_id: BucketId,
    ) -> Result<CallOutcome<()>, ChainError> {
        self.call(signer, 0, message("bucket_settle_payment", (bucket_id,)), "bucket_settle_payment").await
    }

    /// Removes vnode `vnode` (an index) from the cluster, after distributing its revenues
    /// (the manager only).
    pub async fn cluster_remove_vnode(
        &self,
        signer: &Signer,
        cluster_id: ClusterId,
        vnode: u32,
    ) -> Result<CallOutcome<()>, ChainError> {
        self.call(signer, 0, message("cluster_remove_vnode", (cluster_id, vnode)), "cluster_remove_vnode").await
    }

    /// Removes every vnode of node `node_id` from the cluster, after distributing its
    /// revenues (the manager only).
    pub async fn cluster_remove_node(
        &self,
        signer: &Signer,
        cluster_id: ClusterId,
        node_id: NodeId,
    ) -> Result<CallOutcome<()>, ChainError> {
        self.call(signer, 0, message("cluster_remove_node", (cluster_id, node_id)), "cluster_remove_node").await
    }

    /// Hands the cluster to `manager` (the manager only).
    pub async fn cluster_set_manager(
        &self,
        signer: &Signer,
        cluster_id: ClusterId,
        manager: &AccountId,
    ) -> Result<CallOutcome<()>, ChainError> {
        let data = message("cluster_set_manager", (cluster_id, to_ink(manager)));
        self.call(signer, 0, data, "cluster_set_manager").await
    }

    /// Settles the rent of every bucket of `bucket_ids` in one extrinsic (`Utility::force_batch`,
    /// see [`crate::Chain::call_batch`]): a bucket whose settlement would fail is left out
    /// or rolled back alone. Anyone may settle.
    pub async fn bucket_settle_many(
        &self,
        signer: &Signer,
        bucket_ids: &[BucketId],
    ) -> Result<crate::BatchOutcome, ChainError> {
        let calls = bucket_ids.iter().map(|b| (self.address, message("bucket_settle_payment", (*b,)))).collect();
        self.chain.call_batch(signer, calls).await
    }

    /// Sets the resource of each `(bucket, resource)` in one extrinsic (the cluster's
    /// manager or each bucket's owner), as [`Ddc::bucket_settle_many`].
    pub async fn bucket_alloc_many(
        &self,
        signer: &Signer,
        allocations: &[(BucketId, Resource)],
    ) -> Result<crate::BatchOutcome, ChainError> {
        let calls =
            allocations.iter().map(|(b, r)| (self.address, message("bucket_alloc_into_cluster", (*b, *r)))).collect();
        self.chain.call_batch(signer, calls).await
    }

    /// Grants (`granted`) or revokes `account`'s `permission` on the bucket (its owner only).
    pub async fn bucket_permission(
        &self,
        signer: &Signer,
        bucket_id: BucketId,
        account: &AccountId,
        permission: Permission,
        granted: bool,
    ) -> Result<CallOutcome<()>, ChainError> {
        let name = if granted { "bucket_grant" } else { "bucket_revoke" };
        self.call(signer, 0, message(name, (bucket_id, to_ink(account), permission)), name).await
    }

    // --- queries ---

    pub async fn account(&self, account: &AccountId) -> Result<Account, ChainError> {
        self.chain.query(&self.address, message("account", (to_ink(account),)), "account").await
    }

    pub async fn node(&self, node_id: NodeId) -> Result<Option<Node>, ChainError> {
        self.chain.query(&self.address, message("node", (node_id,)), "node").await
    }

    pub async fn trusts(&self, provider: &AccountId, manager: &AccountId) -> Result<bool, ChainError> {
        self.chain.query(&self.address, message("trusts", (to_ink(provider), to_ink(manager))), "trusts").await
    }

    pub async fn cluster(&self, cluster_id: ClusterId) -> Result<Option<Cluster>, ChainError> {
        self.chain.query(&self.address, message("cluster", (cluster_id,)), "cluster").await
    }

    /// The bucket with its rent and the block up to which its owner's deposit covers it.
    pub async fn bucket(&self, bucket_id: BucketId) -> Result<Option<BucketStatus>, ChainError> {
        self.chain.query(&self.address, message("bucket", (bucket_id,)), "bucket").await
    }

    pub async fn node_list(&self, offset: u32, limit: u32) -> Result<Vec<(NodeId, Node)>, ChainError> {
        self.chain.query(&self.address, message("node_list", (offset, limit)), "node_list").await
    }

    pub async fn cluster_list(&self, offset: u32, limit: u32) -> Result<Vec<(ClusterId, Cluster)>, ChainError> {
        self.chain.query(&self.address, message("cluster_list", (offset, limit)), "cluster_list").await
    }

    pub async fn bucket_list(&self, offset: u32, limit: u32) -> Result<Vec<(BucketId, BucketStatus)>, ChainError> {
        self.chain.query(&self.address, message("bucket_list", (offset, limit)), "bucket_list").await
    }

    /// The network fee (basis points) and the account it is paid to.
    pub async fn network_fee(&self) -> Result<(u32, AccountId), ChainError> {
        let (bp, account): (u32, osiris_contract_types::ink::primitives::AccountId) =
            self.chain.query(&self.address, message("network_fee", ()), "network_fee").await?;
        Ok((bp, crate::account::from_ink(&account)))
    }
}
