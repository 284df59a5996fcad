//! The bridge's ActivityPub face on loopback: a real server over a real sled store in a temp
//! dir, and a fake ActivityPub server whose actors publish their keys and sign with them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ostatus_bridge::config::Config;
use ostatus_bridge::crypto::KeyPair;
use ostatus_bridge::httpsig::{Outgoing, sign_request};
use ostatus_bridge::net::{FetchLimits, Fetcher, NetPolicy};
use ostatus_bridge::server::{self, App};
use ostatus_bridge::store::{Puppet, PuppetKind, Store};
use serde_json::{Value, json};
use warp::Filter;

/// A running bridge.
pub struct Bridge {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state (the same store the server writes).
    pub app: App,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Bridge {
    /// `http://127.0.0.1:PORT<path>`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// The shipped configuration moved to loopback: public URL `http://addr`, a small store in
/// `dir`, plain http and private addresses allowed.
pub fn loopback_config(addr: SocketAddr, dir: &std::path::Path) -> Config {
    let mut config = Config::from_layers(None, |_| None).unwrap();
    config.server.public_url = format!("http://{addr}");
    config.store.path = dir.join("sled-0-34");
    config.store.cache_mb = 4;
    config.security.allow_private_networks = true;
    config.security.allow_http = true;
    config
}

/// Starts a bridge on 127.0.0.1:0 with plain http allowed, private networks as given, and
/// `tweak` applied to the configuration.
pub async fn start_bridge(allow_private: bool, tweak: impl FnOnce(&mut Config)) -> Bridge {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = loopback_config(addr, dir.path());
    config.security.allow_private_networks = allow_private;
    config.security.max_body_bytes = 64 * 1024;
    tweak(&mut config);
    let store = Store::open(&config.store).await.unwrap();
    let fetcher = Fetcher::new(
        NetPolicy::from_config(&config.security),
        FetchLimits {
            connect_timeout: Duration::from_secs(2),
            total_timeout: Duration::from_secs(5),
            max_body_bytes: 1 << 20,
        },
    )
    .unwrap();
    let app = App::with_fetcher(config, store, fetcher).unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::run(listener, app.clone(), async move {
        let _ = rx.await;
    }));
    Bridge {
        addr,
        base: format!("http://{addr}"),
        app,
        _dir: dir,
        _stop: tx,
    }
}

/// Makes a puppet directly in the store (no legacy server needed) with a fresh key pair;
/// returns its handle.
pub async fn make_puppet(app: &App, handle: &str) -> String {
    let puppet = Puppet {
        handle: handle.to_string(),
        kind: PuppetKind::Person,
        source: format!("acct:{handle}"),
        feed_url: None,
        profile: json!({"id": format!("acct:{handle}"), "endpoints": {"profile": "http://legacy.example/alice"}}),
        created_ms: 1,
    };
    app.store.put_puppet(&puppet).await.unwrap();
    server::lookup::keypair(app, handle).await.unwrap();
    handle.to_string()
}

/// An actor on the fake ActivityPub server.
#[derive(Clone)]
pub struct FakeActor {
    /// Its id, `http://127.0.0.1:PORT/users/<name>`.
    pub id: String,
    /// Its key, `<id>#main-key`.
    pub key_id: String,
    /// Its private key.
    pub key: Arc<KeyPair>,
}

/// A fake ActivityPub server serving actor documents for `names` (each with its own key).
pub struct FakeAp {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its actors, in the order of `names`.
    pub actors: Vec<FakeActor>,
}

/// Starts the fake server; its actors have fresh RSA-2048 keys.
pub async fn start_fake_ap(names: &[&str]) -> FakeAp {
    start_fake_ap_with(names, json!({})).await
}

/// Like [`start_fake_ap`], with the members of `extra` (name, summary, icon…) added to every
/// actor document. The server also answers WebFinger for `acct:<name>@127.0.0.1:PORT` with
/// a `self` link to the actor, as Mastodon does.
pub async fn start_fake_ap_with(names: &[&str], extra: Value) -> FakeAp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let mut actors = Vec::new();
    let mut docs = std::collections::HashMap::new();
    for name in names {
        let key = KeyPair::generate().unwrap();
        let id = format!("{base}/users/{name}");
        let mut doc = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id,
            "type": "Person",
            "preferredUsername": name,
            "inbox": format!("{id}/inbox"),
            "outbox": format!("{id}/outbox"),
            "endpoints": {"sharedInbox": format!("{base}/inbox")},
            "publicKey": {
                "id": format!("{id}#main-key"),
                "owner": id,
                "publicKeyPem": key.public_key().to_spki_pem().unwrap(),
            },
        });
        if let (Some(d), Some(e)) = (doc.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                d.insert(k.clone(), v.clone());
            }
        }
        docs.insert(name.to_string(), doc.to_string());
        actors.push(FakeActor {
            key_id: format!("{id}#main-key"),
            id,
            key: Arc::new(key),
        });
    }
    let docs = Arc::new(docs);
    let route = warp::path!("users" / String).map(move |name: String| match docs.get(&name) {
        Some(d) => warp::http::Response::builder()
            .header("content-type", "application/activity+json")
            .body(d.clone())
            .unwrap(),
        None => warp::http::Response::builder()
            .status(404)
            .body(String::new())
            .unwrap(),
    });
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let finger = warp::path!(".well-known" / "webfinger")
        .and(warp::query::<std::collections::HashMap<String, String>>())
        .map(move |q: std::collections::HashMap<String, String>| {
            let resource = q.get("resource").cloned().unwrap_or_default();
            let found = names
                .iter()
                .find(|n| resource == format!("acct:{n}@{addr}"));
            match found {
                Some(n) => warp::http::Response::builder()
                    .header("content-type", "application/jrd+json")
                    .body(
                        json!({
                            "subject": resource,
                            "aliases": [format!("http://{addr}/users/{n}")],
                            "links": [
                                {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": format!("http://{addr}/@{n}")},
                                {"rel": "self", "type": "application/activity+json", "href": format!("http://{addr}/users/{n}")},
                            ],
                        })
                        .to_string(),
                    )
                    .unwrap(),
                None => warp::http::Response::builder()
                    .status(404)
                    .body(String::new())
                    .unwrap(),
            }
        });
    tokio::spawn(warp::serve(route.or(finger)).incoming(listener).run());
    FakeAp { addr, actors }
}

