//! The free calls a service's gateway group gave everyone together in a period
//! (`gateway_free_call_budget`, migrations/0011), shared by the group's replicas: a budget
//! per period caps what all consumer keys together get, however many there are.
//!
//! A call takes one from the period's budget before its consumer's own count is decided,
//! and gives it back if that count refuses it; a crash between the two leaves one call of
//! the budget used (never more free calls than the budget).

use crate::big;
use sqlx::PgPool;

/// The budget of one gateway group: whose it is and how big.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    pub org_id: String,
    pub service_id: String,
    pub group_id: String,
    /// Free calls for everyone together per period.
    pub per_period: u64,
}

impl Budget {
    /// Takes one free call from the period starting at `period_start_ms` (Unix ms);
    /// `Ok(false)` when the period's budget is spent. One statement: replicas racing for
    /// the last call cannot both get it.
    pub async fn take(&self, pool: &PgPool, period_start_ms: u64) -> Result<bool, sqlx::Error> {
        if self.per_period == 0 {
            return Ok(false);
        }
        let taken = sqlx::query(
            "INSERT INTO gateway_free_call_budget AS b (org_id, service_id, group_id, period_start_ms, used)
             VALUES ($1, $2, $3, $4, 1)
             ON CONFLICT (org_id, service_id, group_id, period_start_ms)
             DO UPDATE SET used = b.used + 1 WHERE b.used < $5",
        )
        .bind(&self.org_id)
        .bind(&self.service_id)
        .bind(&self.group_id)
        .bind(big(period_start_ms))
        .bind(big(self.per_period))
        .execute(pool)
        .await?;
        Ok(taken.rows_affected() == 1)
    }

    /// Gives back a call taken from the period (its consumer's count refused it).
    pub async fn give_back(&self, pool: &PgPool, period_start_ms: u64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE gateway_free_call_budget SET used = used - 1
             WHERE org_id = $1 AND service_id = $2 AND group_id = $3 AND period_start_ms = $4 AND used > 0",
        )
        .bind(&self.org_id)
        .bind(&self.service_id)
        .bind(&self.group_id)
        .bind(big(period_start_ms))
        .execute(pool)
        .await
        .map(drop)
    }

    /// The calls used in the period starting at `period_start_ms`.
    pub async fn used(&self, pool: &PgPool, period_start_ms: u64) -> Result<u64, sqlx::Error> {
        let used: Option<i64> = sqlx::query_scalar(
            "SELECT used FROM gateway_free_call_budget
             WHERE org_id = $1 AND service_id = $2 AND group_id = $3 AND period_start_ms = $4",
        )
        .bind(&self.org_id)
        .bind(&self.service_id)
        .bind(&self.group_id)
        .bind(big(period_start_ms))
        .fetch_optional(pool)
        .await?;
        Ok(used.map_or(0, |u| u64::try_from(u).unwrap_or(0)))
    }
}
