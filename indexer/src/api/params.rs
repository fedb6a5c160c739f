//! Parsing and checking request parameters, each failure naming its parameter, and
//! the OpenAPI schema of each kind of parameter beside its check, so that the document
//! states exactly what the server enforces: every value valid under a schema passes
//! its check, every other value is refused with 400 naming the parameter.

use super::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use osiris_chain::AccountId;
use serde::de::DeserializeOwned;
use std::str::FromStr;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Required};

/// Default page size.
pub const DEFAULT_LIMIT: i64 = 50;
/// Largest page size.
pub const MAX_LIMIT: i64 = 500;
/// Organization, service and group ids, as `osiris_contract_types::is_valid_id` checks them
/// (with the schema's minLength 1 and maxLength 64): not only dots.
pub const ID_PATTERN: &str = "^[a-z0-9._-]*[a-z0-9_-][a-z0-9._-]*$";
/// An SS58 account id: base58, 47 or 48 characters; the checksum is checked too
/// (the schema's `format: ss58` says so).
pub const SS58_PATTERN: &str = "^[1-9A-HJ-NP-Za-km-z]{47,48}$";
/// A compressed secp256k1 key: 33 bytes as hex, `0x` optional.
pub const SIGNER_KEY_PATTERN: &str = "^(0x)?[0-9a-fA-F]{66}$";
/// An agreement id: 32 bytes as 0x-hex.
pub const AGREEMENT_ID_PATTERN: &str = "^0x[0-9a-fA-F]{64}$";
/// A cursor over rows ordered by one number (channel id).
pub const NUMBER_CURSOR_PATTERN: &str = "^[0-9]{1,18}$";
/// A cursor over rows ordered by (block number, event index): `block.index`.
pub const POSITION_CURSOR_PATTERN: &str = "^[0-9]{1,18}\\.[0-9]{1,9}$";
/// A cursor over a sorted list of services: `key.block.index` (the row's sort key).
pub const KEYED_CURSOR_PATTERN: &str = "^[0-9]{1,39}\\.[0-9]{1,18}\\.[0-9]{1,9}$";
/// A search: 1 to [`MAX_SEARCH_CHARS`] characters, none an ASCII control character.
pub const SEARCH_PATTERN: &str = "^[^\\x00-\\x1F\\x7F]+$";
/// Longest search, characters.
pub const MAX_SEARCH_CHARS: usize = 100;
/// A service document's tag (`osiris_gateway_client::document::is_tag`).
pub const TAG_PATTERN: &str = "^[a-z0-9-]{1,32}$";

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

/// An SS58 account id (schema: [`account_schema`]).
pub fn account(field: &str, value: &str) -> Result<String, ApiError> {
    AccountId::from_str(value)
        .ok()
        .filter(|_| matches_ss58_alphabet(value))
        .map(|a| a.to_string())
        .ok_or_else(|| ApiError::field(field, format!("{field} must be an SS58 account id, got {value:?}")))
}

/// What [`SS58_PATTERN`] says, without a regex engine on the request path.
fn matches_ss58_alphabet(value: &str) -> bool {
    (47..=48).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() && !matches!(b, b'0' | b'O' | b'I' | b'l'))
}

/// A page size: 1..=[`MAX_LIMIT`], default [`DEFAULT_LIMIT`] (schema: [`limit_schema`]).
pub fn limit(value: Option<&str>) -> Result<i64, ApiError> {
    match value {
        None => Ok(DEFAULT_LIMIT),
        Some(v) => v.parse::<i64>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
            ApiError::field("limit", format!("limit must be an integer from 1 to {MAX_LIMIT}, got {v:?}"))
        }),
    }
}

/// A non-negative integer that fits a BIGINT: block numbers, channel ids (schema: [`number_schema`]).
pub fn number(field: &str, value: &str) -> Result<i64, ApiError> {
    value
        .parse::<u64>()
        .ok()
        .filter(|_| value.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| i64::try_from(n).ok())
        .ok_or_else(|| {
            ApiError::field(field, format!("{field} must be an integer from 0 to {}, got {value:?}", i64::MAX))
        })
}

/// An organization, service or group id, [`ID_PATTERN`] (schema: [`id_schema`]).
pub fn id(field: &str, value: &str) -> Result<String, ApiError> {
    if osiris_contract_types::is_valid_id(value) {
        Ok(value.to_string())
    } else {
        Err(ApiError::field(
            field,
            format!("{field} must be 1 to 64 characters of a-z 0-9 . _ -, not only dots, got {value:?}"),
        ))
    }
}

