//! The gateway is killed with SIGKILL while consumers make paid calls: every call that was
//! answered OK has its authorization stored, and a restarted gateway goes on from there.

use osiris_contract_types::Nonce;
use osiris_e2e::{
    actor, example_service, gateway_when_up, payment_key, spawn_gateway_process, spawn_primes, Market, UNIT,
};
use osiris_gateway::config::{Config, ServiceType};
use osiris_gateway_client::Api;
use osiris_gateway_client::{find_method, ChannelPayer};
use serde_json::json;
use std::process::Child;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const PRICE: u128 = UNIT / 1000;
const CONSUMERS: [&str; 4] = ["//Charlie", "//Dave", "//Eve", "//Ferdie"];

/// Runs the real `osiris-gateway` binary with `config`.
fn spawn_gateway(config: &Config, dir: &std::path::Path) -> Child {
    spawn_gateway_process(env!("CARGO_BIN_EXE_osiris-gateway"), config, &dir.join("gateway.toml"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_gateway_loses_no_accepted_payment_and_resumes() {
    let market = Market::start().await;
    let offer = market.offer("acme", "primes", PRICE, 1).await;
    let service = example_service(ServiceType::Grpc, &spawn_primes().await, "primes.proto");
    let config = market.gateway_config(&offer, 0, service);
    market.release(config.listen);
    let mut gateway = spawn_gateway(&config, market.dir.path());
    let client = gateway_when_up(&offer.endpoints[0]).await;
    let api = Api::from_descriptor_set(&client.service_info().await.unwrap().descriptor_set).unwrap();
    let factorize = find_method(&api, "Factorize").unwrap();
    let escrow = market.osiris.deployment.escrow.address;

    // Four consumers call as fast as they can, each on its own channel, remembering the last
    // amount the gateway answered OK.
    let mut payers = Vec::new();
    for uri in CONSUMERS {
        let key = payment_key();
        let channel_id = market.open_channel(&actor(uri), &key, &offer, 10_000 * PRICE, 1_000).await;
        payers.push(ChannelPayer { key, escrow, channel_id, nonce: Nonce(0), amount: 0 });
    }
    let running = Arc::new(AtomicBool::new(true));
    let mut tasks = Vec::new();
    for mut payer in payers.clone() {
        let (client, factorize, running) = (client.clone(), factorize.clone(), running.clone());
        tasks.push(tokio::spawn(async move {
            let mut last_ok = 0u128;
            let mut ok_calls = 0u32;
            while running.load(Ordering::Relaxed) {
                let payment = payer.pay(PRICE);
                match client.call_json(&factorize, json!({"number": 123456789}), Some(&payment)).await {
                    Ok(_) => {
                        last_ok = payment.amount;
                        ok_calls += 1;
                    }
                    Err(_) => break, // the gateway is gone
                }
            }
            (payer.channel_id, last_ok, ok_calls)
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    gateway.kill().unwrap(); // SIGKILL
    gateway.wait().unwrap();
    running.store(false, Ordering::Relaxed);
    let mut total_ok = 0;
    for task in tasks {
        let (channel_id, last_ok, ok_calls) = task.await.unwrap();
        total_ok += ok_calls;
        let (amount, signature): (String, Vec<u8>) =
            sqlx::query_as("SELECT amount::text, signature FROM gateway_payments WHERE channel_id = $1")
                .bind(channel_id.0 as i64)
                .fetch_one(&market.pool)
                .await
                .unwrap();
        let amount: u128 = amount.parse().unwrap();
        assert!(amount >= last_ok, "channel {channel_id}: answered OK up to {last_ok}, stored only {amount}");
        let payer = payers.iter().find(|p| p.channel_id == channel_id).unwrap();
        let signature: [u8; 65] = signature.try_into().unwrap();
        assert!(
            osiris_payments::signing::channel::is_authorized(
                &signature,
                &payer.key.signer_key(),
                &escrow,
                channel_id,
                Nonce(0),
                amount
            ),
            "the stored signature authorizes the stored amount"
        );
    }
    assert!(total_ok > 20, "the load ran ({total_ok} calls answered) before the kill");

    // Restarted, the gateway picks up where it stopped: consumers learn the state and go on.
    let mut gateway = spawn_gateway(&config, market.dir.path());
    let client = gateway_when_up(&offer.endpoints[0]).await;
    for payer in &mut payers {
        let state = client.channel_state(&payer.key, &escrow, payer.channel_id).await.unwrap();
        payer.resync(&state).unwrap();
        client.call_json(&factorize, json!({"number": 10}), Some(&payer.pay(PRICE))).await.unwrap();
    }
    // And the provider claims every channel's stored amount.
    let report = market.claimer().run(None).await.unwrap();
    assert_eq!(report.submitted.len(), CONSUMERS.len());
    let claimed: u128 = report.total();
    let paid: u128 = payers.iter().map(|p| p.amount).sum();
    assert_eq!(claimed, paid, "everything paid is claimed");
    gateway.kill().unwrap();
    gateway.wait().unwrap();
}
