//! Rate limits through the real gateway: Charlie fires a burst of paid calls, beyond his
//! per-consumer limit; the calls over it are refused RESOURCE_EXHAUSTED before anything is
//! stored, so he pays exactly for the calls served, and Dave, another consumer, is not
//! slowed by Charlie, nor by Mallory's forged payments on his channel. A burst at the free
//! endpoints is limited too.

use osiris_e2e::{actor, example_service, payment_key, spawn_primes, Market, CONSUMER, UNIT};
use osiris_gateway::config::ServiceType;
use osiris_gateway::limits::RateLimitConfig;
use osiris_gateway_client::{find_method, Api, ChannelPayer, GatewayClient};
use osiris_payments::PaymentKind;
use serde_json::json;
use tonic::Code;

const PRICE: u128 = UNIT / 100;
const BURST: u32 = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_over_a_consumers_limit_are_refused_unpaid_and_free_endpoints_are_limited() {
    let market = Market::start().await;
    let offer = market.offer("acme", "primes", PRICE, 1).await;
    let service = example_service(ServiceType::Grpc, &spawn_primes().await, "primes.proto");
    let mut config = market.gateway_config(&offer, 0, service);
    config.rate_limit = RateLimitConfig {
        consumer_per_sec: 1,
        consumer_burst: BURST,
        free_per_sec: 1,
        free_burst: 10,
        ..RateLimitConfig::default()
    };
    let _gateway = market.start_gateway(config).await;
    let client = GatewayClient::connect(&offer.endpoints[0]).await.unwrap();
    let info = client.service_info().await.unwrap();
    let factorize = find_method(&Api::from_descriptor_set(&info.descriptor_set).unwrap(), "Factorize").unwrap();
    let escrow = market.osiris.deployment.escrow.address;

    // Charlie signs one prepaid authorization for 20 calls and fires them all at once.
    let (charlie_key, dave_key) = (payment_key(), payment_key());
    let charlie_channel = market.open_channel(&actor(CONSUMER), &charlie_key, &offer, 100 * PRICE, 1_000).await;
    let dave_channel = market.open_channel(&actor("//Dave"), &dave_key, &offer, 100 * PRICE, 1_000).await;
    let mut charlie = ChannelPayer { key: charlie_key, escrow, channel_id: charlie_channel, nonce: 0, amount: 0 };
    charlie.amount = 20 * PRICE;
    let prepaid = charlie.authorization(PaymentKind::Prepaid);
    let calls = (0..20).map(|_| {
        let (client, factorize, prepaid) = (client.clone(), factorize.clone(), prepaid.clone());
        async move { client.call_json(&factorize, json!({"number": 12}), Some(&prepaid)).await }
    });
    let results = futures::future::join_all(calls).await;
    let served = results.iter().filter(|r| r.is_ok()).count();
    let limited: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        limited.iter().all(|s| s.code() == Code::ResourceExhausted && s.message().contains("rate limit")),
        "{limited:?}"
    );
    // The burst, plus what one second refilled while the calls ran.
    assert!((BURST as usize..=BURST as usize + 2).contains(&served), "{served} of 20 served");
    let (calls_stored, spent): (i64, String) =
        sqlx::query_as("SELECT calls, spent::text FROM gateway_payments WHERE channel_id = $1")
            .bind(charlie_channel as i64)
            .fetch_one(&market.pool)
            .await
            .unwrap();
    assert_eq!(
        (calls_stored as usize, spent),
        (served, (served as u128 * PRICE).to_string()),
        "refused calls cost nothing"
    );

    // Mallory forges payments on Dave's public channel id with a key of her own, far past
    // Dave's limit: each is refused as unsigned, and Dave's limit is untouched by them.
    let mallory = ChannelPayer { key: payment_key(), escrow, channel_id: dave_channel, nonce: 0, amount: PRICE };
    let forged = (0..3 * BURST).map(|_| {
        let (client, factorize, payment) =
            (client.clone(), factorize.clone(), mallory.authorization(PaymentKind::Escrow));
        async move { client.call_json(&factorize, json!({"number": 12}), Some(&payment)).await }
    });
    for refused in futures::future::join_all(forged.collect::<Vec<_>>()).await {
        assert_eq!(refused.unwrap_err().code(), Code::Unauthenticated, "a forged payment was not refused as unsigned");
    }

    // Dave has a bucket of his own, whole after Mallory's forgeries.
    let mut dave = ChannelPayer { key: dave_key, escrow, channel_id: dave_channel, nonce: 0, amount: 0 };
    for call in 0..BURST {
        let result = client.call_json(&factorize, json!({"number": 35}), Some(&dave.pay(PRICE))).await;
        assert!(result.is_ok(), "Dave's call {call} of {BURST}: {result:?}");
    }

    // The free endpoints: a burst of service-info requests runs into their limit.
    let infos = futures::future::join_all((0..40).map(|_| client.service_info())).await;
    let refused = infos.iter().filter(|r| r.as_ref().is_err_and(|s| s.code() == Code::ResourceExhausted)).count();
    assert!(refused >= 25, "only {refused} of 40 free calls were limited");
    assert_eq!(infos.iter().filter(|r| r.is_ok()).count() + refused, 40);
}
