//! The bridge as WebSub hub (PubSubHubbub 0.3, 0.4 and W3C WebSub) for its puppets' Atom
//! feeds: subscribe and unsubscribe requests at `<public_url>/hub`, the verification of
//! intent, and publishing a new entry to every live subscription through the durable queue.
//!
//! Decisions (PROTOCOLS.md §3, ostatus-anchors.md §6–§7 items 19 and 20):
//! - A request is answered 202 and verified asynchronously (Pleroma's subscriber wants
//!   exactly 202), unless its `hub.verify` list (0.3) names `sync` before `async`: then the
//!   callback is verified before answering, 204 on success and 409 on failure (the 0.3
//!   reference hub's answer).
//! - The request is stored as pending before the 202 (and made durable), so a restart re-runs
//!   its verification ([`Hub::resume_pending`]); a verification is tried once: a callback
//!   that fails it subscribes again.
//! - Verification GETs the callback with `hub.mode`, `hub.topic`, `hub.challenge` (32 random
//!   hex characters), `hub.lease_seconds` (subscribe) and `hub.verify_token` (when given)
//!   appended to the callback's own query string. Only a 2xx whose body is the challenge
//!   byte for byte counts (no trimming: Mastodon and Pleroma compare exactly, and every
//!   subscriber in the anchors echoes the bare value). Anything else leaves the state as it
//!   was.
//! - Leases: missing or empty `hub.lease_seconds` → `[websub] hub_default_lease_seconds`
//!   (3 days shipped); every lease is clamped to [`MIN_LEASE_SECONDS`]–[`MAX_LEASE_SECONDS`]
//!   (1–30 days). Expired leases get no pushes and are swept ([`Hub::sweep`], at publish).
//! - `X-Hub-Signature` uses sha1 unless the operator's `hub_signature_algorithm` says
//!   otherwise or the subscriber sends the extra (non-standard) `hub.signature_algo`
//!   parameter (`sha1`, `sha256`, `sha384`, `sha512`).
//! - Callbacks must be http(s) URLs the outbound policy allows: private, loopback and
//!   link-local addresses (also behind a name) are refused with 403 unless
//!   `security.allow_private_networks` is on. A host with `hub_max_subscriptions_per_callback_host`
//!   pending or active subscriptions gets 429.
//! - `hub.mode=publish` is answered 204 and otherwise ignored: the bridge publishes its
//!   puppets' entries itself ([`publish`]).

use std::fmt::Write as _;
use std::sync::Arc;

use http::StatusCode;
use tokio::sync::{Notify, Semaphore};
use url::{Host, Url};

use super::HmacAlgo;
use crate::config::WebsubConfig;
use crate::net::fetch::{Accept, FetchError, Fetcher};
use crate::net::policy::Refused;
use crate::puppet::BridgeUrls;
use crate::store::{
    HubMode, HubPending, NewJob, PendingAdded, Protocol, Store, StoreError, now_ms,
};

/// The shortest lease granted: 1 day (Mastodon's lower bound).
pub const MIN_LEASE_SECONDS: u64 = 86_400;
/// The longest lease granted: 30 days (Mastodon's and GNU social's upper bound; WebSub hubs
/// must not grant perpetual leases).
pub const MAX_LEASE_SECONDS: u64 = 30 * 86_400;
/// `hub.secret` must be shorter than 200 bytes (PubSubHubbub 0.3/0.4, WebSub).
pub const MAX_SECRET_BYTES: usize = 199;
/// The media type of a push: the topic's, an Atom feed.
pub const ATOM: &str = "application/atom+xml";

/// Verifications running at once (the rest wait): a flood of subscribe requests from many
/// hosts must not open unbounded outbound connections.
const VERIFY_CONCURRENCY: usize = 32;
/// Subscriptions read per store call while fanning out.
const PAGE: usize = 1000;
/// Expired subscriptions deleted per store scan while sweeping.
const SWEEP_BATCH: usize = 1000;
/// How often [`Hub::maintain`] deletes expired subscriptions (publishing sweeps too, and
/// pushes check the lease, so this only keeps the store small).
pub const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);
/// Longest accepted `hub.callback` (the store's key part limit, less the handle).
const MAX_CALLBACK_BYTES: usize = 2048;

/// How the hub paces and limits itself; [`HubSettings::from_config`] reads `[websub]`.
#[derive(Debug, Clone)]
pub struct HubSettings {
    /// Lease for requests that ask for none, in seconds (clamped like any other).
    pub default_lease_seconds: u64,
    /// Most pending or active subscriptions per callback host.
    pub max_per_callback_host: u64,
    /// `X-Hub-Signature` algorithm unless the subscriber asks for another.
    pub default_algo: HmacAlgo,
}

