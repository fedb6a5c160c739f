//! Checking a consumer's signatures on chain.

use osiris_contract_types::{PaymentSignature, SignerKey};

/// blake2-256 of `message`: the 32-byte digest a consumer's key signs.
pub(crate) fn digest(message: &[u8]) -> [u8; 32] {
    let mut digest = [0u8; 32];
    ink::env::hash_bytes::<ink::env::hash::Blake2x256>(message, &mut digest);
    digest
}

/// Whether `signature` over blake2-256 of `message` recovers exactly `key`.
/// Recovery ids other than 0 and 1 are rejected before the host function is called.
pub(crate) fn is_signed_by(signature: &PaymentSignature, message: &[u8], key: &SignerKey) -> bool {
    if signature[64] > 1 {
        return false;
    }
    let mut recovered = [0u8; 33];
    ink::env::ecdsa_recover(signature, &digest(message), &mut recovered).is_ok() && recovered == *key
}

/// Whether `key` has a compressed secp256k1 prefix.
pub(crate) fn is_compressed_key(key: &SignerKey) -> bool {
    matches!(key[0], 0x02 | 0x03)
}
