//! # Test harness
//!
//! End-to-end tests run against the real thing: a `substrate-contracts-node --dev`
//! of their own on free ports, the Osiris contracts deployed to it, and a fresh
//! PostgreSQL database of their own. Everything is torn down when the handle is
//! dropped, also when the test fails; processes also die with the test process.
//!
//! ```no_run
//! # async fn story() {
//! let osiris = osiris_e2e::Osiris::start().await;
//! let bob = osiris_e2e::actor("//Bob");
//! osiris.escrow().deposit(&bob, 1_000).await.unwrap();
//! # }
//! ```

mod chain;
mod db;
mod grpc;
mod market;
mod process;
mod storage;
mod world;

pub use chain::TestChain;
pub use db::TestDatabase;
pub use grpc::refusal_code;
pub use market::{
    example_service, gateway_when_up, payment_key, proto_root, provider_account, spawn_gateway_process,
    spawn_miscounting_text, spawn_primes, spawn_text, Market, Offer, RunningGateway, CONSUMER, PROVIDER,
};
pub use process::{die_with_parent, logged_address, logged_address_of};
pub use storage::{spawn_object_store, ObjectStore};
pub use world::{actor, actor_account, condition, Osiris, UNIT};
