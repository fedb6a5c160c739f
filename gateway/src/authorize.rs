//! A call's payment, from its metadata to the payment store, in two steps. [`check`]: the
//! channel is looked up in the mirror cache and must be this gateway's; the payment is
//! decided early with the payment rule against this replica's copy of the stored state (so
//! a refusal costs no signature check and no round trip). [`commit`]: its signature is
//! verified unless the stored state already holds it, then it is handed to the store, which
//! decides it again against the row it writes and commits it. Nothing unverified is ever
//! written.
//!
//! [`check`]: Authorizer::check
//! [`commit`]: Authorizer::commit

use crate::channels::ChannelCache;
use crate::free_calls::FreeCalls;
use crate::limits::RateLimits;
use osiris_chain::AccountId;
use osiris_ledger::versioned::Pending;
use osiris_ledger::MeteringStore;
use osiris_ledger::PaymentStore;
use osiris_mirror::AgreementFacts;
use osiris_payments::free_calls::FreeCall;
use osiris_payments::metering::{decide_metered, id_text, MeteringRecord, MeteringState, ServiceTerms};
use osiris_payments::rule::may_pass_on_newer_state;
use osiris_payments::{decide, ChannelFacts, Payment, PaymentState, Refusal, Terms};
use std::sync::Arc;

/// Decides whether a call is paid for.
#[derive(Debug, Clone)]
pub struct Authorizer {
    pub channels: Arc<ChannelCache>,
    pub payments: PaymentStore,
    /// The escrow contract the authorizations are for.
    pub escrow: AccountId,
    /// Blocks a channel (or an agreement's unfulfilled conditions) must stay open beyond
    /// the current finalized block.
    pub expiry_threshold: u32,
    /// Agreement-backed calls: the latest metering record of each agreement.
    pub metering: MeteringStore,
    /// The agreements contract the metering records are for; `None` when the deployment
    /// has none (agreement-backed calls are then refused as unknown agreements).
    pub agreements_contract: Option<AccountId>,
    /// Rate limits, checked before any signature or store work.
    pub limits: Arc<RateLimits>,
    /// The consumers' free calls.
    pub free_calls: FreeCalls,
    /// Where payment signatures are checked (inline or off the I/O thread).
    pub signatures: crate::signatures::SignatureChecks,
}

/// A metering record that passed the early checks and its signature check, ready to commit.
#[derive(Debug)]
pub struct CheckedRecord {
    record: MeteringRecord,
    facts: Arc<AgreementFacts>,
    terms: ServiceTerms,
    /// Planck the record adds to the last one this replica saw (what the call is charged).
    pub charge: osiris_contract_types::Balance,
}

/// A payment that passed the early checks, ready to be verified and committed.
#[derive(Debug)]
pub struct Checked {
    payment: Payment,
    facts: Arc<ChannelFacts>,
    terms: Terms,
    /// Whether the signature still needs verifying (the stored state does not hold it).
    unverified: bool,
    /// Planck the call adds to what the channel has spent, as this replica sees it.
    pub charge: osiris_contract_types::Balance,
}

/// What [`Authorizer::check`] learnt from the rule about a payment.
struct Decided {
    terms: Terms,
    unverified: bool,
    charge: osiris_contract_types::Balance,
}

impl Authorizer {
    /// The early checks: the channel is in the mirror and this gateway's, and the rule
    /// passes `payment` against this replica's copy of the stored state. No chain query; a
    /// database round trip only for a channel or row this replica has not cached.
    pub async fn check(&self, payment: Payment) -> Result<Checked, Refusal> {
        let facts = self.our_channel(payment.channel_id, false).await?;
        let (facts, decided) = match self.decide(&payment, &facts).await {
            Err(refusal) if refusal.may_pass_on_newer_facts() => {
                // The cache may not have seen a top-up, an extension or the channel's last
                // block yet: the mirror itself decides.
                let facts = self.our_channel(payment.channel_id, true).await?;
                let decided = self.decide(&payment, &facts).await?;
                (facts, decided)
            }
            decided => (facts, decided?),
        };
        let Decided { terms, unverified, charge } = decided;
        Ok(Checked { payment, facts, terms, unverified, charge })
    }

    /// The channel from the cache (or, `from_mirror`, as the mirror holds it now), if it
    /// exists and pays this gateway.
    pub(crate) async fn our_channel(
        &self,
        channel_id: osiris_contract_types::ChannelId,
        from_mirror: bool,
    ) -> Result<Arc<ChannelFacts>, Refusal> {
        let found = if from_mirror {
            self.channels.channel_from_mirror(channel_id).await
        } else {
            self.channels.channel(channel_id).await
        };
        let facts =
            found.map_err(|e| Refusal::Unavailable(e.to_string()))?.ok_or(Refusal::UnknownChannel(channel_id))?;
        self.check_ours(&facts)?;
        Ok(facts)
    }

    fn check_ours(&self, facts: &ChannelFacts) -> Result<(), Refusal> {
        if !self.channels.is_ours(facts) {
            return Err(Refusal::ForeignChannel {
                channel_id: facts.channel_id,
                recipient: facts.recipient.clone(),
                group_id: facts.group_id.clone(),
            });
        }
        Ok(())
    }

