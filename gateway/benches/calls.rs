//! Gateway benchmark: a trivial unary gRPC call (`Factorize(12)` of the primes example)
//! made directly, through plain proxies (the baselines) and through the gateway, paid.
//!
//! `cargo bench -p osiris-gateway --bench calls` starts a dev chain, PostgreSQL (UNIX
//! socket, default durability: `fsync` and `synchronous_commit` on) and the indexer (the
//! e2e harness), registers the service and opens one channel per consumer. Every server is
//! its own process, as in production: the upstream and the "hop only" proxy are this
//! benchmark's executable re-run in another role, the gateway is the release
//! `osiris-gateway` binary, and nginx (`grpc_pass`, one worker) is the plain-proxy
//! reference when it is installed. For each mode it prints the latency of one client's
//! sequential calls (p50/p99, and the p50 added to the direct calls') and the throughput of
//! `CONSUMERS` concurrent clients (one connection and one channel each), with ratios to
//! the baselines of the same run:
//!
//! - direct — the upstream itself;
//! - nginx — `grpc_pass` with one worker (when `nginx` is on PATH);
//! - hop only — the gateway's HTTP/2 passthrough with no payment at all;
//! - prepaid — one authorization per consumer drawn down by its calls (served from the
//!   replica's leased shares, `[prepaid_leases]` at its defaults);
//! - paid — a fresh authorization per call (escrow mode);
//! - metered — a cumulative metering record per call under a service agreement;
//! - prepaid‡ / paid‡ on a second replica with `payment_durability = "relaxed"`;
//! - prepaid† / paid† again with `fsync=off` (the test cluster's setting), for comparison.
//!
//! Then where a paid call's time goes (parse, signature, decision, store, proxy), each
//! piece measured alone, and the gateway's resident memory after the load. Authorizations
//! are signed before the timed runs. Environment: `OSIRIS_BENCH_CALLS` (sequential calls
//! per mode, default [`DEFAULT_CALLS`]; the concurrent runs make 4 × as many); the gateways'
//! `worker_threads` and `signature_threads` from `OSIRIS_BENCH_WORKER_THREADS` and
//! `OSIRIS_BENCH_SIGNATURE_THREADS` (default: the configuration's defaults); only some
//! gateway modes with `OSIRIS_BENCH_MODES` (e.g. `prepaid,paid`; the baselines always run).

use bytes::Bytes;
use osiris_chain::types::agreements::{ConditionKind, ConditionSpec, Metering};
use osiris_contract_types::ChannelId;
use osiris_contract_types::Nonce;
use osiris_e2e::{actor, payment_key, Market, UNIT};
use osiris_gateway::config::{Config, Durability, ServiceConfig, ServiceType};
use osiris_gateway_client::{AgreementPayer, ChannelPayer, GatewayClient};
use osiris_payments::{decide, CallPayment, ChannelFacts, Payment, PaymentKind, Terms};
use prost::Message;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PRICE: u128 = 1_000;
const CONSUMERS: usize = 16;
/// Sequential calls per mode by default (the concurrent runs make 4 × as many): long enough
/// that a mode's first lease and the machine's hiccups weigh little (2,000 made runs of half
/// a second, whose ratios moved by a third between runs).
const DEFAULT_CALLS: usize = 8_000;
const PATH: &str = "/osiris.examples.primes.v1.Primes/Factorize";
/// Selects the role of a re-run of this executable: `upstream` or `hop`.
const ROLE: &str = "OSIRIS_BENCH_ROLE";
/// The hop's upstream URL.
const UPSTREAM: &str = "OSIRIS_BENCH_UPSTREAM";

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
async fn run(clients: Vec<(GatewayClient, Vec<Option<CallPayment>>)>) -> Run {
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
                    client
                        .unary(
                            PATH,
                            request.clone(),
                            payment.as_ref().map(|p| p as &dyn osiris_payments::metadata::PaymentHeaders),
                        )
                        .await
                        .expect("a benchmark call");
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

fn escrow_payments(payer: &mut ChannelPayer, calls: usize) -> Vec<Option<CallPayment>> {
    (0..calls).map(|_| Some(payer.pay(PRICE).into())).collect()
}

fn metered_payments(payer: &mut AgreementPayer, calls: usize) -> Vec<Option<CallPayment>> {
    (0..calls).map(|_| Some(payer.pay().into())).collect()
}

fn prepaid_payments(payer: &mut ChannelPayer, calls: usize) -> Vec<Option<CallPayment>> {
    payer.amount += PRICE * calls as u128;
    let payment = payer.authorization(PaymentKind::Prepaid);
    vec![Some(payment.into()); calls]
}

/// `CONSUMERS` connections to `url`.
async fn clients(url: &str) -> Vec<GatewayClient> {
    let mut clients = Vec::new();
    for _ in 0..CONSUMERS {
        clients.push(GatewayClient::connect(url).await.unwrap());
    }
    clients
}

/// Runs this executable again in `role`; it binds port 0 and prints its address first.
fn spawn_role(role: &str, upstream: Option<&str>) -> (Child, String) {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.env(ROLE, role).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::inherit());
    if let Some(upstream) = upstream {
        command.env(UPSTREAM, upstream);
    }
    let mut child = osiris_e2e::die_with_parent(&mut command).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    (child, format!("http://{}", line.trim()))
}

