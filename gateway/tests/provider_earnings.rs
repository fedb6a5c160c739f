//! A provider's earnings, seen and claimed from its own wallet (the market's provider view,
//! `ProviderEarnings`): Bob lists what Charlie's and Dave's channels hold unclaimed at his
//! gateway, starts a claim, and submits the returned authorizations in one
//! `multi_channel_claim` signed by himself; once the mirror has it, nothing is left.
//!
//! The attacks: Eve, a stranger, signs her own requests, replays Bob's signature for another
//! operation, and sends one from long ago: each is refused, no claim is started, and the
//! consumers' payments stay where they were.

use osiris_contract_types::escrow::ChannelClaim;
use osiris_contract_types::Nonce;
use osiris_e2e::{
    actor, example_service, payment_key, provider_account, spawn_primes, Market, CONSUMER, PROVIDER, UNIT,
};
use osiris_gateway::config::ServiceType;
use osiris_gateway_client::pb::provider_earnings_client::ProviderEarningsClient;
use osiris_gateway_client::pb::{Earnings, ProviderRequest};
use osiris_gateway_client::{ChannelPayer, GatewayClient};
use osiris_payments::signing::account::AccountKey;
use prost::Message;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tonic::Code;

const PRICE: u128 = UNIT / 100;
const FACTORIZE: &str = "/osiris.examples.primes.v1.Primes/Factorize";

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

async fn claims_started(market: &Market) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM gateway_claims").fetch_one(&market.pool).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recipient_sees_and_claims_its_earnings_from_its_wallet_and_a_stranger_can_do_neither() {
    let market = Market::start().await;
    let offer = market.offer("acme", "primes", PRICE, 1).await;
    let service = example_service(ServiceType::Grpc, &spawn_primes().await, "primes.proto");
    let _gateway = market.start_gateway(market.gateway_config(&offer, 0, service)).await;
    let client = GatewayClient::connect(&offer.endpoints[0]).await.unwrap();
    let escrow = market.osiris.escrow();
    let request = osiris_examples::pb::primes::FactorizeRequest { number: 84 }.encode_to_vec();
    let mut paid = 0;
    for (uri, calls) in [(CONSUMER, 3u128), ("//Dave", 2)] {
        let key = payment_key();
        let channel_id = market.open_channel(&actor(uri), &key, &offer, 10 * PRICE, 1_000).await;
        let mut payer = ChannelPayer { key, escrow: *escrow.address(), channel_id, nonce: Nonce(0), amount: 0 };
        for _ in 0..calls {
            client.unary(FACTORIZE, request.clone().into(), Some(&payer.pay(PRICE))).await.unwrap();
        }
        paid += calls * PRICE;
    }
    let mut earnings = ProviderEarningsClient::new(client.channel());
    let signed = |key: &AccountKey, op: &str, timestamp: u64| ProviderRequest {
        timestamp,
        signature: key.sign_provider_request(escrow.address(), op, timestamp).to_vec(),
    };
    let (bob, eve) = (AccountKey::from_uri(PROVIDER).unwrap(), AccountKey::from_uri("//Eve").unwrap());

    // Eve, as herself: refused, both to look and to claim.
    for op in ["list", "claim"] {
        let refused = match op {
            "list" => earnings.list_earnings(signed(&eve, op, now())).await,
            _ => earnings.prepare_claim(signed(&eve, op, now())).await,
        };
        assert_eq!(refused.unwrap_err().code(), Code::Unauthenticated, "{op}");
    }
    // Bob's signature to look, replayed to claim; and Bob's own claim request from an hour ago.
    let replayed = earnings.prepare_claim(signed(&bob, "list", now())).await.unwrap_err();
    assert_eq!(replayed.code(), Code::Unauthenticated);
    let stale = earnings.prepare_claim(signed(&bob, "claim", now() - 3_600)).await.unwrap_err();
    assert_eq!(stale.code(), Code::InvalidArgument);
    let garbled = earnings.list_earnings(ProviderRequest { timestamp: now(), signature: vec![1; 12] }).await;
    assert_eq!(garbled.unwrap_err().code(), Code::InvalidArgument);
    assert_eq!(claims_started(&market).await, 0, "no claim was started by a refused request");

    // Bob looks: both channels, everything paid, nothing started.
    let Earnings { channels, total } = earnings.list_earnings(signed(&bob, "list", now())).await.unwrap().into_inner();
    assert_eq!(total, paid.to_string());
    assert_eq!(channels.len(), 2);
    assert!(channels.iter().all(|c| c.status == "unclaimed" && c.signature.is_empty() && c.nonce == 0));
    assert_eq!(claims_started(&market).await, 0, "looking starts nothing");

    // Bob claims from his wallet: the gateway starts the claims, he submits them himself.
    let started = earnings.prepare_claim(signed(&bob, "claim", now())).await.unwrap().into_inner();
    assert!(started.channels.iter().all(|c| c.status == "claiming" && c.signature.len() == 65));
    let claims = started
        .channels
        .iter()
        .map(|c| ChannelClaim {
            channel_id: osiris_contract_types::ChannelId(c.channel_id),
            actual_amount: c.spent.parse().unwrap(),
            plan_amount: c.authorized.parse().unwrap(),
            signature: c.signature.clone().try_into().unwrap(),
            is_sendback: false,
        })
        .collect();
    let before = escrow.balance_of(&provider_account()).await.unwrap();
    let outcome = escrow.multi_channel_claim(&actor(PROVIDER), claims).await.unwrap();
    market.wait_for_block(outcome.block_number).await;
    assert_eq!(escrow.balance_of(&provider_account()).await.unwrap(), before + paid, "exactly what was paid");

    // Once the mirror has the claim, nothing is left, and the started claims are done.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = earnings.list_earnings(signed(&bob, "list", now())).await.unwrap().into_inner();
        if left.channels.is_empty() {
            assert_eq!(left.total, "0");
            break;
        }
        assert!(Instant::now() < deadline, "the claim never showed: {left:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let open: i64 = sqlx::query_scalar("SELECT count(*) FROM gateway_claims WHERE status = 'in_progress'")
        .fetch_one(&market.pool)
        .await
        .unwrap();
    assert_eq!(open, 0);
    // The periodic claimer, running now, finds nothing to pay twice.
    let report = market.claimer().run(None).await.unwrap();
    assert!(report.submitted.is_empty(), "{report:?}");
    assert_eq!(escrow.balance_of(&provider_account()).await.unwrap(), before + paid);
}
