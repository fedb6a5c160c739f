//! Compute jobs: Bob (acme) sells computation on his weather data set through a `job`
//! gateway. Charlie agrees, locks the price, uploads a small statistics script with his
//! signature over its hash; the gateway agrees the input on chain, runs the script next to
//! the data, registers the outputs on chain and serves them to Charlie alone. A forged
//! input signature, a job without a locked payment, a second start and a stranger are each
//! refused; a job is killed at its time limit; and a job running when the gateway is
//! killed is reported failed, not lost, when it comes back.

use osiris_chain::types::agreements::{AgreementId, AgreementState, ConditionKind};
use osiris_e2e::{
    actor, actor_account, condition, gateway_when_up, spawn_gateway_process, Market, CONSUMER, PROVIDER, UNIT,
};
use osiris_gateway::config::{ServiceConfig, ServiceType};
use osiris_gateway_client::pb::Job;
use osiris_gateway_client::GatewayClient;
use osiris_payments::signing::agreement::{files_hash, sign_agreement, sign_input, sign_key_binding};
use osiris_payments::signing::channel::PaymentKey;
use std::time::{Duration, Instant};
use tonic::Code;

const PRICE: u128 = 2 * UNIT;
const STATS: &str = r#"
import csv, os, statistics, sys
rows = list(csv.DictReader(open(os.path.join(sys.argv[1], "weather.csv"))))
values = [float(r["temperature"]) for r in rows]
print("read", len(values), "rows")
open(os.path.join(sys.argv[2], "stats.txt"), "w").write(f"rows={len(values)} mean={statistics.mean(values):.2f}\n")
"#;
/// The runner: the uploaded `main.py` with the data and output directories.
const RUNNER: [&str; 4] = ["sh", "-c", "exec python3 \"$1/main.py\" \"$2\" \"$3\"", "runner"];

use osiris_e2e::refusal_code as code;

