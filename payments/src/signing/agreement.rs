//! What a consumer signs with its payment key under the agreements contract: the agreement
//! itself, its input's hash and its metering records (each checked on chain the same way),
//! and the requests by which it reads its agreement's state or its compute job from a
//! gateway. Every digest is blake2-256 of a SCALE-encoded message that names the contract,
//! so that a signature cannot be replayed on another deployment.

use super::blake2_256;
use super::channel::{recover_signer, PaymentKey};
use crate::AccountId;
use osiris_contract_types::agreements::{
    agreement_message, input_message, key_binding_message, metering_message, AgreementId, Hash32, OfferId,
};
use osiris_contract_types::{Balance, PaymentSignature, SignerKey};

/// The consumer's signature letting the provider create agreement `agreement_id` on `offer_id`
/// with these `params` (see `agreement_message`).
pub fn sign_agreement(
    key: &PaymentKey,
    contract: &AccountId,
    agreement_id: &AgreementId,
    offer_id: OfferId,
    consumer: &AccountId,
    params: &[u8],
) -> PaymentSignature {
    let message = agreement_message(&contract.to_ink(), agreement_id, offer_id, &consumer.to_ink(), params);
    key.sign_digest(&blake2_256(&message))
}

/// The consumer key's proof, for `bind_consumer_key`, that `account` holds it: a signature
/// over `key_binding_message(contract, account)`.
pub fn sign_key_binding(key: &PaymentKey, contract: &AccountId, account: &AccountId) -> PaymentSignature {
    key.sign_digest(&blake2_256(&key_binding_message(&contract.to_ink(), &account.to_ink())))
}

/// The consumer's signature over the hash of the input it uploaded.
pub fn sign_input(
    key: &PaymentKey,
    contract: &AccountId,
    agreement_id: &AgreementId,
    input_hash: &Hash32,
) -> PaymentSignature {
    key.sign_digest(&input_digest(contract, agreement_id, input_hash))
}

/// What the consumer signs over an input's hash: blake2-256 of `input_message`.
fn input_digest(contract: &AccountId, agreement_id: &AgreementId, input_hash: &Hash32) -> [u8; 32] {
    blake2_256(&input_message(&contract.to_ink(), agreement_id, input_hash))
}

/// The consumer's cumulative metering record: `units` counted so far, `amount` planck owed.
pub fn sign_metering(
    key: &PaymentKey,
    contract: &AccountId,
    agreement_id: &AgreementId,
    units: u64,
    amount: Balance,
) -> PaymentSignature {
    key.sign_digest(&metering_digest(contract, agreement_id, units, amount))
}

/// What the consumer signs for a metering record: blake2-256 of `metering_message`.
fn metering_digest(contract: &AccountId, agreement_id: &AgreementId, units: u64, amount: Balance) -> [u8; 32] {
    blake2_256(&metering_message(&contract.to_ink(), agreement_id, units, amount))
}

/// Whether `signature` is `consumer_key`'s metering record (`units`, `amount` planck) of
/// `agreement_id` in the agreements contract `contract`: the check `settle_metering` makes on chain.
pub fn is_metering_signed_by(
    signature: &PaymentSignature,
    consumer_key: &SignerKey,
    contract: &AccountId,
    agreement_id: &AgreementId,
    units: u64,
    amount: Balance,
) -> bool {
    recover_signer(signature, &metering_digest(contract, agreement_id, units, amount)).is_ok_and(|k| k == *consumer_key)
}

/// The digest a consumer signs to read its agreement's latest accepted metering record from
/// a gateway (`GetAgreementState`): blake2-256 of the SCALE encoding of
/// `("osiris/agreement-state/v1", contract, agreement_id, timestamp)`, timestamp in Unix seconds.
pub fn agreement_state_digest(contract: &AccountId, agreement_id: &AgreementId, timestamp: u64) -> [u8; 32] {
    blake2_256(&parity_scale_codec::Encode::encode(&(
        "osiris/agreement-state/v1",
        contract.to_ink(),
        agreement_id,
        timestamp,
    )))
}

/// Whether `signature` is `consumer_key`'s signature over the input hash `input_hash` of
/// `agreement_id` (the check `fulfil_input` makes on chain).
pub fn is_input_signed_by(
    signature: &PaymentSignature,
    consumer_key: &SignerKey,
    contract: &AccountId,
    agreement_id: &AgreementId,
    input_hash: &Hash32,
) -> bool {
    recover_signer(signature, &input_digest(contract, agreement_id, input_hash)).is_ok_and(|k| k == *consumer_key)
}

/// The digest a consumer signs to read, stop or fetch its agreement's compute job at a
/// gateway: blake2-256 of the SCALE encoding of `("osiris/job/v1", contract, agreement_id,
/// timestamp)`, timestamp in Unix seconds.
pub fn job_digest(contract: &AccountId, agreement_id: &AgreementId, timestamp: u64) -> [u8; 32] {
    blake2_256(&parity_scale_codec::Encode::encode(&("osiris/job/v1", contract.to_ink(), agreement_id, timestamp)))
}

/// The hash of a set of input files, as the consumer signs it and the provider recomputes
/// it: blake2-256 of the SCALE encoding of `Vec<(name, blake2_256(content))>` sorted by name
/// (names are paths relative to the input's root, `/`-separated). Order of the files given
/// does not matter; names must be unique.
pub fn files_hash(files: &[(String, Vec<u8>)]) -> Hash32 {
    let mut entries: Vec<(&str, [u8; 32])> =
        files.iter().map(|(name, bytes)| (name.as_str(), blake2_256(bytes))).collect();
    entries.sort();
    blake2_256(&parity_scale_codec::Encode::encode(&entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_input_hash_covers_names_and_contents_not_order() {
        let a = ("main.py".to_string(), b"print(1)".to_vec());
        let b = ("lib/util.py".to_string(), b"x = 2".to_vec());
        assert_eq!(files_hash(&[a.clone(), b.clone()]), files_hash(&[b.clone(), a.clone()]));
        assert_ne!(files_hash(std::slice::from_ref(&a)), files_hash(&[a.clone(), b.clone()]));
        let renamed = ("other.py".to_string(), a.1.clone());
        assert_ne!(files_hash(std::slice::from_ref(&a)), files_hash(&[renamed]));
        let changed = (a.0.clone(), b"print(2)".to_vec());
        assert_ne!(files_hash(&[a]), files_hash(&[changed]));
    }
}
