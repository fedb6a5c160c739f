//! Child processes that cannot outlive the test, and free ports.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::process::Command;

/// A TCP port on 127.0.0.1 that nothing listens on at the moment of the call.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// Makes the child receive SIGKILL when the thread that spawned it ends
/// (the test thread, or the whole test process when it is killed).
pub fn die_with_parent(command: &mut Command) -> &mut Command {
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    }
}
