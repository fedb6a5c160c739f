//! Prepaid leases: a gateway replica reserves a **share** of a prepaid authorization in
//! one conditional write and serves calls from it in memory, with no round trip per call.
//! The same write reports the calls served from the replica's earlier share, so the stored
//! state moves in steps of a share rather than of a call.
//!
//! The rule, [`decide_lease`], keeps one invariant over a channel's state at a nonce:
//! `spent + Σ leases.reserved ≤ amount` — every call a replica may serve is inside an
//! authorization the consumer signed, whichever replica serves it. What happens to a
//! share:
//! - **reported**: the replica reports `served` calls; their price moves from the share
//!   to `spent` (what a claim takes), exactly;
//! - **returned**: on shutdown, recall or idleness the replica reports its last calls and
//!   gives the rest back ([`LeaseOp::Draw`] with `release`);
//! - **swept**: a share not returned by `expires_ms` plus a grace (its replica died or lost
//!   the database) is charged in full ([`LeaseOp::Sweep`]): its calls may all have been
//!   served, and nothing served goes unpaid. What the consumer can lose to a crash is the
//!   unused part of that one share, and the rest of the authorization stays usable.
//!
//! A claim never takes a nonce with leases on it: it sets `recalled` (no share is granted
//! or extended any more), waits until the shares are returned or swept, and only then
//! claims `spent` and moves the nonce on (`osiris_ledger::claims`). So no replica serves
//! from a share of a nonce already claimed.

use crate::facts::ChannelFacts;
use crate::payment::{Payment, PaymentKind};
use crate::refusal::Refusal;
use crate::rule::{channel_checks, Terms};
use crate::state::{PaymentState, PrepaidLease, ReplicaId};
use osiris_contract_types::{Balance, ChannelId};

/// One operation on a channel's leases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseOp {
    /// A replica's report on its share of the prepaid authorization `payment`, and what it
    /// asks for next. The payment's signature must have been verified unless the stored
    /// state holds it.
    Draw {
        /// The prepaid authorization the replica serves calls under.
        payment: Payment,
        replica: ReplicaId,
        /// Calls served from the replica's share since its last report.
        served: u64,
        /// Calls the replica would like its share to cover from now on (0: none).
        want: u64,
        /// The replica holds a call that must be served from the share (else PrepaidSpent;
        /// on a recalled channel the state comes back with no grant and the replica serves
        /// the call the direct way, one conditional write for it).
        need: bool,
        /// Give the rest of the share back (the lease ends).
        release: bool,
    },
    /// Charges the shares of `channel_id` past their expiry plus the grace.
    Sweep { channel_id: ChannelId },
}

impl LeaseOp {
    /// The channel the operation is on.
    pub fn channel_id(&self) -> ChannelId {
        match self {
            Self::Draw { payment, .. } => payment.channel_id,
            Self::Sweep { channel_id } => *channel_id,
        }
    }
}

/// The terms a lease operation is decided under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseTerms {
    /// The call terms (price per call, finalized block, expiry threshold).
    pub call: Terms,
    /// The deciding replica's clock, Unix ms.
    pub now_ms: u64,
    /// How long a share is good for after its grant or extension, ms.
    pub lease_ms: u64,
    /// How long after a share's expiry a sweep charges it, ms: more than any clock skew
    /// between the replicas.
    pub grace_ms: u64,
}

/// Decides a lease operation on the channel `facts` with stored state `stored`: the state
/// to write, or why nothing is written. Pure.
///
/// Refusals: those of a prepaid call ([`crate::rule::decide`]) when the draw asks for calls;
/// [`Refusal::WrongNonce`] for a share of a nonce no longer current; [`Refusal::Lease`] when
/// a replica reports more than its share holds, or a sweep finds nothing expired;
/// [`Refusal::PrepaidSpent`] when `need` and the share cannot cover one more call.
pub fn decide_lease(
    op: &LeaseOp,
    facts: &ChannelFacts,
    stored: Option<&PaymentState>,
    terms: &LeaseTerms,
) -> Result<PaymentState, Refusal> {
    match op {
        LeaseOp::Draw { payment, replica, served, want, need, release } => {
            draw(payment, *replica, *served, *want, *need, *release, facts, stored, terms)
        }
        LeaseOp::Sweep { channel_id } => sweep(*channel_id, stored, terms),
    }
}

