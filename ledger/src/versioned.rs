//! **The** conditional-write loop of Osiris: every deal kind whose calls leave state (channel
//! payments, metering records, free-call counts) is stored through it.
//!
//! A call's proof is decided by its kind's rule ([`Deal::decide`]) against the row it
//! belongs to, and the state it decided is written **on condition that the row is still
//! the version it was decided from**. A write that loses (another replica, or a claim,
//! changed the row) reloads the row and decides again — in a transaction that locks the
//! rows it reads (`SELECT … FOR UPDATE`, [`RowLock::ForUpdate`]), so that a replica
//! that must read first is not starved by one writing from an up-to-date copy. So replicas sharing the database
//! never accept the same proof twice, and an accepted call is committed before it is
//! answered.
//!
//! Every replica keeps a copy of the rows it has seen, so that the usual call costs one
//! round trip (the write). Calls arriving together are written by one statement and one
//! commit (group commit); several calls on one row in a batch (prepaid draws, racing
//! replays) are decided one after the other and their row written once. One batch runs at
//! a time: measured on 2 cores with 16 concurrent consumers, one writer gave the largest
//! batches and the most calls per second.
//!
//! What differs between kinds — the table, its key and its columns — is a [`Table`].

use osiris_payments::{Deal, Refusal};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnection, PgPool, Postgres};
use std::collections::HashMap;
use std::fmt::Debug;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// Most calls taken into one batch.
pub const MAX_BATCH_JOBS: usize = 512;
/// Most rounds of reload-and-decide for one batch before its calls are answered
/// UNAVAILABLE (each round needs another writer to have changed the row meanwhile).
pub const MAX_ROUNDS: usize = 8;

/// Errors of a store's database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{table} holds a malformed {field} for {row}")]
    Malformed { table: &'static str, row: String, field: &'static str },
    #[error("the store is shutting down")]
    Closed,
    #[error("{0}'s row kept changing under {1} attempts; retry")]
    Contention(String, usize),
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Refusal::Unavailable(e.to_string())
    }
}

/// How durable a committed call is before it is answered.
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
    /// lose the payments of that last window. Authorizations and metering records are
    /// cumulative, so only the provider can lose: the increments accepted in the window
    /// (the calls were served; the consumer keeps that money). No consumer ever pays twice.
    Relaxed,
}

/// A stored row: the state and the version it was read or written at (0: no row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned<S> {
    pub state: Option<S>,
    pub version: i64,
}

impl<S> Versioned<S> {
    /// No row yet: the first write inserts it at version 1.
    pub fn absent() -> Self {
        Self { state: None, version: 0 }
    }
}

/// The proof, facts, state and terms of a table's deal kind.
pub type Proof<T> = <<T as Table>::Deal as Deal>::Proof;
pub type Facts<T> = <<T as Table>::Deal as Deal>::Facts;
pub type State<T> = <<T as Table>::Deal as Deal>::State;
pub type Terms<T> = <<T as Table>::Deal as Deal>::Terms;

/// A row decided and waiting to be written: its key, the version it was decided from and
/// the state to write.
pub struct Write<'a, T: Table> {
    pub key: &'a T::Key,
    pub expected: i64,
    pub state: &'a State<T>,
}

/// Whether a load locks the rows it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowLock {
    /// A plain read.
    None,
    /// `SELECT … FOR UPDATE`, the rows locked until the transaction ends: how a batch that
    /// lost its compare-and-set reads again.
    ForUpdate,
}

impl RowLock {
    /// `sql` as this lock reads: unchanged, or with `suffix` (its `FOR UPDATE` clause) added.
    pub fn sql<'a>(self, sql: &'a str, suffix: &str) -> std::borrow::Cow<'a, str> {
        match self {
            Self::None => sql.into(),
            Self::ForUpdate => format!("{sql}\n{suffix}").into(),
        }
    }
}

