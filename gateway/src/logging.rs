//! Logs (`[log]`): text or JSON lines, to stdout and/or files rotated by time
//! (tracing-appender), written off the call path by a background thread. Each call writes
//! one line (target `osiris_gateway::calls`) with its request id, method, outcome, gRPC
//! status, planck charged and duration; `RUST_LOG` overrides `level`.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::Rotation;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    /// One JSON object per line (`timestamp`, `level`, `target`, `fields`).
    Json,
}

/// When a log file is closed and a new one started (files are named
/// `<file_prefix>.<date[-hour[-minute]]>.log`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogRotation {
    Minutely,
    Hourly,
    #[default]
    Daily,
    Never,
}

/// `[log]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogConfig {
    pub format: LogFormat,
    /// Filter directives when `RUST_LOG` is unset (`info`, `osiris_gateway=debug`, …);
    /// `osiris_gateway::calls=warn` silences the per-call lines.
    pub level: String,
    /// Write to stdout.
    pub stdout: bool,
    /// Also write to files in this directory.
    pub directory: Option<PathBuf>,
    pub file_prefix: String,
    pub rotation: LogRotation,
    /// Rotated files kept (older ones are deleted); 0 keeps all.
    pub max_files: usize,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            level: "info".into(),
            stdout: true,
            directory: None,
            file_prefix: "osiris-gateway".into(),
            rotation: LogRotation::Daily,
            max_files: 0,
        }
    }
}

/// Why logging cannot start.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("log.directory {path}: {reason}")]
    Directory { path: PathBuf, reason: String },
    #[error("log.level `{0}`: {1}")]
    Level(String, String),
}

/// Installs the global subscriber; keep the guards until exit (they flush the writers).
pub fn init(config: &LogConfig) -> Result<Vec<WorkerGuard>, LogError> {
    let filter = match EnvFilter::try_from_default_env() {
        Ok(filter) => filter,
        Err(_) => {
            EnvFilter::try_new(&config.level).map_err(|e| LogError::Level(config.level.clone(), e.to_string()))?
        }
    };
    let mut guards = Vec::new();
    let mut layers: Vec<Box<dyn Layer<_> + Send + Sync>> = Vec::new();
    if config.stdout {
        let (writer, guard) = tracing_appender::non_blocking(std::io::stdout());
        guards.push(guard);
        layers.push(layer(config.format, writer, true));
    }
    if let Some(directory) = &config.directory {
        let bad = |reason: String| LogError::Directory { path: directory.clone(), reason };
        std::fs::create_dir_all(directory).map_err(|e| bad(e.to_string()))?;
        let mut builder = tracing_appender::rolling::Builder::new()
            .rotation(match config.rotation {
                LogRotation::Minutely => Rotation::MINUTELY,
                LogRotation::Hourly => Rotation::HOURLY,
                LogRotation::Daily => Rotation::DAILY,
                LogRotation::Never => Rotation::NEVER,
            })
            .filename_prefix(&config.file_prefix)
            .filename_suffix("log");
        if config.max_files > 0 {
            builder = builder.max_log_files(config.max_files);
        }
        let appender = builder.build(directory).map_err(|e| bad(e.to_string()))?;
        let (writer, guard) = tracing_appender::non_blocking(appender);
        guards.push(guard);
        layers.push(layer(config.format, writer, false));
    }
    // The filter applies to every destination alike, so it is the registry's own filter.
    tracing_subscriber::registry().with(filter).with(layers).init();
    Ok(guards)
}

fn layer<S>(
    format: LogFormat,
    writer: tracing_appender::non_blocking::NonBlocking,
    ansi: bool,
) -> Box<dyn Layer<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    let base = tracing_subscriber::fmt::layer().with_writer(writer);
    match format {
        LogFormat::Text => base.with_ansi(ansi && std::io::IsTerminal::is_terminal(&std::io::stdout())).boxed(),
        LogFormat::Json => base.json().boxed(),
    }
}
