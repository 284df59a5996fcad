#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The bridge's WebSub hub over loopback HTTP, with a real sled store and a subscriber
//! double that records every verification GET and push POST: subscribe → 202 → verification
//! (the callback's own query kept) → subscription; wrong echoes, leases, legacy sync mode
//! and verify tokens, unsubscribe, refused callbacks, floods; and pushes through the real
//! queue and worker, signed with the subscription's secret, retried on 500, ended by 410.

mod common;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::ap::{self, Bridge};
use ostatus_bridge::delivery::{Settings, Worker};
use ostatus_bridge::metrics::Metrics;
use ostatus_bridge::store::{HubMode, HubPending, NewJob, PendingAdded, Protocol, now_ms};
use ostatus_bridge::websub::hub::{self, Hub, HubSettings};
use ostatus_bridge::websub::{HmacAlgo, link_header, sign};
use tokio::sync::oneshot;
use warp::Filter;
use warp::http::HeaderMap;

const HANDLE: &str = "alice_at_ap.test";
const FORM: &str = "application/x-www-form-urlencoded";

/// One request the subscriber double received.
#[derive(Debug, Clone)]
struct Hit {
    method: String,
    path: String,
    /// The raw query string, exactly as it arrived.
    query: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Hit {
    /// The decoded query parameters, in order.
    fn params(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    fn param(&self, name: &str) -> Option<String> {
        self.params()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }
}

/// How the double answers verification GETs.
const ECHO: u8 = 0;
const WRONG: u8 = 1;
const NOT_FOUND: u8 = 2;

/// A subscriber: echoes challenges (or not, as told) and answers pushes as scripted.
#[derive(Clone)]
struct Subscriber {
    addr: SocketAddr,
    hits: Arc<Mutex<Vec<Hit>>>,
    echo: Arc<AtomicU8>,
    push_script: Arc<Mutex<VecDeque<u16>>>,
}

impl Subscriber {
    fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{path_and_query}", self.addr)
    }

    fn hits(&self, method: &str) -> Vec<Hit> {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|h| h.method == method)
            .cloned()
            .collect()
    }

    fn answer(&self, how: u8) {
        self.echo.store(how, Ordering::SeqCst);
    }

    fn script_pushes(&self, statuses: &[u16]) {
        self.push_script.lock().unwrap().extend(statuses);
    }
}

async fn start_subscriber() -> Subscriber {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sub = Subscriber {
        addr: listener.local_addr().unwrap(),
        hits: Arc::default(),
        echo: Arc::new(AtomicU8::new(ECHO)),
        push_script: Arc::default(),
    };
    let me = sub.clone();
    let route = warp::method()
        .and(warp::path::full())
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .and(warp::header::headers_cloned())
        .and(warp::body::bytes())
        .map(
            move |method: warp::http::Method,
                  path: warp::path::FullPath,
                  query: String,
                  headers: HeaderMap,
                  body: warp::hyper::body::Bytes| {
                let hit = Hit {
                    method: method.to_string(),
                    path: path.as_str().to_string(),
                    query,
                    headers,
                    body: body.to_vec(),
                };
                let (status, text) = if hit.method == "GET" {
                    match me.echo.load(Ordering::SeqCst) {
                        ECHO => (200, hit.param("hub.challenge").unwrap_or_default()),
                        WRONG => (200, "not the challenge".to_string()),
                        _ => (404, String::new()),
                    }
                } else {
                    let s = me.push_script.lock().unwrap().pop_front().unwrap_or(200);
                    (s, String::new())
                };
                me.hits.lock().unwrap().push(hit);
                warp::http::Response::builder()
                    .status(status)
                    .body(text)
                    .unwrap()
            },
        );
    tokio::spawn(warp::serve(route).incoming(listener).run());
    sub
}

async fn bridge_with_puppet(
    allow_private: bool,
    tweak: impl FnOnce(&mut ostatus_bridge::config::Config),
) -> Bridge {
    let bridge = ap::start_bridge(allow_private, tweak).await;
    ap::make_puppet(&bridge.app, HANDLE).await;
    bridge
}

fn topic(bridge: &Bridge) -> String {
    bridge.app.urls.feed(HANDLE)
}