impl HubSettings {
    /// The settings `[websub]` describes (an unknown algorithm name, which config validation
    /// refuses, falls back to sha1).
    pub fn from_config(c: &WebsubConfig) -> HubSettings {
        HubSettings {
            default_lease_seconds: clamp_lease(c.hub_default_lease_seconds),
            max_per_callback_host: c.hub_max_subscriptions_per_callback_host,
            default_algo: HmacAlgo::from_name(&c.hub_signature_algorithm).unwrap_or(HmacAlgo::Sha1),
        }
    }
}

/// A lease in the granted range.
pub fn clamp_lease(seconds: u64) -> u64 {
    seconds.clamp(MIN_LEASE_SECONDS, MAX_LEASE_SECONDS)
}

/// Why a hub request was refused; each maps to the status the subscriber gets, with the
/// message as its plain-text reason.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// A required parameter is missing.
    #[error("{0} is required")]
    Missing(&'static str),
    /// `hub.mode` is not subscribe, unsubscribe or publish.
    #[error("hub.mode {0:?} is not subscribe, unsubscribe or publish")]
    Mode(String),
    /// `hub.topic` is not a puppet feed of this bridge.
    #[error("hub.topic {0:?} is not a feed of this hub")]
    UnknownTopic(String),
    /// `hub.callback` is not an absolute http(s) URL.
    #[error("hub.callback {url:?} is not usable: {reason}")]
    BadCallback {
        /// The callback as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `hub.callback` is at an address or host the operator does not allow.
    #[error("hub.callback refused: {0}")]
    CallbackRefused(#[from] Refused),
    /// `hub.secret` is 200 bytes or longer.
    #[error("hub.secret must be shorter than 200 bytes (got {0})")]
    SecretTooLong(usize),
    /// `hub.lease_seconds` is not a non-negative integer.
    #[error("hub.lease_seconds {0:?} is not a number of seconds")]
    Lease(String),
    /// `hub.verify` names neither sync nor async.
    #[error("hub.verify names no supported mode (sync, async)")]
    VerifyMode,
    /// `hub.signature_algo` names no supported HMAC.
    #[error("hub.signature_algo {0:?} is not sha1, sha256, sha384 or sha512")]
    Algorithm(String),
    /// The callback's host has too many subscriptions.
    #[error("too many subscriptions for callbacks on {host} (limit {limit})")]
    Flood {
        /// The callback host.
        host: String,
        /// The limit.
        limit: u64,
    },
    /// A synchronous verification failed (0.3 `hub.verify=sync`).
    #[error("verification of intent failed: {0}")]
    Verification(#[from] VerifyError),
    /// The store failed.
    #[error("internal error: the store failed")]
    Store(#[from] StoreError),
}

impl HubError {
    /// The status a subscriber gets for this refusal.
    pub fn status(&self) -> StatusCode {
        match self {
            HubError::UnknownTopic(_) => StatusCode::NOT_FOUND,
            HubError::CallbackRefused(_) => StatusCode::FORBIDDEN,
            HubError::Flood { .. } => StatusCode::TOO_MANY_REQUESTS,
            HubError::Verification(_) => StatusCode::CONFLICT,
            HubError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// Why a verification of intent failed.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The callback could not be reached or answered with an error status.
    #[error("GET callback: {0}")]
    Fetch(#[from] FetchError),
    /// It answered, but not 2xx (a 304, say).
    #[error("the callback answered {0}, not 2xx")]
    Status(StatusCode),
    /// It answered 2xx with something other than the challenge.
    #[error("the callback did not echo the challenge")]
    Echo,
    /// A newer request for the same subscription replaced this one meanwhile.
    #[error("superseded by a newer request for the same subscription")]
    Superseded,
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// What an accepted hub request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// Verification runs in the background: answer 202.
    Deferred,
    /// Verified synchronously: answer 204.
    Verified,
    /// A publish ping: answer 204.
    Published,
}

impl Accepted {
    /// The status to answer with.
    pub fn status(self) -> StatusCode {
        match self {
            Accepted::Deferred => StatusCode::ACCEPTED,
            Accepted::Verified | Accepted::Published => StatusCode::NO_CONTENT,
        }
    }
}

/// A subscribe or unsubscribe request, parsed and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Request {
    mode: HubMode,
    handle: String,
    callback: Url,
    secret: Option<String>,
    lease_seconds: u64,
    sync: bool,
    verify_token: Option<String>,
    algo: HmacAlgo,
}

/// The hub: cheap to clone; one per server, so its verification cap is shared.
#[derive(Clone)]
pub struct Hub {
    store: Store,
    fetcher: Fetcher,
    urls: Arc<BridgeUrls>,
    settings: Arc<HubSettings>,
    verifying: Arc<Semaphore>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("hub", &self.urls.hub())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// The first value of `name` in a form.
fn first<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// 16 random bytes as 32 lowercase hex characters.
fn challenge() -> Result<String, StoreError> {
    use aws_lc_rs::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| StoreError::Task("no randomness for a hub challenge".into()))?;
    let mut out = String::with_capacity(32);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    Ok(out)
}

impl Hub {
    /// A hub over `store`, verifying through `fetcher` (whose policy judges callbacks), for
    /// the feeds `urls` names.
    pub fn new(
        store: Store,
        fetcher: Fetcher,
        urls: Arc<BridgeUrls>,
        settings: HubSettings,
    ) -> Hub {
        Hub {
            store,
            fetcher,
            urls,
            settings: Arc::new(settings),
            verifying: Arc::new(Semaphore::new(VERIFY_CONCURRENCY)),
        }
    }

    /// The puppet handle a topic names, when it is exactly one of our feed URLs.
    pub fn topic_handle(&self, topic: &str) -> Option<String> {
        let handle = self.urls.handle_of(topic)?;
        (self.urls.feed(&handle) == topic).then_some(handle)
    }

    /// Answers one `POST /hub` with form body `body`: checks it, stores the request as
    /// pending, and verifies it (in the background unless the subscriber asked for sync).
    pub async fn handle(&self, body: &[u8]) -> Result<Accepted, HubError> {
        let form: Vec<(String, String)> = url::form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let Some(req) = self.parse(&form).await? else {
            return Ok(Accepted::Published);
        };
        let pending = HubPending {
            handle: req.handle.clone(),
            callback: req.callback.to_string(),
            mode: req.mode,
            secret: req.secret.clone(),
            algo: req.algo,
            lease_seconds: req.lease_seconds,
            verify_token: req.verify_token.clone(),
            challenge: challenge()?,
            requested_ms: now_ms(),
        };
        let limit = self.settings.max_per_callback_host;
        if self.store.hub_add_pending(&pending, limit).await? == PendingAdded::HostFull {
            let host = crate::store::host_of(&pending.callback).unwrap_or_default();
            tracing::info!(host = ?host, limit, "hub subscribe refused: callback host at its limit");
            return Err(HubError::Flood { host, limit });
        }
        tracing::debug!(
            mode = req.mode.name(),
            handle = ?req.handle,
            callback = %req.callback,
            sync = req.sync,
            "hub request pending verification"
        );
        if req.sync {
            self.verify(&pending).await?;
            return Ok(Accepted::Verified);
        }
        // The 202 promises a verification: make the pending request survive a crash first.
        self.store.durable().await?;
        let hub = self.clone();
        tokio::spawn(async move {
            let _ = hub.verify(&pending).await;
        });
        Ok(Accepted::Deferred)
    }

    /// The request in `form`, checked; `None` for a publish ping.
    async fn parse(&self, form: &[(String, String)]) -> Result<Option<Request>, HubError> {
        let mode = match first(form, "hub.mode") {
            None | Some("") => return Err(HubError::Missing("hub.mode")),
            Some("subscribe") => HubMode::Subscribe,
            Some("unsubscribe") => HubMode::Unsubscribe,
            Some("publish") => return Ok(None),
            Some(other) => return Err(HubError::Mode(other.to_string())),
        };
        let topic = first(form, "hub.topic")
            .filter(|t| !t.is_empty())
            .ok_or(HubError::Missing("hub.topic"))?;
        let callback = first(form, "hub.callback")
            .filter(|c| !c.is_empty())
            .ok_or(HubError::Missing("hub.callback"))?;
        let handle = self
            .topic_handle(topic)
            .ok_or_else(|| HubError::UnknownTopic(topic.to_string()))?;
        if self.store.get_puppet_by_handle(&handle).await?.is_none() {
            return Err(HubError::UnknownTopic(topic.to_string()));
        }
        let callback = self.check_callback(callback).await?;
        let secret = match first(form, "hub.secret") {
            None | Some("") => None,
            Some(s) if s.len() > MAX_SECRET_BYTES => return Err(HubError::SecretTooLong(s.len())),
            Some(s) => Some(s.to_string()),
        };
        let lease_seconds = match first(form, "hub.lease_seconds").map(str::trim) {
            None | Some("") => self.settings.default_lease_seconds,
            Some(text) => clamp_lease(
                text.parse::<u64>()
                    .map_err(|_| HubError::Lease(text.to_string()))?,
            ),
        };
        // 0.3: `hub.verify` is repeatable, in order of preference; the first mode we know wins.
        let mut verify = form.iter().filter(|(k, _)| k == "hub.verify").peekable();
        let sync = if verify.peek().is_none() {
            false
        } else {
            match verify.find_map(|(_, v)| match v.as_str() {
                "sync" => Some(true),
                "async" => Some(false),
                _ => None,
            }) {
                Some(sync) => sync,
                None => return Err(HubError::VerifyMode),
            }
        };
        let algo = match first(form, "hub.signature_algo").filter(|a| !a.is_empty()) {
            None => self.settings.default_algo,
            Some(a) => HmacAlgo::from_name(a).ok_or_else(|| HubError::Algorithm(a.to_string()))?,
        };
        Ok(Some(Request {
            mode,
            handle,
            callback,
            secret,
            lease_seconds,
            sync,
            verify_token: first(form, "hub.verify_token")
                .filter(|t| !t.is_empty())
                .map(str::to_string),
            algo,
        }))
    }

    /// The callback as a URL the bridge may call: http(s), within the length limit, and
    /// allowed by the outbound policy, including every address its name resolves to.
    async fn check_callback(&self, text: &str) -> Result<Url, HubError> {
        let bad = |reason: &str| HubError::BadCallback {
            url: text.to_string(),
            reason: reason.to_string(),
        };
        if text.len() > MAX_CALLBACK_BYTES || text.contains('\0') {
            return Err(bad("too long or contains NUL"));
        }
        let url = Url::parse(text).map_err(|e| bad(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("not an http(s) URL"));
        }
        let policy = self.fetcher.policy();
        policy.check_url(&url)?;
        if let Some(Host::Domain(name)) = url.host()
            && !policy.allows_private()
        {
            let port = url.port_or_known_default().unwrap_or(443);
            let addrs: Vec<_> = tokio::net::lookup_host((name, port))
                .await
                .map_err(|e| bad(&format!("its host does not resolve: {e}")))?
                .collect();
            // Refused when any address is: the fetcher would skip those, but a name that
            // mixes private and public addresses is not one a subscriber needs.
            for a in &addrs {
                policy.check_ip(name, a.ip())?;
            }
            if addrs.is_empty() {
                return Err(bad("its host does not resolve"));
            }
        }
        Ok(url)
    }

    /// Runs the verification of intent for `pending` and applies the outcome: on an exact
    /// echo the subscription is stored (or removed, for unsubscribe), otherwise the pending
    /// request is forgotten and the state left as it was.
    pub async fn verify(&self, pending: &HubPending) -> Result<HubMode, VerifyError> {
        let outcome = match self.verification_get(pending).await {
            Ok(()) => self
                .store
                .hub_confirm(
                    &pending.handle,
                    &pending.callback,
                    &pending.challenge,
                    now_ms(),
                )
                .await
                .map_err(VerifyError::from)
                .and_then(|m| m.ok_or(VerifyError::Superseded)),
            Err(e) => Err(e),
        };
        match &outcome {
            Ok(mode) => {
                tracing::info!(
                    mode = mode.name(),
                    handle = ?pending.handle,
                    callback = ?pending.callback,
                    lease_seconds = pending.lease_seconds,
                    "hub subscription verified"
                );
            }
            Err(e) => {
                tracing::info!(
                    mode = pending.mode.name(),
                    handle = ?pending.handle,
                    callback = ?pending.callback,
                    error = %e,
                    "hub verification failed; state unchanged"
                );
                if !matches!(e, VerifyError::Superseded)
                    && let Err(se) = self
                        .store
                        .hub_drop_pending(&pending.handle, &pending.callback, &pending.challenge)
                        .await
                {
                    tracing::warn!(error = %se, "cannot forget a failed hub request");
                }
            }
        }
        outcome
    }

    /// The GET to the callback; Ok when it echoed the challenge exactly with a 2xx.
    async fn verification_get(&self, pending: &HubPending) -> Result<(), VerifyError> {
        let _permit = self.verifying.acquire().await;
        let mut url = Url::parse(&pending.callback).map_err(|e| FetchError::BadUrl {
            url: pending.callback.clone(),
            reason: e.to_string(),
        })?;
        {
            // Appends with `&` to whatever query the callback has; its own bytes stay as sent.
            let mut q = url.query_pairs_mut();
            q.append_pair("hub.mode", pending.mode.name());
            q.append_pair("hub.topic", &self.urls.feed(&pending.handle));
            q.append_pair("hub.challenge", &pending.challenge);
            if pending.mode == HubMode::Subscribe {
                q.append_pair("hub.lease_seconds", &pending.lease_seconds.to_string());
            }
            if let Some(token) = &pending.verify_token {
                q.append_pair("hub.verify_token", token);
            }
        }
        let got = self.fetcher.get(&url, Accept::Any, &[]).await?;
        if !got.status.is_success() {
            return Err(VerifyError::Status(got.status));
        }
        if got.body != pending.challenge.as_bytes() {
            return Err(VerifyError::Echo);
        }
        Ok(())
    }

    /// Re-runs (in the background) every verification a previous run left pending; returns
    /// how many. Call once at start.
    pub async fn resume_pending(&self) -> Result<usize, StoreError> {
        let pending = self.store.hub_pending_all(usize::MAX).await?;
        let n = pending.len();
        for p in pending {
            let hub = self.clone();
            tokio::spawn(async move {
                let _ = hub.verify(&p).await;
            });
        }
        if n > 0 {
            tracing::info!(pending = n, "re-running hub verifications left pending");
        }
        Ok(n)
    }

    /// Deletes every subscription whose lease has ended; returns how many.
    pub async fn sweep(&self) -> Result<usize, StoreError> {
        sweep(&self.store).await
    }

    /// The hub's background work until `shutdown` completes: re-runs the verifications a
    /// previous run left pending, then sweeps expired leases every [`SWEEP_EVERY`].
    pub async fn maintain(self, shutdown: impl std::future::Future<Output = ()>) {
        if let Err(e) = self.resume_pending().await {
            tracing::warn!(error = %e, "cannot read pending hub verifications");
        }
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            if let Err(e) = self.sweep().await {
                tracing::warn!(error = %e, "cannot sweep expired hub subscriptions");
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(SWEEP_EVERY) => {}
            }
        }
    }
}

/// Deletes every subscription whose lease has ended; returns how many.
pub async fn sweep(store: &Store) -> Result<usize, StoreError> {
    let now = now_ms();
    let mut total = 0;
    loop {
        let n = store.hub_expire(now, SWEEP_BATCH).await?;
        total += n;
        if n < SWEEP_BATCH {
            break;
        }
    }
    if total > 0 {
        tracing::info!(expired = total, "hub subscriptions expired");
    }
    Ok(total)
}

/// Pushes `atom_body` (the feed document or entry the subscribers get, byte for byte) to
/// every live subscription of `handle`'s feed: one durable WebSub job per subscription,
/// queued in one transaction, then wakes the worker through `wake`. Expired subscriptions
/// are swept first and get nothing. Returns the number of pushes queued.
pub async fn publish(
    store: &Store,
    urls: &BridgeUrls,
    handle: &str,
    atom_body: String,
    wake: &Notify,
) -> Result<usize, StoreError> {
    sweep(store).await?;
    let now = now_ms();
    let mut jobs = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store
            .hub_subscriptions(handle, after.as_deref(), PAGE)
            .await?;
        let full = page.len() == PAGE;
        after = page.last().map(|s| s.callback.clone());
        jobs.extend(page.into_iter().filter(|s| s.is_live(now)).map(|s| NewJob {
            protocol: Protocol::WebSub,
            inbox: s.callback,
            signer: handle.to_string(),
            content_type: ATOM.to_string(),
            body: atom_body.clone(),
            not_before_ms: 0,
        }));
        if !full {
            break;
        }
    }
    let n = jobs.len();
    if n > 0 {
        store.enqueue_many(jobs).await?;
        wake.notify_one();
    }
    tracing::debug!(topic = %urls.feed(handle), pushes = n, "hub publish queued");
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_are_clamped_to_one_to_thirty_days() {
        assert_eq!(clamp_lease(0), 86_400);
        assert_eq!(clamp_lease(5), 86_400);
        assert_eq!(clamp_lease(200_000), 200_000);
        assert_eq!(clamp_lease(1_000_000_000), 2_592_000);
    }

    #[test]
    fn challenges_are_fresh_hex() {
        let a = challenge().unwrap();
        let b = challenge().unwrap();
        assert_eq!(a.len(), 32);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a, b);
    }

    #[test]
    fn statuses() {
        assert_eq!(HubError::Mode("x".into()).status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            HubError::UnknownTopic("x".into()).status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            HubError::Flood {
                host: "h".into(),
                limit: 1
            }
            .status(),
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(
            HubError::CallbackRefused(Refused::Scheme("ftp".into())).status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(Accepted::Deferred.status(), StatusCode::ACCEPTED);
        assert_eq!(Accepted::Verified.status(), StatusCode::NO_CONTENT);
    }
}
