//! `osiris object put|get|ls|rm BUCKET …`: objects in a bucket, stored on the nodes of the
//! bucket's cluster (placement and replication: `osiris_gateway_client::storage`).
//!
//! The cluster's nodes are discovered from the indexer (`--indexer`) or, without one, from
//! the ddc contract; requests are signed by the signing account's key (`--suri`); data is
//! streamed in chunks. `--dry-run` prints where the object would go without sending it.

use crate::context::GlobalArgs;
use crate::directory::Directory;
use crate::output::Report;
use anyhow::{bail, Context, Result};
use clap::Subcommand;
use osiris_chain::types::ddc::BucketId;
use osiris_gateway_client::storage::{Source, Storage, StorageError, DEFAULT_REPLICAS};
use osiris_payments::signing::account::AccountKey;
use serde_json::json;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum ObjectCommand {
    /// Store a file (or standard input, `-`) as KEY on the key's replicas.
    Put {
        bucket: BucketId,
        key: String,
        /// The file to store; `-` reads standard input.
        file: PathBuf,
        /// Nodes that hold each object.
        #[arg(long, default_value_t = DEFAULT_REPLICAS)]
        replicas: usize,
        /// Print the nodes the object would go to, and send nothing.
        #[arg(long)]
        dry_run: bool,
        /// Encrypt here before sending: the nodes store only ciphertext, which only the
        /// signing account and the `--recipient`s can open (see the README, "Storage").
        #[arg(long)]
        encrypt: bool,
        /// Another account (SS58, or a dev account's `//Name`) that may decrypt the object;
        /// repeat for more.
        #[arg(long = "recipient", value_name = "ACCOUNT", requires = "encrypt", value_parser = super::parse_account)]
        recipients: Vec<osiris_payments::AccountId>,
    },
    /// Fetch KEY into a file (`--out -`: standard output), from the first replica that serves it.
    Get {
        bucket: BucketId,
        key: String,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[arg(long, default_value_t = DEFAULT_REPLICAS)]
        replicas: usize,
        /// Write an encrypted object's ciphertext as stored, not decrypted.
        #[arg(long)]
        raw: bool,
    },
    /// The objects under a prefix, from every reachable node of the cluster.
    Ls {
        bucket: BucketId,
        #[arg(default_value = "")]
        prefix: String,
    },
    /// Remove KEY from its replicas.
    Rm {
        bucket: BucketId,
        key: String,
        #[arg(long, default_value_t = DEFAULT_REPLICAS)]
        replicas: usize,
        #[arg(long)]
        dry_run: bool,
    },
}

/// The object into `out`: opened as it arrives when encrypted, unless `raw` asks for the
/// ciphertext as stored. The node that served it, the bytes written, whether decrypted.
async fn fetch<W: tokio::io::AsyncWrite + Unpin>(
    storage: &Storage,
    bucket: BucketId,
    key: &str,
    raw: bool,
    out: &mut W,
) -> Result<(osiris_chain::types::ddc::NodeId, u64, bool), StorageError> {
    if raw {
        storage.get(bucket, key, out).await.map(|(node, size)| (node, size, false))
    } else {
        storage.get_opened(bucket, key, out).await
    }
}

/// Refuses a bad object key before anything is asked of the network (the storage client
/// checks it again with the same rule, `osiris_payments::buckets::check_key`).
fn check_key(key: &str) -> Result<()> {
    osiris_payments::buckets::check_key(key, false).map_err(|e| anyhow::anyhow!("object key `{key}`: {e}"))
}

async fn storage(global: &GlobalArgs, bucket: BucketId, replicas: usize) -> Result<Storage> {
    if replicas == 0 {
        bail!("--replicas must be at least 1");
    }
    let ddc = crate::context::ddc_address(&global.deployment_file()?)?;
    let key = AccountKey::from_uri(&global.secret_uri()?)?;
    let (vnodes, nodes) = Directory::open(global).await?.ddc_cluster_of(bucket).await?;
    Ok(Storage { ddc, key, vnodes, nodes, replicas, ca_file: global.ca_file.clone(), connections: Default::default() })
}