/// POSTs a hub form built from `params` to the bridge's hub.
async fn hub_post(bridge: &Bridge, params: &[(&str, &str)]) -> ap::Answer {
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    ap::post(
        &bridge.url("/hub"),
        &[("content-type".to_string(), FORM.to_string())],
        body.into_bytes(),
    )
    .await
}

async fn wait_for(limit: Duration, mut cond: impl AsyncFnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cond().await
}

/// Waits until the request for (HANDLE, callback) is no longer pending.
async fn settled(bridge: &Bridge, callback: &str) -> bool {
    let store = bridge.app.store.clone();
    let callback = callback.to_string();
    wait_for(Duration::from_secs(10), async || {
        store
            .hub_pending(HANDLE, &callback)
            .await
            .unwrap()
            .is_none()
    })
    .await
}

/// Subscribes `callback` synchronously (0.3 `hub.verify=sync`) and checks the 204.
async fn subscribe_sync(bridge: &Bridge, callback: &str, extra: &[(&str, &str)]) {
    let t = topic(bridge);
    let mut params = vec![
        ("hub.mode", "subscribe"),
        ("hub.topic", t.as_str()),
        ("hub.callback", callback),
        ("hub.verify", "sync"),
    ];
    params.extend_from_slice(extra);
    let a = hub_post(bridge, &params).await;
    assert_eq!(a.status, 204, "{}", a.body);
}

#[tokio::test]
async fn checklist_19_subscribe_answers_202_and_verifies_async_keeping_the_callback_query() {
    let bridge = bridge_with_puppet(true, |_| {}).await;
    let sub = start_subscriber().await;
    let callback = sub.url("/push/7?id=7&tag=a%2Fb");
    let t = topic(&bridge);
    // Mastodon sends an empty hub.lease_seconds.
    let a = hub_post(
        &bridge,
        &[
            ("hub.mode", "subscribe"),
            ("hub.topic", &t),
            ("hub.callback", &callback),
            ("hub.secret", "s3cr3t"),
            ("hub.lease_seconds", ""),
            ("hub.verify", "async"),
        ],
    )
    .await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert!(settled(&bridge, &callback).await);

    let gets = sub.hits("GET");
    assert_eq!(gets.len(), 1);
    let g = &gets[0];
    assert_eq!(g.path, "/push/7");
    assert!(
        g.query.starts_with("id=7&tag=a%2Fb&hub."),
        "the callback's own query comes first, untouched: {}",
        g.query
    );
    assert_eq!(g.param("hub.mode").as_deref(), Some("subscribe"));
    assert_eq!(g.param("hub.topic").as_deref(), Some(t.as_str()));
    assert_eq!(g.param("hub.lease_seconds").as_deref(), Some("259200"));
    let challenge = g.param("hub.challenge").unwrap();
    assert_eq!(challenge.len(), 32);
    assert!(challenge.bytes().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(g.param("hub.verify_token"), None);

    let s = bridge
        .app
        .store
        .hub_subscription(HANDLE, &callback)
        .await
        .unwrap()
        .expect("subscription stored after the echo");
    assert_eq!(s.callback, callback);
    assert_eq!(s.secret.as_deref(), Some("s3cr3t"));
    assert_eq!(s.algo, HmacAlgo::Sha1);
    assert_eq!(s.lease_expires_ms - s.verified_ms, 259_200_000);
    assert_eq!(
        bridge
            .app
            .store
            .hub_callback_host_count(&sub.addr.to_string())
            .await
            .unwrap(),
        1
    );

    // Re-subscribing renews: a fresh challenge, the first `created_ms` kept.
    subscribe_sync(&bridge, &callback, &[("hub.lease_seconds", "864000")]).await;
    let gets = sub.hits("GET");
    assert_eq!(gets.len(), 2);
    assert_ne!(gets[1].param("hub.challenge").unwrap(), challenge);
    let renewed = bridge
        .app
        .store
        .hub_subscription(HANDLE, &callback)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renewed.created_ms, s.created_ms);
    assert_eq!(
        renewed.secret, None,
        "the new request's state replaces the old"
    );
    assert_eq!(renewed.lease_expires_ms - renewed.verified_ms, 864_000_000);
    assert_eq!(
        bridge
            .app
            .store
            .hub_callback_host_count(&sub.addr.to_string())
            .await
            .unwrap(),
        1,
        "one pair counts once"
    );
}

