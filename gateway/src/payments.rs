//! The accepted payments, durable in PostgreSQL (`gateway_payments`, migrations/0002).
//!
//! Every accepted authorization is written with an atomic compare-and-set before its call
//! is forwarded, so replicas sharing the database never accept the same authorization
//! twice and a crash loses nothing that was answered. A local copy of each row spares most
//! checks a round trip; the database decides.
//!
//! Group commit: payments arriving together (different channels) are written by one
//! multi-row statement — one round trip and one commit for the batch — by a batcher task
//! that keeps up to [`BATCHES_IN_FLIGHT`] batches in flight. Each row keeps its own
//! compare-and-set condition, so a refused payment does not affect the others; if the
//! batch statement itself fails, its payments are retried one statement each.

use crate::metadata::{Payment, PaymentKind};
use crate::refusal::Refusal;
use osiris_contract_types::{Balance, ChannelId, Nonce, PaymentSignature};
use sqlx::postgres::{PgPool, PgRow};
use sqlx::Row;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// A channel's payment state at its current nonce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentState {
    pub channel_id: ChannelId,
    /// The nonce the next authorization must use.
    pub nonce: Nonce,
    /// Last accepted cumulative amount at `nonce` (0 if none).
    pub amount: Balance,
    pub signature: Option<PaymentSignature>,
    /// What the calls served at `nonce` cost, ≤ `amount`.
    pub spent: Balance,
    pub calls: u64,
    /// Planck of claims the mirror does not show yet (in progress or landed after its last
    /// block): they lower the channel's value.
    pub claiming: Balance,
}

impl PaymentState {
    /// Whether `payment` is exactly the stored authorization (already verified when stored).
    pub fn holds(&self, payment: &Payment) -> bool {
        self.nonce == payment.nonce && self.amount == payment.amount && self.signature == Some(payment.signature)
    }
}

/// The payment store: PostgreSQL plus a local copy of the rows this replica has seen.
#[derive(Debug, Clone)]
pub struct PaymentStore {
    pool: PgPool,
    local: Arc<Mutex<HashMap<ChannelId, PaymentState>>>,
    jobs: mpsc::UnboundedSender<Job>,
}

/// Most payments in one batch statement.
pub const MAX_BATCH: usize = 128;
/// Most batch statements running at once. One writer gives the largest batches: measured on
/// 2 cores, 16 concurrent consumers, 8.7k paid calls/s with 1 against 7.0k with 2 and 4.7k with 4.
pub const BATCHES_IN_FLIGHT: usize = 1;

/// One payment waiting for the batcher; the reply is the stored row, or `None` if refused.
#[derive(Debug)]
struct Job {
    payment: Payment,
    price: Balance,
    reply: oneshot::Sender<Result<Option<PaymentState>, Refusal>>,
}

/// What an accepted call changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub state: PaymentState,
}

const ACCEPT_ESCROW: &str = "\
INSERT INTO gateway_payments AS p (channel_id, nonce, amount, signature, spent, calls)
VALUES ($1, $2, $3::numeric, $4, $3::numeric, 1)
ON CONFLICT (channel_id) DO UPDATE SET
    nonce = EXCLUDED.nonce, amount = EXCLUDED.amount, signature = EXCLUDED.signature,
    spent = CASE WHEN p.nonce = EXCLUDED.nonce THEN p.spent + (EXCLUDED.amount - p.amount) ELSE EXCLUDED.amount END,
    calls = CASE WHEN p.nonce = EXCLUDED.nonce THEN p.calls + 1 ELSE 1 END,
    updated_at = now()
WHERE p.nonce < EXCLUDED.nonce OR (p.nonce = EXCLUDED.nonce AND EXCLUDED.amount - p.amount >= $5::numeric)
RETURNING nonce, amount::text AS amount, signature, spent::text AS spent, calls";