/// Waits until the job is in one of `states` (up to 90 s).
async fn until(
    client: &GatewayClient,
    key: &PaymentKey,
    contract: &osiris_chain::AccountId,
    id: &AgreementId,
    states: &[&str],
) -> Job {
    let started = Instant::now();
    loop {
        let job = client.job(key, contract, id).await.unwrap();
        if states.contains(&job.state.as_str()) {
            return job;
        }
        assert!(started.elapsed() < Duration::from_secs(90), "job stuck in {job:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_runs_its_algorithm_on_the_providers_data_and_fetches_the_outputs() {
    let market = Market::start().await;
    let offer = market.offer("acme", "stats", UNIT / 100, 1).await;
    // The sandboxed job's user must reach the data and the job directories.
    std::fs::set_permissions(market.dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o711)).unwrap();
    let data = market.dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("weather.csv"), "day,temperature\n1,12.5\n2,14.0\n3,9.5\n4,16.0\n").unwrap();
    let service = ServiceConfig {
        service_type: ServiceType::Job,
        job_runner: RUNNER.iter().map(|s| s.to_string()).collect(),
        job_data_dir: data,
        job_work_dir: market.dir.path().join("jobs"),
        job_time_limit_secs: 6,
        ..ServiceConfig::default()
    };
    let mut config = market.gateway_config(&offer, 0, service);
    config.recipient_suri = Some(PROVIDER.into());
    market.release(config.listen);
    let binary = env!("CARGO_BIN_EXE_osiris-gateway");
    let config_file = market.dir.path().join("gateway.toml");
    let mut gateway = spawn_gateway_process(binary, &config, &config_file);
    let client = gateway_when_up(&offer.endpoints[0]).await;
    let info = client.service_info().await.unwrap();
    assert_eq!(info.service_type, "job");

    // Alice whitelists the compute template; Bob offers it for his stats service.
    let agreements = market.osiris.agreements();
    let contract = *agreements.address();
    let (bob, charlie) = (actor(PROVIDER), actor(CONSUMER));
    use ConditionKind::*;
    let template = vec![
        condition(LockPayment, &[], 500),
        condition(InputAgreed, &[0], 600),
        condition(AccessGranted, &[1], 700),
        condition(ReleasePayment, &[0, 1, 2], 800),
    ];
    let template_id = market.osiris.whitelisted_template(template).await;
    let offer_id =
        agreements.create_offer(&bob, "acme", "stats", template_id, PRICE, vec![], None).await.unwrap().value;
    let key = PaymentKey::generate();
    let proof = sign_key_binding(&key, &contract, &actor_account(CONSUMER));
    agreements.bind_consumer_key(&charlie, key.signer_key(), proof).await.unwrap();
    let agree = |id: AgreementId, lock: bool| {
        let (agreements, key, contract, bob, charlie) =
            (agreements.clone(), key.clone(), contract, bob.clone(), charlie.clone());
        async move {
            let consumer = actor_account(CONSUMER);
            let signature = sign_agreement(&key, &contract, &id, offer_id, &consumer, b"");
            let mut outcome = agreements
                .create_agreement(&bob, id, offer_id, &consumer, key.signer_key(), Vec::new(), Some(signature))
                .await
                .unwrap();
            if lock {
                outcome.block_number = agreements.lock_payment(&charlie, id, PRICE).await.unwrap().block_number;
            }
            outcome.block_number
        }
    };
    let upload = |script: &str| vec![("main.py".to_string(), script.as_bytes().to_vec())];
    let sign = |id: &AgreementId, files: &[(String, Vec<u8>)]| sign_input(&key, &contract, id, &files_hash(files));

    // Without a locked payment, no job.
    let unpaid = [0x10; 32];
    market.wait_for_block(agree(unpaid, false).await).await;
    let files = upload(STATS);
    assert_eq!(code(client.start_job(&unpaid, files.clone(), &sign(&unpaid, &files)).await), Code::FailedPrecondition);

    // Charlie's job: a forged signature (over other files) is refused, his own is accepted once.
    let id = [0x11; 32];
    market.wait_for_block(agree(id, true).await).await;
    let other = upload("print('something else')");
    assert_eq!(code(client.start_job(&id, files.clone(), &sign(&id, &other)).await), Code::Unauthenticated);
    agreements.submit_input_signature(&charlie, id, sign(&id, &files)).await.unwrap();
    let started = client.start_job(&id, files.clone(), &sign(&id, &files)).await.unwrap();
    assert_eq!(started.state, "starting");
    assert_eq!(code(client.start_job(&id, files.clone(), &sign(&id, &files)).await), Code::AlreadyExists);
    let bad_name = vec![("../escape.py".to_string(), b"x".to_vec())];
    assert_eq!(
        code(client.start_job(&[0x12; 32], bad_name.clone(), &sign(&[0x12; 32], &bad_name)).await),
        Code::InvalidArgument
    );

    let done = until(&client, &key, &contract, &id, &["succeeded", "failed", "timed_out"]).await;
    assert_eq!((done.state.as_str(), done.exit_code, done.error.as_str()), ("succeeded", 0, ""), "{done:?}");
    let mut logs = client.job_logs(&key, &contract, &id).await.unwrap();
    let mut log = Vec::new();
    while let Some(chunk) = logs.message().await.unwrap() {
        log.extend(chunk.data);
    }
    assert_eq!(String::from_utf8(log).unwrap(), "read 4 rows\n");
    let outputs = client.fetch_outputs(&key, &contract, &id).await.unwrap();
    assert_eq!(outputs, vec![("stats.txt".to_string(), b"rows=4 mean=13.00\n".to_vec())]);

    // The outputs are registered on chain as the agreement's result, with this hash.
    let on_chain = agreements.agreement(id).await.unwrap().unwrap();
    let result = on_chain.result.expect("a registered result");
    assert_eq!(format!("0x{}", hex::encode(result.hash)), done.output_hash);
    assert_eq!(result.hash, files_hash(&outputs));
    assert_eq!(result.location, done.location);
    assert_eq!(on_chain.input_hash, Some(files_hash(&files)));

    // A stranger gets nothing; Bob is paid on release.
    let eve = PaymentKey::generate();
    assert_eq!(code(client.fetch_outputs(&eve, &contract, &id).await), Code::Unauthenticated);
    assert_eq!(code(client.job(&eve, &contract, &id).await), Code::Unauthenticated);
    agreements.release_payment(&bob, id).await.unwrap();
    assert_eq!(agreements.agreement(id).await.unwrap().unwrap().state, AgreementState::Fulfilled);

    // A job that runs too long is killed at its time limit: no result, nothing to fetch.
    let slow = [0x13; 32];
    market.wait_for_block(agree(slow, true).await).await;
    let sleepy = upload("import time\nprint('sleeping', flush=True)\ntime.sleep(120)\n");
    agreements.submit_input_signature(&charlie, slow, sign(&slow, &sleepy)).await.unwrap();
    client.start_job(&slow, sleepy.clone(), &sign(&slow, &sleepy)).await.unwrap();
    let killed = until(&client, &key, &contract, &slow, &["succeeded", "failed", "timed_out"]).await;
    assert_eq!(killed.state, "timed_out", "{killed:?}");
    assert!(killed.error.contains("time limit"), "{killed:?}");
    assert_eq!(code(client.fetch_outputs(&key, &contract, &slow).await), Code::FailedPrecondition);
    assert!(agreements.agreement(slow).await.unwrap().unwrap().result.is_none());

    // A job running when the gateway dies is reported failed when it comes back.
    let orphan = [0x14; 32];
    market.wait_for_block(agree(orphan, true).await).await;
    agreements.submit_input_signature(&charlie, orphan, sign(&orphan, &sleepy)).await.unwrap();
    client.start_job(&orphan, sleepy.clone(), &sign(&orphan, &sleepy)).await.unwrap();
    until(&client, &key, &contract, &orphan, &["running"]).await;
    gateway.kill().unwrap(); // SIGKILL
    gateway.wait().unwrap();
    let mut gateway = spawn_gateway_process(binary, &config, &config_file);
    let client = gateway_when_up(&offer.endpoints[0]).await;
    let lost = client.job(&key, &contract, &orphan).await.unwrap();
    assert_eq!(lost.state, "failed");
    assert!(lost.error.contains("gateway stopped"), "{lost:?}");
    // The finished jobs are still there.
    assert_eq!(client.job(&key, &contract, &id).await.unwrap().state, "succeeded");
    gateway.kill().unwrap();
    gateway.wait().unwrap();
}
