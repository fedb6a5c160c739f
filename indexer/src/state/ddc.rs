//! The ddc contract's state, folded from its events. Every event carries the values the
//! contract stored after it where the fold could not compute them (deposits, a cluster's
//! revenues and resource used, a bucket's rent); the rest (nodes' free resource, vnode
//! moves, credits of a distribution) is applied as the contract applies it.

use super::{Position, Snapshot, StateError};
use crate::decode::DdcEvent;
use crate::json::account;
use osiris_contract_types::ddc::{BucketId, ClusterId, NodeId, Permission, Resource};
use osiris_contract_types::Balance;
pub use osiris_mirror::ddc::{BucketRow, ClusterRow, NodeRow};
use std::collections::HashSet;

/// Keys of the ddc rows `events` name directly; [`clusters_of_buckets`] and
/// [`nodes_and_accounts_of_clusters`] add those found through loaded rows.
#[derive(Debug, Default)]
pub struct Keys {
    pub nodes: HashSet<NodeId>,
    pub clusters: HashSet<ClusterId>,
    pub buckets: HashSet<BucketId>,
    pub accounts: HashSet<String>,
    /// (provider, manager), SS58.
    pub trust: HashSet<(String, String)>,
}

impl Keys {
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
            && self.clusters.is_empty()
            && self.buckets.is_empty()
            && self.accounts.is_empty()
            && self.trust.is_empty()
    }
}

pub fn add_keys(keys: &mut Keys, ev: &DdcEvent) {
    use DdcEvent::*;
    match ev {
        DdcDeposited(x) => drop(keys.accounts.insert(account(&x.account))),
        DdcWithdrawn(x) => drop(keys.accounts.insert(account(&x.account))),
        NodeCreated(x) => drop(keys.nodes.insert(x.node_id)),
        NodeChanged(x) => drop(keys.nodes.insert(x.node_id)),
        ManagerTrustChanged(x) => drop(keys.trust.insert((account(&x.provider), account(&x.manager)))),
        ClusterCreated(x) => {
            keys.clusters.insert(x.cluster_id);
            keys.nodes.extend(x.vnodes.iter().copied());
            keys.accounts.insert(account(&x.manager));
        }
        ClusterResourceReserved(x) => drop(keys.clusters.insert(x.cluster_id)),
        ClusterNodeReplaced(x) => {
            keys.clusters.insert(x.cluster_id);
            keys.nodes.extend([x.from, x.to]);
        }
        ClusterVnodeRemoved(x) => {
            keys.clusters.insert(x.cluster_id);
            keys.nodes.insert(x.node_id);
        }
        ClusterManagerChanged(x) => {
            keys.clusters.insert(x.cluster_id);
            keys.accounts.extend([account(&x.from), account(&x.to)]);
        }
        ClusterRevenuesDistributed(x) => {
            keys.clusters.insert(x.cluster_id);
            keys.accounts.insert(account(&x.network_fee_account));
            keys.accounts.extend(x.shares.iter().map(|s| account(&s.provider)));
        }
        BucketCreated(x) => {
            keys.buckets.insert(x.bucket_id);
            keys.clusters.insert(x.cluster_id);
            keys.accounts.insert(account(&x.owner));
        }
        BucketAllocated(x) => drop(keys.buckets.insert(x.bucket_id)),
        BucketSettled(x) => {
            keys.buckets.insert(x.bucket_id);
            keys.clusters.insert(x.cluster_id);
            keys.accounts.insert(account(&x.owner));
        }
        BucketPermissionChanged(x) => drop(keys.buckets.insert(x.bucket_id)),
    }
}

/// The clusters of the loaded buckets (an allocation changes its cluster's resource used).
pub fn clusters_of_buckets(s: &Snapshot) -> HashSet<ClusterId> {
    s.ddc_buckets.values().flatten().map(|b| b.cluster_id).collect()
}

/// Nodes of clusters that reserve more resource, and managers of clusters that distribute
/// (they are credited the manager fee): found through the loaded clusters.
pub fn nodes_and_accounts_of_clusters(events: &[&DdcEvent], s: &Snapshot) -> (HashSet<NodeId>, HashSet<String>) {
    let mut nodes = HashSet::new();
    let mut accounts = HashSet::new();
    for ev in events {
        match ev {
            DdcEvent::ClusterResourceReserved(x) => {
                if let Some(Some(c)) = s.ddc_clusters.get(&x.cluster_id) {
                    nodes.extend(c.vnodes.iter().copied());
                }
            }
            DdcEvent::ClusterRevenuesDistributed(x) => {
                if let Some(Some(c)) = s.ddc_clusters.get(&x.cluster_id) {
                    accounts.insert(c.manager.clone());
                }
            }
            _ => {}
        }
    }
    (nodes, accounts)
}

