//! Rate limits: token buckets (governor) checked before anything costly. A paid call over
//! the global limit, or over its consumer's (the channel's signer, or the agreement's
//! consumer key), is answered RESOURCE_EXHAUSTED before its signature is checked or its
//! payment stored, so it costs the consumer nothing; the gateway's free endpoints (service
//! info, channel and agreement state, health, jobs) have a limit of their own, so that
//! refusals cannot be used to load the database.

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
}

/// Free-endpoint calls per second allowed by default: far above what consumers and
/// health checkers need, far below what would load the database.
pub const DEFAULT_FREE_PER_SEC: u32 = 2_000;

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            global_per_sec: 0,
            global_burst: 0,
            consumer_per_sec: 0,
            consumer_burst: 0,
            free_per_sec: DEFAULT_FREE_PER_SEC,
            free_burst: 0,
        }
    }
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

    /// Forgets consumers whose buckets are full again (keeps the keyed state small).
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.consumer {
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
        });
        assert_eq!((0..5).filter(|_| limits.paid_call().is_ok()).count(), 3);
        let (alice, bob) = ([2; 33], [3; 33]);
        assert_eq!((0..5).filter(|_| limits.consumer_call(&alice).is_ok()).count(), 2);
        assert!(limits.consumer_call(&bob).is_ok(), "one consumer's bucket is not another's");
        assert!(matches!(limits.consumer_call(&alice), Err(Refusal::RateLimited { scope: "consumer", .. })));
        assert!((0..10_000).all(|_| limits.own_path().is_ok()), "a rate of 0 is no limit");
    }
}
