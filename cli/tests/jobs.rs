//! `osiris job …` and `osiris call --agreement` as their users script them. Bob (acme)
//! runs a `job` gateway over his data and a primes gateway. Charlie makes an agreement
//! for a compute job from the command line, uploads his script, follows its logs and
//! fetches its outputs (checked against the chain); then he buys metered primes calls
//! under a second agreement and Bob settles what the gateway accepted. Bad inputs get a
//! one-line error and change nothing.

use osiris_e2e::{actor_account, example_service, spawn_primes, Market, CONSUMER, PROVIDER, UNIT};
use osiris_gateway::config::{ServiceConfig, ServiceType};
use serde_json::Value;
use std::path::Path;
use std::process::Output;

mod common;

/// The `osiris` binary as the story's actors run it, in the story's directory, with `--json`.
struct Cli<'a> {
    market: &'a Market,
    dir: &'a Path,
}

impl Cli<'_> {
    fn run(&self, suri: &str, args: &[&str], stdin: &str) -> Output {
        let args: Vec<&str> = std::iter::once("--json").chain(args.iter().copied()).collect();
        common::osiris_in(self.market, self.dir, &self.dir.join("consumer"), suri, &args, stdin.as_bytes())
    }

    fn ok(&self, suri: &str, args: &[&str]) -> Value {
        common::reply(&self.run(suri, args, ""))
    }

    /// The one-line error of a refused command.
    fn refused(&self, suri: &str, args: &[&str]) -> String {
        common::one_line_refusal(&self.run(suri, args, ""))
    }
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn s(value: &Value) -> String {
    value.as_str().expect("a string").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compute_job_and_metered_calls_from_the_command_line() {
    let market = Market::start().await;
    let jobs_offer = market.offer("acme", "stats", UNIT / 100, 1).await;
    let primes_offer = market.offer("acme", "primes", UNIT / 100, 1).await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    // The sandboxed job's user must reach the data and the job directories.
    std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o711)).unwrap();
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(dir.join("data/weather.csv"), "day,temperature\n1,10\n2,20\n").unwrap();
    let service = ServiceConfig {
        service_type: ServiceType::Job,
        job_runner: ["sh", "-c", "exec python3 \"$1/main.py\" \"$2\" \"$3\"", "runner"].map(String::from).to_vec(),
        job_data_dir: dir.join("data"),
        job_work_dir: dir.join("jobs"),
        job_time_limit_secs: 30,
        ..ServiceConfig::default()
    };
    let mut config = market.gateway_config(&jobs_offer, 0, service);
    config.recipient_suri = Some(PROVIDER.into());
    let _jobs = market.start_gateway(config).await;
    let primes = example_service(ServiceType::Grpc, &spawn_primes().await, "primes.proto");
    let _primes = market.start_gateway(market.gateway_config(&primes_offer, 0, primes)).await;
    let cli = Cli { market: &market, dir };
    let (alice, bob, charlie) = ("//Alice", PROVIDER, CONSUMER);
    let key = dir.join("charlie.key");
    let key = key.to_str().unwrap();
    cli.ok(charlie, &["key", "generate", "--out", key]);

    // Alice's compute template; Bob's offer; Charlie agrees and locks.
    let template = cli.ok(
        alice,
        &[
            "agreement",
            "template",
            "create",
            "--condition",
            "lock:300",
            "--condition",
            "input:400",
            "--condition",
            "access:500",
            "--condition",
            "release:600",
        ],
    );
    let template = template["template_id"].to_string();
    cli.ok(alice, &["agreement", "template", "whitelist", &template]);
    let price = (2 * UNIT).to_string();
    let offer =
        cli.ok(bob, &["agreement", "offer", "create", "acme", "stats", "--template", &template, "--price", &price]);
    let offer = offer["offer_id"].to_string();
    let agreement = s(&cli.ok(charlie, &["agreement", "create", "--offer", &offer, "--key-file", key])["agreement_id"]);
    cli.ok(charlie, &["agreement", "lock", &agreement]);
    std::fs::write(dir.join("main.py"), "import os, sys\nrows = open(os.path.join(sys.argv[1], 'weather.csv')).read().count('\\n') - 1\nprint('rows', rows)\nopen(os.path.join(sys.argv[2], 'rows.txt'), 'w').write(str(rows))\n").unwrap();
    let jobs_url = jobs_offer.endpoints[0].as_str();
    let job = |command: &str, extra: &[&str]| {
        let mut args = vec!["job", command, jobs_url, "--agreement", agreement.as_str(), "--key-file", key];
        args.extend_from_slice(extra);
        args.into_iter().map(String::from).collect::<Vec<_>>()
    };

    // Bad inputs: one line each, nothing started.
    let missing = job("start", &["--files", "nope.py"]);
    assert!(cli.refused(charlie, &args(&missing)).contains("nope.py"));
    let malformed = ["job", "status", jobs_url, "--agreement", "0x12", "--key-file", key];
    assert!(cli.refused(charlie, &malformed).contains("--agreement"));
    let primes_url = primes_offer.endpoints[0].as_str();
    let wrong_gateway = ["job", "status", primes_url, "--agreement", agreement.as_str(), "--key-file", key];
    assert!(cli.refused(charlie, &wrong_gateway).contains("not compute jobs"));
    assert!(cli.refused(charlie, &args(&job("status", &[]))).contains("NotFound"));

    // The job: started, its logs followed to the end, its outputs fetched and checked.
    let started = cli.ok(charlie, &args(&job("start", &["--files", "main.py"])));
    assert_eq!(started["state"], "starting");
    let logs = cli.ok(charlie, &args(&job("logs", &[])));
    assert_eq!(logs["log"], "rows 2\n");
    assert_eq!(logs["job"]["state"], "succeeded", "{logs}");
    let fetched = cli.ok(charlie, &args(&job("fetch", &["--out", dir.join("out").to_str().unwrap()])));
    assert_eq!(fetched["files"], serde_json::json!(["rows.txt"]));
    assert_eq!(std::fs::read_to_string(dir.join("out/rows.txt")).unwrap(), "2");
    let stranger = dir.join("eve.key");
    cli.ok("//Eve", &["key", "generate", "--out", stranger.to_str().unwrap()]);
    let mut as_eve = job("fetch", &["--out", dir.join("eve").to_str().unwrap()]);
    as_eve[6] = stranger.to_str().unwrap().to_string();
    assert!(cli.refused("//Eve", &args(&as_eve)).contains("Unauthenticated"));
    assert!(!dir.join("eve").exists(), "a refused fetch writes nothing");
    cli.ok(bob, &["agreement", "release", &agreement]);

    // Metered primes calls under a second agreement, settled by Bob from the gateways' records.
    let metered_template =
        cli.ok(alice, &["agreement", "template", "create", "--condition", "lock:300", "--condition", "release:600"]);
    let metered_template = metered_template["template_id"].to_string();
    cli.ok(alice, &["agreement", "template", "whitelist", &metered_template]);
    let per_call = (UNIT / 10).to_string();
    let locked = (UNIT / 2).to_string();
    let offer = cli.ok(
        bob,
        &[
            "agreement",
            "offer",
            "create",
            "acme",
            "primes",
            "--template",
            &metered_template,
            "--price",
            &locked,
            "--unit",
            "call",
            "--price-per-unit",
            &per_call,
        ],
    );
    let offer = offer["offer_id"].to_string();
    let metered = s(&cli.ok(charlie, &["agreement", "create", "--offer", &offer, "--key-file", key])["agreement_id"]);
    let lock = cli.ok(charlie, &["agreement", "lock", &metered]);
    market.wait_for_block(lock["block"].as_u64().unwrap()).await;
    let call = ["call", primes_url, "Factorize", "--agreement", metered.as_str(), "--key-file", key];
    for number in [6, 35] {
        let out = cli.run(charlie, &call, &format!("{{\"number\": {number}}}"));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let conflicting =
        ["call", primes_url, "Factorize", "--agreement", metered.as_str(), "--channel", "0", "--key-file", key];
    assert!(cli.refused(charlie, &conflicting).contains("--channel"));
    let settled = cli.ok(bob, &["agreement", "settle", "--from-gateways"]);
    let rows = settled["settled"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{settled}");
    assert_eq!((rows[0]["units"].as_u64(), rows[0]["submitted"].as_bool()), (Some(2), Some(true)));
    assert_eq!(rows[0]["amount"], (2 * UNIT / 10).to_string());
    let again = cli.ok(bob, &["agreement", "settle", "--from-gateways"]);
    assert!(again["settled"].as_array().unwrap().iter().all(|r| r["submitted"] == false), "{again}");
    let shown = cli.ok(charlie, &["agreement", "show", &metered]);
    assert_eq!(shown["paid"], (2 * UNIT / 10).to_string());
    assert_eq!(actor_account(CONSUMER).to_string(), s(&shown["consumer"]));
}
