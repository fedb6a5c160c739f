//! What a gateway sells, one mode each, chosen once from the configuration
//! ([`crate::config::Config::mode`]):
//!
//! - [`calls`]: calls to a service, paid over a payment channel (escrow or prepaid), by a
//!   metering record under an agreement, or free; a `job` gateway is this mode too (its
//!   calls are its own `Jobs` service, paid by agreements, and any other path is refused
//!   by its upstream);
//! - [`bucket_node`]: requests within buckets, as a ddc node in front of an object store.
//!
//! A mode takes a call that the front accepted and rate limits let through, authorizes it
//! by its deal kind, forwards it ([`Forward`]) and answers with what it charged; it also
//! starts its own background tasks. The server names no deal kind.

pub mod bucket_node;
pub mod calls;

use crate::forward::Forward;
use crate::front::body::RequestBody;
use crate::proxy::Body;
use http::{Request, Response};
use osiris_contract_types::Balance;
use osiris_payments::Refusal;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The gateway's mode, with what it authorizes calls with.
pub enum Mode {
    Calls(calls::Calls),
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
    pub async fn call(
        &self,
        forward: &Forward,
        request: Request<RequestBody>,
    ) -> Result<(Response<Body>, Charge), Refused> {
        match self {
            Self::Calls(calls) => calls.call(forward, request).await,
            Self::BucketNode(node) => node.call(forward, request).await,
        }
    }

    /// Starts the mode's own background tasks; the handles are the ones to wait for after
    /// `shutdown` (their last work must be done before the gateway exits).
    pub fn spawn_tasks(&self, flush_every: Duration, shutdown: &CancellationToken) -> Vec<JoinHandle<()>> {
        match self {
            Self::Calls(_) => Vec::new(),
            Self::BucketNode(node) => vec![node.spawn_flush(flush_every, shutdown), node.spawn_follow(shutdown)],
        }
    }
}
