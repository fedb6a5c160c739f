//! Events of the escrow contract. Balances after the change are included so
//! that a mirror never has to read contract storage.

use crate::{AccountId, Balance, BlockNumber, ChannelId, GroupId, Nonce, SignerKey};

/// Planck were deposited into `account`'s escrow balance.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deposited {
    #[ink(topic)]
    pub account: AccountId,
    pub amount: Balance,
    /// Escrow balance of `account` after the deposit.
    pub balance: Balance,
}

/// Planck left the escrow to `account`'s free balance.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawn {
    #[ink(topic)]
    pub account: AccountId,
    pub amount: Balance,
    /// Escrow balance of `account` after the withdrawal.
    pub balance: Balance,
}

/// Planck moved between two escrow balances.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transferred {
    #[ink(topic)]
    pub from: AccountId,
    #[ink(topic)]
    pub to: AccountId,
    pub amount: Balance,
}

/// A payment channel was opened, funded from the sender's escrow balance.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelOpened {
    #[ink(topic)]
    pub channel_id: ChannelId,
    #[ink(topic)]
    pub sender: AccountId,
    #[ink(topic)]
    pub recipient: AccountId,
    pub signer: SignerKey,
    pub group_id: GroupId,
    pub value: Balance,
    pub nonce: Nonce,
    pub expiration: BlockNumber,
}

/// The sender added funds to, and/or extended, a channel.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelFunded {
    #[ink(topic)]
    pub channel_id: ChannelId,
    /// Planck added (0 for a pure extension).
    pub added: Balance,
    /// Channel value afterwards.
    pub value: Balance,
    /// Channel expiration afterwards.
    pub expiration: BlockNumber,
}

/// The recipient claimed a signed payment.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelClaimed {
    #[ink(topic)]
    pub channel_id: ChannelId,
    #[ink(topic)]
    pub recipient: AccountId,
    /// Nonce the authorization was signed for.
    pub nonce: Nonce,
    /// Planck paid to the recipient's escrow balance.
    pub amount: Balance,
    /// Planck returned to the sender's escrow balance (non-zero only with `is_sendback`).
    pub sent_back: Balance,
    /// Channel value afterwards.
    pub value: Balance,
    /// Channel nonce afterwards (`nonce + 1`).
    pub new_nonce: Nonce,
}

/// After expiration the sender took back what was left in a channel.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelTimeoutClaimed {
    #[ink(topic)]
    pub channel_id: ChannelId,
    #[ink(topic)]
    pub sender: AccountId,
    /// Planck returned to the sender's escrow balance.
    pub amount: Balance,
    /// Channel nonce afterwards.
    pub new_nonce: Nonce,
}
