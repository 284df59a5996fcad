#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Fan-out of one Create to 10,000 followers on 1,000 hosts, timed from the `fan_out` call
//! until every inbox has received it, through the real worker (sled queue, RSA-2048 signing
//! per POST, reqwest, per-host concurrency caps).
//!
//! The 1,000 hosts are 1,000 real TCP listeners on 127.0.0.1, one port each: the bridge counts
//! hosts by `host:port`, so each has its own concurrency cap, breaker and connection pool,
//! as 1,000 remote servers would; what loopback leaves out is network latency (every peer
//! here answers at once) and TLS. The receivers only count and answer 202 (the delivery tests
//! verify every signature), so the 2 cores are spent on the sending side. Two shapes:
//! `shared` (every follower's server has a shared inbox: 1,000 POSTs) and `personal` (no
//! shared inboxes: 10,000 POSTs, 10 per host).
//!
//! Run: `cargo bench --bench delivery` (needs ~6,000 file descriptors: `ulimit -n 20000`).

#[path = "../tests/delivery_support/mod.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use ostatus_bridge::config::Config;
use ostatus_bridge::delivery::{self, Settings, Worker};
use ostatus_bridge::metrics::Metrics;
use ostatus_bridge::store::{Follower, Store};
use tokio::sync::Notify;
use warp::Filter;

const HOSTS: usize = 1000;
const PER_HOST: usize = 10;

/// Starts `HOSTS` counting listeners; returns their ports.
async fn start_hosts(received: Arc<AtomicUsize>) -> Vec<u16> {
    let mut ports = Vec::with_capacity(HOSTS);
    for _ in 0..HOSTS {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        ports.push(listener.local_addr().unwrap().port());
        let received = received.clone();
        let route = warp::post().and(warp::body::bytes()).map(move |_body| {
            received.fetch_add(1, Ordering::SeqCst);
            warp::reply::with_status("", warp::http::StatusCode::ACCEPTED)
        });
        tokio::spawn(warp::serve(route).incoming(listener).run());
    }
    ports
}

async fn fill(store: &Store, handle: &str, ports: &[u16], shared: bool) {
    for (h, port) in ports.iter().enumerate() {
        for f in 0..PER_HOST {
            let base = format!("http://127.0.0.1:{port}");
            let actor = format!("{base}/users/f{h}_{f}");
            let inbox = format!("{actor}/inbox");
            let shared = shared.then(|| format!("{base}/inbox"));
            store
                .add_follower(handle, &Follower::new(actor, inbox, shared))
                .await
                .unwrap();
        }
    }
}

fn note(handle: &str) -> serde_json::Value {
    let actor = support::urls().actor(handle);
    serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{actor}/statuses/1/activity"),
        "type": "Create",
        "actor": actor,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [format!("{actor}/followers")],
        "object": {
            "id": format!("{actor}/statuses/1"), "type": "Note", "attributedTo": actor,
            "content": format!("<p>{}</p>", "lorem ipsum dolor sit amet ".repeat(20)),
        }
    })
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let received = Arc::new(AtomicUsize::new(0));
    let (store, wake) = rt.block_on(async {
        let store = support::open_store(dir.path()).await;
        let keys = support::Keys::default();
        let ports = start_hosts(received.clone()).await;
        for (handle, shared) in [("shared", true), ("personal", false)] {
            support::puppet_key(&store, handle, &keys).await;
            fill(&store, handle, &ports, shared).await;
        }
        // The shipped [delivery] settings: 32 in flight, 4 per host.
        let settings = Settings::from_config(&Config::load_default().unwrap().delivery);
        let worker = Worker::new(
            store.clone(),
            support::fetcher(),
            support::urls(),
            Arc::new(Metrics::default()),
            settings,
        );
        let wake = worker.waker();
        tokio::spawn(worker.run(std::future::pending::<()>()));
        (store, wake)
    });

    let mut g = c.benchmark_group("delivery_fan_out_10k_followers_1k_hosts");
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(20));
    for (handle, posts) in [("shared", HOSTS), ("personal", HOSTS * PER_HOST)] {
        g.bench_function(handle, |b| {
            b.iter_custom(|iters| rt.block_on(run(&store, &wake, handle, posts, iters, &received)))
        });
    }
    g.finish();
}

/// `iters` fan-outs, each timed until its `posts` POSTs have all arrived.
async fn run(
    store: &Store,
    wake: &Notify,
    handle: &str,
    posts: usize,
    iters: u64,
    received: &AtomicUsize,
) -> Duration {
    let mut total = Duration::ZERO;
    let activity = note(handle);
    for _ in 0..iters {
        let start_count = received.load(Ordering::SeqCst);
        let start = Instant::now();
        let jobs = delivery::fan_out(store, handle, &activity, wake)
            .await
            .unwrap();
        assert_eq!(jobs, posts);
        while received.load(Ordering::SeqCst) - start_count < posts {
            assert!(start.elapsed() < Duration::from_secs(300), "stalled");
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
