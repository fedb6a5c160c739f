//! Turning `Contracts::ContractEmitted` payloads into the Osiris event types.
//!
//! The emitting contract is checked first (any contract can emit an identical
//! signature topic), then topic 0, the ink! 5 signature topic, picks the type, and
//! the data must decode as exactly that type (ink! 5 has no variant byte).

use crate::json::{account, hex0x, planck};
pub use ddc::DdcEvent;
use osiris_contract_types::{agreements as a, escrow as e, ink::env::Event, registry as r};
use parity_scale_codec::DecodeAll;
use serde_json::{json, Value};

/// Which Osiris contract emitted an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractKind {
    Registry,
    Escrow,
    Agreements,
    Ddc,
}

impl ContractKind {
    pub fn name(self) -> &'static str {
        match self {
            ContractKind::Registry => "registry",
            ContractKind::Escrow => "escrow",
            ContractKind::Agreements => "agreements",
            ContractKind::Ddc => "ddc",
        }
    }
}

/// Why an event could not be decoded (it is then stored raw, with a warning).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("the event has no signature topic (anonymous)")]
    NoTopic,
    #[error("unknown signature topic 0x{0}")]
    UnknownTopic(String),
    #[error("{event}: {reason}")]
    Codec { event: &'static str, reason: String },
}

/// An event of the registry contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryEvent {
    OrganizationCreated(r::OrganizationCreated),
    OrganizationMetadataUpdated(r::OrganizationMetadataUpdated),
    OrganizationOwnerChanged(r::OrganizationOwnerChanged),
    MembersAdded(r::MembersAdded),
    MembersRemoved(r::MembersRemoved),
    OrganizationDeleted(r::OrganizationDeleted),
    ServiceCreated(r::ServiceCreated),
    ServiceMetadataUpdated(r::ServiceMetadataUpdated),
    ServiceDeleted(r::ServiceDeleted),
    GroupAdded(r::GroupAdded),
    GroupRemoved(r::GroupRemoved),
    EndpointsAdded(r::EndpointsAdded),
    EndpointsRemoved(r::EndpointsRemoved),
}

/// An event of the escrow contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EscrowEvent {
    Deposited(e::Deposited),
    Withdrawn(e::Withdrawn),
    Transferred(e::Transferred),
    ChannelOpened(e::ChannelOpened),
    ChannelFunded(e::ChannelFunded),
    ChannelClaimed(e::ChannelClaimed),
    ChannelTimeoutClaimed(e::ChannelTimeoutClaimed),
}

/// An event of the agreements contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgreementsEvent {
    TemplateCreated(a::TemplateCreated),
    TemplateWhitelistChanged(a::TemplateWhitelistChanged),
    OfferCreated(a::OfferCreated),
    OfferWithdrawn(a::OfferWithdrawn),
    AgreementCreated(a::AgreementCreated),
    PaymentLocked(a::PaymentLocked),
    ConditionFulfilled(a::ConditionFulfilled),
    InputSigned(a::InputSigned),
    InputAgreed(a::InputAgreed),
    ResultRegistered(a::ResultRegistered),
    MeteringSettled(a::MeteringSettled),
    AgreementSettled(a::AgreementSettled),
    AgreementTerminated(a::AgreementTerminated),
    AgreementFundsDeposited(a::AgreementFundsDeposited),
    AgreementFundsWithdrawn(a::AgreementFundsWithdrawn),
    ConsumerKeyBound(a::ConsumerKeyBound),
}

/// A decoded Osiris event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OsirisEvent {
    Registry(RegistryEvent),
    Escrow(EscrowEvent),
    Agreements(AgreementsEvent),
    Ddc(DdcEvent),
}

/// The ink! signature topic of event type `E`.
pub fn signature_topic<E: Event>() -> [u8; 32] {
    E::SIGNATURE_TOPIC.expect("Osiris events are not anonymous")
}

fn decode_as<E: Event + DecodeAll>(name: &'static str, data: &[u8]) -> Result<E, DecodeError> {
    E::decode_all(&mut &data[..]).map_err(|err| DecodeError::Codec { event: name, reason: err.to_string() })
}

