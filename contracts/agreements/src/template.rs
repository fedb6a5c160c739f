//! Templates: created and whitelisted by the owner.

use crate::{agreements::Agreements, AgreementError, Result};
use ink::codegen::Env;
use ink::prelude::vec::Vec;
use osiris_contract_types::agreements::*;

impl Agreements {
    pub(crate) fn do_create_template(&mut self, conditions: Vec<ConditionSpec>) -> Result<TemplateId> {
        if self.env().caller() != self.owner {
            return Err(AgreementError::NotOwner);
        }
        validate(&conditions)?;
        let template_id = self.next_template_id;
        self.next_template_id = template_id.checked_add(1).ok_or(AgreementError::Overflow)?;
        self.templates.insert(template_id, &Template { conditions: conditions.clone(), whitelisted: false });
        self.env().emit_event(TemplateCreated { template_id, conditions });
        Ok(template_id)
    }

    pub(crate) fn do_set_whitelisted(&mut self, template_id: TemplateId, whitelisted: bool) -> Result<()> {
        if self.env().caller() != self.owner {
            return Err(AgreementError::NotOwner);
        }
        let mut template = self.templates.get(template_id).ok_or(AgreementError::TemplateNotFound)?;
        template.whitelisted = whitelisted;
        self.templates.insert(template_id, &template);
        self.env().emit_event(TemplateWhitelistChanged { template_id, whitelisted });
        Ok(())
    }
}

/// 1..=[`MAX_CONDITIONS`] conditions, LockPayment first and ReleasePayment last, each kind
/// once, dependencies on earlier conditions only (no repeats), ReleasePayment depending on
/// every other condition, each time lock before its timeout.
pub(crate) fn validate(conditions: &[ConditionSpec]) -> Result<()> {
    let (Some(first), Some(last)) = (conditions.first(), conditions.last()) else {
        return Err(AgreementError::InvalidTemplate);
    };
    let ok = (2..=MAX_CONDITIONS).contains(&conditions.len())
        && first.kind == ConditionKind::LockPayment
        && last.kind == ConditionKind::ReleasePayment
        && conditions.iter().enumerate().all(|(i, c)| {
            let once = conditions.iter().filter(|o| o.kind == c.kind).count() == 1;
            let earlier = c.depends_on.iter().all(|&d| usize::from(d) < i);
            let distinct = c.depends_on.iter().enumerate().all(|(j, d)| !c.depends_on[..j].contains(d));
            once && earlier && distinct && c.timeout > 0 && c.time_lock < c.timeout
        })
        && last.depends_on.len().checked_add(1) == Some(conditions.len());
    if ok {
        Ok(())
    } else {
        Err(AgreementError::InvalidTemplate)
    }
}
