//! Requests within a bucket, signed by the caller's account key (sr25519, as the chain's
//! own extrinsics are) and verified off-chain by the node gateways with sp-core.
//!
//! The signed message is the SCALE encoding of
//! `("osiris/bucket-request/v2", ddc contract account (32 bytes), node id (u32), bucket id (u32),
//! operation ("put" | "get" | "list" | "delete"), object key (or list prefix), timestamp (u64, Unix ms))`:
//! the contract address keeps a signature from being replayed on another deployment, the
//! node id on another node of the cluster (each replica's request is signed for its node),
//! the operation and key from being used for another object, the timestamp bounds its life
//! (and the node remembers what it served within it: `osiris_ledger::bucket_replays`).

pub use super::account::{verify, AccountKey, SIGNATURE_BYTES};
use crate::AccountId;
use osiris_contract_types::ddc::{BucketId, NodeId};
use parity_scale_codec::Encode;

/// The domain tag of the signed message.
pub const BUCKET_REQUEST_CONTEXT: &str = "osiris/bucket-request/v2";

/// The message a bucket request's signature covers (see the module docs).
pub fn bucket_request_message(
    ddc: &AccountId,
    node_id: NodeId,
    bucket_id: BucketId,
    op: &str,
    key: &str,
    timestamp_ms: u64,
) -> Vec<u8> {
    (BUCKET_REQUEST_CONTEXT, ddc.0, node_id, bucket_id, op, key, timestamp_ms).encode()
}

impl AccountKey {
    /// Signs a request to node `node_id` (see [`bucket_request_message`]).
    pub fn sign_bucket_request(
        &self,
        ddc: &AccountId,
        node_id: NodeId,
        bucket_id: BucketId,
        op: &str,
        key: &str,
        timestamp_ms: u64,
    ) -> [u8; SIGNATURE_BYTES] {
        self.sign(&bucket_request_message(ddc, node_id, bucket_id, op, key, timestamp_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_covers_node_bucket_operation_key_and_time() {
        let key = AccountKey::from_uri("//Eve").unwrap();
        // Eve's well-known address: the key signs for the account its transactions come from.
        assert_eq!(key.account().to_string(), "5HGjWAeFDfFCWPsjFQdVV2Msvz2XtMktvgocEZcCj68kUMaw");
        let ddc = AccountId::from([9; 32]);
        let signature = key.sign_bucket_request(&ddc, NodeId(0), BucketId(3), "put", "a/b.txt", 1_000);
        assert!(verify(
            &key.account(),
            &bucket_request_message(&ddc, NodeId(0), BucketId(3), "put", "a/b.txt", 1_000),
            &signature
        ));
        for other in [
            bucket_request_message(&ddc, NodeId(0), BucketId(4), "put", "a/b.txt", 1_000),
            bucket_request_message(&ddc, NodeId(0), BucketId(3), "delete", "a/b.txt", 1_000),
            bucket_request_message(&ddc, NodeId(0), BucketId(3), "put", "a/c.txt", 1_000),
            bucket_request_message(&ddc, NodeId(0), BucketId(3), "put", "a/b.txt", 1_001),
            bucket_request_message(&AccountId::from([8; 32]), NodeId(0), BucketId(3), "put", "a/b.txt", 1_000),
            bucket_request_message(&ddc, NodeId(1), BucketId(3), "put", "a/b.txt", 1_000),
        ] {
            assert!(!verify(&key.account(), &other, &signature));
        }
        let ferdie = AccountKey::from_uri("//Ferdie").unwrap();
        assert!(!verify(
            &ferdie.account(),
            &bucket_request_message(&ddc, NodeId(0), BucketId(3), "put", "a/b.txt", 1_000),
            &signature
        ));
        assert!(AccountKey::from_uri("not a key").is_err());
    }
}
