//! Replicas: 1, 2, 4 and 8 gateway replicas of one group on one database, all under load
//! at once.
//!
//! `cargo bench -p osiris-gateway --bench replicas` starts a dev chain, PostgreSQL at its
//! default durability and the indexer (the e2e harness), the primes example in this process,
//! and for each count (`OSIRIS_BENCH_REPLICAS`, default `1,2,4,8`) that many release
//! `osiris-gateway` processes of one group. 16 clients (one connection and one channel each)
//! spread over the replicas make paid calls (a fresh authorization per call), then prepaid
//! calls (one authorization each, served from the replicas' shares). Per count and mode it
//! prints the calls per second, the database's commits per second, and the CPU time per
//! call of the gateways and of PostgreSQL (from /proc): what a provider's machines and a
//! dedicated database would each have to supply. Counting is checked exact at the end.

use bytes::Bytes;
use osiris_contract_types::Nonce;
use osiris_e2e::{actor, payment_key, Market, UNIT};
use osiris_gateway::config::{Config, ServiceType};
use osiris_gateway_client::{ChannelPayer, GatewayClient};
use osiris_payments::{CallPayment, PaymentKind};
use prost::Message;
use std::process::Child;
use std::time::{Duration, Instant};

const PRICE: u128 = 1_000;
const CLIENTS: usize = 16;
const PATH: &str = "/osiris.examples.primes.v1.Primes/Factorize";
/// Clock ticks per second of /proc's CPU times (USER_HZ on Linux).
const TICKS_PER_SEC: f64 = 100.0;

/// CPU seconds (user + system) of the processes `pids`.
fn cpu_seconds(pids: &[u32]) -> f64 {
    pids.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
        .map(|stat| {
            // Fields after the command's closing parenthesis: state is the 3rd, utime the 14th.
            let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
            (ticks(11) + ticks(12)) / TICKS_PER_SEC
        })
        .sum()
}

/// Every PostgreSQL process on the machine (the benchmark's cluster is the only one).
fn postgres_pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "postgres"))
        .collect()
}

async fn commits(market: &Market) -> i64 {
    sqlx::query_scalar("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
        .fetch_one(&market.pool)
        .await
        .unwrap()
}

/// All clients at once, each its calls one after another; calls per second.
async fn load(clients: Vec<(GatewayClient, Vec<CallPayment>)>) -> (usize, Duration) {
    let request: Bytes = osiris_examples::pb::primes::FactorizeRequest { number: 12 }.encode_to_vec().into();
    let started = Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|(client, payments)| {
            let request = request.clone();
            tokio::spawn(async move {
                let n = payments.len();
                for payment in payments {
                    let headers = &payment as &dyn osiris_payments::metadata::PaymentHeaders;
                    client.unary(PATH, request.clone(), Some(headers)).await.expect("a benchmark call");
                }
                n
            })
        })
        .collect();
    let mut calls = 0;
    for task in tasks {
        calls += task.await.unwrap();
    }
    (calls, started.elapsed())
}

struct Row {
    replicas: usize,
    mode: &'static str,
    rps: f64,
    commits_per_sec: f64,
    gateway_cpu_us: f64,
    postgres_cpu_us: f64,
}

