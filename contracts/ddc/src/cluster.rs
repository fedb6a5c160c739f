//! Clusters: vnodes reserved on trusted nodes, and the distribution of their revenues.

use crate::{ddc::Ddc, DdcError, Result};
use ink::codegen::Env;
use ink::prelude::vec::Vec;
use osiris_contract_types::ddc::*;
use osiris_contract_types::{AccountId, Balance};

impl Ddc {
    pub(crate) fn do_cluster_create(
        &mut self,
        vnodes: Vec<NodeId>,
        resource_per_vnode: Resource,
        manager_fee_bp: u32,
    ) -> Result<ClusterId> {
        if vnodes.is_empty() || vnodes.len() > MAX_VNODES || resource_per_vnode == 0 {
            return Err(DdcError::InvalidVnodes);
        }
        if manager_fee_bp.checked_add(self.network_fee_bp).is_none_or(|sum| sum > BASIS_POINTS) {
            return Err(DdcError::InvalidFee);
        }
        let manager = self.env().caller();
        self.check_reservable(&vnodes, manager, resource_per_vnode)?;
        let mut rent: Balance = 0;
        for node_id in &vnodes {
            let node = self.reserve(*node_id, manager, resource_per_vnode)?;
            rent = rent.checked_add(node.rent_per_vnode).ok_or(DdcError::Overflow)?;
        }
        let resource = Balance::from(resource_per_vnode)
            .checked_mul(Balance::try_from(vnodes.len()).map_err(|_| DdcError::Overflow)?)
            .ok_or(DdcError::Overflow)?;
        let rent_per_resource = rent.div_ceil(resource);
        let cluster_id = self.next_cluster_id;
        self.next_cluster_id = cluster_id.checked_next().ok_or(DdcError::Overflow)?;
        let cluster = Cluster {
            manager,
            vnodes: vnodes.clone(),
            resource_per_vnode,
            resource_used: 0,
            rent_per_resource,
            manager_fee_bp,
            revenues: 0,
        };
        self.clusters.insert(cluster_id, &cluster);
        self.env().emit_event(ClusterCreated {
            cluster_id,
            manager,
            vnodes,
            resource_per_vnode,
            rent_per_resource,
            manager_fee_bp,
        });
        Ok(cluster_id)
    }

    pub(crate) fn do_cluster_reserve(&mut self, cluster_id: ClusterId, amount: Resource) -> Result<()> {
        if amount == 0 {
            return Err(DdcError::ZeroAmount);
        }
        let mut cluster = self.managed_cluster(cluster_id)?;
        self.check_reservable(&cluster.vnodes, cluster.manager, amount)?;
        for node_id in cluster.vnodes.clone() {
            self.reserve(node_id, cluster.manager, amount)?;
        }
        cluster.resource_per_vnode = cluster.resource_per_vnode.checked_add(amount).ok_or(DdcError::Overflow)?;
        self.clusters.insert(cluster_id, &cluster);
        self.env().emit_event(ClusterResourceReserved {
            cluster_id,
            added: amount,
            resource_per_vnode: cluster.resource_per_vnode,
        });
        Ok(())
    }

    pub(crate) fn do_cluster_replace_node(&mut self, cluster_id: ClusterId, vnode: u32, to: NodeId) -> Result<()> {
        let mut cluster = self.managed_cluster(cluster_id)?;
        let index = usize::try_from(vnode).map_err(|_| DdcError::VnodeNotFound)?;
        let from = *cluster.vnodes.get(index).ok_or(DdcError::VnodeNotFound)?;
        self.reserve(to, cluster.manager, cluster.resource_per_vnode)?;
        let mut old = self.nodes.get(from).ok_or(DdcError::NodeNotFound)?;
        old.free_resource = old.free_resource.checked_add(cluster.resource_per_vnode).ok_or(DdcError::Overflow)?;
        self.nodes.insert(from, &old);
        cluster.vnodes[index] = to;
        self.clusters.insert(cluster_id, &cluster);
        self.env().emit_event(ClusterNodeReplaced { cluster_id, vnode, from, to });
        Ok(())
    }

