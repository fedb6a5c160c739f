//! Agreements: creation, the conditions' messages, and how an agreement ends.

use crate::condition::{self, abort_rest, delivered, delivery_timed_out, fulfil, fulfil_with, Deadline};
use crate::signature::{is_compressed_key, is_signed_by};
use crate::{agreements::Agreements, AgreementError, Result};
use ink::codegen::Env;
use ink::prelude::{string::String, vec::Vec};
use osiris_contract_types::agreements::*;
use osiris_contract_types::{AccountId, Balance, PaymentSignature, SignerKey};

impl Agreements {
    pub(crate) fn do_create_agreement(
        &mut self,
        agreement_id: AgreementId,
        offer_id: OfferId,
        consumer: AccountId,
        consumer_key: SignerKey,
        params: Vec<u8>,
        signature: Option<PaymentSignature>,
    ) -> Result<()> {
        let caller = self.env().caller();
        if self.agreements.contains(agreement_id) {
            return Err(AgreementError::AgreementExists);
        }
        let offer = self.offers.get(offer_id).ok_or(AgreementError::OfferNotFound)?;
        if !offer.active {
            return Err(AgreementError::OfferInactive);
        }
        let template = self.templates.get(offer.template_id).ok_or(AgreementError::TemplateNotFound)?;
        if !template.whitelisted {
            return Err(AgreementError::TemplateNotWhitelisted);
        }
        if !is_compressed_key(&consumer_key) {
            return Err(AgreementError::InvalidKey);
        }
        if params.len() > MAX_TEXT_LEN {
            return Err(AgreementError::TextTooLong);
        }
        if caller != consumer {
            if caller != offer.provider {
                return Err(AgreementError::NotParty);
            }
            // A key the provider made up would let it sign inputs and metering records in
            // the consumer's name: the consumer's account must have bound this key itself.
            if self.consumer_keys.get(consumer) != Some(consumer_key) {
                return Err(AgreementError::ConsumerKeyNotBound);
            }
            let message = agreement_message(&self.env().account_id(), &agreement_id, offer_id, &consumer, &params);
            if !signature.is_some_and(|s| is_signed_by(&s, &message, &consumer_key)) {
                return Err(AgreementError::InvalidSignature);
            }
        }
        let created = self.env().block_number();
        let mut conditions = Vec::new();
        for (i, spec) in template.conditions.iter().enumerate() {
            let timeout = offer.timeouts.get(i).copied().unwrap_or(spec.timeout);
            conditions.push(Condition {
                kind: spec.kind,
                depends_on: spec.depends_on.clone(),
                state: ConditionState::Unfulfilled,
                not_before: created.checked_add(spec.time_lock).ok_or(AgreementError::Overflow)?,
                deadline: created.checked_add(timeout).ok_or(AgreementError::Overflow)?,
            });
        }
        let agreement = Agreement {
            offer_id,
            consumer,
            consumer_key,
            provider: offer.provider,
            params: params.clone(),
            created,
            conditions,
            state: AgreementState::Active,
            locked: 0,
            paid: 0,
            input_signature: None,
            input_hash: None,
            result: None,
            metered_units: 0,
            metered_amount: 0,
            termination: None,
            settle_until: None,
        };
        self.agreements.insert(agreement_id, &agreement);
        self.env().emit_event(AgreementCreated {
            agreement_id,
            offer_id,
            consumer,
            consumer_key,
            provider: offer.provider,
            params,
            created,
        });
        Ok(())
    }

    /// The agreement, if it is active, not terminating, and `caller` is allowed by `who`.
    fn active(&self, agreement_id: AgreementId, who: Party) -> Result<Agreement> {
        let agreement = self.open(agreement_id, who)?;
        if agreement.settle_until.is_some() {
            return Err(AgreementError::AgreementTerminating);
        }
        Ok(agreement)
    }

    /// The agreement, if it is active (terminating or not) and `caller` is allowed by `who`.
    fn open(&self, agreement_id: AgreementId, who: Party) -> Result<Agreement> {
        let agreement = self.agreements.get(agreement_id).ok_or(AgreementError::AgreementNotFound)?;
        if agreement.state != AgreementState::Active {
            return Err(AgreementError::AgreementNotActive);
        }
        let caller = self.env().caller();
        match who {
            Party::Consumer if caller != agreement.consumer => Err(AgreementError::NotConsumer),
            Party::Provider if caller != agreement.provider => Err(AgreementError::NotProvider),
            Party::Either if caller != agreement.consumer && caller != agreement.provider => {
                Err(AgreementError::NotParty)
            }
            _ => Ok(agreement),
        }
    }

