//! Types shared by the Osiris contracts and the off-chain code that talks to them.
//!
//! Everything a contract stores, emits or returns is defined here once: the
//! contracts compile it to Wasm, and the CLI, indexer and gateway compile it
//! natively to encode calls and decode events with the very same SCALE layout.
//! ink! 5 event signature topics are derived from these definitions (see
//! `ink::env::Event::SIGNATURE_TOPIC`), so renaming a field type here changes
//! the topic the indexer looks for.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod agreements;
pub mod ddc;
pub mod escrow;
pub mod ids;
pub mod registry;
pub mod signature;

pub use ids::*;
/// The ink! crate these types are built with, for off-chain users that need its
/// `Event` trait or `LangError` without depending on ink! themselves.
pub use ink;
