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

/// Declares an id newtype over an unsigned integer: a tuple struct, so its SCALE encoding
/// and its place in the contracts' metadata are the integer's, but an id of one kind cannot
/// be passed where another kind (or a count) is expected. `Display`/`FromStr` are the
/// integer's (ids print as plain numbers in the CLI, the REST API and logs).
macro_rules! id_newtype {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        #[ink::scale_derive(Encode, Decode, TypeInfo)]
        #[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(transparent))]
        pub struct $name(pub $inner);

        impl $name {
            /// The id after this one, or `None` past the integer's range.
            pub fn checked_next(self) -> Option<Self> {
                self.0.checked_add(1).map(Self)
            }
        }

        impl From<$inner> for $name {
            fn from(id: $inner) -> Self {
                Self(id)
            }
        }

        impl From<$name> for $inner {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                core::fmt::Display::fmt(&self.0, f)
            }
        }

        impl core::str::FromStr for $name {
            type Err = core::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }
    };
}

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
