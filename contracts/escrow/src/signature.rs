//! Checking a payment authorization on chain.

pub(crate) use osiris_contract_types::signature::is_signed_by;
use osiris_contract_types::{escrow::payment_message, AccountId, Balance, ChannelId, Nonce};

/// blake2-256 of [`payment_message`]: the 32-byte digest a channel signer signs.
pub(crate) fn payment_digest(escrow: &AccountId, channel_id: ChannelId, nonce: Nonce, amount: Balance) -> [u8; 32] {
    osiris_contract_types::signature::digest(&payment_message(escrow, channel_id, nonce, amount))
}
