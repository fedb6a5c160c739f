//! What a channel's payments have reached at its current nonce.

use crate::payment::Payment;
use osiris_contract_types::{Balance, ChannelId, Nonce, PaymentSignature};

/// A channel's payment state at its current nonce, as the payment store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentState {
    pub channel_id: ChannelId,
    /// The nonce the next authorization must use.
    pub nonce: Nonce,
    /// Last accepted cumulative amount at `nonce`, planck (0 if none).
    pub amount: Balance,
    /// The last accepted authorization's signature; `None` when nothing is accepted at `nonce`.
    pub signature: Option<PaymentSignature>,
    /// What the calls served at `nonce` cost, planck, ≤ `amount`: what a claim takes.
    pub spent: Balance,
    /// Calls served at `nonce`.
    pub calls: u64,
    /// Planck of this gateway's claims the mirror does not show yet (in progress, or landed
    /// after the mirror's last block): they lower the channel's value while `nonce` is
    /// ahead of the mirror's.
    pub claiming: Balance,
}

impl PaymentState {
    /// Nothing accepted yet at `nonce`.
    pub fn fresh(channel_id: ChannelId, nonce: Nonce) -> Self {
        Self { channel_id, nonce, amount: 0, signature: None, spent: 0, calls: 0, claiming: 0 }
    }

    /// Whether `payment` is exactly the stored authorization (its signature was verified
    /// when it was stored, so it need not be verified again).
    pub fn holds(&self, payment: &Payment) -> bool {
        self.nonce == payment.nonce && self.amount == payment.amount && self.signature == Some(payment.signature)
    }
}
