//! The latest accepted metering record of each agreement, durable and shared in PostgreSQL
//! (`gateway_metering`, migrations/0005).
//!
//! A record is decided by [`decide_metered`] against the agreement's stored record and the
//! state it decided is written **on condition that the row is still the version it was
//! decided from**; a write that loses (another replica) reloads the row and decides again.
//! So gateways sharing the database never accept the same record twice, and an accepted
//! record is committed before its call is answered (with the same [`Durability`] choice
//! as channel payments).

use crate::metering::{decide_metered, MeteringRecord, MeteringState, ServiceTerms};
use crate::refusal::Refusal;
use crate::store::Durability;
use osiris_contract_types::agreements::AgreementId;
use osiris_contract_types::PaymentSignature;
use osiris_mirror::AgreementFacts;
use sqlx::postgres::PgPool;
use sqlx::Row;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Conditional writes one record may lose to other replicas before it is answered UNAVAILABLE.
pub const MAX_WRITE_ATTEMPTS: usize = 8;

/// Errors of the metering store's database.
#[derive(Debug, thiserror::Error)]
pub enum MeteringStoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("gateway_metering holds a malformed {field} for agreement {agreement_id}")]
    Malformed { agreement_id: String, field: &'static str },
}

impl From<MeteringStoreError> for Refusal {
    fn from(e: MeteringStoreError) -> Self {
        Refusal::Unavailable(e.to_string())
    }
}

const INSERT: &str = "INSERT INTO gateway_metering (agreement_id, units, amount, signature, calls, version)
     VALUES ($1, $2, $3::numeric, $4, $5, 1) ON CONFLICT (agreement_id) DO NOTHING";
const INSERT_RELAXED: &str = "WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true))
     INSERT INTO gateway_metering (agreement_id, units, amount, signature, calls, version)
     SELECT $1, $2, $3::numeric, $4, $5, 1 FROM relaxed ON CONFLICT (agreement_id) DO NOTHING";
const UPDATE: &str = "UPDATE gateway_metering SET units = $2, amount = $3::numeric, signature = $4, calls = $5,
            version = version + 1, updated_at = now()
     WHERE agreement_id = $1 AND version = $6";
const UPDATE_RELAXED: &str = "WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true))
     UPDATE gateway_metering SET units = $2, amount = $3::numeric, signature = $4, calls = $5,
            version = version + 1, updated_at = now()
     FROM relaxed WHERE agreement_id = $1 AND version = $6";

/// A stored row and the version it was read or written at (0: no row).
type Versioned = (Option<MeteringState>, i64);

/// The metering store: PostgreSQL plus this replica's copy of the rows it has seen.
#[derive(Debug, Clone)]
pub struct MeteringStore {
    pool: PgPool,
    durability: Durability,
    local: Arc<Mutex<HashMap<AgreementId, Versioned>>>,
}

impl MeteringStore {
    pub fn new(pool: PgPool, durability: Durability) -> Self {
        Self { pool, durability, local: Arc::default() }
    }

    /// The database pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// This replica's copy of an agreement's latest record (may be behind the database).
    pub fn cached(&self, agreement_id: &AgreementId) -> Option<MeteringState> {
        self.local.lock().expect("metering lock").get(agreement_id).and_then(|(s, _)| s.clone())
    }

    /// Reads an agreement's latest record from the database and refreshes the local copy.
    pub async fn load(&self, agreement_id: &AgreementId) -> Result<Option<MeteringState>, MeteringStoreError> {
        Ok(self.reload(agreement_id).await?.0)
    }

    async fn reload(&self, agreement_id: &AgreementId) -> Result<Versioned, MeteringStoreError> {
        let row = sqlx::query(
            "SELECT units, amount::text AS amount, signature, calls, version FROM gateway_metering WHERE agreement_id = $1",
        )
        .bind(agreement_id.as_slice())
        .fetch_optional(&self.pool)
        .await?;
        let versioned = match row {
            None => (None, 0),
            Some(row) => {
                let malformed = |field| MeteringStoreError::Malformed {
                    agreement_id: crate::metering::id_text(agreement_id),
                    field,
                };
                let signature: Vec<u8> = row.try_get("signature")?;
                let amount: String = row.try_get("amount")?;
                let units: i64 = row.try_get("units")?;
                let calls: i64 = row.try_get("calls")?;
                let state = MeteringState {
                    agreement_id: *agreement_id,
                    units: u64::try_from(units).map_err(|_| malformed("units"))?,
                    amount: amount.parse().map_err(|_| malformed("amount"))?,
                    signature: PaymentSignature::try_from(signature).map_err(|_| malformed("signature"))?,
                    calls: u64::try_from(calls).map_err(|_| malformed("calls"))?,
                };
                (Some(state), row.try_get("version")?)
            }
        };
        self.local.lock().expect("metering lock").insert(*agreement_id, versioned.clone());
        Ok(versioned)
    }

    /// Decides `record` (its signature already verified) against the stored record and
    /// writes the decided state; the state after the call once it is committed, or the
    /// refusal. A write lost to another replica is decided again against the new row.
    pub async fn accept(
        &self,
        record: &MeteringRecord,
        facts: &AgreementFacts,
        terms: &ServiceTerms,
    ) -> Result<MeteringState, Refusal> {
        let id = record.agreement_id;
        let mut current = self.local.lock().expect("metering lock").get(&id).cloned();
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let (stored, version) = match current.take() {
                Some(v) => v,
                None => self.reload(&id).await?,
            };
            // A copy behind the database only lowers the bar (records only rise), so a
            // refusal stands; an acceptance is confirmed by the conditional write.
            let next = decide_metered(record, facts, stored.as_ref(), terms)?;
            if self.write(&next, version).await? {
                self.local.lock().expect("metering lock").insert(id, (Some(next.clone()), version + 1));
                return Ok(next);
            }
        }
        Err(Refusal::Unavailable(format!(
            "agreement {}'s metering row kept changing under {MAX_WRITE_ATTEMPTS} attempts; retry",
            crate::metering::id_text(&id)
        )))
    }

    /// Writes `state` if the row is still at `version` (0: absent); whether it did. One
    /// statement in its own transaction: one round trip. Relaxed durability sets
    /// `synchronous_commit = off` for that transaction alone (`set_config(…, true)` in the
    /// statement, still in force when it commits).
    async fn write(&self, state: &MeteringState, version: i64) -> Result<bool, MeteringStoreError> {
        let relaxed = self.durability == Durability::Relaxed;
        let sql = match (version == 0, relaxed) {
            (true, false) => INSERT,
            (true, true) => INSERT_RELAXED,
            (false, false) => UPDATE,
            (false, true) => UPDATE_RELAXED,
        };
        let query = sqlx::query(sql)
            .bind(state.agreement_id.as_slice())
            .bind(i64::try_from(state.units).unwrap_or(i64::MAX))
            .bind(state.amount.to_string())
            .bind(state.signature.as_slice())
            .bind(i64::try_from(state.calls).unwrap_or(i64::MAX));
        let query = if version == 0 { query } else { query.bind(version) };
        let done = query.execute(&self.pool).await?;
        Ok(done.rows_affected() == 1)
    }
}
