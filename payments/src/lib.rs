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
//! - [`claims`]: turning what was spent into on-chain claims, crash-safe;
//! - [`metering`]: agreement-backed calls — a consumer's cumulative [`MeteringRecord`] and
//!   **the** rule [`decide_metered`]; [`metering_store`] keeps the latest accepted record
//!   of each agreement in PostgreSQL and [`settlements`] settles it on chain;
//! - [`buckets`]: requests within a bucket (the ddc deal) — a signed [`buckets::BucketRequest`]
//!   and **the** rule [`buckets::decide_bucket`], from the mirror's facts of the bucket.

pub mod bucket_usage;
pub mod buckets;
pub mod claims;
pub mod free_call_store;
pub mod free_calls;
pub mod metadata;
pub mod metering;
pub mod metering_store;
pub mod payment;
pub mod refusal;
pub mod rule;
pub mod settlements;
pub mod state;
pub mod store;

pub use metadata::CallPayment;
pub use metering::{decide_metered, MeteringRecord, MeteringState};
pub use osiris_mirror::ChannelFacts;
pub use payment::{Payment, PaymentKind};
pub use refusal::Refusal;
pub use rule::{decide, Terms};
pub use state::PaymentState;
