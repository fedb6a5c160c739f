//! The bytes a channel signer signs to authorize a payment.
//!
//! An authorization is a recoverable secp256k1 signature over
//! `blake2_256(SCALE((PAYMENT_DOMAIN_TAG, escrow, channel_id, nonce, amount)))`.
//! The contract checks it with `ecdsa_recover` at claim time; the CLI and the
//! gateway sign and verify the same bytes off-chain.

use crate::{AccountId, Balance, ChannelId, Nonce};
use alloc::vec::Vec;

/// Domain separation tag of payment authorizations; changes with the format.
pub const PAYMENT_DOMAIN_TAG: &str = "osiris/escrow/v1";

/// Most claims in one `multi_channel_claim`.
pub const MAX_MULTI_CLAIM: usize = 64;

/// SCALE encoding of `(PAYMENT_DOMAIN_TAG, escrow, channel_id, nonce, amount)`:
/// compact length and UTF-8 of the tag, 32 bytes of the escrow contract's account,
/// then `channel_id` (u64 LE), `nonce` (u64 LE) and `amount` (u128 LE). This is
/// what is hashed with blake2-256 and signed.
pub fn payment_message(escrow: &AccountId, channel_id: ChannelId, nonce: Nonce, amount: Balance) -> Vec<u8> {
    ink::scale::Encode::encode(&(PAYMENT_DOMAIN_TAG, escrow, channel_id, nonce, amount))
}
