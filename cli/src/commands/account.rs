//! `osiris account`

use crate::{
    context::GlobalArgs,
    output::{planck, Report},
};
use anyhow::Result;
use clap::Args;
use osiris_chain::account::account_of;
use serde_json::json;

#[derive(Args)]
pub struct AccountArgs {
    /// SS58 account or dev URI (`//Bob`); default: the signing account.
    #[arg(value_parser = super::parse_account)]
    account: Option<osiris_chain::AccountId>,
}

pub async fn run(global: &GlobalArgs, args: AccountArgs) -> Result<Report> {
    let account = match args.account {
        Some(a) => a,
        None => account_of(&global.signer()?),
    };
    let connected = global.connect().await?;
    let free = connected.chain.free_balance(&account).await?;
    let in_escrow = connected.escrow().balance_of(&account).await?;
    Ok(Report::new(
        format!("{account}\nfree   {free} planck\nescrow {in_escrow} planck"),
        json!({ "account": account, "free": planck(free), "escrow": planck(in_escrow) }),
    ))
}
