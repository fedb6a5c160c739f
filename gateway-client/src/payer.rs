//! The consumer's bookkeeping: of one payment channel (the nonce and the last signed
//! amount), and of one service agreement (the last signed metering record).

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

/// One consumer's service agreement: signs the next cumulative metering record for each call.
#[derive(Clone)]
pub struct AgreementPayer {
    /// The consumer's agreement key (it signed the agreement).
    pub key: PaymentKey,
    /// The agreements contract.
    pub contract: AccountId,
    pub agreement_id: osiris_contract_types::agreements::AgreementId,
    /// The last signed record: cumulative units and planck.
    pub units: u64,
    pub amount: Balance,
    /// Planck per unit; `None` for a flat-priced agreement (records owe 0).
    pub price_per_unit: Option<Balance>,
}

impl AgreementPayer {
    /// Starts from the gateways' latest accepted record (`GetAgreementState`).
    pub fn from_state(
        key: PaymentKey,
        contract: AccountId,
        state: &crate::pb::AgreementStateReply,
    ) -> Result<Self, ClientError> {
        let malformed = |field: &'static str, value: &str| ClientError::Malformed { field, value: value.to_string() };
        let agreement_id =
            state.agreement_id.clone().try_into().map_err(|_| malformed("agreement_id", "not 32 bytes"))?;
        let amount = state.amount.parse().map_err(|_| malformed("amount", &state.amount))?;
        let price_per_unit = if state.price_per_unit.is_empty() {
            None
        } else {
            Some(state.price_per_unit.parse().map_err(|_| malformed("price_per_unit", &state.price_per_unit))?)
        };
        Ok(Self { key, contract, agreement_id, units: state.units, amount, price_per_unit })
    }

    /// The record for one more call: one unit more, and its price more when metered.
    pub fn pay(&mut self) -> osiris_payments::MeteringRecord {
        self.units += 1;
        self.amount += self.price_per_unit.unwrap_or(0);
        self.record()
    }

    /// Signs the current (units, amount).
    pub fn record(&self) -> osiris_payments::MeteringRecord {
        osiris_payments::MeteringRecord {
            agreement_id: self.agreement_id,
            units: self.units,
            amount: self.amount,
            signature: osiris_chain::agreements::sign_metering(
                &self.key,
                &self.contract,
                &self.agreement_id,
                self.units,
                self.amount,
            ),
        }
    }
}
