//! The `ContractsApi` runtime API of pallet-contracts (polkadot-sdk stable2409),
//! called raw because the node's metadata does not describe it.
//!
//! Shapes follow `pallet_contracts::primitives`: `ContractResult { gas_consumed,
//! gas_required, storage_deposit, debug_message, result, events }`. Only the
//! fields up to `result` are decoded; `events` is not requested.

use crate::{AccountId, Balance};
use parity_scale_codec::{Decode, Encode, Error as CodecError, Input};

/// `sp_weights::Weight` with its compact fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct WeightV2 {
    #[codec(compact)]
    pub ref_time: u64,
    #[codec(compact)]
    pub proof_size: u64,
}

/// `pallet_contracts::primitives::StorageDeposit<Balance>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Decode)]
pub enum StorageDeposit {
    Refund(Balance),
    Charge(Balance),
}

/// `pallet_contracts_uapi::ReturnFlags` and the returned bytes.
#[derive(Debug, Clone, PartialEq, Eq, Decode)]
pub struct ExecReturnValue {
    pub flags: u32,
    pub data: Vec<u8>,
}

/// `pallet_contracts::primitives::InstantiateReturnValue`.
#[derive(Debug, Clone, PartialEq, Eq, Decode)]
pub struct InstantiateReturnValue {
    pub result: ExecReturnValue,
    pub account_id: AccountId,
}

/// The leading fields of `ContractResult<R, Balance, EventRecord>`.
#[derive(Debug, Decode)]
pub struct ContractResult<R> {
    pub gas_consumed: WeightV2,
    pub gas_required: WeightV2,
    pub storage_deposit: StorageDeposit,
    pub debug_message: Vec<u8>,
    pub result: Result<R, DispatchError>,
}

/// Arguments of `ContractsApi_call`.
#[derive(Encode)]
pub struct CallRequest {
    pub origin: AccountId,
    pub dest: AccountId,
    pub value: Balance,
    pub gas_limit: Option<WeightV2>,
    pub storage_deposit_limit: Option<Balance>,
    pub input_data: Vec<u8>,
}

/// `pallet_contracts::primitives::Code<Hash>`.
#[derive(Encode)]
pub enum Code {
    Upload(Vec<u8>),
    #[allow(dead_code)]
    Existing([u8; 32]),
}

/// Arguments of `ContractsApi_instantiate`.
#[derive(Encode)]
pub struct InstantiateRequest {
    pub origin: AccountId,
    pub value: Balance,
    pub gas_limit: Option<WeightV2>,
    pub storage_deposit_limit: Option<Balance>,
    pub code: Code,
    pub data: Vec<u8>,
    pub salt: Vec<u8>,
}

/// `sp_runtime::DispatchError`, as far as a caller needs it: module errors keep
/// their pallet and error index (named later from the metadata), others their variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DispatchError {
    /// `Module(ModuleError { index, error, .. })`.
    Module { pallet: u8, error: u8 },
    /// Any other variant, by name.
    Other(&'static str),
}

const DISPATCH_ERROR_VARIANTS: [&str; 15] = [
    "Other",
    "CannotLookup",
    "BadOrigin",
    "Module",
    "ConsumerRemaining",
    "NoProviders",
    "TooManyConsumers",
    "Token",
    "Arithmetic",
    "Transactional",
    "Exhausted",
    "Corruption",
    "Unavailable",
    "RootNotAllowed",
    "Trie",
];

impl Decode for DispatchError {
    fn decode<I: Input>(input: &mut I) -> Result<Self, CodecError> {
        let variant = input.read_byte()?;
        match variant {
            3 => {
                let pallet = input.read_byte()?;
                let error = <[u8; 4]>::decode(input)?;
                Ok(DispatchError::Module { pallet, error: error[0] })
            }
            // Token, Arithmetic, Transactional and Trie carry a one-byte enum.
            7 | 8 | 9 | 14 => {
                input.read_byte()?;
                Ok(DispatchError::Other(DISPATCH_ERROR_VARIANTS[variant as usize]))
            }
            v if (v as usize) < DISPATCH_ERROR_VARIANTS.len() => {
                Ok(DispatchError::Other(DISPATCH_ERROR_VARIANTS[v as usize]))
            }
            _ => Err("unknown DispatchError variant".into()),
        }
    }
}
