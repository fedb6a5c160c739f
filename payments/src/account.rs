//! Account ids: 32 bytes, written in SS58 (the Substrate generic prefix 42) wherever people
//! read them. One type for every off-chain crate; `osiris-chain` turns it into subxt's own
//! at the few calls that need it.

use parity_scale_codec::{Decode, Encode};
use sp_core::crypto::{AccountId32, Ss58Codec};
use std::fmt;
use std::str::FromStr;

/// A 32-byte account id (an sr25519 public key, or a contract's address).
///
/// `Display` and serde write SS58 with prefix 42; `FromStr` and serde read SS58 (any
/// prefix whose checksum holds). SCALE encodes the 32 bytes, as the chain does.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct AccountId(pub [u8; 32]);

impl AccountId {
    /// The same 32 bytes as an ink! account id, for contract arguments and signed messages.
    pub fn to_ink(&self) -> osiris_contract_types::AccountId {
        osiris_contract_types::AccountId::from(self.0)
    }

    /// The account of an ink! account id.
    pub fn from_ink(account: &osiris_contract_types::AccountId) -> Self {
        let bytes: &[u8; 32] = account.as_ref();
        Self(*bytes)
    }
}

impl From<[u8; 32]> for AccountId {
    fn from(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }
}

impl AsRef<[u8]> for AccountId {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&AccountId32::from(self.0).to_ss58check())
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountId({self})")
    }
}

/// Why a text is not an account id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an SS58 account id: {0}")]
pub struct InvalidAccount(String);

impl FromStr for AccountId {
    type Err = InvalidAccount;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        AccountId32::from_ss58check(text).map(|a| Self(a.into())).map_err(|e| InvalidAccount(format!("{e:?}")))
    }
}

impl serde::Serialize for AccountId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for AccountId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ss58_round_trips_with_the_generic_prefix() {
        // Alice's well-known address.
        let alice: AccountId = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY".parse().unwrap();
        assert_eq!(alice.to_string(), "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
        assert_eq!(AccountId::from_ink(&alice.to_ink()), alice);
        let json = serde_json::to_string(&alice).unwrap();
        assert_eq!(serde_json::from_str::<AccountId>(&json).unwrap(), alice);
        assert_eq!(alice.encode(), alice.0.to_vec());
        assert!("5Grwv-not-ss58".parse::<AccountId>().is_err());
    }
}
