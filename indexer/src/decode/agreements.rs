//! The agreements contract's events: which they are, their names and their fields as JSON.

use super::{decode_as, signature_topic, DecodeError};
use crate::json::{account, hex0x, planck};
use osiris_contract_types::agreements as a;
use serde_json::{json, Value};

contract_events!(
    /// An event of the agreements contract.
    AgreementsEvent,
    a,
    [
        TemplateCreated,
        TemplateWhitelistChanged,
        OfferCreated,
        OfferWithdrawn,
        AgreementCreated,
        PaymentLocked,
        ConditionFulfilled,
        InputSigned,
        InputAgreed,
        ResultRegistered,
        MeteringSettled,
        AgreementSettled,
        AgreementTerminated,
        AgreementFundsDeposited,
        AgreementFundsWithdrawn,
        ConsumerKeyBound,
    ]
);

use osiris_mirror::agreements::{kind_name, state_name};

fn condition_spec(c: &a::ConditionSpec) -> Value {
    json!({ "kind": kind_name(c.kind), "depends_on": c.depends_on, "time_lock": c.time_lock, "timeout": c.timeout })
}

impl AgreementsEvent {
    /// The fields as JSON: accounts SS58, amounts decimal strings, hashes and keys 0x-hex.
    pub fn fields(&self) -> Value {
        use AgreementsEvent::*;
        match self {
            TemplateCreated(x) => json!({
                "template_id": x.template_id, "conditions": x.conditions.iter().map(condition_spec).collect::<Vec<_>>()
            }),
            TemplateWhitelistChanged(x) => json!({ "template_id": x.template_id, "whitelisted": x.whitelisted }),
            OfferCreated(x) => json!({
                "offer_id": x.offer_id, "provider": account(&x.provider), "org_id": x.org_id, "service_id": x.service_id,
                "template_id": x.template_id, "price": planck(x.price), "timeouts": x.timeouts,
                "metering": x.metering.as_ref().map(|m| json!({
                    "unit": m.unit, "price_per_unit": planck(m.price_per_unit), "settlement_window": m.settlement_window
                })),
            }),
            OfferWithdrawn(x) => json!({ "offer_id": x.offer_id }),
            AgreementCreated(x) => json!({
                "agreement_id": hex0x(&x.agreement_id), "offer_id": x.offer_id, "consumer": account(&x.consumer),
                "consumer_key": hex0x(&x.consumer_key), "provider": account(&x.provider), "params": hex0x(&x.params),
                "created": x.created,
            }),
            PaymentLocked(x) => json!({
                "agreement_id": hex0x(&x.agreement_id), "consumer": account(&x.consumer), "amount": planck(x.amount),
                "from_deposit": x.from_deposit,
            }),
            ConditionFulfilled(x) => json!({
                "agreement_id": hex0x(&x.agreement_id), "index": x.index, "kind": kind_name(x.kind), "locked": planck(x.locked)
            }),
            InputSigned(x) => json!({ "agreement_id": hex0x(&x.agreement_id) }),
            InputAgreed(x) => json!({ "agreement_id": hex0x(&x.agreement_id), "input_hash": hex0x(&x.input_hash) }),
            ResultRegistered(x) => json!({
                "agreement_id": hex0x(&x.agreement_id), "owner": account(&x.owner), "hash": hex0x(&x.hash), "location": x.location
            }),
            MeteringSettled(x) => json!({
                "agreement_id": hex0x(&x.agreement_id), "units": x.units, "amount": planck(x.amount),
                "paid": planck(x.paid), "locked": planck(x.locked)
            }),
            AgreementSettled(x) => json!({
                "agreement_id": hex0x(&x.agreement_id), "state": state_name(x.state), "paid": planck(x.paid),
                "refunded": planck(x.refunded)
            }),
            AgreementTerminated(x) => json!({
                "agreement_id": hex0x(&x.agreement_id), "by": account(&x.by), "code": x.code, "reason": x.reason,
                "settle_until": x.settle_until
            }),
            ConsumerKeyBound(x) => json!({ "account": account(&x.account), "key": hex0x(&x.key) }),
            AgreementFundsDeposited(x) => {
                json!({ "account": account(&x.account), "amount": planck(x.amount), "balance": planck(x.balance) })
            }
            AgreementFundsWithdrawn(x) => {
                json!({ "account": account(&x.account), "amount": planck(x.amount), "balance": planck(x.balance) })
            }
        }
    }
}
