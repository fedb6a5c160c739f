//! The condition rule: one function decides whether a condition may be fulfilled now.

use crate::{AgreementError, Result};
use osiris_contract_types::agreements::*;
use osiris_contract_types::BlockNumber;

/// Marks the agreement's condition of `kind` fulfilled at block `now` and returns its
/// index, if it exists, is unfulfilled, every condition it depends on is fulfilled, its
/// time lock has passed and its deadline has not.
pub(crate) fn fulfil(agreement: &mut Agreement, kind: ConditionKind, now: BlockNumber) -> Result<u8> {
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
    if now > condition.deadline {
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

/// Whether some unfulfilled condition's deadline has passed at `now`.
pub(crate) fn timed_out(agreement: &Agreement, now: BlockNumber) -> bool {
    agreement.conditions.iter().any(|c| c.state == ConditionState::Unfulfilled && now > c.deadline)
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
