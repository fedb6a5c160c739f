//! What a gateway sells, one mode each, chosen once from the configuration
//! ([`crate::config::Config::mode`]):
//!
//! - [`calls`]: calls to a service, paid over a payment channel (escrow or prepaid), by a
//!   metering record under an agreement, or free;
//! - [`jobs`]: compute jobs under agreements, through the gateway's own Jobs service;
//! - [`bucket_node`]: requests within buckets, as a ddc node in front of an object store.
//!
//! A mode takes a call that the front accepted and rate limits let through, authorizes it
//! by its deal kind, forwards it to its upstream (its own [`crate::forward::Forward`]) and
//! answers with what it charged; it adds its own gRPC services and starts its own
//! background tasks. The server names no deal kind.

pub mod bucket_node;
pub mod calls;
pub mod jobs;

use crate::front::body::RequestBody;
use crate::proxy::Body;
use http::{Request, Response};
use osiris_contract_types::Balance;
use osiris_payments::Refusal;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;

/// The gateway's mode, with what it authorizes calls with (one per gateway: size is moot).
#[allow(clippy::large_enum_variant)]
pub enum Mode {
    Calls(calls::Calls),
    Jobs(jobs::JobsMode),
    BucketNode(bucket_node::BucketNodeMode),
}

/// Why a call was not served.
pub enum Refused {
    /// The payment (or request) did not pass.
    Payment(Refusal),
    /// The call does not resolve against the service's API.
    Call(tonic::Status),
}

impl From<Refusal> for Refused {
    fn from(refusal: Refusal) -> Self {
        Self::Payment(refusal)
    }
}

/// The kind of deal an answered call was served under (a metrics label) and the planck it
/// was charged.
pub type Charge = Option<(&'static str, Balance)>;

impl Mode {
    /// Authorizes, forwards and answers one call; the answer and what it charged.
    pub async fn call(&self, request: Request<RequestBody>) -> Result<(Response<Body>, Charge), Refused> {
        match self {
            Self::Calls(calls) => calls.call(request).await,
            Self::Jobs(jobs) => jobs.call(request).await,
            Self::BucketNode(node) => node.call(request).await,
        }
    }

    /// The gateway's own gRPC services (`own`) plus the mode's.
    pub fn add_services(&self, own: Routes) -> Routes {
        match self {
            Self::Jobs(jobs) => jobs.add_services(own),
            Self::Calls(_) | Self::BucketNode(_) => own,
        }
    }

    /// Starts the mode's own background tasks; the handles are the ones to wait for after
    /// `shutdown` (their last work must be done before the gateway exits).
    pub fn spawn_tasks(&self, flush_every: Duration, shutdown: &CancellationToken) -> Vec<JoinHandle<()>> {
        match self {
            Self::Calls(calls) if calls.leases.enabled() => vec![calls.leases.spawn(shutdown)],
            Self::Calls(_) | Self::Jobs(_) => Vec::new(),
            Self::BucketNode(node) => {
                let mut tasks = vec![node.spawn_flush(flush_every, shutdown), node.spawn_follow(shutdown)];
                tasks.extend(node.spawn_repair(shutdown));
                tasks
            }
        }
    }
}
