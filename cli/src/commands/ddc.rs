//! `osiris node|cluster|bucket|ddc-account …`: the ddc contract's messages and queries
//! (storage sold by the block; see the README's ddc section).

use crate::{
    context::GlobalArgs,
    output::{planck, Report},
};
use anyhow::{Context, Result};
use clap::Subcommand;
use osiris_chain::ddc::Ddc;
use osiris_chain::types::ddc::{BucketId, BucketStatus, Cluster, ClusterId, Node, NodeId, Permission, Resource};
use osiris_chain::{account::account_of, AccountId, Balance};
use serde_json::{json, Value};

/// Items a list shows by default.
const DEFAULT_LIMIT: u32 = 20;

#[derive(Subcommand)]
pub enum NodeCommand {
    /// Register a node of the signer: resource capacity, rent per vnode (planck per block),
    /// and the URL its gateway answers at.
    Create {
        #[arg(long)]
        capacity: Resource,
        #[arg(long, value_name = "PLANCK")]
        rent_per_vnode: Balance,
        /// The URL the node's gateway answers at (a field not named `url`: that id is the global node URL's).
        #[arg(long, value_name = "URL")]
        endpoint: String,
    },
    /// Change a node's capacity, rent and URL (its owner only).
    Change {
        node_id: NodeId,
        #[arg(long)]
        capacity: Resource,
        #[arg(long, value_name = "PLANCK")]
        rent_per_vnode: Balance,
        /// The URL the node's gateway answers at (a field not named `url`: that id is the global node URL's).
        #[arg(long, value_name = "URL")]
        endpoint: String,
    },
    /// Let a manager's clusters use the signer's nodes.
    Trust {
        #[arg(value_parser = super::parse_account)]
        manager: AccountId,
    },
    /// Stop letting a manager add the signer's nodes to clusters.
    Distrust {
        #[arg(value_parser = super::parse_account)]
        manager: AccountId,
    },
    /// One node.
    Show { node_id: NodeId },
    /// Nodes, by id.
    List {
        #[arg(long, default_value_t = 0)]
        offset: u32,
        #[arg(long, default_value_t = DEFAULT_LIMIT)]
        limit: u32,
    },
    /// The keeper's audits of a node: totals by result and the most recent ones.
    Audits {
        node_id: NodeId,
        /// Most recent audits shown.
        #[arg(long, default_value_t = 10)]
        limit: u32,
        /// The database the keeper writes (the mirror's).
        #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
        database_url: String,
    },
}

#[derive(Subcommand)]
pub enum ClusterCommand {
    /// Create a cluster managed by the signer: `--vnodes 0,1,0,1` puts vnode i on that node.
    Create {
        #[arg(long, value_delimiter = ',', required = true)]
        vnodes: Vec<NodeId>,
        #[arg(long)]
        resource_per_vnode: Resource,
        /// The manager's share of every distribution, basis points (10,000 = 100 %).
        #[arg(long, default_value_t = 0)]
        manager_fee_bp: u32,
    },
    /// Reserve more resource per vnode (the manager only).
    Reserve { cluster_id: ClusterId, amount: Resource },
    /// Move a vnode onto another trusted node (the manager only).
    ReplaceNode {
        cluster_id: ClusterId,
        #[arg(long)]
        vnode: u32,
        #[arg(long)]
        node: NodeId,
    },
    /// Remove a vnode (by index; the later ones move down) after paying out the cluster's
    /// revenues (the manager only); the nodes' repair moves its data.
    RemoveVnode {
        cluster_id: ClusterId,
        #[arg(long)]
        vnode: u32,
    },
    /// Remove every vnode of a node (one that failed its audits, say), as remove-vnode does.
    RemoveNode {
        cluster_id: ClusterId,
        #[arg(long)]
        node: NodeId,
    },
    /// Hand the cluster to another manager (the manager only).
    SetManager {
        cluster_id: ClusterId,
        #[arg(value_parser = super::parse_account)]
        manager: AccountId,
    },
    /// Pay out the cluster's revenues: network fee, manager fee, then by vnode to the providers.
    Distribute { cluster_id: ClusterId },
    /// One cluster with its vnode → node map.
    Show { cluster_id: ClusterId },
    /// Clusters, by id.
    List {
        #[arg(long, default_value_t = 0)]
        offset: u32,
        #[arg(long, default_value_t = DEFAULT_LIMIT)]
        limit: u32,
    },
    /// Each node's repair (copies to and removals from it so that it holds exactly what
    /// the placement gives it), as the node gateways recorded it in their database.
    RepairStatus {
        cluster_id: ClusterId,
        /// The node gateways' database (which mirrors the chain).
        #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
        database_url: String,
    },
}

