//! Escrow balance changes staged in memory and written together, so that a
//! message that fails half-way writes nothing (also off-chain, where an `Err`
//! does not revert storage).

use crate::{escrow::Escrow, EscrowError, Result};
use ink::prelude::vec::Vec;
use osiris_contract_types::{AccountId, Balance};

/// New balances of the accounts a message touches, not yet written.
#[derive(Default)]
pub(crate) struct Ledger {
    staged: Vec<(AccountId, Balance)>,
}

impl Ledger {
    /// The account's balance as staged, or as stored.
    pub(crate) fn balance(&self, escrow: &Escrow, account: AccountId) -> Balance {
        self.staged.iter().find(|(a, _)| *a == account).map(|(_, b)| *b).unwrap_or_else(|| escrow.balance_of(account))
    }

    fn set(&mut self, account: AccountId, balance: Balance) {
        match self.staged.iter_mut().find(|(a, _)| *a == account) {
            Some(entry) => entry.1 = balance,
            None => self.staged.push((account, balance)),
        }
    }

    /// Stages `account += amount`; returns the new balance.
    pub(crate) fn credit(&mut self, escrow: &Escrow, account: AccountId, amount: Balance) -> Result<Balance> {
        let new = self.balance(escrow, account).checked_add(amount).ok_or(EscrowError::Overflow)?;
        self.set(account, new);
        Ok(new)
    }

    /// Stages `account -= amount`; returns the new balance.
    pub(crate) fn debit(&mut self, escrow: &Escrow, account: AccountId, amount: Balance) -> Result<Balance> {
        let new = self.balance(escrow, account).checked_sub(amount).ok_or(EscrowError::InsufficientBalance)?;
        self.set(account, new);
        Ok(new)
    }

    /// Writes every staged balance.
    pub(crate) fn commit(self, escrow: &mut Escrow) {
        for (account, balance) in self.staged {
            escrow.balances.insert(account, &balance);
        }
    }
}
