//! gRPC's length-prefixed message framing (1 byte compressed flag, 4 bytes big-endian length),
//! for the translated service types, which handle one request and one reply message.

use super::{Body, BoxError};
use crate::front::body::{MessageTooLarge, RequestBody};
use bytes::{BufMut, Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, Response};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use tonic::Status;

/// Reads the whole request body and returns its one uncompressed message (the body
/// refuses a message over the gateway's size limit as it arrives: RESOURCE_EXHAUSTED).
pub async fn read_unary(body: RequestBody) -> Result<Bytes, Status> {
    let bytes = body
        .collect()
        .await
        .map_err(|e| {
            MessageTooLarge::status_in(e.as_ref())
                .unwrap_or_else(|| Status::cancelled(format!("reading the request: {e}")))
        })?
        .to_bytes();
    unframe(bytes)
}

/// The single message of a unary request body.
pub fn unframe(mut bytes: Bytes) -> Result<Bytes, Status> {
    if bytes.len() < 5 {
        return Err(Status::invalid_argument("the request body holds no gRPC message"));
    }
    if bytes[0] != 0 {
        return Err(Status::unimplemented("compressed request messages are not supported by translated services"));
    }
    let len = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]) as usize;
    if bytes.len() != 5 + len {
        return Err(Status::invalid_argument("a translated call takes exactly one request message"));
    }
    Ok(bytes.split_off(5))
}

/// Prefixes `message` with the gRPC frame header.
pub fn frame(message: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(5 + message.len());
    out.put_u8(0);
    out.put_u32(message.len() as u32);
    out.put_slice(message);
    out.freeze()
}

/// A successful unary gRPC response: one message, then `grpc-status: 0` in the trailers.
pub fn unary_response(message: &[u8]) -> Response<Body> {
    let mut trailers = HeaderMap::new();
    trailers.insert("grpc-status", HeaderValue::from_static("0"));
    let frames: Vec<Result<Frame<Bytes>, BoxError>> =
        vec![Ok(Frame::data(frame(message))), Ok(Frame::trailers(trailers))];
    let body = StreamBody::new(futures::stream::iter(frames)).boxed_unsync();
    Response::builder().header("content-type", "application/grpc").body(body).expect("a valid response")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_bad_frames_are_refused() {
        let framed = frame(b"hello");
        assert_eq!(&framed[..5], &[0, 0, 0, 0, 5]);
        assert_eq!(unframe(framed.clone()).unwrap(), Bytes::from_static(b"hello"));
        assert_eq!(unframe(Bytes::from_static(b"\0\0")).unwrap_err().code(), tonic::Code::InvalidArgument);
        let mut two = framed.to_vec();
        two.extend_from_slice(&framed);
        assert_eq!(unframe(two.into()).unwrap_err().code(), tonic::Code::InvalidArgument);
        assert_eq!(unframe(Bytes::from_static(b"\x01\0\0\0\0")).unwrap_err().code(), tonic::Code::Unimplemented);
    }
}
