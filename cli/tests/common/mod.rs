//! Running the real `osiris` binary as an actor of a [`Market`].
#![allow(dead_code)]

use osiris_e2e::Market;
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs `osiris` as `suri` against the market's chain, with `state` as its consumer
/// directory, `env` added, and `stdin` piped in.
pub fn osiris_with(
    market: &Market,
    state: &Path,
    suri: &str,
    env: &[(&str, &str)],
    args: &[&str],
    stdin: &[u8],
) -> Output {
    run(market, None, state, suri, env, args, stdin)
}

/// [`osiris`] run in the directory `cwd` (for commands that name files relative to it).
pub fn osiris_in(market: &Market, cwd: &Path, state: &Path, suri: &str, args: &[&str], stdin: &[u8]) -> Output {
    run(market, Some(cwd), state, suri, &[], args, stdin)
}

fn run(
    market: &Market,
    cwd: Option<&Path>,
    state: &Path,
    suri: &str,
    env: &[(&str, &str)],
    args: &[&str],
    stdin: &[u8],
) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_osiris"));
    if let Some(cwd) = cwd {
        command.current_dir(cwd);
    }
    command
        .env("OSIRIS_NODE_URL", &market.osiris.node.url)
        .env("OSIRIS_DEPLOYMENT", &market.deployment_file)
        .env("OSIRIS_CONSUMER_DIR", state)
        .env("OSIRIS_SURI", suri)
        .env("DATABASE_URL", &market.db.url)
        .env_remove("OSIRIS_INDEXER_URL")
        .env_remove("OSIRIS_PAYMENT_KEY_FILE");
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run osiris");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

/// [`osiris_with`] without extra environment.
pub fn osiris(market: &Market, state: &Path, suri: &str, args: &[&str], stdin: &[u8]) -> Output {
    osiris_with(market, state, suri, &[], args, stdin)
}

/// The JSON on stdout of a command that must have succeeded.
pub fn reply(output: &Output) -> Value {
    assert!(output.status.success(), "osiris failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

/// The error line of a command that must have failed.
pub fn refusal(output: &Output) -> String {
    assert!(!output.status.success(), "osiris succeeded: {}", String::from_utf8_lossy(&output.stdout));
    String::from_utf8_lossy(&output.stderr).trim().to_string()
}

/// The error of a command that must have failed, which must be one line (clap's usage and
/// "For more information" tip under its own one-line errors aside).
pub fn one_line_refusal(output: &Output) -> String {
    let text = refusal(output);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with("For more information") && !l.starts_with("Usage:"))
        .collect();
    assert_eq!(lines.len(), 1, "{text}");
    text
}
