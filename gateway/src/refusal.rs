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
    }
}

/// The status a refused call is answered with: its code and the refusal's text.
pub fn status(refusal: &Refusal) -> Status {
    Status::new(code(refusal), refusal.to_string())
}
