//! Gateway benchmark: a trivial upstream gRPC call (`Factorize(12)` of the primes example)
//! made directly, through the gateway paid per call (escrow mode, one authorization per
//! call), and through the gateway prepaid (one authorization drawn down by many calls).
//!
//! `cargo bench -p osiris-gateway --bench calls` starts a dev chain, PostgreSQL and the
//! indexer (the e2e harness), registers the service, opens one channel per consumer, and
//! prints for each mode: sequential latency (p50/p99 over one client's calls) and
//! throughput (requests/s of `CONSUMERS` concurrent clients, each on its own channel),
//! with ratios to the direct calls measured in the same run; and prepaid calls of all
//! clients drawing one authorization on one channel (the prepaid use case). "hop only" is the gateway's
//! passthrough with no payment, to separate the cost of the extra HTTP/2 hop from the
//! cost of checking and storing payments. Authorizations are signed
//! before the timed runs, so the figures are the gateway's, not the consumer's signing.
//! Environment: `OSIRIS_BENCH_CALLS` (calls per client and mode, default 2000).

use bytes::Bytes;
use osiris_e2e::{actor, payment_key, Market, UNIT};
use osiris_gateway::client::{ChannelPayer, GatewayClient};
use osiris_gateway::config::{ServiceConfig, ServiceType};
use osiris_gateway::metadata::{Payment, PaymentKind};
use prost::Message;
use std::time::{Duration, Instant};

const PRICE: u128 = 1_000;
const CONSUMERS: usize = 16;
const PATH: &str = "/osiris.examples.primes.v1.Primes/Factorize";

struct Run {
    latencies: Vec<Duration>,
    elapsed: Duration,
}

impl Run {
    fn rps(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }
    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        sorted[((sorted.len() - 1) as f64 * p).round() as usize]
    }
}

