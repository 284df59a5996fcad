//! Loopback peers for the delivery and poll tests: inboxes that record every POST, verify its
//! HTTP signature against the puppets' real public keys, answer as scripted and count how
//! many requests are in flight at once; plus store, key and client helpers.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ostatus_bridge::crypto::{KeyPair as RsaKeyPair, PublicKey};
use ostatus_bridge::delivery::Settings;
use ostatus_bridge::httpsig::{FnLookup, FoundKey, LookupError, Request, verify_request};
use ostatus_bridge::net::fetch::Fetcher;
use ostatus_bridge::puppet::BridgeUrls;
use ostatus_bridge::store::{KeyPair, Store};
use warp::Filter;
use warp::http::{HeaderMap, Response};

#[path = "../common/http.rs"]
mod http;

/// The bridge's public URL in these tests (never contacted: keys are looked up locally).
pub const PUBLIC_URL: &str = "https://bridge.test";

/// The URL scheme of the test bridge.
pub fn urls() -> BridgeUrls {
    BridgeUrls::new(&url::Url::parse(PUBLIC_URL).unwrap())
}

/// One POST as an inbox received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// Path and query.
    pub path: String,
    /// The body.
    pub body: String,
    /// The verified key owner, or why verification failed.
    pub signed_by: Result<String, String>,
    /// The key id of the signature, when it verified.
    pub key_id: Option<String>,
    /// The status answered.
    pub status: u16,
}

impl Received {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// Public keys the inboxes accept, by key id: (key, owner).
pub type Keys = Arc<Mutex<HashMap<String, (PublicKey, String)>>>;

/// A running loopback inbox server (one host: one port).
#[derive(Clone)]
pub struct Inbox {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Everything received, in order.
    pub log: Arc<Mutex<Vec<Received>>>,
    /// Statuses to answer per path, first first; then `default_status`.
    pub script: Arc<Mutex<HashMap<String, VecDeque<u16>>>>,
    /// The answer when the script has none.
    pub default_status: Arc<AtomicU16>,
    /// How long each answer takes.
    pub delay: Arc<Mutex<Duration>>,
    /// Requests in flight now.
    pub current: Arc<AtomicUsize>,
    /// The most requests ever in flight at once.
    pub max_concurrent: Arc<AtomicUsize>,
}

impl Inbox {
    /// `http://127.0.0.1:PORT<path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Requests received so far.
    pub fn count(&self) -> usize {
        self.log.lock().unwrap().len()
    }

    /// Requests received for `path`.
    pub fn count_for(&self, path: &str) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .count()
    }

    /// A copy of the log.
    pub fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap().clone()
    }

    /// Answers the next requests to `path` with `statuses`, in order.
    pub fn script(&self, path: &str, statuses: &[u16]) {
        self.script
            .lock()
            .unwrap()
            .entry(path.to_string())
            .or_default()
            .extend(statuses.iter().copied());
    }

    /// Sets the answer when nothing is scripted.
    pub fn answer(&self, status: u16) {
        self.default_status.store(status, Ordering::SeqCst);
    }
}

