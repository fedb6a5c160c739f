//! The sandbox a consumer's job runs in. A job is a stranger's code on the provider's
//! machine: it must not read the gateway's configuration, keys or environment, reach the
//! database or the chain, write outside its output, or outlive its limits.
//!
//! [`Sandbox::Bubblewrap`] runs the provider's runner under bubblewrap (`bwrap`, the sandbox
//! Flatpak uses), started the way a set-uid `bwrap` is: real user the job user, effective
//! user root, so bwrap builds the namespaces with privilege and then runs the job as the job
//! user with no capabilities. Inside: `/usr` (and its `/bin`, `/lib` links) read-only, a
//! private `/proc`, `/dev` and `/tmp` (the scratch space), the algorithm at
//! `/job/algorithm` and the data at `/job/data` read-only, the output at `/job/output`
//! writable; nothing else of the host. New PID, network (unless the offer allows it), IPC
//! and UTS namespaces: killing bwrap kills every process of the job, wherever it `setsid`s.
//! The environment is empty but for `PATH`, `HOME` and the three `OSIRIS_*_DIR` variables.
//!
//! [`Sandbox::None`] runs the runner directly (for a provider whose runner is itself a
//! container, e.g. rootless podman); the environment is still emptied and every job logs a
//! warning.

use super::dirs::JobDirs;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Where the job sees its directories inside the bubblewrap sandbox.
pub const SANDBOX_ALGORITHM_DIR: &str = "/job/algorithm";
/// See [`SANDBOX_ALGORITHM_DIR`].
pub const SANDBOX_DATA_DIR: &str = "/job/data";
/// See [`SANDBOX_ALGORITHM_DIR`].
pub const SANDBOX_OUTPUT_DIR: &str = "/job/output";
/// The job's scratch space (a private tmpfs) and home.
pub const SANDBOX_SCRATCH_DIR: &str = "/tmp";
/// `PATH` inside the sandbox and for an unsandboxed runner.
pub const JOB_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// The unprivileged account a sandboxed job runs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobUser {
    pub uid: u32,
    pub gid: u32,
}

/// How jobs are isolated; see the module documentation.
#[derive(Debug, Clone)]
pub enum Sandbox {
    Bubblewrap {
        /// The `bwrap` program.
        bwrap: PathBuf,
        user: JobUser,
        /// Whether the job may use the network (the offer says so); else it has only a
        /// loopback of its own.
        network: bool,
        /// Extra host paths the job sees read-only at the same place (a virtualenv, say).
        read_only: Vec<PathBuf>,
    },
    None,
}

/// Why a job sandbox cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("job_user {0:?} is not a user of this machine (name, uid or uid:gid)")]
    UnknownUser(String),
    #[error(
        "jobs would run as uid {uid}, which is {what}: a consumer's code would get its rights \
         (set job_user to an unprivileged account, or job_allow_unsafe_user = true)"
    )]
    UnsafeUser { uid: u32, what: &'static str },
    #[error(
        "running jobs as another user needs the gateway to start as root (it is uid {0}); \
         or set job_user to this user with job_allow_unsafe_user = true"
    )]
    CannotSwitchUser(u32),
    #[error("bubblewrap (bwrap) is not installed: run scripts/setup.sh or install Debian's bubblewrap, or set job_sandbox = \"none\"")]
    NoBubblewrap,
    #[error("the job sandbox does not work here: {0}")]
    ProbeFailed(String),
}

/// What to execute for one job: program, arguments and environment (nothing inherited).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub program: OsString,
    pub args: Vec<OsString>,
    pub env: Vec<(OsString, OsString)>,
}

impl JobUser {
    /// `spec` as a user name, a uid (its group from the user database, else the same
    /// number) or `uid:gid`.
    pub fn resolve(spec: &str) -> Result<Self, SandboxError> {
        let unknown = || SandboxError::UnknownUser(spec.to_string());
        if let Some((uid, gid)) = spec.split_once(':') {
            return Ok(Self { uid: uid.parse().map_err(|_| unknown())?, gid: gid.parse().map_err(|_| unknown())? });
        }
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        let entries = passwd.lines().filter_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            Some((
                fields.first()?.to_string(),
                fields.get(2)?.parse::<u32>().ok()?,
                fields.get(3)?.parse::<u32>().ok()?,
            ))
        });
        let numeric = spec.parse::<u32>().ok();
        for (name, uid, gid) in entries {
            if name == spec || numeric == Some(uid) {
                return Ok(Self { uid, gid });
            }
        }
        numeric.map(|uid| Self { uid, gid: uid }).ok_or_else(unknown)
    }
}

