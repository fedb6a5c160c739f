//! The current state that the contracts' events maintain, folded in memory.
//!
//! For each block the store loads the rows its events touch into a [`Snapshot`],
//! [`apply`] folds the events in order exactly as the contracts changed their
//! storage, and the store writes the snapshot back in a few multi-row statements.
//! One module per contract: its rows, the keys its events touch and its fold.

pub mod agreements;
pub mod ddc;
pub mod escrow;
pub mod registry;

use crate::decode::OsirisEvent;
pub use escrow::{accounts_touched, ChannelRow};
use osiris_contract_types::ddc::{BucketId, ClusterId, NodeId};
use osiris_contract_types::ChannelId;
pub use registry::{GroupRow, OrgRow, ServiceRow};
use std::collections::HashMap;

/// Where an event is: (block number, index in the block's events). Orders creation.
pub type Position = (u64, u32);

/// Rows touched by one block: `None` means absent (never created, or deleted).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub orgs: HashMap<String, Option<OrgRow>>,
    pub services: HashMap<(String, String), Option<ServiceRow>>,
    pub channels: HashMap<ChannelId, Option<ChannelRow>>,
    /// Escrow balance in planck by SS58 account.
    pub balances: HashMap<String, u128>,
    pub templates: HashMap<u32, Option<agreements::TemplateRow>>,
    pub offers: HashMap<u64, Option<agreements::OfferRow>>,
    /// By 0x-hex agreement id.
    pub agreements: HashMap<String, Option<agreements::AgreementRow>>,
    /// Balance in the agreements contract, planck, by SS58 account.
    pub agreement_balances: HashMap<String, u128>,
    /// Metering records settled in this block (appended, never changed).
    pub metering: Vec<agreements::MeteringRow>,
    pub ddc_nodes: HashMap<NodeId, Option<ddc::NodeRow>>,
    pub ddc_clusters: HashMap<ClusterId, Option<ddc::ClusterRow>>,
    pub ddc_buckets: HashMap<BucketId, Option<ddc::BucketRow>>,
    /// Deposit in the ddc contract, planck, by SS58 account.
    pub ddc_deposits: HashMap<String, u128>,
    /// Whether a provider trusts a manager, by (provider, manager) SS58.
    pub ddc_trust: HashMap<(String, String), bool>,
}

/// An event that does not fit the mirrored state: the mirror started late, or a contract
/// and the indexer disagree. The event stays in the log; the state is left as it was.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StateError {
    #[error("{0} is not in the mirror")]
    Missing(String),
    #[error("balance of {0} would overflow or go negative")]
    Balance(String),
}

/// The keys of the rows that `events` touch, except the senders of existing channels,
/// which [`accounts_touched`] adds once the channels are loaded.
#[derive(Debug, Default)]
pub struct Keys {
    pub registry: registry::Keys,
    pub escrow: escrow::Keys,
    pub agreements: agreements::Keys,
    pub ddc: ddc::Keys,
}

pub fn keys_of(events: &[OsirisEvent]) -> Keys {
    let mut keys = Keys::default();
    for event in events {
        match event {
            OsirisEvent::Registry(ev) => registry::add_keys(&mut keys.registry, ev),
            OsirisEvent::Escrow(ev) => escrow::add_keys(&mut keys.escrow, ev),
            OsirisEvent::Agreements(ev) => agreements::add_keys(&mut keys.agreements, ev),
            OsirisEvent::Ddc(ev) => ddc::add_keys(&mut keys.ddc, ev),
        }
    }
    keys
}

/// Applies one event at position `at` to the snapshot, as the contract changed its storage.
/// On error the snapshot may be partly changed only for that event's own rows.
pub fn apply(s: &mut Snapshot, event: &OsirisEvent, at: Position) -> Result<(), StateError> {
    match event {
        OsirisEvent::Registry(ev) => registry::apply(s, ev, at),
        OsirisEvent::Escrow(ev) => escrow::apply(s, ev, at),
        OsirisEvent::Agreements(ev) => agreements::apply(s, ev, at),
        OsirisEvent::Ddc(ev) => ddc::apply(s, ev, at),
    }
}

