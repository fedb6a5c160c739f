//! # osiris-chain
//!
//! What the `osiris` CLI, the indexer, the gateway and the tests share for talking
//! to the Osiris contracts on a Substrate chain with pallet-contracts:
//!
//! - [`Chain`]: a subxt client with dry-run-first contract calls, instantiation and balance reads;
//! - [`contract`]: ink! message encoding and decoding of results and events;
//! - [`escrow::Escrow`] and [`registry::Registry`]: typed clients of the two contracts;
//! - [`deployment::Deployment`]: the JSON file that says where the contracts are;
//! - [`account`]: signers from secret URIs (`//Alice`) and SS58 account ids.

pub mod account;
pub mod agreements;
pub mod artifacts;
pub mod client;
pub mod contract;
pub mod contracts_api;
pub mod ddc;
pub mod deployment;
pub mod error;
pub mod escrow;
pub mod node;
pub mod registry;

pub use account::{parse_account, AccountId, Signer};
pub use client::{BatchOutcome, Chain};
pub use deployment::Deployment;
pub use error::{ChainError, ContractError};
pub use osiris_contract_types as types;
pub use osiris_contract_types::{Balance, BlockNumber, ChannelId, Nonce};
pub use osiris_payments::signing;
