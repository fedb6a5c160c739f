//! Deposits, withdrawals and transfers between escrow balances.

use crate::{escrow::Escrow, ledger::Ledger, EscrowError, Result};
use ink::codegen::Env;
use osiris_contract_types::{escrow::*, AccountId, Balance};

impl Escrow {
    /// Credits the transferred value to the caller; returns the value.
    pub(crate) fn do_deposit_value(&mut self) -> Result<Balance> {
        let (account, amount) = (self.env().caller(), self.env().transferred_value());
        if amount == 0 {
            return Err(EscrowError::ZeroAmount);
        }
        let mut ledger = Ledger::default();
        let balance = ledger.credit(self, account, amount)?;
        ledger.commit(self);
        self.env().emit_event(Deposited { account, amount, balance });
        Ok(amount)
    }

    pub(crate) fn do_deposit(&mut self) -> Result<()> {
        self.do_deposit_value().map(|_| ())
    }

    pub(crate) fn do_withdraw(&mut self, amount: Balance) -> Result<()> {
        let account = self.env().caller();
        if amount == 0 {
            return Err(EscrowError::ZeroAmount);
        }
        let mut ledger = Ledger::default();
        let balance = ledger.debit(self, account, amount)?;
        self.env().transfer(account, amount).map_err(|_| EscrowError::TransferFailed)?;
        ledger.commit(self);
        self.env().emit_event(Withdrawn { account, amount, balance });
        Ok(())
    }

    pub(crate) fn do_transfer(&mut self, to: AccountId, amount: Balance) -> Result<()> {
        let from = self.env().caller();
        if amount == 0 {
            return Err(EscrowError::ZeroAmount);
        }
        let mut ledger = Ledger::default();
        ledger.debit(self, from, amount)?;
        ledger.credit(self, to, amount)?;
        ledger.commit(self);
        self.env().emit_event(Transferred { from, to, amount });
        Ok(())
    }
}
