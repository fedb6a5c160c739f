//! Requests a payment recipient makes to its own gateways (`ProviderEarnings` in
//! proto/osiris/gateway/v1/gateway.proto), signed with its account key (sr25519, as its
//! extrinsics are) and verified off-chain with sp-core.
//!
//! The signed message is the SCALE encoding of `("osiris/provider/v1", escrow contract
//! account (32 bytes), recipient account (32 bytes), operation ("list" | "claim"),
//! timestamp (u64, Unix seconds))`: the escrow binds it to one deployment, the recipient to
//! one provider, the operation to one use, the timestamp bounds its life. Browser wallets
//! sign raw bytes wrapped as `<Bytes>` + message + `</Bytes>`; either form verifies.

pub use super::account::{verify, verify_bare_or_wrapped, AccountKey, SIGNATURE_BYTES};
use crate::AccountId;
use parity_scale_codec::Encode;

/// The domain tag of the signed message.
pub const PROVIDER_REQUEST_CONTEXT: &str = "osiris/provider/v1";

/// The message a provider request's signature covers (see the module docs).
pub fn provider_request_message(escrow: &AccountId, recipient: &AccountId, op: &str, timestamp_secs: u64) -> Vec<u8> {
    (PROVIDER_REQUEST_CONTEXT, escrow.0, recipient.0, op, timestamp_secs).encode()
}

/// Whether `signature` is `recipient`'s over the request, bare or wallet-wrapped.
pub fn is_recipients(
    signature: &[u8; SIGNATURE_BYTES],
    escrow: &AccountId,
    recipient: &AccountId,
    op: &str,
    timestamp_secs: u64,
) -> bool {
    verify_bare_or_wrapped(recipient, &provider_request_message(escrow, recipient, op, timestamp_secs), signature)
}

impl AccountKey {
    /// Signs a provider request (see [`provider_request_message`]).
    pub fn sign_provider_request(&self, escrow: &AccountId, op: &str, timestamp_secs: u64) -> [u8; SIGNATURE_BYTES] {
        self.sign(&provider_request_message(escrow, &self.account(), op, timestamp_secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_recipients_signature_over_this_operation_and_time_passes() {
        let bob = AccountKey::from_uri("//Bob").unwrap();
        let escrow = AccountId::from([7; 32]);
        let signature = bob.sign_provider_request(&escrow, "claim", 1_000);
        assert!(is_recipients(&signature, &escrow, &bob.account(), "claim", 1_000));
        // Wallets wrap what they sign.
        let wrapped = bob.sign(
            &[&b"<Bytes>"[..], &provider_request_message(&escrow, &bob.account(), "list", 5), b"</Bytes>"].concat(),
        );
        assert!(is_recipients(&wrapped, &escrow, &bob.account(), "list", 5));
        assert!(!is_recipients(&signature, &escrow, &bob.account(), "list", 1_000));
        assert!(!is_recipients(&signature, &escrow, &bob.account(), "claim", 1_001));
        assert!(!is_recipients(&signature, &AccountId::from([8; 32]), &bob.account(), "claim", 1_000));
        // Eve signing for herself is not Bob.
        let eve = AccountKey::from_uri("//Eve").unwrap();
        let hers = eve.sign_provider_request(&escrow, "claim", 1_000);
        assert!(!is_recipients(&hers, &escrow, &bob.account(), "claim", 1_000));
    }
}
