//! The bridge as a WebSub subscriber: legacy feeds that ActivityPub users follow are pushed
//! to the bridge by their hub instead of being polled (PROTOCOLS.md §3; ostatus-anchors §7
//! items 20 and 21).
//!
//! - [`Subscriber::subscribe`] discovers hub and topic (HTTP `Link` headers of the feed first,
//!   then the feed's own `rel=hub` / `rel=self` links, then what discovery stored), primes the
//!   feed's seen entries with that same GET, and POSTs `hub.mode=subscribe` with
//!   `hub.verify=async`, an explicit `hub.lease_seconds`, a fresh `hub.secret` (https hubs, or
//!   any hub when `subscriber.secret_over_http` is set) and an unguessable callback. Any 2xx
//!   is accepted (GNU social answers 204); 3xx and 4xx other than 429 are final (the feed is
//!   polled); 5xx, 429 and network failures are retried by [`Subscriber::maintain`].
//! - [`Subscriber::verify`] answers a hub's verification GET only for a request the bridge
//!   made (known callback id, same mode, same topic), and records the lease.
//! - [`Subscriber::receive_push`] checks `X-Hub-Signature` (sha1/256/384/512, constant time);
//!   a missing or bad signature is logged and the content dropped, but the hub still gets a
//!   2xx. A good push goes through [`Poller::ingest`], the same path as a poll, so entries are
//!   deduplicated by id across pushes and polls. A push to a subscription without a secret
//!   is not trusted: it only makes the bridge fetch the feed itself.
//! - [`Subscriber::maintain`] renews leases `renew_before_seconds` ahead, retries, drops
//!   subscriptions nobody follows any more, and subscribes followed puppets that have none.

use std::future::Future;
use std::time::Duration;

use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, StatusCode};
use url::Url;

use super::SignatureError;
use crate::codec;
use crate::config::Config;
use crate::model::Document;
use crate::net::fetch::{Accept, FetchError, Fetcher};
use crate::poll::{Origin, PollError, Polled, Poller};
use crate::puppet::BridgeUrls;
use crate::store::{
    LegacySubMode, LegacySubState, LegacySubscription, Puppet, Store, StoreError, now_ms,
};

/// Subscriptions and puppets read per store call in the maintenance pass.
const PAGE: usize = 100;

/// Longest wait before retrying a hub that answered 5xx/429 or could not be reached.
const MAX_RETRY_MS: u64 = 6 * 3600 * 1000;

/// How the subscriber behaves (`[subscriber]`).
#[derive(Debug, Clone)]
pub struct SubscriberSettings {
    /// Subscribe at all.
    pub enabled: bool,
    /// The `hub.lease_seconds` asked for.
    pub lease_seconds: u64,
    /// Renew this long before a lease ends.
    pub renew_before: Duration,
    /// Time between two maintenance passes.
    pub check_interval: Duration,
    /// A request the hub never verified is sent again after this long.
    pub pending_timeout: Duration,
    /// Send `hub.secret` to plain-http hubs too.
    pub secret_over_http: bool,
}

impl SubscriberSettings {
    /// The settings `[subscriber]` describes.
    pub fn from_config(c: &Config) -> SubscriberSettings {
        let s = &c.subscriber;
        SubscriberSettings {
            enabled: s.enabled,
            lease_seconds: s.lease_seconds.max(1),
            renew_before: Duration::from_secs(s.renew_before_seconds),
            check_interval: Duration::from_secs(s.check_interval_seconds.max(1)),
            pending_timeout: Duration::from_secs(s.pending_timeout_seconds.max(1)),
            secret_over_http: s.secret_over_http,
        }
    }
}

