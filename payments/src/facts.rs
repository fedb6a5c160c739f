//! What the deals are decided from: the contracts' entities as the indexer's mirror last
//! saw them at a finalized block. `osiris-mirror` reads them from PostgreSQL; the rules here
//! only take them as values. The names of agreement and condition states are the ones the
//! mirror and its REST API write, declared once here for the indexer, the mirror and the
//! gateway.

use osiris_contract_types::agreements::{AgreementId, AgreementState, ConditionKind, ConditionState};
use osiris_contract_types::ddc::{BucketId, ClusterId, NodeId, Resource};
use osiris_contract_types::{Balance, BlockNumber, ChannelId, Nonce, SignerKey};

/// One escrow channel as the mirror last saw it (at a finalized block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelFacts {
    pub channel_id: ChannelId,
    /// SS58.
    pub sender: String,
    /// SS58.
    pub recipient: String,
    /// The 33-byte compressed secp256k1 key that signs the channel's payments.
    pub signer: SignerKey,
    pub group_id: String,
    /// Planck locked in the channel.
    pub value: Balance,
    /// The nonce the next claim is for (moved on by each claim).
    pub nonce: Nonce,
    /// Block from which the sender may take the channel's value back.
    pub expiration: BlockNumber,
    /// Block that last changed the channel.
    pub updated_block: u64,
}

/// A condition kind as the mirror and the API name it.
pub fn kind_name(kind: ConditionKind) -> &'static str {
    match kind {
        ConditionKind::LockPayment => "lock_payment",
        ConditionKind::InputAgreed => "input_agreed",
        ConditionKind::AccessGranted => "access_granted",
        ConditionKind::ReleasePayment => "release_payment",
    }
}

/// An agreement state as the mirror and the API name it.
pub fn state_name(state: AgreementState) -> &'static str {
    match state {
        AgreementState::Active => "active",
        AgreementState::Fulfilled => "fulfilled",
        AgreementState::Refunded => "refunded",
        AgreementState::Terminated => "terminated",
    }
}

/// A condition state as the mirror and the API name it.
pub fn condition_state_name(state: ConditionState) -> &'static str {
    match state {
        ConditionState::Unfulfilled => "unfulfilled",
        ConditionState::Fulfilled => "fulfilled",
        ConditionState::Aborted => "aborted",
    }
}

/// A condition of an agreement, as far as calls depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConditionFacts {
    pub kind: ConditionKind,
    pub state: ConditionState,
    /// Last block at which it may be fulfilled; after it the consumer may take a refund.
    pub deadline: BlockNumber,
}

/// One agreement as the mirror last saw it (at a finalized block), with its offer's metering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementFacts {
    pub agreement_id: AgreementId,
    /// SS58.
    pub consumer: String,
    /// The consumer's compressed secp256k1 key: it signs the metering records.
    pub consumer_key: SignerKey,
    /// SS58: the account paid by settlements and the release.
    pub provider: String,
    pub org_id: String,
    pub service_id: String,
    pub state: AgreementState,
    /// Planck locked now (what settlements can still pay).
    pub locked: Balance,
    /// Cumulative units and planck of the last metering record settled on chain.
    pub metered_units: u64,
    pub metered_amount: Balance,
    /// Planck per unit when the offer is metered; `None` for a flat-priced offer.
    pub price_per_unit: Option<Balance>,
    /// The offer's metering unit (e.g. `call`), when metered.
    pub metering_unit: Option<String>,
    pub conditions: Vec<ConditionFacts>,
    /// Set when the consumer terminated a metered agreement: the last block of the settlement
    /// window. Such an agreement serves no new calls; its records can still be settled.
    pub settle_until: Option<BlockNumber>,
    /// Block that last changed the agreement.
    pub updated_block: u64,
}

/// Who may do what in a bucket, and where it lives: the part of the mirror's bucket a
/// node gateway decides by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketAccess {
    pub bucket_id: BucketId,
    /// SS58.
    pub owner: String,
    pub cluster_id: ClusterId,
    /// Resource allocated into the cluster (0: none yet).
    pub resource: Resource,
    /// SS58 accounts allowed every operation.
    pub writers: Vec<String>,
    /// SS58 accounts allowed `get` and `list`.
    pub readers: Vec<String>,
    /// The cluster's manager (SS58), allowed `list` and `prove`: its keeper measures a bucket's usage
    /// from what the placed nodes agree they hold (`osiris-keeper`), without reading data.
    pub manager: String,
}

/// What a node gateway needs to decide a request within a bucket, as the mirror saw it at
/// `finalized_block`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketFacts {
    pub bucket: BucketAccess,
    /// The node each of the bucket's cluster's vnodes is mapped onto.
    pub vnodes: Vec<NodeId>,
    /// The owners (SS58) of those nodes: they may read the bucket, so that a node can copy
    /// from its peers the replicas its placement gives it (repair).
    pub node_owners: Vec<String>,
    /// The owner's deposit, planck.
    pub owner_deposit: Balance,
    /// `(rent per block, settled until)` of every bucket the owner pays for, this one included.
    pub owner_buckets: Vec<(Balance, BlockNumber)>,
    /// The indexer's cursor.
    pub finalized_block: u64,
}

impl BucketFacts {
    /// The mirror's finalized block as a contract block number.
    pub fn now(&self) -> BlockNumber {
        BlockNumber::try_from(self.finalized_block).unwrap_or(BlockNumber::MAX)
    }

    /// The block up to which (excluding) the owner's deposit covers the rent of all its
    /// buckets, as the contract's `bucket` query computes it; `BlockNumber::MAX` when the
    /// owner pays no rent.
    pub fn rent_covered_until(&self) -> BlockNumber {
        osiris_contract_types::ddc::rent_covered_until(self.owner_deposit, &self.owner_buckets, self.now())
    }

    /// Whether the rent is covered at the mirror's finalized block.
    pub fn rent_covered(&self) -> bool {
        self.rent_covered_until() > self.now()
    }
}
