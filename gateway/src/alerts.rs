//! Alerts (`[alerts]`): rules checked every `check_interval_ms`, each sent to a sink when it
//! starts firing and again when it resolves.
//!
//! | alert              | fires when                                                        |
//! |--------------------|-------------------------------------------------------------------|
//! | `upstream_down`    | the heartbeat's upstream probe has failed for `upstream_down_secs` |
//! | `error_rate`       | over `error_window_secs`, at least `error_min_calls` paid calls and `error_rate_percent` % of them ended in an upstream failure, a deadline or an unavailable payment store |
//! | `unclaimed`        | money accepted and not yet claimed exceeds `unclaimed_over_planck` |
//! | `channel_expiring` | a channel holding unclaimed money expires within `expiry_warning_blocks` of the mirror's finalized block (claim it before the sender takes it back) |
//! | `claim_failing`    | the last periodic claim failed                                     |
//!
//! The sink is the [`AlertSink`] trait; [`Webhook`] posts each alert as JSON (see [`Alert`])
//! and retries with doubling backoff. Other channels (e-mail, chat) are other sinks.

use crate::channels::ChannelCache;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// `[alerts]`; a threshold of 0 turns its rule off. Alerts go nowhere without `webhook_url`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertConfig {
    /// Where alerts are POSTed as JSON.
    pub webhook_url: Option<String>,
    /// How often the rules are checked, ms.
    pub check_interval_ms: u64,
    pub upstream_down_secs: u64,
    pub error_rate_percent: u64,
    pub error_window_secs: u64,
    pub error_min_calls: u64,
    pub unclaimed_over_planck: u64,
    pub expiry_warning_blocks: u64,
    /// Whether a failing periodic claim alerts.
    pub claim_failing: bool,
    /// Deliveries tried after the first one fails.
    pub retries: u32,
    /// Wait before the first retry, ms; doubled for each next one.
    pub retry_backoff_ms: u64,
}

impl Default for AlertConfig {
    fn default() -> Self {
        Self {
            webhook_url: None,
            check_interval_ms: 5_000,
            upstream_down_secs: 30,
            error_rate_percent: 50,
            error_window_secs: 60,
            error_min_calls: 20,
            unclaimed_over_planck: 0,
            expiry_warning_blocks: 100,
            claim_failing: true,
            retries: 5,
            retry_backoff_ms: 500,
        }
    }
}

/// What the gateway's parts report for the rules: the heartbeat, the call path and the
/// periodic claims.
#[derive(Debug, Default)]
pub struct Vitals {
    upstream_down: Mutex<Option<(Instant, String)>>,
    calls: AtomicU64,
    errors: AtomicU64,
    claim_failure: Mutex<Option<String>>,
}

impl Vitals {
    /// The heartbeat's upstream probe: `Some(reason)` while it fails.
    pub fn upstream(&self, failure: Option<String>) {
        let mut down = self.upstream_down.lock().unwrap_or_else(|p| p.into_inner());
        match (failure, down.as_mut()) {
            (None, _) => *down = None,
            (Some(reason), Some((_, last))) => *last = reason,
            (Some(reason), None) => *down = Some((Instant::now(), reason)),
        }
    }

    /// One paid call answered; `failed` when the upstream or the payment store failed it.
    pub fn call(&self, failed: bool) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if failed {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A periodic claim's outcome: `Some(error)` when it failed.
    pub fn claim(&self, failure: Option<String>) {
        *self.claim_failure.lock().unwrap_or_else(|p| p.into_inner()) = failure;
    }
}

/// One alert as delivered:
/// `{"alert": "upstream_down", "state": "firing"|"resolved", "gateway": URL,
///   "service": "org/service", "message": text, "at": Unix seconds, "details": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub alert: String,
    pub state: AlertState,
    pub gateway: String,
    pub service: String,
    pub message: String,
    pub at: u64,
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    Firing,
    Resolved,
}

/// A delivery that failed after its retries.
#[derive(Debug, thiserror::Error)]
#[error("alert delivery to {target}: {reason}")]
pub struct DeliveryError {
    pub target: String,
    pub reason: String,
}

