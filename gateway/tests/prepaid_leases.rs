//! Prepaid calls served from leased shares: two replicas, claims racing the load, a replica
//! killed holding a share, and a stranger presenting a forged copy of a leased
//! authorization. Money is counted exactly: what is claimed and spent equals what was
//! served, except a killed replica's unused share, which is charged and bounded by one share.

use osiris_contract_types::Nonce;
use osiris_e2e::{
    actor, example_service, gateway_when_up, payment_key, spawn_gateway_process, spawn_primes, Market, CONSUMER, UNIT,
};
use osiris_gateway::config::{Config, ServiceType};
use osiris_gateway::leases::LeaseConfig;
use osiris_gateway_client::{find_method, Api, ChannelPayer, GatewayClient};
use osiris_payments::{Payment, PaymentKind};
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tonic::Code;

const PRICE: u128 = UNIT / 1000;
/// Short leases, so that the story takes seconds.
const LEASES: LeaseConfig = LeaseConfig { calls: 16, lease_ms: 400 };

fn with_leases(mut config: Config) -> Config {
    config.prepaid_leases = LEASES;
    config
}

async fn spent_and_leased(market: &Market, channel_id: osiris_contract_types::ChannelId) -> (u128, usize) {
    let (spent, leases): (String, i32) =
        sqlx::query_as("SELECT spent::text, jsonb_array_length(leases) FROM gateway_payments WHERE channel_id = $1")
            .bind(channel_id.0 as i64)
            .fetch_one(&market.pool)
            .await
            .unwrap();
    (spent.parse().unwrap(), leases as usize)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_serve_one_prepaid_authorization_while_claims_race_and_every_call_is_counted() {
    let market = Market::start().await;
    let offer = market.offer("acme", "primes", PRICE, 2).await;
    let service = example_service(ServiceType::Grpc, &spawn_primes().await, "primes.proto");
    let _east = market.start_gateway(with_leases(market.gateway_config(&offer, 0, service.clone()))).await;
    let _west = market.start_gateway(with_leases(market.gateway_config(&offer, 1, service))).await;
    let east = GatewayClient::connect(&offer.endpoints[0]).await.unwrap();
    let west = GatewayClient::connect(&offer.endpoints[1]).await.unwrap();
    let api = Api::from_descriptor_set(&east.service_info().await.unwrap().descriptor_set).unwrap();
    let factorize = find_method(&api, "Factorize").unwrap();
    let escrow = market.osiris.deployment.escrow.address;

    // Charlie prepays 200 calls at a time and tops up whenever the gateways say it is spent.
    let key = payment_key();
    let channel_id = market.open_channel(&actor(CONSUMER), &key, &offer, 100_000 * PRICE, 1_000).await;
    let payer = ChannelPayer { key: key.clone(), escrow, channel_id, nonce: Nonce(0), amount: 200 * PRICE };
    let first = payer.authorization(PaymentKind::Prepaid);
    let payer = Arc::new(Mutex::new((payer, first)));

    let running = Arc::new(AtomicBool::new(true));
    let served = Arc::new(AtomicU64::new(0));
    let mut callers = Vec::new();
    for i in 0..8 {
        let client = if i % 2 == 0 { east.clone() } else { west.clone() };
        let (factorize, payer, running, served, key) =
            (factorize.clone(), payer.clone(), running.clone(), served.clone(), key.clone());
        callers.push(tokio::spawn(async move {
            let mut refused = Vec::new();
            while running.load(Ordering::Relaxed) {
                let payment: Payment = payer.lock().await.1.clone();
                match client.call_json(&factorize, json!({"number": 12}), Some(&payment)).await {
                    Ok(_) => {
                        served.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(status) => {
                        let mut guard = payer.lock().await;
                        let (payer, current) = &mut *guard;
                        if *current != payment {
                            continue; // another caller already moved on
                        }
                        match status.code() {
                            // A claim moved the nonce on: learn the state, prepay again there.
                            Code::Aborted => {
                                let state = client.channel_state(&key, &escrow, channel_id).await.unwrap();
                                payer.resync(&state).unwrap();
                                payer.amount += 200 * PRICE;
                            }
                            // Used up: prepay more at the same nonce.
                            Code::ResourceExhausted => payer.amount += 200 * PRICE,
                            _ => refused.push(status),
                        }
                        *current = payer.authorization(PaymentKind::Prepaid);
                    }
                }
            }
            refused
        }));
    }

    // The provider claims four times while the calls go on.
    let claimer = market.claimer();
    let mut claimed = 0u128;
    let mut claims = 0;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(800)).await;
        let report = claimer.run(None).await.unwrap();
        claims += report.submitted.len();
        claimed += report.total();
    }
    running.store(false, Ordering::Relaxed);
    for caller in callers {
        let refused = caller.await.unwrap();
        assert!(refused.is_empty(), "only nonce moves and top-ups interrupt the calls: {refused:?}");
    }
    assert!(claims >= 3, "claims landed while the calls ran ({claims})");

    // Once the replicas returned their shares, everything served is claimed or spent.
    market.shares_returned(channel_id).await;
    let report = claimer.run(None).await.unwrap();
    claimed += report.total();
    let (spent, leases) = spent_and_leased(&market, channel_id).await;
    let served = served.load(Ordering::Relaxed) as u128;
    eprintln!("{served} calls served on two replicas, {claims} claims during the load");
    assert!(served > 200, "the load ran ({served} calls)");
    assert_eq!(leases, 0);
    assert_eq!(claimed + spent, served * PRICE, "claimed {claimed} + spent {spent} for {served} calls");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_holding_a_share_costs_the_consumer_at_most_its_unused_part() {
    let market = Market::start().await;
    let offer = market.offer("acme", "primes", PRICE, 2).await;
    let service = example_service(ServiceType::Grpc, &spawn_primes().await, "primes.proto");
    // East is a process of its own, killed with SIGKILL; west lives on.
    let east_config = with_leases(market.gateway_config(&offer, 0, service.clone()));
    market.release(east_config.listen);
    let mut east_process =
        spawn_gateway_process(env!("CARGO_BIN_EXE_osiris-gateway"), &east_config, &market.dir.path().join("east.toml"));
    let _west = market.start_gateway(with_leases(market.gateway_config(&offer, 1, service))).await;
    let east = gateway_when_up(&offer.endpoints[0]).await;
    let west = GatewayClient::connect(&offer.endpoints[1]).await.unwrap();
    let api = Api::from_descriptor_set(&east.service_info().await.unwrap().descriptor_set).unwrap();
    let factorize = find_method(&api, "Factorize").unwrap();
    let escrow = market.osiris.deployment.escrow.address;

    let key = payment_key();
    let channel_id = market.open_channel(&actor(CONSUMER), &key, &offer, 1_000 * PRICE, 1_000).await;
    let payer = ChannelPayer { key, escrow, channel_id, nonce: Nonce(0), amount: 100 * PRICE };
    let prepaid = payer.authorization(PaymentKind::Prepaid);
    let call = |client: &GatewayClient| {
        let (client, factorize, prepaid) = (client.clone(), factorize.clone(), prepaid.clone());
        async move { client.call_json(&factorize, json!({"number": 12}), Some(&prepaid)).await }
    };

    // Five calls on east: it holds a share of 16 calls, 5 served, none reported yet.
    for _ in 0..5 {
        call(&east).await.unwrap();
    }
    assert_eq!(spent_and_leased(&market, channel_id).await, (0, 1));
    east_process.kill().unwrap(); // SIGKILL
    east_process.wait().unwrap();

    // West serves from the rest of the authorization at once.
    for _ in 0..7 {
        call(&west).await.unwrap();
    }
    // After east's lease time and grace, west's sweep charges east's share in full.
    let started = std::time::Instant::now();
    let spent = loop {
        let (spent, _) = spent_and_leased(&market, channel_id).await;
        if spent >= u128::from(LEASES.calls) * PRICE {
            break spent;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the dead replica's share was never swept");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    market.shares_returned(channel_id).await;
    let (spent, _) = (spent_and_leased(&market, channel_id).await.0.max(spent), ());
    let served = 5 + 7;
    let share = u128::from(LEASES.calls) * PRICE;
    assert_eq!(spent, 16 * PRICE + 7 * PRICE, "east's whole share and west's seven calls");
    assert!(spent >= served * PRICE, "nothing served is unpaid");
    assert!(spent - served * PRICE <= share, "the consumer loses at most one share's unused part");

    // The provider claims exactly that.
    let report = market.claimer().run(None).await.unwrap();
    assert_eq!(report.total(), spent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_cannot_ride_on_a_leased_authorization() {
    let market = Market::start().await;
    let offer = market.offer("acme", "primes", PRICE, 1).await;
    let service = example_service(ServiceType::Grpc, &spawn_primes().await, "primes.proto");
    let _gateway = market.start_gateway(with_leases(market.gateway_config(&offer, 0, service))).await;
    let client = GatewayClient::connect(&offer.endpoints[0]).await.unwrap();
    let api = Api::from_descriptor_set(&client.service_info().await.unwrap().descriptor_set).unwrap();
    let factorize = find_method(&api, "Factorize").unwrap();
    let escrow = market.osiris.deployment.escrow.address;

    let key = payment_key();
    let channel_id = market.open_channel(&actor(CONSUMER), &key, &offer, 100 * PRICE, 1_000).await;
    let payer = ChannelPayer { key, escrow, channel_id, nonce: Nonce(0), amount: 10 * PRICE };
    let prepaid = payer.authorization(PaymentKind::Prepaid);
    client.call_json(&factorize, json!({"number": 12}), Some(&prepaid)).await.unwrap();

    // Mallory copies the channel, nonce and amount of Charlie's leased authorization with a
    // signature of her own key, and then a larger amount: both are refused unsigned.
    let mallory = ChannelPayer { key: payment_key(), escrow, channel_id, nonce: Nonce(0), amount: 10 * PRICE };
    for forged in [mallory.authorization(PaymentKind::Prepaid), {
        let mut larger = mallory.clone();
        larger.amount = 50 * PRICE;
        larger.authorization(PaymentKind::Prepaid)
    }] {
        let status = client.call_json(&factorize, json!({"number": 12}), Some(&forged)).await.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    }
    // Charlie's share is untouched: his nine remaining calls pass, the tenth does not.
    for _ in 0..9 {
        client.call_json(&factorize, json!({"number": 12}), Some(&prepaid)).await.unwrap();
    }
    let status = client.call_json(&factorize, json!({"number": 12}), Some(&prepaid)).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted);
    market.shares_returned(channel_id).await;
    assert_eq!(spent_and_leased(&market, channel_id).await, (10 * PRICE, 0));
}
