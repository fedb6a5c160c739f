//! Gateway vs channels: what a gateway costs as the channels paying its recipient grow.
//!
//! `cargo bench -p osiris-gateway --bench channels` starts a dev chain, PostgreSQL and the
//! indexer (the e2e harness), registers the primes example, opens one real channel, then
//! for each size (`OSIRIS_BENCH_CHANNELS`, default `0,10000,100000,1000000`) fills the
//! mirror up to that many channels paying the gateway's recipient and group — written with
//! the indexer's own channel statement (`Store::seed_channels`), not through the chain — and
//! starts the release `osiris-gateway` binary on it as a process of its own. Per size it
//! prints the start-up time (spawn to the first answered `GetServiceInfo`), the resident
//! memory after start and after the calls, and the p50/p99 of sequential prepaid and paid
//! calls on the real channel, added to the direct calls' p50 of the same run. It writes the
//! curves to `docs/perf/gateway-channels.png` (plotters; axis labels need DejaVu Sans).

use bytes::Bytes;
use osiris_contract_types::{ChannelId, Nonce};
use osiris_e2e::{actor, payment_key, Market, UNIT};
use osiris_gateway::config::{Config, ServiceType};
use osiris_gateway_client::{ChannelPayer, GatewayClient};
use osiris_indexer::state::ChannelRow;
use osiris_indexer::store::Store;
use osiris_payments::{CallPayment, PaymentKind};
use plotters::prelude::*;
use prost::Message;
use std::time::{Duration, Instant};

const PRICE: u128 = 1_000;
const PATH: &str = "/osiris.examples.primes.v1.Primes/Factorize";
/// Rows per seeding statement (PostgreSQL allows 65,535 bound parameters; a row has 10).
const SEED_BATCH: usize = 5_000;
/// Synthetic channel ids start here, far above the chain's.
const FIRST_SEEDED_ID: u64 = 1 << 32;
const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

struct Size {
    channels: usize,
    startup: Duration,
    rss_start_kib: u64,
    rss_after_kib: u64,
    prepaid: (Duration, Duration),
    paid: (Duration, Duration),
}

fn percentiles(mut latencies: Vec<Duration>) -> (Duration, Duration) {
    latencies.sort();
    let at = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize];
    (at(0.5), at(0.99))
}

async fn sequential(client: &GatewayClient, payments: Vec<Option<CallPayment>>) -> (Duration, Duration) {
    let request: Bytes = osiris_examples::pb::primes::FactorizeRequest { number: 12 }.encode_to_vec().into();
    let mut latencies = Vec::with_capacity(payments.len());
    for payment in payments {
        let started = Instant::now();
        let headers = payment.as_ref().map(|p| p as &dyn osiris_payments::metadata::PaymentHeaders);
        client.unary(PATH, request.clone(), headers).await.expect("a call");
        latencies.push(started.elapsed());
    }
    percentiles(latencies)
}

fn resident_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Fills the mirror from `from` to `to` channels paying `recipient` for `group`.
async fn seed(store: &Store, recipient: &str, group: &str, from: usize, to: usize) {
    let sender = osiris_chain::account::account_of(&actor("//Ferdie")).to_string();
    let mut next = from;
    while next < to {
        let end = (next + SEED_BATCH).min(to);
        let rows = (next..end)
            .map(|i| ChannelRow {
                channel_id: ChannelId(FIRST_SEEDED_ID + i as u64),
                sender: sender.clone(),
                recipient: recipient.to_string(),
                signer: vec![2; 33],
                group_id: group.to_string(),
                value: 1_000 * UNIT,
                nonce: Nonce(0),
                expiration: 1_000_000,
                opened_block: 1,
            })
            .collect();
        store.seed_channels(rows, 1).await.expect("seed channels");
        next = end;
    }
}