/// Decodes an event emitted by the contract of kind `kind` from its topics and data.
pub fn decode(kind: ContractKind, topics: &[[u8; 32]], data: &[u8]) -> Result<OsirisEvent, DecodeError> {
    let topic = topics.first().ok_or(DecodeError::NoTopic)?;
    match kind {
        ContractKind::Registry => decode_registry(topic, data).map(OsirisEvent::Registry),
        ContractKind::Escrow => decode_escrow(topic, data).map(OsirisEvent::Escrow),
        ContractKind::Agreements => decode_agreements(topic, data).map(OsirisEvent::Agreements),
        ContractKind::Ddc => ddc::decode(topic, data).map(OsirisEvent::Ddc),
    }
}

/// `if topic == signature of T { Variant(decode T) } else if …` for each listed event type.
macro_rules! decode_by_topic {
    ($topic:expr, $data:expr, $enum:ident, $module:ident, [$($name:ident),+ $(,)?]) => {{
        let t = *$topic;
        $(
            if t == signature_topic::<$module::$name>() {
                return Ok($enum::$name(decode_as(stringify!($name), $data)?));
            }
        )+
        Err(DecodeError::UnknownTopic(hex::encode(t)))
    }};
}

pub mod ddc;

fn decode_registry(topic: &[u8; 32], data: &[u8]) -> Result<RegistryEvent, DecodeError> {
    decode_by_topic!(
        topic,
        data,
        RegistryEvent,
        r,
        [
            OrganizationCreated,
            OrganizationMetadataUpdated,
            OrganizationOwnerChanged,
            MembersAdded,
            MembersRemoved,
            OrganizationDeleted,
            ServiceCreated,
            ServiceMetadataUpdated,
            ServiceDeleted,
            GroupAdded,
            GroupRemoved,
            EndpointsAdded,
            EndpointsRemoved,
        ]
    )
}

fn decode_escrow(topic: &[u8; 32], data: &[u8]) -> Result<EscrowEvent, DecodeError> {
    decode_by_topic!(
        topic,
        data,
        EscrowEvent,
        e,
        [Deposited, Withdrawn, Transferred, ChannelOpened, ChannelFunded, ChannelClaimed, ChannelTimeoutClaimed,]
    )
}

fn decode_agreements(topic: &[u8; 32], data: &[u8]) -> Result<AgreementsEvent, DecodeError> {
    decode_by_topic!(
        topic,
        data,
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
    )
}

impl OsirisEvent {
    /// The event type's name, as stored in `events.event_name`.
    pub fn name(&self) -> &'static str {
        match self {
            OsirisEvent::Registry(ev) => match ev {
                RegistryEvent::OrganizationCreated(_) => "OrganizationCreated",
                RegistryEvent::OrganizationMetadataUpdated(_) => "OrganizationMetadataUpdated",
                RegistryEvent::OrganizationOwnerChanged(_) => "OrganizationOwnerChanged",
                RegistryEvent::MembersAdded(_) => "MembersAdded",
                RegistryEvent::MembersRemoved(_) => "MembersRemoved",
                RegistryEvent::OrganizationDeleted(_) => "OrganizationDeleted",
                RegistryEvent::ServiceCreated(_) => "ServiceCreated",
                RegistryEvent::ServiceMetadataUpdated(_) => "ServiceMetadataUpdated",
                RegistryEvent::ServiceDeleted(_) => "ServiceDeleted",
                RegistryEvent::GroupAdded(_) => "GroupAdded",
                RegistryEvent::GroupRemoved(_) => "GroupRemoved",
                RegistryEvent::EndpointsAdded(_) => "EndpointsAdded",
                RegistryEvent::EndpointsRemoved(_) => "EndpointsRemoved",
            },
            OsirisEvent::Escrow(ev) => match ev {
                EscrowEvent::Deposited(_) => "Deposited",
                EscrowEvent::Withdrawn(_) => "Withdrawn",
                EscrowEvent::Transferred(_) => "Transferred",
                EscrowEvent::ChannelOpened(_) => "ChannelOpened",
                EscrowEvent::ChannelFunded(_) => "ChannelFunded",
                EscrowEvent::ChannelClaimed(_) => "ChannelClaimed",
                EscrowEvent::ChannelTimeoutClaimed(_) => "ChannelTimeoutClaimed",
            },
            OsirisEvent::Agreements(ev) => agreements_name(ev),
            OsirisEvent::Ddc(ev) => ev.name(),
        }
    }

    /// The event's fields as JSON: accounts SS58, amounts decimal strings, hashes and keys 0x-hex.
    pub fn fields(&self) -> Value {
        match self {
            OsirisEvent::Registry(ev) => registry_fields(ev),
            OsirisEvent::Escrow(ev) => escrow_fields(ev),
            OsirisEvent::Agreements(ev) => agreements_fields(ev),
            OsirisEvent::Ddc(ev) => ev.fields(),
        }
    }
}

