//! Configuration: defaults that run locally, then a TOML file, then the environment.
//!
//! ```toml
//! listen = "127.0.0.1:7000"             # where consumers connect (gRPC over HTTP/2, gRPC-Web; TLS with [tls])
//! public_endpoint = "http://127.0.0.1:7000"  # this replica's URL as registered in its group
//! database_url = "postgres://postgres@127.0.0.1:5432/osiris"  # the indexer's database
//! node_url = "ws://127.0.0.1:9944"
//! deployment = ".osiris/deployment.json"
//! expiry_threshold_blocks = 20          # refuse calls on channels expiring sooner
//! recipient = "5FHneW46…"               # the group's payment recipient, SS58
//! recipient_suri = "//Bob"              # or its key (needed for periodic claims)
//! claim_interval_secs = 0               # periodic claims and metering settlements; 0 = off (`osiris claim`, `osiris agreement settle`)
//! payment_commit = "overlapped"         # or "before_forward" (see PaymentCommit)
//! payment_durability = "strict"         # or "relaxed" (synchronous_commit = off; see Durability)
//! worker_threads = 1                    # threads serving calls; 0 = one per core
//! signature_threads = 0                 # payment signature checks at once off the I/O thread; 0 = inline
//! shutdown_grace_ms = 10000             # on SIGTERM, time open calls get to finish
//!
//! [prepaid_leases]                      # prepaid calls served from shares (see `leases`)
//! calls = 64; lease_ms = 1000          # calls = 0: one conditional write per prepaid call
//!
//! [rate_limit]                          # calls per second and bursts; 0 = no limit
//! global_per_sec = 0; consumer_per_sec = 0; free_per_sec = 2000
//!
//! [health]                              # probes behind grpc.health.v1 (see `health`)
//! probe_interval_ms = 2000; upstream_probe = "auto"; max_indexer_lag_blocks = 50
//!
//! [tls]                                # rustls; both files set turns TLS on (see `tls`)
//! cert_file = "fullchain.pem"; key_file = "privkey.pem"; reload_interval_ms = 5000
//! cleartext_listen = "127.0.0.1:7001"   # optional, for local use
//!
//! [limits]                              # see `front`
//! max_message_bytes = 4194304; max_call_ms = 60000; max_concurrent_calls_per_connection = 256
//!
//! [web]                                 # gRPC-Web and CORS (see `front::web`)
//! grpc_web = true; cors_allowed_origins = ["https://app.example"]
//!
//! [free_calls]                          # see `free_calls`
//! per_period = 0; period_secs = 86400; freshness_ms = 60000
//!
//! [alerts]                              # rules and their webhook (see `alerts`)
//! webhook_url = "https://ops.example/hook"; upstream_down_secs = 30; unclaimed_over_planck = 0
//!
//! [log]                                 # see `logging`
//! format = "text"; stdout = true; directory = "/var/log/osiris"; rotation = "daily"
//!
//! [bucket_node]                        # bucket mode: a ddc node before its object store (see `buckets`)
//! node_id = 0; freshness_ms = 60000; usage_flush_ms = 1000
//! replicas = 2; repair_interval_ms = 60000; repair_bytes_per_s = 33554432   # repair (see `repair`)
//!
//! [service]                             # in bucket mode only service_type = "grpc" and endpoint apply
//! org_id = "acme"; service_id = "primes"; group_id = "default"
//! service_type = "grpc"                 # grpc | jsonrpc | process | job
//! endpoint = "http://127.0.0.1:50051"   # grpc and jsonrpc upstream
//! command = ["stats-process"]           # process: executable and arguments
//! proto_files = ["proto/examples/primes.proto"]; proto_includes = ["proto"]
//! call_timeout_ms = 30000
//! metadata_file = "primes.json"         # the service's metadata document (osiris service describe)
//! # job: the consumer's algorithm runs as `job_runner… ALGORITHM_DIR DATA_DIR OUTPUT_DIR`
//! job_runner = ["sh", "-c", "exec python3 \"$1/main.py\" \"$2\" \"$3\"", "runner"]
//! job_data_dir = "data"; job_work_dir = ".osiris/jobs"
//! job_time_limit_secs = 600; job_memory_limit_mib = 2048; job_cpu_limit_secs = 600
//! job_max_processes = 256; job_output_limit_mib = 1024
//! job_sandbox = "bubblewrap"             # bubblewrap | none (the runner isolates jobs itself)
//! job_user = "nobody"                    # never root or the gateway's own user
//! job_network = false; job_read_only_paths = []
//! ```
//!
//! Environment overrides: `DATABASE_URL`, `OSIRIS_NODE_URL`, `OSIRIS_DEPLOYMENT`,
//! `OSIRIS_GATEWAY_LISTEN`, `OSIRIS_GATEWAY_PUBLIC_ENDPOINT`, `OSIRIS_GATEWAY_RECIPIENT`, `OSIRIS_GATEWAY_RECIPIENT_SURI`,
//! `OSIRIS_GATEWAY_EXPIRY_THRESHOLD_BLOCKS`, `OSIRIS_GATEWAY_CLAIM_INTERVAL_SECS`,
//! `OSIRIS_GATEWAY_PAYMENT_COMMIT`, `OSIRIS_GATEWAY_PAYMENT_DURABILITY`,
//! `OSIRIS_GATEWAY_WORKER_THREADS`, and for a section's field `OSIRIS_GATEWAY_<SECTION>_<FIELD>`
//! (e.g. `OSIRIS_GATEWAY_SERVICE_ENDPOINT`, `OSIRIS_GATEWAY_TLS_CERT_FILE`, `OSIRIS_GATEWAY_RATE_LIMIT_CONSUMER_PER_SEC`).

