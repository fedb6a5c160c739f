//! Identifier and unit types used at every boundary.

use alloc::string::String;

/// Account id of the chain (32 bytes; printed as SS58 off-chain).
pub type AccountId = ink::primitives::AccountId;
/// An amount of the chain's native token in planck (10^-12 of a unit on the dev chain).
pub type Balance = u128;
/// A block number; all time in the contracts is measured in blocks.
pub type BlockNumber = u32;

/// Organization id: 1..=64 bytes of `[a-z0-9._-]`, chosen by its creator (e.g. `"acme"`).
pub type OrgId = String;
/// Service id, unique within its organization; same alphabet as [`OrgId`].
pub type ServiceId = String;
/// Instance group id, unique within its service; same alphabet as [`OrgId`].
/// Payment channels are opened to a (recipient, group) pair.
pub type GroupId = String;

id_newtype! {
    /// Payment channel id, assigned by the escrow contract from 0 upwards.
    ChannelId(u64)
}
id_newtype! {
    /// Payment channel nonce: starts at 0 and increments on every claim or timeout claim,
    /// which invalidates every authorization signed for an earlier nonce.
    Nonce(u64)
}

/// A channel signer's secp256k1 public key, SEC1 compressed (33 bytes).
pub type SignerKey = [u8; 33];
/// A recoverable secp256k1 ECDSA signature: `r (32) || s (32) || v (1)`, v = recovery id 0 or 1.
pub type PaymentSignature = [u8; 65];

/// Longest id accepted for an organization, service or group, in bytes.
pub const MAX_ID_LEN: usize = 64;

/// Whether `id` is a valid organization, service or group id:
/// 1..=[`MAX_ID_LEN`] bytes, each one of `a-z`, `0-9`, `.`, `_`, `-`, and not only dots
/// (ids are URL path segments, where `.` and `..` would mean something else).
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'))
        && id.bytes().any(|b| b != b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_accept_the_documented_alphabet_only() {
        assert!(is_valid_id("acme"));
        assert!(is_valid_id("text-to-speech_v2.1"));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id("Acme"));
        assert!(!is_valid_id("a b"));
        assert!(!is_valid_id(".") && !is_valid_id("..") && !is_valid_id("..."));
        assert!(is_valid_id(".a") && is_valid_id("v1.2"));
        assert!(!is_valid_id(&"a".repeat(MAX_ID_LEN + 1)));
        assert!(is_valid_id(&"a".repeat(MAX_ID_LEN)));
    }
}
