//! Channel facts from the indexer's mirror (PostgreSQL), cached in memory.
//!
//! At start the cache loads every channel paying this gateway's recipient and group, the
//! indexer's cursor (current finalized block) and the service's price. It then listens on
//! the indexer's NOTIFY channel (`osiris_indexer`, one notification per committed block)
//! and reloads what changed since the last block it saw; a five-second timer does the same
//! in case a notification was lost with a connection. A channel that is not cached (opened
//! since the last refresh, or someone else's) costs one query. The chain is never queried.

use osiris_contract_types::{Balance, BlockNumber, ChannelId, Nonce, SignerKey};
use sqlx::postgres::{PgListener, PgPool};
use sqlx::Row;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The indexer's NOTIFY channel (see indexer/src/store).
pub const NOTIFY_CHANNEL: &str = "osiris_indexer";

/// One escrow channel as the mirror last saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelFacts {
    pub channel_id: ChannelId,
    /// SS58.
    pub sender: String,
    /// SS58.
    pub recipient: String,
    pub signer: SignerKey,
    pub group_id: String,
    /// Planck locked in the channel.
    pub value: Balance,
    pub nonce: Nonce,
    pub expiration: BlockNumber,
    /// Block that last changed the channel.
    pub updated_block: u64,
}

#[derive(Debug, Default)]
struct Mirror {
    channels: HashMap<ChannelId, ChannelFacts>,
    /// Highest `updated_block` among loaded channels: the next refresh loads what is newer.
    seen_block: u64,
    /// The indexer's cursor: the last finalized block it has fully mirrored.
    current_block: u64,
    /// The service's price per call, planck.
    price: Balance,
}

/// The in-memory channel cache of one gateway (recipient + group).
#[derive(Debug)]
pub struct ChannelCache {
    pool: PgPool,
    recipient: String,
    group_id: String,
    org_id: String,
    service_id: String,
    mirror: RwLock<Mirror>,
}

#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the mirror has no service {org_id}/{service_id} (is the indexer running and caught up?)")]
    NoService { org_id: String, service_id: String },
    #[error("the mirror holds a malformed {field}: {value}")]
    Malformed { field: &'static str, value: String },
}

const COLUMNS: &str =
    "channel_id, sender, recipient, signer, group_id, value::text AS value, nonce, expiration, updated_block";

impl ChannelCache {
    /// Loads the cache: every channel to (`recipient` SS58, `group_id`), the cursor and the price.
    pub async fn load(
        pool: PgPool,
        recipient: String,
        group_id: String,
        org_id: String,
        service_id: String,
    ) -> Result<Arc<Self>, MirrorError> {
        let cache = Arc::new(Self { pool, recipient, group_id, org_id, service_id, mirror: RwLock::default() });
        cache.refresh().await?;
        Ok(cache)
    }

    /// Reloads what changed since the last refresh: channels, cursor and price.
    pub async fn refresh(&self) -> Result<(), MirrorError> {
        let since = self.mirror.read().expect("mirror lock").seen_block;
        let sql =
            format!("SELECT {COLUMNS} FROM channels WHERE recipient = $1 AND group_id = $2 AND updated_block >= $3");
        let rows = sqlx::query(&sql)
            .bind(&self.recipient)
            .bind(&self.group_id)
            .bind(since as i64)
            .fetch_all(&self.pool)
            .await?;
        let channels = rows.iter().map(facts_from_row).collect::<Result<Vec<_>, _>>()?;
        let head = sqlx::query(
            "SELECT (SELECT block_number FROM indexer_cursor) AS block, \
             (SELECT price_per_call::text FROM services WHERE org_id = $1 AND service_id = $2) AS price",
        )
        .bind(&self.org_id)
        .bind(&self.service_id)
        .fetch_one(&self.pool)
        .await?;
        let block: Option<i64> = head.try_get("block")?;
        let price: Option<String> = head.try_get("price")?;
        let price = price.ok_or_else(|| MirrorError::NoService {
            org_id: self.org_id.clone(),
            service_id: self.service_id.clone(),
        })?;
        let price = parse_planck("price_per_call", &price)?;
        let mut mirror = self.mirror.write().expect("mirror lock");
        for facts in channels {
            mirror.seen_block = mirror.seen_block.max(facts.updated_block);
            mirror.channels.insert(facts.channel_id, facts);
        }
        mirror.current_block = mirror.current_block.max(block.unwrap_or(0) as u64);
        mirror.price = price;
        Ok(())
    }