const ACCEPT_PREPAID: &str = "\
INSERT INTO gateway_payments AS p (channel_id, nonce, amount, signature, spent, calls)
VALUES ($1, $2, $3::numeric, $4, $5::numeric, 1)
ON CONFLICT (channel_id) DO UPDATE SET
    nonce = EXCLUDED.nonce, amount = EXCLUDED.amount, signature = EXCLUDED.signature,
    spent = CASE WHEN p.nonce = EXCLUDED.nonce THEN p.spent + EXCLUDED.spent ELSE EXCLUDED.spent END,
    calls = CASE WHEN p.nonce = EXCLUDED.nonce THEN p.calls + 1 ELSE 1 END,
    updated_at = now()
WHERE p.nonce < EXCLUDED.nonce
   OR (p.nonce = EXCLUDED.nonce AND p.spent + EXCLUDED.spent <= EXCLUDED.amount
       AND (EXCLUDED.amount > p.amount OR (EXCLUDED.amount = p.amount AND EXCLUDED.signature = p.signature)))
RETURNING nonce, amount::text AS amount, signature, spent::text AS spent, calls";

const READ: &str = "\
SELECT p.nonce, p.amount::text AS amount, p.signature, p.spent::text AS spent, p.calls,
       (SELECT COALESCE(sum(c.spent), 0)::text FROM gateway_claims c
         WHERE c.channel_id = p.channel_id
           AND c.nonce >= COALESCE((SELECT m.nonce FROM channels m WHERE m.channel_id = p.channel_id), 0)) AS claiming
FROM gateway_payments p WHERE p.channel_id = $1";

impl PaymentStore {
    /// A store over `pool`; starts its batcher task (needs a Tokio runtime).
    pub fn new(pool: PgPool) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(batcher(pool.clone(), queue));
        Self { pool, local: Arc::default(), jobs }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The local copy of a channel's state, if this replica has one (may be behind the database).
    pub fn cached(&self, channel_id: ChannelId) -> Option<PaymentState> {
        self.local.lock().expect("payments lock").get(&channel_id).cloned()
    }

    /// Reads a channel's state from the database (and refreshes the local copy).
    pub async fn load(&self, channel_id: ChannelId) -> Result<Option<PaymentState>, Refusal> {
        let row = sqlx::query(READ).bind(channel_id as i64).fetch_optional(&self.pool).await?;
        let Some(row) = row else {
            self.local.lock().expect("payments lock").remove(&channel_id);
            return Ok(None);
        };
        let mut state = state_from_row(channel_id, &row)?;
        state.claiming = parse(row.try_get("claiming")?)?;
        self.remember(state.clone());
        Ok(Some(state))
    }

    /// Stores `payment` for a call costing `price` planck with one compare-and-set, or
    /// refuses it with the reason the database state gives. Durable when this returns Ok.
    pub async fn accept(&self, payment: &Payment, price: Balance) -> Result<Accepted, Refusal> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { payment: payment.clone(), price, reply })
            .map_err(|_| Refusal::Unavailable("the payment store is shutting down".into()))?;
        let stored = answer.await.map_err(|_| Refusal::Unavailable("the payment batch was dropped".into()))??;
        match stored {
            Some(mut state) => {
                state.claiming = self.cached(payment.channel_id).map_or(0, |s| s.claiming);
                self.remember(state.clone());
                Ok(Accepted { state })
            }
            None => {
                let state = self.load(payment.channel_id).await?;
                Err(match state {
                    Some(state) => refusal_against(payment, &state, price),
                    None => Refusal::Unavailable("the payment row vanished during the call; retry".into()),
                })
            }
        }
    }

    fn remember(&self, state: PaymentState) {
        self.local.lock().expect("payments lock").insert(state.channel_id, state);
    }

    /// Forgets the local copy (after a claim moved the nonce in the database).
    pub fn forget(&self, channel_id: ChannelId) {
        self.local.lock().expect("payments lock").remove(&channel_id);
    }
}

