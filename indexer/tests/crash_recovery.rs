//! Exactly once: an indexer killed with SIGKILL again and again while calls go on
//! ends with the same mirror as a clean re-index from the deployment block.

mod common;

use common::{deployment_file, dump, Indexer};
use osiris_chain::signing::channel::PaymentKey;
use osiris_e2e::{actor, actor_account as account, Osiris, TestDatabase, UNIT};
use serde_json::Value;

#[tokio::test]
async fn a_repeatedly_killed_indexer_ends_with_the_same_mirror_as_a_clean_reindex() {
    let osiris = Osiris::start().await;
    let crashed_db = TestDatabase::create().await;
    let clean_db = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let deployment = deployment_file(&osiris, dir.path());
    let escrow = osiris.escrow();
    let (bob, charlie) = (actor("//Bob"), actor("//Charlie"));
    let key = PaymentKey::generate();

    // Calls go on while the indexer is killed and restarted four times.
    let mut indexer = Some(Indexer::start(&osiris, &crashed_db, &deployment).await);
    escrow.deposit(&bob, 20 * UNIT).await.unwrap();
    let channel = escrow
        .open_channel(&bob, key.signer_key(), &account("//Charlie"), "eu", 10 * UNIT, 10_000)
        .await
        .unwrap()
        .value;
    let mut last_block = 0;
    for round in 0..4u64 {
        for call in 0..3u64 {
            let nonce = escrow.channel(channel).await.unwrap().unwrap().nonce;
            let amount = (round * 3 + call + 1) as u128 * 1_000;
            let claim = escrow.channel_claim(
                &charlie,
                channel,
                amount,
                amount,
                key.sign(escrow.address(), channel, nonce, amount),
                false,
            );
            last_block = claim.await.unwrap().block_number;
            escrow.transfer(&charlie, &account("//Dave"), 10).await.unwrap();
        }
        indexer.take().unwrap().kill();
        escrow.channel_add_funds(&bob, channel, UNIT).await.unwrap();
        indexer = Some(Indexer::start(&osiris, &crashed_db, &deployment).await);
    }
    let indexer = indexer.unwrap();
    indexer.wait_for_block(last_block + 1).await;

    // A fresh indexer re-indexes everything into a second database.
    let clean = Indexer::start(&osiris, &clean_db, &deployment).await;
    clean.wait_for_block(last_block + 1).await;
    let head = |status: Value| status["cursor"]["block_number"].as_u64().unwrap();
    let (a, b) = (head(indexer.ok("/v1/status").await), head(clean.ok("/v1/status").await));
    let target = a.max(b);
    indexer.wait_for_block(target).await;
    clean.wait_for_block(target).await;
    drop(indexer);
    drop(clean);

    let crashed = dump(&crashed_db.url).await;
    let reindexed = dump(&clean_db.url).await;
    let events = crashed.iter().find(|(t, _)| t == "events").unwrap().1.as_array().unwrap().len();
    assert!(events >= 30, "the run produced many events ({events})");
    for ((table, left), (_, right)) in crashed.iter().zip(&reindexed) {
        assert_eq!(left, right, "table {table} differs after crashes");
    }
}
