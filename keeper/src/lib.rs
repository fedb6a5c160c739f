//! # osiris-keeper
//!
//! The process a ddc cluster's manager runs so that the storage deal holds without a person:
//! each pass measures every bucket's usage from what its placed nodes agree they hold
//! ([`usage`]), raises the allocations usage crossed (`bucket_alloc_into_cluster`, the
//! manager's call), settles the rent of buckets unsettled for a while, and distributes the
//! clusters' revenues; the calls of a pass go in batched extrinsics (`Utility::force_batch`).
//! Each pass also audits every node ([`audit`]: random challenges judged against the
//! other replicas), keeps the results (`ddc_audits`) and raises an alert for a node whose
//! recent audits fail too often. Repair is not here: each node's own gateway does it (`osiris_gateway::repair`).

pub mod audit;
pub mod config;
pub mod keeper;
pub mod usage;

pub use config::Config;
pub use keeper::{Keeper, KeeperError, PassReport};
