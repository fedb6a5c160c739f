//! `object-store`: the object store a ddc node serves behind its gateway in bucket mode
//! (proto/osiris/storage/v1/objects.proto). Each bucket is a directory under the root,
//! each object a file named by its key in hex (so any key is a safe file name); a put
//! writes a temporary file, syncs it and renames it over the old object, so a put cut
//! short leaves the old object whole. Beside each object, `.sha256/<hex key>` keeps the
//! SHA-256 it had when stored, so a `Prove` (an audit's challenge) also says whether the
//! object's bytes are still those.

use futures::{Stream, StreamExt};
use osiris_gateway_client::pb::storage::object_store_server::{ObjectStore, ObjectStoreServer};
use osiris_gateway_client::pb::storage::{
    Chunk, DeleteReply, DeleteRequest, GetRequest, ListReply, ListRequest, ObjectInfo, ProveReply, ProveRequest,
    PutReply,
};
use osiris_payments::buckets::check_key;
use osiris_payments::metadata::{BUCKET_ID, OBJECT_KEY};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::{Request, Response, Status, Streaming};

/// Bytes per streamed chunk of a get.
pub const CHUNK_BYTES: usize = 64 * 1024;
/// Objects a list returns when the request sets no limit.
pub const DEFAULT_LIST_LIMIT: usize = 1_000;
/// The reply metadata of put and delete: bytes the bucket occupies on this node afterwards.
pub const BUCKET_BYTES: &str = "osiris-bucket-bytes";
/// Prefix of in-progress puts' files (never listed).
const PARTIAL_PREFIX: &str = ".partial-";
/// The directory of a bucket's stored digests (never listed, not counted).
const DIGESTS_DIR: &str = ".sha256";
/// Most bytes one proof covers.
pub const MAX_PROVE_BYTES: u64 = 1024 * 1024;
/// Longest nonce of a proof, bytes.
pub const MAX_NONCE_BYTES: usize = 64;

/// The store over a root directory.
pub struct Objects {
    root: PathBuf,
    partial: AtomicU64,
    /// Held while a put renames its digest and its object into place (and a delete removes
    /// them), so that concurrent puts of one key leave a matching pair.
    commit: tokio::sync::Mutex<()>,
}

impl Objects {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into(), partial: AtomicU64::new(0), commit: tokio::sync::Mutex::new(()) }
    }

    fn bucket_dir(&self, bucket_id: u32) -> PathBuf {
        self.root.join(bucket_id.to_string())
    }

    /// The bucket and key a call's metadata names (INVALID_ARGUMENT otherwise).
    fn target<T>(request: &Request<T>, may_be_empty: bool) -> Result<(u32, String), Status> {
        let meta = request.metadata();
        let bucket = meta
            .get(BUCKET_ID)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u32>().ok())
            .ok_or_else(|| Status::invalid_argument(format!("metadata {BUCKET_ID}: missing or not a bucket id")))?;
        let key = match meta.get(OBJECT_KEY) {
            Some(v) => v.to_str().map_err(|_| Status::invalid_argument(format!("metadata {OBJECT_KEY}: not ASCII")))?,
            None => "",
        };
        check_key(key, may_be_empty).map_err(|e| Status::invalid_argument(format!("metadata {OBJECT_KEY}: {e}")))?;
        Ok((bucket, key.to_string()))
    }

    fn object_path(&self, bucket_id: u32, key: &str) -> PathBuf {
        self.bucket_dir(bucket_id).join(hex::encode(key))
    }

    fn digest_path(&self, bucket_id: u32, key: &str) -> PathBuf {
        self.bucket_dir(bucket_id).join(DIGESTS_DIR).join(hex::encode(key))
    }
}

