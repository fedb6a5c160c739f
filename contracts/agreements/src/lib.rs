//! # Agreements
//!
//! Service agreements between a consumer and a provider, made from a provider's offer
//! on a whitelisted template of conditions:
//!
//! 1. the owner creates templates (ordered conditions with dependencies, time locks and
//!    timeouts in blocks) and whitelists them;
//! 2. a provider (a member of the service's organization in the registry) publishes an
//!    offer: template, price, timeouts, optional metering terms;
//! 3. the consumer binds its secp256k1 key to its account (its own transaction), signs
//!    (agreement id, offer, its parameters) with it, and the provider creates the agreement
//!    with that signature — or the consumer creates it;
//! 4. conditions are fulfilled, each after its dependencies, inside its window: the consumer
//!    locks the price; both sides agree on the input (the consumer signs its hash, the
//!    provider submits the hash); the provider registers the result; the payment is released
//!    to the provider (by anyone, however late, once it delivered), which fulfils the agreement;
//! 5. for metered offers the provider settles consumer-signed cumulative metering records
//!    as service goes on (a record never pays twice, never more than is locked);
//! 6. when a delivery condition times out unfulfilled the consumer takes back what is locked
//!    (refund); either side may terminate with a reason. A consumer that terminates a metered
//!    agreement opens a settlement window (blocks, from the offer) for the provider's last
//!    settlements before it can take the rest back.
//!
//! Fairness: a provider that delivered is paid for what it delivered (no refund after
//! delivery, and a late release still pays); a consumer pays only for what was delivered
//! (the lock only after every delivery condition, metered usage only by records its key
//! signed).
//!
//! Money: payments and refunds are credited to balances held in this contract
//! (`withdraw` takes them out). Invariant: the planck the contract holds for users equal
//! the sum of all balances plus what active agreements have locked. Every change emits
//! an event; every failure is an [`AgreementError`].
#![cfg_attr(not(feature = "std"), no_std, no_main)]

mod agreement;
mod condition;
mod funds;
mod keys;
mod metering;
mod offer;
mod registry;
mod signature;
mod template;
#[cfg(test)]
mod tests;

pub use osiris_contract_types::agreements::*;

#[ink::contract]
mod agreements {
    use ink::prelude::{string::String, vec::Vec};
    use ink::storage::Mapping;
    use osiris_contract_types::{agreements::*, OrgId, PaymentSignature, ServiceId, SignerKey};

    /// Result of every agreements message.
    pub type Result<T> = core::result::Result<T, AgreementError>;

    #[ink(storage)]
    pub struct Agreements {
        /// Manages templates.
        pub(crate) owner: AccountId,
        /// The registry contract, asked whether an offer's provider belongs to its organization.
        pub(crate) registry: AccountId,
        pub(crate) templates: Mapping<TemplateId, Template>,
        pub(crate) next_template_id: TemplateId,
        pub(crate) offers: Mapping<OfferId, Offer>,
        pub(crate) next_offer_id: OfferId,
        pub(crate) agreements: Mapping<AgreementId, Agreement>,
        /// Planck held for each account (deposits, payments, refunds), withdrawable.
        pub(crate) balances: Mapping<AccountId, Balance>,
        /// The key each account bound as its consumer key (`bind_consumer_key`).
        pub(crate) consumer_keys: Mapping<AccountId, SignerKey>,
    }

    impl Agreements {
        /// The caller becomes the owner; `registry` is the registry contract's address.
        #[ink(constructor)]
        pub fn new(registry: AccountId) -> Self {
            Self {
                owner: Self::env().caller(),
                registry,
                templates: Mapping::default(),
                next_template_id: 0,
                offers: Mapping::default(),
                next_offer_id: 0,
                agreements: Mapping::default(),
                balances: Mapping::default(),
                consumer_keys: Mapping::default(),
            }
        }

        // --- templates (template.rs), owner only ---

