//! Where a payment's signature is checked. A secp256k1 recovery is tens of µs of CPU; on
//! the gateway's I/O thread it holds up every other connection's work meanwhile. With
//! `signature_threads = n > 0` the checks run on Tokio's blocking pool, at most `n` at
//! once, and the I/O thread goes on serving; 0 checks inline (less hand-over cost when the
//! machine has no core to spare).

use std::sync::Arc;
use tokio::sync::Semaphore;

/// How payment signatures are checked.
#[derive(Debug, Clone)]
pub struct SignatureChecks {
    /// Permits for checks off the I/O thread; `None`: inline.
    permits: Option<Arc<Semaphore>>,
}

impl SignatureChecks {
    /// `threads` checks at once off the I/O thread; 0: inline.
    pub fn new(threads: usize) -> Self {
        Self { permits: (threads > 0).then(|| Arc::new(Semaphore::new(threads))) }
    }

    /// Runs `check` (a signature check) where configured; its answer. A pool that is shut
    /// down (the runtime is stopping) answers false: nothing unverified passes.
    pub async fn run(&self, check: impl FnOnce() -> bool + Send + 'static) -> bool {
        let Some(permits) = &self.permits else { return check() };
        let Ok(_permit) = permits.acquire().await else { return false };
        tokio::task::spawn_blocking(check).await.unwrap_or(false)
    }
}
