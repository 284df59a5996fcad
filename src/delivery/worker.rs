//! The delivery worker: take due jobs (held in memory, not marked in the store), sign, POST,
//! then complete, retry or give up.

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use url::Url;

use super::Settings;
use super::backoff::{Gate, gate, jitter, record_answer, record_failure, retry_delay};
use crate::crypto::KeyPair;
use crate::httpsig::{Outgoing, sign_request};
use crate::metrics::{DeliveryOutcome, Metrics};
use crate::net::fetch::{FetchError, Fetcher};
use crate::puppet::BridgeUrls;
use crate::store::{HostState, Job, Protocol, Store, now_ms};

/// How often the queue-depth gauge is refreshed (it counts every job).
const DEPTH_EVERY: Duration = Duration::from_secs(10);

/// Jobs of a protocol this worker does not send wait this long between looks.
const UNSUPPORTED_RETRY: Duration = Duration::from_secs(3600);

/// Jobs waiting in one host's lane, per lane task allowed, at the least: more are handed back
/// to the queue. A lane may hold up to a quarter of [`max_pending`] when that is more, so a
/// big fan-out to one host (a legacy server whose users all follow one puppet, the WebSub
/// hub's common case) stays in memory instead of being leased and handed back over and over:
/// each hand-back rewrites the job in the store.
const WAITING_PER_TASK: usize = 16;

/// Jobs held in memory (running or waiting in a host's lane): enough to keep every host busy
/// without leasing the whole queue.
fn max_pending(settings: &Settings) -> usize {
    settings.concurrency.saturating_mul(64).max(settings.batch)
}

/// Most jobs waiting in one host's lane (see [`WAITING_PER_TASK`]).
fn lane_cap(settings: &Settings) -> usize {
    let per_host = settings.per_host_concurrency.max(1);
    per_host
        .saturating_mul(WAITING_PER_TASK)
        .max(max_pending(settings) / 4)
}

/// How soon a job handed back from a full lane is due again: just behind the jobs already
/// due, so the lane's next refill (when half of it has drained) finds them due, and the
/// loop, which does not lease again at once after a hand-back, does not spin on them.
const OVERFLOW_DELAY: Duration = Duration::from_millis(50);

/// Spread of a paused host's jobs after the pause, as a fraction of the pause.
const PAUSE_SPREAD: f64 = 0.1;

/// The deliveries of one host: at most `per_host_concurrency` run (each in a lane task that
/// takes the next waiting job when it is done), the others wait here in memory, leased, so a
/// slow host holds back only its own jobs, never the worker's task slots.
#[derive(Default)]
struct Lane {
    /// Lane tasks running for this host.
    active: usize,
    /// Leased jobs waiting for a lane task.
    waiting: VecDeque<Job>,
}

/// One remote host as the worker sees it.
struct HostSlot {
    /// Its deliveries.
    lane: Mutex<Lane>,
    /// The breaker state, loaded from the store on first use, written back on change.
    state: tokio::sync::Mutex<Option<HostState>>,
    /// Held by the one probe that tests a host whose pause is over.
    probe: tokio::sync::Mutex<()>,
}

/// What every delivery task shares.
struct Shared {
    store: Store,
    fetcher: Fetcher,
    urls: BridgeUrls,
    metrics: Arc<Metrics>,
    settings: Settings,
    wake: Arc<Notify>,
    global: Semaphore,
    keys: Mutex<HashMap<String, Arc<KeyPair>>>,
    hosts: Mutex<HashMap<String, Arc<HostSlot>>>,
    in_flight: Mutex<HashSet<u64>>,
}

/// The durable delivery worker. Cheap to clone; [`Worker::run`] drives it.
#[derive(Clone)]
pub struct Worker {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("settings", &self.shared.settings)
            .finish_non_exhaustive()
    }
}

/// Removes a job from the in-flight set however its task ends (done, panicked, aborted).
struct InFlight {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        lock(&self.shared.in_flight).remove(&self.id);
    }
}