        /// Creates a template (not whitelisted); returns its id.
        #[ink(message)]
        pub fn create_template(&mut self, conditions: Vec<ConditionSpec>) -> Result<TemplateId> {
            self.do_create_template(conditions)
        }

        /// Whitelists a template (agreements can be made from it), or takes it off.
        #[ink(message)]
        pub fn set_template_whitelisted(&mut self, template_id: TemplateId, whitelisted: bool) -> Result<()> {
            self.do_set_whitelisted(template_id, whitelisted)
        }

        // --- offers (offer.rs), by providers ---

        /// Publishes an offer for `org_id/service_id`; the caller must be the organization's
        /// owner or a member. `timeouts` (blocks, one per condition) overrides the template's
        /// when not empty. Returns the offer's id.
        #[ink(message)]
        pub fn create_offer(
            &mut self,
            org_id: OrgId,
            service_id: ServiceId,
            template_id: TemplateId,
            price: Balance,
            timeouts: Vec<BlockNumber>,
            metering: Option<Metering>,
        ) -> Result<OfferId> {
            self.do_create_offer(org_id, service_id, template_id, price, timeouts, metering)
        }

        /// The offer takes no new agreements. Provider only.
        #[ink(message)]
        pub fn withdraw_offer(&mut self, offer_id: OfferId) -> Result<()> {
            self.do_withdraw_offer(offer_id)
        }

        // --- consumer keys (keys.rs) ---

        /// Binds the caller's consumer key: `signature` by `key` over
        /// `key_binding_message(contract, caller)`. Agreements a provider creates for the
        /// caller must name this key.
        #[ink(message)]
        pub fn bind_consumer_key(&mut self, key: SignerKey, signature: PaymentSignature) -> Result<()> {
            self.do_bind_consumer_key(key, signature)
        }

        // --- agreements (agreement.rs) ---

        /// Creates agreement `agreement_id` on `offer_id` for `consumer`, whose secp256k1 key
        /// `consumer_key` signs its input and metering records. Called by the consumer, or by
        /// the offer's provider with the consumer's `signature` over
        /// `agreement_message(contract, agreement_id, offer_id, consumer, params)`, when
        /// `consumer_key` is the key the consumer's account bound (`ConsumerKeyNotBound`).
        #[ink(message)]
        pub fn create_agreement(
            &mut self,
            agreement_id: AgreementId,
            offer_id: OfferId,
            consumer: AccountId,
            consumer_key: SignerKey,
            params: Vec<u8>,
            signature: Option<PaymentSignature>,
        ) -> Result<()> {
            self.do_create_agreement(agreement_id, offer_id, consumer, consumer_key, params, signature)
        }

        /// The consumer locks the offer's price, transferred with the call (LockPayment).
        #[ink(message, payable)]
        pub fn lock_payment(&mut self, agreement_id: AgreementId) -> Result<()> {
            let value = self.env().transferred_value();
            self.do_lock_payment(agreement_id, value, false)
        }

        /// The consumer locks the offer's price from its balance here (LockPayment).
        #[ink(message)]
        pub fn lock_payment_from_deposit(&mut self, agreement_id: AgreementId) -> Result<()> {
            self.do_lock_payment(agreement_id, 0, true)
        }

        /// The consumer submits only its signature over the input's hash
        /// (`input_message(contract, agreement_id, hash)`).
        #[ink(message)]
        pub fn submit_input_signature(&mut self, agreement_id: AgreementId, signature: PaymentSignature) -> Result<()> {
            self.do_submit_input_signature(agreement_id, signature)
        }

        /// The provider submits the input's hash; it must be what the consumer signed (InputAgreed).
        #[ink(message)]
        pub fn fulfil_input(&mut self, agreement_id: AgreementId, input_hash: Hash32) -> Result<()> {
            self.do_fulfil_input(agreement_id, input_hash)
        }

