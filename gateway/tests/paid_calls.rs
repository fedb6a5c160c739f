//! A consumer pays for calls through the gateway: a paid call passes, every broken payment
//! is refused with its own status and changes nothing, the provider claims, the consumer
//! continues at the next nonce, and prepaid calls draw one authorization down.

use osiris_contract_types::ChannelId;
use osiris_contract_types::Nonce;
use osiris_e2e::{actor, example_service, payment_key, provider_account, spawn_primes, Market, CONSUMER, UNIT};
use osiris_gateway::config::ServiceType;
use osiris_gateway_client::Api;
use osiris_gateway_client::{find_method, ChannelPayer, GatewayClient};
use osiris_payments::metadata::PaymentHeaders;
use osiris_payments::PaymentKind;
use serde_json::json;
use tonic::Code;

const PRICE: u128 = UNIT / 100;

use osiris_e2e::refusal_code as code;

async fn stored(market: &Market, channel_id: ChannelId) -> (i64, String, i64) {
    sqlx::query_as("SELECT nonce, amount::text, calls FROM gateway_payments WHERE channel_id = $1")
        .bind(channel_id.0 as i64)
        .fetch_one(&market.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_pays_per_call_the_provider_claims_and_the_consumer_continues() {
    let market = Market::start().await;
    let offer = market.offer("acme", "primes", PRICE, 1).await;
    let service = example_service(ServiceType::Grpc, &spawn_primes().await, "primes.proto");
    let _gateway = market.start_gateway(market.gateway_config(&offer, 0, service)).await;

    // Charlie opens a channel worth 100 calls and asks the gateway what it sells.
    let charlie = actor(CONSUMER);
    let key = payment_key();
    let channel_id = market.open_channel(&charlie, &key, &offer, 100 * PRICE, 1_000).await;
    let client = GatewayClient::connect(&offer.endpoints[0]).await.unwrap();
    let info = client.service_info().await.unwrap();
    assert_eq!(info.price_per_call, PRICE.to_string());
    assert_eq!(info.payment_recipient, provider_account().to_string());
    let api = Api::from_descriptor_set(&info.descriptor_set).unwrap();
    let factorize = find_method(&api, "Factorize").unwrap();
    let list_primes = find_method(&api, "ListPrimes").unwrap();
    let escrow = market.osiris.deployment.escrow.address;
    let mut payer = ChannelPayer { key: key.clone(), escrow, channel_id, nonce: Nonce(0), amount: 0 };

    // Paid calls pass: unary and server-streaming.
    let reply = client.call_json(&factorize, json!({"number": 360}), Some(&payer.pay(PRICE))).await.unwrap();
    assert_eq!(reply["factors"], json!(["2", "2", "2", "3", "3", "5"]));
    let primes = client.call_json(&factorize, json!({"number": 97}), Some(&payer.pay(PRICE))).await.unwrap();
    assert_eq!(primes["isPrime"], json!(true));
    let request = prost::Message::encode_to_vec(&osiris_examples::pb::primes::ListPrimesRequest { from: 1, to: 100 });
    let path = format!("/{}/{}", list_primes.parent_service().full_name(), list_primes.name());
    let streamed = client.server_streaming(&path, request.into(), Some(&payer.pay(PRICE))).await.unwrap();
    assert_eq!(streamed.len(), 25, "25 primes up to 100, one message each");
    assert_eq!(stored(&market, channel_id).await, (0, (3 * PRICE).to_string(), 3));

    // Every broken payment is refused with its own status, and nothing is stored.
    let call = |payment: Option<osiris_payments::Payment>| {
        let client = client.clone();
        let factorize = factorize.clone();
        async move {
            client
                .call_json(&factorize, json!({"number": 12}), payment.as_ref().map(|p| p as &dyn PaymentHeaders))
                .await
        }
    };
    assert_eq!(code(call(None).await), Code::InvalidArgument, "no payment");
    let mut forged = payer.clone();
    forged.key = payment_key();
    assert_eq!(code(call(Some(forged.pay(PRICE))).await), Code::Unauthenticated, "signed by another key");
    let mut unknown = payer.clone();
    unknown.channel_id = ChannelId(999);
    assert_eq!(code(call(Some(unknown.pay(PRICE))).await), Code::NotFound, "no such channel");
    unknown.channel_id = ChannelId(u64::MAX);
    assert_eq!(code(call(Some(unknown.pay(PRICE))).await), Code::NotFound, "an id no channel can have");
    let replay = payer.authorization(PaymentKind::Escrow);
    assert_eq!(code(call(Some(replay)).await), Code::AlreadyExists, "replayed authorization");
    let mut stale = payer.clone();
    stale.nonce = Nonce(1);
    assert_eq!(code(call(Some(stale.pay(PRICE))).await), Code::Aborted, "not the current nonce");
    let mut too_much = payer.clone();
    assert_eq!(code(call(Some(too_much.pay(100 * PRICE))).await), Code::OutOfRange, "more than the channel holds");
    let mut underpaid = payer.clone();
    assert_eq!(code(call(Some(underpaid.pay(PRICE - 1))).await), Code::ResourceExhausted, "less than the price");
    let dave = actor("//Dave");
    let mut foreign_offer = offer.clone();
    foreign_offer.group_id = "other".into();
    let foreign_id = market.open_channel(&dave, &key, &foreign_offer, 10 * PRICE, 1_000).await;
    let mut foreign = payer.clone();
    foreign.channel_id = foreign_id;
    foreign.amount = 0;
    assert_eq!(code(call(Some(foreign.pay(PRICE))).await), Code::PermissionDenied, "another group's channel");
    let expiring_id = market.open_channel(&dave, &key, &offer, 10 * PRICE, 3).await;
    let mut expiring = payer.clone();
    expiring.channel_id = expiring_id;
    expiring.amount = 0;
    assert_eq!(code(call(Some(expiring.pay(PRICE))).await), Code::FailedPrecondition, "channel about to expire");
    let payment = payer.pay(PRICE);
    let unknown_method = client.unary("/osiris.examples.primes.v1.Primes/Nope", vec![].into(), Some(&payment)).await;
    assert_eq!(code(unknown_method), Code::Unimplemented, "a method the API does not have is not charged");
    payer.amount -= PRICE;
    assert_eq!(stored(&market, channel_id).await, (0, (3 * PRICE).to_string(), 3), "refusals change nothing");
    let others: i64 = sqlx::query_scalar("SELECT count(*) FROM gateway_payments WHERE channel_id <> $1")
        .bind(channel_id.0 as i64)
        .fetch_one(&market.pool)
        .await
        .unwrap();
    assert_eq!(others, 0);

    // Bob claims what Charlie paid; the channel moves to nonce 1.
    let escrow_contract = market.osiris.escrow();
    let before = escrow_contract.balance_of(&provider_account()).await.unwrap();
    let report = market.claimer().run(None).await.unwrap();
    assert_eq!(report.total(), 3 * PRICE);
    assert_eq!(escrow_contract.balance_of(&provider_account()).await.unwrap(), before + 3 * PRICE);
    let on_chain = escrow_contract.channel(channel_id).await.unwrap().unwrap();
    assert_eq!((on_chain.nonce, on_chain.value), (Nonce(1), 97 * PRICE));
    assert!(market.claimer().run(None).await.unwrap().submitted.is_empty(), "nothing is claimed twice");

    // Charlie's next call at the old nonce is refused; the channel state tells where to go on.
    assert_eq!(code(call(Some(payer.pay(PRICE))).await), Code::Aborted);
    let state = client.channel_state(&key, &escrow, channel_id).await.unwrap();
    assert_eq!((state.current_nonce, state.current_signed_amount.as_str()), (1, "0"));
    payer.resync(&state).unwrap();
    client.call_json(&factorize, json!({"number": 49}), Some(&payer.pay(PRICE))).await.unwrap();
    let mut stranger = payer.clone();
    stranger.key = payment_key();
    assert_eq!(code(client.channel_state(&stranger.key, &escrow, channel_id).await), Code::Unauthenticated);

    // Prepaid: one authorization for 5 calls, drawn by 8 concurrent calls: exactly 5 pass.
    payer.amount += 5 * PRICE;
    let prepaid = payer.authorization(PaymentKind::Prepaid);
    let calls = (0..8).map(|_| call(Some(prepaid.clone())));
    let results = futures::future::join_all(calls).await;
    let passed = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(passed, 5, "{results:?}");
    assert!(results.iter().filter_map(|r| r.as_ref().err()).all(|s| s.code() == Code::ResourceExhausted));
    let state = client.channel_state(&key, &escrow, channel_id).await.unwrap();
    assert_eq!(state.spent_amount, (6 * PRICE).to_string());

    // The second claim takes what was spent, not the unspent rest of the authorization.
    let report = market.claimer().run(None).await.unwrap();
    assert_eq!(report.total(), 6 * PRICE);
}
