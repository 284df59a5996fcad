#![allow(clippy::unwrap_used, clippy::expect_used)]
//! OStatus delivery jobs through the real worker to loopback Salmon endpoints that check the
//! envelope independently, the way GNU social does (data as sent + padded base64url of
//! type, encoding and alg, RSASSA-PKCS1-v1_5 SHA-256): a GNU social peer gets one valid
//! slap; a peer that refuses the padded text gets the unpadded one next, in the same
//! attempt; a peer that refuses all three variants gets three POSTs and the job is dropped.

mod delivery_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use delivery_support::*;
use ostatus_bridge::crypto::PublicKey;
use ostatus_bridge::delivery::Worker;
use ostatus_bridge::metrics::Metrics;
use ostatus_bridge::store::{NewJob, Protocol, Store};
use warp::Filter;

const PUPPET: &str = "alice_at_mastodon.test";

/// Which signing texts a receiver takes.
#[derive(Clone, Copy, PartialEq)]
enum Peer {
    /// GNU social: only the standard, padded text.
    GnuSocial,
    /// Refuses the padded text; accepts the `=`-stripped one (or data only).
    NoPadding,
    /// Refuses everything with 401.
    Refuses,
}

#[derive(Debug, Clone, PartialEq)]
struct Slap {
    content_type: String,
    /// Which text the signature verified over: "standard", "unpadded", "data_only" or "none".
    verified: &'static str,
    payload: String,
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::URL_SAFE.encode(s.as_bytes())
}

fn between(xml: &str, open: &str, close: &str) -> String {
    let s = xml.find(open).unwrap();
    let s = s + xml[s..].find('>').unwrap() + 1;
    let e = s + xml[s..].find(close).unwrap();
    xml[s..e].chars().filter(|c| !c.is_whitespace()).collect()
}

/// The independent check.
fn check(xml: &str, key: &PublicKey) -> (&'static str, String) {
    let data = between(xml, "<me:data", "</me:data>");
    let data_type = xml
        .split("<me:data type=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    let enc = between(xml, "<me:encoding", "</me:encoding>");
    let alg = between(xml, "<me:alg", "</me:alg>");
    let sig = base64::engine::general_purpose::URL_SAFE
        .decode(between(xml, "<me:sig", "</me:sig>"))
        .unwrap();
    let standard = format!("{data}.{}.{}.{}", b64(&data_type), b64(&enc), b64(&alg));
    let payload = String::from_utf8(
        base64::engine::general_purpose::URL_SAFE
            .decode(&data)
            .unwrap(),
    )
    .unwrap();
    for (name, text) in [
        ("standard", standard.clone()),
        ("unpadded", standard.replace('=', "")),
        ("data_only", data.clone()),
    ] {
        if key.verify_pkcs1_sha256(text.as_bytes(), &sig).is_ok() {
            return (name, payload);
        }
    }
    ("none", payload)
}

struct Endpoint {
    url: String,
    log: Arc<Mutex<Vec<Slap>>>,
}

async fn start_endpoint(peer: Peer, key: PublicKey) -> Endpoint {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log: Arc<Mutex<Vec<Slap>>> = Arc::default();
    let seen = log.clone();
    let route = warp::post()
        .and(warp::path!("main" / "salmon" / "user" / String))
        .and(warp::header::optional::<String>("content-type"))
        .and(warp::body::bytes())
        .map(
            move |_user: String, ct: Option<String>, body: warp::hyper::body::Bytes| {
                let xml = String::from_utf8_lossy(&body).to_string();
                let (verified, payload) = check(&xml, &key);
                seen.lock().unwrap().push(Slap {
                    content_type: ct.unwrap_or_default(),
                    verified,
                    payload,
                });
                let status = match (peer, verified) {
                    (Peer::GnuSocial, "standard") => 202,
                    (Peer::NoPadding, "unpadded" | "data_only") => 202,
                    (Peer::NoPadding, _) => 400,
                    _ => 401,
                };
                warp::http::Response::builder()
                    .status(status)
                    .body(String::new())
                    .unwrap()
            },
        );
    tokio::spawn(warp::serve(route).incoming(listener).run());
    Endpoint {
        url: format!("http://{addr}/main/salmon/user/7"),
        log,
    }
}

const ENTRY: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<entry xmlns=\"http://www.w3.org/2005/Atom\"><id>https://bridge.test/users/alice_at_mastodon.test/statuses/1</id><title>hi</title><content type=\"html\">hi &lt;3</content><author><uri>https://bridge.test/users/alice_at_mastodon.test</uri><name>alice_at_mastodon.test</name></author><updated>2026-01-01T00:00:00Z</updated></entry>";

async fn deliver_to(peer: Peer) -> (Vec<Slap>, Store, tempfile::TempDir) {
    let (dir, store, _keys) = store_with_puppet(PUPPET).await;
    let pem = store.get_keypair(PUPPET).await.unwrap().unwrap().public_pem;
    let key = PublicKey::from_pem(&pem).unwrap();
    let endpoint = start_endpoint(peer, key).await;
    store
        .enqueue(NewJob {
            protocol: Protocol::OStatus,
            inbox: endpoint.url.clone(),
            signer: PUPPET.to_string(),
            content_type: "application/magic-envelope+xml".into(),
            body: ENTRY.to_string(),
            not_before_ms: 0,
        })
        .await
        .unwrap();
    let worker = Worker::new(
        store.clone(),
        fetcher(),
        urls(),
        Arc::new(Metrics::default()),
        fast_settings(),
    );
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(worker.run(async move {
        let _ = rx.await;
    }));
    let emptied = wait_for(Duration::from_secs(20), async || {
        store.queue_len().await.unwrap() == 0
    })
    .await;
    let _ = tx.send(());
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .unwrap()
        .unwrap();
    assert!(emptied, "the job was finished");
    let log = endpoint.log.lock().unwrap().clone();
    (log, store, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checklist_04_gnu_social_gets_one_standard_padded_slap() {
    let (log, _store, _dir) = deliver_to(Peer::GnuSocial).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].content_type, "application/magic-envelope+xml");
    assert_eq!(log[0].verified, "standard");
    assert_eq!(log[0].payload, ENTRY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checklist_04_a_peer_refusing_padding_gets_the_unpadded_variant_next() {
    let (log, _store, _dir) = deliver_to(Peer::NoPadding).await;
    let verified: Vec<&str> = log.iter().map(|s| s.verified).collect();
    assert_eq!(verified, ["standard", "unpadded"]);
    assert!(log.iter().all(|s| s.payload == ENTRY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checklist_04_three_variants_then_a_final_refusal_drops_the_job() {
    let (log, _store, _dir) = deliver_to(Peer::Refuses).await;
    let verified: Vec<&str> = log.iter().map(|s| s.verified).collect();
    assert_eq!(verified, ["standard", "unpadded", "data_only"]);
}
