//! Claims survive crashes: a claim recorded `in_progress` whose extrinsic landed before the
//! crash is recognised on chain and not paid twice; one whose extrinsic never left is
//! submitted again; and the gateway's periodic task claims on its own. Claims are batched
//! (several messages per extrinsic) and a refused message holds back only its own channels.

use osiris_contract_types::ChannelId;
use osiris_contract_types::Nonce;
use osiris_e2e::{
    actor, example_service, payment_key, provider_account, spawn_primes, Market, Offer, RunningGateway, CONSUMER,
    PROVIDER, UNIT,
};
use osiris_gateway::config::ServiceType;
use osiris_gateway_client::{ChannelPayer, GatewayClient};
use osiris_ledger::claims::{claim_periodically, ClaimBatching, ClaimError};
use prost::Message;
use std::time::{Duration, Instant};

const PRICE: u128 = UNIT / 100;
const FACTORIZE: &str = "/osiris.examples.primes.v1.Primes/Factorize";

/// acme's primes service on sale behind one gateway (alive while held), and a client of it.
async fn primes_on_sale(market: &Market) -> (Offer, RunningGateway, GatewayClient) {
    let offer = market.offer("acme", "primes", PRICE, 1).await;
    let service = example_service(ServiceType::Grpc, &spawn_primes().await, "primes.proto");
    let gateway = market.start_gateway(market.gateway_config(&offer, 0, service)).await;
    let client = GatewayClient::connect(&offer.endpoints[0]).await.unwrap();
    (offer, gateway, client)
}

/// A channel of 10 calls' worth from each consumer (its dev account URI), and that consumer's
/// number of calls paid on it through `client`; the channels, in order.
async fn paid_channels(
    market: &Market,
    offer: &Offer,
    client: &GatewayClient,
    calls: &[(&str, usize)],
) -> Vec<ChannelId> {
    let escrow = *market.osiris.escrow().address();
    let request = osiris_examples::pb::primes::FactorizeRequest { number: 84 }.encode_to_vec();
    let mut channels = Vec::new();
    for &(uri, n) in calls {
        let key = payment_key();
        let channel_id = market.open_channel(&actor(uri), &key, offer, 10 * PRICE, 1_000).await;
        let mut payer = ChannelPayer { key, escrow, channel_id, nonce: Nonce(0), amount: 0 };
        for _ in 0..n {
            client.unary(FACTORIZE, request.clone().into(), Some(&payer.pay(PRICE))).await.unwrap();
        }
        channels.push(channel_id);
    }
    channels
}

/// What `Claimer::run` records before submitting, for one channel — as a crash leaves it.
async fn record_in_progress(market: &Market, channel_id: ChannelId) -> (u128, u128, [u8; 65]) {
    let (amount, spent, signature): (String, String, Vec<u8>) = sqlx::query_as(
        "WITH recorded AS ( \
             INSERT INTO gateway_claims (channel_id, nonce, amount, signature, spent, status) \
             SELECT channel_id, nonce, amount, signature, spent, 'in_progress' FROM gateway_payments \
             WHERE channel_id = $1 RETURNING amount::text, spent::text, signature) \
         UPDATE gateway_payments SET nonce = nonce + 1, amount = 0, signature = NULL, spent = 0, calls = 0 \
         FROM recorded WHERE channel_id = $1 \
         RETURNING recorded.amount, recorded.spent, recorded.signature",
    )
    .bind(channel_id.0 as i64)
    .fetch_one(&market.pool)
    .await
    .unwrap();
    (amount.parse().unwrap(), spent.parse().unwrap(), signature.try_into().unwrap())
}