pub use osiris_ledger::Durability;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// How the gateway reaches the service behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceType {
    /// HTTP/2 passthrough to a gRPC server: any method, streaming included, bytes untouched.
    Grpc,
    /// Unary calls translated to JSON-RPC 2.0 over HTTP (method = RPC name, params = request JSON).
    Jsonrpc,
    /// Unary calls run an executable: request JSON on stdin, reply JSON on stdout.
    Process,
    /// Compute jobs under agreements (`osiris.gateway.v1.Jobs`): the consumer's algorithm
    /// run by `job_runner` over `job_data_dir`; no paid calls.
    Job,
}

impl ServiceType {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Grpc => "grpc",
            Self::Jsonrpc => "jsonrpc",
            Self::Process => "process",
            Self::Job => "job",
        }
    }
}

/// When a paid call is sent to the upstream relative to its payment's commit. In both
/// modes a call is answered OK only once its payment is committed, so a crash never loses
/// an answered call's payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PaymentCommit {
    /// Send the call once its payment is checked and its signature verified, and commit
    /// the payment while the call is on its way; the reply is held until the commit is
    /// done, so the call costs the longer of the two instead of their sum. A payment that
    /// then loses its write (a replay racing on another replica) gets its refusal and the
    /// upstream's reply is dropped: the upstream may serve that call unpaid (a forged
    /// payment never reaches it).
    #[default]
    Overlapped,
    /// Send the call only after the payment has committed: the upstream never serves an
    /// unpaid call.
    BeforeForward,
}

