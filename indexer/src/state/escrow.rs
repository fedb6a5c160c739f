//! The escrow contract's state (balances and payment channels), folded from its events.

use super::{OsirisEvent, Position, Snapshot, StateError};
use crate::decode::EscrowEvent;
use crate::json::account;
use osiris_contract_types::{ChannelId, Nonce};
use std::collections::{HashMap, HashSet};

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

/// Keys of the escrow rows that events name directly (balances follow from the channels,
/// see [`accounts_touched`]).
#[derive(Debug, Default)]
pub struct Keys {
    pub channels: HashSet<ChannelId>,
}

/// Adds the channel `ev` changes to `keys`.
pub fn add_keys(keys: &mut Keys, ev: &EscrowEvent) {
    if let Some(id) = channel_of(ev) {
        keys.channels.insert(id);
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

impl Snapshot {
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

/// Applies one escrow event at position `at`, as the contract changed its storage.
pub fn apply(s: &mut Snapshot, ev: &EscrowEvent, at: Position) -> Result<(), StateError> {
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
