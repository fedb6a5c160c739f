//! `osiris free-call …`: a provider's vouchers for its consumers' free calls.

use crate::context::GlobalArgs;
use crate::output::Report;
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use osiris_contract_types::is_valid_id;
use osiris_payments::signing::account::AccountKey;
use osiris_payments::signing::free_call_token::{FreeCallToken, TokenScope};
use serde_json::json;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long a token is honoured by default, days.
pub const DEFAULT_VALID_DAYS: u64 = 30;
const MS_PER_DAY: u64 = 86_400_000;

#[derive(Subcommand)]
pub enum FreeCallCommand {
    /// As the service's provider (--suri: the group's payment recipient), vouch for a
    /// consumer's payment key: prints the token the consumer passes with `osiris call
    /// --free --free-token`. Needs only the deployment file, not the node.
    Token(TokenArgs),
}

#[derive(Args)]
pub struct TokenArgs {
    /// The service, `org/service`.
    pub service: String,
    /// The consumer's signer key, 0x + 66 hex digits (`osiris key show`).
    #[arg(long)]
    pub consumer_key: String,
    /// How long the token is honoured, days.
    #[arg(long, default_value_t = DEFAULT_VALID_DAYS)]
    pub valid_days: u64,
}

pub fn run(global: &GlobalArgs, command: FreeCallCommand) -> Result<Report> {
    let FreeCallCommand::Token(args) = command;
    let (org_id, service_id) = args
        .service
        .split_once('/')
        .filter(|(org, service)| is_valid_id(org) && is_valid_id(service))
        .with_context(|| format!("`{}` is not org/service", args.service))?;
    let hex_key = args.consumer_key.trim_start_matches("0x");
    let consumer: [u8; 33] = hex::decode(hex_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .with_context(|| format!("--consumer-key `{}` is not 0x + 66 hex digits", args.consumer_key))?;
    let provider = AccountKey::from_uri(&global.secret_uri()?)?;
    let escrow = global.deployment_file()?.escrow.address;
    let valid = Duration::from_millis(args.valid_days.saturating_mul(MS_PER_DAY));
    let expires_at_ms = (SystemTime::now() + valid).duration_since(UNIX_EPOCH)?.as_millis() as u64;
    let scope = TokenScope { escrow: &escrow, org_id, service_id, consumer: &consumer };
    let token = FreeCallToken::issue(&provider, &scope, expires_at_ms);
    Ok(Report::new(
        token.to_string(),
        json!({
            "token": token.to_string(),
            "service": args.service,
            "consumer_key": format!("0x{hex_key}"),
            "provider": provider.account().to_string(),
            "expires_at_ms": expires_at_ms,
        }),
    ))
}