/// Where one deal kind's state lives: a PostgreSQL table with a `version` column.
pub trait Table: Send + Sync + 'static {
    /// The kind whose rule decides the rows.
    type Deal: Deal;
    /// What identifies a row (a channel id, an agreement id, a consumer key).
    type Key: Eq + Hash + Clone + Debug + Send + Sync + 'static;

    /// The row a proof is decided against.
    fn key(proof: &Proof<Self>) -> Self::Key;

    /// How refusals and errors name a row ("channel 7").
    fn describe(key: &Self::Key) -> String;

    /// Reads the rows of `keys` (with the facts of a call on each, for tables whose reading
    /// depends on the mirror), locking them as `lock` says; a key without a row may be left out.
    fn load(
        &self,
        db: &mut PgConnection,
        keys: &[(Self::Key, &Facts<Self>)],
        lock: RowLock,
    ) -> impl Future<Output = Result<HashMap<Self::Key, Versioned<State<Self>>>, StoreError>> + Send;

    /// Writes each row whose version is still `expected` (0: no row yet, insert it) at
    /// version `expected + 1`, in one statement; the keys written.
    fn write(
        &self,
        db: &mut PgConnection,
        rows: &[Write<'_, Self>],
    ) -> impl Future<Output = Result<Vec<Self::Key>, StoreError>> + Send
    where
        Self: Sized;
}

/// A call on its way into the store; resolves to the state after it, or the refusal.
pub type Pending<S> = oneshot::Receiver<Result<S, Refusal>>;

type Rows<T> = Arc<Mutex<HashMap<<T as Table>::Key, Versioned<State<T>>>>>;

/// One call waiting for the batcher.
struct Job<T: Table> {
    proof: Proof<T>,
    facts: Arc<Facts<T>>,
    terms: Terms<T>,
    reply: oneshot::Sender<Result<State<T>, Refusal>>,
}

/// A deal kind's shared store: PostgreSQL plus this replica's copy of the rows it has seen.
pub struct VersionedStore<T: Table> {
    table: Arc<T>,
    pool: PgPool,
    local: Rows<T>,
    jobs: mpsc::UnboundedSender<Job<T>>,
}

impl<T: Table> Clone for VersionedStore<T> {
    fn clone(&self) -> Self {
        Self { table: self.table.clone(), pool: self.pool.clone(), local: self.local.clone(), jobs: self.jobs.clone() }
    }
}

impl<T: Table> Debug for VersionedStore<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VersionedStore").field("table", &std::any::type_name::<T>()).finish()
    }
}

impl<T> VersionedStore<T>
where
    T: Table,
    Proof<T>: Send + 'static,
    Facts<T>: Send + Sync + 'static,
    State<T>: Send + Sync + 'static,
    Terms<T>: Send + 'static,
{
    /// A store of `table` over `pool` committing with `durability`; starts its batcher
    /// task (needs a Tokio runtime).
    pub fn new(table: T, pool: PgPool, durability: Durability) -> Self {
        let table = Arc::new(table);
        let local = Rows::<T>::default();
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(batcher(table.clone(), pool.clone(), durability, local.clone(), queue));
        Self { table, pool, local, jobs }
    }

    /// The database pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// This replica's copy of a row's state, if it has one (may be behind the database).
    pub fn cached(&self, key: &T::Key) -> Option<State<T>> {
        self.local.lock().expect("store lock").get(key).and_then(|v| v.state.clone())
    }

    /// Reads a row from the database and refreshes the local copy.
    pub async fn load(&self, key: &T::Key, facts: &Facts<T>) -> Result<Option<State<T>>, StoreError> {
        let mut db = self.pool.acquire().await?;
        let mut loaded = self.table.load(&mut db, &[(key.clone(), facts)], RowLock::None).await?;
        let row = loaded.remove(key).unwrap_or_else(Versioned::absent);
        self.local.lock().expect("store lock").insert(key.clone(), row.clone());
        Ok(row.state)
    }

    /// Hands `proof` for one call under `facts` and `terms` to the batcher: it is decided
    /// against the stored state and, if it passes, written before the returned [`Pending`]
    /// resolves. The proof's signature must have been verified unless the stored state
    /// holds it.
    pub fn submit(&self, proof: Proof<T>, facts: Arc<Facts<T>>, terms: Terms<T>) -> Result<Pending<State<T>>, Refusal> {
        let (reply, pending) = oneshot::channel();
        self.jobs.send(Job { proof, facts, terms, reply }).map_err(|_| Refusal::from(StoreError::Closed))?;
        Ok(pending)
    }

    /// [`submit`](Self::submit) and wait: the state after the call, durable when this returns Ok.
    pub async fn accept(&self, proof: Proof<T>, facts: Arc<Facts<T>>, terms: Terms<T>) -> Result<State<T>, Refusal> {
        let pending = self.submit(proof, facts, terms)?;
        pending.await.map_err(|_| Refusal::from(StoreError::Closed))?
    }
}