#[derive(Subcommand)]
pub enum BucketCommand {
    /// Create a bucket of the signer in a cluster.
    Create {
        #[arg(long)]
        cluster: ClusterId,
        #[arg(long, default_value = "")]
        metadata: String,
    },
    /// Set the resource the bucket uses (its owner or the cluster's manager).
    Alloc { bucket_id: BucketId, resource: Resource },
    /// Move the rent the bucket owes from its owner's deposit to the cluster.
    Settle { bucket_id: BucketId },
    /// Give an account `reader` or `writer` permission (the owner only).
    Grant {
        bucket_id: BucketId,
        #[arg(value_parser = super::parse_account)]
        account: AccountId,
        #[arg(value_parser = parse_permission)]
        permission: Permission,
    },
    /// Take a permission back (the owner only).
    Revoke {
        bucket_id: BucketId,
        #[arg(value_parser = super::parse_account)]
        account: AccountId,
        #[arg(value_parser = parse_permission)]
        permission: Permission,
    },
    /// A bucket's status: resource, rent, covered until, readers and writers.
    Show { bucket_id: BucketId },
    /// What the cluster's node gateways counted of the bucket (bytes stored, in, out), from
    /// their database: what a manager reports with `bucket alloc`.
    Usage {
        bucket_id: BucketId,
        /// The node gateways' database.
        #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
        database_url: String,
    },
    /// Buckets, by id.
    List {
        #[arg(long, default_value_t = 0)]
        offset: u32,
        #[arg(long, default_value_t = DEFAULT_LIMIT)]
        limit: u32,
    },
}

#[derive(Subcommand)]
pub enum DdcAccountCommand {
    /// Deposit planck of free balance into the signer's ddc account (it pays bucket rent).
    Deposit { amount: Balance },
    /// Withdraw what the signer's buckets do not owe.
    Withdraw { amount: Balance },
    /// An account's deposit and buckets (default: the signer's).
    Show {
        #[arg(value_parser = super::parse_account)]
        account: Option<AccountId>,
    },
}

/// `reader` or `writer`.
fn parse_permission(text: &str) -> Result<Permission, String> {
    match text {
        "reader" => Ok(Permission::Reader),
        "writer" => Ok(Permission::Writer),
        other => Err(format!("`{other}` is not `reader` or `writer`")),
    }
}

async fn ddc(global: &GlobalArgs) -> Result<Ddc> {
    global.connect().await?.ddc()
}

/// A list query's report: each `(id, item)` as JSON and as a line of text, or `none` when
/// there are none.
fn list_report<Id: Copy, T>(
    rows: &[(Id, T)],
    json: impl Fn(Id, &T) -> Value,
    line: impl Fn(Id, &T) -> String,
    none: &str,
) -> Report {
    let items: Vec<Value> = rows.iter().map(|(id, item)| json(*id, item)).collect();
    let lines: Vec<String> = rows.iter().map(|(id, item)| line(*id, item)).collect();
    Report::new(if lines.is_empty() { none.to_string() } else { lines.join("\n") }, Value::Array(items))
}

/// A show query's report: the item's JSON, pretty-printed as its text.
fn show_report(value: Value) -> Result<Report> {
    Ok(Report::new(serde_json::to_string_pretty(&value)?, value))
}

fn node_json(id: NodeId, node: &Node) -> Value {
    json!({
        "node_id": id,
        "owner": osiris_chain::account::from_ink(&node.owner),
        "capacity": node.capacity,
        "free_resource": node.free_resource,
        "rent_per_vnode": planck(node.rent_per_vnode),
        "url": node.url,
    })
}

