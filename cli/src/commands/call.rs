//! `osiris call` (the consumer's client), `osiris gateway add` (name a gateway) and
//! `osiris claim` (the provider collects what its gateways accepted).

use super::key::read_key;
use crate::consumer::{ConsumerState, GatewayEntry};
use crate::context::GlobalArgs;
use crate::directory::{Directory, Listing};
use crate::output::{planck, Report};
use crate::paying::{self, AgreementCall, CallSpec, Failure};
use crate::quorum::{self, Answer, Verdict};
use crate::routing::{self, OpenChannel, Route};
use anyhow::{bail, ensure, Context, Result};
use clap::Args;
use osiris_chain::signing::channel::PaymentKey;
use osiris_chain::{escrow::Escrow, Balance, BlockNumber, ChannelId};
use osiris_contract_types::is_valid_id;
use osiris_payments::signing::free_call_token::FreeCallToken;
use serde_json::{json, Value};
use std::io::Read;
use std::path::PathBuf;

/// Default directory of the consumer's local state.
pub const DEFAULT_STATE_DIR: &str = ".osiris/consumer";

#[derive(Args)]
pub struct CallArgs {
    /// What to call: `org/service` (found through the indexer, or the registry on chain),
    /// a gateway name (see `osiris gateway add`), or a gateway URL (`http://host:port`).
    pub target: String,
    /// The method: `Method`, or `package.Service/Method` when several services have it.
    pub method: String,
    /// The channel to pay from (default: the named gateway's, or for `org/service` the
    /// fullest unexpired channel signed by --key-file to the service's group).
    #[arg(long)]
    pub channel: Option<ChannelId>,
    /// Pay under this service agreement (0x + 64 hex) instead of a channel: each call sends
    /// a cumulative metering record signed by --key-file, the agreement's consumer key.
    #[arg(long, value_parser = crate::commands::agreement::parse_id,
          conflicts_with_all = ["channel", "prepaid_calls", "open_channel", "replicas"])]
    pub agreement: Option<osiris_chain::types::agreements::AgreementId>,
    /// Use one of the service's free calls (signed by --key-file, which identifies you);
    /// when they are used up, pay as usual (--channel, a named gateway's channel, or for
    /// `org/service` the channel found or opened).
    #[arg(long, conflicts_with_all = ["agreement", "replicas", "prepaid_calls"])]
    pub free: bool,
    /// With --free: the provider's token for your key (`osiris free-call token`, run by the
    /// provider), where the service asks for one.
    #[arg(long, env = "OSIRIS_FREE_CALL_TOKEN", requires = "free", value_parser = FreeCallToken::parse)]
    pub free_token: Option<FreeCallToken>,
    /// The payment signer key file your channels are signed with (default: the named gateway's).
    #[arg(long, env = "OSIRIS_PAYMENT_KEY_FILE")]
    pub key_file: Option<PathBuf>,
    /// Sign this many calls' worth at once and send it as a prepaid authorization.
    #[arg(long)]
    pub prepaid_calls: Option<u32>,
    /// Make the call this many times, one after another (with --prepaid-calls, all under
    /// the one authorization); prints the last reply, and the count and time on stderr.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..),
          conflicts_with_all = ["agreement", "free", "replicas"])]
    pub repeat: u32,
    /// For `org/service` without a usable channel: open one holding this many planck, signed
    /// by --key-file, from the signing account (--suri) (its escrow balance, or a deposit from
    /// its free balance when that is short).
    #[arg(long, value_name = "PLANCK")]
    pub open_channel: Option<Balance>,
    /// Expiration of a channel --open-channel opens, in blocks from now.
    #[arg(long, default_value_t = DEFAULT_OPEN_EXPIRES_IN, value_name = "BLOCKS")]
    pub expires_in: BlockNumber,
    /// Run the call on this many providers of the same API (services whose registered
    /// content hash equals `org/service`'s, one per organization), paying each.
    #[arg(long, default_value_t = 1)]
    pub replicas: usize,
    /// With --replicas: how many providers must return byte-equal output (canonical JSON);
    /// default a majority.
    #[arg(long)]
    pub quorum: Option<usize>,
    /// The consumer's state directory (channel nonces and amounts, named gateways).
    #[arg(long, env = "OSIRIS_CONSUMER_DIR", default_value = DEFAULT_STATE_DIR)]
    pub state_dir: PathBuf,
}

