//! SIGTERM with calls in flight: the gateway (the real binary) stops accepting, lets the
//! calls it holds finish and exits 0 — every one of those calls is answered and paid
//! exactly once. A second signal cuts the wait short and exits at once.

use osiris_contract_types::Nonce;
use osiris_e2e::{actor, example_service, gateway_when_up, payment_key, spawn_gateway_process, Market, CONSUMER, UNIT};
use osiris_gateway::config::ServiceType;
use osiris_gateway_client::{find_method, Api, ChannelPayer};
use osiris_payments::PaymentKind;
use serde_json::json;
use std::time::{Duration, Instant};

const PRICE: u128 = UNIT / 100;
const IN_FLIGHT: usize = 8;

/// An upstream that takes `secs` seconds per call (a `process` service answering Factorize).
fn slow_service(secs: u32) -> osiris_gateway::config::ServiceConfig {
    let mut service = example_service(ServiceType::Process, "", "primes.proto");
    let script = format!("sleep {secs}; echo '{{\"number\": \"12\", \"factors\": [\"2\", \"2\", \"3\"]}}'");
    service.command = vec!["sh".into(), "-c".into(), script, "slow".into()];
    service.call_timeout_ms = 60_000;
    service
}

fn signal(child: &std::process::Child, signal: i32) {
    // SAFETY: signals the gateway process this test started.
    unsafe { libc::kill(child.id() as i32, signal) };
}

/// Waits up to `limit` for the child to exit; its status.
fn exit_within(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(started.elapsed() < limit, "the gateway did not exit within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_calls_in_flight_finish_and_a_second_signal_exits_at_once() {
    let market = Market::start().await;
    let offer = market.offer("acme", "slow", PRICE, 1).await;
    let config = market.gateway_config(&offer, 0, slow_service(1));
    market.release(config.listen);
    let binary = env!("CARGO_BIN_EXE_osiris-gateway");
    let mut gateway = spawn_gateway_process(binary, &config, &market.dir.path().join("gateway.toml"));
    let client = gateway_when_up(&offer.endpoints[0]).await;
    let info = client.service_info().await.unwrap();
    let factorize = find_method(&Api::from_descriptor_set(&info.descriptor_set).unwrap(), "Factorize").unwrap();
    let key = payment_key();
    let channel_id = market.open_channel(&actor(CONSUMER), &key, &offer, 100 * PRICE, 1_000).await;
    let escrow = market.osiris.deployment.escrow.address;
    let mut payer = ChannelPayer { key, escrow, channel_id, nonce: Nonce(0), amount: IN_FLIGHT as u128 * PRICE };
    let prepaid = payer.authorization(PaymentKind::Prepaid);

    // Charlie has 8 calls on their way when the provider's supervisor sends SIGTERM.
    let calls: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            let (client, factorize, prepaid) = (client.clone(), factorize.clone(), prepaid.clone());
            tokio::spawn(async move { client.call_json(&factorize, json!({"number": 12}), Some(&prepaid)).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(400)).await;
    signal(&gateway, libc::SIGTERM);
    for call in calls {
        let reply = call.await.unwrap().expect("a call in flight at SIGTERM is answered");
        assert_eq!(reply["factors"], json!(["2", "2", "3"]));
    }
    assert!(exit_within(&mut gateway, Duration::from_secs(10)).success(), "exit 0 after a graceful stop");
    let (calls_stored, spent): (i64, String) =
        sqlx::query_as("SELECT calls, spent::text FROM gateway_payments WHERE channel_id = $1")
            .bind(channel_id.0 as i64)
            .fetch_one(&market.pool)
            .await
            .unwrap();
    assert_eq!((calls_stored as usize, spent), (IN_FLIGHT, (IN_FLIGHT as u128 * PRICE).to_string()));
    assert!(osiris_gateway_client::GatewayClient::connect(&offer.endpoints[0]).await.is_err(), "no longer accepting");

    // With calls that take long, a second signal does not wait for them.
    let mut config = config;
    config.service.command = slow_service(30).command;
    let mut gateway = spawn_gateway_process(binary, &config, &market.dir.path().join("gateway.toml"));
    let client = gateway_when_up(&offer.endpoints[0]).await;
    payer.amount += PRICE;
    let slow = payer.authorization(PaymentKind::Prepaid);
    let pending = tokio::spawn(async move { client.call_json(&factorize, json!({"number": 12}), Some(&slow)).await });
    tokio::time::sleep(Duration::from_millis(400)).await;
    signal(&gateway, libc::SIGTERM);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    signal(&gateway, libc::SIGTERM);
    let status = exit_within(&mut gateway, Duration::from_secs(3));
    assert_eq!(status.code(), Some(130), "the second signal exits at once");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(pending.await.unwrap().is_err(), "the cut-off call gets an error, not a reply");
}