/// Each client makes its calls one after another, all clients at once.
async fn run(clients: Vec<(GatewayClient, Vec<Option<Payment>>)>) -> Run {
    let request: Bytes = osiris_examples::pb::primes::FactorizeRequest { number: 12 }.encode_to_vec().into();
    let started = Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|(client, payments)| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(payments.len());
                for payment in payments {
                    let t = Instant::now();
                    client.unary(PATH, request.clone(), payment.as_ref()).await.expect("a benchmark call");
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    Run { latencies, elapsed: started.elapsed() }
}

fn escrow_payments(payer: &mut ChannelPayer, calls: usize) -> Vec<Option<Payment>> {
    (0..calls).map(|_| Some(payer.pay(PRICE))).collect()
}

fn prepaid_payments(payer: &mut ChannelPayer, calls: usize) -> Vec<Option<Payment>> {
    payer.amount += PRICE * calls as u128;
    let payment = payer.authorization(PaymentKind::Prepaid);
    vec![Some(payment); calls]
}

/// The gateway's passthrough with no payment at all, to tell the cost of the hop from the
/// cost of the payment: the same `Passthrough` and HTTP/2 server settings as the gateway.
async fn bare_proxy(upstream: &str) -> String {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let passthrough = std::sync::Arc::new(osiris_gateway::proxy::grpc::Passthrough::new(upstream).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            let passthrough = passthrough.clone();
            let service = hyper::service::service_fn(move |request| {
                let passthrough = passthrough.clone();
                async move {
                    let response = passthrough.forward(request).await;
                    Ok::<_, std::convert::Infallible>(response.unwrap_or_else(osiris_gateway::proxy::status_response))
                }
            });
            tokio::spawn(
                hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service),
            );
        }
    });
    url
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let calls: usize = std::env::var("OSIRIS_BENCH_CALLS").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    eprintln!("setting up: chain, contracts, PostgreSQL, indexer, upstream, gateway, {CONSUMERS} channels");
    let market = Market::start().await;
    let offer = market.offer("bench", "primes", PRICE, 1).await;
    let upstream = osiris_e2e::spawn_primes().await;
    let service =
        ServiceConfig { service_type: ServiceType::Grpc, endpoint: upstream.clone(), ..ServiceConfig::default() };
    let _gateway = market.start_gateway(market.gateway_config(&offer, 0, service)).await;
    let escrow = market.osiris.deployment.escrow.address.clone();
    let charlie = actor("//Charlie");
    let mut payers = Vec::new();
    for _ in 0..CONSUMERS {
        let key = payment_key();
        let channel_id = market.open_channel(&charlie, &key, &offer, 1_000 * UNIT, 100_000).await;
        payers.push(ChannelPayer { key, escrow: escrow.clone(), channel_id, nonce: 0, amount: 0 });
    }
    let direct = GatewayClient::connect(&upstream).await.unwrap();
    let gateway = GatewayClient::connect(&offer.endpoints[0]).await.unwrap();
    let proxy = GatewayClient::connect(&bare_proxy(&upstream).await).await.unwrap();
    // Warm-up: connections, caches, the database's plans.
    run(vec![(direct.clone(), vec![None; 200])]).await;
    run(vec![(gateway.clone(), escrow_payments(&mut payers[0], 200))]).await;

    eprintln!("signing {} authorizations", calls * (CONSUMERS + 1));
    let seq_paid = escrow_payments(&mut payers[0], calls);
    let seq_prepaid = prepaid_payments(&mut payers[0], calls);
    let con_paid: Vec<_> = payers.iter_mut().map(|p| escrow_payments(p, calls / CONSUMERS * 4)).collect();
    let con_prepaid: Vec<_> = payers.iter_mut().map(|p| prepaid_payments(p, calls / CONSUMERS * 4)).collect();
    // One consumer, one prepaid authorization, CONSUMERS concurrent calls drawing it down.
    let one_channel = prepaid_payments(&mut payers[0], calls / CONSUMERS * 4 * CONSUMERS);
    let one_channel: Vec<Vec<Option<Payment>>> =
        one_channel.chunks(calls / CONSUMERS * 4).map(|chunk| chunk.to_vec()).collect();

    eprintln!("measuring");
    let lat_direct = run(vec![(direct.clone(), vec![None; calls])]).await;
    let lat_proxy = run(vec![(proxy.clone(), vec![None; calls])]).await;
    let lat_paid = run(vec![(gateway.clone(), seq_paid)]).await;
    let lat_prepaid = run(vec![(gateway.clone(), seq_prepaid)]).await;
    let per_client = calls / CONSUMERS * 4;
    let tp_direct = run((0..CONSUMERS).map(|_| (direct.clone(), vec![None; per_client])).collect()).await;
    let tp_proxy = run((0..CONSUMERS).map(|_| (proxy.clone(), vec![None; per_client])).collect()).await;
    let tp_paid = run(con_paid.into_iter().map(|p| (gateway.clone(), p)).collect()).await;
    let tp_prepaid = run(con_prepaid.into_iter().map(|p| (gateway.clone(), p)).collect()).await;
    let tp_prepaid_one = run(one_channel.into_iter().map(|p| (gateway.clone(), p)).collect()).await;

    println!("gateway benchmark: trivial unary gRPC call, {calls} sequential calls per mode, then {CONSUMERS} concurrent clients × {per_client} calls");
    println!(
        "{:<10} {:>12} {:>12} {:>14} {:>14} {:>14} {:>12}",
        "mode", "p50 (seq)", "p99 (seq)", "+p50 vs direct", "req/s (seq)", "req/s (conc.)", "× direct"
    );
    for (name, lat, tp) in [
        ("direct", &lat_direct, &tp_direct),
        ("hop only", &lat_proxy, &tp_proxy),
        ("paid", &lat_paid, &tp_paid),
        ("prepaid", &lat_prepaid, &tp_prepaid),
    ] {
        let added = lat.percentile(0.5).as_secs_f64() - lat_direct.percentile(0.5).as_secs_f64();
        println!(
            "{:<10} {:>12} {:>12} {:>11.0} µs {:>14.0} {:>14.0} {:>12.2}",
            name,
            ms(lat.percentile(0.5)),
            ms(lat.percentile(0.99)),
            added * 1e6,
            lat.rps(),
            tp.rps(),
            tp.rps() / tp_direct.rps()
        );
    }
    println!(
        "prepaid, all {CONSUMERS} clients on one channel (one authorization): {:.0} req/s = {:.2} × direct, p50 {} p99 {}",
        tp_prepaid_one.rps(),
        tp_prepaid_one.rps() / tp_direct.rps(),
        ms(tp_prepaid_one.percentile(0.5)),
        ms(tp_prepaid_one.percentile(0.99))
    );
    println!(
        "concurrent p50/p99: direct {} / {}, paid {} / {}, prepaid {} / {}",
        ms(tp_direct.percentile(0.5)),
        ms(tp_direct.percentile(0.99)),
        ms(tp_paid.percentile(0.5)),
        ms(tp_paid.percentile(0.99)),
        ms(tp_prepaid.percentile(0.5)),
        ms(tp_prepaid.percentile(0.99))
    );
    // Where the paid call's time goes: the two pieces of authorization measured alone.
    let sample = payers[1].authorization(PaymentKind::Escrow);
    let signer = payers[1].key.signer_key();
    let started = Instant::now();
    for _ in 0..1000 {
        assert!(osiris_chain::payment::is_authorized(
            &sample.signature,
            &signer,
            &escrow,
            sample.channel_id,
            sample.nonce,
            sample.amount
        ));
    }
    let signature_check = started.elapsed() / 1000;
    let store = osiris_gateway::payments::PaymentStore::new(market.pool.clone());
    let mut cas = Vec::new();
    for i in 1..=1000u128 {
        let payment =
            Payment { kind: PaymentKind::Escrow, channel_id: 1 << 40, nonce: 0, amount: i * PRICE, signature: [1; 65] };
        let t = Instant::now();
        store.accept(&payment, PRICE).await.unwrap();
        cas.push(t.elapsed());
    }
    cas.sort();
    let mut floor = Vec::new();
    for _ in 0..1000 {
        let t = Instant::now();
        sqlx::query("SELECT 1").execute(&market.pool).await.unwrap();
        floor.push(t.elapsed());
    }
    floor.sort();
    println!(
        "pieces of a paid call: signature check (libsecp256k1 recovery) {:.0} µs; payment compare-and-set in PostgreSQL p50 {:.0} µs (a bare `SELECT 1` round trip: p50 {:.0} µs)",
        signature_check.as_secs_f64() * 1e6,
        cas[cas.len() / 2].as_secs_f64() * 1e6,
        floor[floor.len() / 2].as_secs_f64() * 1e6
    );
    sqlx::query("DELETE FROM gateway_payments WHERE channel_id = $1")
        .bind(1i64 << 40)
        .execute(&market.pool)
        .await
        .unwrap();
    let stored: (String, i64) = sqlx::query_as("SELECT sum(spent)::text, sum(calls)::bigint FROM gateway_payments")
        .fetch_one(&market.pool)
        .await
        .unwrap();
    println!("payment state after the run: {} planck spent over {} calls at the current nonces", stored.0, stored.1);
}
