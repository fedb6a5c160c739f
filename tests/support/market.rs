//! `Market`: the whole stack of a paid call — a chain with the contracts, a database of
//! its own, the indexer following the chain into it (in this process), and gateways in
//! front of real services. A gateway's address is registered on chain before the gateway
//! starts, so [`Market::offer`] binds the listeners first (port 0) and keeps them until
//! [`Market::start_gateway`] hands them over: no port is picked and bound later.

use crate::{actor, actor_account, Osiris, TestDatabase};
use osiris_chain::{AccountId, Balance, ChannelId, Signer};
use osiris_contract_types::registry::{InstanceGroup, OrgMetadata, ServiceMetadata};
use osiris_gateway::config::{Config, ServiceConfig, ServiceType};
use osiris_indexer::follower::{Follower, Progress};
use osiris_indexer::store::Store;
use osiris_payments::signing::channel::PaymentKey;
use sqlx::PgPool;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// The provider of the stories: owns the organization and receives the payments.
pub const PROVIDER: &str = "//Bob";
/// The consumer of the stories: opens channels and pays for calls.
pub const CONSUMER: &str = "//Charlie";

pub struct Market {
    pub osiris: Osiris,
    pub db: TestDatabase,
    pub pool: PgPool,
    /// Holds the deployment file and whatever else a test writes.
    pub dir: tempfile::TempDir,
    pub deployment_file: PathBuf,
    store: Store,
    progress: Arc<Progress>,
    stop: CancellationToken,
    /// Gateway listeners bound by `offer`, until a gateway takes them.
    pub(crate) reserved: Mutex<HashMap<SocketAddr, std::net::TcpListener>>,
}

/// A service registered by [`Market::offer`].
#[derive(Debug, Clone)]
pub struct Offer {
    pub org_id: String,
    pub service_id: String,
    pub group_id: String,
    pub price: Balance,
    /// The gateway URLs registered for the group.
    pub endpoints: Vec<String>,
}

/// A gateway running in this process.
pub struct RunningGateway {
    pub url: String,
    pub config: Config,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl RunningGateway {
    /// Stops accepting and waits for the server to end.
    pub async fn stop(mut self) {
        self.stop.cancel();
        let _ = (&mut self.task).await;
    }
}

impl Drop for RunningGateway {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl Drop for Market {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl Market {
    /// Chain, contracts, database and indexer.
    pub async fn start() -> Self {
        let osiris = Osiris::start().await;
        let db = TestDatabase::create().await;
        let dir = tempfile::tempdir().unwrap();
        let deployment_file = dir.path().join("deployment.json");
        osiris.deployment.save(&deployment_file).unwrap();
        let store = Store::connect(&db.url, 4).await.expect("indexer store");
        let api = osiris_indexer::follower::connect(&osiris.node.url).await.expect("indexer connection");
        let follower = Follower::new(api, store.clone(), &osiris.deployment, Arc::new(Progress::default()));
        let progress = follower.progress.clone();
        let stop = CancellationToken::new();
        let token = stop.clone();
        tokio::spawn(async move {
            if let Err(e) = follower.run(token).await {
                eprintln!("indexer stopped: {e}");
            }
        });
        let pool = store.pool.clone();
        Self { osiris, db, pool, dir, deployment_file, store, progress, stop, reserved: Mutex::default() }
    }