/// Keeps a host's lane count right if its task ends early (panic, abort at shutdown): the
/// jobs still waiting behind it are let go: they are still due in the queue, and the next
/// look at it takes them again.
struct LaneTask {
    shared: Arc<Shared>,
    slot: Arc<HostSlot>,
    /// Set when the task left the lane itself (nothing was waiting).
    left: bool,
}

impl Drop for LaneTask {
    fn drop(&mut self) {
        if self.left {
            return;
        }
        let orphans: Vec<u64> = {
            let mut lane = lock(&self.slot.lane);
            lane.active = lane.active.saturating_sub(1);
            if lane.active > 0 {
                return;
            }
            lane.waiting.drain(..).map(|j| j.id).collect()
        };
        let mut in_flight = lock(&self.shared.in_flight);
        for id in orphans {
            in_flight.remove(&id);
        }
    }
}

/// A std mutex whose poisoning (a panicked task) does not stop delivery.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// `host[:port]` of an inbox, lower-cased: what concurrency limits and the breaker count by.
pub(crate) fn authority(url: &Url) -> Option<String> {
    let host = url.host_str()?.to_ascii_lowercase();
    Some(match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    })
}

/// What one attempt came to.
pub(super) enum Attempt {
    Sent,
    Failed(FetchError),
    /// It cannot be sent at all (no key, bad URL): give up.
    Unsendable(String),
    /// There is no one to send it to any more (a WebSub subscription ended): drop it.
    Dropped(String),
}

impl Worker {
    /// A worker over `store`, POSTing through `fetcher`, signing as the puppets `urls`
    /// names, counting into `metrics`.
    pub fn new(
        store: Store,
        fetcher: Fetcher,
        urls: BridgeUrls,
        metrics: Arc<Metrics>,
        settings: Settings,
    ) -> Worker {
        let global = Semaphore::new(settings.concurrency.max(1));
        // Every enqueue signals the store's waker, whoever queues.
        let wake = store.queue_waker();
        Worker {
            shared: Arc::new(Shared {
                store,
                fetcher,
                urls,
                metrics,
                global,
                settings,
                wake,
                keys: Mutex::new(HashMap::new()),
                hosts: Mutex::new(HashMap::new()),
                in_flight: Mutex::new(HashSet::new()),
            }),
        }
    }

    /// What enqueuers signal (pass it to [`super::fan_out`]) so new jobs go out at once
    /// rather than at the next idle poll.
    pub fn waker(&self) -> Arc<Notify> {
        Arc::clone(&self.shared.wake)
    }

    /// Delivers until `shutdown` completes: takes due jobs, runs them concurrently within
    /// the caps, sleeps until woken or the idle poll when nothing is due. On shutdown it waits
    /// up to `shutdown_grace` for deliveries in flight; the rest stay queued for the next start.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let s = Arc::clone(&self.shared);
        let mut shutdown = std::pin::pin!(shutdown);
        let mut tasks: JoinSet<()> = JoinSet::new();
        let max_pending = max_pending(&s.settings);
        let mut depth_at: Option<Instant> = None;
        loop {
            while let Some(r) = tasks.try_join_next() {
                if let Err(e) = r
                    && e.is_panic()
                {
                    tracing::error!(error = %e, "a delivery task panicked");
                }
            }
            let room = max_pending.saturating_sub(lock(&s.in_flight).len());
            // Jobs put to work in this round (not handed back, not already held).
            let mut started = 0;
            // Whether a full lane sent some of this round's jobs back to the queue.
            let mut handed_back = false;
            if room > 0 {
                // The lease is the in-memory set of held jobs: the store is not written
                // until a job's outcome is known (after a crash, unfinished jobs are due).
                let held = lock(&s.in_flight).clone();
                match s
                    .store
                    .due_jobs_except(now_ms(), room.min(s.settings.batch), held)
                    .await
                {
                    Ok(jobs) => {
                        let mut overflow = Vec::new();
                        for job in jobs {
                            if !lock(&s.in_flight).insert(job.id) {
                                // Taken by a lane task meanwhile.
                                continue;
                            }
                            match Shared::dispatch(&s, job, &mut tasks) {
                                Some(job) => overflow.push(job.id),
                                None => started += 1,
                            }
                        }
                        handed_back = !overflow.is_empty();
                        s.hand_back(overflow).await;
                    }
                    Err(e) => tracing::error!(error = %e, "cannot read due delivery jobs"),
                }
            }
            // More may be due: lease again at once, unless this round found jobs of busy
            // hosts (then wait for a lane to drain, rather than spin through their backlog).
            if started > 0 && !handed_back && lock(&s.in_flight).len() < max_pending {
                continue;
            }
            if depth_at.is_none_or(|t| t.elapsed() >= DEPTH_EVERY) {
                depth_at = Some(Instant::now());
                if let Ok(n) = s.store.queue_len().await {
                    s.metrics.set_queue_depth(n as u64);
                }
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = s.wake.notified() => {}
                () = tokio::time::sleep(s.settings.idle_poll) => {}
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            }
        }
        let grace = s.settings.shutdown_grace;
        let drained =
            tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            tracing::info!(
                abandoned = tasks.len(),
                "shutdown: deliveries still in flight stay queued for the next start"
            );
            tasks.abort_all();
        }
    }
}

