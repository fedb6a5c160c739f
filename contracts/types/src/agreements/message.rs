//! The bytes a consumer's key signs for the agreements contract. Each is a recoverable
//! secp256k1 signature over `blake2_256(SCALE((domain tag, contract, …)))`, checked on
//! chain with `ecdsa_recover` and signed off-chain by the CLI and the gateway.

use super::{AgreementId, Hash32, OfferId};
use crate::{AccountId, Balance};
use alloc::vec::Vec;

/// Domain tag of a consumer's agreement signature.
pub const AGREEMENT_DOMAIN_TAG: &str = "osiris/agreement/v1";
/// Domain tag of a consumer's signature over an input's hash.
pub const INPUT_DOMAIN_TAG: &str = "osiris/agreement-input/v1";
/// Domain tag of a metering record.
pub const METERING_DOMAIN_TAG: &str = "osiris/metering/v1";
/// Domain tag of a key's proof that it consents to signing for an account.
pub const KEY_BINDING_DOMAIN_TAG: &str = "osiris/consumer-key/v1";

/// SCALE of `(AGREEMENT_DOMAIN_TAG, contract, agreement_id, offer_id, consumer, params)`:
/// what the consumer signs so the provider can create the agreement on its behalf.
pub fn agreement_message(
    contract: &AccountId,
    agreement_id: &AgreementId,
    offer_id: OfferId,
    consumer: &AccountId,
    params: &[u8],
) -> Vec<u8> {
    ink::scale::Encode::encode(&(AGREEMENT_DOMAIN_TAG, contract, agreement_id, offer_id, consumer, params))
}

/// SCALE of `(INPUT_DOMAIN_TAG, contract, agreement_id, input_hash)`.
pub fn input_message(contract: &AccountId, agreement_id: &AgreementId, input_hash: &Hash32) -> Vec<u8> {
    ink::scale::Encode::encode(&(INPUT_DOMAIN_TAG, contract, agreement_id, input_hash))
}

/// SCALE of `(METERING_DOMAIN_TAG, contract, agreement_id, units, amount)`: a cumulative
/// metering record (`units` counted so far, `amount` planck owed for them).
pub fn metering_message(contract: &AccountId, agreement_id: &AgreementId, units: u64, amount: Balance) -> Vec<u8> {
    ink::scale::Encode::encode(&(METERING_DOMAIN_TAG, contract, agreement_id, units, amount))
}

/// SCALE of `(KEY_BINDING_DOMAIN_TAG, contract, account)`: what a consumer's key signs to
/// show, when its account binds it, that the account holds it (so nobody binds a key it
/// cannot sign with).
pub fn key_binding_message(contract: &AccountId, account: &AccountId) -> Vec<u8> {
    ink::scale::Encode::encode(&(KEY_BINDING_DOMAIN_TAG, contract, account))
}
