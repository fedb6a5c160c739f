//! Deposits, withdrawals and the ledger of accounts.

use crate::{ddc::Ddc, DdcError, Result};
use ink::codegen::Env;
use osiris_contract_types::ddc::*;
use osiris_contract_types::{AccountId, Balance};

impl Ddc {
    pub(crate) fn do_deposit(&mut self) -> Result<()> {
        let (account, amount) = (self.env().caller(), self.env().transferred_value());
        if amount == 0 {
            return Err(DdcError::ZeroAmount);
        }
        let deposit = self.credit(account, amount)?;
        self.env().emit_event(DdcDeposited { account, amount, deposit });
        Ok(())
    }

    pub(crate) fn do_withdraw(&mut self, amount: Balance) -> Result<()> {
        let account = self.env().caller();
        if amount == 0 {
            return Err(DdcError::ZeroAmount);
        }
        let mut state = self.accounts.get(account).unwrap_or_default();
        let owed = self.rent_owed(&state);
        let free = state.deposit.saturating_sub(owed);
        if amount > free {
            return Err(DdcError::InsufficientDeposit);
        }
        state.deposit = state.deposit.checked_sub(amount).ok_or(DdcError::InsufficientDeposit)?;
        self.env().transfer(account, amount).map_err(|_| DdcError::TransferFailed)?;
        self.accounts.insert(account, &state);
        self.env().emit_event(DdcWithdrawn { account, amount, deposit: state.deposit });
        Ok(())
    }

    /// `account.deposit += amount`; the new deposit.
    pub(crate) fn credit(&mut self, account: AccountId, amount: Balance) -> Result<Balance> {
        let mut state = self.accounts.get(account).unwrap_or_default();
        state.deposit = state.deposit.checked_add(amount).ok_or(DdcError::Overflow)?;
        self.accounts.insert(account, &state);
        Ok(state.deposit)
    }

    /// Rent the account's buckets owe up to the current block.
    pub(crate) fn rent_owed(&self, account: &Account) -> Balance {
        let now = self.env().block_number();
        self.rents(account).iter().fold(0, |sum, (rate, since)| sum.saturating_add(rent_due(*rate, *since, now)))
    }

    /// (rent per block, settled until) of each bucket the account owns.
    pub(crate) fn rents(&self, account: &Account) -> ink::prelude::vec::Vec<(Balance, u32)> {
        account
            .buckets
            .iter()
            .filter_map(|id| self.buckets.get(id))
            .map(|bucket| (self.rate_of(&bucket), bucket.settled_until))
            .collect()
    }
}
