//! `osiris escrow …`

use crate::{
    context::GlobalArgs,
    output::{planck, Report},
};
use anyhow::Result;
use clap::Subcommand;
use osiris_chain::{account::account_of, AccountId, Balance};
use serde_json::json;

#[derive(Subcommand)]
pub enum EscrowCommand {
    /// Deposit planck of free balance into the signer's escrow balance.
    Deposit { amount: Balance },
    /// Withdraw planck of escrow balance to the signer's free balance.
    Withdraw { amount: Balance },
    /// Move planck of escrow balance to another account's.
    Transfer {
        #[arg(value_parser = super::parse_account)]
        to: AccountId,
        amount: Balance,
    },
    /// An account's escrow balance (default: the signer's).
    Balance {
        #[arg(value_parser = super::parse_account)]
        account: Option<AccountId>,
    },
}

pub async fn run(global: &GlobalArgs, command: EscrowCommand) -> Result<Report> {
    let escrow = global.connect().await?.escrow();
    let signer = global.signer()?;
    let me = account_of(&signer);
    Ok(match command {
        EscrowCommand::Deposit { amount } => {
            let outcome = escrow.deposit(&signer, amount).await?;
            let balance = escrow.balance_of(&me).await?;
            Report::call(
                format!("deposited {amount} planck; escrow balance {balance}"),
                &outcome,
                json!({ "balance": planck(balance) }),
            )
        }
        EscrowCommand::Withdraw { amount } => {
            let outcome = escrow.withdraw(&signer, amount).await?;
            let balance = escrow.balance_of(&me).await?;
            Report::call(
                format!("withdrew {amount} planck; escrow balance {balance}"),
                &outcome,
                json!({ "balance": planck(balance) }),
            )
        }
        EscrowCommand::Transfer { to, amount } => {
            let outcome = escrow.transfer(&signer, &to, amount).await?;
            Report::call(
                format!("transferred {amount} planck to {to}"),
                &outcome,
                json!({ "to": to, "amount": planck(amount) }),
            )
        }
        EscrowCommand::Balance { account } => {
            let account = account.unwrap_or(me);
            let balance = escrow.balance_of(&account).await?;
            Report::new(
                format!("{account}: {balance} planck in escrow"),
                json!({ "account": account, "balance": planck(balance) }),
            )
        }
    })
}