#[tokio::main]
async fn main() {
    let counts: Vec<usize> = std::env::var("OSIRIS_BENCH_REPLICAS")
        .unwrap_or_else(|_| "1,2,4,8".into())
        .split(',')
        .map(|s| s.trim().parse().expect("OSIRIS_BENCH_REPLICAS: counts separated by commas"))
        .collect();
    let per_client: usize = std::env::var("OSIRIS_BENCH_CALLS").ok().and_then(|v| v.parse().ok()).unwrap_or(500);
    std::env::set_var("OSIRIS_TEST_PG_DURABLE", "1");
    let most = counts.iter().copied().max().unwrap_or(1);
    eprintln!("setting up: chain, contracts, PostgreSQL, indexer, upstream, {CLIENTS} channels, {most} endpoints");
    let market = Market::start().await;
    let offer = market.offer("bench", "primes", PRICE, most).await;
    let upstream = osiris_e2e::spawn_primes().await;
    let service = osiris_e2e::example_service(ServiceType::Grpc, &upstream, "primes.proto");
    let escrow = market.osiris.deployment.escrow.address;
    let mut payers = Vec::new();
    for _ in 0..CLIENTS {
        let key = payment_key();
        let channel_id = market.open_channel(&actor("//Charlie"), &key, &offer, 1_000 * UNIT, 100_000).await;
        payers.push(ChannelPayer { key, escrow, channel_id, nonce: Nonce(0), amount: 0 });
    }
    let configs: Vec<Config> = (0..most)
        .map(|i| {
            let mut config = market.gateway_config(&offer, i, service.clone());
            let limits = &mut config.rate_limit;
            (limits.address_per_sec, limits.address_burst) = (100_000_000, 100_000_000);
            (limits.connection_per_sec, limits.connection_burst) = (100_000_000, 100_000_000);
            config
        })
        .collect();
    for config in &configs {
        market.release(config.listen);
    }

    let mut rows = Vec::new();
    let mut total_calls = 0;
    for &count in &counts {
        eprintln!("{count} replica(s)");
        let mut gateways: Vec<Child> = configs[..count]
            .iter()
            .enumerate()
            .map(|(i, config)| {
                osiris_e2e::spawn_gateway_process(
                    env!("CARGO_BIN_EXE_osiris-gateway"),
                    config,
                    &market.dir.path().join(format!("replica-{count}-{i}.toml")),
                )
            })
            .collect();
        let mut clients = Vec::new();
        for i in 0..CLIENTS {
            clients.push(osiris_e2e::gateway_when_up(&offer.endpoints[i % count]).await);
        }
        let pids: Vec<u32> = gateways.iter().map(Child::id).collect();
        // Warm-up: connections and the replicas' caches.
        let warm = payers.iter_mut().zip(&clients).map(|(p, c)| (c.clone(), vec![p.pay(PRICE).into()])).collect();
        total_calls += load(warm).await.0;
        for mode in ["paid", "prepaid"] {
            let plan: Vec<_> = payers
                .iter_mut()
                .zip(&clients)
                .map(|(payer, client)| {
                    let payments: Vec<CallPayment> = if mode == "paid" {
                        (0..per_client).map(|_| payer.pay(PRICE).into()).collect()
                    } else {
                        payer.amount += PRICE * per_client as u128;
                        vec![payer.authorization(PaymentKind::Prepaid).into(); per_client]
                    };
                    (client.clone(), payments)
                })
                .collect();
            let postgres = postgres_pids();
            let (gateway_cpu, postgres_cpu, commits_before) =
                (cpu_seconds(&pids), cpu_seconds(&postgres), commits(&market).await);
            let (calls, elapsed) = load(plan).await;
            let commits_after = commits(&market).await;
            let (gateway_cpu, postgres_cpu) =
                (cpu_seconds(&pids) - gateway_cpu, cpu_seconds(&postgres_pids()) - postgres_cpu);
            total_calls += calls;
            rows.push(Row {
                replicas: count,
                mode,
                rps: calls as f64 / elapsed.as_secs_f64(),
                commits_per_sec: (commits_after - commits_before) as f64 / elapsed.as_secs_f64(),
                gateway_cpu_us: gateway_cpu / calls as f64 * 1e6,
                postgres_cpu_us: postgres_cpu / calls as f64 * 1e6,
            });
        }
        // SIGTERM: each replica returns its prepaid shares before it exits.
        for gateway in &mut gateways {
            std::process::Command::new("kill").arg("-TERM").arg(gateway.id().to_string()).status().unwrap();
        }
        for gateway in &mut gateways {
            gateway.wait().unwrap();
        }
        for config in &configs[..count] {
            market.release(config.listen);
        }
    }

    println!("replicas of one group on one PostgreSQL (default durability), {CLIENTS} clients spread over them, {per_client} calls each per mode");
    println!(
        "{:>8} {:>8} {:>10} {:>12} {:>18} {:>18}",
        "replicas", "mode", "calls/s", "commits/s", "gateway CPU/call", "PostgreSQL CPU/call"
    );
    for r in &rows {
        println!(
            "{:>8} {:>8} {:>10.0} {:>12.0} {:>15.1} µs {:>15.1} µs",
            r.replicas, r.mode, r.rps, r.commits_per_sec, r.gateway_cpu_us, r.postgres_cpu_us
        );
    }
    let spent: (Option<String>, Option<i64>) =
        sqlx::query_as("SELECT sum(spent)::text, sum(calls)::bigint FROM gateway_payments")
            .fetch_one(&market.pool)
            .await
            .unwrap();
    println!("payment state: {:?} planck over {:?} calls (expected {total_calls} calls × {PRICE})", spent.0, spent.1);
    assert_eq!(spent.1, Some(total_calls as i64), "every call counted exactly once");
    assert_eq!(spent.0, Some((total_calls as u128 * PRICE).to_string()));
}