/// The roles: the primes upstream, or the gateway's passthrough with no payment.
async fn serve_role(role: &str) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("{}", listener.local_addr().unwrap());
    match role {
        "upstream" => osiris_examples::primes::serve(listener).await.unwrap(),
        "hop" => hop(listener, &std::env::var(UPSTREAM).unwrap()).await,
        other => panic!("unknown role {other}"),
    }
}

/// The gateway's passthrough with no payment: the same `Passthrough` and HTTP/2 server as the gateway.
async fn hop(listener: tokio::net::TcpListener, upstream: &str) {
    use hyper_util::rt::TokioIo;
    let passthrough = Arc::new(osiris_gateway::proxy::grpc::Passthrough::new(upstream).unwrap());
    loop {
        let (stream, _) = listener.accept().await.unwrap();
        stream.set_nodelay(true).unwrap();
        let passthrough = passthrough.clone();
        let service = hyper::service::service_fn(move |request| {
            let passthrough = passthrough.clone();
            async move {
                let request = request.map(|body| {
                    osiris_gateway::front::body::RequestBody::http(
                        body,
                        osiris_gateway::front::DEFAULT_MAX_MESSAGE_BYTES,
                    )
                });
                let response = passthrough.forward(request).await;
                Ok::<_, std::convert::Infallible>(response.unwrap_or_else(osiris_gateway::proxy::status_response))
            }
        });
        let builder = osiris_gateway::front::builder(&Default::default());
        tokio::spawn(async move { builder.serve_connection(TokioIo::new(stream), service).await });
    }
}

/// nginx with one worker, `grpc_pass` to `upstream`, on a socket this process bound and
/// hands over (nginx takes inherited listening sockets from the `NGINX` variable).
fn spawn_nginx(upstream: &str, dir: &std::path::Path) -> Option<(Child, String)> {
    let nginx = which("nginx")?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let config = dir.join("nginx.conf");
    let upstream = upstream.trim_start_matches("http://");
    std::fs::write(
        &config,
        format!(
            "daemon off; worker_processes 1; pid {dir}/nginx.pid; error_log {dir}/nginx.log warn;\n\
             events {{ worker_connections 1024; }}\n\
             http {{ access_log off; client_body_temp_path {dir}; proxy_temp_path {dir}; fastcgi_temp_path {dir}; uwsgi_temp_path {dir}; scgi_temp_path {dir};\n\
               upstream primes {{ server {upstream}; keepalive 32; keepalive_requests 100000000; }}\n\
               server {{ listen {address} http2; keepalive_requests 100000000; keepalive_timeout 600s; location / {{ grpc_pass grpc://primes; }} }} }}\n",
            dir = dir.display()
        ),
    )
    .unwrap();
    use std::os::fd::AsRawFd;
    let fd = listener.as_raw_fd();
    let mut command = Command::new(nginx);
    command.arg("-c").arg(&config).arg("-e").arg(dir.join("nginx.log")).env("NGINX", format!("{fd};"));
    command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    // SAFETY: fcntl on our own descriptor; the child inherits it across exec.
    unsafe {
        use std::os::unix::process::CommandExt;
        command.pre_exec(move || {
            libc::fcntl(fd, libc::F_SETFD, 0);
            Ok(())
        });
    }
    let child = osiris_e2e::die_with_parent(&mut command).spawn().ok()?;
    Some((child, format!("http://{address}")))
}

fn which(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .chain(["/usr/sbin", "/sbin"])
        .map(|dir| std::path::Path::new(dir).join(program))
        .find(|path| path.exists())
}

