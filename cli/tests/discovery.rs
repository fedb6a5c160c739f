//! A consumer who knows only a service's name: `osiris services` shows what is for sale,
//! `osiris call org/service` finds the gateways and the channel through the indexer (or
//! the chain), says how to open a channel when there is none (or opens one), and fails over
//! when a gateway is down. With `--replicas`, one request goes to several providers of the
//! same API and the output a quorum agrees on comes back.

mod common;

use common::{osiris_with, refusal, reply};
use osiris_e2e::{example_service, spawn_miscounting_text, spawn_text, Market, RunningGateway, CONSUMER, UNIT};
use osiris_gateway::config::ServiceType;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

const PRICE: u128 = UNIT / 100;
/// The text example's API, as its providers register it.
const TEXT_API: [u8; 32] = [0x7e; 32];

fn address(url: &str) -> SocketAddr {
    url.trim_start_matches("http://").trim_end_matches('/').parse().unwrap()
}

fn generate_key(market: &Market, state: &Path, name: &str) -> String {
    let key_file = market.dir.path().join(name);
    let path = key_file.to_str().unwrap().to_string();
    let out = osiris_with(market, state, CONSUMER, &[], &["key", "generate", "--out", &path], b"");
    assert!(out.status.success());
    path
}

async fn text_gateway(market: &Market, offer: &osiris_e2e::Offer, index: usize, upstream: &str) -> RunningGateway {
    let service = example_service(ServiceType::Jsonrpc, upstream, "text.proto");
    market.start_gateway(market.gateway_config(offer, index, service)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_finds_a_service_by_name_opens_a_channel_and_fails_over() {
    let market = Market::start().await;
    let indexer = market.serve_indexer_api().await;
    let offer = market.offer("acme", "text", PRICE, 2).await;
    // The group lists two gateways; only the second runs.
    market.release(address(&offer.endpoints[0]));
    let second = text_gateway(&market, &offer, 1, &spawn_text().await).await;

    let state = market.dir.path().join("charlie");
    let key = generate_key(&market, &state, "charlie.key");
    let with_indexer = [("OSIRIS_INDEXER_URL", indexer.as_str()), ("OSIRIS_PAYMENT_KEY_FILE", key.as_str())];
    let request = br#"{"text": "one two two. three!"}"#;

    // What is for sale, with its price and endpoints.
    let listed = reply(&osiris_with(&market, &state, CONSUMER, &with_indexer, &["--json", "services"], b""));
    assert_eq!(listed[0]["org_id"], "acme");
    assert_eq!(listed[0]["service_id"], "text");
    assert_eq!(listed[0]["price_per_call"], PRICE.to_string());
    assert_eq!(listed[0]["groups"][0]["endpoints"], json!(offer.endpoints));

    // No channel yet: the refusal says which command opens one, and nothing is paid.
    let refused =
        refusal(&osiris_with(&market, &state, CONSUMER, &with_indexer, &["call", "acme/text", "Analyze"], request));
    assert!(refused.contains("no open payment channel"), "{refused}");
    assert!(refused.contains("osiris channel open --recipient") && refused.contains("--group default"), "{refused}");
    assert!(refused.contains("--open-channel"), "{refused}");
    assert_eq!(refused.lines().count(), 1, "{refused}");

    // --open-channel opens one and pays from it; the first endpoint is down, the second answers.
    let value = (50 * PRICE).to_string();
    let args = ["call", "acme/text", "Analyze", "--open-channel", &value];
    let first = osiris_with(&market, &state, CONSUMER, &with_indexer, &args, request);
    assert_eq!(reply(&first)["words"], 4);
    assert!(String::from_utf8_lossy(&first.stderr).contains("opened channel"));

    // The channel is found again, without the indexer too (the registry and escrow on chain).
    let again = osiris_with(&market, &state, CONSUMER, &with_indexer, &["call", "acme/text", "Analyze"], request);
    assert_eq!(reply(&again)["words"], 4);
    let chain_only = [("OSIRIS_PAYMENT_KEY_FILE", key.as_str())];
    let from_chain = osiris_with(&market, &state, CONSUMER, &chain_only, &["call", "acme/text", "Analyze"], request);
    assert_eq!(reply(&from_chain)["words"], 4);

    // The second gateway goes down and the first comes up: calls follow.
    second.stop().await;
    let first_gateway = text_gateway(&market, &offer, 0, &spawn_text().await).await;
    let moved = osiris_with(&market, &state, CONSUMER, &with_indexer, &["call", "acme/text", "Analyze"], request);
    assert_eq!(reply(&moved)["words"], 4);

    // Four calls were paid from one channel, each once.
    let record = channel_record(&state);
    assert_eq!(record["amount"], Value::from((4 * PRICE).to_string()));

    // Every endpoint down: one line naming each endpoint's reason, within seconds.
    first_gateway.stop().await;
    let started = Instant::now();
    let down =
        refusal(&osiris_with(&market, &state, CONSUMER, &with_indexer, &["call", "acme/text", "Analyze"], request));
    assert!(started.elapsed() < Duration::from_secs(15), "took {:?}", started.elapsed());
    assert!(down.contains("no endpoint of acme/text group default answered"), "{down}");
    assert!(down.contains(&offer.endpoints[0]) && down.contains(&offer.endpoints[1]), "{down}");
    assert_eq!(channel_record(&state)["amount"], Value::from((4 * PRICE).to_string()), "nothing more was paid");

    // Names that do not exist, and an indexer that is not there, are one-line errors.
    let unknown =
        refusal(&osiris_with(&market, &state, CONSUMER, &with_indexer, &["call", "acme/nope", "Analyze"], b""));
    assert!(unknown.contains("no service acme/nope") && unknown.contains("osiris services"), "{unknown}");
    let nowhere = [("OSIRIS_INDEXER_URL", "http://127.0.0.1:9"), ("OSIRIS_PAYMENT_KEY_FILE", key.as_str())];
    let unreachable = refusal(&osiris_with(&market, &state, CONSUMER, &nowhere, &["services"], b""));
    assert!(unreachable.contains("indexer http://127.0.0.1:9 unreachable"), "{unreachable}");
}

/// The consumer's record of its one channel.
fn channel_record(state: &Path) -> Value {
    let file = std::fs::read_dir(state)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("channel-"))
        .expect("a channel record");
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replicated_call_returns_what_the_honest_majority_computed() {
    let market = Market::start().await;
    let indexer = market.serve_indexer_api().await;
    // Three organizations sell the text API; initech's service miscounts.
    let mut gateways = Vec::new();
    for (org, upstream) in
        [("acme", spawn_text().await), ("globex", spawn_text().await), ("initech", spawn_miscounting_text().await)]
    {
        let offer = market.offer_api(org, "text", &format!("{org}-eu"), PRICE, 1, TEXT_API).await;
        gateways.push(text_gateway(&market, &offer, 0, &upstream).await);
    }
    // A service of another API is not a replica.
    market.offer("umbrella", "text", PRICE, 1).await;

    let state = market.dir.path().join("charlie");
    let key = generate_key(&market, &state, "charlie.key");
    let env = [("OSIRIS_INDEXER_URL", indexer.as_str()), ("OSIRIS_PAYMENT_KEY_FILE", key.as_str())];
    let request = br#"{"text": "the same input for everyone. the same!", "top": 2}"#;
    let value = (20 * PRICE).to_string();

    // Two of three agree: their output comes back, and initech is named as disagreeing.
    let args = ["call", "acme/text", "Analyze", "--replicas", "3", "--quorum", "2", "--open-channel", &value];
    let out = osiris_with(&market, &state, CONSUMER, &env, &args, request);
    let agreed = reply(&out);
    assert_eq!(agreed["words"], 7);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("2 of 3 providers agree (acme/text, globex/text)"), "{stderr}");
    assert!(stderr.contains("disagreeing: initech/text"), "{stderr}");
    assert_eq!(stderr.matches("opened channel").count(), 3, "one channel per provider: {stderr}");

    // Asking for all three to agree fails, listing who said what; each provider was paid once more.
    let args = ["call", "acme/text", "Analyze", "--replicas", "3", "--quorum", "3"];
    let refused = refusal(&osiris_with(&market, &state, CONSUMER, &env, &args, request));
    assert!(refused.starts_with("error: no 3 of 3 providers agree"), "{refused}");
    assert!(refused.contains("acme/text, globex/text → {") && refused.contains("initech/text → {"), "{refused}");
    assert!(refused.contains(r#""words":7"#) && refused.contains(r#""words":8"#), "{refused}");
    let records: Vec<Value> = std::fs::read_dir(&state)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("channel-"))
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect();
    assert_eq!(records.len(), 3);
    assert!(records.iter().all(|r| r["amount"] == (2 * PRICE).to_string()), "{records:?}");

    // More replicas than providers of the API: said at once, nothing paid.
    let args = ["call", "acme/text", "Analyze", "--replicas", "4"];
    let short = refusal(&osiris_with(&market, &state, CONSUMER, &env, &args, request));
    assert!(short.contains("only 3 provider(s) of this API"), "{short}");
}
