//! Free-call counts' rows: `gateway_free_calls` (migrations/0007, versioned by 0009), one
//! per consumer key of a service, shared by the service's gateways so that replicas
//! together never give a consumer more than its allowance.

use crate::big;
use crate::versioned::{RowLock, StoreError, Table, Versioned, VersionedStore, Write};
use osiris_contract_types::SignerKey;
use osiris_payments::deal::CheckedFreeCall;
use osiris_payments::free_calls::FreeCallState;
use osiris_payments::FreeCallDeal;
use sqlx::postgres::PgConnection;
use sqlx::Row;
use std::collections::HashMap;

/// The free-call counts' store of one service.
pub type FreeCallStore = VersionedStore<FreeCallTable>;

/// `gateway_free_calls` rows of one service, keyed by the consumer's key.
#[derive(Debug, Clone)]
pub struct FreeCallTable {
    pub org_id: String,
    pub service_id: String,
}

const LOAD: &str = "SELECT caller, period_start_ms, used, last_timestamp_ms, version FROM gateway_free_calls
     WHERE org_id = $1 AND service_id = $2 AND caller = ANY($3)";

/// Every row in one statement (version 0: no row yet).
const WRITE: &str = "\
WITH i AS (
    SELECT * FROM unnest($3::bytea[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[])
        AS i(caller, expected, period_start_ms, used, last_timestamp_ms)),
updated AS (
    UPDATE gateway_free_calls f
       SET period_start_ms = i.period_start_ms, used = i.used, last_timestamp_ms = i.last_timestamp_ms,
           version = f.version + 1
      FROM i WHERE f.org_id = $1 AND f.service_id = $2 AND f.caller = i.caller
                   AND f.version = i.expected AND i.expected > 0
    RETURNING f.caller),
inserted AS (
    INSERT INTO gateway_free_calls (org_id, service_id, caller, period_start_ms, used, last_timestamp_ms, version)
    SELECT $1, $2, caller, period_start_ms, used, last_timestamp_ms, 1 FROM i WHERE i.expected = 0
    ON CONFLICT (org_id, service_id, caller) DO NOTHING
    RETURNING caller)
SELECT caller FROM updated UNION ALL SELECT caller FROM inserted";

impl Table for FreeCallTable {
    type Deal = FreeCallDeal;
    type Key = SignerKey;

    fn key(call: &CheckedFreeCall) -> SignerKey {
        call.caller
    }

    fn describe(caller: &SignerKey) -> String {
        format!("the free-call count of consumer 0x{}", hex::encode(caller))
    }

    async fn load(
        &self,
        db: &mut PgConnection,
        keys: &[(SignerKey, &())],
        lock: RowLock,
    ) -> Result<HashMap<SignerKey, Versioned<FreeCallState>>, StoreError> {
        let sql = lock.sql(LOAD, "FOR UPDATE");
        let callers: Vec<Vec<u8>> = keys.iter().map(|(k, _)| k.to_vec()).collect();
        let rows = sqlx::query(&sql).bind(&self.org_id).bind(&self.service_id).bind(callers).fetch_all(db).await?;
        rows.iter()
            .map(|row| {
                let caller: Vec<u8> = row.try_get("caller")?;
                let malformed = |field| StoreError::Malformed {
                    table: "gateway_free_calls",
                    row: format!("consumer 0x{}", hex::encode(&caller)),
                    field,
                };
                let unsigned = |field: &'static str| -> Result<u64, StoreError> {
                    let value: i64 = row.try_get(field)?;
                    u64::try_from(value).map_err(|_| malformed(field))
                };
                let state = FreeCallState {
                    period_start_ms: unsigned("period_start_ms")?,
                    used: unsigned("used")?,
                    last_timestamp_ms: unsigned("last_timestamp_ms")?,
                };
                let key = SignerKey::try_from(caller.as_slice()).map_err(|_| malformed("caller"))?;
                Ok((key, Versioned { state: Some(state), version: row.try_get("version")? }))
            })
            .collect()
    }

    async fn write(&self, db: &mut PgConnection, writes: &[Write<'_, Self>]) -> Result<Vec<SignerKey>, StoreError> {
        let rows = || writes.iter().map(|w| w.state);
        let written: Vec<Vec<u8>> = sqlx::query_scalar(WRITE)
            .bind(&self.org_id)
            .bind(&self.service_id)
            .bind(writes.iter().map(|w| w.key.to_vec()).collect::<Vec<_>>())
            .bind(writes.iter().map(|w| w.expected).collect::<Vec<_>>())
            .bind(rows().map(|r| big(r.period_start_ms)).collect::<Vec<_>>())
            .bind(rows().map(|r| big(r.used)).collect::<Vec<_>>())
            .bind(rows().map(|r| big(r.last_timestamp_ms)).collect::<Vec<_>>())
            .fetch_all(&mut *db)
            .await?;
        Ok(written.into_iter().filter_map(|k| SignerKey::try_from(k.as_slice()).ok()).collect())
    }
}
