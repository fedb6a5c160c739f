//! Bucket mode: the gateway as a node of a ddc cluster, in front of the node's object store.
//!
//! A request within a bucket (`osiris-payment-type: bucket`) is authorized from the
//! mirror alone: the bucket's facts (one query, `osiris_mirror::ddc::bucket_facts`, then
//! cached — a bucket the mirror lacks too — until the indexer's next block, so that
//! refused requests cost no query; [`BucketFactsCache`]) go through **the** rule `osiris_payments::buckets::decide_bucket` (this node serves the
//! bucket, the caller may do the operation, the owner's rent is covered); then the
//! caller's sr25519 signature over (bucket, operation, key, timestamp) is verified with
//! sp-core (it covers this node's id, so it is worth nothing on another node), and a
//! signature served before within the freshness window is refused as a replay: the served
//! signatures are kept in PostgreSQL (`osiris_ledger::bucket_replays`), shared by every
//! process serving as this node and kept across restarts. No chain query on the request path.
//!
//! Each served request's bytes are counted per bucket — what came in, what went out, and
//! what the bucket occupies on this node as the object store reports after a write — and
//! added to `gateway_bucket_usage` every [`BucketNodeConfig::usage_flush_ms`], where the
//! cluster's manager reads them to report usage with `bucket_alloc_into_cluster`.

use osiris_chain::AccountId;
use osiris_contract_types::ddc::{BucketId, NodeId};
use osiris_ledger::bucket_replays;
use osiris_ledger::bucket_usage::{self, UsageDelta};
use osiris_mirror::MirrorError;
use osiris_payments::buckets::{decide_bucket, BucketOp, BucketRequest, NodeTerms};
use osiris_payments::facts::BucketFacts;
use osiris_payments::Refusal;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio_util::sync::CancellationToken;

/// The response metadata in which the object store reports a bucket's bytes on this node.
pub const BUCKET_BYTES: &str = "osiris-bucket-bytes";

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
    /// Nodes holding each object: the cluster's replication, which repair keeps (the CLI
    /// writes this many by default).
    pub replicas: usize,
    /// Time between two repair passes, ms; 0: no repair. Repair needs the owner's key
    /// (`recipient_suri`).
    pub repair_interval_ms: u64,
    /// The most repair copies from peers per second, bytes.
    pub repair_bytes_per_s: u32,
}

impl Default for BucketNodeConfig {
    fn default() -> Self {
        Self {
            node_id: None,
            freshness_ms: 60_000,
            usage_flush_ms: 1_000,
            replicas: 2,
            repair_interval_ms: 60_000,
            repair_bytes_per_s: 32 * 1024 * 1024,
        }
    }
}

/// Most buckets whose facts are cached at once; past it the cache starts over (a stranger
/// asking for many bucket ids costs queries, bounded by the per-address limit, not memory).
pub const MAX_CACHED_BUCKETS: usize = 10_000;

/// The mirror's facts of the buckets asked for since the indexer's last block (`None`:
/// the mirror has no such bucket). Emptied on every block ([`crate::mirror_watch`]); a
/// query that ran before a block is not kept after it.
#[derive(Debug, Default)]
pub struct BucketFactsCache {
    cached: RwLock<Cached>,
}

#[derive(Debug, Default)]
struct Cached {
    /// Bumped at each emptying: a load that began under an older generation is not kept.
    generation: u64,
    facts: HashMap<BucketId, Option<Arc<BucketFacts>>>,
}

impl BucketFactsCache {
    /// The bucket's facts, from the cache or else one query.
    pub async fn get(&self, pool: &PgPool, bucket_id: BucketId) -> Result<Option<Arc<BucketFacts>>, MirrorError> {
        let generation = {
            let cached = self.cached.read().expect("bucket cache lock");
            if let Some(facts) = cached.facts.get(&bucket_id) {
                return Ok(facts.clone());
            }
            cached.generation
        };
        let facts = osiris_mirror::ddc::bucket_facts(pool, bucket_id).await?.map(Arc::new);
        let mut cached = self.cached.write().expect("bucket cache lock");
        if cached.generation == generation {
            if cached.facts.len() >= MAX_CACHED_BUCKETS {
                cached.facts.clear();
            }
            cached.facts.insert(bucket_id, facts.clone());
        }
        Ok(facts)
    }

