//! Accounts: sr25519 signers from secret URIs and SS58 account ids.

use crate::ChainError;
use std::str::FromStr;
use subxt_signer::{sr25519::Keypair, SecretUri};

/// A 32-byte account id; `Display` prints SS58 (prefix 42), `FromStr` parses SS58
/// (`osiris_payments::AccountId`, the one account type off chain).
pub use osiris_payments::AccountId;

/// An sr25519 key pair that signs extrinsics.
pub type Signer = Keypair;

/// A signer from a secret URI: a dev account (`//Alice`, `//Bob`, …), a derivation
/// (`//Alice//stash`), a 0x-hex seed, or a mnemonic phrase with optional `///password`.
///
/// Errors: [`ChainError::InvalidSecret`] naming what was wrong (never echoing the secret).
pub fn signer_from_uri(uri: &str) -> Result<Signer, ChainError> {
    let uri = SecretUri::from_str(uri.trim()).map_err(|e| ChainError::InvalidSecret(e.to_string()))?;
    Keypair::from_uri(&uri).map_err(|e| ChainError::InvalidSecret(e.to_string()))
}

/// The account id of a signer.
pub fn account_of(signer: &Signer) -> AccountId {
    AccountId(signer.public_key().0)
}

/// The same 32 bytes as subxt's account id, for extrinsics and storage keys.
pub fn to_subxt(account: &AccountId) -> subxt::utils::AccountId32 {
    subxt::utils::AccountId32(account.0)
}

/// Parses an SS58 account id, or a secret URI such as `//Bob` (for dev accounts) whose account is meant.
///
/// Errors: [`ChainError::InvalidAccount`] when it is neither.
pub fn parse_account(text: &str) -> Result<AccountId, ChainError> {
    if text.starts_with("//") {
        return signer_from_uri(text).map(|s| account_of(&s));
    }
    AccountId::from_str(text).map_err(|e| ChainError::InvalidAccount(format!("{text:?}: {e}")))
}

/// The same 32 bytes as an ink! account id, for encoding contract arguments.
pub fn to_ink(account: &AccountId) -> osiris_contract_types::AccountId {
    account.to_ink()
}

/// The same 32 bytes as a subxt account id.
pub fn from_ink(account: &osiris_contract_types::AccountId) -> AccountId {
    AccountId::from_ink(account)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_accounts_have_their_well_known_ss58() {
        let alice = parse_account("//Alice").unwrap();
        assert_eq!(alice.to_string(), "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
        assert_eq!(parse_account(&alice.to_string()).unwrap(), alice);
        assert_eq!(from_ink(&to_ink(&alice)), alice);
    }

    #[test]
    fn malformed_accounts_are_named_in_the_error() {
        let err = parse_account("5Grwv-not-ss58").unwrap_err().to_string();
        assert!(err.contains("5Grwv-not-ss58"), "{err}");
    }
}
