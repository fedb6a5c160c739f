//! Rate limits through the real gateway: Charlie fires a burst of paid calls, beyond his
//! per-consumer limit; the calls over it are refused RESOURCE_EXHAUSTED before anything is
//! stored, so he pays exactly for the calls served, and Dave, another consumer, is not
//! slowed by Charlie, nor by Mallory's forged payments on his channel. A burst at the free
//! endpoints is limited too. Mallory, flooding forged payments from another address, is
//! stopped by her address's limit before her signatures are checked; Charlie is served.

use osiris_contract_types::Nonce;
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
    let mut charlie =
        ChannelPayer { key: charlie_key, escrow, channel_id: charlie_channel, nonce: Nonce(0), amount: 0 };
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
    // Served from the gateway's share, reported once the share is returned.
    market.shares_returned(charlie_channel).await;
    let (calls_stored, spent): (i64, String) =
        sqlx::query_as("SELECT calls, spent::text FROM gateway_payments WHERE channel_id = $1")
            .bind(charlie_channel.0 as i64)
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
    let mallory = ChannelPayer { key: payment_key(), escrow, channel_id: dave_channel, nonce: Nonce(0), amount: PRICE };
    let forged = (0..3 * BURST).map(|_| {
        let (client, factorize, payment) =
            (client.clone(), factorize.clone(), mallory.authorization(PaymentKind::Escrow));
        async move { client.call_json(&factorize, json!({"number": 12}), Some(&payment)).await }
    });
    for refused in futures::future::join_all(forged.collect::<Vec<_>>()).await {
        assert_eq!(refused.unwrap_err().code(), Code::Unauthenticated, "a forged payment was not refused as unsigned");
    }

    // Dave has a bucket of his own, whole after Mallory's forgeries.
    let mut dave = ChannelPayer { key: dave_key, escrow, channel_id: dave_channel, nonce: Nonce(0), amount: 0 };
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

/// A connection to `url` from the local address `from` (any 127.0.0.0/8 address is this
/// machine's loopback, so a second address stands for a second host).
async fn client_from(url: &str, from: &str) -> GatewayClient {
    let channel = tonic::transport::Channel::from_shared(url.to_string())
        .unwrap()
        .local_address(Some(from.parse().unwrap()))
        .connect()
        .await
        .unwrap();
    GatewayClient::from_channel(channel)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strangers_flood_from_one_address_stops_before_the_signature_check_and_others_are_served() {
    const ADDRESS_BURST: u32 = 10;
    const FLOOD: usize = 60;
    let market = Market::start().await;
    let offer = market.offer("acme", "primes", PRICE, 1).await;
    let service = example_service(ServiceType::Grpc, &spawn_primes().await, "primes.proto");
    let mut config = market.gateway_config(&offer, 0, service);
    config.rate_limit =
        RateLimitConfig { address_per_sec: 1, address_burst: ADDRESS_BURST, ..RateLimitConfig::default() };
    let _gateway = market.start_gateway(config).await;
    let charlie = client_from(&offer.endpoints[0], "127.0.0.1").await;
    let info = charlie.service_info().await.unwrap();
    let factorize = find_method(&Api::from_descriptor_set(&info.descriptor_set).unwrap(), "Factorize").unwrap();
    let escrow = market.osiris.deployment.escrow.address;
    let charlie_key = payment_key();
    let channel = market.open_channel(&actor(CONSUMER), &charlie_key, &offer, 100 * PRICE, 1_000).await;

    // Mallory, on another host, floods forged payments on Charlie's channel over four connections.
    let mut mallorys = Vec::new();
    for _ in 0..4 {
        mallorys.push(client_from(&offer.endpoints[0], "127.0.0.2").await);
    }
    let forger = ChannelPayer { key: payment_key(), escrow, channel_id: channel, nonce: Nonce(0), amount: PRICE };
    let flood = (0..FLOOD).map(|i| {
        let (client, factorize, payment) =
            (mallorys[i % 4].clone(), factorize.clone(), forger.authorization(PaymentKind::Escrow));
        async move { client.call_json(&factorize, json!({"number": 12}), Some(&payment)).await }
    });
    let results = futures::future::join_all(flood).await;
    let codes: Vec<Code> = results.iter().map(|r| r.as_ref().map_or_else(|s| s.code(), |_| Code::Ok)).collect();
    let checked = codes.iter().filter(|c| **c == Code::Unauthenticated).count();
    let limited = codes.iter().filter(|c| **c == Code::ResourceExhausted).count();
    assert_eq!(checked + limited, FLOOD, "every forgery refused: {codes:?}");
    // Only the address's burst (and what refilled while they ran) reached a signature check.
    assert!((ADDRESS_BURST as usize..=ADDRESS_BURST as usize + 2).contains(&checked), "{checked} signatures checked");
    let message = results.iter().find_map(|r| r.as_ref().err().filter(|s| s.code() == Code::ResourceExhausted));
    assert!(message.unwrap().message().contains("address"), "{message:?}");
    // Mallory's free-endpoint requests are held to the same address limit.
    assert_eq!(mallorys[0].service_info().await.unwrap_err().code(), Code::ResourceExhausted);

    // Charlie, at his own address, is served at once and pays exactly for his calls.
    let mut payer = ChannelPayer { key: charlie_key, escrow, channel_id: channel, nonce: Nonce(0), amount: 0 };
    for call in 0..3 {
        let result = charlie.call_json(&factorize, json!({"number": 35}), Some(&payer.pay(PRICE))).await;
        assert!(result.is_ok(), "Charlie's call {call}: {result:?}");
    }
    let (calls, spent): (i64, String) =
        sqlx::query_as("SELECT calls, spent::text FROM gateway_payments WHERE channel_id = $1")
            .bind(channel.0 as i64)
            .fetch_one(&market.pool)
            .await
            .unwrap();
    assert_eq!((calls, spent), (3, (3 * PRICE).to_string()), "Mallory's flood cost Charlie nothing");
}