fn cluster_json(id: ClusterId, cluster: &Cluster) -> Value {
    json!({
        "cluster_id": id,
        "manager": osiris_chain::account::from_ink(&cluster.manager),
        "vnodes": cluster.vnodes,
        "resource_per_vnode": cluster.resource_per_vnode,
        "capacity": cluster.capacity(),
        "resource_used": cluster.resource_used,
        "rent_per_resource": planck(cluster.rent_per_resource),
        "manager_fee_bp": cluster.manager_fee_bp,
        "revenues": planck(cluster.revenues),
    })
}

fn bucket_json(status: &BucketStatus) -> Value {
    let accounts = |list: &[osiris_chain::types::AccountId]| -> Vec<String> {
        list.iter().map(|a| osiris_chain::account::from_ink(a).to_string()).collect()
    };
    let b = &status.bucket;
    json!({
        "bucket_id": status.bucket_id,
        "owner": osiris_chain::account::from_ink(&b.owner),
        "cluster_id": b.cluster_id,
        "metadata": b.metadata,
        "resource": b.resource,
        "rent_per_block": planck(status.rent_per_block),
        "settled_until": b.settled_until,
        "rent_covered_until": status.rent_covered_until,
        "writers": accounts(&b.writers),
        "readers": accounts(&b.readers),
    })
}

pub async fn node(global: &GlobalArgs, command: NodeCommand) -> Result<Report> {
    if let NodeCommand::Audits { node_id, limit, database_url } = command {
        return node_audits(node_id, limit, &database_url).await;
    }
    let ddc = ddc(global).await?;
    Ok(match command {
        NodeCommand::Create { capacity, rent_per_vnode, endpoint } => {
            let outcome = ddc.node_create(&global.signer()?, capacity, rent_per_vnode, &endpoint).await?;
            let id = outcome.value;
            Report::call(format!("created node {id} at {endpoint}"), &outcome, json!({ "node_id": id }))
        }
        NodeCommand::Change { node_id, capacity, rent_per_vnode, endpoint } => {
            let outcome =
                ddc.node_change_params(&global.signer()?, node_id, capacity, rent_per_vnode, &endpoint).await?;
            Report::call(format!("changed node {node_id}"), &outcome, json!({ "node_id": node_id }))
        }
        NodeCommand::Trust { manager } | NodeCommand::Distrust { manager } => {
            let trusted = matches!(command, NodeCommand::Trust { .. });
            let outcome = ddc.node_trust_manager(&global.signer()?, &manager, trusted).await?;
            let verb = if trusted { "trusts" } else { "no longer trusts" };
            let me = account_of(&global.signer()?);
            Report::call(
                format!("{me} {verb} manager {manager}"),
                &outcome,
                json!({ "manager": manager, "trusted": trusted }),
            )
        }
        NodeCommand::Show { node_id } => {
            let node = ddc.node(node_id).await?.with_context(|| format!("no node {node_id}"))?;
            let value = node_json(node_id, &node);
            show_report(value)?
        }
        NodeCommand::Audits { .. } => unreachable!("answered above, without the chain"),
        NodeCommand::List { offset, limit } => {
            let nodes = ddc.node_list(offset, limit).await?;
            list_report(
                &nodes,
                node_json,
                |id, n| {
                    format!(
                        "node {id}: {} free of {}, {} planck per vnode, {}",
                        n.free_resource, n.capacity, n.rent_per_vnode, n.url
                    )
                },
                "no nodes",
            )
        }
    })
}

