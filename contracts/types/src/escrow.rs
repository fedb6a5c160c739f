//! Escrow domain: deposits and unidirectional payment channels.

mod entity;
mod error;
mod events;
mod payment;

pub use entity::*;
pub use error::EscrowError;
pub use events::*;
pub use payment::*;
