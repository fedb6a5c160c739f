//! The signed messages of Osiris, made and checked off-chain exactly as the contracts check
//! them on chain (or as the gateways check them, for requests that never reach the chain):
//!
//! - [`channel`]: payment-channel authorizations (secp256k1, the consumer's payment key),
//!   the channel-state request and free calls;
//! - [`agreement`]: an agreement, its input hash and metering records, the agreement-state
//!   and job requests (the same payment key);
//! - [`bucket`]: requests within a bucket (sr25519, the caller's [`account`] key);
//! - [`free_call_token`]: a provider's voucher for a consumer's free calls (sr25519, the
//!   provider's account key);
//! - [`provider`]: a payment recipient's requests to its own gateways (sr25519, its
//!   account key).

pub mod account;
pub mod agreement;
pub mod bucket;
pub mod channel;
pub mod free_call_token;
pub mod provider;

use blake2::{digest::consts::U32, Blake2b, Digest};

/// blake2b-256 of `bytes`, the hash pallet-contracts, ink! and the signed formats use.
pub fn blake2_256(bytes: &[u8]) -> [u8; 32] {
    Blake2b::<U32>::digest(bytes).into()
}

/// Why a key could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// A secp256k1 secret or signature that is not one (the reason names what is wrong).
    #[error("invalid payment key or signature: {0}")]
    InvalidKey(String),
    /// A secret URI that is not one; the secret itself is never echoed.
    #[error("invalid secret: {0}")]
    InvalidSecret(String),
}
