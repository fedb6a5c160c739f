//! Group commit of payments: the batcher collects concurrent payments into one multi-row
//! compare-and-set statement. A batch holds at most one row per channel (a statement may
//! change a row only once); prepaid draws of the same authorization are folded into that
//! row as a number of draws, of which the statement grants as many as the authorization
//! still covers.

use super::{state_from_row, PaymentState};
use crate::metadata::{Payment, PaymentKind};
use crate::refusal::Refusal;
use osiris_contract_types::{Balance, ChannelId};
use sqlx::postgres::PgPool;
use sqlx::Row;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Most rows (channels) in one batch statement.
pub const MAX_BATCH: usize = 128;
/// Most batch statements running at once. One writer gives the largest batches: measured on
/// 2 cores, 16 concurrent consumers, 8.7k paid calls/s with 1 against 7.0k with 2 and 4.7k with 4.
pub const BATCHES_IN_FLIGHT: usize = 1;

/// One payment waiting for the batcher; the reply is the stored row, or `None` if refused.
#[derive(Debug)]
pub(crate) struct Job {
    pub payment: Payment,
    pub price: Balance,
    pub reply: oneshot::Sender<Result<Option<PaymentState>, Refusal>>,
}

/// The jobs of one channel in a batch: one job, or several prepaid draws of one authorization.
struct ChannelRow {
    jobs: Vec<Job>,
}

impl ChannelRow {
    fn takes(&self, job: &Job) -> bool {
        let first = &self.jobs[0];
        first.payment.kind == PaymentKind::Prepaid && first.payment == job.payment && first.price == job.price
    }
}

/// The single-payment statements: a lone payment (the sequential case) takes one of these,
/// measured ~60 µs cheaper per call (p50 ~260 µs against ~325 µs) than the batch statement
/// with one row.
const ACCEPT_ESCROW: &str = "\
INSERT INTO gateway_payments AS p (channel_id, nonce, amount, signature, spent, calls)
VALUES ($1, $2, $3::numeric, $4, $3::numeric, 1)
ON CONFLICT (channel_id) DO UPDATE SET
    nonce = EXCLUDED.nonce, amount = EXCLUDED.amount, signature = EXCLUDED.signature,
    spent = CASE WHEN p.nonce = EXCLUDED.nonce THEN p.spent + (EXCLUDED.amount - p.amount) ELSE EXCLUDED.amount END,
    calls = CASE WHEN p.nonce = EXCLUDED.nonce THEN p.calls + 1 ELSE 1 END,
    last_calls = 1, updated_at = now()
WHERE p.nonce < EXCLUDED.nonce OR (p.nonce = EXCLUDED.nonce AND EXCLUDED.amount - p.amount >= $5::numeric)
RETURNING nonce, amount::text AS amount, signature, spent::text AS spent, calls";

const ACCEPT_PREPAID: &str = "\
INSERT INTO gateway_payments AS p (channel_id, nonce, amount, signature, spent, calls)
VALUES ($1, $2, $3::numeric, $4, $5::numeric, 1)
ON CONFLICT (channel_id) DO UPDATE SET
    nonce = EXCLUDED.nonce, amount = EXCLUDED.amount, signature = EXCLUDED.signature,
    spent = CASE WHEN p.nonce = EXCLUDED.nonce THEN p.spent + EXCLUDED.spent ELSE EXCLUDED.spent END,
    calls = CASE WHEN p.nonce = EXCLUDED.nonce THEN p.calls + 1 ELSE 1 END,
    last_calls = 1, updated_at = now()
WHERE p.nonce < EXCLUDED.nonce
   OR (p.nonce = EXCLUDED.nonce AND p.spent + EXCLUDED.spent <= EXCLUDED.amount
       AND (EXCLUDED.amount > p.amount OR (EXCLUDED.amount = p.amount AND EXCLUDED.signature = p.signature)))
RETURNING nonce, amount::text AS amount, signature, spent::text AS spent, calls";

/// The compare-and-set of every row of a batch: the same conditions as the two statements
/// above, per row, plus prepaid draws folded into one row.
const ACCEPT_BATCH: &str = "\
WITH input AS (
    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::numeric[], $4::bytea[], $5::numeric[], $6::bool[], $7::int[])
        AS i(channel_id, nonce, amount, signature, price, prepaid, draws))
