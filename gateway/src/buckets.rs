//! Bucket mode: the gateway as a node of a ddc cluster, in front of the node's object store.
//!
//! A request within a bucket (`osiris-payment-type: bucket`) is authorized from the
//! mirror alone: the bucket's facts (one query, `osiris_mirror::ddc::bucket_facts`) go
//! through **the** rule `osiris_payments::buckets::decide_bucket` (this node serves the
//! bucket, the caller may do the operation, the owner's rent is covered); then the
//! caller's sr25519 signature over (bucket, operation, key, timestamp) is verified with
//! sp-core, and a signature seen before within the freshness window is refused as a
//! replay. No chain query on the request path.
//!
//! Each served request's bytes are counted per bucket — what came in, what went out, and
//! what the bucket occupies on this node as the object store reports after a write — and
//! added to `gateway_bucket_usage` every [`BucketNodeConfig::usage_flush_ms`], where the
//! cluster's manager reads them to report usage with `bucket_alloc_into_cluster`.

use osiris_chain::AccountId;
use osiris_contract_types::ddc::{BucketId, NodeId};
use osiris_ledger::bucket_usage::{self, UsageDelta};
use osiris_payments::buckets::{decide_bucket, BucketOp, BucketRequest, NodeTerms};
use osiris_payments::Refusal;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio_util::sync::CancellationToken;

/// The response metadata in which the object store reports a bucket's bytes on this node.
pub const BUCKET_BYTES: &str = "osiris-bucket-bytes";
/// Signatures remembered before the expired ones are first dropped; afterwards the next
/// pruning waits until the map has doubled, so pruning costs O(1) per request on average.
const REPLAY_PRUNE_AT: usize = 4_096;

/// Signatures served, with the Unix ms after which they are stale anyway.
#[derive(Debug)]
struct Seen {
    until: HashMap<[u8; 64], u64>,
    prune_at: usize,
}

impl Default for Seen {
    fn default() -> Self {
        Self { until: HashMap::new(), prune_at: REPLAY_PRUNE_AT }
    }
}

/// `[bucket_node]`: set `node_id` to run the gateway as that ddc node (bucket mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BucketNodeConfig {
    /// The node this gateway serves as; its owner must be the gateway's `recipient` and its
    /// URL the gateway's `public_endpoint`. `None`: not a ddc node.
    pub node_id: Option<NodeId>,
    /// How far a request's timestamp may be from this gateway's clock, ms.
    pub freshness_ms: u64,
    /// How often the byte counts are added to PostgreSQL, ms.
    pub usage_flush_ms: u64,
}

impl Default for BucketNodeConfig {
    fn default() -> Self {
        Self { node_id: None, freshness_ms: 60_000, usage_flush_ms: 1_000 }
    }
}

/// A ddc node's authorization and byte counts.
#[derive(Debug)]
pub struct BucketNode {
    pub node_id: NodeId,
    /// The ddc contract the request signatures are for.
    pub ddc: AccountId,
    pub pool: PgPool,
    pub freshness_ms: u64,
    seen: Mutex<Seen>,
    usage: Mutex<HashMap<BucketId, UsageDelta>>,
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl BucketNode {
    pub fn new(node_id: NodeId, ddc: AccountId, pool: PgPool, freshness_ms: u64) -> Self {
        Self { node_id, ddc, pool, freshness_ms, seen: Mutex::default(), usage: Mutex::default() }
    }

    /// Authorizes a request doing `op` (the object store method called) from its metadata:
    /// the bucket it is in. Refusals name the reason.
    pub async fn authorize(&self, op: BucketOp, headers: &http::HeaderMap) -> Result<BucketId, Refusal> {
        let request = BucketRequest::from_headers(headers, op)?;
        let now = now_ms();
        let facts = osiris_mirror::ddc::bucket_facts(&self.pool, request.bucket_id)
            .await
            .map_err(|e| Refusal::Unavailable(e.to_string()))?;
        let terms = NodeTerms { node_id: self.node_id, freshness_ms: self.freshness_ms, now_ms: now };
        decide_bucket(facts.as_ref(), &request, op, terms)?;
        if !request.signed_by_account(&self.ddc, op) {
            return Err(Refusal::BadRequestSignature { account: request.account.to_string() });
        }
        self.first_use(&request.signature, request.timestamp_ms.saturating_add(self.freshness_ms), now)?;
        Ok(request.bucket_id)
    }

    /// Remembers a signature until `stale_at` (Unix ms); one seen before is a replay.
    fn first_use(&self, signature: &[u8; 64], stale_at: u64, now: u64) -> Result<(), Refusal> {
        let mut seen = self.seen.lock().expect("replay lock");
        if seen.until.len() >= seen.prune_at {
            seen.until.retain(|_, until| *until >= now);
            seen.prune_at = REPLAY_PRUNE_AT.max(seen.until.len() * 2);
        }
        if seen.until.insert(*signature, stale_at).is_some() {
            return Err(Refusal::ReplayedRequest);
        }
        Ok(())
    }

    /// Adds a served request's bytes to its bucket's counts.
    pub fn record(&self, bucket_id: BucketId, bytes_in: u64, bytes_out: u64, stored_bytes: Option<u64>) {
        let served = UsageDelta { bytes_in, bytes_out, requests: 1, stored_bytes };
        self.usage.lock().expect("usage lock").entry(bucket_id).or_default().add(served);
    }

    /// Adds the counts since the last flush to `gateway_bucket_usage`; on a database error
    /// they are put back for the next flush, so no byte is lost or counted twice.
    pub async fn flush(&self) -> Result<(), sqlx::Error> {
        let deltas: Vec<(BucketId, UsageDelta)> = self.usage.lock().expect("usage lock").drain().collect();
        if deltas.is_empty() {
            return Ok(());
        }
        let result = bucket_usage::add(&self.pool, self.node_id, &deltas).await;
        if result.is_err() {
            let mut usage = self.usage.lock().expect("usage lock");
            for (bucket, unwritten) in deltas {
                // Counts made since the drain are newer: the unwritten ones go under them.
                let newer = std::mem::replace(usage.entry(bucket).or_default(), unwritten);
                usage.get_mut(&bucket).expect("just inserted").add(newer);
            }
        }
        result
    }

    /// Flushes the counts every `every` until `shutdown`, then once more.
    pub async fn flush_periodically(self: Arc<Self>, every: Duration, shutdown: CancellationToken) {
        let mut ticker = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = shutdown.cancelled() => break,
            }
            if let Err(e) = self.flush().await {
                tracing::warn!("bucket usage not written yet (kept for the next flush): {e}");
            }
        }
        if let Err(e) = self.flush().await {
            tracing::warn!("bucket usage lost at shutdown: {e}");
        }
    }
}