/// Expiration of a channel `osiris call --open-channel` opens, in blocks from now.
pub const DEFAULT_OPEN_EXPIRES_IN: BlockNumber = 10_000;

/// What `osiris call`'s first argument names.
enum Target {
    Named(GatewayEntry),
    Url(String),
    Service { org_id: String, service_id: String },
}

impl Target {
    fn parse(target: &str, state: &ConsumerState) -> Result<Self> {
        if let Some(entry) = state.gateways()?.get(target) {
            return Ok(Target::Named(entry.clone()));
        }
        if target.contains("://") {
            return Ok(Target::Url(target.to_string()));
        }
        match target.split_once('/') {
            Some((org, service)) if is_valid_id(org) && is_valid_id(service) => {
                Ok(Target::Service { org_id: org.to_string(), service_id: service.to_string() })
            }
            _ => bail!(
                "`{target}` is not org/service, a gateway URL, or a gateway name (see `osiris gateway add`, `osiris services`)"
            ),
        }
    }
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

/// Reads the request JSON from stdin (empty means `{}`), pays for the call, prints the reply JSON.
pub async fn call(global: &GlobalArgs, args: CallArgs) -> Result<Report> {
    let state = ConsumerState::new(args.state_dir.clone());
    let target = Target::parse(&args.target, &state)?;
    if args.replicas > 1 && !matches!(target, Target::Service { .. }) {
        bail!("--replicas needs an org/service target (replicas are found in the registry)");
    }
    let request = read_request()?;
    if args.free {
        let named_key = match &target {
            Target::Named(entry) => Some(entry.key_file.clone()),
            _ => None,
        };
        let key_file =
            args.key_file.clone().or(named_key).context("pass --key-file (it identifies you for free calls)")?;
        let key = read_key(&key_file)?;
        let urls = gateway_urls(global, &args.target, &args.state_dir).await?;
        let spec = paying::FreeCallSpec { method: &args.method, request: &request, key: &key, token: args.free_token };
        match free_call(&urls, &spec).await? {
            paying::FreeOutcome::Reply(reply) => return Ok(Report::new(serde_json::to_string(&reply)?, reply)),
            paying::FreeOutcome::NotFree(why) => eprintln!("no free call ({why}); paying for the call"),
        }
    }
    if let Some(agreement_id) = args.agreement {
        let key = read_key(args.key_file.as_deref().context("pass --key-file (the agreement's consumer key)")?)?;
        let spec = AgreementCall { method: &args.method, request: &request, agreement_id, key: &key };
        let urls = gateway_urls(global, &args.target, &args.state_dir).await?;
        let reply = agreement_call(&urls, &spec).await?;
        return Ok(Report::new(serde_json::to_string(&reply)?, reply));
    }
    let reply = match target {
        Target::Named(entry) => {
            let key = read_key(args.key_file.as_deref().unwrap_or(&entry.key_file))?;
            let channel_id = args.channel.unwrap_or(entry.channel_id);
            direct(&entry.url, &args, &request, &state, channel_id, &key).await?
        }
        Target::Url(url) => {
            let channel_id = args.channel.context("a gateway URL needs --channel (or call org/service)")?;
            let key = read_key(args.key_file.as_deref().context("pass --key-file")?)?;
            direct(&url, &args, &request, &state, channel_id, &key).await?
        }
        Target::Service { org_id, service_id } => {
            let key_file = args.key_file.clone().context("pass --key-file (the key your channels are signed with)")?;
            let key = read_key(&key_file)?;
            let directory = Directory::open(global).await?;
            let listing = directory.service(&org_id, &service_id).await?.with_context(|| {
                format!("{} lists no service {org_id}/{service_id} (see `osiris services`)", directory.source())
            })?;
            let paid =
                Paid { global, args: &args, directory: &directory, key: &key, key_file: &key_file, state: &state };
            if args.replicas > 1 {
                return replicated(&paid, &listing, &request).await;
            }
            paid.call(&listing, &request).await?
        }
    };
    Ok(Report::new(serde_json::to_string(&reply)?, reply))
}

/// The gateway URLs a target names: the named gateway's or the URL, or for `org/service`
/// every endpoint of its groups in registry order (found through the directory).
pub(crate) async fn gateway_urls(
    global: &GlobalArgs,
    target: &str,
    state_dir: &std::path::Path,
) -> Result<Vec<String>> {
    Ok(match Target::parse(target, &ConsumerState::new(state_dir.to_path_buf()))? {
        Target::Named(entry) => vec![entry.url],
        Target::Url(url) => vec![url],
        Target::Service { org_id, service_id } => {
            let directory = Directory::open(global).await?;
            let listing = directory.service(&org_id, &service_id).await?.with_context(|| {
                format!("{} lists no service {org_id}/{service_id} (see `osiris services`)", directory.source())
            })?;
            let urls: Vec<String> = listing.groups.iter().flat_map(|g| g.endpoints.iter().cloned()).collect();
            ensure!(!urls.is_empty(), "{} has no gateway endpoints in the registry", listing.name());
            urls
        }
    })
}

/// An agreement-backed call at the gateways `urls`, in order, moving on from one that is down.
async fn agreement_call(urls: &[String], spec: &AgreementCall<'_>) -> Result<Value> {
    let mut down = Vec::new();
    for url in urls {
        let outcome = match paying::open(url).await {
            Ok((client, info)) => paying::call_agreement(url, &client, &info, spec).await,
            Err(failure) => Err(failure),
        };
        match outcome {
            Ok(reply) => return Ok(reply),
            Err(Failure::Endpoint(e)) => down.push(format!("{e:#}")),
            Err(Failure::Call(e)) => return Err(e),
        }
    }
    bail!("no gateway answered: {}", down.join("; "))
}

/// A free call at the gateways `urls`, in order, moving on from one that is down.
async fn free_call(urls: &[String], spec: &paying::FreeCallSpec<'_>) -> Result<paying::FreeOutcome> {
    let mut down = Vec::new();
    for url in urls {
        let outcome = match paying::open(url).await {
            Ok((client, info)) => paying::call_free(url, &client, &info, spec).await,
            Err(failure) => Err(failure),
        };
        match outcome {
            Ok(outcome) => return Ok(outcome),
            Err(Failure::Endpoint(e)) => down.push(format!("{e:#}")),
            Err(Failure::Call(e)) => return Err(e),
        }
    }
    bail!("no gateway answered: {}", down.join("; "))
}

/// The request on stdin: JSON, or `{}` when empty.
fn read_request() -> Result<Value> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).context("reading the request from stdin")?;
    if input.trim().is_empty() {
        Ok(json!({}))
    } else {
        serde_json::from_str(&input).context("the request on stdin is not JSON")
    }
}

