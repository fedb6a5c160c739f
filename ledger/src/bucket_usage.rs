//! What ddc node gateways counted of each bucket (`gateway_bucket_usage`, migrations/0008):
//! the bytes the bucket occupies on the node (as its object store reports after each
//! write), the bytes that came in and went out, and the requests served. Node gateways add
//! to it; the cluster's manager reads it (`osiris bucket usage`) to report a bucket's usage
//! with `bucket_alloc_into_cluster`.

use crate::big;
use osiris_contract_types::ddc::{BucketId, NodeId};
use sqlx::{PgPool, Postgres, QueryBuilder, Row};

/// Bytes of one bucket counted since the last write.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct UsageDelta {
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub requests: u64,
    /// What the bucket occupies on the node, as last reported by the object store.
    pub stored_bytes: Option<u64>,
}

impl UsageDelta {
    /// Adds `later` counts to these: bytes and requests add up, a later stored figure replaces
    /// this one.
    pub fn add(&mut self, later: UsageDelta) {
        self.bytes_in += later.bytes_in;
        self.bytes_out += later.bytes_out;
        self.requests += later.requests;
        self.stored_bytes = later.stored_bytes.or(self.stored_bytes);
    }
}

/// One bucket's counts on one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketUsage {
    pub node_id: NodeId,
    /// 0 until the object store reported it.
    pub stored_bytes: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub requests: u64,
}

/// Adds node `node_id`'s counts to each bucket's row, in one statement (all or nothing).
pub async fn add(pool: &PgPool, node_id: NodeId, deltas: &[(BucketId, UsageDelta)]) -> Result<(), sqlx::Error> {
    if deltas.is_empty() {
        return Ok(());
    }
    let mut q = QueryBuilder::<Postgres>::new(
        "INSERT INTO gateway_bucket_usage AS u (node_id, bucket_id, stored_bytes, bytes_in, bytes_out, requests) ",
    );
    q.push_values(deltas, |mut b, (bucket, d)| {
        b.push_bind(i64::from(node_id.0))
            .push_bind(i64::from(bucket.0))
            .push_bind(d.stored_bytes.map(big))
            .push_bind(big(d.bytes_in))
            .push_bind(big(d.bytes_out))
            .push_bind(big(d.requests));
    });
    // A NULL stored_bytes (no write reported since the last flush) keeps the stored figure.
    q.push(
        " ON CONFLICT (node_id, bucket_id) DO UPDATE SET
            stored_bytes = COALESCE(EXCLUDED.stored_bytes, u.stored_bytes),
            bytes_in = u.bytes_in + EXCLUDED.bytes_in, bytes_out = u.bytes_out + EXCLUDED.bytes_out,
            requests = u.requests + EXCLUDED.requests, updated_at = now()",
    );
    q.build().execute(pool).await.map(drop)
}

/// Every node's counts of `bucket_id`, by node id.
pub async fn of_bucket(pool: &PgPool, bucket_id: BucketId) -> Result<Vec<BucketUsage>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT node_id, stored_bytes, bytes_in, bytes_out, requests FROM gateway_bucket_usage
         WHERE bucket_id = $1 ORDER BY node_id",
    )
    .bind(i64::from(bucket_id.0))
    .fetch_all(pool)
    .await?;
    let unsigned = |v: i64| u64::try_from(v).unwrap_or(0);
    rows.iter()
        .map(|r| {
            Ok(BucketUsage {
                node_id: NodeId(u32::try_from(r.try_get::<i64, _>("node_id")?).unwrap_or(u32::MAX)),
                stored_bytes: unsigned(r.try_get::<Option<i64>, _>("stored_bytes")?.unwrap_or(0)),
                bytes_in: unsigned(r.try_get("bytes_in")?),
                bytes_out: unsigned(r.try_get("bytes_out")?),
                requests: unsigned(r.try_get("requests")?),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_counts_add_up_and_a_later_stored_figure_wins() {
        let mut counts = UsageDelta { bytes_in: 10, bytes_out: 0, requests: 1, stored_bytes: Some(10) };
        counts.add(UsageDelta { bytes_in: 0, bytes_out: 7, requests: 1, stored_bytes: None });
        assert_eq!(counts, UsageDelta { bytes_in: 10, bytes_out: 7, requests: 2, stored_bytes: Some(10) });
        counts.add(UsageDelta { bytes_in: 5, bytes_out: 0, requests: 1, stored_bytes: Some(15) });
        assert_eq!(counts.stored_bytes, Some(15));
    }
}
