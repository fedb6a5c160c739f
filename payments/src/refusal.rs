//! Why a payment is refused. Each reason has its own gRPC status code, mapped once by the
//! gateway (`osiris_gateway::refusal`); this type carries no transport or database type:
//!
//! | refusal                  | gRPC code            |
//! |--------------------------|----------------------|
//! | BadMetadata              | INVALID_ARGUMENT     |
//! | BadSignature             | UNAUTHENTICATED      |
//! | UnknownChannel           | NOT_FOUND            |
//! | ForeignChannel           | PERMISSION_DENIED    |
//! | WrongNonce               | ABORTED              |
//! | AmountExceedsValue       | OUT_OF_RANGE         |
//! | AlreadyAccepted          | ALREADY_EXISTS       |
//! | Underpaid / PrepaidSpent | RESOURCE_EXHAUSTED   |
//! | ChannelExpiring          | FAILED_PRECONDITION  |
//! | Unavailable              | UNAVAILABLE          |
//! | RateLimited              | RESOURCE_EXHAUSTED   |
//!
//! Agreement-backed calls (metering records):
//!
//! | refusal                                       | gRPC code            |
//! |-----------------------------------------------|----------------------|
//! | UnknownAgreement                              | NOT_FOUND            |
//! | ForeignAgreement                              | PERMISSION_DENIED    |
//! | WrongConsumerKey                              | UNAUTHENTICATED      |
//! | AgreementInactive / PaymentNotLocked / AgreementExpiring | FAILED_PRECONDITION |
//! | ReplayedRecord                                | ALREADY_EXISTS       |
//! | MeteringUnderpaid                             | RESOURCE_EXHAUSTED   |
//! | MeteringOverPrice                             | INVALID_ARGUMENT     |
//! | MeteringExceedsLocked                         | OUT_OF_RANGE         |
//!
//! Requests within a bucket:
//!
//! | refusal                                       | gRPC code            |
//! |-----------------------------------------------|----------------------|
//! | StaleRequest                                  | INVALID_ARGUMENT     |
//! | BadRequestSignature                           | UNAUTHENTICATED      |
//! | ReplayedRequest                               | ALREADY_EXISTS       |
//! | UnknownBucket                                 | NOT_FOUND            |
//! | BucketForbidden                               | PERMISSION_DENIED    |
//! | BucketNotOnNode / BucketNotAllocated / BucketRentUnpaid / NotABucketNode | FAILED_PRECONDITION |
//!
//! A gateway replica's own lease operations (never a consumer's call): Lease, UNAVAILABLE.

use osiris_contract_types::ddc::{BucketId, ClusterId, NodeId};
use osiris_contract_types::{Balance, BlockNumber, ChannelId, Nonce};

