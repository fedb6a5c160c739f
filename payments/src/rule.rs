//! The payment rule: whether a payment passes, and the state it leaves. Written once; the
//! gateway's early check, the store's conditional write and the explanation of a lost
//! write all call [`decide`].
//!
//! The checks, in order (each with its own [`Refusal`]):
//! 1. the nonce is the channel's current one — the mirror's, or the store's when a claim
//!    moved it on before the chain shows it ([`Refusal::WrongNonce`]);
//! 2. the amount fits the channel's value minus claims in flight ([`Refusal::AmountExceedsValue`]);
//! 3. the channel stays open until the finalized block plus the threshold ([`Refusal::ChannelExpiring`]);
//! 4. the amount pays for the call: an escrow payment rises by at least the price over the
//!    last accepted amount; a prepaid one is the last accepted authorization (or a larger
//!    one) with the price still uncovered by what was spent ([`Refusal::AlreadyAccepted`],
//!    [`Refusal::Underpaid`], [`Refusal::PrepaidSpent`]).
//!
//! The signature is not part of the rule (it is pure): a payment the stored state
//! [holds](PaymentState::holds) was verified when stored; any other must be verified by
//! the caller before its decision is written.

use crate::facts::ChannelFacts;
use crate::payment::{Payment, PaymentKind};
use crate::refusal::Refusal;
use crate::state::PaymentState;
use osiris_contract_types::{Balance, Nonce};

/// The terms a payment is decided under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    /// Price of one call, planck.
    pub price: Balance,
    /// The last finalized block the mirror holds.
    pub finalized_block: u64,
    /// Blocks a channel must stay open beyond `finalized_block`.
    pub expiry_threshold: u32,
}

/// Decides `payment` for one call on the channel `facts` (the mirror's view) whose stored
/// payment state is `stored` (`None`: nothing stored yet). Returns the state after the
/// call, or why the payment does not pass. Pure: no I/O, no clock.
pub fn decide(
    payment: &Payment,
    facts: &ChannelFacts,
    stored: Option<&PaymentState>,
    terms: &Terms,
) -> Result<PaymentState, Refusal> {
    let channel_id = payment.channel_id;
    let (at_nonce, value) = channel_checks(payment, facts, stored, terms)?;
    let price = terms.price;
    let already =
        || Refusal::AlreadyAccepted { nonce: payment.nonce, amount: payment.amount, accepted: at_nonce.amount };
    let spent = match payment.kind {
        PaymentKind::Escrow => {
            if payment.amount <= at_nonce.amount {
                return Err(already());
            }
            let increment = payment.amount - at_nonce.amount;
            if increment < price {
                return Err(Refusal::Underpaid { amount: payment.amount, accepted: at_nonce.amount, increment, price });
            }
            // The whole increment is spent: the consumer authorized it for this call.
            at_nonce.spent.checked_add(increment)
        }
        PaymentKind::Prepaid => {
            if payment.amount < at_nonce.amount || (payment.amount == at_nonce.amount && !at_nonce.holds(payment)) {
                return Err(already());
            }
            // Shares reserved by replicas' leases are not this call's to draw from.
            match at_nonce.spent.checked_add(price) {
                Some(spent) if spent.saturating_add(at_nonce.leased()) <= payment.amount => Some(spent),
                _ => {
                    return Err(Refusal::PrepaidSpent {
                        nonce: payment.nonce,
                        amount: payment.amount,
                        spent: at_nonce.spent.saturating_add(at_nonce.leased()),
                        price,
                    })
                }
            }
        }
    };
    // `spent` ≤ `amount` ≤ `value` < 2^128, so the sum cannot overflow; the rule stays total anyway.
    let spent = spent.ok_or(Refusal::AmountExceedsValue { channel_id, amount: payment.amount, value })?;
    Ok(PaymentState {
        channel_id,
        nonce: payment.nonce,
        amount: payment.amount,
        signature: Some(payment.signature),
        spent,
        calls: at_nonce.calls.saturating_add(1),
        claiming: at_nonce.claiming,
        leases: at_nonce.leases,
        recalled: at_nonce.recalled,
    })
}

