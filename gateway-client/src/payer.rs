//! The consumer's bookkeeping: of one payment channel (the nonce and the last signed
//! amount), and of one service agreement (the last signed metering record).

use crate::client::ClientError;
use crate::pb::ChannelStateReply;
use osiris_contract_types::{Balance, ChannelId, Nonce};
use osiris_payments::signing::channel::{is_authorized, PaymentKey};
use osiris_payments::AccountId;
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

    /// Takes the gateway's view of the channel (after a claim moved the nonce, or lost state),
    /// but only an amount this key signed: a non-zero amount must come with this key's
    /// signature over it at that nonce, so a gateway cannot make the consumer sign on from
    /// more than it spent. Errors: [`ClientError::Malformed`], [`ClientError::UnsignedState`].
    pub fn resync(&mut self, state: &ChannelStateReply) -> Result<(), ClientError> {
        let amount: Balance = state.current_signed_amount.parse().map_err(|_| ClientError::Malformed {
            field: "current_signed_amount",
            value: state.current_signed_amount.clone(),
        })?;
        let nonce = Nonce(state.current_nonce);
        if amount > 0 {
            let signed = <[u8; 65]>::try_from(state.current_signature.as_slice()).is_ok_and(|signature| {
                is_authorized(&signature, &self.key.signer_key(), &self.escrow, self.channel_id, nonce, amount)
            });
            if !signed {
                return Err(ClientError::UnsignedState { nonce: nonce.0, amount });
            }
        }
        (self.amount, self.nonce) = (amount, nonce);
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
            signature: osiris_payments::signing::agreement::sign_metering(
                &self.key,
                &self.contract,
                &self.agreement_id,
                self.units,
                self.amount,
            ),
        }
    }
}

/// A consumer's free calls to one service: signs each call's timestamp with its payment
/// key. Timestamps rise strictly (the gateways refuse a timestamp not after the last one
/// accepted), even for calls made within the same millisecond.
pub struct FreeCaller {
    pub key: PaymentKey,
    /// The escrow contract the service's gateways are for (`ServiceInfo.escrow`).
    pub escrow: AccountId,
    pub org_id: String,
    pub service_id: String,
    /// The provider's token for this key, sent with each call (where the gateway asks for one).
    pub token: Option<osiris_payments::signing::free_call_token::FreeCallToken>,
    last_ms: std::sync::atomic::AtomicU64,
}

impl FreeCaller {
    /// A caller without a token (see [`with_token`](Self::with_token)).
    pub fn new(key: PaymentKey, escrow: AccountId, org_id: String, service_id: String) -> Self {
        Self { key, escrow, org_id, service_id, token: None, last_ms: Default::default() }
    }

    /// Sends the provider's `token` for this key with each call.
    pub fn with_token(self, token: Option<osiris_payments::signing::free_call_token::FreeCallToken>) -> Self {
        Self { token, ..self }
    }

    /// The next free call's proof: now (or 1 ms after the last one), signed.
    pub fn call(&self) -> osiris_payments::free_calls::FreeCall {
        use std::sync::atomic::Ordering;
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        let mut last = self.last_ms.load(Ordering::Relaxed);
        let timestamp_ms = loop {
            let next = now.max(last + 1);
            match self.last_ms.compare_exchange(last, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => break next,
                Err(seen) => last = seen,
            }
        };
        let digest = osiris_payments::signing::channel::free_call_digest(
            &self.escrow,
            &self.org_id,
            &self.service_id,
            timestamp_ms,
        );
        osiris_payments::free_calls::FreeCall {
            timestamp_ms,
            signature: self.key.sign_digest(&digest),
            token: self.token,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(nonce: u64, amount: Balance, signature: Vec<u8>) -> ChannelStateReply {
        ChannelStateReply {
            channel_id: 7,
            current_nonce: nonce,
            current_signed_amount: amount.to_string(),
            current_signature: signature,
            ..Default::default()
        }
    }

    #[test]
    fn a_gateway_cannot_make_the_consumer_sign_on_from_an_amount_it_never_signed() {
        let key = PaymentKey::generate();
        let escrow = AccountId::from([3; 32]);
        let mut payer = ChannelPayer { key: key.clone(), escrow, channel_id: ChannelId(7), nonce: Nonce(0), amount: 0 };
        // The gateway's true state: 3,000 planck signed by this key at nonce 1.
        let ours = key.sign(&escrow, ChannelId(7), Nonce(1), 3_000).to_vec();
        payer.resync(&state(1, 3_000, ours.clone())).unwrap();
        assert_eq!((payer.nonce, payer.amount), (Nonce(1), 3_000));
        // An inflated amount with that signature, with none, or with another key's: refused,
        // and the payer keeps what it knew.
        let stranger = PaymentKey::generate().sign(&escrow, ChannelId(7), Nonce(1), 900_000).to_vec();
        for forged in [state(1, 900_000, ours.clone()), state(1, 900_000, Vec::new()), state(1, 900_000, stranger)] {
            let refused = payer.resync(&forged).unwrap_err();
            assert!(matches!(refused, ClientError::UnsignedState { amount: 900_000, .. }), "{refused}");
            assert_eq!((payer.nonce, payer.amount), (Nonce(1), 3_000));
        }
        // After a claim: the next nonce with nothing signed needs no signature.
        payer.resync(&state(2, 0, Vec::new())).unwrap();
        let next = payer.pay(1_000);
        assert_eq!((next.nonce, next.amount), (Nonce(2), 1_000));
    }
}