    /// Waits until the indexer has mirrored block `number`.
    pub async fn wait_for_block(&self, number: u64) {
        let started = Instant::now();
        loop {
            let cursor: Option<i64> =
                sqlx::query_scalar("SELECT block_number FROM indexer_cursor").fetch_optional(&self.pool).await.unwrap();
            if cursor.is_some_and(|b| b as u64 >= number) {
                return;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "the indexer did not reach block {number}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Serves the indexer's REST API over this market's mirror on a port of its own (bound
    /// here, in this process); its URL.
    pub async fn serve_indexer_api(&self) -> String {
        self.serve_indexer(None).await
    }

    /// Serves the indexer's REST API with the market's web application and the contracts'
    /// metadata beside it (`site`), as the indexer binary does; its URL.
    pub async fn serve_indexer(&self, site: Option<&osiris_indexer::api::site::Site>) -> String {
        let state = osiris_indexer::api::AppState::new(
            self.store.clone(),
            self.progress.clone(),
            &self.osiris.deployment,
            None,
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the indexer API");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let stop = self.stop.clone();
        let app = osiris_indexer::api::app(state, &["*".into()], site).expect("any origin");
        tokio::spawn(async move {
            axum::serve(listener, app).with_graceful_shutdown(stop.cancelled_owned()).await.expect("indexer API")
        });
        url
    }

    /// The provider registers `org/service` with one group at `price` planck per call,
    /// listing `gateways` listeners' URLs as the group's endpoints (the gateways' addresses;
    /// the listeners are bound now and kept for [`Market::start_gateway`]).
    pub async fn offer(&self, org_id: &str, service_id: &str, price: Balance, gateways: usize) -> Offer {
        self.offer_api(org_id, service_id, "default", price, gateways, [0; 32]).await
    }

    /// [`Market::offer`] with the group's id and the service's API content hash (services of
    /// one API share it).
    pub async fn offer_api(
        &self,
        org_id: &str,
        service_id: &str,
        group_id: &str,
        price: Balance,
        gateways: usize,
        content_hash: [u8; 32],
    ) -> Offer {
        let provider = actor(PROVIDER);
        let registry = self.osiris.registry();
        let org_meta = OrgMetadata { name: format!("{org_id} inc."), uri: String::new(), content_hash: [0; 32] };
        if registry.get_org(org_id).await.unwrap().is_none() {
            registry.create_org(&provider, org_id, org_meta, &[]).await.expect("create_org");
        }
        let mut endpoints = Vec::new();
        for _ in 0..gateways {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a gateway listener");
            let address = listener.local_addr().unwrap();
            endpoints.push(format!("http://{address}"));
            self.reserved.lock().unwrap().insert(address, listener);
        }
        let group = InstanceGroup {
            id: group_id.into(),
            payment_recipient: osiris_chain::account::to_ink(&actor_account(PROVIDER)),
            endpoints: endpoints.clone(),
        };
        let metadata =
            ServiceMetadata { name: service_id.into(), uri: String::new(), content_hash, price_per_call: price };
        let outcome = registry
            .create_service(&provider, org_id, service_id, metadata, vec![group])
            .await
            .expect("create_service");
        self.wait_for_block(outcome.block_number).await;
        Offer { org_id: org_id.into(), service_id: service_id.into(), group_id: group_id.into(), price, endpoints }
    }

    /// `consumer` deposits and opens a channel of `value` planck to the offer's group, signed
    /// by `key`, expiring `blocks` blocks from now; returns once the mirror has it.
    pub async fn open_channel(
        &self,
        consumer: &Signer,
        key: &PaymentKey,
        offer: &Offer,
        value: Balance,
        blocks: u32,
    ) -> ChannelId {
        let now = self.osiris.chain.block_number().await.unwrap() as u32;
        let outcome = self
            .osiris
            .escrow()
            .deposit_and_open_channel(
                consumer,
                key.signer_key(),
                &actor_account(PROVIDER),
                &offer.group_id,
                value,
                now + blocks,
            )
            .await
            .expect("deposit_and_open_channel");
        self.wait_for_block(outcome.block_number).await;
        outcome.value
    }

    /// A gateway configuration for `offer`'s endpoint `index`, in front of `service`.
    pub fn gateway_config(&self, offer: &Offer, index: usize, mut service: ServiceConfig) -> Config {
        service.org_id = offer.org_id.clone();
        service.service_id = offer.service_id.clone();
        service.group_id = offer.group_id.clone();
        let endpoint = offer.endpoints[index].clone();
        Config {
            listen: endpoint.trim_start_matches("http://").parse().unwrap(),
            public_endpoint: endpoint,
            database_url: self.db.url.clone(),
            node_url: self.osiris.node.url.clone(),
            deployment: self.deployment_file.clone(),
            expiry_threshold_blocks: 5,
            recipient: Some(actor_account(PROVIDER).to_string()),
            recipient_suri: None,
            claim_interval_secs: 0,
            metrics_listen: None,
            payment_commit: Default::default(),
            payment_durability: Default::default(),
            worker_threads: 1,
            shutdown_grace_ms: 10_000,
            rate_limit: Default::default(),
            health: Default::default(),
            service,
            ..Config::default()
        }
    }

    /// Starts a gateway in this process with `config`, on the listener `offer` bound for
    /// its address (or a new one if none is reserved).
    pub async fn start_gateway(&self, config: Config) -> RunningGateway {
        // Started here rather than inside the task, so that a gateway that cannot start
        // fails the test at once, naming why.
        let started = osiris_gateway::startup::start(&config).await.expect("gateway start");
        let stop = CancellationToken::new();
        let reserved = self.reserved.lock().unwrap().remove(&config.listen);
        let listener = match reserved {
            Some(listener) => {
                listener.set_nonblocking(true).unwrap();
                tokio::net::TcpListener::from_std(listener).expect("gateway listener")
            }
            None => tokio::net::TcpListener::bind(config.listen).await.expect("gateway listen"),
        };
        let (serving, stopping) = (config.clone(), stop.clone());
        let task = tokio::spawn(async move {
            osiris_gateway::run::serve(started, &serving, listener, stopping).await.expect("gateway run")
        });
        RunningGateway { url: config.public_endpoint.clone(), config, stop, task }
    }

    /// Gives up the listener reserved for `address`, for a gateway process that binds it
    /// itself (the one moment another program could take the port).
    pub fn release(&self, address: SocketAddr) {
        self.reserved.lock().unwrap().remove(&address);
    }

    /// Waits (up to 10 s) until no gateway replica holds a share of `channel_id`'s prepaid
    /// authorization: every call served from one is then reported in `gateway_payments`.
    pub async fn shares_returned(&self, channel_id: osiris_contract_types::ChannelId) {
        let started = Instant::now();
        loop {
            let leased: bool = sqlx::query_scalar(
                "SELECT COALESCE((SELECT leases <> '[]'::jsonb FROM gateway_payments WHERE channel_id = $1), FALSE)",
            )
            .bind(channel_id.0 as i64)
            .fetch_one(&self.pool)
            .await
            .expect("read the channel's leases");
            if !leased {
                return;
            }
            assert!(started.elapsed() < Duration::from_secs(10), "channel {channel_id}'s shares were not returned");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The provider's claimer over this market's database.
    pub fn claimer(&self) -> osiris_ledger::claims::Claimer {
        osiris_ledger::claims::Claimer {
            pool: self.pool.clone(),
            escrow: self.osiris.escrow(),
            signer: actor(PROVIDER),
            lease_wait: osiris_gateway::leases::LeaseConfig::default().claim_wait(),
            batching: Default::default(),
        }
    }
}

/// A fresh payment signer key for a consumer.
pub fn payment_key() -> PaymentKey {
    PaymentKey::generate()
}

/// The provider's account.
pub fn provider_account() -> AccountId {
    actor_account(PROVIDER)
}

/// The repository's proto/ directory (the example services' APIs).
pub fn proto_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../proto"))
}

/// A gateway's service config of `service_type` in front of `endpoint`, with the API of
/// `proto/examples/<proto>` (ids are filled in by [`Market::gateway_config`]).
pub fn example_service(service_type: ServiceType, endpoint: &str, proto: &str) -> ServiceConfig {
    ServiceConfig {
        service_type,
        endpoint: endpoint.into(),
        proto_files: vec![proto_root().join("examples").join(proto)],
        proto_includes: vec![proto_root()],
        ..ServiceConfig::default()
    }
}

/// The primes example gRPC server on a free port of this process; its URL.
pub async fn spawn_primes() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(osiris_examples::primes::serve(listener));
    url
}

/// The text example JSON-RPC endpoint on a free port of this process; its URL.
pub async fn spawn_text() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(osiris_examples::text::serve(listener));
    url
}

/// A careless provider of the text example's API: a JSON-RPC endpoint that answers
/// `Analyze` as the example does but counts one word too many. Its URL.
pub async fn spawn_miscounting_text() -> String {
    use axum::{routing::post, Json, Router};
    use serde_json::{json, Value};
    async fn rpc(Json(request): Json<Value>) -> Json<Value> {
        let params = serde_json::from_value(request["params"].clone())
            .unwrap_or(osiris_examples::text::AnalyzeRequest { text: String::new(), top: 0 });
        let mut reply = osiris_examples::text::analyze(&params);
        reply.words += 1;
        Json(json!({"jsonrpc": "2.0", "id": request["id"], "result": reply}))
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, Router::new().route("/", post(rpc))).await });
    url
}

/// Runs the real `osiris-gateway` binary (`binary`: the test's `CARGO_BIN_EXE_osiris-gateway`)
/// with `config` written as TOML to `path`; warnings to stderr (all of `config.log` when it
/// logs to files). Dies with the test.
pub fn spawn_gateway_process(binary: &str, config: &Config, path: &std::path::Path) -> std::process::Child {
    std::fs::write(path, toml::to_string(config).expect("config as TOML")).expect("write the gateway config");
    let mut command = std::process::Command::new(binary);
    command.arg("--config").arg(path).stdin(std::process::Stdio::null()).stdout(std::process::Stdio::null());
    if config.log.directory.is_none() {
        // Nobody reads its standard output: only warnings are worth writing.
        command.env("RUST_LOG", "warn");
    }
    crate::die_with_parent(&mut command).spawn().expect("start osiris-gateway")
}

/// A client of the gateway at `url` once it answers `GetServiceInfo` (up to 60 s).
pub async fn gateway_when_up(url: &str) -> osiris_gateway_client::GatewayClient {
    let started = Instant::now();
    loop {
        if let Ok(client) = osiris_gateway_client::GatewayClient::connect(url).await {
            if client.service_info().await.is_ok() {
                return client;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the gateway did not come up on {url}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
