//! Free calls: a service's owner lets each consumer try the service with a number of free
//! calls per period. The consumer proves who it is with its payment key: the call carries
//! a Unix-millisecond timestamp and the key's signature over
//! `signing::channel::free_call_digest(escrow, org, service, timestamp)`, and the key
//! the signature recovers to is the consumer. [`decide_free`] is the one rule; the count
//! lives in PostgreSQL (`osiris-ledger`) so the service's replicas agree.
//!
//! A consumer's timestamps must rise (a captured header cannot be replayed to spend its
//! free calls) and be within `freshness_ms` of the gateway's clock.
//!
//! A payment key costs nothing to make, so a key alone is no identity worth an allowance:
//! where the gateway asks for it, a free call carries the provider's token for the
//! consumer's key ([`FreeCallToken`], checked by [`admit`]), and a budget for everyone
//! per period caps what all consumers together get (counted by the ledger).

use crate::refusal::Refusal;
use crate::signing::free_call_token::{FreeCallToken, TokenScope};
use crate::AccountId;
use osiris_contract_types::{PaymentSignature, SignerKey};

/// A free call's proof, from its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeCall {
    /// Unix milliseconds, signed.
    pub timestamp_ms: u64,
    /// The consumer's signature over the free-call digest.
    pub signature: PaymentSignature,
    /// The provider's voucher for the consumer's key, where the gateway asks for one.
    pub token: Option<FreeCallToken>,
}

impl FreeCall {
    /// The consumer key that signed this call for `org_id`/`service_id` under `escrow`;
    /// a malformed signature is a [`Refusal::BadMetadata`].
    pub fn caller(&self, escrow: &crate::AccountId, org_id: &str, service_id: &str) -> Result<SignerKey, Refusal> {
        let digest = crate::signing::channel::free_call_digest(escrow, org_id, service_id, self.timestamp_ms);
        crate::signing::channel::recover_signer(&self.signature, &digest).map_err(|e| Refusal::BadMetadata {
            header: crate::headers::SIGNATURE,
            reason: format!("not a free-call signature: {e}"),
        })
    }
}

/// A consumer's free calls in the current period, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreeCallState {
    /// Start of the period the count is for, Unix ms (a multiple of the period).
    pub period_start_ms: u64,
    /// Free calls used in that period.
    pub used: u64,
    /// The newest timestamp accepted from this consumer, Unix ms.
    pub last_timestamp_ms: u64,
}

/// What free calls are decided under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreeCallTerms {
    /// Free calls per consumer per period; 0 = the service offers none.
    pub per_period: u64,
    /// Length of a period, ms (periods start at multiples of it since the Unix epoch).
    pub period_ms: u64,
    /// How far a call's timestamp may be from `now_ms`, ms.
    pub freshness_ms: u64,
    /// The gateway's clock, Unix ms.
    pub now_ms: u64,
}

/// Who may have free calls, beyond a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission<'a> {
    /// Any consumer key (an allowance per key: farmable with fresh keys, bounded only by
    /// the budget for everyone).
    AnyKey,
    /// Keys the provider account vouched for with a token ([`FreeCallToken`]).
    Vouched { provider: &'a AccountId },
}

/// Whether a free call by `scope.consumer` (its signature verified) is admitted at `now_ms`
/// (Unix ms): with [`Admission::Vouched`], it needs an unexpired token the provider signed
/// for this consumer key and service.
pub fn admit(
    token: Option<&FreeCallToken>,
    scope: &TokenScope<'_>,
    admission: Admission<'_>,
    now_ms: u64,
) -> Result<(), Refusal> {
    let Admission::Vouched { provider } = admission else {
        return Ok(());
    };
    let token = token.ok_or(Refusal::FreeCallTokenRequired)?;
    if !token.signed_by(provider, scope) {
        return Err(Refusal::BadFreeCallToken {
            reason: format!("not signed by the provider {provider} for this consumer key and service"),
        });
    }
    if token.expires_at_ms < now_ms {
        return Err(Refusal::FreeCallTokenExpired { expired_at_ms: token.expires_at_ms, now_ms });
    }
    Ok(())
}

/// Start of the period `timestamp_ms` falls in, Unix ms: periods of `period_ms` start at
/// multiples of it since the epoch (a period of 0 counts as 1 ms). The consumer's count and
/// the group's budget both use it.
pub fn period_start(timestamp_ms: u64, period_ms: u64) -> u64 {
    timestamp_ms - timestamp_ms % period_ms.max(1)
}