/// Why a subscription change could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SubscribeError {
    /// No puppet has this handle.
    #[error("no puppet {0:?}")]
    UnknownPuppet(String),
    /// The puppet has no legacy feed to subscribe to.
    #[error("puppet {0:?} has no feed")]
    NoFeed(String),
    /// The feed could not be fetched for discovery (retried by the next maintenance pass).
    #[error("fetching the feed: {0}")]
    Fetch(#[from] FetchError),
    /// The feed URL does not parse.
    #[error("bad feed URL {0:?}")]
    BadUrl(String),
    /// The system random generator failed (no callback id or secret could be made).
    #[error("the system random generator failed")]
    Random,
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// What a subscription change came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `subscriber.enabled` is false; feeds are polled.
    Disabled,
    /// The feed names no hub; it is polled.
    NoHub,
    /// The hub accepted the request (any 2xx); the verification GET completes it.
    Sent {
        /// What was asked.
        mode: LegacySubMode,
        /// The hub's status.
        status: u16,
    },
    /// The hub refused for good (3xx, 4xx other than 429); the feed is polled.
    Refused {
        /// What was asked.
        mode: LegacySubMode,
        /// Why.
        reason: String,
    },
    /// The hub failed for now (5xx, 429, network); the request is sent again later.
    RetryLater {
        /// What was asked.
        mode: LegacySubMode,
        /// Why.
        reason: String,
    },
    /// Nothing to do: already subscribed (or asked), or nothing to unsubscribe.
    Unchanged,
    /// Only the bridge's own record was dropped (the hub never confirmed anything).
    Removed,
}

/// Why a verification GET is not confirmed.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The callback id is not one of ours (404).
    #[error("no subscription with this callback")]
    Unknown,
    /// A required query parameter is missing (400).
    #[error("missing {0}")]
    Missing(&'static str),
    /// `hub.mode` is not what the bridge asked for (404).
    #[error("hub.mode {got:?} does not match a request of ours ({pending})")]
    Mode {
        /// What the hub says.
        got: String,
        /// What is pending, if anything.
        pending: String,
    },
    /// `hub.topic` is not the subscription's topic (404).
    #[error("hub.topic {got:?} is not the subscribed topic {want:?}")]
    Topic {
        /// What the hub says.
        got: String,
        /// Ours.
        want: String,
    },
    /// The store failed (500).
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// A verification GET the bridge confirms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// Echo `challenge` (exactly) as a 2xx body.
    Challenge(String),
    /// `hub.mode=denied` recorded; the feed is polled.
    Denied,
}

/// What became of an accepted push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pushed {
    /// Signed with the subscription's secret and ingested.
    Ingested(Polled),
    /// The subscription has no secret: the feed was fetched instead of trusting the body.
    Fetched(Polled),
    /// Missing or bad signature: logged, nothing stored, still a 2xx to the hub.
    Ignored(SignatureError),
}

/// Why a push was refused.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// No such subscription, or one being dropped: 410 tells the hub to stop.
    #[error("no live subscription with this callback")]
    Gone,
    /// The pushed or fetched feed could not be read, or storing it failed.
    #[error(transparent)]
    Ingest(#[from] PollError),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// The subscriber. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Subscriber {
    store: Store,
    fetcher: Fetcher,
    urls: BridgeUrls,
    poller: Poller,
    settings: SubscriberSettings,
}

/// Stripes of locks around read-modify-write of one subscription record (never held across
/// a request to a hub: a hub may verify while its answer to the subscribe is still open).
static SUB_LOCKS: [tokio::sync::Mutex<()>; 16] = [const { tokio::sync::Mutex::const_new(()) }; 16];

fn sub_lock(handle: &str) -> &'static tokio::sync::Mutex<()> {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    handle.hash(&mut h);
    &SUB_LOCKS[(h.finish() % SUB_LOCKS.len() as u64) as usize]
}

