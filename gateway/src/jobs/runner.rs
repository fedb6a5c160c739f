//! Runs one job: the provider's runner program, given the algorithm directory, the
//! provider's data directory and an output directory (as its last three arguments and as
//! `OSIRIS_ALGORITHM_DIR`, `OSIRIS_DATA_DIR`, `OSIRIS_OUTPUT_DIR`), its stdout and stderr
//! going to the job's log file. The runner can be any program — an interpreter, or a
//! container command (`docker run --rm -v "$1:/alg:ro" …`) where the provider has one.
//!
//! The runner runs inside the job [`Sandbox`] with nothing of the gateway's environment.
//! Limits: a wall-clock time limit (the sandbox is killed at it, and with it the job's PID
//! namespace), and through `setrlimit`, inherited by every process the runner starts: an
//! address-space (memory) limit, a CPU-time limit, a process-count limit (per job user)
//! and a file-size limit. The runner is killed with the gateway (`PR_SET_PDEATHSIG`), so no
//! job outlives the gateway that reports it.

pub use super::dirs::JobDirs;
use super::sandbox::{become_job_user, Sandbox};
#[cfg(test)]
use std::path::Path;
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
    /// Processes the job user may have at once (`RLIMIT_NPROC`); `None`: unlimited.
    pub max_processes: Option<u64>,
    /// Largest file a job may write, bytes (`RLIMIT_FSIZE`), and the most its outputs may
    /// hold in all; `None`: unlimited.
    pub output_bytes: Option<u64>,
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