pub async fn cluster(global: &GlobalArgs, command: ClusterCommand) -> Result<Report> {
    if let ClusterCommand::RepairStatus { cluster_id, database_url } = command {
        return repair_status(cluster_id, &database_url).await;
    }
    let ddc = ddc(global).await?;
    Ok(match command {
        ClusterCommand::Create { vnodes, resource_per_vnode, manager_fee_bp } => {
            let outcome =
                ddc.cluster_create(&global.signer()?, vnodes.clone(), resource_per_vnode, manager_fee_bp).await?;
            let id = outcome.value;
            Report::call(
                format!("created cluster {id} of {} vnodes on nodes {vnodes:?}", vnodes.len()),
                &outcome,
                json!({ "cluster_id": id }),
            )
        }
        ClusterCommand::Reserve { cluster_id, amount } => {
            let outcome = ddc.cluster_reserve_resource(&global.signer()?, cluster_id, amount).await?;
            Report::call(format!("cluster {cluster_id} reserved {amount} more per vnode"), &outcome, json!({}))
        }
        ClusterCommand::ReplaceNode { cluster_id, vnode, node } => {
            let outcome = ddc.cluster_replace_node(&global.signer()?, cluster_id, vnode, node).await?;
            Report::call(format!("cluster {cluster_id}: vnode {vnode} moved to node {node}"), &outcome, json!({}))
        }
        ClusterCommand::RemoveVnode { cluster_id, vnode } => {
            let outcome = ddc.cluster_remove_vnode(&global.signer()?, cluster_id, vnode).await?;
            let vnodes = ddc.cluster(cluster_id).await?.map(|c| c.vnodes).unwrap_or_default();
            let text = format!("removed vnode {vnode} from cluster {cluster_id}: vnodes now {vnodes:?}");
            Report::call(text, &outcome, json!({ "cluster_id": cluster_id, "vnodes": vnodes }))
        }
        ClusterCommand::RemoveNode { cluster_id, node } => {
            let outcome = ddc.cluster_remove_node(&global.signer()?, cluster_id, node).await?;
            let vnodes = ddc.cluster(cluster_id).await?.map(|c| c.vnodes).unwrap_or_default();
            let text = format!("removed node {node} from cluster {cluster_id}: vnodes now {vnodes:?}");
            Report::call(text, &outcome, json!({ "cluster_id": cluster_id, "vnodes": vnodes }))
        }
        ClusterCommand::SetManager { cluster_id, manager } => {
            let outcome = ddc.cluster_set_manager(&global.signer()?, cluster_id, &manager).await?;
            let text = format!("cluster {cluster_id} is now managed by {manager}");
            Report::call(text, &outcome, json!({ "cluster_id": cluster_id, "manager": manager.to_string() }))
        }
        ClusterCommand::Distribute { cluster_id } => {
            let outcome = ddc.cluster_distribute_revenues(&global.signer()?, cluster_id).await?;
            let event: osiris_chain::types::ddc::ClusterRevenuesDistributed =
                osiris_chain::contract::find_event(&outcome.events, ddc.address())
                    .context("the distribution's event is missing from its block")?;
            let shares: Vec<Value> = event
                .shares
                .iter()
                .map(|s| json!({ "provider": osiris_chain::account::from_ink(&s.provider), "vnodes": s.vnodes, "amount": planck(s.amount) }))
                .collect();
            let text = format!(
                "distributed {} planck of cluster {cluster_id}: network fee {}, manager fee {}, {} to {} provider(s), {} kept",
                event.total,
                event.network_fee,
                event.manager_fee,
                event.shares.iter().map(|s| s.amount).sum::<Balance>(),
                event.shares.len(),
                event.kept
            );
            let json = json!({
                "total": planck(event.total),
                "network_fee": planck(event.network_fee),
                "manager_fee": planck(event.manager_fee),
                "shares": shares,
                "kept": planck(event.kept),
            });
            Report::call(text, &outcome, json)
        }
        ClusterCommand::Show { cluster_id } => {
            let cluster = ddc.cluster(cluster_id).await?.with_context(|| format!("no cluster {cluster_id}"))?;
            let value = cluster_json(cluster_id, &cluster);
            show_report(value)?
        }
        ClusterCommand::RepairStatus { .. } => unreachable!("answered above, without the chain"),
        ClusterCommand::List { offset, limit } => {
            let clusters = ddc.cluster_list(offset, limit).await?;
            list_report(
                &clusters,
                cluster_json,
                |id, c| {
                    format!(
                        "cluster {id}: {} vnodes, {} of {} used, {} planck collected",
                        c.vnodes.len(),
                        c.resource_used,
                        c.capacity(),
                        c.revenues
                    )
                },
                "no clusters",
            )
        }
    })
}

