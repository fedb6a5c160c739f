//! Events of the agreements contract: one per transition, carrying what a mirror needs
//! without reading contract storage.

use super::{AgreementId, ConditionKind, ConditionSpec, Hash32, Metering, OfferId, TemplateId};
use crate::{AccountId, Balance, BlockNumber, OrgId, ServiceId, SignerKey};
use alloc::{string::String, vec::Vec};

/// The owner created a template (not yet whitelisted).
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateCreated {
    #[ink(topic)]
    pub template_id: TemplateId,
    pub conditions: Vec<ConditionSpec>,
}

/// The owner whitelisted a template, or took it off the whitelist.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateWhitelistChanged {
    #[ink(topic)]
    pub template_id: TemplateId,
    pub whitelisted: bool,
}

/// A provider published an offer.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferCreated {
    #[ink(topic)]
    pub offer_id: OfferId,
    #[ink(topic)]
    pub provider: AccountId,
    pub org_id: OrgId,
    pub service_id: ServiceId,
    pub template_id: TemplateId,
    pub price: Balance,
    pub timeouts: Vec<BlockNumber>,
    pub metering: Option<Metering>,
}

/// A provider withdrew an offer: it takes no new agreements.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferWithdrawn {
    #[ink(topic)]
    pub offer_id: OfferId,
}

/// An agreement was made from an offer.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementCreated {
    #[ink(topic)]
    pub agreement_id: AgreementId,
    #[ink(topic)]
    pub offer_id: OfferId,
    #[ink(topic)]
    pub consumer: AccountId,
    pub consumer_key: SignerKey,
    pub provider: AccountId,
    pub params: Vec<u8>,
    /// Block of creation; the conditions' windows count from it.
    pub created: BlockNumber,
}

/// A condition was fulfilled (for LockPayment: `locked` planck were locked).
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionFulfilled {
    #[ink(topic)]
    pub agreement_id: AgreementId,
    /// Its index in the template.
    pub index: u8,
    pub kind: ConditionKind,
    /// Planck locked in the agreement after the change.
    pub locked: Balance,
}

/// The consumer locked the price (followed by LockPayment's [`ConditionFulfilled`]).
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentLocked {
    #[ink(topic)]
    pub agreement_id: AgreementId,
    #[ink(topic)]
    pub consumer: AccountId,
    pub amount: Balance,
    /// Taken from the consumer's balance in the contract (else transferred with the call).
    pub from_deposit: bool,
}

/// The consumer submitted its signature over the input's hash.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSigned {
    #[ink(topic)]
    pub agreement_id: AgreementId,
}

/// The provider matched the input's hash to the consumer's signature (InputAgreed fulfilled).
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputAgreed {
    #[ink(topic)]
    pub agreement_id: AgreementId,
    pub input_hash: Hash32,
}

/// The provider registered the outputs, owned by the consumer (AccessGranted fulfilled).
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultRegistered {
    #[ink(topic)]
    pub agreement_id: AgreementId,
    #[ink(topic)]
    pub owner: AccountId,
    pub hash: Hash32,
    pub location: String,
}

/// The provider settled a metering record: `paid` planck moved to its deposit.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeteringSettled {
    #[ink(topic)]
    pub agreement_id: AgreementId,
    /// Cumulative units and amount of the record.
    pub units: u64,
    pub amount: Balance,
    /// What this settlement paid (amount minus what earlier records paid).
    pub paid: Balance,
    /// Planck still locked after it.
    pub locked: Balance,
}

/// The agreement ended: conditions still unfulfilled were aborted, `paid` planck went to
/// the provider's deposit and `refunded` to the consumer's.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementSettled {
    #[ink(topic)]
    pub agreement_id: AgreementId,
    /// `Fulfilled`, `Refunded` or `Terminated`, as the agreement's state.
    pub state: super::AgreementState,
    pub paid: Balance,
    pub refunded: Balance,
}

/// One side terminated the agreement: followed by its [`AgreementSettled`], or, for a
/// metered agreement the consumer terminated with planck locked, by a settlement window
/// ending at block `settle_until`.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementTerminated {
    #[ink(topic)]
    pub agreement_id: AgreementId,
    #[ink(topic)]
    pub by: AccountId,
    pub code: u32,
    pub reason: String,
    pub settle_until: Option<BlockNumber>,
}

/// An account bound the secp256k1 key that signs for it as a consumer: agreements a
/// provider creates for it must name this key.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerKeyBound {
    #[ink(topic)]
    pub account: AccountId,
    pub key: SignerKey,
}

/// Planck were deposited into `account`'s balance in the agreements contract.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementFundsDeposited {
    #[ink(topic)]
    pub account: AccountId,
    pub amount: Balance,
    pub balance: Balance,
}

/// Planck left `account`'s balance in the agreements contract to its free balance.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementFundsWithdrawn {
    #[ink(topic)]
    pub account: AccountId,
    pub amount: Balance,
    pub balance: Balance,
}
