//! The poller: every `interval_seconds`, each followed puppet's feed is fetched with a
//! conditional GET; what changed becomes AS2 activities, stored in the puppet's outbox and
//! fanned out to its followers.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use http::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use http::{HeaderName, HeaderValue};
use serde_json::Value;
use tokio::sync::Notify;
use url::Url;

use super::diff::{self, Change};
use crate::codec::{self, DecodeError, Format, Limits};
use crate::config::Config;
use crate::delivery::{self, DeliveryError};
use crate::model::{Activity, Document, Feed, Verb, VerbTerm};
use crate::net::fetch::{Accept, FetchError, Fetcher};
use crate::puppet::BridgeUrls;
use crate::store::{self, Puppet, Store, StoreError, now_ms};
use crate::translate::{self, Context, IdMinter, PuppetMap, PuppetRef};

/// Puppets read per store call.
const PAGE: usize = 100;

/// Feeds fetched at once.
const CONCURRENT_FEEDS: usize = 4;

/// How the poller paces itself.
#[derive(Debug, Clone)]
pub struct PollSettings {
    /// Time between two rounds over all puppets.
    pub interval: Duration,
    /// Most entries of one feed looked at per poll (the first ones: feeds list newest
    /// first), so a feed cannot flood followers or memory.
    pub max_entries: usize,
    /// Decoder limits.
    pub limits: Limits,
    /// Sanitise HTML on its way to ActivityPub.
    pub sanitize: bool,
}

impl PollSettings {
    /// The settings `[poll]` and `[translate]` describe.
    pub fn from_config(c: &Config) -> PollSettings {
        PollSettings {
            interval: Duration::from_secs(c.poll.interval_seconds.max(1)),
            max_entries: c.poll.max_entries.max(1),
            limits: c.translate.limits(),
            sanitize: c.translate.sanitize_html,
        }
    }
}

/// Why polling one feed failed (the next round tries again).
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    /// The puppet's feed URL does not parse.
    #[error("bad feed URL {0:?}")]
    BadUrl(String),
    /// The GET failed.
    #[error("fetch: {0}")]
    Fetch(#[from] FetchError),
    /// The feed could not be decoded.
    #[error("decode: {0}")]
    Decode(#[from] DecodeError),
    /// The feed is in a format polling does not read (AS2).
    #[error("not a feed format the poller reads: {0}")]
    Format(Format),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Queueing the deliveries failed.
    #[error("delivery: {0}")]
    Delivery(#[from] DeliveryError),
}

/// What polling one puppet came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polled {
    /// No followers or no feed: not fetched.
    Skipped,
    /// A live WebSub subscription pushes this feed: not fetched.
    Subscribed,
    /// 304 Not Modified.
    NotModified,
    /// First poll: what is there was recorded, nothing sent.
    Primed,
    /// Fetched: this many activities were made and this many jobs queued.
    Changed {
        /// Activities stored and fanned out.
        activities: usize,
        /// Delivery jobs queued.
        jobs: usize,
    },
}

/// Where a feed document given to [`Poller::ingest`] came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A GET of the feed: its validators are kept for the next conditional GET.
    Fetched {
        /// `ETag` of the reply.
        etag: Option<String>,
        /// `Last-Modified` of the reply.
        last_modified: Option<String>,
    },
    /// A WebSub push whose signature checked out: the stored validators stay, as they
    /// belong to the last GET.
    Pushed,
}

/// Stripes of locks, so two ingests of one puppet's feed (two pushes, a push and a poll)
/// never read the same seen ids and bridge an entry twice. Shared by every poller in the
/// process: the poll loop and the WebSub callback make their own.
static INGEST_LOCKS: [tokio::sync::Mutex<()>; 64] =
    [const { tokio::sync::Mutex::const_new(()) }; 64];

/// The lock stripe of `handle`.
fn ingest_lock(handle: &str) -> &'static tokio::sync::Mutex<()> {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    handle.hash(&mut h);
    &INGEST_LOCKS[(h.finish() % INGEST_LOCKS.len() as u64) as usize]
}

/// The poller. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Poller {
    store: Store,
    fetcher: Fetcher,
    urls: BridgeUrls,
    minter: IdMinter,
    settings: PollSettings,
    wake: Arc<Notify>,
}

impl Poller {
    /// A poller for the bridge at `public_url` that queues deliveries in `store` and signals
    /// `wake` (the delivery worker's [`delivery::Worker::waker`]).
    pub fn new(
        store: Store,
        fetcher: Fetcher,
        public_url: &Url,
        settings: PollSettings,
        wake: Arc<Notify>,
    ) -> Poller {
        Poller {
            store,
            fetcher,
            urls: BridgeUrls::new(public_url),
            minter: IdMinter::new(public_url),
            settings,
            wake,
        }
    }

