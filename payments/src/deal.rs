//! Every kind of deal Osiris sells is decided the same way: a consumer presents a **proof**
//! (a signed authorization, a metering record, a signed request), the mirror holds the
//! **facts** of the deal's on-chain side (a channel, an agreement, a bucket), the shared
//! store holds the **state** the deal's earlier calls left, and the provider's gateway
//! decides under its **terms** (price, clock, finalized block). [`Deal::decide`] is the one
//! rule of a kind: pure (no I/O, no clock), total, and used by every caller — the
//! gateway's early check, the store's conditional write (`osiris-ledger`) and the
//! explanation of a lost write.
//!
//! | kind | proof | facts | state | rule |
//! |---|---|---|---|---|
//! | [`ChannelDeal`] (escrow and prepaid calls) | [`Payment`] | [`ChannelFacts`] | [`PaymentState`] | [`crate::rule::decide`] |
//! | [`LeaseDeal`] (a replica's share of a prepaid authorization) | [`LeaseOp`] | [`ChannelFacts`] | [`PaymentState`] | [`crate::lease::decide_lease`] |
//! | [`MeteredDeal`] (calls under an agreement) | [`MeteringRecord`] | [`AgreementFacts`] | [`MeteringState`] | [`crate::metering::decide_metered`] |
//! | [`FreeCallDeal`] (a service's free calls) | [`CheckedFreeCall`] | none (`()`) | [`FreeCallState`] | [`crate::free_calls::decide_free`] |
//! | [`BucketDeal`] (requests within a bucket) | [`BucketCall`] | `Option<`[`BucketFacts`]`>` | none (`()`) | [`crate::buckets::decide_bucket`] |
//!
//! Signatures are not part of a rule: they are checked before (a state the store holds was
//! verified when stored).

use crate::buckets::{decide_bucket, BucketOp, BucketRequest, NodeTerms};
use crate::facts::{AgreementFacts, BucketFacts, ChannelFacts};
use crate::free_calls::{decide_free, FreeCallState, FreeCallTerms};
use crate::lease::{decide_lease, LeaseOp, LeaseTerms};
use crate::metering::{decide_metered, MeteringRecord, MeteringState, ServiceTerms};
use crate::payment::Payment;
use crate::refusal::Refusal;
use crate::rule::{decide, may_pass_on_newer_state, Terms};
use crate::state::PaymentState;
use osiris_contract_types::SignerKey;

/// One kind of deal: its types and its one rule.
pub trait Deal {
    /// What the consumer presents with a call, its signature already verified.
    type Proof;
    /// The mirror's view of the deal's on-chain side.
    type Facts;
    /// What the shared store holds after the deal's accepted calls.
    type State: Clone;
    /// What the provider's gateway decides under.
    type Terms;

    /// Decides one call: the state after it, or why it does not pass.
    fn decide(
        proof: &Self::Proof,
        facts: &Self::Facts,
        stored: Option<&Self::State>,
        terms: &Self::Terms,
    ) -> Result<Self::State, Refusal>;

    /// Whether `refusal`, decided against a stored state that may be behind the shared
    /// store, could turn into an acceptance against the newer one (then the store reads the
    /// state again before answering). False unless a kind's state can move backwards for a
    /// proof, as a channel's nonce moves on under a claim.
    fn may_pass_on_newer_state(_refusal: &Refusal) -> bool {
        false
    }
}

/// Calls paid over an escrow payment channel: a fresh authorization per call, or one
/// prepaid authorization drawn down call by call.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChannelDeal;

impl Deal for ChannelDeal {
    type Proof = Payment;
    type Facts = ChannelFacts;
    type State = PaymentState;
    type Terms = Terms;

    fn decide(
        proof: &Payment,
        facts: &ChannelFacts,
        stored: Option<&PaymentState>,
        terms: &Terms,
    ) -> Result<PaymentState, Refusal> {
        decide(proof, facts, stored, terms)
    }

    fn may_pass_on_newer_state(refusal: &Refusal) -> bool {
        may_pass_on_newer_state(refusal)
    }
}

/// A gateway replica's share of a prepaid authorization: reserved, reported, returned or
/// swept on the same stored row as the channel's calls ([`crate::lease`]). A refusal
/// against a stale row may turn around only as a channel call's does (a nonce moved on).
#[derive(Debug, Clone, Copy, Default)]
pub struct LeaseDeal;

impl Deal for LeaseDeal {
    type Proof = LeaseOp;
    type Facts = ChannelFacts;
    type State = PaymentState;
    type Terms = LeaseTerms;

    fn decide(
        proof: &LeaseOp,
        facts: &ChannelFacts,
        stored: Option<&PaymentState>,
        terms: &LeaseTerms,
    ) -> Result<PaymentState, Refusal> {
        decide_lease(proof, facts, stored, terms)
    }

    fn may_pass_on_newer_state(refusal: &Refusal) -> bool {
        // A report may also be refused against a stale row that lacks the share it reports on.
        may_pass_on_newer_state(refusal) || matches!(refusal, Refusal::Lease { .. })
    }
}

/// Calls under a service agreement, each paid by the consumer's cumulative metering record.
/// A stored record behind the shared store only lowers the bar (records only rise), so a
/// refusal stands.
#[derive(Debug, Clone, Copy, Default)]
pub struct MeteredDeal;

impl Deal for MeteredDeal {
    type Proof = MeteringRecord;
    type Facts = AgreementFacts;
    type State = MeteringState;
    type Terms = ServiceTerms;

    fn decide(
        proof: &MeteringRecord,
        facts: &AgreementFacts,
        stored: Option<&MeteringState>,
        terms: &ServiceTerms,
    ) -> Result<MeteringState, Refusal> {
        decide_metered(proof, facts, stored, terms)
    }
}

/// A free call whose signature was recovered to its caller's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckedFreeCall {
    /// The consumer: the compressed secp256k1 key the signature recovered to.
    pub caller: SignerKey,
    /// The signed timestamp, Unix ms.
    pub timestamp_ms: u64,
}

/// A service's free calls, counted per consumer and period. A count behind the shared
/// store is never higher than the stored one and its last timestamp never later, so a
/// refusal stands.
#[derive(Debug, Clone, Copy, Default)]
pub struct FreeCallDeal;

impl Deal for FreeCallDeal {
    type Proof = CheckedFreeCall;
    type Facts = ();
    type State = FreeCallState;
    type Terms = FreeCallTerms;

    fn decide(
        proof: &CheckedFreeCall,
        _facts: &(),
        stored: Option<&FreeCallState>,
        terms: &FreeCallTerms,
    ) -> Result<FreeCallState, Refusal> {
        decide_free(proof.timestamp_ms, stored, terms)
    }
}

/// A request within a bucket and the operation its method is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketCall {
    pub request: BucketRequest,
    pub op: BucketOp,
}

/// Requests within a bucket served by a ddc node. Nothing is stored per request (bytes are
/// counted, not decided), so the state is `()`.
#[derive(Debug, Clone, Copy, Default)]
pub struct BucketDeal;

impl Deal for BucketDeal {
    type Proof = BucketCall;
    type Facts = Option<BucketFacts>;
    type State = ();
    type Terms = NodeTerms;

    fn decide(
        proof: &BucketCall,
        facts: &Option<BucketFacts>,
        _stored: Option<&()>,
        terms: &NodeTerms,
    ) -> Result<(), Refusal> {
        decide_bucket(facts.as_ref(), &proof.request, proof.op, *terms)
    }
}
