//! `osiris call` (the consumer's client), `osiris gateway add` (name a gateway) and
//! `osiris claim` (the provider collects what its gateways accepted).

use crate::consumer::{ConsumerState, GatewayEntry};
use crate::context::GlobalArgs;
use crate::output::{planck, Report};
use anyhow::{bail, Context, Result};
use clap::Args;
use osiris_chain::{escrow::Escrow, ChannelId};
use osiris_gateway_client::{find_method, Api, ChannelPayer, GatewayClient};
use osiris_payments::PaymentKind;
use serde_json::{json, Value};
use std::io::Read;
use std::path::PathBuf;
use tonic::Code;

/// Default directory of the consumer's local state.
pub const DEFAULT_STATE_DIR: &str = ".osiris/consumer";

#[derive(Args)]
pub struct CallArgs {
    /// A gateway name (see `osiris gateway add`) or URL (`http://host:port`).
    pub target: String,
    /// The method: `Method`, or `package.Service/Method` when several services have it.
    pub method: String,
    /// The channel to pay from (default: the named gateway's).
    #[arg(long)]
    pub channel: Option<ChannelId>,
    /// The channel's payment signer key file (default: the named gateway's).
    #[arg(long)]
    pub key_file: Option<PathBuf>,
    /// Sign this many calls' worth at once and send it as a prepaid authorization.
    #[arg(long)]
    pub prepaid_calls: Option<u32>,
    /// The consumer's state directory (channel nonces and amounts, named gateways).
    #[arg(long, env = "OSIRIS_CONSUMER_DIR", default_value = DEFAULT_STATE_DIR)]
    pub state_dir: PathBuf,
}

#[derive(Args)]
pub struct GatewayAddArgs {
    /// Name to call the gateway by.
    pub name: String,
    /// The gateway's URL (`http://host:port`).
    #[arg(long)]
    pub url: String,
    /// The channel to pay from.
    #[arg(long)]
    pub channel: ChannelId,
    /// The channel's payment signer key file.
    #[arg(long)]
    pub key_file: PathBuf,
    #[arg(long, env = "OSIRIS_CONSUMER_DIR", default_value = DEFAULT_STATE_DIR)]
    pub state_dir: PathBuf,
}

#[derive(Args)]
pub struct ClaimArgs {
    /// The gateways' database (the indexer's), holding the accepted payments.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,
    /// Claim only these channels (default: every channel of the signing account with something spent).
    #[arg(long = "channel")]
    pub channels: Vec<ChannelId>,
}

/// Names a gateway for `osiris call`.
pub fn gateway_add(args: GatewayAddArgs) -> Result<Report> {
    let entry = GatewayEntry { url: args.url.clone(), channel_id: args.channel, key_file: args.key_file };
    ConsumerState::new(args.state_dir).add_gateway(&args.name, entry)?;
    Ok(Report::new(
        format!("gateway {} = {} paying from channel {}", args.name, args.url, args.channel),
        json!({"name": args.name, "url": args.url, "channel_id": args.channel}),
    ))
}

/// Reads the request JSON from stdin (empty means `{}`), pays for one call, prints the reply JSON.
pub async fn call(args: CallArgs) -> Result<Report> {
    let state = ConsumerState::new(args.state_dir.clone());
    let named = state.gateways()?.get(&args.target).cloned();
    let url = named.as_ref().map_or(args.target.clone(), |g| g.url.clone());
    let channel_id = args.channel.or(named.as_ref().map(|g| g.channel_id)).with_context(|| {
        format!("`{}` is not a named gateway: pass --channel (or `osiris gateway add` it)", args.target)
    })?;
    let key_file = args.key_file.clone().or(named.map(|g| g.key_file)).context("pass --key-file")?;
    let key = super::key::read_key(&key_file)?;

    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).context("reading the request from stdin")?;
    let request: Value = if input.trim().is_empty() {
        json!({})
    } else {
        serde_json::from_str(&input).context("the request on stdin is not JSON")?
    };

    let client = GatewayClient::connect(&url).await?;
    let info = client.service_info().await.map_err(|s| status_error(&url, s))?;
    let price: u128 = info.price_per_call.parse().context("the gateway's price")?;
    let escrow = osiris_chain::parse_account(&info.escrow)?;
    let api = Api::from_descriptor_set(&info.descriptor_set).context("the gateway's API")?;
    let method = find_method(&api, &args.method)?;
    let (nonce, amount) = state.channel(&info.escrow, channel_id)?.unwrap_or((0, 0));
    let mut payer = ChannelPayer { key, escrow, channel_id, nonce, amount };

    let mut resynced = false;
    loop {
        let payment = match args.prepaid_calls {
            Some(calls) => {
                payer.amount += price * u128::from(calls.max(1));
                payer.authorization(PaymentKind::Prepaid)
            }
            None => payer.pay(price),
        };
        match client.call_json(&method, request.clone(), Some(&payment)).await {
            Ok(reply) => {
                state.save_channel(&info.escrow, channel_id, payer.nonce, payer.amount)?;
                let text = serde_json::to_string(&reply)?;
                return Ok(Report::new(text, reply));
            }
            // Our record is behind the gateway's (a claim moved the nonce, or state was lost):
            // take the gateway's view once and pay again.
            Err(status) if !resynced && matches!(status.code(), Code::Aborted | Code::AlreadyExists) => {
                let current = client
                    .channel_state(&payer.key, &payer.escrow, channel_id)
                    .await
                    .map_err(|s| status_error(&url, s))?;
                payer.resync(&current)?;
                resynced = true;
            }
            Err(status) => return Err(status_error(&url, status)),
        }
    }
}

fn status_error(url: &str, status: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("gateway {url}: {:?}: {}", status.code(), status.message())
}

/// Claims the signing account's accepted payments with one `multi_channel_claim`.
pub async fn claim(global: &GlobalArgs, args: ClaimArgs) -> Result<Report> {
    let connected = global.connect().await?;
    let signer = global.signer()?;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(&args.database_url)
        .await
        .with_context(|| "connecting to the gateways' database (DATABASE_URL)")?;
    let claimer = osiris_payments::claims::Claimer {
        pool,
        escrow: Escrow::new(connected.chain.clone(), connected.deployment.escrow.address.clone()),
        signer,
    };
    let only = (!args.channels.is_empty()).then_some(args.channels.as_slice());
    let report = claimer.run(only).await?;
    if report.submitted.is_empty() && report.reconciled.is_empty() && !args.channels.is_empty() {
        bail!("nothing to claim on channel(s) {:?}", args.channels);
    }
    let channels: Vec<Value> = report
        .submitted
        .iter()
        .map(|c| json!({"channel_id": c.channel_id, "nonce": c.nonce, "amount": planck(c.amount), "authorized": planck(c.authorized)}))
        .collect();
    let text = match report.block_number {
        Some(block) => format!(
            "claimed {} planck from {} channel(s) in block #{block}{}",
            report.total(),
            report.submitted.len(),
            reconciled_note(report.reconciled.len())
        ),
        None => format!("nothing to claim{}", reconciled_note(report.reconciled.len())),
    };
    Ok(Report::new(
        text,
        json!({"claimed": planck(report.total()), "block": report.block_number, "channels": channels,
               "reconciled": report.reconciled.len()}),
    ))
}

fn reconciled_note(n: usize) -> String {
    if n == 0 {
        String::new()
    } else {
        format!("; {n} earlier claim(s) found on chain and recorded")
    }
}