/// The release gateway binary with `config` written to `path`, as a process of its own.
fn spawn_gateway(config: &Config, path: &std::path::Path) -> Child {
    osiris_e2e::spawn_gateway_process(env!("CARGO_BIN_EXE_osiris-gateway"), config, path)
}

/// Resident and peak resident memory of a process, KiB (from /proc/PID/status).
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn median<T: Ord + Copy>(mut values: Vec<T>) -> T {
    values.sort();
    values[values.len() / 2]
}

/// Sets the cluster's durability (`fsync`) and reloads it.
async fn set_fsync(pool: &sqlx::PgPool, on: bool) {
    let value = if on { "on" } else { "off" };
    sqlx::query(&format!("ALTER SYSTEM SET fsync = {value}")).execute(pool).await.unwrap();
    sqlx::query("SELECT pg_reload_conf()").execute(pool).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let now: String = sqlx::query_scalar("SHOW fsync").fetch_one(pool).await.unwrap();
    assert_eq!(now, value, "fsync did not change (is the server's fsync set on its command line?)");
}

struct Mode {
    name: &'static str,
    seq: Run,
    conc: Run,
}

/// One mode: `seq` sent by one client, then `conc` by one client (and connection) each, all at once.
async fn measure(
    name: &'static str,
    url: &str,
    seq: Vec<Option<CallPayment>>,
    conc: Vec<Vec<Option<CallPayment>>>,
) -> Mode {
    let one = GatewayClient::connect(url).await.unwrap();
    let seq = run(vec![(one, seq)]).await;
    let conc = run(clients(url).await.into_iter().zip(conc).collect()).await;
    Mode { name, seq, conc }
}

fn main() {
    if let Ok(role) = std::env::var(ROLE) {
        // One thread, like the gateway's default (`worker_threads = 1`), so that the hop
        // differs from the gateway only by the payment.
        let threads: usize = std::env::var("OSIRIS_BENCH_ROLE_THREADS").ok().and_then(|t| t.parse().ok()).unwrap_or(1);
        let runtime = if threads == 1 {
            tokio::runtime::Builder::new_current_thread().enable_all().build()
        } else {
            tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build()
        };
        return runtime.unwrap().block_on(serve_role(&role));
    }
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap().block_on(bench());
}

