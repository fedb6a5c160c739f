//! The metering store alone, on a real PostgreSQL: two stores over one database (two
//! replicas of a gateway) race on the same agreement with the same records, one in
//! order and one in a random order. No record is accepted twice, every accepted record rises above the one
//! accepted before it, and the row ends at the highest accepted record; a replayed record
//! is refused as such; relaxed durability keeps the same guarantees.

use osiris_contract_types::agreements::{AgreementState, ConditionKind, ConditionState};
use osiris_e2e::TestDatabase;
use osiris_ledger::Durability;
use osiris_ledger::{MeteringStore, MeteringTable};
use osiris_mirror::agreements::ConditionFacts;
use osiris_mirror::AgreementFacts;
use osiris_payments::metering::ServiceTerms;
use osiris_payments::{MeteringRecord, Refusal};
use std::collections::HashSet;

const PRICE: u128 = 10;
const RECORDS: u64 = 40;
const ID: [u8; 32] = [9; 32];

fn facts() -> AgreementFacts {
    AgreementFacts {
        agreement_id: ID,
        consumer: "consumer".into(),
        consumer_key: [2; 33],
        provider: "provider".into(),
        org_id: "acme".into(),
        service_id: "primes".into(),
        state: AgreementState::Active,
        locked: 1_000_000,
        metered_units: 0,
        metered_amount: 0,
        price_per_unit: Some(PRICE),
        metering_unit: Some("call".into()),
        conditions: vec![ConditionFacts {
            kind: ConditionKind::LockPayment,
            state: ConditionState::Fulfilled,
            deadline: 10,
        }],
        settle_until: None,
        updated_block: 1,
    }
}

fn terms() -> ServiceTerms {
    ServiceTerms {
        org_id: "acme".into(),
        service_id: "primes".into(),
        provider: "provider".into(),
        finalized_block: 1,
        expiry_threshold: 0,
    }
}

fn record(units: u64) -> MeteringRecord {
    MeteringRecord { agreement_id: ID, units, amount: u128::from(units) * PRICE, signature: [units as u8; 65] }
}

/// The records in a random order (a small deterministic xorshift shuffle).
fn shuffled(mut seed: u64) -> Vec<u64> {
    let mut units: Vec<u64> = (1..=RECORDS).collect();
    for i in (1..units.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        units.swap(i, (seed % (i as u64 + 1)) as usize);
    }
    units
}

async fn race(durability: Durability) {
    let db = TestDatabase::create().await;
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    osiris_mirror::migrate(&pool).await.unwrap();
    let replicas = [
        MeteringStore::new(MeteringTable, pool.clone(), durability),
        MeteringStore::new(MeteringTable, pool.clone(), durability),
    ];
    let (facts, terms) = (std::sync::Arc::new(facts()), terms());
    let run = |store: MeteringStore, order: Vec<u64>| {
        let (facts, terms) = (facts.clone(), terms.clone());
        async move {
            let mut accepted = Vec::new();
            for units in order {
                match store.accept(record(units), facts.clone(), terms.clone()).await {
                    Ok(state) => accepted.push(state.units),
                    Err(Refusal::ReplayedRecord { .. }) => {}
                    Err(other) => panic!("record {units}: {other}"),
                }
            }
            accepted
        }
    };
    let (a, b) = tokio::join!(
        tokio::spawn(run(replicas[0].clone(), (1..=RECORDS).collect())),
        tokio::spawn(run(replicas[1].clone(), shuffled(11)))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let all: Vec<u64> = a.iter().chain(&b).copied().collect();
    let distinct: HashSet<u64> = all.iter().copied().collect();
    assert_eq!(distinct.len(), all.len(), "a record accepted twice: {a:?} {b:?}");
    assert!(a.windows(2).all(|w| w[0] < w[1]) && b.windows(2).all(|w| w[0] < w[1]));
    let highest = *all.iter().max().expect("some record accepted");
    let (units, amount, calls): (i64, String, i64) =
        sqlx::query_as("SELECT units, amount::text, calls FROM gateway_metering WHERE agreement_id = $1")
            .bind(ID.as_slice())
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((units as u64, amount), (highest, (u128::from(highest) * PRICE).to_string()));
    assert_eq!(calls as usize, all.len(), "each accepted record is one call");
    // Orders are random: how many passed varies, but at least the highest record did.
    println!("{durability:?}: {} of {} records accepted across two replicas", all.len(), 2 * RECORDS);
    assert!(distinct.contains(&RECORDS));
    // A replay of the last record, at either replica, is refused.
    for store in &replicas {
        let replay = store.accept(record(highest), facts.clone(), terms.clone()).await;
        assert!(matches!(replay, Err(Refusal::ReplayedRecord { .. })), "{replay:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_racing_on_one_agreement_accept_each_record_at_most_once() {
    race(Durability::Strict).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relaxed_durability_keeps_the_same_guarantees() {
    race(Durability::Relaxed).await;
}
