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
}

impl Refusal {
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
        }
    }
}
