//! The ddc contract as the mirror holds it (migrations/0008): nodes, clusters and buckets
//! as JSON documents of the row types below, which the indexer's fold writes and its API
//! returns; accounts' deposits and providers' trust as columns. [`bucket_facts`] is what a
//! node gateway reads to decide a request within a bucket.

use crate::{parse_planck, planck_text, to_u64, MirrorError};
use osiris_contract_types::ddc::{BucketId, ClusterId, NodeId, Resource};
use osiris_contract_types::{Balance, BlockNumber};
pub use osiris_payments::facts::{BucketAccess, BucketFacts};
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgPool;
use sqlx::Row;
use utoipa::ToSchema;

/// Where an event is: (block number, index in the block's events). Orders creation.
pub type Position = (u64, u32);

/// A provider's storage node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NodeRow {
    #[schema(value_type = u32)]
    pub node_id: NodeId,
    /// SS58.
    pub owner: String,
    /// Resource units the node offers.
    pub capacity: Resource,
    /// Resource not reserved by clusters.
    pub free_resource: Resource,
    /// Planck per block for one vnode, decimal string.
    #[serde(with = "planck_text")]
    #[schema(value_type = String)]
    pub rent_per_vnode: Balance,
    /// Where the node's gateway answers.
    pub url: String,
    #[serde(skip)]
    pub created: Position,
}

/// A cluster: vnode `i` lives on node `vnodes[i]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ClusterRow {
    #[schema(value_type = u32)]
    pub cluster_id: ClusterId,
    /// SS58.
    pub manager: String,
    #[schema(value_type = Vec<u32>)]
    pub vnodes: Vec<NodeId>,
    pub resource_per_vnode: Resource,
    /// Resource the cluster's buckets have allocated.
    pub resource_used: Resource,
    /// Planck per block per resource unit, decimal string.
    #[serde(with = "planck_text")]
    #[schema(value_type = String)]
    pub rent_per_resource: Balance,
    /// Basis points of each distribution.
    pub manager_fee_bp: u32,
    /// Rent collected and not yet distributed, planck, decimal string.
    #[serde(with = "planck_text")]
    #[schema(value_type = String)]
    pub revenues: Balance,
    /// Planck distributed so far (fees and shares), decimal string.
    #[serde(with = "planck_text")]
    #[schema(value_type = String)]
    pub distributed: Balance,
    #[serde(skip)]
    pub created: Position,
}

/// An app's bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BucketRow {
    #[schema(value_type = u32)]
    pub bucket_id: BucketId,
    /// SS58.
    pub owner: String,
    #[schema(value_type = u32)]
    pub cluster_id: ClusterId,
    pub metadata: String,
    /// Resource allocated into the cluster.
    pub resource: Resource,
    /// Planck per block, decimal string.
    #[serde(with = "planck_text")]
    #[schema(value_type = String)]
    pub rent_per_block: Balance,
    /// Rent is paid up to (excluding) this block.
    pub settled_until: BlockNumber,
    /// SS58.
    pub writers: Vec<String>,
    /// SS58.
    pub readers: Vec<String>,
    #[serde(skip)]
    pub created: Position,
}

/// The bucket, its cluster's vnodes and its owner's deposit and buckets, in one query;
/// `None` if the mirror has no such bucket.
pub async fn bucket_facts(pool: &PgPool, bucket_id: BucketId) -> Result<Option<BucketFacts>, MirrorError> {
    Ok(bucket_with_facts(pool, bucket_id).await?.map(|(_, facts)| facts))
}

