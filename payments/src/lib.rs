//! # osiris-payments
//!
//! The payment domain of Osiris, shared by the gateway (which takes payments), the CLI
//! (which makes them and claims them) and the tests:
//!
//! - [`payment`]: a call's [`Payment`] — an authorization of a cumulative amount at a
//!   channel's nonce — and its gRPC metadata encoding ([`metadata`]);
//! - [`state`]: the [`PaymentState`] a channel has reached at its current nonce;
//! - [`rule`]: **the** decision — [`decide`] returns the next state or the [`Refusal`];
//!   every caller (the gateway's early check, the store's write, the explanation of a lost
//!   compare-and-set) uses it, and SQL only writes what it decided;
//! - [`store`]: the durable, shared payment state in PostgreSQL (conditional writes on a
//!   row version, group commit);
//! - [`claims`]: turning what was spent into on-chain claims, crash-safe.

pub mod claims;
pub mod metadata;
pub mod payment;
pub mod refusal;
pub mod rule;
pub mod state;
pub mod store;

pub use osiris_mirror::ChannelFacts;
pub use payment::{Payment, PaymentKind};
pub use refusal::Refusal;
pub use rule::{decide, Terms};
pub use state::PaymentState;