pub async fn run(global: &GlobalArgs, cmd: ObjectCommand) -> Result<Report> {
    match cmd {
        ObjectCommand::Put { bucket, key, file, replicas, dry_run, encrypt, recipients } => {
            check_key(&key)?;
            let storage = storage(global, bucket, replicas).await?;
            if dry_run {
                let nodes = storage.replicas_of(&key);
                let urls: Vec<&str> = nodes.iter().filter_map(|n| storage.nodes.get(n).map(String::as_str)).collect();
                return Ok(Report::new(
                    format!("dry run: `{key}` would be stored on node(s) {nodes:?} ({})", urls.join(", ")),
                    json!({ "dry_run": true, "bucket": bucket, "key": key, "nodes": nodes, "urls": urls }),
                ));
            }
            // Standard input is streamed to the replicas as it is read, never held whole.
            let stored = match (file.as_os_str() == "-", encrypt) {
                (true, false) => storage.put_reader(bucket, &key, tokio::io::stdin(), "standard input").await?,
                (true, true) => {
                    storage.put_sealed(bucket, &key, tokio::io::stdin(), "standard input", &recipients).await?
                }
                (false, encrypt) => {
                    anyhow::ensure!(file.is_file(), "{} is not a readable file", file.display());
                    if encrypt {
                        let name = file.display().to_string();
                        let reader = tokio::fs::File::open(&file).await.with_context(|| format!("opening {name}"))?;
                        storage.put_sealed(bucket, &key, reader, &name, &recipients).await?
                    } else {
                        storage.put(bucket, &key, &Source::File(file)).await?
                    }
                }
            };
            let sealed =
                if encrypt { format!(", encrypted for {} account(s)", recipients.len() + 1) } else { String::new() };
            Ok(Report::new(
                format!(
                    "stored `{key}` in bucket {bucket}: {} bytes, sha256 {}, on node(s) {:?}{sealed}",
                    stored.size, stored.sha256, stored.nodes
                ),
                json!({ "bucket": bucket, "key": key, "size": stored.size, "sha256": stored.sha256, "nodes": stored.nodes,
                        "encrypted": encrypt }),
            ))
        }
        ObjectCommand::Get { bucket, key, out, replicas, raw } => {
            check_key(&key)?;
            let storage = storage(global, bucket, replicas).await?;
            let (node, size, decrypted) = if out.as_os_str() == "-" {
                let served = fetch(&storage, bucket, &key, raw, &mut tokio::io::stdout()).await?;
                eprintln!("fetched `{key}` from node {}: {} bytes", served.0, served.1);
                return Ok(Report::new(
                    String::new(),
                    json!({ "bucket": bucket, "key": key, "node": served.0, "size": served.1, "decrypted": served.2 }),
                ));
            } else {
                // Into a temporary file beside the target, renamed when whole.
                let partial = out.with_extension("osiris-partial");
                let mut file = tokio::fs::File::create(&partial)
                    .await
                    .with_context(|| format!("creating {}", partial.display()))?;
                let served = fetch(&storage, bucket, &key, raw, &mut file).await;
                match served {
                    Ok(served) => {
                        tokio::fs::rename(&partial, &out)
                            .await
                            .with_context(|| format!("writing {}", out.display()))?;
                        served
                    }
                    Err(e) => {
                        let _ = tokio::fs::remove_file(&partial).await;
                        return Err(e.into());
                    }
                }
            };
            let how = if decrypted { " (decrypted)" } else { "" };
            Ok(Report::new(
                format!("fetched `{key}` from bucket {bucket} (node {node}) into {}: {size} bytes{how}", out.display()),
                json!({ "bucket": bucket, "key": key, "node": node, "size": size, "file": out, "decrypted": decrypted }),
            ))
        }
        ObjectCommand::Ls { bucket, prefix } => {
            let storage = storage(global, bucket, DEFAULT_REPLICAS).await?;
            let (objects, missing) = storage.list(bucket, &prefix).await?;
            let mut lines: Vec<String> = objects.iter().map(|o| format!("{:>12}  {}", o.size, o.key)).collect();
            if lines.is_empty() {
                lines.push(format!("no objects under `{prefix}` in bucket {bucket}"));
            }
            for m in &missing {
                lines.push(format!("(not asked: {m})"));
            }
            let items: Vec<_> = objects.iter().map(|o| json!({ "key": o.key, "size": o.size })).collect();
            Ok(Report::new(lines.join("\n"), json!({ "objects": items, "unreachable": missing })))
        }
        ObjectCommand::Rm { bucket, key, replicas, dry_run } => {
            check_key(&key)?;
            let storage = storage(global, bucket, replicas).await?;
            if dry_run {
                let nodes = storage.replicas_of(&key);
                return Ok(Report::new(
                    format!("dry run: `{key}` would be removed from node(s) {nodes:?}"),
                    json!({ "dry_run": true, "bucket": bucket, "key": key, "nodes": nodes }),
                ));
            }
            let removed = storage.delete(bucket, &key).await?;
            Ok(Report::new(
                format!("removed `{key}` from bucket {bucket} on node(s) {removed:?}"),
                json!({ "bucket": bucket, "key": key, "nodes": removed }),
            ))
        }
    }
}