/// The checks every call on a channel passes before its amount is looked at: the nonce is
/// the current one, the amount fits the value, the channel stays open long enough. Returns
/// the stored state at the payment's nonce (a fresh one at a new nonce) and the value left
/// to the channel's calls. Shared by [`decide`] and the prepaid lease rule
/// ([`crate::lease::decide_lease`]).
pub(crate) fn channel_checks(
    payment: &Payment,
    facts: &ChannelFacts,
    stored: Option<&PaymentState>,
    terms: &Terms,
) -> Result<(PaymentState, Balance), Refusal> {
    let channel_id = payment.channel_id;
    // The stored state is ahead of the mirror while a claim is on its way to the chain.
    let current_nonce = facts.nonce.max(stored.map_or(Nonce(0), |s| s.nonce));
    if payment.nonce != current_nonce {
        return Err(Refusal::WrongNonce { channel_id, given: payment.nonce, current: current_nonce });
    }
    let claiming = stored.filter(|s| s.nonce > facts.nonce).map_or(0, |s| s.claiming);
    let value = facts.value.saturating_sub(claiming);
    if payment.amount > value {
        return Err(Refusal::AmountExceedsValue { channel_id, amount: payment.amount, value });
    }
    let needed = terms.finalized_block.saturating_add(u64::from(terms.expiry_threshold));
    if u64::from(facts.expiration) < needed {
        return Err(Refusal::ChannelExpiring {
            channel_id,
            expiration: facts.expiration,
            needed,
            current: terms.finalized_block,
            threshold: terms.expiry_threshold,
        });
    }
    let at_nonce = match stored.filter(|s| s.nonce == payment.nonce) {
        Some(state) => state.clone(),
        None => PaymentState {
            claiming: stored.map_or(0, |s| s.claiming),
            ..PaymentState::fresh(channel_id, payment.nonce)
        },
    };
    Ok((at_nonce, value))
}

/// Whether a refusal against a possibly stale stored state could turn into an acceptance
/// against a newer one: only a nonce the store moved on (a claim, another replica) can.
/// Amounts and what was spent only grow at a nonce, so the other refusals stand.
pub fn may_pass_on_newer_state(refusal: &Refusal) -> bool {
    matches!(refusal, Refusal::WrongNonce { .. })
}

#[cfg(test)]
mod tests {
    use super::*;
    use osiris_contract_types::ChannelId;
    use proptest::prelude::*;

    const PRICE: Balance = 10;
    const TERMS: Terms = Terms { price: PRICE, finalized_block: 100, expiry_threshold: 20 };

    fn facts() -> ChannelFacts {
        ChannelFacts {
            channel_id: ChannelId(1),
            sender: "alice".into(),
            recipient: "bob".into(),
            signer: [2; 33],
            group_id: "default".into(),
            value: 100,
            nonce: Nonce(0),
            expiration: 1_000,
            updated_block: 5,
        }
    }

    fn pay(kind: PaymentKind, nonce: u64, amount: Balance) -> Payment {
        Payment { kind, channel_id: ChannelId(1), nonce: Nonce(nonce), amount, signature: [7; 65] }
    }

    fn stored(nonce: u64, amount: Balance, spent: Balance) -> PaymentState {
        PaymentState {
            channel_id: ChannelId(1),
            nonce: Nonce(nonce),
            amount,
            signature: Some([7; 65]),
            spent,
            calls: 1,
            claiming: 0,
            leases: Vec::new(),
            recalled: false,
        }
    }

    fn run(payment: &Payment, state: Option<&PaymentState>) -> Result<PaymentState, Refusal> {
        decide(payment, &facts(), state, &TERMS)
    }

