//! Web clients: gRPC-Web (tonic-web) and CORS (tower-http), so a browser app can call the
//! service through the gateway and pay with the same metadata as any client.
//!
//! A request whose content type is `application/grpc-web*`, an HTTP/1.1 request, or a CORS
//! preflight (`OPTIONS`) goes through this stack; tonic-web turns it into a gRPC request,
//! the gateway handles it like any other call, and the reply is turned back into gRPC-Web.
//! With `cors_allowed_origins` set, answers carry the CORS headers browsers need, exposing
//! `grpc-status`, `grpc-message`, `osiris-request-id` and `osiris-refusal` to the page.

use super::body::RequestBody;
use super::Handler;
use crate::proxy::{Body, BoxError};
use http::{HeaderName, HeaderValue, Method, Request, Response};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tower::util::BoxCloneSyncService;
use tower::{ServiceBuilder, ServiceExt};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// How long a browser may cache a CORS preflight's answer.
pub const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// Response headers a page may read: the call's status, its refusal and its request id.
pub const EXPOSED_HEADERS: [&str; 5] =
    ["grpc-status", "grpc-message", "grpc-status-details-bin", "osiris-request-id", "osiris-refusal"];

/// `[web]`: gRPC-Web and CORS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WebConfig {
    /// Accept gRPC-Web requests (HTTP/1.1 or HTTP/2).
    pub grpc_web: bool,
    /// Origins allowed to call from a browser (`https://app.example`), or `["*"]` for any
    /// (the default: a call carries its own signed payment and no cookie, so a page of any
    /// market may make it); empty sends no CORS headers (same-origin pages only).
    pub cors_allowed_origins: Vec<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self { grpc_web: true, cors_allowed_origins: vec!["*".into()] }
    }
}

/// A configured origin that is not a valid header value.
#[derive(Debug, thiserror::Error)]
#[error("web.cors_allowed_origins: `{0}` is not an origin")]
pub struct BadOrigin(String);

/// The gRPC-Web stack in front of the gateway.
#[derive(Clone)]
pub struct Web {
    service: BoxCloneSyncService<Request<Incoming>, Response<tonic::body::Body>, Infallible>,
}

impl Web {
    /// The stack for `config`; `None` when gRPC-Web is off.
    pub fn new<H: Handler>(
        config: &WebConfig,
        gateway: Arc<H>,
        max_message_bytes: u32,
    ) -> Result<Option<Self>, BadOrigin> {
        if !config.grpc_web {
            return Ok(None);
        }
        let cors = cors_layer(&config.cors_allowed_origins)?;
        let inner = tower::service_fn(move |request: Request<tonic::body::Body>| {
            let gateway = gateway.clone();
            async move { gateway.handle(request.map(|body| RequestBody::web(body, max_message_bytes))).await }
        });
        let service = ServiceBuilder::new().option_layer(cors).layer(tonic_web::GrpcWebLayer::new()).service(inner);
        Ok(Some(Self { service: BoxCloneSyncService::new(service) }))
    }

    /// Whether `request` is for this stack rather than the native HTTP/2 path.
    pub fn wants(request: &Request<Incoming>) -> bool {
        request.version() != http::Version::HTTP_2
            || request.method() == Method::OPTIONS
            || request
                .headers()
                .get(http::header::CONTENT_TYPE)
                .is_some_and(|t| t.as_bytes().starts_with(b"application/grpc-web"))
    }

    /// Answers one request through the stack.
    pub async fn call(&self, request: Request<Incoming>) -> Response<Body> {
        match self.service.clone().oneshot(request).await {
            Ok(response) => response.map(|body| body.map_err(BoxError::from).boxed_unsync()),
            Err(never) => match never {},
        }
    }
}

fn cors_layer(origins: &[String]) -> Result<Option<CorsLayer>, BadOrigin> {
    if origins.is_empty() {
        return Ok(None);
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        let values = origins
            .iter()
            .map(|o| HeaderValue::from_str(o.trim_end_matches('/')).map_err(|_| BadOrigin(o.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        AllowOrigin::list(values)
    };
    Ok(Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::POST, Method::OPTIONS])
            .allow_headers(tower_http::cors::Any)
            .expose_headers(EXPOSED_HEADERS.map(HeaderName::from_static))
            .max_age(PREFLIGHT_MAX_AGE),
    ))
}