    /// The decoder limits feeds are read with.
    pub fn limits(&self) -> &Limits {
        &self.settings.limits
    }

    /// Polls every `interval` until `shutdown` completes.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => return,
                () = self.poll_all() => {}
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(self.settings.interval) => {}
            }
        }
    }

    /// One round over every puppet; failures are logged and retried next round.
    pub async fn poll_all(&self) {
        let mut after: Option<String> = None;
        loop {
            let page = match self.store.puppets_page(after.as_deref(), PAGE).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(error = %e, "cannot list puppets to poll");
                    return;
                }
            };
            let Some(last) = page.last() else {
                return;
            };
            after = Some(last.handle.clone());
            let full = page.len() == PAGE;
            // A few feeds at a time, so one slow feed (up to the fetch timeout) does not
            // hold up the round.
            let mut tasks = tokio::task::JoinSet::new();
            for puppet in page {
                while tasks.len() >= CONCURRENT_FEEDS {
                    tasks.join_next().await;
                }
                let me = self.clone();
                tasks.spawn(async move {
                    match me.poll_puppet(&puppet).await {
                        Ok(Polled::Changed { activities, jobs }) => {
                            tracing::info!(puppet = ?puppet.handle, activities, jobs, "feed changed")
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(puppet = ?puppet.handle, feed = ?puppet.feed_url, error = %e, "poll failed")
                        }
                    }
                });
            }
            while tasks.join_next().await.is_some() {}
            if !full {
                return;
            }
        }
    }

    /// Polls one puppet's feed if anyone follows it and no live WebSub subscription pushes
    /// it instead.
    pub async fn poll_puppet(&self, puppet: &Puppet) -> Result<Polled, PollError> {
        if puppet.feed_url.is_none() {
            return Ok(Polled::Skipped);
        }
        if self.store.follower_count(&puppet.handle).await? == 0 {
            return Ok(Polled::Skipped);
        }
        if let Some(sub) = self.store.legacy_subscription_for(&puppet.handle).await?
            && sub.is_live(now_ms())
        {
            return Ok(Polled::Subscribed);
        }
        self.fetch_feed(puppet).await
    }

    /// Fetches a puppet's feed now (a conditional GET) and ingests it, whoever follows it:
    /// one poll, also what subscribing and an unsigned WebSub ping do.
    pub async fn fetch_feed(&self, puppet: &Puppet) -> Result<Polled, PollError> {
        let Some(feed_url) = puppet.feed_url.as_deref() else {
            return Ok(Polled::Skipped);
        };
        let url = Url::parse(feed_url).map_err(|_| PollError::BadUrl(feed_url.to_string()))?;
        let stored = self
            .store
            .poll_state(&puppet.handle)
            .await?
            .filter(|s| s.feed_url == feed_url);
        let mut extra: Vec<(HeaderName, HeaderValue)> = Vec::new();
        let validators = [
            (
                IF_NONE_MATCH,
                stored.as_ref().and_then(|s| s.etag.as_deref()),
            ),
            (
                IF_MODIFIED_SINCE,
                stored.as_ref().and_then(|s| s.last_modified.as_deref()),
            ),
        ];
        for (name, value) in validators {
            if let Some(v) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
                extra.push((name, v));
            }
        }
        let fetched = self.fetcher.get(&url, Accept::Feed, &extra).await?;
        if fetched.not_modified() {
            let _one_at_a_time = ingest_lock(&puppet.handle).lock().await;
            if let Some(mut s) = self
                .store
                .poll_state(&puppet.handle)
                .await?
                .filter(|s| s.feed_url == feed_url)
            {
                s.last_polled_ms = now_ms();
                self.store.put_poll_state(&puppet.handle, &s).await?;
            }
            return Ok(Polled::NotModified);
        }
        let origin = Origin::Fetched {
            etag: fetched.header(ETAG).map(str::to_string),
            last_modified: fetched.header(LAST_MODIFIED).map(str::to_string),
        };
        self.ingest(puppet, &fetched.body, origin).await
    }

    /// A feed document of `puppet`'s (fetched, or pushed by its hub and authenticated) into
    /// activities for its followers: decoded, diffed by entry id against what was seen
    /// before (so an entry polled and pushed, or pushed twice, is bridged once), translated,
    /// stored in the outbox and fanned out; then the seen ids are saved. The first document
    /// of a feed only primes what was seen. Ingests of one puppet run one at a time.
    pub async fn ingest(
        &self,
        puppet: &Puppet,
        body: &[u8],
        origin: Origin,
    ) -> Result<Polled, PollError> {
        let Some(feed_url) = puppet.feed_url.as_deref() else {
            return Ok(Polled::Skipped);
        };
        let format = codec::detect(body)?;
        if !matches!(format, Format::Atom | Format::Feed | Format::Pump) {
            return Err(PollError::Format(format));
        }
        let mut feed = match codec::decode(format, body, &self.settings.limits)? {
            Document::Feed(f) => f,
            Document::Activity(a) => Feed {
                entries: vec![a],
                ..Feed::default()
            },
        };
        feed.entries.truncate(self.settings.max_entries);
        let _one_at_a_time = ingest_lock(&puppet.handle).lock().await;
        let stored = self
            .store
            .poll_state(&puppet.handle)
            .await?
            .filter(|s| s.feed_url == feed_url);
        let mut state = from_stored(stored.as_ref());
        let was_primed = state.primed;
        let changes = diff::changes(&feed, &mut state);
        if let Origin::Fetched {
            etag,
            last_modified,
        } = origin
        {
            state.etag = etag;
            state.last_modified = last_modified;
        }
        let ctx = self.context(puppet, &feed);
        let mut activities = 0;
        let mut jobs = 0;
        for (change, entry) in changes {
            let Some(mut activity) = self.to_as2(puppet, entry, change, format, &ctx) else {
                continue;
            };
            let parent = activity
                .get("object")
                .and_then(|o| o.get("inReplyTo"))
                .and_then(|p| p.as_str().or_else(|| p.get("id").and_then(Value::as_str)))
                .map(str::to_string);
            if let Some(parent) = parent {
                // A reply to another bridged post points at that post's bridge id.
                let bridged = self.minter.mint_web(&parent);
                let parent = match self.store.object_by_id(&bridged).await {
                    Ok(Some(_)) if bridged != parent => {
                        super::parent::repoint_reply(&mut activity, &parent, &bridged);
                        bridged
                    }
                    _ => parent,
                };
                if let Some(author) =
                    super::parent::parent_author(&self.store, &self.fetcher, &parent).await
                {
                    super::parent::mention(&mut activity, &author);
                }
            }
            // Stored before it is sent, so the outbox can answer for what followers get.
            self.store.append_entry(&puppet.handle, &activity).await?;
            jobs += delivery::fan_out(&self.store, &puppet.handle, &activity, &self.wake).await?;
            activities += 1;
        }
        // Saved last: a crash before this sends the changes again (at least once), rather
        // than never.
        self.store
            .put_poll_state(&puppet.handle, &to_stored(&state, feed_url, now_ms()))
            .await?;
        Ok(if was_primed {
            Polled::Changed { activities, jobs }
        } else {
            Polled::Primed
        })
    }

    /// The translation context: the puppet stands for the feed's author and its source.
    fn context(&self, puppet: &Puppet, feed: &Feed) -> Context {
        let mut puppets = PuppetMap::default();
        let mut legacy: Vec<&str> = vec![puppet.source.as_str()];
        if let Some(id) = feed.author.as_ref().and_then(|a| a.props.id.as_deref()) {
            legacy.push(id);
        }
        if let Some(id) = puppet.profile.get("id").and_then(Value::as_str) {
            legacy.push(id);
        }
        puppets.insert(
            legacy,
            PuppetRef {
                id: self.urls.actor(&puppet.handle),
                followers: self.urls.followers(&puppet.handle),
            },
        );
        Context {
            minter: self.minter.clone(),
            sanitize: self.settings.sanitize,
            puppets,
        }
    }

    /// One changed entry as the AS2 activity the puppet's followers get, or `None` for
    /// entries followers need not see (follows, profile updates, …).
    fn to_as2(
        &self,
        puppet: &Puppet,
        mut entry: Activity,
        change: Change,
        from: Format,
        ctx: &Context,
    ) -> Option<Value> {
        let verb = entry.verb().clone();
        match (change, &verb) {
            (Change::Edited, Verb::Post | Verb::Update) => {
                entry.verb = VerbTerm::new(Verb::Update);
            }
            (Change::Edited, _) => return None,
            (
                Change::New,
                Verb::Post | Verb::Update | Verb::Delete | Verb::Share | Verb::Favorite,
            ) => {}
            (Change::New, _) => return None,
        }
        let mut doc = Document::Activity(entry);
        translate::prepare(&mut doc, from, Format::As2, ctx);
        let mut v = codec::as2::encode_value(&doc);
        rehome(&mut v, &self.minter, self.urls.base());
        finish_activity(&mut v, &self.urls.actor(&puppet.handle));
        Some(v)
    }
}

