//! An account's sr25519 key signing off-chain messages (as the chain's own extrinsics are
//! signed), verified with sp-core: requests within a bucket ([`super::bucket`]) and the
//! free-call tokens a provider issues ([`super::free_call_token`]).

use super::KeyError;
use crate::AccountId;
use sp_core::crypto::Pair as _;
use sp_core::sr25519;

/// An sr25519 signature's length, bytes.
pub const SIGNATURE_BYTES: usize = 64;

/// An account's sr25519 key.
#[derive(Clone)]
pub struct AccountKey(sr25519::Pair);

impl AccountKey {
    /// The key of a secret URI (`//Eve`, a mnemonic, `0x…` seed), as for transactions.
    pub fn from_uri(uri: &str) -> Result<Self, KeyError> {
        sr25519::Pair::from_string(uri.trim(), None).map(Self).map_err(|e| KeyError::InvalidSecret(format!("{e:?}")))
    }

    /// The account the key signs for.
    pub fn account(&self) -> AccountId {
        AccountId::from(self.0.public().0)
    }

    /// The sr25519 pair itself: the objects sealed for the account are opened with its
    /// secret (a key exchange on the same curve, see `osiris_gateway_client::sealed`).
    pub fn sr25519(&self) -> &sr25519::Pair {
        &self.0
    }

    /// The key's signature over `message` (each format's module builds the message).
    pub fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_BYTES] {
        self.0.sign(message).0
    }
}

/// Whether `signature` is `account`'s over `message`.
pub fn verify(account: &AccountId, message: &[u8], signature: &[u8; SIGNATURE_BYTES]) -> bool {
    let public = sr25519::Public::from_raw(account.0);
    sr25519::Pair::verify(&sr25519::Signature::from_raw(*signature), message, &public)
}

/// What a browser wallet puts around raw bytes before it signs them (polkadot.js
/// `signRaw`, which every Substrate wallet extension implements).
const WRAP_OPEN: &[u8] = b"<Bytes>";
const WRAP_CLOSE: &[u8] = b"</Bytes>";

/// Whether `signature` is `account`'s over `message`, signed as it is (a key in a program)
/// or as a wallet extension signs raw bytes (`<Bytes>` + message + `</Bytes>`).
pub fn verify_bare_or_wrapped(account: &AccountId, message: &[u8], signature: &[u8; SIGNATURE_BYTES]) -> bool {
    verify(account, message, signature) || verify(account, &[WRAP_OPEN, message, WRAP_CLOSE].concat(), signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wallet_wrapped_signature_verifies_and_another_wrapping_does_not() {
        let key = AccountKey::from_uri("//Ferdie").unwrap();
        let message = b"osiris";
        assert!(verify_bare_or_wrapped(&key.account(), message, &key.sign(message)));
        assert!(verify_bare_or_wrapped(&key.account(), message, &key.sign(b"<Bytes>osiris</Bytes>")));
        assert!(!verify_bare_or_wrapped(&key.account(), message, &key.sign(b"<Bytes>osiris")));
        assert!(!verify_bare_or_wrapped(&key.account(), message, &key.sign(b"osiris!")));
    }
}
