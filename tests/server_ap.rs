#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The ActivityPub face over loopback HTTP with a real sled store and real keys: lookup makes
//! puppets from a legacy double, WebFinger (JRD and XRD) leads to the actor, the actor's key
//! verifies what the stored key signs, collections count and page, and a signed Follow is
//! stored once, answered with a queued Accept, and undone.

mod common;

use chrono::Utc;
use common::ap::{self, Bridge};
use common::legacy::{self, Finger};
use ostatus_bridge::codec::Limits;
use ostatus_bridge::crypto::KeyPair;
use ostatus_bridge::httpsig::{self, FnLookup, FoundKey, Outgoing, key_from_document};
use ostatus_bridge::identity::webfinger::Descriptor;
use serde_json::{Value, json};

const AP_JSON: &str = "application/activity+json";

fn pct(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn looked_up(bridge: &Bridge, address: &str) -> ap::Answer {
    ap::get(
        &bridge.url(&format!("/api/lookup?address={}", pct(address))),
        "application/json",
    )
    .await
}

#[tokio::test]
async fn lookup_creates_a_puppet_once_and_describes_it() {
    let peer = legacy::start(Finger::Jrd).await;
    let bridge = ap::start_bridge(true, |_| {}).await;
    let a = looked_up(&bridge, &peer.address()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let j = a.json();
    let handle = format!("testuser_at_127.0.0.1_{}", peer.addr.port());
    assert_eq!(j["handle"], format!("{handle}@{}", bridge.addr));
    assert_eq!(j["actor"], bridge.url(&format!("/users/{handle}")));
    assert_eq!(j["protocols"], json!(["ostatus", "websub", "feed"]));
    assert_eq!(
        j["endpoints"]["feed"],
        format!("{}/api/statuses/user_timeline/3.atom", peer.base())
    );
    assert_eq!(
        j["keys"]["key_id"],
        bridge.url(&format!("/users/{handle}#main-key"))
    );
    let pem = j["keys"]["public_key_pem"].as_str().unwrap().to_string();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{pem}");
    assert!(
        j["keys"]["source_magic_key"]
            .as_str()
            .unwrap()
            .starts_with("RSA.")
    );
    assert_eq!(j["source"]["address"], peer.address());
    assert_eq!(j["source"]["id"], format!("acct:{}", peer.address()));
    assert_eq!(j["created"], true);

    // Stored: the puppet, its key pair, the remote identity.
    let store = &bridge.app.store;
    let puppet = store.get_puppet_by_handle(&handle).await.unwrap().unwrap();
    assert_eq!(puppet.source, format!("acct:{}", peer.address()));
    assert_eq!(puppet.feed_url.as_deref(), j["endpoints"]["feed"].as_str());
    assert_eq!(
        store
            .get_keypair(&handle)
            .await
            .unwrap()
            .unwrap()
            .public_pem,
        pem
    );
    let remote = store
        .get_identity(&format!("acct:{}", peer.address()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        remote.salmon.as_deref(),
        Some(format!("{}/main/salmon/user/3", peer.base()).as_str())
    );

    // Again: the same puppet and key, not created anew.
    let again = looked_up(&bridge, &format!("acct:{}", peer.address()))
        .await
        .json();
    assert_eq!(again["created"], false);
    assert_eq!(again["keys"]["public_key_pem"], pem.as_str());
    assert_eq!(again["actor"], j["actor"]);

    // The actor is rebuilt from what discovery stored.
    let actor = ap::get(j["actor"].as_str().unwrap(), AP_JSON).await.json();
    assert_eq!(actor["id"], j["actor"]);
    assert_eq!(actor["preferredUsername"], handle);
    assert_eq!(actor["url"], format!("{}/testuser", peer.base()));
    let aka = actor["alsoKnownAs"].as_array().unwrap();
    assert!(
        aka.contains(&json!(format!("{}/user/3", peer.base()))),
        "{aka:?}"
    );
    assert!(
        actor["name"].as_str().is_some_and(|n| !n.is_empty()),
        "{actor}"
    );
    assert_eq!(actor["publicKey"]["publicKeyPem"], pem.as_str());

    // The id minted for the account's acct: URI leads to the puppet.
    let base = url::Url::parse(&bridge.base).unwrap();
    let minter = ostatus_bridge::translate::ids::IdMinter::new(&base);
    let minted = minter.mint(&format!("acct:{}", peer.address())).unwrap();
    let m = ap::get(&minted, AP_JSON).await;
    assert_eq!(m.status, 302, "{minted}: {}", m.body);
    assert_eq!(m.header("location").as_deref(), j["actor"].as_str());
    let unknown = minter.mint("tag:gs.example,2020:note/1").unwrap();
    assert_eq!(ap::get(&unknown, AP_JSON).await.status, 404);

    // Browsers are sent to the legacy profile page.
    let page = ap::get(&bridge.url(&format!("/users/{handle}")), "text/html").await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.header("location"),
        Some(format!("{}/testuser", peer.base()))
    );
}

#[tokio::test]
async fn lookup_errors_have_their_status_and_reason() {
    let lrdd_only = legacy::start(Finger::LrddOnly).await;
    let bridge = ap::start_bridge(true, |c| c.security.hosts = vec!["denied.example".into()]).await;
    let a = looked_up(&bridge, "not an address").await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(a.body.contains("not an account address"), "{}", a.body);
    let a = ap::get(&bridge.url("/api/lookup"), "application/json").await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(a.body.contains("missing"), "{}", a.body);
    let a = looked_up(&bridge, "bob@denied.example").await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert!(a.body.contains("deny list"), "{}", a.body);
    let a = looked_up(&bridge, &format!("nobody@{}", lrdd_only.addr)).await;
    assert_eq!(a.status, 404, "{}", a.body);
    // Nothing listens on port 9 of loopback: the remote failed.
    let a = looked_up(&bridge, "nobody@127.0.0.1:9").await;
    assert_eq!(a.status, 502, "{}", a.body);
    assert!(
        bridge
            .app
            .store
            .puppets_page(None, 10)
            .await
            .unwrap()
            .is_empty(),
        "no puppet for a failed lookup"
    );
}

#[tokio::test]
async fn lookup_cli_prints_the_same_json() {
    let peer = legacy::start(Finger::Jrd).await;
    let dir = tempfile::tempdir().unwrap();
    let store_path = dir.path().join("sled-0-34");
    let address = peer.address();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_ostatus-bridge"))
            .args(["lookup", &address])
            .env("OSTATUS_BRIDGE_SECURITY_ALLOW_PRIVATE_NETWORKS", "true")
            .env("OSTATUS_BRIDGE_SECURITY_ALLOW_HTTP", "true")
            .env(
                "OSTATUS_BRIDGE_SERVER_PUBLIC_URL",
                "\"https://bridge.example\"",
            )
            .env(
                "OSTATUS_BRIDGE_STORE_PATH",
                store_path.display().to_string(),
            )
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: Value = serde_json::from_str(&stdout).unwrap();
    let handle = format!("testuser_at_127.0.0.1_{}", peer.addr.port());
    assert_eq!(j["handle"], format!("{handle}@bridge.example"));
    assert_eq!(j["actor"], format!("https://bridge.example/users/{handle}"));
    assert_eq!(j["created"], true);

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ostatus-bridge"))
        .args(["lookup", "no-at-sign"])
        .env(
            "OSTATUS_BRIDGE_STORE_PATH",
            dir.path().join("other-0-34").display().to_string(),
        )
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-at-sign"));
}

#[tokio::test]
async fn webfinger_jrd_and_xrd_lead_to_the_actor_whose_key_verifies() {
    let bridge = ap::start_bridge(true, |_| {}).await;
    let handle = ap::make_puppet(&bridge.app, "alice_at_gs.example").await;
    let actor_url = bridge.url(&format!("/users/{handle}"));
    let acct = format!("acct:{handle}@{}", bridge.addr);

    let jrd = ap::get(
        &bridge.url(&format!("/.well-known/webfinger?resource={}", pct(&acct))),
        "application/jrd+json",
    )
    .await;
    assert_eq!(jrd.status, 200, "{}", jrd.body);
    assert_eq!(
        jrd.header("content-type").as_deref(),
        Some("application/jrd+json")
    );
    assert_eq!(
        jrd.header("access-control-allow-origin").as_deref(),
        Some("*")
    );
    let d = Descriptor::from_jrd(jrd.body.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(d.subject.as_deref(), Some(acct.as_str()));
    let self_link = d.link("self", &[AP_JSON]).unwrap();
    assert_eq!(self_link.href.as_deref(), Some(actor_url.as_str()));
    assert!(
        d.href("magic-public-key")
            .unwrap()
            .starts_with("data:application/magic-public-key,RSA.")
    );

    let xrd = ap::get(
        &bridge.url(&format!(
            "/.well-known/webfinger?resource={}",
            pct(&actor_url)
        )),
        "application/xrd+xml",
    )
    .await;
    assert_eq!(xrd.status, 200, "{}", xrd.body);
    assert_eq!(
        xrd.header("content-type").as_deref(),
        Some("application/xrd+xml")
    );
    let dx = Descriptor::from_xrd(xrd.body.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(dx, d, "XRD and JRD say the same");

    for (resource, status) in [
        (format!("acct:nobody_at_x.example@{}", bridge.addr), 404),
        (
            "acct:alice_at_gs.example@elsewhere.example".to_string(),
            404,
        ),
        ("mailto:alice@example.com".to_string(), 400),
    ] {
        let a = ap::get(
            &bridge.url(&format!(
                "/.well-known/webfinger?resource={}",
                pct(&resource)
            )),
            "application/jrd+json",
        )
        .await;
        assert_eq!(a.status, status, "{resource}: {}", a.body);
    }
    let a = ap::get(
        &bridge.url("/.well-known/webfinger"),
        "application/jrd+json",
    )
    .await;
    assert_eq!(a.status, 400, "{}", a.body);

    // The actor.
    let a = ap::get(
        &actor_url,
        "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.header("content-type").as_deref(), Some(AP_JSON));
    let actor = a.json();
    assert_eq!(actor["id"], actor_url);
    assert_eq!(actor["type"], "Person");
    assert_eq!(actor["preferredUsername"], handle);
    assert_eq!(actor["inbox"], format!("{actor_url}/inbox"));
    assert_eq!(actor["outbox"], format!("{actor_url}/outbox"));
    assert_eq!(actor["followers"], format!("{actor_url}/followers"));
    assert_eq!(actor["endpoints"]["sharedInbox"], bridge.url("/inbox"));
    assert_eq!(actor["url"], "http://legacy.example/alice");
    assert_eq!(actor["publicKey"]["id"], format!("{actor_url}#main-key"));
    assert_eq!(actor["publicKey"]["owner"], actor_url);
    assert!(
        actor["@context"]
            .to_string()
            .contains("https://w3id.org/security/v1")
    );

    // What the stored key signs, the published key verifies.
    let stored = bridge
        .app
        .store
        .get_keypair(&handle)
        .await
        .unwrap()
        .unwrap();
    let key = KeyPair::from_pkcs8_der(&stored.private_pkcs8_der).unwrap();
    let target = url::Url::parse("http://remote.example/inbox").unwrap();
    let body = br#"{"type":"Note"}"#;
    let out = Outgoing {
        method: "POST",
        url: &target,
        body,
        content_type: Some(AP_JSON),
    };
    let key_id = format!("{actor_url}#main-key");
    let now = Utc::now();
    let signed = httpsig::sign_request(&out, &key_id, &key, now).unwrap();
    let headers: Vec<(String, String)> = signed
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let req = httpsig::Request::new("POST", "/inbox", &headers, body);
    let published = key_from_document(&actor, &key_id).unwrap();
    let lookup = FnLookup(|_: &str, _| {
        Ok(FoundKey {
            key: published.key.clone(),
            owner: published.owner.clone(),
            fresh: true,
        })
    });
    let v = httpsig::verify_request(&req, now, &lookup).await.unwrap();
    assert_eq!(v.owner, actor_url);
}

#[tokio::test]
async fn host_meta_and_nodeinfo() {
    let bridge = ap::start_bridge(true, |_| {}).await;
    let template = format!("{}/.well-known/webfinger?resource={{uri}}", bridge.base);
    let x = ap::get(&bridge.url("/.well-known/host-meta"), "application/xrd+xml").await;
    assert_eq!(x.status, 200);
    let d = Descriptor::from_xrd(x.body.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(
        d.link("lrdd", &[]).unwrap().template.as_deref(),
        Some(template.as_str())
    );
    for (path, accept) in [
        ("/.well-known/host-meta", "application/json"),
        ("/.well-known/host-meta.json", "*/*"),
    ] {
        let j = ap::get(&bridge.url(path), accept).await;
        assert_eq!(j.status, 200);
        let d = Descriptor::from_jrd(j.body.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(
            d.link("lrdd", &[]).unwrap().template.as_deref(),
            Some(template.as_str())
        );
    }
    let links = ap::get(&bridge.url("/.well-known/nodeinfo"), "application/json")
        .await
        .json();
    let href = links["links"][0]["href"].as_str().unwrap().to_string();
    assert_eq!(href, bridge.url("/nodeinfo/2.1"));
    let n = ap::get(&href, "application/json").await;
    assert_eq!(n.status, 200);
    assert!(n.header("content-type").unwrap().contains("schema/2.1#"));
    let n = n.json();
    assert_eq!(n["version"], "2.1");
    assert_eq!(n["software"]["name"], "ostatus-bridge");
    assert_eq!(n["software"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(n["protocols"], json!(["activitypub", "ostatus"]));
    assert_eq!(n["openRegistrations"], false);
}

#[tokio::test]
async fn outbox_and_followers_count_and_page() {
    let bridge = ap::start_bridge(true, |_| {}).await;
    let handle = ap::make_puppet(&bridge.app, "carol_at_gs.example").await;
    let store = &bridge.app.store;
    let mut seqs = Vec::new();
    for i in 0..25 {
        let seq = store
            .append_entry(
                &handle,
                &json!({"type": "Create", "object": {"type": "Note", "content": format!("n{i}")}}),
            )
            .await
            .unwrap();
        seqs.push(seq);
    }
    let outbox_url = bridge.url(&format!("/users/{handle}/outbox"));
    let c = ap::get(&outbox_url, AP_JSON).await.json();
    assert_eq!(c["type"], "OrderedCollection");
    assert_eq!(c["totalItems"], 25);
    let first = ap::get(c["first"].as_str().unwrap(), AP_JSON).await.json();
    assert_eq!(first["type"], "OrderedCollectionPage");
    assert_eq!(first["partOf"], outbox_url);
    let items = first["orderedItems"].as_array().unwrap();
    assert_eq!(items.len(), 20);
    assert_eq!(items[0]["object"]["content"], "n24", "newest first");
    let newest = bridge.url(&format!("/users/{handle}/entries/{}", seqs[24]));
    assert_eq!(items[0]["id"], newest);
    let second = ap::get(first["next"].as_str().unwrap(), AP_JSON)
        .await
        .json();
    let items = second["orderedItems"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    assert_eq!(items[4]["object"]["content"], "n0");
    assert!(second.get("next").is_none());

    // Each entry at its own URL.
    let e = ap::get(&newest, AP_JSON).await;
    assert_eq!(e.status, 200);
    assert_eq!(e.json()["object"]["content"], "n24");
    let e = ap::get(
        &bridge.url(&format!("/users/{handle}/entries/{}", seqs[24] + 1_000_000)),
        AP_JSON,
    )
    .await;
    assert_eq!(e.status, 404);

    let f = ap::get(&bridge.url(&format!("/users/{handle}/followers")), AP_JSON)
        .await
        .json();
    assert_eq!(f["totalItems"], 0);
    let f = ap::get(
        &bridge.url(&format!("/users/{handle}/following?page=true")),
        AP_JSON,
    )
    .await
    .json();
    assert_eq!(f["orderedItems"], json!([]));
    let a = ap::get(&bridge.url("/users/nobody_at_x.example/outbox"), AP_JSON).await;
    assert_eq!(a.status, 404);
    let a = ap::get(&bridge.url("/users/nobody_at_x.example"), AP_JSON).await;
    assert_eq!(a.status, 404);
}

#[tokio::test]
async fn signed_follow_is_stored_once_accepted_and_undone() {
    let fake = ap::start_fake_ap(&["dave"]).await;
    let dave = fake.actors[0].clone();
    let bridge = ap::start_bridge(true, |_| {}).await;
    let handle = ap::make_puppet(&bridge.app, "erin_at_gs.example").await;
    let puppet = bridge.url(&format!("/users/{handle}"));
    let inbox = format!("{puppet}/inbox");
    let follow = ap::follow(&dave.id, &puppet, 1);
    let body = follow.to_string().into_bytes();

    let h = ap::sign(&inbox, &body, &dave.key_id, &dave.key, Utc::now());
    let a = ap::post(&inbox, &h, body.clone()).await;
    assert_eq!(a.status, 202, "{}", a.body);
    let store = &bridge.app.store;
    assert_eq!(store.follower_count(&handle).await.unwrap(), 1);
    let f = store
        .get_follower(&handle, &dave.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(f.inbox, format!("{}/inbox", dave.id));
    assert_eq!(f.shared_inbox, Some(format!("http://{}/inbox", fake.addr)));
    // The signer's identity is cached with its key.
    let cached = store
        .identity_for_key_id(&dave.key_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cached.id, dave.id);

    let jobs = store.due_jobs(u64::MAX, 10).await.unwrap();
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(job.inbox, format!("{}/inbox", dave.id));
    assert_eq!(job.signer, handle);
    assert_eq!(job.content_type, AP_JSON);
    let accept: Value = serde_json::from_str(&job.body).unwrap();
    assert_eq!(accept["type"], "Accept");
    assert_eq!(accept["actor"], puppet);
    assert!(
        accept["id"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{puppet}#accepts/"))
    );
    assert_eq!(accept["object"]["id"], follow["id"]);
    assert_eq!(accept["object"]["type"], "Follow");
    assert_eq!(accept["object"]["actor"], dave.id);
    assert_eq!(accept["object"]["object"], puppet);

    // Replayed (signed anew, same activity id), via the shared inbox: acknowledged, not redone.
    let shared = bridge.url("/inbox");
    let h = ap::sign(&shared, &body, &dave.key_id, &dave.key, Utc::now());
    let a = ap::post(&shared, &h, body.clone()).await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!(a.body, "duplicate\n");
    assert_eq!(store.follower_count(&handle).await.unwrap(), 1);
    assert_eq!(store.queue_len().await.unwrap(), 1);

    // The followers collection lists dave.
    let page = ap::get(&format!("{puppet}/followers?page=true"), AP_JSON)
        .await
        .json();
    assert_eq!(page["orderedItems"], json!([dave.id]));

    // Undo Follow removes him.
    let undo = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/follows/1/undo", dave.id),
        "type": "Undo",
        "actor": dave.id,
        "object": {"id": follow["id"], "type": "Follow", "actor": dave.id, "object": puppet},
    });
    let body = undo.to_string().into_bytes();
    let h = ap::sign(&inbox, &body, &dave.key_id, &dave.key, Utc::now());
    let a = ap::post(&inbox, &h, body).await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!(store.follower_count(&handle).await.unwrap(), 0);
    assert!(
        store
            .get_follower(&handle, &dave.id)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn other_activities_are_kept_flags_reported_unknown_dropped() {
    let fake = ap::start_fake_ap(&["frank"]).await;
    let frank = fake.actors[0].clone();
    let bridge = ap::start_bridge(true, |_| {}).await;
    let handle = ap::make_puppet(&bridge.app, "gina_at_gs.example").await;
    let puppet = bridge.url(&format!("/users/{handle}"));
    let shared = bridge.url("/inbox");
    let send = |activity: Value| {
        let body = activity.to_string().into_bytes();
        let h = ap::sign(&shared, &body, &frank.key_id, &frank.key, Utc::now());
        let shared = shared.clone();
        async move { ap::post(&shared, &h, body).await }
    };
    let like = json!({"id": format!("{}/likes/1", frank.id), "type": "Like", "actor": frank.id, "object": format!("{puppet}/entries/1")});
    assert_eq!(send(like.clone()).await.status, 202);
    assert_eq!(send(like).await.body, "duplicate\n");
    let flag = json!({"id": format!("{}/flags/1", frank.id), "type": "Flag", "actor": frank.id, "object": [puppet], "content": "spam"});
    assert_eq!(send(flag).await.status, 202);
    // RFC 9421 signatures are accepted as well as cavage ones.
    let announce = json!({"id": format!("{}/shares/1", frank.id), "type": "Announce", "actor": frank.id, "object": format!("{puppet}/entries/1")});
    let body = announce.to_string().into_bytes();
    let target = url::Url::parse(&shared).unwrap();
    let out = Outgoing {
        method: "POST",
        url: &target,
        body: &body,
        content_type: Some(AP_JSON),
    };
    let h: Vec<(String, String)> =
        httpsig::sign_request_rfc9421(&out, &frank.key_id, &frank.key, Utc::now())
            .unwrap()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    assert!(h.iter().any(|(k, _)| k == "signature-input"));
    let a = ap::post(&shared, &h, body).await;
    assert_eq!(a.status, 202, "{}", a.body);
    let odd = json!({"id": format!("{}/odd/1", frank.id), "type": "Wave", "actor": frank.id});
    let a = send(odd).await;
    assert_eq!((a.status, a.body.as_str()), (202, "ignored\n"));
    let store = &bridge.app.store;
    let inbound = store.inbound_page(None, 10).await.unwrap();
    assert_eq!(inbound.len(), 2);
    assert_eq!(inbound[0].actor, frank.id);
    assert_eq!(inbound[0].activity["type"], "Like");
    assert_eq!(inbound[1].activity["type"], "Announce");
    let flags = store.flags_page(None, 10).await.unwrap();
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].activity["content"], "spam");

    let m = ap::get(&bridge.url("/metrics"), "text/plain").await;
    assert!(
        m.body
            .contains("bridge_http_requests_total{route=\"inbox\",status=\"202\"} 5"),
        "{}",
        m.body
    );
    assert!(
        m.body.contains("bridge_delivery_queue_depth 0"),
        "{}",
        m.body
    );
}

/// Sends `head` + `body` over a fresh TCP connection and returns the status line's code and
/// the answer's body.
async fn raw_http(bridge: &Bridge, head: String, body: &[u8]) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut sock = tokio::net::TcpStream::connect(bridge.addr).await.unwrap();
    sock.write_all(head.as_bytes()).await.unwrap();
    sock.write_all(body).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        sock.read_to_end(&mut answer),
    )
    .await
    .unwrap()
    .unwrap();
    let text = String::from_utf8_lossy(&answer).to_string();
    let status = text[9..12].parse().unwrap();
    let body = text
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    (status, body)
}

/// `body` in HTTP/1.1 chunked transfer coding, `size` bytes a chunk.
fn chunked(body: &[u8], size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for part in body.chunks(size) {
        out.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        out.extend_from_slice(part);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

#[tokio::test]
async fn bodies_without_content_length_are_read_and_capped() {
    // The shipped config of start_bridge caps bodies at 64 KiB.
    let bridge = ap::start_bridge(true, |_| {}).await;
    let host = bridge.addr;
    // No Content-Length on an empty body: the endpoint's own answer, not a 405 or 411.
    let (status, body) = raw_http(
        &bridge,
        format!(
            "POST /salmon HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/magic-envelope+xml\r\nconnection: close\r\n\r\n"
        ),
        b"",
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("empty Salmon body"), "{body}");
    // A chunked body within the cap is read whole (the translation answers it).
    let atom = std::fs::read("fixtures/external/pleroma/mastodon-note-cw.xml").unwrap();
    let small = chunked(&atom, 1000);
    let (status, body) = raw_http(
        &bridge,
        format!(
            "POST /api/translate?to=as2 HTTP/1.1\r\nhost: {host}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
        ),
        &small,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // A chunked body past the cap is refused while it is read.
    let big = chunked(&[b'x'; 70 * 1024], 8 * 1024);
    let (status, body) = raw_http(
        &bridge,
        format!(
            "POST /inbox HTTP/1.1\r\nhost: {host}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
        ),
        &big,
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("too large"), "{body}");
}
