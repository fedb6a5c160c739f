//! `osiris call` as a consumer uses it: a request on stdin, the reply on stdout, calls
//! composed in a shell pipe, the channel's nonce and amount kept locally; after the
//! provider's `osiris claim` the next call finds the new nonce on its own.

mod common;

use common::{osiris, reply};
use osiris_contract_types::ChannelId;
use osiris_e2e::{actor, example_service, spawn_text, Market, RunningGateway, CONSUMER, PROVIDER, UNIT};
use osiris_gateway::config::ServiceType;
use serde_json::Value;
use std::path::PathBuf;

const PRICE: u128 = UNIT / 100;

/// The text service sold by acme through a gateway, and Charlie set up to call it: a payment
/// key, a channel holding `value` planck and the gateway named `text` in his state directory.
/// Returns the gateway (alive while held), the state directory and the channel.
async fn charlie_on_text(market: &Market, value: u128) -> (RunningGateway, PathBuf, ChannelId) {
    let offer = market.offer("acme", "text", PRICE, 1).await;
    let service = example_service(ServiceType::Jsonrpc, &spawn_text().await, "text.proto");
    let gateway = market.start_gateway(market.gateway_config(&offer, 0, service)).await;
    let state = market.dir.path().join("charlie");
    let key_file = market.dir.path().join("charlie.key");
    let key_path = key_file.to_str().unwrap();
    assert!(osiris(market, &state, CONSUMER, &["key", "generate", "--out", key_path], b"").status.success());
    let key =
        osiris_payments::signing::channel::PaymentKey::from_hex(&std::fs::read_to_string(&key_file).unwrap()).unwrap();
    let channel_id = market.open_channel(&actor(CONSUMER), &key, &offer, value, 1_000).await;
    let channel = channel_id.to_string();
    let add = ["gateway", "add", "text", "--url", &offer.endpoints[0], "--channel", &channel, "--key-file", key_path];
    assert!(osiris(market, &state, CONSUMER, &add, b"").status.success());
    (gateway, state, channel_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_calls_through_a_pipe_and_goes_on_after_a_claim() {
    let market = Market::start().await;
    let (_gateway, state, channel_id) = charlie_on_text(&market, 100 * PRICE).await;

    // Two calls, the second fed from the first's reply (as `| jq … |` would in a pipe).
    let first = osiris(&market, &state, CONSUMER, &["call", "text", "Analyze"], br#"{"text": "one two two. three!"}"#);
    let analyzed = reply(&first);
    assert_eq!((analyzed["words"].clone(), analyzed["sentences"].clone()), (Value::from(4), Value::from(2)));
    let top: Vec<&str> = analyzed["topWords"].as_array().unwrap().iter().map(|w| w["word"].as_str().unwrap()).collect();
    assert_eq!(top, ["two", "one", "three"]);
    let next = serde_json::json!({"text": top.join(" ")}).to_string();
    let second = osiris(&market, &state, CONSUMER, &["call", "text", "Analyze"], next.as_bytes());
    assert_eq!(reply(&second)["words"], Value::from(3));
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(state.join(format!("channel-{channel_id}.json"))).unwrap())
            .unwrap();
    assert_eq!(
        (record["nonce"].clone(), record["amount"].clone()),
        (Value::from(0), Value::from((2 * PRICE).to_string()))
    );

    // Bad input is refused with a readable error and costs nothing.
    let bad = osiris(&market, &state, CONSUMER, &["call", "text", "Analyze"], b"{not json");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not JSON"));
    let unknown = osiris(&market, &state, CONSUMER, &["call", "text", "Summarize"], b"{}");
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no method Summarize"));

    // The provider claims; the consumer's next call is re-signed at nonce 1 by itself.
    let claimed = osiris(&market, &state, PROVIDER, &["--json", "claim"], b"");
    assert_eq!(reply(&claimed)["claimed"], Value::from((2 * PRICE).to_string()));
    let after = osiris(&market, &state, CONSUMER, &["call", "text", "Analyze"], br#"{"text": "again"}"#);
    assert_eq!(reply(&after)["words"], Value::from(1));
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(state.join(format!("channel-{channel_id}.json"))).unwrap())
            .unwrap();
    assert_eq!((record["nonce"].clone(), record["amount"].clone()), (Value::from(1), Value::from(PRICE.to_string())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepaid_calls_repeated_under_one_authorization_stop_where_it_is_used_up() {
    let market = Market::start().await;
    let (_gateway, state, channel_id) = charlie_on_text(&market, 1_000 * PRICE).await;

    // Two hundred calls under one authorization: the gateway writes its share, not each call.
    let version = || async {
        sqlx::query_scalar::<_, i64>("SELECT COALESCE((SELECT version FROM gateway_payments WHERE channel_id = $1), 0)")
            .bind(channel_id.0 as i64)
            .fetch_one(&market.pool)
            .await
            .unwrap()
    };
    let before = version().await;
    let args = ["call", "text", "Analyze", "--prepaid-calls", "200", "--repeat", "200"];
    let many = osiris(&market, &state, CONSUMER, &args, br#"{"text": "one two"}"#);
    assert!(many.status.success(), "{many:?}");
    let writes = version().await - before;
    eprintln!("200 prepaid calls, {writes} writes of the channel's row");
    assert!(writes <= 20, "{writes} writes for 200 prepaid calls");
    market.shares_returned(channel_id).await;

    // Ten calls' worth, ten calls: all answered, the count on stderr.
    let args = ["call", "text", "Analyze", "--prepaid-calls", "10", "--repeat", "10"];
    let ten = osiris(&market, &state, CONSUMER, &args, br#"{"text": "one two"}"#);
    assert_eq!(reply(&ten)["words"], Value::from(2));
    assert!(String::from_utf8_lossy(&ten.stderr).contains("10 calls answered"), "{ten:?}");
    // Five more calls' worth cannot be stretched to six: the sixth is refused, nothing more is spent.
    let args = ["call", "text", "Analyze", "--prepaid-calls", "5", "--repeat", "6"];
    let six = osiris(&market, &state, CONSUMER, &args, br#"{"text": "one two"}"#);
    assert!(!six.status.success());
    assert!(String::from_utf8_lossy(&six.stderr).contains("used up"), "{six:?}");
    market.shares_returned(channel_id).await;
    let spent: String = sqlx::query_scalar("SELECT spent::text FROM gateway_payments WHERE channel_id = $1")
        .bind(channel_id.0 as i64)
        .fetch_one(&market.pool)
        .await
        .unwrap();
    assert_eq!(spent, (215 * PRICE).to_string());
}
