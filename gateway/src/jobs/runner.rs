//! Runs one job: the provider's runner program, given the algorithm directory, the
//! provider's data directory and an output directory (as its last three arguments and as
//! `OSIRIS_ALGORITHM_DIR`, `OSIRIS_DATA_DIR`, `OSIRIS_OUTPUT_DIR`), its stdout and stderr
//! going to the job's log file. The runner can be any program — an interpreter, or a
//! container command (`docker run --rm -v "$1:/alg:ro" …`) where the provider has one.
//!
//! Limits: a wall-clock time limit (the process group is killed at it), and through
//! `setrlimit` an address-space (memory) limit and a CPU-time limit, inherited by every
//! process the runner starts. The runner runs in a process group of its own and is killed
//! with the gateway (`PR_SET_PDEATHSIG`), so no job outlives the gateway that reports it.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A job's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time from start to kill.
    pub wall: Duration,
    /// Address space of each process, bytes (`RLIMIT_AS`); `None`: unlimited.
    pub memory_bytes: Option<u64>,
    /// CPU time of each process, seconds (`RLIMIT_CPU`, then SIGKILL); `None`: unlimited.
    pub cpu_secs: Option<u64>,
}

/// The directories of one job.
#[derive(Debug, Clone)]
pub struct JobDirs {
    /// The job's own directory (the runner's working directory).
    pub root: PathBuf,
    /// The consumer's uploaded algorithm.
    pub algorithm: PathBuf,
    /// The provider's data set (read by the job, shared by all jobs).
    pub data: PathBuf,
    /// Where the job writes its outputs.
    pub output: PathBuf,
    /// stdout and stderr of the runner.
    pub log: PathBuf,
}