    #[test]
    fn a_first_payment_of_the_price_passes_and_is_all_spent() {
        let next = run(&pay(PaymentKind::Escrow, 0, 10), None).unwrap();
        assert_eq!((next.nonce, next.amount, next.spent, next.calls), (Nonce(0), 10, 10, 1));
        assert!(matches!(run(&pay(PaymentKind::Escrow, 0, 9), None), Err(Refusal::Underpaid { increment: 9, .. })));
        let prepaid = run(&pay(PaymentKind::Prepaid, 0, 50), None).unwrap();
        assert_eq!((prepaid.amount, prepaid.spent), (50, 10));
    }

    #[test]
    fn escrow_payments_must_rise_by_the_price() {
        let state = stored(0, 30, 30);
        let next = run(&pay(PaymentKind::Escrow, 0, 45), Some(&state)).unwrap();
        assert_eq!((next.amount, next.spent, next.calls), (45, 45, 2));
        assert!(matches!(run(&pay(PaymentKind::Escrow, 0, 30), Some(&state)), Err(Refusal::AlreadyAccepted { .. })));
        assert!(matches!(run(&pay(PaymentKind::Escrow, 0, 25), Some(&state)), Err(Refusal::AlreadyAccepted { .. })));
        assert!(matches!(run(&pay(PaymentKind::Escrow, 0, 35), Some(&state)), Err(Refusal::Underpaid { .. })));
    }

    #[test]
    fn prepaid_authorizations_are_drawn_down() {
        let state = stored(0, 30, 20);
        let next = run(&pay(PaymentKind::Prepaid, 0, 30), Some(&state)).unwrap();
        assert_eq!((next.amount, next.spent), (30, 30));
        assert!(matches!(run(&pay(PaymentKind::Prepaid, 0, 30), Some(&next)), Err(Refusal::PrepaidSpent { .. })));
        let larger = run(&pay(PaymentKind::Prepaid, 0, 60), Some(&next)).unwrap();
        assert_eq!((larger.amount, larger.spent), (60, 40));
        let mut forged = pay(PaymentKind::Prepaid, 0, 30);
        forged.signature = [8; 65];
        assert!(matches!(run(&forged, Some(&state)), Err(Refusal::AlreadyAccepted { .. })));
        assert!(matches!(run(&pay(PaymentKind::Prepaid, 0, 20), Some(&state)), Err(Refusal::AlreadyAccepted { .. })));
    }

    #[test]
    fn nonce_value_and_expiry_are_checked() {
        assert!(matches!(
            run(&pay(PaymentKind::Escrow, 1, 10), None),
            Err(Refusal::WrongNonce { current: Nonce(0), .. })
        ));
        assert!(matches!(run(&pay(PaymentKind::Escrow, 0, 101), None), Err(Refusal::AmountExceedsValue { .. })));
        let near = decide(&pay(PaymentKind::Escrow, 0, 10), &facts(), None, &Terms { finalized_block: 990, ..TERMS });
        assert!(matches!(near, Err(Refusal::ChannelExpiring { needed: 1010, .. })));
        // A stored state behind the mirror (a claim the store did not make) starts afresh.
        let mut moved = facts();
        moved.nonce = Nonce(2);
        let next = decide(&pay(PaymentKind::Escrow, 2, 10), &moved, Some(&stored(1, 50, 50)), &TERMS).unwrap();
        assert_eq!((next.nonce, next.amount, next.spent), (Nonce(2), 10, 10));
    }

