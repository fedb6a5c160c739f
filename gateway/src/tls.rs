//! TLS on the consumers' port (rustls, PEM files), reloaded when the files change.
//!
//! The certificate and key are read from `cert_file` and `key_file` (PEM: a chain of
//! certificates, leaf first, and one PKCS#8, PKCS#1 or SEC1 private key). A watcher looks at
//! both files' modification times every `reload_interval_ms`; when either changed and the
//! pair parses and matches, new handshakes use it. Open connections keep theirs, so a
//! certificate renewed by an ACME client is picked up without a restart and without dropping
//! anything. A pair that does not load (a half-written renewal) is logged and the old one
//! stays in use until the next change.
//!
//! ALPN offers `h2` (gRPC) and `http/1.1` (gRPC-Web from browsers).

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};
use tokio_util::sync::CancellationToken;

/// How often the certificate files are looked at, by default, milliseconds.
pub const DEFAULT_RELOAD_INTERVAL_MS: u64 = 5_000;

/// Longest a client may take to complete its TLS handshake before the connection is dropped.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// `[tls]`: serve `listen` over TLS. Both files set turns TLS on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TlsConfig {
    /// PEM certificate chain, leaf first.
    pub cert_file: Option<PathBuf>,
    /// PEM private key of the leaf certificate.
    pub key_file: Option<PathBuf>,
    /// How often the files are checked for a change, milliseconds.
    pub reload_interval_ms: u64,
    /// A second, cleartext listener for local use (health checks, the operator's own
    /// tools), e.g. `127.0.0.1:7001`; none by default.
    pub cleartext_listen: Option<std::net::SocketAddr>,
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self { cert_file: None, key_file: None, reload_interval_ms: DEFAULT_RELOAD_INTERVAL_MS, cleartext_listen: None }
    }
}

impl TlsConfig {
    /// The certificate and key files when TLS is on; an error when only one is set.
    pub fn files(&self) -> Result<Option<(&Path, &Path)>, TlsError> {
        match (&self.cert_file, &self.key_file) {
            (Some(cert), Some(key)) => Ok(Some((cert, key))),
            (None, None) => Ok(None),
            _ => Err(TlsError::Incomplete),
        }
    }
}

/// Why a certificate and key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("tls needs both cert_file and key_file")]
    Incomplete,
    #[error("{path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error("{path}: no certificate in the file")]
    NoCertificate { path: PathBuf },
    #[error("the key does not fit the certificate: {0}")]
    Key(rustls::Error),
}

/// The certificate new handshakes get; replaced by the watcher.
#[derive(Debug)]
pub struct ReloadingCert {
    current: RwLock<Arc<CertifiedKey>>,
    cert_file: PathBuf,
    key_file: PathBuf,
    provider: Arc<CryptoProvider>,
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone())
    }
}

impl ReloadingCert {
    /// Loads the pair once; errors name the file and the problem.
    pub fn load(cert_file: &Path, key_file: &Path) -> Result<Arc<Self>, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = load_pair(cert_file, key_file, &provider)?;
        Ok(Arc::new(Self {
            current: RwLock::new(Arc::new(key)),
            cert_file: cert_file.to_path_buf(),
            key_file: key_file.to_path_buf(),
            provider,
        }))
    }

    /// The server configuration whose handshakes use this certificate.
    pub fn server_config(self: &Arc<Self>) -> Arc<rustls::ServerConfig> {
        let mut config = rustls::ServerConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Arc::new(config)
    }

    /// Loads the files again; on success new handshakes use them.
    pub fn reload(&self) -> Result<(), TlsError> {
        let key = load_pair(&self.cert_file, &self.key_file, &self.provider)?;
        *self.current.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(key);
        Ok(())
    }

    /// Checks the files every `interval` until `stop`, reloading when either changed.
    pub async fn watch(self: Arc<Self>, interval: Duration, stop: CancellationToken) {
        let mut seen = self.modified();
        loop {
            tokio::select! { _ = stop.cancelled() => return, _ = tokio::time::sleep(interval) => {} }
            let now = self.modified();
            if now == seen {
                continue;
            }
            seen = now;
            match self.reload() {
                Ok(()) => {
                    tracing::info!("TLS certificate reloaded from {}", self.cert_file.display());
                    metrics::counter!("osiris_gateway_tls_reloads_total", "result" => "ok").increment(1);
                }
                Err(e) => {
                    tracing::warn!("TLS certificate not reloaded, the previous one stays in use: {e}");
                    metrics::counter!("osiris_gateway_tls_reloads_total", "result" => "failed").increment(1);
                }
            }
        }
    }

    fn modified(&self) -> (Option<SystemTime>, Option<SystemTime>) {
        let at = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
        (at(&self.cert_file), at(&self.key_file))
    }
}

fn load_pair(cert_file: &Path, key_file: &Path, provider: &CryptoProvider) -> Result<CertifiedKey, TlsError> {
    let file_error =
        |path: &Path, e: &dyn std::fmt::Display| TlsError::File { path: path.into(), reason: e.to_string() };
    let chain = CertificateDer::pem_file_iter(cert_file)
        .map_err(|e| file_error(cert_file, &e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(cert_file, &e))?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate { path: cert_file.into() });
    }
    let key = PrivateKeyDer::from_pem_file(key_file).map_err(|e| file_error(key_file, &e))?;
    CertifiedKey::from_der(chain, key, provider).map_err(TlsError::Key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_pair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
        let cert = rcgen::generate_simple_self_signed(vec![name.to_string()]).unwrap();
        let (cert_file, key_file) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&cert_file, cert.cert.pem()).unwrap();
        std::fs::write(&key_file, cert.signing_key.serialize_pem()).unwrap();
        (cert_file, key_file)
    }

    #[test]
    fn a_broken_renewal_keeps_the_previous_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let (cert_file, key_file) = write_pair(dir.path(), "first.test");
        let resolver = ReloadingCert::load(&cert_file, &key_file).unwrap();
        let before = resolver.current.read().unwrap().cert[0].clone();
        std::fs::write(&cert_file, "-----BEGIN CERTIFICATE-----\nnot base64\n").unwrap();
        assert!(resolver.reload().is_err());
        assert_eq!(resolver.current.read().unwrap().cert[0], before);
        // A certificate with another certificate's key is refused too.
        let other = rcgen::generate_simple_self_signed(vec!["other.test".to_string()]).unwrap();
        std::fs::write(&cert_file, other.cert.pem()).unwrap();
        assert!(matches!(resolver.reload(), Err(TlsError::Key(_))));
        write_pair(dir.path(), "second.test");
        resolver.reload().unwrap();
        assert_ne!(resolver.current.read().unwrap().cert[0], before);
    }

    #[test]
    fn missing_files_and_half_configurations_are_named() {
        let config = TlsConfig { cert_file: Some("c.pem".into()), ..TlsConfig::default() };
        assert!(matches!(config.files(), Err(TlsError::Incomplete)));
        let error = ReloadingCert::load(Path::new("/nonexistent/c.pem"), Path::new("/nonexistent/k.pem")).unwrap_err();
        assert!(error.to_string().contains("/nonexistent/c.pem"), "{error}");
    }
}
