//! One request, once the [`front`](crate::front) has accepted it. Paths of the gateway's
//! own services (`/osiris.gateway.v1.*`, `/grpc.health.v1.Health/*`, gRPC reflection) are
//! answered here and free; every other path is a call to the service and must carry a
//! payment.
//!
//! Every request gets a request id (the client's `osiris-request-id` when it sends a
//! usable one), returned in the `osiris-request-id` response header and written in the
//! call's one log line (target `osiris_gateway::calls`). A refused call also carries
//! `osiris-refusal: <reason>` (the refusal's metrics label), so a client can tell, say,
//! used-up free calls from an underpaid channel without parsing the message.
//!
//! A paid call carries a channel payment or, under a service agreement, a metering record
//! (`osiris_payments::metering`). Its payment metadata is parsed (INVALID_ARGUMENT, nothing charged); the
//! call is resolved against the service's API (UNIMPLEMENTED / INVALID_ARGUMENT, nothing
//! charged); the payment is checked early (mirror, rule) and its signature verified; then,
//! by [`PaymentCommit`], it is committed before the call is sent, or while the call is on
//! its way with the reply held back until it has. Either way a call is answered OK only
//! with its payment verified and committed.

use crate::authorize::{Authorizer, CheckedRecord};
use crate::config::PaymentCommit;
use crate::front::body::RequestBody;
use crate::front::FrontLimits;
use crate::proxy::{status_response, Body, Upstream};
use crate::refusal;
use http::{HeaderValue, Request, Response};
use http_body_util::BodyExt;
use osiris_contract_types::Balance;
use osiris_ledger::versioned::Pending;
use osiris_payments::buckets::{BucketOp, OBJECT_STORE_PATH};
use osiris_payments::{CallPayment, PaymentState, Refusal};
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
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
    pub authorizer: Authorizer,
    pub upstream: Upstream,
    /// When a paid call is sent relative to its payment's commit.
    pub commit: PaymentCommit,
    /// The gateway's own gRPC services.
    pub own: Routes,
    /// Message size and call duration limits.
    pub limits: FrontLimits,
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
        let path = request.uri().path();
        if OWN_PREFIXES.iter().any(|p| path.starts_with(p)) {
            let mut response = match self.authorizer.limits.free_call() {
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
        let (mut response, outcome, charge) = match self.paid_call(request).await {
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

    /// Parse, resolve, check, then commit and send: the paid call's path.
    /// Answers the call with the kind of payment and the planck it was charged.
    async fn paid_call(&self, request: Request<RequestBody>) -> Result<(Response<Body>, Charge), Refused> {
        self.authorizer.limits.paid_call()?;
        if request.headers().get(osiris_payments::metadata::PAYMENT_TYPE).is_some_and(|v| v == "bucket") {
            return self.bucket_call(request).await;
        }
        let payment = CallPayment::from_headers(request.headers())?;
        let deadline = self.deadline(request.headers());
        let call = self.upstream.prepare(request).await.map_err(Refused::Call)?;
        // The signature is verified before the call goes out: a forged payment never
        // reaches the upstream.
        let commit = match payment {
            CallPayment::Channel(payment) => {
                let checked = self.authorizer.check(payment).await?;
                let charge = checked.charge;
                Commit::Channel(self.authorizer.commit(checked)?, charge)
            }
            CallPayment::Agreement(record) => Commit::Metered(self.authorizer.check_metered(record).await?),
            CallPayment::Free(call) => {
                self.authorizer.free_call(call).await?;
                Commit::Free
            }
        };
        let charge = commit.charge();
        let send = self.send_within(call, deadline);
        match self.commit {
            PaymentCommit::BeforeForward => {
                self.committed(commit).await?;
                Ok((send.await, charge))
            }
            PaymentCommit::Overlapped => {
                // The commit runs while the upstream works, and nothing is answered before it is done.
                let (response, paid) = tokio::join!(send, self.committed(commit));
                // A payment lost to a racing replica: the upstream's reply is dropped.
                paid?;
                Ok((response, charge))
            }
        }
    }

    /// A request within a bucket (bucket mode): authorized from the mirror and the caller's
    /// signature, sent, and its bytes counted for the bucket.
    async fn bucket_call(&self, mut request: Request<RequestBody>) -> Result<(Response<Body>, Charge), Refused> {
        let node = self.authorizer.buckets.clone().ok_or(Refusal::NotABucketNode)?;
        let op = BucketOp::of_method(request.uri().path()).ok_or_else(|| {
            Refused::Call(tonic::Status::unimplemented(format!(
                "{}: a ddc node serves the object store ({OBJECT_STORE_PATH}Put, Get, List, Delete)",
                request.uri().path()
            )))
        })?;
        let bucket_id = node.authorize(op, request.headers()).await?;
        let bytes_in = request.body_mut().count_bytes();
        let deadline = self.deadline(request.headers());
        let call = self.upstream.prepare(request).await.map_err(Refused::Call)?;
        let response = self.send_within(call, deadline).await;
        Ok((crate::buckets::Counted::wrap(response, node, bucket_id, bytes_in), Some(("bucket", 0))))
    }

    /// Sends the call on; DEADLINE_EXCEEDED (counted as an upstream error) past `deadline`.
    async fn send_within(&self, call: crate::proxy::Prepared, deadline: Duration) -> Response<Body> {
        tokio::time::timeout(deadline, self.upstream.send(call)).await.unwrap_or_else(|_| {
            metrics::counter!("osiris_gateway_upstream_errors_total", "error" => "deadline").increment(1);
            status_response(tonic::Status::deadline_exceeded(format!(
                "the service did not answer within {} ms",
                deadline.as_millis()
            )))
        })
    }

    /// Waits until the payment is committed (or refused by the store's own decision).
    async fn committed(&self, commit: Commit) -> Result<(), Refusal> {
        match commit {
            Commit::Channel(pending, _) => committed(pending).await,
            Commit::Metered(checked) => self.authorizer.commit_metered(checked).await.map(drop),
            Commit::Free => Ok(()),
        }
    }
}

/// A checked payment on its way into its store. Moved once per call; boxing the metering
/// record would cost an allocation per call instead.
#[allow(clippy::large_enum_variant)]
enum Commit {
    /// A channel payment handed to the payment store's batcher, and what it charges.
    Channel(Pending<PaymentState>, Balance),
    /// A metering record, written by the metering store when awaited.
    Metered(CheckedRecord),
    /// A free call, already counted.
    Free,
}

impl Commit {
    fn charge(&self) -> Charge {
        match self {
            Self::Channel(_, price) => Some(("channel", *price)),
            Self::Metered(checked) => Some(("agreement", checked.charge)),
            Self::Free => Some(("free", 0)),
        }
    }
}

/// The kind of payment an answered call carried and the planck it was charged.
type Charge = Option<(&'static str, Balance)>;

impl Gateway {
    /// How long the call may take: the client's `grpc-timeout`, at most `max_call_ms`.
    fn deadline(&self, headers: &http::HeaderMap) -> Duration {
        let most = Duration::from_millis(self.limits.max_call_ms);
        headers.get("grpc-timeout").and_then(grpc_timeout).map_or(most, |asked| asked.min(most))
    }
}

/// A `grpc-timeout` header value (gRPC over HTTP/2: up to 8 digits and a unit H M S m u n).
pub fn grpc_timeout(value: &HeaderValue) -> Option<Duration> {
    let text = value.to_str().ok()?;
    if text.len() < 2 || text.len() > 9 {
        return None;
    }
    let (digits, unit) = text.split_at(text.len() - 1);
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount.checked_mul(3600)?),
        "M" => Duration::from_secs(amount.checked_mul(60)?),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
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

/// Why a call was not served.
enum Refused {
    /// The payment did not pass.
    Payment(Refusal),
    /// The call does not resolve against the service's API.
    Call(tonic::Status),
}

impl From<Refusal> for Refused {
    fn from(refusal: Refusal) -> Self {
        Self::Payment(refusal)
    }
}

/// Waits for the payment store's answer on a submitted payment.
async fn committed(pending: Pending<PaymentState>) -> Result<(), Refusal> {
    match pending.await {
        Ok(outcome) => outcome.map(drop),
        Err(_) => Err(Refusal::Unavailable("the payment store stopped before answering".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_parse_and_bad_ones_are_ignored() {
        let parse = |text: &str| grpc_timeout(&HeaderValue::from_str(text).unwrap());
        assert_eq!(parse("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse("2S"), Some(Duration::from_secs(2)));
        assert_eq!(parse("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse("5x"), None);
        assert_eq!(parse("m"), None);
        assert_eq!(parse("123456789S"), None);
    }

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