#[allow(clippy::too_many_arguments)]
fn draw(
    payment: &Payment,
    replica: ReplicaId,
    served: u64,
    want: u64,
    need: bool,
    release: bool,
    facts: &ChannelFacts,
    stored: Option<&PaymentState>,
    terms: &LeaseTerms,
) -> Result<PaymentState, Refusal> {
    let channel_id = payment.channel_id;
    let price = terms.call.price;
    let asks = want > 0 && !release;
    if payment.kind != PaymentKind::Prepaid {
        return Err(Refusal::Lease { channel_id, reason: "only prepaid authorizations are leased" });
    }
    let mut state = if asks {
        // A grant is a call's worth of checks: nonce, value, expiry.
        channel_checks(payment, facts, stored, &terms.call)?.0
    } else {
        // A report or a return is on the stored nonce only (a share lives at one nonce).
        match stored.filter(|s| s.nonce == payment.nonce) {
            Some(state) => state.clone(),
            None => {
                let Some(stored) = stored else {
                    return Err(Refusal::Lease { channel_id, reason: "the channel has no stored state to report on" });
                };
                let current = facts.nonce.max(stored.nonce);
                return Err(Refusal::WrongNonce { channel_id, given: payment.nonce, current });
            }
        }
    };
    // The calls served are charged first: they happened, whatever is decided next.
    let mine = state.leases.iter().position(|l| l.replica == replica);
    if served > 0 {
        let charge = Balance::from(served).checked_mul(price);
        let lease = mine.map(|i| &mut state.leases[i]);
        match (lease, charge) {
            (Some(lease), Some(charge)) if charge <= lease.reserved => {
                lease.reserved -= charge;
                state.spent += charge;
                state.calls = state.calls.saturating_add(served);
            }
            _ => {
                return Err(Refusal::Lease { channel_id, reason: "a replica reported more calls than its share holds" })
            }
        }
    }
    if release {
        state.leases.retain(|l| l.replica != replica);
        return Ok(state);
    }
    if asks {
        // The authorization: the stored one, or a larger one the consumer signed since.
        if payment.amount > state.amount {
            state.amount = payment.amount;
            state.signature = Some(payment.signature);
        } else if !state.holds(payment) {
            return Err(Refusal::AlreadyAccepted {
                nonce: payment.nonce,
                amount: payment.amount,
                accepted: state.amount,
            });
        }
    }
    let index = match state.leases.iter().position(|l| l.replica == replica) {
        Some(i) => i,
        None => {
            state.leases.push(PrepaidLease { replica, reserved: 0, expires_ms: 0 });
            state.leases.len() - 1
        }
    };
    if asks && !state.recalled {
        let free = state.amount.saturating_sub(state.spent).saturating_sub(state.leased());
        let held = state.leases[index].reserved;
        let wanted = Balance::from(want).saturating_mul(price);
        let grant = wanted.saturating_sub(held).min(free);
        // Whole calls only: a share's remainder below the price would be stranded.
        let grant = if price == 0 { grant } else { grant - grant % price };
        state.leases[index].reserved = held + grant;
        state.leases[index].expires_ms = terms.now_ms.saturating_add(terms.lease_ms);
    }
    if need && !state.recalled && state.leases[index].reserved < price.max(1) {
        return Err(Refusal::PrepaidSpent {
            nonce: payment.nonce,
            amount: state.amount,
            spent: state.spent.saturating_add(state.leased()),
            price,
        });
    }
    if state.leases[index].reserved == 0 {
        state.leases.remove(index);
    }
    Ok(state)
}

