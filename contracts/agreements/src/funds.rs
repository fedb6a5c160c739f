//! Balances held in the contract: deposits, payments, refunds, withdrawals.

use crate::{agreements::Agreements, AgreementError, Result};
use ink::codegen::Env;
use osiris_contract_types::{agreements::*, AccountId, Balance};

impl Agreements {
    pub(crate) fn do_deposit(&mut self) -> Result<()> {
        let (account, amount) = (self.env().caller(), self.env().transferred_value());
        if amount == 0 {
            return Err(AgreementError::ZeroAmount);
        }
        let balance = self.credit(account, amount)?;
        self.env().emit_event(AgreementFundsDeposited { account, amount, balance });
        Ok(())
    }

    pub(crate) fn do_withdraw(&mut self, amount: Balance) -> Result<()> {
        let account = self.env().caller();
        if amount == 0 {
            return Err(AgreementError::ZeroAmount);
        }
        let balance = self.balance_of(account).checked_sub(amount).ok_or(AgreementError::InsufficientDeposit)?;
        self.env().transfer(account, amount).map_err(|_| AgreementError::TransferFailed)?;
        self.balances.insert(account, &balance);
        self.env().emit_event(AgreementFundsWithdrawn { account, amount, balance });
        Ok(())
    }

    /// `account += amount`; returns the new balance.
    pub(crate) fn credit(&mut self, account: AccountId, amount: Balance) -> Result<Balance> {
        let balance = self.balance_of(account).checked_add(amount).ok_or(AgreementError::Overflow)?;
        self.balances.insert(account, &balance);
        Ok(balance)
    }

    /// `account -= amount`; returns the new balance.
    pub(crate) fn debit(&mut self, account: AccountId, amount: Balance) -> Result<Balance> {
        let balance = self.balance_of(account).checked_sub(amount).ok_or(AgreementError::InsufficientDeposit)?;
        self.balances.insert(account, &balance);
        Ok(balance)
    }
}