fn agreements_name(ev: &AgreementsEvent) -> &'static str {
    use AgreementsEvent::*;
    match ev {
        TemplateCreated(_) => "TemplateCreated",
        TemplateWhitelistChanged(_) => "TemplateWhitelistChanged",
        OfferCreated(_) => "OfferCreated",
        OfferWithdrawn(_) => "OfferWithdrawn",
        AgreementCreated(_) => "AgreementCreated",
        PaymentLocked(_) => "PaymentLocked",
        ConditionFulfilled(_) => "ConditionFulfilled",
        InputSigned(_) => "InputSigned",
        InputAgreed(_) => "InputAgreed",
        ResultRegistered(_) => "ResultRegistered",
        MeteringSettled(_) => "MeteringSettled",
        AgreementSettled(_) => "AgreementSettled",
        AgreementTerminated(_) => "AgreementTerminated",
        AgreementFundsDeposited(_) => "AgreementFundsDeposited",
        AgreementFundsWithdrawn(_) => "AgreementFundsWithdrawn",
        ConsumerKeyBound(_) => "ConsumerKeyBound",
    }
}

/// Names of condition kinds and agreement states: declared with the mirror's schema.
pub use osiris_mirror::agreements::{kind_name, state_name};

fn condition_spec(c: &a::ConditionSpec) -> Value {
    json!({ "kind": kind_name(c.kind), "depends_on": c.depends_on, "time_lock": c.time_lock, "timeout": c.timeout })
}