async fn status_of(market: &Market, channel_id: ChannelId) -> String {
    sqlx::query_scalar("SELECT status FROM gateway_claims WHERE channel_id = $1 ORDER BY nonce DESC LIMIT 1")
        .bind(channel_id.0 as i64)
        .fetch_one(&market.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupted_claims_are_reconciled_never_paid_twice_never_forgotten() {
    let market = Market::start().await;
    let (offer, _gateway, client) = primes_on_sale(&market).await;
    let escrow = market.osiris.escrow();
    let request = osiris_examples::pb::primes::FactorizeRequest { number: 84 }.encode_to_vec();

    // Two consumers' channels, three and two paid calls.
    let channels = paid_channels(&market, &offer, &client, &[(CONSUMER, 3), ("//Dave", 2)]).await;
    let (landed, lost) = (channels[0], channels[1]);

    // Crash 1: the claim of `landed` was recorded and reached the chain, but was never marked done.
    let (amount, spent, signature) = record_in_progress(&market, landed).await;
    escrow.channel_claim(&actor(PROVIDER), landed, spent, amount, signature, false).await.unwrap();
    // Crash 2: the claim of `lost` was recorded, then the process died before submitting it.
    let (_, lost_spent, _) = record_in_progress(&market, lost).await;
    let before = escrow.balance_of(&provider_account()).await.unwrap();

    let report = market.claimer().run(None).await.unwrap();
    assert_eq!(report.reconciled.iter().map(|c| c.channel_id).collect::<Vec<_>>(), vec![landed]);
    assert_eq!(report.submitted.iter().map(|c| (c.channel_id, c.amount)).collect::<Vec<_>>(), vec![(lost, lost_spent)]);
    assert_eq!(escrow.balance_of(&provider_account()).await.unwrap(), before + lost_spent, "nothing paid twice");
    assert_eq!((status_of(&market, landed).await, status_of(&market, lost).await), ("done".into(), "done".into()));
    assert_eq!(escrow.channel(landed).await.unwrap().unwrap().nonce, Nonce(1));
    assert_eq!(escrow.channel(lost).await.unwrap().unwrap().nonce, Nonce(1));
    assert_eq!(market.claimer().run(None).await.unwrap(), Default::default(), "a second run finds nothing");

    // The periodic task claims new payments on its own.
    let key = payment_key();
    let channel_id = market.open_channel(&actor("//Eve"), &key, &offer, 10 * PRICE, 1_000).await;
    let mut payer = ChannelPayer { key, escrow: *escrow.address(), channel_id, nonce: Nonce(0), amount: 0 };
    client.unary(FACTORIZE, request.clone().into(), Some(&payer.pay(PRICE))).await.unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(claim_periodically(market.claimer(), Duration::from_millis(300), stop.clone(), |_| {}));
    let started = Instant::now();
    while escrow.channel(channel_id).await.unwrap().unwrap().nonce == Nonce(0) {
        assert!(started.elapsed() < Duration::from_secs(30), "the periodic claim did not happen");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.cancel();
    assert_eq!(escrow.balance_of(&provider_account()).await.unwrap(), before + lost_spent + PRICE);
}

/// Claims go on chain as several `multi_channel_claim` messages per extrinsic; a message the
/// escrow refuses (here: its stored authorization corrupted) leaves only its own channel in
/// progress — the other messages land — and a later run claims it once it is whole again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_are_batched_and_a_refused_message_holds_back_only_its_own_channels() {
    let market = Market::start().await;
    let (offer, _gateway, client) = primes_on_sale(&market).await;
    let escrow = market.osiris.escrow();

    // Three consumers' channels with one, two and three paid calls.
    let calls = [(CONSUMER, 1), ("//Dave", 2), ("//Eve", 3)];
    let ids = paid_channels(&market, &offer, &client, &calls).await;
    let channels: Vec<(ChannelId, u128)> =
        ids.into_iter().zip(calls).map(|(id, (_, n))| (id, n as u128 * PRICE)).collect();
    // Dave's stored authorization loses a byte: the escrow will refuse its signature.
    let dave = channels[1].0;
    let signature: Vec<u8> = sqlx::query_scalar("SELECT signature FROM gateway_payments WHERE channel_id = $1")
        .bind(dave.0 as i64)
        .fetch_one(&market.pool)
        .await
        .unwrap();
    let mut corrupted = signature.clone();
    corrupted[10] ^= 0xff;
    sqlx::query("UPDATE gateway_payments SET signature = $2 WHERE channel_id = $1")
        .bind(dave.0 as i64)
        .bind(&corrupted)
        .execute(&market.pool)
        .await
        .unwrap();
    let before = escrow.balance_of(&provider_account()).await.unwrap();

    // One claim per message, two messages per extrinsic: three messages in two extrinsics.
    let claimer = osiris_ledger::claims::Claimer {
        batching: ClaimBatching { claims_per_message: 1, messages_per_extrinsic: 2 },
        ..market.claimer()
    };
    let refused = claimer.run(None).await.unwrap_err();
    assert!(
        matches!(refused, ClaimError::Refused { channels: 1, claimed: 2, .. }),
        "only Dave's message is refused: {refused}"
    );
    let others = channels[0].1 + channels[2].1;
    assert_eq!(escrow.balance_of(&provider_account()).await.unwrap(), before + others, "the others landed");
    assert_eq!(status_of(&market, channels[0].0).await, "done");
    assert_eq!(status_of(&market, channels[2].0).await, "done");
    assert_eq!(status_of(&market, dave).await, "in_progress", "Dave's claim waits for the next run");
    assert_eq!(escrow.channel(dave).await.unwrap().unwrap().nonce, Nonce(0));

    // The authorization made whole again, the next run claims Dave's channel, once.
    sqlx::query("UPDATE gateway_claims SET signature = $2 WHERE channel_id = $1")
        .bind(dave.0 as i64)
        .bind(&signature)
        .execute(&market.pool)
        .await
        .unwrap();
    let report = claimer.run(None).await.unwrap();
    assert_eq!(report.submitted.iter().map(|c| (c.channel_id, c.amount)).collect::<Vec<_>>(), vec![channels[1]]);
    assert_eq!(report.extrinsics, 1);
    assert_eq!(escrow.balance_of(&provider_account()).await.unwrap(), before + others + channels[1].1);
    assert_eq!(status_of(&market, dave).await, "done");
    assert_eq!(claimer.run(None).await.unwrap(), Default::default(), "nothing is left, nothing paid twice");
}
