//! Free-call counts in PostgreSQL (`gateway_free_calls`, migrations/0007), shared by a
//! service's gateways. A call is decided by [`decide_free`] against the consumer's stored
//! count and the count it decided is written **on condition that the row is still what it
//! was decided from**; a write lost to another replica reloads the row and decides again,
//! so replicas together never give a consumer more than its allowance.

use crate::free_calls::{decide_free, FreeCallState, FreeCallTerms};
use crate::refusal::Refusal;
use osiris_contract_types::SignerKey;
use sqlx::postgres::PgPool;
use sqlx::Row;

/// Conditional writes one free call may lose to other replicas before it is answered UNAVAILABLE.
pub const MAX_WRITE_ATTEMPTS: usize = 8;

/// Errors of the free-call store's database.
#[derive(Debug, thiserror::Error)]
pub enum FreeCallStoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("gateway_free_calls holds a negative {0}")]
    Malformed(&'static str),
}

impl From<FreeCallStoreError> for Refusal {
    fn from(e: FreeCallStoreError) -> Self {
        Refusal::Unavailable(e.to_string())
    }
}

const INSERT: &str =
    "INSERT INTO gateway_free_calls (org_id, service_id, caller, period_start_ms, used, last_timestamp_ms)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (org_id, service_id, caller) DO NOTHING";
const UPDATE: &str = "UPDATE gateway_free_calls SET period_start_ms = $4, used = $5, last_timestamp_ms = $6
     WHERE org_id = $1 AND service_id = $2 AND caller = $3
       AND period_start_ms = $7 AND used = $8 AND last_timestamp_ms = $9";

/// The free calls of one service.
#[derive(Debug, Clone)]
pub struct FreeCallStore {
    pool: PgPool,
    org_id: String,
    service_id: String,
}

impl FreeCallStore {
    pub fn new(pool: PgPool, org_id: String, service_id: String) -> Self {
        Self { pool, org_id, service_id }
    }

    /// A consumer's stored count (`None`: it has made no free call).
    pub async fn load(&self, caller: &SignerKey) -> Result<Option<FreeCallState>, FreeCallStoreError> {
        let row = sqlx::query(
            "SELECT period_start_ms, used, last_timestamp_ms FROM gateway_free_calls
             WHERE org_id = $1 AND service_id = $2 AND caller = $3",
        )
        .bind(&self.org_id)
        .bind(&self.service_id)
        .bind(caller.as_slice())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let unsigned = |field: &'static str| -> Result<u64, FreeCallStoreError> {
            let value: i64 = row.try_get(field)?;
            u64::try_from(value).map_err(|_| FreeCallStoreError::Malformed(field))
        };
        Ok(Some(FreeCallState {
            period_start_ms: unsigned("period_start_ms")?,
            used: unsigned("used")?,
            last_timestamp_ms: unsigned("last_timestamp_ms")?,
        }))
    }

    /// Decides a free call at `timestamp_ms` by `caller` (its signature already verified)
    /// and commits the new count; the count after the call, or the refusal.
    pub async fn accept(
        &self,
        caller: &SignerKey,
        timestamp_ms: u64,
        terms: &FreeCallTerms,
    ) -> Result<FreeCallState, Refusal> {
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let stored = self.load(caller).await?;
            let next = decide_free(timestamp_ms, stored.as_ref(), terms)?;
            if self.write(caller, &next, stored.as_ref()).await? {
                return Ok(next);
            }
        }
        Err(Refusal::Unavailable(format!(
            "this consumer's free-call count kept changing under {MAX_WRITE_ATTEMPTS} attempts; retry"
        )))
    }

    /// Writes `next` if the row is still `stored`; whether it did (one statement).
    async fn write(
        &self,
        caller: &SignerKey,
        next: &FreeCallState,
        stored: Option<&FreeCallState>,
    ) -> Result<bool, FreeCallStoreError> {
        let signed = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let query = sqlx::query(if stored.is_some() { UPDATE } else { INSERT })
            .bind(&self.org_id)
            .bind(&self.service_id)
            .bind(caller.as_slice())
            .bind(signed(next.period_start_ms))
            .bind(signed(next.used))
            .bind(signed(next.last_timestamp_ms));
        let query = match stored {
            Some(old) => {
                query.bind(signed(old.period_start_ms)).bind(signed(old.used)).bind(signed(old.last_timestamp_ms))
            }
            None => query,
        };
        Ok(query.execute(&self.pool).await?.rows_affected() == 1)
    }
}
