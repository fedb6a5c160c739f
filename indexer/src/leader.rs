//! Several indexer processes on one database: all serve REST, exactly one follows the
//! chain. The follower holds a PostgreSQL session advisory lock ([`FOLLOWER_LOCK`]) on a
//! connection of its own; the others try to take it every [`STANDBY_POLL`]. When the
//! follower dies its connection closes and PostgreSQL frees the lock at once, so another
//! process takes over within a poll. A follower that loses its connection (a partition)
//! stops following as soon as its check fails ([`LOCK_CHECK`]).
//!
//! The lock saves work; it is not what keeps the mirror exact: a block is written only if
//! it is the one after the cursor (`store::ingest`), so even two followers at once could
//! not apply a block twice.

use sqlx::postgres::PgConnection;
use sqlx::Connection;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The advisory lock key of the follower ("osirisix" in ASCII).
pub const FOLLOWER_LOCK: i64 = 0x6f73_6972_6973_6978;
/// How often a standby tries to take the lock.
pub const STANDBY_POLL: Duration = Duration::from_millis(250);
/// How often the follower checks that its lock connection is alive.
pub const LOCK_CHECK: Duration = Duration::from_millis(500);

/// The follower lock, held for as long as this value lives (its own connection, closed on
/// drop, which frees the lock).
pub struct FollowerLock {
    connection: PgConnection,
}

impl FollowerLock {
    /// Waits until this process holds the lock, or `shutdown` (None). Connection errors are
    /// retried after a poll.
    pub async fn acquire(database_url: &str, shutdown: &CancellationToken) -> Option<Self> {
        loop {
            match Self::try_acquire(database_url).await {
                Ok(Some(lock)) => return Some(lock),
                Ok(None) => {}
                Err(e) => tracing::warn!("taking the follower lock: {e}"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => return None,
                _ = tokio::time::sleep(STANDBY_POLL) => {}
            }
        }
    }

    async fn try_acquire(database_url: &str) -> Result<Option<Self>, sqlx::Error> {
        let mut connection = PgConnection::connect(database_url).await?;
        let held: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(FOLLOWER_LOCK)
            .fetch_one(&mut connection)
            .await?;
        Ok(held.then_some(Self { connection }))
    }

    /// Cancels `lost` when the lock's connection stops answering (the lock may be another
    /// process's by then), or returns when `shutdown` is cancelled.
    pub async fn watch(mut self, lost: CancellationToken, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(LOCK_CHECK) => {}
            }
            if let Err(e) = sqlx::query("SELECT 1").execute(&mut self.connection).await {
                tracing::warn!("the follower lock's connection failed ({e}); stopping following");
                lost.cancel();
                return;
            }
        }
        let _ = self.connection.close().await;
    }
}
