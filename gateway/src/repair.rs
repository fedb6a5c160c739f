//! Repair and rebalancing, run by each ddc node's own gateway: the node makes its object
//! store hold exactly the objects the placement gives it.
//!
//! Why in the node gateway and not a manager's process: the node is the one that must hold
//! the data, it already has its store's bytes and its owner's key, and the owners of a
//! cluster's nodes may read the cluster's buckets (`osiris_payments::buckets`), so a node
//! copies from its peers without the manager ever touching a bucket's data.
//!
//! A pass walks the buckets of every cluster that maps a vnode to this node, in bucket id
//! order. For each bucket it lists its own store and every peer node of the cluster, then
//! for each object key (in key order) computes the placement
//! (`osiris_gateway_client::storage::placement`, with the cluster's `replicas`):
//! - placed here and missing here: copied from a node that holds it (a placed one first),
//!   streamed at most `repair_bytes_per_s`, the SHA-256 this store computed checked against
//!   the one computed from the bytes received; a copy cut short is cancelled, never kept;
//! - held here and no longer placed here: removed, but only once every placed node listed
//!   it in this pass (a peer that did not answer keeps every copy where it is).
//!
//! The cursor (bucket, last key done) and the counts are saved in PostgreSQL
//! (`osiris_ledger::repair`) every [`CURSOR_EVERY`] objects and at each bucket's end, so a
//! restarted gateway resumes where it stopped. Progress is also counted in metrics
//! (`osiris_gateway_repair_*_total`).

use crate::buckets::{BucketNode, BUCKET_BYTES};
use futures::StreamExt;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use osiris_contract_types::ddc::{BucketId, NodeId};
use osiris_gateway_client::pb::storage::object_store_client::ObjectStoreClient;
use osiris_gateway_client::pb::storage::{Chunk, DeleteRequest, ListRequest};
use osiris_gateway_client::storage::{placement, Storage, StorageError, LIST_PAGE};
use osiris_ledger::repair::{self as progress, RepairCounts, RepairCursor};
use osiris_payments::headers::{BUCKET_ID, OBJECT_KEY};
use osiris_payments::signing::account::AccountKey;
use osiris_payments::AccountId;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

/// Objects repaired between two saves of the cursor.
pub const CURSOR_EVERY: u64 = 100;
/// Buckets read from the mirror at a time.
const BUCKETS_PER_READ: i64 = 100;
/// Chunks queued between a peer's download and this store's upload.
const COPY_QUEUE_CHUNKS: usize = 4;
/// The largest chunk the rate limiter must admit at once, bytes (the object store's).
const MAX_CHUNK_BYTES: u32 = 64 * 1024;

/// Why a pass stopped (the next one resumes from the saved cursor).
#[derive(Debug, thiserror::Error)]
pub enum RepairError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("mirror: {0}")]
    Mirror(#[from] osiris_mirror::MirrorError),
    #[error("this node's object store: {0}")]
    Store(tonic::Status),
}

