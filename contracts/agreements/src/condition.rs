//! The condition rule: one function decides whether a condition may be fulfilled now.

use crate::{AgreementError, Result};
use osiris_contract_types::agreements::*;
use osiris_contract_types::BlockNumber;

/// Whether a condition's deadline binds [`fulfil`]. The release's does not once the
/// provider delivered: a late release must not turn delivered work into a refund.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deadline {
    Binds,
    Ignored,
}

/// Marks the agreement's condition of `kind` fulfilled at block `now` and returns its
/// index, if it exists, is unfulfilled, every condition it depends on is fulfilled, its
/// time lock has passed and (unless `deadline` is ignored) its deadline has not.
pub(crate) fn fulfil(agreement: &mut Agreement, kind: ConditionKind, now: BlockNumber) -> Result<u8> {
    fulfil_with(agreement, kind, now, Deadline::Binds)
}

/// [`fulfil`], with the deadline's effect chosen by the caller.
pub(crate) fn fulfil_with(
    agreement: &mut Agreement,
    kind: ConditionKind,
    now: BlockNumber,
    deadline: Deadline,
) -> Result<u8> {
    let index = agreement.conditions.iter().position(|c| c.kind == kind).ok_or(AgreementError::NoSuchCondition)?;
    let condition = &agreement.conditions[index];
    if condition.state != ConditionState::Unfulfilled {
        return Err(AgreementError::ConditionNotUnfulfilled);
    }
    let fulfilled =
        |d: &u8| agreement.conditions.get(usize::from(*d)).is_some_and(|c| c.state == ConditionState::Fulfilled);
    if !condition.depends_on.iter().all(fulfilled) {
        return Err(AgreementError::DependencyNotFulfilled);
    }
    if now < condition.not_before {
        return Err(AgreementError::TimeLocked);
    }
    if deadline == Deadline::Binds && now > condition.deadline {
        return Err(AgreementError::ConditionTimedOut);
    }
    let position = u8::try_from(index).map_err(|_| AgreementError::Overflow)?;
    agreement.conditions[index].state = ConditionState::Fulfilled;
    Ok(position)
}

/// Whether a condition of `kind` exists and is fulfilled.
pub(crate) fn is_fulfilled(agreement: &Agreement, kind: ConditionKind) -> bool {
    agreement.conditions.iter().any(|c| c.kind == kind && c.state == ConditionState::Fulfilled)
}

/// Whether a delivery condition (input agreed, access granted) is unfulfilled past its
/// deadline at `now`: the provider failed to deliver, the one ground for a refund of a lock.
pub(crate) fn delivery_timed_out(agreement: &Agreement, now: BlockNumber) -> bool {
    agreement
        .conditions
        .iter()
        .any(|c| c.kind.is_delivery() && c.state == ConditionState::Unfulfilled && now > c.deadline)
}

/// Whether every condition but ReleasePayment is fulfilled (the provider delivered).
pub(crate) fn delivered(agreement: &Agreement) -> bool {
    agreement.conditions.iter().all(|c| c.kind == ConditionKind::ReleasePayment || c.state == ConditionState::Fulfilled)
}

/// Aborts every unfulfilled condition (the agreement is ending).
pub(crate) fn abort_rest(agreement: &mut Agreement) {
    for c in agreement.conditions.iter_mut().filter(|c| c.state == ConditionState::Unfulfilled) {
        c.state = ConditionState::Aborted;
    }
}
