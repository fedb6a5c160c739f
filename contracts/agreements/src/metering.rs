//! Settling metering records: cumulative, signed by the consumer's key, paid once.

use crate::signature::is_signed_by;
use crate::{agreements::Agreements, AgreementError, Result};
use ink::codegen::Env;
use osiris_contract_types::agreements::*;
use osiris_contract_types::{Balance, PaymentSignature};

impl Agreements {
    pub(crate) fn do_settle_metering(
        &mut self,
        agreement_id: AgreementId,
        units: u64,
        amount: Balance,
        signature: PaymentSignature,
    ) -> Result<()> {
        let mut agreement = self.agreements.get(agreement_id).ok_or(AgreementError::AgreementNotFound)?;
        if agreement.state != AgreementState::Active {
            return Err(AgreementError::AgreementNotActive);
        }
        if self.env().caller() != agreement.provider {
            return Err(AgreementError::NotProvider);
        }
        let offer = self.offers.get(agreement.offer_id).ok_or(AgreementError::OfferNotFound)?;
        let metering = offer.metering.ok_or(AgreementError::NotMetered)?;
        let message = metering_message(&self.env().account_id(), &agreement_id, units, amount);
        if !is_signed_by(&signature, &message, &agreement.consumer_key) {
            return Err(AgreementError::InvalidSignature);
        }
        if amount <= agreement.metered_amount || units < agreement.metered_units {
            return Err(AgreementError::StaleMeteringRecord);
        }
        let at_most = u128::from(units).checked_mul(metering.price_per_unit).ok_or(AgreementError::Overflow)?;
        let delta = amount.checked_sub(agreement.metered_amount).ok_or(AgreementError::StaleMeteringRecord)?;
        let locked = agreement.locked.checked_sub(delta).filter(|_| amount <= at_most);
        let Some(locked) = locked else {
            return Err(AgreementError::MeteringExceedsLocked);
        };
        self.credit(agreement.provider, delta)?;
        agreement.locked = locked;
        agreement.paid = agreement.paid.checked_add(delta).ok_or(AgreementError::Overflow)?;
        agreement.metered_units = units;
        agreement.metered_amount = amount;
        self.agreements.insert(agreement_id, &agreement);
        self.env().emit_event(MeteringSettled { agreement_id, units, amount, paid: delta, locked: agreement.locked });
        Ok(())
    }
}