/// Runs `command` (program and first arguments) for the job in `dirs` inside `sandbox`
/// under `limits`, until it exits, times out or `stop` is cancelled.
pub async fn run(
    command: &[String],
    sandbox: &Sandbox,
    dirs: &JobDirs,
    limits: Limits,
    stop: CancellationToken,
) -> std::io::Result<Outcome> {
    if command.is_empty() {
        return Err(std::io::Error::other("the job runner command is empty"));
    }
    let log = std::fs::OpenOptions::new().create(true).append(true).open(&dirs.log)?;
    let invocation = sandbox.invocation(command, dirs);
    let mut cmd = tokio::process::Command::new(&invocation.program);
    cmd.args(&invocation.args)
        .env_clear()
        .envs(invocation.env)
        .current_dir(&dirs.root)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log))
        .kill_on_drop(true);
    let Limits { memory_bytes, cpu_secs, wall, max_processes, output_bytes } = limits;
    let user = sandbox.user();
    // SAFETY: only async-signal-safe calls (setsid, setrlimit, set*id, prctl) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
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
            if let Some(count) = max_processes {
                limit(libc::RLIMIT_NPROC, count)?;
            }
            if let Some(bytes) = output_bytes {
                limit(libc::RLIMIT_FSIZE, bytes)?;
            }
            become_job_user(user)?;
            // After the change of user, which clears it.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
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

    const UNLIMITED: Limits = Limits {
        wall: Duration::from_secs(30),
        memory_bytes: None,
        cpu_secs: None,
        max_processes: None,
        output_bytes: None,
    };

    #[tokio::test]
    async fn the_runner_gets_the_three_directories_and_its_output_is_logged() {
        let (_tmp, dirs) = dirs();
        let script =
            r#"echo "alg=$1"; test "$2" = "$OSIRIS_DATA_DIR" && echo result > "$3/out.txt"; echo oops >&2; exit 3"#;
        let outcome = run(&sh(script), &Sandbox::None, &dirs, UNLIMITED, CancellationToken::new()).await.unwrap();
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
        let outcome = run(&sh("sleep 30 & sleep 30; wait"), &Sandbox::None, &dirs, limits, CancellationToken::new())
            .await
            .unwrap();
        assert_eq!(outcome, Outcome::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn memory_and_cpu_limits_are_enforced() {
        let (_tmp, dirs) = dirs();
        // 64 MiB of address space is too little for a 200 MB allocation.
        let memory = Limits { memory_bytes: Some(64 << 20), ..UNLIMITED };
        let outcome = run(
            &sh("python3 -c 'b = bytearray(200 * 1024 * 1024)'"),
            &Sandbox::None,
            &dirs,
            memory,
            CancellationToken::new(),
        )
        .await
        .unwrap();
        assert!(matches!(outcome, Outcome::Exited(code) if code != 0), "{outcome:?}");
        let cpu = Limits { cpu_secs: Some(1), ..UNLIMITED };
        let outcome =
            run(&sh("while :; do :; done"), &Sandbox::None, &dirs, cpu, CancellationToken::new()).await.unwrap();
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
        assert_eq!(run(&sh("sleep 30"), &Sandbox::None, &dirs, UNLIMITED, stop).await.unwrap(), Outcome::Stopped);
    }

    /// The bubblewrap sandbox as a job gateway on this machine runs it (`scripts/setup.sh`
    /// installs bwrap; these tests run as root, as CI does).
    fn sandboxed(tmp: &tempfile::TempDir) -> Sandbox {
        use std::os::unix::fs::PermissionsExt;
        // The job user must be able to reach the job's directories.
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
        let sandbox = Sandbox::bubblewrap("nobody", false, false, vec![]).expect("bwrap: run scripts/setup.sh");
        super::super::sandbox::prepare_output(
            &JobDirs::new(tmp.path().join("job"), Path::new("/")).output,
            sandbox.user(),
        )
        .unwrap();
        sandbox
    }

    fn log(dirs: &JobDirs) -> String {
        std::fs::read_to_string(&dirs.log).unwrap()
    }

    #[tokio::test]
    async fn a_sandboxed_job_sees_no_secret_of_the_gateway_and_writes_only_its_output() {
        let (tmp, dirs) = dirs();
        let sandbox = sandboxed(&tmp);
        std::fs::write(dirs.data.join("weather.csv"), "1,2\n").unwrap();
        // What a gateway keeps beside its jobs: its configuration with the provider's seed.
        let secret = tmp.path().join("gateway.toml");
        std::fs::write(&secret, "recipient_suri = \"//Secret\"\n").unwrap();
        std::env::set_var("OSIRIS_TEST_JOB_SECRET", "//Secret");
        let script = format!(
            r#"env; id -u; cat {secret} /etc/passwd /root/.bashrc; ls /work /home /etc;
               cat "$2/weather.csv" > "$3/copy.csv"; echo x > "$1/planted"; echo x > "$2/planted";
               echo x > /usr/planted; echo x > {escape}; echo done"#,
            secret = secret.display(),
            escape = tmp.path().join("escaped").display()
        );
        let outcome = run(&sh(&script), &sandbox, &dirs, UNLIMITED, CancellationToken::new()).await.unwrap();
        assert_eq!(outcome, Outcome::Exited(0));
        let log = log(&dirs);
        assert!(log.contains("done"), "{log}");
        assert!(!log.contains("Secret") && !log.contains("OSIRIS_TEST_JOB_SECRET"), "a secret reached the job: {log}");
        assert!(!log.contains("root:x:0"), "the job read the host's /etc/passwd: {log}");
        assert!(log.lines().any(|l| l.trim() == "65534"), "the job did not run as nobody: {log}");
        assert_eq!(std::fs::read_to_string(dirs.output.join("copy.csv")).unwrap(), "1,2\n");
        for planted in [dirs.algorithm.join("planted"), dirs.data.join("planted"), tmp.path().join("escaped")] {
            assert!(!planted.exists(), "the job wrote {}", planted.display());
        }
    }

    #[tokio::test]
    async fn a_sandboxed_job_cannot_outlive_its_limit_by_leaving_its_session() {
        let (tmp, dirs) = dirs();
        let sandbox = sandboxed(&tmp);
        let marker = dirs.output.join("alive");
        let limits = Limits { wall: Duration::from_millis(1_500), ..UNLIMITED };
        // A child that leaves the session and the process group, then keeps writing.
        let script = r#"setsid sh -c 'while :; do date +%s%N > "$0/alive"; sleep 0.1; done' "$3" & sleep 30"#;
        let outcome = run(&sh(script), &sandbox, &dirs, limits, CancellationToken::new()).await.unwrap();
        assert_eq!(outcome, Outcome::TimedOut);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let last = std::fs::read_to_string(&marker).unwrap();
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(std::fs::read_to_string(&marker).unwrap(), last, "the escaped child is still running");
    }

    #[tokio::test]
    async fn a_fork_bomb_hits_the_process_limit_and_ends_with_the_job() {
        let (tmp, dirs) = dirs();
        let sandbox = sandboxed(&tmp);
        let limits = Limits { wall: Duration::from_secs(3), max_processes: Some(32), ..UNLIMITED };
        let started = std::time::Instant::now();
        // A writer made of shell built-ins only (it needs no fork to go on), then the bomb.
        let script =
            r#"(i=0; while :; do i=$((i+1)); echo $i > "$3/alive"; done) & bomb() { bomb | bomb & }; bomb; sleep 10"#;
        let outcome = run(&sh(script), &sandbox, &dirs, limits, CancellationToken::new()).await.unwrap();
        assert!(started.elapsed() < Duration::from_secs(8), "{outcome:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let last = std::fs::read_to_string(dirs.output.join("alive")).unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(std::fs::read_to_string(dirs.output.join("alive")).unwrap(), last, "job processes outlived the job");
    }

    #[tokio::test]
    async fn a_sandboxed_job_has_no_network() {
        let (tmp, dirs) = dirs();
        let sandbox = sandboxed(&tmp);
        // A listener of the gateway's machine the job must not reach (a database, the chain).
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let script = format!(
            r#"python3 -c "import socket; socket.create_connection(('127.0.0.1', {port}), timeout=2)" && echo reached"#
        );
        let outcome = run(&sh(&script), &sandbox, &dirs, UNLIMITED, CancellationToken::new()).await.unwrap();
        assert!(matches!(outcome, Outcome::Exited(code) if code != 0), "{outcome:?}: {}", log(&dirs));
        assert!(!log(&dirs).contains("reached"));
    }
}
