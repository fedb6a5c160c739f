//! Compute jobs (`service_type = "job"`): the `osiris.gateway.v1.Jobs` service.
//!
//! A consumer with an active agreement on this gateway's service uploads its algorithm
//! with its signature over the files' hash (the one it submitted on chain). The gateway
//! checks the agreement with the same rule as agreement-backed calls
//! (`osiris_payments::metering::check_agreement`, from the mirror), hashes the files as
//! `osiris_payments::signing::agreement::files_hash` does and checks the signature, records the job
//! ([`store`]), agrees the input on chain (`fulfil_input`), runs the provider's runner
//! ([`runner`]) and, when it succeeds, registers the outputs' hash and location on chain
//! as the agreement's result (`fulfil_access`), owned by the consumer. Reading, stopping
//! and fetching a job need a fresh signature by the agreement's consumer key.

pub mod dirs;
pub mod runner;
pub mod sandbox;
pub mod store;

use crate::channels::ChannelCache;
use crate::pb::{self, jobs_server};
use crate::state_service::{parse_agreement_id, signed_by_consumer};
use osiris_chain::agreements::Agreements;
use osiris_chain::{AccountId, Signer};
use osiris_contract_types::agreements::{AgreementId, Hash32};
use osiris_contract_types::PaymentSignature;
use osiris_payments::metering::{check_agreement, id_text};
use osiris_payments::signing::agreement::files_hash;
use runner::{JobDirs, Limits, Outcome};
use sandbox::Sandbox;
use std::collections::HashMap;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::{JobRecord, JobState, JobStore};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

/// Largest StartJob request (the algorithm's files together), bytes.
pub const MAX_UPLOAD_BYTES: usize = 64 << 20;
/// Most files one upload may hold.
pub const MAX_INPUT_FILES: usize = 1_000;
/// How often a log stream looks for new output, and for the job's end.
pub const LOG_POLL_INTERVAL: Duration = Duration::from_millis(200);

/// What the job service needs; shared by the requests and the running jobs.
pub struct Jobs {
    pub channels: Arc<ChannelCache>,
    pub store: JobStore,
    /// The agreements contract (signatures are for it) and its client (fulfilments).
    pub contract: AccountId,
    pub agreements: Agreements,
    /// The provider's key: it fulfils the input and access conditions.
    pub provider: Signer,
    /// The runner program and its first arguments.
    pub runner: Vec<String>,
    /// The provider's data set, given to every job.
    pub data_dir: PathBuf,
    /// Where each job gets its directory (`0x<agreement id>/`).
    pub work_dir: PathBuf,
    pub limits: Limits,
    /// How each job is isolated from the gateway and the machine.
    pub sandbox: Sandbox,
    /// This gateway's public URL: outputs are located under it.
    pub public_endpoint: String,
    pub expiry_threshold: u32,
    /// Stop switches of the jobs this gateway is running.
    running: Mutex<HashMap<AgreementId, CancellationToken>>,
}