INSERT INTO gateway_payments AS p (channel_id, nonce, amount, signature, spent, calls, last_calls)
SELECT channel_id, nonce, amount, signature,
       CASE WHEN prepaid THEN price * LEAST(draws, div(amount, price)) ELSE amount END,
       CASE WHEN prepaid THEN LEAST(draws, div(amount, price)) ELSE 1 END,
       CASE WHEN prepaid THEN LEAST(draws, div(amount, price)) ELSE 1 END
FROM input
ON CONFLICT (channel_id) DO UPDATE SET
    nonce = EXCLUDED.nonce, amount = EXCLUDED.amount, signature = EXCLUDED.signature,
    spent = CASE WHEN p.nonce <> EXCLUDED.nonce THEN EXCLUDED.spent ELSE p.spent + (
        SELECT CASE WHEN i.prepaid THEN i.price * LEAST(i.draws, div(EXCLUDED.amount - p.spent, i.price))
                    ELSE EXCLUDED.amount - p.amount END
        FROM input i WHERE i.channel_id = EXCLUDED.channel_id) END,
    calls = CASE WHEN p.nonce <> EXCLUDED.nonce THEN EXCLUDED.calls ELSE p.calls + (
        SELECT CASE WHEN i.prepaid THEN LEAST(i.draws, div(EXCLUDED.amount - p.spent, i.price)) ELSE 1 END
        FROM input i WHERE i.channel_id = EXCLUDED.channel_id) END,
    last_calls = CASE WHEN p.nonce <> EXCLUDED.nonce THEN EXCLUDED.last_calls ELSE (
        SELECT CASE WHEN i.prepaid THEN LEAST(i.draws, div(EXCLUDED.amount - p.spent, i.price)) ELSE 1 END
        FROM input i WHERE i.channel_id = EXCLUDED.channel_id) END,
    updated_at = now()
WHERE p.nonce < EXCLUDED.nonce OR (p.nonce = EXCLUDED.nonce AND (
    SELECT CASE WHEN i.prepaid
                THEN p.spent + i.price <= EXCLUDED.amount
                     AND (EXCLUDED.amount > p.amount OR (EXCLUDED.amount = p.amount AND EXCLUDED.signature = p.signature))
                ELSE EXCLUDED.amount - p.amount >= i.price END
    FROM input i WHERE i.channel_id = EXCLUDED.channel_id))
RETURNING channel_id, nonce, amount::text AS amount, signature, spent::text AS spent, calls, last_calls";

/// Collects payments into batches and runs up to [`BATCHES_IN_FLIGHT`] batches at a time;
/// payments that cannot join a batch (another payment of their channel is in it) wait for the next.
pub(crate) async fn batcher(pool: PgPool, mut queue: mpsc::UnboundedReceiver<Job>) {
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
        let mut batch = Batch::default();
        let mut later = VecDeque::new();
        for job in std::iter::once(first).chain(carried.drain(..)) {
            if let Err(job) = batch.add(job) {
                later.push_back(job);
            }
        }
        while let Ok(job) = queue.try_recv() {
            if let Err(job) = batch.add(job) {
                later.push_back(job);
            }
        }
        carried = later;
        let pool = pool.clone();
        tokio::spawn(async move {
            batch.run(&pool).await;
            drop(slot);
        });
    }
}

#[derive(Default)]
struct Batch {
    rows: Vec<ChannelRow>,
    by_channel: HashMap<ChannelId, usize>,
}

impl Batch {
    /// Adds `job` to its channel's row or a new row; gives it back if it must wait.
    fn add(&mut self, job: Job) -> Result<(), Job> {
        match self.by_channel.get(&job.payment.channel_id) {
            Some(&i) if self.rows[i].takes(&job) => {
                self.rows[i].jobs.push(job);
                Ok(())
            }
            Some(_) => Err(job),
            None if self.rows.len() >= MAX_BATCH => Err(job),
            None => {
                self.by_channel.insert(job.payment.channel_id, self.rows.len());
                self.rows.push(ChannelRow { jobs: vec![job] });
                Ok(())
            }
        }
    }