    /// Removes the vnodes at `indices` (ascending) from a managed cluster; see
    /// `cluster_remove_vnode`.
    fn remove_vnodes(&mut self, cluster_id: ClusterId, indices: &[usize]) -> Result<()> {
        let cluster = self.managed_cluster(cluster_id)?;
        let left = cluster.vnodes.len().checked_sub(indices.len()).ok_or(DdcError::VnodeNotFound)?;
        if left == 0 {
            return Err(DdcError::LastVnode);
        }
        let capacity = Resource::try_from(left)
            .ok()
            .and_then(|n| n.checked_mul(cluster.resource_per_vnode))
            .ok_or(DdcError::Overflow)?;
        if capacity < cluster.resource_used {
            return Err(DdcError::InsufficientClusterResource);
        }
        // What was collected while these vnodes served is paid out by the vnodes that served.
        match self.do_distribute(cluster_id) {
            Ok(()) | Err(DdcError::NothingToDistribute) => {}
            Err(e) => return Err(e),
        }
        let mut cluster = self.clusters.get(cluster_id).ok_or(DdcError::ClusterNotFound)?;
        // From the highest index down, so that each event's index is the one it had then.
        for &index in indices.iter().rev() {
            let node_id = cluster.vnodes.remove(index);
            let mut node = self.nodes.get(node_id).ok_or(DdcError::NodeNotFound)?;
            node.free_resource =
                node.free_resource.checked_add(cluster.resource_per_vnode).ok_or(DdcError::Overflow)?;
            self.nodes.insert(node_id, &node);
            let vnode = u32::try_from(index).map_err(|_| DdcError::Overflow)?;
            self.env().emit_event(ClusterVnodeRemoved { cluster_id, vnode, node_id });
        }
        self.clusters.insert(cluster_id, &cluster);
        Ok(())
    }

    pub(crate) fn do_cluster_remove_vnode(&mut self, cluster_id: ClusterId, vnode: u32) -> Result<()> {
        let cluster = self.managed_cluster(cluster_id)?;
        let index = usize::try_from(vnode).map_err(|_| DdcError::VnodeNotFound)?;
        if index >= cluster.vnodes.len() {
            return Err(DdcError::VnodeNotFound);
        }
        self.remove_vnodes(cluster_id, &[index])
    }

    pub(crate) fn do_cluster_remove_node(&mut self, cluster_id: ClusterId, node_id: NodeId) -> Result<()> {
        let cluster = self.managed_cluster(cluster_id)?;
        let indices: Vec<usize> =
            cluster.vnodes.iter().enumerate().filter(|(_, n)| **n == node_id).map(|(i, _)| i).collect();
        if indices.is_empty() {
            return Err(DdcError::NodeNotInCluster);
        }
        self.remove_vnodes(cluster_id, &indices)
    }

    pub(crate) fn do_cluster_set_manager(&mut self, cluster_id: ClusterId, to: AccountId) -> Result<()> {
        let mut cluster = self.managed_cluster(cluster_id)?;
        let from = cluster.manager;
        cluster.manager = to;
        self.clusters.insert(cluster_id, &cluster);
        self.env().emit_event(ClusterManagerChanged { cluster_id, from, to });
        Ok(())
    }

