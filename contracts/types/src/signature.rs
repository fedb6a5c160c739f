//! Checking secp256k1 signatures on chain, as every Osiris contract does: blake2-256
//! digests of SCALE messages, recoverable signatures `r ‖ s ‖ v` (65 bytes), compressed
//! keys (33 bytes).

use crate::{PaymentSignature, SignerKey};

/// blake2-256 of `message`: the 32-byte digest a key signs.
pub fn digest(message: &[u8]) -> [u8; 32] {
    let mut digest = [0u8; 32];
    ink::env::hash_bytes::<ink::env::hash::Blake2x256>(message, &mut digest);
    digest
}

/// Whether `signature` over `digest` recovers exactly `key`. Recovery ids other than 0 and 1
/// are rejected before the host function is called.
pub fn is_signed_by(signature: &PaymentSignature, digest: &[u8; 32], key: &SignerKey) -> bool {
    if signature[64] > 1 {
        return false;
    }
    let mut recovered = [0u8; 33];
    ink::env::ecdsa_recover(signature, digest, &mut recovered).is_ok() && recovered == *key
}

/// Whether `key` has a compressed secp256k1 prefix (0x02 or 0x03).
pub fn is_compressed_key(key: &SignerKey) -> bool {
    matches!(key[0], 0x02 | 0x03)
}
