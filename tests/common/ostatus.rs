//! A GNU-social-like server on loopback for Salmon tests: accounts with real RSA-2048 keys,
//! each answering WebFinger (JRD) both for `acct:name@host` and for its profile URI
//! `http://host/user/<name>` with a `magic-public-key` link (or none, or another key), and a
//! tiny Atom feed (discovery reads it).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ostatus_bridge::crypto::{KeyPair, PublicKey};
use warp::Filter;
use warp::http::Response;

/// One account of the double.
pub struct Account {
    /// Its signing key.
    pub key: Arc<KeyPair>,
    /// What its WebFinger publishes as magic key (`None`: no link).
    pub published: Option<PublicKey>,
}

/// A running double.
pub struct OStatusPeer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its accounts by name; `published` can be changed while it runs.
    pub accounts: Arc<Mutex<HashMap<String, Account>>>,
    /// WebFinger requests answered.
    pub finger_hits: Arc<AtomicUsize>,
}

impl OStatusPeer {
    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The author URI of `name`.
    pub fn uri(&self, name: &str) -> String {
        format!("{}/user/{name}", self.base())
    }

    /// The signing key of `name`.
    pub fn key(&self, name: &str) -> Arc<KeyPair> {
        Arc::clone(&self.accounts.lock().unwrap()[name].key)
    }

    /// Makes `name`'s WebFinger publish `key` (or nothing).
    pub fn publish(&self, name: &str, key: Option<PublicKey>) {
        self.accounts
            .lock()
            .unwrap()
            .get_mut(name)
            .unwrap()
            .published = key;
    }

    /// WebFinger requests so far.
    pub fn fingers(&self) -> usize {
        self.finger_hits.load(Ordering::SeqCst)
    }

    /// A GNU social style note by `name`, with id `<uri>/notice/<n>`.
    pub fn note(&self, name: &str, n: u32, mention: &str) -> String {
        let uri = self.uri(name);
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<entry xmlns="http://www.w3.org/2005/Atom" xmlns:thr="http://purl.org/syndication/thread/1.0" xmlns:activity="http://activitystrea.ms/spec/1.0/" xmlns:ostatus="http://ostatus.org/schema/1.0">
 <id>{uri}/notice/{n}</id>
 <title>note {n}</title>
 <content type="html">hello &lt;b&gt;{n}&lt;/b&gt;</content>
 <activity:verb>http://activitystrea.ms/schema/1.0/post</activity:verb>
 <activity:object-type>http://activitystrea.ms/schema/1.0/note</activity:object-type>
 <author><activity:object-type>http://activitystrea.ms/schema/1.0/person</activity:object-type><uri>{uri}</uri><name>{name}</name></author>
 <link rel="mentioned" ostatus:object-type="http://activitystrea.ms/schema/1.0/person" href="{mention}"/>
 <updated>2026-01-0{d}T10:00:00Z</updated>
</entry>"#,
            d = 1 + n % 9
        )
    }
}

/// Starts the double with fresh keys for `names`, each publishing its own key.
pub async fn start(names: &[&str]) -> OStatusPeer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let mut accounts = HashMap::new();
    for name in names {
        let key = tokio::task::spawn_blocking(KeyPair::generate)
            .await
            .unwrap()
            .unwrap();
        let published = Some(key.public_key().clone());
        accounts.insert(
            name.to_string(),
            Account {
                key: Arc::new(key),
                published,
            },
        );
    }
    let accounts = Arc::new(Mutex::new(accounts));
    let finger_hits = Arc::new(AtomicUsize::new(0));
    let finger = {
        let (accounts, hits, base) = (accounts.clone(), finger_hits.clone(), base.clone());
        warp::path!(".well-known" / "webfinger")
            .and(warp::query::<HashMap<String, String>>())
            .map(move |q: HashMap<String, String>| {
                hits.fetch_add(1, Ordering::SeqCst);
                let resource = q.get("resource").cloned().unwrap_or_default();
                let name = resource
                    .strip_prefix("acct:")
                    .and_then(|a| a.strip_suffix(&format!("@{addr}")))
                    .or_else(|| resource.strip_prefix(&format!("{base}/user/")))
                    .map(str::to_string);
                let accounts = accounts.lock().unwrap();
                let Some((name, account)) = name.and_then(|n| accounts.get(&n).map(|a| (n, a)))
                else {
                    return Response::builder().status(404).body(String::new()).unwrap();
                };
                let uri = format!("{base}/user/{name}");
                let mut links = vec![
                    serde_json::json!({"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": format!("{base}/{name}")}),
                    serde_json::json!({"rel": "http://schemas.google.com/g/2010#updates-from", "type": "application/atom+xml", "href": format!("{base}/feed/{name}.atom")}),
                    serde_json::json!({"rel": "salmon", "href": format!("{base}/main/salmon/user/{name}")}),
                ];
                if let Some(k) = &account.published {
                    links.push(serde_json::json!({"rel": "magic-public-key", "href": format!("data:application/magic-public-key,{}", k.to_magic())}));
                }
                let body = serde_json::json!({
                    "subject": format!("acct:{name}@{addr}"),
                    "aliases": [uri],
                    "links": links,
                });
                Response::builder()
                    .header("content-type", "application/jrd+json")
                    .body(body.to_string())
                    .unwrap()
            })
    };
    let feed = {
        let base = base.clone();
        warp::path!("feed" / String).map(move |file: String| {
            let name = file.trim_end_matches(".atom");
            Response::builder()
                .header("content-type", "application/atom+xml")
                .body(format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><id>{base}/feed/{file}</id><title>{name}</title>
<link rel="self" href="{base}/feed/{file}"/><link rel="salmon" href="{base}/main/salmon/user/{name}"/>
<author><uri>{base}/user/{name}</uri><name>{name}</name></author><updated>2026-01-01T00:00:00Z</updated></feed>"#
                ))
                .unwrap()
        })
    };
    tokio::spawn(warp::serve(finger.or(feed)).incoming(listener).run());
    OStatusPeer {
        addr,
        accounts,
        finger_hits,
    }
}
