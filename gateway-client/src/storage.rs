//! Objects in a bucket, across a cluster's nodes: placement, replication, signed requests.
//!
//! **Placement**: an object key is hashed (SHA-256, first 8 bytes, big-endian) onto one of
//! the cluster's vnodes; its replicas are that vnode's node and the nodes of the vnodes
//! after it (wrapping), skipping nodes already chosen, so replicas are on distinct nodes.
//! Every client computes the same nodes from the cluster's vnode → node map.
//!
//! **Requests**: each carries the bucket, the key and a timestamp, signed by the caller's
//! account key (`osiris_payments::signing::bucket`), in the metadata the node gateways check
//! (`osiris_payments::buckets`). A put goes to every replica and succeeds only when all
//! stored the object; a get asks the replicas in order and falls back to the next one when
//! a node is down or lacks the object; a list merges what the cluster's reachable nodes
//! hold; a delete removes the object from every replica.

use crate::pb::storage::object_store_client::ObjectStoreClient;
use crate::pb::storage::{Chunk, DeleteRequest, GetRequest, ListRequest, ObjectInfo};
use crate::GatewayClient;
use futures_util::StreamExt;
use osiris_contract_types::ddc::{BucketId, NodeId};
use osiris_payments::buckets::{check_key, BucketOp, BucketRequest};
use osiris_payments::signing::account::AccountKey;
use osiris_payments::AccountId;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};
use tonic::transport::Channel;
use tonic::{Code, Request, Status};

/// Bytes per streamed chunk of a put.
pub const PUT_CHUNK_BYTES: usize = 64 * 1024;
/// Chunks queued per replica while a put reads its input: bounds a put's memory.
pub const FAN_OUT_CHUNKS: usize = 4;
/// Objects per page of a node's list.
pub const LIST_PAGE: u32 = 1_000;
/// Bytes buffered between fetching a sealed object and opening it.
const OPEN_PIPE_BYTES: usize = 256 * 1024;
/// Replicas of each object unless the caller asks otherwise.
pub const DEFAULT_REPLICAS: usize = 2;

/// Why an object operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("object key: {0}")]
    BadKey(#[from] osiris_payments::buckets::BadKey),
    #[error("the cluster has no vnodes")]
    NoVnodes,
    #[error("node {0} is in the cluster but not among the known nodes")]
    UnknownNode(NodeId),
    #[error("reading {path}: {reason}")]
    Source { path: String, reason: String },
    /// A node refused or failed the request (its status names the reason).
    #[error("node {node} ({url}): {} ({:?})", status.message(), status.code())]
    Node { node: NodeId, url: String, status: Status },
    /// Not every replica stored the object.
    #[error("stored on {stored} of {wanted} replicas: {failures}")]
    Partial { stored: usize, wanted: usize, failures: String },
    #[error("no replica could serve `{key}`: {failures}")]
    Unavailable { key: String, failures: String },
    /// A sealed object could not be sealed or opened (see [`crate::sealed`]).
    #[error("`{key}`: {error}")]
    Sealed { key: String, error: crate::sealed::SealError },
}

/// The replicas' nodes of `key` among `vnodes` (vnode i lives on node `vnodes[i]`): at most
/// `replicas`, distinct, in the order a read tries them.
pub fn placement(key: &str, vnodes: &[NodeId], replicas: usize) -> Vec<NodeId> {
    if vnodes.is_empty() {
        return Vec::new();
    }
    let digest = Sha256::digest(key.as_bytes());
    let hash = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    let start = (hash % vnodes.len() as u64) as usize;
    let mut nodes = Vec::new();
    for i in 0..vnodes.len() {
        let node = vnodes[(start + i) % vnodes.len()];
        if !nodes.contains(&node) {
            nodes.push(node);
            if nodes.len() == replicas {
                break;
            }
        }
    }
    nodes
}

/// What a put stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub size: u64,
    /// Lowercase hex SHA-256 of the object.
    pub sha256: String,
    /// The nodes that hold it.
    pub nodes: Vec<NodeId>,
}

/// Where an object's bytes come from.
#[derive(Debug, Clone)]
pub enum Source {
    Bytes(bytes::Bytes),
    File(std::path::PathBuf),
}

/// A bucket's cluster as a client sees it, and the caller's key.
pub struct Storage {
    /// The ddc contract the signatures are for.
    pub ddc: AccountId,
    pub key: AccountKey,
    /// The cluster's vnode → node map.
    pub vnodes: Vec<NodeId>,
    /// Each node's gateway URL.
    pub nodes: BTreeMap<NodeId, String>,
    pub replicas: usize,
    /// A CA file (PEM) trusted for `https://` nodes besides the system roots.
    pub ca_file: Option<std::path::PathBuf>,
    /// One connection per node, made at its first request and shared by the rest (HTTP/2
    /// carries them side by side); `Connections::default()` to start with none.
    pub connections: Connections,
}