#[tokio::test]
async fn checklist_19_a_wrong_echo_stores_nothing_and_keeps_what_was_there() {
    let bridge = bridge_with_puppet(true, |_| {}).await;
    let sub = start_subscriber().await;
    let store = bridge.app.store.clone();
    let t = topic(&bridge);
    let host = sub.addr.to_string();

    for (how, path) in [(WRONG, "/wrong"), (NOT_FOUND, "/missing")] {
        sub.answer(how);
        let callback = sub.url(path);
        let a = hub_post(
            &bridge,
            &[
                ("hub.mode", "subscribe"),
                ("hub.topic", &t),
                ("hub.callback", &callback),
            ],
        )
        .await;
        assert_eq!(a.status, 202, "the answer does not depend on the outcome");
        assert!(settled(&bridge, &callback).await);
        assert!(
            store
                .hub_subscription(HANDLE, &callback)
                .await
                .unwrap()
                .is_none()
        );
    }
    assert_eq!(sub.hits("GET").len(), 2);
    assert_eq!(store.hub_callback_host_count(&host).await.unwrap(), 0);

    // An existing subscription is left as it was by a failed renewal or unsubscribe.
    sub.answer(ECHO);
    let callback = sub.url("/kept");
    subscribe_sync(&bridge, &callback, &[("hub.secret", "first")]).await;
    let before = store
        .hub_subscription(HANDLE, &callback)
        .await
        .unwrap()
        .unwrap();
    sub.answer(WRONG);
    let a = hub_post(
        &bridge,
        &[
            ("hub.mode", "subscribe"),
            ("hub.topic", &t),
            ("hub.callback", &callback),
            ("hub.secret", "second"),
            ("hub.verify", "sync"),
        ],
    )
    .await;
    assert_eq!(a.status, 409, "{}", a.body);
    assert!(a.body.contains("challenge"), "{}", a.body);
    let a = hub_post(
        &bridge,
        &[
            ("hub.mode", "unsubscribe"),
            ("hub.topic", &t),
            ("hub.callback", &callback),
        ],
    )
    .await;
    assert_eq!(a.status, 202);
    assert!(settled(&bridge, &callback).await);
    assert_eq!(
        store.hub_subscription(HANDLE, &callback).await.unwrap(),
        Some(before)
    );
    assert_eq!(store.hub_callback_host_count(&host).await.unwrap(), 1);
}

#[tokio::test]
async fn checklist_19_leases_default_when_empty_and_are_clamped_to_1_to_30_days() {
    let bridge = bridge_with_puppet(true, |_| {}).await;
    let sub = start_subscriber().await;
    let store = bridge.app.store.clone();
    for (i, (asked, granted)) in [
        (None, 259_200u64),
        (Some(""), 259_200),
        (Some("5"), 86_400),
        (Some("0"), 86_400),
        (Some("1000000000"), 2_592_000),
        (Some("172800"), 172_800),
    ]
    .into_iter()
    .enumerate()
    {
        let callback = sub.url(&format!("/lease/{i}"));
        let extra: Vec<(&str, &str)> = asked
            .map(|a| ("hub.lease_seconds", a))
            .into_iter()
            .collect();
        subscribe_sync(&bridge, &callback, &extra).await;
        let g = sub.hits("GET").pop().unwrap();
        assert_eq!(g.path, format!("/lease/{i}"));
        assert_eq!(
            g.param("hub.lease_seconds"),
            Some(granted.to_string()),
            "asked {asked:?}"
        );
        let s = store
            .hub_subscription(HANDLE, &callback)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            s.lease_expires_ms - s.verified_ms,
            granted * 1000,
            "asked {asked:?}"
        );
    }
}

