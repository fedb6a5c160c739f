//! The escrow contract's rows: payment channels and balances.

use super::{parse_planck, to_i64, StoreError};
use crate::decode::OsirisEvent;
use crate::state::escrow::{self, Keys};
use crate::state::{ChannelRow, Snapshot};
use osiris_contract_types::{ChannelId, Nonce};
use sqlx::{Postgres, QueryBuilder, Row, Transaction};

/// Loads the channels `keys` name, then the balances of every account `events` change
/// (named in them, or senders of those channels).
pub(crate) async fn load(
    tx: &mut Transaction<'_, Postgres>,
    s: &mut Snapshot,
    keys: Keys,
    events: &[OsirisEvent],
) -> Result<(), StoreError> {
    if !keys.channels.is_empty() {
        load_channels(tx, s, keys.channels.into_iter().collect()).await?;
    }
    let accounts: Vec<String> = escrow::accounts_touched(events, &s.channels).into_iter().collect();
    if !accounts.is_empty() {
        load_balances(tx, s, accounts).await?;
    }
    Ok(())
}

async fn load_channels(
    tx: &mut Transaction<'_, Postgres>,
    s: &mut Snapshot,
    ids: Vec<ChannelId>,
) -> Result<(), StoreError> {
    s.channels = ids.iter().map(|c| (*c, None)).collect();
    let ids: Vec<i64> = ids.into_iter().map(|id| to_i64(id.0)).collect();
    let rows = sqlx::query(
        "SELECT channel_id, sender, recipient, signer, group_id, value::text AS value, nonce, expiration, opened_block
         FROM channels WHERE channel_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(&mut **tx)
    .await?;
    for r in rows {
        let row = channel_row(&r)?;
        s.channels.insert(row.channel_id, Some(row));
    }
    Ok(())
}

async fn load_balances(
    tx: &mut Transaction<'_, Postgres>,
    s: &mut Snapshot,
    accounts: Vec<String>,
) -> Result<(), StoreError> {
    let rows = sqlx::query("SELECT account, balance::text AS balance FROM escrow_balances WHERE account = ANY($1)")
        .bind(&accounts)
        .fetch_all(&mut **tx)
        .await?;
    s.balances = accounts.into_iter().map(|a| (a, 0)).collect();
    for r in rows {
        s.balances.insert(r.try_get("account")?, parse_planck(r.try_get("balance")?, "escrow_balances")?);
    }
    Ok(())
}

/// A `channels` row as the fold holds it.
pub(crate) fn channel_row(r: &sqlx::postgres::PgRow) -> Result<ChannelRow, StoreError> {
    Ok(ChannelRow {
        channel_id: ChannelId(r.try_get::<i64, _>("channel_id")? as u64),
        sender: r.try_get("sender")?,
        recipient: r.try_get("recipient")?,
        signer: r.try_get("signer")?,
        group_id: r.try_get("group_id")?,
        value: parse_planck(r.try_get("value")?, "channels")?,
        nonce: Nonce(r.try_get::<i64, _>("nonce")? as u64),
        expiration: u32::try_from(r.try_get::<i64, _>("expiration")?).map_err(|_| StoreError::Corrupt("channels"))?,
        opened_block: r.try_get::<i64, _>("opened_block")? as u64,
    })
}

/// Writes `s`'s channels and balances back (channels are never deleted).
pub(crate) async fn write(tx: &mut Transaction<'_, Postgres>, s: &Snapshot, block: i64) -> Result<(), StoreError> {
    let channels: Vec<&ChannelRow> = s.channels.values().flatten().collect();
    if !channels.is_empty() {
        let mut q = QueryBuilder::<Postgres>::new(
            "INSERT INTO channels (channel_id, sender, recipient, signer, group_id, value, nonce, expiration, opened_block, updated_block) ",
        );
        q.push_values(channels, |mut b, c| {
            b.push_bind(to_i64(c.channel_id.0))
                .push_bind(&c.sender)
                .push_bind(&c.recipient)
                .push_bind(&c.signer)
                .push_bind(&c.group_id)
                .push_bind(c.value.to_string())
                .push_unseparated("::numeric")
                .push_bind(to_i64(c.nonce.0))
                .push_bind(i64::from(c.expiration))
                .push_bind(to_i64(c.opened_block))
                .push_bind(block);
        });
        q.push(
            " ON CONFLICT (channel_id) DO UPDATE SET value = EXCLUDED.value, nonce = EXCLUDED.nonce,
              expiration = EXCLUDED.expiration, updated_block = EXCLUDED.updated_block",
        );
        q.build().execute(&mut **tx).await?;
    }

    if !s.balances.is_empty() {
        let mut q = QueryBuilder::<Postgres>::new("INSERT INTO escrow_balances (account, balance, updated_block) ");
        q.push_values(&s.balances, |mut b, (account, balance)| {
            b.push_bind(account).push_bind(balance.to_string()).push_unseparated("::numeric").push_bind(block);
        });
        q.push(
            " ON CONFLICT (account) DO UPDATE SET balance = EXCLUDED.balance, updated_block = EXCLUDED.updated_block",
        );
        q.build().execute(&mut **tx).await?;
    }
    Ok(())
}
