//! `grpc`: HTTP/2 passthrough. The request (headers minus the payment metadata, body
//! stream) goes to the upstream unchanged; its response headers, body stream and trailers
//! come back unchanged. Messages are never decoded, so any gRPC service works, streaming
//! included.

use super::{Body, UpstreamError};
use crate::front::body::MessageTooLarge;
use crate::front::body::RequestBody;
use http::uri::{Authority, Scheme};
use http::{Request, Response, Uri};
use http_body_util::BodyExt;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use osiris_payments::metadata;
use tonic::Status;

/// An HTTP/2 client to one upstream gRPC server (connections are reused).
#[derive(Clone)]
pub struct Passthrough {
    client: Client<HttpConnector, RequestBody>,
    scheme: Scheme,
    authority: Authority,
}

impl Passthrough {
    /// `endpoint` is `http://host:port` (cleartext HTTP/2, prior knowledge).
    pub fn new(endpoint: &str) -> Result<Self, UpstreamError> {
        let bad = |reason: String| UpstreamError::Endpoint { endpoint: endpoint.into(), reason };
        let uri: Uri = endpoint.parse().map_err(|e: http::uri::InvalidUri| bad(e.to_string()))?;
        let authority = uri.authority().cloned().ok_or_else(|| bad("no host:port".into()))?;
        if uri.scheme() != Some(&Scheme::HTTP) {
            return Err(bad("only http:// (cleartext HTTP/2) upstreams are supported".into()));
        }
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).http2_only(true).build(connector);
        Ok(Self { client, scheme: Scheme::HTTP, authority })
    }

    /// Forwards the call and streams the upstream's answer back.
    pub async fn forward(&self, request: Request<RequestBody>) -> Result<Response<Body>, Status> {
        let (mut parts, body) = request.into_parts();
        let mut uri = Uri::builder().scheme(self.scheme.clone()).authority(self.authority.clone());
        if let Some(path) = parts.uri.path_and_query() {
            uri = uri.path_and_query(path.clone());
        }
        parts.uri = uri.build().map_err(|e| Status::invalid_argument(format!("request path: {e}")))?;
        for name in metadata::ALL {
            parts.headers.remove(name);
        }
        let response = self.client.request(Request::from_parts(parts, body)).await.map_err(|e| {
            MessageTooLarge::status_in(&e)
                .unwrap_or_else(|| Status::unavailable(format!("upstream {}: {e}", self.authority)))
        })?;
        Ok(response.map(|body| body.map_err(Into::into).boxed_unsync()))
    }
}
