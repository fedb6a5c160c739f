//! `jsonrpc`: a unary gRPC call becomes a JSON-RPC 2.0 request over HTTP POST
//! (`method` = the RPC's name, `params` = the request message in JSON); the `result`
//! becomes the reply message, an `error` a gRPC status.

use super::{frame, translate, Body, UpstreamError};
use crate::descriptors::Api;
use http::Response;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tonic::{Code, Status};

pub struct JsonRpc {
    http: reqwest::Client,
    endpoint: String,
    api: Arc<Api>,
    next_id: AtomicU64,
}

impl JsonRpc {
    /// A client of the JSON-RPC 2.0 endpoint `endpoint` (HTTP POST), calls typed by `api`,
    /// each allowed `timeout`.
    pub fn new(endpoint: String, api: Arc<Api>, timeout: Duration) -> Result<Self, UpstreamError> {
        let http =
            reqwest::Client::builder().timeout(timeout).build().map_err(|e| UpstreamError::Client(e.to_string()))?;
        Ok(Self { http, endpoint, api, next_id: AtomicU64::new(1) })
    }

    /// The API calls are decoded with.
    pub fn api(&self) -> &Api {
        &self.api
    }

    /// Sends a decoded call; its reply message, or its error as a status.
    pub async fn call(&self, call: translate::JsonCall) -> Result<Response<Body>, Status> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "id": id, "method": call.method.name(), "params": call.params});
        let response = self
            .http
            .post(&self.endpoint)
            .json(&body)
            .send()
            .await
            .map_err(|e| Status::unavailable(format!("JSON-RPC endpoint {}: {e}", self.endpoint)))?;
        let status = response.status();
        let reply: Value = response.json().await.map_err(|e| {
            Status::unavailable(format!("JSON-RPC endpoint {} answered HTTP {status} without JSON: {e}", self.endpoint))
        })?;
        let result = result_of(reply)?;
        Ok(frame::unary_response(&translate::encode_reply(&call.method, result)?))
    }
}

/// The `result` of a JSON-RPC 2.0 response, or its `error` as a gRPC status:
/// -32601 → UNIMPLEMENTED, -32602 → INVALID_ARGUMENT, -32600/-32700 → INTERNAL, others → UNKNOWN.
pub fn result_of(mut reply: Value) -> Result<Value, Status> {
    if let Some(error) = reply.get("error") {
        let code = error.get("code").and_then(Value::as_i64).unwrap_or(0);
        let message = error.get("message").and_then(Value::as_str).unwrap_or("(no message)");
        let grpc = match code {
            -32601 => Code::Unimplemented,
            -32602 => Code::InvalidArgument,
            -32600 | -32700 => Code::Internal,
            _ => Code::Unknown,
        };
        return Err(Status::new(grpc, format!("JSON-RPC error {code}: {message}")));
    }
    reply
        .get_mut("result")
        .map(Value::take)
        .ok_or_else(|| Status::internal("JSON-RPC response has neither result nor error"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_statuses() {
        assert_eq!(result_of(json!({"result": {"a": 1}})).unwrap(), json!({"a": 1}));
        let err = result_of(json!({"error": {"code": -32602, "message": "bad text"}})).unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(err.message(), "JSON-RPC error -32602: bad text");
        assert_eq!(
            result_of(json!({"error": {"code": -32601, "message": "x"}})).unwrap_err().code(),
            Code::Unimplemented
        );
        assert_eq!(result_of(json!({"error": {"code": 7, "message": "x"}})).unwrap_err().code(), Code::Unknown);
        assert_eq!(result_of(json!({"id": 1})).unwrap_err().code(), Code::Internal);
    }
}
