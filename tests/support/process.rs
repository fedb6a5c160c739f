//! Child processes that cannot outlive the test, and the addresses they bind.

use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::process::Command;

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

/// The address a child process logged right after `marker` in `line` (ANSI colours
/// stripped), e.g. `addr=127.0.0.1:40107,[::1]:44699` → 127.0.0.1:40107. Children are
/// started on port 0 and report what they bound, so no port is picked before it is bound.
pub fn logged_address(line: &str, marker: &str) -> Option<SocketAddr> {
    let plain = strip_ansi(line);
    let rest = &plain[plain.find(marker)? + marker.len()..];
    let end = rest.find(|c: char| c.is_whitespace() || c == ',').unwrap_or(rest.len());
    rest[..end].parse().ok()
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters… final byte in @..~
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) && c != '[' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Reads a child's log (its piped stdout or stderr) in a thread until a line has `marker`
/// followed by an address; keeps draining the pipe afterwards so the child never blocks on
/// it. `None` if the child closed the pipe first.
pub fn logged_address_of(log: impl std::io::Read + Send + 'static, marker: &'static str) -> Option<SocketAddr> {
    use std::io::BufRead;
    let (found, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut found = Some(found);
        for line in std::io::BufReader::new(log).lines().map_while(Result::ok) {
            if let Some(address) = found.as_ref().and_then(|_| logged_address(&line, marker)) {
                let _ = found.take().expect("checked").send(address);
            }
        }
    });
    receive.recv().ok()
}

#[cfg(test)]
mod tests {
    use super::logged_address;

    #[test]
    fn addresses_are_read_from_log_lines() {
        let node = "2026-11-25 08:05:24.867  INFO main sc_rpc_server: Running JSON-RPC server: addr=127.0.0.1:40107,[::1]:44699";
        assert_eq!(logged_address(node, "addr=").unwrap().port(), 40107);
        let coloured = "\u{1b}[2m2026\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m \u{1b}[3mlisten\u{1b}[0m\u{1b}[2m=\u{1b}[0m127.0.0.1:5555 \u{1b}[3mnode\u{1b}[0m";
        assert_eq!(logged_address(coloured, "listen=").unwrap().port(), 5555);
        assert!(logged_address("nothing here", "addr=").is_none());
    }
}
