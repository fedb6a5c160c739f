//! Prepaid calls served from leases (`osiris_payments::lease`): this replica reserves a
//! share of a consumer's prepaid authorization in one conditional write and serves the
//! next calls from it in memory — a call presenting the very authorization the share was
//! granted under costs a lookup and a counter, no round trip. Before the share runs out a
//! renewal reports the calls served and extends it, while calls go on being served; an idle
//! share, a share near its expiry and every share at shutdown are reported and returned.
//!
//! The exact bounds (with `calls` per share and `lease_ms`):
//! - **unpaid: none.** A call is served only from a share the store reserved inside the
//!   consumer's signed authorization, and a share is either reported call by call or, if its
//!   replica stops reporting (a crash, a lost database), charged in full by a sweep once
//!   `lease_ms` plus the grace have passed.
//! - **lost to a crash: at most one share's unused part per channel**, charged to the
//!   consumer by the sweep (the calls served from it died with the replica); until then
//!   that share is held, and the rest of the authorization stays usable on other replicas.
//! - **claims** recall the shares of a channel and wait for them (`osiris_ledger::claims`):
//!   a claim takes what was served, and no share outlives its nonce.
//!
//! A replica serves from a share only until `lease_ms − LEASE_MARGIN` after it asked for it
//! (its own clock, measured from before the request), while the sweep charges it from
//! `lease_ms + grace` after the store wrote it: clock skew between replicas below the grace
//! changes nothing.

use crate::channels::ChannelCache;
use osiris_contract_types::ChannelId;
use osiris_ledger::LeaseStore;
use osiris_ledger::StoreError;
use osiris_payments::{ChannelFacts, LeaseOp, LeaseTerms, Payment, PaymentState, Refusal, ReplicaId, Terms};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// `[prepaid_leases]`: how prepaid authorizations are served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LeaseConfig {
    /// Calls a share covers; 0 turns leases off (each prepaid call is one conditional
    /// write, answered once committed).
    pub calls: u64,
    /// How long a share is good for after it is granted or extended, ms; also how long a
    /// dead replica's share stays held before the sweep's grace starts.
    pub lease_ms: u64,
}

impl Default for LeaseConfig {
    fn default() -> Self {
        Self { calls: DEFAULT_SHARE_CALLS, lease_ms: DEFAULT_LEASE_MS }
    }
}

/// Calls per share by default: a crash can cost a consumer at most this many calls' worth
/// per channel, and a busy channel renews about every three quarters of a share.
pub const DEFAULT_SHARE_CALLS: u64 = 64;
/// A busy share is renewed once only this fraction of it (1 in `RENEW_AT_ONE_IN`) is left:
/// each renewal — one durable commit — then carries three quarters of a share of calls, and
/// the quarter left serves the calls arriving while it commits (a call finding the share
/// empty waits for the renewal, it is not refused). Fewer renewals, same bound on what a
/// crash can cost: the share itself does not grow.
const RENEW_AT_ONE_IN: u64 = 4;
/// Lease time by default, ms.
pub const DEFAULT_LEASE_MS: u64 = 1_000;
/// A replica stops serving from a share this long before its lease time ends, so that a
/// report still reaches the store in time.
const LEASE_MARGIN: Duration = Duration::from_millis(100);

impl LeaseConfig {
    /// How long after a share's expiry a sweep charges it, ms: the lease time again.
    pub fn grace_ms(&self) -> u64 {
        self.lease_ms
    }

    /// How long a claim waits for recalled shares: the lease time, the grace and one sweep
    /// period.
    pub fn claim_wait(&self) -> Duration {
        Duration::from_millis(self.lease_ms.saturating_mul(3))
    }
}

/// What serving a prepaid call from a share gave.
#[derive(Debug)]
pub enum Served {
    /// Served from a share: nothing left to commit.
    Leased,
    /// The channel is recalled for a claim: serve the call the direct way (one
    /// conditional write).
    Direct,
}

/// This replica's shares, by channel.
pub struct Leases {
    config: LeaseConfig,
    replica: ReplicaId,
    store: LeaseStore,
    channels: Arc<ChannelCache>,
    expiry_threshold: u32,
    held: Mutex<HashMap<ChannelId, Arc<Held>>>,
}

/// One channel's share, as this replica holds it.
struct Held {
    local: Mutex<Local>,
    /// One store operation at a time per channel.
    draw: tokio::sync::Mutex<()>,
}

