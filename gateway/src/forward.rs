//! Sending a call on to the provider's service, whatever paid for it: the upstream
//! ([`Upstream`]), the call's deadline (the client's `grpc-timeout`, at most
//! `max_call_ms`) and when a paid call goes out relative to its payment's commit
//! ([`PaymentCommit`]).

use crate::config::PaymentCommit;
use crate::front::body::RequestBody;
use crate::front::FrontLimits;
use crate::proxy::{status_response, Body, Prepared, Upstream};
use http::{HeaderValue, Request, Response};
use std::time::Duration;

/// What every mode forwards a call with.
pub struct Forward {
    pub upstream: Upstream,
    /// When a paid call is sent relative to its payment's commit.
    pub commit: PaymentCommit,
    /// Message size and call duration limits.
    pub limits: FrontLimits,
}

impl Forward {
    /// How long the call may take: the client's `grpc-timeout`, at most `max_call_ms`.
    pub fn deadline(&self, headers: &http::HeaderMap) -> Duration {
        let most = Duration::from_millis(self.limits.max_call_ms);
        headers.get("grpc-timeout").and_then(grpc_timeout).map_or(most, |asked| asked.min(most))
    }

    /// Resolves the call against the service's API (UNIMPLEMENTED / INVALID_ARGUMENT).
    pub async fn prepare(&self, request: Request<RequestBody>) -> Result<Prepared, tonic::Status> {
        self.upstream.prepare(request).await
    }

    /// Sends the call on; DEADLINE_EXCEEDED (counted as an upstream error) past `deadline`.
    pub async fn send_within(&self, call: Prepared, deadline: Duration) -> Response<Body> {
        tokio::time::timeout(deadline, self.upstream.send(call)).await.unwrap_or_else(|_| {
            metrics::counter!("osiris_gateway_upstream_errors_total", "error" => "deadline").increment(1);
            status_response(tonic::Status::deadline_exceeded(format!(
                "the service did not answer within {} ms",
                deadline.as_millis()
            )))
        })
    }
}

/// A `grpc-timeout` header value (gRPC over HTTP/2: up to 8 digits and a unit H M S m u n).
pub fn grpc_timeout(value: &HeaderValue) -> Option<Duration> {
    let text = value.to_str().ok()?;
    if text.len() < 2 || text.len() > 9 {
        return None;
    }
    let (digits, unit) = text.split_at(text.len() - 1);
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount.checked_mul(3600)?),
        "M" => Duration::from_secs(amount.checked_mul(60)?),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_parse_and_bad_ones_are_ignored() {
        let parse = |text: &str| grpc_timeout(&HeaderValue::from_str(text).unwrap());
        assert_eq!(parse("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse("2S"), Some(Duration::from_secs(2)));
        assert_eq!(parse("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse("5x"), None);
        assert_eq!(parse("m"), None);
        assert_eq!(parse("123456789S"), None);
    }
}
