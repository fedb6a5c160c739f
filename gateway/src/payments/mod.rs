//! The accepted payments, durable in PostgreSQL (`gateway_payments`, migrations/0002).
//!
//! Every accepted authorization is written with an atomic compare-and-set before its call
//! is forwarded, so replicas sharing the database never accept the same authorization
//! twice and a crash loses nothing that was answered. A local copy of each row spares most
//! checks a round trip; the database decides.
//!
//! Group commit: payments arriving together (different channels) are written by one
//! statement — one round trip and one commit for the batch (a lone payment takes a
//! simpler single-row statement) — by a batcher task that keeps up to [`BATCHES_IN_FLIGHT`] batches in flight (see
//! `batch.rs`). Each row keeps its own compare-and-set condition, so a refused payment does
//! not affect the others; if the batch statement itself fails, each row is tried alone.

use crate::metadata::{Payment, PaymentKind};
use crate::refusal::Refusal;
use osiris_contract_types::{Balance, ChannelId, Nonce, PaymentSignature};
use sqlx::postgres::{PgPool, PgRow};
use sqlx::Row;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

mod batch;
pub use batch::{BATCHES_IN_FLIGHT, MAX_BATCH};

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
    jobs: mpsc::UnboundedSender<batch::Job>,
}

/// What an accepted call changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub state: PaymentState,
}

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
        tokio::spawn(batch::batcher(pool.clone(), queue));
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
            .send(batch::Job { payment: payment.clone(), price, reply })
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

pub(crate) fn state_from_row(channel_id: ChannelId, row: &PgRow) -> Result<PaymentState, Refusal> {
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

pub(crate) fn parse(text: String) -> Result<Balance, Refusal> {
    text.parse().map_err(|_| Refusal::Unavailable(format!("stored amount {text} is not a u128")))
}
