//! `osiris job …`: a compute job under a service agreement, at a `job` gateway — start it
//! with the algorithm's files (their input signature goes on chain first), follow its
//! status and logs, stop it, and fetch its outputs, checked against the result hash the
//! provider registered on chain.

use super::call::gateway_urls;
use super::key::read_key;
use crate::commands::agreement::parse_id;
use crate::context::GlobalArgs;
use crate::output::{hex0x, Report};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use osiris_chain::agreements::Agreements;
use osiris_chain::types::agreements::AgreementId;
use osiris_chain::AccountId;
use osiris_gateway_client::pb::Job;
use osiris_gateway_client::GatewayClient;
use osiris_payments::signing::agreement::{files_hash, sign_input};
use osiris_payments::signing::channel::PaymentKey;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum JobCommand {
    /// Upload the algorithm and start the job: signs the files' hash with --key-file, submits
    /// that signature on chain (from --suri, the consumer's account), then starts the job.
    Start {
        #[command(flatten)]
        job: JobArgs,
        /// The algorithm's files, named as given (relative paths); the runner gets them in a directory.
        #[arg(long, num_args = 1.., required = true)]
        files: Vec<PathBuf>,
    },
    /// The job's state, exit code, error and outputs' hash.
    Status {
        #[command(flatten)]
        job: JobArgs,
    },
    /// Print the job's output (stdout and stderr) as it runs, until it ends.
    Logs {
        #[command(flatten)]
        job: JobArgs,
    },
    /// Kill the job.
    Stop {
        #[command(flatten)]
        job: JobArgs,
    },
    /// Fetch the outputs of a succeeded job into --out, checked against the result hash on chain.
    Fetch {
        #[command(flatten)]
        job: JobArgs,
        #[arg(long, default_value = "outputs")]
        out: PathBuf,
    },
}

#[derive(Args)]
pub struct JobArgs {
    /// The `job` gateway: `org/service` (its endpoints, in registry order), a gateway name or URL.
    pub target: String,
    /// The agreement (0x + 64 hex).
    #[arg(long, value_parser = parse_id)]
    pub agreement: AgreementId,
    /// The agreement's consumer key (it signs the input and every job request).
    #[arg(long, env = "OSIRIS_PAYMENT_KEY_FILE")]
    pub key_file: PathBuf,
    /// The consumer's state directory (named gateways).
    #[arg(long, env = "OSIRIS_CONSUMER_DIR", default_value = super::call::DEFAULT_STATE_DIR)]
    pub state_dir: PathBuf,
}

/// A job gateway that answered, and the agreements contract it signs for.
struct Connected {
    url: String,
    client: GatewayClient,
    contract: AccountId,
    key: PaymentKey,
}

async fn connect(global: &GlobalArgs, args: &JobArgs) -> Result<Connected> {
    let key = read_key(&args.key_file)?;
    let mut down = Vec::new();
    for url in gateway_urls(global, &args.target, &args.state_dir).await? {
        let client = match GatewayClient::connect(&url).await {
            Ok(client) => client,
            Err(e) => {
                down.push(e.to_string());
                continue;
            }
        };
        let info = match client.service_info().await {
            Ok(info) => info,
            Err(status) => {
                down.push(format!("{url}: {}", status.message()));
                continue;
            }
        };
        if info.service_type != "job" {
            bail!("{url} serves {}/{} as `{}`, not compute jobs", info.org_id, info.service_id, info.service_type);
        }
        let contract = osiris_chain::parse_account(&info.agreements)
            .with_context(|| format!("{url} names no agreements contract"))?;
        return Ok(Connected { url, client, contract, key });
    }
    bail!("no job gateway answered: {}", down.join("; "))
}

fn status_error(url: &str, status: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("gateway {url}: {:?}: {}", status.code(), status.message())
}

fn job_json(job: &Job) -> Value {
    json!({
        "agreement_id": hex0x(&job.agreement_id), "state": job.state, "input_hash": job.input_hash,
        "output_hash": job.output_hash, "location": job.location,
        "exit_code": (job.exit_code >= 0).then_some(job.exit_code), "error": job.error,
        "started_at_ms": job.started_at, "finished_at_ms": (job.finished_at > 0).then_some(job.finished_at),
    })
}

fn job_text(job: &Job) -> String {
    let mut text = format!("job {}: {}", hex0x(&job.agreement_id), job.state);
    if job.exit_code >= 0 {
        text.push_str(&format!(", exit code {}", job.exit_code));
    }
    if !job.error.is_empty() {
        text.push_str(&format!(" ({})", job.error));
    }
    if !job.output_hash.is_empty() {
        text.push_str(&format!("; outputs {} at {}", job.output_hash, job.location));
    }
    text
}