    /// The rule against this replica's stored state, and once more against the database's
    /// if another replica or a claim may have moved the nonce on.
    async fn decide(&self, payment: &Payment, facts: &Arc<ChannelFacts>) -> Result<Decided, Refusal> {
        let terms = self.channels.terms(self.expiry_threshold);
        let mut stored = self.payments.cached(&payment.channel_id);
        let next = match decide(payment, facts, stored.as_ref(), &terms) {
            Ok(next) => next,
            Err(refusal) if !may_pass_on_newer_state(&refusal) => return Err(refusal),
            Err(_) => {
                stored = self.payments.load(&payment.channel_id, facts).await?;
                decide(payment, facts, stored.as_ref(), &terms)?
            }
        };
        let spent_before = stored.as_ref().filter(|s| s.nonce == next.nonce).map_or(0, |s| s.spent);
        let charge = next.spent.saturating_sub(spent_before);
        let unverified = !stored.as_ref().is_some_and(|state| state.holds(payment));
        Ok(Decided { terms, unverified, charge })
    }

    /// The early checks of an agreement-backed call: the agreement is in the mirror, the
    /// rule passes the record against this replica's copy of the stored record, and the
    /// consumer's key signed it. No chain query.
    pub async fn check_metered(&self, record: MeteringRecord) -> Result<CheckedRecord, Refusal> {
        let unknown = || Refusal::UnknownAgreement(id_text(&record.agreement_id));
        let contract = self.agreements_contract.as_ref().ok_or_else(unknown)?;
        // The local copy is never ahead of the database and records only rise, so a
        // refusal against it stands against the database's too; the agreement's copy may
        // lag (a payment locked a moment ago), so the mirror itself decides those.
        let cached = self.metering.cached(&record.agreement_id);
        let (facts, terms) = self
            .channels
            .decide_agreement(&record.agreement_id, |facts| {
                let terms = self.channels.service_terms(self.expiry_threshold);
                decide_metered(&record, facts, cached.as_ref(), &terms).map(|_| terms)
            })
            .await?;
        let charge = record.amount.saturating_sub(cached.map_or(0, |state| state.amount));
        if !record.is_signed_by(&facts, contract) {
            return Err(Refusal::WrongConsumerKey { agreement_id: id_text(&record.agreement_id) });
        }
        // Charged only now: a stranger's forged records must not use up the consumer's limit.
        self.limits.consumer_call(&facts.consumer_key)?;
        Ok(CheckedRecord { record, facts, terms, charge })
    }

    /// A free call: its signature names the consumer, who must be admitted (the provider's
    /// token, where needed), and whose rate limit, the group's budget and its own free-call
    /// count must allow it; the counts are committed before the call is sent.
    pub async fn free_call(&self, call: FreeCall) -> Result<(), Refusal> {
        // `decide_free` refuses this too; asked first, it spares a gateway without free
        // calls the signature recovery.
        if self.free_calls.config.per_period == 0 {
            return Err(Refusal::NoFreeCalls);
        }
        let caller = self.free_calls.caller(&call)?;
        self.free_calls.admit(&caller, &call)?;
        self.limits.consumer_call(&caller)?;
        self.free_calls.accept(&caller, &call).await.map(drop)
    }

    /// Decides the checked record against the stored one and commits it; the state after
    /// the call once it is durable.
    pub async fn commit_metered(&self, checked: CheckedRecord) -> Result<MeteringState, Refusal> {
        let CheckedRecord { record, facts, terms, .. } = checked;
        self.metering.accept(record, facts, terms).await
    }

    /// Whether `payment`'s signature is the channel signer's (BadSignature if not).
    pub fn verify(&self, payment: &Payment, facts: &ChannelFacts) -> Result<(), Refusal> {
        if payment.is_signed_by(&facts.signer, &self.escrow) {
            Ok(())
        } else {
            Err(Refusal::BadSignature { channel_id: payment.channel_id, nonce: payment.nonce, amount: payment.amount })
        }
    }

    /// Verifies the signature (unless the stored state already holds this authorization)
    /// and submits the payment to the store; the returned [`Pending`] resolves once it is
    /// committed, or refused by the store's own decision.
    pub async fn commit(&self, checked: Checked) -> Result<Pending<PaymentState>, Refusal> {
        let Checked { payment, facts, terms, unverified, .. } = checked;
        let signed = || {
            let (payment, signer, escrow) = (payment.clone(), facts.signer, self.escrow);
            move || payment.is_signed_by(&signer, &escrow)
        };
        if unverified && !self.signatures.run(signed()).await {
            return Err(Refusal::BadSignature {
                channel_id: payment.channel_id,
                nonce: payment.nonce,
                amount: payment.amount,
            });
        }
        // Charged only once the signature is the channel signer's (or an authorization it
        // already made): a stranger's forged payments must not use up the consumer's limit.
        self.limits.consumer_call(&facts.signer)?;
        self.payments.submit(payment, facts, terms)
    }
}