/// A response body that counts its bytes and, when done (or dropped by a client that went
/// away), records the request's bytes in its bucket's counts.
pub struct Counted {
    inner: crate::proxy::Body,
    node: Arc<BucketNode>,
    bucket_id: BucketId,
    bytes_in: Arc<std::sync::atomic::AtomicU64>,
    bytes_out: u64,
    stored_bytes: Option<u64>,
}

impl Counted {
    /// Wraps `response`'s body; the object store's `osiris-bucket-bytes` is read from its headers.
    pub fn wrap(
        response: http::Response<crate::proxy::Body>,
        node: Arc<BucketNode>,
        bucket_id: BucketId,
        bytes_in: Arc<std::sync::atomic::AtomicU64>,
    ) -> http::Response<crate::proxy::Body> {
        use http_body_util::BodyExt;
        let stored_bytes =
            response.headers().get(BUCKET_BYTES).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
        response.map(|inner| Counted { inner, node, bucket_id, bytes_in, bytes_out: 0, stored_bytes }.boxed_unsync())
    }
}

impl http_body::Body for Counted {
    type Data = bytes::Bytes;
    type Error = crate::proxy::BoxError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, Self::Error>>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_frame(cx);
        if let std::task::Poll::Ready(Some(Ok(frame))) = &polled {
            if let Some(data) = frame.data_ref() {
                self.bytes_out += data.len() as u64;
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let bytes_in = self.bytes_in.load(std::sync::atomic::Ordering::Relaxed);
        self.node.record(self.bucket_id, bytes_in, self.bytes_out, self.stored_bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_signature_is_served_once_and_stale_ones_are_forgotten() {
        let pool = sqlx::postgres::PgPoolOptions::new().connect_lazy("postgres://unused").unwrap();
        let node = BucketNode::new(0, AccountId::from([1; 32]), pool, 1_000);
        assert_eq!(node.first_use(&[1; 64], 2_000, 1_000), Ok(()));
        assert_eq!(node.first_use(&[1; 64], 2_000, 1_500), Err(Refusal::ReplayedRequest));
        for i in 0..REPLAY_PRUNE_AT as u32 - 1 {
            let mut signature = [0; 64];
            signature[..4].copy_from_slice(&i.to_le_bytes());
            signature[63] = 9;
            node.first_use(&signature, 2_000, 1_500).unwrap();
        }
        // The map is full; at 3,000 every one of them is stale: the next insert prunes them all.
        node.first_use(&[2; 64], 4_000, 3_000).unwrap();
        let seen = node.seen.lock().unwrap();
        assert_eq!((seen.until.len(), seen.prune_at), (1, REPLAY_PRUNE_AT));
    }

    #[tokio::test]
    async fn counts_add_up_per_bucket_and_keep_the_last_stored_figure() {
        let pool = sqlx::postgres::PgPoolOptions::new().connect_lazy("postgres://unused");
        let node = BucketNode::new(0, AccountId::from([1; 32]), pool.unwrap(), 1_000);
        node.record(3, 100, 0, Some(100));
        node.record(3, 0, 100, None);
        node.record(4, 5, 0, Some(5));
        let usage = node.usage.lock().unwrap();
        assert_eq!(usage[&3], UsageDelta { bytes_in: 100, bytes_out: 100, requests: 2, stored_bytes: Some(100) });
        assert_eq!(usage[&4].requests, 1);
    }
}
