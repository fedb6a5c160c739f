//! The gateway as a provider runs it on the internet: TLS with a renewed certificate,
//! gRPC-Web from a browser, reflection for grpcurl-style tools, free calls shared by
//! replicas, alerts to a webhook, and log files with request ids.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use http::HeaderMap;
use osiris_contract_types::Nonce;
use osiris_e2e::{
    actor, example_service, gateway_when_up, payment_key, spawn_gateway_process, spawn_primes, spawn_text, Market,
    Offer, CONSUMER, UNIT,
};
use osiris_gateway::alerts::AlertConfig;
use osiris_gateway::config::ServiceType;
use osiris_gateway::free_calls::FreeCallsConfig;
use osiris_gateway::health::HealthConfig;
use osiris_gateway::logging::{LogConfig, LogFormat, LogRotation};
use osiris_gateway::tls::TlsConfig;
use osiris_gateway_client::{find_method, Api, ChannelPayer, FreeCaller, GatewayClient};
use osiris_payments::metadata::PaymentHeaders;
use prost::Message;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PRICE: u128 = UNIT / 100;

/// Polls `check` every 50 ms until it returns `Some`, for up to `limit`.
async fn eventually<T>(limit: Duration, what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The service's method `name`, from the descriptors the gateway behind `client` serves.
async fn method(client: &GatewayClient, name: &str) -> prost_reflect::MethodDescriptor {
    let info = client.service_info().await.unwrap();
    find_method(&Api::from_descriptor_set(&info.descriptor_set).unwrap(), name).unwrap()
}

/// The consumer's new channel of 100 prices to `offer`'s group, and its payer at nonce 0.
async fn channel_payer(market: &Market, offer: &Offer) -> ChannelPayer {
    let key = payment_key();
    let channel_id = market.open_channel(&actor(CONSUMER), &key, offer, 100 * PRICE, 1_000).await;
    ChannelPayer { key, escrow: market.osiris.deployment.escrow.address, channel_id, nonce: Nonce(0), amount: 0 }
}

/// A provider's CA and a certificate it issues for `localhost` (PEM: certificate, key).
struct Authority {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

impl Authority {
    fn new() -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let pem = params.self_signed(&key).unwrap().pem();
        Self { issuer: Issuer::new(params, key), pem }
    }

    fn issue(&self) -> (rcgen::Certificate, String) {
        let key = KeyPair::generate().unwrap();
        let cert =
            CertificateParams::new(vec!["localhost".to_string()]).unwrap().signed_by(&key, &self.issuer).unwrap();
        (cert, key.serialize_pem())
    }
}

/// Writes a certificate and key the way an ACME client renews them: new files renamed
/// over the old ones.
fn install(dir: &Path, cert: &rcgen::Certificate, key: &str) -> (PathBuf, PathBuf) {
    let (cert_file, key_file) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(dir.join("cert.pem.new"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem.new"), key).unwrap();
    std::fs::rename(dir.join("key.pem.new"), &key_file).unwrap();
    std::fs::rename(dir.join("cert.pem.new"), &cert_file).unwrap();
    (cert_file, key_file)
}

/// The certificate a new TLS connection to `port` is shown, trusting `ca_pem`.
async fn served_certificate(port: u16, ca_pem: &str) -> Vec<u8> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(rustls::pki_types::CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let tls = connector.connect("localhost".try_into().unwrap(), tcp).await.unwrap();
    tls.get_ref().1.peer_certificates().unwrap()[0].to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewed_certificate_is_served_to_new_connections_without_dropping_open_ones() {
    let market = Market::start().await;
    let offer = market.offer("acme", "primes", PRICE, 1).await;
    let service = example_service(ServiceType::Grpc, &spawn_primes().await, "primes.proto");
    let mut config = market.gateway_config(&offer, 0, service);
    let authority = Authority::new();
    let ca_file = market.dir.path().join("ca.pem");
    std::fs::write(&ca_file, &authority.pem).unwrap();
    let (first, first_key) = authority.issue();
    let (cert_file, key_file) = install(market.dir.path(), &first, &first_key);
    let cleartext = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    config.tls = TlsConfig {
        cert_file: Some(cert_file),
        key_file: Some(key_file),
        reload_interval_ms: 100,
        cleartext_listen: Some(cleartext),
    };
    market.release(config.listen);
    let binary = env!("CARGO_BIN_EXE_osiris-gateway");
    let _gateway = spawn_gateway_process(binary, &config, &market.dir.path().join("gateway.toml"));
    let port = config.listen.port();
    let url = format!("https://localhost:{port}");

    // The operator's cleartext port answers locally; consumers use TLS, trusting the CA.
    gateway_when_up(&format!("http://{cleartext}")).await;
    let client = GatewayClient::connect_with_ca(&url, Some(&ca_file)).await.unwrap();
    let factorize = method(&client, "Factorize").await;
    let mut payer = channel_payer(&market, &offer).await;
    let reply = client.call_json(&factorize, json!({"number": 12}), Some(&payer.pay(PRICE))).await.unwrap();
    assert_eq!(reply["factors"], json!(["2", "2", "3"]));
    assert_eq!(served_certificate(port, &authority.pem).await, first.der().to_vec());
    // Without the provider's CA, the system roots do not trust it.
    assert!(GatewayClient::connect(&url).await.is_err());

    // The ACME client renews the certificate: new connections see the new one…
    let (second, second_key) = authority.issue();
    install(market.dir.path(), &second, &second_key);
    eventually(Duration::from_secs(10), "the renewed certificate served", async || {
        (served_certificate(port, &authority.pem).await == second.der().to_vec()).then_some(())
    })
    .await;
    // …and the connection opened before the renewal still carries paid calls.
    let reply = client.call_json(&factorize, json!({"number": 15}), Some(&payer.pay(PRICE))).await.unwrap();
    assert_eq!(reply["factors"], json!(["3", "5"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_pays_for_a_call_over_grpc_web_after_a_cors_preflight() {
    let market = Market::start().await;
    let offer = market.offer("acme", "primes", PRICE, 1).await;
    let service = example_service(ServiceType::Grpc, &spawn_primes().await, "primes.proto");
    let mut config = market.gateway_config(&offer, 0, service);
    config.web.cors_allowed_origins = vec!["https://app.example".into()];
    let _gateway = market.start_gateway(config).await;
    let client = gateway_when_up(&offer.endpoints[0]).await;
    let factorize = method(&client, "Factorize").await;
    let mut payer = channel_payer(&market, &offer).await;
    let (escrow, channel_id) = (payer.escrow, payer.channel_id);
    let url = format!("{}/osiris.examples.primes.v1.Primes/Factorize", offer.endpoints[0]);
    let http = reqwest::Client::new();

    // The browser asks first whether the page's origin may send these headers.
    let preflight = http
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type,x-grpc-web,osiris-payment-type,osiris-signature-bin")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "https://app.example");
    let stranger = http
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(stranger.headers().get("access-control-allow-origin").is_none());

    // Then the call: gRPC-Web over HTTP/1.1, paid with the same metadata as any call.
    let request = prost_reflect::DynamicMessage::deserialize(factorize.input(), json!({"number": 12})).unwrap();
    let body = osiris_gateway::proxy::frame::frame(&request.encode_to_vec());
    let mut headers = HeaderMap::new();
    payer.pay(PRICE).to_headers(&mut headers);
    let response = http
        .post(&url)
        .headers(headers)
        .header("origin", "https://app.example")
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .header("osiris-request-id", "browser-1")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_11);
    assert_eq!(response.headers()["access-control-allow-origin"], "https://app.example");
    assert_eq!(response.headers()["osiris-request-id"], "browser-1");
    let exposed = response.headers()["access-control-expose-headers"].to_str().unwrap().to_string();
    assert!(exposed.contains("grpc-status") && exposed.contains("osiris-request-id"), "{exposed}");
    let bytes = response.bytes().await.unwrap();
    // A data frame with the reply, then a trailer frame with grpc-status 0.
    assert_eq!(bytes[0], 0);
    let length = u32::from_be_bytes(bytes[1..5].try_into().unwrap()) as usize;
    let reply = prost_reflect::DynamicMessage::decode(factorize.output(), &bytes[5..5 + length]).unwrap();
    let reply: Value = serde_json::to_value(&reply).unwrap();
    assert_eq!(reply["factors"], json!(["2", "2", "3"]));
    assert_eq!(bytes[5 + length], 0x80);
    let trailers = String::from_utf8_lossy(&bytes[5 + length + 5..]).to_lowercase();
    assert!(trailers.contains("grpc-status:0"), "{trailers}");

    // The payment counted: the channel's state shows one call's price.
    let state = client.channel_state(&payer.key, &escrow, channel_id).await.unwrap();
    assert_eq!(state.current_signed_amount, PRICE.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_lists_the_service_and_its_descriptors_call_it() {
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1::ServerReflectionRequest;

    let market = Market::start().await;
    let offer = market.offer("acme", "primes", PRICE, 1).await;
    let service = example_service(ServiceType::Grpc, &spawn_primes().await, "primes.proto");
    let _gateway = market.start_gateway(market.gateway_config(&offer, 0, service)).await;
    let channel = tonic::transport::Endpoint::from_shared(offer.endpoints[0].clone()).unwrap().connect().await.unwrap();
    let mut reflection = ServerReflectionClient::new(channel);
    let ask = |request: MessageRequest| {
        tokio_stream::iter([ServerReflectionRequest { host: String::new(), message_request: Some(request) }])
    };

    // `grpcurl list`
    let mut answers =
        reflection.server_reflection_info(ask(MessageRequest::ListServices(String::new()))).await.unwrap().into_inner();
    let Some(MessageResponse::ListServicesResponse(list)) = answers.message().await.unwrap().unwrap().message_response
    else {
        panic!("not a service list")
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(names.contains(&"osiris.examples.primes.v1.Primes".to_string()), "{names:?}");

    // `grpcurl describe`: the file defining the service, with its imports.
    let symbol = MessageRequest::FileContainingSymbol("osiris.examples.primes.v1.Primes".into());
    let mut answers = reflection.server_reflection_info(ask(symbol)).await.unwrap().into_inner();
    let Some(MessageResponse::FileDescriptorResponse(files)) =
        answers.message().await.unwrap().unwrap().message_response
    else {
        panic!("not a file descriptor")
    };
    let files = prost_types::FileDescriptorSet {
        file: files
            .file_descriptor_proto
            .iter()
            .map(|b| prost_types::FileDescriptorProto::decode(&b[..]).unwrap())
            .collect(),
    };
    let api = Api::from_descriptor_set(&files.encode_to_vec()).unwrap();

    // `grpcurl -d '{"number": 21}' … Factorize`, paid: the descriptors are enough to call.
    let factorize = find_method(&api, "Factorize").unwrap();
    let client = GatewayClient::connect(&offer.endpoints[0]).await.unwrap();
    let mut payer = channel_payer(&market, &offer).await;
    let reply = client.call_json(&factorize, json!({"number": 21}), Some(&payer.pay(PRICE))).await.unwrap();
    assert_eq!(reply["factors"], json!(["3", "7"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_calls_run_out_across_two_replicas_and_calls_fall_back_to_paid_ones() {
    let market = Market::start().await;
    let offer = market.offer("acme", "primes", PRICE, 2).await;
    let upstream = spawn_primes().await;
    let mut gateways = Vec::new();
    for index in 0..2 {
        let mut config =
            market.gateway_config(&offer, index, example_service(ServiceType::Grpc, &upstream, "primes.proto"));
        // Any key gets an allowance here (tokens and the budget are gateway/tests/free_calls.rs's).
        config.free_calls = FreeCallsConfig {
            per_period: 3,
            period_secs: 3_600,
            need_token: false,
            budget_per_period: 0,
            ..FreeCallsConfig::default()
        };
        gateways.push(market.start_gateway(config).await);
    }
    let replicas = [gateway_when_up(&offer.endpoints[0]).await, gateway_when_up(&offer.endpoints[1]).await];
    let info = replicas[0].service_info().await.unwrap();
    assert_eq!((info.free_calls_per_period, info.free_call_period_secs), (3, 3_600));
    let factorize = find_method(&Api::from_descriptor_set(&info.descriptor_set).unwrap(), "Factorize").unwrap();
    let escrow = market.osiris.deployment.escrow.address;

    // Dave tries the service: his three free calls, alternating replicas, all pass…
    let dave = FreeCaller::new(payment_key(), escrow, "acme".into(), "primes".into());
    for call in 0..3 {
        let reply = replicas[call % 2].call_json(&factorize, json!({"number": 12}), Some(&dave.call())).await.unwrap();
        assert_eq!(reply["factors"], json!(["2", "2", "3"]));
    }
    // …the fourth, on either replica, is refused with a reason a client can act on…
    for replica in &replicas {
        let refusal = replica.call_json(&factorize, json!({"number": 12}), Some(&dave.call())).await.unwrap_err();
        assert_eq!(refusal.code(), tonic::Code::ResourceExhausted, "{refusal:?}");
        assert_eq!(refusal.metadata().get("osiris-refusal").unwrap(), "free_calls_used_up");
    }
    // …and a captured free call cannot be replayed to spend someone's allowance.
    let erin = FreeCaller::new(payment_key(), escrow, "acme".into(), "primes".into());
    let captured = erin.call();
    replicas[0].call_json(&factorize, json!({"number": 12}), Some(&captured)).await.unwrap();
    let replayed = replicas[1].call_json(&factorize, json!({"number": 12}), Some(&captured)).await.unwrap_err();
    assert_eq!(replayed.code(), tonic::Code::AlreadyExists);

    // Ten concurrent free calls by a new consumer, five on each replica: never more than
    // three pass (a timestamp older than one already accepted counts as a replay, so fewer
    // may), and the shared count holds exactly those that did.
    let frank = Arc::new(FreeCaller::new(payment_key(), escrow, "acme".into(), "primes".into()));
    let calls: Vec<_> = (0..10)
        .map(|i| {
            let (client, frank, method) = (replicas[i % 2].clone(), frank.clone(), factorize.clone());
            tokio::spawn(async move { client.call_json(&method, json!({"number": 12}), Some(&frank.call())).await })
        })
        .collect();
    let mut passed: i64 = 0;
    for call in calls {
        match call.await.unwrap() {
            Ok(_) => passed += 1,
            Err(status) => assert!(
                matches!(status.code(), tonic::Code::ResourceExhausted | tonic::Code::AlreadyExists),
                "{status:?}"
            ),
        }
    }
    assert!((1..=3).contains(&passed), "{passed} of 10 concurrent free calls passed");

    // Dave pays from now on: his channel's calls pass on both replicas.
    let key = dave.key.clone();
    let channel_id = market.open_channel(&actor(CONSUMER), &key, &offer, 100 * PRICE, 1_000).await;
    let mut payer = ChannelPayer { key, escrow, channel_id, nonce: Nonce(0), amount: 0 };
    for replica in &replicas {
        replica.call_json(&factorize, json!({"number": 12}), Some(&payer.pay(PRICE))).await.unwrap();
    }
    let used: i64 =
        sqlx::query_scalar("SELECT sum(used)::bigint FROM gateway_free_calls").fetch_one(&market.pool).await.unwrap();
    assert_eq!(used, 3 + 1 + passed, "Dave's, Erin's and Frank's free calls in the shared count");
}

/// A webhook receiver that fails its first delivery (to exercise the retries) and keeps the rest.
async fn webhook() -> (String, Arc<Mutex<Vec<Value>>>) {
    #[derive(Clone, Default)]
    struct Inbox {
        alerts: Arc<Mutex<Vec<Value>>>,
        attempts: Arc<Mutex<u32>>,
    }
    async fn receive(State(inbox): State<Inbox>, Json(alert): Json<Value>) -> http::StatusCode {
        let mut attempts = inbox.attempts.lock().unwrap();
        *attempts += 1;
        if *attempts == 1 {
            return http::StatusCode::SERVICE_UNAVAILABLE;
        }
        inbox.alerts.lock().unwrap().push(alert);
        http::StatusCode::NO_CONTENT
    }
    let inbox = Inbox::default();
    let alerts = inbox.alerts.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/alerts", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, Router::new().route("/alerts", post(receive)).with_state(inbox)).await
    });
    (url, alerts)
}

/// The first alert named `name` in `state` the receiver got.
async fn received(alerts: &Arc<Mutex<Vec<Value>>>, name: &str, state: &str) -> Value {
    eventually(Duration::from_secs(20), &format!("alert {name} {state}"), async || {
        alerts.lock().unwrap().iter().find(|a| a["alert"] == name && a["state"] == state).cloned()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_reach_the_providers_webhook_when_things_go_wrong_and_when_they_recover() {
    let market = Market::start().await;
    let offer = market.offer("acme", "primes", PRICE, 1).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let upstream = tokio::spawn(osiris_examples::primes::serve(listener));
    let service = example_service(ServiceType::Grpc, &format!("http://{address}"), "primes.proto");
    let mut config = market.gateway_config(&offer, 0, service);
    let (url, alerts) = webhook().await;
    config.health = HealthConfig { probe_interval_ms: 100, probe_timeout_ms: 500, ..HealthConfig::default() };
    config.alerts = AlertConfig {
        webhook_url: Some(url),
        check_interval_ms: 100,
        upstream_down_secs: 1,
        unclaimed_over_planck: (PRICE / 2) as u64,
        expiry_warning_blocks: 10_000,
        retry_backoff_ms: 50,
        ..AlertConfig::default()
    };
    let _gateway = market.start_gateway(config).await;
    let client = gateway_when_up(&offer.endpoints[0]).await;
    let factorize = method(&client, "Factorize").await;
    let mut payer = channel_payer(&market, &offer).await;
    let channel_id = payer.channel_id;

    // A paid call leaves money unclaimed on a channel that expires within the warning.
    client.call_json(&factorize, json!({"number": 12}), Some(&payer.pay(PRICE))).await.unwrap();
    let unclaimed = received(&alerts, "unclaimed", "firing").await;
    assert_eq!(unclaimed["details"]["unclaimed_planck"], PRICE.to_string());
    assert_eq!(unclaimed["service"], "acme/primes");
    let expiring = received(&alerts, "channel_expiring", "firing").await;
    assert_eq!(expiring["details"]["channels"][0]["channel_id"], channel_id.0);

    // The provider claims: both resolve.
    market.claimer().run(None).await.unwrap();
    received(&alerts, "unclaimed", "resolved").await;
    received(&alerts, "channel_expiring", "resolved").await;

    // The upstream goes down for more than a second, then comes back.
    upstream.abort();
    let _ = upstream.await;
    let down = received(&alerts, "upstream_down", "firing").await;
    assert!(down["message"].as_str().unwrap().contains("upstream"), "{down}");
    let listener = tokio::net::TcpListener::bind(address).await.unwrap();
    let _upstream = tokio::spawn(osiris_examples::primes::serve(listener));
    received(&alerts, "upstream_down", "resolved").await;
}

/// Puts a request id on a call besides its payment.
struct WithRequestId<'a>(&'a dyn PaymentHeaders, &'static str);

impl PaymentHeaders for WithRequestId<'_> {
    fn to_headers(&self, headers: &mut HeaderMap) {
        self.0.to_headers(headers);
        headers.insert("osiris-request-id", http::HeaderValue::from_static(self.1));
    }
}

/// The log files in `dir`, with their contents.
fn log_files(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read_to_string(e.path()).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_call_logs_one_json_line_with_its_request_id_into_rotated_files() {
    let market = Market::start().await;
    let offer = market.offer("acme", "primes", PRICE, 1).await;
    let service = example_service(ServiceType::Grpc, &spawn_primes().await, "primes.proto");
    let mut config = market.gateway_config(&offer, 0, service);
    let logs = market.dir.path().join("logs");
    config.log = LogConfig {
        format: LogFormat::Json,
        stdout: false,
        directory: Some(logs.clone()),
        rotation: LogRotation::Minutely,
        ..LogConfig::default()
    };
    market.release(config.listen);
    let binary = env!("CARGO_BIN_EXE_osiris-gateway");
    let _gateway = spawn_gateway_process(binary, &config, &market.dir.path().join("gateway.toml"));
    let client = gateway_when_up(&offer.endpoints[0]).await;
    let factorize = method(&client, "Factorize").await;
    let mut payer = channel_payer(&market, &offer).await;

    let call = |request_id: &'static str, payment| {
        let (client, method) = (client.clone(), factorize.clone());
        async move {
            let headers = WithRequestId(&payment, request_id);
            client.call_json(&method, json!({"number": 12}), Some(&headers)).await
        }
    };
    call("first-call", payer.pay(PRICE)).await.unwrap();
    let line = eventually(Duration::from_secs(10), "the first call's log line", async || {
        log_files(&logs)
            .iter()
            .flat_map(|(_, text)| text.lines().map(str::to_string).collect::<Vec<_>>())
            .find(|l| l.contains("first-call"))
    })
    .await;
    let line: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(line["target"], "osiris_gateway::calls");
    assert_eq!(line["fields"]["request_id"], "first-call");
    assert_eq!(line["fields"]["method"], "/osiris.examples.primes.v1.Primes/Factorize");
    assert_eq!(line["fields"]["outcome"], "accepted");
    assert_eq!(line["fields"]["planck"], PRICE.to_string());
    // A refused call is logged with its reason.
    let replay = payer.authorization(osiris_payments::PaymentKind::Escrow);
    call("replayed-call", replay).await.unwrap_err();

    // The next minute's calls go to a new file.
    let first_files = log_files(&logs).len();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    tokio::time::sleep(Duration::from_millis(60_000 - (now.as_millis() % 60_000) as u64 + 200)).await;
    call("next-minute", payer.pay(PRICE)).await.unwrap();
    let files = eventually(Duration::from_secs(10), "a rotated log file", async || {
        let files = log_files(&logs);
        files.iter().any(|(_, text)| text.contains("next-minute")).then_some(files)
    })
    .await;
    assert!(files.len() > first_files, "{:?}", files.iter().map(|(name, _)| name).collect::<Vec<_>>());
    let (old, new): (Vec<_>, Vec<_>) = files.iter().partition(|(_, text)| text.contains("first-call"));
    assert!(old.iter().any(|(_, text)| text.contains("replayed-call") && text.contains("already_accepted")));
    assert!(new.iter().all(|(_, text)| !text.contains("first-call")));
    assert!(files.iter().all(|(name, _)| name.starts_with("osiris-gateway.") && name.ends_with(".log")));
}

/// A `process` service answering Factorize after `secs` seconds.
fn slow_factorize(secs: f32) -> osiris_gateway::config::ServiceConfig {
    let mut service = example_service(ServiceType::Process, "", "primes.proto");
    let script = format!("sleep {secs}; echo '{{\"number\": \"12\", \"factors\": [\"2\", \"2\", \"3\"]}}'");
    service.command = vec!["sh".into(), "-c".into(), script, "slow".into()];
    service
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_bound_message_size_call_time_and_calls_per_connection() {
    let market = Market::start().await;
    let escrow = market.osiris.deployment.escrow.address;

    // A text service taking requests of at most 1 KiB.
    let text = market.offer("acme", "text", PRICE, 1).await;
    let mut config =
        market.gateway_config(&text, 0, example_service(ServiceType::Jsonrpc, &spawn_text().await, "text.proto"));
    config.limits.max_message_bytes = 1_024;
    let _text_gateway = market.start_gateway(config).await;
    let client = gateway_when_up(&text.endpoints[0]).await;
    let analyze = method(&client, "Analyze").await;
    let mut payer = channel_payer(&market, &text).await;
    let channel_id = payer.channel_id;
    let novel = "word ".repeat(1_000);
    let refusal = client.call_json(&analyze, json!({"text": novel}), Some(&payer.pay(PRICE))).await.unwrap_err();
    assert_eq!(refusal.code(), tonic::Code::ResourceExhausted, "{refusal:?}");
    assert!(refusal.message().contains("max_message_bytes"), "{}", refusal.message());
    let state = client.channel_state(&payer.key, &escrow, channel_id).await.unwrap();
    assert_eq!(state.current_signed_amount, "0", "the oversized call was not charged");
    let reply = client.call_json(&analyze, json!({"text": "a short one."}), Some(&payer.pay(PRICE))).await.unwrap();
    assert_eq!(reply["words"], 3);

    // A slow service (1 s a call) whose gateway lets one connection run two calls at once
    // and any call take 1.5 s.
    let slow = market.offer("acme", "slow", PRICE, 1).await;
    let mut config = market.gateway_config(&slow, 0, slow_factorize(1.0));
    config.limits.max_concurrent_calls_per_connection = 2;
    config.limits.max_call_ms = 1_500;
    let _slow_gateway = market.start_gateway(config).await;
    let client = gateway_when_up(&slow.endpoints[0]).await;
    let factorize = method(&client, "Factorize").await;
    let mut payer = channel_payer(&market, &slow).await;
    payer.amount = 4 * PRICE;
    let prepaid = payer.authorization(osiris_payments::PaymentKind::Prepaid);

    // Four calls on one connection: two run, two wait for a free stream; all four pass.
    let started = Instant::now();
    let calls: Vec<_> = (0..4)
        .map(|_| {
            let (client, method, payment) = (client.clone(), factorize.clone(), prepaid.clone());
            tokio::spawn(async move { client.call_json(&method, json!({"number": 12}), Some(&payment)).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert!(started.elapsed() >= Duration::from_secs(2), "4 calls of 1 s, 2 at a time, took {:?}", started.elapsed());

    // A client asking for an answer within 300 ms gets DEADLINE_EXCEEDED from the gateway.
    // (Sent as gRPC-Web over HTTP/1.1: a tonic client would time the call out itself.)
    payer.amount += PRICE;
    let mut headers = HeaderMap::new();
    payer.authorization(osiris_payments::PaymentKind::Prepaid).to_headers(&mut headers);
    headers.insert("grpc-timeout", http::HeaderValue::from_static("300m"));
    let request = prost_reflect::DynamicMessage::deserialize(factorize.input(), json!({"number": 12})).unwrap();
    let body = osiris_gateway::proxy::frame::frame(&request.encode_to_vec());
    let started = Instant::now();
    let response = reqwest::Client::new()
        .post(format!("{}/osiris.examples.primes.v1.Primes/Factorize", slow.endpoints[0]))
        .headers(headers)
        .header("content-type", "application/grpc-web+proto")
        .body(body)
        .send()
        .await
        .unwrap();
    let in_headers = response.headers().get("grpc-status").map(|v| v.to_str().unwrap().to_string());
    let bytes = response.bytes().await.unwrap();
    let status = in_headers.unwrap_or_else(|| String::from_utf8_lossy(&bytes).to_string());
    assert!(status == "4" || status.contains("grpc-status:4"), "expected DEADLINE_EXCEEDED (4), got {status:?}");
    assert!(started.elapsed() < Duration::from_millis(900), "{:?}", started.elapsed());
}
