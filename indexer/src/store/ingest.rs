//! Committing one finalized block: its events, the state they change, and the cursor,
//! in one transaction, followed by a NOTIFY. Rows are loaded and written in
//! multi-row statements, never one statement per event.

use super::{created_at, parse_planck, to_i64, Store, StoreError, NOTIFY_CHANNEL};
use crate::decode::{ContractKind, OsirisEvent};
use crate::state::{self, ChannelRow, GroupRow, OrgRow, ServiceRow, Snapshot};
use osiris_contract_types::{ChannelId, Nonce};
use sqlx::{Postgres, QueryBuilder, Row, Transaction};

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
    if !keys.orgs.is_empty() {
        load_orgs(tx, &mut s, keys.orgs.into_iter().collect()).await?;
    }
    if !keys.services.is_empty() {
        load_services(tx, &mut s, keys.services.into_iter().unzip()).await?;
    }
    if !keys.channels.is_empty() {
        load_channels(tx, &mut s, keys.channels.into_iter().collect()).await?;
    }
    let accounts: Vec<String> = state::accounts_touched(events, &s.channels).into_iter().collect();
    if !accounts.is_empty() {
        load_balances(tx, &mut s, accounts).await?;
    }
    super::agreements::load(tx, &mut s, keys.agreements, events).await?;
    super::ddc::load(tx, &mut s, keys.ddc, events).await?;
    Ok(s)
}