/// `n` random bytes as lowercase hex: callback ids (16 bytes) and secrets (20 bytes).
fn random_hex(n: usize) -> Result<String, SubscribeError> {
    let mut buf = vec![0u8; n];
    aws_lc_rs::rand::fill(&mut buf).map_err(|_| SubscribeError::Random)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// `(target, rels)` of each link in a `Link` header value (RFC 8288), rels lower-cased.
fn parse_link_header(value: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('>') else {
            break;
        };
        let target = after[..end].trim().to_string();
        let params = &after[end + 1..];
        let mut quoted = false;
        let mut cut = params.len();
        for (i, c) in params.char_indices() {
            match c {
                '"' => quoted = !quoted,
                ',' if !quoted => {
                    cut = i;
                    break;
                }
                _ => {}
            }
        }
        let mut rels = Vec::new();
        for param in params[..cut].split(';') {
            if let Some((k, v)) = param.split_once('=')
                && k.trim().eq_ignore_ascii_case("rel")
            {
                rels.extend(
                    v.trim()
                        .trim_matches('"')
                        .split_whitespace()
                        .map(str::to_ascii_lowercase),
                );
            }
        }
        out.push((target, rels));
        rest = &params[cut..];
    }
    out
}

/// The first `hub` and `self` targets in the `Link` headers, resolved against `base`.
fn link_header_rels(headers: &HeaderMap, base: &Url) -> (Option<String>, Option<String>) {
    let (mut hub, mut this) = (None, None);
    for value in headers.get_all(http::header::LINK) {
        let Ok(value) = value.to_str() else {
            continue;
        };
        for (target, rels) in parse_link_header(value) {
            let Ok(url) = base.join(&target) else {
                continue;
            };
            if hub.is_none() && rels.iter().any(|r| r == "hub") {
                hub = Some(url.to_string());
            }
            if this.is_none() && rels.iter().any(|r| r == "self") {
                this = Some(url.to_string());
            }
        }
    }
    (hub, this)
}

/// Hub and topic of a fetched feed, in WebSub's order: the HTTP `Link` headers, then the
/// document's own links, then the hub discovery stored with the puppet; the topic falls back
/// to the URL the feed was fetched from.
fn discover(
    puppet: &Puppet,
    fetched_url: &Url,
    headers: &HeaderMap,
    body: &[u8],
    config_limits: &codec::Limits,
) -> (Option<String>, String) {
    let (mut hub, mut topic) = link_header_rels(headers, fetched_url);
    if hub.is_none() || topic.is_none() {
        let links = codec::detect(body)
            .ok()
            .and_then(|f| codec::decode(f, body, config_limits).ok())
            .and_then(|d| match d {
                Document::Feed(f) => Some(f.links),
                Document::Activity(_) => None,
            });
        if let Some(links) = links {
            let resolve = |u: &str| fetched_url.join(u).ok().map(|u| u.to_string());
            if hub.is_none() {
                hub = links.hub.as_deref().and_then(resolve);
            }
            if topic.is_none() {
                topic = links.self_.as_deref().and_then(resolve);
            }
        }
    }
    if hub.is_none() {
        hub = puppet
            .profile
            .get("endpoints")
            .and_then(|e| e.get("hub"))
            .and_then(serde_json::Value::as_str)
            .map(str::to_string);
    }
    (hub, topic.unwrap_or_else(|| fetched_url.to_string()))
}

impl Subscriber {
    /// A subscriber that ingests pushes with `poller` and names callbacks under `urls`.
    pub fn new(
        store: Store,
        fetcher: Fetcher,
        urls: BridgeUrls,
        poller: Poller,
        settings: SubscriberSettings,
    ) -> Subscriber {
        Subscriber {
            store,
            fetcher,
            urls,
            poller,
            settings,
        }
    }

    /// Its settings.
    pub fn settings(&self) -> &SubscriberSettings {
        &self.settings
    }