/// One call at one gateway the consumer named.
async fn direct(
    url: &str,
    args: &CallArgs,
    request: &Value,
    state: &ConsumerState,
    channel_id: ChannelId,
    key: &PaymentKey,
) -> Result<Value> {
    let spec = CallSpec {
        method: &args.method,
        request,
        channel_id,
        key,
        state,
        prepaid_calls: args.prepaid_calls,
        repeat: args.repeat,
    };
    let (client, info) = paying::open(url).await.map_err(Failure::into_error)?;
    paying::call(url, &client, &info, &spec).await.map_err(Failure::into_error)
}

/// What a call found through the directory needs.
struct Paid<'a> {
    global: &'a GlobalArgs,
    args: &'a CallArgs,
    directory: &'a Directory,
    key: &'a PaymentKey,
    key_file: &'a std::path::Path,
    state: &'a ConsumerState,
}

impl Paid<'_> {
    /// The route to `listing`: its first group with endpoints and --channel when given,
    /// else the group and channel the directory finds (or --open-channel opens).
    async fn route(&self, listing: &Listing) -> Result<Route> {
        if let Some(channel_id) = self.args.channel {
            let group = listing.groups.iter().find(|g| !g.endpoints.is_empty()).cloned();
            let group =
                group.with_context(|| format!("{} has no gateway endpoints in the registry", listing.name()))?;
            return Ok(Route { group, channel_id });
        }
        let open = self.args.open_channel.map(|value| OpenChannel { value, expires_in: self.args.expires_in });
        routing::route(self.directory, self.global, listing, self.key, self.key_file, open).await
    }

    async fn call_on(&self, listing: &Listing, route: &Route, request: &Value) -> Result<Value> {
        let spec = CallSpec {
            method: &self.args.method,
            request,
            channel_id: route.channel_id,
            key: self.key,
            state: self.state,
            prepaid_calls: self.args.prepaid_calls,
            repeat: self.args.repeat,
        };
        routing::call(listing, route, &spec).await
    }

    async fn call(&self, listing: &Listing, request: &Value) -> Result<Value> {
        let route = self.route(listing).await?;
        self.call_on(listing, &route, request).await
    }
}

