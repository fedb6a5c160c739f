//! The PostgreSQL mirror: schema (../migrations, applied at start), the cursor,
//! writing one block per transaction ([`ingest`]) and the API's reads ([`read`]).

pub mod agreements;
pub mod ddc;
pub mod escrow;
pub mod ingest;
pub mod read;
pub mod registry;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::Row;

/// The NOTIFY channel the indexer signals after each committed block (declared with the
/// schema in `osiris-mirror`, where the gateway reads it too).
pub use osiris_mirror::NOTIFY_CHANNEL;

/// Errors of the mirror database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database mirrors another chain (its cursor's genesis hash differs).
    #[error("this database mirrors chain {mirrored}, but the node is chain {node}; use another database")]
    OtherChain { mirrored: String, node: String },
    /// A block was offered that is not the one after the cursor.
    #[error("block {block} does not follow the cursor at {cursor}")]
    OutOfOrder { cursor: u64, block: u64 },
    /// A value in the database is not what the indexer wrote (hand edits?).
    #[error("corrupt value in {0}")]
    Corrupt(&'static str),
}

/// The last block whose events are all in the mirror.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub genesis_hash: Vec<u8>,
    pub block_number: u64,
    pub block_hash: Vec<u8>,
}

/// A pool of connections to the mirror.
#[derive(Clone)]
pub struct Store {
    pub pool: PgPool,
}

impl Store {
    /// Connects (up to `max_connections`) and applies pending migrations.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect(url)
            .await?;
        osiris_mirror::migrate(&pool).await?;
        Ok(Self { pool })
    }

    /// Writes `rows` into `channels` as of `block`, in one transaction, with the statement a
    /// folded block's channels are written with (`escrow::write`), outside any block and
    /// without moving the cursor: for benchmarks that give a mirror a given size without a
    /// chain (e.g. a million channels paying one gateway).
    pub async fn seed_channels(&self, rows: Vec<crate::state::ChannelRow>, block: u64) -> Result<(), StoreError> {
        let mut snapshot = crate::state::Snapshot::default();
        snapshot.channels = rows.into_iter().map(|row| (row.channel_id, Some(row))).collect();
        let mut tx = self.pool.begin().await?;
        escrow::write(&mut tx, &snapshot, to_i64(block)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The cursor, or `None` before the first block is committed.
    pub async fn cursor(&self) -> Result<Option<Cursor>, StoreError> {
        let row = sqlx::query("SELECT genesis_hash, block_number, block_hash FROM indexer_cursor")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(Cursor {
                genesis_hash: r.try_get("genesis_hash")?,
                block_number: u64::try_from(r.try_get::<i64, _>("block_number")?)
                    .map_err(|_| StoreError::Corrupt("indexer_cursor"))?,
                block_hash: r.try_get("block_hash")?,
            })
        })
        .transpose()
    }
}

/// Where a row was created: `(created_block, created_event)`.
pub(crate) fn created_at(r: &sqlx::postgres::PgRow) -> Result<crate::state::Position, StoreError> {
    Ok((r.try_get::<i64, _>("created_block")? as u64, r.try_get::<i32, _>("created_event")? as u32))
}

/// A u64 as BIGINT (block numbers, channel ids, nonces never reach 2^63).
pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).expect("values stored as BIGINT stay below 2^63")
}

/// A NUMERIC read as text back to planck.
pub(crate) fn parse_planck(text: &str, table: &'static str) -> Result<u128, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt(table))
}

/// A row's `doc` column (a JSON document the fold wrote) as the row type `T`.
pub(crate) fn doc<T: serde::de::DeserializeOwned>(
    r: &sqlx::postgres::PgRow,
    table: &'static str,
) -> Result<T, StoreError> {
    let value: serde_json::Value = r.try_get("doc")?;
    serde_json::from_value(value).map_err(|_| StoreError::Corrupt(table))
}

/// A row type as the JSON document its `doc` column holds.
pub(crate) fn json<T: serde::Serialize>(row: &T) -> serde_json::Value {
    serde_json::to_value(row).expect("mirror rows serialize")
}