    /// Subscribes to puppet `handle`'s feed at its hub, unless a subscription is live or
    /// asked for already. Rediscovers the hub unless an earlier one is reused.
    pub async fn subscribe(&self, handle: &str) -> Result<Outcome, SubscribeError> {
        if !self.settings.enabled {
            return Ok(Outcome::Disabled);
        }
        let puppet = self
            .store
            .get_puppet_by_handle(handle)
            .await?
            .ok_or_else(|| SubscribeError::UnknownPuppet(handle.to_string()))?;
        let feed_url = puppet
            .feed_url
            .clone()
            .ok_or_else(|| SubscribeError::NoFeed(handle.to_string()))?;
        let existing = self.store.legacy_subscription_for(handle).await?;
        if let Some(sub) = &existing {
            match sub.pending_mode() {
                Some(LegacySubMode::Subscribe) => return Ok(Outcome::Unchanged),
                // Followed again before the hub confirmed the unsubscribe: ask again.
                Some(LegacySubMode::Unsubscribe) => {
                    return self.request(sub.clone(), LegacySubMode::Subscribe).await;
                }
                None if sub.state == LegacySubState::Active => return Ok(Outcome::Unchanged),
                None => {}
            }
        }
        let url = Url::parse(&feed_url).map_err(|_| SubscribeError::BadUrl(feed_url.clone()))?;
        let fetched = self.fetcher.get(&url, Accept::Feed, &[]).await?;
        let (hub, topic) = discover(
            &puppet,
            &fetched.url,
            &fetched.headers,
            &fetched.body,
            self.poller.limits(),
        );
        // The GET is a poll too: it primes the seen entries, so the first push bridges only
        // what is new.
        let origin = Origin::Fetched {
            etag: fetched.header(http::header::ETAG).map(str::to_string),
            last_modified: fetched
                .header(http::header::LAST_MODIFIED)
                .map(str::to_string),
        };
        if let Err(e) = self.poller.ingest(&puppet, &fetched.body, origin).await {
            tracing::warn!(%handle, error = %e, "feed fetched for subscribing did not ingest");
        }
        let id = match &existing {
            Some(s) => s.id.clone(),
            None => random_hex(16)?,
        };
        let Some(hub) = hub.filter(|h| Url::parse(h).is_ok()) else {
            let sub = LegacySubscription {
                id,
                handle: handle.to_string(),
                topic,
                hub: String::new(),
                secret: None,
                state: LegacySubState::Failed {
                    at_ms: now_ms(),
                    reason: "the feed names no WebSub hub".into(),
                },
                lease_expires_ms: 0,
                requested_lease_s: self.settings.lease_seconds,
                created_ms: now_ms(),
            };
            self.store.put_legacy_subscription(&sub).await?;
            tracing::info!(%handle, feed = %feed_url, "no WebSub hub; the feed is polled");
            return Ok(Outcome::NoHub);
        };
        let secret = if hub.starts_with("https://") || self.settings.secret_over_http {
            Some(random_hex(20)?)
        } else {
            tracing::info!(%handle, %hub, "plain-http hub: no hub.secret; its pushes only trigger a fetch");
            None
        };
        let sub = LegacySubscription {
            id,
            handle: handle.to_string(),
            topic,
            hub,
            secret,
            state: LegacySubState::Requested {
                mode: LegacySubMode::Subscribe,
                at_ms: 0,
                retry_at_ms: 0,
                attempts: 0,
            },
            lease_expires_ms: 0,
            requested_lease_s: self.settings.lease_seconds,
            created_ms: now_ms(),
        };
        self.request(sub, LegacySubMode::Subscribe).await
    }

    /// Unsubscribes puppet `handle`'s feed. A subscription the hub never confirmed is only
    /// dropped locally (its verification then gets 404 and its pushes 410).
    pub async fn unsubscribe(&self, handle: &str) -> Result<Outcome, SubscribeError> {
        let Some(sub) = self.store.legacy_subscription_for(handle).await? else {
            return Ok(Outcome::Unchanged);
        };
        let confirmed = sub.lease_expires_ms > 0 && !sub.hub.is_empty();
        match &sub.state {
            LegacySubState::Requested {
                mode: LegacySubMode::Unsubscribe,
                ..
            } => Ok(Outcome::Unchanged),
            LegacySubState::Failed { .. } => {
                self.store.remove_legacy_subscription(&sub.id).await?;
                Ok(Outcome::Removed)
            }
            _ if !confirmed => {
                self.store.remove_legacy_subscription(&sub.id).await?;
                Ok(Outcome::Removed)
            }
            _ => self.request(sub, LegacySubMode::Unsubscribe).await,
        }
    }