/// [`bucket_facts`] and the whole bucket as mirrored (for the REST API's bucket status).
pub async fn bucket_with_facts(
    pool: &PgPool,
    bucket_id: BucketId,
) -> Result<Option<(BucketRow, BucketFacts)>, MirrorError> {
    let row = sqlx::query(
        "SELECT b.doc AS bucket, c.doc->'vnodes' AS vnodes, c.manager, a.deposit::text AS deposit,
                (SELECT COALESCE(jsonb_agg(DISTINCT n.owner), '[]') FROM ddc_nodes n
                   WHERE c.doc->'vnodes' @> to_jsonb(n.node_id)) AS node_owners,
                (SELECT jsonb_agg(jsonb_build_array(o.doc->>'rent_per_block', o.doc->'settled_until'))
                   FROM ddc_buckets o WHERE o.owner = b.owner) AS owner_buckets,
                (SELECT block_number FROM indexer_cursor) AS head
         FROM ddc_buckets b JOIN ddc_clusters c ON c.cluster_id = b.cluster_id
         LEFT JOIN ddc_accounts a ON a.account = b.owner
         WHERE b.bucket_id = $1",
    )
    .bind(i64::from(bucket_id.0))
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let malformed =
        |field: &'static str, value: &serde_json::Value| MirrorError::Malformed { field, value: value.to_string() };
    let bucket: serde_json::Value = row.try_get("bucket")?;
    let bucket: BucketRow =
        serde_json::from_value(bucket.clone()).map_err(|_| malformed("ddc_buckets.doc", &bucket))?;
    let vnodes: serde_json::Value = row.try_get("vnodes")?;
    let vnodes: Vec<NodeId> =
        serde_json::from_value(vnodes.clone()).map_err(|_| malformed("ddc_clusters.doc.vnodes", &vnodes))?;
    let node_owners: serde_json::Value = row.try_get("node_owners")?;
    let node_owners: Vec<String> =
        serde_json::from_value(node_owners.clone()).map_err(|_| malformed("ddc_nodes.owner", &node_owners))?;
    let deposit: Option<String> = row.try_get("deposit")?;
    let owner_deposit = deposit.map(|d| parse_planck("ddc_accounts.deposit", &d)).transpose()?.unwrap_or(0);
    let others: serde_json::Value = row.try_get("owner_buckets")?;
    let pairs: Vec<(String, BlockNumber)> =
        serde_json::from_value(others.clone()).map_err(|_| malformed("ddc_buckets.doc", &others))?;
    let owner_buckets = pairs
        .into_iter()
        .map(|(rate, until)| Ok((parse_planck("ddc_buckets.doc.rent_per_block", &rate)?, until)))
        .collect::<Result<_, MirrorError>>()?;
    let head: Option<i64> = row.try_get("head")?;
    let access = BucketAccess {
        bucket_id: bucket.bucket_id,
        owner: bucket.owner.clone(),
        cluster_id: bucket.cluster_id,
        resource: bucket.resource,
        writers: bucket.writers.clone(),
        readers: bucket.readers.clone(),
        manager: row.try_get("manager")?,
    };
    Ok(Some((
        bucket,
        BucketFacts {
            bucket: access,
            vnodes,
            node_owners,
            owner_deposit,
            owner_buckets,
            finalized_block: head.map(|b| to_u64("indexer_cursor.block_number", b)).transpose()?.unwrap_or(0),
        },
    )))
}

/// A node as mirrored, `None` if unknown.
pub async fn node(pool: &PgPool, node_id: NodeId) -> Result<Option<NodeRow>, MirrorError> {
    let row = sqlx::query("SELECT doc FROM ddc_nodes WHERE node_id = $1")
        .bind(i64::from(node_id.0))
        .fetch_optional(pool)
        .await?;
    row.map(|r| {
        let doc: serde_json::Value = r.try_get("doc")?;
        serde_json::from_value(doc.clone())
            .map_err(|_| MirrorError::Malformed { field: "ddc_nodes.doc", value: doc.to_string() })
    })
    .transpose()
}

/// A bucket a node serves, with its cluster's vnode → node map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeBucket {
    pub bucket_id: BucketId,
    pub vnodes: Vec<NodeId>,
}