/// SHA-256 of `nonce` then the file's bytes in `[offset, offset + length)`, and SHA-256 of
/// the whole file (hex).
async fn prove_file(path: &Path, offset: u64, length: u64, nonce: &[u8]) -> std::io::Result<(Vec<u8>, String)> {
    let mut file = tokio::fs::File::open(path).await?;
    let (mut range, mut whole) = (Sha256::new(), Sha256::new());
    range.update(nonce);
    let mut at = 0u64;
    let mut buf = vec![0u8; CHUNK_BYTES];
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        let data = &buf[..n];
        whole.update(data);
        let (start, end) = (at, at + n as u64);
        let (from, to) = (offset.max(start), (offset + length).min(end));
        if from < to {
            range.update(&data[(from - start) as usize..(to - start) as usize]);
        }
        at = end;
    }
    Ok((range.finalize().to_vec(), hex::encode(whole.finalize())))
}

/// Bytes of the objects in `dir` (0 when it does not exist).
async fn bucket_bytes(dir: &Path) -> Result<u64, Status> {
    let mut total = 0u64;
    let mut entries = match tokio::fs::read_dir(dir).await {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io(e)),
    };
    while let Some(entry) = entries.next_entry().await.map_err(io)? {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(PARTIAL_PREFIX) && name != DIGESTS_DIR {
            total += entry.metadata().await.map_err(io)?.len();
        }
    }
    Ok(total)
}

fn io(e: std::io::Error) -> Status {
    Status::internal(format!("storage: {e}"))
}

fn with_bucket_bytes<T>(reply: T, bytes: u64) -> Response<T> {
    let mut response = Response::new(reply);
    response.metadata_mut().insert(BUCKET_BYTES, bytes.to_string().parse().expect("digits"));
    response
}

type ChunkStream = Pin<Box<dyn Stream<Item = Result<Chunk, Status>> + Send>>;

#[tonic::async_trait]
impl ObjectStore for Objects {
    async fn put(&self, request: Request<Streaming<Chunk>>) -> Result<Response<PutReply>, Status> {
        let (bucket, key) = Self::target(&request, false)?;
        let dir = self.bucket_dir(bucket);
        tokio::fs::create_dir_all(&dir).await.map_err(io)?;
        let n = self.partial.fetch_add(1, Ordering::Relaxed);
        let partial = dir.join(format!("{PARTIAL_PREFIX}{}-{n}", std::process::id()));
        let mut file = tokio::fs::File::create(&partial).await.map_err(io)?;
        let mut stream = request.into_inner();
        let (mut size, mut hash) = (0u64, Sha256::new());
        let written: Result<(), Status> = async {
            while let Some(chunk) = stream.next().await {
                let chunk = chunk?;
                hash.update(&chunk.data);
                size += chunk.data.len() as u64;
                file.write_all(&chunk.data).await.map_err(io)?;
            }
            file.sync_all().await.map_err(io)
        }
        .await;
        if let Err(status) = written {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(status);
        }
        let sha256 = hex::encode(hash.finalize());
        let digests = dir.join(DIGESTS_DIR);
        tokio::fs::create_dir_all(&digests).await.map_err(io)?;
        let digest_partial = digests.join(format!("{PARTIAL_PREFIX}{}-{n}", std::process::id()));
        tokio::fs::write(&digest_partial, &sha256).await.map_err(io)?;
        {
            let _commit = self.commit.lock().await;
            tokio::fs::rename(&digest_partial, self.digest_path(bucket, &key)).await.map_err(io)?;
            tokio::fs::rename(&partial, self.object_path(bucket, &key)).await.map_err(io)?;
        }
        let reply = PutReply { size, sha256 };
        Ok(with_bucket_bytes(reply, bucket_bytes(&dir).await?))
    }

    type GetStream = ChunkStream;