/// Decides one free call at `timestamp_ms` by a consumer whose stored count is `stored`
/// (`None`: no free call yet); the count after the call, or why it is refused.
pub fn decide_free(
    timestamp_ms: u64,
    stored: Option<&FreeCallState>,
    terms: &FreeCallTerms,
) -> Result<FreeCallState, Refusal> {
    if terms.per_period == 0 || terms.period_ms == 0 {
        return Err(Refusal::NoFreeCalls);
    }
    if timestamp_ms.abs_diff(terms.now_ms) > terms.freshness_ms {
        return Err(Refusal::StaleFreeCall { timestamp_ms, now_ms: terms.now_ms, freshness_ms: terms.freshness_ms });
    }
    let period_start_ms = period_start(timestamp_ms, terms.period_ms);
    let used = match stored {
        Some(state) if timestamp_ms <= state.last_timestamp_ms => {
            return Err(Refusal::ReplayedFreeCall { timestamp_ms, last_ms: state.last_timestamp_ms })
        }
        Some(state) if state.period_start_ms == period_start_ms => state.used,
        _ => 0,
    };
    if used >= terms.per_period {
        return Err(Refusal::FreeCallsUsedUp {
            used,
            per_period: terms.per_period,
            next_period_ms: period_start_ms.saturating_add(terms.period_ms),
        });
    }
    Ok(FreeCallState { period_start_ms, used: used + 1, last_timestamp_ms: timestamp_ms })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HOUR: u64 = 3_600_000;

    fn terms(now_ms: u64) -> FreeCallTerms {
        FreeCallTerms { per_period: 3, period_ms: HOUR, freshness_ms: 60_000, now_ms }
    }

    #[test]
    fn three_free_calls_an_hour_then_refusals_until_the_next_hour() {
        let start = 100 * HOUR;
        let mut state = None;
        for i in 1..=3 {
            let next = decide_free(start + i, state.as_ref(), &terms(start)).unwrap();
            assert_eq!(next.used, i);
            state = Some(next);
        }
        let refusal = decide_free(start + 4, state.as_ref(), &terms(start)).unwrap_err();
        assert_eq!(refusal, Refusal::FreeCallsUsedUp { used: 3, per_period: 3, next_period_ms: start + HOUR });
        let next_hour = start + HOUR + 5;
        let next = decide_free(next_hour, state.as_ref(), &terms(next_hour)).unwrap();
        assert_eq!((next.period_start_ms, next.used), (start + HOUR, 1));
    }

    #[test]
    fn replays_stale_timestamps_and_services_without_free_calls_are_refused() {
        let now = 100 * HOUR + 10;
        let state = decide_free(now, None, &terms(now)).unwrap();
        assert!(matches!(decide_free(now, Some(&state), &terms(now)), Err(Refusal::ReplayedFreeCall { .. })));
        assert!(matches!(decide_free(now - 1, Some(&state), &terms(now)), Err(Refusal::ReplayedFreeCall { .. })));
        assert!(matches!(decide_free(now + 120_000, None, &terms(now)), Err(Refusal::StaleFreeCall { .. })));
        let none = FreeCallTerms { per_period: 0, ..terms(now) };
        assert_eq!(decide_free(now, None, &none), Err(Refusal::NoFreeCalls));
    }

    #[test]
    fn a_vouched_service_admits_only_keys_its_provider_signed_for_until_they_expire() {
        use crate::signing::account::AccountKey;
        let bob = AccountKey::from_uri("//Bob").unwrap();
        let provider = bob.account();
        let escrow = AccountId::from([5; 32]);
        let (carol, farmer) = ([2; 33], [7; 33]);
        let scope = |consumer| TokenScope { escrow: &escrow, org_id: "acme", service_id: "primes", consumer };
        let token = FreeCallToken::issue(&bob, &scope(&carol), 10_000);
        let vouched = Admission::Vouched { provider: &provider };
        assert_eq!(admit(Some(&token), &scope(&carol), vouched, 9_000), Ok(()));
        assert_eq!(admit(None, &scope(&farmer), vouched, 9_000), Err(Refusal::FreeCallTokenRequired));
        assert!(
            matches!(admit(Some(&token), &scope(&farmer), vouched, 9_000), Err(Refusal::BadFreeCallToken { .. })),
            "Carol's token is worth nothing to another key"
        );
        let self_made = FreeCallToken::issue(&AccountKey::from_uri("//Mallory").unwrap(), &scope(&farmer), 10_000);
        assert!(matches!(
            admit(Some(&self_made), &scope(&farmer), vouched, 9_000),
            Err(Refusal::BadFreeCallToken { .. })
        ));
        assert_eq!(
            admit(Some(&token), &scope(&carol), vouched, 10_001),
            Err(Refusal::FreeCallTokenExpired { expired_at_ms: 10_000, now_ms: 10_001 })
        );
        assert_eq!(admit(None, &scope(&farmer), Admission::AnyKey, 9_000), Ok(()));
    }

    proptest! {
        /// Whatever order timestamps arrive in, no period counts more than `per_period`
        /// accepted calls, and accepted timestamps strictly rise.
        #[test]
        fn never_more_than_the_allowance_per_period(steps in proptest::collection::vec(0u64..(3 * HOUR), 1..200)) {
            let base = 1_000 * HOUR;
            let mut state: Option<FreeCallState> = None;
            let mut per_period = std::collections::HashMap::<u64, u64>::new();
            let mut accepted = 0;
            for step in steps {
                let timestamp = base + step;
                let terms = FreeCallTerms { freshness_ms: 3 * HOUR, ..terms(timestamp) };
                if let Ok(next) = decide_free(timestamp, state.as_ref(), &terms) {
                    prop_assert!(state.is_none_or(|s| next.last_timestamp_ms > s.last_timestamp_ms));
                    *per_period.entry(next.period_start_ms).or_default() += 1;
                    accepted += 1;
                    state = Some(next);
                }
            }
            // The first call is always fresh and new.
            prop_assert!(accepted >= 1);
            prop_assert!(per_period.values().all(|&n| n <= 3));
            prop_assert_eq!(per_period.values().sum::<u64>(), accepted);
        }
    }
}
