//! Indexer benchmark, on a real dev chain and a real PostgreSQL, figures in one run:
//!
//! - ingestion: a few thousand real escrow events (batches of contract calls), indexed
//!   from the deployment block; reported as events/s for fetching alone (the baseline:
//!   what the node can hand out), for decode + commit alone, and for the whole catch-up;
//! - lag: from the node announcing a call's block finalized (`InFinalizedBlock` to its submitter) to that block being
//!   visible through the REST API, p50 and p99 over 100 calls, next to one REST round
//!   trip as a baseline (the resolution of the measure).
//!
//! `cargo bench -p osiris-indexer --bench ingest` (set BENCH_BATCHES / BENCH_CALLS_PER_BATCH to resize).

use osiris_chain::account::to_ink;
use osiris_chain::contract::message;
use osiris_chain::node::runtime::{self, runtime_types};
use osiris_e2e::{actor, die_with_parent, logged_address_of, Osiris, TestDatabase, UNIT};
use osiris_indexer::decode;
use osiris_indexer::follower::{self, Follower, Progress};
use osiris_indexer::store::{ingest::Block, Store};
use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use subxt::transactions::TransactionStatus;
use subxt::utils::MultiAddress;
use tokio_util::sync::CancellationToken;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let batches = env_or("BENCH_BATCHES", 60);
    let per_batch = env_or("BENCH_CALLS_PER_BATCH", 50);
    let osiris = Osiris::start().await;
    let escrow = osiris.escrow();
    let (bob, charlie) = (actor("//Bob"), osiris_chain::account::account_of(&actor("//Charlie")));
    escrow.deposit(&bob, 1_000 * UNIT).await.unwrap();

    // Real events: batches of escrow transfers, one extrinsic (and block) per batch.
    let data = message("transfer", (to_ink(&charlie), 1u128));
    let gas = osiris
        .chain
        .dry_run(&osiris_chain::account::account_of(&bob), escrow.address(), 0, data.clone())
        .await
        .unwrap()
        .gas_required;
    let call = || {
        runtime_types::contracts_node_runtime::RuntimeCall::Contracts(
            runtime_types::pallet_contracts::pallet::Call::call {
                dest: MultiAddress::Id(osiris_chain::account::to_subxt(escrow.address())),
                value: 0,
                gas_limit: runtime_types::sp_weights::weight_v2::Weight {
                    ref_time: gas.ref_time * 2,
                    proof_size: gas.proof_size * 2,
                },
                storage_deposit_limit: None,
                data: data.clone(),
            },
        )
    };
    let generating = Instant::now();
    for _ in 0..batches {
        osiris
            .chain
            .submit(&bob, &runtime::transactions().utility().batch((0..per_batch).map(|_| call()).collect()))
            .await
            .unwrap();
    }
    let head = osiris.chain.block_number().await.unwrap();
    eprintln!("generated {} calls in {batches} blocks in {:.1?}", batches * per_batch, generating.elapsed());

    let start_block = osiris_indexer::follower::start_block(&osiris.deployment);
    let follower_on = |store: Store, api| Follower::new(api, store, &osiris.deployment, Arc::new(Progress::default()));
    let (db_full, db_commit, db_lag) =
        (TestDatabase::create().await, TestDatabase::create().await, TestDatabase::create().await);

    // 1. Fetch only (the baseline): the blocks and their raw events from the node.
    let fetcher = follower_on(
        Store::connect(&db_commit.url, 4).await.unwrap(),
        follower::connect(&osiris.node.url).await.unwrap(),
    );
    let started = Instant::now();
    let mut blocks: Vec<Block> = Vec::new();
    for n in start_block..=head {
        blocks.push(fetcher.fetch(n).await.unwrap());
    }
    let fetch_time = started.elapsed();
    let events: usize = blocks.iter().map(|b| b.events.len()).sum();

    // 2. Decode + commit only, from the fetched raw events.
    let genesis = osiris.chain.api().genesis_hash().0;
    let started = Instant::now();
    for block in &mut blocks {
        for e in &mut block.events {
            e.decoded = Some(decode::decode(e.kind, &e.topics, &e.data).expect("decodes"));
        }
        fetcher.store.commit_block(&genesis, block).await.unwrap();
    }
    let commit_time = started.elapsed();

    // 3. The whole catch-up: fetch, decode, commit.
    let full =
        follower_on(Store::connect(&db_full.url, 4).await.unwrap(), follower::connect(&osiris.node.url).await.unwrap());
    let started = Instant::now();
    full.catch_up(head, &CancellationToken::new()).await.unwrap();
    let full_time = started.elapsed();

    let rate = |d: Duration| events as f64 / d.as_secs_f64();
    println!("ingestion of {events} events in {} blocks:", blocks.len());
    println!("  fetch only (baseline)  {:>10.0} events/s  ({fetch_time:.2?})", rate(fetch_time));
    println!(
        "  decode + commit        {:>10.0} events/s  ({commit_time:.2?})  = {:.2} x fetch",
        rate(commit_time),
        fetch_time.as_secs_f64() / commit_time.as_secs_f64()
    );
    println!(
        "  whole catch-up         {:>10.0} events/s  ({full_time:.2?})  = {:.2} x fetch",
        rate(full_time),
        fetch_time.as_secs_f64() / full_time.as_secs_f64()
    );

    // 4. Lag through the real binary and its REST API.
    let dir = tempfile::tempdir().unwrap();
    let deployment = dir.path().join("deployment.json");
    osiris.deployment.save(&deployment).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_osiris-indexer"));
    command
        .env("DATABASE_URL", &db_lag.url)
        .env("OSIRIS_NODE_URL", &osiris.node.url)
        .env("OSIRIS_DEPLOYMENT", &deployment)
        .env("OSIRIS_INDEXER_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "warn,osiris_indexer=info")
        .stdout(Stdio::piped());
    let mut indexer = die_with_parent(&mut command).spawn().unwrap();
    let address = logged_address_of(indexer.stdout.take().unwrap(), "listen=").expect("the indexer listens");
    let http = reqwest::Client::new();
    let status_url = format!("http://{address}/v1/status");
    let cursor = || async {
        let status: serde_json::Value = http.get(&status_url).send().await.ok()?.json().await.ok()?;
        status["cursor"]["block_number"].as_u64()
    };
    while cursor().await.is_none_or(|c| c < head) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Visibility as a REST client sees it, polling the status as fast as it answers,
    // until the block in `target` is visible.
    let visible: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
    let target = Arc::new(AtomicU64::new(u64::MAX));
    let (seen, until) = (visible.clone(), target.clone());
    let (poll_http, poll_url) = (http.clone(), status_url.clone());
    let poller = tokio::spawn(async move {
        let mut last = head;
        let mut round_trips = Vec::new();
        while last < until.load(Ordering::SeqCst) {
            let t = Instant::now();
            let status: Option<serde_json::Value> = match poll_http.get(&poll_url).send().await {
                Ok(r) => r.json().await.ok(),
                Err(_) => None,
            };
            round_trips.push(t.elapsed());
            if let Some(c) = status.and_then(|s| s["cursor"]["block_number"].as_u64()) {
                let now = Instant::now();
                let mut seen = seen.lock().unwrap();
                for n in last + 1..=c {
                    seen.insert(n, now);
                }
                last = last.max(c);
            }
        }
        round_trips
    });
    // Finalization as the node announces it to the submitter (`InFinalizedBlock`).
    let transfer = runtime::transactions().contracts().call(
        MultiAddress::Id(osiris_chain::account::to_subxt(escrow.address())),
        0,
        runtime_types::sp_weights::weight_v2::Weight { ref_time: gas.ref_time * 2, proof_size: gas.proof_size * 2 },
        None,
        data.clone(),
    );
    let mut finalized: HashMap<u64, Instant> = HashMap::new();
    let mut blocks_of_calls = Vec::new();
    for _ in 0..100 {
        let at = osiris.chain.api().at_current_block().await.unwrap();
        let mut progress = at.transactions().sign_and_submit_then_watch_default(&transfer, &bob).await.unwrap();
        while let Some(status) = progress.next().await {
            if let TransactionStatus::InFinalizedBlock(in_block) = status.unwrap() {
                let announced = Instant::now();
                let number = in_block.at().await.unwrap().block_number();
                finalized.insert(number, announced);
                blocks_of_calls.push(number);
                break;
            }
        }
    }
    target.store(*blocks_of_calls.last().unwrap(), Ordering::SeqCst);
    let mut round_trips = poller.await.unwrap();
    let visible = visible.lock().unwrap().clone();
    let mut lags: Vec<Duration> = blocks_of_calls
        .iter()
        .filter_map(|n| Some(visible.get(n)?.saturating_duration_since(*finalized.get(n)?)))
        .collect();
    indexer.kill().unwrap();
    lags.sort();
    round_trips.sort();
    println!(
        "lag from the node announcing finalization to the block being visible in the REST API, over {} calls:",
        lags.len()
    );
    println!("  p50 {:>8.2?}   p99 {:>8.2?}", percentile(&lags, 0.5), percentile(&lags, 0.99));
    println!(
        "  baseline: one REST status round trip p50 {:.2?} (the resolution of this measure) -> lag p50 = {:.1} x round trip",
        percentile(&round_trips, 0.5),
        percentile(&lags, 0.5).as_secs_f64() / percentile(&round_trips, 0.5).as_secs_f64()
    );
}