/// Where alerts go.
pub trait AlertSink: Send + Sync {
    /// Delivers one alert (retrying as the sink sees fit).
    fn deliver<'a>(&'a self, alert: &'a Alert) -> BoxFuture<'a, Result<(), DeliveryError>>;
}

/// POSTs each alert as JSON to a URL; a non-2xx answer or a transport error is retried
/// `retries` times, waiting `backoff`, then twice that, and so on.
pub struct Webhook {
    client: reqwest::Client,
    url: String,
    retries: u32,
    backoff: Duration,
}

/// Longest one webhook delivery attempt may take.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

impl Webhook {
    pub fn new(url: String, retries: u32, backoff: Duration) -> Self {
        let client = reqwest::Client::builder().timeout(WEBHOOK_TIMEOUT).build().unwrap_or_default();
        Self { client, url, retries, backoff }
    }
}

impl AlertSink for Webhook {
    fn deliver<'a>(&'a self, alert: &'a Alert) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            let mut wait = self.backoff;
            let mut attempt = 0;
            loop {
                let reason = match self.client.post(&self.url).json(alert).send().await {
                    Ok(response) if response.status().is_success() => return Ok(()),
                    Ok(response) => format!("HTTP {}", response.status()),
                    Err(e) => e.to_string(),
                };
                if attempt >= self.retries {
                    return Err(DeliveryError {
                        target: self.url.clone(),
                        reason: format!("{reason} (after {} attempts)", attempt + 1),
                    });
                }
                attempt += 1;
                tokio::time::sleep(wait).await;
                wait = wait.saturating_mul(2);
            }
        })
    }
}

/// The sink without a webhook: the alerts are only logged (by [`Alerts::run`]).
pub struct LogOnly;

impl AlertSink for LogOnly {
    fn deliver<'a>(&'a self, _alert: &'a Alert) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async { Ok(()) })
    }
}

/// The rules and their state.
pub struct Alerts {
    pub config: AlertConfig,
    pub vitals: Arc<Vitals>,
    pub sink: Arc<dyn AlertSink>,
    pub pool: sqlx::PgPool,
    pub channels: Arc<ChannelCache>,
    /// This gateway's public endpoint and `org/service`, named in every alert.
    pub gateway: String,
    pub service: String,
    pub recipient: String,
    pub group_id: String,
}

/// Which rules fire now and why: alert name → (message, details).
pub type Findings = HashMap<&'static str, (String, serde_json::Value)>;

impl Alerts {
    /// Checks the rules every `check_interval_ms` until `shutdown`; deliveries run in order
    /// on their own task so a slow sink never delays the checks.
    pub async fn run(self, shutdown: CancellationToken) {
        let (queue, mut deliveries) = mpsc::unbounded_channel::<Alert>();
        let sink = self.sink.clone();
        tokio::spawn(async move {
            while let Some(alert) = deliveries.recv().await {
                match sink.deliver(&alert).await {
                    Ok(()) => metrics::counter!("osiris_gateway_alerts_total", "result" => "delivered").increment(1),
                    Err(e) => {
                        metrics::counter!("osiris_gateway_alerts_total", "result" => "failed").increment(1);
                        tracing::warn!("{e}");
                    }
                }
            }
        });
        let interval = Duration::from_millis(self.config.check_interval_ms.max(1));
        let mut firing: HashMap<&'static str, String> = HashMap::new();
        let mut window: VecDeque<(Instant, u64, u64)> = VecDeque::new();
        loop {
            tokio::select! { _ = shutdown.cancelled() => return, _ = tokio::time::sleep(interval) => {} }
            let findings = self.check(&mut window).await;
            for (name, (message, details)) in &findings {
                if !firing.contains_key(name) {
                    tracing::warn!("alert {name}: {message}");
                    let _ = queue.send(self.alert(name, AlertState::Firing, message.clone(), details.clone()));
                    firing.insert(name, message.clone());
                }
            }
            let resolved: Vec<&'static str> = firing.keys().filter(|n| !findings.contains_key(*n)).copied().collect();
            for name in resolved {
                let message = firing.remove(name).unwrap_or_default();
                tracing::info!("alert {name} resolved");
                let _ = queue.send(self.alert(name, AlertState::Resolved, message, serde_json::Value::Null));
            }
        }
    }

