//! Search benchmark: the REST API's services list and search with many registered services,
//! on a real PostgreSQL (no chain needed).
//!
//! The services are written through the indexer's own write path — `ServiceCreated` events
//! committed block by block by `Store::commit_block`, their documents by the describer's
//! `describe::record` — then the API is served in-process on port 0 and asked, one request
//! at a time: the first catalogue page (`/v1/services`, 50 services, creation order, the
//! baseline), a search of one word from the documents' vocabulary (`q=`, ranked), a tag,
//! and a search sorted by price. Reported: p50 / p95 / p99 per request kind, and the first
//! catalogue page's size (uncompressed JSON). Then, when the market's web application is
//! built (`scripts/build-web.sh`) and chromium installed, the page itself: Playwright opens
//! the catalogue in a fresh browser three times (web/bench/catalogue.spec.ts) and reports
//! the time from navigation until its cards are shown and the bytes transferred (compressed).
//!
//! `cargo bench -p osiris-indexer --bench search` (BENCH_SERVICES, default 1,000;
//! BENCH_REQUESTS per kind, default 300).

use osiris_contract_types::registry::{InstanceGroup, ServiceCreated, ServiceMetadata};
use osiris_e2e::TestDatabase;
use osiris_gateway_client::document::{content_hash, ServiceDocument};
use osiris_indexer::api::{self, AppState};
use osiris_indexer::decode::{ContractKind, OsirisEvent, RegistryEvent};
use osiris_indexer::describe::{record, Described, Found};
use osiris_indexer::follower::Progress;
use osiris_indexer::store::ingest::{Block, BlockEvent};
use osiris_indexer::store::Store;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Words the descriptions are made of; each search asks for one.
const WORDS: [&str; 24] = [
    "translate",
    "speech",
    "image",
    "classify",
    "weather",
    "forecast",
    "primes",
    "factorize",
    "summarize",
    "embedding",
    "vector",
    "audio",
    "video",
    "transcode",
    "storage",
    "archive",
    "genome",
    "protein",
    "fraud",
    "detect",
    "recommend",
    "search",
    "ocr",
    "sentiment",
];
const TAGS: [&str; 8] = ["nlp", "vision", "math", "audio", "science", "finance", "data", "ml"];
/// Services per block written.
const SERVICES_PER_BLOCK: usize = 100;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