/// The connections a [`Storage`] has made, one per node; clones share them.
#[derive(Clone, Default)]
pub struct Connections(std::sync::Arc<tokio::sync::Mutex<BTreeMap<NodeId, Channel>>>);

impl Connections {
    /// How many nodes have a connection.
    pub async fn len(&self) -> usize {
        self.0.lock().await.len()
    }

    /// Whether no node has one yet.
    pub async fn is_empty(&self) -> bool {
        self.0.lock().await.is_empty()
    }
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl Storage {
    /// The replicas' nodes of `key`.
    pub fn replicas_of(&self, key: &str) -> Vec<NodeId> {
        placement(key, &self.vnodes, self.replicas)
    }

    fn url(&self, node: NodeId) -> Result<&str, StorageError> {
        self.nodes.get(&node).map(String::as_str).ok_or(StorageError::UnknownNode(node))
    }

    /// The node's connection: the one made earlier, or a new one (kept only if it was made).
    async fn client(&self, node: NodeId) -> Result<ObjectStoreClient<Channel>, StorageError> {
        let url = self.url(node)?;
        let mut connections = self.connections.0.lock().await;
        if let Some(channel) = connections.get(&node) {
            return Ok(ObjectStoreClient::new(channel.clone()));
        }
        let gateway = GatewayClient::connect_with_ca(url, self.ca_file.as_deref())
            .await
            .map_err(|e| StorageError::Node { node, url: url.into(), status: Status::unavailable(e.to_string()) })?;
        connections.insert(node, gateway.channel());
        Ok(ObjectStoreClient::new(gateway.channel()))
    }

    /// `message` with the request metadata of `op` on `key` in `bucket`, signed for `node`.
    fn signed<T>(&self, message: T, node: NodeId, bucket: BucketId, op: BucketOp, key: &str) -> Request<T> {
        let timestamp_ms = now_ms();
        let signature = self.key.sign_bucket_request(&self.ddc, node, bucket, op.as_str(), key, timestamp_ms);
        let meta =
            BucketRequest { bucket_id: bucket, key: key.into(), account: self.key.account(), timestamp_ms, signature };
        let mut request = Request::new(message);
        let mut headers = http::HeaderMap::new();
        meta.to_headers(&mut headers);
        *request.metadata_mut() = tonic::metadata::MetadataMap::from_headers(headers);
        request
    }

    fn node_error(&self, node: NodeId, status: Status) -> StorageError {
        StorageError::Node { node, url: self.nodes.get(&node).cloned().unwrap_or_default(), status }
    }

    /// Stores the object on each of its replicas (see [`Storage::put_reader`]); a file is
    /// read once, as it is sent.
    pub async fn put(&self, bucket: BucketId, key: &str, source: &Source) -> Result<Stored, StorageError> {
        match source {
            Source::Bytes(bytes) => self.put_reader(bucket, key, std::io::Cursor::new(bytes.clone()), "input").await,
            Source::File(path) => {
                let file = tokio::fs::File::open(path).await.map_err(|e| source_error(path, e))?;
                self.put_reader(bucket, key, file, &path.display().to_string()).await
            }
        }
    }

    /// Stores what `reader` yields as the object on each of its replicas, reading it once:
    /// each [`PUT_CHUNK_BYTES`] chunk goes to every replica as it is read, with at most
    /// [`FAN_OUT_CHUNKS`] chunks queued per replica, so memory stays flat whatever the size.
    /// A replica's digest must be the one computed here.
    ///
    /// Errors: a read error (`name` says of what) cancels every upload before it ends, so no
    /// replica stores a truncated object ([`StorageError::Source`]); when no replica stored
    /// it, the first node's error; when some did, [`StorageError::Partial`] names the others.
    pub async fn put_reader<R>(
        &self,
        bucket: BucketId,
        key: &str,
        mut reader: R,
        name: &str,
    ) -> Result<Stored, StorageError>
    where
        R: tokio::io::AsyncRead + Unpin + Send,
    {
        use tokio::io::AsyncReadExt;
        check_key(key, false).map_err(StorageError::BadKey)?;
        let nodes = self.replicas_of(key);
        if nodes.is_empty() {
            return Err(StorageError::NoVnodes);
        }
        let (mut senders, mut uploads) = (Vec::new(), Vec::new());
        for node in &nodes {
            let (sender, receiver) = tokio::sync::mpsc::channel::<Chunk>(FAN_OUT_CHUNKS);
            senders.push(sender);
            let chunks = futures_util::stream::unfold(receiver, |mut r| async move { r.recv().await.map(|c| (c, r)) });
            uploads.push(self.put_on(*node, bucket, key, chunks));
        }
        let feed = async {
            let (mut hash, mut size) = (Sha256::new(), 0u64);
            loop {
                let mut buf = vec![0u8; PUT_CHUNK_BYTES];
                let n = reader.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                buf.truncate(n);
                hash.update(&buf);
                size += n as u64;
                // A replica that failed has dropped its queue; the others are still fed.
                let mut fed = false;
                for sender in &senders {
                    fed |= sender.send(Chunk { data: buf.clone() }).await.is_ok();
                }
                if !fed {
                    break;
                }
            }
            // Ending the queues ends the uploads: only now may a replica commit the object.
            senders.clear();
            Ok::<_, std::io::Error>((size, hex::encode(hash.finalize())))
        };
        let uploads = futures_util::future::join_all(uploads);
        tokio::pin!(feed);
        tokio::pin!(uploads);
        let (results, read) = tokio::select! {
            read = &mut feed => match read {
                Ok(read) => (uploads.await, Some(read)),
                // Returning drops the uploads mid-stream: each request is cancelled, not ended.
                Err(e) => return Err(StorageError::Source { path: name.into(), reason: e.to_string() }),
            },
            results = &mut uploads => (results, None),
        };
        let mut stored = None;
        let mut failures = Vec::new();
        let mut held = Vec::new();
        for (node, result) in nodes.iter().zip(results) {
            match result {
                Ok(reply) if read.as_ref().is_some_and(|(_, digest)| *digest != reply.sha256) => {
                    failures.push(self.node_error(*node, Status::data_loss(format!("stored sha256 {}", reply.sha256))))
                }
                Ok(reply) => {
                    held.push(*node);
                    stored = Some((reply.size, reply.sha256));
                }
                Err(e) => failures.push(e),
            }
        }
        match stored {
            Some((size, sha256)) if failures.is_empty() => Ok(Stored { size, sha256, nodes: held }),
            // No replica stored it: the first node's reason (a refusal is the same on each).
            None => Err(failures.remove(0)),
            Some(_) => Err(StorageError::Partial {
                stored: held.len(),
                wanted: nodes.len(),
                failures: failures.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
            }),
        }
    }

    /// [`Storage::put_reader`] of `reader`'s bytes sealed on this side for `recipients`
    /// and the key's own account (see [`crate::sealed`]): the nodes receive, store and
    /// count only ciphertext. `Stored` describes the ciphertext.
    pub async fn put_sealed<R>(
        &self,
        bucket: BucketId,
        key: &str,
        reader: R,
        name: &str,
        recipients: &[AccountId],
    ) -> Result<Stored, StorageError>
    where
        R: tokio::io::AsyncRead + Unpin + Send + 'static,
    {
        let mut all = vec![self.key.account()];
        all.extend(recipients.iter().cloned());
        let sealed = crate::sealed::seal(reader, &all, bucket, key)
            .map_err(|error| StorageError::Sealed { key: key.into(), error })?;
        self.put_reader(bucket, key, tokio_util::io::StreamReader::new(Box::pin(sealed)), name).await
    }

    /// [`Storage::get`] that opens a sealed object with this key (plain objects are
    /// written as they are), streaming: the plaintext goes to `out` as the ciphertext
    /// arrives. Returns the node, the bytes written and whether the object was sealed.
    ///
    /// Errors: those of `get`, and [`StorageError::Sealed`] when this key's account is
    /// not a recipient or the ciphertext does not verify (altered, cut short, another
    /// object's); plaintext written before such an error must be discarded.
    pub async fn get_opened<W: tokio::io::AsyncWrite + Unpin>(
        &self,
        bucket: BucketId,
        key: &str,
        out: &mut W,
    ) -> Result<(NodeId, u64, bool), StorageError> {
        let (mut sink, source) = tokio::io::duplex(OPEN_PIPE_BYTES);
        let fetch = async {
            let fetched = self.get(bucket, key, &mut sink).await;
            // The end of the pipe ends the opening: cut short, a sealed object fails to verify.
            drop(sink);
            fetched
        };
        let open = crate::sealed::open_or_copy(source, out, &self.key, bucket, key);
        let (fetched, opened) = tokio::join!(fetch, open);
        match (fetched, opened) {
            (Ok((node, _)), Ok((written, sealed))) => Ok((node, written, sealed)),
            // The opening stopped first (not a recipient, a bad tag): the fetch then failed
            // only because nobody read the pipe any more.
            (Ok(_) | Err(StorageError::Source { .. }), Err(error)) => {
                Err(StorageError::Sealed { key: key.into(), error })
            }
            (Err(e), _) => Err(e),
        }
    }

    async fn put_on(
        &self,
        node: NodeId,
        bucket: BucketId,
        key: &str,
        chunks: impl futures_util::Stream<Item = Chunk> + Send + 'static,
    ) -> Result<crate::pb::storage::PutReply, StorageError> {
        let mut client = self.client(node).await?;
        let request = self.signed(chunks, node, bucket, BucketOp::Put, key);
        client.put(request).await.map(|r| r.into_inner()).map_err(|s| self.node_error(node, s))
    }

    /// The object's bytes, written to `out` as they arrive, from the first replica that
    /// serves it; a replica that is down or lacks the object is skipped (before any byte
    /// was written). Returns the node that served it and the size.
    pub async fn get<W: tokio::io::AsyncWrite + Unpin>(
        &self,
        bucket: BucketId,
        key: &str,
        out: &mut W,
    ) -> Result<(NodeId, u64), StorageError> {
        use tokio::io::AsyncWriteExt;
        check_key(key, false).map_err(StorageError::BadKey)?;
        let mut failures = Vec::new();
        for node in self.replicas_of(key) {
            let mut client = match self.client(node).await {
                Ok(client) => client,
                Err(e) => {
                    failures.push(e.to_string());
                    continue;
                }
            };
            let mut stream = match client.get(self.signed(GetRequest {}, node, bucket, BucketOp::Get, key)).await {
                Ok(response) => response.into_inner(),
                Err(status) if fall_back(&status) => {
                    failures.push(self.node_error(node, status).to_string());
                    continue;
                }
                Err(status) => return Err(self.node_error(node, status)),
            };
            let mut size = 0u64;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|s| self.node_error(node, s))?;
                size += chunk.data.len() as u64;
                out.write_all(&chunk.data)
                    .await
                    .map_err(|e| StorageError::Source { path: "output".into(), reason: e.to_string() })?;
            }
            out.flush().await.map_err(|e| StorageError::Source { path: "output".into(), reason: e.to_string() })?;
            return Ok((node, size));
        }
        Err(StorageError::Unavailable { key: key.into(), failures: failures.join("; ") })
    }

    /// Every object of `bucket` node `node` holds, in key order (all pages of its list).
    pub async fn list_node(&self, node: NodeId, bucket: BucketId) -> Result<Vec<ObjectInfo>, StorageError> {
        let mut client = self.client(node).await?;
        let mut all: Vec<ObjectInfo> = Vec::new();
        loop {
            let start_after = all.last().map(|o| o.key.clone()).unwrap_or_default();
            let list = ListRequest { limit: LIST_PAGE, start_after };
            let request = self.signed(list, node, bucket, BucketOp::List, "");
            let page = client.list(request).await.map_err(|s| self.node_error(node, s))?.into_inner().objects;
            let full = page.len() == LIST_PAGE as usize;
            all.extend(page);
            if !full {
                return Ok(all);
            }
        }
    }

    /// Node `node`'s answer to an audit's challenge on `key` (see the object store's
    /// `Prove`): SHA-256(nonce ‖ bytes in `[offset, offset + length)`) and whether the
    /// object still hashes to its digest at put time.
    pub async fn prove(
        &self,
        node: NodeId,
        bucket: BucketId,
        key: &str,
        challenge: crate::pb::storage::ProveRequest,
    ) -> Result<crate::pb::storage::ProveReply, StorageError> {
        check_key(key, false).map_err(StorageError::BadKey)?;
        let mut client = self.client(node).await?;
        let request = self.signed(challenge, node, bucket, BucketOp::Prove, key);
        client.prove(request).await.map(|r| r.into_inner()).map_err(|s| self.node_error(node, s))
    }

    /// The object's chunks as node `node` streams them (no fall-back to another replica).
    pub async fn get_stream(
        &self,
        node: NodeId,
        bucket: BucketId,
        key: &str,
    ) -> Result<tonic::Streaming<Chunk>, StorageError> {
        check_key(key, false).map_err(StorageError::BadKey)?;
        let mut client = self.client(node).await?;
        let request = self.signed(GetRequest {}, node, bucket, BucketOp::Get, key);
        client.get(request).await.map(|r| r.into_inner()).map_err(|s| self.node_error(node, s))
    }

    /// The objects under `prefix`, merged from every reachable node of the cluster (an
    /// object is listed once); also the nodes that could not be asked.
    pub async fn list(&self, bucket: BucketId, prefix: &str) -> Result<(Vec<ObjectInfo>, Vec<String>), StorageError> {
        check_key(prefix, true).map_err(StorageError::BadKey)?;
        let mut merged: BTreeMap<String, u64> = BTreeMap::new();
        let mut missing = Vec::new();
        let mut answered = 0;
        let distinct: std::collections::BTreeSet<NodeId> = self.vnodes.iter().copied().collect();
        for node in distinct {
            let listed = async {
                let mut client = self.client(node).await?;
                let list = ListRequest { limit: 0, start_after: String::new() };
                let request = self.signed(list, node, bucket, BucketOp::List, prefix);
                client.list(request).await.map(|r| r.into_inner().objects).map_err(|s| self.node_error(node, s))
            };
            match listed.await {
                Ok(objects) => {
                    answered += 1;
                    for o in objects {
                        merged.insert(o.key, o.size);
                    }
                }
                Err(StorageError::Node { status, node, url }) if !fall_back(&status) => {
                    return Err(StorageError::Node { status, node, url })
                }
                Err(e) => missing.push(e.to_string()),
            }
        }
        if answered == 0 {
            return Err(StorageError::Unavailable { key: prefix.into(), failures: missing.join("; ") });
        }
        Ok((merged.into_iter().map(|(key, size)| ObjectInfo { key, size }).collect(), missing))
    }

    /// Removes the object from every replica that holds it; the nodes it was removed from.
    pub async fn delete(&self, bucket: BucketId, key: &str) -> Result<Vec<NodeId>, StorageError> {
        check_key(key, false).map_err(StorageError::BadKey)?;
        let mut removed = Vec::new();
        let mut failures = Vec::new();
        let mut not_found = None;
        for node in self.replicas_of(key) {
            let result = async {
                let mut client = self.client(node).await?;
                let request = self.signed(DeleteRequest {}, node, bucket, BucketOp::Delete, key);
                client.delete(request).await.map_err(|s| self.node_error(node, s))
            };
            match result.await {
                Ok(_) => removed.push(node),
                Err(e @ StorageError::Node { .. }) if matches!(&e, StorageError::Node { status, .. } if status.code() == Code::NotFound) => {
                    not_found = Some(e)
                }
                Err(StorageError::Node { status, node, url }) if !fall_back(&status) => {
                    return Err(StorageError::Node { status, node, url })
                }
                Err(e) => failures.push(e.to_string()),
            }
        }
        if !failures.is_empty() {
            return Err(StorageError::Partial {
                stored: removed.len(),
                wanted: removed.len() + failures.len(),
                failures: failures.join("; "),
            });
        }
        match (removed.is_empty(), not_found) {
            // No replica had it: the first node's answer names the object.
            (true, Some(error)) => Err(error),
            _ => Ok(removed),
        }
    }
}

