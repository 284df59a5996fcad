#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The Fedify story of `tests/interop_fedify.rs` in one process and without Node: the whole
//! bridge (`server::serve`: HTTP face, delivery worker, poller) over a real sled store, the
//! GNU social double, and a small ActivityPub peer of ours that publishes its key, signs its
//! Follow and Undo, and verifies every POST it receives against the puppet's key as fetched
//! from the bridge (as a real server does).

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use common::ap::{get, post, sign};
use ostatus_bridge::crypto::KeyPair;
use ostatus_bridge::httpsig::{FnLookup, FoundKey, LookupError, Request, key_from_document};
use ostatus_bridge::server::{self, App};
use ostatus_bridge::store::Store;
use serde_json::{Value, json};
use warp::Filter;

/// A POST the peer's inbox received, and whose key signed it (if it verified).
#[derive(Debug, Clone)]
struct Delivery {
    body: Value,
    signed_by: Result<String, String>,
}

struct Peer {
    actor: String,
    key_id: String,
    key: Arc<KeyPair>,
    inbox: Arc<Mutex<Vec<Delivery>>>,
}

impl Peer {
    fn received(&self, kind: &str) -> Vec<Delivery> {
        self.inbox
            .lock()
            .unwrap()
            .iter()
            .filter(|d| d.body["type"] == kind)
            .cloned()
            .collect()
    }
}

/// Verifies a delivery the way a receiving server does: fetch the signer's key document
/// (the puppet's actor) and check the signature and that the key's owner is the actor.
async fn verify(
    headers: Vec<(String, String)>,
    path: String,
    body: Vec<u8>,
) -> Result<String, String> {
    let parsed: Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    let key_id = headers
        .iter()
        .find(|(k, _)| k == "signature")
        .and_then(|(_, v)| v.split("keyId=\"").nth(1))
        .and_then(|v| v.split('"').next())
        .ok_or("no keyId")?
        .to_string();
    let actor_url = key_id.split('#').next().unwrap_or_default().to_string();
    let doc = get(&actor_url, "application/activity+json").await.json();
    let found = key_from_document(&doc, &key_id).map_err(|e| e.to_string())?;
    let req = Request::new("POST", &path, &headers, &body);
    let lookup = FnLookup(|_: &str, _| -> Result<FoundKey, LookupError> {
        Ok(FoundKey {
            key: found.key.clone(),
            owner: found.owner.clone(),
            fresh: true,
        })
    });
    let req = Request {
        scheme: "http",
        ..req
    };
    let verified = ostatus_bridge::httpsig::verify_request(&req, Utc::now(), &lookup)
        .await
        .map_err(|e| e.to_string())?;
    let actor = parsed["actor"].as_str().unwrap_or_default();
    verified.require_actor(actor).map_err(|e| e.to_string())?;
    Ok(verified.owner)
}

async fn start_peer() -> Peer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let actor = format!("http://{addr}/users/bob");
    let key = Arc::new(KeyPair::generate().unwrap());
    let doc = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": actor,
        "type": "Person",
        "preferredUsername": "bob",
        "inbox": format!("{actor}/inbox"),
        "publicKey": {
            "id": format!("{actor}#main-key"),
            "owner": actor,
            "publicKeyPem": key.public_key().to_spki_pem().unwrap(),
        },
    })
    .to_string();
    let inbox = Arc::new(Mutex::new(Vec::new()));
    let doc_route = warp::path!("users" / "bob").and(warp::get()).map(move || {
        warp::http::Response::builder()
            .header("content-type", "application/activity+json")
            .body(doc.clone())
            .unwrap()
    });
    let note = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{actor}/notes/1"), "type": "Note", "attributedTo": actor,
        "content": "<p>what do you think, GNU social?</p>",
    })
    .to_string();
    let note_route = warp::path!("users" / "bob" / "notes" / "1")
        .and(warp::get())
        .map(move || {
            warp::http::Response::builder()
                .header("content-type", "application/activity+json")
                .body(note.clone())
                .unwrap()
        });
    let log = inbox.clone();
    let inbox_route = warp::path!("users" / "bob" / "inbox")
        .and(warp::post())
        .and(warp::header::headers_cloned())
        .and(warp::path::full())
        .and(warp::body::bytes())
        .then(
            move |h: warp::http::HeaderMap,
                  p: warp::path::FullPath,
                  b: warp::hyper::body::Bytes| {
                let log = log.clone();
                async move {
                    let headers: Vec<(String, String)> = h
                        .iter()
                        .map(|(k, v)| {
                            (k.as_str().to_string(), v.to_str().unwrap_or("").to_string())
                        })
                        .collect();
                    let body: Value = serde_json::from_slice(&b).unwrap_or(Value::Null);
                    let signed_by = verify(headers, p.as_str().to_string(), b.to_vec()).await;
                    let status = if signed_by.is_ok() { 202 } else { 401 };
                    log.lock().unwrap().push(Delivery { body, signed_by });
                    warp::http::Response::builder()
                        .status(status)
                        .body(String::new())
                        .unwrap()
                }
            },
        );
    tokio::spawn(
        warp::serve(doc_route.or(note_route).or(inbox_route))
            .incoming(listener)
            .run(),
    );
    Peer {
        key_id: format!("{actor}#main-key"),
        actor,
        key,
        inbox,
    }
}

