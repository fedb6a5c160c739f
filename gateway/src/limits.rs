//! Rate limits: token buckets (governor), in memory, checked before anything costly.
//!
//! - **Per peer address and per connection**, first of all, for every request (paid
//!   calls, requests within a bucket, the free endpoints): what a stranger can make the
//!   gateway do before any signature is checked — a signature recovery, a mirror query —
//!   is bounded by its address's and its connection's buckets, so forged payments cannot
//!   load the gateway for everyone else.
//! - **Global**, for paid calls.
//! - **Per consumer** (the channel's signer, or the agreement's consumer key), charged only
//!   once the payment's signature verified, so a stranger's forgeries on a victim's public
//!   channel id cannot use up the victim's limit.
//! - **Free endpoints** (service info, channel and agreement state, health, jobs) together,
//!   so that refusals cannot be used to load the database.
//!
//! A request over a limit is answered RESOURCE_EXHAUSTED before its payment is stored, so it
//! costs the consumer nothing.

use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use osiris_contract_types::SignerKey;
use osiris_payments::Refusal;
use serde::{Deserialize, Serialize};
use std::num::NonZeroU32;

/// The `[rate_limit]` section: calls per second and burst sizes; a rate of 0 turns a
/// limit off, a burst of 0 means one second's worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimitConfig {
    /// Paid calls per second across all consumers.
    pub global_per_sec: u32,
    pub global_burst: u32,
    /// Paid calls per second of one consumer.
    pub consumer_per_sec: u32,
    pub consumer_burst: u32,
    /// Calls per second to the gateway's free endpoints, all callers together.
    pub free_per_sec: u32,
    pub free_burst: u32,
    /// Requests per second from one peer IP address (every request, before any signature).
    pub address_per_sec: u32,
    pub address_burst: u32,
    /// Requests per second on one connection (every request, before any signature).
    pub connection_per_sec: u32,
    pub connection_burst: u32,
}

/// Free-endpoint calls per second allowed by default: far above what consumers and
/// health checkers need, far below what would load the database.
pub const DEFAULT_FREE_PER_SEC: u32 = 2_000;
/// Requests per second one peer address may make by default: well above what one
/// consumer's client sends, and a bound on the signature checks a stranger can cause.
/// (Behind a reverse proxy every request has the proxy's address: raise it or turn it off.)
pub const DEFAULT_ADDRESS_PER_SEC: u32 = 5_000;
/// Requests per second on one connection by default.
pub const DEFAULT_CONNECTION_PER_SEC: u32 = 2_500;
/// Default bursts of the address and connection limits: two seconds' worth.
const DEFAULT_PEER_BURST_SECS: u32 = 2;

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            global_per_sec: 0,
            global_burst: 0,
            consumer_per_sec: 0,
            consumer_burst: 0,
            free_per_sec: DEFAULT_FREE_PER_SEC,
            free_burst: 0,
            address_per_sec: DEFAULT_ADDRESS_PER_SEC,
            address_burst: DEFAULT_ADDRESS_PER_SEC * DEFAULT_PEER_BURST_SECS,
            connection_per_sec: DEFAULT_CONNECTION_PER_SEC,
            connection_burst: DEFAULT_CONNECTION_PER_SEC * DEFAULT_PEER_BURST_SECS,
        }
    }
}

impl RateLimitConfig {
    /// Only the global, consumer and free-endpoint limits given; the address and connection
    /// limits off (for tests and benchmarks that send everything from one address).
    pub fn without_peer_limits(self) -> Self {
        Self { address_per_sec: 0, address_burst: 0, connection_per_sec: 0, connection_burst: 0, ..self }
    }
}

/// Where a request came from, as the port saw it: put in each request's extensions by
/// [`crate::front`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    /// The peer's address (the TCP connection's remote end).
    pub address: std::net::IpAddr,
    /// This process's number for the connection, unique while it runs.
    pub connection: u64,
}

fn quota(per_sec: u32, burst: u32) -> Option<Quota> {
    let rate = NonZeroU32::new(per_sec)?;
    Some(Quota::per_second(rate).allow_burst(NonZeroU32::new(burst).unwrap_or(rate)))
}

/// The gateway's limiters.
pub struct RateLimits {
    config: RateLimitConfig,
    global: Option<DefaultDirectRateLimiter>,
    consumer: Option<DefaultKeyedRateLimiter<SignerKey>>,
    free: Option<DefaultDirectRateLimiter>,
    address: Option<DefaultKeyedRateLimiter<std::net::IpAddr>>,
    connection: Option<DefaultKeyedRateLimiter<u64>>,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits").field("config", &self.config).finish()
    }
}