/// Removes the first occurrence of each of `items` from `list`, keeping the order of the rest.
pub(crate) fn remove_each<T: PartialEq>(list: &mut Vec<T>, items: &[T]) {
    for item in items {
        if let Some(at) = list.iter().position(|x| x == item) {
            list.remove(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{EscrowEvent, RegistryEvent};
    use crate::json::account;
    use osiris_contract_types::Nonce;
    use osiris_contract_types::{escrow as e, registry as r, AccountId};

    fn id(b: u8) -> AccountId {
        AccountId::from([b; 32])
    }

    fn fold(events: &[OsirisEvent]) -> Snapshot {
        let mut s = Snapshot::default();
        for (i, ev) in events.iter().enumerate() {
            apply(&mut s, ev, (1, i as u32)).unwrap();
        }
        s
    }

    fn meta(name: &str) -> r::OrgMetadata {
        r::OrgMetadata { name: name.into(), uri: String::new(), content_hash: [0; 32] }
    }

    #[test]
    fn organizations_follow_the_contract() {
        use RegistryEvent::*;
        let reg = OsirisEvent::Registry;
        let s = fold(&[
            reg(OrganizationCreated(r::OrganizationCreated {
                org_id: "o".into(),
                owner: id(1),
                members: vec![id(2), id(3)],
                metadata: meta("a"),
            })),
            reg(MembersAdded(r::MembersAdded { org_id: "o".into(), members: vec![id(4)] })),
            reg(MembersRemoved(r::MembersRemoved { org_id: "o".into(), members: vec![id(3)] })),
            reg(OrganizationOwnerChanged(r::OrganizationOwnerChanged { org_id: "o".into(), new_owner: id(2) })),
            reg(OrganizationMetadataUpdated(r::OrganizationMetadataUpdated {
                org_id: "o".into(),
                metadata: meta("b"),
            })),
        ]);
        let org = s.orgs["o"].clone().unwrap();
        assert_eq!(org.owner, account(&id(2)));
        assert_eq!(org.members, vec![account(&id(4))], "the new owner left the member list; order is kept");
        assert_eq!((org.name.as_str(), org.created), ("b", (1, 0)));
        let mut s2 = s.clone();
        apply(&mut s2, &reg(OrganizationDeleted(r::OrganizationDeleted { org_id: "o".into() })), (2, 0)).unwrap();
        assert_eq!(s2.orgs["o"], None);
        let missing =
            apply(&mut s2, &reg(MembersAdded(r::MembersAdded { org_id: "o".into(), members: vec![] })), (2, 1));
        assert_eq!(missing, Err(StateError::Missing("organization o".into())));
    }

    #[test]
    fn services_groups_and_endpoints_keep_their_order() {
        use RegistryEvent::*;
        let reg = OsirisEvent::Registry;
        let group = |g: &str| r::InstanceGroup {
            id: g.into(),
            payment_recipient: id(9),
            endpoints: vec!["a".into(), "b".into()],
        };
        let price =
            |p| r::ServiceMetadata { name: "s".into(), uri: String::new(), content_hash: [1; 32], price_per_call: p };
        let s = fold(&[
            reg(ServiceCreated(r::ServiceCreated {
                org_id: "o".into(),
                service_id: "s".into(),
                metadata: price(5),
                groups: vec![group("g1")],
            })),
            reg(GroupAdded(r::GroupAdded { org_id: "o".into(), service_id: "s".into(), group: group("g2") })),
            reg(EndpointsAdded(r::EndpointsAdded {
                org_id: "o".into(),
                service_id: "s".into(),
                group_id: "g2".into(),
                endpoints: vec!["c".into()],
            })),
            reg(EndpointsRemoved(r::EndpointsRemoved {
                org_id: "o".into(),
                service_id: "s".into(),
                group_id: "g2".into(),
                endpoints: vec!["a".into()],
            })),
            reg(GroupRemoved(r::GroupRemoved { org_id: "o".into(), service_id: "s".into(), group_id: "g1".into() })),
            reg(ServiceMetadataUpdated(r::ServiceMetadataUpdated {
                org_id: "o".into(),
                service_id: "s".into(),
                metadata: price(7),
            })),
        ]);
        let service = s.services[&("o".to_string(), "s".to_string())].clone().unwrap();
        assert_eq!(service.price_per_call, 7);
        assert_eq!(service.groups.len(), 1);
        assert_eq!(service.groups[0].endpoints, vec!["b".to_string(), "c".to_string()]);
    }

    #[test]
    fn escrow_balances_and_channels_follow_the_contract() {
        use EscrowEvent::*;
        let esc = OsirisEvent::Escrow;
        let (alice, bob) = (id(1), id(2));
        let s = fold(&[
            esc(Deposited(e::Deposited { account: alice, amount: 100, balance: 100 })),
            esc(Transferred(e::Transferred { from: alice, to: bob, amount: 10 })),
            esc(ChannelOpened(e::ChannelOpened {
                channel_id: ChannelId(0),
                sender: alice,
                recipient: bob,
                signer: [2; 33],
                group_id: "g".into(),
                value: 50,
                nonce: Nonce(0),
                expiration: 9,
            })),
            esc(ChannelFunded(e::ChannelFunded { channel_id: ChannelId(0), added: 20, value: 70, expiration: 12 })),
            esc(ChannelClaimed(e::ChannelClaimed {
                channel_id: ChannelId(0),
                recipient: bob,
                nonce: Nonce(0),
                amount: 30,
                sent_back: 40,
                value: 0,
                new_nonce: Nonce(1),
            })),
            esc(ChannelTimeoutClaimed(e::ChannelTimeoutClaimed {
                channel_id: ChannelId(0),
                sender: alice,
                amount: 0,
                new_nonce: Nonce(2),
            })),
            esc(Withdrawn(e::Withdrawn { account: bob, amount: 5, balance: 35 })),
        ]);
        assert_eq!(s.balances[&account(&alice)], 100 - 10 - 50 - 20 + 40);
        assert_eq!(s.balances[&account(&bob)], 35);
        let channel = s.channels[&ChannelId(0)].clone().unwrap();
        assert_eq!((channel.value, channel.nonce, channel.expiration), (0, Nonce(2), 12));
        let mut s2 = Snapshot::default();
        let overdraw = esc(Transferred(e::Transferred { from: alice, to: bob, amount: 1 }));
        assert_eq!(apply(&mut s2, &overdraw, (1, 0)), Err(StateError::Balance(account(&alice))));
    }
}