    /// Forgets every bucket's facts (the mirror moved on).
    pub fn clear(&self) {
        let mut cached = self.cached.write().expect("bucket cache lock");
        cached.generation += 1;
        cached.facts.clear();
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
    facts: BucketFactsCache,
    usage: Mutex<HashMap<BucketId, UsageDelta>>,
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl BucketNode {
    pub fn new(node_id: NodeId, ddc: AccountId, pool: PgPool, freshness_ms: u64) -> Self {
        Self { node_id, ddc, pool, freshness_ms, facts: BucketFactsCache::default(), usage: Mutex::default() }
    }

    /// Authorizes a request doing `op` (the object store method called) from its metadata:
    /// the bucket it is in. Refusals name the reason.
    pub async fn authorize(&self, op: BucketOp, headers: &http::HeaderMap) -> Result<BucketId, Refusal> {
        let request = BucketRequest::from_headers(headers, op)?;
        let now = now_ms();
        let facts =
            self.facts.get(&self.pool, request.bucket_id).await.map_err(|e| Refusal::Unavailable(e.to_string()))?;
        let terms = NodeTerms { node_id: self.node_id, freshness_ms: self.freshness_ms, now_ms: now };
        decide_bucket(facts.as_deref(), &request, op, terms)?;
        if !request.signed_by_account(&self.ddc, self.node_id, op) {
            return Err(Refusal::BadRequestSignature { account: request.account.to_string() });
        }
        // Stale once the timestamp is more than the window behind the clock.
        let stale_at = request.timestamp_ms.saturating_add(self.freshness_ms);
        let first = bucket_replays::first_use(&self.pool, self.node_id, &request.signature, stale_at)
            .await
            .map_err(|e| Refusal::Unavailable(e.to_string()))?;
        if !first {
            return Err(Refusal::ReplayedRequest);
        }
        Ok(request.bucket_id)
    }

    /// Empties the bucket facts cache on every block of the mirror until `shutdown`.
    pub async fn follow_mirror(self: Arc<Self>, shutdown: CancellationToken) {
        let pool = self.pool.clone();
        crate::mirror_watch::watch(&pool, shutdown, || {
            self.facts.clear();
            std::future::ready(())
        })
        .await
    }

    /// Drops the served signatures that are stale anyway (none of them could pass again).
    pub async fn forget_stale(&self) -> Result<u64, sqlx::Error> {
        bucket_replays::forget_stale(&self.pool, now_ms()).await
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

    /// Flushes the counts (and drops stale served signatures) every `every` until
    /// `shutdown`, then flushes once more.
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
            if let Err(e) = self.forget_stale().await {
                tracing::debug!("stale bucket-request signatures kept until the next flush: {e}");
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
    async fn cached_facts_answer_without_a_query_until_the_next_block() {
        // Nothing listens there: a query fails at once.
        let pool = sqlx::postgres::PgPoolOptions::new()
            .acquire_timeout(Duration::from_millis(200))
            .connect_lazy("postgres://nobody@127.0.0.1:9/none")
            .unwrap();
        let cache = BucketFactsCache::default();
        assert!(cache.get(&pool, BucketId(5)).await.is_err(), "a miss queries the mirror");
        cache.cached.write().unwrap().facts.insert(BucketId(5), None);
        // A stranger asking again and again for a bucket the mirror lacks costs no query.
        for _ in 0..100 {
            assert!(cache.get(&pool, BucketId(5)).await.unwrap().is_none());
        }
        cache.clear();
        assert!(cache.get(&pool, BucketId(5)).await.is_err(), "after a block, the mirror is asked again");
        assert_eq!(cache.cached.read().unwrap().generation, 1);
    }

    #[tokio::test]
    async fn counts_add_up_per_bucket_and_keep_the_last_stored_figure() {
        let pool = sqlx::postgres::PgPoolOptions::new().connect_lazy("postgres://unused");
        let node = BucketNode::new(NodeId(0), AccountId::from([1; 32]), pool.unwrap(), 1_000);
        node.record(BucketId(3), 100, 0, Some(100));
        node.record(BucketId(3), 0, 100, None);
        node.record(BucketId(4), 5, 0, Some(5));
        let usage = node.usage.lock().unwrap();
        assert_eq!(
            usage[&BucketId(3)],
            UsageDelta { bytes_in: 100, bytes_out: 100, requests: 2, stored_bytes: Some(100) }
        );
        assert_eq!(usage[&BucketId(4)].requests, 1);
    }
}