impl Sandbox {
    /// The bubblewrap sandbox for jobs run as `user` (a [`JobUser::resolve`] spec). Refuses
    /// root and the gateway's own user unless `allow_unsafe_user`, a gateway that cannot
    /// switch users, and a machine without `bwrap`.
    pub fn bubblewrap(
        user: &str,
        allow_unsafe_user: bool,
        network: bool,
        read_only: Vec<PathBuf>,
    ) -> Result<Self, SandboxError> {
        let user = JobUser::resolve(user)?;
        // SAFETY: geteuid has no preconditions.
        let own = unsafe { libc::geteuid() };
        if !allow_unsafe_user {
            if user.uid == 0 {
                return Err(SandboxError::UnsafeUser { uid: 0, what: "root" });
            }
            if user.uid == own {
                return Err(SandboxError::UnsafeUser { uid: own, what: "the gateway's own user" });
            }
        }
        if own != 0 && user.uid != own {
            return Err(SandboxError::CannotSwitchUser(own));
        }
        let bwrap = find_program("bwrap").ok_or(SandboxError::NoBubblewrap)?;
        Ok(Self::Bubblewrap { bwrap, user, network, read_only })
    }

    /// What to execute to run `runner` (program and first arguments) for the job in `dirs`.
    pub fn invocation(&self, runner: &[String], dirs: &JobDirs) -> Invocation {
        match self {
            Self::None => {
                let mut args: Vec<OsString> = runner[1..].iter().map(OsString::from).collect();
                args.extend([&dirs.algorithm, &dirs.data, &dirs.output].map(|d| d.as_os_str().to_owned()));
                Invocation {
                    program: runner[0].clone().into(),
                    args,
                    env: job_env(&dirs.algorithm, &dirs.data, &dirs.output, &dirs.root),
                }
            }
            Self::Bubblewrap { bwrap, network, read_only, .. } => {
                let mut args: Vec<OsString> = Vec::new();
                let mut push = |items: &[&dyn AsRef<std::ffi::OsStr>]| {
                    args.extend(items.iter().map(|s| s.as_ref().to_owned()));
                };
                push(&[&"--unshare-pid", &"--unshare-ipc", &"--unshare-uts", &"--unshare-cgroup-try"]);
                if !network {
                    push(&[&"--unshare-net"]);
                }
                push(&[&"--die-with-parent", &"--new-session", &"--clearenv"]);
                push(&[&"--ro-bind", &"/usr", &"/usr"]);
                for link in ["bin", "sbin", "lib", "lib32", "lib64", "libx32"] {
                    if Path::new("/usr").join(link).exists() {
                        push(&[&"--symlink", &format!("usr/{link}"), &format!("/{link}")]);
                    }
                }
                // What programs read of /etc, nothing of the host's configuration or keys.
                for file in ["/etc/ld.so.cache", "/etc/alternatives", "/etc/localtime"] {
                    push(&[&"--ro-bind-try", &file, &file]);
                }
                if *network {
                    for file in ["/etc/resolv.conf", "/etc/hosts", "/etc/ssl/certs"] {
                        push(&[&"--ro-bind-try", &file, &file]);
                    }
                }
                for path in read_only {
                    push(&[&"--ro-bind", path, path]);
                }
                push(&[&"--proc", &"/proc", &"--dev", &"/dev", &"--tmpfs", &SANDBOX_SCRATCH_DIR, &"--dir", &"/job"]);
                push(&[&"--ro-bind", &dirs.algorithm, &SANDBOX_ALGORITHM_DIR]);
                push(&[&"--ro-bind", &dirs.data, &SANDBOX_DATA_DIR]);
                push(&[&"--bind", &dirs.output, &SANDBOX_OUTPUT_DIR]);
                push(&[&"--chdir", &"/job"]);
                let (algorithm, data, output) =
                    (Path::new(SANDBOX_ALGORITHM_DIR), Path::new(SANDBOX_DATA_DIR), Path::new(SANDBOX_OUTPUT_DIR));
                for (name, value) in job_env(algorithm, data, output, Path::new(SANDBOX_SCRATCH_DIR)) {
                    push(&[&"--setenv", &name, &value]);
                }
                push(&[&"--"]);
                args.extend(runner.iter().map(OsString::from));
                args.extend([algorithm, data, output].map(|d| d.as_os_str().to_owned()));
                Invocation { program: bwrap.clone().into(), args, env: Vec::new() }
            }
        }
    }

    /// The user the runner is started as (`None`: the gateway's own).
    pub fn user(&self) -> Option<JobUser> {
        match self {
            Self::Bubblewrap { user, .. } => Some(*user),
            Self::None => None,
        }
    }

