//! Agreement-backed calls: a consumer with an active service agreement pays each call with
//! a **metering record** instead of a channel payment, and [`decide_metered`] is **the**
//! rule that says whether it passes (the gateway's early check and the metering store's
//! conditional write both call it; SQL writes what it decided).
//!
//! A record is cumulative — (agreement id, units counted so far, planck owed for them),
//! signed by the consumer's agreement key over `metering_message` (the bytes the contract's
//! `settle_metering` checks) — so the latest one supersedes every earlier one and settling
//! it on chain pays exactly once. The gateway meters one unit per call:
//!
//! - **metered offer** (`price_per_unit` p): a record must count at least one unit more than
//!   the last accepted one and owe at least p more; it may owe no more than units × p (what
//!   the contract would settle) nor more than what was settled plus what is locked;
//! - **flat offer**: the record's amount is 0 and its units are a call counter that must
//!   rise (so a captured record cannot be replayed).
//!
//! In both cases the agreement must be active, be for this gateway's service and provider,
//! have its payment locked (when its template locks one), and no unfulfilled condition may
//! time out within the expiry threshold (after a timeout the consumer may take a refund).

use crate::facts::{kind_name, state_name, AgreementFacts};
use crate::refusal::Refusal;
use osiris_contract_types::agreements::{AgreementId, AgreementState, ConditionKind, ConditionState};
use osiris_contract_types::{Balance, PaymentSignature};

/// A consumer's cumulative metering record, paying for one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeteringRecord {
    pub agreement_id: AgreementId,
    /// Units counted so far (the gateway counts one per call).
    pub units: u64,
    /// Planck owed for `units`, cumulative (0 for a flat-priced agreement).
    pub amount: Balance,
    /// 65-byte recoverable secp256k1 signature over
    /// `blake2_256(metering_message(contract, agreement_id, units, amount))`.
    pub signature: PaymentSignature,
}

impl MeteringRecord {
    /// Whether the record is signed by the agreement's consumer key for the agreements
    /// contract `contract` (the check `settle_metering` makes on chain).
    pub fn is_signed_by(&self, facts: &AgreementFacts, contract: &crate::AccountId) -> bool {
        crate::signing::agreement::is_metering_signed_by(
            &self.signature,
            &facts.consumer_key,
            contract,
            &self.agreement_id,
            self.units,
            self.amount,
        )
    }
}

/// The latest accepted metering record of an agreement, as the metering store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeteringState {
    pub agreement_id: AgreementId,
    pub units: u64,
    /// Planck, cumulative.
    pub amount: Balance,
    pub signature: PaymentSignature,
    /// Calls served under the agreement by the gateways sharing the store.
    pub calls: u64,
}

/// What an agreement's calls are decided under besides the agreement itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceTerms {
    pub org_id: String,
    pub service_id: String,
    /// The provider (SS58) this gateway is paid as.
    pub provider: String,
    /// The last finalized block the mirror holds.
    pub finalized_block: u64,
    /// Blocks every unfulfilled condition must stay open beyond `finalized_block`.
    pub expiry_threshold: u32,
}

/// The agreement id as the refusals and the API show it: `0x` + 64 hex digits.
pub fn id_text(agreement_id: &AgreementId) -> String {
    format!("0x{}", hex::encode(agreement_id))
}

/// Whether the agreement `facts` may be served now by this gateway (`terms`): it is for
/// this service and provider, active, its payment locked (when its template locks one), and
/// no unfulfilled condition times out within the expiry threshold. Part of
/// [`decide_metered`]; compute jobs start under the same rule.
pub fn check_agreement(facts: &AgreementFacts, terms: &ServiceTerms) -> Result<(), Refusal> {
    let agreement_id = id_text(&facts.agreement_id);
    if facts.org_id != terms.org_id || facts.service_id != terms.service_id || facts.provider != terms.provider {
        return Err(Refusal::ForeignAgreement {
            agreement_id,
            org_id: facts.org_id.clone(),
            service_id: facts.service_id.clone(),
            provider: facts.provider.clone(),
        });
    }
    if facts.state != AgreementState::Active {
        return Err(Refusal::AgreementInactive { agreement_id, state: state_name(facts.state) });
    }
    // The consumer terminated: what is left is the provider's settlement window, not service.
    if facts.settle_until.is_some() {
        return Err(Refusal::AgreementInactive { agreement_id, state: "terminating" });
    }
    let lock = facts.conditions.iter().find(|c| c.kind == ConditionKind::LockPayment);
    if lock.is_some_and(|c| c.state != ConditionState::Fulfilled) {
        return Err(Refusal::PaymentNotLocked { agreement_id });
    }
    let needed = terms.finalized_block.saturating_add(u64::from(terms.expiry_threshold));
    if let Some(c) = facts
        .conditions
        .iter()
        .filter(|c| c.state == ConditionState::Unfulfilled)
        .find(|c| u64::from(c.deadline) < needed)
    {
        return Err(Refusal::AgreementExpiring {
            agreement_id,
            condition: kind_name(c.kind),
            deadline: c.deadline,
            needed,
            current: terms.finalized_block,
            threshold: terms.expiry_threshold,
        });
    }
    Ok(())
}

