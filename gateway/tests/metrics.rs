//! Metrics after known calls: the gateway's Prometheus counters (read through the
//! exporter's own rendering, in this process) show exactly the calls accepted, each
//! refusal by its reason, rate-limited calls, and the health gauge.

use metrics_exporter_prometheus::PrometheusBuilder;
use osiris_e2e::{actor, example_service, payment_key, spawn_primes, Market, CONSUMER, UNIT};
use osiris_gateway::config::ServiceType;
use osiris_gateway::limits::RateLimitConfig;
use osiris_gateway_client::{find_method, Api, ChannelPayer, GatewayClient};
use serde_json::json;
use std::time::{Duration, Instant};

const PRICE: u128 = UNIT / 100;

/// The value of the sample `name{labels}` in the rendered metrics, if present.
fn sample(rendered: &str, name_and_labels: &str) -> Option<f64> {
    rendered
        .lines()
        .find(|l| l.starts_with(name_and_labels) && l[name_and_labels.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_count_what_the_gateway_did() {
    let handle = PrometheusBuilder::new().install_recorder().expect("the only recorder of this test binary");
    let market = Market::start().await;
    let offer = market.offer("acme", "primes", PRICE, 1).await;
    let service = example_service(ServiceType::Grpc, &spawn_primes().await, "primes.proto");
    let mut config = market.gateway_config(&offer, 0, service);
    config.rate_limit = RateLimitConfig { consumer_per_sec: 1, consumer_burst: 4, ..RateLimitConfig::default() };
    let _gateway = market.start_gateway(config).await;
    let client = GatewayClient::connect(&offer.endpoints[0]).await.unwrap();
    let info = client.service_info().await.unwrap();
    let factorize = find_method(&Api::from_descriptor_set(&info.descriptor_set).unwrap(), "Factorize").unwrap();
    let key = payment_key();
    let channel_id = market.open_channel(&actor(CONSUMER), &key, &offer, 100 * PRICE, 1_000).await;
    let escrow = market.osiris.deployment.escrow.address;
    let mut payer = ChannelPayer { key, escrow, channel_id, nonce: 0, amount: 0 };

    // Three paid calls and one replay use the consumer's burst of 4; the next two calls
    // find its bucket empty.
    for _ in 0..3 {
        client.call_json(&factorize, json!({"number": 12}), Some(&payer.pay(PRICE))).await.unwrap();
    }
    let last = payer.authorization(osiris_payments::PaymentKind::Escrow);
    client.call_json(&factorize, json!({"number": 12}), Some(&last)).await.unwrap_err();
    for _ in 0..2 {
        client.call_json(&factorize, json!({"number": 12}), Some(&payer.pay(PRICE))).await.unwrap_err();
    }

    let rendered = handle.render();
    assert_eq!(sample(&rendered, r#"osiris_gateway_calls_total{result="accepted"}"#), Some(3.0), "{rendered}");
    assert_eq!(sample(&rendered, r#"osiris_gateway_calls_total{result="already_accepted"}"#), Some(1.0));
    assert_eq!(sample(&rendered, r#"osiris_gateway_calls_total{result="rate_limited"}"#), Some(2.0));
    assert_eq!(sample(&rendered, r#"osiris_gateway_rate_limited_total{scope="consumer"}"#), Some(2.0));
    assert_eq!(sample(&rendered, "osiris_gateway_call_seconds_count"), Some(6.0));
    // The heartbeat's gauge: 1 while everything is up.
    let started = Instant::now();
    while sample(&handle.render(), "osiris_gateway_serving") != Some(1.0) {
        assert!(started.elapsed() < Duration::from_secs(10), "{}", handle.render());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
