//! Free calls worth something, through the real gateway: a payment key costs nothing to
//! make, so Mallory makes a hundred of them to farm free calls.
//!
//! - Where the provider vouches for its consumers (the default), her keys get nothing: no
//!   token, a token she signed herself, Carol's token for another key — each refused, and
//!   nothing counted. Carol, whom Bob (the provider) gave a token, has her allowance.
//! - Where any key gets an allowance (`need_token = false`), her hundred keys together get
//!   exactly the group's budget for the period, across two replicas, and nothing more.

use osiris_e2e::{example_service, gateway_when_up, payment_key, spawn_primes, Market, PROVIDER};
use osiris_gateway::config::ServiceType;
use osiris_gateway::free_calls::FreeCallsConfig;
use osiris_gateway_client::{find_method, Api, FreeCaller, GatewayClient};
use osiris_payments::signing::account::AccountKey;
use osiris_payments::signing::free_call_token::{FreeCallToken, TokenScope};
use serde_json::json;
use std::time::{SystemTime, UNIX_EPOCH};
use tonic::Code;

const PRICE: u128 = 1_000;
const FARMED_KEYS: usize = 100;

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

/// The free calls counted for the service, every consumer together.
async fn counted(market: &Market) -> i64 {
    sqlx::query_scalar("SELECT COALESCE(sum(used), 0)::bigint FROM gateway_free_calls")
        .fetch_one(&market.pool)
        .await
        .unwrap()
}