/// Decides `record` for one call under the agreement `facts` (the mirror's view) whose
/// latest stored record is `stored`. Returns the state after the call, or why it does not
/// pass. Pure; the signature is checked by the caller before a decision is written.
pub fn decide_metered(
    record: &MeteringRecord,
    facts: &AgreementFacts,
    stored: Option<&MeteringState>,
    terms: &ServiceTerms,
) -> Result<MeteringState, Refusal> {
    check_agreement(facts, terms)?;
    // The last record: the store's, or the chain's settled one if that is ahead (it never
    // is for records this store accepted, but a provider may settle from elsewhere).
    let (last_units, last_amount) = match stored {
        Some(s) if s.units >= facts.metered_units => (s.units, s.amount.max(facts.metered_amount)),
        _ => (facts.metered_units, facts.metered_amount),
    };
    let replayed = || Refusal::ReplayedRecord { units: record.units, amount: record.amount, last_units, last_amount };
    if record.units <= last_units {
        return Err(replayed());
    }
    let at_most = match facts.price_per_unit {
        Some(price) => u128::from(record.units).saturating_mul(price),
        None => 0,
    };
    if record.amount > at_most {
        return Err(Refusal::MeteringOverPrice { units: record.units, amount: record.amount, at_most });
    }
    if let Some(price) = facts.price_per_unit {
        if record.amount <= last_amount {
            return Err(replayed());
        }
        let increment = record.amount - last_amount;
        if increment < price {
            return Err(Refusal::MeteringUnderpaid { amount: record.amount, last_amount, increment, price });
        }
        let unsettled = record.amount - facts.metered_amount.min(record.amount);
        if unsettled > facts.locked {
            return Err(Refusal::MeteringExceedsLocked {
                agreement_id: id_text(&record.agreement_id),
                amount: record.amount,
                settled: facts.metered_amount,
                locked: facts.locked,
            });
        }
    }
    Ok(MeteringState {
        agreement_id: record.agreement_id,
        units: record.units,
        amount: record.amount,
        signature: record.signature,
        calls: stored.map_or(0, |s| s.calls).saturating_add(1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::ConditionFacts;
    use proptest::prelude::*;

    const PRICE: Balance = 10;
    const ID: AgreementId = [1; 32];

    fn terms() -> ServiceTerms {
        ServiceTerms {
            org_id: "acme".into(),
            service_id: "stats".into(),
            provider: "alice".into(),
            finalized_block: 100,
            expiry_threshold: 20,
        }
    }

    fn condition(kind: ConditionKind, state: ConditionState, deadline: u32) -> ConditionFacts {
        ConditionFacts { kind, state, deadline }
    }

    fn facts(price_per_unit: Option<Balance>) -> AgreementFacts {
        AgreementFacts {
            agreement_id: ID,
            consumer: "dave".into(),
            consumer_key: [2; 33],
            provider: "alice".into(),
            org_id: "acme".into(),
            service_id: "stats".into(),
            state: AgreementState::Active,
            locked: 100,
            metered_units: 0,
            metered_amount: 0,
            price_per_unit,
            metering_unit: price_per_unit.map(|_| "call".into()),
            conditions: vec![
                condition(ConditionKind::LockPayment, ConditionState::Fulfilled, 50),
                condition(ConditionKind::ReleasePayment, ConditionState::Unfulfilled, 1_000),
            ],
            settle_until: None,
            updated_block: 10,
        }
    }

    fn record(units: u64, amount: Balance) -> MeteringRecord {
        MeteringRecord { agreement_id: ID, units, amount, signature: [7; 65] }
    }

    fn stored(units: u64, amount: Balance) -> MeteringState {
        MeteringState { agreement_id: ID, units, amount, signature: [7; 65], calls: units }
    }

    #[test]
    fn metered_calls_rise_by_a_unit_and_its_price() {
        let f = facts(Some(PRICE));
        let first = decide_metered(&record(1, 10), &f, None, &terms()).unwrap();
        assert_eq!((first.units, first.amount, first.calls), (1, 10, 1));
        let next = decide_metered(&record(2, 20), &f, Some(&first), &terms()).unwrap();
        assert_eq!((next.units, next.amount, next.calls), (2, 20, 2));
        assert!(matches!(
            decide_metered(&record(2, 20), &f, Some(&next), &terms()),
            Err(Refusal::ReplayedRecord { .. })
        ));
        assert!(matches!(
            decide_metered(&record(3, 20), &f, Some(&next), &terms()),
            Err(Refusal::ReplayedRecord { .. })
        ));
        assert!(matches!(
            decide_metered(&record(3, 25), &f, Some(&next), &terms()),
            Err(Refusal::MeteringUnderpaid { increment: 5, .. })
        ));
        assert!(matches!(
            decide_metered(&record(3, 31), &f, Some(&next), &terms()),
            Err(Refusal::MeteringOverPrice { at_most: 30, .. })
        ));
    }

    #[test]
    fn a_record_cannot_owe_more_than_is_locked() {
        let mut f = facts(Some(PRICE));
        f.metered_units = 5;
        f.metered_amount = 50;
        f.locked = 30;
        assert!(decide_metered(&record(8, 80), &f, Some(&stored(5, 50)), &terms()).is_ok());
        assert!(matches!(
            decide_metered(&record(9, 90), &f, Some(&stored(8, 80)), &terms()),
            Err(Refusal::MeteringExceedsLocked { settled: 50, locked: 30, .. })
        ));
        // A settled record on chain ahead of the store is the baseline.
        assert!(matches!(decide_metered(&record(4, 60), &f, None, &terms()), Err(Refusal::ReplayedRecord { .. })));
    }

    #[test]
    fn flat_agreements_count_calls_and_owe_nothing_per_call() {
        let f = facts(None);
        let first = decide_metered(&record(1, 0), &f, None, &terms()).unwrap();
        assert!(decide_metered(&record(2, 0), &f, Some(&first), &terms()).is_ok());
        assert!(matches!(
            decide_metered(&record(1, 0), &f, Some(&first), &terms()),
            Err(Refusal::ReplayedRecord { .. })
        ));
        assert!(matches!(
            decide_metered(&record(2, 1), &f, Some(&first), &terms()),
            Err(Refusal::MeteringOverPrice { at_most: 0, .. })
        ));
    }

    #[test]
    fn the_agreement_must_be_ours_active_locked_and_not_timing_out() {
        let mut other = terms();
        other.service_id = "primes".into();
        let f = facts(Some(PRICE));
        assert!(matches!(decide_metered(&record(1, 10), &f, None, &other), Err(Refusal::ForeignAgreement { .. })));
        let mut terminating = facts(Some(PRICE));
        terminating.settle_until = Some(500);
        assert!(matches!(
            decide_metered(&record(1, 10), &terminating, None, &terms()),
            Err(Refusal::AgreementInactive { state: "terminating", .. })
        ));
        let mut done = facts(Some(PRICE));
        done.state = AgreementState::Refunded;
        assert!(matches!(
            decide_metered(&record(1, 10), &done, None, &terms()),
            Err(Refusal::AgreementInactive { state: "refunded", .. })
        ));
        let mut unlocked = facts(Some(PRICE));
        unlocked.conditions[0].state = ConditionState::Unfulfilled;
        assert!(matches!(
            decide_metered(&record(1, 10), &unlocked, None, &terms()),
            Err(Refusal::PaymentNotLocked { .. })
        ));
        let late = ServiceTerms { finalized_block: 990, ..terms() };
        assert!(matches!(
            decide_metered(&record(1, 10), &f, None, &late),
            Err(Refusal::AgreementExpiring { condition: "release_payment", deadline: 1_000, needed: 1_010, .. })
        ));
    }

    proptest! {
        /// Over random records on one metered agreement: what is accepted never owes more
        /// than units × price or settled + locked, units and amounts strictly rise, and the
        /// count of accepted records matches a plain model of the rule.
        #[test]
        fn accepted_records_rise_and_stay_covered(steps in proptest::collection::vec((0u64..4, 0u128..40), 1..80)) {
            let f = facts(Some(PRICE));
            let mut state: Option<MeteringState> = None;
            let (mut units, mut amount, mut accepted) = (0u64, 0u128, 0u64);
            for (du, da) in steps {
                let r = record(units + du, amount + da);
                let expected = du >= 1 && da >= PRICE && r.amount <= u128::from(r.units) * PRICE && r.amount <= f.locked;
                let decided = decide_metered(&r, &f, state.as_ref(), &terms());
                prop_assert_eq!(decided.is_ok(), expected, "{:?} after {:?}: {:?}", r, state, decided);
                if let Ok(next) = decided {
                    prop_assert!(next.units > units && next.amount > amount);
                    units = next.units;
                    amount = next.amount;
                    accepted += 1;
                    prop_assert_eq!(next.calls, accepted);
                    state = Some(next);
                }
            }
        }
    }
}
