//! Escrow payment channels as the mirror's `channels` table holds them.

use crate::{parse_planck, to_u64, MirrorError};
use osiris_contract_types::{BlockNumber, ChannelId, Nonce, SignerKey};
pub use osiris_payments::facts::ChannelFacts;
use sqlx::postgres::{PgPool, PgRow};
use sqlx::Row;

const COLUMNS: &str =
    "channel_id, sender, recipient, signer, group_id, value::text AS value, nonce, expiration, updated_block";

/// One channel, `None` if the mirror does not know it (ids beyond `BIGINT` cannot be in it).
pub async fn channel(pool: &PgPool, channel_id: ChannelId) -> Result<Option<ChannelFacts>, MirrorError> {
    let Ok(id) = i64::try_from(channel_id.0) else {
        return Ok(None);
    };
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM channels WHERE channel_id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(facts_from_row).transpose()
}

/// The channels paying `recipient` (SS58) for `group_id` changed at or after block `since`.
pub async fn channels_paying(
    pool: &PgPool,
    recipient: &str,
    group_id: &str,
    since: u64,
) -> Result<Vec<ChannelFacts>, MirrorError> {
    let sql = format!("SELECT {COLUMNS} FROM channels WHERE recipient = $1 AND group_id = $2 AND updated_block >= $3");
    let rows = sqlx::query(&sql)
        .bind(recipient)
        .bind(group_id)
        .bind(i64::try_from(since).unwrap_or(i64::MAX))
        .fetch_all(pool)
        .await?;
    rows.iter().map(facts_from_row).collect()
}

/// The ids of every channel paying `recipient` (SS58), in any group.
pub async fn channel_ids_paying(pool: &PgPool, recipient: &str) -> Result<Vec<ChannelId>, MirrorError> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT channel_id FROM channels WHERE recipient = $1 ORDER BY channel_id")
        .bind(recipient)
        .fetch_all(pool)
        .await?;
    ids.into_iter().map(|id| to_u64("channels.channel_id", id).map(ChannelId)).collect()
}

fn facts_from_row(row: &PgRow) -> Result<ChannelFacts, MirrorError> {
    let signer: Vec<u8> = row.try_get("signer")?;
    let signer: SignerKey = signer
        .try_into()
        .map_err(|v: Vec<u8>| MirrorError::Malformed { field: "channels.signer", value: hex::encode(v) })?;
    let value: String = row.try_get("value")?;
    let expiration: i64 = row.try_get("expiration")?;
    Ok(ChannelFacts {
        channel_id: ChannelId(to_u64("channels.channel_id", row.try_get("channel_id")?)?),
        sender: row.try_get("sender")?,
        recipient: row.try_get("recipient")?,
        signer,
        group_id: row.try_get("group_id")?,
        value: parse_planck("channels.value", &value)?,
        nonce: Nonce(to_u64("channels.nonce", row.try_get("nonce")?)?),
        expiration: BlockNumber::try_from(expiration)
            .map_err(|_| MirrorError::Malformed { field: "channels.expiration", value: expiration.to_string() })?,
        updated_block: to_u64("channels.updated_block", row.try_get("updated_block")?)?,
    })
}