    async fn get(&self, request: Request<GetRequest>) -> Result<Response<ChunkStream>, Status> {
        let (bucket, key) = Self::target(&request, false)?;
        let file = match tokio::fs::File::open(self.object_path(bucket, &key)).await {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Status::not_found(format!("bucket {bucket} has no object `{key}`")))
            }
            Err(e) => return Err(io(e)),
        };
        let chunks = futures::stream::unfold(Some(file), |file| async move {
            let mut file = file?;
            let mut buf = vec![0u8; CHUNK_BYTES];
            match file.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok(Chunk { data: buf }), Some(file)))
                }
                Err(e) => Some((Err(io(e)), None)),
            }
        });
        Ok(Response::new(Box::pin(chunks)))
    }

    async fn list(&self, request: Request<ListRequest>) -> Result<Response<ListReply>, Status> {
        let (bucket, prefix) = Self::target(&request, true)?;
        let ListRequest { limit, start_after } = request.into_inner();
        let limit = if limit == 0 { DEFAULT_LIST_LIMIT } else { limit as usize };
        let mut objects = Vec::new();
        let mut entries = match tokio::fs::read_dir(self.bucket_dir(bucket)).await {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Response::new(ListReply { objects })),
            Err(e) => return Err(io(e)),
        };
        while let Some(entry) = entries.next_entry().await.map_err(io)? {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(key) = hex::decode(&name).ok().and_then(|b| String::from_utf8(b).ok()) else { continue };
            if key.starts_with(&prefix) && key > start_after {
                objects.push(ObjectInfo { key, size: entry.metadata().await.map_err(io)?.len() });
            }
        }
        objects.sort_by(|a, b| a.key.cmp(&b.key));
        objects.truncate(limit);
        Ok(Response::new(ListReply { objects }))
    }

    async fn delete(&self, request: Request<DeleteRequest>) -> Result<Response<DeleteReply>, Status> {
        let (bucket, key) = Self::target(&request, false)?;
        let path = self.object_path(bucket, &key);
        let size = match tokio::fs::metadata(&path).await {
            Ok(meta) => meta.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Status::not_found(format!("bucket {bucket} has no object `{key}`")))
            }
            Err(e) => return Err(io(e)),
        };
        let _commit = self.commit.lock().await;
        tokio::fs::remove_file(&path).await.map_err(io)?;
        let _ = tokio::fs::remove_file(self.digest_path(bucket, &key)).await;
        // The last object leaves nothing behind (remove_dir fails while digests remain).
        let _ = tokio::fs::remove_dir(self.bucket_dir(bucket).join(DIGESTS_DIR)).await;
        Ok(with_bucket_bytes(DeleteReply { size }, bucket_bytes(&self.bucket_dir(bucket)).await?))
    }

    async fn prove(&self, request: Request<ProveRequest>) -> Result<Response<ProveReply>, Status> {
        let (bucket, key) = Self::target(&request, false)?;
        let ProveRequest { offset, length, nonce } = request.into_inner();
        if length > MAX_PROVE_BYTES || nonce.len() > MAX_NONCE_BYTES {
            return Err(Status::invalid_argument(format!(
                "a proof covers at most {MAX_PROVE_BYTES} bytes with a nonce of at most {MAX_NONCE_BYTES} bytes"
            )));
        }
        let path = self.object_path(bucket, &key);
        let size = match tokio::fs::metadata(&path).await {
            Ok(meta) => meta.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Status::not_found(format!("bucket {bucket} has no object `{key}`")))
            }
            Err(e) => return Err(io(e)),
        };
        if offset.checked_add(length).is_none_or(|end| end > size) {
            return Err(Status::out_of_range(format!("`{key}` has {size} bytes")));
        }
        let digest = || async { tokio::fs::read_to_string(self.digest_path(bucket, &key)).await.ok() };
        // The digest before and after the read: a put committing meanwhile matches one of them.
        let before = digest().await;
        let (proof, whole) = prove_file(&path, offset, length, &nonce).await.map_err(io)?;
        let after = digest().await;
        // An object stored before digests were kept has none: it cannot be found altered.
        let intact =
            (before.is_none() && after.is_none()) || [before, after].iter().flatten().any(|d| d.trim() == whole);
        Ok(Response::new(ProveReply { proof, intact, size }))
    }
}

/// Serves the store over `root` on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, root: PathBuf) -> Result<(), tonic::transport::Error> {
    serve_until(listener, root, std::future::pending()).await
}

/// Serves the store until `stop` completes (then its connections close too).
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    root: PathBuf,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), tonic::transport::Error> {
    tonic::transport::Server::builder()
        .add_service(ObjectStoreServer::new(Objects::new(root)))
        .serve_with_incoming_shutdown(
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
            stop,
        )
        .await
}
