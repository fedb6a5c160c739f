//! `scripts/install-node.sh` on a machine without the node: it installs the dev chain from a
//! release archive in seconds (here an archive made from the installed binary, served over
//! HTTP on a listener bound first), checks its SHA-256 and its version, and says why when an
//! archive is bad. An attacker who controls the download (a mirror, a replaced release asset)
//! and serves a fake node that even answers `--version` correctly gets nothing installed.

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

/// Packs `node` as the release lays it out (substrate-contracts-node-linux/substrate-contracts-node)
/// into `dir`/`name`; returns the archive's bytes.
fn pack(dir: &Path, name: &str, node: &Path) -> Vec<u8> {
    let root = dir.join(name);
    let layout = root.join("substrate-contracts-node-linux");
    std::fs::create_dir_all(&layout).unwrap();
    std::fs::copy(node, layout.join("substrate-contracts-node")).unwrap();
    let archive = root.join("node.tar.gz");
    let packed = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(&root)
        .arg("substrate-contracts-node-linux")
        .status()
        .unwrap();
    assert!(packed.success());
    std::fs::read(&archive).unwrap()
}

/// SHA-256 of `bytes` in lower-case hex, computed by coreutils as the script does.
fn sha256_hex(bytes: &[u8]) -> String {
    let mut child = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap().split(' ').next().unwrap().to_string()
}

/// Runs install-node.sh into `bin` with the archive at `url` and its expected SHA-256 (none:
/// unset), never building from source.
fn install(url: &str, sha256: Option<&str>, bin: &Path) -> Output {
    let mut command = Command::new(scripts().join("install-node.sh"));
    match sha256 {
        Some(digest) => command.env("OSIRIS_NODE_ARCHIVE_SHA256", digest),
        None => command.env_remove("OSIRIS_NODE_ARCHIVE_SHA256"),
    };
    // The script's own temporary directory must be gone afterwards, whatever happened.
    let scratch = bin.with_file_name(format!("{}-tmp", bin.file_name().unwrap().to_string_lossy()));
    std::fs::create_dir_all(&scratch).unwrap();
    let output = command
        .env("OSIRIS_NODE_ARCHIVE_URL", url)
        .env("OSIRIS_INSTALL_DIR", bin)
        .env("OSIRIS_NODE_NO_SOURCE_BUILD", "1")
        .env("TMPDIR", &scratch)
        .output()
        .unwrap();
    let left: Vec<_> = std::fs::read_dir(&scratch).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "install-node.sh left {left:?} behind");
    output
}

#[test]
fn the_dev_chain_installs_from_a_release_archive_in_seconds_and_a_bad_archive_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let genuine = pack(dir.path(), "genuine", &installed_node());
    let digest = sha256_hex(&genuine);
    let url = serve(genuine, "200 OK");

    // Mallory controls the download: her archive holds a script that answers `--version`
    // exactly as the real node does. Offered with the genuine archive's digest, and offered
    // with no digest at all, it is refused, both digests are named, and nothing is installed.
    let fake_node = dir.path().join("fake-node");
    std::fs::write(&fake_node, "#!/bin/sh\necho 'substrate-contracts-node 0.42.0-fake'\n").unwrap();
    std::fs::set_permissions(&fake_node, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let tampered = pack(dir.path(), "tampered", &fake_node);
    let tampered_digest = sha256_hex(&tampered);
    let tampered_url = serve(tampered, "200 OK");
    let untouched = dir.path().join("untouched");
    let out = install(&tampered_url, Some(&digest), &untouched);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{log}");
    assert!(log.contains(&digest) && log.contains(&tampered_digest) && log.contains("refused"), "{log}");
    let out = install(&tampered_url, None, &untouched);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && log.contains("no SHA-256 is pinned"), "{log}");
    assert!(!untouched.join("substrate-contracts-node").exists());

    let bin = dir.path().join("bin");
    let started = Instant::now();
    let out = install(&url, Some(&digest), &bin);
    let took = started.elapsed();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("from the release archive"), "{log}");
    assert!(took < Duration::from_secs(60), "took {took:?}");
    let version = Command::new(bin.join("substrate-contracts-node")).arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).contains(" 0.42.0"));
    eprintln!("installed from a local archive in {took:?}");

    // Installed already: nothing to do, nothing downloaded.
    let again = install("http://127.0.0.1:9/unused.tar.gz", None, &bin);
    assert!(again.status.success() && again.stderr.is_empty(), "{}", String::from_utf8_lossy(&again.stderr));

    // A missing archive and one that is not an archive: each failure says why, and nothing is installed.
    let empty = dir.path().join("empty");
    for (url, why) in [
        (serve(b"not here".to_vec(), "404 Not Found"), "downloading"),
        (serve(b"garbage".to_vec(), "200 OK"), "is not a .tar.gz archive"),
    ] {
        let out = install(&url, Some(&sha256_hex(b"garbage")), &empty);
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{log}");
        assert!(log.contains(why) && log.contains("not building from source"), "{log}");
        assert!(!empty.join("substrate-contracts-node").exists());
    }
}
