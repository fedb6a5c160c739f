//! Bucket mode: the gateway as a ddc node in front of its object store. A request within a
//! bucket is authorized from the mirror and the caller's signature
//! ([`crate::buckets::BucketNode::authorize`]), sent, and its bytes counted for the bucket;
//! the counts are flushed to PostgreSQL in the background, and the bucket facts cache is
//! emptied on each of the mirror's blocks.

use super::{Charge, Refused};
use crate::buckets::{BucketNode, Counted};
use crate::forward::Forward;
use crate::front::body::RequestBody;
use crate::proxy::Body;
use http::{Request, Response};
use osiris_payments::buckets::{BucketOp, OBJECT_STORE_PATH};
use osiris_payments::metadata::PAYMENT_TYPE;
use osiris_payments::Refusal;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The value of `osiris-payment-type` a request within a bucket carries.
pub const BUCKET_PAYMENT_TYPE: &str = "bucket";

/// The ddc node this gateway serves as, and its object store.
pub struct BucketNodeMode {
    pub node: Arc<BucketNode>,
    pub forward: Forward,
    /// The node's repair, when it has its owner's key and repair is on.
    pub repair: Option<Arc<crate::repair::Repair>>,
}

impl BucketNodeMode {
    /// One request within a bucket.
    pub async fn call(&self, mut request: Request<RequestBody>) -> Result<(Response<Body>, Charge), Refused> {
        let forward = &self.forward;
        if request.headers().get(PAYMENT_TYPE).is_none_or(|v| v != BUCKET_PAYMENT_TYPE) {
            return Err(Refused::Payment(Refusal::BadMetadata {
                header: PAYMENT_TYPE,
                reason: format!("a ddc node serves only requests within a bucket (`{BUCKET_PAYMENT_TYPE}`)"),
            }));
        }
        let node = &self.node;
        let op = BucketOp::of_method(request.uri().path()).ok_or_else(|| {
            Refused::Call(tonic::Status::unimplemented(format!(
                "{}: a ddc node serves the object store ({OBJECT_STORE_PATH}Put, Get, List, Delete, Prove)",
                request.uri().path()
            )))
        })?;
        let bucket_id = node.authorize(op, request.headers()).await?;
        let bytes_in = request.body_mut().count_bytes();
        let deadline = forward.deadline(request.headers());
        let call = forward.prepare(request).await.map_err(Refused::Call)?;
        let response = forward.send_within(call, deadline).await;
        Ok((Counted::wrap(response, node.clone(), bucket_id, bytes_in), Some(("bucket", 0))))
    }

    /// Flushes the byte counts every `every` until `shutdown`, then once more.
    pub fn spawn_flush(&self, every: Duration, shutdown: &CancellationToken) -> JoinHandle<()> {
        tokio::spawn(self.node.clone().flush_periodically(every, shutdown.clone()))
    }

    /// Runs repair passes until `shutdown` (none without a repair).
    pub fn spawn_repair(&self, shutdown: &CancellationToken) -> Option<JoinHandle<()>> {
        self.repair.as_ref().map(|repair| tokio::spawn(repair.clone().run(shutdown.clone())))
    }

    /// Keeps the bucket facts cache no older than the mirror's last block, until `shutdown`.
    pub fn spawn_follow(&self, shutdown: &CancellationToken) -> JoinHandle<()> {
        tokio::spawn(self.node.clone().follow_mirror(shutdown.clone()))
    }
}