#[tokio::test]
async fn checklist_19_legacy_verify_sync_and_verify_token() {
    let bridge = bridge_with_puppet(true, |_| {}).await;
    let sub = start_subscriber().await;
    let store = bridge.app.store.clone();
    let callback = sub.url("/gs?user=3");
    // GNU social lists its preferences: sync first.
    subscribe_sync(
        &bridge,
        &callback,
        &[("hub.verify", "async"), ("hub.verify_token", "tok 3&x")],
    )
    .await;
    // Answered 204 only after the verification: the subscription is already there.
    assert!(
        store
            .hub_subscription(HANDLE, &callback)
            .await
            .unwrap()
            .is_some()
    );
    let g = sub.hits("GET").pop().unwrap();
    assert!(g.query.starts_with("user=3&"), "{}", g.query);
    assert_eq!(g.param("hub.verify_token").as_deref(), Some("tok 3&x"));
    assert_eq!(g.param("hub.mode").as_deref(), Some("subscribe"));

    // async listed first: 202.
    let other = sub.url("/gs2");
    let t = topic(&bridge);
    let a = hub_post(
        &bridge,
        &[
            ("hub.mode", "subscribe"),
            ("hub.topic", &t),
            ("hub.callback", &other),
            ("hub.verify", "async"),
            ("hub.verify", "sync"),
            ("hub.verify_token", "t2"),
        ],
    )
    .await;
    assert_eq!(a.status, 202);
    assert!(settled(&bridge, &other).await);
    assert_eq!(
        sub.hits("GET")
            .pop()
            .unwrap()
            .param("hub.verify_token")
            .as_deref(),
        Some("t2")
    );
    assert!(
        store
            .hub_subscription(HANDLE, &other)
            .await
            .unwrap()
            .is_some()
    );

    // A failed sync verification is a 4xx and leaves nothing.
    sub.answer(NOT_FOUND);
    let failing = sub.url("/gs3");
    let a = hub_post(
        &bridge,
        &[
            ("hub.mode", "subscribe"),
            ("hub.topic", &t),
            ("hub.callback", &failing),
            ("hub.verify", "sync"),
        ],
    )
    .await;
    assert_eq!(a.status, 409, "{}", a.body);
    assert!(
        store
            .hub_subscription(HANDLE, &failing)
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.hub_pending(HANDLE, &failing).await.unwrap().is_none());
}

