//! Free-call tokens: a provider vouches, with its account's sr25519 key, that one consumer
//! payment key may use the service's free calls until a time. A fresh key that no
//! provider vouched for gets no free call, so free calls cannot be farmed by making keys
//! (as snet-daemon's marketplace tokens, signed by the provider for one user).
//!
//! The signed message is the SCALE encoding of
//! `("osiris/free-call-token/v1", escrow contract (32 bytes), org_id, service_id,
//! consumer key (33 bytes, compressed secp256k1), expires_at_ms (u64, Unix ms))`. The
//! token travels as text, `<expires_at_ms>.<signature, 128 hex digits>`, in the
//! `osiris-free-call-token` header and in the CLI's `--free-token`.

use super::account::{verify, AccountKey, SIGNATURE_BYTES};
use crate::AccountId;
use osiris_contract_types::SignerKey;
use parity_scale_codec::Encode;

/// The domain tag of the signed message.
pub const FREE_CALL_TOKEN_CONTEXT: &str = "osiris/free-call-token/v1";

/// What a token is for: one service of one deployment, one consumer key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenScope<'a> {
    /// The escrow contract (the deployment) the free calls are signed for.
    pub escrow: &'a AccountId,
    pub org_id: &'a str,
    pub service_id: &'a str,
    /// The consumer's payment key, which signs each free call.
    pub consumer: &'a SignerKey,
}

/// The message a token's signature covers (see the module docs).
pub fn free_call_token_message(scope: &TokenScope<'_>, expires_at_ms: u64) -> Vec<u8> {
    (FREE_CALL_TOKEN_CONTEXT, scope.escrow.0, scope.org_id, scope.service_id, scope.consumer, expires_at_ms).encode()
}

/// A provider's voucher for a consumer's free calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreeCallToken {
    /// Unix ms after which the token is no longer honoured.
    pub expires_at_ms: u64,
    /// The provider account's sr25519 signature.
    pub signature: [u8; SIGNATURE_BYTES],
}

/// Why a token's text is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadToken {
    #[error("a free-call token is `<expires_at_ms>.<128 hex digits>`")]
    Shape,
    #[error("the expiry is not a number of Unix milliseconds")]
    Expiry,
    #[error("the signature is not 64 bytes of hex")]
    Signature,
}

impl FreeCallToken {
    /// The provider's token for `scope`, valid until `expires_at_ms`.
    pub fn issue(provider: &AccountKey, scope: &TokenScope<'_>, expires_at_ms: u64) -> Self {
        Self { expires_at_ms, signature: provider.sign(&free_call_token_message(scope, expires_at_ms)) }
    }

    /// Whether `provider` signed this token for `scope`.
    pub fn signed_by(&self, provider: &AccountId, scope: &TokenScope<'_>) -> bool {
        verify(provider, &free_call_token_message(scope, self.expires_at_ms), &self.signature)
    }

    /// Reads the text form, `<expires_at_ms>.<hex signature>`.
    pub fn parse(text: &str) -> Result<Self, BadToken> {
        let (expiry, signature) = text.trim().split_once('.').ok_or(BadToken::Shape)?;
        let expires_at_ms = expiry.parse().map_err(|_| BadToken::Expiry)?;
        let bytes = hex::decode(signature).map_err(|_| BadToken::Signature)?;
        let signature = <[u8; SIGNATURE_BYTES]>::try_from(bytes.as_slice()).map_err(|_| BadToken::Signature)?;
        Ok(Self { expires_at_ms, signature })
    }
}

impl std::fmt::Display for FreeCallToken {
    /// The text form, `<expires_at_ms>.<hex signature>`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.expires_at_ms, hex::encode(self.signature))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_the_providers_for_one_consumer_of_one_service_and_round_trips_as_text() {
        let bob = AccountKey::from_uri("//Bob").unwrap();
        let escrow = AccountId::from([5; 32]);
        let (consumer, other) = ([2; 33], [3; 33]);
        let scope = TokenScope { escrow: &escrow, org_id: "acme", service_id: "primes", consumer: &consumer };
        let token = FreeCallToken::issue(&bob, &scope, 1_000);
        assert!(token.signed_by(&bob.account(), &scope));
        assert_eq!(FreeCallToken::parse(&token.to_string()), Ok(token));
        let mallory = AccountKey::from_uri("//Mallory").unwrap();
        assert!(!token.signed_by(&mallory.account(), &scope), "only the provider's key vouches");
        for other_scope in [
            TokenScope { consumer: &other, ..scope },
            TokenScope { service_id: "text", ..scope },
            TokenScope { org_id: "globex", ..scope },
        ] {
            assert!(!token.signed_by(&bob.account(), &other_scope));
        }
        let later = FreeCallToken { expires_at_ms: 2_000, ..token };
        assert!(!later.signed_by(&bob.account(), &scope), "the expiry is signed");
        assert_eq!(FreeCallToken::parse("12"), Err(BadToken::Shape));
        assert_eq!(FreeCallToken::parse("x.00"), Err(BadToken::Expiry));
        assert_eq!(FreeCallToken::parse("12.00"), Err(BadToken::Signature));
    }
}
