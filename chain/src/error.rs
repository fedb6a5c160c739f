//! Errors of talking to the chain and the contracts.

use osiris_contract_types::{escrow::EscrowError, registry::RegistryError};

/// A contract refused a message with its typed error (found by the dry run, nothing was submitted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ContractError {
    #[error("escrow refused: {0:?}")]
    Escrow(EscrowError),
    #[error("registry refused: {0:?}")]
    Registry(RegistryError),
}

impl From<EscrowError> for ContractError {
    fn from(e: EscrowError) -> Self {
        ContractError::Escrow(e)
    }
}

impl From<RegistryError> for ContractError {
    fn from(e: RegistryError) -> Self {
        ContractError::Registry(e)
    }
}

/// Everything that can go wrong between this process and the contracts.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The contract returned its typed error.
    #[error(transparent)]
    Contract(#[from] ContractError),
    /// The runtime refused the call (e.g. `Contracts::ContractTrapped`, out of gas, no funds for fees).
    #[error("the chain refused the call: {0}")]
    Dispatch(String),
    /// The contract could not dispatch the message at all (ink! `LangError`, e.g. an unknown selector:
    /// the contract at that address is not the expected one).
    #[error("the contract could not dispatch the message: {0}")]
    Lang(String),
    /// Reaching the node, submitting, or following the transaction failed.
    #[error("node: {0}")]
    Rpc(String),
    /// Bytes from the chain did not decode as the expected type.
    #[error("cannot decode {what}: {reason}")]
    Decode { what: &'static str, reason: String },
    /// An expected event was not emitted.
    #[error("missing event: {0}")]
    MissingEvent(&'static str),
    #[error("invalid account id {0}")]
    InvalidAccount(String),
    #[error("invalid secret: {0}")]
    InvalidSecret(String),
    #[error("invalid payment key or signature: {0}")]
    InvalidKey(String),
    /// The deployment file is missing, unreadable or malformed.
    #[error("deployment file {path}: {reason}")]
    Deployment { path: String, reason: String },
    /// Contract artifacts are missing and could not be built.
    #[error("contract artifacts: {0}")]
    Artifacts(String),
}

impl ChainError {
    /// The contract's typed error, if that is what this is.
    pub fn contract_error(&self) -> Option<ContractError> {
        match self {
            ChainError::Contract(e) => Some(*e),
            _ => None,
        }
    }

    pub(crate) fn rpc(e: impl std::fmt::Display) -> Self {
        ChainError::Rpc(e.to_string())
    }
}