/// The service this gateway sells and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceConfig {
    pub org_id: String,
    pub service_id: String,
    /// The instance group this replica belongs to; channels must be opened to it.
    pub group_id: String,
    pub service_type: ServiceType,
    /// Upstream URL (`grpc`: `http://host:port` of the gRPC server; `jsonrpc`: the HTTP endpoint).
    pub endpoint: String,
    /// `process`: the executable and its first arguments; the method name is appended.
    pub command: Vec<String>,
    /// The service's .proto files (needed by `jsonrpc` and `process`, optional for `grpc`).
    pub proto_files: Vec<PathBuf>,
    /// Import paths for `proto_files`.
    pub proto_includes: Vec<PathBuf>,
    /// Longest a translated or process call may take, milliseconds.
    pub call_timeout_ms: u64,
    /// The service's metadata document (JSON, `osiris_gateway_client::document`), served
    /// byte for byte in `ServiceInfo.metadata_document`; its blake2-256 should be the
    /// registry's `content_hash` of the service (`osiris service describe` publishes it).
    pub metadata_file: Option<PathBuf>,
    /// `job`: the runner program and its first arguments; the algorithm, data and output
    /// directories are appended (and set as `OSIRIS_ALGORITHM_DIR`, `OSIRIS_DATA_DIR`,
    /// `OSIRIS_OUTPUT_DIR`).
    pub job_runner: Vec<String>,
    /// `job`: the provider's data set, read by every job.
    pub job_data_dir: PathBuf,
    /// `job`: where each job gets its directory (algorithm, outputs, log).
    pub job_work_dir: PathBuf,
    /// `job`: wall-clock limit of a job, seconds.
    pub job_time_limit_secs: u64,
    /// `job`: address-space limit of each job process, MiB; 0 = none.
    pub job_memory_limit_mib: u64,
    /// `job`: CPU-time limit of each job process, seconds; 0 = none.
    pub job_cpu_limit_secs: u64,
    /// `job`: processes the job user may run at once; 0 = none.
    pub job_max_processes: u64,
    /// `job`: the most a job's outputs may hold (and its largest file), MiB; 0 = none.
    pub job_output_limit_mib: u64,
    /// `job`: how jobs are isolated (`bubblewrap`, or `none` when the runner is itself a
    /// container; every job then logs a warning).
    pub job_sandbox: JobSandbox,
    /// `job`: the unprivileged account jobs run as (name, uid or uid:gid).
    pub job_user: String,
    /// `job`: allow `job_user` to be root or the gateway's own user.
    pub job_allow_unsafe_user: bool,
    /// `job`: whether a job may use the network (the offer says so).
    pub job_network: bool,
    /// `job`: host paths jobs see read-only (a virtualenv, say), at the same place.
    pub job_read_only_paths: Vec<PathBuf>,
}

/// How a job gateway isolates the consumer's code (see `jobs::sandbox`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum JobSandbox {
    #[default]
    Bubblewrap,
    None,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            org_id: "demo".into(),
            service_id: "primes".into(),
            group_id: "default".into(),
            service_type: ServiceType::Grpc,
            endpoint: "http://127.0.0.1:50051".into(),
            command: Vec::new(),
            proto_files: Vec::new(),
            proto_includes: Vec::new(),
            call_timeout_ms: 30_000,
            metadata_file: None,
            job_runner: Vec::new(),
            job_data_dir: "data".into(),
            job_work_dir: ".osiris/jobs".into(),
            job_time_limit_secs: 600,
            job_memory_limit_mib: 2_048,
            job_cpu_limit_secs: 600,
            job_max_processes: 256,
            job_output_limit_mib: 1_024,
            job_sandbox: JobSandbox::Bubblewrap,
            job_user: "nobody".into(),
            job_allow_unsafe_user: false,
            job_network: false,
            job_read_only_paths: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// Address consumers connect to (gRPC over HTTP/2, gRPC-Web; TLS when `tls` has its files).
    pub listen: SocketAddr,
    /// This replica's URL as registered among its group's endpoints; empty means `http://{listen}`.
    pub public_endpoint: String,
    /// PostgreSQL URL: the indexer's mirror and the gateway's payment state.
    pub database_url: String,
    /// Node RPC URL, used at start (registry check) and by claims, never per call.
    pub node_url: String,
    /// Deployment file written by `osiris deploy`.
    pub deployment: PathBuf,
    /// A call needs the channel's expiration ≥ current finalized block + this many blocks.
    pub expiry_threshold_blocks: u32,
    /// The group's payment recipient, SS58; may be left out when `recipient_suri` is set.
    pub recipient: Option<String>,
    /// Secret URI of the payment recipient (e.g. `//Bob`), needed for periodic claims.
    pub recipient_suri: Option<String>,
    /// Seconds between periodic channel claims and agreement settlements by the gateway; 0 turns them off.
    pub claim_interval_secs: u64,
    /// Address of the Prometheus `/metrics` listener; none turns it off.
    pub metrics_listen: Option<SocketAddr>,
    /// When a paid call is sent relative to its payment's commit.
    pub payment_commit: PaymentCommit,
    /// How durable a payment is before its call is answered (`strict` or `relaxed`).
    pub payment_durability: Durability,
    /// Threads serving calls: 1 (the default, as linkerd2-proxy does for a sidecar) runs
    /// everything on one thread, which on a machine shared with the service and the database
    /// measured lower latency and more calls per second than two; 0 means one per core.
    pub worker_threads: usize,
    /// Payment signature checks run at once on Tokio's blocking pool, off the threads
    /// serving calls; 0 checks them inline (see `signatures`).
    pub signature_threads: usize,
    /// On SIGTERM, how long open calls may take to finish before their connections are
    /// closed, milliseconds.
    pub shutdown_grace_ms: u64,
    /// Prepaid calls served from shares of their authorization (see `leases`).
    pub prepaid_leases: crate::leases::LeaseConfig,
    /// Token-bucket limits on paid and free calls (see `limits`).
    pub rate_limit: crate::limits::RateLimitConfig,
    /// Probes of the upstream, the database and the indexer behind the health status.
    pub health: HealthConfig,
    /// TLS on `listen` (see `tls`).
    pub tls: crate::tls::TlsConfig,
    /// gRPC-Web and CORS for browser apps (see `front::web`).
    pub web: crate::front::web::WebConfig,
    /// Message size, call duration and per-connection concurrency limits.
    pub limits: crate::front::FrontLimits,
    /// Log format and destinations (see `logging`).
    pub log: crate::logging::LogConfig,
    /// Free calls per consumer per period (see `free_calls`).
    pub free_calls: crate::free_calls::FreeCallsConfig,
    /// Alert rules and their webhook (see `alerts`).
    pub alerts: crate::alerts::AlertConfig,
    pub bucket_node: crate::buckets::BucketNodeConfig,
    pub service: ServiceConfig,
}

