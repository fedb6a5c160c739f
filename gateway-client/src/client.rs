//! A gRPC client of a gateway that attaches payments to calls.

use crate::api::Api;
use crate::pb::{
    agreement_state_client::AgreementStateClient, gateway_info_client::GatewayInfoClient, jobs_client::JobsClient,
    payment_channel_state_client::PaymentChannelStateClient, AgreementStateReply, AgreementStateRequest,
    ChannelStateReply, ChannelStateRequest, Job, JobFile, JobRequest, LogChunk, ServiceInfo, ServiceInfoRequest,
    StartJobRequest,
};
use bytes::{Buf, Bytes};
use http::uri::PathAndQuery;
use osiris_contract_types::agreements::AgreementId;
use osiris_contract_types::PaymentSignature;
use osiris_contract_types::{Balance, ChannelId};
use osiris_payments::metadata::PaymentHeaders;
use osiris_payments::signing::channel::PaymentKey;
use osiris_payments::AccountId;
use prost::Message;
use prost_reflect::{DynamicMessage, MethodDescriptor, SerializeOptions};
use std::time::{SystemTime, UNIX_EPOCH};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::transport::Channel;
use tonic::{Request, Status};

/// Why a gateway cannot be reached or understood.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("gateway URL `{url}`: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("gateway {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the gateway sent a malformed {field}: `{value}`")]
    Malformed { field: &'static str, value: String },
    /// The gateway's channel state names an amount this key never signed (a gateway
    /// trying to make the consumer sign on from more than it spent).
    #[error("the gateway says {amount} planck were signed at nonce {nonce}, but shows no signature of this channel's key for it")]
    UnsignedState { nonce: u64, amount: Balance },
}

/// A method name that does not resolve in a service's API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MethodError {
    #[error("the service has no method {name} (it has {known})")]
    Unknown { name: String, known: String },
    #[error("several services have a method {0}; use Service/{0}")]
    Ambiguous(String),
}

/// A connection to a gateway.
#[derive(Clone)]
pub struct GatewayClient {
    channel: Channel,
}

/// How long a gateway may take to accept a connection before it counts as down.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// The environment variable naming an extra CA certificate file (PEM) trusted for
/// `https://` gateways besides the system's roots (e.g. a provider's own CA).
pub const CA_FILE_ENV: &str = "OSIRIS_CA_FILE";

impl GatewayClient {
    /// Connects to `url`: `http://host:port` (cleartext) or `https://host:port` (TLS,
    /// verified against the system's roots and the CA file named by `OSIRIS_CA_FILE`, if
    /// set). Errors name the URL and the problem.
    pub async fn connect(url: &str) -> Result<Self, ClientError> {
        let ca_file = std::env::var_os(CA_FILE_ENV).map(std::path::PathBuf::from);
        Self::connect_with_ca(url, ca_file.as_deref()).await
    }

    /// Like [`connect`](Self::connect), trusting `ca_file` (PEM) for `https://` besides the
    /// system's roots.
    pub async fn connect_with_ca(url: &str, ca_file: Option<&std::path::Path>) -> Result<Self, ClientError> {
        let bad = |reason: String| ClientError::BadUrl { url: url.into(), reason };
        let mut endpoint = Channel::from_shared(url.to_string()).map_err(|e| bad(e.to_string()))?;
        if url.starts_with("https://") {
            let mut tls = tonic::transport::ClientTlsConfig::new().with_native_roots();
            if let Some(ca_file) = ca_file {
                let pem = std::fs::read(ca_file)
                    .map_err(|e| bad(format!("CA file {} ({CA_FILE_ENV}): {e}", ca_file.display())))?;
                tls = tls.ca_certificate(tonic::transport::Certificate::from_pem(pem));
            }
            endpoint = endpoint.tls_config(tls).map_err(|e| bad(format!("TLS: {}", source_chain(&e))))?;
        }
        let channel = endpoint
            .tcp_nodelay(true)
            .connect_timeout(CONNECT_TIMEOUT)
            .connect()
            .await
            .map_err(|e| ClientError::Unreachable { url: url.into(), reason: source_chain(&e) })?;
        Ok(Self { channel })
    }

    /// A client over a connection made elsewhere (e.g. from a chosen local address).
    pub fn from_channel(channel: Channel) -> Self {
        Self { channel }
    }

