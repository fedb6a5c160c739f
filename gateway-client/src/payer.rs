//! The bookkeeping of one consumer's payment channel: the nonce and the last signed amount.

use crate::client::ClientError;
use crate::pb::ChannelStateReply;
use osiris_chain::payment::PaymentKey;
use osiris_chain::AccountId;
use osiris_contract_types::{Balance, ChannelId, Nonce};
use osiris_payments::{Payment, PaymentKind};

/// One consumer's payment channel: signs the next authorization for each call.
#[derive(Clone)]
pub struct ChannelPayer {
    pub key: PaymentKey,
    pub escrow: AccountId,
    pub channel_id: ChannelId,
    /// The nonce authorizations are signed at.
    pub nonce: Nonce,
    /// The last amount signed at `nonce`, planck.
    pub amount: Balance,
}

impl ChannelPayer {
    /// The authorization of `amount + price` (escrow mode) and the new amount.
    pub fn pay(&mut self, price: Balance) -> Payment {
        self.amount += price;
        self.authorization(PaymentKind::Escrow)
    }

    /// Signs the current (nonce, amount) as a payment of `kind`.
    pub fn authorization(&self, kind: PaymentKind) -> Payment {
        Payment {
            kind,
            channel_id: self.channel_id,
            nonce: self.nonce,
            amount: self.amount,
            signature: self.key.sign(&self.escrow, self.channel_id, self.nonce, self.amount),
        }
    }

    /// Takes the gateway's view of the channel (after a claim moved the nonce, or lost state).
    pub fn resync(&mut self, state: &ChannelStateReply) -> Result<(), ClientError> {
        self.amount = state.current_signed_amount.parse().map_err(|_| ClientError::Malformed {
            field: "current_signed_amount",
            value: state.current_signed_amount.clone(),
        })?;
        self.nonce = state.current_nonce;
        Ok(())
    }
}