/// `--replicas N --quorum K`: the same request to N providers of `listing`'s API.
async fn replicated(paid: &Paid<'_>, listing: &Listing, request: &Value) -> Result<Report> {
    let n = paid.args.replicas;
    let quorum = paid.args.quorum.unwrap_or(n / 2 + 1);
    ensure!((1..=n).contains(&quorum), "--quorum must be from 1 to --replicas ({n}), got {quorum}");
    ensure!(listing.content_hash != [0; 32], "{} registers no API content hash, so it has no replicas", listing.name());
    let mut providers = vec![listing.clone()];
    for other in paid.directory.services().await? {
        if providers.len() == n {
            break;
        }
        if other.content_hash == listing.content_hash && providers.iter().all(|p| p.org_id != other.org_id) {
            providers.push(other);
        }
    }
    if providers.len() < n {
        let names: Vec<String> = providers.iter().map(Listing::name).collect();
        bail!(
            "only {} provider(s) of this API (content hash 0x{}): {}; --replicas asks for {n}",
            providers.len(),
            hex::encode(listing.content_hash),
            names.join(", ")
        );
    }
    // Channels are found (or opened) one provider at a time: opening signs extrinsics
    // from one account, whose nonces must not race.
    let mut routes = Vec::new();
    for provider in &providers {
        routes.push(paid.route(provider).await?);
    }
    let shared = routes.iter().enumerate().find(|(i, r)| routes[..*i].iter().any(|o| o.channel_id == r.channel_id));
    if let Some((i, r)) = shared {
        bail!(
            "{} would be paid from channel {}, as another provider is; replicas need a channel each",
            providers[i].name(),
            r.channel_id
        );
    }
    let calls = providers.iter().zip(&routes).map(|(p, r)| paid.call_on(p, r, request));
    let outputs = futures::future::join_all(calls).await;
    let answers = providers
        .iter()
        .zip(outputs)
        .map(|(p, output)| Answer { provider: p.name(), output: output.map_err(|e| format!("{e:#}")) })
        .collect();
    match quorum::decide(answers, quorum) {
        Verdict::Agreed { output, agreeing, dissenting } => {
            let mut note = format!("{} of {n} providers agree ({})", agreeing.len(), agreeing.join(", "));
            if !dissenting.is_empty() {
                note.push_str(&format!("; disagreeing: {}", dissenting.join(", ")));
            }
            eprintln!("{note}");
            Ok(Report::new(serde_json::to_string(&output)?, output))
        }
        Verdict::NoQuorum { groups } => {
            let listed: Vec<String> =
                groups.iter().map(|(output, who)| format!("{} → {}", who.join(", "), shorten(output))).collect();
            bail!("no {quorum} of {n} providers agree: {}", listed.join("; "))
        }
    }
}

/// At most [`SHOWN_OUTPUT_CHARS`] characters of an output, for an error line.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(SHOWN_OUTPUT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// How much of each disagreeing output an error shows.
const SHOWN_OUTPUT_CHARS: usize = 160;

/// Claims the signing account's accepted payments (`multi_channel_claim` messages, batched in extrinsics).
pub async fn claim(global: &GlobalArgs, args: ClaimArgs) -> Result<Report> {
    let connected = global.connect().await?;
    let signer = global.signer()?;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(&args.database_url)
        .await
        .with_context(|| "connecting to the gateways' database (DATABASE_URL)")?;
    let claimer = osiris_ledger::claims::Claimer {
        pool,
        escrow: Escrow::new(connected.chain.clone(), connected.deployment.escrow.address),
        signer,
        lease_wait: osiris_ledger::claims::DEFAULT_LEASE_WAIT,
        batching: Default::default(),
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
