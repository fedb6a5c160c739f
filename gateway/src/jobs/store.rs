//! Jobs in PostgreSQL (`gateway_jobs`, migrations/0006): so a job's status survives a
//! gateway restart, and a job that was running when its gateway died is reported failed.

use osiris_contract_types::agreements::{AgreementId, Hash32};
use sqlx::postgres::{PgPool, PgRow};
use sqlx::Row;
use std::path::PathBuf;

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Accepted; the input is being agreed on chain.
    Starting,
    Running,
    /// The runner exited 0 and the outputs are registered on chain.
    Succeeded,
    /// The runner exited non-zero, the input or the outputs could not be registered, or
    /// the gateway stopped while the job ran.
    Failed,
    /// Stopped by the consumer.
    Stopped,
    /// Killed at its time limit.
    TimedOut,
}

impl JobState {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Stopped => "stopped",
            Self::TimedOut => "timed_out",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Starting, Self::Running, Self::Succeeded, Self::Failed, Self::Stopped, Self::TimedOut]
            .into_iter()
            .find(|s| s.as_str() == text)
    }

    /// Whether the job has ended.
    pub fn is_final(&self) -> bool {
        !matches!(self, Self::Starting | Self::Running)
    }
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    pub agreement_id: AgreementId,
    pub state: JobState,
    pub input_hash: Hash32,
    pub output_hash: Option<Hash32>,
    pub location: Option<String>,
    pub exit_code: Option<i32>,
    pub error: Option<String>,
    pub work_dir: PathBuf,
    /// Unix milliseconds.
    pub started_at: u64,
    pub finished_at: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum JobStoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("gateway_jobs holds a malformed {0}")]
    Malformed(&'static str),
}

/// The jobs of the gateways sharing one database.
#[derive(Debug, Clone)]
pub struct JobStore {
    pool: PgPool,
    /// This gateway's public endpoint: the jobs it runs.
    gateway: String,
}

const COLUMNS: &str = "agreement_id, state, input_hash, output_hash, location, exit_code, error, work_dir, \
    (extract(epoch from started_at) * 1000)::bigint AS started_ms, (extract(epoch from finished_at) * 1000)::bigint AS finished_ms";

impl JobStore {
    pub fn new(pool: PgPool, gateway: String) -> Self {
        Self { pool, gateway }
    }

    /// Marks the jobs this gateway left starting or running as failed (their processes
    /// died with the gateway); how many.
    pub async fn fail_orphans(&self) -> Result<u64, JobStoreError> {
        let done = sqlx::query(
            "UPDATE gateway_jobs SET state = 'failed', finished_at = now(),
                    error = 'the gateway stopped while the job was running'
             WHERE gateway = $1 AND state IN ('starting', 'running')",
        )
        .bind(&self.gateway)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Records a new job (`starting`); `false` if the agreement already has one.
    pub async fn insert(
        &self,
        agreement_id: &AgreementId,
        input_hash: &Hash32,
        work_dir: &std::path::Path,
    ) -> Result<bool, JobStoreError> {
        let done = sqlx::query(
            "INSERT INTO gateway_jobs (agreement_id, gateway, state, input_hash, work_dir)
             VALUES ($1, $2, 'starting', $3, $4) ON CONFLICT (agreement_id) DO NOTHING",
        )
        .bind(agreement_id.as_slice())
        .bind(&self.gateway)
        .bind(input_hash.as_slice())
        .bind(work_dir.to_string_lossy().as_ref())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Moves a job that has not ended to `state`; `false` if it had already ended.
    pub async fn set_state(&self, agreement_id: &AgreementId, state: JobState) -> Result<bool, JobStoreError> {
        let done = sqlx::query(
            "UPDATE gateway_jobs SET state = $2 WHERE agreement_id = $1 AND state IN ('starting', 'running')",
        )
        .bind(agreement_id.as_slice())
        .bind(state.as_str())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends a job that has not ended: its final state, exit code, error and outputs.
    pub async fn finish(
        &self,
        agreement_id: &AgreementId,
        state: JobState,
        exit_code: Option<i32>,
        error: Option<&str>,
        outputs: Option<(&Hash32, &str)>,
    ) -> Result<bool, JobStoreError> {
        let done = sqlx::query(
            "UPDATE gateway_jobs SET state = $2, exit_code = $3, error = $4, output_hash = $5, location = $6,
                    finished_at = now()
             WHERE agreement_id = $1 AND state IN ('starting', 'running')",
        )
        .bind(agreement_id.as_slice())
        .bind(state.as_str())
        .bind(exit_code)
        .bind(error)
        .bind(outputs.map(|(h, _)| h.to_vec()))
        .bind(outputs.map(|(_, l)| l.to_string()))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn get(&self, agreement_id: &AgreementId) -> Result<Option<JobRecord>, JobStoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM gateway_jobs WHERE agreement_id = $1"))
            .bind(agreement_id.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(record_from_row).transpose()
    }
}

fn record_from_row(row: &PgRow) -> Result<JobRecord, JobStoreError> {
    let hash = |bytes: Vec<u8>, field| Hash32::try_from(bytes).map_err(|_| JobStoreError::Malformed(field));
    let state: String = row.try_get("state")?;
    let output: Option<Vec<u8>> = row.try_get("output_hash")?;
    let started: i64 = row.try_get("started_ms")?;
    let finished: Option<i64> = row.try_get("finished_ms")?;
    let work_dir: String = row.try_get("work_dir")?;
    Ok(JobRecord {
        agreement_id: hash(row.try_get("agreement_id")?, "agreement_id")?,
        state: JobState::parse(&state).ok_or(JobStoreError::Malformed("state"))?,
        input_hash: hash(row.try_get("input_hash")?, "input_hash")?,
        output_hash: output.map(|o| hash(o, "output_hash")).transpose()?,
        location: row.try_get("location")?,
        exit_code: row.try_get("exit_code")?,
        error: row.try_get("error")?,
        work_dir: PathBuf::from(work_dir),
        started_at: u64::try_from(started).map_err(|_| JobStoreError::Malformed("started_at"))?,
        finished_at: finished
            .map(|f| u64::try_from(f).map_err(|_| JobStoreError::Malformed("finished_at")))
            .transpose()?,
    })
}
