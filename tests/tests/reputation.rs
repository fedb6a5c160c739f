//! A market's figures are facts, not opinions: consumers, channels and claims come from
//! the chain, uptime from the indexer's own health probes of every endpoint. Bob sells
//! `acme/primes` (his gateway up) and `acme/sleepy` (registered, but nothing answers);
//! Charlie and Dave open channels to primes and Bob claims from Charlie's.
//!
//! The attack: Bob opens a channel to his own service to look busier. It counts for
//! nothing — not a consumer, not a channel, not a planck.
//!
//! Storage: Bob's `acme/vault` answers where his ddc node does, so it serves the buckets of
//! the cluster holding that node. Eve lists the same address for her own service to borrow
//! the figure; she owns no node there, so she gets none of it.

use osiris_chain::{account::to_ink, Nonce};
use osiris_contract_types::registry::{InstanceGroup, OrgMetadata, ServiceMetadata};
use osiris_e2e::{actor, actor_account, example_service, payment_key, spawn_primes, Market, PROVIDER, UNIT};
use osiris_gateway::config::ServiceType;
use osiris_indexer::reputation::Reputation;
use serde_json::Value;
use std::time::Duration;

async fn get(http: &reqwest::Client, url: &str) -> Value {
    let response = http.get(url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "{url}");
    response.json().await.unwrap()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_come_from_the_chain_and_the_probes_and_a_provider_paying_itself_adds_nothing() {
    let market = Market::start().await;
    let primes = market.offer_api("acme", "primes", "eu", 2_000, 1, [0; 32]).await;
    let sleepy = market.offer_api("acme", "sleepy", "us", 1_000, 1, [0; 32]).await;
    // Nobody serves sleepy's endpoint: its listener is closed.
    market.release(sleepy.endpoints[0].trim_start_matches("http://").parse().unwrap());
    let service = example_service(ServiceType::Grpc, &spawn_primes().await, "primes.proto");
    let gateway = market.start_gateway(market.gateway_config(&primes, 0, service)).await;

    let (charlie_key, dave_key, bob_key) = (payment_key(), payment_key(), payment_key());
    let charlies = market.open_channel(&actor("//Charlie"), &charlie_key, &primes, UNIT, 1_000).await;
    market.open_channel(&actor("//Dave"), &dave_key, &primes, UNIT, 1_000).await;
    // Bob, the provider, opens a channel to his own group and claims from it.
    let bobs = market.open_channel(&actor(PROVIDER), &bob_key, &primes, UNIT, 1_000).await;
    let escrow = market.osiris.escrow();
    let address = market.osiris.deployment.escrow.address;
    let claimed = 3 * 2_000;
    let signature = charlie_key.sign(&address, charlies, Nonce(0), claimed);
    escrow.channel_claim(&actor(PROVIDER), charlies, claimed, claimed, signature, false).await.unwrap();
    let own = bob_key.sign(&address, bobs, Nonce(0), UNIT / 2);
    let outcome = escrow.channel_claim(&actor(PROVIDER), bobs, UNIT / 2, UNIT / 2, own, false).await.unwrap();
    market.wait_for_block(outcome.block_number).await;

    let reputation = Reputation { pool: market.pool.clone(), interval: Duration::from_secs(60) };
    let probes = reputation.pass().await.unwrap();
    assert_eq!(probes.len(), 2, "each registered endpoint is probed: {probes:?}");
    assert!(probes.iter().any(|p| p.endpoint == primes.endpoints[0] && p.up));
    let down = probes.iter().find(|p| p.endpoint == sleepy.endpoints[0]).unwrap();
    assert!(!down.up && down.detail.is_some(), "{down:?}");

    let indexer = market.serve_indexer_api().await;
    let http = reqwest::Client::new();
    let figures = get(&http, &format!("{indexer}/v1/services/acme/primes")).await["reputation"].clone();
    assert_eq!(figures["consumers"], 2, "Charlie and Dave; Bob paying himself is no consumer: {figures}");
    assert_eq!(figures["channels"], 2);
    assert_eq!(figures["claimed"], claimed.to_string(), "his own claim adds nothing");
    assert_eq!(figures["uptime_24h"], 100.0);
    assert_eq!(figures["uptime_30d"], 100.0);
    assert!(figures["last_seen"].is_string() && figures["updated_at"].is_string());
    let figures = get(&http, &format!("{indexer}/v1/services/acme/sleepy")).await["reputation"].clone();
    assert_eq!((figures["consumers"].as_u64(), figures["uptime_24h"].as_f64()), (Some(0), Some(0.0)));
    assert!(figures["last_seen"].is_null(), "never seen up: {figures}");
    let figures = get(&http, &format!("{indexer}/v1/organizations/acme")).await["reputation"].clone();
    assert_eq!((figures["consumers"].as_u64(), figures["channels"].as_u64()), (Some(2), Some(2)));
    assert_eq!(figures["uptime_24h"], 50.0, "one of its two endpoints serves");

    // Sorted by the figures, and paged exactly.
    assert_eq!(ids(&get(&http, &format!("{indexer}/v1/services?sort=uptime")).await), ["primes", "sleepy"]);
    assert_eq!(ids(&get(&http, &format!("{indexer}/v1/services?sort=consumers")).await), ["primes", "sleepy"]);
    let first = get(&http, &format!("{indexer}/v1/services?sort=price&limit=1")).await;
    assert_eq!(ids(&first), ["sleepy"], "the cheaper first");
    let cursor = first["next_cursor"].as_str().unwrap();
    assert_eq!(cursor.split('.').next(), Some("1000"), "the key is the price: {cursor}");
    let second = get(&http, &format!("{indexer}/v1/services?sort=price&limit=1&cursor={cursor}")).await;
    assert_eq!(ids(&second), ["primes"]);

    // The gateway stops: the next probe finds it down, and its uptime falls.
    gateway.stop().await;
    reputation.pass().await.unwrap();
    let figures = get(&http, &format!("{indexer}/v1/services/acme/primes")).await["reputation"].clone();
    assert_eq!(figures["uptime_24h"], 50.0, "one probe up, one down: {figures}");
    assert!(figures["last_seen"].is_string(), "it was seen before");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storage_node_serves_its_clusters_buckets_and_nobody_borrows_the_figure() {
    let market = Market::start().await;
    let vault = market.offer("acme", "vault", 1_000, 1).await;
    market.offer("acme", "primes", 1_000, 1).await;
    let node_url = vault.endpoints[0].clone();

    // Bob's node answers at vault's endpoint; Dave forms a cluster of it and Alice's node.
    let ddc = market.osiris.ddc();
    let (bob, dave) = (actor(PROVIDER), actor("//Dave"));
    let bobs = ddc.node_create(&bob, 100, 1, &node_url).await.unwrap().value;
    let alices = ddc.node_create(&actor("//Alice"), 100, 1, "http://127.0.0.1:9").await.unwrap().value;
    for provider in [&bob, &actor("//Alice")] {
        ddc.node_trust_manager(provider, &actor_account("//Dave"), true).await.unwrap();
    }
    let cluster = ddc.cluster_create(&dave, vec![bobs, alices], 10, 1).await.unwrap().value;
    // Charlie rents two buckets, Ferdie one; a second cluster without Bob's node has one more.
    for (who, name) in [("//Charlie", "photos"), ("//Charlie", "music"), ("//Ferdie", "logs")] {
        ddc.bucket_create(&actor(who), cluster, name).await.unwrap();
    }
    let other = ddc.cluster_create(&dave, vec![alices], 10, 1).await.unwrap().value;
    ddc.bucket_create(&actor("//Charlie"), other, "elsewhere").await.unwrap();

    // Eve registers her own organization with a service at Bob's node's address.
    let eve = actor("//Eve");
    let registry = market.osiris.registry();
    let meta = OrgMetadata { name: "evil inc.".into(), uri: String::new(), content_hash: [0; 32] };
    registry.create_org(&eve, "evil", meta, &[]).await.unwrap();
    let group = InstanceGroup {
        id: "default".into(),
        payment_recipient: to_ink(&actor_account("//Eve")),
        endpoints: vec![node_url.clone()],
    };
    let metadata =
        ServiceMetadata { name: "copy".into(), uri: String::new(), content_hash: [0; 32], price_per_call: 1 };
    let outcome = registry.create_service(&eve, "evil", "copy", metadata, vec![group]).await.unwrap();
    market.wait_for_block(outcome.block_number).await;

    Reputation { pool: market.pool.clone(), interval: Duration::from_secs(60) }.refresh().await.unwrap();
    let indexer = market.serve_indexer_api().await;
    let http = reqwest::Client::new();
    let figures = |path: &str| {
        let (http, url) = (http.clone(), format!("{indexer}{path}"));
        async move { get(&http, &url).await["reputation"]["buckets_served"].as_u64() }
    };
    assert_eq!(figures("/v1/services/acme/vault").await, Some(3), "the three buckets of the node's cluster");
    assert_eq!(figures("/v1/services/acme/primes").await, Some(0));
    assert_eq!(figures("/v1/organizations/acme").await, Some(3));
    assert_eq!(figures("/v1/services/evil/copy").await, Some(0), "an address is not a node");
    assert_eq!(figures("/v1/organizations/evil").await, Some(0));

    // type=storage lists the storage node's service, and only it.
    assert_eq!(ids(&get(&http, &format!("{indexer}/v1/services?type=storage")).await), ["vault"]);
}