    fn fulfilled_event(&self, agreement_id: AgreementId, agreement: &Agreement, index: u8) {
        let kind = agreement.conditions[usize::from(index)].kind;
        self.env().emit_event(ConditionFulfilled { agreement_id, index, kind, locked: agreement.locked });
    }

    /// `transferred` planck (or, `from_deposit`, the consumer's balance here) lock the price.
    pub(crate) fn do_lock_payment(
        &mut self,
        agreement_id: AgreementId,
        transferred: Balance,
        from_deposit: bool,
    ) -> Result<()> {
        let mut agreement = self.active(agreement_id, Party::Consumer)?;
        let price = self.offers.get(agreement.offer_id).ok_or(AgreementError::OfferNotFound)?.price;
        let index = fulfil(&mut agreement, ConditionKind::LockPayment, self.env().block_number())?;
        if from_deposit {
            if transferred != 0 {
                return Err(AgreementError::WrongAmount);
            }
            self.debit(agreement.consumer, price)?;
        } else if transferred != price {
            return Err(AgreementError::WrongAmount);
        }
        agreement.locked = price;
        self.agreements.insert(agreement_id, &agreement);
        self.env().emit_event(PaymentLocked {
            agreement_id,
            consumer: agreement.consumer,
            amount: price,
            from_deposit,
        });
        self.fulfilled_event(agreement_id, &agreement, index);
        Ok(())
    }

    pub(crate) fn do_submit_input_signature(
        &mut self,
        agreement_id: AgreementId,
        signature: PaymentSignature,
    ) -> Result<()> {
        let mut agreement = self.active(agreement_id, Party::Consumer)?;
        if !agreement.conditions.iter().any(|c| c.kind == ConditionKind::InputAgreed) {
            return Err(AgreementError::NoSuchCondition);
        }
        if condition::is_fulfilled(&agreement, ConditionKind::InputAgreed) {
            return Err(AgreementError::ConditionNotUnfulfilled);
        }
        agreement.input_signature = Some(signature);
        self.agreements.insert(agreement_id, &agreement);
        self.env().emit_event(InputSigned { agreement_id });
        Ok(())
    }

    pub(crate) fn do_fulfil_input(&mut self, agreement_id: AgreementId, input_hash: Hash32) -> Result<()> {
        let mut agreement = self.active(agreement_id, Party::Provider)?;
        let signature = agreement.input_signature.ok_or(AgreementError::InputSignatureMissing)?;
        let message = input_message(&self.env().account_id(), &agreement_id, &input_hash);
        if !is_signed_by(&signature, &message, &agreement.consumer_key) {
            return Err(AgreementError::InvalidSignature);
        }
        let index = fulfil(&mut agreement, ConditionKind::InputAgreed, self.env().block_number())?;
        agreement.input_hash = Some(input_hash);
        self.agreements.insert(agreement_id, &agreement);
        self.fulfilled_event(agreement_id, &agreement, index);
        self.env().emit_event(InputAgreed { agreement_id, input_hash });
        Ok(())
    }

    pub(crate) fn do_fulfil_access(&mut self, agreement_id: AgreementId, hash: Hash32, location: String) -> Result<()> {
        let mut agreement = self.active(agreement_id, Party::Provider)?;
        if location.len() > MAX_TEXT_LEN {
            return Err(AgreementError::TextTooLong);
        }
        let index = fulfil(&mut agreement, ConditionKind::AccessGranted, self.env().block_number())?;
        agreement.result = Some(AgreementResult { hash, location: location.clone() });
        self.agreements.insert(agreement_id, &agreement);
        self.fulfilled_event(agreement_id, &agreement, index);
        self.env().emit_event(ResultRegistered { agreement_id, owner: agreement.consumer, hash, location });
        Ok(())
    }

    /// Pays the provider once it delivered (every other condition fulfilled), whoever asks
    /// and however late: the release's own deadline does not turn delivered work into a
    /// refund. A metered agreement pays only what was settled and refunds the rest, so only
    /// its provider may end it this way (the consumer would otherwise cut off settlements).
    pub(crate) fn do_release_payment(&mut self, agreement_id: AgreementId) -> Result<()> {
        let mut agreement = self.open(agreement_id, Party::Anyone)?;
        let metered = self.is_metered(&agreement)?;
        if metered && self.env().caller() != agreement.provider {
            return Err(AgreementError::NotProvider);
        }
        let now = self.env().block_number();
        let index = fulfil_with(&mut agreement, ConditionKind::ReleasePayment, now, Deadline::Ignored)?;
        self.fulfilled_event(agreement_id, &agreement, index);
        self.end(agreement_id, agreement, AgreementState::Fulfilled, !metered)
    }