/// The buckets of every cluster that maps a vnode to `node_id`, by bucket id, from
/// `after` (excluding; `None`: from the first), at most `limit` (a node's repair pass).
pub async fn buckets_on_node(
    pool: &PgPool,
    node_id: NodeId,
    after: Option<BucketId>,
    limit: i64,
) -> Result<Vec<NodeBucket>, MirrorError> {
    let rows = sqlx::query(
        "SELECT b.bucket_id, c.doc->'vnodes' AS vnodes
         FROM ddc_buckets b JOIN ddc_clusters c ON c.cluster_id = b.cluster_id
         WHERE c.doc->'vnodes' @> to_jsonb($1::bigint) AND b.bucket_id > $2
         ORDER BY b.bucket_id LIMIT $3",
    )
    .bind(i64::from(node_id.0))
    .bind(after.map_or(-1, |b| i64::from(b.0)))
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            let id: i64 = r.try_get("bucket_id")?;
            let vnodes: serde_json::Value = r.try_get("vnodes")?;
            let malformed = || MirrorError::Malformed { field: "ddc_clusters.doc.vnodes", value: vnodes.to_string() };
            Ok(NodeBucket {
                bucket_id: BucketId(u32::try_from(id).map_err(|_| malformed())?),
                vnodes: serde_json::from_value(vnodes.clone()).map_err(|_| malformed())?,
            })
        })
        .collect()
}

/// The URLs of the nodes among `ids` the mirror knows.
pub async fn node_urls(
    pool: &PgPool,
    ids: &[NodeId],
) -> Result<std::collections::BTreeMap<NodeId, String>, MirrorError> {
    let ids: Vec<i64> = ids.iter().map(|n| i64::from(n.0)).collect();
    let rows = sqlx::query("SELECT node_id, doc->>'url' AS url FROM ddc_nodes WHERE node_id = ANY($1)")
        .bind(&ids)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| {
            let id: i64 = r.try_get("node_id")?;
            let url: Option<String> = r.try_get("url")?;
            let id = u32::try_from(id)
                .map_err(|_| MirrorError::Malformed { field: "ddc_nodes.node_id", value: id.to_string() })?;
            Ok((NodeId(id), url.unwrap_or_default()))
        })
        .collect()
}

/// The distinct nodes of a cluster, by id; `None` if the mirror has no such cluster.
pub async fn cluster_nodes(pool: &PgPool, cluster_id: ClusterId) -> Result<Option<Vec<NodeId>>, MirrorError> {
    let row = sqlx::query("SELECT doc->'vnodes' AS vnodes FROM ddc_clusters WHERE cluster_id = $1")
        .bind(i64::from(cluster_id.0))
        .fetch_optional(pool)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let vnodes: serde_json::Value = row.try_get("vnodes")?;
    let nodes: Vec<NodeId> = serde_json::from_value(vnodes.clone())
        .map_err(|_| MirrorError::Malformed { field: "ddc_clusters.doc.vnodes", value: vnodes.to_string() })?;
    Ok(Some(nodes.into_iter().collect::<std::collections::BTreeSet<_>>().into_iter().collect()))
}

fn doc<T: serde::de::DeserializeOwned>(row: &sqlx::postgres::PgRow, field: &'static str) -> Result<T, MirrorError> {
    let doc: serde_json::Value = row.try_get("doc")?;
    serde_json::from_value(doc.clone()).map_err(|_| MirrorError::Malformed { field, value: doc.to_string() })
}

/// The clusters `manager` (SS58) manages, by id.
pub async fn clusters_of_manager(pool: &PgPool, manager: &str) -> Result<Vec<ClusterRow>, MirrorError> {
    let rows = sqlx::query("SELECT doc FROM ddc_clusters WHERE manager = $1 ORDER BY cluster_id")
        .bind(manager)
        .fetch_all(pool)
        .await?;
    rows.iter().map(|r| doc(r, "ddc_clusters.doc")).collect()
}

/// The buckets of a cluster, by id.
pub async fn cluster_buckets(pool: &PgPool, cluster_id: ClusterId) -> Result<Vec<BucketRow>, MirrorError> {
    let rows = sqlx::query("SELECT doc FROM ddc_buckets WHERE cluster_id = $1 ORDER BY bucket_id")
        .bind(i64::from(cluster_id.0))
        .fetch_all(pool)
        .await?;
    rows.iter().map(|r| doc(r, "ddc_buckets.doc")).collect()
}

/// The last block the mirror holds (the indexer's cursor); 0 before the first.
pub async fn head_block(pool: &PgPool) -> Result<u64, MirrorError> {
    let head: Option<i64> = sqlx::query_scalar("SELECT block_number FROM indexer_cursor").fetch_optional(pool).await?;
    head.map(|b| to_u64("indexer_cursor.block_number", b)).transpose().map(|b| b.unwrap_or(0))
}