    /// After a puppet gained or lost a follower: subscribe when it is followed and has no
    /// subscription (or a failed one older than `pending_timeout`), unsubscribe when nobody
    /// follows it any more. The inbox calls this for Follow, Undo Follow and Block.
    pub async fn on_follower_change(&self, handle: &str) -> Result<Outcome, SubscribeError> {
        if !self.settings.enabled {
            return Ok(Outcome::Disabled);
        }
        if self.store.follower_count(handle).await? == 0 {
            return self.unsubscribe(handle).await;
        }
        let puppet = self.store.get_puppet_by_handle(handle).await?;
        if puppet.is_none_or(|p| p.feed_url.is_none()) {
            return Ok(Outcome::Unchanged);
        }
        if let Some(sub) = self.store.legacy_subscription_for(handle).await?
            && let LegacySubState::Failed { at_ms, .. } = sub.state
            && now_ms() < at_ms.saturating_add(ms(self.settings.pending_timeout))
        {
            return Ok(Outcome::Unchanged);
        }
        self.subscribe(handle).await
    }

    /// Sends `mode` for `sub` to its hub and records the outcome: the record is stored as
    /// requested before the POST (the hub may verify before it answers), and changed after
    /// it only on a failure, and only if no verification came in meanwhile.
    async fn request(
        &self,
        mut sub: LegacySubscription,
        mode: LegacySubMode,
    ) -> Result<Outcome, SubscribeError> {
        let at_ms = now_ms();
        let attempts = match &sub.state {
            LegacySubState::Requested {
                mode: m, attempts, ..
            } if *m == mode => attempts.saturating_add(1),
            _ => 1,
        };
        {
            let _g = sub_lock(&sub.handle).lock().await;
            sub.state = LegacySubState::Requested {
                mode,
                at_ms,
                retry_at_ms: 0,
                attempts,
            };
            self.store.put_legacy_subscription(&sub).await?;
        }
        let result = self.post(&sub, mode).await;
        let outcome = match result {
            Ok(status) => {
                tracing::info!(handle = %sub.handle, hub = %sub.hub, topic = %sub.topic, mode = mode.as_str(), status = status.as_u16(), "WebSub request accepted");
                return Ok(Outcome::Sent {
                    mode,
                    status: status.as_u16(),
                });
            }
            Err(e) if e.is_retryable() => Outcome::RetryLater {
                mode,
                reason: e.to_string(),
            },
            Err(e) => Outcome::Refused {
                mode,
                reason: e.to_string(),
            },
        };
        let _g = sub_lock(&sub.handle).lock().await;
        let Some(mut now) = self.store.legacy_subscription(&sub.id).await? else {
            return Ok(outcome);
        };
        let same_request = matches!(now.state, LegacySubState::Requested { mode: m, at_ms: a, .. } if m == mode && a == at_ms);
        if !same_request {
            return Ok(outcome);
        }
        match &outcome {
            Outcome::RetryLater { reason, .. } => {
                let wait = ms(self.settings.check_interval)
                    .saturating_mul(1u64 << attempts.min(16))
                    .min(MAX_RETRY_MS);
                tracing::warn!(handle = %sub.handle, hub = %sub.hub, mode = mode.as_str(), %reason, retry_in_ms = wait, "WebSub request failed for now");
                now.state = LegacySubState::Requested {
                    mode,
                    at_ms,
                    retry_at_ms: at_ms.saturating_add(wait),
                    attempts,
                };
                self.store.put_legacy_subscription(&now).await?;
            }
            Outcome::Refused { reason, .. } => {
                tracing::warn!(handle = %sub.handle, hub = %sub.hub, mode = mode.as_str(), %reason, "WebSub request refused; the feed is polled");
                match mode {
                    LegacySubMode::Subscribe => {
                        now.state = LegacySubState::Failed {
                            at_ms: now_ms(),
                            reason: reason.clone(),
                        };
                        now.lease_expires_ms = 0;
                        self.store.put_legacy_subscription(&now).await?;
                    }
                    // Its pushes get 410 from now on, which ends it at the hub too.
                    LegacySubMode::Unsubscribe => {
                        self.store.remove_legacy_subscription(&now.id).await?;
                    }
                }
            }
            _ => {}
        }
        Ok(outcome)
    }

