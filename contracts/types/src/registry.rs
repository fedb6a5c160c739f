//! Registry domain: organizations, services and their instance groups.

mod entity;
mod error;
mod events;

pub use entity::*;
pub use error::RegistryError;
pub use events::*;