        /// The provider registers the outputs' hash and location, owned by the consumer (AccessGranted).
        #[ink(message)]
        pub fn fulfil_access(
            &mut self,
            agreement_id: AgreementId,
            result_hash: Hash32,
            location: String,
        ) -> Result<()> {
            self.do_fulfil_access(agreement_id, result_hash, location)
        }

        /// The payment goes to the provider (ReleasePayment) once it delivered, however late:
        /// the whole lock, by anyone's call; for a metered offer what was settled (the rest
        /// goes back to the consumer), by the provider's. Fulfils the agreement.
        #[ink(message)]
        pub fn release_payment(&mut self, agreement_id: AgreementId) -> Result<()> {
            self.do_release_payment(agreement_id)
        }

        /// The consumer takes back what is locked: when it was never locked, when a delivery
        /// condition timed out unfulfilled (ends as refunded), or after a metered agreement's
        /// settlement window (ends as terminated). Never after delivery (`RefundNotAllowed`).
        #[ink(message)]
        pub fn refund(&mut self, agreement_id: AgreementId) -> Result<()> {
            self.do_refund(agreement_id)
        }

        /// Either side ends the agreement with a reason: the provider is paid if everything but the
        /// release was fulfilled, else what is locked goes back to the consumer (metered
        /// settlements stay paid). The consumer may end a locked plain agreement only when a
        /// refund is allowed; ending a locked metered one opens the offer's settlement window.
        #[ink(message)]
        pub fn terminate(&mut self, agreement_id: AgreementId, code: u32, reason: String) -> Result<()> {
            self.do_terminate(agreement_id, code, reason)
        }

        // --- metering (metering.rs) ---

        /// The provider settles the consumer-signed cumulative record (`units`, `amount` planck),
        /// signature over `metering_message(contract, agreement_id, units, amount)`: the amount
        /// not paid by earlier records moves from the lock to the provider.
        #[ink(message)]
        pub fn settle_metering(
            &mut self,
            agreement_id: AgreementId,
            units: u64,
            amount: Balance,
            signature: PaymentSignature,
        ) -> Result<()> {
            self.do_settle_metering(agreement_id, units, amount, signature)
        }

        // --- balances (funds.rs) ---

        /// Adds the transferred value to the caller's balance here.
        #[ink(message, payable)]
        pub fn deposit(&mut self) -> Result<()> {
            self.do_deposit()
        }

        /// Sends `amount` planck of the caller's balance here to its account.
        #[ink(message)]
        pub fn withdraw(&mut self, amount: Balance) -> Result<()> {
            self.do_withdraw(amount)
        }

        // --- queries ---

        #[ink(message)]
        pub fn template(&self, template_id: TemplateId) -> Option<Template> {
            self.templates.get(template_id)
        }

        #[ink(message)]
        pub fn offer(&self, offer_id: OfferId) -> Option<Offer> {
            self.offers.get(offer_id)
        }

        #[ink(message)]
        pub fn agreement(&self, agreement_id: AgreementId) -> Option<Agreement> {
            self.agreements.get(agreement_id)
        }

        /// The consumer key `account` bound, if any.
        #[ink(message)]
        pub fn consumer_key(&self, account: AccountId) -> Option<SignerKey> {
            self.consumer_keys.get(account)
        }

        /// The account's balance here in planck (0 if none).
        #[ink(message)]
        pub fn balance_of(&self, account: AccountId) -> Balance {
            self.balances.get(account).unwrap_or(0)
        }

        /// Ids the next template and offer get (= how many exist).
        #[ink(message)]
        pub fn counts(&self) -> (TemplateId, OfferId) {
            (self.next_template_id, self.next_offer_id)
        }

        #[ink(message)]
        pub fn owner(&self) -> AccountId {
            self.owner
        }

        #[ink(message)]
        pub fn registry(&self) -> AccountId {
            self.registry
        }
    }
}

pub use agreements::{Agreements, AgreementsRef, Result};