impl Jobs {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        channels: Arc<ChannelCache>,
        store: JobStore,
        contract: AccountId,
        agreements: Agreements,
        provider: Signer,
        runner: Vec<String>,
        data_dir: PathBuf,
        work_dir: PathBuf,
        limits: Limits,
        sandbox: Sandbox,
        public_endpoint: String,
        expiry_threshold: u32,
    ) -> Arc<Self> {
        Arc::new(Self {
            channels,
            store,
            contract,
            agreements,
            provider,
            runner,
            data_dir,
            work_dir,
            limits,
            sandbox,
            public_endpoint,
            expiry_threshold,
            running: Mutex::default(),
        })
    }

    /// Where a job's outputs are served, as registered on chain.
    pub fn location(&self, agreement_id: &AgreementId) -> String {
        format!("{}/jobs/{}", self.public_endpoint.trim_end_matches('/'), id_text(agreement_id))
    }

    /// The agreement of a signed job request, if the signature is its consumer key's.
    async fn authorized(&self, request: pb::JobRequest) -> Result<AgreementId, Status> {
        let agreement_id = parse_agreement_id(request.agreement_id)?;
        let digest = osiris_payments::signing::agreement::job_digest;
        signed_by_consumer(
            &self.channels,
            Some(&self.contract),
            &agreement_id,
            request.timestamp,
            request.signature,
            digest,
        )
        .await?;
        Ok(agreement_id)
    }

    async fn record(&self, agreement_id: &AgreementId) -> Result<JobRecord, Status> {
        self.store
            .get(agreement_id)
            .await
            .map_err(|e| Status::unavailable(e.to_string()))?
            .ok_or_else(|| Status::not_found(format!("no job was started for agreement {}", id_text(agreement_id))))
    }

    /// Starts a job: checks, records, writes the algorithm, and runs the rest in the background.
    async fn start(self: Arc<Self>, request: pb::StartJobRequest) -> Result<JobRecord, Status> {
        let agreement_id = parse_agreement_id(request.agreement_id)?;
        let files = checked_files(request.files)?;
        let signature: PaymentSignature = request.input_signature.try_into().map_err(|s: Vec<u8>| {
            Status::invalid_argument(format!("input_signature is {} bytes, expected 65", s.len()))
        })?;
        // The cache may not have seen the payment locked a moment ago: the mirror decides then.
        let (facts, ()) = self
            .channels
            .decide_agreement(&agreement_id, |facts| {
                check_agreement(facts, &self.channels.service_terms(self.expiry_threshold))
            })
            .await
            .map_err(|refusal| crate::refusal::status(&refusal))?;
        let input_hash = files_hash(&files);
        if !osiris_payments::signing::agreement::is_input_signed_by(
            &signature,
            &facts.consumer_key,
            &self.contract,
            &agreement_id,
            &input_hash,
        ) {
            return Err(Status::unauthenticated(format!(
                "input_signature is not the agreement's consumer key's signature over these files (hash {})",
                id_text(&input_hash)
            )));
        }
        let dirs = JobDirs::new(self.work_dir.join(id_text(&agreement_id)), &self.data_dir);
        let inserted = self.store.insert(&agreement_id, &input_hash, &dirs.root).await.map_err(unavailable)?;
        if !inserted {
            return Err(Status::already_exists(format!(
                "a job was already started for agreement {}; ask GetJob",
                id_text(&agreement_id)
            )));
        }
        if let Err(e) = write_input(&dirs, &files, self.sandbox.user()) {
            let error = format!("writing the algorithm: {e}");
            self.store.finish(&agreement_id, JobState::Failed, None, Some(&error), None).await.map_err(unavailable)?;
            return Err(Status::internal(error));
        }
        let stop = CancellationToken::new();
        self.running.lock().expect("jobs lock").insert(agreement_id, stop.clone());
        tokio::spawn(self.clone().execute(agreement_id, input_hash, dirs, stop));
        self.record(&agreement_id).await
    }

    /// Agrees the input on chain, runs the job and registers its outputs; records the end.
    async fn execute(
        self: Arc<Self>,
        agreement_id: AgreementId,
        input_hash: Hash32,
        dirs: JobDirs,
        stop: CancellationToken,
    ) {
        let (state, exit_code, error, outputs) = self.run_job(&agreement_id, input_hash, &dirs, &stop).await;
        self.running.lock().expect("jobs lock").remove(&agreement_id);
        let outputs = outputs.as_ref().map(|(hash, location)| (hash, location.as_str()));
        match self.store.finish(&agreement_id, state, exit_code, error.as_deref(), outputs).await {
            Ok(_) => tracing::info!(
                "job {} ended {}{}",
                id_text(&agreement_id),
                state.as_str(),
                error.map(|e| format!(": {e}")).unwrap_or_default()
            ),
            Err(e) => tracing::warn!("recording the end of job {}: {e}", id_text(&agreement_id)),
        }
    }

    async fn run_job(
        &self,
        agreement_id: &AgreementId,
        input_hash: Hash32,
        dirs: &JobDirs,
        stop: &CancellationToken,
    ) -> (JobState, Option<i32>, Option<String>, Option<(Hash32, String)>) {
        let failed = |e: String| (JobState::Failed, None, Some(e), None);
        if let Err(e) = self.agreements.fulfil_input(&self.provider, *agreement_id, input_hash).await {
            return failed(format!("agreeing the input on chain: {e} (did the consumer submit its input signature?)"));
        }
        match self.store.set_state(agreement_id, JobState::Running).await {
            Ok(true) if !stop.is_cancelled() => {}
            Ok(_) => return (JobState::Stopped, None, Some("stopped before it ran".into()), None),
            Err(e) => return failed(format!("recording the job as running: {e}")),
        }
        if matches!(self.sandbox, Sandbox::None) {
            tracing::warn!(
                "job {} runs without a sandbox (job_sandbox = \"none\"): the runner must isolate it",
                id_text(agreement_id)
            );
        }
        let outcome = match runner::run(&self.runner, &self.sandbox, dirs, self.limits, stop.clone()).await {
            Ok(outcome) => outcome,
            Err(e) => return failed(format!("starting the runner {}: {e}", self.runner.join(" "))),
        };
        match outcome {
            Outcome::Exited(0) => {
                let files = match read_outputs(&dirs.output, self.limits.output_bytes) {
                    Ok(files) => files,
                    Err(e) => return failed(format!("reading the outputs: {e}")),
                };
                let hash = files_hash(&files);
                let location = self.location(agreement_id);
                match self.agreements.fulfil_access(&self.provider, *agreement_id, hash, &location).await {
                    Ok(_) => (JobState::Succeeded, Some(0), None, Some((hash, location))),
                    Err(e) => (JobState::Failed, Some(0), Some(format!("registering the outputs on chain: {e}")), None),
                }
            }
            Outcome::Exited(code) => {
                (JobState::Failed, Some(code), Some(format!("the job exited with code {code}")), None)
            }
            Outcome::Signalled(signal) => {
                failed(format!("the job was killed by signal {signal} (its CPU or memory limit?)"))
            }
            Outcome::TimedOut => (
                JobState::TimedOut,
                None,
                Some(format!("killed at its time limit of {} s", self.limits.wall.as_secs())),
                None,
            ),
            Outcome::Stopped => (JobState::Stopped, None, Some("stopped by the consumer".into()), None),
        }
    }

    async fn stop(&self, agreement_id: &AgreementId) -> Result<JobRecord, Status> {
        let record = self.record(agreement_id).await?;
        if record.state.is_final() {
            return Err(Status::failed_precondition(format!("the job has already ended ({})", record.state.as_str())));
        }
        let token = self.running.lock().expect("jobs lock").get(agreement_id).cloned();
        match token {
            Some(token) => token.cancel(),
            // Run by another replica of the group, or orphaned: record it stopped here.
            None => {
                self.store
                    .finish(agreement_id, JobState::Stopped, None, Some("stopped by the consumer"), None)
                    .await
                    .map_err(unavailable)?;
            }
        }
        // The runner is killed at once; give the job's task a moment to record it.
        for _ in 0..50 {
            let record = self.record(agreement_id).await?;
            if record.state.is_final() {
                return Ok(record);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.record(agreement_id).await
    }
}

fn unavailable(e: impl std::fmt::Display) -> Status {
    Status::unavailable(e.to_string())
}

/// The uploaded files, each name a relative path without `.`/`..` parts, unique.
fn checked_files(files: Vec<pb::JobFile>) -> Result<Vec<(String, Vec<u8>)>, Status> {
    if files.is_empty() {
        return Err(Status::invalid_argument("files: the algorithm needs at least one file"));
    }
    if files.len() > MAX_INPUT_FILES {
        return Err(Status::invalid_argument(format!("files: {} files, at most {MAX_INPUT_FILES}", files.len())));
    }
    let mut seen = std::collections::HashSet::new();
    files
        .into_iter()
        .map(|f| {
            let path = Path::new(&f.name);
            let plain = !f.name.is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)));
            if !plain || f.name.contains('\\') {
                return Err(Status::invalid_argument(format!(
                    "files: `{}` is not a relative path of plain names (no `/` at the start, no `.` or `..`)",
                    f.name
                )));
            }
            if !seen.insert(f.name.clone()) {
                return Err(Status::invalid_argument(format!("files: `{}` is given twice", f.name)));
            }
            Ok((f.name, f.content))
        })
        .collect()
}

