//! Parsing and checking request parameters, each failure naming its parameter.

use super::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use osiris_chain::AccountId;
use serde::{de::DeserializeOwned, Serialize};
use std::str::FromStr;

/// Default page size.
pub const DEFAULT_LIMIT: i64 = 50;
/// Largest page size.
pub const MAX_LIMIT: i64 = 500;

/// Query parameters deserialized as strings (unknown parameters are refused by each
/// type's `deny_unknown_fields`); values are checked by the functions below.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str(query).map(Params).map_err(|e| {
            let message = e.to_string();
            // serde names the parameter between backticks ("unknown field `x`", "duplicate field `x`").
            let field = message.split('`').nth(1).map(str::to_string);
            ApiError::BadRequest { field, message: format!("invalid query: {message}") }
        })
    }
}

/// An SS58 account id.
pub fn account(field: &str, value: &str) -> Result<String, ApiError> {
    AccountId::from_str(value)
        .map(|a| a.to_string())
        .map_err(|_| ApiError::field(field, format!("{field} must be an SS58 account id, got {value:?}")))
}

/// A page size: 1..=[`MAX_LIMIT`], default [`DEFAULT_LIMIT`].
pub fn limit(value: Option<&str>) -> Result<i64, ApiError> {
    match value {
        None => Ok(DEFAULT_LIMIT),
        Some(v) => v.parse::<i64>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
            ApiError::field("limit", format!("limit must be an integer from 1 to {MAX_LIMIT}, got {v:?}"))
        }),
    }
}

/// A non-negative integer that fits a BIGINT (block numbers, channel ids).
pub fn number(field: &str, value: &str) -> Result<i64, ApiError> {
    value
        .parse::<u64>()
        .ok()
        .and_then(|n| i64::try_from(n).ok())
        .ok_or_else(|| ApiError::field(field, format!("{field} must be a non-negative integer, got {value:?}")))
}

/// An organization, service or group id (`[a-z0-9._-]{1,64}`).
pub fn id(field: &str, value: &str) -> Result<String, ApiError> {
    if osiris_contract_types::is_valid_id(value) {
        Ok(value.to_string())
    } else {
        Err(ApiError::field(field, format!("{field} must be 1 to 64 characters of a-z 0-9 . _ -, got {value:?}")))
    }
}

/// A compressed secp256k1 key: 0x and 66 hex digits.
pub fn signer_key(value: &str) -> Result<Vec<u8>, ApiError> {
    hex::decode(value.strip_prefix("0x").unwrap_or(value))
        .ok()
        .filter(|b| b.len() == 33)
        .ok_or_else(|| ApiError::field("signer", format!("signer must be a 33-byte key as 0x-hex, got {value:?}")))
}

/// Encodes a page cursor (opaque to clients: base64url of the last row's sort key).
pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).expect("cursor keys serialize"))
}

/// A page of `limit` rows at most, each with its sort key: `next_cursor` is the last key when the page is full.
pub fn page<K: Serialize, T>(rows: Vec<(K, T)>, limit: i64) -> super::models::Page<T> {
    let next_cursor = (rows.len() as i64 == limit).then(|| rows.last().map(|(k, _)| encode_cursor(k))).flatten();
    super::models::Page { items: rows.into_iter().map(|(_, v)| v).collect(), next_cursor }
}

/// Decodes a cursor produced by [`encode_cursor`] for the same endpoint.
pub fn decode_cursor<K: DeserializeOwned>(value: Option<&str>) -> Result<Option<K>, ApiError> {
    let Some(value) = value else { return Ok(None) };
    URL_SAFE_NO_PAD
        .decode(value)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .map(Some)
        .ok_or_else(|| ApiError::field("cursor", "cursor is not one this endpoint returned"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_and_named() {
        assert_eq!(limit(None).unwrap(), DEFAULT_LIMIT);
        assert_eq!(limit(Some("500")).unwrap(), 500);
        assert!(limit(Some("0")).is_err() && limit(Some("501")).is_err() && limit(Some("x")).is_err());
        assert!(number("from_block", "-1").is_err());
        assert!(number("from_block", "18446744073709551615").is_err());
        assert!(account("sender", "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY").is_ok());
        match account("sender", "nope") {
            Err(ApiError::BadRequest { field, .. }) => assert_eq!(field.as_deref(), Some("sender")),
            other => panic!("{other:?}"),
        }
        assert!(signer_key(&format!("0x02{}", "ab".repeat(32))).is_ok());
        assert!(signer_key("0x02").is_err());
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let c = encode_cursor(&(12u64, 3u32));
        assert_eq!(decode_cursor::<(u64, u32)>(Some(&c)).unwrap(), Some((12, 3)));
        assert!(decode_cursor::<(u64, u32)>(Some("%%%")).is_err());
        assert!(decode_cursor::<(u64, u32)>(Some(&encode_cursor(&"x"))).is_err());
    }
}
