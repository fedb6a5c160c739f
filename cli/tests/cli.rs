//! The `osiris` binary against a real dev chain: a provider deploys and registers,
//! a consumer pays through a channel, and refusals come back as readable errors.

use osiris_e2e::TestChain;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

/// Runs `osiris` with the node URL and deployment file set, as the account with secret URI `suri`.
fn osiris(url: &str, deployment: &Path, suri: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_osiris"))
        .env("OSIRIS_NODE_URL", url)
        .env("OSIRIS_DEPLOYMENT", deployment)
        .env("OSIRIS_SURI", suri)
        .args(args)
        .output()
        .expect("run osiris")
}

fn ok_json(output: Output) -> Value {
    assert!(output.status.success(), "osiris failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

#[tokio::test]
async fn a_provider_deploys_and_registers_and_a_consumer_pays_through_a_channel() {
    let (node, _chain) = TestChain::start().await;
    let dir = tempfile::tempdir().unwrap();
    let deployment = dir.path().join("deployment.json");
    let run = |suri: &str, args: &[&str]| osiris(&node.url, &deployment, suri, args);

    // Alice deploys: the addresses are printed and the deployment file is written.
    let deployed = run("//Alice", &["deploy"]);
    let text = String::from_utf8_lossy(&deployed.stdout);
    assert!(deployed.status.success(), "{}", String::from_utf8_lossy(&deployed.stderr));
    assert!(text.starts_with("registry   5") && text.contains("\nescrow     5"), "{text}");
    assert!(text.contains("\nagreements 5"), "{text}");
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&deployment).unwrap()).unwrap();
    assert!(file["escrow"]["address"].as_str().unwrap().starts_with('5'));

    // Alice registers a service paid to Charlie.
    ok_json(run("//Alice", &["--json", "org", "create", "acme", "--name", "Acme AI"]));
    ok_json(run(
        "//Alice",
        &[
            "--json",
            "service",
            "create",
            "acme",
            "translate",
            "--price",
            "1000",
            "--group",
            "eu",
            "--recipient",
            "//Charlie",
            "--endpoint",
            "http://127.0.0.1:7000",
        ],
    ));
    // Alice describes it: the document's blake2-256 becomes the service's content hash, the
    // price stays. A bad document is named and publishes nothing; Bob, not the owner, cannot.
    let document = dir.path().join("translate.json");
    std::fs::write(&document, r#"{"description":"Translates text.","tags":["nlp"]}"#).unwrap();
    let described = ok_json(run(
        "//Alice",
        &["--json", "service", "describe", "acme", "translate", "--file", document.to_str().unwrap()],
    ));
    let hash =
        format!("0x{}", hex::encode(osiris_gateway_client::document::content_hash(&std::fs::read(&document).unwrap())));
    assert_eq!(described["content_hash"], hash.as_str());
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"description":"x","tags":["Not A Tag"]}"#).unwrap();
    let refused = run("//Alice", &["service", "describe", "acme", "translate", "--file", bad.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("tags:"), "{}", String::from_utf8_lossy(&refused.stderr));
    let stranger =
        run("//Bob", &["--json", "service", "describe", "acme", "translate", "--file", bad.to_str().unwrap()]);
    assert_eq!(stranger.status.code(), Some(1));
    std::fs::write(&bad, r#"{"description":"Bob's words."}"#).unwrap();
    let stranger =
        run("//Bob", &["--json", "service", "describe", "acme", "translate", "--file", bad.to_str().unwrap()]);
    let error: Value = serde_json::from_slice(&stranger.stderr).expect("JSON error on stderr");
    assert_eq!(error["contract_error"], "NotAuthorized");
    let service = ok_json(run("//Bob", &["--json", "service", "show", "acme", "translate"]));
    assert_eq!(service["price_per_call"], "1000");
    assert_eq!(service["content_hash"], hash.as_str(), "Bob's attempt changed nothing");
    let recipient = service["groups"][0]["payment_recipient"].as_str().unwrap().to_string();

    // Bob deposits, opens a channel to the group and signs for two calls.
    let key = dir.path().join("bob.key");
    ok_json(run("//Bob", &["--json", "key", "generate", "--out", key.to_str().unwrap()]));
    let deposit = ok_json(run("//Bob", &["--json", "escrow", "deposit", "1000000000000"]));
    assert_eq!(deposit["balance"], "1000000000000");
    assert!(deposit["gas"]["ref_time"].as_u64().unwrap() > 0);
    let opened = ok_json(run(
        "//Bob",
        &[
            "--json",
            "channel",
            "open",
            "--recipient",
            &recipient,
            "--group",
            "eu",
            "--value",
            "500000",
            "--key-file",
            key.to_str().unwrap(),
        ],
    ));
    let channel = opened["channel_id"].to_string();
    let signed = ok_json(run(
        "//Bob",
        &["--json", "sign", "--key-file", key.to_str().unwrap(), "--channel", &channel, "--amount", "2000"],
    ));
    assert_eq!(signed["nonce"], 0);
    let signature = signed["signature"].as_str().unwrap().to_string();

    // Charlie claims; the channel moves to nonce 1 and his escrow balance holds the payment.
    ok_json(run("//Charlie", &["--json", "channel", "claim", &channel, "--amount", "2000", "--signature", &signature]));
    let shown = ok_json(run("//Charlie", &["--json", "channel", "show", &channel]));
    assert_eq!((shown["nonce"].as_u64(), shown["value"].as_str()), (Some(1), Some("498000")));
    assert_eq!(ok_json(run("//Charlie", &["--json", "escrow", "balance"]))["balance"], "2000");

    // A replay is refused with the contract's typed error, and nothing changes.
    let replay =
        run("//Charlie", &["--json", "channel", "claim", &channel, "--amount", "2000", "--signature", &signature]);
    assert_eq!(replay.status.code(), Some(1));
    let error: Value = serde_json::from_slice(&replay.stderr).expect("JSON error on stderr");
    assert_eq!(error["contract_error"], "InvalidSignature");
    assert_eq!(ok_json(run("//Charlie", &["--json", "escrow", "balance"]))["balance"], "2000");

    // Bad input is named.
    let bad = run("//Bob", &["escrow", "balance", "not-an-account"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not-an-account"));
    let unknown = run("//Bob", &["service", "show", "acme", "nope"]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no service acme/nope"));
}

/// With no node to talk to, a command that needs one says so in one line within seconds,
/// naming the URL and the cause; signing at an explicit nonce needs only the deployment file.
#[test]
fn without_a_node_commands_fail_fast_and_signing_at_a_known_nonce_works() {
    let dir = tempfile::tempdir().unwrap();
    let deployment = dir.path().join("deployment.json");
    let alice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
    std::fs::write(
        &deployment,
        serde_json::json!({
            "genesis_hash": format!("0x{}", "11".repeat(32)),
            "node_url": "ws://127.0.0.1:9",
            "registry": {"address": alice, "code_hash": format!("0x{}", "22".repeat(32)), "block": 1},
            "escrow": {"address": alice, "code_hash": format!("0x{}", "33".repeat(32)), "block": 2},
        })
        .to_string(),
    )
    .unwrap();
    // Port 9 (discard) on loopback: nothing listens there on these machines.
    let url = "ws://127.0.0.1:9";
    let started = std::time::Instant::now();
    let failed = osiris(url, &deployment, "//Alice", &["account", "//Bob"]);
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(!failed.status.success());
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(url) && stderr.contains("connection refused"), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "took {:?}", started.elapsed());

    let key = dir.path().join("bob.key");
    let generated = osiris(url, &deployment, "//Alice", &["key", "generate", "--out", key.to_str().unwrap()]);
    assert!(generated.status.success(), "{}", String::from_utf8_lossy(&generated.stderr));
    let args =
        ["--json", "sign", "--key-file", key.to_str().unwrap(), "--channel", "3", "--amount", "100", "--nonce", "0"];
    let signed = ok_json(osiris(url, &deployment, "//Alice", &args));
    assert_eq!(signed["nonce"], 0);
    assert_eq!(signed["signature"].as_str().unwrap().len(), 2 + 130);
    let without_nonce = osiris(url, &deployment, "//Alice", &args[..args.len() - 2]);
    assert!(!without_nonce.status.success(), "the current nonce is the chain's");
}
