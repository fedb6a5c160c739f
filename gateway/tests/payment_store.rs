//! The payment store alone, on a real PostgreSQL: many payments on many channels at once,
//! valid ones mixed with replays, underpayments and over-drawn prepaid calls, go through
//! the batched conditional writes; exactly the valid ones are stored. Two stores over one
//! database (two replicas) racing on the same channels never accept an authorization twice.

use osiris_contract_types::ChannelId;
use osiris_contract_types::Nonce;
use osiris_e2e::TestDatabase;
use osiris_ledger::{Durability, PaymentStore, PaymentTable};
use osiris_payments::{ChannelFacts, Payment, PaymentKind, PaymentState, Refusal, Terms};
use std::sync::Arc;

const PRICE: u128 = 10;
const CHANNELS: u64 = 24;
const TERMS: Terms = Terms { price: PRICE, finalized_block: 1, expiry_threshold: 0 };

fn payment(kind: PaymentKind, channel_id: ChannelId, amount: u128, tag: u8) -> Payment {
    Payment { kind, channel_id, nonce: Nonce(0), amount, signature: [tag; 65] }
}

/// The mirror's view of a channel with plenty of value, open for long.
fn facts(channel_id: ChannelId) -> Arc<ChannelFacts> {
    Arc::new(ChannelFacts {
        channel_id,
        sender: "consumer".into(),
        recipient: "provider".into(),
        signer: [2; 33],
        group_id: "default".into(),
        value: 1_000_000,
        nonce: Nonce(0),
        expiration: 1_000_000,
        updated_block: 1,
    })
}

async fn accept(store: &PaymentStore, p: &Payment) -> Result<PaymentState, Refusal> {
    store.accept(p.clone(), facts(p.channel_id), TERMS).await
}

