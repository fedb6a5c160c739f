//! The mirror's head: how far the indexer got, and a service's price at that point.

use crate::{parse_planck, to_u64, MirrorError};
use osiris_contract_types::Balance;
use sqlx::postgres::PgPool;
use sqlx::Row;

/// What a gateway needs of the mirror besides channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The indexer's cursor: the last finalized block fully mirrored (0 before the first).
    pub finalized_block: u64,
    /// The service's price per call, planck, as the registry says.
    pub price_per_call: Balance,
}

/// The cursor and the price of `org_id/service_id`, in one query.
/// Errors: [`MirrorError::NoService`] if the mirror does not have the service.
pub async fn head(pool: &PgPool, org_id: &str, service_id: &str) -> Result<Head, MirrorError> {
    let row = sqlx::query(
        "SELECT (SELECT block_number FROM indexer_cursor) AS block, \
         (SELECT price_per_call::text FROM services WHERE org_id = $1 AND service_id = $2) AS price",
    )
    .bind(org_id)
    .bind(service_id)
    .fetch_one(pool)
    .await?;
    let block: Option<i64> = row.try_get("block")?;
    let price: Option<String> = row.try_get("price")?;
    let price = price
        .ok_or_else(|| MirrorError::NoService { org_id: org_id.to_string(), service_id: service_id.to_string() })?;
    Ok(Head {
        finalized_block: block.map(|b| to_u64("indexer_cursor.block_number", b)).transpose()?.unwrap_or(0),
        price_per_call: parse_planck("services.price_per_call", &price)?,
    })
}

/// The indexer's cursor alone (0 before the first block), for gateways that sell no
/// calls (ddc nodes).
pub async fn cursor(pool: &PgPool) -> Result<u64, MirrorError> {
    let block: Option<i64> = sqlx::query_scalar("SELECT block_number FROM indexer_cursor").fetch_optional(pool).await?;
    block.map(|b| to_u64("indexer_cursor.block_number", b)).transpose().map(|b| b.unwrap_or(0))
}