fn agreements_fields(ev: &AgreementsEvent) -> Value {
    use AgreementsEvent::*;
    match ev {
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

/// Every event name the indexer knows, for validating filters.
pub static EVENT_NAMES: std::sync::LazyLock<Vec<&'static str>> =
    std::sync::LazyLock::new(|| [&OTHER_EVENT_NAMES[..], ddc::NAMES].concat());

/// The event names of the registry, the escrow and the agreements contract.
const OTHER_EVENT_NAMES: [&str; 36] = [
    "OrganizationCreated",
    "OrganizationMetadataUpdated",
    "OrganizationOwnerChanged",
    "MembersAdded",
    "MembersRemoved",
    "OrganizationDeleted",
    "ServiceCreated",
    "ServiceMetadataUpdated",
    "ServiceDeleted",
    "GroupAdded",
    "GroupRemoved",
    "EndpointsAdded",
    "EndpointsRemoved",
    "Deposited",
    "Withdrawn",
    "Transferred",
    "ChannelOpened",
    "ChannelFunded",
    "ChannelClaimed",
    "ChannelTimeoutClaimed",
    "TemplateCreated",
    "TemplateWhitelistChanged",
    "OfferCreated",
    "OfferWithdrawn",
    "AgreementCreated",
    "PaymentLocked",
    "ConditionFulfilled",
    "InputSigned",
    "InputAgreed",
    "ResultRegistered",
    "MeteringSettled",
    "AgreementSettled",
    "AgreementTerminated",
    "AgreementFundsDeposited",
    "AgreementFundsWithdrawn",
    "ConsumerKeyBound",
];

fn org_metadata(m: &r::OrgMetadata) -> Value {
    json!({ "name": m.name, "uri": m.uri, "content_hash": hex0x(&m.content_hash) })
}

fn service_metadata(m: &r::ServiceMetadata) -> Value {
    json!({ "name": m.name, "uri": m.uri, "content_hash": hex0x(&m.content_hash), "price_per_call": planck(m.price_per_call) })
}

fn group(g: &r::InstanceGroup) -> Value {
    json!({ "id": g.id, "payment_recipient": account(&g.payment_recipient), "endpoints": g.endpoints })
}

fn accounts(list: &[osiris_contract_types::AccountId]) -> Vec<String> {
    list.iter().map(account).collect()
}

fn registry_fields(ev: &RegistryEvent) -> Value {
    use RegistryEvent::*;
    match ev {
        OrganizationCreated(x) => json!({
            "org_id": x.org_id, "owner": account(&x.owner), "members": accounts(&x.members), "metadata": org_metadata(&x.metadata)
        }),
        OrganizationMetadataUpdated(x) => json!({ "org_id": x.org_id, "metadata": org_metadata(&x.metadata) }),
        OrganizationOwnerChanged(x) => json!({ "org_id": x.org_id, "new_owner": account(&x.new_owner) }),
        MembersAdded(x) => json!({ "org_id": x.org_id, "members": accounts(&x.members) }),
        MembersRemoved(x) => json!({ "org_id": x.org_id, "members": accounts(&x.members) }),
        OrganizationDeleted(x) => json!({ "org_id": x.org_id }),
        ServiceCreated(x) => json!({
            "org_id": x.org_id, "service_id": x.service_id, "metadata": service_metadata(&x.metadata),
            "groups": x.groups.iter().map(group).collect::<Vec<_>>()
        }),
        ServiceMetadataUpdated(x) => {
            json!({ "org_id": x.org_id, "service_id": x.service_id, "metadata": service_metadata(&x.metadata) })
        }
        ServiceDeleted(x) => json!({ "org_id": x.org_id, "service_id": x.service_id }),
        GroupAdded(x) => json!({ "org_id": x.org_id, "service_id": x.service_id, "group": group(&x.group) }),
        GroupRemoved(x) => json!({ "org_id": x.org_id, "service_id": x.service_id, "group_id": x.group_id }),
        EndpointsAdded(x) => json!({
            "org_id": x.org_id, "service_id": x.service_id, "group_id": x.group_id, "endpoints": x.endpoints
        }),
        EndpointsRemoved(x) => json!({
            "org_id": x.org_id, "service_id": x.service_id, "group_id": x.group_id, "endpoints": x.endpoints
        }),
    }
}

fn escrow_fields(ev: &EscrowEvent) -> Value {
    use EscrowEvent::*;
    match ev {
        Deposited(x) => {
            json!({ "account": account(&x.account), "amount": planck(x.amount), "balance": planck(x.balance) })
        }
        Withdrawn(x) => {
            json!({ "account": account(&x.account), "amount": planck(x.amount), "balance": planck(x.balance) })
        }
        Transferred(x) => json!({ "from": account(&x.from), "to": account(&x.to), "amount": planck(x.amount) }),
        ChannelOpened(x) => json!({
            "channel_id": x.channel_id, "sender": account(&x.sender), "recipient": account(&x.recipient),
            "signer": hex0x(&x.signer), "group_id": x.group_id, "value": planck(x.value),
            "nonce": x.nonce, "expiration": x.expiration
        }),
        ChannelFunded(x) => json!({
            "channel_id": x.channel_id, "added": planck(x.added), "value": planck(x.value), "expiration": x.expiration
        }),
        ChannelClaimed(x) => json!({
            "channel_id": x.channel_id, "recipient": account(&x.recipient), "nonce": x.nonce, "amount": planck(x.amount),
            "sent_back": planck(x.sent_back), "value": planck(x.value), "new_nonce": x.new_nonce
        }),
        ChannelTimeoutClaimed(x) => json!({
            "channel_id": x.channel_id, "sender": account(&x.sender), "amount": planck(x.amount), "new_nonce": x.new_nonce
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use osiris_chain::contract::blake2_256;
    use osiris_contract_types::ddc::BucketId;
    use osiris_contract_types::ddc::ClusterId;
    use osiris_contract_types::ChannelId;
    use parity_scale_codec::Encode;

    /// Signature topics are blake2-256 of "Name(T1,T2,..)" with the field types as written
    /// in contracts/types (ink! 5): pinned here so that a change to an event is noticed.
    #[test]
    fn signature_topics_follow_the_event_definitions() {
        let cases: [([u8; 32], &str); 6] = [
            (signature_topic::<e::Deposited>(), "Deposited(AccountId,Balance,Balance)"),
            (
                signature_topic::<e::ChannelOpened>(),
                "ChannelOpened(ChannelId,AccountId,AccountId,SignerKey,GroupId,Balance,Nonce,BlockNumber)",
            ),
            (
                signature_topic::<e::ChannelClaimed>(),
                "ChannelClaimed(ChannelId,AccountId,Nonce,Balance,Balance,Balance,Nonce)",
            ),
            (signature_topic::<e::ChannelTimeoutClaimed>(), "ChannelTimeoutClaimed(ChannelId,AccountId,Balance,Nonce)"),
            (
                signature_topic::<r::OrganizationCreated>(),
                "OrganizationCreated(OrgId,AccountId,Vec<AccountId>,OrgMetadata)",
            ),
            (signature_topic::<r::EndpointsRemoved>(), "EndpointsRemoved(OrgId,ServiceId,GroupId,Vec<String>)"),
        ];
        for (topic, signature) in cases {
            assert_eq!(topic, blake2_256(signature.as_bytes()), "{signature}");
        }
    }

    #[test]
    fn events_decode_by_topic_and_contract() {
        let ev = e::ChannelFunded { channel_id: ChannelId(3), added: 5, value: 10, expiration: 99 };
        let topics = [signature_topic::<e::ChannelFunded>()];
        let decoded = decode(ContractKind::Escrow, &topics, &ev.encode()).unwrap();
        assert_eq!(decoded, OsirisEvent::Escrow(EscrowEvent::ChannelFunded(ev.clone())));
        assert_eq!(decoded.name(), "ChannelFunded");
        assert_eq!(decoded.fields()["value"], "10");
        // The same bytes claimed by the registry are unknown there.
        assert!(matches!(decode(ContractKind::Registry, &topics, &ev.encode()), Err(DecodeError::UnknownTopic(_))));
        // Trailing or missing bytes are refused.
        let mut long = ev.encode();
        long.push(0);
        assert!(matches!(decode(ContractKind::Escrow, &topics, &long), Err(DecodeError::Codec { .. })));
        assert!(matches!(decode(ContractKind::Escrow, &topics, &long[..4]), Err(DecodeError::Codec { .. })));
        assert_eq!(decode(ContractKind::Escrow, &[], &[]), Err(DecodeError::NoTopic));
    }

    #[test]
    fn agreements_events_decode_and_are_named() {
        let ev = a::MeteringSettled { agreement_id: [1; 32], units: 3, amount: 30, paid: 30, locked: 70 };
        let topics = [signature_topic::<a::MeteringSettled>()];
        let decoded = decode(ContractKind::Agreements, &topics, &ev.encode()).unwrap();
        assert_eq!(decoded, OsirisEvent::Agreements(AgreementsEvent::MeteringSettled(ev.clone())));
        assert_eq!((decoded.name(), decoded.fields()["paid"].as_str()), ("MeteringSettled", Some("30")));
        assert!(EVENT_NAMES.contains(&decoded.name()));
        assert!(matches!(decode(ContractKind::Escrow, &topics, &ev.encode()), Err(DecodeError::UnknownTopic(_))));
    }

    #[test]
    fn ddc_events_decode_and_are_named() {
        use osiris_contract_types::ddc as d;
        let ev = d::BucketSettled {
            bucket_id: BucketId(2),
            owner: [7; 32].into(),
            cluster_id: ClusterId(1),
            paid: 40,
            settled_until: 90,
            owner_deposit: 60,
            cluster_revenues: 40,
        };
        let topics = [signature_topic::<d::BucketSettled>()];
        let decoded = decode(ContractKind::Ddc, &topics, &ev.encode()).unwrap();
        assert_eq!(decoded, OsirisEvent::Ddc(DdcEvent::BucketSettled(ev.clone())));
        assert_eq!((decoded.name(), decoded.fields()["paid"].as_str()), ("BucketSettled", Some("40")));
        assert!(EVENT_NAMES.contains(&decoded.name()));
        for name in ddc::NAMES {
            assert!(EVENT_NAMES.contains(name), "{name}");
        }
        assert!(matches!(decode(ContractKind::Escrow, &topics, &ev.encode()), Err(DecodeError::UnknownTopic(_))));
    }

    #[test]
    fn every_event_name_is_listed() {
        let ev =
            OsirisEvent::Registry(RegistryEvent::OrganizationDeleted(r::OrganizationDeleted { org_id: "a".into() }));
        assert!(EVENT_NAMES.contains(&ev.name()));
    }
}
