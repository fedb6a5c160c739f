//! The consumers' port: accepts connections (cleartext or TLS), speaks HTTP/2 for gRPC
//! clients and HTTP/1.1 for gRPC-Web from browsers, and hands each request to the
//! [`Handler`] (the gateway's `server::Gateway`), through the [`web`] stack when it is
//! gRPC-Web. The port knows nothing of what the handler sells.
//!
//! Limits on this port (`[limits]`): the largest gRPC message a request may carry, the
//! longest a call may take, and how many calls one connection may have open at once.
//! Each request carries where it came from ([`Peer`]: the address and a connection
//! number) in its extensions, for the handler's per-address and per-connection limits.

pub mod body;
pub mod web;

use crate::limits::Peer;
use crate::proxy::Body;
use body::RequestBody;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use web::Web;

/// Largest gRPC message a request may carry by default, bytes (gRPC's usual 4 MiB).
pub const DEFAULT_MAX_MESSAGE_BYTES: u32 = 4 * 1024 * 1024;
/// Longest a call may take by default, milliseconds.
pub const DEFAULT_MAX_CALL_MS: u64 = 60_000;
/// Calls one connection may have open at once by default.
pub const DEFAULT_MAX_CONCURRENT_CALLS: u32 = 256;

/// `[limits]`: what one request or connection may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FrontLimits {
    /// Largest gRPC message in a request, bytes; a longer one is answered RESOURCE_EXHAUSTED
    /// (for translated services before anything is charged).
    pub max_message_bytes: u32,
    /// Longest a call may take until the service's answer starts, milliseconds; a client's
    /// shorter `grpc-timeout` wins. Past it the call gets DEADLINE_EXCEEDED.
    pub max_call_ms: u64,
    /// HTTP/2 streams (calls) one connection may have open at once.
    pub max_concurrent_calls_per_connection: u32,
}

impl Default for FrontLimits {
    fn default() -> Self {
        Self {
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            max_call_ms: DEFAULT_MAX_CALL_MS,
            max_concurrent_calls_per_connection: DEFAULT_MAX_CONCURRENT_CALLS,
        }
    }
}

/// What the port hands each request to.
pub trait Handler: Send + Sync + 'static {
    /// Answers one request (every failure is an answer: a gRPC status or an HTTP error).
    fn handle(
        self: Arc<Self>,
        request: http::Request<RequestBody>,
    ) -> impl std::future::Future<Output = Result<http::Response<Body>, std::convert::Infallible>> + Send;

    /// The limits requests and connections are held to.
    fn limits(&self) -> &FrontLimits;
}

/// What the port serves: the handler, and its gRPC-Web stack when on.
pub struct Front<H> {
    pub gateway: Arc<H>,
    pub web: Option<Web>,
}

impl<H> Clone for Front<H> {
    fn clone(&self) -> Self {
        Self { gateway: self.gateway.clone(), web: self.web.clone() }
    }
}

impl<H: Handler> Front<H> {
    /// Answers one request from a connection.
    pub async fn handle(
        self,
        request: http::Request<hyper::body::Incoming>,
    ) -> Result<http::Response<Body>, std::convert::Infallible> {
        if let Some(web) = &self.web {
            if Web::wants(&request) {
                return Ok(web.call(request).await);
            }
        }
        let max = self.gateway.limits().max_message_bytes;
        self.gateway.handle(request.map(|body| RequestBody::http(body, max))).await
    }
}

/// The HTTP server settings of the port: HTTP/1.1 and HTTP/2, at most
/// `max_concurrent_calls_per_connection` streams per connection.
pub fn builder(limits: &FrontLimits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http2().max_concurrent_streams(limits.max_concurrent_calls_per_connection);
    builder
}

/// Serves `front` on `listener` until `shutdown`, over TLS when `tls` is given; then stops
/// accepting and gives open connections up to `grace` to finish their calls.
pub async fn serve<H: Handler>(
    listener: TcpListener,
    front: Front<H>,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: CancellationToken,
    grace: Duration,
) {
    let graceful = GracefulShutdown::new();
    let builder = Arc::new(builder(front.gateway.limits()));
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
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
        let (front, builder, watcher) = (front.clone(), builder.clone(), graceful.watcher());
        match acceptor.clone() {
            None => connection(stream, peer, front, &builder, watcher),
            Some(acceptor) => {
                tokio::spawn(async move {
                    match tokio::time::timeout(crate::tls::HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => connection(stream, peer, front, &builder, watcher),
                        Ok(Err(e)) => tracing::debug!(%peer, "TLS handshake: {e}"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        }
    }
    if tokio::time::timeout(grace, graceful.shutdown()).await.is_err() {
        tracing::warn!("connections still open after {} ms; closing them", grace.as_millis());
    }
}

fn connection<S, H: Handler>(
    stream: S,
    peer: std::net::SocketAddr,
    front: Front<H>,
    builder: &auto::Builder<TokioExecutor>,
    watcher: Watcher,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    static CONNECTIONS: AtomicU64 = AtomicU64::new(0);
    let from = Peer { address: peer.ip().to_canonical(), connection: CONNECTIONS.fetch_add(1, Ordering::Relaxed) };
    let service = service_fn(move |mut request: http::Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(from);
        front.clone().handle(request)
    });
    let connection = builder.serve_connection(TokioIo::new(stream), service).into_owned();
    let connection = watcher.watch(connection);
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(%peer, "connection: {e}");
        }
    });
}
