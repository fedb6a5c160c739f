//! Where a paid call goes: the upstream service, by service type.
//!
//! A call is first *resolved* ([`Upstream::prepare`]: its method looked up, and for the
//! translated types its request decoded), so that an unknown method or an undecodable
//! request is refused before anything is charged; only then is it paid for and *sent*
//! ([`Upstream::send`]).

pub mod frame;
pub mod grpc;
pub mod jsonrpc;
pub mod process;
pub mod translate;

use crate::descriptors::Api;
use crate::front::body::RequestBody;
use bytes::Bytes;
use http::{Request, Response};
use std::sync::Arc;
use tonic::Status;

pub use crate::front::body::BoxError;
/// The gateway's response body: the upstream's stream, a translated message, or a status.
pub type Body = http_body_util::combinators::UnsyncBoxBody<Bytes, BoxError>;

/// An upstream that cannot be built from the configuration.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("endpoint `{endpoint}`: {reason}")]
    Endpoint { endpoint: String, reason: String },
    #[error("service_type `process` needs service.command")]
    NoCommand,
    #[error("HTTP client: {0}")]
    Client(String),
}

/// The upstream of one gateway, built from the service config (one per gateway: size is moot).
#[allow(clippy::large_enum_variant)]
pub enum Upstream {
    /// Passthrough; with the service's API when configured, to refuse unknown methods unpaid.
    Grpc(grpc::Passthrough, Option<Arc<Api>>),
    Jsonrpc(jsonrpc::JsonRpc),
    Process(process::ProcessRunner),
}

/// A call resolved against the service's API, ready to be sent once paid. Moved once per
/// call; boxing the request would cost an allocation per call instead.
#[allow(clippy::large_enum_variant)]
pub enum Prepared {
    /// Passed through untouched.
    Grpc(Request<RequestBody>),
    /// A unary call decoded to JSON, for a translated service.
    Json(translate::JsonCall),
}

impl Upstream {
    /// Resolves the call: UNIMPLEMENTED for a method the service's API does not have,
    /// INVALID_ARGUMENT for a request a translated service cannot decode.
    pub async fn prepare(&self, request: Request<RequestBody>) -> Result<Prepared, Status> {
        match self {
            Self::Grpc(_, Some(api)) => {
                translate::resolve(api, request.uri().path())?;
                Ok(Prepared::Grpc(request))
            }
            Self::Grpc(_, None) => Ok(Prepared::Grpc(request)),
            Self::Jsonrpc(upstream) => Ok(Prepared::Json(translate::decode_request(upstream.api(), request).await?)),
            Self::Process(upstream) => Ok(Prepared::Json(translate::decode_request(upstream.api(), request).await?)),
        }
    }

    /// Sends a paid call on; a failure of the upstream becomes a gRPC status.
    pub async fn send(&self, call: Prepared) -> Response<Body> {
        let result = match (self, call) {
            (Self::Grpc(upstream, _), Prepared::Grpc(request)) => upstream.forward(request).await,
            (Self::Jsonrpc(upstream), Prepared::Json(call)) => upstream.call(call).await,
            (Self::Process(upstream), Prepared::Json(call)) => upstream.call(call).await,
            _ => Err(Status::internal("a call prepared for another service type")),
        };
        result.unwrap_or_else(|status| {
            if status.code() == tonic::Code::Unavailable {
                metrics::counter!("osiris_gateway_upstream_errors_total", "error" => "unavailable").increment(1);
            }
            status_response(status)
        })
    }
}

/// A trailers-only gRPC response carrying `status`.
pub fn status_response(status: Status) -> Response<Body> {
    use http_body_util::BodyExt;
    status.into_http::<http_body_util::Empty<Bytes>>().map(|b| b.map_err(|never| match never {}).boxed_unsync())
}
