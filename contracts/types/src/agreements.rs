//! Agreements domain: templates of conditions, providers' offers, and service
//! agreements whose locked payment is released to the provider once the conditions
//! are fulfilled, or refunded to the consumer on timeout; optionally metered.

mod entity;
mod error;
mod events;
mod message;

pub use entity::*;
pub use error::AgreementError;
pub use events::*;
pub use message::*;
