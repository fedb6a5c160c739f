//! Following finalized blocks: every block after the cursor is fetched, decoded
//! and committed in order, never skipped. On start and after any stream error the
//! follower catches up from the database cursor (block by block with `at_block`),
//! so a reconnect or a restart loses nothing and repeats nothing.

use crate::decode::{self, ContractKind};
use crate::store::ingest::{Block, BlockEvent, Committed};
use crate::store::{Store, StoreError};
use futures::StreamExt;
use osiris_chain::node::runtime::contracts::events::ContractEmitted;
use osiris_chain::AccountId;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use subxt::{events::Phase, OnlineClient, PolkadotConfig};
use tokio_util::sync::CancellationToken;

/// Blocks fetched concurrently ahead of the one being committed while catching up.
const FETCH_AHEAD: usize = 16;

/// Pause before retrying after an RPC or database error.
const RETRY_PAUSE: Duration = Duration::from_secs(1);

/// Errors that stop the follower for good.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("node: {0}")]
    Rpc(String),
}

/// What the status endpoint reports about ingestion.
#[derive(Default)]
pub struct Progress {
    inner: Mutex<ProgressInner>,
}

#[derive(Default)]
struct ProgressInner {
    head: u64,
    cursor: u64,
    /// Finalized blocks seen but not yet committed, with when they were first seen.
    pending: VecDeque<(u64, Instant)>,
}

impl Progress {
    fn saw_head(&self, number: u64) {
        let mut p = self.inner.lock().expect("progress lock");
        if number > p.head {
            let from = p.head.max(p.cursor) + 1;
            let now = Instant::now();
            p.pending.extend((from..=number).map(|n| (n, now)));
            p.head = number;
        }
    }

    fn committed(&self, number: u64) {
        let mut p = self.inner.lock().expect("progress lock");
        p.cursor = p.cursor.max(number);
        while p.pending.front().is_some_and(|(n, _)| *n <= number) {
            p.pending.pop_front();
        }
        metrics::gauge!("osiris_indexer_lag_blocks").set(p.head.saturating_sub(p.cursor) as f64);
    }

    /// (finalized head seen, cursor, lag in blocks, lag in milliseconds since the oldest unindexed block was seen).
    pub fn snapshot(&self) -> (u64, u64, u64, u64) {
        let p = self.inner.lock().expect("progress lock");
        let lag_ms = p.pending.front().map_or(0, |(_, seen)| seen.elapsed().as_millis() as u64);
        (p.head, p.cursor, p.head.saturating_sub(p.cursor), lag_ms)
    }
}

/// Follows the chain into the store.
pub struct Follower {
    pub api: OnlineClient<PolkadotConfig>,
    pub store: Store,
    pub registry: AccountId,
    pub escrow: AccountId,
    /// The agreements contract, when the deployment has one.
    pub agreements: Option<AccountId>,
    /// The ddc contract, when the deployment has one.
    pub ddc: Option<AccountId>,
    /// First block to index when the database is empty (the contracts' deployment block).
    pub start_block: u64,
    pub progress: std::sync::Arc<Progress>,
}

/// The first block to index for `deployment`: the earliest of its contracts' deployment blocks.
pub fn start_block(deployment: &osiris_chain::Deployment) -> u64 {
    let agreements = deployment.agreements.as_ref().map_or(u64::MAX, |a| a.block);
    let ddc = deployment.ddc.as_ref().map_or(u64::MAX, |a| a.block);
    deployment.registry.block.min(deployment.escrow.block).min(agreements).min(ddc)
}

impl Follower {
    /// A follower of `deployment`'s contracts from its first block, writing into `store`.
    pub fn new(
        api: OnlineClient<PolkadotConfig>,
        store: Store,
        deployment: &osiris_chain::Deployment,
        progress: std::sync::Arc<Progress>,
    ) -> Self {
        Follower {
            api,
            store,
            registry: deployment.registry.address,
            escrow: deployment.escrow.address,
            agreements: deployment.agreements.as_ref().map(|a| a.address),
            ddc: deployment.ddc.as_ref().map(|a| a.address),
            start_block: start_block(deployment),
            progress,
        }
    }

    fn genesis(&self) -> [u8; 32] {
        self.api.genesis_hash().0
    }

