//! The current state that the contracts' events maintain, folded in memory.
//!
//! For each block the store loads the rows its events touch into a [`Snapshot`],
//! [`apply`] folds the events in order exactly as the contracts changed their
//! storage, and the store writes the snapshot back in a few multi-row statements.

pub mod agreements;
pub mod ddc;

use crate::decode::{EscrowEvent, OsirisEvent, RegistryEvent};
use crate::json::account;
use osiris_contract_types::ddc::{BucketId, ClusterId, NodeId};
use osiris_contract_types::registry::{InstanceGroup, OrgMetadata, ServiceMetadata};
use osiris_contract_types::{ChannelId, Nonce};
use std::collections::{HashMap, HashSet};

/// Where an event is: (block number, index in the block's events). Orders creation.
pub type Position = (u64, u32);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRow {
    pub org_id: String,
    pub owner: String,
    pub members: Vec<String>,
    pub name: String,
    pub uri: String,
    pub content_hash: Vec<u8>,
    pub created: Position,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    pub group_id: String,
    pub payment_recipient: String,
    pub endpoints: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRow {
    pub org_id: String,
    pub service_id: String,
    pub name: String,
    pub uri: String,
    pub content_hash: Vec<u8>,
    /// Planck per call.
    pub price_per_call: u128,
    /// In the contract's order.
    pub groups: Vec<GroupRow>,
    pub created: Position,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelRow {
    pub channel_id: ChannelId,
    pub sender: String,
    pub recipient: String,
    pub signer: Vec<u8>,
    pub group_id: String,
    /// Planck.
    pub value: u128,
    pub nonce: Nonce,
    /// Block number.
    pub expiration: u32,
    pub opened_block: u64,
}

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
    pub orgs: HashSet<String>,
    pub services: HashSet<(String, String)>,
    pub channels: HashSet<ChannelId>,
    pub agreements: agreements::Keys,
    pub ddc: ddc::Keys,
}

pub fn keys_of(events: &[OsirisEvent]) -> Keys {
    let mut keys = Keys::default();
    for event in events {
        match event {
            OsirisEvent::Registry(ev) => {
                let (org, service) = registry_keys(ev);
                if let Some(service) = service {
                    keys.services.insert((org.clone(), service));
                }
                keys.orgs.insert(org);
            }
            OsirisEvent::Escrow(ev) => {
                if let Some(id) = channel_of(ev) {
                    keys.channels.insert(id);
                }
            }
            OsirisEvent::Agreements(ev) => agreements::add_keys(&mut keys.agreements, ev),
            OsirisEvent::Ddc(ev) => ddc::add_keys(&mut keys.ddc, ev),
        }
    }
    keys
}

fn registry_keys(ev: &RegistryEvent) -> (String, Option<String>) {
    use RegistryEvent::*;
    match ev {
        OrganizationCreated(x) => (x.org_id.clone(), None),
        OrganizationMetadataUpdated(x) => (x.org_id.clone(), None),
        OrganizationOwnerChanged(x) => (x.org_id.clone(), None),
        MembersAdded(x) => (x.org_id.clone(), None),
        MembersRemoved(x) => (x.org_id.clone(), None),
        OrganizationDeleted(x) => (x.org_id.clone(), None),
        ServiceCreated(x) => (x.org_id.clone(), Some(x.service_id.clone())),
        ServiceMetadataUpdated(x) => (x.org_id.clone(), Some(x.service_id.clone())),
        ServiceDeleted(x) => (x.org_id.clone(), Some(x.service_id.clone())),
        GroupAdded(x) => (x.org_id.clone(), Some(x.service_id.clone())),
        GroupRemoved(x) => (x.org_id.clone(), Some(x.service_id.clone())),
        EndpointsAdded(x) => (x.org_id.clone(), Some(x.service_id.clone())),
        EndpointsRemoved(x) => (x.org_id.clone(), Some(x.service_id.clone())),
    }
}

fn channel_of(ev: &EscrowEvent) -> Option<ChannelId> {
    use EscrowEvent::*;
    match ev {
        Deposited(_) | Withdrawn(_) | Transferred(_) => None,
        ChannelOpened(x) => Some(x.channel_id),
        ChannelFunded(x) => Some(x.channel_id),
        ChannelClaimed(x) => Some(x.channel_id),
        ChannelTimeoutClaimed(x) => Some(x.channel_id),
    }
}

/// The accounts whose escrow balance `events` change: named in the events, or senders of `channels`.
pub fn accounts_touched(events: &[OsirisEvent], channels: &HashMap<ChannelId, Option<ChannelRow>>) -> HashSet<String> {
    let mut accounts: HashSet<String> = channels.values().flatten().map(|c| c.sender.clone()).collect();
    for event in events {
        if let OsirisEvent::Escrow(ev) = event {
            use EscrowEvent::*;
            match ev {
                Deposited(x) => drop(accounts.insert(account(&x.account))),
                Withdrawn(x) => drop(accounts.insert(account(&x.account))),
                Transferred(x) => {
                    accounts.insert(account(&x.from));
                    accounts.insert(account(&x.to));
                }
                ChannelOpened(x) => drop(accounts.insert(account(&x.sender))),
                ChannelClaimed(x) => drop(accounts.insert(account(&x.recipient))),
                ChannelTimeoutClaimed(x) => drop(accounts.insert(account(&x.sender))),
                ChannelFunded(_) => {}
            }
        }
    }
    accounts
}

fn org_row(org_id: &str, owner: String, members: Vec<String>, m: &OrgMetadata, created: Position) -> OrgRow {
    OrgRow {
        org_id: org_id.to_string(),
        owner,
        members,
        name: m.name.clone(),
        uri: m.uri.clone(),
        content_hash: m.content_hash.to_vec(),
        created,
    }
}

fn group_row(g: &InstanceGroup) -> GroupRow {
    GroupRow {
        group_id: g.id.clone(),
        payment_recipient: account(&g.payment_recipient),
        endpoints: g.endpoints.clone(),
    }
}

fn set_service_metadata(row: &mut ServiceRow, m: &ServiceMetadata) {
    row.name = m.name.clone();
    row.uri = m.uri.clone();
    row.content_hash = m.content_hash.to_vec();
    row.price_per_call = m.price_per_call;
}

impl Snapshot {
    fn org(&mut self, id: &str) -> Result<&mut OrgRow, StateError> {
        self.orgs.get_mut(id).and_then(Option::as_mut).ok_or_else(|| StateError::Missing(format!("organization {id}")))
    }

    fn service(&mut self, org: &str, id: &str) -> Result<&mut ServiceRow, StateError> {
        self.services
            .get_mut(&(org.to_string(), id.to_string()))
            .and_then(Option::as_mut)
            .ok_or_else(|| StateError::Missing(format!("service {org}/{id}")))
    }

    fn group(&mut self, org: &str, service: &str, group: &str) -> Result<&mut GroupRow, StateError> {
        self.service(org, service)?
            .groups
            .iter_mut()
            .find(|g| g.group_id == group)
            .ok_or_else(|| StateError::Missing(format!("group {org}/{service}/{group}")))
    }

    fn channel(&mut self, id: ChannelId) -> Result<&mut ChannelRow, StateError> {
        self.channels.get_mut(&id).and_then(Option::as_mut).ok_or_else(|| StateError::Missing(format!("channel {id}")))
    }

    fn credit(&mut self, who: String, amount: u128) -> Result<(), StateError> {
        let balance = self.balances.entry(who.clone()).or_default();
        *balance = balance.checked_add(amount).ok_or(StateError::Balance(who))?;
        Ok(())
    }

    fn debit(&mut self, who: String, amount: u128) -> Result<(), StateError> {
        let balance = self.balances.entry(who.clone()).or_default();
        *balance = balance.checked_sub(amount).ok_or(StateError::Balance(who))?;
        Ok(())
    }
}

/// Applies one event at position `at` to the snapshot, as the contract changed its storage.
/// On error the snapshot may be partly changed only for that event's own rows.
pub fn apply(s: &mut Snapshot, event: &OsirisEvent, at: Position) -> Result<(), StateError> {
    match event {
        OsirisEvent::Registry(ev) => apply_registry(s, ev, at),
        OsirisEvent::Escrow(ev) => apply_escrow(s, ev, at),
        OsirisEvent::Agreements(ev) => agreements::apply(s, ev, at),
        OsirisEvent::Ddc(ev) => ddc::apply(s, ev, at),
    }
}

fn remove_each<T: PartialEq>(list: &mut Vec<T>, items: &[T]) {
    for item in items {
        if let Some(at) = list.iter().position(|x| x == item) {
            list.remove(at);
        }
    }
}

fn apply_registry(s: &mut Snapshot, ev: &RegistryEvent, at: Position) -> Result<(), StateError> {
    use RegistryEvent::*;
    match ev {
        OrganizationCreated(x) => {
            let members = x.members.iter().map(account).collect();
            s.orgs.insert(x.org_id.clone(), Some(org_row(&x.org_id, account(&x.owner), members, &x.metadata, at)));
        }
        OrganizationMetadataUpdated(x) => {
            let org = s.org(&x.org_id)?;
            *org = org_row(&x.org_id, org.owner.clone(), org.members.clone(), &x.metadata, org.created);
        }
        OrganizationOwnerChanged(x) => {
            let org = s.org(&x.org_id)?;
            let owner = account(&x.new_owner);
            org.members.retain(|m| *m != owner);
            org.owner = owner;
        }
        MembersAdded(x) => s.org(&x.org_id)?.members.extend(x.members.iter().map(account)),
        MembersRemoved(x) => {
            let gone: Vec<String> = x.members.iter().map(account).collect();
            remove_each(&mut s.org(&x.org_id)?.members, &gone);
        }
        OrganizationDeleted(x) => {
            s.org(&x.org_id)?;
            s.orgs.insert(x.org_id.clone(), None);
        }
        ServiceCreated(x) => {
            let mut row = ServiceRow {
                org_id: x.org_id.clone(),
                service_id: x.service_id.clone(),
                name: String::new(),
                uri: String::new(),
                content_hash: Vec::new(),
                price_per_call: 0,
                groups: x.groups.iter().map(group_row).collect(),
                created: at,
            };
            set_service_metadata(&mut row, &x.metadata);
            s.services.insert((x.org_id.clone(), x.service_id.clone()), Some(row));
        }
        ServiceMetadataUpdated(x) => set_service_metadata(s.service(&x.org_id, &x.service_id)?, &x.metadata),
        ServiceDeleted(x) => {
            s.service(&x.org_id, &x.service_id)?;
            s.services.insert((x.org_id.clone(), x.service_id.clone()), None);
        }
        GroupAdded(x) => s.service(&x.org_id, &x.service_id)?.groups.push(group_row(&x.group)),
        GroupRemoved(x) => s.service(&x.org_id, &x.service_id)?.groups.retain(|g| g.group_id != x.group_id),
        EndpointsAdded(x) => {
            s.group(&x.org_id, &x.service_id, &x.group_id)?.endpoints.extend(x.endpoints.iter().cloned())
        }
        EndpointsRemoved(x) => {
            remove_each(&mut s.group(&x.org_id, &x.service_id, &x.group_id)?.endpoints, &x.endpoints)
        }
    }
    Ok(())
}

fn apply_escrow(s: &mut Snapshot, ev: &EscrowEvent, at: Position) -> Result<(), StateError> {
    use EscrowEvent::*;
    match ev {
        Deposited(x) => drop(s.balances.insert(account(&x.account), x.balance)),
        Withdrawn(x) => drop(s.balances.insert(account(&x.account), x.balance)),
        Transferred(x) => {
            s.debit(account(&x.from), x.amount)?;
            s.credit(account(&x.to), x.amount)?;
        }
        ChannelOpened(x) => {
            s.debit(account(&x.sender), x.value)?;
            let row = ChannelRow {
                channel_id: x.channel_id,
                sender: account(&x.sender),
                recipient: account(&x.recipient),
                signer: x.signer.to_vec(),
                group_id: x.group_id.clone(),
                value: x.value,
                nonce: x.nonce,
                expiration: x.expiration,
                opened_block: at.0,
            };
            s.channels.insert(x.channel_id, Some(row));
        }
        ChannelFunded(x) => {
            let channel = s.channel(x.channel_id)?;
            channel.value = x.value;
            channel.expiration = x.expiration;
            let sender = channel.sender.clone();
            s.debit(sender, x.added)?;
        }
        ChannelClaimed(x) => {
            let channel = s.channel(x.channel_id)?;
            channel.value = x.value;
            channel.nonce = x.new_nonce;
            let sender = channel.sender.clone();
            s.credit(account(&x.recipient), x.amount)?;
            s.credit(sender, x.sent_back)?;
        }
        ChannelTimeoutClaimed(x) => {
            let channel = s.channel(x.channel_id)?;
            channel.value = 0;
            channel.nonce = x.new_nonce;
            s.credit(account(&x.sender), x.amount)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
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