    /// The consumer takes back what is locked when the provider did not deliver: the payment
    /// was never locked, or a delivery condition timed out unfulfilled. A metered agreement
    /// is refunded only after its termination's settlement window (it ends as terminated).
    pub(crate) fn do_refund(&mut self, agreement_id: AgreementId) -> Result<()> {
        let agreement = self.open(agreement_id, Party::Consumer)?;
        let now = self.env().block_number();
        let never_locked = !condition::is_fulfilled(&agreement, ConditionKind::LockPayment);
        let (allowed, state) = match agreement.settle_until {
            Some(until) => (now > until, AgreementState::Terminated),
            None if never_locked => (true, AgreementState::Refunded),
            None if self.is_metered(&agreement)? => (false, AgreementState::Refunded),
            None => (delivery_timed_out(&agreement, now), AgreementState::Refunded),
        };
        if !allowed {
            return Err(AgreementError::RefundNotAllowed);
        }
        self.end(agreement_id, agreement, state, false)
    }

    /// Either side ends the agreement with a reason. After delivery the provider is paid; a
    /// provider that gives up refunds the consumer. A consumer with a locked payment may end
    /// a plain agreement only when a refund is allowed, and a metered one only through a
    /// settlement window, so that leaving never takes back pay for service given.
    pub(crate) fn do_terminate(&mut self, agreement_id: AgreementId, code: u32, reason: String) -> Result<()> {
        let mut agreement = self.active(agreement_id, Party::Either)?;
        if reason.len() > MAX_TEXT_LEN {
            return Err(AgreementError::TextTooLong);
        }
        let by = self.env().caller();
        let offer = self.offers.get(agreement.offer_id).ok_or(AgreementError::OfferNotFound)?;
        let now = self.env().block_number();
        let by_consumer = by == agreement.consumer;
        let settle_until = match &offer.metering {
            Some(metering) if by_consumer && agreement.locked > 0 => {
                Some(now.checked_add(metering.settlement_window).ok_or(AgreementError::Overflow)?)
            }
            _ => None,
        };
        let is_delivered = delivered(&agreement);
        if by_consumer
            && offer.metering.is_none()
            && agreement.locked > 0
            && !is_delivered
            && !delivery_timed_out(&agreement, now)
        {
            return Err(AgreementError::RefundNotAllowed);
        }
        agreement.termination = Some(Termination { by, code, reason: reason.clone() });
        self.env().emit_event(AgreementTerminated { agreement_id, by, code, reason, settle_until });
        if settle_until.is_some() {
            agreement.settle_until = settle_until;
            self.agreements.insert(agreement_id, &agreement);
            return Ok(());
        }
        // The provider delivered everything but the release: the lock is its pay (a metered
        // offer pays only what was settled).
        let pay_provider = is_delivered && offer.metering.is_none();
        self.end(agreement_id, agreement, AgreementState::Terminated, pay_provider)
    }

    pub(crate) fn is_metered(&self, agreement: &Agreement) -> Result<bool> {
        Ok(self.offers.get(agreement.offer_id).ok_or(AgreementError::OfferNotFound)?.metering.is_some())
    }

    /// Ends the agreement in `state`: what is locked goes to the provider (`pay_provider`)
    /// or back to the consumer, and every unfulfilled condition is aborted.
    fn end(
        &mut self,
        agreement_id: AgreementId,
        mut agreement: Agreement,
        state: AgreementState,
        pay_provider: bool,
    ) -> Result<()> {
        let rest = agreement.locked;
        let (paid, refunded) = if pay_provider { (rest, 0) } else { (0, rest) };
        if paid > 0 {
            self.credit(agreement.provider, paid)?;
            agreement.paid = agreement.paid.checked_add(paid).ok_or(AgreementError::Overflow)?;
        }
        if refunded > 0 {
            self.credit(agreement.consumer, refunded)?;
        }
        agreement.locked = 0;
        agreement.state = state;
        abort_rest(&mut agreement);
        self.agreements.insert(agreement_id, &agreement);
        self.env().emit_event(AgreementSettled { agreement_id, state, paid, refunded });
        Ok(())
    }
}

/// Who may send a message about an agreement.
enum Party {
    Consumer,
    Provider,
    Either,
    Anyone,
}
