//! The ddc contract: nodes, clusters (with their vnode → node map), buckets (with their
//! permissions and rent status) and accounts (deposit, buckets, trusted managers).

use super::agreements::IdPageQuery;
use super::error::{ApiError, ErrorBody};
use super::escrow::AccountPath;
use super::models::Page;
use super::params::{self, Params};
use super::AppState;
use crate::state::ddc::{BucketRow, ClusterRow, NodeRow};
use crate::store::ddc::DdcFilter;
use axum::extract::{Path, State};
use axum::Json;
use osiris_contract_types::ddc::BucketId;
use serde::{Deserialize, Serialize};
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::{IntoParams, ToSchema};

/// Node filter and paging.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeQuery {
    owner: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

impl IntoParams for NodeQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let mut all = vec![params::query("owner", "SS58 account of the node's provider.", params::account_schema())];
        all.extend(IdPageQuery::into_params(|| None));
        all
    }
}

/// Cluster filter and paging.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterQuery {
    manager: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

impl IntoParams for ClusterQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let mut all =
            vec![params::query("manager", "SS58 account of the cluster's manager.", params::account_schema())];
        all.extend(IdPageQuery::into_params(|| None));
        all
    }
}

/// Bucket filters (combined with AND) and paging.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketQuery {
    owner: Option<String>,
    cluster_id: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

impl IntoParams for BucketQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let mut all = vec![
            params::query("owner", "SS58 account of the bucket's owner.", params::account_schema()),
            params::query("cluster_id", "The cluster the bucket is in.", params::number_schema()),
        ];
        all.extend(IdPageQuery::into_params(|| None));
        all
    }
}

/// An id in the path (`node_id`, `cluster_id` or `bucket_id`).
#[derive(Deserialize)]
pub struct NodePath {
    node_id: String,
}

impl IntoParams for NodePath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![params::path("node_id", "Node id.", params::number_schema())]
    }
}

#[derive(Deserialize)]
pub struct ClusterPath {
    cluster_id: String,
}

impl IntoParams for ClusterPath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![params::path("cluster_id", "Cluster id.", params::number_schema())]
    }
}

#[derive(Deserialize)]
pub struct BucketPath {
    bucket_id: String,
}

impl IntoParams for BucketPath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![params::path("bucket_id", "Bucket id.", params::number_schema())]
    }
}

/// A bucket with its rent status at the mirror's finalized block.
#[derive(Debug, Serialize, ToSchema)]
pub struct BucketStatus {
    #[serde(flatten)]
    pub bucket: BucketRow,
    /// The owner's deposit covers the rent of all its buckets up to (excluding) this block;
    /// `null` when the owner pays no rent.
    pub rent_covered_until: Option<u32>,
    /// Whether the owner's deposit still covers the rent at `at_block`.
    pub rent_covered: bool,
    /// The owner's deposit, planck, decimal string.
    pub owner_deposit: String,
    /// The finalized block the status is computed at.
    pub at_block: u64,
}

/// An account in the ddc contract.
#[derive(Debug, Serialize, ToSchema)]
pub struct DdcAccount {
    /// SS58.
    pub account: String,
    /// Planck, decimal string: deposits, and revenues credited to providers and managers.
    pub deposit: String,
    /// Buckets it owns.
    pub buckets: Vec<u32>,
    /// SS58 of the managers it trusts with its nodes.
    pub trusts: Vec<String>,
}

fn id_page<T, Id: Into<u32>>(rows: Vec<T>, id: impl Fn(&T) -> Id, limit: i64) -> Page<T> {
    params::page(rows.into_iter().map(|r| (i64::from(id(&r).into()), r)).collect(), limit)
}

