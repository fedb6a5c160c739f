//! docker-compose.yml is parsed by `docker-compose config` (scripts/setup.sh installs the
//! Debian package for this test; no Docker engine is needed or used), and the settings it
//! gives the gateway and the indexer are ones they read: each variable changes the
//! configuration the binary loads. The images themselves are not built or run here.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The compose file's services as `docker-compose config` resolves them, as JSON
/// (its YAML read with python3-yaml, which docker-compose depends on).
fn services() -> serde_json::Value {
    let config = Command::new("docker-compose")
        .args(["-f", "docker-compose.yml", "config"])
        .current_dir(root())
        .output()
        .expect("docker-compose must be installed (scripts/setup.sh)");
    assert!(config.status.success(), "docker-compose config: {}", String::from_utf8_lossy(&config.stderr));
    let mut python = Command::new("python3")
        .args(["-c", "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut python.stdin.take().unwrap(), &config.stdout).unwrap();
    let json = python.wait_with_output().unwrap();
    assert!(json.status.success());
    serde_json::from_slice::<serde_json::Value>(&json.stdout).unwrap()["services"].clone()
}

fn environment(service: &serde_json::Value) -> BTreeMap<String, String> {
    service["environment"]
        .as_object()
        .expect("an environment map")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().map_or(v.to_string(), str::to_string)))
        .collect()
}

/// Loads a configuration with `env` set, and again without each variable in turn: every
/// variable must make a difference — or, where its value is the default, a changed value
/// must (none is misspelt or ignored).
fn every_variable_is_read<C: PartialEq + std::fmt::Debug>(
    env: &BTreeMap<String, String>,
    load: impl Fn() -> Result<C, figment::Error>,
) -> C {
    let mut loaded = None;
    figment::Jail::expect_with(|jail| {
        for (key, value) in env {
            jail.set_env(key, value);
        }
        let all = load()?;
        for key in env.keys() {
            std::env::remove_var(key);
            let without = load()?;
            if without == all {
                // The compose file states the default: a changed value must still be read
                // (a different configuration, or an error naming the bad value).
                jail.set_env(key, format!("{}0", env[key]));
                let changed = load();
                assert!(changed.map_or(true, |c| c != all), "{key} changes nothing: misspelt, or not read");
            }
            jail.set_env(key, &env[key]);
        }
        loaded = Some(all);
        Ok(())
    });
    loaded.unwrap()
}

#[test]
fn docker_compose_parses_and_gives_the_gateway_and_indexer_settings_they_read() {
    let services = services();
    for name in ["chain", "postgres", "deploy", "indexer", "register", "primes", "gateway"] {
        assert!(services.get(name).is_some(), "service {name}");
    }
    // The images' programs are this workspace's binaries.
    for (name, program) in [("indexer", "osiris-indexer"), ("gateway", "osiris-gateway"), ("primes", "primes-grpc")] {
        assert_eq!(services[name]["entrypoint"][0], program, "{name}");
    }

    let gateway =
        every_variable_is_read(&environment(&services["gateway"]), || osiris_gateway::config::Config::load(None));
    assert_eq!(gateway.listen.to_string(), "0.0.0.0:7000");
    assert_eq!(gateway.service.endpoint, "http://primes:50051");
    assert_eq!(gateway.service.proto_files, vec![PathBuf::from("/opt/osiris/proto/examples/primes.proto")]);
    assert_eq!(gateway.claim_interval_secs, 60);

    let indexer =
        every_variable_is_read(&environment(&services["indexer"]), || osiris_indexer::config::Config::load(None));
    assert_eq!(indexer.listen.to_string(), "0.0.0.0:8080");
    assert_eq!(indexer.database_url, gateway.database_url, "the gateway reads the indexer's database");
}
