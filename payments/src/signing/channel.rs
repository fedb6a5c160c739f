//! Payment-channel authorizations, signed and verified off-chain exactly as the
//! escrow contract verifies them on chain.
//!
//! An authorization for (escrow, channel id, nonce, cumulative amount in planck)
//! is a 65-byte recoverable secp256k1 signature `r || s || v` (v = 0 or 1, low-s)
//! over the 32-byte digest `blake2_256(payment_message(..))`; see
//! `osiris_contract_types::escrow::payment_message` for the exact bytes.

use super::{blake2_256, KeyError};
use crate::AccountId;
use k256::ecdsa::{SigningKey, VerifyingKey};
use osiris_contract_types::{escrow::payment_message, PaymentSignature, SignerKey};
use osiris_contract_types::{Balance, ChannelId, Nonce};

/// The digest a channel signer signs: blake2-256 of the SCALE encoding of
/// `("osiris/escrow/v1", escrow, channel_id, nonce, amount)`.
pub fn payment_digest(escrow: &AccountId, channel_id: ChannelId, nonce: Nonce, amount: Balance) -> [u8; 32] {
    blake2_256(&payment_message(&escrow.to_ink(), channel_id, nonce, amount))
}

/// The digest a channel signer signs to read its channel's state from a gateway
/// (`GetChannelState`): blake2-256 of the SCALE encoding of
/// `("osiris/channel-state/v1", escrow, channel_id, timestamp)`, timestamp in Unix seconds.
pub fn channel_state_digest(escrow: &AccountId, channel_id: ChannelId, timestamp: u64) -> [u8; 32] {
    use parity_scale_codec::Encode;
    blake2_256(&("osiris/channel-state/v1", escrow.to_ink(), channel_id, timestamp).encode())
}

/// The digest a consumer signs to make a free call to a service (`osiris-payment-type:
/// free`): blake2-256 of the SCALE encoding of
/// `("osiris/free-call/v1", escrow, org_id, service_id, timestamp_ms)`, timestamp in Unix
/// milliseconds. The escrow binds the signature to one deployment.
pub fn free_call_digest(escrow: &AccountId, org_id: &str, service_id: &str, timestamp_ms: u64) -> [u8; 32] {
    use parity_scale_codec::Encode;
    blake2_256(&("osiris/free-call/v1", escrow.to_ink(), org_id, service_id, timestamp_ms).encode())
}

/// A channel signer's secret key (secp256k1).
#[derive(Clone)]
pub struct PaymentKey(SigningKey);

impl PaymentKey {
    /// From the 32-byte secret scalar. Errors if it is zero or not below the curve order.
    pub fn from_bytes(secret: &[u8; 32]) -> Result<Self, KeyError> {
        SigningKey::from_bytes(secret.into()).map(Self).map_err(|e| KeyError::InvalidKey(e.to_string()))
    }

    /// From 64 hex digits, with or without `0x`.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let bytes =
            hex::decode(text.trim().trim_start_matches("0x")).map_err(|e| KeyError::InvalidKey(e.to_string()))?;
        let secret: [u8; 32] = bytes.try_into().map_err(|_| KeyError::InvalidKey("a secret key is 32 bytes".into()))?;
        Self::from_bytes(&secret)
    }

    /// A fresh random key from the operating system's generator.
    pub fn generate() -> Self {
        Self(SigningKey::random(&mut k256::elliptic_curve::rand_core::OsRng))
    }

    /// The 32-byte secret as hex without `0x` (for storing in a key file).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.to_bytes())
    }

    /// The compressed public key that a channel is opened with as its `signer`.
    pub fn signer_key(&self) -> SignerKey {
        compressed(self.0.verifying_key())
    }

    /// Signs the authorization of `amount` planck (cumulative) at `nonce` of `channel_id` in `escrow`.
    pub fn sign(&self, escrow: &AccountId, channel_id: ChannelId, nonce: Nonce, amount: Balance) -> PaymentSignature {
        self.sign_digest(&payment_digest(escrow, channel_id, nonce, amount))
    }

    /// Signs a 32-byte digest directly (RFC 6979 deterministic, low-s).
    pub fn sign_digest(&self, digest: &[u8; 32]) -> PaymentSignature {
        let (signature, recovery_id) =
            self.0.sign_prehash_recoverable(digest).expect("a 32-byte digest is always signable");
        let mut out = [0u8; 65];
        out[..64].copy_from_slice(&signature.to_bytes());
        out[64] = recovery_id.to_byte();
        out
    }
}

fn compressed(key: &VerifyingKey) -> SignerKey {
    key.to_encoded_point(true).as_bytes().try_into().expect("a compressed point is 33 bytes")
}

