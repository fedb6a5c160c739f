//! Group commit. The batcher takes every payment waiting, groups them by channel, decides
//! each channel's payments in arrival order with [`decide`] against the channel's row, and
//! writes every changed row in one statement, each row on condition of its version. Rows
//! whose version moved (another replica or a claim wrote them) are reloaded and their
//! payments decided again. One batch runs at a time: measured on 2 cores with 16
//! concurrent consumers, one writer gave the largest batches and the most calls per second.

use super::{load, Durability, Local, StoreError, Versioned};
use crate::payment::Payment;
use crate::refusal::Refusal;
use crate::rule::{decide, may_pass_on_newer_state, Terms};
use crate::state::PaymentState;
use osiris_contract_types::ChannelId;
use osiris_mirror::ChannelFacts;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnection, PgPool, Postgres};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Most payments taken into one batch.
pub const MAX_BATCH_JOBS: usize = 512;
/// Most rounds of reload-and-decide for one batch before its payments are answered
/// UNAVAILABLE (each round needs another writer to have changed the row meanwhile).
const MAX_ROUNDS: usize = 8;

/// One payment waiting for the batcher.
#[derive(Debug)]
pub(crate) struct Job {
    pub payment: Payment,
    pub facts: Arc<ChannelFacts>,
    pub terms: Terms,
    pub reply: oneshot::Sender<Result<PaymentState, Refusal>>,
}

/// Runs batches until every sender of `queue` is gone.
pub(crate) async fn batcher(
    pool: PgPool,
    durability: Durability,
    local: Local,
    mut queue: mpsc::UnboundedReceiver<Job>,
) {
    // The batcher is the store's only writer: it keeps one connection rather than taking
    // one from the pool per batch (each take costs the pool's bookkeeping, and a ping unless
    // the pool was built without `test_before_acquire`).
    let mut connection: Option<PoolConnection<Postgres>> = None;
    while let Some(first) = queue.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH_JOBS {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        metrics::histogram!("osiris_payments_batch_jobs").record(jobs.len() as f64);
        let db = match connection.as_mut() {
            Some(db) => db,
            None => match writer(&pool, durability).await {
                Ok(db) => connection.insert(db),
                Err(e) => {
                    let refusal = Refusal::from(StoreError::from(e));
                    for job in jobs {
                        let _ = job.reply.send(Err(refusal.clone()));
                    }
                    continue;
                }
            },
        };
        if let Err(broken) = run(db, &local, jobs).await {
            tracing::warn!("payment store connection: {broken}; taking a new one");
            connection = None;
        }
    }
}

/// A connection for the batcher, set up for `durability`.
async fn writer(pool: &PgPool, durability: Durability) -> Result<PoolConnection<Postgres>, sqlx::Error> {
    let mut db = pool.acquire().await?;
    if durability == Durability::Relaxed {
        sqlx::query("SET synchronous_commit = off").execute(&mut *db).await?;
    }
    Ok(db)
}

/// The payments of one channel in a batch, in arrival order.
struct Channel {
    id: ChannelId,
    jobs: Vec<Job>,
}

/// What deciding a channel's payments against its row gave.
enum Decided {
    /// Nothing passed: answer the refusals, write nothing.
    Refused(Vec<Refusal>),
    /// Some passed: write `row`, then answer each job with its outcome.
    Write { row: PaymentState, outcomes: Vec<Result<PaymentState, Refusal>> },
    /// A refusal that a newer row could turn around: reload and decide again.
    Stale,
}

