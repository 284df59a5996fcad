#![allow(clippy::unwrap_used, clippy::expect_used)]
//! WebSub hub fan-out: one Atom entry published to 10,000 subscriptions, each with its own
//! secret (so every push carries an HMAC-SHA1 `X-Hub-Signature`), timed from the `publish`
//! call until the receiver has had all 10,000 pushes, through the real path: the sled queue
//! (one transaction for the 10,000 jobs), the delivery worker (lease, subscription lookup
//! per push, HMAC, reqwest POST, complete) and a real loopback HTTP receiver.
//!
//! The receiver is ONE warp server with 10,000 callback paths (`/cb/<n>`), as a legacy
//! instance whose users all follow the same puppet would be, so the worker's per-host cap
//! applies to every push. It only counts and answers 200 (the hub tests check every
//! signature), so the 2 cores are spent on the hub side. Two shapes: the shipped
//! `[delivery]` settings (4 in flight per host) and 32 in flight per host.
//!
//! Run: `cargo bench --bench hub`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ostatus_bridge::config::Config;
use ostatus_bridge::delivery::{Settings, Worker};
use ostatus_bridge::metrics::Metrics;
use ostatus_bridge::net::{FetchLimits, Fetcher, NetPolicy};
use ostatus_bridge::puppet::BridgeUrls;
use ostatus_bridge::store::{HubMode, HubPending, Store, now_ms};
use ostatus_bridge::websub::HmacAlgo;
use ostatus_bridge::websub::hub::publish;
use tokio::sync::Notify;
use warp::Filter;

const SUBSCRIBERS: usize = 10_000;

fn urls() -> BridgeUrls {
    BridgeUrls::new(&url::Url::parse("https://bridge.test").unwrap())
}

fn fetcher() -> Fetcher {
    let mut sec = Config::load_default().unwrap().security;
    sec.allow_private_networks = true;
    sec.allow_http = true;
    Fetcher::new(NetPolicy::from_config(&sec), FetchLimits::default()).unwrap()
}

/// One listener counting POSTs on any path; returns its port.
async fn start_receiver(received: Arc<AtomicUsize>) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let route = warp::post().and(warp::body::bytes()).map(move |_body| {
        received.fetch_add(1, Ordering::SeqCst);
        warp::reply::with_status("", warp::http::StatusCode::OK)
    });
    tokio::spawn(warp::serve(route).incoming(listener).run());
    port
}

/// 10,000 verified subscriptions of `/cb/<n>` on `port` to `handle`'s feed, each with a
/// secret, written the way verification writes them.
async fn subscribe_all(store: &Store, handle: &str, port: u16) {
    for n in 0..SUBSCRIBERS {
        let callback = format!("http://127.0.0.1:{port}/cb/{n}");
        let p = HubPending {
            handle: handle.into(),
            callback: callback.clone(),
            mode: HubMode::Subscribe,
            secret: Some(format!("secret-{n}")),
            algo: HmacAlgo::Sha1,
            lease_seconds: 86_400,
            verify_token: None,
            challenge: format!("c{n}"),
            requested_ms: now_ms(),
        };
        store.hub_add_pending(&p, u64::MAX).await.unwrap();
        store
            .hub_confirm(handle, &callback, &p.challenge, now_ms())
            .await
            .unwrap();
    }
}

fn entry(handle: &str) -> String {
    let u = urls();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" \
         xmlns:activity=\"http://activitystrea.ms/spec/1.0/\"><id>{feed}</id><title>{handle}</title>\
         <link rel=\"hub\" href=\"{hub}\"/><link rel=\"self\" href=\"{feed}\"/>\
         <entry><id>tag:bridge.test,2026:note/1</id><title>note</title>\
         <activity:verb>http://activitystrea.ms/schema/1.0/post</activity:verb>\
         <content type=\"html\">&lt;p&gt;{}&lt;/p&gt;</content>\
         <updated>2026-12-04T12:00:00Z</updated></entry></feed>\n",
        "lorem ipsum dolor sit amet ".repeat(20),
        feed = u.feed(handle),
        hub = u.hub(),
    )
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let shipped = Settings::from_config(&Config::load_default().unwrap().delivery);
    let wide = Settings {
        per_host_concurrency: 32,
        ..shipped.clone()
    };
    let mut g = c.benchmark_group("hub_fan_out_10k_subscribers_hmac_sha1");
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(SUBSCRIBERS as u64));
    for (name, settings) in [("per_host_4_shipped", shipped), ("per_host_32", wide)] {
        let dir = tempfile::tempdir().unwrap();
        let received = Arc::new(AtomicUsize::new(0));
        let (store, wake, stop) = rt.block_on(async {
            let store = Store::open_path(dir.path().join("sled-0-34"), 64)
                .await
                .unwrap();
            let port = start_receiver(received.clone()).await;
            subscribe_all(&store, "puppet", port).await;
            let worker = Worker::new(
                store.clone(),
                fetcher(),
                urls(),
                Arc::new(Metrics::default()),
                settings,
            );
            let wake = worker.waker();
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            tokio::spawn(worker.run(async move {
                let _ = rx.await;
            }));
            (store, wake, tx)
        });
        let body = entry("puppet");
        g.bench_function(name, |b| {
            b.iter_custom(|iters| rt.block_on(run(&store, &wake, &body, iters, &received)))
        });
        let _ = stop.send(());
    }
    g.finish();
}

/// `iters` publishes, each timed until its 10,000 pushes have all arrived.
async fn run(
    store: &Store,
    wake: &Notify,
    body: &str,
    iters: u64,
    received: &AtomicUsize,
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start_count = received.load(Ordering::SeqCst);
        let start = Instant::now();
        let n = publish(store, &urls(), "puppet", body.to_string(), wake)
            .await
            .unwrap();
        assert_eq!(n, SUBSCRIBERS);
        while received.load(Ordering::SeqCst) - start_count < SUBSCRIBERS {
            assert!(start.elapsed() < Duration::from_secs(600), "stalled");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        total += start.elapsed();
        // Untimed: let the last completions land so iterations do not overlap.
        while store.queue_len().await.unwrap() > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    total
}

criterion_group!(benches, bench);
criterion_main!(benches);
