//! What the escrow contract stores and takes as input.

use crate::{AccountId, Balance, BlockNumber, ChannelId, GroupId, Nonce, PaymentSignature, SignerKey};

/// A unidirectional payment channel from `sender` to `recipient`.
///
/// The sender locks `value` planck; the `signer` key signs off-chain authorizations
/// for cumulative amounts at the current `nonce`; the recipient claims the latest one.
/// After `expiration` the sender may take back what is left.
#[derive(Debug, Clone, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct Channel {
    /// Account that funded the channel; it may add funds, extend it and take back the rest after expiration.
    pub sender: AccountId,
    /// The only account that may claim.
    pub recipient: AccountId,
    /// secp256k1 key (compressed) whose signatures authorize payments.
    pub signer: SignerKey,
    /// The recipient's instance group this channel pays for.
    pub group_id: GroupId,
    /// Planck still locked in the channel.
    pub value: Balance,
    /// Authorizations are only valid for this nonce.
    pub nonce: Nonce,
    /// Block number from which the sender may claim the remaining value back.
    pub expiration: BlockNumber,
}

/// One claim of [`multi_channel_claim`](crate::escrow): the same arguments as `channel_claim`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
pub struct ChannelClaim {
    pub channel_id: ChannelId,
    /// Planck paid to the recipient now; at most `plan_amount`.
    pub actual_amount: Balance,
    /// The amount the signature authorizes, at most the channel's value.
    pub plan_amount: Balance,
    pub signature: PaymentSignature,
    /// Return everything left in the channel to the sender's escrow balance.
    pub is_sendback: bool,
}
