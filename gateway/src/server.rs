//! The front: HTTP/2 (gRPC, cleartext) on one port. Paths of the gateway's own services
//! (`/osiris.gateway.v1.*`, `/grpc.health.v1.Health/*`) are answered here and free; every
//! other path is a call to the service and must carry a payment.

use crate::authorize::Authorizer;
use crate::proxy::{status_response, Body, Upstream};
use http::{Request, Response};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::graceful::GracefulShutdown;
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
    /// The gateway's own gRPC services.
    pub own: Routes,
}

impl Gateway {
    /// Answers one request: own service, or authorize (payment stored) then proxy.
    pub async fn handle(self: Arc<Self>, request: Request<Incoming>) -> Result<Response<Body>, Infallible> {
        let path = request.uri().path();
        if OWN_PREFIXES.iter().any(|p| path.starts_with(p)) {
            let response = match Service::call(&mut self.own.clone(), request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            return Ok(response.map(|b| b.map_err(Into::into).boxed_unsync()));
        }
        let started = Instant::now();
        match self.authorizer.authorize(request.headers()).await {
            Ok(_receipt) => {
                metrics::counter!("osiris_gateway_calls_total", "result" => "accepted").increment(1);
                metrics::histogram!("osiris_gateway_authorize_seconds").record(started.elapsed().as_secs_f64());
                Ok(self.upstream.call(request).await)
            }
            Err(refusal) => {
                tracing::debug!(path, "refused: {refusal}");
                metrics::counter!("osiris_gateway_calls_total", "result" => refusal.label()).increment(1);
                Ok(status_response(refusal.into()))
            }
        }
    }
}

/// Serves `gateway` on `listener` until `shutdown`; then stops accepting and gives open
/// connections up to `grace` to finish their calls.
pub async fn serve(listener: TcpListener, gateway: Arc<Gateway>, shutdown: CancellationToken, grace: Duration) {
    let graceful = GracefulShutdown::new();
    let builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
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
