//! Asking the registry contract whether an account may publish offers for a service.
//!
//! On chain this is a cross-contract call to the registry's `get_org` query. The off-chain
//! test environment of ink! 5 cannot make contract calls, so unit tests read organizations
//! set up with [`test_registry::put`] instead; the real call is exercised end to end.

use crate::AgreementError;
use osiris_contract_types::{registry::Organization, AccountId};

/// The organization `org_id` as the registry at `registry` returns it.
#[cfg(not(test))]
pub(crate) fn organization(registry: AccountId, org_id: &str) -> Result<Option<Organization>, AgreementError> {
    use ink::env::call::{build_call, ExecutionInput, Selector};
    build_call::<ink::env::DefaultEnvironment>()
        .call(registry)
        .exec_input(ExecutionInput::new(Selector::new(ink::selector_bytes!("get_org"))).push_arg(org_id))
        .returns::<Option<Organization>>()
        .try_invoke()
        .ok()
        .and_then(|r| r.ok())
        .ok_or(AgreementError::RegistryUnavailable)
}

#[cfg(test)]
pub(crate) fn organization(_registry: AccountId, org_id: &str) -> Result<Option<Organization>, AgreementError> {
    Ok(test_registry::get(org_id))
}

/// Whether `account` owns or is a member of `org_id`, which has a service `service_id`.
pub(crate) fn may_offer(
    registry: AccountId,
    org_id: &str,
    service_id: &str,
    account: AccountId,
) -> Result<bool, AgreementError> {
    Ok(organization(registry, org_id)?.is_some_and(|org| {
        (org.owner == account || org.members.contains(&account)) && org.services.iter().any(|s| s == service_id)
    }))
}

/// The organizations unit tests see in place of the registry contract.
#[cfg(test)]
pub(crate) mod test_registry {
    use osiris_contract_types::registry::Organization;
    use std::cell::RefCell;

    thread_local! {
        static ORGS: RefCell<Vec<Organization>> = const { RefCell::new(Vec::new()) };
    }

    pub(crate) fn put(org: Organization) {
        ORGS.with(|o| o.borrow_mut().push(org));
    }

    pub(crate) fn get(org_id: &str) -> Option<Organization> {
        ORGS.with(|o| o.borrow().iter().find(|org| org.id == org_id).cloned())
    }
}
