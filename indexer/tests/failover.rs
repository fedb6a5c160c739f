//! Three indexers on one database: the first follows the chain, the second stands by, the
//! third serves REST only. The follower is killed with SIGKILL while transactions go on:
//! REST keeps answering on the others, the standby takes over within seconds, and the
//! mirror ends equal to a clean re-index.

mod common;

use common::{deployment_file, dump, Indexer};
use osiris_chain::signing::channel::PaymentKey;
use osiris_e2e::{actor, actor_account as account, Osiris, TestDatabase, UNIT};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_standby_takes_over_when_the_follower_dies_and_the_mirror_stays_exact() {
    let osiris = Osiris::start().await;
    let db = TestDatabase::create().await;
    let clean_db = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let deployment = deployment_file(&osiris, dir.path());
    let escrow = osiris.escrow();
    let bob = actor("//Bob");

    // East starts first and takes the follower lock; west stands by; north serves REST only.
    let east = Indexer::start(&osiris, &db, &deployment).await;
    escrow.deposit(&bob, 20 * UNIT).await.unwrap();
    let first = escrow.deposit(&bob, UNIT).await.unwrap().block_number;
    east.wait_for_block(first).await;
    let west = Arc::new(Indexer::start(&osiris, &db, &deployment).await);
    let north = Arc::new(Indexer::start_with(&osiris, &db, &deployment, &["--api-only"]).await);

    // Readers keep asking west and north for the status while everything happens.
    let reading = Arc::new(AtomicBool::new(true));
    let (answered, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let readers: Vec<_> = [west.clone(), north.clone()]
        .into_iter()
        .map(|indexer| {
            let (reading, answered, failed) = (reading.clone(), answered.clone(), failed.clone());
            tokio::spawn(async move {
                while reading.load(Ordering::Relaxed) {
                    match indexer.get("/v1/status").await.0 {
                        200 => answered.fetch_add(1, Ordering::Relaxed),
                        _ => failed.fetch_add(1, Ordering::Relaxed),
                    };
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        })
        .collect();

    // Transactions go on; east dies in the middle of them.
    let key = PaymentKey::generate();
    let channel =
        escrow.open_channel(&bob, key.signer_key(), &account("//Charlie"), "eu", 5 * UNIT, 10_000).await.unwrap().value;
    east.kill();
    let killed_at = Instant::now();
    let mut last = 0;
    for _ in 0..3 {
        last = escrow.channel_add_funds(&bob, channel, UNIT).await.unwrap().block_number;
    }
    // West follows now: the mirror reaches the last transaction's block.
    west.wait_for_block(last).await;
    let takeover = killed_at.elapsed();
    reading.store(false, Ordering::Relaxed);
    for reader in readers {
        reader.await.unwrap();
    }
    eprintln!(
        "takeover: west mirrored block {last} {} ms after east was killed; {} status reads answered, {} failed",
        takeover.as_millis(),
        answered.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed)
    );
    assert!(takeover < Duration::from_secs(15), "the standby took {takeover:?} to take over");
    assert_eq!(failed.load(Ordering::Relaxed), 0, "REST kept answering");
    assert!(answered.load(Ordering::Relaxed) > 20);
    // North, API only, serves what west mirrored.
    let channel_json = north.ok(&format!("/v1/channels/{channel}")).await;
    assert_eq!(channel_json["value"].as_str().map(|v| v.parse::<u128>().unwrap()), Some(8 * UNIT), "{channel_json}");

    // A fresh indexer re-indexes everything into a second database: the same mirror.
    let clean = Indexer::start(&osiris, &clean_db, &deployment).await;
    clean.wait_for_block(last).await;
    let head = |status: serde_json::Value| status["cursor"]["block_number"].as_u64().unwrap();
    let target = head(west.ok("/v1/status").await).max(head(clean.ok("/v1/status").await));
    west.wait_for_block(target).await;
    clean.wait_for_block(target).await;
    drop(clean);
    drop(west);
    drop(north);
    let (failed_over, reindexed) = (dump(&db.url).await, dump(&clean_db.url).await);
    for ((table, left), (_, right)) in failed_over.iter().zip(&reindexed) {
        assert_eq!(left, right, "table {table} differs after the failover");
    }
}