/// A compressed secp256k1 key, [`SIGNER_KEY_PATTERN`] (schema: [`signer_key_schema`]).
pub fn signer_key(value: &str) -> Result<Vec<u8>, ApiError> {
    hex::decode(value.strip_prefix("0x").unwrap_or(value))
        .ok()
        .filter(|b| b.len() == 33)
        .ok_or_else(|| ApiError::field("signer", format!("signer must be a 33-byte key as 0x-hex, got {value:?}")))
}

/// An agreement id, [`AGREEMENT_ID_PATTERN`] (schema: [`agreement_id_schema`]); its 32 bytes.
pub fn agreement_id(value: &str) -> Result<Vec<u8>, ApiError> {
    value.strip_prefix("0x").filter(|h| h.len() == 64).and_then(|h| hex::decode(h).ok()).ok_or_else(|| {
        ApiError::field("agreement_id", format!("agreement_id must be 0x and 64 hex digits, got {value:?}"))
    })
}

/// `true` or `false` (schema: [`boolean_schema`]).
pub fn boolean(field: &str, value: &str) -> Result<bool, ApiError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ApiError::field(field, format!("{field} must be true or false, got {value:?}"))),
    }
}

/// One of `allowed` (schema: [`enum_schema`]).
pub fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<String, ApiError> {
    if allowed.contains(&value) {
        Ok(value.to_string())
    } else {
        Err(ApiError::field(field, format!("{field} must be one of {}, got {value:?}", allowed.join(", "))))
    }
}

/// The sort key a page resumes after, written as a cursor: a channel id (`12`) or a
/// position (`block.index`, e.g. `120.3`). Any value matching the cursor's pattern is a
/// valid cursor, so tools can build one; `next_cursor` is the last row's key.
pub trait CursorKey: Sized {
    /// The pattern of [`CursorKey::encode`]'s output; every match decodes.
    const PATTERN: &'static str;
    fn encode(&self) -> String;
    fn decode(value: &str) -> Option<Self>;
}

impl CursorKey for i64 {
    const PATTERN: &'static str = NUMBER_CURSOR_PATTERN;
    fn encode(&self) -> String {
        self.to_string()
    }
    fn decode(value: &str) -> Option<Self> {
        digits(value, 18)?.parse().ok()
    }
}

impl CursorKey for (i64, i32) {
    const PATTERN: &'static str = POSITION_CURSOR_PATTERN;
    fn encode(&self) -> String {
        format!("{}.{}", self.0, self.1)
    }
    fn decode(value: &str) -> Option<Self> {
        let (block, index) = value.split_once('.')?;
        Some((digits(block, 18)?.parse().ok()?, digits(index, 9)?.parse().ok()?))
    }
}

/// `value` when it is 1 to `max` ASCII digits.
fn digits(value: &str, max: usize) -> Option<&str> {
    ((1..=max).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit())).then_some(value)
}

/// A page of `limit` rows at most, each with its sort key: `next_cursor` is the last key when the page is full.
pub fn page<K: CursorKey, T>(rows: Vec<(K, T)>, limit: i64) -> super::models::Page<T> {
    let next_cursor = (rows.len() as i64 == limit).then(|| rows.last().map(|(k, _)| k.encode())).flatten();
    super::models::Page { items: rows.into_iter().map(|(_, v)| v).collect(), next_cursor }
}

/// Decodes a cursor (schema: [`number_cursor_schema`] or [`position_cursor_schema`]).
pub fn decode_cursor<K: CursorKey>(value: Option<&str>) -> Result<Option<K>, ApiError> {
    let Some(value) = value else { return Ok(None) };
    K::decode(value).map(Some).ok_or_else(|| {
        ApiError::field("cursor", format!("cursor must match {} (a next_cursor), got {value:?}", K::PATTERN))
    })
}

/// A search text (schema: [`search_schema`]).
pub fn search(value: &str) -> Result<String, ApiError> {
    let chars = value.chars().count();
    if chars == 0 || chars > MAX_SEARCH_CHARS || value.chars().any(|c| c.is_ascii_control()) {
        return Err(ApiError::field(
            "q",
            format!("q must be 1 to {MAX_SEARCH_CHARS} characters without control characters, got {chars}"),
        ));
    }
    Ok(value.to_string())
}

/// A tag (schema: [`tag_schema`]).
pub fn tag(value: &str) -> Result<String, ApiError> {
    if !osiris_gateway_client::document::is_tag(value) {
        return Err(ApiError::field("tag", format!("tag must match {TAG_PATTERN}, got {value:?}")));
    }
    Ok(value.to_string())
}

/// Where a page of services starts: after a position (lists in creation order) or after a
/// row of a sorted list (its sort key, a decimal integer, then its position). Either form is
/// accepted by either list: a position cursor given to a sorted list starts at its top, a
/// keyed cursor given to a creation-order list uses its position only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceCursor {
    Position(i64, i32),
    Keyed(String, i64, i32),
}

