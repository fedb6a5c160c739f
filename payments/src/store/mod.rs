//! The accepted payments, durable and shared in PostgreSQL (`gateway_payments`,
//! migrations/0002 and 0003).
//!
//! A payment is decided by [`decide`](crate::rule::decide) against the channel's stored
//! state, and the state it decided is written **on condition that the row is still the one
//! it was decided from** (its `version`). A write that loses (another replica, or a claim,
//! changed the row) reloads the row and decides again. So replicas sharing the database
//! never accept the same authorization twice, and an accepted payment is committed before
//! its call is answered.
//!
//! Every replica keeps a copy of the rows it has seen, so that the usual payment costs one
//! round trip (the write). Payments arriving together are written by one statement and one
//! commit (group commit, [`batch`]); several payments of one channel in a batch (prepaid
//! draws, racing replays) are decided one after the other and their channel's row written
//! once.

mod batch;

pub use batch::MAX_BATCH_JOBS;

use crate::payment::Payment;
use crate::refusal::Refusal;
use crate::rule::Terms;
use crate::state::PaymentState;
use osiris_contract_types::{Balance, ChannelId, Nonce, PaymentSignature};
use osiris_mirror::ChannelFacts;
use sqlx::postgres::{PgPool, PgRow};
use sqlx::Row;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// Errors of the payment store's database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("gateway_payments holds a malformed {field} for channel {channel_id}")]
    Malformed { channel_id: ChannelId, field: &'static str },
    #[error("the payment store is shutting down")]
    Closed,
    #[error("channel {0}'s row kept changing under {1} attempts; retry")]
    Contention(ChannelId, usize),
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Refusal::Unavailable(e.to_string())
    }
}

/// A stored row: the state and the version it was read or written at (0: no row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Versioned {
    pub state: Option<PaymentState>,
    pub version: i64,
}

impl Versioned {
    /// No row for the channel yet: the first write inserts it at version 1.
    pub const ABSENT: Self = Self { state: None, version: 0 };
}

/// How durable a committed payment is before its call is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Durability {
    /// The commit waits for PostgreSQL's WAL flush (its default `synchronous_commit = on`):
    /// an answered call's payment survives a crash of the gateway, of PostgreSQL and of the
    /// machine.
    #[default]
    Strict,
    /// The store's writes use `synchronous_commit = off`: the commit returns before the WAL
    /// flush, which PostgreSQL's WAL writer does within `3 × wal_writer_delay` (600 ms by
    /// default). A gateway crash loses nothing; a crash of PostgreSQL or of its machine can
    /// lose the payments of that last window. Authorizations are cumulative, so only the
    /// provider can lose: on each channel, the increments accepted in the window (the
    /// calls were served; the consumer keeps that money). No consumer ever pays twice.
    Relaxed,
}

/// The payment store: PostgreSQL plus this replica's copy of the rows it has seen.
#[derive(Debug, Clone)]
pub struct PaymentStore {
    pool: PgPool,
    local: Local,
    jobs: mpsc::UnboundedSender<batch::Job>,
}

/// This replica's copy of the rows, by channel (may be behind the database, never ahead).
pub(crate) type Local = Arc<Mutex<HashMap<ChannelId, Versioned>>>;

/// A payment on its way into the store; resolves to the state after its call, or the refusal.
pub type Pending = oneshot::Receiver<Result<PaymentState, Refusal>>;

impl PaymentStore {
    /// A store over `pool` committing with `durability`; starts its batcher task (needs a
    /// Tokio runtime).
    pub fn new(pool: PgPool, durability: Durability) -> Self {
        let local = Local::default();
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(batch::batcher(pool.clone(), durability, local.clone(), queue));
        Self { pool, local, jobs }
    }

    /// The database pool (the claims and the channel-state service read through it).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// This replica's copy of a channel's state, if it has one (may be behind the database).
    pub fn cached(&self, channel_id: ChannelId) -> Option<PaymentState> {
        self.local.lock().expect("payments lock").get(&channel_id).and_then(|v| v.state.clone())
    }