    /// The connection, for other gRPC clients of the same gateway (e.g. a ddc node's object store).
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// The service sold here: price, recipient, escrow and API.
    pub async fn service_info(&self) -> Result<ServiceInfo, Status> {
        let mut client = GatewayInfoClient::new(self.channel.clone());
        Ok(client.get_service_info(ServiceInfoRequest {}).await?.into_inner())
    }

    /// The channel's last accepted authorization, asked as its signer `key`.
    pub async fn channel_state(
        &self,
        key: &PaymentKey,
        escrow: &AccountId,
        channel_id: ChannelId,
    ) -> Result<ChannelStateReply, Status> {
        let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs();
        let digest = osiris_payments::signing::channel::channel_state_digest(escrow, channel_id, timestamp);
        let signature = key.sign_digest(&digest).to_vec();
        let mut client = PaymentChannelStateClient::new(self.channel.clone());
        Ok(client
            .get_channel_state(ChannelStateRequest { channel_id: channel_id.0, timestamp, signature })
            .await?
            .into_inner())
    }

    /// The latest metering record the gateways accepted for an agreement, asked as its
    /// consumer `key` for the agreements contract `contract`.
    pub async fn agreement_state(
        &self,
        key: &PaymentKey,
        contract: &AccountId,
        agreement_id: &AgreementId,
    ) -> Result<AgreementStateReply, Status> {
        let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs();
        let digest = osiris_payments::signing::agreement::agreement_state_digest(contract, agreement_id, timestamp);
        let signature = key.sign_digest(&digest).to_vec();
        let mut client = AgreementStateClient::new(self.channel.clone());
        let request = AgreementStateRequest { agreement_id: agreement_id.to_vec(), timestamp, signature };
        Ok(client.get_agreement_state(request).await?.into_inner())
    }

    /// A compute job request for `agreement_id`, signed now by the consumer `key`.
    fn job_request(key: &PaymentKey, contract: &AccountId, agreement_id: &AgreementId) -> JobRequest {
        let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs();
        let signature = key
            .sign_digest(&osiris_payments::signing::agreement::job_digest(contract, agreement_id, timestamp))
            .to_vec();
        JobRequest { agreement_id: agreement_id.to_vec(), timestamp, signature }
    }

    fn jobs(&self) -> JobsClient<Channel> {
        JobsClient::new(self.channel.clone()).max_decoding_message_size(usize::MAX)
    }

    /// Starts the compute job of `agreement_id` with the algorithm `files` (name, content)
    /// and the consumer's `input_signature` over their hash.
    pub async fn start_job(
        &self,
        agreement_id: &AgreementId,
        files: Vec<(String, Vec<u8>)>,
        input_signature: &PaymentSignature,
    ) -> Result<Job, Status> {
        let files = files.into_iter().map(|(name, content)| JobFile { name, content }).collect();
        let request =
            StartJobRequest { agreement_id: agreement_id.to_vec(), files, input_signature: input_signature.to_vec() };
        Ok(self.jobs().start_job(request).await?.into_inner())
    }

    /// The job's status, asked as the agreement's consumer `key`.
    pub async fn job(&self, key: &PaymentKey, contract: &AccountId, agreement_id: &AgreementId) -> Result<Job, Status> {
        Ok(self.jobs().get_job(Self::job_request(key, contract, agreement_id)).await?.into_inner())
    }

    /// Stops the job.
    pub async fn stop_job(
        &self,
        key: &PaymentKey,
        contract: &AccountId,
        agreement_id: &AgreementId,
    ) -> Result<Job, Status> {
        Ok(self.jobs().stop_job(Self::job_request(key, contract, agreement_id)).await?.into_inner())
    }

    /// The job's log from the start, as it grows, until the job ends.
    pub async fn job_logs(
        &self,
        key: &PaymentKey,
        contract: &AccountId,
        agreement_id: &AgreementId,
    ) -> Result<tonic::Streaming<LogChunk>, Status> {
        Ok(self.jobs().stream_logs(Self::job_request(key, contract, agreement_id)).await?.into_inner())
    }

    /// The outputs of a succeeded job: (name, content) per file.
    pub async fn fetch_outputs(
        &self,
        key: &PaymentKey,
        contract: &AccountId,
        agreement_id: &AgreementId,
    ) -> Result<Vec<(String, Vec<u8>)>, Status> {
        let mut stream = self.jobs().fetch_outputs(Self::job_request(key, contract, agreement_id)).await?.into_inner();
        let mut files = Vec::new();
        while let Some(file) = stream.message().await? {
            files.push((file.name, file.content));
        }
        Ok(files)
    }

