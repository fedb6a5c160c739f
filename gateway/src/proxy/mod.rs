//! Where a paid call goes: the upstream service, by service type.

pub mod frame;
pub mod grpc;
pub mod jsonrpc;
pub mod process;
pub mod translate;

use bytes::Bytes;
use http::{Request, Response};
use hyper::body::Incoming;
use tonic::Status;

/// Errors of response bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// The gateway's response body: the upstream's stream, a translated message, or a status.
pub type Body = http_body_util::combinators::UnsyncBoxBody<Bytes, BoxError>;

/// The upstream of one gateway, built from the service config.
pub enum Upstream {
    Grpc(grpc::Passthrough),
    Jsonrpc(jsonrpc::JsonRpc),
    Process(process::ProcessRunner),
}

impl Upstream {
    /// Sends a paid call on; a failure of the upstream becomes a gRPC status.
    pub async fn call(&self, request: Request<Incoming>) -> Response<Body> {
        let result = match self {
            Self::Grpc(upstream) => upstream.forward(request).await,
            Self::Jsonrpc(upstream) => upstream.call(request).await,
            Self::Process(upstream) => upstream.call(request).await,
        };
        result.unwrap_or_else(status_response)
    }
}

/// A trailers-only gRPC response carrying `status`.
pub fn status_response(status: Status) -> Response<Body> {
    use http_body_util::BodyExt;
    status.into_http::<http_body_util::Empty<Bytes>>().map(|b| b.map_err(|never| match never {}).boxed_unsync())
}
