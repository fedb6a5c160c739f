//! Indexer vs history: ingestion and REST as the stored history grows.
//!
//! `cargo bench -p osiris-indexer --bench history` runs a dev chain and makes real escrow
//! events (a few channels opened, then batches of transfers), fetches and decodes their
//! blocks once, commits them, then fills the mirror with copies of those blocks (new
//! numbers and hashes; the same `Store::commit_block`, events, fold and cursor) until it
//! holds each size of `OSIRIS_BENCH_HISTORY` (default `0,1000000,10000000` events). At
//! each size it prints the ingestion rate of the next copies (events/s, decode excluded:
//! the events are decoded once), and, through an `osiris-indexer --api-only` process on
//! the database, p50/p99 of REST requests: a channel and a balance by key (get-one), a
//! filtered page of events, a search of services; then the events table's and its
//! indexes' sizes. No chain query happens after the set-up.

use osiris_chain::account::to_ink;
use osiris_chain::contract::message;
use osiris_chain::node::runtime::{self, runtime_types};
use osiris_e2e::{actor, die_with_parent, logged_address_of, Osiris, TestDatabase, UNIT};
use osiris_indexer::decode;
use osiris_indexer::follower::{self, Follower, Progress};
use osiris_indexer::store::{ingest::Block, Store};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use subxt::utils::MultiAddress;

/// REST requests per kind and size.
const REQUESTS: usize = 500;
/// Events whose ingestion rate is measured at each size (whole copies of the template).
const MEASURED_EVENTS: usize = 30_000;

fn percentiles(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let at = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3;
    (at(0.5), at(0.99))
}

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::var("OSIRIS_BENCH_HISTORY")
        .unwrap_or_else(|_| "0,1000000,10000000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("OSIRIS_BENCH_HISTORY: sizes separated by commas"))
        .collect();
    let osiris = Osiris::start().await;
    let escrow = osiris.escrow();
    let bob = actor("//Bob");
    let charlie = osiris_chain::account::account_of(&actor("//Charlie"));
    escrow.deposit(&bob, 1_000 * UNIT).await.unwrap();
    let key = osiris_chain::signing::channel::PaymentKey::generate();
    let mut channel = None;
    for _ in 0..10 {
        let opened = escrow.open_channel(&bob, key.signer_key(), &charlie, "eu", UNIT, 100_000).await.unwrap();
        channel = Some(opened.value);
    }
    let channel = channel.unwrap();
    // Real transfers, 50 per extrinsic and block, as the ingest benchmark makes them.
    let data = message("transfer", (to_ink(&charlie), 1u128));
    let origin = osiris_chain::account::account_of(&bob);
    let gas = osiris.chain.dry_run(&origin, escrow.address(), 0, data.clone()).await.unwrap().gas_required;
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
    for _ in 0..20 {
        osiris
            .chain
            .submit(&bob, &runtime::transactions().utility().batch((0..50).map(|_| call()).collect()))
            .await
            .unwrap();
    }
    let head = osiris.chain.block_number().await.unwrap();

    // The template: every block from the deployment on, fetched and decoded once.
    let db = TestDatabase::create().await;
    let store = Store::connect(&db.url, 4).await.unwrap();
    let api = follower::connect(&osiris.node.url).await.unwrap();
    let genesis = api.genesis_hash().0;
    let fetcher = Follower::new(api, store.clone(), &osiris.deployment, Arc::new(Progress::default()));
    let mut template: Vec<Block> = Vec::new();
    for n in follower::start_block(&osiris.deployment)..=head {
        let mut block = fetcher.fetch(n).await.unwrap();
        for e in &mut block.events {
            e.decoded = Some(decode::decode(e.kind, &e.topics, &e.data).expect("decodes"));
        }
        store.commit_block(&genesis, &block).await.unwrap();
        template.push(block);
    }
    template.retain(|b| !b.events.is_empty());
    let per_copy: usize = template.iter().map(|b| b.events.len()).sum();
    let mut stored: usize = per_copy;
    let mut number = head;
    // Commits one copy of the template after the cursor; its events.
    let mut copy = || {
        let blocks: Vec<Block> = template
            .iter()
            .map(|b| {
                number += 1;
                let mut hash = [0u8; 32];
                hash[..8].copy_from_slice(&number.to_le_bytes());
                hash[8] = 0xb5;
                Block { number, hash, events: b.events.clone() }
            })
            .collect();
        blocks
    };

    // The REST API, API only, on the same database.
    let dir = tempfile::tempdir().unwrap();
    let deployment = dir.path().join("deployment.json");
    osiris.deployment.save(&deployment).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_osiris-indexer"));
    command
        .arg("--api-only")
        .env("DATABASE_URL", &db.url)
        .env("OSIRIS_DEPLOYMENT", &deployment)
        .env("OSIRIS_INDEXER_LISTEN", "127.0.0.1:0")
        .env("OSIRIS_INDEXER_DESCRIBE_INTERVAL_MS", "0")
        .env("OSIRIS_INDEXER_REPUTATION_INTERVAL_MS", "0")
        .env("RUST_LOG", "warn,osiris_indexer=info")
        .stdout(Stdio::piped());
    let mut indexer = die_with_parent(&mut command).spawn().unwrap();
    let address = logged_address_of(indexer.stdout.take().unwrap(), "listen=").expect("the indexer listens");
    let http = reqwest::Client::new();
    let bob_account = osiris_chain::account::account_of(&bob).to_string();
    let requests = [
        ("channel by id", format!("/v1/channels/{channel}")),
        ("balance by account", format!("/v1/balances/{bob_account}")),
        ("events page, filtered", "/v1/events?contract=escrow&name=ChannelOpened&limit=50".to_string()),
        ("events page, newest transfers", "/v1/events?name=Transferred&limit=50".to_string()),
        ("service search", "/v1/services?q=primes".to_string()),
    ];

    println!(
        "indexer vs history: ingestion (decoded events, commit only) and REST (API-only process), by events stored"
    );
    for size in sizes {
        while stored < size {
            for block in copy() {
                store.commit_block(&genesis, &block).await.unwrap();
            }
            stored += per_copy;
            if stored % 500_000 < per_copy {
                eprintln!("  {stored} events stored");
            }
        }
        let mut measured = 0;
        let started = Instant::now();
        while measured < MEASURED_EVENTS {
            for block in copy() {
                store.commit_block(&genesis, &block).await.unwrap();
            }
            measured += per_copy;
        }
        let rate = measured as f64 / started.elapsed().as_secs_f64();
        stored += measured;
        println!("{stored:>10} events stored: ingestion {rate:>8.0} events/s");
        for (name, path) in &requests {
            let url = format!("http://{address}{path}");
            let mut latencies = Vec::with_capacity(REQUESTS);
            for _ in 0..REQUESTS {
                let t = Instant::now();
                let response = http.get(&url).send().await.unwrap();
                assert!(response.status().is_success(), "{path}: {}", response.status());
                response.bytes().await.unwrap();
                latencies.push(t.elapsed());
            }
            let (p50, p99) = percentiles(latencies);
            println!("    {name:<32} p50 {p50:>7.2} ms  p99 {p99:>7.2} ms");
        }
        let (table, indexes): (i64, i64) = sqlx::query_as("SELECT pg_table_size('events'), pg_indexes_size('events')")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        println!(
            "    events table {:.0} MiB, its indexes {:.0} MiB ({:.0} B per event)",
            table as f64 / 1048576.0,
            indexes as f64 / 1048576.0,
            (table + indexes) as f64 / stored as f64
        );
    }
    let _ = indexer.kill();
}