/// Why a payment does not pass; the text names the problem and what the consumer can do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("payment metadata {header}: {reason}")]
    BadMetadata { header: &'static str, reason: String },
    #[error("the signature does not authorize amount {amount} at nonce {nonce} of channel {channel_id} by the channel's signer")]
    BadSignature { channel_id: ChannelId, nonce: Nonce, amount: Balance },
    #[error("channel {0} does not exist (or the indexer has not seen it yet)")]
    UnknownChannel(ChannelId),
    #[error("channel {channel_id} pays {recipient} for group `{group_id}`, not this gateway's recipient and group")]
    ForeignChannel { channel_id: ChannelId, recipient: String, group_id: String },
    #[error("nonce {given} is not channel {channel_id}'s current nonce {current}; ask GetChannelState for the current state")]
    WrongNonce { channel_id: ChannelId, given: Nonce, current: Nonce },
    #[error("amount {amount} exceeds channel {channel_id}'s value {value} planck")]
    AmountExceedsValue { channel_id: ChannelId, amount: Balance, value: Balance },
    #[error("amount {amount} at nonce {nonce} is not above the last accepted amount {accepted}: this authorization was already used")]
    AlreadyAccepted { nonce: Nonce, amount: Balance, accepted: Balance },
    #[error("underpaid: amount {amount} is only {increment} planck above the last accepted {accepted}; one call costs {price}")]
    Underpaid { amount: Balance, accepted: Balance, increment: Balance, price: Balance },
    #[error("prepaid amount {amount} at nonce {nonce} is used up ({spent} spent, one call costs {price}); sign a larger amount")]
    PrepaidSpent { nonce: Nonce, amount: Balance, spent: Balance, price: Balance },
    #[error("channel {channel_id} expires at block {expiration}; calls need at least block {needed} (current {current} + threshold {threshold}); extend the channel")]
    ChannelExpiring { channel_id: ChannelId, expiration: BlockNumber, needed: u64, current: u64, threshold: u32 },
    #[error("payment state unavailable: {0}")]
    Unavailable(String),
    #[error(
        "rate limit: over the gateway's {scope} limit of {per_sec} calls per second; nothing was charged, retry later"
    )]
    RateLimited { scope: &'static str, per_sec: u32 },
    #[error("agreement {0} does not exist (or the indexer has not seen it yet)")]
    UnknownAgreement(String),
    #[error("agreement {agreement_id} is for {org_id}/{service_id} paying {provider}, not this gateway's service and provider")]
    ForeignAgreement { agreement_id: String, org_id: String, service_id: String, provider: String },
    #[error("the metering record of agreement {agreement_id} is not signed by the agreement's consumer key")]
    WrongConsumerKey { agreement_id: String },
    #[error("agreement {agreement_id} is {state}, not active")]
    AgreementInactive { agreement_id: String, state: &'static str },
    #[error("agreement {agreement_id}'s payment is not locked yet; lock it first (`osiris agreement lock`)")]
    PaymentNotLocked { agreement_id: String },
    #[error("agreement {agreement_id}'s {condition} condition times out at block {deadline}; calls need at least block {needed} (current {current} + threshold {threshold})")]
    AgreementExpiring {
        agreement_id: String,
        condition: &'static str,
        deadline: u32,
        needed: u64,
        current: u64,
        threshold: u32,
    },
    #[error("metering record ({units} units, {amount} planck) is not above the last accepted ({last_units} units, {last_amount} planck): it was already used; ask GetAgreementState for the latest")]
    ReplayedRecord { units: u64, amount: Balance, last_units: u64, last_amount: Balance },
    #[error("underpaid: metering amount {amount} is only {increment} planck above the last accepted {last_amount}; one call costs {price}")]
    MeteringUnderpaid { amount: Balance, last_amount: Balance, increment: Balance, price: Balance },
    #[error("metering amount {amount} for {units} units is more than the offer allows ({at_most} planck); the contract would refuse to settle it")]
    MeteringOverPrice { units: u64, amount: Balance, at_most: Balance },
    #[error("metering amount {amount} exceeds what agreement {agreement_id} holds: {settled} settled + {locked} locked planck")]
    MeteringExceedsLocked { agreement_id: String, amount: Balance, settled: Balance, locked: Balance },
    #[error("this service offers no free calls; pay with a channel or an agreement")]
    NoFreeCalls,
    #[error("free call timestamp {timestamp_ms} ms is more than {freshness_ms} ms from the gateway's clock ({now_ms} ms); check the clock")]
    StaleFreeCall { timestamp_ms: u64, now_ms: u64, freshness_ms: u64 },
    #[error("free call timestamp {timestamp_ms} ms is not after this consumer's last accepted {last_ms} ms: a replay")]
    ReplayedFreeCall { timestamp_ms: u64, last_ms: u64 },
    #[error("free calls used up: {used} of {per_period} this period; the next period starts at {next_period_ms} ms (Unix), or pay for the call")]
    FreeCallsUsedUp { used: u64, per_period: u64, next_period_ms: u64 },
    #[error("this service's free calls need a token from its provider (`osiris free-call token`), given with the call (`--free-token`); or pay for the call")]
    FreeCallTokenRequired,
    #[error("the free-call token is not usable: {reason}")]
    BadFreeCallToken { reason: String },
    #[error("the free-call token expired at {expired_at_ms} ms (Unix; now {now_ms} ms); ask the provider for a new one, or pay for the call")]
    FreeCallTokenExpired { expired_at_ms: u64, now_ms: u64 },
    #[error("the service's free calls for everyone are used up: {budget} this period; the next period starts at {next_period_ms} ms (Unix), or pay for the call")]
    FreeCallBudgetSpent { budget: u64, next_period_ms: u64 },
    #[error("request timestamp {timestamp_ms} ms is more than {freshness_ms} ms from the node's clock ({now_ms} ms); check the clock")]
    StaleRequest { timestamp_ms: u64, now_ms: u64, freshness_ms: u64 },
    #[error("the request signature is not {account}'s over this bucket, operation, key and timestamp")]
    BadRequestSignature { account: String },
    #[error("this signed request was already served (a replay); sign each request anew")]
    ReplayedRequest,
    #[error("bucket {0} does not exist (or the indexer has not seen it yet)")]
    UnknownBucket(BucketId),
    #[error("{account} may not do this in bucket {bucket_id}: it needs to be the owner or a {needs} (`osiris bucket grant`)")]
    BucketForbidden { bucket_id: BucketId, account: String, needs: &'static str },
    #[error("bucket {bucket_id} is in cluster {cluster_id}, which maps no vnode to node {node_id}; ask one of the cluster's nodes")]
    BucketNotOnNode { bucket_id: BucketId, cluster_id: ClusterId, node_id: NodeId },
    #[error("bucket {0} has no resource allocated in its cluster (`osiris bucket alloc`)")]
    BucketNotAllocated(BucketId),
    #[error("the owner's deposit covers bucket {bucket_id}'s rent only up to block {covered_until} (now {block}); deposit more (`osiris ddc-account deposit`)")]
    BucketRentUnpaid { bucket_id: BucketId, covered_until: u32, block: u32 },
    #[error("this gateway serves no buckets (it is not a ddc node: set [bucket_node] node_id)")]
    NotABucketNode,
    #[error("prepaid lease on channel {channel_id}: {reason}")]
    Lease { channel_id: ChannelId, reason: &'static str },
}

impl Refusal {
    /// Whether a newer copy of the mirror's facts (the channel or agreement as the indexer
    /// last wrote it) could turn this refusal around: a top-up, an extension or a locked
    /// payment the gateway's cache has not seen yet. A caller deciding from a cached copy
    /// asks the mirror once more before refusing for one of these.
    pub fn may_pass_on_newer_facts(&self) -> bool {
        matches!(
            self,
            Self::AmountExceedsValue { .. }
                | Self::ChannelExpiring { .. }
                | Self::PaymentNotLocked { .. }
                | Self::MeteringExceedsLocked { .. }
        )
    }

    /// Short name for metrics labels.
    pub fn label(&self) -> &'static str {
        match self {
            Self::BadMetadata { .. } => "bad_metadata",
            Self::BadSignature { .. } => "bad_signature",
            Self::UnknownChannel(_) => "unknown_channel",
            Self::ForeignChannel { .. } => "foreign_channel",
            Self::WrongNonce { .. } => "wrong_nonce",
            Self::AmountExceedsValue { .. } => "amount_exceeds_value",
            Self::AlreadyAccepted { .. } => "already_accepted",
            Self::Underpaid { .. } => "underpaid",
            Self::PrepaidSpent { .. } => "prepaid_spent",
            Self::ChannelExpiring { .. } => "channel_expiring",
            Self::Unavailable(_) => "unavailable",
            Self::RateLimited { .. } => "rate_limited",
            Self::UnknownAgreement(_) => "unknown_agreement",
            Self::ForeignAgreement { .. } => "foreign_agreement",
            Self::WrongConsumerKey { .. } => "wrong_consumer_key",
            Self::AgreementInactive { .. } => "agreement_inactive",
            Self::PaymentNotLocked { .. } => "payment_not_locked",
            Self::AgreementExpiring { .. } => "agreement_expiring",
            Self::ReplayedRecord { .. } => "replayed_record",
            Self::MeteringUnderpaid { .. } => "metering_underpaid",
            Self::MeteringOverPrice { .. } => "metering_over_price",
            Self::MeteringExceedsLocked { .. } => "metering_exceeds_locked",
            Self::NoFreeCalls => "no_free_calls",
            Self::StaleFreeCall { .. } => "stale_free_call",
            Self::ReplayedFreeCall { .. } => "replayed_free_call",
            Self::FreeCallsUsedUp { .. } => "free_calls_used_up",
            Self::FreeCallTokenRequired => "free_call_token_required",
            Self::BadFreeCallToken { .. } => "bad_free_call_token",
            Self::FreeCallTokenExpired { .. } => "free_call_token_expired",
            Self::FreeCallBudgetSpent { .. } => "free_call_budget_spent",
            Self::StaleRequest { .. } => "stale_request",
            Self::BadRequestSignature { .. } => "bad_request_signature",
            Self::ReplayedRequest => "replayed_request",
            Self::UnknownBucket(_) => "unknown_bucket",
            Self::BucketForbidden { .. } => "bucket_forbidden",
            Self::BucketNotOnNode { .. } => "bucket_not_on_node",
            Self::BucketNotAllocated(_) => "bucket_not_allocated",
            Self::BucketRentUnpaid { .. } => "bucket_rent_unpaid",
            Self::NotABucketNode => "not_a_bucket_node",
            Self::Lease { .. } => "lease",
        }
    }
}