    /// Writes the batch and answers every job. If the statement fails (nothing was written),
    /// each row is tried again alone, so that one bad row does not refuse the others.
    async fn run(self, pool: &PgPool) {
        metrics::histogram!("osiris_gateway_payment_batch_rows").record(self.rows.len() as f64);
        if let [row] = &self.rows[..] {
            if let [job] = &row.jobs[..] {
                let stored = accept_one(pool, &job.payment, job.price).await;
                let row = self.rows.into_iter().next().expect("one row");
                row.answer(stored.map(|state| state.map(|state| (state, 1))));
                return;
            }
        }
        match write(pool, &self.rows).await {
            Ok(mut stored) => {
                for row in self.rows {
                    let written = stored.remove(&row.jobs[0].payment.channel_id);
                    row.answer(Ok(written));
                }
            }
            Err(Write::Failed(e)) if self.rows.len() > 1 => {
                tracing::warn!("payment batch of {} rows failed ({e}); writing them one by one", self.rows.len());
                for row in self.rows {
                    let channel_id = row.jobs[0].payment.channel_id;
                    let alone = write(pool, std::slice::from_ref(&row)).await;
                    row.answer(alone.map(|mut stored| stored.remove(&channel_id)).map_err(Refusal::from));
                }
            }
            Err(e) => {
                let refusal = Refusal::from(e);
                for row in self.rows {
                    row.answer(Err(refusal.clone()));
                }
            }
        }
    }
}

impl ChannelRow {
    /// Answers the row's jobs: with the stored state for the first `granted` of them (all
    /// the draws the authorization covered), `None` (refused) for the rest.
    fn answer(self, written: Result<Option<(PaymentState, usize)>, Refusal>) {
        for (i, job) in self.jobs.into_iter().enumerate() {
            let reply = match &written {
                Ok(Some((state, granted))) if i < *granted => Ok(Some(state.clone())),
                Ok(_) => Ok(None),
                Err(refusal) => Err(refusal.clone()),
            };
            let _ = job.reply.send(reply);
        }
    }
}

/// Why a batch write did not answer.
#[derive(Debug)]
enum Write {
    /// The statement failed: nothing was written.
    Failed(sqlx::Error),
    /// The statement ran but a returned row could not be read.
    Unreadable(Refusal),
}

impl From<Write> for Refusal {
    fn from(e: Write) -> Self {
        match e {
            Write::Failed(e) => Refusal::from(e),
            Write::Unreadable(refusal) => refusal,
        }
    }
}

/// Runs the compare-and-set for `rows`; the stored state and the calls granted, by channel
/// (a channel absent from the map was refused).
async fn write(pool: &PgPool, rows: &[ChannelRow]) -> Result<HashMap<ChannelId, (PaymentState, usize)>, Write> {
    let heads: Vec<&Job> = rows.iter().map(|r| &r.jobs[0]).collect();
    let returned = sqlx::query(ACCEPT_BATCH)
        .bind(heads.iter().map(|j| j.payment.channel_id as i64).collect::<Vec<_>>())
        .bind(heads.iter().map(|j| j.payment.nonce as i64).collect::<Vec<_>>())
        .bind(heads.iter().map(|j| j.payment.amount.to_string()).collect::<Vec<_>>())
        .bind(heads.iter().map(|j| j.payment.signature.to_vec()).collect::<Vec<_>>())
        .bind(heads.iter().map(|j| j.price.to_string()).collect::<Vec<_>>())
        .bind(heads.iter().map(|j| j.payment.kind == PaymentKind::Prepaid).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.jobs.len() as i32).collect::<Vec<_>>())
        .fetch_all(pool)
        .await
        .map_err(Write::Failed)?;
    let mut stored = HashMap::with_capacity(returned.len());
    for row in &returned {
        let read = || -> Result<(PaymentState, usize), Refusal> {
            let channel_id = row.try_get::<i64, _>("channel_id")? as ChannelId;
            let granted = row.try_get::<i32, _>("last_calls")?.max(0) as usize;
            Ok((state_from_row(channel_id, row)?, granted))
        };
        let (state, granted) = read().map_err(Write::Unreadable)?;
        stored.insert(state.channel_id, (state, granted));
    }
    Ok(stored)
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
