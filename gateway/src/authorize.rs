//! The payment checks of one call, in order: the channel exists and is this gateway's;
//! the nonce is current; the amount fits the channel's value; the channel does not expire
//! within the threshold; the amount pays for the call; the signature authorizes it; then
//! the authorization is stored (compare-and-set) — only then may the call go on.

use crate::channels::{ChannelCache, ChannelFacts};
use crate::metadata::{Payment, PaymentKind};
use crate::payments::{refusal_against, PaymentState, PaymentStore};
use crate::refusal::Refusal;
use http::HeaderMap;
use osiris_chain::AccountId;
use osiris_contract_types::Balance;
use std::sync::Arc;

/// Decides whether a call is paid for.
#[derive(Debug, Clone)]
pub struct Authorizer {
    pub channels: Arc<ChannelCache>,
    pub payments: PaymentStore,
    /// The escrow contract the authorizations are for.
    pub escrow: AccountId,
    /// Blocks a channel must stay open beyond the current finalized block.
    pub expiry_threshold: u32,
}

/// An accepted call's payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub payment: Payment,
    /// The channel's payment state after this call.
    pub state: PaymentState,
    pub price: Balance,
}

impl Authorizer {
    /// Checks the call's payment metadata and stores the payment durably. At most one
    /// database round trip on the usual path; never a chain query.
    pub async fn authorize(&self, headers: &HeaderMap) -> Result<Receipt, Refusal> {
        let payment = Payment::from_headers(headers)?;
        let facts = self
            .channels
            .channel(payment.channel_id)
            .await
            .map_err(|e| Refusal::Unavailable(e.to_string()))?
            .ok_or(Refusal::UnknownChannel(payment.channel_id))?;
        if !self.channels.is_ours(&facts) {
            return Err(Refusal::ForeignChannel {
                channel_id: facts.channel_id,
                recipient: facts.recipient,
                group_id: facts.group_id,
            });
        }
        let price = self.channels.price();
        let local = self.payments.cached(payment.channel_id);
        let checked = self.check(&payment, &facts, local.as_ref(), price);
        let local = match checked {
            // Another replica (or a claim) may have moved the state on: look once more.
            Err(Refusal::WrongNonce { .. }) | Err(Refusal::AmountExceedsValue { .. }) => {
                let fresh = self.payments.load(payment.channel_id).await?;
                self.check(&payment, &facts, fresh.as_ref(), price)?;
                fresh
            }
            Err(refusal) => return Err(refusal),
            Ok(()) => local,
        };
        let verified = local.as_ref().is_some_and(|state| state.holds(&payment));
        if !verified
            && !osiris_chain::payment::is_authorized(
                &payment.signature,
                &facts.signer,
                &self.escrow,
                payment.channel_id,
                payment.nonce,
                payment.amount,
            )
        {
            return Err(Refusal::BadSignature {
                channel_id: payment.channel_id,
                nonce: payment.nonce,
                amount: payment.amount,
            });
        }
        let accepted = self.payments.accept(&payment, price).await?;
        Ok(Receipt { payment, state: accepted.state, price })
    }

    /// The in-memory checks against the mirror's `facts` and the known payment state.
    pub fn check(
        &self,
        payment: &Payment,
        facts: &ChannelFacts,
        state: Option<&PaymentState>,
        price: Balance,
    ) -> Result<(), Refusal> {
        check(payment, facts, state, price, self.channels.current_block(), self.expiry_threshold)
    }
}

