//! The market in a real browser: Playwright drives Debian's chromium (headless) through
//! web/tests/market.spec.ts against the real stack this test starts — a dev chain with the
//! contracts, PostgreSQL, the indexer serving the built web application (web/dist) and the
//! contracts' metadata, and Bob's gateway in front of the primes example.
//!
//! In the browser, Charlie finds `acme/primes`, makes its one free call without a wallet
//! (the second is refused), then buys it and makes three paid calls; his
//! fourth call (beyond the channel's value) and a call from Dave's channel with Charlie's
//! key are refused in words; Bob claims from his provider view. Here, after the browser is
//! done, the chain says what it must: Bob claimed exactly three prices, Charlie's channel
//! lost exactly that, and Dave's channel (the stranger's) lost nothing.
//!
//! A second story: Eve's bucket, stored on two ddc nodes, is listed and an object downloaded
//! from her "My deals" page, the requests signed in the browser with her account key; the
//! downloaded bytes are the ones she stored.
//!
//! Needs `scripts/build-web.sh` (npm ci, the build) and chromium (`scripts/setup.sh`).
//! Screenshots go to `target/market-web/` (or `OSIRIS_WEB_ARTIFACTS`).

use osiris_contract_types::ddc::NodeId;
use osiris_e2e::{
    actor, actor_account, example_service, payment_key, spawn_object_store, spawn_primes, Market, PROVIDER, UNIT,
};
use osiris_gateway::config::ServiceType;
use osiris_gateway_client::document::content_hash;
use osiris_gateway_client::storage::{Source, Storage};
use osiris_indexer::api::site::Site;
use osiris_indexer::describe::Describer;
use osiris_indexer::reputation::Reputation;
use osiris_payments::signing::account::AccountKey;
use std::path::PathBuf;
use std::time::Duration;

/// Planck per call: 0.001 UNIT.
const PRICE: u128 = 1_000_000_000;
/// Dave's channel, the one Charlie's browser tries to spend.
const STRANGER_VALUE: u128 = 50 * PRICE;
const CHROMIUM: &str = "/usr/bin/chromium";

const PRIMES_DOC: &str = r#"{"description":"Factorizes integers up to 2^64 and tells whether they are prime.","tags":["math","primes"],"docs_url":"https://acme.example/primes"}"#;

fn web_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../web"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_buys_and_calls_in_the_browser_and_the_provider_claims_there() {
    let web = prerequisites();
    let market = Market::start().await;
    let upstream = spawn_primes().await;
    let offer = market.offer_api("acme", "primes", "default", PRICE, 1, content_hash(PRIMES_DOC.as_bytes())).await;
    let mut service = example_service(ServiceType::Grpc, &upstream, "primes.proto");
    let document = market.dir.path().join("primes.json");
    std::fs::write(&document, PRIMES_DOC).unwrap();
    service.metadata_file = Some(document);
    let mut config = market.gateway_config(&offer, 0, service);
    // One free call a day for any key (no token): the page offers it without a wallet.
    config.free_calls.per_period = 1;
    config.free_calls.need_token = false;
    let _gateway = market.start_gateway(config).await;

    // Dave, a stranger to Charlie, has a channel of his own to the same group.
    let dave = actor("//Dave");
    let stranger = market.open_channel(&dave, &payment_key(), &offer, STRANGER_VALUE, 1_000).await;

    Describer { pool: market.pool.clone(), interval: Duration::from_secs(1) }.pass().await.unwrap();
    Reputation { pool: market.pool.clone(), interval: Duration::from_secs(1) }.pass().await.unwrap();
    let site =
        Site { web_dir: web.join("dist"), contracts_dir: osiris_chain::artifacts::contracts_dir().join("target/ink") };
    let url = market.serve_indexer(Some(&site)).await;

    let artifacts = browser_story(
        &web,
        "tests/market.spec.ts",
        &url,
        &[("OSIRIS_PRICE", PRICE.to_string()), ("OSIRIS_STRANGER_CHANNEL", stranger.to_string())],
    )
    .await;
    for page in ["catalogue", "service", "refused-beyond-value", "refused-stranger-channel", "deals", "provider"] {
        assert!(artifacts.join(format!("{page}.png")).is_file(), "no screenshot of {page}");
    }

    // What the chain says after the browser: Bob has exactly three prices in escrow,
    // Charlie's channel gave exactly those, Dave's gave nothing and stayed at nonce 0.
    let escrow = market.osiris.escrow();
    assert_eq!(escrow.balance_of(&actor_account(PROVIDER)).await.unwrap(), 3 * PRICE);
    let charlie = actor_account("//Charlie");
    let page =
        osiris_mirror::channels::channel_ids_paying(&market.pool, &actor_account(PROVIDER).to_string()).await.unwrap();
    let mut charlies = Vec::new();
    for id in page {
        let channel = escrow.channel(id).await.unwrap().unwrap();
        if channel.sender == osiris_chain::account::to_ink(&charlie) {
            charlies.push(channel);
        }
    }
    assert_eq!(charlies.len(), 1, "Charlie opened one channel");
    assert_eq!(charlies[0].value, PRICE * 7 / 2 - 3 * PRICE);
    let daves = escrow.channel(stranger).await.unwrap().unwrap();
    assert_eq!((daves.value, daves.nonce.0), (STRANGER_VALUE, 0));
}