    /// Reads a channel's state from the database and refreshes the local copy. `mirror_nonce`
    /// is the channel's nonce in the mirror: claims at or after it are still in flight.
    pub async fn load(&self, channel_id: ChannelId, mirror_nonce: Nonce) -> Result<Option<PaymentState>, StoreError> {
        let mut db = self.pool.acquire().await?;
        let mut loaded = load(&mut db, &[(channel_id, mirror_nonce)]).await?;
        let row = loaded.remove(&channel_id).unwrap_or(Versioned::ABSENT);
        self.local.lock().expect("payments lock").insert(channel_id, row.clone());
        Ok(row.state)
    }

    /// Hands `payment` for one call on the channel `facts` under `terms` to the batcher: it
    /// is decided against the stored state and, if it passes, written before the returned
    /// [`Pending`] resolves. The signature must have been verified unless the stored state
    /// holds the payment.
    pub fn submit(&self, payment: Payment, facts: Arc<ChannelFacts>, terms: Terms) -> Result<Pending, Refusal> {
        let (reply, pending) = oneshot::channel();
        self.jobs.send(batch::Job { payment, facts, terms, reply }).map_err(|_| Refusal::from(StoreError::Closed))?;
        Ok(pending)
    }

    /// [`submit`](Self::submit) and wait: the state after the call, durable when this returns Ok.
    pub async fn accept(
        &self,
        payment: Payment,
        facts: Arc<ChannelFacts>,
        terms: Terms,
    ) -> Result<PaymentState, Refusal> {
        let pending = self.submit(payment, facts, terms)?;
        pending.await.map_err(|_| Refusal::from(StoreError::Closed))?
    }
}

const LOAD: &str = "\
SELECT i.channel_id, p.nonce, p.amount::text AS amount, p.signature, p.spent::text AS spent, p.calls, p.version,
       (SELECT COALESCE(sum(c.spent), 0)::text FROM gateway_claims c
         WHERE c.channel_id = i.channel_id AND c.nonce >= i.mirror_nonce) AS claiming
FROM unnest($1::bigint[], $2::bigint[]) AS i(channel_id, mirror_nonce)
LEFT JOIN gateway_payments p ON p.channel_id = i.channel_id";

/// Reads the rows of `channels` (id, mirror nonce); a channel without a row has version 0.
pub(crate) async fn load(
    db: &mut sqlx::PgConnection,
    channels: &[(ChannelId, Nonce)],
) -> Result<HashMap<ChannelId, Versioned>, StoreError> {
    let rows = sqlx::query(LOAD)
        .bind(channels.iter().map(|(id, _)| *id as i64).collect::<Vec<_>>())
        .bind(channels.iter().map(|(_, nonce)| *nonce as i64).collect::<Vec<_>>())
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|row| {
            let channel_id = row.try_get::<i64, _>("channel_id")? as ChannelId;
            let version: Option<i64> = row.try_get("version")?;
            let Some(version) = version else {
                return Ok((channel_id, Versioned::ABSENT));
            };
            let mut state = state_from_row(channel_id, row)?;
            state.claiming = planck(channel_id, "claiming", row.try_get("claiming")?)?;
            Ok((channel_id, Versioned { state: Some(state), version }))
        })
        .collect()
}

fn state_from_row(channel_id: ChannelId, row: &PgRow) -> Result<PaymentState, StoreError> {
    let signature: Option<Vec<u8>> = row.try_get("signature")?;
    let signature = signature
        .map(PaymentSignature::try_from)
        .transpose()
        .map_err(|_| StoreError::Malformed { channel_id, field: "signature" })?;
    let nonce: i64 = row.try_get("nonce")?;
    let calls: i64 = row.try_get("calls")?;
    Ok(PaymentState {
        channel_id,
        nonce: u64::try_from(nonce).map_err(|_| StoreError::Malformed { channel_id, field: "nonce" })?,
        amount: planck(channel_id, "amount", row.try_get("amount")?)?,
        signature,
        spent: planck(channel_id, "spent", row.try_get("spent")?)?,
        calls: u64::try_from(calls).map_err(|_| StoreError::Malformed { channel_id, field: "calls" })?,
        claiming: 0,
    })
}

fn planck(channel_id: ChannelId, field: &'static str, text: String) -> Result<Balance, StoreError> {
    text.parse().map_err(|_| StoreError::Malformed { channel_id, field })
}