async fn bench() {
    let calls: usize = std::env::var("OSIRIS_BENCH_CALLS").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_CALLS);
    let per_client = calls * 4 / CONSUMERS;
    // The harness's private cluster at PostgreSQL's default durability (see osiris_e2e::TestDatabase).
    std::env::set_var("OSIRIS_TEST_PG_DURABLE", "1");
    eprintln!("setting up: chain, contracts, PostgreSQL, indexer, upstream, proxies, gateway, {CONSUMERS} channels");
    let market = Market::start().await;
    // Two replicas of one group: strict and relaxed durability, sharing the payment state.
    let offer = market.offer("bench", "primes", PRICE, 2).await;
    let (_upstream_process, upstream) = spawn_role("upstream", None);
    let (_hop_process, hop_url) = spawn_role("hop", Some(&upstream));
    let nginx = spawn_nginx(&upstream, market.dir.path());
    let service =
        ServiceConfig { service_type: ServiceType::Grpc, endpoint: upstream.clone(), ..ServiceConfig::default() };
    let config = unlimited_peers(market.gateway_config(&offer, 0, service.clone()));
    market.release(config.listen);
    let mut gateway_process = spawn_gateway(&config, &market.dir.path().join("strict.toml"));
    let gateway_pid = gateway_process.id();
    let gateway = osiris_e2e::gateway_when_up(&offer.endpoints[0]).await;
    let relaxed_config = unlimited_peers(Config {
        payment_durability: Durability::Relaxed,
        ..market.gateway_config(&offer, 1, service)
    });
    market.release(relaxed_config.listen);
    let mut relaxed_process = spawn_gateway(&relaxed_config, &market.dir.path().join("relaxed.toml"));
    osiris_e2e::gateway_when_up(&offer.endpoints[1]).await;
    let escrow = market.osiris.deployment.escrow.address;
    let charlie = actor("//Charlie");
    let mut payers = Vec::new();
    for _ in 0..CONSUMERS {
        let key = payment_key();
        let channel_id = market.open_channel(&charlie, &key, &offer, 1_000 * UNIT, 100_000).await;
        payers.push(ChannelPayer { key, escrow, channel_id, nonce: Nonce(0), amount: 0 });
    }
    // Metered agreements: one per consumer, on a [lock, release] template, one unit per call.
    let agreements = market.osiris.agreements();
    let contract = *agreements.address();
    let spec = |kind, depends_on: &[u8]| ConditionSpec {
        kind,
        depends_on: depends_on.to_vec(),
        time_lock: 0,
        timeout: 1_000_000,
    };
    let template = vec![spec(ConditionKind::LockPayment, &[]), spec(ConditionKind::ReleasePayment, &[0])];
    let template_id = agreements.create_template(&actor("//Alice"), template).await.unwrap().value;
    agreements.set_template_whitelisted(&actor("//Alice"), template_id, true).await.unwrap();
    let lock = 1_000 * UNIT;
    let metering = Some(Metering { unit: "call".into(), price_per_unit: PRICE, settlement_window: 10 });
    let offer_id = agreements
        .create_offer(&actor(osiris_e2e::PROVIDER), "bench", "primes", template_id, lock, vec![], metering)
        .await
        .unwrap()
        .value;
    let mut metered_payers = Vec::new();
    let mut last_block = 0;
    for i in 0..CONSUMERS {
        let key = payment_key();
        let agreement_id = [i as u8 + 1; 32];
        let consumer = osiris_e2e::actor_account("//Charlie");
        agreements
            .create_agreement(&charlie, agreement_id, offer_id, &consumer, key.signer_key(), Vec::new(), None)
            .await
            .unwrap();
        last_block = agreements.lock_payment(&charlie, agreement_id, lock).await.unwrap().block_number;
        let (units, amount, price_per_unit) = (0, 0, Some(PRICE));
        metered_payers.push(AgreementPayer { key, contract, agreement_id, units, amount, price_per_unit });
    }
    market.wait_for_block(last_block).await;
    let fsync: String = sqlx::query_scalar("SHOW fsync").fetch_one(&market.pool).await.unwrap();
    let sync_commit: String = sqlx::query_scalar("SHOW synchronous_commit").fetch_one(&market.pool).await.unwrap();
    // Warm-up: connections, caches, the database's plans.
    for url in [&upstream, &hop_url] {
        run(vec![(GatewayClient::connect(url).await.unwrap(), vec![None; 200])]).await;
    }
    run(vec![(gateway.clone(), escrow_payments(&mut payers[0], 200))]).await;
    run(vec![(gateway.clone(), metered_payments(&mut metered_payers[0], 200))]).await;

    eprintln!("signing authorizations");
    // The gateway modes in the order they run (amounts only grow): which replica, prepaid or
    // paid, and the sequential and concurrent authorizations.
    let gateway_modes = [
        ("prepaid", 0, true),
        ("paid", 0, false),
        ("prepaid‡", 1, true),
        ("paid‡", 1, false),
        ("prepaid†", 0, true),
        ("paid†", 0, false),
    ];
    let mut plans = Vec::new();
    for (name, replica, prepaid) in gateway_modes {
        let sign = |payer: &mut ChannelPayer, n| {
            if prepaid {
                prepaid_payments(payer, n)
            } else {
                escrow_payments(payer, n)
            }
        };
        let seq = sign(&mut payers[0], calls);
        let conc: Vec<_> = payers.iter_mut().map(|p| sign(p, per_client)).collect();
        plans.push((name, &offer.endpoints[replica], seq, conc));
        if name == "paid" {
            let seq = metered_payments(&mut metered_payers[0], calls);
            let conc: Vec<_> = metered_payers.iter_mut().map(|p| metered_payments(p, per_client)).collect();
            plans.push(("metered", &offer.endpoints[0], seq, conc));
        }
    }

    eprintln!("measuring");
    let unpaid = || (vec![None; calls], vec![vec![None; per_client]; CONSUMERS]);
    let mut modes = Vec::new();
    let mut baselines = vec![("direct", &upstream), ("hop only", &hop_url)];
    if let Some((_, url)) = &nginx {
        baselines.insert(1, ("nginx", url));
    }
    for (name, url) in baselines {
        let (seq, conc) = unpaid();
        modes.push(measure(name, url, seq, conc).await);
    }
    // OSIRIS_BENCH_MODES: only these gateway modes (names as printed), e.g. to profile one.
    let only: Option<Vec<String>> =
        std::env::var("OSIRIS_BENCH_MODES").ok().map(|m| m.split(',').map(|m| m.trim().to_string()).collect());
    let plans: Vec<_> =
        plans.into_iter().filter(|(name, ..)| only.as_ref().is_none_or(|o| o.iter().any(|m| m == name))).collect();
    let channel_modes = plans.iter().filter(|(name, ..)| *name != "metered").count();
    let metered_run = plans.iter().any(|(name, ..)| *name == "metered");
    let mut memory = (0, 0);
    for (name, url, seq, conc) in plans {
        if name == "prepaid†" {
            memory = memory_kib(gateway_pid);
            set_fsync(&market.pool, false).await;
        }
        modes.push(measure(name, url, seq, conc).await);
    }
    set_fsync(&market.pool, true).await;
    if memory == (0, 0) {
        memory = memory_kib(gateway_pid);
    }

    let base = |name: &str| modes.iter().find(|m| m.name == name);
    let direct_mode = base("direct").unwrap();
    let hop_mode = base("hop only").unwrap();
    println!(
        "gateway benchmark: trivial unary gRPC call; {calls} sequential calls per mode, then {CONSUMERS} clients × {per_client} calls (one connection and channel each)"
    );
    println!(
        "PostgreSQL over a UNIX socket, fsync={fsync}, synchronous_commit={sync_commit} (strict durability); \
         ‡ = a replica with payment_durability = \"relaxed\"; † = strict with fsync=off (the test cluster's setting)"
    );
    println!(
        "{:<10} {:>11} {:>11} {:>12} {:>10} {:>11} {:>9} {:>9} {:>9}",
        "mode", "p50 (1)", "p99 (1)", "added p50", "req/s (1)", "req/s (16)", "× direct", "× hop", "× nginx"
    );
    for mode in &modes {
        let added = us(mode.seq.percentile(0.5)) - us(direct_mode.seq.percentile(0.5));
        let nginx_ratio = base("nginx").map_or("-".to_string(), |n| format!("{:.2}", mode.conc.rps() / n.conc.rps()));
        println!(
            "{:<10} {:>11} {:>11} {:>9.0} µs {:>10.0} {:>11.0} {:>9.2} {:>9.2} {:>9}",
            mode.name,
            ms(mode.seq.percentile(0.5)),
            ms(mode.seq.percentile(0.99)),
            added,
            mode.seq.rps(),
            mode.conc.rps(),
            mode.conc.rps() / direct_mode.conc.rps(),
            mode.conc.rps() / hop_mode.conc.rps(),
            nginx_ratio
        );
    }
    if nginx.is_none() {
        println!("(nginx is not installed: no plain-proxy reference; `apt-get install nginx-light`)");
    }
    println!(
        "gateways: worker_threads = {}, signature_threads = {}, prepaid_leases = {} calls / {} ms",
        config.worker_threads, config.signature_threads, config.prepaid_leases.calls, config.prepaid_leases.lease_ms
    );

    // Where a paid call's time goes: each piece alone, in this process.
    let sample = payers[1].authorization(PaymentKind::Escrow);
    let mut headers = http::HeaderMap::new();
    sample.to_headers(&mut headers);
    let signer = payers[1].key.signer_key();
    let facts = ChannelFacts {
        channel_id: sample.channel_id,
        sender: String::new(),
        recipient: String::new(),
        signer,
        group_id: String::new(),
        value: u128::MAX,
        nonce: Nonce(0),
        expiration: u32::MAX,
        updated_block: 0,
    };
    let terms = Terms { price: PRICE, finalized_block: 0, expiry_threshold: 0 };
    let per = |started: Instant, n: u32| started.elapsed() / n;
    let started = Instant::now();
    for _ in 0..10_000 {
        std::hint::black_box(CallPayment::from_headers(std::hint::black_box(&headers)).unwrap());
    }
    let parse = per(started, 10_000);
    let started = Instant::now();
    for _ in 0..1_000 {
        assert!(sample.is_signed_by(&signer, &escrow));
    }
    let signature = per(started, 1_000);
    let started = Instant::now();
    for _ in 0..10_000 {
        std::hint::black_box(decide(std::hint::black_box(&sample), &facts, None, &terms).unwrap());
    }
    let decision = per(started, 10_000);
    let store = osiris_ledger::PaymentStore::new(
        osiris_ledger::PaymentTable::default(),
        market.pool.clone(),
        Durability::Strict,
    );
    let facts = Arc::new(ChannelFacts { channel_id: ChannelId(1 << 40), ..facts });
    let mut writes = Vec::new();
    for i in 1..=1000u128 {
        let payment = Payment {
            kind: PaymentKind::Escrow,
            channel_id: ChannelId(1 << 40),
            nonce: Nonce(0),
            amount: i * PRICE,
            signature: [1; 65],
        };
        let t = Instant::now();
        store.accept(payment, facts.clone(), terms).await.unwrap();
        writes.push(t.elapsed());
    }
    let mut round_trips = Vec::new();
    for _ in 0..1000 {
        let t = Instant::now();
        sqlx::query("SELECT 1").execute(&market.pool).await.unwrap();
        round_trips.push(t.elapsed());
    }
    let proxy = hop_mode.seq.percentile(0.5).saturating_sub(direct_mode.seq.percentile(0.5));
    println!(
        "where a paid call's time goes (each alone): parse metadata {:.1} µs; signature (libsecp256k1 recovery) {:.0} µs; \
         decision {:.2} µs; store (one conditional write and commit, p50) {:.0} µs (bare `SELECT 1` round trip {:.0} µs); \
         proxy hop (hop-only p50 − direct p50) {:.0} µs",
        us(parse),
        us(signature),
        us(decision),
        us(median(writes)),
        us(median(round_trips)),
        us(proxy)
    );
    println!(
        "gateway resident memory after the fsync=on load: {:.1} MiB (peak {:.1} MiB)",
        memory.0 as f64 / 1024.0,
        memory.1 as f64 / 1024.0
    );
    sqlx::query("DELETE FROM gateway_payments WHERE channel_id = $1")
        .bind(1i64 << 40)
        .execute(&market.pool)
        .await
        .unwrap();
    // Prepaid calls served from the replicas' shares are reported when the shares are
    // returned (idle for half a lease time).
    let waited = Instant::now();
    while sqlx::query_scalar::<_, i64>("SELECT count(*) FROM gateway_payments WHERE leases <> '[]'::jsonb")
        .fetch_one(&market.pool)
        .await
        .unwrap()
        > 0
    {
        assert!(waited.elapsed() < Duration::from_secs(30), "the replicas never returned their prepaid shares");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stored: (String, i64) = sqlx::query_as("SELECT sum(spent)::text, sum(calls)::bigint FROM gateway_payments")
        .fetch_one(&market.pool)
        .await
        .unwrap();
    let expected_calls = 200 + channel_modes * (calls + CONSUMERS * per_client);
    println!(
        "payment state after the run: {} planck spent over {} paid calls (expected {expected_calls} calls × {PRICE} planck)",
        stored.0, stored.1
    );
    assert_eq!(stored.1 as usize, expected_calls, "every paid call counted exactly once");
    assert_eq!(stored.0, (expected_calls as u128 * PRICE).to_string());
    let metered: (String, i64) = sqlx::query_as("SELECT sum(amount)::text, sum(calls)::bigint FROM gateway_metering")
        .fetch_one(&market.pool)
        .await
        .unwrap();
    let expected_metered = 200 + if metered_run { calls + CONSUMERS * per_client } else { 0 };
    println!(
        "metering state after the run: {} planck owed over {} metered calls (expected {expected_metered} calls × {PRICE} planck)",
        metered.0, metered.1
    );
    assert_eq!(metered.1 as usize, expected_metered, "every metered call counted exactly once");
    assert_eq!(metered.0, (expected_metered as u128 * PRICE).to_string());
    let _ = gateway_process.kill();
    let _ = relaxed_process.kill();
    if let Some((nginx, _)) = nginx {
        // SIGTERM: the master stops its worker too.
        unsafe { libc::kill(nginx.id() as i32, libc::SIGTERM) };
    }
}

/// Every client of the benchmark is on 127.0.0.1: the per-address and per-connection limits
/// stay in the path (their check is part of what is measured) at rates never reached.
fn unlimited_peers(mut config: Config) -> Config {
    // Threads, when a run compares them: OSIRIS_BENCH_WORKER_THREADS, OSIRIS_BENCH_SIGNATURE_THREADS.
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse().ok());
    if let Some(threads) = env("OSIRIS_BENCH_WORKER_THREADS") {
        config.worker_threads = threads;
    }
    if let Some(threads) = env("OSIRIS_BENCH_SIGNATURE_THREADS") {
        config.signature_threads = threads;
    }
    const NEVER_REACHED_PER_SEC: u32 = 100_000_000;
    let limits = &mut config.rate_limit;
    (limits.address_per_sec, limits.address_burst) = (NEVER_REACHED_PER_SEC, NEVER_REACHED_PER_SEC);
    (limits.connection_per_sec, limits.connection_burst) = (NEVER_REACHED_PER_SEC, NEVER_REACHED_PER_SEC);
    config
}
