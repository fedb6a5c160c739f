//! Two gateway replicas of one instance group share one payment state: the same
//! authorization is accepted once, however the calls race, and prepaid calls spread over
//! both replicas draw the same authorization down exactly.

use osiris_contract_types::Nonce;
use osiris_e2e::{actor, example_service, payment_key, spawn_primes, Market, CONSUMER, UNIT};
use osiris_gateway::config::ServiceType;
use osiris_gateway_client::Api;
use osiris_gateway_client::{find_method, ChannelPayer, GatewayClient};
use osiris_payments::PaymentKind;
use serde_json::json;
use tonic::Code;

const PRICE: u128 = UNIT / 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_gateways_accept_each_authorization_exactly_once() {
    let market = Market::start().await;
    let offer = market.offer("acme", "primes", PRICE, 2).await;
    let service = example_service(ServiceType::Grpc, &spawn_primes().await, "primes.proto");
    let _east = market.start_gateway(market.gateway_config(&offer, 0, service.clone())).await;
    let _west = market.start_gateway(market.gateway_config(&offer, 1, service)).await;
    let east = GatewayClient::connect(&offer.endpoints[0]).await.unwrap();
    let west = GatewayClient::connect(&offer.endpoints[1]).await.unwrap();
    let api = Api::from_descriptor_set(&east.service_info().await.unwrap().descriptor_set).unwrap();
    let factorize = find_method(&api, "Factorize").unwrap();

    let key = payment_key();
    let channel_id = market.open_channel(&actor(CONSUMER), &key, &offer, 1_000 * PRICE, 1_000).await;
    let escrow = market.osiris.deployment.escrow.address;
    let mut payer = ChannelPayer { key: key.clone(), escrow, channel_id, nonce: Nonce(0), amount: 0 };
    let call = |client: &GatewayClient, payment: &osiris_payments::Payment| {
        let (client, factorize, payment) = (client.clone(), factorize.clone(), payment.clone());
        async move { client.call_json(&factorize, json!({"number": 1001}), Some(&payment)).await }
    };

    // Each authorization is sent to both replicas at once, twice each: one call in four passes.
    let rounds = 20;
    let mut passed = 0;
    for _ in 0..rounds {
        let payment = payer.pay(PRICE);
        let results = futures::future::join_all([
            call(&east, &payment),
            call(&west, &payment),
            call(&east, &payment),
            call(&west, &payment),
        ])
        .await;
        let ok = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(ok, 1, "exactly one of four identical calls passes: {results:?}");
        assert!(results.iter().filter_map(|r| r.as_ref().err()).all(|s| s.code() == Code::AlreadyExists));
        passed += ok;
    }
    // An old authorization replayed later on either replica is refused too.
    let mut old = payer.clone();
    old.amount = 3 * PRICE;
    assert_eq!(call(&west, &old.authorization(PaymentKind::Escrow)).await.unwrap_err().code(), Code::AlreadyExists);
    assert_eq!(call(&east, &old.authorization(PaymentKind::Escrow)).await.unwrap_err().code(), Code::AlreadyExists);
    let (amount, calls): (String, i64) =
        sqlx::query_as("SELECT amount::text, calls FROM gateway_payments WHERE channel_id = $1")
            .bind(channel_id.0 as i64)
            .fetch_one(&market.pool)
            .await
            .unwrap();
    assert_eq!((amount, calls as usize), ((rounds as u128 * PRICE).to_string(), passed));

    // Prepaid: 10 calls' worth, 40 concurrent calls spread over both replicas: exactly 10 pass.
    payer.amount += 10 * PRICE;
    let prepaid = payer.authorization(PaymentKind::Prepaid);
    let calls = (0..40).map(|i| call(if i % 2 == 0 { &east } else { &west }, &prepaid));
    let results = futures::future::join_all(calls).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 10);
    assert!(results.iter().filter_map(|r| r.as_ref().err()).all(|s| s.code() == Code::ResourceExhausted));

    // Both replicas tell the consumer the same state.
    let a = east.channel_state(&key, &escrow, channel_id).await.unwrap();
    let b = west.channel_state(&key, &escrow, channel_id).await.unwrap();
    assert_eq!(a, b);
    assert_eq!(a.spent_amount, ((rounds as u128 + 10) * PRICE).to_string());
}