/// Moves the ids of a bridged activity and of the object it carries onto the bridge's host
/// ([`IdMinter::mint_web`]): the puppet is the actor, and receivers expect its posts under its
/// origin. The legacy id stays in `atomUri`, and the object's `url` keeps its page.
pub(crate) fn rehome(v: &mut Value, minter: &IdMinter, base: &str) {
    let Value::Object(a) = v else {
        return;
    };
    let foreign = |id: &str| IdMinter::is_web_id(id) && !id.starts_with(base);
    if let Some(Value::String(id)) = a.get_mut("id")
        && foreign(id)
    {
        *id = minter.mint_web(id);
    }
    if let Some(Value::Object(o)) = a.get_mut("object") {
        let legacy = o.get("id").and_then(Value::as_str).map(str::to_string);
        if let Some(legacy) = legacy.filter(|id| foreign(id)) {
            o.insert("id".into(), Value::String(minter.mint_web(&legacy)));
            o.entry("atomUri").or_insert(Value::String(legacy.clone()));
            o.entry("url").or_insert(Value::String(legacy));
        }
    }
}

/// The last touches receivers rely on: the puppet is the actor (the signature's key owner
/// must be the activity's actor, §11.5), a Create or Update's object is attributed to it when
/// the feed left that open, an Update gets an id of its own (`#updates/<time>`, as Mastodon
/// names edits) and an `updated` time.
pub(crate) fn finish_activity(v: &mut Value, puppet_id: &str) {
    let Value::Object(a) = v else {
        return;
    };
    a.insert("actor".into(), Value::String(puppet_id.to_string()));
    let kind = a
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let mut update_id = None;
    if let Some(Value::Object(o)) = a.get_mut("object")
        && matches!(kind.as_str(), "Create" | "Update")
    {
        o.entry("attributedTo")
            .or_insert_with(|| Value::String(puppet_id.to_string()));
        if kind == "Update" {
            let updated = o
                .get("updated")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| {
                    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                });
            o.insert("updated".into(), Value::String(updated.clone()));
            if let Some(id) = o.get("id").and_then(Value::as_str) {
                update_id = Some(format!("{id}#updates/{updated}"));
            }
        }
    }
    if let Some(id) = update_id {
        a.insert("id".into(), Value::String(id));
    }
}