/// Runs one Playwright spec of web/tests against the market at `url` with `env`; panics
/// with Playwright's report if it fails. The screenshots' folder.
async fn browser_story(web: &std::path::Path, spec: &str, url: &str, env: &[(&str, String)]) -> PathBuf {
    let artifacts = std::env::var_os("OSIRIS_WEB_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/market-web")));
    std::fs::create_dir_all(&artifacts).unwrap();
    let mut command = tokio::process::Command::new(web.join("node_modules/.bin/playwright"));
    command
        .args(["test", "--config", "playwright.config.ts", spec])
        .current_dir(web)
        .env("OSIRIS_MARKET_URL", url)
        .env("OSIRIS_WEB_ARTIFACTS", &artifacts)
        .env(
            "OSIRIS_WEB_RESULTS",
            artifacts.join("results").join(spec.trim_start_matches("tests/").trim_end_matches(".spec.ts")),
        )
        .env("OSIRIS_CHROMIUM", CHROMIUM)
        .kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().await.expect("run Playwright");
    let said = format!("{}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success(),
        "the browser story {spec} failed (screenshots in {}):\n{said}",
        artifacts.display()
    );
    artifacts
}

fn prerequisites() -> PathBuf {
    let web = web_dir();
    assert!(
        web.join("dist/index.html").is_file() && web.join("node_modules/.bin/playwright").is_file(),
        "the web application is not built: run scripts/build-web.sh"
    );
    assert!(std::path::Path::new(CHROMIUM).is_file(), "chromium is not installed: run scripts/setup.sh");
    web
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_owner_lists_and_downloads_her_objects_in_the_browser() {
    let web = prerequisites();
    let market = Market::start().await;
    let ddc = market.osiris.ddc();
    let (bob, charlie, dave, eve) = (actor("//Bob"), actor("//Charlie"), actor("//Dave"), actor("//Eve"));
    let urls = [market.reserve_gateway_url(), market.reserve_gateway_url()];
    ddc.node_create(&bob, 100, UNIT / 1_000, &urls[0]).await.unwrap();
    ddc.node_create(&charlie, 100, UNIT / 1_000, &urls[1]).await.unwrap();
    for provider in [&bob, &charlie] {
        ddc.node_trust_manager(provider, &actor_account("//Dave"), true).await.unwrap();
    }
    let cluster = ddc.cluster_create(&dave, [0, 1, 0, 1].map(NodeId).to_vec(), 10, 1_000).await.unwrap().value;
    let bucket = ddc.bucket_create(&eve, cluster, "photos").await.unwrap().value;
    ddc.account_deposit(&eve, 5 * UNIT).await.unwrap();
    let last = ddc.bucket_alloc_into_cluster(&eve, bucket, 8).await.unwrap();
    market.wait_for_block(last.block_number).await;
    let stores = [spawn_object_store().await, spawn_object_store().await];
    let _nodes = [
        market.start_gateway(market.node_gateway_config(&urls[0], NodeId(0), "//Bob", &stores[0].url)).await,
        market.start_gateway(market.node_gateway_config(&urls[1], NodeId(1), "//Charlie", &stores[1].url)).await,
    ];
    // Eve stores a note with the CLI's library: two replicas.
    let note: Vec<u8> = (0..40 * 1024u32).map(|i| b'a' + (i % 26) as u8).collect();
    let eves = Storage {
        ddc: *ddc.address(),
        key: AccountKey::from_uri("//Eve").unwrap(),
        vnodes: [0, 1, 0, 1].map(NodeId).to_vec(),
        nodes: [(NodeId(0), urls[0].clone()), (NodeId(1), urls[1].clone())].into(),
        replicas: 2,
        ca_file: None,
        connections: Default::default(),
    };
    let stored = eves.put(bucket, "notes/alphabet.txt", &Source::Bytes(note.clone().into())).await.unwrap();
    assert_eq!(stored.nodes.len(), 2);

    let site =
        Site { web_dir: web.join("dist"), contracts_dir: osiris_chain::artifacts::contracts_dir().join("target/ink") };
    let url = market.serve_indexer(Some(&site)).await;
    let expected = market.dir.path().join("expected.txt");
    std::fs::write(&expected, &note).unwrap();
    let artifacts = browser_story(
        &web,
        "tests/buckets.spec.ts",
        &url,
        &[("OSIRIS_BUCKET", bucket.to_string()), ("OSIRIS_EXPECTED_FILE", expected.display().to_string())],
    )
    .await;
    assert!(artifacts.join("buckets.png").is_file());
}

/// The browser's channel signatures are byte for byte the contracts' (the pinned vector),
/// and a gateway's account of what was signed is believed only with the key's signature.
#[tokio::test]
async fn the_browser_signs_as_the_contracts_do_and_believes_no_amount_it_did_not_sign() {
    let web = prerequisites();
    // No page is opened: the spec runs in Node against the web application's own modules.
    browser_story(&web, "tests/keys.spec.ts", "http://127.0.0.1:9", &[]).await;
}