impl RateLimits {
    pub fn new(config: RateLimitConfig) -> Self {
        Self {
            config,
            global: quota(config.global_per_sec, config.global_burst).map(RateLimiter::direct),
            consumer: quota(config.consumer_per_sec, config.consumer_burst).map(RateLimiter::keyed),
            free: quota(config.free_per_sec, config.free_burst).map(RateLimiter::direct),
            address: quota(config.address_per_sec, config.address_burst).map(RateLimiter::keyed),
            connection: quota(config.connection_per_sec, config.connection_burst).map(RateLimiter::keyed),
        }
    }

    /// One request from `peer`, of any kind, against its address's and its connection's
    /// limits; checked before anything else is done for it.
    pub fn peer(&self, peer: &Peer) -> Result<(), Refusal> {
        // The connection first: a connection over its limit takes none of its address's tokens.
        if let Some(limiter) = &self.connection {
            if limiter.check_key(&peer.connection).is_err() {
                return Err(Self::refused("connection", self.config.connection_per_sec));
            }
        }
        match &self.address {
            Some(limiter) if limiter.check_key(&peer.address).is_err() => {
                Err(Self::refused("address", self.config.address_per_sec))
            }
            _ => Ok(()),
        }
    }

    fn refused(scope: &'static str, per_sec: u32) -> Refusal {
        metrics::counter!("osiris_gateway_rate_limited_total", "scope" => scope).increment(1);
        Refusal::RateLimited { scope, per_sec }
    }

    /// One paid call against the global limit.
    pub fn paid_call(&self) -> Result<(), Refusal> {
        match &self.global {
            Some(limiter) if limiter.check().is_err() => Err(Self::refused("global", self.config.global_per_sec)),
            _ => Ok(()),
        }
    }

    /// One paid call of the consumer whose key is `consumer` against its limit.
    pub fn consumer_call(&self, consumer: &SignerKey) -> Result<(), Refusal> {
        match &self.consumer {
            Some(limiter) if limiter.check_key(consumer).is_err() => {
                Err(Self::refused("consumer", self.config.consumer_per_sec))
            }
            _ => Ok(()),
        }
    }

    /// One request to one of the gateway's own paths (no payment) against their limit.
    pub fn own_path(&self) -> Result<(), Refusal> {
        match &self.free {
            Some(limiter) if limiter.check().is_err() => Err(Self::refused("free", self.config.free_per_sec)),
            _ => Ok(()),
        }
    }

    /// Forgets consumers, addresses and connections whose buckets are full again (keeps the
    /// keyed state small).
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.consumer {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Some(limiter) = &self.address {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Some(limiter) = &self.connection {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_limit_refuses_beyond_its_burst_and_off_means_off() {
        let limits = RateLimits::new(RateLimitConfig {
            global_per_sec: 1,
            global_burst: 3,
            consumer_per_sec: 1,
            consumer_burst: 2,
            free_per_sec: 0,
            free_burst: 0,
            ..RateLimitConfig::default().without_peer_limits()
        });
        assert_eq!((0..5).filter(|_| limits.paid_call().is_ok()).count(), 3);
        let (alice, bob) = ([2; 33], [3; 33]);
        assert_eq!((0..5).filter(|_| limits.consumer_call(&alice).is_ok()).count(), 2);
        assert!(limits.consumer_call(&bob).is_ok(), "one consumer's bucket is not another's");
        assert!(matches!(limits.consumer_call(&alice), Err(Refusal::RateLimited { scope: "consumer", .. })));
        assert!((0..10_000).all(|_| limits.own_path().is_ok()), "a rate of 0 is no limit");
        let anyone = Peer { address: [10, 0, 0, 1].into(), connection: 1 };
        assert!((0..10_000).all(|_| limits.peer(&anyone).is_ok()), "peer limits off");
    }

    #[test]
    fn an_address_and_a_connection_each_have_their_own_bucket() {
        let limits = RateLimits::new(RateLimitConfig {
            address_per_sec: 1,
            address_burst: 4,
            connection_per_sec: 1,
            connection_burst: 2,
            ..RateLimitConfig::default()
        });
        let mallory = |connection| Peer { address: [10, 0, 0, 66].into(), connection };
        let alice = Peer { address: [10, 0, 0, 1].into(), connection: 9 };
        // One connection runs out at 2; Mallory's connections together at her address's 4.
        assert_eq!((0..5).filter(|_| limits.peer(&mallory(1)).is_ok()).count(), 2);
        assert!(matches!(limits.peer(&mallory(1)), Err(Refusal::RateLimited { scope: "connection", .. })));
        // Its refused attempts took none of the address's tokens: a second connection gets 2.
        assert_eq!((0..5).filter(|_| limits.peer(&mallory(2)).is_ok()).count(), 2);
        assert!(matches!(limits.peer(&mallory(3)), Err(Refusal::RateLimited { scope: "address", .. })));
        assert!(limits.peer(&alice).is_ok(), "another address is not slowed by Mallory");
    }
}