/// List nodes by id.
#[utoipa::path(get, path = "/v1/ddc/nodes", tag = "ddc", params(NodeQuery),
    responses((status = 200, body = Page<NodeRow>, links(
        ("first_node" = (operation_id = "get_node", parameters(("node_id" = "$response.body#/items/0/node_id")),
            description = "The first node of the page")))),
        (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn list_nodes(
    State(s): State<AppState>,
    Params(q): Params<NodeQuery>,
) -> Result<Json<Page<NodeRow>>, ApiError> {
    let filter =
        DdcFilter { owner: q.owner.as_deref().map(|v| params::account("owner", v)).transpose()?, ..Default::default() };
    let limit = params::limit(q.limit.as_deref())?;
    let after: Option<i64> = params::decode_cursor(q.cursor.as_deref())?;
    Ok(Json(id_page(s.store.ddc_nodes(&filter, after, limit).await?, |n| n.node_id, limit)))
}

/// One node: its owner, capacity, free resource, rent per vnode and URL.
#[utoipa::path(get, path = "/v1/ddc/nodes/{node_id}", tag = "ddc", params(NodePath),
    responses((status = 200, body = NodeRow, links(
        ("audits" = (operation_id = "get_node_audits", parameters(("node_id" = "$response.body#/node_id")),
            description = "The node's audits")))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn get_node(
    State(s): State<AppState>,
    Path(NodePath { node_id }): Path<NodePath>,
) -> Result<Json<NodeRow>, ApiError> {
    let id = params::number("node_id", &node_id)?;
    s.store.ddc_node(id).await?.map(Json).ok_or_else(|| ApiError::NotFound(format!("no node {id}")))
}

/// A node's audits' page size.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    limit: Option<String>,
}

impl IntoParams for AuditQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![params::query("limit", "Most recent audits listed, 1 to 500 (default 50).", params::limit_schema())]
    }
}

/// One audit of a node by its cluster manager's keeper (`osiris-keeper`).
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditItem {
    /// RFC 3339, UTC.
    pub audited_at: String,
    /// `passed`, `failed`, `disputed` or `unreachable`.
    pub result: String,
    #[schema(value_type = u32)]
    pub bucket_id: BucketId,
    pub key: String,
    /// The challenged byte range: first byte and length.
    pub range_start: u64,
    pub range_bytes: u64,
    /// Why it did not pass.
    pub detail: Option<String>,
}

/// A node's audits: totals by result and the most recent first.
#[derive(Debug, Serialize, ToSchema)]
pub struct NodeAudits {
    pub node_id: u64,
    pub passed: u64,
    pub failed: u64,
    pub disputed: u64,
    pub unreachable: u64,
    pub recent: Vec<AuditItem>,
}

/// The keeper's audits of a node (proof of storage): totals by result and the latest
/// challenges, newest first. A node never audited has zero of each.
#[utoipa::path(get, path = "/v1/ddc/nodes/{node_id}/audits", tag = "ddc", params(NodePath, AuditQuery),
    responses((status = 200, body = NodeAudits), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn get_node_audits(
    State(s): State<AppState>,
    Path(NodePath { node_id }): Path<NodePath>,
    Params(q): Params<AuditQuery>,
) -> Result<Json<NodeAudits>, ApiError> {
    let id = params::number("node_id", &node_id)?;
    let limit = params::limit(q.limit.as_deref())?;
    // Node ids are u32 on chain: a larger one was never audited.
    let audits = match u32::try_from(id) {
        Ok(node) => {
            osiris_ledger::audits::of_node(&s.store.pool, osiris_contract_types::ddc::NodeId(node), limit).await?
        }
        Err(_) => Default::default(),
    };
    Ok(Json(NodeAudits {
        node_id: id as u64,
        passed: audits.passed,
        failed: audits.failed,
        disputed: audits.disputed,
        unreachable: audits.unreachable,
        recent: audits
            .recent
            .into_iter()
            .map(|a| AuditItem {
                audited_at: a.audited_at,
                result: a.result.as_str().into(),
                bucket_id: a.bucket_id,
                key: a.key,
                range_start: a.range_start,
                range_bytes: a.range_bytes,
                detail: a.detail,
            })
            .collect(),
    }))
}

/// List clusters by id.
#[utoipa::path(get, path = "/v1/ddc/clusters", tag = "ddc", params(ClusterQuery),
    responses((status = 200, body = Page<ClusterRow>, links(
        ("first_cluster" = (operation_id = "get_cluster", parameters(("cluster_id" = "$response.body#/items/0/cluster_id")),
            description = "The first cluster of the page")))),
        (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn list_clusters(
    State(s): State<AppState>,
    Params(q): Params<ClusterQuery>,
) -> Result<Json<Page<ClusterRow>>, ApiError> {
    let filter = DdcFilter {
        manager: q.manager.as_deref().map(|v| params::account("manager", v)).transpose()?,
        ..Default::default()
    };
    let limit = params::limit(q.limit.as_deref())?;
    let after: Option<i64> = params::decode_cursor(q.cursor.as_deref())?;
    Ok(Json(id_page(s.store.ddc_clusters(&filter, after, limit).await?, |c| c.cluster_id, limit)))
}

/// One cluster, with its vnode → node map (`vnodes[i]` is vnode i's node).
#[utoipa::path(get, path = "/v1/ddc/clusters/{cluster_id}", tag = "ddc", params(ClusterPath),
    responses((status = 200, body = ClusterRow, links(
        ("buckets" = (operation_id = "list_buckets", parameters(("cluster_id" = "$request.path.cluster_id")),
            description = "The cluster's buckets")))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn get_cluster(
    State(s): State<AppState>,
    Path(ClusterPath { cluster_id }): Path<ClusterPath>,
) -> Result<Json<ClusterRow>, ApiError> {
    let id = params::number("cluster_id", &cluster_id)?;
    s.store.ddc_cluster(id).await?.map(Json).ok_or_else(|| ApiError::NotFound(format!("no cluster {id}")))
}

/// List buckets by id.
#[utoipa::path(get, path = "/v1/ddc/buckets", tag = "ddc", params(BucketQuery),
    responses((status = 200, body = Page<BucketRow>, links(
        ("first_bucket" = (operation_id = "get_bucket", parameters(("bucket_id" = "$response.body#/items/0/bucket_id")),
            description = "The first bucket of the page")))),
        (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn list_buckets(
    State(s): State<AppState>,
    Params(q): Params<BucketQuery>,
) -> Result<Json<Page<BucketRow>>, ApiError> {
    let filter = DdcFilter {
        owner: q.owner.as_deref().map(|v| params::account("owner", v)).transpose()?,
        cluster_id: q.cluster_id.as_deref().map(|v| params::number("cluster_id", v)).transpose()?,
        ..Default::default()
    };
    let limit = params::limit(q.limit.as_deref())?;
    let after: Option<i64> = params::decode_cursor(q.cursor.as_deref())?;
    Ok(Json(id_page(s.store.ddc_buckets(&filter, after, limit).await?, |b| b.bucket_id, limit)))
}

/// One bucket's status: its resource, rent, readers and writers, and how long its owner's
/// deposit covers the rent, at the mirror's finalized block.
#[utoipa::path(get, path = "/v1/ddc/buckets/{bucket_id}", tag = "ddc", params(BucketPath),
    responses((status = 200, body = BucketStatus, links(
        ("cluster" = (operation_id = "get_cluster", parameters(("cluster_id" = "$response.body#/cluster_id")),
            description = "The bucket's cluster")),
        ("owner" = (operation_id = "get_ddc_account", parameters(("account" = "$response.body#/owner")),
            description = "The bucket's owner's account")))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn get_bucket(
    State(s): State<AppState>,
    Path(BucketPath { bucket_id }): Path<BucketPath>,
) -> Result<Json<BucketStatus>, ApiError> {
    let id = params::number("bucket_id", &bucket_id)?;
    let id32 = u32::try_from(id).map_err(|_| ApiError::NotFound(format!("no bucket {id}")))?;
    let (bucket, facts) = osiris_mirror::ddc::bucket_with_facts(&s.store.pool, BucketId(id32))
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?
        .ok_or_else(|| ApiError::NotFound(format!("no bucket {id}")))?;
    let until = facts.rent_covered_until();
    Ok(Json(BucketStatus {
        rent_covered_until: (until != u32::MAX).then_some(until),
        rent_covered: facts.rent_covered(),
        owner_deposit: facts.owner_deposit.to_string(),
        at_block: facts.finalized_block,
        bucket,
    }))
}

/// An account's deposit in the ddc contract, its buckets and the managers it trusts.
#[utoipa::path(get, path = "/v1/ddc/accounts/{account}", tag = "ddc", params(AccountPath),
    responses((status = 200, body = DdcAccount), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn get_ddc_account(
    State(s): State<AppState>,
    Path(AccountPath { account }): Path<AccountPath>,
) -> Result<Json<DdcAccount>, ApiError> {
    let account = params::account("account", &account)?;
    let a = s.store.ddc_account(&account).await?;
    Ok(Json(DdcAccount { account, deposit: a.deposit.to_string(), buckets: a.buckets, trusts: a.trusts }))
}