async fn store_on(url: &str) -> (sqlx::PgPool, PaymentStore) {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    osiris_mirror::migrate(&pool).await.unwrap();
    (pool.clone(), PaymentStore::new(PaymentTable::default(), pool, Durability::Strict))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_payments_on_many_channels_are_each_judged_on_their_own() {
    let db = TestDatabase::create().await;
    let (pool, store) = store_on(&db.url).await;

    // Round 1, all at once: per channel one good first payment, and for even channels a
    // second copy of it (a replay racing the original).
    let mut round = Vec::new();
    for ch in 0..CHANNELS {
        round.push(payment(PaymentKind::Escrow, ChannelId(ch), PRICE, 1));
        if ch % 2 == 0 {
            round.push(payment(PaymentKind::Escrow, ChannelId(ch), PRICE, 1));
        }
    }
    let results = futures::future::join_all(round.iter().map(|p| accept(&store, p))).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), CHANNELS as usize, "one per channel");
    assert!(results.iter().filter_map(|r| r.as_ref().err()).all(|e| matches!(e, Refusal::AlreadyAccepted { .. })));

    // Round 2, all at once: channels 0..8 pay the price again (good), 8..16 underpay,
    // 16..24 prepay 3 calls and draw it 5 times (3 pass).
    let mut round = Vec::new();
    for ch in 0..CHANNELS {
        match ch / 8 {
            0 => round.push(payment(PaymentKind::Escrow, ChannelId(ch), 2 * PRICE, 2)),
            1 => round.push(payment(PaymentKind::Escrow, ChannelId(ch), 2 * PRICE - 1, 2)),
            _ => round.extend((0..5).map(|_| payment(PaymentKind::Prepaid, ChannelId(ch), 4 * PRICE, 3))),
        }
    }
    let results = futures::future::join_all(round.iter().map(|p| accept(&store, p))).await;
    let mut passed = vec![0; CHANNELS as usize];
    for (p, r) in round.iter().zip(&results) {
        match r {
            Ok(_) => passed[p.channel_id.0 as usize] += 1,
            Err(Refusal::Underpaid { .. }) => assert!((8..16).contains(&p.channel_id.0)),
            Err(Refusal::PrepaidSpent { .. }) => assert!(p.channel_id >= ChannelId(16)),
            Err(other) => panic!("channel {}: {other}", p.channel_id),
        }
    }
    for ch in 0..CHANNELS {
        let expected = [1, 0, 3][(ch / 8) as usize];
        assert_eq!(passed[ch as usize], expected, "channel {ch}");
        let (amount, spent, calls): (String, String, i64) =
            sqlx::query_as("SELECT amount::text, spent::text, calls FROM gateway_payments WHERE channel_id = $1")
                .bind(ch as i64)
                .fetch_one(&pool)
                .await
                .unwrap();
        let want = match ch / 8 {
            0 => (2 * PRICE, 2 * PRICE, 2),
            1 => (PRICE, PRICE, 1),
            _ => (4 * PRICE, 4 * PRICE, 4),
        };
        assert_eq!((amount, spent, calls), (want.0.to_string(), want.1.to_string(), want.2), "channel {ch}");
    }

    // Many concurrent draws of one prepaid authorization (folded into one row of a batch):
    // 60 draws on 7 calls' worth, then 60 more on a top-up of 20 calls: 7, then 20 pass.
    for (amount, tag, want) in [(7 * PRICE, 4, 7), (27 * PRICE, 5, 20)] {
        let draw = payment(PaymentKind::Prepaid, ChannelId(100), amount, tag);
        let results = futures::future::join_all((0..60).map(|_| accept(&store, &draw))).await;
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), want);
        assert!(results.iter().filter_map(|r| r.as_ref().err()).all(|e| matches!(e, Refusal::PrepaidSpent { .. })));
    }
    let (spent, calls): (String, i64) =
        sqlx::query_as("SELECT spent::text, calls FROM gateway_payments WHERE channel_id = 100")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((spent, calls), ((27 * PRICE).to_string(), 27));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_database_accept_each_authorization_once() {
    let db = TestDatabase::create().await;
    let (pool, east) = store_on(&db.url).await;
    let (_, west) = store_on(&db.url).await;
    // 8 channels, 30 rounds: each round, the same escrow authorization goes to both stores
    // twice, and a prepaid authorization of 2 calls is drawn 3 times on each.
    let mut escrow_accepted = 0;
    let mut prepaid_accepted = 0;
    for round in 1..=30u128 {
        let mut attempts = Vec::new();
        for ch in 0..8 {
            let pay = payment(PaymentKind::Escrow, ChannelId(ch), round * PRICE, round as u8);
            for store in [&east, &west, &east, &west] {
                attempts.push((store, pay.clone()));
            }
        }
        for ch in 100..104 {
            let draw = payment(PaymentKind::Prepaid, ChannelId(ch), round * 2 * PRICE, round as u8);
            for store in [&east, &west, &east, &west, &east, &west] {
                attempts.push((store, draw.clone()));
            }
        }
        let results = futures::future::join_all(attempts.iter().map(|(s, p)| accept(s, p))).await;
        for ((_, p), r) in attempts.iter().zip(&results) {
            match (p.kind, r) {
                (PaymentKind::Escrow, Ok(_)) => escrow_accepted += 1,
                (PaymentKind::Prepaid, Ok(_)) => prepaid_accepted += 1,
                (PaymentKind::Escrow, Err(Refusal::AlreadyAccepted { .. })) => {}
                (PaymentKind::Prepaid, Err(Refusal::PrepaidSpent { .. })) => {}
                (_, Err(other)) => panic!("{p:?}: {other}"),
            }
        }
    }
    assert_eq!(escrow_accepted, 8 * 30, "exactly one of four copies per channel and round");
    assert_eq!(prepaid_accepted, 4 * 30 * 2, "exactly two draws per authorization");
    let rows: Vec<(i64, String, String, i64)> =
        sqlx::query_as("SELECT channel_id, amount::text, spent::text, calls FROM gateway_payments ORDER BY channel_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    for (ch, amount, spent, calls) in rows {
        let (want_amount, want_calls) = if ch < 100 { (30 * PRICE, 30) } else { (60 * PRICE, 60) };
        assert_eq!(
            (amount, spent, calls),
            (want_amount.to_string(), want_amount.to_string(), want_calls),
            "channel {ch}"
        );
    }
}
