//! Offers: published by a member of the service's organization.

use crate::{agreements::Agreements, registry, AgreementError, Result};
use ink::codegen::Env;
use ink::prelude::vec::Vec;
use osiris_contract_types::{agreements::*, is_valid_id, Balance, BlockNumber, OrgId, ServiceId};

impl Agreements {
    pub(crate) fn do_create_offer(
        &mut self,
        org_id: OrgId,
        service_id: ServiceId,
        template_id: TemplateId,
        price: Balance,
        timeouts: Vec<BlockNumber>,
        metering: Option<Metering>,
    ) -> Result<OfferId> {
        let provider = self.env().caller();
        let template = self.templates.get(template_id).ok_or(AgreementError::TemplateNotFound)?;
        if !template.whitelisted {
            return Err(AgreementError::TemplateNotWhitelisted);
        }
        let timeouts_ok = timeouts.is_empty()
            || (timeouts.len() == template.conditions.len()
                && timeouts.iter().zip(&template.conditions).all(|(t, c)| *t > c.time_lock));
        let metering_ok =
            metering.as_ref().is_none_or(|m| !m.unit.is_empty() && m.price_per_unit > 0 && m.settlement_window > 0);
        if price == 0 || !timeouts_ok || !metering_ok || !is_valid_id(&org_id) || !is_valid_id(&service_id) {
            return Err(AgreementError::InvalidOffer);
        }
        if metering.as_ref().is_some_and(|m| m.unit.len() > MAX_TEXT_LEN) {
            return Err(AgreementError::TextTooLong);
        }
        if !registry::may_offer(self.registry, &org_id, &service_id, provider)? {
            return Err(AgreementError::NotOrganizationMember);
        }
        let offer_id = self.next_offer_id;
        self.next_offer_id = offer_id.checked_add(1).ok_or(AgreementError::Overflow)?;
        let offer = Offer {
            provider,
            org_id: org_id.clone(),
            service_id: service_id.clone(),
            template_id,
            price,
            timeouts: timeouts.clone(),
            metering: metering.clone(),
            active: true,
        };
        self.offers.insert(offer_id, &offer);
        self.env().emit_event(OfferCreated {
            offer_id,
            provider,
            org_id,
            service_id,
            template_id,
            price,
            timeouts,
            metering,
        });
        Ok(offer_id)
    }

    pub(crate) fn do_withdraw_offer(&mut self, offer_id: OfferId) -> Result<()> {
        let mut offer = self.offers.get(offer_id).ok_or(AgreementError::OfferNotFound)?;
        if offer.provider != self.env().caller() {
            return Err(AgreementError::NotProvider);
        }
        if !offer.active {
            return Err(AgreementError::OfferInactive);
        }
        offer.active = false;
        self.offers.insert(offer_id, &offer);
        self.env().emit_event(OfferWithdrawn { offer_id });
        Ok(())
    }
}
