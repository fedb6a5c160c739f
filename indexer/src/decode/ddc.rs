//! The ddc contract's events: which they are, their names and their fields as JSON.

use super::{decode_as, signature_topic, DecodeError};
use crate::json::{account, planck};
use osiris_contract_types::ddc as d;
use serde_json::{json, Value};

contract_events!(
    /// An event of the ddc contract.
    DdcEvent,
    d,
    [
        DdcDeposited,
        DdcWithdrawn,
        NodeCreated,
        NodeChanged,
        ManagerTrustChanged,
        ClusterCreated,
        ClusterResourceReserved,
        ClusterNodeReplaced,
        ClusterVnodeRemoved,
        ClusterManagerChanged,
        ClusterRevenuesDistributed,
        BucketCreated,
        BucketAllocated,
        BucketSettled,
        BucketPermissionChanged,
    ]
);

/// `reader` or `writer`, as the mirror and the API name a permission.
pub fn permission_name(p: d::Permission) -> &'static str {
    match p {
        d::Permission::Reader => "reader",
        d::Permission::Writer => "writer",
    }
}

impl DdcEvent {
    /// The fields as JSON: accounts SS58, amounts decimal strings.
    pub fn fields(&self) -> Value {
        use DdcEvent::*;
        match self {
            DdcDeposited(x) => {
                json!({ "account": account(&x.account), "amount": planck(x.amount), "deposit": planck(x.deposit) })
            }
            DdcWithdrawn(x) => {
                json!({ "account": account(&x.account), "amount": planck(x.amount), "deposit": planck(x.deposit) })
            }
            NodeCreated(x) => json!({
                "node_id": x.node_id, "owner": account(&x.owner), "capacity": x.capacity,
                "rent_per_vnode": planck(x.rent_per_vnode), "url": x.url
            }),
            NodeChanged(x) => json!({
                "node_id": x.node_id, "capacity": x.capacity, "free_resource": x.free_resource,
                "rent_per_vnode": planck(x.rent_per_vnode), "url": x.url
            }),
            ManagerTrustChanged(x) => json!({
                "provider": account(&x.provider), "manager": account(&x.manager), "trusted": x.trusted
            }),
            ClusterCreated(x) => json!({
                "cluster_id": x.cluster_id, "manager": account(&x.manager), "vnodes": x.vnodes,
                "resource_per_vnode": x.resource_per_vnode, "rent_per_resource": planck(x.rent_per_resource),
                "manager_fee_bp": x.manager_fee_bp
            }),
            ClusterResourceReserved(x) => json!({
                "cluster_id": x.cluster_id, "added": x.added, "resource_per_vnode": x.resource_per_vnode
            }),
            ClusterNodeReplaced(x) => {
                json!({ "cluster_id": x.cluster_id, "vnode": x.vnode, "from": x.from, "to": x.to })
            }
            ClusterVnodeRemoved(x) => json!({ "cluster_id": x.cluster_id, "vnode": x.vnode, "node_id": x.node_id }),
            ClusterManagerChanged(x) => {
                json!({ "cluster_id": x.cluster_id, "from": account(&x.from), "to": account(&x.to) })
            }
            ClusterRevenuesDistributed(x) => json!({
                "cluster_id": x.cluster_id, "total": planck(x.total), "network_fee": planck(x.network_fee),
                "network_fee_account": account(&x.network_fee_account), "manager_fee": planck(x.manager_fee),
                "shares": x.shares.iter().map(|s| json!({
                    "provider": account(&s.provider), "vnodes": s.vnodes, "amount": planck(s.amount)
                })).collect::<Vec<_>>(),
                "kept": planck(x.kept)
            }),
            BucketCreated(x) => json!({
                "bucket_id": x.bucket_id, "owner": account(&x.owner), "cluster_id": x.cluster_id,
                "metadata": x.metadata, "settled_until": x.settled_until
            }),
            BucketAllocated(x) => json!({
                "bucket_id": x.bucket_id, "resource": x.resource, "cluster_resource_used": x.cluster_resource_used,
                "rent_per_block": planck(x.rent_per_block)
            }),
            BucketSettled(x) => json!({
                "bucket_id": x.bucket_id, "owner": account(&x.owner), "cluster_id": x.cluster_id,
                "paid": planck(x.paid), "settled_until": x.settled_until, "owner_deposit": planck(x.owner_deposit),
                "cluster_revenues": planck(x.cluster_revenues)
            }),
            BucketPermissionChanged(x) => json!({
                "bucket_id": x.bucket_id, "account": account(&x.account),
                "permission": permission_name(x.permission), "granted": x.granted
            }),
        }
    }
}
