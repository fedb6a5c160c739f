//! Bucket-request signatures a ddc node has served (`gateway_bucket_requests_seen`,
//! migrations/0010), so that a captured request is served once: by any gateway process
//! serving as the node, before or after a restart. A row is kept until the request is
//! stale anyway (its timestamp plus the node's freshness window, Unix ms) and then dropped
//! by [`forget_stale`]. On another node the signature does not verify at all: it covers
//! the node's id (`osiris_payments::signing::bucket`).

use crate::big;
use osiris_contract_types::ddc::NodeId;
use sqlx::PgPool;

/// Records `signature` as served by `node_id` until `stale_at_ms`; `Ok(false)` when it was
/// served before (a replay: the caller refuses it). One statement, so two processes racing
/// with the same signature cannot both get `true`.
pub async fn first_use(
    pool: &PgPool,
    node_id: NodeId,
    signature: &[u8],
    stale_at_ms: u64,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO gateway_bucket_requests_seen (signature, node_id, stale_at_ms) VALUES ($1, $2, $3)
         ON CONFLICT (signature) DO NOTHING",
    )
    .bind(signature)
    .bind(i64::from(node_id.0))
    .bind(big(stale_at_ms))
    .execute(pool)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Drops the signatures stale before `now_ms` (Unix ms); returns how many.
pub async fn forget_stale(pool: &PgPool, now_ms: u64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM gateway_bucket_requests_seen WHERE stale_at_ms < $1")
        .bind(big(now_ms))
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}
