//! Metering records' rows: `gateway_metering` (migrations/0005), the latest accepted record
//! of each agreement.

use crate::big;
use crate::versioned::{RowLock, StoreError, Table, Versioned, VersionedStore, Write};
use osiris_contract_types::agreements::AgreementId;
use osiris_contract_types::PaymentSignature;
use osiris_payments::metering::id_text;
use osiris_payments::{AgreementFacts, MeteredDeal, MeteringRecord, MeteringState};
use sqlx::postgres::PgConnection;
use sqlx::Row;
use std::collections::HashMap;

/// The metering records' store.
pub type MeteringStore = VersionedStore<MeteringTable>;

/// `gateway_metering`, keyed by agreement id.
#[derive(Debug, Clone, Copy, Default)]
pub struct MeteringTable;

const LOAD: &str = "SELECT agreement_id, units, amount::text AS amount, signature, calls, version
     FROM gateway_metering WHERE agreement_id = ANY($1)";

/// Every row in one statement (version 0: no row yet).
const WRITE: &str = "\
WITH i AS (
    SELECT * FROM unnest($1::bytea[], $2::bigint[], $3::bigint[], $4::numeric[], $5::bytea[], $6::bigint[])
        AS i(agreement_id, expected, units, amount, signature, calls)),
updated AS (
    UPDATE gateway_metering m
       SET units = i.units, amount = i.amount, signature = i.signature, calls = i.calls,
           version = m.version + 1, updated_at = now()
      FROM i WHERE m.agreement_id = i.agreement_id AND m.version = i.expected AND i.expected > 0
    RETURNING m.agreement_id),
inserted AS (
    INSERT INTO gateway_metering (agreement_id, units, amount, signature, calls, version)
    SELECT agreement_id, units, amount, signature, calls, 1 FROM i WHERE i.expected = 0
    ON CONFLICT (agreement_id) DO NOTHING
    RETURNING agreement_id)
SELECT agreement_id FROM updated UNION ALL SELECT agreement_id FROM inserted";

impl Table for MeteringTable {
    type Deal = MeteredDeal;
    type Key = AgreementId;

    fn key(record: &MeteringRecord) -> AgreementId {
        record.agreement_id
    }

    fn describe(agreement_id: &AgreementId) -> String {
        format!("agreement {}", id_text(agreement_id))
    }

    async fn load(
        &self,
        db: &mut PgConnection,
        keys: &[(AgreementId, &AgreementFacts)],
        lock: RowLock,
    ) -> Result<HashMap<AgreementId, Versioned<MeteringState>>, StoreError> {
        let sql = lock.sql(LOAD, "FOR UPDATE");
        let ids: Vec<Vec<u8>> = keys.iter().map(|(id, _)| id.to_vec()).collect();
        let rows = sqlx::query(&sql).bind(ids).fetch_all(db).await?;
        rows.iter()
            .map(|row| {
                let id: Vec<u8> = row.try_get("agreement_id")?;
                let malformed = |field| StoreError::Malformed {
                    table: "gateway_metering",
                    row: format!("agreement 0x{}", hex::encode(&id)),
                    field,
                };
                let agreement_id = AgreementId::try_from(id.as_slice()).map_err(|_| malformed("agreement_id"))?;
                let signature: Vec<u8> = row.try_get("signature")?;
                let amount: String = row.try_get("amount")?;
                let units: i64 = row.try_get("units")?;
                let calls: i64 = row.try_get("calls")?;
                let state = MeteringState {
                    agreement_id,
                    units: u64::try_from(units).map_err(|_| malformed("units"))?,
                    amount: amount.parse().map_err(|_| malformed("amount"))?,
                    signature: PaymentSignature::try_from(signature).map_err(|_| malformed("signature"))?,
                    calls: u64::try_from(calls).map_err(|_| malformed("calls"))?,
                };
                Ok((agreement_id, Versioned { state: Some(state), version: row.try_get("version")? }))
            })
            .collect()
    }

    async fn write(&self, db: &mut PgConnection, writes: &[Write<'_, Self>]) -> Result<Vec<AgreementId>, StoreError> {
        let rows = || writes.iter().map(|w| w.state);
        let written: Vec<Vec<u8>> = sqlx::query_scalar(WRITE)
            .bind(rows().map(|r| r.agreement_id.to_vec()).collect::<Vec<_>>())
            .bind(writes.iter().map(|w| w.expected).collect::<Vec<_>>())
            .bind(rows().map(|r| big(r.units)).collect::<Vec<_>>())
            .bind(rows().map(|r| r.amount.to_string()).collect::<Vec<_>>())
            .bind(rows().map(|r| r.signature.to_vec()).collect::<Vec<_>>())
            .bind(rows().map(|r| big(r.calls)).collect::<Vec<_>>())
            .fetch_all(&mut *db)
            .await?;
        Ok(written.into_iter().filter_map(|id| AgreementId::try_from(id.as_slice()).ok()).collect())
    }
}
