//! The payment metadata a consumer puts on each call (documented in
//! proto/osiris/gateway/v1/gateway.proto and the README).

use crate::free_calls::FreeCall;
use crate::metering::MeteringRecord;
use crate::payment::{Payment, PaymentKind};
use crate::refusal::Refusal;
use crate::signing::free_call_token::FreeCallToken;
use base64::Engine;
use http::HeaderMap;
use osiris_contract_types::PaymentSignature;

pub use crate::headers::*;

/// Anything that puts payment metadata on a call (the consumer's side).
pub trait PaymentHeaders: Send + Sync {
    fn to_headers(&self, headers: &mut HeaderMap);
}

impl PaymentHeaders for Payment {
    fn to_headers(&self, headers: &mut HeaderMap) {
        Payment::to_headers(self, headers)
    }
}

impl PaymentHeaders for MeteringRecord {
    fn to_headers(&self, headers: &mut HeaderMap) {
        CallPayment::Agreement(self.clone()).to_headers(headers)
    }
}

impl PaymentHeaders for FreeCall {
    fn to_headers(&self, headers: &mut HeaderMap) {
        CallPayment::Free(self.clone()).to_headers(headers)
    }
}

impl PaymentHeaders for CallPayment {
    fn to_headers(&self, headers: &mut HeaderMap) {
        CallPayment::to_headers(self, headers)
    }
}

/// How a call pays: a channel authorization, a metering record under a service agreement,
/// or one of the consumer's free calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallPayment {
    Channel(Payment),
    Agreement(MeteringRecord),
    Free(FreeCall),
}

impl From<Payment> for CallPayment {
    fn from(payment: Payment) -> Self {
        Self::Channel(payment)
    }
}

impl From<MeteringRecord> for CallPayment {
    fn from(record: MeteringRecord) -> Self {
        Self::Agreement(record)
    }
}

impl CallPayment {
    /// Reads the payment headers: `osiris-payment-type` `escrow` or `prepaid` (a channel
    /// payment), `agreement` (a metering record) or `free` (a signed timestamp). Errors
    /// ([`Refusal::BadMetadata`]) name the missing or malformed header.
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, Refusal> {
        match text(headers, PAYMENT_TYPE)? {
            "agreement" => {}
            "free" => {
                let token = match headers.get(FREE_CALL_TOKEN) {
                    None => None,
                    Some(v) => {
                        let text = v.to_str().map_err(|_| bad(FREE_CALL_TOKEN, "not ASCII text".into()))?;
                        Some(FreeCallToken::parse(text).map_err(|e| bad(FREE_CALL_TOKEN, e.to_string()))?)
                    }
                };
                return Ok(Self::Free(FreeCall {
                    timestamp_ms: number(headers, FREE_TIMESTAMP)?,
                    signature: signature(headers)?,
                    token,
                }));
            }
            _ => return Payment::from_headers(headers).map(Self::Channel),
        }
        let id = text(headers, AGREEMENT_ID)?;
        let agreement_id = hex::decode(id.trim_start_matches("0x"))
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| bad(AGREEMENT_ID, format!("`{id}` is not 0x and 64 hex digits")))?;
        Ok(Self::Agreement(MeteringRecord {
            agreement_id,
            units: number(headers, METERING_UNITS)?,
            amount: number(headers, METERING_AMOUNT)?,
            signature: signature(headers)?,
        }))
    }

    /// Writes the payment headers (the consumer's side).
    pub fn to_headers(&self, headers: &mut HeaderMap) {
        match self {
            Self::Channel(payment) => payment.to_headers(headers),
            Self::Agreement(record) => {
                let value = |s: String| http::HeaderValue::try_from(s).expect("ASCII header value");
                headers.insert(PAYMENT_TYPE, http::HeaderValue::from_static("agreement"));
                headers.insert(AGREEMENT_ID, value(crate::metering::id_text(&record.agreement_id)));
                headers.insert(METERING_UNITS, value(record.units.to_string()));
                headers.insert(METERING_AMOUNT, value(record.amount.to_string()));
                headers.insert(SIGNATURE, value(base64::engine::general_purpose::STANDARD.encode(record.signature)));
            }
            Self::Free(call) => {
                let value = |s: String| http::HeaderValue::try_from(s).expect("ASCII header value");
                headers.insert(PAYMENT_TYPE, http::HeaderValue::from_static("free"));
                headers.insert(FREE_TIMESTAMP, value(call.timestamp_ms.to_string()));
                headers.insert(SIGNATURE, value(base64::engine::general_purpose::STANDARD.encode(call.signature)));
                if let Some(token) = &call.token {
                    headers.insert(FREE_CALL_TOKEN, value(token.to_string()));
                }
            }
        }
    }
}

