//! Why an escrow message failed.

/// Every way an escrow message can fail. Returned as `Err`, never as a trap;
/// on chain an `Err` reverts all of the message's state changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
pub enum EscrowError {
    /// The caller's escrow balance is lower than the amount.
    InsufficientBalance,
    /// The amount is zero where a positive amount is required.
    ZeroAmount,
    /// An amount or counter would overflow.
    Overflow,
    /// The chain refused to transfer the withdrawal (e.g. it would leave the
    /// destination below the existential deposit).
    TransferFailed,
    /// No channel with this id.
    ChannelNotFound,
    /// Only the channel's sender may do this.
    NotChannelSender,
    /// Only the channel's recipient may claim.
    NotChannelRecipient,
    /// The expiration is not after the current block.
    ExpirationInPast,
    /// A channel's expiration can only move later.
    ExpirationDecrease,
    /// The signature does not recover to the channel's signer over
    /// (domain tag, escrow, channel id, current nonce, planned amount): forged,
    /// for another amount, or for an earlier nonce (a replay).
    InvalidSignature,
    /// The signer key is not a valid compressed secp256k1 key prefix (0x02 or 0x03).
    InvalidSignerKey,
    /// The planned amount is larger than the channel's value.
    AmountExceedsChannelValue,
    /// The actual amount is larger than the planned (signed) amount.
    ActualExceedsPlanned,
    /// The sender may take the channel back only from its expiration block on.
    ChannelNotExpired,
    /// The group id is empty, too long or uses characters outside `[a-z0-9._-]`.
    InvalidGroupId,
    /// The same channel appears twice in one multi-channel claim.
    DuplicateChannel,
    /// A multi-channel claim must hold at least one and at most `MAX_MULTI_CLAIM` claims.
    InvalidClaimCount,
}
