//! # osiris-indexer
//!
//! Follows finalized blocks, decodes the Osiris contracts' events, mirrors them
//! into PostgreSQL exactly once (one transaction per block, with the cursor), and
//! serves the mirror over a REST API.
//!
//! - [`follower`]: finalized blocks in, in order, from the database cursor;
//! - [`decode`]: contract events by emitting contract and ink! signature topic;
//! - [`state`]: the current state those events maintain;
//! - [`store`]: the schema (../migrations), block commits and reads;
//! - [`describe`]: service details, fetched from services' endpoints and hash-checked;
//! - [`reputation`]: endpoint health probes and figures from facts only;
//! - [`api`]: the REST API and its OpenAPI document.

pub mod api;
pub mod config;
pub mod decode;
pub mod describe;
pub mod follower;
pub mod json;
pub mod leader;
pub mod reputation;
pub mod state;
pub mod store;