fn write_input(dirs: &JobDirs, files: &[(String, Vec<u8>)], user: Option<sandbox::JobUser>) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    if dirs.root.exists() {
        std::fs::remove_dir_all(&dirs.root)?;
    }
    // Readable by the job's user whatever the gateway's umask; written by the gateway only.
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true).mode(0o755);
    builder.create(&dirs.algorithm)?;
    for (name, content) in files {
        let path = dirs.algorithm.join(name);
        if let Some(parent) = path.parent() {
            builder.create(parent)?;
        }
        std::fs::write(&path, content)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))?;
    }
    sandbox::prepare_output(&dirs.output, user)
}

/// Every regular file under `dir`, named by its `/`-separated path relative to `dir`. A
/// job writes this directory: symbolic links (which could point at the gateway's own
/// files) and special files are refused, and so are outputs above `limit` bytes in all.
fn read_outputs(dir: &Path, limit: Option<u64>) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    let mut total = 0u64;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current)? {
            let entry = entry?;
            let path = entry.path();
            let name = path.strip_prefix(dir).expect("under dir").to_string_lossy().replace('\\', "/");
            let kind = entry.file_type()?;
            if kind.is_dir() {
                pending.push(path);
                continue;
            }
            if !kind.is_file() {
                return Err(std::io::Error::other(format!("output {name} is not a regular file")));
            }
            // Opened without following a link swapped in since the directory was read.
            let mut file =
                std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(&path)?;
            total = total.saturating_add(file.metadata()?.len());
            if limit.is_some_and(|limit| total > limit) {
                return Err(std::io::Error::other(format!("the outputs exceed {} bytes", limit.unwrap_or(0))));
            }
            let mut content = Vec::new();
            std::io::Read::read_to_end(&mut file, &mut content)?;
            files.push((name, content));
        }
    }
    files.sort();
    Ok(files)
}