/// The compressed public key that produced `signature` over `digest`.
///
/// Recovery runs in libsecp256k1 (the `secp256k1` crate), the library the chain's
/// `ecdsa_recover` host function uses, several times faster here than k256.
///
/// Errors: [`KeyError::InvalidKey`] if the recovery id is not 0 or 1 or the signature is malformed.
pub fn recover_signer(signature: &PaymentSignature, digest: &[u8; 32]) -> Result<SignerKey, KeyError> {
    use secp256k1::ecdsa::{RecoverableSignature, RecoveryId as Id};
    static CONTEXT: std::sync::OnceLock<secp256k1::Secp256k1<secp256k1::VerifyOnly>> = std::sync::OnceLock::new();
    let invalid = |e: secp256k1::Error| KeyError::InvalidKey(e.to_string());
    if signature[64] > 1 {
        return Err(KeyError::InvalidKey("recovery id must be 0 or 1".into()));
    }
    let id = Id::try_from(i32::from(signature[64])).map_err(invalid)?;
    let sig = RecoverableSignature::from_compact(&signature[..64], id).map_err(invalid)?;
    let context = CONTEXT.get_or_init(secp256k1::Secp256k1::verification_only);
    let key = context.recover_ecdsa(&secp256k1::Message::from_digest(*digest), &sig).map_err(invalid)?;
    Ok(key.serialize())
}

/// Whether `signature` authorizes `amount` at `nonce` of `channel_id` in `escrow` for `signer`:
/// the same check the escrow contract makes at claim time.
pub fn is_authorized(
    signature: &PaymentSignature,
    signer: &SignerKey,
    escrow: &AccountId,
    channel_id: ChannelId,
    nonce: Nonce,
    amount: Balance,
) -> bool {
    recover_signer(signature, &payment_digest(escrow, channel_id, nonce, amount)).is_ok_and(|k| k == *signer)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vector pinned on chain too (contracts/escrow/src/tests.rs, `payment_authorization_test_vector`).
    #[test]
    fn payment_authorization_test_vector() {
        let escrow = AccountId::from([0x42; 32]);
        let digest = payment_digest(&escrow, ChannelId(7), Nonce(3), 1_000_000_000_000);
        assert_eq!(hex::encode(digest), "50585ff13e71df926965a60764ca9b33de406ba5e598fdc9ff9b73f1c00226e1");
        let key = PaymentKey::from_bytes(&[0x11; 32]).unwrap();
        let signature = key.sign(&escrow, ChannelId(7), Nonce(3), 1_000_000_000_000);
        assert_eq!(
            hex::encode(signature),
            "f1a55e3360d7817c8f96ba8abd2822dd340d91a87b85f5bd55ee8d7e3e34ebea23dba13e3de41998166a3a0ce2177faf2b9b4b74e9cfbb25b138c4b4bce1a39301"
        );
        assert_eq!(hex::encode(key.signer_key()), "034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa");
    }

    /// The probe vector of ../shared/FIELD-NOTES.md, verified against the node's `ecdsa_recover`.
    #[test]
    fn field_notes_probe_vector() {
        let key = PaymentKey::from_bytes(&[0x11; 32]).unwrap();
        let digest = blake2_256(b"osiris probe");
        let signature = key.sign_digest(&digest);
        assert_eq!(hex::encode(signature), "ca35e67524537a18aae3e86edf7ad6df9bc8f55518e2f923cef4a834c1502d975ad95e574f6de6446502e2fdc055ac27450ad02c1e9f5dc5566982a0157cfee500");
        assert_eq!(recover_signer(&signature, &digest).unwrap(), key.signer_key());
    }

    #[test]
    fn authorizations_bind_every_field() {
        let key = PaymentKey::generate();
        let escrow = AccountId::from([1; 32]);
        let sig = key.sign(&escrow, ChannelId(1), Nonce(2), 300);
        assert!(is_authorized(&sig, &key.signer_key(), &escrow, ChannelId(1), Nonce(2), 300));
        assert!(!is_authorized(&sig, &key.signer_key(), &escrow, ChannelId(1), Nonce(2), 301));
        assert!(!is_authorized(&sig, &key.signer_key(), &escrow, ChannelId(1), Nonce(3), 300));
        assert!(!is_authorized(&sig, &key.signer_key(), &escrow, ChannelId(2), Nonce(2), 300));
        assert!(!is_authorized(&sig, &key.signer_key(), &AccountId::from([2; 32]), ChannelId(1), Nonce(2), 300));
        assert!(!is_authorized(&sig, &PaymentKey::generate().signer_key(), &escrow, ChannelId(1), Nonce(2), 300));
        let mut bad = sig;
        bad[64] = 4;
        assert!(recover_signer(&bad, &payment_digest(&escrow, ChannelId(1), Nonce(2), 300)).is_err());
        assert_eq!(PaymentKey::from_hex(&key.to_hex()).unwrap().signer_key(), key.signer_key());
        assert!(PaymentKey::from_hex("00").is_err());
    }
}
