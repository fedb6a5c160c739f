//! Typed client of the agreements contract. Each state-changing method dry-runs first
//! (a refusal is a [`ChainError::Contract`] holding the [`AgreementError`] and submits
//! nothing), then waits until its block is finalized. The consumer's off-chain signatures
//! (agreement, input hash, metering record) are made with its payment key
//! (`osiris_payments::signing::agreement`).

use crate::{
    account::to_ink,
    client::CallOutcome,
    contract::{find_event, message},
    AccountId, Balance, BlockNumber, Chain, ChainError, Signer,
};
use osiris_contract_types::agreements::{
    Agreement, AgreementError, AgreementId, ConditionSpec, Hash32, Metering, Offer, OfferCreated, OfferId, Template,
    TemplateCreated, TemplateId,
};
use osiris_contract_types::{PaymentSignature, SignerKey};

/// The agreements contract at `address`.
#[derive(Clone)]
pub struct Agreements {
    chain: Chain,
    address: AccountId,
}

impl Agreements {
    pub fn new(chain: Chain, address: AccountId) -> Self {
        Self { chain, address }
    }

    /// The contract's account.
    pub fn address(&self) -> &AccountId {
        &self.address
    }

    async fn call(
        &self,
        signer: &Signer,
        value: Balance,
        data: Vec<u8>,
        what: &'static str,
    ) -> Result<CallOutcome<()>, ChainError> {
        self.chain.call::<(), AgreementError>(signer, &self.address, value, data, what).await
    }

    /// Creates a template (owner only); the outcome's value is its id.
    pub async fn create_template(
        &self,
        owner: &Signer,
        conditions: Vec<ConditionSpec>,
    ) -> Result<CallOutcome<TemplateId>, ChainError> {
        let data = message("create_template", (conditions,));
        let mut outcome =
            self.chain.call::<TemplateId, AgreementError>(owner, &self.address, 0, data, "create_template").await?;
        let created: TemplateCreated =
            find_event(&outcome.events, &self.address).ok_or(ChainError::MissingEvent("TemplateCreated"))?;
        outcome.value = created.template_id;
        Ok(outcome)
    }

    /// Whitelists a template or takes it off (owner only).
    pub async fn set_template_whitelisted(
        &self,
        owner: &Signer,
        template_id: TemplateId,
        whitelisted: bool,
    ) -> Result<CallOutcome<()>, ChainError> {
        let data = message("set_template_whitelisted", (template_id, whitelisted));
        self.call(owner, 0, data, "set_template_whitelisted").await
    }