fn job_reply(job: &JobRecord) -> pb::Job {
    pb::Job {
        agreement_id: job.agreement_id.to_vec(),
        state: job.state.as_str().into(),
        input_hash: id_text(&job.input_hash),
        output_hash: job.output_hash.as_ref().map(id_text).unwrap_or_default(),
        location: job.location.clone().unwrap_or_default(),
        exit_code: job.exit_code.unwrap_or(-1),
        error: job.error.clone().unwrap_or_default(),
        started_at: job.started_at,
        finished_at: job.finished_at.unwrap_or(0),
    }
}

/// The gRPC face of [`Jobs`].
#[derive(Clone)]
pub struct JobService(pub Arc<Jobs>);

type Streamed<T> = tokio_stream::wrappers::ReceiverStream<Result<T, Status>>;

#[tonic::async_trait]
impl jobs_server::Jobs for JobService {
    async fn start_job(&self, request: Request<pb::StartJobRequest>) -> Result<Response<pb::Job>, Status> {
        let job = self.0.clone().start(request.into_inner()).await?;
        Ok(Response::new(job_reply(&job)))
    }

    async fn get_job(&self, request: Request<pb::JobRequest>) -> Result<Response<pb::Job>, Status> {
        let id = self.0.authorized(request.into_inner()).await?;
        Ok(Response::new(job_reply(&self.0.record(&id).await?)))
    }

    type StreamLogsStream = Streamed<pb::LogChunk>;

    async fn stream_logs(&self, request: Request<pb::JobRequest>) -> Result<Response<Self::StreamLogsStream>, Status> {
        let id = self.0.authorized(request.into_inner()).await?;
        let job = self.0.record(&id).await?;
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        let jobs = self.0.clone();
        let log = JobDirs::new(job.work_dir.clone(), &jobs.data_dir).log;
        tokio::spawn(async move {
            let mut offset = 0usize;
            loop {
                // Whether the job had ended before this read: then the read gets all there is.
                let ended = match jobs.record(&id).await {
                    Ok(job) => job.state.is_final(),
                    Err(status) => {
                        let _ = tx.send(Err(status)).await;
                        return;
                    }
                };
                let bytes = std::fs::read(&log).unwrap_or_default();
                if bytes.len() > offset {
                    let chunk = pb::LogChunk { data: bytes[offset..].to_vec() };
                    offset = bytes.len();
                    if tx.send(Ok(chunk)).await.is_err() {
                        return;
                    }
                }
                if ended {
                    return;
                }
                tokio::time::sleep(LOG_POLL_INTERVAL).await;
            }
        });
        Ok(Response::new(Streamed::new(rx)))
    }