/// Why one object could not be copied (counted as a failure; the next pass tries again).
#[derive(Debug, thiserror::Error)]
enum CopyError {
    #[error("{0}")]
    Peer(#[from] StorageError),
    #[error("this node's object store: {0}")]
    Store(tonic::Status),
    #[error("stored sha256 {stored}, received {received}")]
    Digest { stored: String, received: String },
}

/// A node's repair: its store, its peers, its owner's key.
pub struct Repair {
    pub node: Arc<BucketNode>,
    /// This node's object store, called directly (the gateway is its only front).
    pub store: ObjectStoreClient<Channel>,
    /// The node owner's key: peers serve it reads of the cluster's buckets.
    pub owner: AccountKey,
    /// Nodes holding each object (the cluster's rule; the CLI writes this many by default).
    pub replicas: usize,
    /// A CA file (PEM) for `https://` peers besides the system roots.
    pub ca_file: Option<std::path::PathBuf>,
    /// Time between the end of a pass and the start of the next.
    pub every: Duration,
    limiter: DefaultDirectRateLimiter,
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    pub buckets: u64,
    pub counts: RepairCounts,
}

/// A request to this node's own store for object `key` of `bucket`.
fn to_store<T>(message: T, bucket: BucketId, key: &str) -> Result<tonic::Request<T>, tonic::Status> {
    let mut request = tonic::Request::new(message);
    let bad = |_| tonic::Status::invalid_argument("object key is not valid metadata");
    request.metadata_mut().insert(BUCKET_ID, bucket.0.to_string().parse().map_err(bad)?);
    request.metadata_mut().insert(OBJECT_KEY, key.parse().map_err(bad)?);
    Ok(request)
}

impl Repair {
    /// `bytes_per_s`: the most a node copies per second from its peers.
    pub fn new(
        node: Arc<BucketNode>,
        store: ObjectStoreClient<Channel>,
        owner: AccountKey,
        replicas: usize,
        ca_file: Option<std::path::PathBuf>,
        every: Duration,
        bytes_per_s: NonZeroU32,
    ) -> Self {
        let burst = NonZeroU32::new(bytes_per_s.get().max(MAX_CHUNK_BYTES)).expect("positive");
        let limiter = RateLimiter::direct(Quota::per_second(bytes_per_s).allow_burst(burst));
        Self { node, store, owner, replicas: replicas.max(1), ca_file, every, limiter }
    }