    /// The channel: from memory, or with one query if it is not cached (then cached if it is ours).
    /// `None` if the mirror does not know it.
    pub async fn channel(&self, channel_id: ChannelId) -> Result<Option<ChannelFacts>, MirrorError> {
        if let Some(facts) = self.mirror.read().expect("mirror lock").channels.get(&channel_id) {
            return Ok(Some(facts.clone()));
        }
        let sql = format!("SELECT {COLUMNS} FROM channels WHERE channel_id = $1");
        let Some(row) = sqlx::query(&sql).bind(channel_id as i64).fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        let facts = facts_from_row(&row)?;
        if self.is_ours(&facts) {
            let mut mirror = self.mirror.write().expect("mirror lock");
            let entry = mirror.channels.entry(channel_id).or_insert_with(|| facts.clone());
            if entry.updated_block < facts.updated_block {
                *entry = facts.clone();
            }
        }
        Ok(Some(facts))
    }

    /// Whether the channel pays this gateway's recipient for its group.
    pub fn is_ours(&self, facts: &ChannelFacts) -> bool {
        facts.recipient == self.recipient && facts.group_id == self.group_id
    }

    /// The last finalized block the indexer has mirrored.
    pub fn current_block(&self) -> u64 {
        self.mirror.read().expect("mirror lock").current_block
    }

    /// The service's price per call, planck, as the registry says.
    pub fn price(&self) -> Balance {
        self.mirror.read().expect("mirror lock").price
    }

    /// Every cached channel of this gateway.
    pub fn channels(&self) -> Vec<ChannelFacts> {
        self.mirror.read().expect("mirror lock").channels.values().cloned().collect()
    }

    /// Keeps the cache fresh until `shutdown`: refresh on every NOTIFY and every five seconds.
    pub async fn follow(self: Arc<Self>, shutdown: CancellationToken) {
        loop {
            let mut listener = match PgListener::connect_with(&self.pool).await {
                Ok(listener) => listener,
                Err(e) => {
                    tracing::warn!("mirror listener: {e}; retrying in 1 s");
                    tokio::select! { _ = shutdown.cancelled() => return, _ = tokio::time::sleep(Duration::from_secs(1)) => continue }
                }
            };
            if let Err(e) = listener.listen(NOTIFY_CHANNEL).await {
                tracing::warn!("LISTEN {NOTIFY_CHANNEL}: {e}; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            // Anything committed while we were not listening.
            self.refresh_logged().await;
            let mut timer = tokio::time::interval(Duration::from_secs(5));
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = timer.tick() => self.refresh_logged().await,
                    notification = listener.try_recv() => match notification {
                        Ok(Some(_)) => self.refresh_logged().await,
                        Ok(None) => { self.refresh_logged().await; } // reconnected: notifications may be lost
                        Err(e) => { tracing::warn!("mirror listener: {e}"); break; }
                    },
                }
            }
        }
    }

    async fn refresh_logged(&self) {
        if let Err(e) = self.refresh().await {
            tracing::warn!("refreshing the channel cache: {e}");
        }
    }
}

fn facts_from_row(row: &sqlx::postgres::PgRow) -> Result<ChannelFacts, MirrorError> {
    let signer: Vec<u8> = row.try_get("signer")?;
    let signer: SignerKey = signer
        .try_into()
        .map_err(|v: Vec<u8>| MirrorError::Malformed { field: "channels.signer", value: hex::encode(v) })?;
    let value: String = row.try_get("value")?;
    let expiration: i64 = row.try_get("expiration")?;
    Ok(ChannelFacts {
        channel_id: row.try_get::<i64, _>("channel_id")? as ChannelId,
        sender: row.try_get("sender")?,
        recipient: row.try_get("recipient")?,
        signer,
        group_id: row.try_get("group_id")?,
        value: parse_planck("channels.value", &value)?,
        nonce: row.try_get::<i64, _>("nonce")? as Nonce,
        expiration: u32::try_from(expiration)
            .map_err(|_| MirrorError::Malformed { field: "channels.expiration", value: expiration.to_string() })?,
        updated_block: row.try_get::<i64, _>("updated_block")? as u64,
    })
}

/// Parses a NUMERIC(39,0) planck amount read as text.
pub fn parse_planck(field: &'static str, text: &str) -> Result<Balance, MirrorError> {
    text.parse().map_err(|_| MirrorError::Malformed { field, value: text.to_string() })
}
