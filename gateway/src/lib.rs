//! The Osiris gateway: a sidecar in front of a provider's service that sells calls over
//! escrow payment channels and service agreements, or runs compute jobs under agreements.
//!
//! A call's path: [`front`] accepts connections (cleartext or [`tls`]), HTTP/2 for gRPC and
//! HTTP/1.1 for gRPC-Web, under its [`front::FrontLimits`]; [`server`] parses the payment metadata
//! (`osiris_payments::metadata`) and resolves the call ([`proxy`]); [`authorize`] checks
//! the payment against the [`channels`] cache (the indexer's mirror, refreshed on its
//! NOTIFY) with the payment rule (`osiris_payments::decide`) and submits it to the payment
//! store (`osiris_payments::store`), which commits it; [`proxy`] passes the call through
//! (`grpc`), translates it (`jsonrpc`) or runs a process (`process`), and the reply goes
//! out only once the payment has committed. A call under a service agreement carries a
//! metering record instead, decided by `osiris_payments::metering::decide_metered` and
//! committed by `osiris_payments::metering_store`. Claims are `osiris_payments::claims`,
//! settlements `osiris_payments::settlements`; [`state_service`] serves the gateway's own
//! gRPC APIs (proto/osiris/gateway/v1) and [`jobs`] the compute jobs of a `job` gateway.
//! A prepaid call is served from this replica's share of its authorization when it has one
//! ([`leases`], `osiris_payments::lease`): no round trip per call.
//! A free call is decided by `osiris_payments::free_calls::decide_free` ([`free_calls`]).
//! In bucket mode ([`buckets`]) the gateway is a ddc node in front of an object store: a
//! request within a bucket is decided by `osiris_payments::buckets::decide_bucket` from the
//! mirror (its facts cached until the next block, [`mirror_watch`]), signed by the caller's
//! account key for this node, and its bytes are counted per bucket.
//! Around the path: [`limits`] (rate limits), [`health`] (probes behind the gRPC health
//! status), [`alerts`] (rules and their webhook), [`logging`] (text or JSON, rotated files).

pub mod alerts;
pub mod authorize;
pub mod buckets;
pub mod channels;
pub mod config;
pub mod descriptors;
pub mod earnings_service;
pub mod forward;
pub mod free_calls;
pub mod front;
pub mod health;
pub mod jobs;
pub mod leases;
pub mod limits;
pub mod logging;
pub mod mirror_watch;
pub mod modes;
pub mod proxy;
pub mod refusal;
pub mod repair;
pub mod run;
pub mod server;
pub mod signatures;
pub mod startup;
pub mod state_service;
pub mod tls;

pub use osiris_gateway_client::pb;
pub use run::{run, RunError};