#[tokio::main]
async fn main() {
    let services = env_or("BENCH_SERVICES", 1_000);
    let requests = env_or("BENCH_REQUESTS", 300);
    let db = TestDatabase::create().await;
    let store = Store::connect(&db.url, 8).await.expect("store");

    // The registry's events, through the indexer's write path.
    let genesis = [7u8; 32];
    let recipient = osiris_contract_types::AccountId::from([9u8; 32]);
    let mut documents = Vec::with_capacity(services);
    let started = Instant::now();
    for (block, chunk) in (0..services).collect::<Vec<_>>().chunks(SERVICES_PER_BLOCK).enumerate() {
        let mut events = Vec::new();
        for &i in chunk {
            let words: Vec<&str> = (0..12).map(|k| WORDS[(i * 7 + k * 5) % WORDS.len()]).collect();
            let doc = ServiceDocument {
                description: format!("Service {i}: {}.", words.join(" ")),
                tags: vec![TAGS[i % TAGS.len()].into(), TAGS[(i / 3) % TAGS.len()].into()],
                docs_url: Some(format!("https://provider{i}.example/docs")),
                contact: None,
                image_url: None,
            };
            let bytes = serde_json::to_vec(&doc).unwrap();
            let metadata = ServiceMetadata {
                name: format!("{} {}", words[0], words[1]),
                uri: String::new(),
                content_hash: content_hash(&bytes),
                price_per_call: 1_000 + (i as u128 * 7_919) % 100_000,
            };
            let group = InstanceGroup {
                id: "default".into(),
                payment_recipient: recipient,
                endpoints: vec![format!("http://10.0.{}.{}:7000", i / 250, i % 250)],
            };
            let event = ServiceCreated {
                org_id: format!("org{}", i % 50),
                service_id: format!("svc{i}"),
                metadata,
                groups: vec![group],
            };
            documents.push((event.org_id.clone(), event.service_id.clone(), event.metadata.clone(), doc));
            events.push(BlockEvent {
                event_index: events.len() as u32,
                extrinsic_index: Some(0),
                contract: "bench".into(),
                kind: ContractKind::Registry,
                topics: Vec::new(),
                data: Vec::new(),
                decoded: Some(OsirisEvent::Registry(RegistryEvent::ServiceCreated(event))),
            });
        }
        let block = Block { number: block as u64 + 1, hash: [block as u8; 32], events };
        store.commit_block(&genesis, &block).await.expect("commit");
    }
    for (org_id, service_id, metadata, doc) in &documents {
        let service = Described {
            org_id,
            service_id,
            name: &metadata.name,
            content_hash: &metadata.content_hash,
            service_type: Some("grpc"),
        };
        let found = Found::Verified { endpoint: "http://10.0.0.1:7000".into(), document: doc.clone() };
        record(&store.pool, &service, &found).await.expect("record");
    }
    println!("{services} services written in {:.1} s (events, then documents)", started.elapsed().as_secs_f64());

    // The API names the contracts and the chain it mirrors; none exists here.
    let contract = |b: u8| osiris_chain::deployment::DeployedContract {
        address: osiris_chain::AccountId::from([b; 32]),
        code_hash: String::new(),
        block: 0,
    };
    let deployment = osiris_chain::Deployment {
        genesis_hash: format!("0x{}", hex::encode(genesis)),
        node_url: String::new(),
        registry: contract(1),
        escrow: contract(2),
        agreements: None,
        ddc: None,
    };
    let state = AppState::new(store.clone(), Arc::new(Progress::default()), &deployment, None);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let web = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../web"));
    let site = api::site::Site { web_dir: web.join("dist"), contracts_dir: web.join("dist") };
    let app = api::app(state, &["*".into()], Some(&site)).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let http = reqwest::Client::new();

    let first_page = http.get(format!("{url}/v1/services")).send().await.unwrap().bytes().await.unwrap();
    println!("first catalogue page: 50 services, {} KiB of JSON (uncompressed)", first_page.len() / 1024);
    let kinds: [(&str, Box<dyn Fn(usize) -> String>); 4] = [
        ("catalogue page (baseline)", Box::new(|_| "/v1/services".to_string())),
        ("search one word", Box::new(|i| format!("/v1/services?q={}", WORDS[i % WORDS.len()]))),
        ("tag", Box::new(|i| format!("/v1/services?tag={}", TAGS[i % TAGS.len()]))),
        ("search sorted by price", Box::new(|i| format!("/v1/services?q={}&sort=price", WORDS[i % WORDS.len()]))),
    ];
    for (name, path) in &kinds {
        let mut times = Vec::with_capacity(requests);
        for i in 0..requests {
            let started = Instant::now();
            let response = http.get(format!("{url}{}", path(i))).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200, "{}", path(i));
            let _ = response.bytes().await.unwrap();
            times.push(started.elapsed());
        }
        times.sort();
        println!(
            "{name:<28} p50 {}  p95 {}  p99 {}",
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.95)),
            ms(percentile(&times, 0.99))
        );
    }
    page_load(&web, &url).await;
}

/// The catalogue page in a real browser (see the module docs); skipped, saying why, when
/// the web application is not built or chromium is missing.
async fn page_load(web: &std::path::Path, url: &str) {
    let playwright = web.join("node_modules/.bin/playwright");
    if !web.join("dist/index.html").is_file()
        || !playwright.is_file()
        || !std::path::Path::new("/usr/bin/chromium").is_file()
    {
        println!("catalogue page in a browser: skipped (run scripts/build-web.sh; chromium from scripts/setup.sh)");
        return;
    }
    let output = tokio::process::Command::new(playwright)
        .args(["test", "--config", "playwright.config.ts"])
        .current_dir(web)
        .env("OSIRIS_WEB_BENCH", "1")
        .env("OSIRIS_MARKET_URL", url)
        .output()
        .await
        .expect("run Playwright");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "the page benchmark failed:\n{text}\n{}", String::from_utf8_lossy(&output.stderr));
    for line in text.lines().filter(|l| l.trim_start().starts_with("catalogue page")) {
        println!("{}", line.trim());
    }
}