/// The in-memory checks as a pure function (see [`Authorizer::authorize`] for the order).
/// `state` is the channel's stored payment state if any; `current_block` the last finalized block.
pub fn check(
    payment: &Payment,
    facts: &ChannelFacts,
    state: Option<&PaymentState>,
    price: Balance,
    current_block: u64,
    threshold: u32,
) -> Result<(), Refusal> {
    // The stored state is ahead of the mirror while a claim is on its way to the chain.
    let stored_nonce = state.map_or(0, |s| s.nonce);
    let current_nonce = facts.nonce.max(stored_nonce);
    if payment.nonce != current_nonce {
        return Err(Refusal::WrongNonce {
            channel_id: payment.channel_id,
            given: payment.nonce,
            current: current_nonce,
        });
    }
    let claiming = state.filter(|s| s.nonce > facts.nonce).map_or(0, |s| s.claiming);
    let value = facts.value.saturating_sub(claiming);
    if payment.amount > value {
        return Err(Refusal::AmountExceedsValue { channel_id: payment.channel_id, amount: payment.amount, value });
    }
    let needed = current_block.saturating_add(u64::from(threshold));
    if u64::from(facts.expiration) < needed {
        return Err(Refusal::ChannelExpiring {
            channel_id: payment.channel_id,
            expiration: facts.expiration,
            needed,
            current: current_block,
            threshold,
        });
    }
    match state.filter(|s| s.nonce == payment.nonce) {
        Some(state) => {
            let pays = match payment.kind {
                PaymentKind::Escrow => payment.amount > state.amount && payment.amount - state.amount >= price,
                PaymentKind::Prepaid => {
                    (payment.amount > state.amount || state.holds(payment)) && state.spent + price <= payment.amount
                }
            };
            if !pays {
                return Err(refusal_against(payment, state, price));
            }
        }
        None if payment.amount < price => {
            return Err(Refusal::Underpaid { amount: payment.amount, accepted: 0, increment: payment.amount, price });
        }
        None => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRICE: Balance = 10;

    fn facts() -> ChannelFacts {
        ChannelFacts {
            channel_id: 1,
            sender: "alice".into(),
            recipient: "bob".into(),
            signer: [2; 33],
            group_id: "default".into(),
            value: 100,
            nonce: 0,
            expiration: 1_000,
            updated_block: 5,
        }
    }

    fn pay(kind: PaymentKind, nonce: u64, amount: Balance) -> Payment {
        Payment { kind, channel_id: 1, nonce, amount, signature: [7; 65] }
    }

    fn stored(nonce: u64, amount: Balance, spent: Balance) -> PaymentState {
        PaymentState { channel_id: 1, nonce, amount, signature: Some([7; 65]), spent, calls: 1, claiming: 0 }
    }

    fn run(payment: &Payment, state: Option<&PaymentState>) -> Result<(), Refusal> {
        check(payment, &facts(), state, PRICE, 100, 20)
    }

    #[test]
    fn a_first_payment_of_the_price_passes() {
        assert_eq!(run(&pay(PaymentKind::Escrow, 0, 10), None), Ok(()));
        assert!(matches!(run(&pay(PaymentKind::Escrow, 0, 9), None), Err(Refusal::Underpaid { .. })));
    }

    #[test]
    fn escrow_payments_must_rise_by_the_price() {
        let state = stored(0, 30, 30);
        assert_eq!(run(&pay(PaymentKind::Escrow, 0, 40), Some(&state)), Ok(()));
        assert!(matches!(run(&pay(PaymentKind::Escrow, 0, 30), Some(&state)), Err(Refusal::AlreadyAccepted { .. })));
        assert!(matches!(run(&pay(PaymentKind::Escrow, 0, 35), Some(&state)), Err(Refusal::Underpaid { .. })));
    }

    #[test]
    fn prepaid_authorizations_are_drawn_down() {
        let state = stored(0, 30, 20);
        assert_eq!(run(&pay(PaymentKind::Prepaid, 0, 30), Some(&state)), Ok(()));
        let spent = stored(0, 30, 30);
        assert!(matches!(run(&pay(PaymentKind::Prepaid, 0, 30), Some(&spent)), Err(Refusal::PrepaidSpent { .. })));
        assert_eq!(run(&pay(PaymentKind::Prepaid, 0, 60), Some(&spent)), Ok(()));
        let mut forged = pay(PaymentKind::Prepaid, 0, 30);
        forged.signature = [8; 65];
        assert!(matches!(run(&forged, Some(&state)), Err(Refusal::AlreadyAccepted { .. })));
    }

    #[test]
    fn nonce_value_and_expiry_are_checked() {
        assert!(matches!(run(&pay(PaymentKind::Escrow, 1, 10), None), Err(Refusal::WrongNonce { current: 0, .. })));
        assert!(matches!(run(&pay(PaymentKind::Escrow, 0, 101), None), Err(Refusal::AmountExceedsValue { .. })));
        let near = check(&pay(PaymentKind::Escrow, 0, 10), &facts(), None, PRICE, 990, 20);
        assert!(matches!(near, Err(Refusal::ChannelExpiring { needed: 1010, .. })));
    }

    #[test]
    fn a_claim_in_flight_moves_the_nonce_and_lowers_the_value() {
        let mut claimed = stored(1, 0, 0);
        claimed.signature = None;
        claimed.claiming = 60;
        assert!(matches!(
            run(&pay(PaymentKind::Escrow, 0, 70), Some(&claimed)),
            Err(Refusal::WrongNonce { current: 1, .. })
        ));
        assert!(matches!(
            run(&pay(PaymentKind::Escrow, 1, 50), Some(&claimed)),
            Err(Refusal::AmountExceedsValue { value: 40, .. })
        ));
        assert_eq!(run(&pay(PaymentKind::Escrow, 1, 40), Some(&claimed)), Ok(()));
    }
}
