//! Claims: time and gas to claim 1, 100 and 10,000 channels on the dev chain.
//!
//! `cargo bench -p osiris-gateway --bench claims` starts a dev chain, PostgreSQL and the
//! indexer (the e2e harness), opens the channels on chain (`open_channel` messages in
//! `Utility::force_batch` extrinsics of [`OPEN_BATCH`]), stores one accepted payment per
//! channel through the gateway's payment store, then runs the provider's claimer
//! (`osiris_ledger::claims::Claimer`, as `osiris claim` and the gateway do) over 1, then
//! 100, then 10,000 of them (`OSIRIS_BENCH_CLAIMS`, default `1,100,10000`). Per size: the
//! wall time from the run's start to its last extrinsic finalized, the extrinsics
//! (`Utility::force_batch` of up to `MAX_MESSAGES_PER_BATCH` `multi_channel_claim` messages of
//! at most `MAX_CLAIMS_PER_MESSAGE` channels each) and their
//! summed dry-run gas, and per channel.

use osiris_chain::account::to_ink;
use osiris_chain::contract::message;
use osiris_contract_types::Nonce;
use osiris_e2e::{actor, payment_key, Market, UNIT};
use osiris_ledger::claims::{MAX_CLAIMS_PER_MESSAGE, MAX_MESSAGES_PER_BATCH};
use osiris_ledger::{Durability, PaymentStore, PaymentTable};
use osiris_payments::{Payment, PaymentKind, Terms};
use std::sync::Arc;
use std::time::Instant;

const PRICE: u128 = 1_000;
/// `open_channel` messages per batch extrinsic while setting up.
const OPEN_BATCH: usize = 100;

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::var("OSIRIS_BENCH_CLAIMS")
        .unwrap_or_else(|_| "1,100,10000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("OSIRIS_BENCH_CLAIMS: sizes separated by commas"))
        .collect();
    let total: usize = sizes.iter().sum();
    eprintln!("setting up: chain, contracts, PostgreSQL, indexer; {total} channels");
    let market = Market::start().await;
    let offer = market.offer("bench", "primes", PRICE, 1).await;
    let escrow = market.osiris.escrow();
    let charlie = actor("//Charlie");
    escrow.deposit(&charlie, (total as u128 + 1) * UNIT).await.unwrap();
    let recipient = osiris_chain::account::account_of(&actor(osiris_e2e::PROVIDER));
    let key = payment_key();
    let open =
        message("open_channel", (key.signer_key(), to_ink(&recipient), offer.group_id.as_str(), UNIT, 1_000_000u32));
    let started = Instant::now();
    let mut opened = 0;
    while opened < total {
        let n = OPEN_BATCH.min(total - opened);
        let outcome = market
            .osiris
            .chain
            .call_batch(&charlie, vec![(*escrow.address(), open.clone()); n])
            .await
            .expect("open a batch of channels");
        assert!(outcome.failed.is_empty() && outcome.skipped.is_empty(), "{outcome:?}");
        opened += n;
        if opened % 1_000 == 0 {
            eprintln!("  {opened} channels opened ({:.0} s)", started.elapsed().as_secs_f64());
        }
    }
    // The mirror lists them; each gets one accepted payment through the payment store.
    let pool = &market.pool;
    let recipient_text = recipient.to_string();
    let channels = loop {
        let channels =
            osiris_mirror::channels::channels_paying(pool, &recipient_text, &offer.group_id, 0).await.unwrap();
        if channels.len() >= total {
            break channels;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let store = PaymentStore::new(PaymentTable::default(), pool.clone(), Durability::Strict);
    let terms = Terms { price: PRICE, finalized_block: 0, expiry_threshold: 0 };
    let escrow_address = *escrow.address();
    let accepted = channels.into_iter().map(|facts| {
        let payment = Payment {
            kind: PaymentKind::Escrow,
            channel_id: facts.channel_id,
            nonce: Nonce(0),
            amount: PRICE,
            signature: key.sign(&escrow_address, facts.channel_id, Nonce(0), PRICE),
        };
        store.accept(payment, Arc::new(facts), terms)
    });
    let stored = futures::future::join_all(accepted).await;
    assert!(stored.iter().all(|r| r.is_ok()), "every payment stored");
    let mut ids = osiris_mirror::channels::channel_ids_paying(pool, &recipient_text).await.unwrap().into_iter();
    eprintln!("set up in {:.0} s; claiming", started.elapsed().as_secs_f64());

    println!("claims on the dev chain: the provider's claimer over N channels with one accepted payment each");
    println!(
        "(up to {MAX_MESSAGES_PER_BATCH} multi_channel_claim messages of at most {MAX_CLAIMS_PER_MESSAGE} \
         channels per extrinsic; gas = the dry runs' sum)"
    );
    println!(
        "{:>8} {:>10} {:>11} {:>14} {:>14} {:>16} {:>16}",
        "channels", "time", "extrinsics", "ref time (ps)", "proof (bytes)", "ref time/chan.", "proof/chan."
    );
    let claimer = market.claimer();
    for n in sizes {
        let only: Vec<_> = ids.by_ref().take(n).collect();
        let started = Instant::now();
        let report = claimer.run(Some(&only)).await.expect("claim run");
        let elapsed = started.elapsed();
        assert_eq!(report.submitted.len(), n, "every channel claimed");
        assert_eq!(report.total(), n as u128 * PRICE);
        println!(
            "{:>8} {:>8.2} s {:>11} {:>14.3e} {:>14.3e} {:>16.3e} {:>16.0}",
            n,
            elapsed.as_secs_f64(),
            report.extrinsics,
            report.gas.ref_time as f64,
            report.gas.proof_size as f64,
            report.gas.ref_time as f64 / n as f64,
            report.gas.proof_size as f64 / n as f64
        );
    }
}
