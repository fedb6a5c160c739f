//! Errors of talking to the chain and the contracts.

use osiris_contract_types::{agreements::AgreementError, ddc::DdcError, escrow::EscrowError, registry::RegistryError};

/// A contract refused a message with its typed error (found by the dry run, nothing was submitted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ContractError {
    #[error("escrow refused: {0:?} ({desc})", desc = escrow_error_text(*.0))]
    Escrow(EscrowError),
    #[error("registry refused: {0:?} ({desc})", desc = registry_error_text(*.0))]
    Registry(RegistryError),
    #[error("agreements refused: {0:?} ({desc})", desc = agreement_error_text(*.0))]
    Agreements(AgreementError),
    #[error("ddc refused: {0:?} ({desc})", desc = ddc_error_text(*.0))]
    Ddc(DdcError),
}

/// What a ddc error means, in a user's words.
pub fn ddc_error_text(e: DdcError) -> &'static str {
    use DdcError::*;
    match e {
        ZeroAmount => "the amount must be positive",
        Overflow => "an amount or counter would overflow",
        InsufficientDeposit => "the ddc deposit is lower than the amount, or than the rent its buckets owe",
        TransferFailed => "the chain refused the transfer (is the amount above the existential deposit?)",
        NodeNotFound => "no node with this id",
        ClusterNotFound => "no cluster with this id",
        BucketNotFound => "no bucket with this id",
        NotNodeOwner => "only the node's owner may change it",
        NotClusterManager => "only the cluster's manager may do this",
        NotBucketOwner => "only the bucket's owner may do this",
        NotBucketOwnerOrManager => "only the bucket's owner or its cluster's manager may report its resource",
        ManagerNotTrusted => "the node's owner does not trust this manager (`osiris node trust`)",
        InsufficientNodeResource => "a node has less free resource than its vnodes need",
        InsufficientClusterResource => "the cluster has less free resource than the allocation needs",
        InvalidVnodes => "a cluster needs 1 to 64 vnodes and a positive resource per vnode",
        VnodeNotFound => "the cluster has no vnode with this index",
        InvalidFee => "fees are at most 10,000 basis points, manager and network fee together",
        InvalidText => "a node URL must not be empty, and URLs and metadata are at most 256 bytes",
        TooManyBuckets => "an account owns at most 32 buckets",
        TooManyPermissions => "a bucket has at most 32 readers and writers",
        CapacityBelowReserved => "the capacity would fall below what clusters reserved on the node",
        NothingToDistribute => "the cluster has collected nothing to distribute",
        LastVnode => "a cluster keeps at least one vnode",
        NodeNotInCluster => "the node holds no vnode of this cluster",
    }
}

impl From<DdcError> for ContractError {
    fn from(e: DdcError) -> Self {
        ContractError::Ddc(e)
    }
}

/// What an agreements error means, in a user's words.
pub fn agreement_error_text(e: AgreementError) -> &'static str {
    use AgreementError::*;
    match e {
        NotOwner => "only the contract owner manages templates",
        InvalidTemplate => "a template runs LockPayment first and ReleasePayment last (depending on every other condition), each kind once, dependencies on earlier conditions only, each time lock before its timeout",
        TemplateNotFound => "no template with this id",
        TemplateNotWhitelisted => "the template is not whitelisted",
        OfferNotFound => "no offer with this id",
        OfferInactive => "the offer was withdrawn",
        InvalidOffer => "the price must be positive, timeouts one per condition after its time lock, metering with a unit, a positive price and a settlement window of at least one block",
        NotOrganizationMember => "the signer is not the owner or a member of the organization, or it has no such service",
        NotProvider => "only the agreement's provider may do this",
        NotConsumer => "only the agreement's consumer may do this",
        NotParty => "only the consumer or the provider may do this",
        AgreementExists => "an agreement with this id exists",
        AgreementNotFound => "no agreement with this id",
        AgreementNotActive => "the agreement has ended",
        InvalidSignature => "the signature is not the consumer key's over this message",
        InvalidKey => "the consumer key must be a compressed secp256k1 public key (33 bytes starting 02 or 03)",
        NoSuchCondition => "the agreement's template has no such condition",
        ConditionNotUnfulfilled => "the condition was fulfilled or aborted already",
        DependencyNotFulfilled => "a condition it depends on is not fulfilled yet",
        TimeLocked => "the condition's time lock has not passed",
        ConditionTimedOut => "the condition's deadline has passed",
        WrongAmount => "the amount must equal the offer's price",
        InsufficientDeposit => "the balance in the agreements contract is lower than the amount",
        ZeroAmount => "the amount must be positive",
        InputSignatureMissing => "the consumer has not signed the input's hash yet",
        NotMetered => "the offer is not metered",
        StaleMeteringRecord => "a metering record must count more than the last settled one",
        MeteringExceedsLocked => "the metered amount is more than what is locked or than the units are worth",
        RefundNotAllowed => "no refund: the payment is locked and no delivery condition timed out unfulfilled (never after delivery; a metered agreement only after its termination's settlement window)",
        TextTooLong => "a text is longer than 512 bytes",
        Overflow => "an amount would overflow",
        TransferFailed => "the chain refused the transfer (is the amount above the existential deposit?)",
        RegistryUnavailable => "the registry contract could not be asked",
        ConsumerKeyNotBound => "the consumer's account has not bound this key (the consumer runs `osiris agreement bind-key` first)",
        AgreementTerminating => "the consumer terminated the agreement: only settlements, the provider's release and, after the settlement window, the refund remain",
    }
}