    #[test]
    fn a_claim_in_flight_moves_the_nonce_and_lowers_the_value() {
        let mut claimed = stored(1, 0, 0);
        claimed.signature = None;
        claimed.claiming = 60;
        assert!(matches!(
            run(&pay(PaymentKind::Escrow, 0, 70), Some(&claimed)),
            Err(Refusal::WrongNonce { current: Nonce(1), .. })
        ));
        assert!(matches!(
            run(&pay(PaymentKind::Escrow, 1, 50), Some(&claimed)),
            Err(Refusal::AmountExceedsValue { value: 40, .. })
        ));
        let next = run(&pay(PaymentKind::Escrow, 1, 40), Some(&claimed)).unwrap();
        assert_eq!(next.claiming, 60, "the claim stays in flight until the mirror shows it");
        // Once the mirror shows the claim (nonce 1), the channel's value is the mirror's.
        let mut mirrored = facts();
        mirrored.nonce = Nonce(1);
        mirrored.value = 40;
        assert!(decide(&pay(PaymentKind::Escrow, 1, 40), &mirrored, Some(&claimed), &TERMS).is_ok());
    }

    #[test]
    fn only_a_moved_nonce_can_turn_a_refusal_around() {
        assert!(may_pass_on_newer_state(&run(&pay(PaymentKind::Escrow, 1, 10), None).unwrap_err()));
        assert!(!may_pass_on_newer_state(&run(&pay(PaymentKind::Escrow, 0, 5), None).unwrap_err()));
    }

    /// One step of a random sequence: a payment's kind, nonce offset, amount and signature.
    fn step() -> impl Strategy<Value = (bool, u8, Balance, u8)> {
        (any::<bool>(), 0u8..3, 0u128..130, 0u8..3)
    }

    /// The reference model: what was accepted, written as a plain history rather than a state.
    #[derive(Default)]
    struct Model {
        /// (amount, signature byte) of every accepted authorization, in order.
        accepted: Vec<(Balance, u8)>,
        /// Calls served.
        calls: u64,
        /// Planck the provider may claim.
        spent: Balance,
    }

    impl Model {
        fn last(&self) -> (Balance, Option<u8>) {
            self.accepted.last().map_or((0, None), |(a, s)| (*a, Some(*s)))
        }

        /// Whether the model accepts, and then records it.
        fn offer(&mut self, prepaid: bool, amount: Balance, sig: u8, value: Balance) -> bool {
            let (last, last_sig) = self.last();
            let ok = amount <= value
                && if prepaid {
                    (amount > last || (amount == last && last_sig == Some(sig))) && self.spent + PRICE <= amount
                } else {
                    amount >= last + PRICE && amount > last
                };
            if ok {
                self.spent += if prepaid { PRICE } else { amount - last };
                self.calls += 1;
                self.accepted.push((amount, sig));
            }
            ok
        }
    }

    proptest! {
        /// For random sequences of payments on one channel at nonce 0: the rule never
        /// accepts an escrow amount twice, never lets spent exceed the authorized amount or
        /// the channel's value, and decides exactly as the reference model.
        #[test]
        fn the_rule_matches_the_reference_model(steps in proptest::collection::vec(step(), 1..60)) {
            let facts = facts();
            let mut state: Option<PaymentState> = None;
            let mut model = Model::default();
            let mut escrow_amounts = std::collections::HashSet::new();
            for (prepaid, nonce, amount, sig) in steps {
                let kind = if prepaid { PaymentKind::Prepaid } else { PaymentKind::Escrow };
                let payment = Payment { kind, channel_id: ChannelId(1), nonce: Nonce(u64::from(nonce)), amount, signature: [sig; 65] };
                let decided = decide(&payment, &facts, state.as_ref(), &TERMS);
                let expected = nonce == 0 && model.offer(prepaid, amount, sig, facts.value);
                prop_assert_eq!(decided.is_ok(), expected, "{:?} on {:?}: {:?}", payment, state, decided);
                if let Ok(next) = decided {
                    if !prepaid {
                        prop_assert!(escrow_amounts.insert(amount), "escrow amount {} accepted twice", amount);
                    }
                    prop_assert!(next.spent <= next.amount && next.amount <= facts.value);
                    prop_assert_eq!(next.spent, model.spent);
                    prop_assert_eq!(next.calls, model.calls);
                    state = Some(next);
                }
            }
        }
    }
}
