//! The front: HTTP/2 (gRPC, cleartext) on one port. Paths of the gateway's own services
//! (`/osiris.gateway.v1.*`, `/grpc.health.v1.Health/*`) are answered here and free; every
//! other path is a call to the service and must carry a payment.
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
use crate::proxy::{status_response, Body, Upstream};
use crate::refusal;
use http::{Request, Response};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::graceful::GracefulShutdown;
use osiris_payments::store::Pending;
use osiris_payments::{CallPayment, Refusal};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tower_service::Service;

/// Path prefixes answered by the gateway itself.
pub const OWN_PREFIXES: [&str; 2] = ["/osiris.gateway.v1.", "/grpc.health.v1."];

/// Everything one call needs.
pub struct Gateway {
    pub authorizer: Authorizer,
    pub upstream: Upstream,
    /// When a paid call is sent relative to its payment's commit.
    pub commit: PaymentCommit,
    /// The gateway's own gRPC services.
    pub own: Routes,
}

impl Gateway {
    /// Answers one request: own service, or authorize (payment stored) then proxy.
    pub async fn handle(self: Arc<Self>, request: Request<Incoming>) -> Result<Response<Body>, Infallible> {
        let path = request.uri().path();
        if OWN_PREFIXES.iter().any(|p| path.starts_with(p)) {
            if let Err(refusal) = self.authorizer.limits.free_call() {
                return Ok(status_response(refusal::status(&refusal)));
            }
            let response = match Service::call(&mut self.own.clone(), request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            return Ok(response.map(|b| b.map_err(Into::into).boxed_unsync()));
        }
        let started = Instant::now();
        let response = match self.paid_call(request).await {
            Ok(response) => {
                metrics::counter!("osiris_gateway_calls_total", "result" => "accepted").increment(1);
                response
            }
            Err(Refused::Payment(refusal)) => {
                tracing::debug!("refused: {refusal}");
                metrics::counter!("osiris_gateway_calls_total", "result" => refusal.label()).increment(1);
                status_response(refusal::status(&refusal))
            }
            Err(Refused::Call(status)) => {
                metrics::counter!("osiris_gateway_calls_total", "result" => "unresolved").increment(1);
                status_response(status)
            }
        };
        metrics::histogram!("osiris_gateway_call_seconds").record(started.elapsed().as_secs_f64());
        Ok(response)
    }

    /// Parse, resolve, check, then commit and send: the paid call's path.
    async fn paid_call(&self, request: Request<Incoming>) -> Result<Response<Body>, Refused> {
        self.authorizer.limits.paid_call()?;
        let payment = CallPayment::from_headers(request.headers())?;
        let call = self.upstream.prepare(request).await.map_err(Refused::Call)?;
        // The signature is verified before the call goes out: a forged payment never
        // reaches the upstream.
        let commit = match payment {
            CallPayment::Channel(payment) => {
                let checked = self.authorizer.check(payment).await?;
                Commit::Channel(self.authorizer.commit(checked)?)
            }
            CallPayment::Agreement(record) => Commit::Metered(self.authorizer.check_metered(record).await?),
        };
        match self.commit {
            PaymentCommit::BeforeForward => {
                self.committed(commit).await?;
                Ok(self.upstream.send(call).await)
            }
            PaymentCommit::Overlapped => {
                // The commit runs while the upstream works, and nothing is answered before it is done.
                let (response, paid) = tokio::join!(self.upstream.send(call), self.committed(commit));
                // A payment lost to a racing replica: the upstream's reply is dropped.
                paid?;
                Ok(response)
            }
        }
    }

    /// Waits until the payment is committed (or refused by the store's own decision).
    async fn committed(&self, commit: Commit) -> Result<(), Refusal> {
        match commit {
            Commit::Channel(pending) => committed(pending).await,
            Commit::Metered(checked) => self.authorizer.commit_metered(checked).await.map(drop),
        }
    }
}

/// A checked payment on its way into its store. Moved once per call; boxing the metering
/// record would cost an allocation per call instead.
#[allow(clippy::large_enum_variant)]
enum Commit {
    /// A channel payment handed to the payment store's batcher.
    Channel(Pending),
    /// A metering record, written by the metering store when awaited.
    Metered(CheckedRecord),
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
async fn committed(pending: Pending) -> Result<(), Refusal> {
    match pending.await {
        Ok(outcome) => outcome.map(drop),
        Err(_) => Err(Refusal::Unavailable("the payment store stopped before answering".into())),
    }
}

/// The HTTP/2 server settings of the gateway's front.
pub fn http2_builder() -> hyper::server::conn::http2::Builder<TokioExecutor> {
    hyper::server::conn::http2::Builder::new(TokioExecutor::new())
}

/// Serves `gateway` on `listener` until `shutdown`; then stops accepting and gives open
/// connections up to `grace` to finish their calls.
pub async fn serve(listener: TcpListener, gateway: Arc<Gateway>, shutdown: CancellationToken, grace: Duration) {
    let graceful = GracefulShutdown::new();
    let builder = http2_builder();
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let gateway = gateway.clone();
        let service = service_fn(move |request| gateway.clone().handle(request));
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, "connection: {e}");
            }
        });
    }
    if tokio::time::timeout(grace, graceful.shutdown()).await.is_err() {
        tracing::warn!("connections still open after {} s; closing them", grace.as_secs());
    }
}