fn label(status: &tonic::Status) -> String {
    status.metadata().get("osiris-refusal").and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_keys_farm_no_free_calls_where_the_provider_vouches_for_its_consumers() {
    let market = Market::start().await;
    let offer = market.offer("acme", "primes", PRICE, 1).await;
    let mut config =
        market.gateway_config(&offer, 0, example_service(ServiceType::Grpc, &spawn_primes().await, "primes.proto"));
    config.free_calls = FreeCallsConfig { per_period: 3, period_secs: 3_600, ..FreeCallsConfig::default() };
    assert!(config.free_calls.need_token, "tokens are the default");
    let _gateway = market.start_gateway(config).await;
    let gateway = gateway_when_up(&offer.endpoints[0]).await;
    let info = gateway.service_info().await.unwrap();
    assert!(info.free_calls_need_token);
    let factorize = find_method(&Api::from_descriptor_set(&info.descriptor_set).unwrap(), "Factorize").unwrap();
    let escrow = market.osiris.deployment.escrow.address;
    let caller = |token| FreeCaller::new(payment_key(), escrow, "acme".into(), "primes".into()).with_token(token);
    let vouch = |signer: &AccountKey, key: &[u8; 33], expires_at_ms: u64| {
        let scope = TokenScope { escrow: &escrow, org_id: "acme", service_id: "primes", consumer: key };
        FreeCallToken::issue(signer, &scope, expires_at_ms)
    };
    let call = |client: GatewayClient, caller: &FreeCaller| {
        let (method, proof) = (factorize.clone(), caller.call());
        async move { client.call_json(&method, json!({"number": 12}), Some(&proof)).await }
    };

    // Mallory's hundred fresh keys, without a token: each refused, none counted.
    let farmers: Vec<FreeCaller> = (0..FARMED_KEYS).map(|_| caller(None)).collect();
    let refused = futures::future::join_all(farmers.iter().map(|f| call(gateway.clone(), f))).await;
    for result in &refused {
        let status = result.as_ref().unwrap_err();
        assert_eq!((status.code(), label(status).as_str()), (Code::PermissionDenied, "free_call_token_required"));
    }
    // A token she signed herself for her key is not the provider's.
    let mallory = AccountKey::from_uri("//Mallory").unwrap();
    let farmer = caller(None);
    let self_made = vouch(&mallory, &farmer.key.signer_key(), now_ms() + 60_000);
    let farmer = farmer.with_token(Some(self_made));
    let status = call(gateway.clone(), &farmer).await.unwrap_err();
    assert_eq!((status.code(), label(&status).as_str()), (Code::Unauthenticated, "bad_free_call_token"));

    // Bob vouches for Carol's key: she has her three free calls, then pays.
    let bob = AccountKey::from_uri(PROVIDER).unwrap();
    let carol_key = payment_key();
    let carol_token = vouch(&bob, &carol_key.signer_key(), now_ms() + 60_000);
    let carol = FreeCaller::new(carol_key, escrow, "acme".into(), "primes".into()).with_token(Some(carol_token));
    for _ in 0..3 {
        let reply = call(gateway.clone(), &carol).await.unwrap();
        assert_eq!(reply["factors"], json!(["2", "2", "3"]));
    }
    let status = call(gateway.clone(), &carol).await.unwrap_err();
    assert_eq!(label(&status), "free_calls_used_up");
    // Mallory copies Carol's token onto her own key: it vouches for Carol's key only.
    let copycat = caller(Some(carol_token));
    let status = call(gateway.clone(), &copycat).await.unwrap_err();
    assert_eq!(label(&status), "bad_free_call_token");
    // An expired token is refused, naming the expiry.
    let dave_key = payment_key();
    let expired = vouch(&bob, &dave_key.signer_key(), now_ms() - 1);
    let dave = FreeCaller::new(dave_key, escrow, "acme".into(), "primes".into()).with_token(Some(expired));
    let status = call(gateway.clone(), &dave).await.unwrap_err();
    assert_eq!((status.code(), label(&status).as_str()), (Code::FailedPrecondition, "free_call_token_expired"));

    assert_eq!(counted(&market).await, 3, "only Carol's three free calls were given");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn where_any_key_gets_free_calls_a_hundred_keys_get_the_groups_budget_and_no_more() {
    const BUDGET: u64 = 7;
    let market = Market::start().await;
    let offer = market.offer("acme", "primes", PRICE, 2).await;
    let upstream = spawn_primes().await;
    let mut gateways = Vec::new();
    for index in 0..2 {
        let mut config =
            market.gateway_config(&offer, index, example_service(ServiceType::Grpc, &upstream, "primes.proto"));
        config.free_calls = FreeCallsConfig {
            per_period: 3,
            period_secs: 3_600,
            need_token: false,
            budget_per_period: BUDGET,
            ..FreeCallsConfig::default()
        };
        gateways.push(market.start_gateway(config).await);
    }
    let replicas = [gateway_when_up(&offer.endpoints[0]).await, gateway_when_up(&offer.endpoints[1]).await];
    let info = replicas[0].service_info().await.unwrap();
    let factorize = find_method(&Api::from_descriptor_set(&info.descriptor_set).unwrap(), "Factorize").unwrap();
    let escrow = market.osiris.deployment.escrow.address;

    // Erin's free call takes one of the budget; her replayed call, refused by her own
    // count, gives back the one it took.
    let erin = FreeCaller::new(payment_key(), escrow, "acme".into(), "primes".into());
    let erins = erin.call();
    replicas[0].call_json(&factorize, json!({"number": 12}), Some(&erins)).await.unwrap();
    let status = replicas[1].call_json(&factorize, json!({"number": 12}), Some(&erins)).await.unwrap_err();
    assert_eq!(label(&status), "replayed_free_call");

    // Mallory's hundred fresh keys, one free call each, at once, on both replicas.
    let farmers: Vec<FreeCaller> =
        (0..FARMED_KEYS).map(|_| FreeCaller::new(payment_key(), escrow, "acme".into(), "primes".into())).collect();
    let calls = farmers.iter().enumerate().map(|(i, farmer)| {
        let (client, method, proof) = (replicas[i % 2].clone(), factorize.clone(), farmer.call());
        async move { client.call_json(&method, json!({"number": 12}), Some(&proof)).await }
    });
    let results = futures::future::join_all(calls).await;
    let served = results.iter().filter(|r| r.is_ok()).count();
    let spent = results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .filter(|s| s.code() == Code::ResourceExhausted && label(s) == "free_call_budget_spent")
        .count();
    let rest = BUDGET as usize - 1;
    assert_eq!((served, spent), (rest, FARMED_KEYS - rest), "exactly the rest of the budget was served");
    assert_eq!(counted(&market).await, BUDGET as i64, "the consumers' counts hold exactly the calls served");
    let used: i64 =
        sqlx::query_scalar("SELECT used FROM gateway_free_call_budget").fetch_one(&market.pool).await.unwrap();
    assert_eq!(used, BUDGET as i64);
}