/// Seen entries are kept in the store's `seen_entry_ids` as JSON pairs `[id, fingerprint]`
/// (edits are told apart by fingerprint); the feed counts as primed once a poll has saved
/// state for it (`last_polled_ms` set).
fn from_stored(s: Option<&store::PollState>) -> diff::PollState {
    let Some(s) = s else {
        return diff::PollState::default();
    };
    diff::PollState {
        etag: s.etag.clone(),
        last_modified: s.last_modified.clone(),
        seen: s
            .seen_entry_ids
            .iter()
            .filter_map(|e| serde_json::from_str::<(String, String)>(e).ok())
            .collect(),
        primed: s.last_polled_ms > 0,
    }
}

/// The store's form of `state` (see [`from_stored`]).
fn to_stored(state: &diff::PollState, feed_url: &str, now: u64) -> store::PollState {
    store::PollState {
        feed_url: feed_url.to_string(),
        etag: state.etag.clone(),
        last_modified: state.last_modified.clone(),
        seen_entry_ids: state
            .seen
            .iter()
            .filter_map(|pair| serde_json::to_string(&pair).ok())
            .collect(),
        last_polled_ms: now.max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_state_survives_the_store_form() {
        let mut s = diff::PollState {
            etag: Some("\"e1\"".into()),
            last_modified: None,
            primed: true,
            ..Default::default()
        };
        s.seen.insert(
            "tag:x,2020:1\t\"odd\"".into(),
            "u:2020-01-01T00:00:00Z".into(),
        );
        s.seen.insert("b".into(), "h:0011".into());
        let stored = to_stored(&s, "http://f.example/feed", 5);
        assert_eq!(from_stored(Some(&stored)), s);
        assert!(!from_stored(None).primed);
    }

    #[test]
    fn updates_get_their_own_id_and_the_puppet_as_actor() {
        let mut v = serde_json::json!({
            "type": "Update", "id": "https://b.example/n/1#update", "actor": "https://legacy/u",
            "object": {"type": "Note", "id": "https://b.example/n/1", "updated": "2024-01-02T03:04:05Z"}
        });
        finish_activity(&mut v, "https://b.example/users/a");
        assert_eq!(v["actor"], "https://b.example/users/a");
        assert_eq!(
            v["id"],
            "https://b.example/n/1#updates/2024-01-02T03:04:05Z"
        );
        assert_eq!(v["object"]["attributedTo"], "https://b.example/users/a");
    }
}