    fn alert(&self, name: &str, state: AlertState, message: String, details: serde_json::Value) -> Alert {
        Alert {
            alert: name.to_string(),
            state,
            gateway: self.gateway.clone(),
            service: self.service.clone(),
            message,
            at: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
            details,
        }
    }

    /// Gathers what the rules look at, then evaluates them.
    async fn check(&self, window: &mut VecDeque<(Instant, u64, u64)>) -> Findings {
        let c = &self.config;
        let now = Instant::now();
        let (calls, errors) = (self.vitals.calls.load(Ordering::Relaxed), self.vitals.errors.load(Ordering::Relaxed));
        window.push_back((now, calls, errors));
        while window.len() > 1
            && window
                .front()
                .is_some_and(|(at, _, _)| now.duration_since(*at) > Duration::from_secs(c.error_window_secs))
        {
            window.pop_front();
        }
        let (first_calls, first_errors) = window.front().map_or((calls, errors), |&(_, c, e)| (c, e));
        let unclaimed = if c.unclaimed_over_planck > 0 || c.expiry_warning_blocks > 0 {
            match osiris_ledger::claims::unclaimed(&self.pool, &self.recipient, &self.group_id).await {
                Ok(channels) => Some(channels),
                Err(e) => {
                    tracing::warn!("alerts: reading unclaimed payments: {e}");
                    None
                }
            }
        } else {
            None
        };
        if let Some(channels) = &unclaimed {
            metrics::gauge!("osiris_gateway_unclaimed_planck")
                .set(channels.iter().map(|u| u.spent).sum::<u128>() as f64);
        }
        let inputs = Inputs {
            upstream_down: self
                .vitals
                .upstream_down
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
                .map(|(since, reason)| (since.elapsed().as_secs(), reason.clone())),
            window_calls: calls - first_calls,
            window_errors: errors - first_errors,
            unclaimed,
            finalized_block: self.channels.finalized_block(),
            claim_failure: self.vitals.claim_failure.lock().unwrap_or_else(|p| p.into_inner()).clone(),
        };
        evaluate(c, &inputs)
    }
}

/// What the rules look at, gathered once per check.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// Seconds the upstream probe has been failing, and why.
    pub upstream_down: Option<(u64, String)>,
    /// Paid calls and failed ones within the error window.
    pub window_calls: u64,
    pub window_errors: u64,
    /// Unclaimed money per channel (`None`: not read).
    pub unclaimed: Option<Vec<osiris_ledger::claims::Unclaimed>>,
    pub finalized_block: u64,
    /// The last periodic claim's error.
    pub claim_failure: Option<String>,
}

