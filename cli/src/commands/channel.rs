//! `osiris channel …`

use super::{key::read_key, parse_account};
use crate::{
    context::GlobalArgs,
    output::{planck, Report},
};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use osiris_chain::types::escrow::{Channel, ChannelClaim};
use osiris_chain::{account::from_ink, AccountId, Balance, BlockNumber, ChannelId};
use serde_json::{json, Value};
use std::path::PathBuf;

/// Blocks until expiration when neither --expiration nor --expires-in is given.
const DEFAULT_EXPIRES_IN: BlockNumber = 10_000;

#[derive(Args)]
pub struct Expiry {
    /// Absolute expiration block number.
    #[arg(long, conflicts_with = "expires_in")]
    expiration: Option<BlockNumber>,
    /// Expiration as a number of blocks from the current finalized block.
    #[arg(long)]
    expires_in: Option<BlockNumber>,
}

impl Expiry {
    async fn block(&self, chain: &osiris_chain::Chain) -> Result<BlockNumber> {
        if let Some(b) = self.expiration {
            return Ok(b);
        }
        let now = BlockNumber::try_from(chain.block_number().await?)?;
        now.checked_add(self.expires_in.unwrap_or(DEFAULT_EXPIRES_IN)).context("expiration overflows a block number")
    }
}

#[derive(Subcommand)]
pub enum ChannelCommand {
    /// Open a channel funded from the signer's escrow balance (or, with --deposit, from its free balance).
    Open {
        /// Account that will claim.
        #[arg(long, value_parser = parse_account)]
        recipient: AccountId,
        /// The recipient's instance group.
        #[arg(long)]
        group: String,
        /// Planck to lock in the channel.
        #[arg(long)]
        value: Balance,
        /// Payment signer key file (see `osiris key generate`); its public key becomes the channel signer.
        #[arg(long)]
        key_file: PathBuf,
        #[command(flatten)]
        expiry: Expiry,
        /// Deposit --value from the free balance in the same call.
        #[arg(long)]
        deposit: bool,
    },
    /// Add planck from the sender's escrow balance.
    AddFunds { channel_id: ChannelId, amount: Balance },
    /// Move the expiration later, optionally adding funds.
    Extend {
        channel_id: ChannelId,
        #[command(flatten)]
        expiry: Expiry,
        /// Planck to add as well.
        #[arg(long, default_value_t = 0)]
        add: Balance,
    },
    /// Claim a signed payment (recipient only).
    Claim {
        channel_id: ChannelId,
        /// The signed (planned) amount.
        #[arg(long)]
        amount: Balance,
        /// Signature of the amount at the channel's current nonce, hex.
        #[arg(long, value_parser = parse_signature)]
        signature: [u8; 65],
        /// Planck to take now (default: all of --amount).
        #[arg(long)]
        actual: Option<Balance>,
        /// Return what is left in the channel to the sender.
        #[arg(long)]
        sendback: bool,
    },
    /// Claim several channels in one extrinsic (all or nothing).
    MultiClaim {
        /// CHANNEL:AMOUNT:SIGNATURE (repeatable).
        #[arg(long = "claim", required = true, value_parser = parse_claim)]
        claims: Vec<ChannelClaim>,
        /// Return what is left in each channel to its sender.
        #[arg(long)]
        sendback: bool,
    },
    /// Take back what is left of an expired channel (sender only).
    ClaimTimeout { channel_id: ChannelId },
    /// Show a channel.
    Show { channel_id: ChannelId },
}

fn parse_signature(text: &str) -> Result<[u8; 65], String> {
    let bytes = hex::decode(text.trim_start_matches("0x")).map_err(|e| e.to_string())?;
    bytes.try_into().map_err(|_| "a signature is 65 bytes (130 hex digits)".to_string())
}

fn parse_claim(text: &str) -> Result<ChannelClaim, String> {
    let parts: Vec<&str> = text.split(':').collect();
    let [channel, amount, signature] = parts[..] else {
        return Err("expected CHANNEL:AMOUNT:SIGNATURE".into());
    };
    let channel_id = channel.parse().map_err(|e| format!("channel {channel:?}: {e}"))?;
    let amount: Balance = amount.parse().map_err(|e| format!("amount {amount:?}: {e}"))?;
    Ok(ChannelClaim {
        channel_id,
        actual_amount: amount,
        plan_amount: amount,
        signature: parse_signature(signature)?,
        is_sendback: false,
    })
}

