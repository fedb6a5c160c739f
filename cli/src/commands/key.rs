//! `osiris key …` and `osiris sign`: payment signer keys and authorizations.

use crate::{
    context::GlobalArgs,
    output::{planck, Report},
};
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use osiris_chain::signing::channel::PaymentKey;
use osiris_chain::{Balance, ChannelId, Nonce};
use serde_json::json;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Generate a payment signer key; write its secret (hex) to a file readable only by you.
    Generate {
        /// Where to write the secret key.
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the compressed public key (the channel `signer`) of a key file.
    Show {
        #[arg(long)]
        key_file: PathBuf,
    },
}

/// Reads a payment key file (64 hex digits).
pub fn read_key(path: &Path) -> Result<PaymentKey> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading key file {}", path.display()))?;
    PaymentKey::from_hex(&text).with_context(|| format!("key file {}", path.display()))
}

pub fn run(command: KeyCommand) -> Result<Report> {
    let (key, path) = match command {
        KeyCommand::Generate { out } => {
            let key = PaymentKey::generate();
            write_secret(&out, &key.to_hex())?;
            (key, out)
        }
        KeyCommand::Show { key_file } => (read_key(&key_file)?, key_file),
    };
    let public = hex::encode(key.signer_key());
    Ok(Report::new(
        format!("signer key 0x{public} ({})", path.display()),
        json!({ "signer_key": format!("0x{public}"), "file": path }),
    ))
}

fn write_secret(path: &Path, secret: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating key file {} (it must not exist yet)", path.display()))?;
    writeln!(file, "{secret}")?;
    Ok(())
}

#[derive(Args)]
pub struct SignArgs {
    /// The channel signer's key file.
    #[arg(long)]
    key_file: PathBuf,
    /// Channel id.
    #[arg(long)]
    channel: ChannelId,
    /// Cumulative amount to authorize at this nonce, in planck.
    #[arg(long)]
    amount: Balance,
    /// Nonce to sign for (default: the channel's current nonce, read from the chain).
    #[arg(long)]
    nonce: Option<Nonce>,
}

/// Signs an authorization. With `--nonce` it needs only the deployment file (the escrow's
/// address), not the node.
pub async fn sign(global: &GlobalArgs, args: SignArgs) -> Result<Report> {
    let key = read_key(&args.key_file)?;
    let (escrow, nonce) = match args.nonce {
        Some(nonce) => (global.deployment_file()?.escrow.address, nonce),
        None => {
            let escrow = global.connect().await?.escrow();
            let channel =
                escrow.channel(args.channel).await?.with_context(|| format!("no channel {}", args.channel))?;
            (*escrow.address(), channel.nonce)
        }
    };
    let signature = hex::encode(key.sign(&escrow, args.channel, nonce, args.amount));
    Ok(Report::new(
        format!("0x{signature}"),
        json!({ "channel_id": args.channel, "nonce": nonce, "amount": planck(args.amount), "signature": format!("0x{signature}") }),
    ))
}