#[tokio::test]
async fn checklist_19_unsubscribe_is_verified_then_removes() {
    let bridge = bridge_with_puppet(true, |_| {}).await;
    let sub = start_subscriber().await;
    let store = bridge.app.store.clone();
    let callback = sub.url("/cb?k=v");
    subscribe_sync(&bridge, &callback, &[]).await;
    let t = topic(&bridge);
    let a = hub_post(
        &bridge,
        &[
            ("hub.mode", "unsubscribe"),
            ("hub.topic", &t),
            ("hub.callback", &callback),
            ("hub.verify_token", "bye"),
        ],
    )
    .await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert!(settled(&bridge, &callback).await);
    let g = sub.hits("GET").pop().unwrap();
    assert!(g.query.starts_with("k=v&"), "{}", g.query);
    assert_eq!(g.param("hub.mode").as_deref(), Some("unsubscribe"));
    assert_eq!(g.param("hub.topic").as_deref(), Some(t.as_str()));
    assert_eq!(g.param("hub.verify_token").as_deref(), Some("bye"));
    assert_eq!(g.param("hub.lease_seconds"), None);
    assert!(g.param("hub.challenge").is_some());
    assert!(
        store
            .hub_subscription(HANDLE, &callback)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .hub_callback_host_count(&sub.addr.to_string())
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn hub_refuses_callbacks_at_private_addresses_unless_allowed() {
    let bridge = bridge_with_puppet(false, |_| {}).await;
    let sub = start_subscriber().await;
    let t = topic(&bridge);
    let port = sub.addr.port();
    for callback in [
        format!("http://127.0.0.1:{port}/cb"),
        format!("http://localhost:{port}/cb"),
        format!("http://[::1]:{port}/cb"),
        "http://169.254.169.254/latest/meta-data".to_string(),
        "http://10.0.0.1/cb".to_string(),
    ] {
        let a = hub_post(
            &bridge,
            &[
                ("hub.mode", "subscribe"),
                ("hub.topic", &t),
                ("hub.callback", &callback),
            ],
        )
        .await;
        assert_eq!(a.status, 403, "{callback}: {}", a.body);
        assert!(a.body.contains("non-public address"), "{}", a.body);
        assert!(
            bridge
                .app
                .store
                .hub_pending(HANDLE, &callback)
                .await
                .unwrap()
                .is_none()
        );
    }
    assert!(sub.hits("GET").is_empty(), "nothing was sent to them");
    assert!(
        bridge
            .app
            .store
            .hub_pending_all(10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn hub_answers_429_to_a_subscribe_flood_beyond_the_limit() {
    let bridge = bridge_with_puppet(true, |c| {
        c.websub.hub_max_subscriptions_per_callback_host = 3
    })
    .await;
    let sub = start_subscriber().await;
    let store = bridge.app.store.clone();
    let t = topic(&bridge);
    for i in 0..3 {
        subscribe_sync(&bridge, &sub.url(&format!("/f/{i}")), &[]).await;
    }
    for i in 3..6 {
        let callback = sub.url(&format!("/f/{i}"));
        let a = hub_post(
            &bridge,
            &[
                ("hub.mode", "subscribe"),
                ("hub.topic", &t),
                ("hub.callback", &callback),
            ],
        )
        .await;
        assert_eq!(a.status, 429, "{}", a.body);
        assert!(a.body.contains("too many subscriptions"), "{}", a.body);
        assert!(
            store
                .hub_pending(HANDLE, &callback)
                .await
                .unwrap()
                .is_none()
        );
    }
    assert_eq!(
        sub.hits("GET").len(),
        3,
        "refused requests are not verified"
    );
    // Renewing a pair it has is not a new one.
    subscribe_sync(&bridge, &sub.url("/f/0"), &[]).await;
    assert_eq!(
        store
            .hub_callback_host_count(&sub.addr.to_string())
            .await
            .unwrap(),
        3
    );
    // Another host is counted on its own.
    let other = start_subscriber().await;
    subscribe_sync(&bridge, &other.url("/f/0"), &[]).await;
}

#[tokio::test]
async fn hub_refuses_malformed_requests_with_their_reason() {
    let bridge = bridge_with_puppet(true, |_| {}).await;
    let sub = start_subscriber().await;
    let t = topic(&bridge);
    let cb = sub.url("/cb");
    let other_topic = bridge.app.urls.feed("nobody_at_x.test");
    let long_secret = "s".repeat(200);
    /// A form, the status the hub must answer it with, and a part of the reason.
    type Case<'a> = (Vec<(&'a str, &'a str)>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec![("hub.topic", &t), ("hub.callback", &cb)],
            400,
            "hub.mode is required",
        ),
        (
            vec![
                ("hub.mode", "follow"),
                ("hub.topic", &t),
                ("hub.callback", &cb),
            ],
            400,
            "hub.mode \"follow\"",
        ),
        (
            vec![("hub.mode", "subscribe"), ("hub.callback", &cb)],
            400,
            "hub.topic is required",
        ),
        (
            vec![("hub.mode", "subscribe"), ("hub.topic", &t)],
            400,
            "hub.callback is required",
        ),
        (
            vec![
                ("hub.mode", "subscribe"),
                ("hub.topic", &other_topic),
                ("hub.callback", &cb),
            ],
            404,
            "not a feed of this hub",
        ),
        (
            vec![
                ("hub.mode", "subscribe"),
                ("hub.topic", "https://elsewhere.example/feed.atom"),
                ("hub.callback", &cb),
            ],
            404,
            "not a feed of this hub",
        ),
        (
            vec![
                ("hub.mode", "subscribe"),
                ("hub.topic", &t),
                ("hub.callback", "ftp://x.example/cb"),
            ],
            400,
            "not an http(s) URL",
        ),
        (
            vec![
                ("hub.mode", "subscribe"),
                ("hub.topic", &t),
                ("hub.callback", "/relative"),
            ],
            400,
            "hub.callback",
        ),
        (
            vec![
                ("hub.mode", "subscribe"),
                ("hub.topic", &t),
                ("hub.callback", &cb),
                ("hub.secret", &long_secret),
            ],
            400,
            "shorter than 200 bytes",
        ),
        (
            vec![
                ("hub.mode", "subscribe"),
                ("hub.topic", &t),
                ("hub.callback", &cb),
                ("hub.lease_seconds", "soon"),
            ],
            400,
            "hub.lease_seconds",
        ),
        (
            vec![
                ("hub.mode", "subscribe"),
                ("hub.topic", &t),
                ("hub.callback", &cb),
                ("hub.lease_seconds", "-5"),
            ],
            400,
            "hub.lease_seconds",
        ),
        (
            vec![
                ("hub.mode", "subscribe"),
                ("hub.topic", &t),
                ("hub.callback", &cb),
                ("hub.verify", "carrier-pigeon"),
            ],
            400,
            "hub.verify",
        ),
        (
            vec![
                ("hub.mode", "subscribe"),
                ("hub.topic", &t),
                ("hub.callback", &cb),
                ("hub.signature_algo", "md5"),
            ],
            400,
            "hub.signature_algo",
        ),
    ];
    for (params, status, reason) in cases {
        let a = hub_post(&bridge, &params).await;
        assert_eq!(a.status, status, "{params:?}: {}", a.body);
        assert!(a.body.contains(reason), "{params:?}: {}", a.body);
    }
    assert!(sub.hits("GET").is_empty());
    assert!(
        bridge
            .app
            .store
            .hub_pending_all(10)
            .await
            .unwrap()
            .is_empty()
    );
    // A publish ping is accepted and changes nothing (the bridge publishes itself).
    let a = hub_post(&bridge, &[("hub.mode", "publish"), ("hub.url", &t)]).await;
    assert_eq!(a.status, 204);
    // A 199-byte secret is fine.
    let ok_secret = "s".repeat(199);
    subscribe_sync(&bridge, &cb, &[("hub.secret", &ok_secret)]).await;
    // GET /hub is not a route.
    assert_eq!(ap::get(&bridge.url("/hub"), "*/*").await.status, 405);
}

/// A running delivery worker over the bridge's store.
struct Running {
    wake: Arc<tokio::sync::Notify>,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

fn start_worker(bridge: &Bridge) -> Running {
    let settings = Settings {
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
    };
    let app = &bridge.app;
    let worker = Worker::new(
        app.store.clone(),
        app.fetcher.clone(),
        (*app.urls).clone(),
        Arc::new(Metrics::default()),
        settings,
    );
    let wake = worker.waker();
    let (stop, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(worker.run(async move {
        let _ = rx.await;
    }));
    Running { wake, stop, task }
}

impl Running {
    async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .unwrap()
            .unwrap();
    }
}

fn entry(n: u32) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\
         <id>tag:bridge.test,2026:{HANDLE}</id><entry><id>tag:n{n}</id>\
         <content type=\"html\">caf\u{e9} &amp; note {n}</content></entry></feed>\n"
    )
}

async fn queue_empty(bridge: &Bridge) -> bool {
    bridge.app.store.queue_len().await.unwrap() == 0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checklist_20_publish_pushes_the_exact_body_signed_with_link_headers() {
    let bridge = bridge_with_puppet(true, |_| {}).await;
    let sub = start_subscriber().await;
    let plain = sub.url("/plain?x=1");
    let sha1 = sub.url("/sha1");
    let sha256 = sub.url("/sha256");
    subscribe_sync(&bridge, &plain, &[]).await;
    subscribe_sync(&bridge, &sha1, &[("hub.secret", "s3cr3t")]).await;
    subscribe_sync(
        &bridge,
        &sha256,
        &[
            ("hub.secret", "other secret"),
            ("hub.signature_algo", "sha256"),
        ],
    )
    .await;
    let w = start_worker(&bridge);
    let body = entry(1);
    let n = hub::publish(
        &bridge.app.store,
        &bridge.app.urls,
        HANDLE,
        body.clone(),
        &w.wake,
    )
    .await
    .unwrap();
    assert_eq!(n, 3);
    assert!(
        wait_for(Duration::from_secs(10), async || sub.hits("POST").len()
            == 3)
        .await
    );
    assert!(wait_for(Duration::from_secs(10), async || queue_empty(&bridge).await).await);
    let link = link_header(&bridge.app.urls.hub(), &topic(&bridge));
    assert_eq!(
        link,
        format!(
            "<{}/hub>; rel=\"hub\", <{}>; rel=\"self\"",
            bridge.base,
            topic(&bridge)
        )
    );
    let pushes = sub.hits("POST");
    for p in &pushes {
        assert_eq!(p.body, body.as_bytes(), "the exact body");
        assert_eq!(
            p.header("content-type").as_deref(),
            Some("application/atom+xml")
        );
        assert_eq!(p.header("link").as_deref(), Some(link.as_str()));
        assert_eq!(p.header("signature"), None, "no HTTP Signature on a push");
        let expected = match p.path.as_str() {
            "/plain" => {
                assert_eq!(p.query, "x=1", "the callback's query is kept");
                None
            }
            "/sha1" => Some(sign(HmacAlgo::Sha1, b"s3cr3t", body.as_bytes())),
            "/sha256" => Some(sign(HmacAlgo::Sha256, b"other secret", body.as_bytes())),
            other => panic!("unexpected push to {other}"),
        };
        assert_eq!(p.header("x-hub-signature"), expected, "{}", p.path);
    }
    let sig1 = pushes.iter().find(|p| p.path == "/sha1").unwrap();
    assert!(
        sig1.header("x-hub-signature")
            .unwrap()
            .strip_prefix("sha1=")
            .is_some_and(|h| h.len() == 40
                && h.bytes()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()))
    );
    // A subscriber checks it the way the subscriber side does.
    assert_eq!(
        ostatus_bridge::websub::verify(
            sig1.header("x-hub-signature").as_deref(),
            b"s3cr3t",
            &sig1.body
        ),
        Ok(HmacAlgo::Sha1)
    );
    // A puppet without subscribers publishes to no one.
    assert_eq!(
        hub::publish(&bridge.app.store, &bridge.app.urls, "nobody", body, &w.wake)
            .await
            .unwrap(),
        0
    );
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checklist_20_a_410_ends_the_subscription_and_a_500_is_retried() {
    let bridge = bridge_with_puppet(true, |_| {}).await;
    let gone = start_subscriber().await;
    let flaky = start_subscriber().await;
    let gone_cb = gone.url("/gone");
    let flaky_cb = flaky.url("/flaky");
    subscribe_sync(&bridge, &gone_cb, &[]).await;
    subscribe_sync(&bridge, &flaky_cb, &[("hub.secret", "k")]).await;
    gone.script_pushes(&[410]);
    flaky.script_pushes(&[500, 503]);
    let w = start_worker(&bridge);
    let body = entry(2);
    assert_eq!(
        hub::publish(
            &bridge.app.store,
            &bridge.app.urls,
            HANDLE,
            body.clone(),
            &w.wake
        )
        .await
        .unwrap(),
        2
    );
    assert!(wait_for(Duration::from_secs(15), async || queue_empty(&bridge).await).await);
    let store = &bridge.app.store;
    assert_eq!(gone.hits("POST").len(), 1);
    assert!(
        store
            .hub_subscription(HANDLE, &gone_cb)
            .await
            .unwrap()
            .is_none(),
        "410 removed it"
    );
    assert_eq!(
        store
            .hub_callback_host_count(&gone.addr.to_string())
            .await
            .unwrap(),
        0
    );
    let tries = flaky.hits("POST");
    assert_eq!(tries.len(), 3, "500, 503, then delivered");
    let sig = sign(HmacAlgo::Sha1, b"k", body.as_bytes());
    for t in &tries {
        assert_eq!(t.body, body.as_bytes());
        assert_eq!(t.header("x-hub-signature").as_deref(), Some(sig.as_str()));
    }
    assert!(
        store
            .hub_subscription(HANDLE, &flaky_cb)
            .await
            .unwrap()
            .is_some()
    );
    // The next entry reaches only the subscriber that is left.
    assert_eq!(
        hub::publish(store, &bridge.app.urls, HANDLE, entry(3), &w.wake)
            .await
            .unwrap(),
        1
    );
    assert!(
        wait_for(Duration::from_secs(10), async || flaky.hits("POST").len()
            == 4)
        .await
    );
    assert_eq!(gone.hits("POST").len(), 1);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_leases_get_no_pushes_and_are_swept() {
    let bridge = bridge_with_puppet(true, |_| {}).await;
    let sub = start_subscriber().await;
    let store = bridge.app.store.clone();
    let expired = sub.url("/expired");
    // A subscription verified two days ago with a one-day lease.
    let pending = HubPending {
        handle: HANDLE.into(),
        callback: expired.clone(),
        mode: HubMode::Subscribe,
        secret: None,
        algo: HmacAlgo::Sha1,
        lease_seconds: 86_400,
        verify_token: None,
        challenge: "c".into(),
        requested_ms: 1,
    };
    assert_eq!(
        store.hub_add_pending(&pending, 10).await.unwrap(),
        PendingAdded::Added
    );
    let two_days_ago = now_ms() - 2 * 86_400_000;
    assert_eq!(
        store
            .hub_confirm(HANDLE, &expired, "c", two_days_ago)
            .await
            .unwrap(),
        Some(HubMode::Subscribe)
    );
    let live = sub.url("/live");
    subscribe_sync(&bridge, &live, &[]).await;

    // A push already queued for the expired one is dropped at send time.
    store
        .enqueue(NewJob {
            protocol: Protocol::WebSub,
            inbox: expired.clone(),
            signer: HANDLE.into(),
            content_type: "application/atom+xml".into(),
            body: entry(0),
            not_before_ms: 0,
        })
        .await
        .unwrap();
    let w = start_worker(&bridge);
    assert!(wait_for(Duration::from_secs(10), async || queue_empty(&bridge).await).await);
    assert!(sub.hits("POST").is_empty());

    let n = hub::publish(&store, &bridge.app.urls, HANDLE, entry(1), &w.wake)
        .await
        .unwrap();
    assert_eq!(n, 1, "only the live lease");
    assert!(
        store
            .hub_subscription(HANDLE, &expired)
            .await
            .unwrap()
            .is_none(),
        "swept"
    );
    assert!(
        wait_for(Duration::from_secs(10), async || sub.hits("POST").len()
            == 1)
        .await
    );
    assert_eq!(sub.hits("POST")[0].path, "/live");
    assert_eq!(
        store
            .hub_callback_host_count(&sub.addr.to_string())
            .await
            .unwrap(),
        1
    );
    w.stop().await;
}

#[tokio::test]
async fn pending_verifications_are_rerun_after_a_restart() {
    let bridge = bridge_with_puppet(true, |_| {}).await;
    let sub = start_subscriber().await;
    let store = bridge.app.store.clone();
    let callback = sub.url("/resumed?a=b");
    // What a crash right after the 202 leaves behind.
    let pending = HubPending {
        handle: HANDLE.into(),
        callback: callback.clone(),
        mode: HubMode::Subscribe,
        secret: Some("kept".into()),
        algo: HmacAlgo::Sha512,
        lease_seconds: 86_400,
        verify_token: Some("vt".into()),
        challenge: "0123456789abcdef0123456789abcdef".into(),
        requested_ms: now_ms(),
    };
    assert_eq!(
        store.hub_add_pending(&pending, 10).await.unwrap(),
        PendingAdded::Added
    );
    let hub = Hub::new(
        store.clone(),
        bridge.app.fetcher.clone(),
        bridge.app.urls.clone(),
        HubSettings::from_config(&bridge.app.config.websub),
    );
    assert_eq!(hub.resume_pending().await.unwrap(), 1);
    assert!(settled(&bridge, &callback).await);
    let g = sub.hits("GET").pop().unwrap();
    assert!(g.query.starts_with("a=b&"), "{}", g.query);
    assert_eq!(
        g.param("hub.challenge").as_deref(),
        Some(pending.challenge.as_str())
    );
    assert_eq!(g.param("hub.verify_token").as_deref(), Some("vt"));
    let s = store
        .hub_subscription(HANDLE, &callback)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.secret.as_deref(), Some("kept"));
    assert_eq!(s.algo, HmacAlgo::Sha512);
}