const ACCEPT_BATCH: &str = "\
WITH input AS (
    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::numeric[], $4::bytea[], $5::numeric[], $6::bool[])
        AS i(channel_id, nonce, amount, signature, price, prepaid))
INSERT INTO gateway_payments AS p (channel_id, nonce, amount, signature, spent, calls)
SELECT channel_id, nonce, amount, signature, CASE WHEN prepaid THEN price ELSE amount END, 1 FROM input
ON CONFLICT (channel_id) DO UPDATE SET
    nonce = EXCLUDED.nonce, amount = EXCLUDED.amount, signature = EXCLUDED.signature,
    spent = CASE WHEN p.nonce <> EXCLUDED.nonce THEN EXCLUDED.spent
                 WHEN (SELECT i.prepaid FROM input i WHERE i.channel_id = EXCLUDED.channel_id) THEN p.spent + EXCLUDED.spent
                 ELSE p.spent + (EXCLUDED.amount - p.amount) END,
    calls = CASE WHEN p.nonce = EXCLUDED.nonce THEN p.calls + 1 ELSE 1 END,
    updated_at = now()
WHERE p.nonce < EXCLUDED.nonce OR (p.nonce = EXCLUDED.nonce AND (
    SELECT CASE WHEN i.prepaid
                THEN p.spent + i.price <= EXCLUDED.amount
                     AND (EXCLUDED.amount > p.amount OR (EXCLUDED.amount = p.amount AND EXCLUDED.signature = p.signature))
                ELSE EXCLUDED.amount - p.amount >= i.price END
    FROM input i WHERE i.channel_id = EXCLUDED.channel_id))
RETURNING channel_id, nonce, amount::text AS amount, signature, spent::text AS spent, calls";

/// Collects payments into batches (at most one per channel each, since one statement may
/// change a row only once) and runs up to [`BATCHES_IN_FLIGHT`] batches at a time.
async fn batcher(pool: PgPool, mut queue: mpsc::UnboundedReceiver<Job>) {
    let slots = Arc::new(tokio::sync::Semaphore::new(BATCHES_IN_FLIGHT));
    let mut carried: VecDeque<Job> = VecDeque::new();
    loop {
        let first = match carried.pop_front() {
            Some(job) => job,
            None => match queue.recv().await {
                Some(job) => job,
                None => return,
            },
        };
        let slot = slots.clone().acquire_owned().await.expect("the semaphore is never closed");
        let mut channels = HashSet::from([first.payment.channel_id]);
        let mut batch = vec![first];
        let mut later = VecDeque::new();
        let mut take = |job: Job, batch: &mut Vec<Job>| {
            if batch.len() < MAX_BATCH && channels.insert(job.payment.channel_id) {
                batch.push(job);
            } else {
                later.push_back(job);
            }
        };
        while let Some(job) = carried.pop_front() {
            take(job, &mut batch);
        }
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => take(job, &mut batch),
                Err(_) => break,
            }
        }
        carried = later;
        let pool = pool.clone();
        tokio::spawn(async move {
            run_batch(&pool, batch).await;
            drop(slot);
        });
    }
}

