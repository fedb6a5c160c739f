//! The payment metadata a consumer puts on each call (documented in
//! proto/osiris/gateway/v1/gateway.proto and the README).

use crate::payment::{Payment, PaymentKind};
use crate::refusal::Refusal;
use base64::Engine;
use http::HeaderMap;
use osiris_contract_types::PaymentSignature;

pub const PAYMENT_TYPE: &str = "osiris-payment-type";
pub const CHANNEL_ID: &str = "osiris-channel-id";
pub const NONCE: &str = "osiris-nonce";
pub const AMOUNT: &str = "osiris-amount";
/// Binary metadata: base64 (padded or not) of the 65-byte signature, as gRPC sends `-bin` keys.
pub const SIGNATURE: &str = "osiris-signature-bin";

/// Every header the gateway reads; they are removed before a call is forwarded.
pub const ALL: [&str; 5] = [PAYMENT_TYPE, CHANNEL_ID, NONCE, AMOUNT, SIGNATURE];

impl Payment {
    /// Reads the payment headers. Errors ([`Refusal::BadMetadata`]) name the missing or malformed header.
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, Refusal> {
        let kind = match text(headers, PAYMENT_TYPE)? {
            "escrow" => PaymentKind::Escrow,
            "prepaid" => PaymentKind::Prepaid,
            other => return Err(bad(PAYMENT_TYPE, format!("`{other}` is neither `escrow` nor `prepaid`"))),
        };
        let channel_id = number(headers, CHANNEL_ID)?;
        let nonce = number(headers, NONCE)?;
        let amount = number(headers, AMOUNT)?;
        let encoded = text(headers, SIGNATURE)?;
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(encoded.trim_end_matches('='))
            .map_err(|e| bad(SIGNATURE, format!("not base64: {e}")))?;
        let signature: PaymentSignature =
            bytes.try_into().map_err(|b: Vec<u8>| bad(SIGNATURE, format!("{} bytes, expected 65", b.len())))?;
        Ok(Self { kind, channel_id, nonce, amount, signature })
    }

    /// Writes the payment headers (the consumer's side).
    pub fn to_headers(&self, headers: &mut HeaderMap) {
        let value = |s: String| http::HeaderValue::try_from(s).expect("ASCII header value");
        headers.insert(PAYMENT_TYPE, http::HeaderValue::from_static(self.kind.as_str()));
        headers.insert(CHANNEL_ID, value(self.channel_id.to_string()));
        headers.insert(NONCE, value(self.nonce.to_string()));
        headers.insert(AMOUNT, value(self.amount.to_string()));
        headers.insert(SIGNATURE, value(base64::engine::general_purpose::STANDARD.encode(self.signature)));
    }
}

fn bad(header: &'static str, reason: String) -> Refusal {
    Refusal::BadMetadata { header, reason }
}

fn text<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str, Refusal> {
    let value = headers.get(name).ok_or_else(|| bad(name, "missing".into()))?;
    value.to_str().map_err(|_| bad(name, "not ASCII text".into()))
}

fn number<T: std::str::FromStr>(headers: &HeaderMap, name: &'static str) -> Result<T, Refusal>
where
    T::Err: std::fmt::Display,
{
    let raw = text(headers, name)?;
    raw.parse().map_err(|e| bad(name, format!("`{raw}` is not a decimal number: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Payment {
        Payment {
            kind: PaymentKind::Prepaid,
            channel_id: 7,
            nonce: 2,
            amount: 1_000_000_000_000_000_000_000,
            signature: [9; 65],
        }
    }

    #[test]
    fn headers_round_trip() {
        let mut headers = HeaderMap::new();
        sample().to_headers(&mut headers);
        assert_eq!(Payment::from_headers(&headers).unwrap(), sample());
    }

    #[test]
    fn each_bad_header_is_named() {
        for (header, value) in [
            (PAYMENT_TYPE, "cash"),
            (CHANNEL_ID, "-1"),
            (NONCE, "x"),
            (AMOUNT, "1e5"),
            (SIGNATURE, "AAAA"),
            (SIGNATURE, "!!"),
        ] {
            let mut headers = HeaderMap::new();
            sample().to_headers(&mut headers);
            headers.insert(header, value.parse().unwrap());
            match Payment::from_headers(&headers) {
                Err(Refusal::BadMetadata { header: named, .. }) => assert_eq!(named, header),
                other => panic!("{header}={value}: {other:?}"),
            }
        }
        let mut headers = HeaderMap::new();
        sample().to_headers(&mut headers);
        headers.remove(NONCE);
        let err = Payment::from_headers(&headers).unwrap_err();
        assert_eq!(err.to_string(), "payment metadata osiris-nonce: missing");
    }
}
