//! Checking a payment authorization on chain.

use osiris_contract_types::{
    escrow::payment_message, AccountId, Balance, ChannelId, Nonce, PaymentSignature, SignerKey,
};

/// blake2-256 of [`payment_message`]: the 32-byte digest a channel signer signs.
pub(crate) fn payment_digest(escrow: &AccountId, channel_id: ChannelId, nonce: Nonce, amount: Balance) -> [u8; 32] {
    let mut digest = [0u8; 32];
    ink::env::hash_bytes::<ink::env::hash::Blake2x256>(
        &payment_message(escrow, channel_id, nonce, amount),
        &mut digest,
    );
    digest
}

/// Whether `signature` over `digest` recovers exactly `signer`.
/// Recovery ids other than 0 and 1 are rejected before the host function is called.
pub(crate) fn is_signed_by(signature: &PaymentSignature, digest: &[u8; 32], signer: &SignerKey) -> bool {
    if signature[64] > 1 {
        return false;
    }
    let mut recovered = [0u8; 33];
    ink::env::ecdsa_recover(signature, digest, &mut recovered).is_ok() && recovered == *signer
}
