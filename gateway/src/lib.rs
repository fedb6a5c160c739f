//! The Osiris gateway: a sidecar in front of a provider's service that sells calls over
//! escrow payment channels.
//!
//! A call's path: [`server`] accepts HTTP/2 (gRPC); [`authorize`] reads the payment
//! [`metadata`], checks it against the [`channels`] cache (the indexer's mirror, refreshed
//! on its NOTIFY) and stores the accepted authorization with a compare-and-set in
//! [`payments`] before anything is forwarded; [`proxy`] then passes the call through
//! (`grpc`), translates it (`jsonrpc`) or runs a process (`process`). [`claims`] turns the
//! stored authorizations into on-chain `multi_channel_claim`s; [`state_service`] serves the
//! gateway's own gRPC APIs (proto/osiris/gateway/v1).

pub mod authorize;
pub mod channels;
pub mod claims;
pub mod client;
pub mod config;
pub mod descriptors;
pub mod metadata;
pub mod payments;
pub mod proxy;
pub mod refusal;
pub mod server;
pub mod startup;
pub mod state_service;

/// Generated code of proto/osiris/gateway/v1/gateway.proto.
pub mod pb {
    tonic::include_proto!("osiris.gateway.v1");
}

pub use osiris_contract_types::{Balance, BlockNumber, ChannelId, Nonce};