impl Snapshot {
    fn ddc_node(&mut self, id: NodeId) -> Result<&mut NodeRow, StateError> {
        self.ddc_nodes.get_mut(&id).and_then(Option::as_mut).ok_or(StateError::Missing(format!("node {id}")))
    }

    fn ddc_cluster(&mut self, id: ClusterId) -> Result<&mut ClusterRow, StateError> {
        self.ddc_clusters.get_mut(&id).and_then(Option::as_mut).ok_or(StateError::Missing(format!("cluster {id}")))
    }

    fn ddc_bucket(&mut self, id: BucketId) -> Result<&mut BucketRow, StateError> {
        self.ddc_buckets.get_mut(&id).and_then(Option::as_mut).ok_or(StateError::Missing(format!("bucket {id}")))
    }

    fn ddc_credit(&mut self, who: String, amount: Balance) -> Result<(), StateError> {
        let deposit = self.ddc_deposits.entry(who.clone()).or_default();
        *deposit = deposit.checked_add(amount).ok_or(StateError::Balance(who))?;
        Ok(())
    }

    /// Takes (`take`) or gives back resource of a node, as a cluster reserves or releases it.
    fn ddc_reserve(&mut self, id: NodeId, resource: Resource, take: bool) -> Result<(), StateError> {
        let node = self.ddc_node(id)?;
        let free =
            if take { node.free_resource.checked_sub(resource) } else { node.free_resource.checked_add(resource) };
        node.free_resource = free.ok_or(StateError::Missing(format!("free resource of node {id}")))?;
        Ok(())
    }
}