/// Runs batches until every sender of `queue` is gone.
async fn batcher<T: Table>(
    table: Arc<T>,
    pool: PgPool,
    durability: Durability,
    local: Rows<T>,
    mut queue: mpsc::UnboundedReceiver<Job<T>>,
) where
    State<T>: Clone,
{
    // The batcher is the table's only writer in this replica: it keeps one connection
    // rather than taking one from the pool per batch (each take costs the pool's
    // bookkeeping, and a ping unless the pool was built without `test_before_acquire`).
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
        if let Err(broken) = run(&*table, db, &local, jobs).await {
            tracing::warn!("store connection: {broken}; taking a new one");
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

/// The calls on one row in a batch, in arrival order.
struct Group<T: Table> {
    key: T::Key,
    jobs: Vec<Job<T>>,
}

/// What deciding a row's calls against it gave.
enum Decided<S> {
    /// Nothing passed: answer the refusals, write nothing.
    Refused(Vec<Refusal>),
    /// Some passed: write `row`, then answer each job with its outcome.
    Write { row: S, outcomes: Vec<Result<S, Refusal>> },
    /// A refusal that a newer row could turn around: reload and decide again.
    Stale,
}

/// Decides and writes one batch on `db`; every job is answered. An error means the
/// connection failed (the jobs were answered UNAVAILABLE) and should be replaced.
async fn run<T: Table>(table: &T, db: &mut PgConnection, local: &Rows<T>, jobs: Vec<Job<T>>) -> Result<(), StoreError>
where
    State<T>: Clone,
{
    let mut groups: Vec<Group<T>> = Vec::new();
    let mut index: HashMap<T::Key, usize> = HashMap::new();
    for job in jobs {
        let key = T::key(&job.proof);
        match index.get(&key) {
            Some(&i) => groups[i].jobs.push(job),
            None => {
                index.insert(key.clone(), groups.len());
                groups.push(Group { key, jobs: vec![job] });
            }
        }
    }
    for round in 0..MAX_ROUNDS {
        // The first round is optimistic (no lock: the usual call costs one round trip). A
        // batch that lost its compare-and-set decides again in a transaction that locks the
        // rows it reads, so it cannot lose again: without that, a replica writing the same
        // row from an up-to-date copy wins every race against one that must read first.
        let pending = if round == 0 {
            let (pending, written) = decide_and_write(table, &mut *db, local, groups, RowLock::None).await?;
            answer_written(written);
            pending
        } else {
            let mut tx = sqlx::Connection::begin(&mut *db).await?;
            let (pending, written) = decide_and_write(table, &mut tx, local, groups, RowLock::ForUpdate).await?;
            // Answered only once committed; a failed commit wrote nothing.
            if let Err(e) = tx.commit().await {
                let mut rows = local.lock().expect("store lock");
                for (group, _) in &written {
                    rows.remove(&group.key);
                }
                drop(rows);
                let refusal = Refusal::Unavailable(e.to_string());
                answer_all(written.into_iter().map(|(g, _)| g).chain(pending).collect(), &refusal);
                return Err(e.into());
            }
            answer_written(written);
            pending
        };
        if pending.is_empty() {
            return Ok(());
        }
        tracing::debug!(round, rows = pending.len(), "rows changed under the batch; deciding again");
        groups = pending;
    }
    // Still changing under us after every round: answer, rather than retry forever.
    for group in groups {
        let refusal = Refusal::from(StoreError::Contention(T::describe(&group.key), MAX_ROUNDS));
        answer(group, std::iter::repeat_with(|| Err(refusal.clone())));
    }
    Ok(())
}

/// A group written, with each of its jobs' outcomes (answered once the write is durable).
type WrittenGroup<T> = (Group<T>, Vec<Result<State<T>, Refusal>>);

/// A group decided and waiting to be written: the version it was decided from, the row to
/// write and each of its jobs' outcomes.
type DecidedGroup<T> = (Group<T>, i64, State<T>, Vec<Result<State<T>, Refusal>>);

/// One round of a batch on `db`: reads the rows it has no copy of (locking them if
/// `lock`), decides every group, writes, and answers the refusals. Returns the groups whose
/// rows changed under it (to decide again) and the groups written, to answer once the write
/// is durable. An error: the jobs were answered UNAVAILABLE.
async fn decide_and_write<T: Table>(
    table: &T,
    db: &mut PgConnection,
    local: &Rows<T>,
    groups: Vec<Group<T>>,
    lock: RowLock,
) -> Result<(Vec<Group<T>>, Vec<WrittenGroup<T>>), StoreError>
where
    State<T>: Clone,
{
    // Rows this replica has not seen (or saw change under it) are read first.
    let fresh: Vec<T::Key> = {
        let local = local.lock().expect("store lock");
        groups.iter().filter(|g| !local.contains_key(&g.key)).map(|g| g.key.clone()).collect()
    };
    if !fresh.is_empty() {
        let missing: Vec<(T::Key, &Facts<T>)> =
            groups.iter().filter(|g| fresh.contains(&g.key)).map(|g| (g.key.clone(), &*g.jobs[0].facts)).collect();
        match table.load(&mut *db, &missing, lock).await {
            Ok(mut rows) => {
                let mut local = local.lock().expect("store lock");
                for key in &fresh {
                    local.insert(key.clone(), rows.remove(key).unwrap_or_else(Versioned::absent));
                }
            }
            Err(e) => {
                answer_all(groups, &Refusal::Unavailable(e.to_string()));
                return Err(e);
            }
        }
    }
    let mut writes: Vec<DecidedGroup<T>> = Vec::new();
    let mut pending = Vec::new();
    {
        let rows = local.lock().expect("store lock");
        for group in groups {
            let row = rows.get(&group.key).cloned().unwrap_or_else(Versioned::absent);
            match decide_group(&group, row.state.as_ref(), fresh.contains(&group.key)) {
                Decided::Refused(refusals) => answer(group, refusals.into_iter().map(Err)),
                Decided::Write { row: next, outcomes } => writes.push((group, row.version, next, outcomes)),
                Decided::Stale => pending.push(group),
            }
        }
    }
    let rows: Vec<Write<'_, T>> =
        writes.iter().map(|(g, expected, state, _)| Write { key: &g.key, expected: *expected, state }).collect();
    let written = if rows.is_empty() { Ok(Vec::new()) } else { table.write(&mut *db, &rows).await };
    drop(rows);
    let written = match written {
        Ok(written) => written,
        Err(e) => {
            // Nothing is known to be written: forget the rows, so the next call reads them.
            let mut rows = local.lock().expect("store lock");
            for (group, ..) in &writes {
                rows.remove(&group.key);
            }
            drop(rows);
            let refusal = Refusal::Unavailable(e.to_string());
            answer_all(writes.into_iter().map(|(g, ..)| g).chain(pending).collect(), &refusal);
            return Err(e);
        }
    };
    let mut done = Vec::new();
    {
        let mut rows = local.lock().expect("store lock");
        for (group, version, next, outcomes) in writes {
            if written.contains(&group.key) {
                rows.insert(group.key.clone(), Versioned { state: Some(next), version: version + 1 });
                done.push((group, outcomes));
            } else {
                // Lost the compare-and-set: the row moved on; read it again.
                rows.remove(&group.key);
                pending.push(group);
            }
        }
        for group in &pending {
            rows.remove(&group.key);
        }
    }
    Ok((pending, done))
}

fn answer_written<T: Table>(written: Vec<WrittenGroup<T>>) {
    for (group, outcomes) in written {
        answer(group, outcomes.into_iter());
    }
}

/// Decides a row's calls one after the other, each on the state the previous left.
fn decide_group<T: Table>(group: &Group<T>, stored: Option<&State<T>>, fresh: bool) -> Decided<State<T>>
where
    State<T>: Clone,
{
    let mut state = stored.cloned();
    let mut outcomes = Vec::with_capacity(group.jobs.len());
    let mut passed = false;
    for job in &group.jobs {
        let outcome = T::Deal::decide(&job.proof, &job.facts, state.as_ref(), &job.terms);
        match &outcome {
            Ok(next) => {
                passed = true;
                state = Some(next.clone());
            }
            Err(refusal) if !fresh && T::Deal::may_pass_on_newer_state(refusal) => return Decided::Stale,
            Err(_) => {}
        }
        outcomes.push(outcome);
    }
    match state {
        Some(row) if passed => Decided::Write { row, outcomes },
        _ => Decided::Refused(outcomes.into_iter().filter_map(Result::err).collect()),
    }
}

fn answer<T: Table>(group: Group<T>, outcomes: impl Iterator<Item = Result<State<T>, Refusal>>) {
    for (job, outcome) in group.jobs.into_iter().zip(outcomes) {
        let _ = job.reply.send(outcome);
    }
}

fn answer_all<T: Table>(groups: Vec<Group<T>>, refusal: &Refusal) {
    for group in groups {
        answer(group, std::iter::repeat_with(|| Err(refusal.clone())));
    }
}
