//! `osiris call --free` against a TLS gateway: the provider vouches for the consumer's key
//! (`osiris free-call token`), the consumer trusting the provider's CA makes its free calls
//! with that token, and once they are used up the same command pays from its channel.

mod common;

use common::{one_line_refusal, osiris_with, reply};
use osiris_e2e::{actor, example_service, spawn_text, Market, CONSUMER, PROVIDER, UNIT};
use osiris_gateway::config::ServiceType;
use osiris_gateway::free_calls::FreeCallsConfig;
use osiris_gateway::tls::TlsConfig;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use serde_json::Value;

const PRICE: u128 = UNIT / 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_calls_over_tls_then_paid_ones_from_the_same_command() {
    let market = Market::start().await;
    let offer = market.offer("acme", "text", PRICE, 1).await;
    let mut config =
        market.gateway_config(&offer, 0, example_service(ServiceType::Jsonrpc, &spawn_text().await, "text.proto"));
    // The provider's CA issues the gateway's certificate for localhost.
    let dir = market.dir.path();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    std::fs::write(dir.join("ca.pem"), ca.self_signed(&ca_key).unwrap().pem()).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_string()]).unwrap().signed_by(&key, &issuer).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
    config.tls = TlsConfig {
        cert_file: Some(dir.join("cert.pem")),
        key_file: Some(dir.join("key.pem")),
        ..TlsConfig::default()
    };
    config.free_calls = FreeCallsConfig { per_period: 2, ..FreeCallsConfig::default() };
    let url = format!("https://localhost:{}", config.listen.port());
    let _gateway = market.start_gateway(config).await;

    let state = dir.join("charlie");
    let key_file = dir.join("charlie.key");
    let key_path = key_file.to_str().unwrap();
    let ca_file = dir.join("ca.pem");
    let trust = [("OSIRIS_CA_FILE", ca_file.to_str().unwrap())];
    assert!(osiris_with(&market, &state, CONSUMER, &[], &["key", "generate", "--out", key_path], b"").status.success());
    let signer =
        osiris_payments::signing::channel::PaymentKey::from_hex(&std::fs::read_to_string(&key_file).unwrap()).unwrap();
    let channel = market.open_channel(&actor(CONSUMER), &signer, &offer, 100 * PRICE, 1_000).await.to_string();
    // Bob, the provider, vouches for Charlie's key.
    let signer_key = format!("0x{}", hex::encode(signer.signer_key()));
    let vouch = ["free-call", "token", "acme/text", "--consumer-key", &signer_key, "--valid-days", "1"];
    let output = osiris_with(&market, &state, PROVIDER, &[], &vouch, b"");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let token = String::from_utf8(output.stdout).unwrap().trim().to_string();
    let call =
        ["call", &url, "Analyze", "--free", "--free-token", &token, "--key-file", key_path, "--channel", &channel];

    // Two free calls, then the third is paid from the channel, each by the same command.
    for _ in 0..2 {
        let output = osiris_with(&market, &state, CONSUMER, &trust, &call, br#"{"text": "free words"}"#);
        assert_eq!(reply(&output)["words"], Value::from(2));
    }
    assert!(!state.join(format!("channel-{channel}.json")).exists(), "no payment was signed for free calls");
    let output = osiris_with(&market, &state, CONSUMER, &trust, &call, br#"{"text": "now paid"}"#);
    assert_eq!(reply(&output)["words"], Value::from(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("free calls used up") && stderr.contains("paying for the call"), "{stderr}");
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(state.join(format!("channel-{channel}.json"))).unwrap()).unwrap();
    assert_eq!(record["amount"], Value::from(PRICE.to_string()));

    // Without the provider's CA the gateway is not trusted: one line naming it.
    let untrusted = one_line_refusal(&osiris_with(&market, &state, CONSUMER, &[], &call, b"{}"));
    assert!(untrusted.contains(&url), "{untrusted}");
    // Bad inputs: a missing CA file, --free with --agreement, --free without a key.
    let missing = [("OSIRIS_CA_FILE", "/nonexistent/ca.pem")];
    let no_ca = one_line_refusal(&osiris_with(&market, &state, CONSUMER, &missing, &call, b"{}"));
    assert!(no_ca.contains("/nonexistent/ca.pem"), "{no_ca}");
    let agreement = format!("0x{}", "11".repeat(32));
    let both = ["call", &url, "Analyze", "--free", "--agreement", &agreement, "--key-file", key_path];
    let both = one_line_refusal(&osiris_with(&market, &state, CONSUMER, &trust, &both, b"{}"));
    assert!(both.contains("--agreement"), "{both}");
    let keyless =
        one_line_refusal(&osiris_with(&market, &state, CONSUMER, &trust, &["call", &url, "Analyze", "--free"], b"{}"));
    assert!(keyless.contains("--key-file"), "{keyless}");
    let bad_token = ["call", &url, "Analyze", "--free", "--free-token", "12.00", "--key-file", key_path];
    let bad_token = one_line_refusal(&osiris_with(&market, &state, CONSUMER, &trust, &bad_token, b"{}"));
    assert!(bad_token.contains("signature"), "{bad_token}");
    let bad_key = ["free-call", "token", "acme/text", "--consumer-key", "0x1234"];
    let bad_key = one_line_refusal(&osiris_with(&market, &state, PROVIDER, &[], &bad_key, b""));
    assert!(bad_key.contains("66 hex digits"), "{bad_key}");
}
