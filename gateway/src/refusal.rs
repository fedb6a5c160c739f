//! A refused payment on the wire: each [`Refusal`] with its own gRPC status code (also
//! listed in proto/osiris/gateway/v1/gateway.proto).
//!
//! | refusal                  | gRPC code            |
//! |--------------------------|----------------------|
//! | BadMetadata              | INVALID_ARGUMENT     |
//! | BadSignature             | UNAUTHENTICATED      |
//! | UnknownChannel           | NOT_FOUND            |
//! | ForeignChannel           | PERMISSION_DENIED    |
//! | WrongNonce               | ABORTED              |
//! | AmountExceedsValue       | OUT_OF_RANGE         |
//! | AlreadyAccepted          | ALREADY_EXISTS       |
//! | Underpaid / PrepaidSpent | RESOURCE_EXHAUSTED   |
//! | ChannelExpiring          | FAILED_PRECONDITION  |
//! | Unavailable              | UNAVAILABLE          |
//! | RateLimited              | RESOURCE_EXHAUSTED   |
//!
//! and for agreement-backed calls: UnknownAgreement NOT_FOUND, ForeignAgreement
//! PERMISSION_DENIED, WrongConsumerKey UNAUTHENTICATED, AgreementInactive /
//! PaymentNotLocked / AgreementExpiring FAILED_PRECONDITION, ReplayedRecord ALREADY_EXISTS,
//! MeteringUnderpaid RESOURCE_EXHAUSTED, MeteringOverPrice INVALID_ARGUMENT,
//! MeteringExceedsLocked OUT_OF_RANGE; and for free calls: NoFreeCalls FAILED_PRECONDITION,
//! StaleFreeCall INVALID_ARGUMENT, ReplayedFreeCall ALREADY_EXISTS, FreeCallsUsedUp
//! RESOURCE_EXHAUSTED (`osiris-refusal: free_calls_used_up`: fall back to a paid call),
//! FreeCallTokenRequired PERMISSION_DENIED, BadFreeCallToken UNAUTHENTICATED,
//! FreeCallTokenExpired FAILED_PRECONDITION, FreeCallBudgetSpent RESOURCE_EXHAUSTED; and
//! for requests within a bucket: StaleRequest INVALID_ARGUMENT, BadRequestSignature
//! UNAUTHENTICATED, ReplayedRequest ALREADY_EXISTS, UnknownBucket NOT_FOUND, BucketForbidden
//! PERMISSION_DENIED, BucketNotOnNode / BucketNotAllocated / BucketRentUnpaid /
//! NotABucketNode FAILED_PRECONDITION.

pub use osiris_payments::Refusal;
use tonic::{Code, Status};

/// The gRPC code of a refusal.
pub fn code(refusal: &Refusal) -> Code {
    match refusal {
        Refusal::BadMetadata { .. } => Code::InvalidArgument,
        Refusal::BadSignature { .. } => Code::Unauthenticated,
        Refusal::UnknownChannel(_) => Code::NotFound,
        Refusal::ForeignChannel { .. } => Code::PermissionDenied,
        Refusal::WrongNonce { .. } => Code::Aborted,
        Refusal::AmountExceedsValue { .. } => Code::OutOfRange,
        Refusal::AlreadyAccepted { .. } => Code::AlreadyExists,
        Refusal::Underpaid { .. } | Refusal::PrepaidSpent { .. } => Code::ResourceExhausted,
        Refusal::ChannelExpiring { .. } => Code::FailedPrecondition,
        Refusal::Unavailable(_) => Code::Unavailable,
        Refusal::RateLimited { .. } => Code::ResourceExhausted,
        Refusal::UnknownAgreement(_) => Code::NotFound,
        Refusal::ForeignAgreement { .. } => Code::PermissionDenied,
        Refusal::WrongConsumerKey { .. } => Code::Unauthenticated,
        Refusal::AgreementInactive { .. } | Refusal::PaymentNotLocked { .. } | Refusal::AgreementExpiring { .. } => {
            Code::FailedPrecondition
        }
        Refusal::ReplayedRecord { .. } => Code::AlreadyExists,
        Refusal::MeteringUnderpaid { .. } => Code::ResourceExhausted,
        Refusal::MeteringOverPrice { .. } => Code::InvalidArgument,
        Refusal::MeteringExceedsLocked { .. } => Code::OutOfRange,
        Refusal::NoFreeCalls => Code::FailedPrecondition,
        Refusal::StaleFreeCall { .. } => Code::InvalidArgument,
        Refusal::ReplayedFreeCall { .. } => Code::AlreadyExists,
        Refusal::FreeCallsUsedUp { .. } => Code::ResourceExhausted,
        Refusal::FreeCallTokenRequired => Code::PermissionDenied,
        Refusal::BadFreeCallToken { .. } => Code::Unauthenticated,
        Refusal::FreeCallTokenExpired { .. } => Code::FailedPrecondition,
        Refusal::FreeCallBudgetSpent { .. } => Code::ResourceExhausted,
        Refusal::StaleRequest { .. } => Code::InvalidArgument,
        Refusal::BadRequestSignature { .. } => Code::Unauthenticated,
        Refusal::ReplayedRequest => Code::AlreadyExists,
        Refusal::UnknownBucket(_) => Code::NotFound,
        Refusal::BucketForbidden { .. } => Code::PermissionDenied,
        Refusal::BucketNotOnNode { .. }
        | Refusal::BucketNotAllocated(_)
        | Refusal::BucketRentUnpaid { .. }
        | Refusal::NotABucketNode => Code::FailedPrecondition,
        Refusal::Lease { .. } => Code::Unavailable,
    }
}

/// The status a refused call is answered with: its code and the refusal's text.
pub fn status(refusal: &Refusal) -> Status {
    Status::new(code(refusal), refusal.to_string())
}
