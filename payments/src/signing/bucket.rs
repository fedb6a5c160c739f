//! Requests within a bucket, signed by the caller's account key (sr25519, as the chain's
//! own extrinsics are) and verified off-chain by the node gateways with sp-core.
//!
//! The signed message is the SCALE encoding of
//! `("osiris/bucket-request/v1", ddc contract account (32 bytes), bucket id (u32),
//! operation ("put" | "get" | "list" | "delete"), object key (or list prefix), timestamp (u64, Unix ms))`:
//! the contract address keeps a signature from being replayed on another deployment, the
//! operation and key from being used for another object, the timestamp bounds its life.

use super::KeyError;
use crate::AccountId;
use osiris_contract_types::ddc::BucketId;
use parity_scale_codec::Encode;
use sp_core::crypto::Pair as _;
use sp_core::sr25519;

/// The domain tag of the signed message.
pub const BUCKET_REQUEST_CONTEXT: &str = "osiris/bucket-request/v1";
/// An sr25519 signature's length, bytes.
pub const SIGNATURE_BYTES: usize = 64;

/// The message a bucket request's signature covers (see the module docs).
pub fn bucket_request_message(ddc: &AccountId, bucket_id: BucketId, op: &str, key: &str, timestamp_ms: u64) -> Vec<u8> {
    (BUCKET_REQUEST_CONTEXT, ddc.0, bucket_id, op, key, timestamp_ms).encode()
}

/// An account's sr25519 key, signing bucket requests.
#[derive(Clone)]
pub struct RequestKey(sr25519::Pair);

impl RequestKey {
    /// The key of a secret URI (`//Eve`, a mnemonic, `0x…` seed), as for transactions.
    pub fn from_uri(uri: &str) -> Result<Self, KeyError> {
        sr25519::Pair::from_string(uri.trim(), None).map(Self).map_err(|e| KeyError::InvalidSecret(format!("{e:?}")))
    }

    /// The account the key signs for.
    pub fn account(&self) -> AccountId {
        AccountId::from(self.0.public().0)
    }

    /// Signs the request (see [`bucket_request_message`]).
    pub fn sign(
        &self,
        ddc: &AccountId,
        bucket_id: BucketId,
        op: &str,
        key: &str,
        timestamp_ms: u64,
    ) -> [u8; SIGNATURE_BYTES] {
        self.0.sign(&bucket_request_message(ddc, bucket_id, op, key, timestamp_ms)).0
    }
}

/// Whether `signature` is `account`'s over `message`.
pub fn verify(account: &AccountId, message: &[u8], signature: &[u8; SIGNATURE_BYTES]) -> bool {
    let public = sr25519::Public::from_raw(account.0);
    sr25519::Pair::verify(&sr25519::Signature::from_raw(*signature), message, &public)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_covers_bucket_operation_key_and_time() {
        let key = RequestKey::from_uri("//Eve").unwrap();
        // Eve's well-known address: the key signs for the account its transactions come from.
        assert_eq!(key.account().to_string(), "5HGjWAeFDfFCWPsjFQdVV2Msvz2XtMktvgocEZcCj68kUMaw");
        let ddc = AccountId::from([9; 32]);
        let signature = key.sign(&ddc, 3, "put", "a/b.txt", 1_000);
        assert!(verify(&key.account(), &bucket_request_message(&ddc, 3, "put", "a/b.txt", 1_000), &signature));
        for other in [
            bucket_request_message(&ddc, 4, "put", "a/b.txt", 1_000),
            bucket_request_message(&ddc, 3, "delete", "a/b.txt", 1_000),
            bucket_request_message(&ddc, 3, "put", "a/c.txt", 1_000),
            bucket_request_message(&ddc, 3, "put", "a/b.txt", 1_001),
            bucket_request_message(&AccountId::from([8; 32]), 3, "put", "a/b.txt", 1_000),
        ] {
            assert!(!verify(&key.account(), &other, &signature));
        }
        let ferdie = RequestKey::from_uri("//Ferdie").unwrap();
        assert!(!verify(&ferdie.account(), &bucket_request_message(&ddc, 3, "put", "a/b.txt", 1_000), &signature));
        assert!(RequestKey::from_uri("not a key").is_err());
    }
}
