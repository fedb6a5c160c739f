//! The payment store alone, on a real PostgreSQL: many payments on many channels at once,
//! valid ones mixed with replays, underpayments and over-drawn prepaid calls, go through
//! the batched compare-and-set; exactly the valid ones are stored.

use osiris_e2e::TestDatabase;
use osiris_gateway::metadata::{Payment, PaymentKind};
use osiris_gateway::payments::PaymentStore;
use osiris_gateway::refusal::Refusal;

const PRICE: u128 = 10;
const CHANNELS: u64 = 24;

fn payment(kind: PaymentKind, channel_id: u64, amount: u128, tag: u8) -> Payment {
    Payment { kind, channel_id, nonce: 0, amount, signature: [tag; 65] }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_payments_on_many_channels_are_each_judged_on_their_own() {
    let db = TestDatabase::create().await;
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    sqlx::migrate!("../migrations").run(&pool).await.unwrap();
    let store = PaymentStore::new(pool.clone());

    // Round 1, all at once: per channel one good first payment, and for even channels a
    // second copy of it (a replay racing the original).
    let mut round = Vec::new();
    for ch in 0..CHANNELS {
        round.push(payment(PaymentKind::Escrow, ch, PRICE, 1));
        if ch % 2 == 0 {
            round.push(payment(PaymentKind::Escrow, ch, PRICE, 1));
        }
    }
    let results = futures::future::join_all(round.iter().map(|p| store.accept(p, PRICE))).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), CHANNELS as usize, "one per channel");
    assert!(results.iter().filter_map(|r| r.as_ref().err()).all(|e| matches!(e, Refusal::AlreadyAccepted { .. })));

    // Round 2, all at once: channels 0..8 pay the price again (good), 8..16 underpay,
    // 16..24 prepay 3 calls and draw it 5 times (3 pass).
    let mut round = Vec::new();
    for ch in 0..CHANNELS {
        match ch / 8 {
            0 => round.push(payment(PaymentKind::Escrow, ch, 2 * PRICE, 2)),
            1 => round.push(payment(PaymentKind::Escrow, ch, 2 * PRICE - 1, 2)),
            _ => round.extend((0..5).map(|_| payment(PaymentKind::Prepaid, ch, 4 * PRICE, 3))),
        }
    }
    let results = futures::future::join_all(round.iter().map(|p| store.accept(p, PRICE))).await;
    let mut passed = vec![0; CHANNELS as usize];
    for (p, r) in round.iter().zip(&results) {
        match r {
            Ok(_) => passed[p.channel_id as usize] += 1,
            Err(Refusal::Underpaid { .. }) => assert!((8..16).contains(&p.channel_id)),
            Err(Refusal::PrepaidSpent { .. }) => assert!(p.channel_id >= 16),
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
        let draw = payment(PaymentKind::Prepaid, 100, amount, tag);
        let results = futures::future::join_all((0..60).map(|_| store.accept(&draw, PRICE))).await;
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