impl From<AgreementError> for ContractError {
    fn from(e: AgreementError) -> Self {
        ContractError::Agreements(e)
    }
}

/// What an escrow error means, in a user's words.
pub fn escrow_error_text(e: EscrowError) -> &'static str {
    use EscrowError::*;
    match e {
        InsufficientBalance => "the escrow balance is lower than the amount",
        ZeroAmount => "the amount must be positive",
        Overflow => "an amount would overflow",
        TransferFailed => "the chain refused the transfer (is the amount above the existential deposit?)",
        ChannelNotFound => "no channel with this id",
        NotChannelSender => "only the channel's sender may do this",
        NotChannelRecipient => "only the channel's recipient may claim",
        ExpirationInPast => "the expiration must be a block after the current one",
        ExpirationDecrease => "a channel's expiration can only move later",
        InvalidSignature => "the signature is not the channel signer's for this amount at the current nonce: forged, for another amount, or already claimed",
        InvalidSignerKey => "the signer must be a compressed secp256k1 public key (33 bytes starting 02 or 03)",
        AmountExceedsChannelValue => "the signed amount is more than the channel holds",
        ActualExceedsPlanned => "the claimed amount is more than the signed amount",
        ChannelNotExpired => "the channel has not reached its expiration block",
        InvalidGroupId => "group ids are 1 to 64 characters of a-z 0-9 . _ -",
        DuplicateChannel => "a channel appears twice in one multi-channel claim",
        InvalidClaimCount => "a multi-channel claim holds 1 to 64 claims",
    }
}

/// What a registry error means, in a user's words.
pub fn registry_error_text(e: RegistryError) -> &'static str {
    use RegistryError::*;
    match e {
        InvalidId => "ids are 1 to 64 characters of a-z 0-9 . _ -, not only dots",
        InvalidMetadata => "a name (max 128 bytes), URI or endpoint (max 256 bytes, not empty) is invalid",
        OrganizationExists => "an organization with this id exists",
        OrganizationNotFound => "no organization with this id",
        NotAuthorized => "the signer is not the organization's owner (or member, where members may act)",
        MemberExists => "the account is already the owner or a member",
        MemberNotFound => "the account is not a member",
        ServiceExists => "a service with this id exists in the organization",
        ServiceNotFound => "no service with this id in the organization",
        GroupExists => "a group with this id exists in the service",
        GroupNotFound => "no group with this id in the service",
        LastGroup => "a service needs at least one group",
        EndpointExists => "the endpoint is already in the group",
        EndpointNotFound => "the endpoint is not in the group",
        TooMany => "a limit on members, services, groups or endpoints would be exceeded",
    }
}

impl From<EscrowError> for ContractError {
    fn from(e: EscrowError) -> Self {
        ContractError::Escrow(e)
    }
}

impl From<RegistryError> for ContractError {
    fn from(e: RegistryError) -> Self {
        ContractError::Registry(e)
    }
}

/// Everything that can go wrong between this process and the contracts.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The contract returned its typed error.
    #[error(transparent)]
    Contract(#[from] ContractError),
    /// The runtime refused the call (e.g. `Contracts::ContractTrapped`, out of gas, no funds for fees).
    #[error("the chain refused the call: {0}")]
    Dispatch(String),
    /// The contract could not dispatch the message at all (ink! `LangError`, e.g. an unknown selector:
    /// the contract at that address is not the expected one).
    #[error("the contract could not dispatch the message: {0}")]
    Lang(String),
    /// Reaching the node, submitting, or following the transaction failed.
    #[error("node: {0}")]
    Rpc(String),
    /// The node cannot be reached at all (refused, unknown host, no answer in time).
    #[error("cannot reach the node at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// Bytes from the chain did not decode as the expected type.
    #[error("cannot decode {what}: {reason}")]
    Decode { what: &'static str, reason: String },
    /// An expected event was not emitted.
    #[error("missing event: {0}")]
    MissingEvent(&'static str),
    #[error("invalid account id {0}")]
    InvalidAccount(String),
    #[error("invalid secret: {0}")]
    InvalidSecret(String),
    #[error("invalid payment key or signature: {0}")]
    InvalidKey(String),
    /// The deployment file is missing, unreadable or malformed.
    #[error("deployment file {path}: {reason}")]
    Deployment { path: String, reason: String },
    /// Contract artifacts are missing and could not be built.
    #[error("contract artifacts: {0}")]
    Artifacts(String),
}

impl ChainError {
    /// The contract's typed error, if that is what this is.
    pub fn contract_error(&self) -> Option<ContractError> {
        match self {
            ChainError::Contract(e) => Some(*e),
            _ => None,
        }
    }

    pub(crate) fn rpc(e: impl std::fmt::Display) -> Self {
        ChainError::Rpc(e.to_string())
    }
}
