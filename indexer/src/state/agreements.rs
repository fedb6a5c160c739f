//! The agreements contract's state, folded from its events like the rest of the mirror.
//!
//! Templates, offers and agreements are kept as documents (these row types, as JSON)
//! beside the columns the API filters on; conditions' deadlines are computed as the
//! contract computes them (creation block + the offer's or template's timeouts).

use super::{Position, Snapshot, StateError};
use crate::decode::{kind_name, state_name, AgreementsEvent};
use crate::json::{account, hex0x};
use osiris_contract_types::agreements::{self as a, ConditionSpec};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use utoipa::ToSchema;

use osiris_mirror::planck_text;

/// A template's condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConditionTerms {
    /// `lock_payment`, `input_agreed`, `access_granted` or `release_payment`.
    pub kind: String,
    /// Indexes of the conditions it waits for.
    pub depends_on: Vec<u8>,
    /// Blocks after creation before which it cannot be fulfilled.
    pub time_lock: u32,
    /// Blocks after creation by which it must be fulfilled.
    pub timeout: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TemplateRow {
    pub template_id: u32,
    pub conditions: Vec<ConditionTerms>,
    pub whitelisted: bool,
    #[serde(skip)]
    pub created: Position,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OfferRow {
    pub offer_id: u64,
    /// SS58.
    pub provider: String,
    pub org_id: String,
    pub service_id: String,
    pub template_id: u32,
    /// Planck the consumer locks, decimal string.
    #[serde(with = "planck_text")]
    #[schema(value_type = String)]
    pub price: u128,
    /// The template's conditions with this offer's timeouts.
    pub conditions: Vec<ConditionTerms>,
    /// Metering unit, when the offer is metered.
    pub metering_unit: Option<String>,
    /// Planck per unit, decimal string.
    pub price_per_unit: Option<String>,
    /// Blocks a metered offer's provider has to settle after the consumer terminates.
    pub settlement_window: Option<u32>,
    pub active: bool,
    #[serde(skip)]
    pub created: Position,
}

/// An agreement's condition as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConditionRow {
    pub kind: String,
    pub depends_on: Vec<u8>,
    /// `unfulfilled`, `fulfilled` or `aborted`.
    pub state: String,
    /// First block at which it may be fulfilled.
    pub not_before: u32,
    /// Last block at which it may be fulfilled.
    pub deadline: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Termination {
    /// SS58 of the side that ended it.
    pub by: String,
    pub code: u32,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AgreementRow {
    /// 0x-hex, 32 bytes.
    pub agreement_id: String,
    pub offer_id: u64,
    /// SS58.
    pub consumer: String,
    /// The consumer's compressed secp256k1 key, 0x-hex.
    pub consumer_key: String,
    /// SS58.
    pub provider: String,
    pub org_id: String,
    pub service_id: String,
    /// The consumer's parameters, 0x-hex.
    pub params: String,
    /// Block of creation.
    pub created_block: u32,
    /// `active`, `fulfilled`, `refunded` or `terminated`.
    pub state: String,
    /// Planck locked now, decimal string.
    #[serde(with = "planck_text")]
    #[schema(value_type = String)]
    pub locked: u128,
    /// Planck paid to the provider so far, decimal string.
    #[serde(with = "planck_text")]
    #[schema(value_type = String)]
    pub paid: u128,
    pub conditions: Vec<ConditionRow>,
    /// Whether the consumer signed the input's hash.
    pub input_signed: bool,
    /// 0x-hex, once agreed.
    pub input_hash: Option<String>,
    /// The outputs' hash (0x-hex) and location, once registered (owned by the consumer).
    pub result_hash: Option<String>,
    pub result_location: Option<String>,
    /// Cumulative units and amount (planck, decimal string) of the last settled metering record.
    pub metered_units: u64,
    #[serde(with = "planck_text")]
    #[schema(value_type = String)]
    pub metered_amount: u128,
    pub termination: Option<Termination>,
    /// Last block of the settlement window a consumer's termination of a metered agreement
    /// opened (the agreement stays active, serving no calls, until it ends).
    pub settle_until: Option<u32>,
    #[serde(skip)]
    pub created: Position,
}

/// A settled metering record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MeteringRow {
    pub agreement_id: String,
    pub units: u64,
    /// Cumulative planck of the record, decimal string.
    #[serde(with = "planck_text")]
    #[schema(value_type = String)]
    pub amount: u128,
    /// What this settlement paid, decimal string.
    #[serde(with = "planck_text")]
    #[schema(value_type = String)]
    pub paid: u128,
    pub block_number: u64,
    pub event_index: u32,
}

fn terms(c: &ConditionSpec) -> ConditionTerms {
    ConditionTerms {
        kind: kind_name(c.kind).to_string(),
        depends_on: c.depends_on.clone(),
        time_lock: c.time_lock,
        timeout: c.timeout,
    }
}

/// Keys of the agreements domain's rows `events` touch.
#[derive(Debug, Default)]
pub struct Keys {
    pub templates: HashSet<u32>,
    pub offers: HashSet<u64>,
    pub agreements: HashSet<String>,
}

pub fn add_keys(keys: &mut Keys, ev: &AgreementsEvent) {
    use AgreementsEvent::*;
    let id = |x: &a::AgreementId| hex0x(x);
    match ev {
        TemplateCreated(x) => drop(keys.templates.insert(x.template_id)),
        TemplateWhitelistChanged(x) => drop(keys.templates.insert(x.template_id)),
        OfferCreated(x) => {
            keys.offers.insert(x.offer_id);
            keys.templates.insert(x.template_id);
        }
        OfferWithdrawn(x) => drop(keys.offers.insert(x.offer_id)),
        AgreementCreated(x) => {
            keys.offers.insert(x.offer_id);
            keys.agreements.insert(id(&x.agreement_id));
        }
        PaymentLocked(x) => drop(keys.agreements.insert(id(&x.agreement_id))),
        ConditionFulfilled(x) => drop(keys.agreements.insert(id(&x.agreement_id))),
        InputSigned(x) => drop(keys.agreements.insert(id(&x.agreement_id))),
        InputAgreed(x) => drop(keys.agreements.insert(id(&x.agreement_id))),
        ResultRegistered(x) => drop(keys.agreements.insert(id(&x.agreement_id))),
        MeteringSettled(x) => drop(keys.agreements.insert(id(&x.agreement_id))),
        AgreementSettled(x) => drop(keys.agreements.insert(id(&x.agreement_id))),
        AgreementTerminated(x) => drop(keys.agreements.insert(id(&x.agreement_id))),
        // A key binding is kept in the events table only: the contract itself refuses
        // agreements naming an unbound key, so no decision reads it from the mirror.
        AgreementFundsDeposited(_) | AgreementFundsWithdrawn(_) | ConsumerKeyBound(_) => {}
    }
}

/// Accounts whose balance in the agreements contract `events` change: named in the events,
/// or the parties of the agreements loaded.
pub fn accounts_touched(events: &[&AgreementsEvent], s: &Snapshot) -> HashSet<String> {
    let mut accounts: HashSet<String> =
        s.agreements.values().flatten().flat_map(|r| [r.consumer.clone(), r.provider.clone()]).collect();
    for ev in events {
        match ev {
            AgreementsEvent::AgreementFundsDeposited(x) => drop(accounts.insert(account(&x.account))),
            AgreementsEvent::AgreementFundsWithdrawn(x) => drop(accounts.insert(account(&x.account))),
            AgreementsEvent::AgreementCreated(x) => {
                accounts.insert(account(&x.consumer));
                accounts.insert(account(&x.provider));
            }
            _ => {}
        }
    }
    accounts
}

impl Snapshot {
    fn agreement(&mut self, id: &a::AgreementId) -> Result<&mut AgreementRow, StateError> {
        let key = hex0x(id);
        self.agreements.get_mut(&key).and_then(Option::as_mut).ok_or(StateError::Missing(format!("agreement {key}")))
    }

    fn agreement_credit(&mut self, who: String, amount: u128) -> Result<(), StateError> {
        let balance = self.agreement_balances.entry(who.clone()).or_default();
        *balance = balance.checked_add(amount).ok_or(StateError::Balance(who))?;
        Ok(())
    }
}

/// Applies one agreements event at `at`, as the contract changed its storage.
pub fn apply(s: &mut Snapshot, ev: &AgreementsEvent, at: Position) -> Result<(), StateError> {
    use AgreementsEvent::*;
    match ev {
        TemplateCreated(x) => {
            let row = TemplateRow {
                template_id: x.template_id,
                conditions: x.conditions.iter().map(terms).collect(),
                whitelisted: false,
                created: at,
            };
            s.templates.insert(x.template_id, Some(row));
        }
        TemplateWhitelistChanged(x) => {
            let template = s.templates.get_mut(&x.template_id).and_then(Option::as_mut);
            template.ok_or(StateError::Missing(format!("template {}", x.template_id)))?.whitelisted = x.whitelisted;
        }
        OfferCreated(x) => {
            let template = s.templates.get(&x.template_id).cloned().flatten();
            let template = template.ok_or(StateError::Missing(format!("template {}", x.template_id)))?;
            let mut conditions = template.conditions;
            for (c, timeout) in conditions.iter_mut().zip(&x.timeouts) {
                c.timeout = *timeout;
            }
            let row = OfferRow {
                offer_id: x.offer_id,
                provider: account(&x.provider),
                org_id: x.org_id.clone(),
                service_id: x.service_id.clone(),
                template_id: x.template_id,
                price: x.price,
                conditions,
                metering_unit: x.metering.as_ref().map(|m| m.unit.clone()),
                price_per_unit: x.metering.as_ref().map(|m| m.price_per_unit.to_string()),
                settlement_window: x.metering.as_ref().map(|m| m.settlement_window),
                active: true,
                created: at,
            };
            s.offers.insert(x.offer_id, Some(row));
        }
        OfferWithdrawn(x) => {
            let offer = s.offers.get_mut(&x.offer_id).and_then(Option::as_mut);
            offer.ok_or(StateError::Missing(format!("offer {}", x.offer_id)))?.active = false;
        }
        AgreementCreated(x) => {
            let offer = s.offers.get(&x.offer_id).cloned().flatten();
            let offer = offer.ok_or(StateError::Missing(format!("offer {}", x.offer_id)))?;
            let conditions = offer
                .conditions
                .iter()
                .map(|c| ConditionRow {
                    kind: c.kind.clone(),
                    depends_on: c.depends_on.clone(),
                    state: "unfulfilled".into(),
                    not_before: x.created.saturating_add(c.time_lock),
                    deadline: x.created.saturating_add(c.timeout),
                })
                .collect();
            let row = AgreementRow {
                agreement_id: hex0x(&x.agreement_id),
                offer_id: x.offer_id,
                consumer: account(&x.consumer),
                consumer_key: hex0x(&x.consumer_key),
                provider: account(&x.provider),
                org_id: offer.org_id,
                service_id: offer.service_id,
                params: hex0x(&x.params),
                created_block: x.created,
                state: "active".into(),
                locked: 0,
                paid: 0,
                conditions,
                input_signed: false,
                input_hash: None,
                result_hash: None,
                result_location: None,
                metered_units: 0,
                metered_amount: 0,
                termination: None,
                settle_until: None,
                created: at,
            };
            s.agreements.insert(row.agreement_id.clone(), Some(row));
        }
        PaymentLocked(x) => {
            s.agreement(&x.agreement_id)?.locked = x.amount;
            if x.from_deposit {
                let who = account(&x.consumer);
                let balance = s.agreement_balances.entry(who.clone()).or_default();
                *balance = balance.checked_sub(x.amount).ok_or(StateError::Balance(who))?;
            }
        }
        ConditionFulfilled(x) => {
            let agreement = s.agreement(&x.agreement_id)?;
            let condition = agreement.conditions.get_mut(usize::from(x.index));
            condition.ok_or(StateError::Missing(format!("condition {}", x.index)))?.state = "fulfilled".into();
            agreement.locked = x.locked;
        }
        InputSigned(x) => s.agreement(&x.agreement_id)?.input_signed = true,
        InputAgreed(x) => s.agreement(&x.agreement_id)?.input_hash = Some(hex0x(&x.input_hash)),
        ResultRegistered(x) => {
            let agreement = s.agreement(&x.agreement_id)?;
            agreement.result_hash = Some(hex0x(&x.hash));
            agreement.result_location = Some(x.location.clone());
        }
        MeteringSettled(x) => {
            let agreement = s.agreement(&x.agreement_id)?;
            agreement.locked = x.locked;
            agreement.paid = agreement.paid.saturating_add(x.paid);
            agreement.metered_units = x.units;
            agreement.metered_amount = x.amount;
            let provider = agreement.provider.clone();
            s.agreement_credit(provider, x.paid)?;
            s.metering.push(MeteringRow {
                agreement_id: hex0x(&x.agreement_id),
                units: x.units,
                amount: x.amount,
                paid: x.paid,
                block_number: at.0,
                event_index: at.1,
            });
        }
        AgreementSettled(x) => {
            let agreement = s.agreement(&x.agreement_id)?;
            agreement.state = state_name(x.state).into();
            agreement.locked = 0;
            agreement.paid = agreement.paid.saturating_add(x.paid);
            for c in agreement.conditions.iter_mut().filter(|c| c.state == "unfulfilled") {
                c.state = "aborted".into();
            }
            let (provider, consumer) = (agreement.provider.clone(), agreement.consumer.clone());
            s.agreement_credit(provider, x.paid)?;
            s.agreement_credit(consumer, x.refunded)?;
        }
        AgreementTerminated(x) => {
            let agreement = s.agreement(&x.agreement_id)?;
            agreement.termination = Some(Termination { by: account(&x.by), code: x.code, reason: x.reason.clone() });
            agreement.settle_until = x.settle_until;
        }
        ConsumerKeyBound(_) => {}
        AgreementFundsDeposited(x) => drop(s.agreement_balances.insert(account(&x.account), x.balance)),
        AgreementFundsWithdrawn(x) => drop(s.agreement_balances.insert(account(&x.account), x.balance)),
    }
    Ok(())
}