    pub(crate) fn do_distribute(&mut self, cluster_id: ClusterId) -> Result<()> {
        let mut cluster = self.clusters.get(cluster_id).ok_or(DdcError::ClusterNotFound)?;
        let total = cluster.revenues;
        let network_fee = fee(total, self.network_fee_bp);
        let manager_fee = fee(total, cluster.manager_fee_bp);
        let rest = total.checked_sub(network_fee).and_then(|r| r.checked_sub(manager_fee)).ok_or(DdcError::Overflow)?;
        let vnodes = Balance::try_from(cluster.vnodes.len()).map_err(|_| DdcError::Overflow)?;
        let per_vnode = rest.checked_div(vnodes).ok_or(DdcError::InvalidVnodes)?;
        if per_vnode == 0 && network_fee == 0 && manager_fee == 0 {
            return Err(DdcError::NothingToDistribute);
        }
        // One share per provider, by the vnodes on its nodes; each node is read once.
        let mut owners: Vec<(NodeId, AccountId)> = Vec::new();
        let mut shares: Vec<ProviderShare> = Vec::new();
        for node_id in &cluster.vnodes {
            let provider = match owners.iter().find(|(id, _)| id == node_id) {
                Some((_, owner)) => *owner,
                None => {
                    let owner = self.nodes.get(node_id).ok_or(DdcError::NodeNotFound)?.owner;
                    owners.push((*node_id, owner));
                    owner
                }
            };
            match shares.iter_mut().find(|s| s.provider == provider) {
                Some(share) => {
                    share.vnodes = share.vnodes.checked_add(1).ok_or(DdcError::Overflow)?;
                    share.amount = share.amount.checked_add(per_vnode).ok_or(DdcError::Overflow)?;
                }
                None => shares.push(ProviderShare { provider, vnodes: 1, amount: per_vnode }),
            }
        }
        let paid = per_vnode.checked_mul(vnodes).ok_or(DdcError::Overflow)?;
        let kept = rest.checked_sub(paid).ok_or(DdcError::Overflow)?;
        self.credit(self.network_fee_account, network_fee)?;
        self.credit(cluster.manager, manager_fee)?;
        for share in &shares {
            self.credit(share.provider, share.amount)?;
        }
        cluster.revenues = kept;
        self.clusters.insert(cluster_id, &cluster);
        self.env().emit_event(ClusterRevenuesDistributed {
            cluster_id,
            total,
            network_fee,
            network_fee_account: self.network_fee_account,
            manager_fee,
            shares,
            kept,
        });
        Ok(())
    }

    /// The cluster, if the caller manages it.
    pub(crate) fn managed_cluster(&self, cluster_id: ClusterId) -> Result<Cluster> {
        let cluster = self.clusters.get(cluster_id).ok_or(DdcError::ClusterNotFound)?;
        if cluster.manager != self.env().caller() {
            return Err(DdcError::NotClusterManager);
        }
        Ok(cluster)
    }

    /// Whether `resource` can be reserved for each of `vnodes` (a node appearing several
    /// times reserves it several times), so that a refusal changes nothing.
    fn check_reservable(&self, vnodes: &[NodeId], manager: AccountId, resource: Resource) -> Result<()> {
        for (i, node_id) in vnodes.iter().enumerate() {
            if vnodes[..i].contains(node_id) {
                continue;
            }
            let node = self.nodes.get(node_id).ok_or(DdcError::NodeNotFound)?;
            if !self.trust.contains((node.owner, manager)) {
                return Err(DdcError::ManagerNotTrusted);
            }
            let count =
                Resource::try_from(vnodes.iter().filter(|n| *n == node_id).count()).map_err(|_| DdcError::Overflow)?;
            if resource.checked_mul(count).is_none_or(|needed| needed > node.free_resource) {
                return Err(DdcError::InsufficientNodeResource);
            }
        }
        Ok(())
    }

    /// Takes `resource` of node `node_id`'s free resource for `manager`'s cluster; the node.
    fn reserve(&mut self, node_id: NodeId, manager: AccountId, resource: Resource) -> Result<Node> {
        let mut node = self.nodes.get(node_id).ok_or(DdcError::NodeNotFound)?;
        if !self.trust.contains((node.owner, manager)) {
            return Err(DdcError::ManagerNotTrusted);
        }
        node.free_resource = node.free_resource.checked_sub(resource).ok_or(DdcError::InsufficientNodeResource)?;
        self.nodes.insert(node_id, &node);
        Ok(node)
    }
}