impl ServiceCursor {
    /// The (block, index) part.
    pub fn position(&self) -> (i64, i32) {
        match self {
            Self::Position(b, e) | Self::Keyed(_, b, e) => (*b, *e),
        }
    }
}

impl CursorKey for ServiceCursor {
    const PATTERN: &'static str = "block.index or key.block.index";
    fn encode(&self) -> String {
        match self {
            Self::Position(b, e) => format!("{b}.{e}"),
            Self::Keyed(k, b, e) => format!("{k}.{b}.{e}"),
        }
    }
    fn decode(value: &str) -> Option<Self> {
        let parts: Vec<&str> = value.split('.').collect();
        match parts[..] {
            [b, e] => Some(Self::Position(digits(b, 18)?.parse().ok()?, digits(e, 9)?.parse().ok()?)),
            [k, b, e] => {
                Some(Self::Keyed(digits(k, 39)?.to_string(), digits(b, 18)?.parse().ok()?, digits(e, 9)?.parse().ok()?))
            }
            _ => None,
        }
    }
}

/// An optional query parameter, documented with its schema (utoipa's derive drops the
/// description and `required` of parameters whose schema is given, so they are written by hand).
pub fn query(name: &str, description: &str, schema: impl Into<RefOr<Schema>>) -> Parameter {
    documented(name, ParameterIn::Query, Required::False, description, schema)
}

/// A path parameter (always required), documented with its schema.
pub fn path(name: &str, description: &str, schema: impl Into<RefOr<Schema>>) -> Parameter {
    documented(name, ParameterIn::Path, Required::True, description, schema)
}

fn documented(
    name: &str,
    location: ParameterIn,
    required: Required,
    description: &str,
    schema: impl Into<RefOr<Schema>>,
) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(location)
        .required(required)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

/// The `limit` and `cursor` parameters of a list ordered by (block, index).
pub fn position_page() -> [Parameter; 2] {
    [
        query("limit", "Page size, 1 to 500 (default 50).", limit_schema()),
        query("cursor", "`next_cursor` of the previous page.", position_cursor_schema()),
    ]
}

fn string(pattern: &str, description: &str) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).pattern(Some(pattern)).description(Some(description))
}

/// Schema of [`id`].
pub fn id_schema() -> Schema {
    string(ID_PATTERN, "1 to 64 characters of a-z 0-9 . _ -, not only dots")
        .min_length(Some(1))
        .max_length(Some(osiris_contract_types::MAX_ID_LEN))
        .build()
        .into()
}

/// Schema of [`account`].
pub fn account_schema() -> Schema {
    string(SS58_PATTERN, "SS58 account id (its checksum is checked)")
        .format(Some(SchemaFormat::Custom("ss58".into())))
        .examples(["5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"])
        .build()
        .into()
}

/// Schema of [`agreement_id`].
pub fn agreement_id_schema() -> Schema {
    string(AGREEMENT_ID_PATTERN, "agreement id: 32 bytes, 0x-hex").build().into()
}

/// Schema of [`boolean`].
pub fn boolean_schema() -> Schema {
    ObjectBuilder::new().schema_type(Type::Boolean).build().into()
}

/// Schema of [`signer_key`].
pub fn signer_key_schema() -> Schema {
    string(SIGNER_KEY_PATTERN, "compressed secp256k1 key, 33 bytes as hex").build().into()
}

/// Schema of [`limit`].
pub fn limit_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(1))
        .maximum(Some(MAX_LIMIT))
        .default(Some(DEFAULT_LIMIT.into()))
        .description(Some("page size"))
        .build()
        .into()
}

/// Schema of [`number`].
pub fn number_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(0))
        .maximum(Some(i64::MAX))
        .build()
        .into()
}

/// Schema of a `cursor` over channel ids.
pub fn number_cursor_schema() -> Schema {
    string(NUMBER_CURSOR_PATTERN, "next_cursor of the previous page (rows after this channel id)").build().into()
}

/// Schema of a `cursor` over (block, index) positions.
pub fn position_cursor_schema() -> Schema {
    string(POSITION_CURSOR_PATTERN, "next_cursor of the previous page (rows after this block.index)").build().into()
}

/// Schema of [`search`].
pub fn search_schema() -> Schema {
    string(SEARCH_PATTERN, "words to search for in names, tags and descriptions (web search syntax)")
        .min_length(Some(1))
        .max_length(Some(MAX_SEARCH_CHARS))
        .build()
        .into()
}

