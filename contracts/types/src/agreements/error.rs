//! Why an agreements message failed.

/// Every way an agreements message can fail. Returned as `Err`, never as a trap; on
/// chain an `Err` reverts all of the message's state changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
pub enum AgreementError {
    /// Only the contract owner may manage templates.
    NotOwner,
    /// A template needs 1..=`MAX_CONDITIONS` conditions, starting with LockPayment and
    /// ending with ReleasePayment (which depends on every other), each kind at most once,
    /// dependencies on earlier conditions only, and each time lock before its timeout.
    InvalidTemplate,
    TemplateNotFound,
    /// Agreements are made only from whitelisted templates.
    TemplateNotWhitelisted,
    OfferNotFound,
    /// The offer was withdrawn.
    OfferInactive,
    /// The price is zero, the timeouts do not match the template, or the metering terms are empty.
    InvalidOffer,
    /// The caller is not a member (or the owner) of the offer's organization in the registry.
    NotOrganizationMember,
    /// Only the offer's provider may do this.
    NotProvider,
    /// Only the agreement's consumer may do this.
    NotConsumer,
    /// Only the consumer or the provider may do this.
    NotParty,
    /// An agreement with this id exists already.
    AgreementExists,
    AgreementNotFound,
    /// The agreement is no longer active.
    AgreementNotActive,
    /// The signature does not recover to the consumer's key over the signed message.
    InvalidSignature,
    /// The key is not a compressed secp256k1 key (0x02 or 0x03 prefix).
    InvalidKey,
    /// The template has no condition of this kind.
    NoSuchCondition,
    /// The condition was fulfilled or aborted already.
    ConditionNotUnfulfilled,
    /// A condition it depends on is not fulfilled yet.
    DependencyNotFulfilled,
    /// Its time lock has not passed yet.
    TimeLocked,
    /// Its deadline has passed.
    ConditionTimedOut,
    /// The transferred value or deposit does not equal the offer's price.
    WrongAmount,
    /// The caller's deposit in this contract is lower than the amount.
    InsufficientDeposit,
    /// The amount is zero where a positive amount is required.
    ZeroAmount,
    /// The consumer has not submitted its signature over the input's hash yet.
    InputSignatureMissing,
    /// The offer is not metered.
    NotMetered,
    /// A metering record must count more than the last settled one (it never pays twice).
    StaleMeteringRecord,
    /// The metered amount is more than what is locked, or more than units × price per unit.
    MeteringExceedsLocked,
    /// Nothing allows a refund: the payment was locked and no delivery condition (input
    /// agreed, access granted) timed out unfulfilled, or a metered agreement was not
    /// terminated, or its settlement window is still open. Once the provider delivered, never.
    RefundNotAllowed,
    /// A text (location, unit, reason, parameters) is longer than `MAX_TEXT_LEN` bytes.
    TextTooLong,
    /// An amount or counter would overflow.
    Overflow,
    /// The chain refused the transfer of a withdrawal.
    TransferFailed,
    /// The registry could not be asked (cross-contract call failed).
    RegistryUnavailable,
    /// The provider created the agreement with a key the consumer's account has not bound
    /// (`bind_consumer_key`).
    ConsumerKeyNotBound,
    /// The consumer terminated the agreement: only settlements, the provider's release and,
    /// after the settlement window, the consumer's refund remain.
    AgreementTerminating,
}