/// Applies one ddc event at `at`, as the contract changed its storage.
pub fn apply(s: &mut Snapshot, ev: &DdcEvent, at: Position) -> Result<(), StateError> {
    use DdcEvent::*;
    match ev {
        DdcDeposited(x) => drop(s.ddc_deposits.insert(account(&x.account), x.deposit)),
        DdcWithdrawn(x) => drop(s.ddc_deposits.insert(account(&x.account), x.deposit)),
        NodeCreated(x) => {
            let row = NodeRow {
                node_id: x.node_id,
                owner: account(&x.owner),
                capacity: x.capacity,
                free_resource: x.capacity,
                rent_per_vnode: x.rent_per_vnode,
                url: x.url.clone(),
                created: at,
            };
            s.ddc_nodes.insert(x.node_id, Some(row));
        }
        NodeChanged(x) => {
            let node = s.ddc_node(x.node_id)?;
            node.capacity = x.capacity;
            node.free_resource = x.free_resource;
            node.rent_per_vnode = x.rent_per_vnode;
            node.url = x.url.clone();
        }
        ManagerTrustChanged(x) => drop(s.ddc_trust.insert((account(&x.provider), account(&x.manager)), x.trusted)),
        ClusterCreated(x) => {
            for node in &x.vnodes {
                s.ddc_reserve(*node, x.resource_per_vnode, true)?;
            }
            let row = ClusterRow {
                cluster_id: x.cluster_id,
                manager: account(&x.manager),
                vnodes: x.vnodes.clone(),
                resource_per_vnode: x.resource_per_vnode,
                resource_used: 0,
                rent_per_resource: x.rent_per_resource,
                manager_fee_bp: x.manager_fee_bp,
                revenues: 0,
                distributed: 0,
                created: at,
            };
            s.ddc_clusters.insert(x.cluster_id, Some(row));
        }
        ClusterResourceReserved(x) => {
            let vnodes = s.ddc_cluster(x.cluster_id)?.vnodes.clone();
            for node in vnodes {
                s.ddc_reserve(node, x.added, true)?;
            }
            s.ddc_cluster(x.cluster_id)?.resource_per_vnode = x.resource_per_vnode;
        }
        ClusterNodeReplaced(x) => {
            let cluster = s.ddc_cluster(x.cluster_id)?;
            let resource = cluster.resource_per_vnode;
            let vnode = usize::try_from(x.vnode).ok().and_then(|i| cluster.vnodes.get_mut(i));
            *vnode.ok_or(StateError::Missing(format!("vnode {} of cluster {}", x.vnode, x.cluster_id)))? = x.to;
            s.ddc_reserve(x.to, resource, true)?;
            s.ddc_reserve(x.from, resource, false)?;
        }
        ClusterVnodeRemoved(x) => {
            let cluster = s.ddc_cluster(x.cluster_id)?;
            let resource = cluster.resource_per_vnode;
            let index = usize::try_from(x.vnode).ok().filter(|i| cluster.vnodes.get(*i) == Some(&x.node_id));
            let index = index.ok_or(StateError::Missing(format!("vnode {} of cluster {}", x.vnode, x.cluster_id)))?;
            cluster.vnodes.remove(index);
            s.ddc_reserve(x.node_id, resource, false)?;
        }
        ClusterManagerChanged(x) => s.ddc_cluster(x.cluster_id)?.manager = account(&x.to),
        ClusterRevenuesDistributed(x) => {
            let cluster = s.ddc_cluster(x.cluster_id)?;
            cluster.revenues = x.kept;
            cluster.distributed = cluster.distributed.saturating_add(x.total.saturating_sub(x.kept));
            let manager = cluster.manager.clone();
            s.ddc_credit(account(&x.network_fee_account), x.network_fee)?;
            s.ddc_credit(manager, x.manager_fee)?;
            for share in &x.shares {
                s.ddc_credit(account(&share.provider), share.amount)?;
            }
        }
        BucketCreated(x) => {
            let owner = account(&x.owner);
            // The contract creates the owner's account with its first bucket.
            s.ddc_deposits.entry(owner.clone()).or_default();
            let row = BucketRow {
                bucket_id: x.bucket_id,
                owner,
                cluster_id: x.cluster_id,
                metadata: x.metadata.clone(),
                resource: 0,
                rent_per_block: 0,
                settled_until: x.settled_until,
                writers: Vec::new(),
                readers: Vec::new(),
                created: at,
            };
            s.ddc_buckets.insert(x.bucket_id, Some(row));
        }
        BucketAllocated(x) => {
            let bucket = s.ddc_bucket(x.bucket_id)?;
            bucket.resource = x.resource;
            bucket.rent_per_block = x.rent_per_block;
            let cluster_id = bucket.cluster_id;
            s.ddc_cluster(cluster_id)?.resource_used = x.cluster_resource_used;
        }
        BucketSettled(x) => {
            s.ddc_bucket(x.bucket_id)?.settled_until = x.settled_until;
            s.ddc_cluster(x.cluster_id)?.revenues = x.cluster_revenues;
            s.ddc_deposits.insert(account(&x.owner), x.owner_deposit);
        }
        BucketPermissionChanged(x) => {
            let bucket = s.ddc_bucket(x.bucket_id)?;
            let list = match x.permission {
                Permission::Reader => &mut bucket.readers,
                Permission::Writer => &mut bucket.writers,
            };
            let who = account(&x.account);
            let present = list.contains(&who);
            if x.granted && !present {
                list.push(who);
            } else if !x.granted {
                list.retain(|a| *a != who);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use osiris_contract_types::ddc as d;
    use osiris_contract_types::AccountId;

    fn who(n: u8) -> AccountId {
        [n; 32].into()
    }

    fn node(s: &mut Snapshot, id: NodeId, owner: u8, capacity: Resource) {
        let ev = DdcEvent::NodeCreated(d::NodeCreated {
            node_id: id,
            owner: who(owner),
            capacity,
            rent_per_vnode: 10,
            url: format!("http://n{id}"),
        });
        apply(s, &ev, (1, id.0)).unwrap();
    }

    #[test]
    fn clusters_reserve_node_resource_and_distribution_credits_everyone() {
        let mut s = Snapshot::default();
        node(&mut s, NodeId(0), 1, 100);
        node(&mut s, NodeId(1), 2, 100);
        let created = d::ClusterCreated {
            cluster_id: ClusterId(0),
            manager: who(9),
            vnodes: vec![NodeId(0), NodeId(1), NodeId(0)],
            resource_per_vnode: 10,
            rent_per_resource: 1,
            manager_fee_bp: 1_000,
        };
        apply(&mut s, &DdcEvent::ClusterCreated(created), (2, 0)).unwrap();
        assert_eq!(s.ddc_nodes[&NodeId(0)].as_ref().unwrap().free_resource, 80);
        assert_eq!(s.ddc_nodes[&NodeId(1)].as_ref().unwrap().free_resource, 90);
        let replaced = d::ClusterNodeReplaced { cluster_id: ClusterId(0), vnode: 2, from: NodeId(0), to: NodeId(1) };
        apply(&mut s, &DdcEvent::ClusterNodeReplaced(replaced), (3, 0)).unwrap();
        assert_eq!(s.ddc_clusters[&ClusterId(0)].as_ref().unwrap().vnodes, [0, 1, 1].map(NodeId));
        assert_eq!(s.ddc_nodes[&NodeId(0)].as_ref().unwrap().free_resource, 90);
        assert_eq!(s.ddc_nodes[&NodeId(1)].as_ref().unwrap().free_resource, 80);
        s.ddc_cluster(ClusterId(0)).unwrap().revenues = 100;
        let distributed = d::ClusterRevenuesDistributed {
            cluster_id: ClusterId(0),
            total: 100,
            network_fee: 1,
            network_fee_account: who(8),
            manager_fee: 10,
            shares: vec![
                d::ProviderShare { provider: who(1), vnodes: 1, amount: 29 },
                d::ProviderShare { provider: who(2), vnodes: 2, amount: 58 },
            ],
            kept: 2,
        };
        apply(&mut s, &DdcEvent::ClusterRevenuesDistributed(distributed), (4, 0)).unwrap();
        let deposit = |n: u8| s.ddc_deposits[&account(&who(n))];
        assert_eq!((deposit(8), deposit(9), deposit(1), deposit(2)), (1, 10, 29, 58));
        let cluster = s.ddc_clusters[&ClusterId(0)].as_ref().unwrap();
        assert_eq!((cluster.revenues, cluster.distributed), (2, 98));
    }

    #[test]
    fn a_removed_vnode_frees_its_node_and_a_new_manager_takes_over() {
        let mut s = Snapshot::default();
        node(&mut s, NodeId(0), 1, 100);
        node(&mut s, NodeId(1), 2, 100);
        let created = d::ClusterCreated {
            cluster_id: ClusterId(0),
            manager: who(9),
            vnodes: vec![NodeId(0), NodeId(1), NodeId(0), NodeId(1)],
            resource_per_vnode: 10,
            rent_per_resource: 1,
            manager_fee_bp: 0,
        };
        apply(&mut s, &DdcEvent::ClusterCreated(created), (2, 0)).unwrap();
        // cluster_remove_node(1) emits the highest index first.
        for (i, vnode) in [3, 1].into_iter().enumerate() {
            let removed = d::ClusterVnodeRemoved { cluster_id: ClusterId(0), vnode, node_id: NodeId(1) };
            apply(&mut s, &DdcEvent::ClusterVnodeRemoved(removed), (3, i as u32)).unwrap();
        }
        assert_eq!(s.ddc_clusters[&ClusterId(0)].as_ref().unwrap().vnodes, [NodeId(0), NodeId(0)]);
        assert_eq!(s.ddc_nodes[&NodeId(1)].as_ref().unwrap().free_resource, 100);
        let wrong = d::ClusterVnodeRemoved { cluster_id: ClusterId(0), vnode: 0, node_id: NodeId(1) };
        assert!(apply(&mut s, &DdcEvent::ClusterVnodeRemoved(wrong), (4, 0)).is_err(), "vnode 0 is node 0's");
        let handed = d::ClusterManagerChanged { cluster_id: ClusterId(0), from: who(9), to: who(7) };
        apply(&mut s, &DdcEvent::ClusterManagerChanged(handed), (5, 0)).unwrap();
        assert_eq!(s.ddc_clusters[&ClusterId(0)].as_ref().unwrap().manager, account(&who(7)));
    }

    #[test]
    fn a_replacement_beyond_the_nodes_free_resource_is_a_state_error() {
        let mut s = Snapshot::default();
        node(&mut s, NodeId(0), 1, 10);
        node(&mut s, NodeId(1), 2, 5);
        let created = d::ClusterCreated {
            cluster_id: ClusterId(0),
            manager: who(9),
            vnodes: vec![NodeId(0)],
            resource_per_vnode: 10,
            rent_per_resource: 1,
            manager_fee_bp: 0,
        };
        apply(&mut s, &DdcEvent::ClusterCreated(created), (2, 0)).unwrap();
        let replaced = d::ClusterNodeReplaced { cluster_id: ClusterId(0), vnode: 0, from: NodeId(0), to: NodeId(1) };
        assert!(apply(&mut s, &DdcEvent::ClusterNodeReplaced(replaced), (3, 0)).is_err());
    }

    #[test]
    fn permissions_are_granted_once_and_revoked() {
        let mut s = Snapshot::default();
        let created = d::BucketCreated {
            bucket_id: BucketId(4),
            owner: who(1),
            cluster_id: ClusterId(0),
            metadata: "m".into(),
            settled_until: 7,
        };
        apply(&mut s, &DdcEvent::BucketCreated(created), (1, 0)).unwrap();
        let grant = |granted| {
            DdcEvent::BucketPermissionChanged(d::BucketPermissionChanged {
                bucket_id: BucketId(4),
                account: who(2),
                permission: Permission::Reader,
                granted,
            })
        };
        apply(&mut s, &grant(true), (2, 0)).unwrap();
        apply(&mut s, &grant(true), (2, 1)).unwrap();
        assert_eq!(s.ddc_buckets[&BucketId(4)].as_ref().unwrap().readers, vec![account(&who(2))]);
        apply(&mut s, &grant(false), (3, 0)).unwrap();
        assert!(s.ddc_buckets[&BucketId(4)].as_ref().unwrap().readers.is_empty());
        assert_eq!(s.ddc_deposits[&account(&who(1))], 0);
    }
}