pub async fn bucket(global: &GlobalArgs, command: BucketCommand) -> Result<Report> {
    if let BucketCommand::Usage { bucket_id, database_url } = command {
        return bucket_usage(bucket_id, &database_url).await;
    }
    let ddc = ddc(global).await?;
    Ok(match command {
        BucketCommand::Create { cluster, metadata } => {
            let outcome = ddc.bucket_create(&global.signer()?, cluster, &metadata).await?;
            let id = outcome.value;
            Report::call(format!("created bucket {id} in cluster {cluster}"), &outcome, json!({ "bucket_id": id }))
        }
        BucketCommand::Alloc { bucket_id, resource } => {
            let outcome = ddc.bucket_alloc_into_cluster(&global.signer()?, bucket_id, resource).await?;
            Report::call(format!("bucket {bucket_id} uses {resource}"), &outcome, json!({}))
        }
        BucketCommand::Settle { bucket_id } => {
            let outcome = ddc.bucket_settle_payment(&global.signer()?, bucket_id).await?;
            let event: osiris_chain::types::ddc::BucketSettled =
                osiris_chain::contract::find_event(&outcome.events, ddc.address())
                    .context("the settlement's event is missing from its block")?;
            Report::call(
                format!(
                    "bucket {bucket_id}: paid {} planck of rent, settled until block {}; owner's deposit {}",
                    event.paid, event.settled_until, event.owner_deposit
                ),
                &outcome,
                json!({ "paid": planck(event.paid), "settled_until": event.settled_until, "owner_deposit": planck(event.owner_deposit) }),
            )
        }
        BucketCommand::Grant { bucket_id, account, permission }
        | BucketCommand::Revoke { bucket_id, account, permission } => {
            let granted = matches!(command, BucketCommand::Grant { .. });
            let outcome = ddc.bucket_permission(&global.signer()?, bucket_id, &account, permission, granted).await?;
            let verb = if granted { "granted" } else { "revoked" };
            Report::call(format!("bucket {bucket_id}: {verb} {permission:?} for {account}"), &outcome, json!({}))
        }
        BucketCommand::Usage { .. } => unreachable!("answered above, without the chain"),
        BucketCommand::Show { bucket_id } => {
            let status = ddc.bucket(bucket_id).await?.with_context(|| format!("no bucket {bucket_id}"))?;
            let value = bucket_json(&status);
            show_report(value)?
        }
        BucketCommand::List { offset, limit } => {
            let buckets = ddc.bucket_list(offset, limit).await?;
            list_report(
                &buckets,
                |_, s| bucket_json(s),
                |id, s| {
                    format!(
                        "bucket {id}: cluster {}, {} units, {} planck per block, covered until block {}",
                        s.bucket.cluster_id, s.bucket.resource, s.rent_per_block, s.rent_covered_until
                    )
                },
                "no buckets",
            )
        }
    })
}

pub async fn account(global: &GlobalArgs, command: DdcAccountCommand) -> Result<Report> {
    let ddc = ddc(global).await?;
    let me = || global.signer().map(|s| account_of(&s));
    Ok(match command {
        DdcAccountCommand::Deposit { amount } => {
            let outcome = ddc.account_deposit(&global.signer()?, amount).await?;
            let deposit = ddc.account(&me()?).await?.deposit;
            Report::call(
                format!("deposited {amount} planck; ddc deposit {deposit}"),
                &outcome,
                json!({ "deposit": planck(deposit) }),
            )
        }
        DdcAccountCommand::Withdraw { amount } => {
            let outcome = ddc.account_withdraw(&global.signer()?, amount).await?;
            let deposit = ddc.account(&me()?).await?.deposit;
            Report::call(
                format!("withdrew {amount} planck; ddc deposit {deposit}"),
                &outcome,
                json!({ "deposit": planck(deposit) }),
            )
        }
        DdcAccountCommand::Show { account } => {
            let account = match account {
                Some(a) => a,
                None => me()?,
            };
            let state = ddc.account(&account).await?;
            Report::new(
                format!("{account}: {} planck deposited, buckets {:?}", state.deposit, state.buckets),
                json!({ "account": account, "deposit": planck(state.deposit), "buckets": state.buckets }),
            )
        }
    })
}

/// How long the gateways' database may take to answer a connection.
const DATABASE_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

async fn gateways_database(database_url: &str) -> Result<sqlx::PgPool> {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(DATABASE_CONNECT_TIMEOUT)
        .connect(database_url)
        .await
        .context("connecting to the node gateways' database (DATABASE_URL)")
}

