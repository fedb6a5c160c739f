//! The consumer's local state: named gateways and, per channel, the nonce and the last
//! amount signed. Files under `--state-dir` (default `.osiris/consumer`):
//!
//! - `gateways.json`: `{ "<name>": { "url": "http://…", "channel_id": 3, "key_file": "…" } }`
//! - `channel-<channel_id>.json`: `{ "escrow": "5…", "nonce": 0, "amount": "30000" }` (planck)
//!
//! One file per channel, so that calls on different channels can run at once (shell pipes).

use anyhow::{Context, Result};
use osiris_chain::{Balance, ChannelId, Nonce};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A gateway the consumer calls by name.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct GatewayEntry {
    pub url: String,
    pub channel_id: ChannelId,
    /// The channel's payment signer key file.
    pub key_file: PathBuf,
}

/// Where a channel's payments stand, as this consumer last saw them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ChannelRecord {
    /// SS58 of the escrow contract (a record for another deployment is ignored).
    pub escrow: String,
    pub nonce: Nonce,
    /// Last amount signed at `nonce`, planck, decimal.
    pub amount: String,
}

pub struct ConsumerState {
    dir: PathBuf,
}

impl ConsumerState {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    fn gateways_file(&self) -> PathBuf {
        self.dir.join("gateways.json")
    }

    pub fn gateways(&self) -> Result<BTreeMap<String, GatewayEntry>> {
        read_json(&self.gateways_file()).map(Option::unwrap_or_default)
    }

    pub fn add_gateway(&self, name: &str, entry: GatewayEntry) -> Result<()> {
        let mut all = self.gateways()?;
        all.insert(name.to_string(), entry);
        write_json(&self.gateways_file(), &all)
    }

    /// The channel's (nonce, amount) if recorded for this escrow.
    pub fn channel(&self, escrow: &str, channel_id: ChannelId) -> Result<Option<(Nonce, Balance)>> {
        let record: Option<ChannelRecord> = read_json(&self.dir.join(format!("channel-{channel_id}.json")))?;
        match record.filter(|r| r.escrow == escrow) {
            Some(r) => Ok(Some((r.nonce, r.amount.parse().context("channel record amount")?))),
            None => Ok(None),
        }
    }

    pub fn save_channel(&self, escrow: &str, channel_id: ChannelId, nonce: Nonce, amount: Balance) -> Result<()> {
        let record = ChannelRecord { escrow: escrow.into(), nonce, amount: amount.to_string() };
        write_json(&self.dir.join(format!("channel-{channel_id}.json")), &record)
    }
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Writes through a temporary file and a rename, so a crash never leaves half a file.
fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let dir = path.parent().expect("a file in a directory");
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, serde_json::to_string_pretty(value)? + "\n")
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateways_and_channels_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let state = ConsumerState::new(dir.path().join("consumer"));
        assert!(state.gateways().unwrap().is_empty());
        let entry =
            GatewayEntry { url: "http://127.0.0.1:7000".into(), channel_id: ChannelId(3), key_file: "k".into() };
        state.add_gateway("primes", entry.clone()).unwrap();
        assert_eq!(state.gateways().unwrap()["primes"], entry);
        assert_eq!(state.channel("5Esc", ChannelId(3)).unwrap(), None);
        state.save_channel("5Esc", ChannelId(3), Nonce(1), 1_000_000_000_000_000_000_000).unwrap();
        assert_eq!(state.channel("5Esc", ChannelId(3)).unwrap(), Some((Nonce(1), 1_000_000_000_000_000_000_000)));
        assert_eq!(state.channel("5Other", ChannelId(3)).unwrap(), None, "another deployment's record is ignored");
    }
}