#[derive(Debug)]
struct Local {
    /// The authorization the share was granted under (a call presenting exactly it is
    /// served without a signature check).
    payment: Option<Payment>,
    /// Calls the share held at the last answer of the store.
    reserved_calls: u64,
    /// Calls served since the last report.
    unreported: u64,
    /// Serve nothing from the share from then on.
    deadline: Instant,
    /// Returned, or being returned: serve nothing from it.
    closed: bool,
    /// A renewal is on its way.
    renewing: bool,
    /// The last draw could not extend the share (the authorization is used up to it): no
    /// renewal until a call brings a new authorization.
    exhausted: bool,
    last_call: Instant,
}

impl Local {
    fn empty() -> Self {
        let now = Instant::now();
        Self {
            payment: None,
            reserved_calls: 0,
            unreported: 0,
            deadline: now,
            closed: false,
            renewing: false,
            exhausted: false,
            last_call: now,
        }
    }

    /// Takes one call from the share if `payment` is its authorization, it holds one and
    /// `admit` lets the call in (the consumer's rate limit: a refused call takes nothing);
    /// `Some(true)` when it is time to renew.
    fn take(
        &mut self,
        payment: &Payment,
        share_calls: u64,
        now: Instant,
        admit: &impl Fn() -> Result<(), Refusal>,
    ) -> Result<Option<bool>, Refusal> {
        let usable = !self.closed && now < self.deadline && self.unreported < self.reserved_calls;
        if !usable || self.payment.as_ref() != Some(payment) {
            return Ok(None);
        }
        admit()?;
        self.unreported += 1;
        self.last_call = now;
        let left = self.reserved_calls - self.unreported;
        let renew = !self.renewing && !self.exhausted && left <= share_calls / RENEW_AT_ONE_IN;
        self.renewing |= renew;
        Ok(Some(renew))
    }
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl Leases {
    /// This replica's leases over `store`, under a fresh replica id.
    pub fn new(config: LeaseConfig, store: LeaseStore, channels: Arc<ChannelCache>, expiry_threshold: u32) -> Self {
        let replica = ReplicaId(rand::random());
        Self { config, replica, store, channels, expiry_threshold, held: Mutex::new(HashMap::new()) }
    }

    /// Whether prepaid calls are served from shares.
    pub fn enabled(&self) -> bool {
        self.config.calls > 0
    }

    fn terms(&self, call: Terms) -> LeaseTerms {
        LeaseTerms { call, now_ms: now_ms(), lease_ms: self.config.lease_ms, grace_ms: self.config.grace_ms() }
    }

    fn held(&self, channel_id: ChannelId) -> Arc<Held> {
        let mut held = self.held.lock().expect("leases lock");
        held.entry(channel_id)
            .or_insert_with(|| Arc::new(Held { local: Mutex::new(Local::empty()), draw: Default::default() }))
            .clone()
    }

    /// Serves one prepaid call presenting `payment` on the channel `facts` (the caller
    /// checked the channel is this gateway's). `verify` checks the payment's signature; it
    /// runs only when neither the share nor the stored state holds this authorization.
    /// `admit` (the consumer's rate limit) runs once the authorization is known to be the
    /// consumer's, before the call takes anything from the share.
    pub async fn serve(
        self: &Arc<Self>,
        payment: &Payment,
        facts: Arc<ChannelFacts>,
        verify: impl FnOnce() -> Result<(), Refusal>,
        admit: impl Fn() -> Result<(), Refusal>,
    ) -> Result<Served, Refusal> {
        let held = self.held(payment.channel_id);
        let taken = held.local.lock().expect("lease lock").take(payment, self.config.calls, Instant::now(), &admit)?;
        if let Some(renew) = taken {
            if renew {
                self.spawn_renewal(payment.channel_id, held.clone());
            }
            return Ok(Served::Leased);
        }
        let _draw = held.draw.lock().await;
        // A renewal may have refilled the share while this call waited.
        let taken = held.local.lock().expect("lease lock").take(payment, self.config.calls, Instant::now(), &admit)?;
        if let Some(renew) = taken {
            if renew {
                self.spawn_renewal(payment.channel_id, held.clone());
            }
            return Ok(Served::Leased);
        }
        let known = self.store.cached(&payment.channel_id).is_some_and(|s| s.holds(payment))
            || held.local.lock().expect("lease lock").payment.as_ref() == Some(payment);
        if !known {
            verify()?;
        }
        let state = match self.draw(&held, payment.clone(), facts, self.config.calls, true).await {
            Err(refusal) if refusal.may_pass_on_newer_facts() => {
                // The cache may not have seen a top-up or an extension: the mirror decides.
                let facts = self
                    .channels
                    .channel_from_mirror(payment.channel_id)
                    .await
                    .map_err(|e| Refusal::Unavailable(e.to_string()))?
                    .ok_or(Refusal::UnknownChannel(payment.channel_id))?;
                self.draw(&held, payment.clone(), facts, self.config.calls, true).await?
            }
            drawn => drawn?,
        };
        if state.recalled {
            // Served the direct way, which charges the consumer's limit itself.
            self.release_locked(payment.channel_id, &held).await;
            return Ok(Served::Direct);
        }
        // The limit is charged as the call takes its place in the share (once per call,
        // whichever way it is served; a refused call takes nothing).
        let taken = held.local.lock().expect("lease lock").take(payment, self.config.calls, Instant::now(), &admit)?;
        match taken {
            Some(_) => Ok(Served::Leased),
            // Granted nothing usable (the rule refuses a `need` it cannot cover; this is the
            // lease time running out under a very slow store).
            None => Err(Refusal::Unavailable("the prepaid share expired before it could be used; retry".into())),
        }
    }

    /// One store operation on `held`: reports the calls served since the last report, asks
    /// for `want` calls (`need`: for a waiting call) and applies the answer. Must be called
    /// with `held.draw` locked.
    async fn draw(
        &self,
        held: &Held,
        payment: Payment,
        facts: Arc<ChannelFacts>,
        want: u64,
        need: bool,
    ) -> Result<PaymentState, Refusal> {
        let served = {
            let mut local = held.local.lock().expect("lease lock");
            match local.payment.as_ref().map(|p| p.nonce) {
                // A call under an authorization older than the share's: the share stays as
                // it is (its calls are yet to be reported), the call is refused.
                Some(current) if payment.nonce < current => {
                    return Err(Refusal::WrongNonce { channel_id: payment.channel_id, given: payment.nonce, current });
                }
                // The share's nonce was claimed, which only happens once the share was
                // returned or swept (charged in full): nothing of it is left to report.
                Some(current) if payment.nonce > current => *local = Local::empty(),
                _ => {}
            }
            local.unreported
        };
        let asked_at = Instant::now();
        let terms = self.terms(self.channels.terms(self.expiry_threshold));
        let op = LeaseOp::Draw { payment: payment.clone(), replica: self.replica, served, want, need, release: false };
        let outcome = self.store.accept(op, facts, terms).await;
        metrics::counter!("osiris_gateway_prepaid_lease_ops_total", "op" => "draw", "result" => outcome_label(&outcome))
            .increment(1);
        let mut local = held.local.lock().expect("lease lock");
        match &outcome {
            Ok(state) => {
                let share = state.leases.iter().find(|l| l.replica == self.replica).map_or(0, |l| l.reserved);
                let price = terms.call.price.max(1);
                let reserved_calls = u64::try_from(share / price).unwrap_or(u64::MAX);
                let same_authorization = local.payment.as_ref() == Some(&payment);
                // What the share held after the report, before this draw's grant.
                let kept = local.reserved_calls.saturating_sub(served);
                local.exhausted = same_authorization && reserved_calls <= kept;
                local.payment = Some(payment);
                local.reserved_calls = reserved_calls;
                local.unreported -= served;
                local.deadline = asked_at + Duration::from_millis(self.config.lease_ms).saturating_sub(LEASE_MARGIN);
                local.closed = state.recalled;
            }
            Err(Refusal::Lease { .. } | Refusal::WrongNonce { .. })
                if local.payment.as_ref().is_some_and(|p| p.nonce == payment.nonce) =>
            {
                // The share is gone (swept and charged in full, or its nonce claimed after
                // it was returned): the calls served from it are paid; nothing is left to
                // report.
                *local = Local::empty();
            }
            Err(_) => {}
        }
        local.renewing = false;
        outcome
    }

    fn spawn_renewal(self: &Arc<Self>, channel_id: ChannelId, held: Arc<Held>) {
        let leases = self.clone();
        tokio::spawn(async move { leases.renew(channel_id, &held).await });
    }

    /// Reports and extends a busy share (or returns it if the channel is recalled).
    async fn renew(&self, channel_id: ChannelId, held: &Held) {
        let _draw = held.draw.lock().await;
        self.renew_locked(channel_id, held).await;
        held.local.lock().expect("lease lock").renewing = false;
    }

    /// Closes the share (no call is served from it any more), reports its last calls and
    /// gives the rest back. Must be called with `held.draw` locked.
    async fn release_locked(&self, channel_id: ChannelId, held: &Held) {
        let (payment, served) = {
            let mut local = held.local.lock().expect("lease lock");
            local.closed = true;
            (local.payment.clone(), local.unreported)
        };
        let Some(payment) = payment else { return };
        let facts = match self.channels.channel(channel_id).await {
            Ok(Some(facts)) => facts,
            _ => return, // kept closed: the sweep charges it after its grace
        };
        let terms = self.terms(self.channels.terms(self.expiry_threshold));
        let op = LeaseOp::Draw { payment, replica: self.replica, served, want: 0, need: false, release: true };
        let outcome = self.store.accept(op, facts, terms).await;
        metrics::counter!("osiris_gateway_prepaid_lease_ops_total", "op" => "release", "result" => outcome_label(&outcome))
            .increment(1);
        match outcome {
            Ok(_) | Err(Refusal::Lease { .. } | Refusal::WrongNonce { .. }) => {
                *held.local.lock().expect("lease lock") = Local::empty();
            }
            Err(refusal) => tracing::warn!("returning the prepaid share of channel {channel_id}: {refusal}"),
        }
    }

    /// Returns the idle shares and those near their end, extends the busy ones near their
    /// end, and sweeps the shares of dead replicas.
    async fn tend(&self) {
        let now = Instant::now();
        let idle_after = Duration::from_millis(self.config.lease_ms / 2);
        let held: Vec<(ChannelId, Arc<Held>)> =
            self.held.lock().expect("leases lock").iter().map(|(id, h)| (*id, h.clone())).collect();
        for (channel_id, held) in held {
            let (has_share, idle, ending) = {
                let local = held.local.lock().expect("lease lock");
                let has_share = local.payment.is_some();
                (has_share, now.duration_since(local.last_call) > idle_after, local.deadline <= now + idle_after)
            };
            if !has_share {
                if idle {
                    self.held.lock().expect("leases lock").remove(&channel_id);
                }
                continue;
            }
            if idle || ending {
                let _draw = held.draw.lock().await;
                if idle {
                    self.release_locked(channel_id, &held).await;
                } else {
                    self.renew_locked(channel_id, &held).await;
                }
            }
        }
        if let Err(e) = self.sweep().await {
            tracing::warn!("sweeping expired prepaid shares: {e}");
        }
    }

    async fn renew_locked(&self, channel_id: ChannelId, held: &Held) {
        let payment = held.local.lock().expect("lease lock").payment.clone();
        let (Some(payment), Ok(Some(facts))) = (payment, self.channels.channel(channel_id).await) else { return };
        match self.draw(held, payment, facts, self.config.calls, false).await {
            Ok(state) if state.recalled => self.release_locked(channel_id, held).await,
            Ok(_) => {}
            Err(refusal) => tracing::debug!("extending the prepaid share of channel {channel_id}: {refusal}"),
        }
    }

    /// Charges the shares of this gateway's channels whose replicas stopped reporting.
    async fn sweep(&self) -> Result<(), StoreError> {
        let before_ms = now_ms().saturating_sub(self.config.grace_ms());
        let expired = osiris_ledger::leases::expired(self.store.pool(), self.channels.recipient(), before_ms).await?;
        for channel_id in expired {
            let Ok(Some(facts)) = self.channels.channel(channel_id).await else { continue };
            let terms = self.terms(self.channels.terms(self.expiry_threshold));
            let outcome = self.store.accept(LeaseOp::Sweep { channel_id }, facts, terms).await;
            metrics::counter!("osiris_gateway_prepaid_lease_ops_total", "op" => "sweep", "result" => outcome_label(&outcome))
                .increment(1);
            if let Ok(state) = outcome {
                tracing::warn!(
                    "charged the expired prepaid share(s) of channel {channel_id} in full (a replica stopped reporting); spent now {}",
                    state.spent
                );
            }
        }
        Ok(())
    }

    /// Returns every share (at shutdown).
    pub async fn release_all(&self) {
        let held: Vec<(ChannelId, Arc<Held>)> =
            self.held.lock().expect("leases lock").iter().map(|(id, h)| (*id, h.clone())).collect();
        for (channel_id, held) in held {
            let _draw = held.draw.lock().await;
            self.release_locked(channel_id, &held).await;
        }
    }

    /// Tends the shares every quarter lease time until `shutdown`, then returns them all.
    pub fn spawn(self: &Arc<Self>, shutdown: &CancellationToken) -> JoinHandle<()> {
        let leases = self.clone();
        let shutdown = shutdown.clone();
        let period = Duration::from_millis((self.config.lease_ms / 4).max(1));
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(period) => leases.tend().await,
                }
            }
            leases.release_all().await;
        })
    }
}

fn outcome_label<T>(outcome: &Result<T, Refusal>) -> &'static str {
    match outcome {
        Ok(_) => "ok",
        Err(refusal) => refusal.label(),
    }
}
