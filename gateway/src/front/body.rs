//! The body of a call as the gateway receives it: HTTP/2 from a gRPC client, or the body
//! tonic-web rebuilt from a gRPC-Web request. Either way the gRPC messages it carries are
//! checked against the largest message size as they stream by.

use bytes::{Buf, Bytes};
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Errors of request and response bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A request body with its message-size check.
pub struct RequestBody {
    inner: Inner,
    messages: MessageLimit,
    /// Bytes of the body read so far, when counted (bucket mode counts them per bucket).
    counted: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
}

enum Inner {
    Http(Incoming),
    Web(tonic::body::Body),
}

impl RequestBody {
    /// The body of a gRPC request over HTTP/2.
    pub fn http(body: Incoming, max_message_bytes: u32) -> Self {
        Self { inner: Inner::Http(body), messages: MessageLimit::new(max_message_bytes), counted: None }
    }

    /// The body tonic-web rebuilt from a gRPC-Web request.
    pub fn web(body: tonic::body::Body, max_message_bytes: u32) -> Self {
        Self { inner: Inner::Web(body), messages: MessageLimit::new(max_message_bytes), counted: None }
    }

    /// Counts the body's bytes from now on; the count is readable while it streams.
    pub fn count_bytes(&mut self) -> std::sync::Arc<std::sync::atomic::AtomicU64> {
        self.counted.get_or_insert_with(Default::default).clone()
    }
}

/// A gRPC message in a request is longer than the gateway accepts.
#[derive(Debug, thiserror::Error)]
#[error("a request message of {length} bytes exceeds the gateway's limit of {limit} bytes (limits.max_message_bytes)")]
pub struct MessageTooLarge {
    pub length: u32,
    pub limit: u32,
}

impl MessageTooLarge {
    /// The error's status when it is somewhere in `error`'s source chain.
    pub fn status_in(error: &(dyn std::error::Error + 'static)) -> Option<tonic::Status> {
        let mut current = Some(error);
        while let Some(e) = current {
            if let Some(too_large) = e.downcast_ref::<MessageTooLarge>() {
                return Some(tonic::Status::resource_exhausted(too_large.to_string()));
            }
            current = e.source();
        }
        None
    }
}

/// Follows gRPC's length-prefixed framing (1 flag byte, 4 bytes big-endian length) across
/// data frames, refusing a message longer than `limit`.
#[derive(Debug)]
struct MessageLimit {
    limit: u32,
    header: [u8; 5],
    header_len: usize,
    /// Bytes of the current message still to come.
    remaining: u64,
}

impl MessageLimit {
    fn new(limit: u32) -> Self {
        Self { limit, header: [0; 5], header_len: 0, remaining: 0 }
    }

    fn scan(&mut self, mut data: &[u8]) -> Result<(), MessageTooLarge> {
        while !data.is_empty() {
            if self.remaining > 0 {
                let skip = usize::try_from(self.remaining).unwrap_or(usize::MAX).min(data.len());
                data = &data[skip..];
                self.remaining -= skip as u64;
                continue;
            }
            let take = (5 - self.header_len).min(data.len());
            self.header[self.header_len..self.header_len + take].copy_from_slice(&data[..take]);
            self.header_len += take;
            data = &data[take..];
            if self.header_len == 5 {
                self.header_len = 0;
                let length = u32::from_be_bytes([self.header[1], self.header[2], self.header[3], self.header[4]]);
                if length > self.limit {
                    return Err(MessageTooLarge { length, limit: self.limit });
                }
                self.remaining = length.into();
            }
        }
        Ok(())
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        let polled = match &mut this.inner {
            Inner::Http(body) => Pin::new(body).poll_frame(cx).map_err(BoxError::from),
            Inner::Web(body) => Pin::new(body).poll_frame(cx).map_err(BoxError::from),
        };
        match polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    if let Some(counted) = &this.counted {
                        counted.fetch_add(data.remaining() as u64, std::sync::atomic::Ordering::Relaxed);
                    }
                    if let Err(too_large) = this.messages.scan(data.chunk()) {
                        return Poll::Ready(Some(Err(too_large.into())));
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.inner {
            Inner::Http(body) => body.is_end_stream(),
            Inner::Web(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            Inner::Http(body) => body.size_hint(),
            Inner::Web(body) => body.size_hint(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(length: u32) -> Vec<u8> {
        let mut bytes = vec![0];
        bytes.extend_from_slice(&length.to_be_bytes());
        bytes.resize(5 + length as usize, 7);
        bytes
    }

    #[test]
    fn messages_are_measured_across_frame_boundaries() {
        let mut limit = MessageLimit::new(10);
        let mut stream = framed(10);
        stream.extend(framed(3));
        stream.extend(framed(0));
        // Fed one byte at a time, then in one piece: the same verdict.
        for byte in &stream {
            limit.scan(std::slice::from_ref(byte)).unwrap();
        }
        MessageLimit::new(10).scan(&stream).unwrap();
        let mut stream = framed(4);
        stream.extend(framed(11));
        let error = MessageLimit::new(10).scan(&stream).unwrap_err();
        assert_eq!((error.length, error.limit), (11, 10));
        // Only the header is needed to refuse: the body never has to arrive.
        assert!(MessageLimit::new(10).scan(&[0, 0, 0, 1, 0]).is_err());
    }

    #[test]
    fn the_status_is_found_in_a_source_chain() {
        #[derive(Debug, thiserror::Error)]
        #[error("upstream")]
        struct Wrapper(#[source] MessageTooLarge);
        let status = MessageTooLarge::status_in(&Wrapper(MessageTooLarge { length: 9, limit: 8 })).unwrap();
        assert_eq!(status.code(), tonic::Code::ResourceExhausted);
        assert!(status.message().contains("max_message_bytes"));
    }
}
