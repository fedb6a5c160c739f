//! Health through the real gateway: a standard gRPC health client sees the gateway
//! SERVING while its upstream runs, NOT_SERVING once the upstream is stopped (for the
//! whole gateway and for the service's own name), and SERVING again when the upstream
//! comes back on its address.

use osiris_e2e::{example_service, Market};
use osiris_gateway::config::ServiceType;
use osiris_gateway::health::HealthConfig;
use std::time::{Duration, Instant};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

const SERVICE: &str = "osiris.examples.primes.v1.Primes";

/// Polls the gateway's health of `service` until it is `wanted` (up to 10 s).
async fn until(client: &mut HealthClient<tonic::transport::Channel>, service: &str, wanted: ServingStatus) {
    let started = Instant::now();
    loop {
        let status = client.check(HealthCheckRequest { service: service.into() }).await.unwrap().into_inner().status;
        if status == wanted as i32 {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "`{service}` stayed {status}, expected {wanted:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_health_status_follows_the_upstream_down_and_back_up() {
    let market = Market::start().await;
    let offer = market.offer("acme", "primes", 1_000, 1).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let upstream = tokio::spawn(osiris_examples::primes::serve(listener));
    let service = example_service(ServiceType::Grpc, &format!("http://{address}"), "primes.proto");
    let mut config = market.gateway_config(&offer, 0, service);
    config.health = HealthConfig { probe_interval_ms: 100, probe_timeout_ms: 500, ..HealthConfig::default() };
    let _gateway = market.start_gateway(config).await;
    let channel = tonic::transport::Endpoint::from_shared(offer.endpoints[0].clone()).unwrap().connect().await.unwrap();
    let mut health = HealthClient::new(channel);
    until(&mut health, "", ServingStatus::Serving).await;
    until(&mut health, SERVICE, ServingStatus::Serving).await;

    // The upstream stops: the gateway says so.
    upstream.abort();
    let _ = upstream.await;
    until(&mut health, "", ServingStatus::NotServing).await;
    until(&mut health, SERVICE, ServingStatus::NotServing).await;

    // It comes back on its address: so does the gateway.
    let listener = tokio::net::TcpListener::bind(address).await.unwrap();
    let _upstream = tokio::spawn(osiris_examples::primes::serve(listener));
    until(&mut health, "", ServingStatus::Serving).await;
    until(&mut health, SERVICE, ServingStatus::Serving).await;
}
