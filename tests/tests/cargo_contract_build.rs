//! `scripts/install-cargo-contract.sh`: set-up starts the cargo-contract build in the
//! background and returns at once; building the contracts waits for it; a failed build is
//! reported with its log. `cargo` here is a stand-in that "builds" in a couple of seconds
//! (the real build takes half an hour), on a PATH without the installed cargo-contract.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// How long the stand-in build takes.
const STUB_BUILD: Duration = Duration::from_secs(2);

fn script() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/install-cargo-contract.sh"))
}

/// A directory with a stand-in `cargo` whose `install` sleeps, then writes a
/// `cargo-contract` reporting the pinned version next to itself (or fails with `fail`).
fn stub_toolchain(dir: &Path, fail: bool) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let outcome = if fail {
        "echo 'error: could not compile `cargo-contract`' >&2; exit 101".to_string()
    } else {
        format!(
            "printf '#!/bin/sh\\necho cargo-contract 5.0.3-unknown-x86_64-unknown-linux-gnu\\n' > {bin}/cargo-contract\n\
             chmod +x {bin}/cargo-contract",
            bin = bin.display()
        )
    };
    let cargo = format!("#!/bin/sh\necho \"cargo $*\"\nsleep {}\n{outcome}\n", STUB_BUILD.as_secs());
    std::fs::write(bin.join("cargo"), cargo).unwrap();
    Command::new("chmod").arg("+x").arg(bin.join("cargo")).status().unwrap();
    bin
}

fn run(bin: &Path, cache: &Path, mode: &str) -> (Output, Duration) {
    let started = Instant::now();
    let output = Command::new("bash")
        .arg(script())
        .arg(mode)
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("OSIRIS_CACHE_DIR", cache)
        .output()
        .unwrap();
    (output, started.elapsed())
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

#[test]
fn the_build_runs_in_the_background_and_the_contracts_wait_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let bin = stub_toolchain(dir.path(), false);
    let cache = dir.path().join("cache");

    // `start` returns before the build is done.
    let (started, took) = run(&bin, &cache, "start");
    assert!(started.status.success(), "{}", stderr(&started));
    assert!(took < STUB_BUILD, "start waited for the build: {took:?}");
    assert!(stderr(&started).contains("in the background"), "{}", stderr(&started));
    assert!(!bin.join("cargo-contract").exists());

    // A second `start` does not start a second build.
    let (again, _) = run(&bin, &cache, "start");
    assert!(stderr(&again).contains("already running"), "{}", stderr(&again));

    // `wait` blocks until the build is done and checks the version.
    let (waited, _) = run(&bin, &cache, "wait");
    assert!(waited.status.success(), "{}", stderr(&waited));
    assert!(stderr(&waited).contains("waiting for the cargo-contract 5.0.3 build"), "{}", stderr(&waited));
    assert!(bin.join("cargo-contract").exists());
    let log = std::fs::read_to_string(cache.join("cargo-contract-build.log")).unwrap();
    assert!(log.contains("cargo install cargo-contract --version 5.0.3 --locked --force"), "{log}");
    assert!(!cache.join("cargo-contract-build.pid").exists(), "the pid file goes with the build");

    // Installed: every mode returns at once.
    for mode in ["start", "wait", "now"] {
        let (output, took) = run(&bin, &cache, mode);
        assert!(output.status.success() && took < STUB_BUILD, "{mode}: {took:?} {}", stderr(&output));
    }
}

#[test]
fn a_failed_background_build_is_reported_with_its_log() {
    let dir = tempfile::tempdir().unwrap();
    let bin = stub_toolchain(dir.path(), true);
    let cache = dir.path().join("cache");
    assert!(run(&bin, &cache, "start").0.status.success());
    let (waited, _) = run(&bin, &cache, "wait");
    assert!(!waited.status.success());
    let message = stderr(&waited);
    assert!(message.contains("could not compile"), "the log's tail is shown: {message}");
    assert!(message.contains("cargo-contract 5.0.3 is not installed"), "{message}");
}
