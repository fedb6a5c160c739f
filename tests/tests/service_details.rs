//! A market shows what a provider says about its service, and only that: Bob describes
//! `acme/primes` in a metadata document, publishes its hash in the registry and serves the
//! file from his gateway; the indexer fetches it, checks the hash and shows it, and people
//! find the service by words, tags and kind.
//!
//! The attacks: a gateway that serves other bytes than the registry's hash names (a
//! document altered after it was published, or an endpoint that was taken over) gets
//! nothing shown, and a service keeps its old details no longer than its hash does: once
//! Bob publishes a new hash, the old document disappears until the new one is served.

use osiris_e2e::{actor, example_service, spawn_primes, Market, PROVIDER};
use osiris_gateway::config::ServiceType;
use osiris_gateway_client::document::content_hash;
use osiris_indexer::describe::Describer;
use serde_json::Value;
use std::time::Duration;

const PRICE: u128 = 1_000;

const PRIMES_DOC: &str = r#"{"description":"Factorizes integers up to 2^64 and tells whether they are prime.","tags":["math","primes"],"docs_url":"https://acme.example/primes","contact":"mailto:ops@acme.example"}"#;
const ALTERED_DOC: &str =
    r#"{"description":"The fastest and cheapest service on the market. Trust us.","tags":["math","featured"]}"#;
const ECHO_DOC: &str = r#"{"description":"Returns what it is sent, for testing clients.","tags":["testing"]}"#;

async fn get(http: &reqwest::Client, url: &str) -> (u16, Value) {
    let response = http.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_described_service_is_shown_and_found_and_a_document_that_does_not_match_its_hash_is_not() {
    let market = Market::start().await;
    let upstream = spawn_primes().await;
    let primes = market.offer_api("acme", "primes", "default", PRICE, 1, content_hash(PRIMES_DOC.as_bytes())).await;
    // The registry names ECHO_DOC for `acme/echo`, but its gateway serves something else.
    let echo = market.offer_api("acme", "echo", "default", PRICE, 1, content_hash(ECHO_DOC.as_bytes())).await;
    let plain = market.offer("acme", "plain", PRICE, 1).await;
    let mut gateways = Vec::new();
    for (offer, document) in [(&primes, Some(PRIMES_DOC)), (&echo, Some(ALTERED_DOC)), (&plain, None)] {
        let mut service = example_service(ServiceType::Grpc, &upstream, "primes.proto");
        if let Some(document) = document {
            let path = market.dir.path().join(format!("{}.json", offer.service_id));
            std::fs::write(&path, document).unwrap();
            service.metadata_file = Some(path);
        }
        gateways.push(market.start_gateway(market.gateway_config(offer, 0, service)).await);
    }

    let describer = Describer { pool: market.pool.clone(), interval: Duration::from_millis(100) };
    assert_eq!(describer.pass().await.unwrap(), 3, "each service is checked once");
    assert_eq!(describer.pass().await.unwrap(), 0, "and not again while its hash and name stand");

    let indexer = market.serve_indexer_api().await;
    let http = reqwest::Client::new();
    let (status, service) = get(&http, &format!("{indexer}/v1/services/acme/primes")).await;
    assert_eq!(status, 200);
    let details = &service["details"];
    assert_eq!(details["status"], "verified");
    assert_eq!(details["description"], "Factorizes integers up to 2^64 and tells whether they are prime.");
    assert_eq!(details["tags"], serde_json::json!(["math", "primes"]));
    assert_eq!(details["contact"], "mailto:ops@acme.example");
    assert_eq!(details["service_type"], "grpc");

    // The altered document is not shown, and the reason names both hashes.
    let (_, echo_service) = get(&http, &format!("{indexer}/v1/services/acme/echo")).await;
    let details = &echo_service["details"];
    assert_eq!(details["status"], "mismatch");
    assert!(details["description"].is_null() && details["tags"] == serde_json::json!([]));
    let detail = details["detail"].as_str().unwrap();
    assert!(detail.contains(&hex::encode(content_hash(ECHO_DOC.as_bytes()))), "{detail}");
    assert!(detail.contains(&hex::encode(content_hash(ALTERED_DOC.as_bytes()))), "{detail}");
    let (_, plain_service) = get(&http, &format!("{indexer}/v1/services/acme/plain")).await;
    assert_eq!(plain_service["details"]["status"], "none");

    // Found by words (stemmed: "factorize" finds "Factorizes"), by its name, by tag and kind;
    // the altered document's words and tags find nothing.
    let search = |query: &str| {
        let url = format!("{indexer}/v1/services?{query}");
        let http = http.clone();
        async move { get(&http, &url).await }
    };
    assert_eq!(ids(&search("q=factorize").await.1), ["primes"]);
    assert_eq!(ids(&search("q=cheapest%20trust").await.1), Vec::<String>::new());
    assert_eq!(ids(&search("tag=math").await.1), ["primes"]);
    assert_eq!(ids(&search("tag=featured").await.1), Vec::<String>::new());
    assert_eq!(ids(&search("q=echo").await.1), ["echo"], "a service without details is found by its name");
    assert_eq!(ids(&search("type=calls").await.1), ["primes", "echo", "plain"]);
    assert_eq!(ids(&search("type=jobs").await.1), Vec::<String>::new());
    // Ranked: the name match (weight A) comes before the description match (weight C).
    let (_, ranked) = search("q=primes%20OR%20prime&limit=1").await;
    assert_eq!(ids(&ranked), ["primes"]);
    let cursor = ranked["next_cursor"].as_str().unwrap().to_string();
    assert_eq!(cursor.split('.').count(), 3, "a ranked cursor: {cursor}");
    let (status, next) = search(&format!("q=primes%20OR%20prime&limit=1&cursor={cursor}")).await;
    assert_eq!((status, ids(&next)), (200, Vec::<String>::new()));
    // Bad input is refused by name.
    let (status, error) = search("q=%07bell").await;
    assert_eq!(status, 400);
    assert_eq!(error["field"], "q", "{error}");
    let (status, error) = search("tag=Math").await;
    assert_eq!((status, error["field"].as_str()), (400, Some("tag")));

    // Bob publishes a new document's hash but his gateway still serves the old file: the old
    // details are no longer shown.
    let registry = market.osiris.registry();
    let mut metadata = registry.get_service("acme", "primes").await.unwrap().unwrap().metadata;
    metadata.content_hash = content_hash(br#"{"description":"Version two."}"#);
    let outcome = registry.update_service_metadata(&actor(PROVIDER), "acme", "primes", metadata).await.unwrap();
    market.wait_for_block(outcome.block_number).await;
    assert_eq!(describer.pass().await.unwrap(), 1, "the new hash is checked");
    let (_, service) = get(&http, &format!("{indexer}/v1/services/acme/primes")).await;
    assert_eq!(service["details"]["status"], "mismatch");
    assert!(service["details"]["description"].is_null());
    assert_eq!(ids(&search("q=factorize").await.1), Vec::<String>::new());
    for gateway in gateways {
        gateway.stop().await;
    }
}