/// The signed headers for POSTing `body` to `url` as `key_id`, at time `now`.
pub fn sign(
    url: &str,
    body: &[u8],
    key_id: &str,
    key: &KeyPair,
    now: DateTime<Utc>,
) -> Vec<(String, String)> {
    let url = url::Url::parse(url).unwrap();
    let out = Outgoing {
        method: "POST",
        url: &url,
        body,
        content_type: Some("application/activity+json"),
    };
    sign_request(&out, key_id, key, now)
        .unwrap()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A response as the tests read it.
#[derive(Debug)]
pub struct Answer {
    /// The status.
    pub status: u16,
    /// The headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body.
    pub body: String,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// POSTs `body` with exactly `headers` (plus what the client adds: Host, Content-Length).
pub async fn post(url: &str, headers: &[(String, String)], body: Vec<u8>) -> Answer {
    let mut req = client().post(url);
    for (k, v) in headers {
        if k != "host" {
            req = req.header(k.as_str(), v.as_str());
        }
    }
    answer(req.body(body).send().await.unwrap()).await
}

/// GETs `url` with an `Accept` header.
pub async fn get(url: &str, accept: &str) -> Answer {
    answer(
        client()
            .get(url)
            .header("accept", accept)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn answer(r: reqwest::Response) -> Answer {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = r.text().await.unwrap();
    Answer {
        status,
        headers,
        body,
    }
}

/// What the hostile tests compare before and after a refused request.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Followers of the puppet.
    pub followers: u64,
    /// Queued deliveries.
    pub queue: usize,
    /// Inbound activities kept.
    pub inbound: usize,
    /// Flags kept.
    pub flags: usize,
}

/// The store's counts for `handle`.
pub async fn snapshot(app: &App, handle: &str) -> Snapshot {
    Snapshot {
        followers: app.store.follower_count(handle).await.unwrap(),
        queue: app.store.queue_len().await.unwrap(),
        inbound: app.store.inbound_page(None, 1000).await.unwrap().len(),
        flags: app.store.flags_page(None, 1000).await.unwrap().len(),
    }
}

/// A Follow of `object` by `actor`, with id `<actor>/follows/<n>`.
pub fn follow(actor: &str, object: &str, n: u32) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{actor}/follows/{n}"),
        "type": "Follow",
        "actor": actor,
        "object": object,
    })
}
