//! # osiris-payments
//!
//! The payment domain of Osiris, pure (no database, no chain, no runtime): what a consumer
//! signs and sends, and the one rule of each kind of deal. The gateway decides with it,
//! the consumer's SDK (`osiris-gateway-client`) and the CLI sign with it, and the stores
//! (`osiris-ledger`) write what it decided.
//!
//! - [`deal`]: the [`Deal`] trait — proof, facts, state, terms and **the** rule of a kind —
//!   and its kinds: [`ChannelDeal`] (escrow and prepaid calls over a payment channel),
//!   [`MeteredDeal`] (calls under an agreement), [`FreeCallDeal`] and [`BucketDeal`]
//!   (requests within a bucket);
//! - [`lease`]: prepaid leases — a replica's share of a prepaid authorization
//!   ([`LeaseDeal`], [`lease::decide_lease`]);
//! - the rules themselves, one module each: [`rule`] (channel payments: [`Payment`],
//!   [`PaymentState`], [`decide`]), [`metering`] ([`MeteringRecord`], [`decide_metered`]),
//!   [`free_calls`] ([`free_calls::decide_free`]), [`buckets`] ([`buckets::decide_bucket`]);
//! - [`facts`]: the mirror's view of channels, agreements and buckets that rules decide from;
//! - [`signing`]: the signed formats (payment authorizations, agreement and metering
//!   signatures, bucket requests), made and checked exactly as the contracts check them;
//! - [`metadata`] (with the header names in [`headers`]): the call metadata codec;
//! - [`Refusal`]: why a call is refused, with its gRPC status;
//! - [`AccountId`]: the 32-byte account id every off-chain crate uses.

pub mod account;
pub mod buckets;
pub mod deal;
pub mod facts;
pub mod free_calls;
pub mod headers;
pub mod lease;
pub mod metadata;
pub mod metering;
pub mod payment;
pub mod refusal;
pub mod rule;
pub mod signing;
pub mod state;

pub use account::AccountId;
pub use deal::{BucketDeal, ChannelDeal, Deal, FreeCallDeal, LeaseDeal, MeteredDeal};
pub use facts::{AgreementFacts, BucketFacts, ChannelFacts};
pub use lease::{LeaseOp, LeaseTerms};
pub use metadata::CallPayment;
pub use metering::{decide_metered, MeteringRecord, MeteringState};
pub use payment::{Payment, PaymentKind};
pub use refusal::Refusal;
pub use rule::{decide, Terms};
pub use state::{PaymentState, PrepaidLease, ReplicaId};