async fn node_audits(node_id: NodeId, limit: u32, database_url: &str) -> Result<Report> {
    let pool = gateways_database(database_url).await?;
    let audits = osiris_ledger::audits::of_node(&pool, node_id, i64::from(limit)).await?;
    let mut lines = vec![format!(
        "node {node_id}: {} passed, {} failed, {} disputed, {} unreachable",
        audits.passed, audits.failed, audits.disputed, audits.unreachable
    )];
    for a in &audits.recent {
        lines.push(format!(
            "  {} {:<11} bucket {} `{}` bytes {}+{}{}",
            a.audited_at,
            a.result.as_str(),
            a.bucket_id,
            a.key,
            a.range_start,
            a.range_bytes,
            a.detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
        ));
    }
    let recent: Vec<Value> = audits
        .recent
        .iter()
        .map(|a| {
            json!({ "audited_at": a.audited_at, "result": a.result.as_str(), "bucket_id": a.bucket_id, "key": a.key,
                    "range_start": a.range_start, "range_bytes": a.range_bytes, "detail": a.detail })
        })
        .collect();
    let json = json!({ "node_id": node_id, "passed": audits.passed, "failed": audits.failed,
                       "disputed": audits.disputed, "unreachable": audits.unreachable, "recent": recent });
    Ok(Report::new(lines.join("\n"), json))
}

async fn repair_status(cluster_id: ClusterId, database_url: &str) -> Result<Report> {
    let pool = gateways_database(database_url).await?;
    let nodes = osiris_mirror::ddc::cluster_nodes(&pool, cluster_id)
        .await?
        .with_context(|| format!("no cluster {cluster_id} in the mirror"))?;
    let status = osiris_ledger::repair::status(&pool, &nodes).await?;
    let mut lines = Vec::new();
    let mut items = Vec::new();
    for node in &nodes {
        let Some(s) = status.iter().find(|s| s.node_id == *node) else {
            lines.push(format!("node {node}: has not repaired yet"));
            items.push(json!({ "node_id": node, "passes": 0 }));
            continue;
        };
        let t = &s.totals;
        let at = match &s.cursor.bucket_id {
            Some(b) => format!("pass running at bucket {b} after `{}`", s.cursor.after_key),
            None => "between passes".into(),
        };
        lines.push(format!(
            "node {node}: {} passes (last completed {}), {at}; {} objects checked, {} copied ({} bytes), {} removed, {} failed{}",
            s.passes,
            s.last_pass_at.as_deref().unwrap_or("never"),
            t.checked,
            t.copied,
            t.bytes_copied,
            t.removed,
            t.failures,
            s.last_error.as_deref().map(|e| format!("; last error: {e}")).unwrap_or_default(),
        ));
        items.push(json!({
            "node_id": node, "passes": s.passes, "last_pass_at": s.last_pass_at, "pass_started_at": s.pass_started_at,
            "bucket_id": s.cursor.bucket_id, "after_key": s.cursor.after_key,
            "objects_checked": t.checked, "objects_copied": t.copied, "objects_removed": t.removed,
            "bytes_copied": t.bytes_copied, "failures": t.failures, "last_error": s.last_error,
            "updated_at": s.updated_at,
        }));
    }
    Ok(Report::new(lines.join("\n"), Value::Array(items)))
}

async fn bucket_usage(bucket_id: BucketId, database_url: &str) -> Result<Report> {
    let pool = gateways_database(database_url).await?;
    let usage = osiris_ledger::bucket_usage::of_bucket(&pool, bucket_id).await?;
    let lines: Vec<String> = usage
        .iter()
        .map(|u| {
            format!(
                "node {}: {} bytes stored, {} in, {} out, {} requests",
                u.node_id, u.stored_bytes, u.bytes_in, u.bytes_out, u.requests
            )
        })
        .collect();
    let items: Vec<Value> = usage
        .iter()
        .map(|u| {
            json!({ "node_id": u.node_id, "stored_bytes": u.stored_bytes, "bytes_in": u.bytes_in,
                    "bytes_out": u.bytes_out, "requests": u.requests })
        })
        .collect();
    let text = if lines.is_empty() { format!("no node has served bucket {bucket_id}") } else { lines.join("\n") };
    Ok(Report::new(text, Value::Array(items)))
}