/// Decides and writes one batch on `db`; every job is answered. An error means the
/// connection failed (the jobs were answered UNAVAILABLE) and should be replaced.
async fn run(db: &mut PgConnection, local: &Local, jobs: Vec<Job>) -> Result<(), StoreError> {
    let mut channels: Vec<Channel> = Vec::new();
    let mut index: HashMap<ChannelId, usize> = HashMap::new();
    for job in jobs {
        let id = job.payment.channel_id;
        match index.get(&id) {
            Some(&i) => channels[i].jobs.push(job),
            None => {
                index.insert(id, channels.len());
                channels.push(Channel { id, jobs: vec![job] });
            }
        }
    }
    for round in 0..MAX_ROUNDS {
        // Rows this replica has not seen (or saw change under it) are read first.
        let missing: Vec<(ChannelId, u64)> = {
            let local = local.lock().expect("payments lock");
            channels.iter().filter(|c| !local.contains_key(&c.id)).map(|c| (c.id, c.jobs[0].facts.nonce)).collect()
        };
        let fresh: Vec<ChannelId> = missing.iter().map(|(id, _)| *id).collect();
        if !missing.is_empty() {
            match load(&mut *db, &missing).await {
                Ok(rows) => local.lock().expect("payments lock").extend(rows),
                Err(e) => {
                    answer_all(channels, &Refusal::Unavailable(e.to_string()));
                    return Err(e);
                }
            }
        }
        let mut writes = Vec::new();
        let mut pending = Vec::new();
        {
            let rows = local.lock().expect("payments lock");
            for channel in channels {
                let row = rows.get(&channel.id).cloned().unwrap_or(Versioned::ABSENT);
                match decide_channel(&channel, row.state.as_ref(), fresh.contains(&channel.id)) {
                    Decided::Refused(refusals) => answer(channel, refusals.into_iter().map(Err)),
                    Decided::Write { row: next, outcomes } => writes.push((channel, row.version, next, outcomes)),
                    Decided::Stale => pending.push(channel),
                }
            }
        }
        let written = match write(&mut *db, &writes).await {
            Ok(written) => written,
            Err(e) => {
                // Nothing is known to be written: forget the rows, so the next payment reads them.
                let mut rows = local.lock().expect("payments lock");
                for (channel, ..) in &writes {
                    rows.remove(&channel.id);
                }
                drop(rows);
                let refusal = Refusal::Unavailable(e.to_string());
                answer_all(writes.into_iter().map(|(c, ..)| c).chain(pending).collect(), &refusal);
                return Err(e);
            }
        };
        {
            let mut rows = local.lock().expect("payments lock");
            for (channel, version, next, outcomes) in writes {
                if written.contains(&channel.id) {
                    rows.insert(channel.id, Versioned { state: Some(next), version: version + 1 });
                    answer(channel, outcomes.into_iter());
                } else {
                    // Lost the compare-and-set: the row moved on; read it again.
                    rows.remove(&channel.id);
                    pending.push(channel);
                }
            }
            for channel in &pending {
                rows.remove(&channel.id);
            }
        }
        if pending.is_empty() {
            return Ok(());
        }
        tracing::debug!(round, channels = pending.len(), "payment rows changed under the batch; deciding again");
        channels = pending;
    }
    // Still changing under us after every round: answer, rather than retry forever.
    for channel in channels {
        let refusal = Refusal::from(StoreError::Contention(channel.id, MAX_ROUNDS));
        answer(channel, std::iter::repeat_with(|| Err(refusal.clone())));
    }
    Ok(())
}

/// Decides a channel's payments one after the other, each on the state the previous left.
fn decide_channel(channel: &Channel, stored: Option<&PaymentState>, fresh: bool) -> Decided {
    let mut state = stored.cloned();
    let mut outcomes = Vec::with_capacity(channel.jobs.len());
    let mut passed = false;
    for job in &channel.jobs {
        let outcome = decide(&job.payment, &job.facts, state.as_ref(), &job.terms);
        match &outcome {
            Ok(next) => {
                passed = true;
                state = Some(next.clone());
            }
            Err(refusal) if !fresh && may_pass_on_newer_state(refusal) => return Decided::Stale,
            Err(_) => {}
        }
        outcomes.push(outcome);
    }
    match state {
        Some(row) if passed => Decided::Write { row, outcomes },
        _ => Decided::Refused(outcomes.into_iter().filter_map(Result::err).collect()),
    }
}

fn answer(channel: Channel, outcomes: impl Iterator<Item = Result<PaymentState, Refusal>>) {
    for (job, outcome) in channel.jobs.into_iter().zip(outcomes) {
        let _ = job.reply.send(outcome);
    }
}

