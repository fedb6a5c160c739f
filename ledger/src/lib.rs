//! # osiris-ledger
//!
//! What the deals leave behind, in PostgreSQL and on chain; the rules that decide it are
//! `osiris-payments`'s, and this crate only writes what they decided.
//!
//! - [`versioned`]: **the** conditional-write loop — a deal kind's calls decided by its
//!   rule against its stored row and written on condition of the row's version, in group
//!   commits ([`VersionedStore`]);
//! - [`tables`]: the rows of each kind that keeps state — channel payments
//!   ([`PaymentStore`]), metering records ([`MeteringStore`]), free-call counts
//!   ([`FreeCallStore`]);
//! - [`bucket_usage`]: the bytes ddc node gateways count per bucket (added up, not decided);
//! - [`bucket_replays`]: the bucket-request signatures a node has served (a replay is refused);
//! - [`free_call_budget`]: the free calls a gateway group gave everyone in a period;
//! - [`leases`]: which replicas' prepaid shares are past their expiry (the sweep's read);
//! - [`claims`]: channel payments turned into on-chain claims, crash-safe;
//! - [`settlements`]: metering records settled on chain.

pub mod audits;
pub mod bucket_replays;
pub mod bucket_usage;
pub mod claims;
pub mod free_call_budget;
pub mod leases;
pub mod repair;
pub mod settlements;
pub mod tables;
pub mod versioned;

pub use tables::free_calls::{FreeCallStore, FreeCallTable};
pub use tables::metering::{MeteringStore, MeteringTable};
pub use tables::payments::{LeaseStore, LeaseTable, PaymentStore, PaymentTable};
pub use versioned::{Durability, StoreError, VersionedStore};

/// A count or Unix-ms figure as PostgreSQL's BIGINT, saturating (no figure Osiris counts
/// reaches `i64::MAX`).
pub(crate) fn big(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
