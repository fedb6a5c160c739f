//! The tables of the deal kinds whose calls leave state, each a [`crate::versioned::Table`].

pub mod free_calls;
pub mod metering;
pub mod payments;