fn answer_all(channels: Vec<Channel>, refusal: &Refusal) {
    for channel in channels {
        answer(channel, std::iter::repeat_with(|| Err(refusal.clone())));
    }
}

/// Writes every decided row whose version is still the one it was decided from (version
/// 0: no row yet), in one statement; the channels written.
const WRITE: &str = "\
WITH i AS (
    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::numeric[], $5::bytea[], $6::numeric[], $7::bigint[])
        AS i(channel_id, expected, nonce, amount, signature, spent, calls)),
updated AS (
    UPDATE gateway_payments p
       SET nonce = i.nonce, amount = i.amount, signature = i.signature, spent = i.spent, calls = i.calls,
           version = p.version + 1, updated_at = now()
      FROM i WHERE p.channel_id = i.channel_id AND p.version = i.expected AND i.expected > 0
    RETURNING p.channel_id),
inserted AS (
    INSERT INTO gateway_payments (channel_id, nonce, amount, signature, spent, calls, version)
    SELECT channel_id, nonce, amount, signature, spent, calls, 1 FROM i WHERE i.expected = 0
    ON CONFLICT (channel_id) DO NOTHING
    RETURNING channel_id)
SELECT channel_id FROM updated UNION ALL SELECT channel_id FROM inserted";

/// The same conditional write for one row that exists (measured cheaper than the batch
/// statement with one row: no arrays to unnest, no CTEs).
const UPDATE_ONE: &str = "\
UPDATE gateway_payments
   SET nonce = $3, amount = $4::numeric, signature = $5, spent = $6::numeric, calls = $7,
       version = version + 1, updated_at = now()
 WHERE channel_id = $1 AND version = $2
RETURNING channel_id";

/// The same conditional write for one row that does not exist yet.
const INSERT_ONE: &str = "\
INSERT INTO gateway_payments (channel_id, nonce, amount, signature, spent, calls, version)
VALUES ($1, $2, $3::numeric, $4, $5::numeric, $6, 1)
ON CONFLICT (channel_id) DO NOTHING
RETURNING channel_id";

type Write = (Channel, i64, PaymentState, Vec<Result<PaymentState, Refusal>>);

async fn write(db: &mut PgConnection, writes: &[Write]) -> Result<Vec<ChannelId>, StoreError> {
    if let [(_, version, row, _)] = writes {
        let query = match *version {
            0 => sqlx::query_scalar(INSERT_ONE).bind(row.channel_id as i64),
            version => sqlx::query_scalar(UPDATE_ONE).bind(row.channel_id as i64).bind(version),
        };
        let written: Option<i64> = query
            .bind(row.nonce as i64)
            .bind(row.amount.to_string())
            .bind(row.signature.map(|s| s.to_vec()))
            .bind(row.spent.to_string())
            .bind(row.calls as i64)
            .fetch_optional(&mut *db)
            .await?;
        return Ok(written.map(|id| id as ChannelId).into_iter().collect());
    }
    if writes.is_empty() {
        return Ok(Vec::new());
    }
    let rows = || writes.iter().map(|(_, _, row, _)| row);
    let written: Vec<i64> = sqlx::query_scalar(WRITE)
        .bind(rows().map(|r| r.channel_id as i64).collect::<Vec<_>>())
        .bind(writes.iter().map(|(_, version, ..)| *version).collect::<Vec<_>>())
        .bind(rows().map(|r| r.nonce as i64).collect::<Vec<_>>())
        .bind(rows().map(|r| r.amount.to_string()).collect::<Vec<_>>())
        .bind(rows().map(|r| r.signature.map(|s| s.to_vec())).collect::<Vec<_>>())
        .bind(rows().map(|r| r.spent.to_string()).collect::<Vec<_>>())
        .bind(rows().map(|r| r.calls as i64).collect::<Vec<_>>())
        .fetch_all(&mut *db)
        .await?;
    Ok(written.into_iter().map(|id| id as ChannelId).collect())
}
