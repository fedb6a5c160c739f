//! `[free_calls]`: the free calls a gateway gives each consumer of its service, decided by
//! `osiris_payments::free_calls::decide_free` and counted in the shared database
//! (`osiris_payments::free_call_store`), so all replicas of the service agree.

use osiris_chain::AccountId;
use osiris_contract_types::SignerKey;
use osiris_ledger::FreeCallStore;
use osiris_payments::deal::CheckedFreeCall;
use osiris_payments::free_calls::{FreeCall, FreeCallState, FreeCallTerms};
use osiris_payments::Refusal;
use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};

/// Default length of a free-call period, seconds (a day).
pub const DEFAULT_PERIOD_SECS: u64 = 86_400;
/// Default distance allowed between a free call's timestamp and the gateway's clock, ms.
pub const DEFAULT_FRESHNESS_MS: u64 = 60_000;

/// `[free_calls]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FreeCallsConfig {
    /// Free calls per consumer per period; 0 (the default) offers none.
    pub per_period: u64,
    /// Length of a period, seconds; periods start at multiples of it since the Unix epoch (UTC).
    pub period_secs: u64,
    /// How far a free call's signed timestamp may be from the gateway's clock, ms.
    pub freshness_ms: u64,
}

impl Default for FreeCallsConfig {
    fn default() -> Self {
        Self { per_period: 0, period_secs: DEFAULT_PERIOD_SECS, freshness_ms: DEFAULT_FRESHNESS_MS }
    }
}

/// The free calls of this gateway's service.
#[derive(Debug, Clone)]
pub struct FreeCalls {
    pub config: FreeCallsConfig,
    pub store: FreeCallStore,
    /// The escrow contract the signatures are bound to.
    pub escrow: AccountId,
    pub org_id: String,
    pub service_id: String,
}

impl FreeCalls {
    /// The consumer key that signed `call`.
    pub fn caller(&self, call: &FreeCall) -> Result<SignerKey, Refusal> {
        call.caller(&self.escrow, &self.org_id, &self.service_id)
    }

    /// Decides and counts one free call by `caller` (its signature verified).
    pub async fn accept(&self, caller: &SignerKey, call: &FreeCall) -> Result<FreeCallState, Refusal> {
        let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        let terms = FreeCallTerms {
            per_period: self.config.per_period,
            period_ms: self.config.period_secs.saturating_mul(1_000),
            freshness_ms: self.config.freshness_ms,
            now_ms,
        };
        let call = CheckedFreeCall { caller: *caller, timestamp_ms: call.timestamp_ms };
        self.store.accept(call, std::sync::Arc::new(()), terms).await
    }
}