/// Sections whose fields the environment sets as `OSIRIS_GATEWAY_<SECTION>_<FIELD>`.
const SECTIONS: [&str; 11] = [
    "service",
    "prepaid_leases",
    "rate_limit",
    "health",
    "tls",
    "web",
    "limits",
    "log",
    "free_calls",
    "alerts",
    "bucket_node",
];

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:7000".parse().expect("a socket address"),
            public_endpoint: String::new(),
            database_url: "postgres://postgres@127.0.0.1:5432/osiris".into(),
            node_url: "ws://127.0.0.1:9944".into(),
            deployment: ".osiris/deployment.json".into(),
            expiry_threshold_blocks: 20,
            recipient: None,
            recipient_suri: None,
            claim_interval_secs: 0,
            metrics_listen: None,
            payment_commit: PaymentCommit::default(),
            payment_durability: Durability::default(),
            worker_threads: 1,
            signature_threads: 0,
            shutdown_grace_ms: 10_000,
            prepaid_leases: Default::default(),
            rate_limit: Default::default(),
            health: Default::default(),
            tls: Default::default(),
            web: Default::default(),
            limits: Default::default(),
            log: Default::default(),
            free_calls: Default::default(),
            alerts: Default::default(),
            bucket_node: Default::default(),
            service: ServiceConfig::default(),
        }
    }
}

/// What a gateway sells, decided once from its configuration: a bucket node when
/// `[bucket_node] node_id` is set, compute jobs for `service_type = "job"`, else calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayMode {
    /// Calls to a registered service, paid by channel payments, metering records or free.
    Calls,
    /// Compute jobs under agreements (the `Jobs` service); no other calls.
    Jobs,
    /// A ddc node in front of its object store.
    BucketNode { node_id: osiris_contract_types::ddc::NodeId },
}

impl Config {
    /// The gateway's mode (see [`GatewayMode`]).
    pub fn mode(&self) -> GatewayMode {
        match (self.bucket_node.node_id, self.service.service_type) {
            (Some(node_id), _) => GatewayMode::BucketNode { node_id },
            (None, ServiceType::Job) => GatewayMode::Jobs,
            (None, _) => GatewayMode::Calls,
        }
    }

    /// Defaults, merged with `file` if given (it must exist), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, osiris_config::ConfigError> {
        let mut config = osiris_config::load(&Config::default(), file, "OSIRIS_GATEWAY", &SECTIONS)?;
        if config.public_endpoint.is_empty() {
            config.public_endpoint = format!("http://{}", config.listen);
        }
        Ok(config)
    }
}

