//! A consumer pays for calls under a service agreement instead of a payment channel. Bob
//! (acme) offers metered access to his primes service: 3 planck-units per call, up to 5
//! calls locked. Charlie signs the agreement, Bob creates it, Charlie locks the price and
//! calls through Bob's gateway with a cumulative metering record per call. Every broken
//! record is refused with its own status and stores nothing; Bob settles exactly what
//! Charlie signed, settling again pays nothing, and after the release calls are refused.

use osiris_chain::types::agreements::{AgreementState, ConditionKind, Metering};
use osiris_e2e::{actor, actor_account, condition, example_service, spawn_primes, Market, CONSUMER, PROVIDER, UNIT};
use osiris_gateway::config::ServiceType;
use osiris_gateway_client::{find_method, AgreementPayer, Api, GatewayClient};
use osiris_ledger::settlements::Settler;
use osiris_payments::signing::agreement::{sign_agreement, sign_key_binding};
use osiris_payments::signing::channel::PaymentKey;
use osiris_payments::MeteringRecord;
use serde_json::json;
use tonic::Code;

const PER_CALL: u128 = 3 * UNIT / 100;
const CALLS_LOCKED: u128 = 5;

use osiris_e2e::refusal_code as code;

async fn stored(market: &Market, id: &[u8; 32]) -> Option<(i64, String, i64)> {
    sqlx::query_as("SELECT units, amount::text, calls FROM gateway_metering WHERE agreement_id = $1")
        .bind(id.as_slice())
        .fetch_optional(&market.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metered_calls_under_an_agreement_are_settled_for_exactly_what_was_signed() {
    let market = Market::start().await;
    let offer = market.offer("acme", "primes", UNIT / 100, 1).await;
    let service = example_service(ServiceType::Grpc, &spawn_primes().await, "primes.proto");
    let _gateway = market.start_gateway(market.gateway_config(&offer, 0, service)).await;
    let agreements = market.osiris.agreements();
    let contract = *agreements.address();
    let (bob, charlie) = (actor(PROVIDER), actor(CONSUMER));

    // Alice (the contract's owner) whitelists a service-period template; Bob offers metered access.
    let template =
        vec![condition(ConditionKind::LockPayment, &[], 200), condition(ConditionKind::ReleasePayment, &[0], 2_000)];
    let template_id = market.osiris.whitelisted_template(template).await;
    let metering = Metering { unit: "call".into(), price_per_unit: PER_CALL, settlement_window: 10 };
    let price = CALLS_LOCKED * PER_CALL;
    let offer_id = agreements
        .create_offer(&bob, "acme", "primes", template_id, price, vec![], Some(metering))
        .await
        .unwrap()
        .value;

    // Charlie binds his key and signs the agreement; Bob creates it. Before the lock, calls
    // are refused.
    let key = PaymentKey::generate();
    let id = [0x3c; 32];
    let consumer = actor_account(CONSUMER);
    let proof = sign_key_binding(&key, &contract, &consumer);
    agreements.bind_consumer_key(&charlie, key.signer_key(), proof).await.unwrap();
    let signature = sign_agreement(&key, &contract, &id, offer_id, &consumer, b"");
    let created = agreements
        .create_agreement(&bob, id, offer_id, &consumer, key.signer_key(), b"".to_vec(), Some(signature))
        .await
        .unwrap();
    market.wait_for_block(created.block_number).await;
    let client = GatewayClient::connect(&offer.endpoints[0]).await.unwrap();
    let info = client.service_info().await.unwrap();
    assert_eq!(info.agreements, contract.to_string());
    let factorize = find_method(&Api::from_descriptor_set(&info.descriptor_set).unwrap(), "Factorize").unwrap();
    let state = client.agreement_state(&key, &contract, &id).await.unwrap();
    assert_eq!((state.units, state.amount.as_str(), state.price_per_unit.clone()), (0, "0", PER_CALL.to_string()));
    let mut payer = AgreementPayer::from_state(key.clone(), contract, &state).unwrap();
    let call = |record: MeteringRecord| {
        let (client, factorize) = (client.clone(), factorize.clone());
        async move { client.call_json(&factorize, json!({"number": 12}), Some(&record)).await }
    };
    assert_eq!(code(call(payer.clone().pay()).await), Code::FailedPrecondition, "the payment is not locked yet");
    let locked = agreements.lock_payment(&charlie, id, price).await.unwrap();
    market.wait_for_block(locked.block_number).await;

    // Four metered calls pass, each one call and its price more than the last.
    for _ in 0..4 {
        let reply = call(payer.pay()).await.unwrap();
        assert_eq!(reply["factors"], json!(["2", "2", "3"]));
    }
    let four = (4, (4 * PER_CALL).to_string(), 4);
    assert_eq!(stored(&market, &id).await, Some(four.clone()));

    // Broken records: each refused with its own status, nothing stored.
    assert_eq!(code(call(payer.record()).await), Code::AlreadyExists, "a replayed record");
    let mut stranger = payer.clone();
    stranger.key = PaymentKey::generate();
    assert_eq!(code(call(stranger.pay()).await), Code::Unauthenticated, "signed by another key");
    let mut cheap = payer.clone();
    cheap.units += 1;
    cheap.amount += PER_CALL / 2;
    assert_eq!(code(call(cheap.record()).await), Code::ResourceExhausted, "less than a call's price");
    let mut greedy = payer.clone();
    greedy.units += 10;
    greedy.amount = 11 * PER_CALL;
    assert_eq!(code(call(greedy.record()).await), Code::OutOfRange, "more than is locked");
    let mut overpriced = payer.clone();
    overpriced.units += 1;
    overpriced.amount += 2 * PER_CALL;
    assert_eq!(code(call(overpriced.record()).await), Code::InvalidArgument, "more than units × price");
    let mut unknown = payer.clone();
    unknown.agreement_id = [0x77; 32];
    assert_eq!(code(call(unknown.pay()).await), Code::NotFound, "an agreement that does not exist");
    assert_eq!(stored(&market, &id).await, Some(four), "refusals store nothing");
    assert_eq!(code(client.agreement_state(&PaymentKey::generate(), &contract, &id).await), Code::Unauthenticated);

    // Bob settles what the gateway accepted: exactly 4 calls' price; again, nothing more.
    let settler = Settler { pool: market.pool.clone(), agreements: agreements.clone(), signer: bob.clone() };
    let settled = settler.run(&[]).await.unwrap();
    assert_eq!(settled.len(), 1);
    assert!(settled[0].submitted);
    assert_eq!((settled[0].units, settled[0].amount), (4, 4 * PER_CALL));
    let on_chain = agreements.agreement(id).await.unwrap().unwrap();
    assert_eq!((on_chain.paid, on_chain.locked, on_chain.metered_units), (4 * PER_CALL, PER_CALL, 4));
    let again = settler.run(&[]).await.unwrap();
    assert!(again.iter().all(|s| !s.submitted), "settling twice pays once: {again:?}");
    assert_eq!(agreements.agreement(id).await.unwrap().unwrap().paid, 4 * PER_CALL);
    market.wait_for_block(settled[0].block_number.unwrap()).await;
    assert!(settler.run(&[]).await.unwrap().is_empty(), "once mirrored, nothing is owed");

    // One more call, then Bob settles it and releases: the rest goes back to Charlie.
    call(payer.pay()).await.unwrap();
    let last = settler.run(&[]).await.unwrap();
    assert_eq!((last[0].units, last[0].amount), (5, 5 * PER_CALL));
    let released = agreements.release_payment(&bob, id).await.unwrap();
    let done = agreements.agreement(id).await.unwrap().unwrap();
    assert_eq!((done.state, done.paid, done.locked), (AgreementState::Fulfilled, 5 * PER_CALL, 0));

    // The agreement is over: calls are refused as inactive.
    market.wait_for_block(released.block_number).await;
    tokio::time::sleep(osiris_gateway::channels::REFRESH_INTERVAL).await;
    assert_eq!(code(call(payer.pay()).await), Code::FailedPrecondition);
}
