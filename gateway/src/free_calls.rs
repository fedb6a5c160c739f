//! `[free_calls]`: the free calls a gateway gives each consumer of its service, decided by
//! `osiris_payments::free_calls::decide_free` and counted in the shared database
//! (`osiris_ledger::FreeCallStore`), so all replicas of the service agree.
//!
//! A payment key costs nothing to make; by default a free call needs the provider's token
//! for the consumer's key (`need_token`, checked by `osiris_payments::free_calls::admit`;
//! the provider issues one with `osiris free-call token`), and all consumers together get
//! at most `budget_per_period` free calls per period (`osiris_ledger::free_call_budget`,
//! shared by the gateway group's replicas).

use osiris_chain::AccountId;
use osiris_contract_types::SignerKey;
use osiris_ledger::free_call_budget::Budget;
use osiris_ledger::FreeCallStore;
use osiris_payments::deal::CheckedFreeCall;
use osiris_payments::free_calls::{admit, period_start, Admission, FreeCall, FreeCallState, FreeCallTerms};
use osiris_payments::signing::free_call_token::TokenScope;
use osiris_payments::Refusal;
use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};

/// Default length of a free-call period, seconds (a day).
pub const DEFAULT_PERIOD_SECS: u64 = 86_400;
/// Default distance allowed between a free call's timestamp and the gateway's clock, ms.
pub const DEFAULT_FRESHNESS_MS: u64 = 60_000;
/// Default free calls for all consumers together per period (per gateway group).
pub const DEFAULT_BUDGET_PER_PERIOD: u64 = 10_000;

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
    /// Whether a free call needs the provider's token for the consumer's key (the default).
    /// Off, any fresh key gets an allowance: only the budget bounds what farming yields.
    pub need_token: bool,
    /// Free calls for all consumers together per period, shared by the gateway group's
    /// replicas; 0 = no cap.
    pub budget_per_period: u64,
}

impl Default for FreeCallsConfig {
    fn default() -> Self {
        Self {
            per_period: 0,
            period_secs: DEFAULT_PERIOD_SECS,
            freshness_ms: DEFAULT_FRESHNESS_MS,
            need_token: true,
            budget_per_period: DEFAULT_BUDGET_PER_PERIOD,
        }
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
    /// The provider account whose tokens vouch for consumers (the group's recipient).
    pub provider: AccountId,
    /// The group's budget for everyone, when capped.
    pub budget: Option<Budget>,
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl FreeCalls {
    /// The consumer key that signed `call`.
    pub fn caller(&self, call: &FreeCall) -> Result<SignerKey, Refusal> {
        call.caller(&self.escrow, &self.org_id, &self.service_id)
    }

    /// Whether `caller` (its signature verified) may have free calls at all: the
    /// provider's token for its key, when the configuration asks for one.
    pub fn admit(&self, caller: &SignerKey, call: &FreeCall) -> Result<(), Refusal> {
        let scope =
            TokenScope { escrow: &self.escrow, org_id: &self.org_id, service_id: &self.service_id, consumer: caller };
        let admission =
            if self.config.need_token { Admission::Vouched { provider: &self.provider } } else { Admission::AnyKey };
        admit(call.token.as_ref(), &scope, admission, now_ms())
    }

    /// Decides and counts one free call by `caller` (its signature verified, admitted):
    /// one call from the group's budget for the period, then the consumer's own count (the
    /// budget's call is given back if that refuses).
    pub async fn accept(&self, caller: &SignerKey, call: &FreeCall) -> Result<FreeCallState, Refusal> {
        let terms = FreeCallTerms {
            per_period: self.config.per_period,
            period_ms: self.config.period_secs.saturating_mul(1_000),
            freshness_ms: self.config.freshness_ms,
            now_ms: now_ms(),
        };
        let period_start_ms = period_start(call.timestamp_ms, terms.period_ms);
        let pool = self.store.pool();
        if let Some(budget) = &self.budget {
            if !budget.take(pool, period_start_ms).await.map_err(|e| Refusal::Unavailable(e.to_string()))? {
                return Err(Refusal::FreeCallBudgetSpent {
                    budget: budget.per_period,
                    next_period_ms: period_start_ms.saturating_add(terms.period_ms),
                });
            }
        }
        let checked = CheckedFreeCall { caller: *caller, timestamp_ms: call.timestamp_ms };
        let accepted = self.store.accept(checked, std::sync::Arc::new(()), terms).await;
        if let (Err(_), Some(budget)) = (&accepted, &self.budget) {
            if let Err(e) = budget.give_back(pool, period_start_ms).await {
                tracing::warn!("a refused free call's budget share not given back (one call of the budget lost): {e}");
            }
        }
        accepted
    }
}
