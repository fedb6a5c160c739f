//! `osiris agreement …` as its users script it: the owner whitelists a template, a member
//! of acme offers computation, the consumer signs the agreement off-chain and the provider
//! creates it, the consumer locks and signs its algorithm's files, the provider fulfils and
//! is paid. Refusals are one line naming the contract's reason, and change nothing.

use osiris_chain::types::registry::{InstanceGroup, OrgMetadata, ServiceMetadata};
use osiris_e2e::{actor, actor_account as account, Market, UNIT};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

struct Cli {
    node: String,
    deployment: std::path::PathBuf,
    indexer: String,
}

impl Cli {
    fn run(&self, suri: &str, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_osiris"))
            .env("OSIRIS_NODE_URL", &self.node)
            .env("OSIRIS_DEPLOYMENT", &self.deployment)
            .env("OSIRIS_SURI", suri)
            .env("OSIRIS_INDEXER_URL", &self.indexer)
            .arg("--json")
            .args(args)
            .output()
            .expect("run osiris")
    }

    fn ok(&self, suri: &str, args: &[&str]) -> Value {
        let out = self.run(suri, args);
        assert!(out.status.success(), "osiris {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("JSON on stdout")
    }

    /// The one-line error of a refused command.
    fn refused(&self, suri: &str, args: &[&str]) -> String {
        let out = self.run(suri, args);
        assert!(!out.status.success(), "osiris {args:?} succeeded");
        let text = String::from_utf8_lossy(&out.stderr).trim().to_string();
        // clap adds a "For more information, try '--help'." tip under its one-line errors.
        let lines: Vec<&str> =
            text.lines().filter(|l| !l.is_empty() && !l.starts_with("For more information")).collect();
        assert_eq!(lines.len(), 1, "{text}");
        text
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compute_agreement_from_the_command_line() {
    let market = Market::start().await;
    let osiris = &market.osiris;
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli {
        node: osiris.node.url.clone(),
        deployment: market.deployment_file.clone(),
        indexer: market.serve_indexer_api().await,
    };
    // acme (Alice) with Bob as a member sells `compute`.
    let registry = osiris.registry();
    let meta = OrgMetadata { name: "Acme".into(), uri: String::new(), content_hash: [0; 32] };
    registry.create_org(&actor("//Alice"), "acme", meta, &[account("//Bob")]).await.unwrap();
    let group = InstanceGroup {
        id: "jobs".into(),
        payment_recipient: osiris_chain::account::to_ink(&account("//Bob")),
        endpoints: vec!["http://127.0.0.1:1".into()],
    };
    let service =
        ServiceMetadata { name: "Compute".into(), uri: String::new(), content_hash: [0; 32], price_per_call: 1 };
    registry.create_service(&actor("//Bob"), "acme", "compute", service, vec![group]).await.unwrap();

    // The owner's template; bad condition syntax is caught before anything is sent.
    let conditions = [
        "--condition",
        "lock:50",
        "--condition",
        "input:100",
        "--condition",
        "access:150",
        "--condition",
        "release:200",
    ];
    let bad = cli.refused("//Alice", &["agreement", "template", "create", "--condition", "pay:5"]);
    assert!(bad.contains("unknown condition kind"), "{bad}");
    let not_owner = cli.refused("//Bob", &[&["agreement", "template", "create"][..], &conditions].concat());
    assert!(not_owner.contains("NotOwner"), "{not_owner}");
    let template = cli.ok("//Alice", &[&["agreement", "template", "create"][..], &conditions].concat());
    let template_id = template["template_id"].to_string();
    cli.ok("//Alice", &["agreement", "template", "whitelist", &template_id]);
    let shown = cli.ok("//Bob", &["agreement", "template", "show", &template_id]);
    assert_eq!(shown["conditions"][3]["depends_on"], serde_json::json!([0, 1, 2]));

    // Bob offers; Eve, a stranger, may not.
    let price = (3 * UNIT).to_string();
    let offer_args = ["agreement", "offer", "create", "acme", "compute", "--template", &template_id, "--price", &price];
    let stranger = cli.refused("//Eve", &offer_args);
    assert!(stranger.contains("NotOrganizationMember") && stranger.contains("member"), "{stranger}");
    let offer_id = cli.ok("//Bob", &offer_args)["offer_id"].to_string();

    // Charlie signs off-chain; Bob creates the agreement with the signature.
    let key = dir.path().join("charlie.key");
    assert!(cli.run("//Charlie", &["key", "generate", "--out", path(&key)]).status.success());
    // Until Charlie's account binds the key, Bob cannot name it in an agreement.
    let bound = cli.ok("//Charlie", &["agreement", "bind-key", "--key-file", path(&key)]);
    assert!(bound["consumer_key"].as_str().is_some_and(|k| k.starts_with("0x")), "{bound}");
    let signed = cli.ok(
        "//Charlie",
        &["agreement", "sign", "--offer", &offer_id, "--key-file", path(&key), "--params", "rows=all"],
    );
    let id = signed["agreement_id"].as_str().unwrap().to_string();
    let create = |signature: &str| {
        vec![
            "agreement",
            "create",
            "--offer",
            &offer_id,
            "--id",
            &id,
            "--params",
            "rows=all",
            "--consumer",
            signed["consumer"].as_str().unwrap(),
            "--consumer-key",
            signed["consumer_key"].as_str().unwrap(),
            "--signature",
            signature,
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>()
    };
    let forged = format!("0x{}", "11".repeat(65));
    let args = create(&forged);
    let refused = cli.refused("//Bob", &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(refused.contains("InvalidSignature"), "{refused}");
    let args = create(signed["signature"].as_str().unwrap());
    cli.ok("//Bob", &args.iter().map(String::as_str).collect::<Vec<_>>());

    // Charlie locks and signs the algorithm's files; Bob agrees to the same files.
    cli.ok("//Charlie", &["agreement", "lock", &id]);
    let algorithm = dir.path().join("stats.py");
    std::fs::write(&algorithm, "import csv\nprint('mean')\n").unwrap();
    cli.ok("//Charlie", &["agreement", "sign-input", &id, "--files", path(&algorithm), "--key-file", path(&key)]);
    let tampered = dir.path().join("tampered.py");
    std::fs::write(&tampered, "print(open('secret.csv').read())\n").unwrap();
    let refused = cli.refused("//Bob", &["agreement", "fulfil", "input", &id, "--files", path(&tampered)]);
    assert!(refused.contains("InvalidSignature"), "{refused}");
    cli.ok("//Bob", &["agreement", "fulfil", "input", &id, "--files", path(&algorithm)]);
    let outputs = format!("0x{}", "ab".repeat(32));
    cli.ok("//Bob", &["agreement", "fulfil", "access", &id, "--hash", &outputs, "--location", "http://gw/jobs/1"]);
    let early = cli.refused("//Charlie", &["agreement", "refund", &id]);
    assert!(early.contains("RefundNotAllowed"), "{early}");
    let released = cli.ok("//Bob", &["agreement", "release", &id]);
    market.wait_for_block(released["block"].as_u64().unwrap()).await;

    let shown = cli.ok("//Charlie", &["agreement", "show", &id]);
    assert_eq!(shown["state"], "Fulfilled");
    assert_eq!(shown["result"]["location"], "http://gw/jobs/1");
    assert_eq!(shown["params"], "rows=all");
    let balance = cli.ok("//Bob", &["agreement", "balance"]);
    assert_eq!(balance["balance"], price);

    // The indexer lists it, by consumer and state.
    let charlie = account("//Charlie").to_string();
    let listed = cli.ok("//Bob", &["agreement", "list", "--consumer", &charlie, "--state", "fulfilled"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["agreement_id"], id.as_str());
    let bad_state = cli.refused("//Bob", &["agreement", "list", "--state", "finished"]);
    assert!(bad_state.contains("state must be one of"), "{bad_state}");

    // Unknown ids and malformed values are one-line errors.
    let unknown = cli.refused("//Bob", &["agreement", "show", &format!("0x{}", "00".repeat(32))]);
    assert!(unknown.contains("no agreement"), "{unknown}");
    let short = cli.refused("//Bob", &["agreement", "release", "0x1234"]);
    assert!(short.contains("32 bytes"), "{short}");
}