fn plot(sizes: &[Size], path: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let font = std::fs::read(FONT)?;
    let font: &'static [u8] = Box::leak(font.into_boxed_slice());
    plotters::style::register_font("sans-serif", FontStyle::Normal, font).map_err(|_| "font")?;
    std::fs::create_dir_all(path.parent().unwrap())?;
    let root = BitMapBackend::new(path, (1200, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let panels = root.split_evenly((1, 3));
    let xs: Vec<f64> = sizes.iter().map(|s| (s.channels.max(1)) as f64).collect();
    let x_range = (xs[0] * 0.8)..(xs[xs.len() - 1] * 1.25);
    let series: [(&str, &str, Vec<f64>); 3] = [
        ("start-up", "s", sizes.iter().map(|s| s.startup.as_secs_f64()).collect()),
        ("resident memory after the calls", "MiB", sizes.iter().map(|s| s.rss_after_kib as f64 / 1024.0).collect()),
        ("prepaid call: p50 added to direct", "µs", sizes.iter().map(|s| s.prepaid.0.as_secs_f64() * 1e6).collect()),
    ];
    for (panel, (title, unit, ys)) in panels.iter().zip(series) {
        let top = ys.iter().cloned().fold(0.0, f64::max) * 1.2 + 1e-9;
        let mut chart = ChartBuilder::on(panel)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(x_range.clone().log_scale(), 0.0..top)?;
        chart.configure_mesh().x_desc("channels paying the gateway (log)").y_desc(unit).draw()?;
        chart.draw_series(LineSeries::new(xs.iter().cloned().zip(ys.iter().cloned()), &BLUE))?;
        chart.draw_series(xs.iter().cloned().zip(ys.iter().cloned()).map(|p| Circle::new(p, 4, BLUE.filled())))?;
    }
    root.present()?;
    Ok(())
}

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::var("OSIRIS_BENCH_CHANNELS")
        .unwrap_or_else(|_| "0,10000,100000,1000000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("OSIRIS_BENCH_CHANNELS: sizes separated by commas"))
        .collect();
    let calls: usize = std::env::var("OSIRIS_BENCH_CALLS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000);
    eprintln!("setting up: chain, contracts, PostgreSQL, indexer, upstream, one real channel");
    let market = Market::start().await;
    let offer = market.offer("bench", "primes", PRICE, 1).await;
    let upstream = osiris_e2e::spawn_primes().await;
    let service = osiris_e2e::example_service(ServiceType::Grpc, &upstream, "primes.proto");
    let config: Config = market.gateway_config(&offer, 0, service);
    market.release(config.listen);
    let key = payment_key();
    let channel_id = market.open_channel(&actor("//Charlie"), &key, &offer, 1_000 * UNIT, 100_000).await;
    let escrow = market.osiris.deployment.escrow.address;
    let mut payer = ChannelPayer { key, escrow, channel_id, nonce: Nonce(0), amount: 0 };
    let recipient = config.recipient.clone().expect("the harness names the recipient");
    let store = Store { pool: market.pool.clone() };
    let direct = GatewayClient::connect(&upstream).await.unwrap();
    sequential(&direct, vec![None; 200]).await;
    let (direct_p50, _) = sequential(&direct, vec![None; calls]).await;

    let mut results = Vec::new();
    let mut seeded = 0;
    for &n in &sizes {
        eprintln!("{n} channels: seeding");
        let started = Instant::now();
        seed(&store, &recipient, &offer.group_id, seeded, n).await;
        seeded = seeded.max(n);
        eprintln!("  seeded in {:.1} s; starting the gateway", started.elapsed().as_secs_f64());
        let spawned = Instant::now();
        let mut gateway = osiris_e2e::spawn_gateway_process(
            env!("CARGO_BIN_EXE_osiris-gateway"),
            &config,
            &market.dir.path().join(format!("gateway-{n}.toml")),
        );
        let client = osiris_e2e::gateway_when_up(&offer.endpoints[0]).await;
        let startup = spawned.elapsed();
        let rss_start_kib = resident_kib(gateway.id());
        sequential(&client, vec![Some(payer.pay(PRICE).into())]).await;
        payer.amount += PRICE * (calls as u128 + 200);
        let prepaid = payer.authorization(PaymentKind::Prepaid);
        sequential(&client, vec![Some(prepaid.clone().into()); 200]).await;
        let (p50, p99) = sequential(&client, vec![Some(prepaid.into()); calls]).await;
        let prepaid_added = (p50.saturating_sub(direct_p50), p99);
        let paid: Vec<_> = (0..calls).map(|_| Some(payer.pay(PRICE).into())).collect();
        let (p50, p99) = sequential(&client, paid).await;
        let paid_added = (p50.saturating_sub(direct_p50), p99);
        let rss_after_kib = resident_kib(gateway.id());
        // SIGTERM: the gateway returns its prepaid share before it exits.
        std::process::Command::new("kill").arg("-TERM").arg(gateway.id().to_string()).status().unwrap();
        gateway.wait().unwrap();
        market.release(config.listen);
        results.push(Size {
            channels: n,
            startup,
            rss_start_kib,
            rss_after_kib,
            prepaid: prepaid_added,
            paid: paid_added,
        });
    }

    println!(
        "gateway vs channels paying it: {calls} sequential calls per size on one real channel; direct p50 {:.0} µs",
        direct_p50.as_secs_f64() * 1e6
    );
    println!(
        "{:>10} {:>11} {:>12} {:>12} {:>10} {:>16} {:>16}",
        "channels", "start-up", "RSS start", "RSS after", "per chan.", "prepaid +p50/p99", "paid +p50/p99"
    );
    let base = results.first().map_or(0, |r| r.rss_after_kib);
    for r in &results {
        let per_channel = if r.channels == 0 {
            "-".into()
        } else {
            format!("{:.0} B", (r.rss_after_kib.saturating_sub(base)) as f64 * 1024.0 / r.channels as f64)
        };
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        println!(
            "{:>10} {:>9.2} s {:>8.1} MiB {:>8.1} MiB {:>10} {:>7.0}/{:<6.0} µs {:>7.0}/{:<6.0} µs",
            r.channels,
            r.startup.as_secs_f64(),
            r.rss_start_kib as f64 / 1024.0,
            r.rss_after_kib as f64 / 1024.0,
            per_channel,
            us(r.prepaid.0),
            us(r.prepaid.1),
            us(r.paid.0),
            us(r.paid.1)
        );
    }
    let png = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/perf/gateway-channels.png");
    match plot(&results, &png) {
        Ok(()) => println!("plot: {}", png.display()),
        Err(e) => println!("no plot ({e})"),
    }
}