impl Shared {
    fn slot(&self, host: &str) -> Arc<HostSlot> {
        let mut hosts = lock(&self.hosts);
        if hosts.len() > 50_000 {
            // Forget idle hosts (their breaker state is in the store).
            hosts.retain(|_, v| Arc::strong_count(v) > 1);
        }
        Arc::clone(hosts.entry(host.to_string()).or_insert_with(|| {
            Arc::new(HostSlot {
                lane: Mutex::new(Lane::default()),
                state: tokio::sync::Mutex::new(None),
                probe: tokio::sync::Mutex::new(()),
            })
        }))
    }

    /// Puts a leased job in its host's lane: run at once when the lane has room, else wait
    /// there for the host's next free lane task. A job that finds the lane's waiting line full
    /// is returned, for [`Shared::hand_back`].
    fn dispatch(this: &Arc<Shared>, job: Job, tasks: &mut JoinSet<()>) -> Option<Job> {
        let host = Url::parse(&job.inbox)
            .ok()
            .and_then(|u| authority(&u))
            .unwrap_or_default();
        let slot = this.slot(&host);
        {
            let mut lane = lock(&slot.lane);
            let per_host = this.settings.per_host_concurrency.max(1);
            if lane.active >= per_host {
                if lane.waiting.len() >= lane_cap(&this.settings) {
                    return Some(job);
                }
                lane.waiting.push_back(job);
                return None;
            }
            lane.active += 1;
        }
        let shared = Arc::clone(this);
        tasks.spawn(async move {
            let mut task = LaneTask {
                shared: Arc::clone(&shared),
                slot: Arc::clone(&slot),
                left: false,
            };
            let mut next = Some(job);
            while let Some(job) = next {
                let guard = InFlight {
                    shared: Arc::clone(&shared),
                    id: job.id,
                };
                shared.deliver(job).await;
                drop(guard);
                let mut lane = lock(&slot.lane);
                next = lane.waiting.pop_front();
                if lane.waiting.len() == lane_cap(&shared.settings) / 2 {
                    // Half of a full line is gone: ask the loop to lease more for this host
                    // now rather than at the next idle poll.
                    shared.wake.notify_one();
                }
                if next.is_none() {
                    // Leaving under the lock: a job dispatched from now on starts a new task.
                    lane.active = lane.active.saturating_sub(1);
                    task.left = true;
                }
            }
        });
        None
    }

    /// Returns jobs a full lane could not take to the queue, due again shortly and without
    /// counting an attempt, so a busy host's backlog stays in the store, not in memory.
    async fn hand_back(&self, ids: Vec<u64>) {
        if ids.is_empty() {
            return;
        }
        let next = now_ms().saturating_add(millis(OVERFLOW_DELAY));
        if let Err(e) = self.store.postpone(ids.clone(), next).await {
            tracing::warn!(error = %e, "cannot hand jobs back; they stay due");
        }
        let mut in_flight = lock(&self.in_flight);
        for id in ids {
            in_flight.remove(&id);
        }
    }