/// Whether a read should try the next replica: the node is down or lacks the object.
fn fall_back(status: &Status) -> bool {
    matches!(status.code(), Code::Unavailable | Code::NotFound | Code::DeadlineExceeded | Code::Unknown)
}

/// The source as a stream of chunks (a file is read as it is sent).
fn source_error(path: &Path, e: std::io::Error) -> StorageError {
    StorageError::Source { path: path.display().to_string(), reason: e.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicas_are_distinct_nodes_and_every_client_agrees() {
        let vnodes = [0, 1, 0, 1].map(NodeId);
        for key in ["a", "photos/cat.jpg", "b", "c", "z/9"] {
            let nodes = placement(key, &vnodes, 2);
            assert_eq!(nodes.len(), 2, "{key}");
            assert_ne!(nodes[0], nodes[1]);
            assert_eq!(nodes, placement(key, &vnodes, 2));
        }
        // Never more replicas than distinct nodes.
        assert_eq!(placement("a", &[NodeId(5), NodeId(5), NodeId(5)], 3), vec![NodeId(5)]);
        assert!(placement("a", &[], 2).is_empty());
        // Keys spread over the vnodes: over many keys each node is first about half the time.
        let first_on_0 = (0..1000).filter(|i| placement(&format!("k{i}"), &vnodes, 1) == [NodeId(0)]).count();
        assert!((400..600).contains(&first_on_0), "{first_on_0}");
    }
}
