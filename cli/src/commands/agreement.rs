//! `osiris agreement …`: every message of the agreements contract, and the consumer's
//! off-chain signatures (the agreement itself, the input's hash, metering records).

use super::{key::read_key, parse_account, parse_hash};
use crate::{
    context::GlobalArgs,
    directory::{Directory, Page},
    output::{hex0x, planck, Report},
};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use osiris_chain::account::{account_of, from_ink};
use osiris_chain::agreements::Agreements;
use osiris_chain::types::agreements::{
    Agreement, AgreementId, ConditionKind, ConditionSpec, Hash32, Metering, Offer, OfferId, Template, TemplateId,
};
use osiris_chain::types::{PaymentSignature, SignerKey};
use osiris_chain::{AccountId, Balance, BlockNumber};
use osiris_payments::signing::agreement::{files_hash, sign_agreement, sign_input, sign_key_binding, sign_metering};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum AgreementCommand {
    /// Templates of conditions (contract owner).
    #[command(subcommand)]
    Template(TemplateCommand),
    /// Providers' offers.
    #[command(subcommand)]
    Offer(OfferCommand),
    /// As the consumer: bind your payment key to your account, so that providers can create
    /// agreements naming it (the key signs a proof; the signer's transaction binds it).
    BindKey {
        /// The consumer's payment key file (secp256k1).
        #[arg(long)]
        key_file: PathBuf,
    },
    /// As the consumer: sign agreement ID on an offer for the provider to create (off-chain; prints the signature).
    Sign {
        #[command(flatten)]
        terms: Terms,
        /// The consumer's payment key file (secp256k1).
        #[arg(long)]
        key_file: PathBuf,
    },
    /// Create an agreement: as the consumer (--key-file), or as the provider with the
    /// consumer's --consumer, --consumer-key and --signature (from `agreement sign`).
    Create {
        #[command(flatten)]
        terms: Terms,
        /// The consumer's payment key file, when the consumer creates it.
        #[arg(long, conflicts_with_all = ["consumer_key", "signature"])]
        key_file: Option<PathBuf>,
        /// The consumer's compressed key, 0x-hex (provider creating it).
        #[arg(long, requires = "signature", value_parser = parse_key)]
        consumer_key: Option<SignerKey>,
        /// The consumer's signature, 0x-hex (provider creating it).
        #[arg(long, value_parser = parse_signature)]
        signature: Option<PaymentSignature>,
    },
    /// Lock the offer's price (consumer): transferred now, or --from-deposit.
    Lock {
        #[arg(value_parser = parse_id)]
        id: AgreementId,
        #[arg(long)]
        from_deposit: bool,
    },
    /// Submit the consumer's signature over the input's hash (consumer).
    SignInput {
        #[arg(value_parser = parse_id)]
        id: AgreementId,
        #[command(flatten)]
        input: InputHash,
        #[arg(long)]
        key_file: PathBuf,
    },
    /// Fulfil a condition (provider): `input` with the input's hash, `access` with the result.
    #[command(subcommand)]
    Fulfil(FulfilCommand),
    /// Release the payment to the provider once it delivered (anyone; a metered offer: the provider); fulfils the agreement.
    Release {
        #[arg(value_parser = parse_id)]
        id: AgreementId,
    },
    /// Take back the locked payment (consumer): when it was never locked, after a delivery
    /// condition timed out, or after a terminated metered agreement's settlement window.
    Refund {
        #[arg(value_parser = parse_id)]
        id: AgreementId,
    },
    /// Sign a cumulative metering record (consumer, off-chain; prints the signature).
    Meter {
        #[arg(value_parser = parse_id)]
        id: AgreementId,
        /// Units counted so far.
        #[arg(long)]
        units: u64,
        /// Planck owed for them so far.
        #[arg(long)]
        amount: Balance,
        #[arg(long)]
        key_file: PathBuf,
    },
    /// Settle metering records (provider): the given record, or with --from-gateways the
    /// latest record the gateways accepted for each of the signer's agreements (or only ID).
    Settle {
        #[arg(value_parser = parse_id, required_unless_present = "from_gateways")]
        id: Option<AgreementId>,
        #[arg(long, requires_all = ["amount", "signature"], conflicts_with = "from_gateways")]
        units: Option<u64>,
        #[arg(long, requires_all = ["units", "signature"])]
        amount: Option<Balance>,
        #[arg(long, value_parser = parse_signature, requires_all = ["units", "amount"])]
        signature: Option<PaymentSignature>,
        /// Settle what the gateways accepted (read from their database).
        #[arg(long, required_unless_present = "units")]
        from_gateways: bool,
        /// The gateways' database, with --from-gateways.
        #[arg(long, env = "DATABASE_URL", requires = "from_gateways")]
        database_url: Option<String>,
    },
    /// End the agreement with a reason (consumer or provider).
    Terminate {
        #[arg(value_parser = parse_id)]
        id: AgreementId,
        #[arg(long, default_value_t = 0)]
        code: u32,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Deposit planck into the signer's balance in the agreements contract.
    Deposit { amount: Balance },
    /// Withdraw planck of that balance.
    Withdraw { amount: Balance },
    /// A balance in the agreements contract (default: the signer's).
    Balance {
        #[arg(value_parser = parse_account)]
        account: Option<AccountId>,
    },
    /// Agreements from the indexer (`--indexer` / `OSIRIS_INDEXER_URL`), newest last, filtered.
    List {
        #[arg(long, value_parser = parse_account)]
        consumer: Option<AccountId>,
        #[arg(long, value_parser = parse_account)]
        provider: Option<AccountId>,
        /// active, fulfilled, refunded or terminated.
        #[arg(long)]
        state: Option<String>,
        /// At most this many (the indexer's page size, 1 to 500).
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// An agreement with its conditions' states and deadlines.
    Show {
        #[arg(value_parser = parse_id)]
        id: AgreementId,
    },
}

/// Which agreement on which offer, with what parameters.
#[derive(Args)]
pub struct Terms {
    #[arg(long)]
    offer: OfferId,
    /// The agreement id, 32 bytes as hex (default: a fresh random one, printed).
    #[arg(long, value_parser = parse_id)]
    id: Option<AgreementId>,
    /// The consumer's parameters (opaque to the contract).
    #[arg(long, default_value = "")]
    params: String,
    /// The consumer's account (default: the signer's).
    #[arg(long, value_parser = parse_account)]
    consumer: Option<AccountId>,
}

/// The input's hash: given, or computed from files (see `files_hash`).
#[derive(Args)]
pub struct InputHash {
    #[arg(long, value_parser = parse_hash, required_unless_present = "files")]
    hash: Option<Hash32>,
    /// Input files (their names as given, relative paths); hashed as the gateway hashes uploads.
    #[arg(long, num_args = 1.., conflicts_with = "hash")]
    files: Vec<PathBuf>,
}

#[derive(Subcommand)]
pub enum TemplateCommand {
    /// Create a template from conditions in order, each `KIND:TIMEOUT[:TIME_LOCK]` (blocks from
    /// the agreement's creation); KIND is lock, input, access or release. Each condition
    /// depends on the one before it, and release on all.
    Create {
        #[arg(long = "condition", required = true, value_parser = parse_condition)]
        conditions: Vec<(ConditionKind, BlockNumber, BlockNumber)>,
    },
    /// Whitelist a template (or take it off with --off).
    Whitelist {
        id: TemplateId,
        #[arg(long)]
        off: bool,
    },
    Show {
        id: TemplateId,
    },
}

/// Default settlement window of a metered offer, blocks (about ten minutes at six-second blocks).
pub const DEFAULT_SETTLEMENT_WINDOW_BLOCKS: BlockNumber = 100;

#[derive(Subcommand)]
pub enum OfferCommand {
    /// Offer org/service on a whitelisted template (the signer must belong to the organization).
    Create {
        org_id: String,
        service_id: String,
        #[arg(long)]
        template: TemplateId,
        /// Planck the consumer locks (for metered offers: the most that can be metered).
        #[arg(long)]
        price: Balance,
        /// Each condition's timeout in blocks, comma-separated (default: the template's).
        #[arg(long, value_delimiter = ',')]
        timeouts: Vec<BlockNumber>,
        /// Metering unit (e.g. `call`); makes the offer metered.
        #[arg(long, requires = "price_per_unit")]
        unit: Option<String>,
        /// Planck per metering unit.
        #[arg(long, requires = "unit")]
        price_per_unit: Option<Balance>,
        /// Blocks the provider has, after a consumer terminates a metered agreement, to
        /// settle the records it holds before the consumer can take the rest back.
        #[arg(long, default_value_t = DEFAULT_SETTLEMENT_WINDOW_BLOCKS, requires = "unit")]
        settlement_window: BlockNumber,
    },
    /// Stop taking new agreements on an offer (provider).
    Withdraw {
        id: OfferId,
    },
    Show {
        id: OfferId,
    },
}

#[derive(Subcommand)]
pub enum FulfilCommand {
    /// InputAgreed: submit the input's hash (it must be what the consumer signed).
    Input {
        #[arg(value_parser = parse_id)]
        id: AgreementId,
        #[command(flatten)]
        input: InputHash,
    },
    /// AccessGranted: register the outputs' hash and where the consumer fetches them.
    Access {
        #[arg(value_parser = parse_id)]
        id: AgreementId,
        #[arg(long, value_parser = parse_hash)]
        hash: Hash32,
        #[arg(long)]
        location: String,
    },
}

pub async fn run(global: &GlobalArgs, command: AgreementCommand) -> Result<Report> {
    // Signing records needs no chain, only the contract's address.
    if let AgreementCommand::Meter { id, units, amount, key_file } = &command {
        let contract = agreements_address(global)?;
        let signature = sign_metering(&read_key(key_file)?, &contract, id, *units, *amount);
        let text = format!("0x{}", hex::encode(signature));
        return Ok(Report::new(
            text.clone(),
            json!({"agreement_id": hex0x(id), "units": units, "amount": planck(*amount), "signature": text}),
        ));
    }
    if let AgreementCommand::Sign { terms, key_file } = &command {
        let key = read_key(key_file)?;
        let contract = agreements_address(global)?;
        let consumer = match terms.consumer {
            Some(c) => c,
            None => account_of(&global.signer()?),
        };
        let id = terms.id.unwrap_or_else(|| fresh_id(&key.signer_key(), terms.offer));
        let signature = sign_agreement(&key, &contract, &id, terms.offer, &consumer, terms.params.as_bytes());
        let json = json!({
            "agreement_id": hex0x(&id), "offer_id": terms.offer, "consumer": consumer,
            "consumer_key": hex0x(&key.signer_key()), "params": terms.params, "signature": hex0x(&signature),
        });
        let text = format!(
            "hand these to the provider: --id {} --offer {} --consumer {consumer} --consumer-key {} --signature {}",
            hex0x(&id),
            terms.offer,
            hex0x(&key.signer_key()),
            hex0x(&signature)
        );
        return Ok(Report::new(text, json));
    }

    if let AgreementCommand::List { consumer, provider, state, limit } = &command {
        return list(global, consumer.as_ref(), provider.as_ref(), state.as_deref(), *limit).await;
    }

    let connected = global.connect().await?;
    let address = connected.deployment.agreements.as_ref().map(|d| d.address);
    let address = address.context("this deployment has no agreements contract: run `osiris deploy` again")?;
    let contract = Agreements::new(connected.chain.clone(), address);
    let signer = || global.signer();
    Ok(match command {
        AgreementCommand::Meter { .. } | AgreementCommand::Sign { .. } | AgreementCommand::List { .. } => {
            unreachable!("answered above")
        }
        AgreementCommand::Template(TemplateCommand::Create { conditions }) => {
            let n = conditions.len();
            let specs: Vec<ConditionSpec> = conditions
                .into_iter()
                .enumerate()
                .map(|(i, (kind, timeout, time_lock))| ConditionSpec {
                    kind,
                    depends_on: if i + 1 == n {
                        (0..i as u8).collect()
                    } else {
                        (i.checked_sub(1)).map(|p| p as u8).into_iter().collect()
                    },
                    time_lock,
                    timeout,
                })
                .collect();
            let outcome = contract.create_template(&signer()?, specs).await?;
            let id = outcome.value;
            Report::call(
                format!("created template {id} (whitelist it to use it)"),
                &outcome,
                json!({"template_id": id}),
            )
        }
        AgreementCommand::Template(TemplateCommand::Whitelist { id, off }) => {
            let outcome = contract.set_template_whitelisted(&signer()?, id, !off).await?;
            let state = if off { "off the whitelist" } else { "whitelisted" };
            Report::call(format!("template {id} {state}"), &outcome, json!({"template_id": id, "whitelisted": !off}))
        }
        AgreementCommand::Template(TemplateCommand::Show { id }) => {
            let template = contract.template(id).await?.with_context(|| format!("no template {id}"))?;
            let json = template_json(id, &template);
            Report::new(serde_json::to_string_pretty(&json)?, json)
        }
        AgreementCommand::Offer(OfferCommand::Create {
            org_id,
            service_id,
            template,
            price,
            timeouts,
            unit,
            price_per_unit,
            settlement_window,
        }) => {
            let metering = unit.zip(price_per_unit).map(|(unit, price_per_unit)| Metering {
                unit,
                price_per_unit,
                settlement_window,
            });
            let outcome =
                contract.create_offer(&signer()?, &org_id, &service_id, template, price, timeouts, metering).await?;
            let id = outcome.value;
            Report::call(
                format!("offer {id}: {org_id}/{service_id} on template {template} for {price} planck"),
                &outcome,
                json!({"offer_id": id}),
            )
        }
        AgreementCommand::Offer(OfferCommand::Withdraw { id }) => {
            let outcome = contract.withdraw_offer(&signer()?, id).await?;
            Report::call(format!("withdrew offer {id}"), &outcome, json!({"offer_id": id}))
        }
        AgreementCommand::Offer(OfferCommand::Show { id }) => {
            let offer = contract.offer(id).await?.with_context(|| format!("no offer {id}"))?;
            let json = offer_json(id, &offer);
            Report::new(serde_json::to_string_pretty(&json)?, json)
        }
        AgreementCommand::Create { terms, key_file, consumer_key, signature } => {
            let signer = signer()?;
            let (consumer, key, signature, id) = match (key_file, consumer_key, signature) {
                (Some(file), None, None) => {
                    let key = read_key(&file)?.signer_key();
                    let id = terms.id.unwrap_or_else(|| fresh_id(&key, terms.offer));
                    (terms.consumer.unwrap_or_else(|| account_of(&signer)), key, None, id)
                }
                (None, Some(key), Some(signature)) => {
                    let consumer = terms.consumer.context("--consumer: the account the consumer signed for")?;
                    let id = terms.id.context("--id: the agreement id the consumer signed")?;
                    (consumer, key, Some(signature), id)
                }
                _ => bail!("pass --key-file (as the consumer) or --consumer-key and --signature (as the provider)"),
            };
            let outcome = contract
                .create_agreement(&signer, id, terms.offer, &consumer, key, terms.params.into_bytes(), signature)
                .await?;
            Report::call(
                format!("created agreement {} on offer {} for {consumer}", hex0x(&id), terms.offer),
                &outcome,
                json!({"agreement_id": hex0x(&id)}),
            )
        }
        AgreementCommand::BindKey { key_file } => {
            let signer = signer()?;
            let key = read_key(&key_file)?;
            let proof = sign_key_binding(&key, contract.address(), &account_of(&signer));
            let outcome = contract.bind_consumer_key(&signer, key.signer_key(), proof).await?;
            let hex_key = hex0x(&key.signer_key());
            Report::call(
                format!("bound consumer key {hex_key} to {}", account_of(&signer)),
                &outcome,
                json!({"consumer_key": hex_key}),
            )
        }
        AgreementCommand::Lock { id, from_deposit } => {
            let agreement = contract.agreement(id).await?.with_context(|| format!("no agreement {}", hex0x(&id)))?;
            let price = contract.offer(agreement.offer_id).await?.context("the agreement's offer")?.price;
            let outcome = if from_deposit {
                contract.lock_payment_from_deposit(&signer()?, id).await?
            } else {
                contract.lock_payment(&signer()?, id, price).await?
            };
            Report::call(
                format!("locked {price} planck in agreement {}", hex0x(&id)),
                &outcome,
                json!({"locked": planck(price)}),
            )
        }
        AgreementCommand::SignInput { id, input, key_file } => {
            let hash = input_hash(&input)?;
            let signature = sign_input(&read_key(&key_file)?, contract.address(), &id, &hash);
            let outcome = contract.submit_input_signature(&signer()?, id, signature).await?;
            Report::call(
                format!("signed input {} of agreement {}", hex0x(&hash), hex0x(&id)),
                &outcome,
                json!({"input_hash": hex0x(&hash)}),
            )
        }
        AgreementCommand::Fulfil(FulfilCommand::Input { id, input }) => {
            let hash = input_hash(&input)?;
            let outcome = contract.fulfil_input(&signer()?, id, hash).await?;
            Report::call(format!("input agreed: {}", hex0x(&hash)), &outcome, json!({"input_hash": hex0x(&hash)}))
        }
        AgreementCommand::Fulfil(FulfilCommand::Access { id, hash, location }) => {
            let outcome = contract.fulfil_access(&signer()?, id, hash, &location).await?;
            Report::call(format!("access granted: {location}"), &outcome, json!({"result_hash": hex0x(&hash)}))
        }
        AgreementCommand::Release { id } => {
            let outcome = contract.release_payment(&signer()?, id).await?;
            Report::call(format!("released the payment of agreement {}", hex0x(&id)), &outcome, json!({}))
        }
        AgreementCommand::Refund { id } => {
            let outcome = contract.refund(&signer()?, id).await?;
            Report::call(format!("refunded agreement {}", hex0x(&id)), &outcome, json!({}))
        }
        AgreementCommand::Settle {
            id, units: Some(units), amount: Some(amount), signature: Some(signature), ..
        } => {
            let id = id.context("name the agreement")?;
            let outcome = contract.settle_metering(&signer()?, id, units, amount, signature).await?;
            Report::call(format!("settled {units} units, {amount} planck in all"), &outcome, json!({}))
        }
        AgreementCommand::Settle { id, database_url, .. } => {
            let database_url = database_url.context("--from-gateways needs --database-url or DATABASE_URL")?;
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(2)
                .acquire_timeout(std::time::Duration::from_secs(5))
                .connect(&database_url)
                .await
                .context("connecting to the gateways' database (DATABASE_URL)")?;
            let settler = osiris_ledger::settlements::Settler { pool, agreements: contract, signer: signer()? };
            let only: Vec<AgreementId> = id.into_iter().collect();
            let settled = settler.run(&only).await?;
            let submitted: Vec<_> = settled.iter().filter(|s| s.submitted).collect();
            let rows: Vec<Value> = settled
                .iter()
                .map(|s| {
                    json!({"agreement_id": hex0x(&s.agreement_id), "units": s.units, "amount": planck(s.amount),
                                "submitted": s.submitted, "block": s.block_number})
                })
                .collect();
            let text = if submitted.is_empty() {
                "nothing to settle".to_string()
            } else {
                let lines: Vec<String> = submitted
                    .iter()
                    .map(|s| {
                        format!(
                            "settled agreement {} at {} units, {} planck in all (block #{})",
                            hex0x(&s.agreement_id),
                            s.units,
                            s.amount,
                            s.block_number.unwrap_or_default()
                        )
                    })
                    .collect();
                lines.join("\n")
            };
            Report::new(text, json!({"settled": rows}))
        }
        AgreementCommand::Terminate { id, code, reason } => {
            let outcome = contract.terminate(&signer()?, id, code, &reason).await?;
            Report::call(format!("terminated agreement {} (code {code})", hex0x(&id)), &outcome, json!({}))
        }
        AgreementCommand::Deposit { amount } => {
            let signer = signer()?;
            let outcome = contract.deposit(&signer, amount).await?;
            let balance = contract.balance_of(&account_of(&signer)).await?;
            Report::call(
                format!("deposited {amount} planck; balance {balance}"),
                &outcome,
                json!({"balance": planck(balance)}),
            )
        }
        AgreementCommand::Withdraw { amount } => {
            let signer = signer()?;
            let outcome = contract.withdraw(&signer, amount).await?;
            let balance = contract.balance_of(&account_of(&signer)).await?;
            Report::call(
                format!("withdrew {amount} planck; balance {balance}"),
                &outcome,
                json!({"balance": planck(balance)}),
            )
        }
        AgreementCommand::Balance { account } => {
            let account = match account {
                Some(a) => a,
                None => account_of(&signer()?),
            };
            let balance = contract.balance_of(&account).await?;
            Report::new(
                format!("{account}: {balance} planck in the agreements contract"),
                json!({"account": account, "balance": planck(balance)}),
            )
        }
        AgreementCommand::Show { id } => {
            let agreement = contract.agreement(id).await?.with_context(|| format!("no agreement {}", hex0x(&id)))?;
            let json = agreement_json(&id, &agreement);
            Report::new(serde_json::to_string_pretty(&json)?, json)
        }
    })
}

/// `agreement list`: one page of the indexer's `/v1/agreements`.
async fn list(
    global: &GlobalArgs,
    consumer: Option<&AccountId>,
    provider: Option<&AccountId>,
    state: Option<&str>,
    limit: u32,
) -> Result<Report> {
    let indexer = global
        .indexer
        .as_deref()
        .context("agreement list reads the indexer: pass --indexer or set OSIRIS_INDEXER_URL")?;
    let mut query = vec![("limit", limit.to_string())];
    query.extend(consumer.map(|c| ("consumer", c.to_string())));
    query.extend(provider.map(|p| ("provider", p.to_string())));
    query.extend(state.map(|s| ("state", s.to_string())));
    let page: Option<Page<Value>> = Directory::indexer(indexer)?.get("/v1/agreements", &query).await?;
    let items = page.context("the indexer has no /v1/agreements")?.items;
    let lines: Vec<String> = items
        .iter()
        .map(|a| {
            format!(
                "{} {}/{} offer {} {} locked {} paid {} consumer {}",
                a["agreement_id"].as_str().unwrap_or("?"),
                a["org_id"].as_str().unwrap_or("?"),
                a["service_id"].as_str().unwrap_or("?"),
                a["offer_id"],
                a["state"].as_str().unwrap_or("?"),
                a["locked"].as_str().unwrap_or("?"),
                a["paid"].as_str().unwrap_or("?"),
                a["consumer"].as_str().unwrap_or("?"),
            )
        })
        .collect();
    let text = if lines.is_empty() { "no agreements".to_string() } else { lines.join("\n") };
    Ok(Report::new(text, Value::Array(items)))
}

/// The agreements contract's address from the deployment file (no chain needed).
fn agreements_address(global: &GlobalArgs) -> Result<AccountId> {
    let deployment = global.deployment_file()?;
    let contract =
        deployment.agreements.context("this deployment has no agreements contract: run `osiris deploy` again")?;
    Ok(contract.address)
}

/// A fresh agreement id: blake2-256 of the consumer key, the offer and the current time.
fn fresh_id(key: &SignerKey, offer: OfferId) -> AgreementId {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let mut seed = key.to_vec();
    seed.extend_from_slice(&offer.to_le_bytes());
    seed.extend_from_slice(&nanos.to_le_bytes());
    seed.extend_from_slice(&std::process::id().to_le_bytes());
    osiris_chain::contract::blake2_256(&seed)
}

/// The hash given, or the hash of the files (names as given on the command line).
fn input_hash(input: &InputHash) -> Result<Hash32> {
    if let Some(hash) = input.hash {
        return Ok(hash);
    }
    let mut files = Vec::new();
    for path in &input.files {
        let bytes = std::fs::read(path).with_context(|| format!("reading input file {}", path.display()))?;
        files.push((file_name(path), bytes));
    }
    Ok(files_hash(&files))
}

fn file_name(path: &Path) -> String {
    path.to_string_lossy().trim_start_matches("./").to_string()
}

fn kind_name(kind: ConditionKind) -> &'static str {
    match kind {
        ConditionKind::LockPayment => "lock",
        ConditionKind::InputAgreed => "input",
        ConditionKind::AccessGranted => "access",
        ConditionKind::ReleasePayment => "release",
    }
}

fn template_json(id: TemplateId, t: &Template) -> Value {
    let conditions: Vec<Value> = t
        .conditions
        .iter()
        .map(|c| json!({"kind": kind_name(c.kind), "depends_on": c.depends_on, "time_lock": c.time_lock, "timeout": c.timeout}))
        .collect();
    json!({"template_id": id, "whitelisted": t.whitelisted, "conditions": conditions})
}

fn offer_json(id: OfferId, o: &Offer) -> Value {
    json!({
        "offer_id": id, "provider": from_ink(&o.provider), "org_id": o.org_id, "service_id": o.service_id,
        "template_id": o.template_id, "price": planck(o.price), "timeouts": o.timeouts, "active": o.active,
        "metering": o.metering.as_ref().map(|m| json!({
            "unit": m.unit,
            "price_per_unit": planck(m.price_per_unit),
            "settlement_window": m.settlement_window,
        })),
    })
}

fn agreement_json(id: &AgreementId, a: &Agreement) -> Value {
    let conditions: Vec<Value> = a
        .conditions
        .iter()
        .map(|c| {
            json!({"kind": kind_name(c.kind), "state": format!("{:?}", c.state), "not_before": c.not_before, "deadline": c.deadline})
        })
        .collect();
    json!({
        "agreement_id": hex0x(id), "offer_id": a.offer_id, "consumer": from_ink(&a.consumer),
        "consumer_key": hex0x(&a.consumer_key), "provider": from_ink(&a.provider),
        "params": String::from_utf8_lossy(&a.params), "created": a.created, "state": format!("{:?}", a.state),
        "locked": planck(a.locked), "paid": planck(a.paid), "conditions": conditions,
        "input_hash": a.input_hash.map(|h| hex0x(&h)),
        "result": a.result.as_ref().map(|r| json!({"hash": hex0x(&r.hash), "location": r.location})),
        "metered_units": a.metered_units, "metered_amount": planck(a.metered_amount),
        "termination": a.termination.as_ref().map(|t| json!({"by": from_ink(&t.by), "code": t.code, "reason": t.reason})),
        "settle_until": a.settle_until,
    })
}

/// `KIND:TIMEOUT[:TIME_LOCK]`.
fn parse_condition(text: &str) -> Result<(ConditionKind, BlockNumber, BlockNumber), String> {
    let mut parts = text.split(':');
    let kind = match parts.next() {
        Some("lock") => ConditionKind::LockPayment,
        Some("input") => ConditionKind::InputAgreed,
        Some("access") => ConditionKind::AccessGranted,
        Some("release") => ConditionKind::ReleasePayment,
        other => return Err(format!("unknown condition kind {other:?}: lock, input, access or release")),
    };
    let number = |p: Option<&str>, what: &str| -> Result<BlockNumber, String> {
        p.unwrap_or("0").parse().map_err(|_| format!("{what} must be a number of blocks in {text:?}"))
    };
    let timeout = number(parts.next(), "the timeout")?;
    let time_lock = number(parts.next(), "the time lock")?;
    if parts.next().is_some() {
        return Err(format!("{text:?}: expected KIND:TIMEOUT[:TIME_LOCK]"));
    }
    Ok((kind, timeout, time_lock))
}

fn parse_fixed<const N: usize>(text: &str, what: &str) -> Result<[u8; N], String> {
    let bytes = hex::decode(text.trim_start_matches("0x")).map_err(|e| format!("{what}: {e}"))?;
    bytes.try_into().map_err(|_| format!("{what} is {N} bytes ({} hex digits)", 2 * N))
}

pub fn parse_id(text: &str) -> Result<AgreementId, String> {
    parse_fixed(text, "an agreement id")
}

fn parse_key(text: &str) -> Result<SignerKey, String> {
    parse_fixed(text, "a consumer key")
}

fn parse_signature(text: &str) -> Result<PaymentSignature, String> {
    parse_fixed(text, "a signature")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_and_ids_parse_or_say_why() {
        assert_eq!(parse_condition("lock:50").unwrap(), (ConditionKind::LockPayment, 50, 0));
        assert_eq!(parse_condition("access:150:10").unwrap(), (ConditionKind::AccessGranted, 150, 10));
        assert!(parse_condition("pay:5").unwrap_err().contains("unknown condition kind"));
        assert!(parse_condition("lock:x").unwrap_err().contains("timeout"));
        assert!(parse_condition("lock:1:2:3").is_err());
        assert_eq!(parse_id(&format!("0x{}", "ab".repeat(32))).unwrap(), [0xab; 32]);
        assert!(parse_id("0xabcd").unwrap_err().contains("32 bytes"));
        assert!(parse_signature("zz").is_err());
    }
}