    /// Runs until `shutdown` is cancelled (finishing the block in flight) or a fatal error.
    pub async fn run(&self, shutdown: CancellationToken) -> Result<(), FollowError> {
        while !shutdown.is_cancelled() {
            match self.follow(&shutdown).await {
                Ok(()) => {}
                Err(FollowError::Store(StoreError::OtherChain { mirrored, node })) => {
                    return Err(StoreError::OtherChain { mirrored, node }.into())
                }
                Err(e) => tracing::warn!("following interrupted, resuming from the database cursor: {e}"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = tokio::time::sleep(RETRY_PAUSE) => {}
            }
        }
        Ok(())
    }

    /// Catches up to the finalized head, then follows the finalized-block stream.
    async fn follow(&self, shutdown: &CancellationToken) -> Result<(), FollowError> {
        let rpc = |e: &dyn std::fmt::Display| FollowError::Rpc(e.to_string());
        let head = self.api.at_current_block().await.map_err(|e| rpc(&e))?.block_number();
        self.progress.saw_head(head);
        self.catch_up(head, shutdown).await?;
        let mut blocks = self.api.stream_blocks().await.map_err(|e| rpc(&e))?;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                next = blocks.next() => match next {
                    Some(Ok(block)) => {
                        self.progress.saw_head(block.number());
                        self.catch_up(block.number(), shutdown).await?;
                    }
                    Some(Err(e)) => return Err(rpc(&e)),
                    None => return Err(FollowError::Rpc("the finalized block stream ended".into())),
                }
            }
        }
    }

    /// Commits every block after the cursor up to `head`, stopping between blocks on shutdown.
    pub async fn catch_up(&self, head: u64, shutdown: &CancellationToken) -> Result<(), FollowError> {
        let genesis = self.genesis();
        let next = match self.store.cursor().await? {
            Some(c) if c.genesis_hash != genesis => {
                return Err(StoreError::OtherChain {
                    mirrored: hex::encode(c.genesis_hash),
                    node: hex::encode(genesis),
                }
                .into())
            }
            Some(c) => c.block_number + 1,
            None => self.start_block,
        };
        // Blocks are fetched FETCH_AHEAD at a time concurrently and committed strictly in order.
        let mut blocks = futures::stream::iter(next..=head).map(|n| self.fetch(n)).buffered(FETCH_AHEAD);
        while let Some(block) = blocks.next().await {
            if shutdown.is_cancelled() {
                break;
            }
            let block = block?;
            let started = Instant::now();
            if self.store.commit_block(&genesis, &block).await? == Committed::Written {
                metrics::counter!("osiris_indexer_blocks_total").increment(1);
                metrics::counter!("osiris_indexer_events_total").increment(block.events.len() as u64);
                metrics::histogram!("osiris_indexer_block_seconds").record(started.elapsed().as_secs_f64());
            }
            self.progress.committed(block.number);
        }
        Ok(())
    }

    /// Fetches block `number` and the Osiris contracts' events in it.
    pub async fn fetch(&self, number: u64) -> Result<Block, FollowError> {
        let rpc = |e: &dyn std::fmt::Display| FollowError::Rpc(format!("block {number}: {e}"));
        let at = self.api.at_block(number).await.map_err(|e| rpc(&e))?;
        let hash = at.block_hash().0;
        let all = at.events().fetch().await.map_err(|e| rpc(&e))?;
        let mut events = Vec::new();
        for event in all.iter() {
            let event = event.map_err(|e| rpc(&e))?;
            let Some(emitted) = event.decode_fields_as::<ContractEmitted>() else { continue };
            let emitted = emitted.map_err(|e| rpc(&e))?;
            let contract = osiris_chain::AccountId(emitted.contract.0);
            let kind = if contract == self.registry {
                ContractKind::Registry
            } else if contract == self.escrow {
                ContractKind::Escrow
            } else if self.agreements.as_ref() == Some(&contract) {
                ContractKind::Agreements
            } else if self.ddc.as_ref() == Some(&contract) {
                ContractKind::Ddc
            } else {
                continue;
            };
            let topics: Vec<[u8; 32]> = event.topics().iter().map(|t| t.0).collect();
            let decoded = match decode::decode(kind, &topics, &emitted.data) {
                Ok(d) => Some(d),
                Err(e) => {
                    tracing::warn!(block = number, event = event.index(), contract = kind.name(), "stored raw: {e}");
                    None
                }
            };
            events.push(BlockEvent {
                event_index: event.index(),
                extrinsic_index: match event.phase() {
                    Phase::ApplyExtrinsic(i) => Some(i),
                    _ => None,
                },
                contract: emitted.contract.to_string(),
                kind,
                topics,
                data: emitted.data,
                decoded,
            });
        }
        Ok(Block { number, hash, events })
    }
}

/// Connects as [`osiris_chain::client::online_client`] does: reconnecting RPC client, legacy backend.
pub async fn connect(url: &str) -> Result<OnlineClient<PolkadotConfig>, FollowError> {
    osiris_chain::client::online_client(url).await.map_err(|e| FollowError::Rpc(e.to_string()))
}
