//! Channel payments' rows: `gateway_payments` (migrations/0002, 0003 and 0017), one per
//! channel, with the planck of this gateway's claims the mirror does not show yet
//! (`gateway_claims` at or after the mirror's nonce) and the replicas' prepaid leases.
//!
//! Two deal kinds decide these rows: a channel's calls ([`ChannelDeal`], the
//! [`PaymentStore`]) and the replicas' shares of prepaid authorizations ([`LeaseDeal`], the
//! [`LeaseStore`]). Both write through the one conditional-write loop on the row's
//! version, so either sees what the other wrote.

use crate::versioned::{RowLock, StoreError, Table, Versioned, VersionedStore, Write};
use osiris_contract_types::{Balance, ChannelId, Nonce, PaymentSignature};
use osiris_payments::{ChannelDeal, ChannelFacts, Deal, LeaseDeal, LeaseOp, Payment, PaymentState, PrepaidLease};
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::Row;
use std::collections::HashMap;

/// The channel payments' store.
pub type PaymentStore = VersionedStore<PaymentTable>;
/// The prepaid leases' store (the same rows).
pub type LeaseStore = VersionedStore<LeaseTable>;

/// `gateway_payments`, keyed by channel id, decided by the deal kind `D`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PaymentRows<D>(std::marker::PhantomData<D>);

/// The rows as channel calls decide them.
pub type PaymentTable = PaymentRows<ChannelDeal>;
/// The rows as lease operations decide them.
pub type LeaseTable = PaymentRows<LeaseDeal>;

/// A proof that names the channel whose row decides it.
pub trait OnChannel {
    fn channel_id(&self) -> ChannelId;
}

impl OnChannel for Payment {
    fn channel_id(&self) -> ChannelId {
        self.channel_id
    }
}

impl OnChannel for LeaseOp {
    fn channel_id(&self) -> ChannelId {
        LeaseOp::channel_id(self)
    }
}

const TABLE: &str = "gateway_payments";

const LOAD: &str = "\
SELECT i.channel_id, p.nonce, p.amount::text AS amount, p.signature, p.spent::text AS spent, p.calls, p.version,
       p.leases::text AS leases, p.recalled,
       (SELECT COALESCE(sum(c.spent), 0)::text FROM gateway_claims c
         WHERE c.channel_id = i.channel_id AND c.nonce >= i.mirror_nonce) AS claiming
FROM unnest($1::bigint[], $2::bigint[]) AS i(channel_id, mirror_nonce)
JOIN gateway_payments p ON p.channel_id = i.channel_id";

/// Every row in one statement (version 0: no row yet).
const WRITE: &str = "\
WITH i AS (
    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::numeric[], $5::bytea[], $6::numeric[], $7::bigint[],
                         $8::text[], $9::boolean[])
        AS i(channel_id, expected, nonce, amount, signature, spent, calls, leases, recalled)),
updated AS (
    UPDATE gateway_payments p
       SET nonce = i.nonce, amount = i.amount, signature = i.signature, spent = i.spent, calls = i.calls,
           leases = i.leases::jsonb, recalled = i.recalled, version = p.version + 1, updated_at = now()
      FROM i WHERE p.channel_id = i.channel_id AND p.version = i.expected AND i.expected > 0
    RETURNING p.channel_id),
inserted AS (
    INSERT INTO gateway_payments (channel_id, nonce, amount, signature, spent, calls, leases, recalled, version)
    SELECT channel_id, nonce, amount, signature, spent, calls, leases::jsonb, recalled, 1 FROM i WHERE i.expected = 0
    ON CONFLICT (channel_id) DO NOTHING
    RETURNING channel_id)
SELECT channel_id FROM updated UNION ALL SELECT channel_id FROM inserted";

/// The same conditional write for one row that exists (measured cheaper than the batch
/// statement with one row: no arrays to unnest, no CTEs).
const UPDATE_ONE: &str = "\
UPDATE gateway_payments
   SET nonce = $3, amount = $4::numeric, signature = $5, spent = $6::numeric, calls = $7,
       leases = $8::jsonb, recalled = $9, version = version + 1, updated_at = now()
 WHERE channel_id = $1 AND version = $2
RETURNING channel_id";

/// The same conditional write for one row that does not exist yet.
const INSERT_ONE: &str = "\
INSERT INTO gateway_payments (channel_id, nonce, amount, signature, spent, calls, leases, recalled, version)
VALUES ($1, $2, $3::numeric, $4, $5::numeric, $6, $7::jsonb, $8, 1)
ON CONFLICT (channel_id) DO NOTHING
RETURNING channel_id";