async fn wait_until(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "{what}: not within {secs} s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fediverse_user_follows_a_legacy_account_reads_it_and_unfollows() {
    let legacy = common::legacy::start(common::legacy::Finger::Jrd).await;
    let peer = start_peer().await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::ap::loopback_config(addr, dir.path());
    config.poll.interval_seconds = 1;
    let store = Store::open(&config.store).await.unwrap();
    let app = App::new(config, store).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let bridge = tokio::spawn(server::serve(listener, app.clone(), async move {
        let _ = stopped.await;
    }));
    let base = format!("http://{addr}");

    // WebFinger for the reversible handle makes the puppet.
    let handle = format!("testuser_at_127.0.0.1_{}", legacy.addr.port());
    let jrd = get(
        &format!("{base}/.well-known/webfinger?resource=acct:{handle}@{addr}"),
        "application/jrd+json",
    )
    .await;
    assert_eq!(jrd.status, 200, "{}", jrd.body);
    let actor = format!("{base}/users/{handle}");
    assert!(
        jrd.json()["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["rel"] == "self" && l["href"] == actor.as_str())
    );

    // A signed Follow → 202, and a signed Accept reaches the peer.
    let follow_id = format!("{}/follows/1", peer.actor);
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": follow_id, "type": "Follow", "actor": peer.actor, "object": actor,
    })
    .to_string()
    .into_bytes();
    let inbox = format!("{actor}/inbox");
    let answer = post(
        &inbox,
        &sign(&inbox, &follow, &peer.key_id, &peer.key, Utc::now()),
        follow.clone(),
    )
    .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    wait_until(20, "Accept delivered", || {
        !peer.received("Accept").is_empty()
    })
    .await;
    let accept = peer.received("Accept").remove(0);
    assert_eq!(accept.signed_by.as_deref(), Ok(actor.as_str()));
    assert_eq!(accept.body["actor"], actor.as_str());
    let accepted = &accept.body["object"];
    assert!(
        accepted == follow_id.as_str() || accepted["id"] == follow_id.as_str(),
        "{accepted}"
    );

    // The first poll primes; then a new entry becomes one signed Create(Note).
    let hits = legacy.feed_hits();
    wait_until(20, "first poll", || legacy.feed_hits() > hits).await;
    let lbase = legacy.base();
    // A reply to the fediverse user's own post (served by the peer).
    let parent = format!("{}/notes/1", peer.actor);
    let entry = format!(
        r#"<entry>
 <id>tag:127.0.0.1,2026-12-03:noticeId=8:objectType=comment</id>
 <title>in-process</title>
 <author><name>testuser</name><uri>{lbase}/user/3</uri></author>
 <activity:verb>http://activitystrea.ms/schema/1.0/post</activity:verb>
 <activity:object-type>http://activitystrea.ms/schema/1.0/comment</activity:object-type>
 <published>2026-12-03T10:00:08+00:00</published>
 <updated>2026-12-03T10:00:08+00:00</updated>
 <thr:in-reply-to ref="{parent}" href="{parent}"/>
 <link rel="mentioned" ostatus:object-type="http://activitystrea.ms/schema/1.0/collection" href="http://activityschema.org/collection/public"/>
 <content type="html">Hello &lt;b&gt;in process&lt;/b&gt;</content>
</entry>
"#
    );
    {
        let mut feed = legacy.feed.lock().unwrap();
        let at = feed.find("<entry>").unwrap();
        feed.insert_str(at, &entry);
    }
    wait_until(20, "Create delivered", || {
        !peer.received("Create").is_empty()
    })
    .await;
    let create = peer.received("Create").remove(0);
    assert_eq!(create.signed_by.as_deref(), Ok(actor.as_str()));
    let note = &create.body["object"];
    assert_eq!(note["type"], "Note");
    assert_eq!(note["attributedTo"], actor.as_str());
    assert_eq!(
        note["atomUri"],
        "tag:127.0.0.1,2026-12-03:noticeId=8:objectType=comment"
    );
    // A reference with its own URL is written as a Link-like object; both forms name the id.
    let parent_ref = &note["inReplyTo"];
    let parent_id = parent_ref.as_str().or(parent_ref["id"].as_str());
    assert_eq!(parent_id, Some(parent.as_str()), "{parent_ref}");
    // The parent's author (found by fetching the parent) is mentioned and copied.
    let mentioned = note["tag"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["type"] == "Mention" && t["href"] == peer.actor.as_str());
    assert!(mentioned, "{note}");
    let copied = note["cc"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == peer.actor.as_str());
    assert!(copied, "{note}");
    assert!(
        note["content"]
            .as_str()
            .unwrap()
            .contains("Hello <b>in process</b>"),
        "{note}"
    );

    // The note the bridge minted is dereferenceable at its id.
    let note_id = note["id"].as_str().unwrap();
    assert!(note_id.starts_with(&format!("{base}/legacy/")), "{note_id}");
    let fetched = get(note_id, "application/activity+json").await;
    assert_eq!(fetched.status, 200, "{}", fetched.body);
    let fetched = fetched.json();
    assert_eq!(fetched["id"], note_id);
    assert_eq!(fetched["content"], note["content"]);
    assert!(fetched.get("@context").is_some(), "{fetched}");

    // A post whose legacy id is an http URL (StatusNet style) gets an id on the bridge, and a
    // reply to it points there (the legacy ids stay in atomUri / inReplyToAtomUri).
    let http_post = format!("{lbase}/notice/20");
    let plain_entry = |id: &str, extra: &str, text: &str| {
        format!(
            r#"<entry>
 <id>{id}</id>
 <author><name>testuser</name><uri>{lbase}/user/3</uri></author>
 <activity:verb>http://activitystrea.ms/schema/1.0/post</activity:verb>
 <activity:object-type>http://activitystrea.ms/schema/1.0/note</activity:object-type>
 <published>2026-12-03T11:00:00+00:00</published>
 <updated>2026-12-03T11:00:00+00:00</updated>
 {extra}
 <link rel="mentioned" ostatus:object-type="http://activitystrea.ms/schema/1.0/collection" href="http://activityschema.org/collection/public"/>
 <content type="html">{text}</content>
</entry>
"#
        )
    };
    let add = |entry: String| {
        let mut feed = legacy.feed.lock().unwrap();
        let at = feed.find("<entry>").unwrap();
        feed.insert_str(at, &entry);
    };
    add(plain_entry(&http_post, "", "an http-id post"));
    wait_until(20, "second Create", || peer.received("Create").len() == 2).await;
    let second = peer.received("Create").remove(1);
    let bridged_id = second.body["object"]["id"].as_str().unwrap().to_string();
    assert!(
        bridged_id.starts_with(&format!("{base}/legacy/")),
        "{bridged_id}"
    );
    assert_eq!(second.body["object"]["atomUri"], http_post.as_str());
    assert!(
        !second.body["id"].as_str().unwrap().starts_with(&lbase),
        "the activity id is on the bridge too: {}",
        second.body["id"]
    );
    add(plain_entry(
        &format!("{lbase}/notice/21"),
        &format!(r#"<thr:in-reply-to ref="{http_post}" href="{http_post}"/>"#),
        "replying to myself",
    ));
    wait_until(20, "third Create", || peer.received("Create").len() == 3).await;
    let third = peer.received("Create").remove(2);
    assert_eq!(third.body["object"]["inReplyTo"], bridged_id.as_str());
    assert_eq!(third.body["object"]["inReplyToAtomUri"], http_post.as_str());
    let self_mentions = third.body["object"]["tag"]
        .as_array()
        .map(|t| t.iter().filter(|x| x["type"] == "Mention").count())
        .unwrap_or(0);
    assert_eq!(self_mentions, 0, "a self-reply mentions nobody");

    // Undo Follow: the follower is gone and the next entry is not delivered.
    let undo = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/undo/1", peer.actor), "type": "Undo", "actor": peer.actor,
        "object": {"id": follow_id, "type": "Follow", "actor": peer.actor, "object": actor},
    })
    .to_string()
    .into_bytes();
    let answer = post(
        &inbox,
        &sign(&inbox, &undo, &peer.key_id, &peer.key, Utc::now()),
        undo.clone(),
    )
    .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(app.store.follower_count(&handle).await.unwrap(), 0);
    {
        let mut feed = legacy.feed.lock().unwrap();
        let at = feed.find("<entry>").unwrap();
        feed.insert_str(at, &entry.replace("noticeId=8", "noticeId=9"));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(peer.received("Create").len(), 3);
    // Every POST the peer got verified.
    for d in peer.inbox.lock().unwrap().iter() {
        assert!(d.signed_by.is_ok(), "{d:?}");
    }

    let _ = stop.send(());
    bridge.await.unwrap().unwrap();
}