fn sweep(channel_id: ChannelId, stored: Option<&PaymentState>, terms: &LeaseTerms) -> Result<PaymentState, Refusal> {
    let nothing = || Refusal::Lease { channel_id, reason: "no share is past its expiry and grace" };
    let mut state = stored.cloned().ok_or_else(nothing)?;
    let deadline = |l: &PrepaidLease| l.expires_ms.saturating_add(terms.grace_ms);
    let (expired, live): (Vec<_>, Vec<_>) = state.leases.into_iter().partition(|l| deadline(l) < terms.now_ms);
    if expired.is_empty() {
        return Err(nothing());
    }
    for lease in &expired {
        // Charged in full: the replica may have served every call of it.
        state.spent += lease.reserved;
        if let Some(calls) = lease.reserved.checked_div(terms.call.price) {
            state.calls = state.calls.saturating_add(u64::try_from(calls).unwrap_or(u64::MAX));
        }
    }
    state.leases = live;
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::decide;
    use osiris_contract_types::Nonce;
    use proptest::prelude::*;

    const PRICE: Balance = 10;
    const A: ReplicaId = ReplicaId(1);
    const B: ReplicaId = ReplicaId(2);

    fn terms(now_ms: u64) -> LeaseTerms {
        LeaseTerms {
            call: Terms { price: PRICE, finalized_block: 100, expiry_threshold: 20 },
            now_ms,
            lease_ms: 1_000,
            grace_ms: 1_000,
        }
    }

    fn facts() -> ChannelFacts {
        ChannelFacts {
            channel_id: ChannelId(1),
            sender: "alice".into(),
            recipient: "bob".into(),
            signer: [2; 33],
            group_id: "default".into(),
            value: 1_000,
            nonce: Nonce(0),
            expiration: 1_000,
            updated_block: 5,
        }
    }

    fn prepaid(amount: Balance) -> Payment {
        Payment { kind: PaymentKind::Prepaid, channel_id: ChannelId(1), nonce: Nonce(0), amount, signature: [7; 65] }
    }

    fn draw(replica: ReplicaId, amount: Balance, served: u64, want: u64) -> LeaseOp {
        LeaseOp::Draw { payment: prepaid(amount), replica, served, want, need: want > 0, release: false }
    }

    fn release(replica: ReplicaId, amount: Balance, served: u64) -> LeaseOp {
        LeaseOp::Draw { payment: prepaid(amount), replica, served, want: 0, need: false, release: true }
    }

    fn run(op: &LeaseOp, stored: Option<&PaymentState>) -> Result<PaymentState, Refusal> {
        decide_lease(op, &facts(), stored, &terms(10_000))
    }

    fn share(state: &PaymentState, replica: ReplicaId) -> Balance {
        state.leases.iter().find(|l| l.replica == replica).map_or(0, |l| l.reserved)
    }

    #[test]
    fn two_replicas_share_an_authorization_and_report_exactly() {
        let a = run(&draw(A, 100, 0, 6), None).unwrap();
        assert_eq!((share(&a, A), a.spent), (60, 0));
        // B gets what is left, whole calls only.
        let b = run(&draw(B, 100, 0, 6), Some(&a)).unwrap();
        assert_eq!(share(&b, B), 40);
        // Nothing left for a third call needing one.
        let c = run(&draw(ReplicaId(3), 100, 0, 1), Some(&b));
        assert!(matches!(c, Err(Refusal::PrepaidSpent { spent: 100, .. })), "{c:?}");
        // A reports 5 calls and returns the rest; B reports all four of its calls.
        let a_back = run(&release(A, 100, 5), Some(&b)).unwrap();
        assert_eq!((a_back.spent, a_back.calls, share(&a_back, A)), (50, 5, 0));
        let b_back = run(&release(B, 100, 4), Some(&a_back)).unwrap();
        assert_eq!((b_back.spent, b_back.calls, b_back.leases.len()), (90, 9, 0));
        // A direct prepaid call takes the last call's worth.
        let last = decide(&prepaid(100), &facts(), Some(&b_back), &terms(0).call).unwrap();
        assert_eq!(last.spent, 100);
    }

    #[test]
    fn a_direct_call_cannot_draw_from_a_replicas_share() {
        let leased = run(&draw(A, 30, 0, 3), None).unwrap();
        let direct = decide(&prepaid(30), &facts(), Some(&leased), &terms(0).call);
        assert!(matches!(direct, Err(Refusal::PrepaidSpent { .. })), "{direct:?}");
    }

    #[test]
    fn a_replica_cannot_report_more_than_its_share() {
        let leased = run(&draw(A, 100, 0, 3), None).unwrap();
        assert!(matches!(run(&draw(A, 100, 4, 3), Some(&leased)), Err(Refusal::Lease { .. })));
        // Nor report calls from a share it never had.
        assert!(matches!(run(&release(B, 100, 1), Some(&leased)), Err(Refusal::Lease { .. })));
    }

    #[test]
    fn a_larger_authorization_is_adopted_and_a_smaller_one_refused() {
        let leased = run(&draw(A, 30, 0, 3), None).unwrap();
        let larger = run(&draw(A, 80, 2, 5), Some(&leased)).unwrap();
        assert_eq!((larger.amount, larger.spent, share(&larger, A)), (80, 20, 50));
        let smaller = run(&draw(B, 30, 0, 1), Some(&larger));
        assert!(matches!(smaller, Err(Refusal::AlreadyAccepted { .. })), "{smaller:?}");
        // A forged signature on the same amount is not the stored authorization.
        let mut forged = prepaid(80);
        forged.signature = [9; 65];
        let op = LeaseOp::Draw { payment: forged, replica: B, served: 0, want: 1, need: true, release: false };
        assert!(matches!(run(&op, Some(&larger)), Err(Refusal::AlreadyAccepted { .. })));
    }

    #[test]
    fn a_recalled_channel_grants_nothing_but_takes_reports() {
        let mut leased = run(&draw(A, 100, 0, 3), None).unwrap();
        leased.recalled = true;
        let renewed = run(&draw(A, 100, 2, 3), Some(&leased)).unwrap();
        assert_eq!((renewed.spent, share(&renewed, A)), (20, 10), "no extension while recalled");
        let other = run(&draw(B, 100, 0, 3), Some(&renewed)).unwrap();
        assert_eq!(share(&other, B), 0);
        let back = run(&release(A, 100, 1), Some(&renewed)).unwrap();
        assert!(back.leases.is_empty());
        assert_eq!(back.spent, 30);
    }

    #[test]
    fn a_share_of_a_dead_replica_is_charged_in_full_after_its_grace() {
        let leased = run(&draw(A, 100, 0, 4), None).unwrap(); // expires at 11_000
        let sweep = LeaseOp::Sweep { channel_id: ChannelId(1) };
        assert!(decide_lease(&sweep, &facts(), Some(&leased), &terms(11_500)).is_err(), "within the grace");
        let swept = decide_lease(&sweep, &facts(), Some(&leased), &terms(12_001)).unwrap();
        assert_eq!((swept.spent, swept.leases.len()), (40, 0));
        // The rest of the authorization is still the consumer's.
        let again = run(&draw(B, 100, 0, 10), Some(&swept)).unwrap();
        assert_eq!(share(&again, B), 60);
    }

    #[test]
    fn a_share_of_an_old_nonce_is_gone() {
        let leased = run(&draw(A, 100, 0, 4), None).unwrap();
        let mut claimed = PaymentState::fresh(ChannelId(1), Nonce(1));
        claimed.claiming = 40;
        assert!(matches!(run(&release(A, 100, 4), Some(&claimed)), Err(Refusal::WrongNonce { .. })));
        drop(leased);
    }

    proptest! {
        /// Whatever replicas, reports, returns, sweeps and direct calls do, the stored state
        /// never promises more than the authorization, and every accepted report is charged.
        #[test]
        fn shares_never_exceed_the_authorization(
            steps in proptest::collection::vec((0u8..5, 0u64..3, 0u64..8, 0u64..12, 0u64..3_000), 1..60),
        ) {
            let mut state: Option<PaymentState> = None;
            let mut reported: u64 = 0;
            let mut now = 10_000;
            for (kind, replica, served, want, tick) in steps {
                now += tick;
                let replica = ReplicaId(replica);
                let op = match kind {
                    0 | 1 => draw(replica, 200, served, want),
                    2 => release(replica, 200, served),
                    3 => LeaseOp::Sweep { channel_id: ChannelId(1) },
                    _ => {
                        if let Ok(next) = decide(&prepaid(200), &facts(), state.as_ref(), &terms(now).call) {
                            reported += 1;
                            state = Some(next);
                        }
                        continue;
                    }
                };
                if let Ok(next) = decide_lease(&op, &facts(), state.as_ref(), &terms(now)) {
                    if let LeaseOp::Draw { served, .. } = op { reported += served; }
                    prop_assert!(next.spent + next.leased() <= next.amount);
                    prop_assert!(next.leases.iter().all(|l| l.reserved > 0 && l.reserved % PRICE == 0));
                    state = Some(next);
                }
            }
            if let Some(state) = state {
                // Reports and direct calls are charged one price each; sweeps charge whole shares.
                prop_assert!(state.spent >= Balance::from(reported) * PRICE);
            }
        }
    }
}