pub async fn run(global: &GlobalArgs, command: JobCommand) -> Result<Report> {
    match command {
        JobCommand::Start { job, files } => {
            let mut contents = Vec::new();
            for path in &files {
                let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
                contents.push((path.to_string_lossy().trim_start_matches("./").to_string(), bytes));
            }
            let gateway = connect(global, &job).await?;
            let hash = files_hash(&contents);
            let signature = sign_input(&gateway.key, &gateway.contract, &job.agreement, &hash);
            // The input signature goes on chain first: the gateway's fulfil_input checks its hash against it.
            let connected = global.connect().await?;
            let agreements = Agreements::new(connected.chain.clone(), gateway.contract);
            let on_chain = agreements.agreement(job.agreement).await?;
            let on_chain = on_chain.with_context(|| format!("agreement {} does not exist", hex0x(&job.agreement)))?;
            if on_chain.input_signature != Some(signature) {
                agreements.submit_input_signature(&global.signer()?, job.agreement, signature).await?;
            }
            let started = gateway
                .client
                .start_job(&job.agreement, contents, &signature)
                .await
                .map_err(|s| status_error(&gateway.url, s))?;
            Ok(Report::new(job_text(&started), job_json(&started)))
        }
        JobCommand::Status { job } => {
            let gateway = connect(global, &job).await?;
            let status = gateway
                .client
                .job(&gateway.key, &gateway.contract, &job.agreement)
                .await
                .map_err(|s| status_error(&gateway.url, s))?;
            Ok(Report::new(job_text(&status), job_json(&status)))
        }
        JobCommand::Logs { job } => {
            let gateway = connect(global, &job).await?;
            let mut stream = gateway
                .client
                .job_logs(&gateway.key, &gateway.contract, &job.agreement)
                .await
                .map_err(|s| status_error(&gateway.url, s))?;
            // Text: the log goes to stdout as it comes; --json: it is collected into the document.
            let mut stdout = std::io::stdout();
            let mut log = Vec::new();
            while let Some(chunk) = stream.message().await.map_err(|s| status_error(&gateway.url, s))? {
                if global.json {
                    log.extend_from_slice(&chunk.data);
                } else {
                    stdout.write_all(&chunk.data)?;
                    stdout.flush()?;
                }
            }
            let status = gateway
                .client
                .job(&gateway.key, &gateway.contract, &job.agreement)
                .await
                .map_err(|s| status_error(&gateway.url, s))?;
            Ok(Report::new(job_text(&status), json!({"log": String::from_utf8_lossy(&log), "job": job_json(&status)})))
        }
        JobCommand::Stop { job } => {
            let gateway = connect(global, &job).await?;
            let stopped = gateway
                .client
                .stop_job(&gateway.key, &gateway.contract, &job.agreement)
                .await
                .map_err(|s| status_error(&gateway.url, s))?;
            Ok(Report::new(job_text(&stopped), job_json(&stopped)))
        }
        JobCommand::Fetch { job, out } => {
            let gateway = connect(global, &job).await?;
            let files = gateway
                .client
                .fetch_outputs(&gateway.key, &gateway.contract, &job.agreement)
                .await
                .map_err(|s| status_error(&gateway.url, s))?;
            let hash = files_hash(&files);
            // The result the provider registered on chain, owned by the consumer.
            let connected = global.connect().await?;
            let agreements = Agreements::new(connected.chain.clone(), gateway.contract);
            let result = agreements.agreement(job.agreement).await?.and_then(|a| a.result);
            let result =
                result.with_context(|| format!("agreement {} has no result on chain", hex0x(&job.agreement)))?;
            if result.hash != hash {
                bail!(
                    "the outputs' hash {} is not the result hash {} registered on chain; nothing written",
                    hex0x(&hash),
                    hex0x(&result.hash)
                );
            }
            let names = write_outputs(&out, &files)?;
            Ok(Report::new(
                format!("{} output file(s) in {}, hash {} verified on chain", names.len(), out.display(), hex0x(&hash)),
                json!({"files": names, "output_hash": hex0x(&hash), "location": result.location}),
            ))
        }
    }
}

/// Writes the outputs under `out`, refusing names that would leave it.
fn write_outputs(out: &Path, files: &[(String, Vec<u8>)]) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for (name, content) in files {
        let relative = Path::new(name);
        if !relative.components().all(|c| matches!(c, std::path::Component::Normal(_))) {
            bail!("the gateway sent an output named `{name}`, outside the output directory");
        }
        let path = out.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, content).with_context(|| format!("writing {}", path.display()))?;
        names.push(name.clone());
    }
    Ok(names)
}