    /// Runs `true` in the sandbox over `data_dir` and a scratch job under `work_dir`, so
    /// that a machine where the sandbox cannot work is found at start, not at a job.
    pub fn probe(&self, data_dir: &Path, work_dir: &Path) -> Result<(), SandboxError> {
        let Self::Bubblewrap { .. } = self else { return Ok(()) };
        let failed = |e: String| SandboxError::ProbeFailed(e);
        let root = work_dir.join(".probe");
        let dirs = JobDirs::new(root.clone(), data_dir);
        let prepared = std::fs::create_dir_all(&dirs.algorithm)
            .and_then(|_| prepare_output(&dirs.output, self.user()))
            .map_err(|e| failed(format!("preparing {}: {e}", root.display())));
        let result = prepared.and_then(|_| {
            let invocation = self.invocation(&["true".to_string()], &dirs);
            let mut command = std::process::Command::new(&invocation.program);
            command.args(&invocation.args).env_clear().stdin(std::process::Stdio::null());
            let user = self.user();
            // SAFETY: only async-signal-safe calls between fork and exec.
            unsafe {
                std::os::unix::process::CommandExt::pre_exec(&mut command, move || become_job_user(user));
            }
            let output = command.output().map_err(|e| failed(format!("starting bwrap: {e}")))?;
            if output.status.success() {
                Ok(())
            } else {
                Err(failed(format!(
                    "{} (the job user must be able to reach {} and {})",
                    String::from_utf8_lossy(&output.stderr).trim(),
                    data_dir.display(),
                    work_dir.display()
                )))
            }
        });
        let _ = std::fs::remove_dir_all(&root);
        result
    }
}

/// Creates a job's output directory, owned by the job's user so that only the job writes it.
pub fn prepare_output(output: &Path, user: Option<JobUser>) -> std::io::Result<()> {
    std::fs::create_dir_all(output)?;
    if let Some(user) = user {
        std::os::unix::fs::chown(output, Some(user.uid), Some(user.gid))?;
    }
    Ok(())
}

/// Between fork and exec: drop supplementary groups and take `user` as the real user and
/// group, keeping effective root for bwrap (which then runs the job as the real user).
/// Only async-signal-safe calls.
pub fn become_job_user(user: Option<JobUser>) -> std::io::Result<()> {
    let Some(JobUser { uid, gid }) = user else { return Ok(()) };
    let check = |rc: libc::c_int| if rc < 0 { Err(std::io::Error::last_os_error()) } else { Ok(()) };
    // SAFETY: plain system calls on this (forked) process's credentials.
    unsafe {
        check(libc::setgroups(0, std::ptr::null()))?;
        check(libc::setresgid(gid, 0, 0))?;
        check(libc::setresuid(uid, 0, 0))?;
    }
    Ok(())
}

/// The whole environment of a job.
fn job_env(algorithm: &Path, data: &Path, output: &Path, home: &Path) -> Vec<(OsString, OsString)> {
    [
        ("PATH", Path::new(JOB_PATH)),
        ("HOME", home),
        ("OSIRIS_ALGORITHM_DIR", algorithm),
        ("OSIRIS_DATA_DIR", data),
        ("OSIRIS_OUTPUT_DIR", output),
    ]
    .into_iter()
    .map(|(name, value)| (name.into(), value.as_os_str().to_owned()))
    .collect()
}

fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| JOB_PATH.into());
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_resolve_by_name_number_or_pair() {
        assert_eq!(JobUser::resolve("root").unwrap(), JobUser { uid: 0, gid: 0 });
        assert_eq!(JobUser::resolve("0").unwrap(), JobUser { uid: 0, gid: 0 });
        assert_eq!(JobUser::resolve("64000:64001").unwrap(), JobUser { uid: 64000, gid: 64001 });
        assert_eq!(JobUser::resolve("64000").unwrap(), JobUser { uid: 64000, gid: 64000 });
        assert!(matches!(JobUser::resolve("no-such-user-here"), Err(SandboxError::UnknownUser(_))));
    }

    #[test]
    fn root_and_the_gateways_own_user_are_refused_unless_allowed() {
        assert!(matches!(Sandbox::bubblewrap("root", false, false, vec![]), Err(SandboxError::UnsafeUser { .. })));
        // SAFETY: no preconditions.
        let own = unsafe { libc::geteuid() }.to_string();
        assert!(matches!(Sandbox::bubblewrap(&own, false, false, vec![]), Err(SandboxError::UnsafeUser { .. })));
    }

    #[test]
    fn the_unsandboxed_runner_gets_only_the_job_environment() {
        let dirs = JobDirs::new("/w/j".into(), Path::new("/d"));
        let invocation = Sandbox::None.invocation(&["sh".into(), "-c".into(), "x".into()], &dirs);
        let names: Vec<_> = invocation.env.iter().map(|(n, _)| n.to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["PATH", "HOME", "OSIRIS_ALGORITHM_DIR", "OSIRIS_DATA_DIR", "OSIRIS_OUTPUT_DIR"]);
        assert_eq!(invocation.args.last().unwrap(), "/w/j/output");
    }
}
