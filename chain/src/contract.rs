//! ink! message encoding, result decoding and contract events.
//!
//! A message call's input is the 4-byte selector (the first bytes of
//! blake2-256 of the message name, ink!'s default) followed by the SCALE
//! encoding of the arguments in order. ink! 5 answers with the SCALE encoding of
//! `Result<R, LangError>` where `R` is the message's return type.

use crate::{AccountId, ChainError};
use osiris_contract_types::ink::{env::Event, LangError};
use parity_scale_codec::{Decode, Encode};

pub use osiris_payments::signing::blake2_256;

/// The ink! selector of a message or constructor: the first 4 bytes of blake2-256 of its name.
pub fn selector(name: &str) -> [u8; 4] {
    let hash = blake2_256(name.as_bytes());
    [hash[0], hash[1], hash[2], hash[3]]
}

/// The call data of message `name` with `args` (a tuple of the arguments in declaration order; `()` for none).
pub fn message(name: &str, args: impl Encode) -> Vec<u8> {
    let mut data = selector(name).to_vec();
    args.encode_to(&mut data);
    data
}

/// Decodes a message's return bytes as `Result<R, LangError>` and unwraps the `LangError` layer.
pub fn decode_return<R: Decode>(mut data: &[u8], what: &'static str) -> Result<R, ChainError> {
    let result =
        Result::<R, LangError>::decode(&mut data).map_err(|e| ChainError::Decode { what, reason: e.to_string() })?;
    result.map_err(|e| ChainError::Lang(format!("{e:?}")))
}

/// An event a contract emitted (`Contracts::ContractEmitted` with the topics of its event record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractEvent {
    /// The emitting contract.
    pub contract: AccountId,
    /// Topic 0 is the ink! signature topic; the rest are `#[ink(topic)]` fields.
    pub topics: Vec<[u8; 32]>,
    /// SCALE encoding of the event struct (no variant byte in ink! 5).
    pub data: Vec<u8>,
}

impl ContractEvent {
    /// The event as `E` if its signature topic is `E`'s and it decodes.
    pub fn decode_as<E: Event + Decode>(&self) -> Option<E> {
        let signature = E::SIGNATURE_TOPIC?;
        (self.topics.first() == Some(&signature)).then(|| E::decode(&mut &self.data[..]).ok()).flatten()
    }
}

/// The first event of type `E` emitted by `contract` among `events`.
pub fn find_event<E: Event + Decode>(events: &[ContractEvent], contract: &AccountId) -> Option<E> {
    events.iter().filter(|e| e.contract == *contract).find_map(|e| e.decode_as::<E>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_follow_ink_defaults() {
        // ink!'s flipper example: `flip` has selector 0x633aa551, `get` 0x2f865bd9.
        assert_eq!(selector("flip"), [0x63, 0x3a, 0xa5, 0x51]);
        assert_eq!(selector("get"), [0x2f, 0x86, 0x5b, 0xd9]);
        assert_eq!(message("get", ()), vec![0x2f, 0x86, 0x5b, 0xd9]);
    }

    #[test]
    fn return_values_unwrap_the_lang_error_layer() {
        let ok: Result<Result<u32, u8>, LangError> = Ok(Err(7));
        assert_eq!(decode_return::<Result<u32, u8>>(&ok.encode(), "r").unwrap(), Err(7));
        let lang: Result<u32, LangError> = Err(LangError::CouldNotReadInput);
        assert!(matches!(decode_return::<u32>(&lang.encode(), "r"), Err(ChainError::Lang(_))));
        assert!(matches!(decode_return::<u32>(&[0, 1], "r"), Err(ChainError::Decode { .. })));
    }
}
