//! # osiris-gateway-client
//!
//! The consumer's side of an Osiris gateway, without the server: the gateway's own gRPC
//! API ([`pb`], generated from proto/osiris/gateway/v1), a service's API read from the
//! descriptor set the gateway serves ([`api`]), a client that attaches payments to calls
//! ([`client`]) and the bookkeeping of one payment channel or service agreement ([`payer`]);
//! a service's metadata document ([`document`]);
//! and for ddc buckets, objects placed and replicated over a cluster's nodes ([`storage`]).

pub mod api;
pub mod client;
pub mod document;
pub mod payer;
pub mod sealed;
pub mod storage;

/// Generated code of proto/osiris/gateway/v1/gateway.proto (clients and servers), and of
/// the ddc nodes' object store, proto/osiris/storage/v1/objects.proto, in [`pb::storage`].
pub mod pb {
    tonic::include_proto!("osiris.gateway.v1");

    pub mod storage {
        tonic::include_proto!("osiris.storage.v1");
    }
}

pub use api::Api;
pub use client::{find_method, ClientError, GatewayClient, MethodError};
pub use payer::{AgreementPayer, ChannelPayer, FreeCaller};
