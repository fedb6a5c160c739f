//! `process`: each unary call runs the configured executable with the method name as its
//! last argument, the request JSON on stdin and the reply JSON expected on stdout. A
//! non-zero exit becomes UNKNOWN (INVALID_ARGUMENT for exit code 2) and a timeout
//! DEADLINE_EXCEEDED, each with the tail of stderr; the process is killed on timeout and
//! when the client cancels (the call's future is dropped).

use super::{frame, translate, Body, UpstreamError};
use crate::descriptors::Api;
use http::Response;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tonic::Status;

/// Most bytes of stderr carried in an error status.
pub const STDERR_TAIL: usize = 512;

pub struct ProcessRunner {
    command: Vec<String>,
    api: Arc<Api>,
    timeout: Duration,
}

impl ProcessRunner {
    /// Runs `command` (executable and first arguments) per call, calls typed by `api`, each
    /// allowed `timeout`.
    pub fn new(command: Vec<String>, api: Arc<Api>, timeout: Duration) -> Result<Self, UpstreamError> {
        if command.is_empty() {
            return Err(UpstreamError::NoCommand);
        }
        Ok(Self { command, api, timeout })
    }

    /// The API calls are decoded with.
    pub fn api(&self) -> &Api {
        &self.api
    }

    /// Runs a decoded call; its reply message, or the failure as a status.
    pub async fn call(&self, call: translate::JsonCall) -> Result<Response<Body>, Status> {
        let input = serde_json::to_vec(&call.params).map_err(|e| Status::internal(e.to_string()))?;
        let output = self.run(call.method.name(), &input).await?;
        let reply = serde_json::from_slice(&output)
            .map_err(|e| Status::internal(format!("{} printed no JSON reply: {e}", self.command[0])))?;
        Ok(frame::unary_response(&translate::encode_reply(&call.method, reply)?))
    }

    /// Runs the executable once; its stdout on success.
    pub async fn run(&self, method: &str, input: &[u8]) -> Result<Vec<u8>, Status> {
        let mut child = tokio::process::Command::new(&self.command[0])
            .args(&self.command[1..])
            .arg(method)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| Status::unavailable(format!("starting {}: {e}", self.command[0])))?;
        let mut stdin = child.stdin.take().expect("piped stdin");
        let input = input.to_vec();
        let writer = tokio::spawn(async move {
            let _ = stdin.write_all(&input).await;
        });
        let output = match tokio::time::timeout(self.timeout, child.wait_with_output()).await {
            Ok(output) => output.map_err(|e| Status::internal(format!("running {}: {e}", self.command[0])))?,
            // Dropping the future dropped the child, which kills it (kill_on_drop).
            Err(_) => {
                return Err(Status::deadline_exceeded(format!(
                    "{} did not finish within {} ms",
                    self.command[0],
                    self.timeout.as_millis()
                )))
            }
        };
        writer.abort();
        if output.status.success() {
            return Ok(output.stdout);
        }
        let tail = tail(&output.stderr);
        let message = format!("{} failed ({}): {tail}", self.command[0], output.status);
        Err(match output.status.code() {
            Some(2) => Status::invalid_argument(message),
            _ => Status::unknown(message),
        })
    }
}

/// The last [`STDERR_TAIL`] bytes of `stderr` as text, trimmed.
pub fn tail(stderr: &[u8]) -> String {
    let start = stderr.len().saturating_sub(STDERR_TAIL);
    String::from_utf8_lossy(&stderr[start..]).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runner(script: &str, timeout_ms: u64) -> ProcessRunner {
        let api = Arc::new({
            // Absolute: figment's Jail in the config tests changes this process's directory meanwhile.
            let proto = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../proto");
            crate::descriptors::compile(&[proto.join("examples/stats.proto")], &[proto]).unwrap()
        });
        ProcessRunner::new(
            vec!["sh".into(), "-c".into(), script.into(), "sh".into()],
            api,
            Duration::from_millis(timeout_ms),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn stdout_on_success_stderr_tail_on_failure_and_a_timeout_kills() {
        let ok = runner("cat; echo \" $1\"", 5_000).run("Summarize", b"{}").await.unwrap();
        assert_eq!(ok, b"{} Summarize\n");
        let err = runner("echo boom >&2; exit 3", 5_000).run("Summarize", b"").await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::Unknown);
        assert!(err.message().ends_with("boom"), "{}", err.message());
        let err = runner("echo bad input >&2; exit 2", 5_000).run("Summarize", b"").await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument);
        let started = std::time::Instant::now();
        let err = runner("sleep 30", 200).run("Summarize", b"").await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::DeadlineExceeded);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_cancelled_call_kills_its_process() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let script = format!("echo $$ > {}; exec sleep 30", pid_file.display());
        let runner = runner(&script, 60_000);
        // The client goes away: the call's future is dropped mid-run.
        let cancelled = tokio::time::timeout(Duration::from_millis(500), runner.run("Summarize", b"")).await;
        assert!(cancelled.is_err());
        let pid = std::fs::read_to_string(&pid_file).unwrap().trim().to_string();
        let started = std::time::Instant::now();
        loop {
            let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let alive = state.split_whitespace().nth(2).is_some_and(|s| s != "Z");
            if !alive {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(5), "process {pid} still runs: {state}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
