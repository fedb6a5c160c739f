//! `osiris`: deploy and drive the Osiris contracts from the command line.
//!
//! Every state-changing command dry-runs first, so a refusal prints the
//! contract's typed error and submits nothing. Output is text, or JSON with
//! `--json`; accounts print as SS58 and amounts as integers in planck.

mod commands;
mod consumer;
mod context;
mod directory;
mod output;
mod paying;
mod quorum;
mod routing;

use clap::{Parser, Subcommand};
use context::GlobalArgs;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "osiris",
    version,
    about = "Sell and buy services for on-chain money: deploy, register, deposit, open and claim payment channels."
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build (if needed) and deploy the contracts (registry, escrow, agreements, ddc), then write the deployment file.
    Deploy(commands::deploy::DeployArgs),
    /// Show an account: SS58 id, free balance and escrow balance.
    Account(commands::account::AccountArgs),
    /// Organizations in the registry.
    #[command(subcommand)]
    Org(commands::org::OrgCommand),
    /// Services and their instance groups in the registry.
    #[command(subcommand)]
    Service(commands::service::ServiceCommand),
    /// Escrow balances: deposit, withdraw, transfer.
    #[command(subcommand)]
    Escrow(commands::escrow::EscrowCommand),
    /// Payment channels: open, fund, extend, claim.
    #[command(subcommand)]
    Channel(commands::channel::ChannelCommand),
    /// Service agreements: templates, offers, conditions, metering, refunds (the agreements contract).
    #[command(subcommand)]
    Agreement(commands::agreement::AgreementCommand),
    /// Storage nodes of the ddc contract: create, change, trust a manager, show, list.
    #[command(subcommand)]
    Node(commands::ddc::NodeCommand),
    /// Clusters of vnodes: create, reserve, replace a node, distribute revenues, show, list.
    #[command(subcommand)]
    Cluster(commands::ddc::ClusterCommand),
    /// Buckets in clusters: create, allocate, settle rent, grant, revoke, show, list.
    #[command(subcommand)]
    Bucket(commands::ddc::BucketCommand),
    /// The ddc deposit that pays bucket rent: deposit, withdraw, show.
    #[command(subcommand, name = "ddc-account")]
    DdcAccount(commands::ddc::DdcAccountCommand),
    /// Objects in a bucket, on its cluster's nodes: put, get, ls, rm.
    #[command(subcommand)]
    Object(commands::object::ObjectCommand),
    /// Compute jobs under agreements at a `job` gateway: start, status, logs, stop, fetch.
    #[command(subcommand)]
    Job(commands::job::JobCommand),
    /// Payment signer keys (secp256k1).
    #[command(subcommand)]
    Key(commands::key::KeyCommand),
    /// Sign a payment authorization for a channel.
    Sign(commands::key::SignArgs),
    /// Free calls: a provider's tokens vouching for consumers' keys.
    #[command(subcommand, name = "free-call")]
    FreeCall(commands::free_call::FreeCallCommand),
    /// Call a service through its gateway, paying from a channel (or under an agreement with
    /// --agreement): request JSON on stdin, reply JSON on stdout.
    Call(commands::call::CallArgs),
    /// What is for sale: every service with its price, groups and endpoints.
    Services,
    /// Gateways the consumer calls by name.
    #[command(subcommand)]
    Gateway(GatewayCommand),
    /// Claim the payments your gateways accepted (signing account = the channels' recipient).
    Claim(commands::call::ClaimArgs),
}

#[derive(clap::Subcommand)]
enum GatewayCommand {
    /// Name a gateway URL with the channel and key to pay it from.
    Add(commands::call::GatewayAddArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(ca_file) = &cli.global.ca_file {
        // The gateway client reads it when it connects to an https:// gateway. Set before
        // any task runs, while nothing else reads the environment.
        std::env::set_var(osiris_gateway_client::client::CA_FILE_ENV, ca_file);
    }
    let json = cli.global.json;
    let result = match cli.command {
        Command::Deploy(args) => commands::deploy::run(&cli.global, args).await,
        Command::Account(args) => commands::account::run(&cli.global, args).await,
        Command::Org(cmd) => commands::org::run(&cli.global, cmd).await,
        Command::Service(cmd) => commands::service::run(&cli.global, cmd).await,
        Command::Escrow(cmd) => commands::escrow::run(&cli.global, cmd).await,
        Command::Node(cmd) => commands::ddc::node(&cli.global, cmd).await,
        Command::Cluster(cmd) => commands::ddc::cluster(&cli.global, cmd).await,
        Command::Bucket(cmd) => commands::ddc::bucket(&cli.global, cmd).await,
        Command::DdcAccount(cmd) => commands::ddc::account(&cli.global, cmd).await,
        Command::Object(cmd) => commands::object::run(&cli.global, cmd).await,
        Command::Channel(cmd) => commands::channel::run(&cli.global, cmd).await,
        Command::Agreement(cmd) => commands::agreement::run(&cli.global, cmd).await,
        Command::Job(cmd) => commands::job::run(&cli.global, cmd).await,
        Command::Key(cmd) => commands::key::run(cmd),
        Command::Sign(args) => commands::key::sign(&cli.global, args).await,
        Command::FreeCall(cmd) => commands::free_call::run(&cli.global, cmd),
        Command::Call(args) => commands::call::call(&cli.global, args).await,
        Command::Services => commands::services::run(&cli.global).await,
        Command::Gateway(GatewayCommand::Add(args)) => commands::call::gateway_add(args),
        Command::Claim(args) => commands::call::claim(&cli.global, args).await,
    };
    match result {
        Ok(report) => {
            report.print(json);
            ExitCode::SUCCESS
        }
        Err(error) => {
            output::print_error(&error, json);
            ExitCode::FAILURE
        }
    }
}