impl<D> Table for PaymentRows<D>
where
    D: Deal<Facts = ChannelFacts, State = PaymentState> + Send + Sync + 'static,
    D::Proof: OnChannel,
{
    type Deal = D;
    type Key = ChannelId;

    fn key(proof: &D::Proof) -> ChannelId {
        proof.channel_id()
    }

    fn describe(channel_id: &ChannelId) -> String {
        format!("channel {channel_id}")
    }

    async fn load(
        &self,
        db: &mut PgConnection,
        keys: &[(ChannelId, &ChannelFacts)],
        lock: RowLock,
    ) -> Result<HashMap<ChannelId, Versioned<PaymentState>>, StoreError> {
        let sql = lock.sql(LOAD, "FOR UPDATE OF p");
        // Claims at or after the mirror's nonce are still in flight.
        let rows = sqlx::query(&sql)
            .bind(keys.iter().map(|(id, _)| id.0 as i64).collect::<Vec<_>>())
            .bind(keys.iter().map(|(_, facts)| facts.nonce.0 as i64).collect::<Vec<_>>())
            .fetch_all(db)
            .await?;
        rows.iter()
            .map(|row| {
                let channel_id = ChannelId(row.try_get::<i64, _>("channel_id")? as u64);
                let mut state = state_from_row(channel_id, row)?;
                state.claiming = planck(channel_id, "claiming", row.try_get("claiming")?)?;
                Ok((channel_id, Versioned { state: Some(state), version: row.try_get("version")? }))
            })
            .collect()
    }

    async fn write(&self, db: &mut PgConnection, writes: &[Write<'_, Self>]) -> Result<Vec<ChannelId>, StoreError> {
        if let [one] = writes {
            let row = one.state;
            let query = match one.expected {
                0 => sqlx::query_scalar(INSERT_ONE).bind(row.channel_id.0 as i64),
                version => sqlx::query_scalar(UPDATE_ONE).bind(row.channel_id.0 as i64).bind(version),
            };
            let written: Option<i64> = query
                .bind(row.nonce.0 as i64)
                .bind(row.amount.to_string())
                .bind(row.signature.map(|s| s.to_vec()))
                .bind(row.spent.to_string())
                .bind(row.calls as i64)
                .bind(leases_json(&row.leases))
                .bind(row.recalled)
                .fetch_optional(&mut *db)
                .await?;
            return Ok(written.map(|id| ChannelId(id as u64)).into_iter().collect());
        }
        let rows = || writes.iter().map(|w| w.state);
        let written: Vec<i64> = sqlx::query_scalar(WRITE)
            .bind(rows().map(|r| r.channel_id.0 as i64).collect::<Vec<_>>())
            .bind(writes.iter().map(|w| w.expected).collect::<Vec<_>>())
            .bind(rows().map(|r| r.nonce.0 as i64).collect::<Vec<_>>())
            .bind(rows().map(|r| r.amount.to_string()).collect::<Vec<_>>())
            .bind(rows().map(|r| r.signature.map(|s| s.to_vec())).collect::<Vec<_>>())
            .bind(rows().map(|r| r.spent.to_string()).collect::<Vec<_>>())
            .bind(rows().map(|r| r.calls as i64).collect::<Vec<_>>())
            .bind(rows().map(|r| leases_json(&r.leases)).collect::<Vec<_>>())
            .bind(rows().map(|r| r.recalled).collect::<Vec<_>>())
            .fetch_all(&mut *db)
            .await?;
        Ok(written.into_iter().map(|id| ChannelId(id as u64)).collect())
    }
}

fn malformed(channel_id: ChannelId, field: &'static str) -> StoreError {
    StoreError::Malformed { table: TABLE, row: PaymentTable::describe(&channel_id), field }
}

/// The leases as the `leases` column holds them (migrations/0017).
fn leases_json(leases: &[PrepaidLease]) -> String {
    let leases: Vec<serde_json::Value> = leases
        .iter()
        .map(|l| {
            serde_json::json!({"replica": l.replica.to_string(), "reserved": l.reserved.to_string(), "expires_ms": l.expires_ms})
        })
        .collect();
    serde_json::Value::Array(leases).to_string()
}

fn leases_from_json(channel_id: ChannelId, text: &str) -> Result<Vec<PrepaidLease>, StoreError> {
    let bad = || malformed(channel_id, "leases");
    let leases: Vec<serde_json::Value> = serde_json::from_str(text).map_err(|_| bad())?;
    leases
        .iter()
        .map(|l| {
            Ok(PrepaidLease {
                replica: l["replica"].as_str().and_then(|r| r.parse().ok()).ok_or_else(bad)?,
                reserved: l["reserved"].as_str().and_then(|r| r.parse().ok()).ok_or_else(bad)?,
                expires_ms: l["expires_ms"].as_u64().ok_or_else(bad)?,
            })
        })
        .collect()
}

fn state_from_row(channel_id: ChannelId, row: &PgRow) -> Result<PaymentState, StoreError> {
    let signature: Option<Vec<u8>> = row.try_get("signature")?;
    let signature =
        signature.map(PaymentSignature::try_from).transpose().map_err(|_| malformed(channel_id, "signature"))?;
    let nonce: i64 = row.try_get("nonce")?;
    let calls: i64 = row.try_get("calls")?;
    Ok(PaymentState {
        channel_id,
        nonce: Nonce(u64::try_from(nonce).map_err(|_| malformed(channel_id, "nonce"))?),
        amount: planck(channel_id, "amount", row.try_get("amount")?)?,
        signature,
        spent: planck(channel_id, "spent", row.try_get("spent")?)?,
        calls: u64::try_from(calls).map_err(|_| malformed(channel_id, "calls"))?,
        claiming: 0,
        leases: leases_from_json(channel_id, &row.try_get::<String, _>("leases")?)?,
        recalled: row.try_get("recalled")?,
    })
}

fn planck(channel_id: ChannelId, field: &'static str, text: String) -> Result<Balance, StoreError> {
    text.parse().map_err(|_| malformed(channel_id, field))
}