impl JobDirs {
    /// The layout under `root`: `algorithm/`, `output/`, `log.txt`.
    pub fn new(root: PathBuf, data: &Path) -> Self {
        Self {
            algorithm: root.join("algorithm"),
            output: root.join("output"),
            log: root.join("log.txt"),
            data: data.to_path_buf(),
            root,
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The runner exited with this code.
    Exited(i32),
    /// Killed by a signal it did not ask for (e.g. SIGKILL at the CPU limit, or memory).
    Signalled(i32),
    /// Killed at the wall-clock limit.
    TimedOut,
    /// Killed because the consumer stopped it.
    Stopped,
}

/// Runs `command` (program and first arguments) for the job in `dirs` under `limits`,
/// until it exits, times out or `stop` is cancelled.
pub async fn run(
    command: &[String],
    dirs: &JobDirs,
    limits: Limits,
    stop: CancellationToken,
) -> std::io::Result<Outcome> {
    let (program, args) =
        command.split_first().ok_or_else(|| std::io::Error::other("the job runner command is empty"))?;
    let log = std::fs::OpenOptions::new().create(true).append(true).open(&dirs.log)?;
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .arg(&dirs.algorithm)
        .arg(&dirs.data)
        .arg(&dirs.output)
        .env("OSIRIS_ALGORITHM_DIR", &dirs.algorithm)
        .env("OSIRIS_DATA_DIR", &dirs.data)
        .env("OSIRIS_OUTPUT_DIR", &dirs.output)
        .current_dir(&dirs.root)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log))
        .kill_on_drop(true);
    let Limits { memory_bytes, cpu_secs, wall } = limits;
    // SAFETY: only async-signal-safe calls (setsid, prctl, setrlimit) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            let limit = |resource, value: u64| {
                let rlimit = libc::rlimit { rlim_cur: value as libc::rlim_t, rlim_max: value as libc::rlim_t };
                if libc::setrlimit(resource, &rlimit) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            };
            if let Some(bytes) = memory_bytes {
                limit(libc::RLIMIT_AS, bytes)?;
            }
            if let Some(secs) = cpu_secs {
                limit(libc::RLIMIT_CPU, secs)?;
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn()?;
    let group = child.id().map(|pid| pid as libc::pid_t);
    let kill_group = || {
        if let Some(pgid) = group {
            // SAFETY: signals the job's own process group (setsid made its pid the group id).
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
        }
    };
    let ended = tokio::select! {
        status = child.wait() => Some(status?),
        _ = tokio::time::sleep(wall) => None,
        _ = stop.cancelled() => {
            kill_group();
            child.wait().await?;
            return Ok(Outcome::Stopped);
        }
    };
    let Some(status) = ended else {
        kill_group();
        child.wait().await?;
        return Ok(Outcome::TimedOut);
    };
    // Whatever the runner left behind in its group goes with it.
    kill_group();
    use std::os::unix::process::ExitStatusExt;
    Ok(match (status.code(), status.signal()) {
        (Some(code), _) => Outcome::Exited(code),
        (None, Some(signal)) => Outcome::Signalled(signal),
        (None, None) => Outcome::Signalled(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dirs() -> (tempfile::TempDir, JobDirs) {
        let tmp = tempfile::tempdir().unwrap();
        let dirs = JobDirs::new(tmp.path().join("job"), &tmp.path().join("data"));
        for d in [&dirs.root, &dirs.algorithm, &dirs.output, &dirs.data] {
            std::fs::create_dir_all(d).unwrap();
        }
        (tmp, dirs)
    }

    fn sh(script: &str) -> Vec<String> {
        vec!["sh".into(), "-c".into(), script.into(), "runner".into()]
    }

    const UNLIMITED: Limits = Limits { wall: Duration::from_secs(30), memory_bytes: None, cpu_secs: None };

    #[tokio::test]
    async fn the_runner_gets_the_three_directories_and_its_output_is_logged() {
        let (_tmp, dirs) = dirs();
        let script =
            r#"echo "alg=$1"; test "$2" = "$OSIRIS_DATA_DIR" && echo result > "$3/out.txt"; echo oops >&2; exit 3"#;
        let outcome = run(&sh(script), &dirs, UNLIMITED, CancellationToken::new()).await.unwrap();
        assert_eq!(outcome, Outcome::Exited(3));
        assert_eq!(std::fs::read_to_string(dirs.output.join("out.txt")).unwrap(), "result\n");
        let log = std::fs::read_to_string(&dirs.log).unwrap();
        assert!(log.contains(&format!("alg={}", dirs.algorithm.display())) && log.contains("oops"), "{log}");
    }

    #[tokio::test]
    async fn a_job_is_killed_at_its_time_limit_with_its_children() {
        let (_tmp, dirs) = dirs();
        let limits = Limits { wall: Duration::from_millis(300), ..UNLIMITED };
        let started = std::time::Instant::now();
        let outcome = run(&sh("sleep 30 & sleep 30; wait"), &dirs, limits, CancellationToken::new()).await.unwrap();
        assert_eq!(outcome, Outcome::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn memory_and_cpu_limits_are_enforced() {
        let (_tmp, dirs) = dirs();
        // 64 MiB of address space is too little for a 200 MB allocation.
        let memory = Limits { memory_bytes: Some(64 << 20), ..UNLIMITED };
        let outcome =
            run(&sh("python3 -c 'b = bytearray(200 * 1024 * 1024)'"), &dirs, memory, CancellationToken::new())
                .await
                .unwrap();
        assert!(matches!(outcome, Outcome::Exited(code) if code != 0), "{outcome:?}");
        let cpu = Limits { cpu_secs: Some(1), ..UNLIMITED };
        let outcome = run(&sh("while :; do :; done"), &dirs, cpu, CancellationToken::new()).await.unwrap();
        assert!(matches!(outcome, Outcome::Signalled(_)), "{outcome:?}");
    }

    #[tokio::test]
    async fn a_stopped_job_is_killed() {
        let (_tmp, dirs) = dirs();
        let stop = CancellationToken::new();
        let stopper = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            stopper.cancel();
        });
        assert_eq!(run(&sh("sleep 30"), &dirs, UNLIMITED, stop).await.unwrap(), Outcome::Stopped);
    }
}