async fn load_orgs(tx: &mut Transaction<'_, Postgres>, s: &mut Snapshot, ids: Vec<String>) -> Result<(), StoreError> {
    s.orgs = ids.iter().map(|id| (id.clone(), None)).collect();
    let rows = sqlx::query(
        "SELECT org_id, owner, members, name, uri, content_hash, created_block, created_event FROM organizations WHERE org_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(&mut **tx)
    .await?;
    for r in rows {
        let row = OrgRow {
            org_id: r.try_get("org_id")?,
            owner: r.try_get("owner")?,
            members: r.try_get("members")?,
            name: r.try_get("name")?,
            uri: r.try_get("uri")?,
            content_hash: r.try_get("content_hash")?,
            created: created_at(&r)?,
        };
        s.orgs.insert(row.org_id.clone(), Some(row));
    }
    Ok(())
}

async fn load_services(
    tx: &mut Transaction<'_, Postgres>,
    s: &mut Snapshot,
    (orgs, services): (Vec<String>, Vec<String>),
) -> Result<(), StoreError> {
    s.services = orgs.iter().cloned().zip(services.iter().cloned()).map(|k| (k, None)).collect();
    let rows = sqlx::query(
        "SELECT s.org_id, s.service_id, s.name, s.uri, s.content_hash, s.price_per_call::text AS price, s.created_block, s.created_event
         FROM services s JOIN UNNEST($1::text[], $2::text[]) AS k(org_id, service_id) USING (org_id, service_id)",
    )
    .bind(&orgs)
    .bind(&services)
    .fetch_all(&mut **tx)
    .await?;
    for r in rows {
        let row = ServiceRow {
            org_id: r.try_get("org_id")?,
            service_id: r.try_get("service_id")?,
            name: r.try_get("name")?,
            uri: r.try_get("uri")?,
            content_hash: r.try_get("content_hash")?,
            price_per_call: parse_planck(r.try_get("price")?, "services")?,
            groups: Vec::new(),
            created: created_at(&r)?,
        };
        s.services.insert((row.org_id.clone(), row.service_id.clone()), Some(row));
    }
    let rows = sqlx::query(
        "SELECT g.org_id, g.service_id, g.group_id, g.payment_recipient, g.endpoints
         FROM service_groups g JOIN UNNEST($1::text[], $2::text[]) AS k(org_id, service_id) USING (org_id, service_id)
         ORDER BY g.org_id, g.service_id, g.position",
    )
    .bind(&orgs)
    .bind(&services)
    .fetch_all(&mut **tx)
    .await?;
    for r in rows {
        let key = (r.try_get::<String, _>("org_id")?, r.try_get::<String, _>("service_id")?);
        if let Some(Some(service)) = s.services.get_mut(&key) {
            service.groups.push(GroupRow {
                group_id: r.try_get("group_id")?,
                payment_recipient: r.try_get("payment_recipient")?,
                endpoints: r.try_get("endpoints")?,
            });
        }
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

/// Where a row was created: (created_block, created_event).
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

/// Writes the snapshot back: deletes what is gone, upserts what exists.
async fn write_snapshot(tx: &mut Transaction<'_, Postgres>, s: &Snapshot, block: u64) -> Result<(), StoreError> {
    let block = to_i64(block);
    let gone: Vec<&String> = s.orgs.iter().filter(|(_, v)| v.is_none()).map(|(k, _)| k).collect();
    if !gone.is_empty() {
        sqlx::query("DELETE FROM organizations WHERE org_id = ANY($1)").bind(gone).execute(&mut **tx).await?;
    }
    let orgs: Vec<&OrgRow> = s.orgs.values().flatten().collect();
    if !orgs.is_empty() {
        let mut q = QueryBuilder::<Postgres>::new(
            "INSERT INTO organizations (org_id, owner, members, name, uri, content_hash, created_block, created_event, updated_block) ",
        );
        q.push_values(orgs, |mut b, o| {
            b.push_bind(&o.org_id)
                .push_bind(&o.owner)
                .push_bind(&o.members)
                .push_bind(&o.name)
                .push_bind(&o.uri)
                .push_bind(&o.content_hash)
                .push_bind(to_i64(o.created.0))
                .push_bind(o.created.1 as i32)
                .push_bind(block);
        });
        q.push(
            " ON CONFLICT (org_id) DO UPDATE SET owner = EXCLUDED.owner, members = EXCLUDED.members, name = EXCLUDED.name,
              uri = EXCLUDED.uri, content_hash = EXCLUDED.content_hash, updated_block = EXCLUDED.updated_block",
        );
        q.build().execute(&mut **tx).await?;
    }

    // Services: delete every touched one's groups (and the deleted services), then write what exists.
    if !s.services.is_empty() {
        let (orgs, ids): (Vec<String>, Vec<String>) = s.services.keys().cloned().unzip();
        sqlx::query(
            "DELETE FROM service_groups g USING UNNEST($1::text[], $2::text[]) AS k(org_id, service_id)
             WHERE g.org_id = k.org_id AND g.service_id = k.service_id",
        )
        .bind(&orgs)
        .bind(&ids)
        .execute(&mut **tx)
        .await?;
        let (gone_orgs, gone_ids): (Vec<String>, Vec<String>) =
            s.services.iter().filter(|(_, v)| v.is_none()).map(|(k, _)| k.clone()).unzip();
        if !gone_orgs.is_empty() {
            sqlx::query(
                "DELETE FROM services s USING UNNEST($1::text[], $2::text[]) AS k(org_id, service_id)
                 WHERE s.org_id = k.org_id AND s.service_id = k.service_id",
            )
            .bind(&gone_orgs)
            .bind(&gone_ids)
            .execute(&mut **tx)
            .await?;
        }
    }
    let services: Vec<&ServiceRow> = s.services.values().flatten().collect();
    if !services.is_empty() {
        let mut q = QueryBuilder::<Postgres>::new(
            "INSERT INTO services (org_id, service_id, name, uri, content_hash, price_per_call, created_block, created_event, updated_block) ",
        );
        q.push_values(&services, |mut b, v| {
            b.push_bind(&v.org_id)
                .push_bind(&v.service_id)
                .push_bind(&v.name)
                .push_bind(&v.uri)
                .push_bind(&v.content_hash)
                .push_bind(v.price_per_call.to_string())
                .push_unseparated("::numeric")
                .push_bind(to_i64(v.created.0))
                .push_bind(v.created.1 as i32)
                .push_bind(block);
        });
        q.push(
            " ON CONFLICT (org_id, service_id) DO UPDATE SET name = EXCLUDED.name, uri = EXCLUDED.uri,
              content_hash = EXCLUDED.content_hash, price_per_call = EXCLUDED.price_per_call, updated_block = EXCLUDED.updated_block",
        );
        q.build().execute(&mut **tx).await?;
        let groups: Vec<(&ServiceRow, usize, &GroupRow)> =
            services.iter().flat_map(|v| v.groups.iter().enumerate().map(move |(i, g)| (*v, i, g))).collect();
        if !groups.is_empty() {
            let mut q = QueryBuilder::<Postgres>::new(
                "INSERT INTO service_groups (org_id, service_id, group_id, position, payment_recipient, endpoints) ",
            );
            q.push_values(groups, |mut b, (v, i, g)| {
                b.push_bind(&v.org_id)
                    .push_bind(&v.service_id)
                    .push_bind(&g.group_id)
                    .push_bind(i as i32)
                    .push_bind(&g.payment_recipient)
                    .push_bind(&g.endpoints);
            });
            q.build().execute(&mut **tx).await?;
        }
    }

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
    super::agreements::write(tx, s, block).await?;
    super::ddc::write(tx, s, block).await
}
