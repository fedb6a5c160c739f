//! Start: check the registry's entry against the configuration, connect the mirror and
//! the payment store, compile the service's API, build the upstream and own services.

use crate::alerts::{AlertSink, Alerts, LogOnly, Webhook};
use crate::authorize::Authorizer;
use crate::buckets::BucketNode;
use crate::channels::ChannelCache;
use crate::config::{Config, GatewayMode, JobSandbox, ServiceConfig, ServiceType};
use crate::earnings_service::EarningsService;
use crate::forward::Forward;
use crate::free_calls::FreeCalls;
use crate::front::web::Web;
use crate::front::Front;
use crate::health::Heartbeat;
use crate::jobs::runner::Limits;
use crate::jobs::sandbox::Sandbox;
use crate::jobs::store::JobStore;
use crate::jobs::Jobs;
use crate::leases::Leases;
use crate::limits::RateLimits;
use crate::modes::bucket_node::BucketNodeMode;
use crate::modes::calls::Calls;
use crate::modes::jobs::JobsMode;
use crate::modes::Mode;
use crate::pb;
use crate::proxy::{grpc::Passthrough, jsonrpc::JsonRpc, process::ProcessRunner, Upstream, UpstreamError};
use crate::server::Gateway;
use crate::state_service::{AgreementStateService, ChannelStateService, InfoService};
use crate::tls::ReloadingCert;
use osiris_chain::agreements::Agreements;
use osiris_chain::registry::Registry;
use osiris_chain::{AccountId, Chain, Deployment, Signer};
use osiris_contract_types::ddc::NodeId;
use osiris_ledger::free_call_budget::Budget;
use osiris_ledger::{
    Durability, FreeCallStore, FreeCallTable, MeteringStore, MeteringTable, PaymentStore, PaymentTable,
};
use osiris_ledger::{LeaseStore, LeaseTable};
use osiris_mirror::MirrorError;
use sqlx::postgres::PgPoolOptions;
use std::sync::Arc;
use std::time::Duration;
use tonic::service::Routes;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("the registry does not match this gateway's configuration: {0}")]
    Registry(String),
    #[error("chain: {0}")]
    Chain(#[from] osiris_chain::ChainError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("mirror: {0}")]
    Mirror(#[from] MirrorError),
    #[error("service API: {0}")]
    Api(#[from] crate::descriptors::DescriptorError),
    #[error("upstream: {0}")]
    Upstream(#[from] UpstreamError),
    #[error("tls: {0}")]
    Tls(#[from] crate::tls::TlsError),
    #[error("{0}")]
    Web(#[from] crate::front::web::BadOrigin),
    #[error("gRPC reflection: {0}")]
    Reflection(String),
}

/// Connections to PostgreSQL: the payment store's writer, the mirror listener, cache
/// misses, the channel-state service and claims.
pub const DATABASE_CONNECTIONS: u32 = 16;

/// A started gateway: the request handler and what background tasks need.
pub struct Started {
    pub gateway: Arc<Gateway>,
    /// What the consumers' port serves (the gateway, and gRPC-Web when on).
    pub front: Front<Gateway>,
    /// The certificate of the consumers' port when TLS is on (watch it with `ReloadingCert::watch`).
    pub tls: Option<Arc<ReloadingCert>>,
    pub channels: Arc<ChannelCache>,
    pub payments: PaymentStore,
    pub metering: MeteringStore,
    pub chain: Chain,
    pub deployment: Deployment,
    /// The recipient's key, when configured (for periodic claims).
    pub recipient_signer: Option<Signer>,
    /// The group's payment recipient.
    pub recipient: AccountId,
    /// The gateway's gRPC health status, and the service names it reports besides `""`.
    pub health: tonic_health::server::HealthReporter,
    pub services: Vec<String>,
}

impl Started {
    /// The heartbeat that keeps the health status true to the upstream, the database and
    /// the indexer (run it with `Heartbeat::run`).
    pub fn heartbeat(&self, config: &Config) -> Heartbeat {
        Heartbeat {
            config: config.health.clone(),
            service: config.service.clone(),
            reporter: self.health.clone(),
            services: self.services.clone(),
            pool: self.payments.pool().clone(),
            chain: self.chain.clone(),
            channels: self.channels.clone(),
            vitals: self.gateway.vitals.clone(),
        }
    }

    /// The alert rules, delivered to `alerts.webhook_url` or only logged (run them with
    /// `Alerts::run`; they also keep the unclaimed-amount gauge).
    pub fn alerts(&self, config: &Config) -> Alerts {
        let a = &config.alerts;
        let sink: Arc<dyn AlertSink> = match &a.webhook_url {
            Some(url) => Arc::new(Webhook::new(url.clone(), a.retries, Duration::from_millis(a.retry_backoff_ms))),
            None => Arc::new(LogOnly),
        };
        Alerts {
            config: a.clone(),
            vitals: self.gateway.vitals.clone(),
            sink,
            pool: self.payments.pool().clone(),
            channels: self.channels.clone(),
            gateway: config.public_endpoint.clone(),
            service: format!("{}/{}", config.service.org_id, config.service.service_id),
            recipient: self.recipient.to_string(),
            group_id: config.service.group_id.clone(),
        }
    }
}

/// Everything [`start`] checks, in order, each failure with a message naming the mismatch.
pub async fn start(config: &Config) -> Result<Started, StartError> {
    let deployment = Deployment::load(&config.deployment)?;
    let chain = Chain::connect(&config.node_url).await?;
    let genesis = chain.genesis_hash().await?;
    if genesis != deployment.genesis_hash {
        return Err(StartError::Config(format!(
            "the deployment file {} is for chain {} but the node at {} is chain {genesis}",
            config.deployment.display(),
            deployment.genesis_hash,
            config.node_url
        )));
    }
    let (recipient, recipient_signer) = recipient_of(config)?;
    let svc = &config.service;
    let document = metadata_document(svc)?;
    let mode = config.mode();
    if let GatewayMode::BucketNode { node_id } = mode {
        // Checked before anything connects: a configuration error, not a mismatch.
        if svc.service_type != ServiceType::Grpc {
            return Err(StartError::Config(format!(
                "bucket_node.node_id = {node_id} (bucket mode) needs service_type = \"grpc\" (the object store), not {}",
                svc.service_type.as_str()
            )));
        }
    }

    // No ping before each use: a dead connection fails its query, which answers UNAVAILABLE
    // and is replaced; the ping would cost every cache miss a round trip.
    let pool = PgPoolOptions::new()
        .max_connections(DATABASE_CONNECTIONS)
        .test_before_acquire(false)
        .connect(&config.database_url)
        .await?;
    osiris_mirror::migrate(&pool).await?;
    let metering = MeteringStore::new(MeteringTable, pool.clone(), config.payment_durability);
    let payments = PaymentStore::new(PaymentTable::default(), pool.clone(), config.payment_durability);
    let agreements_contract = deployment.agreements.as_ref().map(|a| a.address);
    let escrow = deployment.escrow.address;
    let rate_limits = Arc::new(RateLimits::new(config.rate_limit));
    let calls = |channels: &Arc<ChannelCache>| Authorizer {
        channels: channels.clone(),
        payments: payments.clone(),
        escrow,
        expiry_threshold: config.expiry_threshold_blocks,
        metering: metering.clone(),
        agreements_contract,
        limits: rate_limits.clone(),
        signatures: crate::signatures::SignatureChecks::new(config.signature_threads),
        free_calls: FreeCalls {
            config: config.free_calls,
            store: FreeCallStore::new(
                FreeCallTable { org_id: svc.org_id.clone(), service_id: svc.service_id.clone() },
                pool.clone(),
                // Strict, as before: a count lost in a crash would hand out its free calls again.
                Durability::Strict,
            ),
            escrow,
            org_id: svc.org_id.clone(),
            service_id: svc.service_id.clone(),
            provider: recipient,
            budget: (config.free_calls.budget_per_period > 0).then(|| Budget {
                org_id: svc.org_id.clone(),
                service_id: svc.service_id.clone(),
                group_id: svc.group_id.clone(),
                per_period: config.free_calls.budget_per_period,
            }),
        },
    };
    let api = if svc.proto_files.is_empty() {
        if !matches!(svc.service_type, ServiceType::Grpc | ServiceType::Job) {
            return Err(crate::descriptors::DescriptorError::Missing(svc.service_type.as_str()).into());
        }
        None
    } else {
        Some(Arc::new(crate::descriptors::compile(&svc.proto_files, &svc.proto_includes)?))
    };
    let forward = |upstream| Forward { upstream, commit: config.payment_commit, limits: config.limits };
    // The one match on the mode: each builds its mirror cache, its way of authorizing calls,
    // its upstream, and says whether it sells a registered service.
    let (channels, mode, sells_service) = match mode {
        GatewayMode::Calls => {
            check_registry(&chain, &deployment, config, &recipient, &document).await?;
            let channels = wait_for_mirror(&pool, &recipient.to_string(), config).await?;
            let authorizer = calls(&channels);
            let forward = forward(upstream(svc, api.clone())?);
            let leases = Arc::new(Leases::new(
                config.prepaid_leases,
                LeaseStore::new(LeaseTable::default(), pool.clone(), config.payment_durability),
                channels.clone(),
                config.expiry_threshold_blocks,
            ));
            (channels, Mode::Calls(Calls { authorizer, forward, leases }), true)
        }
        GatewayMode::Jobs => {
            check_registry(&chain, &deployment, config, &recipient, &document).await?;
            let channels = wait_for_mirror(&pool, &recipient.to_string(), config).await?;
            let jobs = job_service(config, &channels, &metering, agreements_contract, &chain, recipient_signer.clone())
                .await?;
            (channels, Mode::Jobs(JobsMode { jobs }), true)
        }
        GatewayMode::BucketNode { node_id } => {
            let ddc = deployment
                .ddc
                .as_ref()
                .ok_or_else(|| StartError::Config("bucket mode needs a deployment with the ddc contract".into()))?;
            wait_for_node(&pool, node_id, &recipient.to_string(), &config.public_endpoint).await?;
            // A ddc node sells no calls: its cache has no service (empty org and service ids).
            let channels =
                ChannelCache::load(pool.clone(), recipient.to_string(), String::new(), String::new(), String::new())
                    .await?;
            let node = Arc::new(BucketNode::new(node_id, ddc.address, pool.clone(), config.bucket_node.freshness_ms));
            let forward = forward(upstream(svc, api.clone())?);
            let repair = repair(config, &node, &recipient)?;
            (channels, Mode::BucketNode(BucketNodeMode { node, forward, repair }), false)
        }
    };

    // A ddc node sells no service of the registry: its info names none.
    let sold = |id: &String| if sells_service { id.clone() } else { String::new() };
    let info = pb::ServiceInfo {
        org_id: sold(&svc.org_id),
        service_id: sold(&svc.service_id),
        group_id: sold(&svc.group_id),
        payment_recipient: recipient.to_string(),
        escrow: escrow.to_string(),
        price_per_call: String::new(),
        expiry_threshold_blocks: config.expiry_threshold_blocks.into(),
        service_type: svc.service_type.as_str().into(),
        descriptor_set: api.as_ref().map(|a| a.descriptor_set.clone()).unwrap_or_default(),
        services: api.as_ref().map(|a| a.services()).unwrap_or_default(),
        agreements: agreements_contract.as_ref().map(|a| a.to_string()).unwrap_or_default(),
        free_calls_per_period: config.free_calls.per_period,
        free_call_period_secs: config.free_calls.period_secs,
        free_calls_need_token: config.free_calls.need_token,
        metadata_document: document,
    };
    let services = info.services.clone();
    let reflection = reflection(api.as_deref())?;
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_service_status("", tonic_health::ServingStatus::Serving).await;
    for name in &info.services {
        health.set_service_status(name, tonic_health::ServingStatus::Serving).await;
    }
    let own = Routes::new(health_service)
        .add_service(pb::payment_channel_state_server::PaymentChannelStateServer::new(ChannelStateService {
            channels: channels.clone(),
            payments: payments.clone(),
            escrow,
        }))
        .add_service(pb::agreement_state_server::AgreementStateServer::new(AgreementStateService {
            channels: channels.clone(),
            metering: metering.clone(),
            contract: agreements_contract,
        }))
        .add_service(pb::gateway_info_server::GatewayInfoServer::new(InfoService { channels: channels.clone(), info }))
        .add_service(pb::provider_earnings_server::ProviderEarningsServer::new(EarningsService {
            pool: pool.clone(),
            escrow,
            recipient,
        }))
        .add_service(reflection.0)
        .add_service(reflection.1);
    let own = mode.add_services(own).prepare();
    let tls = match config.tls.files()? {
        Some((cert, key)) => Some(ReloadingCert::load(cert, key)?),
        None => None,
    };
    let gateway = Arc::new(Gateway { mode, limits: config.limits, rate_limits, own, vitals: Arc::default() });
    let web = Web::new(&config.web, gateway.clone(), config.limits.max_message_bytes)?;
    Ok(Started {
        front: Front { gateway: gateway.clone(), web },
        tls,
        gateway,
        channels,
        payments,
        metering,
        chain,
        deployment,
        recipient_signer,
        recipient,
        health,
        services,
    })
}

/// The upstream a `calls` or bucket-mode gateway forwards paid calls to, by service type.
fn upstream(svc: &ServiceConfig, api: Option<Arc<crate::descriptors::Api>>) -> Result<Upstream, StartError> {
    let timeout = Duration::from_millis(svc.call_timeout_ms);
    Ok(match svc.service_type {
        ServiceType::Grpc => Upstream::Grpc(Passthrough::new(&svc.endpoint)?, api),
        ServiceType::Jsonrpc => {
            Upstream::Jsonrpc(JsonRpc::new(svc.endpoint.clone(), api.expect("checked at start"), timeout)?)
        }
        ServiceType::Process => {
            Upstream::Process(ProcessRunner::new(svc.command.clone(), api.expect("checked at start"), timeout)?)
        }
        ServiceType::Job => return Err(StartError::Config("a job gateway has no upstream".into())),
    })
}

/// The bytes of `service.metadata_file` (empty when none is configured), checked as a
/// service document: a document the indexer would refuse stops the gateway at start.
fn metadata_document(svc: &ServiceConfig) -> Result<Vec<u8>, StartError> {
    let Some(path) = &svc.metadata_file else { return Ok(Vec::new()) };
    let bytes = std::fs::read(path)
        .map_err(|e| StartError::Config(format!("service.metadata_file {}: {e}", path.display())))?;
    osiris_gateway_client::document::parse(&bytes)
        .map_err(|e| StartError::Config(format!("service.metadata_file {}: {e}", path.display())))?;
    Ok(bytes)
}

/// The registry's entry for the configured service must match this gateway: the service and
/// group exist, the group pays `recipient` and lists `public_endpoint`. A metadata document
/// whose hash is not the registry's `content_hash` only warns: the provider may be between
/// publishing the new hash and deploying the new file (the indexer shows no details meanwhile).
async fn check_registry(
    chain: &Chain,
    deployment: &Deployment,
    config: &Config,
    recipient: &AccountId,
    document: &[u8],
) -> Result<(), StartError> {
    let svc = &config.service;
    let registry = Registry::new(chain.clone(), deployment.registry.address);
    let service = registry
        .get_service(&svc.org_id, &svc.service_id)
        .await?
        .ok_or_else(|| StartError::Registry(format!("service {}/{} is not registered", svc.org_id, svc.service_id)))?;
    let group = service.group(&svc.group_id).ok_or_else(|| {
        StartError::Registry(format!("service {}/{} has no group `{}`", svc.org_id, svc.service_id, svc.group_id))
    })?;
    let registered_recipient = osiris_chain::account::from_ink(&group.payment_recipient);
    if &registered_recipient != recipient {
        return Err(StartError::Registry(format!(
            "group `{}` pays {registered_recipient}, but this gateway's recipient is {recipient}",
            svc.group_id
        )));
    }
    if !document.is_empty() {
        let hash = osiris_gateway_client::document::content_hash(document);
        if hash != service.metadata.content_hash {
            tracing::warn!(
                "service.metadata_file hashes to 0x{}, but the registry's content_hash of {}/{} is 0x{}: \
                 the indexer shows no details until they agree (osiris service describe)",
                hex::encode(hash),
                svc.org_id,
                svc.service_id,
                hex::encode(service.metadata.content_hash)
            );
        }
    }
    if !group.endpoints.iter().any(|e| e == &config.public_endpoint) {
        return Err(StartError::Registry(format!(
            "group `{}` lists endpoints {:?}, not this gateway's public_endpoint {}",
            svc.group_id, group.endpoints, config.public_endpoint
        )));
    }
    Ok(())
}

/// Waits up to 60 s for the indexer to mirror ddc node `node_id`, then checks it is this
/// gateway's: owned by `recipient`, at `public_endpoint`.
async fn wait_for_node(
    pool: &sqlx::PgPool,
    node_id: NodeId,
    recipient: &str,
    public_endpoint: &str,
) -> Result<(), StartError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let node = loop {
        match osiris_mirror::ddc::node(pool, node_id).await? {
            Some(node) => break node,
            None if tokio::time::Instant::now() < deadline => {
                tracing::info!("waiting for the indexer to mirror ddc node {node_id}");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            None => {
                return Err(StartError::Registry(format!("ddc node {node_id} does not exist (`osiris node create`)")))
            }
        }
    };
    if node.owner != recipient {
        return Err(StartError::Registry(format!(
            "ddc node {node_id} belongs to {}, but this gateway's recipient is {recipient}",
            node.owner
        )));
    }
    if node.url != public_endpoint {
        return Err(StartError::Registry(format!(
            "ddc node {node_id}'s URL is {}, not this gateway's public_endpoint {public_endpoint} (`osiris node change`)",
            node.url
        )));
    }
    Ok(())
}

/// gRPC server reflection (v1 and v1alpha) serving the service's API, so grpcurl, grpcui
/// or Postman can list and call its methods through the gateway. Without the service's
/// .proto files (a `grpc` passthrough may leave them out) only the reflection service itself
/// is listed.
fn reflection(
    api: Option<&crate::descriptors::Api>,
) -> Result<
    (
        tonic_reflection::server::v1::ServerReflectionServer<impl tonic_reflection::server::v1::ServerReflection>,
        tonic_reflection::server::v1alpha::ServerReflectionServer<
            impl tonic_reflection::server::v1alpha::ServerReflection,
        >,
    ),
    StartError,
> {
    let api_files = match api {
        Some(api) => Some(
            <prost_types::FileDescriptorSet as prost::Message>::decode(&api.descriptor_set[..])
                .map_err(|e| StartError::Reflection(e.to_string()))?,
        ),
        None => None,
    };
    let builder = || {
        let builder = tonic_reflection::server::Builder::configure();
        match &api_files {
            Some(files) => builder.register_file_descriptor_set(files.clone()),
            None => builder,
        }
    };
    let bad = |e: tonic_reflection::server::Error| StartError::Reflection(e.to_string());
    Ok((builder().build_v1().map_err(bad)?, builder().build_v1alpha().map_err(bad)?))
}

/// The job service of a `job` gateway: needs the provider's key (it fulfils conditions on
/// chain), the agreements contract and a runner; marks the jobs this gateway left running
/// as failed.
async fn job_service(
    config: &Config,
    channels: &Arc<ChannelCache>,
    metering: &MeteringStore,
    contract: Option<AccountId>,
    chain: &Chain,
    provider: Option<Signer>,
) -> Result<Arc<Jobs>, StartError> {
    let svc = &config.service;
    let contract = contract.ok_or_else(|| {
        StartError::Config("service_type `job` needs a deployment with the agreements contract".into())
    })?;
    let provider = provider.ok_or_else(|| {
        StartError::Config("service_type `job` needs recipient_suri (it fulfils conditions on chain)".into())
    })?;
    if svc.job_runner.is_empty() {
        return Err(StartError::Config(
            "service_type `job` needs service.job_runner (the program that runs a job)".into(),
        ));
    }
    if !svc.job_data_dir.is_dir() {
        return Err(StartError::Config(format!(
            "service.job_data_dir {} is not a directory",
            svc.job_data_dir.display()
        )));
    }
    std::fs::create_dir_all(&svc.job_work_dir)
        .map_err(|e| StartError::Config(format!("service.job_work_dir {}: {e}", svc.job_work_dir.display())))?;
    let work_dir = std::fs::canonicalize(&svc.job_work_dir)
        .map_err(|e| StartError::Config(format!("service.job_work_dir {}: {e}", svc.job_work_dir.display())))?;
    let data_dir = std::fs::canonicalize(&svc.job_data_dir)
        .map_err(|e| StartError::Config(format!("service.job_data_dir {}: {e}", svc.job_data_dir.display())))?;
    let store = JobStore::new(metering.pool().clone(), config.public_endpoint.clone());
    let orphans = store.fail_orphans().await.map_err(|e| StartError::Config(format!("jobs: {e}")))?;
    if orphans > 0 {
        tracing::warn!("{orphans} job(s) were running when this gateway stopped: marked failed");
    }
    let limits = Limits {
        wall: Duration::from_secs(svc.job_time_limit_secs),
        memory_bytes: (svc.job_memory_limit_mib > 0).then(|| svc.job_memory_limit_mib.saturating_mul(1 << 20)),
        cpu_secs: (svc.job_cpu_limit_secs > 0).then_some(svc.job_cpu_limit_secs),
        max_processes: (svc.job_max_processes > 0).then_some(svc.job_max_processes),
        output_bytes: (svc.job_output_limit_mib > 0).then(|| svc.job_output_limit_mib.saturating_mul(1 << 20)),
    };
    let sandbox = match svc.job_sandbox {
        JobSandbox::Bubblewrap => Sandbox::bubblewrap(
            &svc.job_user,
            svc.job_allow_unsafe_user,
            svc.job_network,
            svc.job_read_only_paths.clone(),
        )
        .map_err(|e| StartError::Config(format!("service.job_sandbox: {e}")))?,
        JobSandbox::None => {
            tracing::warn!("job_sandbox = \"none\": jobs run unsandboxed, only as isolated as the runner makes them");
            Sandbox::None
        }
    };
    sandbox.probe(&data_dir, &work_dir).map_err(|e| StartError::Config(format!("service.job_sandbox: {e}")))?;
    Ok(Jobs::new(
        channels.clone(),
        store,
        contract,
        Agreements::new(chain.clone(), contract),
        provider,
        svc.job_runner.clone(),
        data_dir,
        work_dir,
        limits,
        sandbox,
        config.public_endpoint.clone(),
        config.expiry_threshold_blocks,
    ))
}

fn recipient_of(config: &Config) -> Result<(AccountId, Option<Signer>), StartError> {
    let signer = match &config.recipient_suri {
        Some(suri) => Some(osiris_chain::account::signer_from_uri(suri)?),
        None => None,
    };
    let from_signer = signer.as_ref().map(osiris_chain::account::account_of);
    let given = match &config.recipient {
        Some(text) => Some(osiris_chain::parse_account(text)?),
        None => None,
    };
    let recipient = match (given, from_signer) {
        (Some(given), Some(derived)) if given != derived => {
            return Err(StartError::Config(format!(
                "recipient {given} is not the account of recipient_suri ({derived})"
            )))
        }
        (Some(account), _) | (None, Some(account)) => account,
        (None, None) => return Err(StartError::Config("set recipient (SS58) or recipient_suri".into())),
    };
    Ok((recipient, signer))
}

/// Loads the channel cache, waiting up to 60 s for the indexer to mirror the service.
async fn wait_for_mirror(
    pool: &sqlx::PgPool,
    recipient: &str,
    config: &Config,
) -> Result<Arc<ChannelCache>, StartError> {
    let svc = &config.service;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let loaded = ChannelCache::load(
            pool.clone(),
            recipient.to_string(),
            svc.group_id.clone(),
            svc.org_id.clone(),
            svc.service_id.clone(),
        )
        .await;
        match loaded {
            Err(MirrorError::NoService { .. }) if tokio::time::Instant::now() < deadline => {
                tracing::info!("waiting for the indexer to mirror service {}/{}", svc.org_id, svc.service_id);
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            other => return Ok(other?),
        }
    }
}

/// The node's repair (see [`crate::repair`]): on unless `repair_interval_ms = 0`, and only
/// with the owner's key (`recipient_suri`), which its peers serve reads to.
fn repair(
    config: &Config,
    node: &Arc<BucketNode>,
    owner: &AccountId,
) -> Result<Option<Arc<crate::repair::Repair>>, StartError> {
    let settings = &config.bucket_node;
    if settings.repair_interval_ms == 0 {
        return Ok(None);
    }
    let Some(key) = crate::repair::owner_key(config.recipient_suri.as_deref(), owner) else {
        tracing::warn!("no repair: it needs the node owner's key (recipient_suri)");
        return Ok(None);
    };
    let bytes_per_s = std::num::NonZeroU32::new(settings.repair_bytes_per_s)
        .ok_or_else(|| StartError::Config("bucket_node.repair_bytes_per_s must be at least 1".into()))?;
    let store = tonic::transport::Channel::from_shared(config.service.endpoint.clone())
        .map_err(|e| StartError::Config(format!("service.endpoint {}: {e}", config.service.endpoint)))?
        .connect_lazy();
    Ok(Some(Arc::new(crate::repair::Repair::new(
        node.clone(),
        osiris_gateway_client::pb::storage::object_store_client::ObjectStoreClient::new(store),
        key,
        settings.replicas,
        None,
        std::time::Duration::from_millis(settings.repair_interval_ms),
        bytes_per_s,
    ))))
}
