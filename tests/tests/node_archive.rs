//! `scripts/install-node.sh` on a machine without the node: it installs the dev chain from a
//! release archive in seconds (here an archive made from the installed binary, served over
//! HTTP on a listener bound first), checks its version, and says why when an archive is bad.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The repository's scripts/.
fn scripts() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts"))
}

/// The installed node, as scripts/setup.sh put it on PATH.
fn installed_node() -> PathBuf {
    let out = Command::new("sh").args(["-c", "command -v substrate-contracts-node"]).output().unwrap();
    assert!(out.status.success(), "substrate-contracts-node must be installed (scripts/setup.sh)");
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// Serves `body` to every GET on a listener bound before its URL is handed out.
fn serve(body: Vec<u8>, status: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/substrate-contracts-node-linux.tar.gz", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
            let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(&body));
        }
    });
    url
}

/// Runs install-node.sh into `bin` with the archive at `url`, never building from source.
fn install(url: &str, bin: &Path) -> Output {
    Command::new(scripts().join("install-node.sh"))
        .env("OSIRIS_NODE_ARCHIVE_URL", url)
        .env("OSIRIS_INSTALL_DIR", bin)
        .env("OSIRIS_NODE_NO_SOURCE_BUILD", "1")
        .output()
        .unwrap()
}

#[test]
fn the_dev_chain_installs_from_a_release_archive_in_seconds_and_a_bad_archive_is_named() {
    let dir = tempfile::tempdir().unwrap();
    // The release's layout: substrate-contracts-node-linux/substrate-contracts-node.
    let layout = dir.path().join("substrate-contracts-node-linux");
    std::fs::create_dir(&layout).unwrap();
    std::fs::copy(installed_node(), layout.join("substrate-contracts-node")).unwrap();
    let archive = dir.path().join("node.tar.gz");
    let packed = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(dir.path())
        .arg("substrate-contracts-node-linux")
        .status()
        .unwrap();
    assert!(packed.success());
    let url = serve(std::fs::read(&archive).unwrap(), "200 OK");

    let bin = dir.path().join("bin");
    let started = Instant::now();
    let out = install(&url, &bin);
    let took = started.elapsed();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("from the release archive"), "{log}");
    assert!(took < Duration::from_secs(60), "took {took:?}");
    let version = Command::new(bin.join("substrate-contracts-node")).arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).contains(" 0.42.0"));
    eprintln!("installed from a local archive in {took:?}");

    // Installed already: nothing to do, nothing downloaded.
    let again = install("http://127.0.0.1:9/unused.tar.gz", &bin);
    assert!(again.status.success() && again.stderr.is_empty(), "{}", String::from_utf8_lossy(&again.stderr));

    // A missing archive and one that is not an archive: each failure says why, and nothing is installed.
    let empty = dir.path().join("empty");
    for (url, why) in [
        (serve(b"not here".to_vec(), "404 Not Found"), "downloading"),
        (serve(b"garbage".to_vec(), "200 OK"), "is not a .tar.gz archive"),
    ] {
        let out = install(&url, &empty);
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{log}");
        assert!(log.contains(why) && log.contains("not building from source"), "{log}");
        assert!(!empty.join("substrate-contracts-node").exists());
    }
}