pub async fn run(global: &GlobalArgs, command: ChannelCommand) -> Result<Report> {
    let connected = global.connect().await?;
    let escrow = connected.escrow();
    let signer = || global.signer();
    Ok(match command {
        ChannelCommand::Open { recipient, group, value, key_file, expiry, deposit } => {
            let key = read_key(&key_file)?;
            let expiration = expiry.block(&connected.chain).await?;
            let outcome = if deposit {
                escrow
                    .deposit_and_open_channel(&signer()?, key.signer_key(), &recipient, &group, value, expiration)
                    .await?
            } else {
                escrow.open_channel(&signer()?, key.signer_key(), &recipient, &group, value, expiration).await?
            };
            let id = outcome.value;
            Report::call(
                format!(
                    "opened channel {id}: {value} planck to {recipient} group {group}, expires at block {expiration}"
                ),
                &outcome,
                json!({ "channel_id": id, "expiration": expiration }),
            )
        }
        ChannelCommand::AddFunds { channel_id, amount } => {
            let outcome = escrow.channel_add_funds(&signer()?, channel_id, amount).await?;
            Report::call(
                format!("added {amount} planck to channel {channel_id}"),
                &outcome,
                json!({ "channel_id": channel_id }),
            )
        }
        ChannelCommand::Extend { channel_id, expiry, add } => {
            let expiration = expiry.block(&connected.chain).await?;
            let outcome = escrow.channel_extend_and_add_funds(&signer()?, channel_id, expiration, add).await?;
            Report::call(
                format!("channel {channel_id} now expires at block {expiration} (+{add} planck)"),
                &outcome,
                json!({ "channel_id": channel_id, "expiration": expiration }),
            )
        }
        ChannelCommand::Claim { channel_id, amount, signature, actual, sendback } => {
            let actual = actual.unwrap_or(amount);
            let outcome = escrow.channel_claim(&signer()?, channel_id, actual, amount, signature, sendback).await?;
            Report::call(
                format!("claimed {actual} planck from channel {channel_id}"),
                &outcome,
                json!({ "channel_id": channel_id, "amount": planck(actual) }),
            )
        }
        ChannelCommand::MultiClaim { mut claims, sendback } => {
            claims.iter_mut().for_each(|c| c.is_sendback = sendback);
            let total: Balance = claims.iter().map(|c| c.actual_amount).sum();
            let outcome = escrow.multi_channel_claim(&signer()?, claims.clone()).await?;
            Report::call(
                format!("claimed {total} planck from {} channel(s)", claims.len()),
                &outcome,
                json!({ "channels": claims.iter().map(|c| c.channel_id).collect::<Vec<_>>(), "amount": planck(total) }),
            )
        }
        ChannelCommand::ClaimTimeout { channel_id } => {
            let outcome = escrow.channel_claim_timeout(&signer()?, channel_id).await?;
            Report::call(
                format!("took back what was left of channel {channel_id}"),
                &outcome,
                json!({ "channel_id": channel_id }),
            )
        }
        ChannelCommand::Show { channel_id } => {
            let Some(channel) = escrow.channel(channel_id).await? else { bail!("no channel {channel_id}") };
            let json = channel_json(channel_id, &channel);
            Report::new(serde_json::to_string_pretty(&json)?, json)
        }
    })
}

/// A channel as JSON: SS58 accounts, amounts as strings, signer key hex.
pub fn channel_json(id: ChannelId, c: &Channel) -> Value {
    json!({
        "id": id,
        "sender": from_ink(&c.sender),
        "recipient": from_ink(&c.recipient),
        "signer": format!("0x{}", hex::encode(c.signer)),
        "group_id": c.group_id,
        "value": planck(c.value),
        "nonce": c.nonce,
        "expiration": c.expiration,
    })
}
