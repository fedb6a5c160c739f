//! One request, once the [`front`](crate::front) has accepted it. Paths of the gateway's
//! own services (`/osiris.gateway.v1.*`, `/grpc.health.v1.Health/*`, gRPC reflection) are
//! answered here without payment; every other path is a call to the service.
//!
//! Every request gets a request id (the client's `osiris-request-id` when it sends a
//! usable one), returned in the `osiris-request-id` response header and written in the
//! call's one log line (target `osiris_gateway::calls`). A refused call also carries
//! `osiris-refusal: <reason>` (the refusal's metrics label), so a client can tell one
//! refusal from another without parsing the message.
//!
//! Before anything else, a request is held to its peer address's and connection's rate
//! limits ([`RateLimits::peer`]), whatever its path.
//!
//! Any other call goes to the gateway's [`Mode`], which authorizes it by its deal kind,
//! forwards it and says what it charged; the server counts, logs and answers.

use crate::front::body::RequestBody;
use crate::front::FrontLimits;
use crate::limits::{Peer, RateLimits};
use crate::modes::{Mode, Refused};
use crate::proxy::{status_response, Body};
use crate::refusal;
use http::{HeaderValue, Request, Response};
use http_body_util::BodyExt;
use osiris_payments::Refusal;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use tonic::service::Routes;
use tower_service::Service;

/// Path prefixes answered by the gateway itself.
pub const OWN_PREFIXES: [&str; 4] =
    ["/osiris.gateway.v1.", "/grpc.health.v1.", "/grpc.reflection.v1.", "/grpc.reflection.v1alpha."];

/// The request-id header, in requests (optional) and responses.
pub const REQUEST_ID: &str = "osiris-request-id";
/// The header naming a refused call's reason (`Refusal::label`).
pub const REFUSAL: &str = "osiris-refusal";
/// Longest request id taken from a client, bytes.
pub const MAX_REQUEST_ID_BYTES: usize = 64;

/// Everything one call needs.
pub struct Gateway {
    /// What the gateway sells, and how it authorizes it.
    pub mode: Mode,
    /// Sizes, times and counts a connection and a request may use.
    pub limits: FrontLimits,
    /// Rate limits (own paths, calls, per consumer).
    pub rate_limits: std::sync::Arc<RateLimits>,
    /// The gateway's own gRPC services.
    pub own: Routes,
    /// Calls and failures counted for the alerts.
    pub vitals: Arc<crate::alerts::Vitals>,
}

impl crate::front::Handler for Gateway {
    fn handle(
        self: Arc<Self>,
        request: Request<RequestBody>,
    ) -> impl std::future::Future<Output = Result<Response<Body>, Infallible>> + Send {
        Gateway::handle(self, request)
    }

    fn limits(&self) -> &FrontLimits {
        &self.limits
    }
}

