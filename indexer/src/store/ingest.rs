//! Committing one finalized block: its events, the state they change, and the cursor,
//! in one transaction, followed by a NOTIFY. Rows are loaded and written in
//! multi-row statements, never one statement per event.

use super::{to_i64, Store, StoreError, NOTIFY_CHANNEL};
use crate::decode::{ContractKind, OsirisEvent};
use crate::state::{self, Snapshot};
use sqlx::{Postgres, QueryBuilder, Transaction};

/// Rows per multi-row INSERT (10 columns stay well below PostgreSQL's 65,535 parameters).
const ROWS_PER_INSERT: usize = 4_000;

/// One contract event of a block, decoded if it could be.
#[derive(Debug, Clone)]
pub struct BlockEvent {
    pub event_index: u32,
    pub extrinsic_index: Option<u32>,
    /// Emitting contract, SS58.
    pub contract: String,
    pub kind: ContractKind,
    pub topics: Vec<[u8; 32]>,
    pub data: Vec<u8>,
    pub decoded: Option<OsirisEvent>,
}

/// A finalized block and the Osiris events in it (possibly none).
#[derive(Debug, Clone)]
pub struct Block {
    pub number: u64,
    pub hash: [u8; 32],
    pub events: Vec<BlockEvent>,
}

/// What committing a block did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Committed {
    /// The block was written.
    Written,
    /// The mirror already had it (a restart or another indexer got there first).
    AlreadyIndexed,
}

impl Store {
    /// Writes `block` if it is the one after the cursor (or the first one when there is no cursor),
    /// in one transaction with the cursor, and notifies [`NOTIFY_CHANNEL`] on commit.
    /// State updates that do not fit the mirror are logged and skipped; the events stay in the log.
    pub async fn commit_block(&self, genesis: &[u8; 32], block: &Block) -> Result<Committed, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Move the cursor first: this locks it, and succeeds only for the block after it (or the
        // first block of an empty mirror). The NOTIFY is delivered only if the transaction commits.
        let payload = serde_json::json!({
            "block_number": block.number,
            "block_hash": crate::json::hex0x(&block.hash),
            "events": block.events.len(),
        });
        // One statement moves the cursor, logs the block's events (the first ROWS_PER_INSERT of them)
        // only if the cursor moved, and queues the NOTIFY.
        let (first, rest) = block.events.split_at(block.events.len().min(ROWS_PER_INSERT));
        let mut q = QueryBuilder::<Postgres>::new(
            "WITH moved AS (
                 INSERT INTO indexer_cursor AS c (id, genesis_hash, block_number, block_hash, updated_at) VALUES (TRUE, ",
        );
        q.push_bind(&genesis[..]).push(", ").push_bind(to_i64(block.number)).push(", ").push_bind(&block.hash[..]);
        q.push(
            ", now())
                 ON CONFLICT (id) DO UPDATE SET block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash, updated_at = now()
                 WHERE c.block_number = EXCLUDED.block_number - 1 AND c.genesis_hash = EXCLUDED.genesis_hash
                 RETURNING block_number)",
        );
        if !first.is_empty() {
            q.push(format!(", logged AS (INSERT INTO events ({EVENT_COLUMNS}) SELECT v.* FROM ("));
            push_event_rows(&mut q, block, first);
            q.push(format!(") AS v ({EVENT_COLUMNS}) WHERE EXISTS (SELECT 1 FROM moved))"));
        }
        q.push(" SELECT pg_notify(")
            .push_bind(NOTIFY_CHANNEL)
            .push(", ")
            .push_bind(payload.to_string())
            .push(") FROM moved");
        if q.build().fetch_optional(&mut *tx).await?.is_none() {
            tx.rollback().await?;
            return self.refused(genesis, block.number).await;
        }
        for chunk in rest.chunks(ROWS_PER_INSERT) {
            let mut q = QueryBuilder::<Postgres>::new(format!("INSERT INTO events ({EVENT_COLUMNS}) "));
            push_event_rows(&mut q, block, chunk);
            q.build().execute(&mut *tx).await?;
        }
        let decoded: Vec<(&OsirisEvent, u32)> =
            block.events.iter().filter_map(|e| e.decoded.as_ref().map(|d| (d, e.event_index))).collect();
        if !decoded.is_empty() {
            let events: Vec<OsirisEvent> = decoded.iter().map(|(e, _)| (*e).clone()).collect();
            let mut snapshot = load_snapshot(&mut tx, &events).await?;
            for (event, index) in &decoded {
                if let Err(e) = state::apply(&mut snapshot, event, (block.number, *index)) {
                    tracing::warn!(block = block.number, event = index, name = event.name(), "state not updated: {e}");
                }
            }
            write_snapshot(&mut tx, &snapshot, block.number).await?;
        }
        tx.commit().await?;
        Ok(Committed::Written)
    }

    /// Why the cursor did not move to `block`: already indexed, another chain, or out of order.
    async fn refused(&self, genesis: &[u8; 32], block: u64) -> Result<Committed, StoreError> {
        let cursor = self.cursor().await?.ok_or(StoreError::Corrupt("indexer_cursor"))?;
        if cursor.genesis_hash != genesis {
            Err(StoreError::OtherChain { mirrored: hex::encode(cursor.genesis_hash), node: hex::encode(genesis) })
        } else if cursor.block_number >= block {
            Ok(Committed::AlreadyIndexed)
        } else {
            Err(StoreError::OutOfOrder { cursor: cursor.block_number, block })
        }
    }
}

/// Columns of the event log, in the order [`push_event_rows`] binds them.
const EVENT_COLUMNS: &str =
    "block_number, event_index, block_hash, extrinsic_index, contract, contract_name, event_name, fields, topics, data";

/// `VALUES (…), (…)` of `events` of `block`, in [`EVENT_COLUMNS`] order.
fn push_event_rows(q: &mut QueryBuilder<'_, Postgres>, block: &Block, events: &[BlockEvent]) {
    q.push_values(events, |mut b, e| {
        let topics: Vec<Vec<u8>> = e.topics.iter().map(|t| t.to_vec()).collect();
        b.push_bind(to_i64(block.number))
            .push_bind(e.event_index as i32)
            .push_bind(block.hash.to_vec())
            .push_bind(e.extrinsic_index.map(|i| i as i32))
            .push_bind(e.contract.clone())
            .push_bind(e.kind.name())
            .push_bind(e.decoded.as_ref().map(|d| d.name()))
            .push_bind(e.decoded.as_ref().map(|d| d.fields()))
            .push_bind(topics)
            .push_bind(e.data.clone());
    });
}

/// Loads every row the events touch (a query per kind of row, skipped when none is touched).
async fn load_snapshot(tx: &mut Transaction<'_, Postgres>, events: &[OsirisEvent]) -> Result<Snapshot, StoreError> {
    let keys = state::keys_of(events);
    let mut s = Snapshot::default();
    super::registry::load(tx, &mut s, keys.registry).await?;
    super::escrow::load(tx, &mut s, keys.escrow, events).await?;
    super::agreements::load(tx, &mut s, keys.agreements, events).await?;
    super::ddc::load(tx, &mut s, keys.ddc, events).await?;
    Ok(s)
}

/// Writes the snapshot back, one contract's rows after the other.
async fn write_snapshot(tx: &mut Transaction<'_, Postgres>, s: &Snapshot, block: u64) -> Result<(), StoreError> {
    let block = to_i64(block);
    super::registry::write(tx, s, block).await?;
    super::escrow::write(tx, s, block).await?;
    super::agreements::write(tx, s, block).await?;
    super::ddc::write(tx, s, block).await
}