/// Schema of [`tag`].
pub fn tag_schema() -> Schema {
    string(TAG_PATTERN, "a tag of the service's metadata document").build().into()
}

/// Schema of a services list's `cursor` ([`ServiceCursor`]).
pub fn service_cursor_schema() -> RefOr<Schema> {
    Schema::OneOf(
        OneOfBuilder::new()
            .item(position_cursor_schema())
            .item(
                string(KEYED_CURSOR_PATTERN, "next_cursor of the previous page of a sorted list (key.block.index)")
                    .build(),
            )
            .build(),
    )
    .into()
}

/// Schema of [`one_of`].
pub fn enum_schema(allowed: &[&str]) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(allowed.iter().copied()))
}

/// `registry`, `escrow`, or a contract's SS58 address.
pub fn contract_schema() -> RefOr<Schema> {
    Schema::OneOf(
        OneOfBuilder::new()
            .item(enum_schema(&super::CONTRACT_NAMES).description(Some("contract by name")).build())
            .item(account_schema())
            .build(),
    )
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn values_are_checked_and_named() {
        assert_eq!(limit(None).unwrap(), DEFAULT_LIMIT);
        assert_eq!(limit(Some("500")).unwrap(), 500);
        assert!(limit(Some("0")).is_err() && limit(Some("501")).is_err() && limit(Some("x")).is_err());
        assert!(number("from_block", "-1").is_err() && number("from_block", "+1").is_err());
        assert!(number("from_block", "18446744073709551615").is_err());
        assert!(account("sender", "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY").is_ok());
        match account("sender", "nope") {
            Err(ApiError::BadRequest { field, .. }) => assert_eq!(field.as_deref(), Some("sender")),
            other => panic!("{other:?}"),
        }
        assert!(signer_key(&format!("0x02{}", "ab".repeat(32))).is_ok());
        assert!(signer_key("0x02").is_err());
        assert!(one_of("name", "x", &["a"]).is_err() && one_of("name", "a", &["a"]).is_ok());
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let c = (12i64, 3i32).encode();
        assert_eq!(c, "12.3");
        assert_eq!(decode_cursor::<(i64, i32)>(Some(&c)).unwrap(), Some((12, 3)));
        assert_eq!(decode_cursor::<i64>(Some("7")).unwrap(), Some(7));
        for bad in ["%%%", "", "1.", ".1", "1.2.3", "-1.2", "1234567890123456789.1", "1.1234567890"] {
            assert!(decode_cursor::<(i64, i32)>(Some(bad)).is_err(), "{bad}");
        }
        assert!(decode_cursor::<i64>(Some("1.2")).is_err() && decode_cursor::<i64>(Some("+1")).is_err());
    }

    fn full_match(pattern: &str, value: &str) -> bool {
        regex::Regex::new(pattern).unwrap().is_match(value)
    }

    proptest! {
        // The documented pattern and the check agree on every string, matching or not.
        #[test]
        fn id_pattern_is_the_id_check(s in "[a-zA-Z0-9._ -]{0,70}|[.]{1,3}|[a.]{1,3}") {
            let documented = full_match(ID_PATTERN, &s) && (1..=osiris_contract_types::MAX_ID_LEN).contains(&s.len());
            prop_assert_eq!(documented, id("org_id", &s).is_ok());
        }

        #[test]
        fn cursor_patterns_are_the_cursor_checks(s in "[0-9.+-]{0,30}") {
            prop_assert_eq!(full_match(NUMBER_CURSOR_PATTERN, &s), i64::decode(&s).is_some());
            prop_assert_eq!(full_match(POSITION_CURSOR_PATTERN, &s), <(i64, i32)>::decode(&s).is_some());
        }

        #[test]
        fn signer_pattern_is_the_signer_check(s in "(0x)?[0-9a-fA-Fg]{60,70}") {
            prop_assert_eq!(full_match(SIGNER_KEY_PATTERN, &s), signer_key(&s).is_ok());
        }

        #[test]
        fn every_account_matches_the_ss58_pattern(bytes in any::<[u8; 32]>()) {
            let s = AccountId::from(bytes).to_string();
            prop_assert!(full_match(SS58_PATTERN, &s));
            prop_assert!(account("sender", &s).is_ok());
        }

        #[test]
        fn agreement_id_pattern_is_the_check(s in "(0x)?[0-9a-fA-Fg]{62,66}") {
            prop_assert_eq!(full_match(AGREEMENT_ID_PATTERN, &s), agreement_id(&s).is_ok());
        }

        #[test]
        fn limits_in_range_pass(n in 1..=MAX_LIMIT) {
            prop_assert_eq!(limit(Some(&n.to_string())).unwrap(), n);
        }
    }
}