    /// The breaker state of `host`, loading it on first use.
    async fn host_gate(&self, host: &str, slot: &HostSlot) -> Gate {
        let mut st = slot.state.lock().await;
        if st.is_none() {
            match self.store.host_state(host).await {
                Ok(h) => *st = Some(h),
                Err(e) => {
                    tracing::warn!(host = ?host, error = %e, "cannot read host state");
                    return Gate::Closed;
                }
            }
        }
        st.as_ref().map_or(Gate::Closed, |h| {
            gate(h, now_ms(), self.settings.breaker_failures)
        })
    }

    /// Applies `change` to the host's breaker state and stores it when it changed; returns
    /// the pause end when the host is paused afterwards.
    async fn update_host(
        &self,
        host: &str,
        slot: &HostSlot,
        change: impl FnOnce(&mut HostState) -> bool,
    ) -> Option<u64> {
        let mut st = slot.state.lock().await;
        let state = st.get_or_insert_with(HostState::default);
        if change(state)
            && let Err(e) = self.store.put_host_state(host, state).await
        {
            tracing::warn!(host = ?host, error = %e, "cannot store host state");
        }
        state.paused_until_ms.filter(|&t| t > now_ms())
    }

    /// The parsed signing key of a puppet, cached (parsing RSA keys is not free).
    async fn key(&self, handle: &str) -> Result<Arc<KeyPair>, String> {
        if let Some(k) = lock(&self.keys).get(handle) {
            return Ok(Arc::clone(k));
        }
        let stored = self
            .store
            .get_keypair(handle)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("puppet {handle:?} has no key"))?;
        let pair =
            tokio::task::spawn_blocking(move || KeyPair::from_pkcs8_der(&stored.private_pkcs8_der))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
        let pair = Arc::new(pair);
        lock(&self.keys).insert(handle.to_string(), Arc::clone(&pair));
        Ok(pair)
    }

    /// Signs (on the blocking pool, afresh for every attempt) and POSTs one job.
    async fn attempt(&self, job: &Job, url: &Url) -> Attempt {
        let key = match self.key(&job.signer).await {
            Ok(k) => k,
            Err(e) => return Attempt::Unsendable(e),
        };
        if job.protocol == Protocol::OStatus {
            return match super::salmon::send(&self.fetcher, key, &job.body, url).await {
                Ok(_) => Attempt::Sent,
                Err(super::salmon::SendError::Failed(e)) => Attempt::Failed(e),
                Err(super::salmon::SendError::Unsendable(r)) => Attempt::Unsendable(r),
            };
        }
        let key_id = self.urls.key_id(&job.signer);
        let body = job.body.clone().into_bytes();
        let content_type = job.content_type.clone();
        let target = url.clone();
        let signed = tokio::task::spawn_blocking(move || {
            let out = Outgoing {
                method: "POST",
                url: &target,
                body: &body,
                content_type: Some(&content_type),
            };
            sign_request(&out, &key_id, &key, chrono::Utc::now()).map(|h| (h, body))
        })
        .await;
        let (signed, body) = match signed {
            Ok(Ok(x)) => x,
            Ok(Err(e)) => return Attempt::Unsendable(format!("signing failed: {e}")),
            Err(e) => return Attempt::Unsendable(format!("signing task failed: {e}")),
        };
        let mut headers = HeaderMap::new();
        for (name, value) in signed.iter() {
            // The client writes Host from the URL, the same value the signature covers.
            if name == "host" {
                continue;
            }
            let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) else {
                return Attempt::Unsendable(format!("unusable signed header {name}"));
            };
            headers.insert(n, v);
        }
        match self.fetcher.post(url, headers, body).await {
            Ok(_) => Attempt::Sent,
            Err(e) => Attempt::Failed(e),
        }
    }

    /// Finishes a job for good, counting `outcome`.
    async fn finish(&self, job: &Job, outcome: DeliveryOutcome) {
        self.metrics.delivery(outcome);
        if let Err(e) = self.store.complete(job.id).await {
            tracing::warn!(job = job.id, error = %e, "cannot complete job; it stays queued and is sent again");
        }
    }

    /// Makes a job due again at `next_ms`, unless that is past its age limit: then drops it.
    async fn retry_at(&self, job: &Job, next_ms: u64, error: &str, outcome: DeliveryOutcome) {
        let deadline = job.created_ms.saturating_add(millis(self.settings.max_age));
        if next_ms > deadline {
            tracing::info!(job = job.id, inbox = ?job.inbox, error = ?error, attempts = job.attempts + 1, "giving up: too old to retry");
            self.finish(job, DeliveryOutcome::Failed).await;
            return;
        }
        self.metrics.delivery(outcome);
        if let Err(e) = self.store.reschedule(job.id, next_ms, Some(error)).await {
            tracing::warn!(job = job.id, error = %e, "cannot reschedule job; it stays due and is tried again");
        }
    }

    /// One job, start to end.
    async fn deliver(&self, job: Job) {
        let now = now_ms();
        if now.saturating_sub(job.created_ms) > millis(self.settings.max_age) {
            tracing::info!(job = job.id, inbox = ?job.inbox, "dropping a delivery past max age");
            self.finish(&job, DeliveryOutcome::Failed).await;
            return;
        }
        if !matches!(
            job.protocol,
            Protocol::ActivityPub | Protocol::WebSub | Protocol::OStatus
        ) {
            let next = now.saturating_add(millis(UNSUPPORTED_RETRY));
            self.retry_at(
                &job,
                next,
                "no sender for this protocol yet",
                DeliveryOutcome::Retry,
            )
            .await;
            return;
        }
        // WebSub callbacks are never marked dead: a 410 ends the subscription instead.
        let dead = match job.protocol {
            Protocol::WebSub => Ok(None),
            _ => self.store.inbox_dead_since(&job.inbox).await,
        };
        match dead {
            Ok(Some(_)) => {
                tracing::debug!(job = job.id, inbox = ?job.inbox, "inbox is gone; not sending");
                self.finish(&job, DeliveryOutcome::Failed).await;
                return;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(job = job.id, error = %e, "cannot check inbox; the job stays due and is tried again");
                return;
            }
        }
        let Some((url, host)) = Url::parse(&job.inbox)
            .ok()
            .and_then(|u| authority(&u).map(|h| (u, h)))
        else {
            tracing::info!(job = job.id, inbox = ?job.inbox, "giving up: not a URL with a host");
            self.finish(&job, DeliveryOutcome::Failed).await;
            return;
        };
        let slot = self.slot(&host);
        let _probe = match self.host_gate(&host, &slot).await {
            Gate::Closed => None,
            Gate::Open(until) => {
                self.postpone(&job, until).await;
                return;
            }
            Gate::HalfOpen => {
                let guard = slot.probe.lock().await;
                // Whoever held the probe before may have settled it.
                match self.host_gate(&host, &slot).await {
                    Gate::Closed => None,
                    Gate::Open(until) => {
                        self.postpone(&job, until).await;
                        return;
                    }
                    Gate::HalfOpen => {
                        tracing::info!(host = ?host, "probing a host after its pause");
                        Some(guard)
                    }
                }
            }
        };
        let Ok(_permit) = self.global.acquire().await else {
            return;
        };
        let attempt = match job.protocol {
            Protocol::WebSub => {
                super::websub::push(&self.store, &self.fetcher, &self.urls, &job, &url).await
            }
            _ => self.attempt(&job, &url).await,
        };
        match attempt {
            Attempt::Sent => {
                self.update_host(&host, &slot, |s| record_answer(s, now_ms()))
                    .await;
                self.finish(&job, DeliveryOutcome::Delivered).await;
            }
            Attempt::Unsendable(reason) => {
                tracing::warn!(job = job.id, inbox = ?job.inbox, reason = ?reason, "giving up: cannot send");
                self.finish(&job, DeliveryOutcome::Failed).await;
            }
            Attempt::Dropped(reason) => {
                tracing::debug!(job = job.id, inbox = ?job.inbox, reason = ?reason, "dropping a delivery");
                self.finish(&job, DeliveryOutcome::Failed).await;
            }
            Attempt::Failed(e) if e.is_retryable() => {
                let threshold = self.settings.breaker_failures;
                let pause = self.settings.breaker_pause;
                let paused = self
                    .update_host(&host, &slot, |s| {
                        record_failure(s, now_ms(), threshold, pause);
                        true
                    })
                    .await;
                let failures = job.attempts.saturating_add(1);
                let delay = retry_delay(
                    failures,
                    self.settings.retry_base,
                    self.settings.retry_max,
                    job.id ^ u64::from(failures),
                );
                let mut next = now_ms().saturating_add(millis(delay));
                if let Some(until) = paused {
                    tracing::info!(host = ?host, until_ms = until, "host paused after repeated failures");
                    next = next.max(self.after_pause(until, job.id));
                }
                tracing::debug!(job = job.id, inbox = ?job.inbox, error = %e, attempts = failures, "delivery failed; will retry");
                self.retry_at(&job, next, &e.to_string(), DeliveryOutcome::Retry)
                    .await;
            }
            Attempt::Failed(e) => {
                if let FetchError::Status { status, .. } = &e {
                    // The host answered: it is up, whatever it thinks of this delivery.
                    self.update_host(&host, &slot, |s| record_answer(s, now_ms()))
                        .await;
                    if *status == StatusCode::GONE && job.protocol == Protocol::WebSub {
                        tracing::info!(callback = ?job.inbox, "callback answered 410 Gone; removing the subscription");
                        if let Err(err) = self
                            .store
                            .hub_remove_subscription(&job.signer, &job.inbox)
                            .await
                        {
                            tracing::warn!(error = %err, "cannot remove hub subscription");
                        }
                    } else if *status == StatusCode::GONE {
                        tracing::info!(inbox = ?job.inbox, "inbox answered 410 Gone; marking it dead");
                        if let Err(err) = self.store.mark_inbox_dead(&job.inbox).await {
                            tracing::warn!(error = %err, "cannot mark inbox dead");
                        }
                    }
                }
                tracing::info!(job = job.id, inbox = ?job.inbox, error = %e, "giving up: final answer");
                self.finish(&job, DeliveryOutcome::Failed).await;
            }
        }
    }

    /// A time shortly after a pause ends, spread so a paused host's jobs do not all return
    /// in the same millisecond (the probe goes first anyway).
    fn after_pause(&self, until: u64, seed: u64) -> u64 {
        let spread = jitter(self.settings.breaker_pause, PAUSE_SPREAD, seed)
            .abs_diff(self.settings.breaker_pause);
        until.saturating_add(millis(spread))
    }

    /// Sends a job of a paused host to after the pause (not an attempt: nothing was sent),
    /// or drops it when that is past its age limit.
    async fn postpone(&self, job: &Job, until: u64) {
        let next = self.after_pause(until, job.id);
        let deadline = job.created_ms.saturating_add(millis(self.settings.max_age));
        if next > deadline {
            tracing::info!(job = job.id, inbox = ?job.inbox, "giving up: the host is paused past the age limit");
            self.finish(job, DeliveryOutcome::Failed).await;
            return;
        }
        self.metrics.delivery(DeliveryOutcome::Paused);
        if let Err(e) = self.store.postpone(vec![job.id], next).await {
            tracing::warn!(job = job.id, error = %e, "cannot postpone job; it stays due");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_keeps_explicit_ports_apart() {
        let a = |s: &str| authority(&Url::parse(s).unwrap());
        assert_eq!(
            a("https://Mastodon.Example/inbox").unwrap(),
            "mastodon.example"
        );
        assert_eq!(a("http://127.0.0.1:8081/inbox").unwrap(), "127.0.0.1:8081");
        assert_eq!(a("https://m.example:443/inbox").unwrap(), "m.example");
    }
}