    /// Runs a pass every `every` until `shutdown`; a pass that stopped on an error is
    /// logged, and the next resumes from its cursor.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let every = self.every;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                report = self.pass() => match report {
                    Ok(r) if r.counts.copied + r.counts.removed + r.counts.failures > 0 => tracing::info!(
                        "repair pass: {} buckets, {} objects checked, {} copied ({} bytes), {} removed, {} failed",
                        r.buckets, r.counts.checked, r.counts.copied, r.counts.bytes_copied, r.counts.removed, r.counts.failures
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::warn!("repair pass stopped (resumes from its cursor): {e}"),
                },
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
        }
    }

    /// One pass from the saved cursor to the last bucket; see the module docs.
    pub async fn pass(&self) -> Result<PassReport, RepairError> {
        let (pool, me) = (&self.node.pool, self.node.node_id);
        let mut cursor = progress::cursor(pool, me).await?;
        let starting = cursor.bucket_id.is_none();
        progress::save(pool, me, &cursor, RepairCounts::default(), starting, false, None).await?;
        let mut report = PassReport::default();
        // Resuming inside a bucket: that bucket again, from its key.
        let mut after = cursor.bucket_id.and_then(|b| b.0.checked_sub(1)).map(BucketId);
        loop {
            let buckets = osiris_mirror::ddc::buckets_on_node(pool, me, after, BUCKETS_PER_READ).await?;
            let Some(last) = buckets.last() else { break };
            after = Some(last.bucket_id);
            for bucket in buckets {
                let from_key = match cursor.bucket_id {
                    Some(b) if b == bucket.bucket_id => std::mem::take(&mut cursor.after_key),
                    _ => String::new(),
                };
                let counts = self.repair_bucket(bucket.bucket_id, &bucket.vnodes, &from_key).await?;
                report.buckets += 1;
                report.counts.add(counts);
            }
        }
        progress::save(pool, me, &RepairCursor::default(), RepairCounts::default(), false, true, None).await?;
        Ok(report)
    }

    /// Repairs one bucket from the key after `from_key`; returns what it did (saved too).
    async fn repair_bucket(
        &self,
        bucket: BucketId,
        vnodes: &[NodeId],
        from_key: &str,
    ) -> Result<RepairCounts, RepairError> {
        let (pool, me) = (&self.node.pool, self.node.node_id);
        let ids: Vec<NodeId> = vnodes.iter().copied().collect::<BTreeSet<_>>().into_iter().collect();
        let peers = Storage {
            ddc: self.node.ddc,
            key: self.owner.clone(),
            vnodes: vnodes.to_vec(),
            nodes: osiris_mirror::ddc::node_urls(pool, &ids).await?,
            replicas: self.replicas,
            ca_file: self.ca_file.clone(),
            connections: Default::default(),
        };
        // Who holds what: this store, then each peer (one that does not answer is unknown).
        let mut holders: BTreeMap<String, BTreeSet<NodeId>> = BTreeMap::new();
        for key in self.list_own(bucket).await? {
            holders.entry(key).or_default().insert(me);
        }
        let mut unknown = BTreeSet::new();
        let mut last_error = None;
        for &peer in ids.iter().filter(|&&n| n != me) {
            match peers.list_node(peer, bucket).await {
                Ok(objects) => {
                    for o in objects {
                        holders.entry(o.key).or_default().insert(peer);
                    }
                }
                Err(e) => {
                    last_error = Some(format!("listing bucket {bucket} on node {peer}: {e}"));
                    unknown.insert(peer);
                }
            }
        }
        let mut counts = RepairCounts::default();
        let mut unsaved = RepairCounts::default();
        let mut cursor = RepairCursor { bucket_id: Some(bucket), after_key: from_key.to_string() };
        for (key, held) in holders.range::<str, _>((std::ops::Bound::Excluded(from_key), std::ops::Bound::Unbounded)) {
            let placed = placement(key, vnodes, self.replicas);
            let mut done = RepairCounts { checked: 1, ..Default::default() };
            if placed.contains(&me) && !held.contains(&me) {
                // From a placed holder first: that copy is the one reads are served from.
                let mut sources: Vec<NodeId> = placed.iter().filter(|n| held.contains(n)).copied().collect();
                sources.extend(held.iter().filter(|n| !placed.contains(n)));
                match self.copy_from(&peers, &sources, bucket, key).await {
                    Ok(bytes) => {
                        done.copied = 1;
                        done.bytes_copied = bytes;
                    }
                    Err(e) => {
                        last_error = Some(format!("copying `{key}` of bucket {bucket}: {e}"));
                        done.failures = 1;
                    }
                }
            } else if held.contains(&me) && !placed.contains(&me) {
                let everywhere = placed.iter().all(|n| held.contains(n) && !unknown.contains(n));
                if everywhere {
                    let request = to_store(DeleteRequest {}, bucket, key).map_err(RepairError::Store)?;
                    let mut store = self.store.clone();
                    match store.delete(request).await {
                        Ok(reply) => {
                            done.removed = 1;
                            self.node.record(bucket, 0, 0, stored_bytes(reply.metadata()));
                        }
                        Err(status) if status.code() == tonic::Code::NotFound => {}
                        Err(status) => return Err(RepairError::Store(status)),
                    }
                }
            }
            metrics::counter!("osiris_gateway_repair_objects_checked_total").increment(1);
            metrics::counter!("osiris_gateway_repair_objects_copied_total").increment(done.copied);
            metrics::counter!("osiris_gateway_repair_objects_removed_total").increment(done.removed);
            metrics::counter!("osiris_gateway_repair_bytes_copied_total").increment(done.bytes_copied);
            metrics::counter!("osiris_gateway_repair_failures_total").increment(done.failures);
            counts.add(done);
            unsaved.add(done);
            cursor.after_key = key.clone();
            if unsaved.checked >= CURSOR_EVERY {
                progress::save(pool, me, &cursor, unsaved, false, false, last_error.as_deref()).await?;
                unsaved = RepairCounts::default();
            }
        }
        // The bucket is done: the cursor moves to the next one (its first key).
        let next = RepairCursor { bucket_id: Some(BucketId(bucket.0.saturating_add(1))), after_key: String::new() };
        progress::save(pool, me, &next, unsaved, false, false, last_error.as_deref()).await?;
        Ok(counts)
    }

    /// Every key this node's store holds in `bucket`.
    async fn list_own(&self, bucket: BucketId) -> Result<Vec<String>, RepairError> {
        let mut keys: Vec<String> = Vec::new();
        let mut store = self.store.clone();
        loop {
            let start_after = keys.last().cloned().unwrap_or_default();
            let list = ListRequest { limit: LIST_PAGE, start_after };
            let page = store
                .list(to_store(list, bucket, "").map_err(RepairError::Store)?)
                .await
                .map_err(RepairError::Store)?;
            let objects = page.into_inner().objects;
            let full = objects.len() == LIST_PAGE as usize;
            keys.extend(objects.into_iter().map(|o| o.key));
            if !full {
                return Ok(keys);
            }
        }
    }

    /// Copies `key` from the first of `sources` that serves it whole; the bytes copied.
    async fn copy_from(
        &self,
        peers: &Storage,
        sources: &[NodeId],
        bucket: BucketId,
        key: &str,
    ) -> Result<u64, CopyError> {
        let mut last = None;
        for &source in sources {
            match self.copy_once(peers, source, bucket, key).await {
                Ok(bytes) => return Ok(bytes),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or(CopyError::Peer(StorageError::Unavailable {
            key: key.into(),
            failures: "no node holds it".into(),
        })))
    }

    /// Streams `key` from `source` into this store: chunks pass through a bounded queue
    /// at the rate limit; a download error cancels the upload before it ends (the store
    /// keeps a put only when its stream ends), and the digests must agree.
    async fn copy_once(&self, peers: &Storage, source: NodeId, bucket: BucketId, key: &str) -> Result<u64, CopyError> {
        let mut download = peers.get_stream(source, bucket, key).await?;
        let (sender, receiver) = tokio::sync::mpsc::channel::<Chunk>(COPY_QUEUE_CHUNKS);
        let chunks = tokio_stream::wrappers::ReceiverStream::new(receiver);
        let mut store = self.store.clone();
        let request = to_store(chunks, bucket, key).map_err(CopyError::Store)?;
        let upload = store.put(request);
        let feed = async {
            let (mut hash, mut size) = (Sha256::new(), 0u64);
            while let Some(chunk) = download.next().await {
                let chunk = chunk.map_err(|s| StorageError::Node {
                    node: source,
                    url: peers.nodes.get(&source).cloned().unwrap_or_default(),
                    status: s,
                })?;
                if let Some(n) = NonZeroU32::new(chunk.data.len() as u32) {
                    // A chunk larger than the burst passes at once rather than never.
                    let _ = self.limiter.until_n_ready(n).await;
                }
                hash.update(&chunk.data);
                size += chunk.data.len() as u64;
                if sender.send(chunk).await.is_err() {
                    break;
                }
            }
            drop(sender);
            Ok::<_, CopyError>((size, hex::encode(hash.finalize())))
        };
        tokio::pin!(upload);
        tokio::pin!(feed);
        let (size, received) = tokio::select! {
            fed = &mut feed => fed?,
            // The store ended the upload before the download did: its error says why.
            stored = &mut upload => {
                let status = stored.err().unwrap_or_else(|| tonic::Status::internal("the upload ended early"));
                return Err(CopyError::Store(status));
            }
        };
        let reply = upload.await.map_err(CopyError::Store)?;
        let stored = stored_bytes(reply.metadata());
        let reply = reply.into_inner();
        if reply.sha256 != received {
            return Err(CopyError::Digest { stored: reply.sha256, received });
        }
        self.node.record(bucket, size, 0, stored);
        Ok(size)
    }
}

/// What the bucket occupies on this node, as the store reports after a write.
fn stored_bytes(meta: &tonic::metadata::MetadataMap) -> Option<u64> {
    meta.get(BUCKET_BYTES).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok())
}

/// The owner's key for repair, from the gateway's `recipient_suri`; `None` without one.
pub fn owner_key(recipient_suri: Option<&str>, owner: &AccountId) -> Option<AccountKey> {
    let key = AccountKey::from_uri(recipient_suri?).ok()?;
    (key.account() == *owner).then_some(key)
}