/// The rules: which alerts fire for `inputs` under `c`, with their messages and details.
pub fn evaluate(c: &AlertConfig, inputs: &Inputs) -> Findings {
    let mut findings = Findings::new();
    if let Some((secs, reason)) = &inputs.upstream_down {
        if c.upstream_down_secs > 0 && *secs >= c.upstream_down_secs {
            findings.insert(
                "upstream_down",
                (
                    format!("the upstream has been down for {secs} s: {reason}"),
                    serde_json::json!({"down_secs": secs, "reason": reason}),
                ),
            );
        }
    }
    let (calls, errors) = (inputs.window_calls, inputs.window_errors);
    if c.error_rate_percent > 0 && calls >= c.error_min_calls.max(1) && errors * 100 >= c.error_rate_percent * calls {
        findings.insert(
            "error_rate",
            (
                format!("{errors} of the last {calls} paid calls failed (threshold {} %)", c.error_rate_percent),
                serde_json::json!({"calls": calls, "errors": errors}),
            ),
        );
    }
    if let Some(channels) = &inputs.unclaimed {
        let total: u128 = channels.iter().map(|u| u.spent).sum();
        if c.unclaimed_over_planck > 0 && total > u128::from(c.unclaimed_over_planck) {
            findings.insert(
                "unclaimed",
                (
                    format!("{total} planck accepted and not claimed (threshold {})", c.unclaimed_over_planck),
                    serde_json::json!({"unclaimed_planck": total.to_string(), "channels": channels.len()}),
                ),
            );
        }
        let finalized = inputs.finalized_block;
        let expiring: Vec<_> = channels
            .iter()
            .filter(|u| c.expiry_warning_blocks > 0 && u.expiration <= finalized + c.expiry_warning_blocks)
            .map(|u| {
                serde_json::json!({"channel_id": u.channel_id, "unclaimed_planck": u.spent.to_string(), "expiration": u.expiration})
            })
            .collect();
        if !expiring.is_empty() {
            findings.insert(
                "channel_expiring",
                (
                    format!(
                        "{} channel(s) with unclaimed money expire within {} blocks of block {finalized}; claim them",
                        expiring.len(),
                        c.expiry_warning_blocks
                    ),
                    serde_json::json!({"channels": expiring, "finalized_block": finalized}),
                ),
            );
        }
    }
    if let Some(reason) = &inputs.claim_failure {
        if c.claim_failing {
            findings.insert(
                "claim_failing",
                (format!("the last claim failed: {reason}"), serde_json::json!({"reason": reason})),
            );
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use osiris_contract_types::ChannelId;
    use osiris_ledger::claims::Unclaimed;

    fn names(findings: &Findings) -> Vec<&'static str> {
        let mut names: Vec<_> = findings.keys().copied().collect();
        names.sort();
        names
    }

    #[test]
    fn each_rule_fires_past_its_threshold_and_not_before() {
        let config = AlertConfig { unclaimed_over_planck: 100, ..AlertConfig::default() };
        let quiet = Inputs {
            upstream_down: Some((29, "upstream: refused".into())),
            window_calls: 40,
            window_errors: 19,
            unclaimed: Some(vec![Unclaimed { channel_id: ChannelId(7), spent: 100, expiration: 1_000 }]),
            finalized_block: 899,
            claim_failure: None,
        };
        assert!(evaluate(&config, &quiet).is_empty(), "{:?}", evaluate(&config, &quiet));
        let loud = Inputs {
            upstream_down: Some((30, "upstream: refused".into())),
            window_errors: 20,
            unclaimed: Some(vec![Unclaimed { channel_id: ChannelId(7), spent: 101, expiration: 1_000 }]),
            finalized_block: 900,
            claim_failure: Some("node unreachable".into()),
            ..quiet
        };
        let findings = evaluate(&config, &loud);
        assert_eq!(names(&findings), ["channel_expiring", "claim_failing", "error_rate", "unclaimed", "upstream_down"]);
        assert_eq!(findings["channel_expiring"].1["channels"][0]["channel_id"], 7);
        assert_eq!(findings["unclaimed"].1["unclaimed_planck"], "101");
    }

    #[test]
    fn rules_set_to_zero_are_off_and_few_calls_are_no_error_rate() {
        let off = AlertConfig {
            upstream_down_secs: 0,
            error_rate_percent: 0,
            expiry_warning_blocks: 0,
            claim_failing: false,
            ..AlertConfig::default()
        };
        let inputs = Inputs {
            upstream_down: Some((3_600, "down".into())),
            window_calls: 100,
            window_errors: 100,
            unclaimed: Some(vec![Unclaimed { channel_id: ChannelId(1), spent: u128::MAX / 2, expiration: 0 }]),
            finalized_block: 10,
            claim_failure: Some("failed".into()),
        };
        assert!(evaluate(&off, &inputs).is_empty());
        let few = Inputs { window_calls: 19, window_errors: 19, ..Inputs::default() };
        assert!(evaluate(&AlertConfig::default(), &few).is_empty());
    }

    #[test]
    fn vitals_keep_when_the_upstream_went_down() {
        let vitals = Vitals::default();
        vitals.upstream(Some("first".into()));
        let since = vitals.upstream_down.lock().unwrap().as_ref().unwrap().0;
        vitals.upstream(Some("second".into()));
        let down = vitals.upstream_down.lock().unwrap().clone().unwrap();
        assert_eq!((down.0, down.1.as_str()), (since, "second"));
        vitals.upstream(None);
        assert!(vitals.upstream_down.lock().unwrap().is_none());
    }
}