    async fn stop_job(&self, request: Request<pb::JobRequest>) -> Result<Response<pb::Job>, Status> {
        let id = self.0.authorized(request.into_inner()).await?;
        Ok(Response::new(job_reply(&self.0.stop(&id).await?)))
    }

    type FetchOutputsStream = Streamed<pb::JobFile>;

    async fn fetch_outputs(
        &self,
        request: Request<pb::JobRequest>,
    ) -> Result<Response<Self::FetchOutputsStream>, Status> {
        let id = self.0.authorized(request.into_inner()).await?;
        let job = self.0.record(&id).await?;
        if job.state != JobState::Succeeded {
            return Err(Status::failed_precondition(format!(
                "the job is {}: outputs are served once it has succeeded",
                job.state.as_str()
            )));
        }
        let dirs = JobDirs::new(job.work_dir.clone(), &self.0.data_dir);
        let files = read_outputs(&dirs.output, self.0.limits.output_bytes)
            .map_err(|e| Status::internal(format!("reading the outputs: {e}")))?;
        let (tx, rx) = tokio::sync::mpsc::channel(files.len().max(1));
        for (name, content) in files {
            let _ = tx.try_send(Ok(pb::JobFile { name, content }));
        }
        Ok(Response::new(Streamed::new(rx)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str) -> pb::JobFile {
        pb::JobFile { name: name.into(), content: b"x".to_vec() }
    }

    #[test]
    fn uploaded_names_must_be_plain_relative_paths() {
        assert!(checked_files(vec![file("main.py"), file("lib/util.py")]).is_ok());
        for bad in ["", "/etc/passwd", "../up.py", "a/../../b", "./x", "a\\b"] {
            let err = checked_files(vec![file(bad)]).unwrap_err();
            assert_eq!(err.code(), tonic::Code::InvalidArgument, "{bad}");
        }
        assert!(checked_files(vec![file("a"), file("a")]).is_err());
        assert!(checked_files(vec![]).is_err());
    }

    #[test]
    fn outputs_are_named_relative_to_the_output_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("b.txt"), "2").unwrap();
        std::fs::write(dir.path().join("sub/a.txt"), "1").unwrap();
        let files = read_outputs(dir.path(), None).unwrap();
        assert_eq!(files, vec![("b.txt".into(), b"2".to_vec()), ("sub/a.txt".into(), b"1".to_vec())]);
    }

    #[test]
    fn a_job_cannot_deliver_the_gateways_files_through_links_or_flood_the_outputs() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("gateway.toml");
        std::fs::write(&secret, "recipient_suri = \"//Secret\"").unwrap();
        let output = dir.path().join("output");
        std::fs::create_dir_all(&output).unwrap();
        std::os::unix::fs::symlink(&secret, output.join("stats.txt")).unwrap();
        let refused = read_outputs(&output, None).unwrap_err();
        assert!(refused.to_string().contains("stats.txt is not a regular file"), "{refused}");
        std::fs::remove_file(output.join("stats.txt")).unwrap();
        std::os::unix::fs::symlink("/", output.join("root")).unwrap();
        assert!(read_outputs(&output, None).is_err(), "a link to / was followed");
        std::fs::remove_file(output.join("root")).unwrap();
        std::fs::write(output.join("big"), vec![0u8; 2048]).unwrap();
        assert!(read_outputs(&output, Some(1024)).unwrap_err().to_string().contains("exceed 1024 bytes"));
        assert_eq!(read_outputs(&output, Some(4096)).unwrap().len(), 1);
    }
}
