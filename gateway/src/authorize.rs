//! A call's payment, from its metadata to the payment store: the channel is looked up in
//! the mirror cache and must be this gateway's; the payment is decided early with the
//! payment rule against this replica's copy of the stored state (so a refusal costs no
//! signature check and no round trip); its signature is verified unless the stored state
//! already holds it; then it is handed to the store, which decides it again against the
//! row it writes and commits it.

use crate::channels::ChannelCache;
use osiris_chain::AccountId;
use osiris_payments::rule::may_pass_on_newer_state;
use osiris_payments::store::{PaymentStore, Pending};
use osiris_payments::{decide, Payment, Refusal};
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

impl Authorizer {
    /// Checks `payment` and submits it to the store; the returned [`Pending`] resolves once
    /// the payment is committed (or refused by the store). No chain query; a database round
    /// trip only for a channel or row this replica has not cached.
    pub async fn authorize(&self, payment: Payment) -> Result<Pending, Refusal> {
        let facts = self
            .channels
            .channel(payment.channel_id)
            .await
            .map_err(|e| Refusal::Unavailable(e.to_string()))?
            .ok_or(Refusal::UnknownChannel(payment.channel_id))?;
        if !self.channels.is_ours(&facts) {
            return Err(Refusal::ForeignChannel {
                channel_id: facts.channel_id,
                recipient: facts.recipient.clone(),
                group_id: facts.group_id.clone(),
            });
        }
        let terms = self.channels.terms(self.expiry_threshold);
        let mut stored = self.payments.cached(payment.channel_id);
        if let Err(refusal) = decide(&payment, &facts, stored.as_ref(), &terms) {
            if !may_pass_on_newer_state(&refusal) {
                return Err(refusal);
            }
            // Another replica or a claim may have moved the nonce on: look once more.
            stored = self.payments.load(payment.channel_id, facts.nonce).await?;
            decide(&payment, &facts, stored.as_ref(), &terms)?;
        }
        let held = stored.as_ref().is_some_and(|state| state.holds(&payment));
        if !held && !payment.is_signed_by(&facts.signer, &self.escrow) {
            return Err(Refusal::BadSignature {
                channel_id: payment.channel_id,
                nonce: payment.nonce,
                amount: payment.amount,
            });
        }
        self.payments.submit(payment, facts, terms)
    }
}
