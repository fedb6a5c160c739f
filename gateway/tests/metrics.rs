//! Metrics after known calls: the gateway's Prometheus counters (read through the
//! exporter's own rendering, in this process) show exactly the calls by method and status,
//! each refusal by its reason, rate-limited calls, payments and their planck, the
//! unclaimed amount, claim results, upstream errors and the health gauge.

use metrics_exporter_prometheus::PrometheusBuilder;
use osiris_contract_types::Nonce;
use osiris_e2e::{actor, example_service, payment_key, Market, CONSUMER, UNIT};
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let stop_upstream = tokio_util::sync::CancellationToken::new();
    let upstream =
        tokio::spawn(osiris_examples::primes::serve_until(listener, stop_upstream.clone().cancelled_owned()));
    let service = example_service(ServiceType::Grpc, &format!("http://{address}"), "primes.proto");
    let mut config = market.gateway_config(&offer, 0, service);
    config.rate_limit = RateLimitConfig { consumer_per_sec: 1, consumer_burst: 4, ..RateLimitConfig::default() };
    config.alerts.check_interval_ms = 100;
    let _gateway = market.start_gateway(config).await;
    let client = GatewayClient::connect(&offer.endpoints[0]).await.unwrap();
    let info = client.service_info().await.unwrap();
    let factorize = find_method(&Api::from_descriptor_set(&info.descriptor_set).unwrap(), "Factorize").unwrap();
    let key = payment_key();
    let channel_id = market.open_channel(&actor(CONSUMER), &key, &offer, 100 * PRICE, 1_000).await;
    let escrow = market.osiris.deployment.escrow.address;
    let mut payer = ChannelPayer { key, escrow, channel_id, nonce: Nonce(0), amount: 0 };

    // Three paid calls use three of the consumer's burst of 4. A replay of the last
    // payment is refused and uses none of it: anyone who saw the authorization could send
    // it again, so it says nothing about what the consumer itself calls. The fourth paid
    // call takes the last token; the next two find the bucket empty.
    for _ in 0..3 {
        client.call_json(&factorize, json!({"number": 12}), Some(&payer.pay(PRICE))).await.unwrap();
    }
    let last = payer.authorization(osiris_payments::PaymentKind::Escrow);
    let replay = client.call_json(&factorize, json!({"number": 12}), Some(&last)).await.unwrap_err();
    assert_eq!(replay.code(), tonic::Code::AlreadyExists, "{replay:?}");
    client.call_json(&factorize, json!({"number": 12}), Some(&payer.pay(PRICE))).await.unwrap();
    for _ in 0..2 {
        let limited = client.call_json(&factorize, json!({"number": 12}), Some(&payer.pay(PRICE))).await.unwrap_err();
        assert_eq!(limited.code(), tonic::Code::ResourceExhausted, "{limited:?}");
    }

    let rendered = handle.render();
    let factorize_ok =
        r#"osiris_gateway_calls_total{method="/osiris.examples.primes.v1.Primes/Factorize",status="ok"}"#;
    assert_eq!(sample(&rendered, factorize_ok), Some(4.0), "{rendered}");
    assert_eq!(sample(&rendered, r#"osiris_gateway_calls_total{method="",status="already_exists"}"#), Some(1.0));
    assert_eq!(sample(&rendered, r#"osiris_gateway_calls_total{method="",status="resource_exhausted"}"#), Some(2.0));
    assert_eq!(sample(&rendered, r#"osiris_gateway_refusals_total{reason="already_accepted"}"#), Some(1.0));
    assert_eq!(sample(&rendered, r#"osiris_gateway_refusals_total{reason="rate_limited"}"#), Some(2.0));
    assert_eq!(sample(&rendered, r#"osiris_gateway_rate_limited_total{scope="consumer"}"#), Some(2.0));
    assert_eq!(sample(&rendered, r#"osiris_gateway_payments_total{kind="channel"}"#), Some(4.0));
    assert_eq!(sample(&rendered, r#"osiris_gateway_payments_planck_total{kind="channel"}"#), Some((4 * PRICE) as f64));
    assert_eq!(sample(&rendered, r#"osiris_gateway_call_seconds_count{outcome="paid"}"#), Some(4.0));
    assert_eq!(sample(&rendered, r#"osiris_gateway_call_seconds_count{outcome="refused"}"#), Some(3.0));
    // The heartbeat's gauge: 1 while everything is up; the unclaimed gauge: the four paid calls.
    let started = Instant::now();
    while sample(&handle.render(), "osiris_gateway_serving") != Some(1.0)
        || sample(&handle.render(), "osiris_gateway_unclaimed_planck") != Some((4 * PRICE) as f64)
    {
        assert!(started.elapsed() < Duration::from_secs(10), "{}", handle.render());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The upstream goes away: the next paid call is an upstream error (its payment was
    // committed while the call was on its way, as for any call the upstream fails).
    stop_upstream.cancel();
    upstream.await.unwrap().unwrap();
    // A second refills the consumer's rate-limit bucket by one call.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let refusal = client.call_json(&factorize, json!({"number": 12}), Some(&payer.pay(PRICE))).await.unwrap_err();
    assert_eq!(refusal.code(), tonic::Code::Unavailable);
    let rendered = handle.render();
    assert_eq!(
        sample(&rendered, r#"osiris_gateway_upstream_errors_total{error="unavailable"}"#),
        Some(1.0),
        "{rendered}"
    );
    let factorize_unavailable =
        r#"osiris_gateway_calls_total{method="/osiris.examples.primes.v1.Primes/Factorize",status="unavailable"}"#;
    assert_eq!(sample(&rendered, factorize_unavailable), Some(1.0));

    // Periodic claims count their results and the planck they claimed.
    let stop = tokio_util::sync::CancellationToken::new();
    let claims = market.claimer();
    tokio::spawn(osiris_ledger::claims::claim_periodically(claims, Duration::from_millis(100), stop.clone(), |_| {}));
    while sample(&handle.render(), r#"osiris_gateway_claims_total{result="ok"}"#) != Some(1.0) {
        assert!(started.elapsed() < Duration::from_secs(30), "{}", handle.render());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The consumer's last authorization skipped the two refused calls' increments: the
    // channel spent (and the claim took) 7 prices for 5 calls.
    assert_eq!(sample(&handle.render(), "osiris_gateway_claimed_planck_total"), Some((7 * PRICE) as f64));
    assert_eq!(
        sample(&handle.render(), r#"osiris_gateway_payments_planck_total{kind="channel"}"#),
        Some((7 * PRICE) as f64)
    );
    stop.cancel();
    println!("a sample scrape after these calls:\n{}", handle.render());
}
