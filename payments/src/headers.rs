//! The names of the metadata (gRPC headers) a consumer puts on a call, documented in
//! proto/osiris/gateway/v1/gateway.proto and the README. Names only: the codec is
//! [`crate::metadata`].

pub const PAYMENT_TYPE: &str = "osiris-payment-type";
pub const CHANNEL_ID: &str = "osiris-channel-id";
pub const NONCE: &str = "osiris-nonce";
pub const AMOUNT: &str = "osiris-amount";
/// Binary metadata: base64 (padded or not) of the 65-byte signature, as gRPC sends `-bin` keys.
pub const SIGNATURE: &str = "osiris-signature-bin";

/// Agreement-backed calls (`osiris-payment-type: agreement`): `0x` + 64 hex digits.
pub const AGREEMENT_ID: &str = "osiris-agreement-id";
/// The metering record's cumulative units, decimal.
pub const METERING_UNITS: &str = "osiris-metering-units";
/// The metering record's cumulative amount, planck, decimal.
pub const METERING_AMOUNT: &str = "osiris-metering-amount";

/// Free calls (`osiris-payment-type: free`): the signed Unix timestamp, milliseconds, decimal.
pub const FREE_TIMESTAMP: &str = "osiris-free-timestamp";
/// Free calls: the provider's token for the consumer's key, `<expires_at_ms>.<hex signature>`
/// (`crate::signing::free_call_token`); needed where the gateway says so.
pub const FREE_CALL_TOKEN: &str = "osiris-free-call-token";

/// Requests within a bucket (`osiris-payment-type: bucket`, see `crate::buckets`): the
/// bucket id, decimal. Forwarded to the object store, which stores under it.
pub const BUCKET_ID: &str = "osiris-bucket-id";
/// The object key (a prefix for `list`). Forwarded to the object store.
pub const OBJECT_KEY: &str = "osiris-object-key";
/// The caller's account, SS58.
pub const ACCOUNT: &str = "osiris-account";
/// The signed Unix timestamp of a bucket request, milliseconds, decimal.
pub const REQUEST_TIMESTAMP: &str = "osiris-request-timestamp";

/// Every header the gateway reads except the bucket id and object key (which the object
/// store acts on); they are removed before a call is forwarded.
pub const ALL: [&str; 12] = [
    PAYMENT_TYPE,
    CHANNEL_ID,
    NONCE,
    AMOUNT,
    SIGNATURE,
    AGREEMENT_ID,
    METERING_UNITS,
    METERING_AMOUNT,
    FREE_TIMESTAMP,
    FREE_CALL_TOKEN,
    ACCOUNT,
    REQUEST_TIMESTAMP,
];