impl Gateway {
    /// Answers one request: own service, or authorize (payment stored) then proxy.
    pub async fn handle(self: Arc<Self>, request: Request<RequestBody>) -> Result<Response<Body>, Infallible> {
        let request_id = request_id(request.headers().get(REQUEST_ID));
        if let Some(peer) = request.extensions().get::<Peer>() {
            if let Err(refusal) = self.rate_limits.peer(peer) {
                let mut response = refused(&refusal);
                response.headers_mut().insert(REQUEST_ID, request_id);
                return Ok(response);
            }
        }
        let path = request.uri().path();
        if OWN_PREFIXES.iter().any(|p| path.starts_with(p)) {
            let mut response = match self.rate_limits.own_path() {
                Err(refusal) => refused(&refusal),
                Ok(()) => match Service::call(&mut self.own.clone(), request).await {
                    Ok(response) => response.map(|b| b.map_err(Into::into).boxed_unsync()),
                    Err(never) => match never {},
                },
            };
            response.headers_mut().insert(REQUEST_ID, request_id);
            return Ok(response);
        }
        let started = Instant::now();
        let method = path.to_string();
        let paid = match self.rate_limits.paid_call() {
            Ok(()) => self.mode.call(request).await,
            Err(refusal) => Err(Refused::Payment(refusal)),
        };
        let (mut response, outcome, charge) = match paid {
            Ok((response, charge)) => (response, "accepted", charge),
            Err(Refused::Payment(refusal)) => (refused(&refusal), refusal.label(), None),
            Err(Refused::Call(status)) => (status_response(status), "unresolved", None),
        };
        let elapsed = started.elapsed();
        let status = response.headers().get("grpc-status").and_then(|v| v.to_str().ok()).unwrap_or("streamed");
        // Failures of the gateway's side: the upstream unreachable or too slow (answered
        // UNAVAILABLE or DEADLINE_EXCEEDED by the gateway), or the payment store down.
        self.vitals.call(outcome == "unavailable" || (charge.is_some() && matches!(status, "4" | "14")));
        let code = match status {
            "streamed" => tonic::Code::Ok,
            code => tonic::Code::from_bytes(code.as_bytes()),
        };
        let code_name = code_name(code);
        match charge {
            Some((kind, planck)) => {
                metrics::counter!("osiris_gateway_calls_total", "method" => method.clone(), "status" => code_name)
                    .increment(1);
                metrics::counter!("osiris_gateway_payments_total", "kind" => kind).increment(1);
                metrics::counter!("osiris_gateway_payments_planck_total", "kind" => kind)
                    .increment(u64::try_from(planck).unwrap_or(u64::MAX));
            }
            None => {
                // Refused calls are not labelled by their path: a caller could make up any number of them.
                metrics::counter!("osiris_gateway_calls_total", "method" => "", "status" => code_name).increment(1);
                metrics::counter!("osiris_gateway_refusals_total", "reason" => outcome).increment(1);
            }
        }
        metrics::histogram!("osiris_gateway_call_seconds", "outcome" => if charge.is_some() { "paid" } else { "refused" })
            .record(elapsed.as_secs_f64());
        tracing::info!(
            target: "osiris_gateway::calls",
            request_id = request_id.to_str().unwrap_or(""),
            method,
            outcome,
            grpc_status = status,
            planck = charge.map_or(0, |(_, planck)| planck),
            micros = elapsed.as_micros() as u64,
            "call"
        );
        response.headers_mut().insert(REQUEST_ID, request_id);
        Ok(response)
    }
}

/// The response to a refused call: its status, and its reason in `osiris-refusal`.
pub fn refused(refusal: &Refusal) -> Response<Body> {
    let mut response = status_response(refusal::status(refusal));
    response.headers_mut().insert(REFUSAL, HeaderValue::from_static(refusal.label()));
    response
}

/// The client's request id when usable (at most [`MAX_REQUEST_ID_BYTES`] visible ASCII),
/// else a new one: this process's random prefix and a counter, 16 hex digits.
fn request_id(given: Option<&HeaderValue>) -> HeaderValue {
    if let Some(given) = given {
        let bytes = given.as_bytes();
        if !bytes.is_empty() && bytes.len() <= MAX_REQUEST_ID_BYTES && bytes.iter().all(|b| b.is_ascii_graphic()) {
            return given.clone();
        }
    }
    static PREFIX: OnceLock<u32> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(|| {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        (nanos.subsec_nanos() ^ std::process::id().rotate_left(16)) | 1
    });
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    HeaderValue::from_str(&format!("{prefix:08x}{:08x}", count as u32)).expect("hex digits")
}

/// A gRPC code as a metrics label (`ok`, `unavailable`, …).
fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "ok",
        Cancelled => "cancelled",
        Unknown => "unknown",
        InvalidArgument => "invalid_argument",
        DeadlineExceeded => "deadline_exceeded",
        NotFound => "not_found",
        AlreadyExists => "already_exists",
        PermissionDenied => "permission_denied",
        ResourceExhausted => "resource_exhausted",
        FailedPrecondition => "failed_precondition",
        Aborted => "aborted",
        OutOfRange => "out_of_range",
        Unimplemented => "unimplemented",
        Internal => "internal",
        Unavailable => "unavailable",
        DataLoss => "data_loss",
        Unauthenticated => "unauthenticated",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_taken_when_usable_and_made_otherwise() {
        let given = HeaderValue::from_static("trace-42");
        assert_eq!(request_id(Some(&given)), given);
        let (a, b) = (request_id(None), request_id(Some(&HeaderValue::from_static("has space"))));
        assert_ne!(a, b);
        assert_eq!(a.len(), 16);
        assert_eq!(request_id(Some(&HeaderValue::from_str(&"x".repeat(65)).unwrap())).len(), 16);
    }
}
