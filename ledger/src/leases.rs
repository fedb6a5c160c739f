//! Reads of the prepaid leases in `gateway_payments` (migrations/0017); the leases
//! themselves are decided by `osiris_payments::lease` and written through the
//! [`crate::LeaseStore`].

use crate::versioned::StoreError;
use osiris_contract_types::ChannelId;
use sqlx::postgres::PgPool;

/// The channels paying `recipient` with a share whose expiry is before `before_ms` (Unix
/// ms): the shares a sweep may charge.
pub async fn expired(pool: &PgPool, recipient: &str, before_ms: u64) -> Result<Vec<ChannelId>, StoreError> {
    let rows: Vec<i64> = sqlx::query_scalar(
        "SELECT p.channel_id FROM gateway_payments p JOIN channels c ON c.channel_id = p.channel_id \
         WHERE p.leases <> '[]'::jsonb AND c.recipient = $1 \
           AND EXISTS (SELECT 1 FROM jsonb_array_elements(p.leases) l WHERE (l->>'expires_ms')::bigint < $2) \
         ORDER BY p.channel_id",
    )
    .bind(recipient)
    .bind(crate::big(before_ms))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|id| ChannelId(id as u64)).collect())
}
