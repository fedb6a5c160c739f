//! Following the indexer's mirror: the indexer NOTIFYs [`NOTIFY_CHANNEL`] once per
//! committed block; a cache of mirror facts reacts to each notification, to every
//! [`REFRESH_INTERVAL`] (a notification lost with a connection), and to each (re)connection
//! of the listener (blocks committed while nobody listened).

use osiris_mirror::NOTIFY_CHANNEL;
use sqlx::postgres::{PgListener, PgPool};
use std::future::Future;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often a cache reacts without a notification.
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(5);
/// How long to wait before listening again after the listener's connection failed.
const RELISTEN_DELAY: Duration = Duration::from_secs(1);

/// Calls `on_change` whenever the mirror may have changed, until `shutdown`.
pub async fn watch<F, Fut>(pool: &PgPool, shutdown: CancellationToken, mut on_change: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    loop {
        let mut listener = match PgListener::connect_with(pool).await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!("mirror listener: {e}; retrying in {RELISTEN_DELAY:?}");
                tokio::select! { _ = shutdown.cancelled() => return, _ = tokio::time::sleep(RELISTEN_DELAY) => continue }
            }
        };
        if let Err(e) = listener.listen(NOTIFY_CHANNEL).await {
            tracing::warn!("LISTEN {NOTIFY_CHANNEL}: {e}; retrying in {RELISTEN_DELAY:?}");
            tokio::select! { _ = shutdown.cancelled() => return, _ = tokio::time::sleep(RELISTEN_DELAY) => continue }
        }
        // Anything committed while we were not listening.
        on_change().await;
        let mut timer = tokio::time::interval(REFRESH_INTERVAL);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = timer.tick() => on_change().await,
                notification = listener.try_recv() => match notification {
                    Ok(Some(_)) => on_change().await,
                    Ok(None) => on_change().await, // reconnected: notifications may be lost
                    Err(e) => { tracing::warn!("mirror listener: {e}"); break; }
                },
            }
        }
    }
}