fn signature(headers: &HeaderMap) -> Result<PaymentSignature, Refusal> {
    signature_bytes(headers)
}

/// The `osiris-signature-bin` header: base64 (padded or not) of exactly `N` bytes (65 for a
/// payment key's secp256k1 signature, 64 for an account's sr25519 signature).
pub(crate) fn signature_bytes<const N: usize>(headers: &HeaderMap) -> Result<[u8; N], Refusal> {
    let encoded = text(headers, SIGNATURE)?;
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(encoded.trim_end_matches('='))
        .map_err(|e| bad(SIGNATURE, format!("not base64: {e}")))?;
    bytes.try_into().map_err(|b: Vec<u8>| bad(SIGNATURE, format!("{} bytes, expected {N}", b.len())))
}

impl Payment {
    /// Reads the payment headers. Errors ([`Refusal::BadMetadata`]) name the missing or malformed header.
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, Refusal> {
        let kind = match text(headers, PAYMENT_TYPE)? {
            "escrow" => PaymentKind::Escrow,
            "prepaid" => PaymentKind::Prepaid,
            other => {
                return Err(bad(PAYMENT_TYPE, format!("`{other}` is not `escrow`, `prepaid`, `agreement` or `free`")))
            }
        };
        let channel_id = number(headers, CHANNEL_ID)?;
        let nonce = number(headers, NONCE)?;
        let amount = number(headers, AMOUNT)?;
        Ok(Self { kind, channel_id, nonce, amount, signature: signature(headers)? })
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

pub(crate) fn bad(header: &'static str, reason: String) -> Refusal {
    Refusal::BadMetadata { header, reason }
}

pub(crate) fn text<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str, Refusal> {
    let value = headers.get(name).ok_or_else(|| bad(name, "missing".into()))?;
    value.to_str().map_err(|_| bad(name, "not ASCII text".into()))
}

pub(crate) fn number<T: std::str::FromStr>(headers: &HeaderMap, name: &'static str) -> Result<T, Refusal>
where
    T::Err: std::fmt::Display,
{
    let raw = text(headers, name)?;
    raw.parse().map_err(|e| bad(name, format!("`{raw}` is not a decimal number: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use osiris_contract_types::{ChannelId, Nonce};

    fn sample() -> Payment {
        Payment {
            kind: PaymentKind::Prepaid,
            channel_id: ChannelId(7),
            nonce: Nonce(2),
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
    fn agreement_headers_round_trip_and_name_bad_ones() {
        let record = CallPayment::Agreement(MeteringRecord {
            agreement_id: [0xab; 32],
            units: 3,
            amount: 30,
            signature: [5; 65],
        });
        let mut headers = HeaderMap::new();
        record.to_headers(&mut headers);
        assert_eq!(CallPayment::from_headers(&headers).unwrap(), record);
        for (header, value) in [(AGREEMENT_ID, "0x12"), (METERING_UNITS, "-1"), (METERING_AMOUNT, "ten")] {
            let mut bad = headers.clone();
            bad.insert(header, value.parse().unwrap());
            match CallPayment::from_headers(&bad) {
                Err(Refusal::BadMetadata { header: named, .. }) => assert_eq!(named, header),
                other => panic!("{header}={value}: {other:?}"),
            }
        }
        let mut channel = HeaderMap::new();
        sample().to_headers(&mut channel);
        assert_eq!(CallPayment::from_headers(&channel).unwrap(), CallPayment::Channel(sample()));
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
