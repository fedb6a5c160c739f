//! Protobuf ↔ JSON (protobuf's canonical JSON mapping, via prost-reflect) for the
//! translated service types.

use super::frame;
use crate::descriptors::Api;
use crate::front::body::RequestBody;
use http::Request;
use prost::Message;
use prost_reflect::{DynamicMessage, MethodDescriptor, SerializeOptions};
use serde_json::Value;
use tonic::Status;

/// A unary call decoded: its method and its request as JSON.
pub struct JsonCall {
    pub method: MethodDescriptor,
    pub params: Value,
}

/// The method of gRPC path `path` in `api`, or UNIMPLEMENTED.
pub fn resolve(api: &Api, path: &str) -> Result<MethodDescriptor, Status> {
    api.method(path).ok_or_else(|| Status::unimplemented(format!("no method {path} in the service's API")))
}

/// Finds the call's method in `api` and decodes its one request message into JSON.
pub async fn decode_request(api: &Api, request: Request<RequestBody>) -> Result<JsonCall, Status> {
    let path = request.uri().path().to_string();
    let method = resolve(api, &path)?;
    if method.is_client_streaming() || method.is_server_streaming() {
        return Err(Status::unimplemented(format!("{path} streams; translated services take unary calls only")));
    }
    let bytes = frame::read_unary(request.into_body()).await?;
    let message = DynamicMessage::decode(method.input(), bytes)
        .map_err(|e| Status::invalid_argument(format!("request is not a {}: {e}", method.input().full_name())))?;
    let params = message
        .serialize_with_options(serde_json::value::Serializer, &SerializeOptions::new().skip_default_fields(false))
        .map_err(|e| Status::internal(format!("request to JSON: {e}")))?;
    Ok(JsonCall { method, params })
}

/// Encodes the upstream's JSON reply as the method's output message.
pub fn encode_reply(method: &MethodDescriptor, reply: Value) -> Result<Vec<u8>, Status> {
    let message = DynamicMessage::deserialize(method.output(), reply)
        .map_err(|e| Status::internal(format!("the service's reply is not a {}: {e}", method.output().full_name())))?;
    Ok(message.encode_to_vec())
}