/// How the upstream is probed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpstreamProbe {
    /// By service type: `grpc` asks the upstream's gRPC health service (a server without
    /// one counts as up when it answers UNIMPLEMENTED), `jsonrpc` GETs `probe_url` when set
    /// and otherwise connects to the endpoint, `process` and `job` check that the
    /// executable is there and runnable.
    #[default]
    Auto,
    Grpc,
    /// GET `probe_url`; any 2xx is up.
    Http,
    /// A TCP connect to the endpoint's host and port.
    Tcp,
    None,
}

/// The `[health]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HealthConfig {
    /// Milliseconds between probes.
    pub probe_interval_ms: u64,
    /// Longest a probe may take before it counts as down, milliseconds.
    pub probe_timeout_ms: u64,
    pub upstream_probe: UpstreamProbe,
    /// The URL the `http` probe GETs.
    pub probe_url: Option<String>,
    /// Most blocks the indexer's cursor may be behind the chain's finalized block; 0 = not checked.
    pub max_indexer_lag_blocks: u64,
}

impl Default for HealthConfig {
    fn default() -> Self {
        Self {
            probe_interval_ms: 2_000,
            probe_timeout_ms: 1_000,
            upstream_probe: UpstreamProbe::Auto,
            probe_url: None,
            max_indexer_lag_blocks: 50,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment_override_the_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "gateway.toml",
                "listen = '127.0.0.1:7100'\n[service]\nservice_type = 'jsonrpc'\nendpoint = 'http://file:1'\norg_id = 'acme'",
            )?;
            jail.set_env("OSIRIS_GATEWAY_SERVICE_ENDPOINT", "http://env:2");
            jail.set_env("OSIRIS_GATEWAY_EXPIRY_THRESHOLD_BLOCKS", "7");
            jail.set_env("OSIRIS_GATEWAY_PAYMENT_COMMIT", "before_forward");
            jail.set_env("OSIRIS_GATEWAY_PAYMENT_DURABILITY", "relaxed");
            jail.set_env("OSIRIS_GATEWAY_RATE_LIMIT_CONSUMER_PER_SEC", "9");
            jail.set_env("OSIRIS_GATEWAY_SERVICE_PROTO_FILES", "[/opt/osiris/proto/a.proto]");
            jail.set_env("OSIRIS_GATEWAY_TLS_CERT_FILE", "/etc/osiris/cert.pem");
            jail.set_env("OSIRIS_GATEWAY_LIMITS_MAX_MESSAGE_BYTES", "1024");
            jail.set_env("OSIRIS_GATEWAY_LOG_FORMAT", "json");
            jail.set_env("OSIRIS_GATEWAY_WEB_CORS_ALLOWED_ORIGINS", "[https://app.example]");
            jail.set_env("OSIRIS_GATEWAY_BUCKET_NODE_NODE_ID", "3");
            let config = Config::load(Some(Path::new("gateway.toml")))?;
            assert_eq!(config.listen.port(), 7100);
            assert_eq!(config.public_endpoint, "http://127.0.0.1:7100");
            assert_eq!(config.service.service_type, ServiceType::Jsonrpc);
            assert_eq!(config.service.endpoint, "http://env:2");
            assert_eq!(config.service.org_id, "acme");
            assert_eq!(config.expiry_threshold_blocks, 7);
            assert_eq!(config.payment_commit, PaymentCommit::BeforeForward);
            assert_eq!(config.payment_durability, Durability::Relaxed);
            assert_eq!(config.rate_limit.consumer_per_sec, 9);
            assert_eq!(config.rate_limit.free_per_sec, crate::limits::DEFAULT_FREE_PER_SEC);
            assert_eq!(config.service.proto_files, vec![PathBuf::from("/opt/osiris/proto/a.proto")]);
            assert_eq!(config.tls.cert_file, Some(PathBuf::from("/etc/osiris/cert.pem")));
            assert_eq!(config.limits.max_message_bytes, 1024);
            assert_eq!(config.log.format, crate::logging::LogFormat::Json);
            assert_eq!(config.web.cors_allowed_origins, vec!["https://app.example".to_string()]);
            assert_eq!(config.claim_interval_secs, 0);
            assert_eq!(config.bucket_node.node_id, Some(osiris_contract_types::ddc::NodeId(3)));
            assert!(Config::load(Some(Path::new("missing.toml"))).is_err());
            Ok(())
        });
    }
}