    /// A ready gRPC client and the parsed method path (`/package.Service/Method`).
    async fn ready(&self, path: &str) -> Result<(tonic::client::Grpc<Channel>, PathAndQuery), Status> {
        let mut grpc = tonic::client::Grpc::new(self.channel.clone());
        grpc.ready().await.map_err(|e| Status::unavailable(e.to_string()))?;
        let path = path.parse().map_err(|_| Status::invalid_argument(format!("bad method path {path}")))?;
        Ok((grpc, path))
    }

    /// A unary call of `path` (`/package.Service/Method`) with an encoded request message.
    pub async fn unary(
        &self,
        path: &str,
        message: Bytes,
        payment: Option<&dyn PaymentHeaders>,
    ) -> Result<Bytes, Status> {
        let (mut grpc, path) = self.ready(path).await?;
        Ok(grpc.unary(paid(message, payment), path, RawCodec).await?.into_inner())
    }

    /// A server-streaming call; every reply message, in order.
    pub async fn server_streaming(
        &self,
        path: &str,
        message: Bytes,
        payment: Option<&dyn PaymentHeaders>,
    ) -> Result<Vec<Bytes>, Status> {
        let (mut grpc, path) = self.ready(path).await?;
        let mut stream = grpc.server_streaming(paid(message, payment), path, RawCodec).await?.into_inner();
        let mut out = Vec::new();
        while let Some(message) = stream.message().await? {
            out.push(message);
        }
        Ok(out)
    }

    /// A unary call with JSON in and out (protobuf JSON mapping), typed by `method`.
    pub async fn call_json(
        &self,
        method: &MethodDescriptor,
        request: serde_json::Value,
        payment: Option<&dyn PaymentHeaders>,
    ) -> Result<serde_json::Value, Status> {
        let message = DynamicMessage::deserialize(method.input(), request)
            .map_err(|e| Status::invalid_argument(format!("request is not a {}: {e}", method.input().full_name())))?;
        let path = format!("/{}/{}", method.parent_service().full_name(), method.name());
        let reply = self.unary(&path, message.encode_to_vec().into(), payment).await?;
        let reply = DynamicMessage::decode(method.output(), reply)
            .map_err(|e| Status::internal(format!("reply is not a {}: {e}", method.output().full_name())))?;
        reply
            .serialize_with_options(serde_json::value::Serializer, &SerializeOptions::new())
            .map_err(|e| Status::internal(e.to_string()))
    }
}

/// Finds `name` in `api`: a full path `/pkg.Service/Method`, `pkg.Service/Method`, or just
/// `Method` if exactly one service has it.
pub fn find_method(api: &Api, name: &str) -> Result<MethodDescriptor, MethodError> {
    let unknown = |name: &str| MethodError::Unknown { name: name.into(), known: api.method_names().join(", ") };
    let trimmed = name.trim_start_matches('/');
    if trimmed.contains('/') {
        return api.method(&format!("/{trimmed}")).ok_or_else(|| unknown(trimmed));
    }
    let mut found = api.pool.services().flat_map(|s| s.methods().collect::<Vec<_>>()).filter(|m| m.name() == name);
    match (found.next(), found.next()) {
        (Some(method), None) => Ok(method),
        (None, _) => Err(unknown(name)),
        (Some(_), Some(_)) => Err(MethodError::Ambiguous(name.into())),
    }
}

/// An error and its sources in one line (tonic's transport errors hide the cause in `source`).
fn source_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn paid(message: Bytes, payment: Option<&dyn PaymentHeaders>) -> Request<Bytes> {
    let mut request = Request::new(message);
    if let Some(payment) = payment {
        let mut headers = http::HeaderMap::new();
        payment.to_headers(&mut headers);
        *request.metadata_mut() = tonic::metadata::MetadataMap::from_headers(headers);
    }
    request
}

/// Passes encoded messages through untouched.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawCodec;

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = RawCodec;
    type Decoder = RawCodec;
    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }
    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Bytes;
    type Error = Status;
    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        use bytes::BufMut;
        dst.put(item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Bytes;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}
