//! Turning `Contracts::ContractEmitted` payloads into the Osiris event types.
//!
//! The emitting contract is checked first (any contract can emit an identical
//! signature topic), then topic 0, the ink! 5 signature topic, picks the type, and
//! the data must decode as exactly that type (ink! 5 has no variant byte).

pub use agreements::AgreementsEvent;
pub use ddc::DdcEvent;
pub use escrow::EscrowEvent;
use osiris_contract_types::ink::env::Event;
use parity_scale_codec::DecodeAll;
pub use registry::RegistryEvent;
use serde_json::Value;

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
        ContractKind::Registry => registry::decode(topic, data).map(OsirisEvent::Registry),
        ContractKind::Escrow => escrow::decode(topic, data).map(OsirisEvent::Escrow),
        ContractKind::Agreements => agreements::decode(topic, data).map(OsirisEvent::Agreements),
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

/// One contract's event enum, the names of its events and their decoding, from one list of
/// the event types in `osiris_contract_types::<module>` (used by each contract's module).
macro_rules! contract_events {
    ($(#[$doc:meta])* $enum:ident, $module:ident, [$($name:ident),+ $(,)?]) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum $enum {
            $($name($module::$name),)+
        }

        /// The names of this contract's events, as stored in `events.event_name`.
        pub const NAMES: &[&str] = &[$(stringify!($name)),+];

        pub(super) fn decode(topic: &[u8; 32], data: &[u8]) -> Result<$enum, DecodeError> {
            decode_by_topic!(topic, data, $enum, $module, [$($name),+])
        }

        impl $enum {
            /// The event type's name, as stored in `events.event_name`.
            pub fn name(&self) -> &'static str {
                match self {
                    $($enum::$name(_) => stringify!($name),)+
                }
            }
        }
    };
}

pub mod agreements;
pub mod ddc;
pub mod escrow;
pub mod registry;

impl OsirisEvent {
    /// The event type's name, as stored in `events.event_name`.
    pub fn name(&self) -> &'static str {
        match self {
            OsirisEvent::Registry(ev) => ev.name(),
            OsirisEvent::Escrow(ev) => ev.name(),
            OsirisEvent::Agreements(ev) => ev.name(),
            OsirisEvent::Ddc(ev) => ev.name(),
        }
    }

    /// The event's fields as JSON: accounts SS58, amounts decimal strings, hashes and keys 0x-hex.
    pub fn fields(&self) -> Value {
        match self {
            OsirisEvent::Registry(ev) => ev.fields(),
            OsirisEvent::Escrow(ev) => ev.fields(),
            OsirisEvent::Agreements(ev) => ev.fields(),
            OsirisEvent::Ddc(ev) => ev.fields(),
        }
    }
}

/// Names of condition kinds and agreement states: declared with the mirror's schema.
pub use osiris_mirror::agreements::{kind_name, state_name};

/// Every event name the indexer knows, for validating filters.
pub static EVENT_NAMES: std::sync::LazyLock<Vec<&'static str>> =
    std::sync::LazyLock::new(|| [registry::NAMES, escrow::NAMES, agreements::NAMES, ddc::NAMES].concat());

#[cfg(test)]
mod tests {
    use super::*;
    use osiris_chain::contract::blake2_256;
    use osiris_contract_types::ddc::BucketId;
    use osiris_contract_types::ddc::ClusterId;
    use osiris_contract_types::ChannelId;
    use osiris_contract_types::{agreements as a, escrow as e, registry as r};
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