/// Writes one batch and answers each job.
async fn run_batch(pool: &PgPool, batch: Vec<Job>) {
    metrics::histogram!("osiris_gateway_payment_batch_size").record(batch.len() as f64);
    if batch.len() == 1 {
        let job = batch.into_iter().next().expect("one job");
        let stored = accept_one(pool, &job.payment, job.price).await;
        let _ = job.reply.send(stored);
        return;
    }
    let column = |f: fn(&Job) -> String| batch.iter().map(f).collect::<Vec<String>>();
    let rows = sqlx::query(ACCEPT_BATCH)
        .bind(batch.iter().map(|j| j.payment.channel_id as i64).collect::<Vec<_>>())
        .bind(batch.iter().map(|j| j.payment.nonce as i64).collect::<Vec<_>>())
        .bind(column(|j| j.payment.amount.to_string()))
        .bind(batch.iter().map(|j| j.payment.signature.to_vec()).collect::<Vec<_>>())
        .bind(column(|j| j.price.to_string()))
        .bind(batch.iter().map(|j| j.payment.kind == PaymentKind::Prepaid).collect::<Vec<_>>())
        .fetch_all(pool)
        .await;
    match rows {
        Ok(rows) => {
            let mut stored: HashMap<ChannelId, PaymentState> = HashMap::new();
            for row in &rows {
                let channel_id = row.try_get::<i64, _>("channel_id").map(|id| id as ChannelId);
                if let Ok(state) = channel_id.map_err(Refusal::from).and_then(|id| state_from_row(id, row)) {
                    stored.insert(state.channel_id, state);
                }
            }
            for job in batch {
                let _ = job.reply.send(Ok(stored.remove(&job.payment.channel_id)));
            }
        }
        Err(e) => {
            tracing::warn!("payment batch of {} failed ({e}); writing them one by one", batch.len());
            for job in batch {
                let stored = accept_one(pool, &job.payment, job.price).await;
                let _ = job.reply.send(stored);
            }
        }
    }
}

/// The single-payment compare-and-set; the stored row, or `None` if refused.
async fn accept_one(pool: &PgPool, payment: &Payment, price: Balance) -> Result<Option<PaymentState>, Refusal> {
    let sql = match payment.kind {
        PaymentKind::Escrow => ACCEPT_ESCROW,
        PaymentKind::Prepaid => ACCEPT_PREPAID,
    };
    let row = sqlx::query(sql)
        .bind(payment.channel_id as i64)
        .bind(payment.nonce as i64)
        .bind(payment.amount.to_string())
        .bind(payment.signature.as_slice())
        .bind(price.to_string())
        .fetch_optional(pool)
        .await?;
    row.map(|row| state_from_row(payment.channel_id, &row)).transpose()
}

/// Why `payment` cannot be accepted on top of `state` (the compare-and-set's conditions, named).
pub fn refusal_against(payment: &Payment, state: &PaymentState, price: Balance) -> Refusal {
    if state.nonce != payment.nonce {
        return Refusal::WrongNonce { channel_id: payment.channel_id, given: payment.nonce, current: state.nonce };
    }
    let already = Refusal::AlreadyAccepted { nonce: payment.nonce, amount: payment.amount, accepted: state.amount };
    match payment.kind {
        PaymentKind::Escrow if payment.amount <= state.amount => already,
        PaymentKind::Escrow => Refusal::Underpaid {
            amount: payment.amount,
            accepted: state.amount,
            increment: payment.amount - state.amount,
            price,
        },
        PaymentKind::Prepaid if payment.amount < state.amount => already,
        PaymentKind::Prepaid if payment.amount == state.amount && !state.holds(payment) => already,
        PaymentKind::Prepaid => {
            Refusal::PrepaidSpent { nonce: payment.nonce, amount: payment.amount, spent: state.spent, price }
        }
    }
}

fn state_from_row(channel_id: ChannelId, row: &PgRow) -> Result<PaymentState, Refusal> {
    let signature: Option<Vec<u8>> = row.try_get("signature")?;
    let signature = match signature {
        Some(bytes) => Some(
            PaymentSignature::try_from(bytes)
                .map_err(|_| Refusal::Unavailable("a stored signature is not 65 bytes".into()))?,
        ),
        None => None,
    };
    Ok(PaymentState {
        channel_id,
        nonce: row.try_get::<i64, _>("nonce")? as Nonce,
        amount: parse(row.try_get("amount")?)?,
        signature,
        spent: parse(row.try_get("spent")?)?,
        calls: row.try_get::<i64, _>("calls")? as u64,
        claiming: 0,
    })
}

fn parse(text: String) -> Result<Balance, Refusal> {
    text.parse().map_err(|_| Refusal::Unavailable(format!("stored amount {text} is not a u128")))
}
