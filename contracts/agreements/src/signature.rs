//! Checking a consumer's signatures on chain (the shared check of `osiris_contract_types::signature`).

use osiris_contract_types::signature;
pub(crate) use osiris_contract_types::signature::{digest, is_compressed_key};
use osiris_contract_types::{PaymentSignature, SignerKey};

/// Whether `signature` over blake2-256 of `message` recovers exactly `key`.
pub(crate) fn is_signed_by(signature: &PaymentSignature, message: &[u8], key: &SignerKey) -> bool {
    signature::is_signed_by(signature, &digest(message), key)
}