    /// Publishes an offer; the outcome's value is its id.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_offer(
        &self,
        provider: &Signer,
        org_id: &str,
        service_id: &str,
        template_id: TemplateId,
        price: Balance,
        timeouts: Vec<BlockNumber>,
        metering: Option<Metering>,
    ) -> Result<CallOutcome<OfferId>, ChainError> {
        let data = message("create_offer", (org_id, service_id, template_id, price, timeouts, metering));
        let mut outcome =
            self.chain.call::<OfferId, AgreementError>(provider, &self.address, 0, data, "create_offer").await?;
        let created: OfferCreated =
            find_event(&outcome.events, &self.address).ok_or(ChainError::MissingEvent("OfferCreated"))?;
        outcome.value = created.offer_id;
        Ok(outcome)
    }

    /// The offer takes no new agreements (provider only).
    pub async fn withdraw_offer(&self, provider: &Signer, offer_id: OfferId) -> Result<CallOutcome<()>, ChainError> {
        self.call(provider, 0, message("withdraw_offer", (offer_id,)), "withdraw_offer").await
    }

    /// Binds the signer's consumer key: `proof` is the key's `sign_key_binding` signature
    /// over the signer's account. Agreements a provider creates for the signer must name
    /// this key.
    pub async fn bind_consumer_key(
        &self,
        consumer: &Signer,
        key: SignerKey,
        proof: PaymentSignature,
    ) -> Result<CallOutcome<()>, ChainError> {
        self.call(consumer, 0, message("bind_consumer_key", (key, proof)), "bind_consumer_key").await
    }

    /// The consumer key `account` bound, if any.
    pub async fn consumer_key(&self, account: &AccountId) -> Result<Option<SignerKey>, ChainError> {
        self.chain.query(&self.address, message("consumer_key", (to_ink(account),)), "consumer_key").await
    }

    /// Creates an agreement: as the consumer (`signature` None), or as the provider with the
    /// consumer's [`sign_agreement`] signature and the key the consumer bound.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_agreement(
        &self,
        caller: &Signer,
        agreement_id: AgreementId,
        offer_id: OfferId,
        consumer: &AccountId,
        consumer_key: SignerKey,
        params: Vec<u8>,
        signature: Option<PaymentSignature>,
    ) -> Result<CallOutcome<()>, ChainError> {
        let data =
            message("create_agreement", (agreement_id, offer_id, to_ink(consumer), consumer_key, params, signature));
        self.call(caller, 0, data, "create_agreement").await
    }

    /// The consumer locks `price` planck transferred with the call.
    pub async fn lock_payment(
        &self,
        consumer: &Signer,
        agreement_id: AgreementId,
        price: Balance,
    ) -> Result<CallOutcome<()>, ChainError> {
        self.call(consumer, price, message("lock_payment", (agreement_id,)), "lock_payment").await
    }

    /// The consumer locks the price from its balance in the contract.
    pub async fn lock_payment_from_deposit(
        &self,
        consumer: &Signer,
        agreement_id: AgreementId,
    ) -> Result<CallOutcome<()>, ChainError> {
        let data = message("lock_payment_from_deposit", (agreement_id,));
        self.call(consumer, 0, data, "lock_payment_from_deposit").await
    }

    /// The consumer submits its [`sign_input`] signature.
    pub async fn submit_input_signature(
        &self,
        consumer: &Signer,
        agreement_id: AgreementId,
        signature: PaymentSignature,
    ) -> Result<CallOutcome<()>, ChainError> {
        let data = message("submit_input_signature", (agreement_id, signature));
        self.call(consumer, 0, data, "submit_input_signature").await
    }

    /// The provider submits the input's hash (InputAgreed).
    pub async fn fulfil_input(
        &self,
        provider: &Signer,
        agreement_id: AgreementId,
        input_hash: Hash32,
    ) -> Result<CallOutcome<()>, ChainError> {
        self.call(provider, 0, message("fulfil_input", (agreement_id, input_hash)), "fulfil_input").await
    }

    /// The provider registers the outputs (AccessGranted).
    pub async fn fulfil_access(
        &self,
        provider: &Signer,
        agreement_id: AgreementId,
        result_hash: Hash32,
        location: &str,
    ) -> Result<CallOutcome<()>, ChainError> {
        let data = message("fulfil_access", (agreement_id, result_hash, location));
        self.call(provider, 0, data, "fulfil_access").await
    }

    /// The payment goes to the provider (ReleasePayment), fulfilling the agreement: anyone
    /// may send it once the provider delivered; for a metered offer only the provider.
    pub async fn release_payment(
        &self,
        provider: &Signer,
        agreement_id: AgreementId,
    ) -> Result<CallOutcome<()>, ChainError> {
        self.call(provider, 0, message("release_payment", (agreement_id,)), "release_payment").await
    }

    /// The consumer takes back what is locked after a delivery condition timed out, when
    /// nothing was locked, or after a terminated metered agreement's settlement window.
    pub async fn refund(&self, consumer: &Signer, agreement_id: AgreementId) -> Result<CallOutcome<()>, ChainError> {
        self.call(consumer, 0, message("refund", (agreement_id,)), "refund").await
    }

    /// Either side ends the agreement with a reason code and text (a consumer ending a locked
    /// metered agreement opens its settlement window instead).
    pub async fn terminate(
        &self,
        party: &Signer,
        agreement_id: AgreementId,
        code: u32,
        reason: &str,
    ) -> Result<CallOutcome<()>, ChainError> {
        self.call(party, 0, message("terminate", (agreement_id, code, reason)), "terminate").await
    }

    /// The provider settles a consumer-signed cumulative metering record.
    pub async fn settle_metering(
        &self,
        provider: &Signer,
        agreement_id: AgreementId,
        units: u64,
        amount: Balance,
        signature: PaymentSignature,
    ) -> Result<CallOutcome<()>, ChainError> {
        let data = message("settle_metering", (agreement_id, units, amount, signature));
        self.call(provider, 0, data, "settle_metering").await
    }

    /// Deposits `amount` planck of the signer's free balance into its balance in the contract.
    pub async fn deposit(&self, signer: &Signer, amount: Balance) -> Result<CallOutcome<()>, ChainError> {
        self.call(signer, amount, message("deposit", ()), "deposit").await
    }

    /// Withdraws `amount` planck of the signer's balance in the contract.
    pub async fn withdraw(&self, signer: &Signer, amount: Balance) -> Result<CallOutcome<()>, ChainError> {
        self.call(signer, 0, message("withdraw", (amount,)), "withdraw").await
    }

    pub async fn template(&self, template_id: TemplateId) -> Result<Option<Template>, ChainError> {
        self.chain.query(&self.address, message("template", (template_id,)), "template").await
    }

    pub async fn offer(&self, offer_id: OfferId) -> Result<Option<Offer>, ChainError> {
        self.chain.query(&self.address, message("offer", (offer_id,)), "offer").await
    }

    pub async fn agreement(&self, agreement_id: AgreementId) -> Result<Option<Agreement>, ChainError> {
        self.chain.query(&self.address, message("agreement", (agreement_id,)), "agreement").await
    }

    /// The account's balance in the contract, planck.
    pub async fn balance_of(&self, account: &AccountId) -> Result<Balance, ChainError> {
        self.chain.query(&self.address, message("balance_of", (to_ink(account),)), "balance_of").await
    }

    /// How many templates and offers exist (the ids the next ones get).
    pub async fn counts(&self) -> Result<(TemplateId, OfferId), ChainError> {
        self.chain.query(&self.address, message("counts", ()), "counts").await
    }
}