/// Starts an inbox on an ephemeral loopback port that verifies signatures with `keys`.
pub async fn start_inbox(keys: Keys) -> Inbox {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let inbox = Inbox {
        addr,
        log: Arc::default(),
        script: Arc::default(),
        default_status: Arc::new(AtomicU16::new(202)),
        delay: Arc::new(Mutex::new(Duration::ZERO)),
        current: Arc::default(),
        max_concurrent: Arc::default(),
    };
    let me = inbox.clone();
    let route = warp::post()
        .and(warp::path::full())
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .and(warp::header::headers_cloned())
        .and(warp::body::content_length_limit(1 << 20))
        .and(warp::body::bytes())
        .then(
            move |path: warp::path::FullPath,
                  query: String,
                  headers: HeaderMap,
                  body: warp::hyper::body::Bytes| {
                let me = me.clone();
                let keys = keys.clone();
                async move {
                    let now_in = me.current.fetch_add(1, Ordering::SeqCst) + 1;
                    me.max_concurrent.fetch_max(now_in, Ordering::SeqCst);
                    let target = if query.is_empty() {
                        path.as_str().to_string()
                    } else {
                        format!("{}?{query}", path.as_str())
                    };
                    let lookup = FnLookup(|key_id: &str, _| {
                        keys.lock()
                            .unwrap()
                            .get(key_id)
                            .map(|(key, owner)| FoundKey {
                                key: key.clone(),
                                owner: owner.clone(),
                                fresh: true,
                            })
                            .ok_or(LookupError::NotFound)
                    });
                    let req = Request {
                        method: "POST",
                        target: &target,
                        scheme: "http",
                        headers: &headers,
                        body: &body,
                    };
                    let verified = verify_request(&req, chrono::Utc::now(), &lookup).await;
                    let delay = *me.delay.lock().unwrap();
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    let status = me
                        .script
                        .lock()
                        .unwrap()
                        .get_mut(path.as_str())
                        .and_then(VecDeque::pop_front)
                        .unwrap_or_else(|| me.default_status.load(Ordering::SeqCst));
                    me.log.lock().unwrap().push(Received {
                        path: target.clone(),
                        body: String::from_utf8_lossy(&body).into_owned(),
                        key_id: verified.as_ref().ok().map(|v| v.key_id.clone()),
                        signed_by: verified.map(|v| v.owner).map_err(|e| e.to_string()),
                        status,
                    });
                    me.current.fetch_sub(1, Ordering::SeqCst);
                    Response::builder()
                        .status(status)
                        .body(String::new())
                        .unwrap()
                }
            },
        );
    tokio::spawn(warp::serve(route).incoming(listener).run());
    inbox
}

/// A fresh puppet key: stored for `handle` and registered with the inboxes' `keys`.
pub async fn puppet_key(store: &Store, handle: &str, keys: &Keys) -> RsaKeyPair {
    let pair = tokio::task::spawn_blocking(RsaKeyPair::generate)
        .await
        .unwrap()
        .unwrap();
    register_key(store, handle, keys, &pair).await;
    pair
}

/// Stores `pair` for `handle` and registers its public key with `keys`.
pub async fn register_key(store: &Store, handle: &str, keys: &Keys, pair: &RsaKeyPair) {
    store
        .put_keypair(
            handle,
            &KeyPair {
                private_pkcs8_der: pair.to_pkcs8_der().unwrap(),
                public_pem: pair.public_key().to_spki_pem().unwrap(),
            },
        )
        .await
        .unwrap();
    let u = urls();
    keys.lock().unwrap().insert(
        u.key_id(handle),
        (pair.public_key().clone(), u.actor(handle)),
    );
}

/// A client allowed to reach loopback over plain http, with short timeouts.
pub fn fetcher() -> Fetcher {
    http::loopback_fetcher(true)
}

/// Settings for tests: fast retries, short leases.
pub fn fast_settings() -> Settings {
    Settings {
        concurrency: 32,
        per_host_concurrency: 4,
        batch: 256,
        idle_poll: Duration::from_millis(50),
        retry_base: Duration::from_millis(100),
        retry_max: Duration::from_secs(1),
        max_age: Duration::from_secs(3600),
        breaker_failures: 5,
        breaker_pause: Duration::from_secs(600),
        shutdown_grace: Duration::from_secs(2),
    }
}

/// Opens a store in `dir`.
pub async fn open_store(dir: &Path) -> Store {
    Store::open_path(dir.join("sled-0-34"), 16).await.unwrap()
}

/// Waits until `cond` holds, for at most `limit`; false on timeout.
pub async fn wait_for(limit: Duration, mut cond: impl AsyncFnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cond().await
}

/// A fresh store in a temp dir with puppet `handle` and its key registered in `keys`: what
/// nearly every delivery test starts from. Keep the dir alive as long as the store.
pub async fn store_with_puppet(handle: &str) -> (tempfile::TempDir, Store, Keys) {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path()).await;
    let keys = Keys::default();
    puppet_key(&store, handle, &keys).await;
    (dir, store, keys)
}
