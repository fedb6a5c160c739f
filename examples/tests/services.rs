//! Each example service sold through a real gateway: the JSON-RPC text analyzer and the
//! per-call statistics process, paid per call; their errors come back as gRPC statuses.
//! (The gRPC example, `primes-grpc`, is the gateway's own tests' upstream.)

use osiris_contract_types::Nonce;
use osiris_e2e::{actor, example_service, payment_key, spawn_text, Market, Offer, CONSUMER, UNIT};
use osiris_gateway::config::{ServiceConfig, ServiceType};
use osiris_gateway_client::Api;
use osiris_gateway_client::{find_method, ChannelPayer, GatewayClient};
use serde_json::json;
use tonic::Code;

const PRICE: u128 = UNIT / 100;

async fn consumer_of(market: &Market, offer: &Offer) -> (GatewayClient, Api, ChannelPayer) {
    let client = GatewayClient::connect(&offer.endpoints[0]).await.unwrap();
    let api = Api::from_descriptor_set(&client.service_info().await.unwrap().descriptor_set).unwrap();
    let key = payment_key();
    let channel_id = market.open_channel(&actor(CONSUMER), &key, offer, 50 * PRICE, 1_000).await;
    let escrow = market.osiris.deployment.escrow.address;
    (client, api, ChannelPayer { key, escrow, channel_id, nonce: Nonce(0), amount: 0 })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_text_analyzer_and_the_statistics_process_are_sold_per_call() {
    let market = Market::start().await;

    // TextStats behind a JSON-RPC 2.0 endpoint.
    let text = market.offer("acme", "text", PRICE, 1).await;
    let service = example_service(ServiceType::Jsonrpc, &spawn_text().await, "text.proto");
    let _text_gateway = market.start_gateway(market.gateway_config(&text, 0, service)).await;
    let (client, api, mut payer) = consumer_of(&market, &text).await;
    let analyze = find_method(&api, "Analyze").unwrap();
    let reply = client
        .call_json(
            &analyze,
            json!({"text": "To be, or not to be. That is the question!", "top": 1}),
            Some(&payer.pay(PRICE)),
        )
        .await
        .unwrap();
    assert_eq!(reply["words"], json!(10));
    assert_eq!(reply["sentences"], json!(2));
    assert_eq!(reply["topWords"], json!([{"word": "be", "count": 2}]));
    let unpaid = client.call_json(&analyze, json!({"text": "free?"}), None).await.unwrap_err();
    assert_eq!(unpaid.code(), Code::InvalidArgument);

    // A call is resolved before it is charged: an unknown method and a request that does
    // not decode are refused with the payment untouched, which then pays for a real call.
    let payment = payer.pay(PRICE);
    let nope = client.unary("/osiris.examples.text.v1.TextStats/Nope", vec![].into(), Some(&payment)).await;
    assert_eq!(nope.unwrap_err().code(), Code::Unimplemented);
    let garbage = client.unary("/osiris.examples.text.v1.TextStats/Analyze", vec![0xff, 0xff].into(), Some(&payment));
    assert_eq!(garbage.await.unwrap_err().code(), Code::InvalidArgument);
    let reply = client.call_json(&analyze, json!({"text": "Paid once."}), Some(&payment)).await.unwrap();
    assert_eq!(reply["words"], json!(2));

    // Statistics as a process per call.
    let stats = market.offer("acme", "stats", PRICE, 1).await;
    let service = ServiceConfig {
        command: vec![env!("CARGO_BIN_EXE_stats-process").into()],
        call_timeout_ms: 5_000,
        ..example_service(ServiceType::Process, "", "stats.proto")
    };
    let _stats_gateway = market.start_gateway(market.gateway_config(&stats, 0, service)).await;
    let (client, api, mut payer) = consumer_of(&market, &stats).await;
    let summarize = find_method(&api, "Summarize").unwrap();
    let reply = client
        .call_json(
            &summarize,
            json!({"values": [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0], "percentiles": [90]}),
            Some(&payer.pay(PRICE)),
        )
        .await
        .unwrap();
    assert_eq!(
        (reply["count"].clone(), reply["mean"].clone(), reply["stddev"].clone()),
        (json!("8"), json!(5.0), json!(2.0))
    );
    // The process refuses an empty sample (exit 2): the status carries its stderr.
    let refused = client.call_json(&summarize, json!({"values": []}), Some(&payer.pay(PRICE))).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().contains("the sample is empty"), "{}", refused.message());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_whose_config_disagrees_with_the_registry_refuses_to_start() {
    let market = Market::start().await;
    let offer = market.offer("acme", "text", PRICE, 1).await;
    let service = example_service(ServiceType::Jsonrpc, "http://127.0.0.1:1/", "text.proto");
    let good = market.gateway_config(&offer, 0, service);
    let refusal = |config: osiris_gateway::config::Config| async move {
        match osiris_gateway::startup::start(&config).await {
            Ok(_) => panic!("a mismatched gateway started"),
            Err(e) => e.to_string(),
        }
    };
    let mut wrong_group = good.clone();
    wrong_group.service.group_id = "eu".into();
    assert!(refusal(wrong_group).await.contains("has no group `eu`"));
    let mut wrong_endpoint = good.clone();
    wrong_endpoint.public_endpoint = "http://10.0.0.9:7000".into();
    assert!(refusal(wrong_endpoint).await.contains("not this gateway's public_endpoint http://10.0.0.9:7000"));
    let mut wrong_recipient = good.clone();
    wrong_recipient.recipient = Some(osiris_e2e::actor_account("//Dave").to_string());
    assert!(refusal(wrong_recipient).await.contains("but this gateway's recipient is"));
    let mut wrong_service = good.clone();
    wrong_service.service.service_id = "nope".into();
    assert!(refusal(wrong_service).await.contains("service acme/nope is not registered"));
    assert!(osiris_gateway::startup::start(&good).await.is_ok());
}