    /// The form POST to the hub.
    async fn post(
        &self,
        sub: &LegacySubscription,
        mode: LegacySubMode,
    ) -> Result<StatusCode, FetchError> {
        let hub = Url::parse(&sub.hub).map_err(|e| FetchError::BadUrl {
            url: sub.hub.clone(),
            reason: e.to_string(),
        })?;
        let callback = self.urls.websub_callback(&sub.id);
        // Built before the await: the serializer is not `Send`.
        let body = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("hub.mode", mode.as_str())
                .append_pair("hub.topic", &sub.topic)
                .append_pair("hub.callback", &callback)
                .append_pair("hub.verify", "async");
            if mode == LegacySubMode::Subscribe {
                form.append_pair("hub.lease_seconds", &sub.requested_lease_s.to_string());
                if let Some(secret) = &sub.secret {
                    form.append_pair("hub.secret", secret);
                }
            }
            form.finish().into_bytes()
        };
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        self.fetcher.post(&hub, headers, body).await
    }

    /// A hub's verification GET to callback `id` with `query` (its raw query string).
    pub async fn verify(&self, id: &str, query: &str) -> Result<Verified, VerifyError> {
        let mut mode = None;
        let mut topic = None;
        let mut challenge = None;
        let mut lease = None;
        let mut reason = None;
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            match k.as_ref() {
                "hub.mode" => mode = Some(v.into_owned()),
                "hub.topic" => topic = Some(v.into_owned()),
                "hub.challenge" => challenge = Some(v.into_owned()),
                "hub.lease_seconds" => lease = Some(v.into_owned()),
                "hub.reason" => reason = Some(v.into_owned()),
                _ => {}
            }
        }
        let sub = self
            .store
            .legacy_subscription(id)
            .await?
            .ok_or(VerifyError::Unknown)?;
        let _g = sub_lock(&sub.handle).lock().await;
        // Read again under the lock: a request may have just changed it.
        let mut sub = self
            .store
            .legacy_subscription(id)
            .await?
            .ok_or(VerifyError::Unknown)?;
        let mode = mode.ok_or(VerifyError::Missing("hub.mode"))?;
        let topic = topic.ok_or(VerifyError::Missing("hub.topic"))?;
        if topic != sub.topic {
            return Err(VerifyError::Topic {
                got: topic,
                want: sub.topic,
            });
        }
        let pending = sub.pending_mode();
        let pending_name = || pending.map(|m| m.as_str()).unwrap_or("none").to_string();
        match mode.as_str() {
            "denied" => {
                let reason = reason.unwrap_or_else(|| "no reason given".into());
                tracing::warn!(handle = %sub.handle, hub = %sub.hub, %reason, "hub denied the subscription; the feed is polled");
                sub.state = LegacySubState::Failed {
                    at_ms: now_ms(),
                    reason: format!("denied by the hub: {reason}"),
                };
                sub.lease_expires_ms = 0;
                self.store.put_legacy_subscription(&sub).await?;
                Ok(Verified::Denied)
            }
            // A subscribe we asked for, or a 0.3 hub re-verifying one we still hold.
            "subscribe"
                if pending == Some(LegacySubMode::Subscribe)
                    || sub.state == LegacySubState::Active =>
            {
                let challenge = challenge.ok_or(VerifyError::Missing("hub.challenge"))?;
                let lease_s = lease
                    .as_deref()
                    .and_then(|l| l.trim().parse::<u64>().ok())
                    .filter(|l| *l > 0)
                    .unwrap_or(sub.requested_lease_s.max(1));
                sub.state = LegacySubState::Active;
                sub.lease_expires_ms = now_ms().saturating_add(lease_s.saturating_mul(1000));
                self.store.put_legacy_subscription(&sub).await?;
                tracing::info!(handle = %sub.handle, hub = %sub.hub, lease_s, "WebSub subscription verified");
                Ok(Verified::Challenge(challenge))
            }
            "unsubscribe" if pending == Some(LegacySubMode::Unsubscribe) => {
                let challenge = challenge.ok_or(VerifyError::Missing("hub.challenge"))?;
                self.store.remove_legacy_subscription(&sub.id).await?;
                tracing::info!(handle = %sub.handle, hub = %sub.hub, "WebSub unsubscribe verified");
                Ok(Verified::Challenge(challenge))
            }
            _ => Err(VerifyError::Mode {
                got: mode,
                pending: pending_name(),
            }),
        }
    }

    /// A hub's push to callback `id`: `signature` is its `X-Hub-Signature`, `body` the raw
    /// body. The caller answers 2xx for `Ok` only after [`Store::durable`].
    pub async fn receive_push(
        &self,
        id: &str,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<Pushed, PushError> {
        let sub = self
            .store
            .legacy_subscription(id)
            .await?
            .ok_or(PushError::Gone)?;
        let dropping = matches!(
            sub.state,
            LegacySubState::Failed { .. }
                | LegacySubState::Requested {
                    mode: LegacySubMode::Unsubscribe,
                    ..
                }
        );
        if dropping {
            return Err(PushError::Gone);
        }
        let puppet = self
            .store
            .get_puppet_by_handle(&sub.handle)
            .await?
            .ok_or(PushError::Gone)?;
        let Some(secret) = &sub.secret else {
            // Without a secret anyone who learnt the callback could push: fetch the feed.
            return Ok(Pushed::Fetched(self.poller.fetch_feed(&puppet).await?));
        };
        match super::verify(signature, secret.as_bytes(), body) {
            Ok(algo) => {
                tracing::debug!(handle = %sub.handle, algo = algo.name(), "signed push");
                Ok(Pushed::Ingested(
                    self.poller.ingest(&puppet, body, Origin::Pushed).await?,
                ))
            }
            Err(e) => {
                tracing::warn!(handle = %sub.handle, hub = %sub.hub, error = %e, "push ignored: bad X-Hub-Signature");
                Ok(Pushed::Ignored(e))
            }
        }
    }

    /// One maintenance pass: renews leases that end within `renew_before`, sends again what
    /// failed for now or was never verified, unsubscribes feeds nobody follows, retries
    /// failed ones after a lease's time, and subscribes followed puppets that have no
    /// subscription. Returns how many requests or discoveries it started.
    pub async fn maintain(&self) -> Result<usize, StoreError> {
        if !self.settings.enabled {
            return Ok(0);
        }
        let mut started = 0;
        let mut after: Option<String> = None;
        loop {
            let page = self
                .store
                .legacy_subscriptions_page(after.as_deref(), PAGE)
                .await?;
            let Some(last) = page.last() else {
                break;
            };
            after = Some(last.id.clone());
            let full = page.len() == PAGE;
            for sub in page {
                if let Some(outcome) = self.maintain_one(sub).await? {
                    started += 1;
                    tracing::debug!(?outcome, "subscription maintained");
                }
            }
            if !full {
                break;
            }
        }
        let mut after: Option<String> = None;
        loop {
            let page = self.store.puppets_page(after.as_deref(), PAGE).await?;
            let Some(last) = page.last() else {
                break;
            };
            after = Some(last.handle.clone());
            let full = page.len() == PAGE;
            for puppet in page {
                if puppet.feed_url.is_none()
                    || self
                        .store
                        .legacy_subscription_for(&puppet.handle)
                        .await?
                        .is_some()
                    || self.store.follower_count(&puppet.handle).await? == 0
                {
                    continue;
                }
                started += 1;
                self.log(&puppet.handle, self.subscribe(&puppet.handle).await);
            }
            if !full {
                break;
            }
        }
        Ok(started)
    }

    /// What one subscription needs now, done; `None` when nothing was due.
    async fn maintain_one(&self, sub: LegacySubscription) -> Result<Option<Outcome>, StoreError> {
        let now = now_ms();
        let followed = self.store.follower_count(&sub.handle).await? > 0;
        let handle = sub.handle.clone();
        let result = match &sub.state {
            LegacySubState::Requested {
                mode: LegacySubMode::Unsubscribe,
                at_ms,
                retry_at_ms,
                ..
            } => {
                if *retry_at_ms > 0 && now >= *retry_at_ms {
                    self.request(sub, LegacySubMode::Unsubscribe).await
                } else if *retry_at_ms == 0
                    && now >= at_ms.saturating_add(ms(self.settings.pending_timeout))
                {
                    // Never confirmed: drop it; its pushes get 410.
                    self.store.remove_legacy_subscription(&sub.id).await?;
                    Ok(Outcome::Removed)
                } else {
                    return Ok(None);
                }
            }
            _ if !followed => self.unsubscribe(&handle).await,
            LegacySubState::Active => {
                if now.saturating_add(ms(self.settings.renew_before)) >= sub.lease_expires_ms {
                    self.request(sub, LegacySubMode::Subscribe).await
                } else {
                    return Ok(None);
                }
            }
            LegacySubState::Requested {
                at_ms, retry_at_ms, ..
            } => {
                let due = if *retry_at_ms > 0 {
                    now >= *retry_at_ms
                } else {
                    now >= at_ms.saturating_add(ms(self.settings.pending_timeout))
                };
                if !due {
                    return Ok(None);
                }
                self.request(sub, LegacySubMode::Subscribe).await
            }
            LegacySubState::Failed { at_ms, .. } => {
                if now < at_ms.saturating_add(self.settings.lease_seconds.saturating_mul(1000)) {
                    return Ok(None);
                }
                self.subscribe(&handle).await
            }
        };
        Ok(self.log(&handle, result))
    }

    fn log(&self, handle: &str, r: Result<Outcome, SubscribeError>) -> Option<Outcome> {
        match r {
            Ok(o) => Some(o),
            Err(e) => {
                tracing::warn!(%handle, error = %e, "WebSub subscription change failed");
                None
            }
        }
    }

    /// Runs [`Subscriber::maintain`] every `check_interval` until `shutdown` completes.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => return,
                r = self.maintain() => if let Err(e) = r {
                    tracing::error!(error = %e, "WebSub maintenance pass failed");
                },
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(self.settings.check_interval) => {}
            }
        }
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_headers_in_any_shape() {
        let v = parse_link_header(
            r#"<https://hub.example/>; rel="hub", <https://f.example/feed>; rel=self, <x>; title="a,b"; rel="alternate hub""#,
        );
        assert_eq!(
            v,
            vec![
                ("https://hub.example/".to_string(), vec!["hub".to_string()]),
                (
                    "https://f.example/feed".to_string(),
                    vec!["self".to_string()]
                ),
                (
                    "x".to_string(),
                    vec!["alternate".to_string(), "hub".to_string()]
                ),
            ]
        );
        let mut h = HeaderMap::new();
        h.append(
            http::header::LINK,
            HeaderValue::from_static("</hub>; rel=\"HUB\""),
        );
        h.append(
            http::header::LINK,
            HeaderValue::from_static("<https://f.example/self>; rel=\"self\""),
        );
        let base = Url::parse("http://f.example/a/feed.atom").unwrap();
        assert_eq!(
            link_header_rels(&h, &base),
            (
                Some("http://f.example/hub".to_string()),
                Some("https://f.example/self".to_string())
            )
        );
    }

    #[test]
    fn random_ids_are_hex_of_the_asked_length_and_differ() {
        let a = random_hex(16).unwrap();
        let b = random_hex(16).unwrap();
        assert_eq!(a.len(), 32);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a, b);
    }
}
