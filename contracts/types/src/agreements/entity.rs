//! What the agreements contract stores and returns.

use crate::{AccountId, Balance, BlockNumber, OrgId, PaymentSignature, ServiceId, SignerKey};
use alloc::{string::String, vec::Vec};

/// Template id, assigned by the contract from 0 upwards.
pub type TemplateId = u32;
/// Offer id, assigned by the contract from 0 upwards.
pub type OfferId = u64;
/// Agreement id: 32 bytes chosen by the consumer (at random), so that it can sign the
/// agreement before it exists on chain.
pub type AgreementId = [u8; 32];
/// A blake2-256 hash (of input files, of outputs).
pub type Hash32 = [u8; 32];

/// Most conditions in a template.
pub const MAX_CONDITIONS: usize = 8;
/// Longest metering unit name, result location, parameters or termination reason, in bytes.
pub const MAX_TEXT_LEN: usize = 512;

/// What a condition stands for, and who fulfils it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub enum ConditionKind {
    /// The consumer locks the offer's price in the contract (`lock_payment`).
    LockPayment,
    /// Both sides saw the same input: the consumer submits a signature over the input's
    /// hash, the provider submits the hash, and the contract checks one against the other.
    InputAgreed,
    /// The provider delivered: access granted / job done, with a result hash and location.
    AccessGranted,
    /// The payment goes to the provider; fulfilling it fulfils the agreement.
    ReleasePayment,
}

/// One condition of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct ConditionSpec {
    pub kind: ConditionKind,
    /// Indexes of earlier conditions of the template that must be fulfilled first.
    pub depends_on: Vec<u8>,
    /// Blocks after the agreement's creation before which the condition cannot be fulfilled.
    pub time_lock: BlockNumber,
    /// Blocks after the agreement's creation by which it must be fulfilled; after that the
    /// consumer may take the payment back.
    pub timeout: BlockNumber,
}

/// An ordered list of conditions; agreements are made only from whitelisted templates.
#[derive(Debug, Clone, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct Template {
    pub conditions: Vec<ConditionSpec>,
    pub whitelisted: bool,
}

/// Metering terms of an offer: usage is counted in `unit`s at `price_per_unit` planck.
#[derive(Debug, Clone, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct Metering {
    /// What is counted, e.g. `"call"`, `"MiB"`, `"second"`.
    pub unit: String,
    pub price_per_unit: Balance,
    /// Blocks the provider has, after the consumer terminates, to settle the consumer-signed
    /// records of the service it gave; only then can the consumer take back the rest. At
    /// least 1.
    pub settlement_window: BlockNumber,
}

/// A provider's offer for one of its services.
#[derive(Debug, Clone, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct Offer {
    /// The account that published the offer and is paid.
    pub provider: AccountId,
    pub org_id: OrgId,
    pub service_id: ServiceId,
    pub template_id: TemplateId,
    /// Planck the consumer locks; for a metered offer, the most that can be metered.
    pub price: Balance,
    /// Each condition's timeout in blocks, overriding the template's (same length).
    pub timeouts: Vec<BlockNumber>,
    pub metering: Option<Metering>,
    /// A withdrawn offer takes no new agreements.
    pub active: bool,
}

/// Where a condition stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub enum ConditionState {
    Unfulfilled,
    Fulfilled,
    /// It can no longer be fulfilled (timed out, refunded or terminated).
    Aborted,
}

/// A condition of an agreement.
#[derive(Debug, Clone, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct Condition {
    pub kind: ConditionKind,
    pub depends_on: Vec<u8>,
    pub state: ConditionState,
    /// First block at which it may be fulfilled.
    pub not_before: BlockNumber,
    /// Last block at which it may be fulfilled.
    pub deadline: BlockNumber,
}

impl ConditionKind {
    /// Whether the provider fulfils it by delivering (input agreed, access granted): a
    /// refund needs one of these to have timed out unfulfilled.
    pub fn is_delivery(self) -> bool {
        matches!(self, ConditionKind::InputAgreed | ConditionKind::AccessGranted)
    }
}

/// Where an agreement stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub enum AgreementState {
    /// Conditions are being fulfilled.
    Active,
    /// The payment was released to the provider.
    Fulfilled,
    /// The payment (what was not metered) went back to the consumer after a timeout.
    Refunded,
    /// One side ended it early.
    Terminated,
}

/// Why an agreement was terminated, kept with it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct Termination {
    pub by: AccountId,
    /// An application-defined reason code.
    pub code: u32,
    pub reason: String,
}

/// The outputs a provider delivered: registered on chain, owned by the consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct AgreementResult {
    /// blake2-256 of the outputs.
    pub hash: Hash32,
    /// Where the consumer fetches them (e.g. the gateway's job URL).
    pub location: String,
}

/// A service agreement between a consumer and a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct Agreement {
    pub offer_id: OfferId,
    pub consumer: AccountId,
    /// secp256k1 key (compressed) of the consumer: it signs the agreement, the input's hash
    /// and metering records.
    pub consumer_key: SignerKey,
    pub provider: AccountId,
    /// The consumer's parameters, as it signed them (opaque to the contract).
    pub params: Vec<u8>,
    /// Block of creation; conditions' time locks and deadlines count from it.
    pub created: BlockNumber,
    pub conditions: Vec<Condition>,
    pub state: AgreementState,
    /// Planck locked by the consumer and not yet paid out or refunded.
    pub locked: Balance,
    /// Planck paid to the provider so far (metered settlements and the release).
    pub paid: Balance,
    /// The consumer's signature over the input's hash, once submitted.
    pub input_signature: Option<PaymentSignature>,
    /// The input's hash, once the provider matched it to the signature.
    pub input_hash: Option<Hash32>,
    pub result: Option<AgreementResult>,
    /// Cumulative units and amount of the latest settled metering record.
    pub metered_units: u64,
    pub metered_amount: Balance,
    pub termination: Option<Termination>,
    /// For a metered agreement the consumer terminated while planck were locked: the last
    /// block of the settlement window, in which the provider may still settle records. The
    /// agreement stays `Active` (serving no new calls) until the consumer takes the rest back
    /// after it, or the provider releases.
    pub settle_until: Option<BlockNumber>,
}
