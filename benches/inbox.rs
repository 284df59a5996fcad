#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Signed inbox POSTs acknowledged durably: the real server (warp over a real sled store in a
//! temp dir) on loopback, and a load generator in the same process sending pre-signed
//! draft-cavage requests from 100 remote actors over 64 connections at once
//! (`INBOX_CONCURRENCY=256` for more).
//!
//! Every request is a distinct `Like` (distinct ids, so none is dropped as a replay): the
//! bridge checks the digest, the date window and the RSA signature with the signer's cached
//! key, records the activity, and answers 202 only after the group commit made it durable.
//! Signing happens before the clock starts; the client shares the machine's two cores with
//! the server, so the figure is a floor for the server alone.
//!
//! Run: `cargo bench --bench inbox` (figures in BENCHMARKS.md).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ostatus_bridge::config::Config;
use ostatus_bridge::crypto::KeyPair;
use ostatus_bridge::httpsig::{Outgoing, sign_request};
use ostatus_bridge::server::{self, App};
use ostatus_bridge::store::{Identity, Protocol, Puppet, PuppetKind, Store};
use serde_json::json;

const BATCH: usize = 4_000;
/// Requests in flight; `INBOX_CONCURRENCY` overrides it.
fn concurrency() -> usize {
    std::env::var("INBOX_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}
const SIGNERS: usize = 100;

/// A request ready to send: its signed headers and body.
type Signed = (Vec<(String, String)>, Vec<u8>);

struct Signer {
    id: String,
    key_id: String,
    key: KeyPair,
}

struct Rig {
    rt: tokio::runtime::Runtime,
    inbox: String,
    signers: Vec<Signer>,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
    next: std::sync::atomic::AtomicU64,
}

fn rig() -> Rig {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (inbox, signers, stop) = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut config = Config::from_layers(None, |_| None).unwrap();
        config.server.public_url = format!("http://{addr}");
        config.store.path = dir.path().join("sled-0-34");
        config.security.allow_private_networks = true;
        config.security.allow_http = true;
        let store = Store::open(&config.store).await.unwrap();
        let app = App::new(config, store).unwrap();
        let puppet = Puppet {
            handle: "alice_at_gs.example".into(),
            kind: PuppetKind::Person,
            source: "acct:alice@gs.example".into(),
            feed_url: None,
            profile: json!({}),
            created_ms: 1,
        };
        app.store.put_puppet(&puppet).await.unwrap();
        server::lookup::keypair(&app, &puppet.handle).await.unwrap();
        // The signers' keys are in the identity cache, as after their first request.
        let mut signers = Vec::new();
        for i in 0..SIGNERS {
            let key = KeyPair::generate().unwrap();
            let id = format!("https://ap{}.example/users/u{i}", i % 10);
            let mut ident = Identity::new(id.clone(), Protocol::ActivityPub, 1);
            ident.inbox = Some(format!("{id}/inbox"));
            ident.key_id = Some(format!("{id}#main-key"));
            ident.public_key_pem = Some(key.public_key().to_spki_pem().unwrap());
            app.store.put_identity(&ident).await.unwrap();
            signers.push(Signer {
                key_id: format!("{id}#main-key"),
                id,
                key,
            });
        }
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server::run(listener, app.clone(), async move {
            let _ = rx.await;
        }));
        (
            format!("http://{addr}/users/alice_at_gs.example/inbox"),
            signers,
            tx,
        )
    });
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    Rig {
        rt,
        inbox,
        signers,
        client,
        _dir: dir,
        _stop: stop,
        next: std::sync::atomic::AtomicU64::new(0),
    }
}

/// `n` signed, distinct Likes of one of the puppet's posts.
fn presign(rig: &Rig, n: usize) -> Vec<Signed> {
    let url = url::Url::parse(&rig.inbox).unwrap();
    let now = Utc::now();
    (0..n)
        .map(|_| {
            let seq = rig.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let s = &rig.signers[(seq as usize) % rig.signers.len()];
            let body = json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{}#likes/{seq}", s.id),
                "type": "Like",
                "actor": s.id,
                "object": "https://bridge.example/users/alice_at_gs.example/entries/1",
            })
            .to_string()
            .into_bytes();
            let out = Outgoing {
                method: "POST",
                url: &url,
                body: &body,
                content_type: Some("application/activity+json"),
            };
            let headers = sign_request(&out, &s.key_id, &s.key, now)
                .unwrap()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            (headers, body)
        })
        .collect()
}

/// Sends `batch` with [`concurrency`] requests in flight; every answer must be 202.
async fn send(rig: &Rig, batch: Vec<Signed>) -> Duration {
    let queue = Arc::new(tokio::sync::Mutex::new(batch));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency() {
        let (queue, client, inbox) = (queue.clone(), rig.client.clone(), rig.inbox.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let Some((headers, body)) = queue.lock().await.pop() else {
                    break;
                };
                let mut req = client.post(&inbox).body(body);
                for (k, v) in headers {
                    if k != "host" {
                        req = req.header(k, v);
                    }
                }
                let resp = req.send().await.unwrap();
                assert_eq!(
                    resp.status().as_u16(),
                    202,
                    "{}",
                    resp.text().await.unwrap()
                );
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    start.elapsed()
}

fn bench_inbox(c: &mut Criterion) {
    let rig = rig();
    let mut g = c.benchmark_group("inbox");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function("signed_like_202_durable", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let batch = presign(&rig, BATCH);
                total += rig.rt.block_on(send(&rig, batch));
            }
            total
        })
    });
    g.finish();
}

criterion_group!(benches, bench_inbox);
criterion_main!(benches);
