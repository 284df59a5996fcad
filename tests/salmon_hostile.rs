#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The Salmon endpoints over loopback against a GNU-social-like double with real RSA keys:
//! a good slap is accepted once (202), in every body form; forged, unpublished-key,
//! tampered, signer-not-author and unknown alg/encoding slaps are refused with their
//! status, and a refused slap stores nothing (no inbound record, no seen id, no cached
//! identity).

mod common;

use common::ap::{self, Bridge};
use common::ostatus::{self, OStatusPeer};
use ostatus_bridge::crypto::KeyPair;
use ostatus_bridge::salmon::{self, SigningMode};

struct Setup {
    bridge: Bridge,
    peer: OStatusPeer,
    handle: String,
    endpoint: String,
}

async fn setup() -> Setup {
    let peer = ostatus::start(&["alice", "mallory", "nokey"]).await;
    peer.publish("nokey", None);
    let bridge = ap::start_bridge(true, |_| {}).await;
    let handle = ap::make_puppet(&bridge.app, "bob_at_masto.example").await;
    let endpoint = bridge.url(&format!("/users/{handle}/salmon"));
    Setup {
        bridge,
        peer,
        handle,
        endpoint,
    }
}

/// What a refused slap must leave as it was.
#[derive(Debug, PartialEq)]
struct Stored {
    inbound: usize,
    identities: Vec<bool>,
}

impl Setup {
    fn puppet(&self) -> String {
        self.bridge.url(&format!("/users/{}", self.handle))
    }

    async fn stored(&self) -> Stored {
        let app = &self.bridge.app;
        let mut identities = Vec::new();
        for name in ["alice", "mallory", "nokey"] {
            identities.push(
                app.store
                    .get_identity(&self.peer.uri(name))
                    .await
                    .unwrap()
                    .is_some(),
            );
        }
        Stored {
            inbound: app.store.inbound_page(None, 1000).await.unwrap().len(),
            identities,
        }
    }

    async fn post(&self, url: &str, content_type: &str, body: Vec<u8>) -> ap::Answer {
        ap::post(url, &[("content-type".into(), content_type.into())], body).await
    }

    /// Posts, checks status and reason, and that nothing was stored or marked seen.
    async fn refused(&self, what: &str, body: String, entry_id: &str, status: u16, reason: &str) {
        let before = self.stored().await;
        let a = self
            .post(
                &self.endpoint,
                "application/magic-envelope+xml",
                body.into_bytes(),
            )
            .await;
        assert_eq!(a.status, status, "{what}: {}", a.body);
        assert!(
            a.body.contains(reason),
            "{what}: expected {reason:?} in {:?}",
            a.body
        );
        assert_eq!(self.stored().await, before, "{what}: the store changed");
        let store = &self.bridge.app.store;
        for updated in 1..=9 {
            let key = format!("salmon {entry_id} 2026-01-0{updated}T10:00:00Z");
            assert!(!store.is_seen(&key).await.unwrap(), "{what}: marked seen");
        }
    }
}

fn entry_id(peer: &OStatusPeer, name: &str, n: u32) -> String {
    format!("{}/notice/{n}", peer.uri(name))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checklist_05_good_salmon_is_accepted_once_in_every_body_form() {
    let s = setup().await;
    let alice = s.peer.key("alice");
    let entry = s.peer.note("alice", 1, &s.puppet());
    let slap = salmon::sign_entry(entry.as_bytes(), &alice, SigningMode::AsSent).unwrap();
    let a = s
        .post(
            &s.endpoint,
            "application/magic-envelope+xml",
            slap.clone().into_bytes(),
        )
        .await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!(a.body, "accepted\n");
    let inbound = s.bridge.app.store.inbound_page(None, 10).await.unwrap();
    assert_eq!(inbound.len(), 1);
    let r = &inbound[0];
    assert_eq!(r.actor, s.peer.uri("alice"));
    assert_eq!(r.activity["protocol"], "salmon");
    assert_eq!(r.activity["handle"], s.handle.as_str());
    assert_eq!(r.activity["id"], entry_id(&s.peer, "alice", 1));
    assert_eq!(
        r.activity["verb"],
        "http://activitystrea.ms/schema/1.0/post"
    );
    assert_eq!(r.activity["signing_mode"], "as_sent");
    assert_eq!(r.activity["entry"], entry.as_str());
    // The identity is cached with the key that verified.
    let cached = s
        .bridge
        .app
        .store
        .get_identity(&s.peer.uri("alice"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cached.magic_key, Some(alice.public_key().to_magic()));
    assert_eq!(
        cached.salmon.as_deref(),
        Some(format!("{}/main/salmon/user/alice", s.peer.base()).as_str())
    );

    // The same entry again: acknowledged, not recorded twice, no new lookup.
    let fingers = s.peer.fingers();
    let again = s
        .post(
            &s.endpoint,
            "application/magic-envelope+xml",
            slap.into_bytes(),
        )
        .await;
    assert_eq!((again.status, again.body.as_str()), (202, "duplicate\n"));
    assert_eq!(
        s.bridge
            .app
            .store
            .inbound_page(None, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(s.peer.fingers(), fingers, "the cached key was used");

    // Other body forms, on the shared endpoint: JSON, GNU social's form post, the IANA
    // type, a data-only signature (old StatusNet), a provenance inside an entry.
    let shared = s.bridge.url("/salmon");
    let json_env = {
        let env = salmon::sign_envelope(
            s.peer.note("alice", 2, &s.puppet()).as_bytes(),
            &alice,
            SigningMode::AsSent,
        )
        .unwrap();
        serde_json::json!({
            "data": env.data, "data_type": env.data_type, "encoding": env.encoding,
            "alg": env.alg, "sigs": [{"value": env.sigs[0].value, "key_id": "ignored"}],
        })
        .to_string()
    };
    let a = s
        .post(&shared, "application/json", json_env.into_bytes())
        .await;
    assert_eq!(a.status, 202, "json: {}", a.body);
    let form_body = {
        let slap = salmon::sign_entry(
            s.peer.note("alice", 3, &s.puppet()).as_bytes(),
            &alice,
            SigningMode::AsSent,
        )
        .unwrap();
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("xml", &slap)
            .finish()
    };
    let a = s
        .post(
            &shared,
            "application/x-www-form-urlencoded",
            form_body.into_bytes(),
        )
        .await;
    assert_eq!(a.status, 202, "form: {}", a.body);
    let old = salmon::sign_entry(
        s.peer.note("alice", 4, &s.puppet()).as_bytes(),
        &alice,
        SigningMode::DataOnly,
    )
    .unwrap();
    let a = s
        .post(&shared, "application/magic-env+xml", old.into_bytes())
        .await;
    assert_eq!(a.status, 202, "data-only: {}", a.body);
    let inner = salmon::sign_entry(
        s.peer.note("alice", 5, &s.puppet()).as_bytes(),
        &alice,
        SigningMode::AsSent,
    )
    .unwrap();
    let inner = inner.split_once("?>\n").unwrap().1;
    let provenance = format!(
        "<entry xmlns=\"http://www.w3.org/2005/Atom\"><author><uri>{}</uri></author>{}</entry>",
        s.peer.uri("alice"),
        inner.replace("me:env", "me:provenance")
    );
    let a = s
        .post(&shared, "application/xml", provenance.into_bytes())
        .await;
    assert_eq!(a.status, 202, "provenance: {}", a.body);
    let modes: Vec<String> = s
        .bridge
        .app
        .store
        .inbound_page(None, 10)
        .await
        .unwrap()
        .iter()
        .map(|r| r.activity["signing_mode"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        modes,
        ["as_sent", "as_sent", "as_sent", "data_only", "as_sent"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checklist_07_a_changed_key_is_fetched_again_once() {
    let s = setup().await;
    let alice = s.peer.key("alice");
    let first = salmon::sign_entry(
        s.peer.note("alice", 1, &s.puppet()).as_bytes(),
        &alice,
        SigningMode::AsSent,
    )
    .unwrap();
    assert_eq!(
        s.post(
            &s.endpoint,
            "application/magic-envelope+xml",
            first.into_bytes()
        )
        .await
        .status,
        202
    );
    // Alice moves to a new key; the bridge still caches the old one.
    let new_key = tokio::task::spawn_blocking(KeyPair::generate)
        .await
        .unwrap()
        .unwrap();
    s.peer.publish("alice", Some(new_key.public_key().clone()));
    let fingers = s.peer.fingers();
    let second = salmon::sign_entry(
        s.peer.note("alice", 2, &s.puppet()).as_bytes(),
        &new_key,
        SigningMode::AsSent,
    )
    .unwrap();
    let a = s
        .post(
            &s.endpoint,
            "application/magic-envelope+xml",
            second.into_bytes(),
        )
        .await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert!(s.peer.fingers() > fingers, "WebFinger was asked again");
    let cached = s
        .bridge
        .app
        .store
        .get_identity(&s.peer.uri("alice"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cached.magic_key, Some(new_key.public_key().to_magic()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_salmon_is_refused_and_stores_nothing() {
    let s = setup().await;
    let alice = s.peer.key("alice");
    let mallory = s.peer.key("mallory");
    let puppet = s.puppet();

    // Forged: a valid envelope by mallory claiming to be alice's entry.
    let forged = salmon::sign_entry(
        s.peer.note("alice", 10, &puppet).as_bytes(),
        &mallory,
        SigningMode::AsSent,
    )
    .unwrap();
    s.refused(
        "forged",
        forged,
        &entry_id(&s.peer, "alice", 10),
        401,
        "does not verify with the key of",
    )
    .await;

    // Signed by a key alice's WebFinger does not publish.
    let stray = tokio::task::spawn_blocking(KeyPair::generate)
        .await
        .unwrap()
        .unwrap();
    let unpublished = salmon::sign_entry(
        s.peer.note("alice", 11, &puppet).as_bytes(),
        &stray,
        SigningMode::AsSent,
    )
    .unwrap();
    s.refused(
        "unpublished key",
        unpublished,
        &entry_id(&s.peer, "alice", 11),
        401,
        "does not verify",
    )
    .await;

    // An author whose WebFinger publishes no key at all.
    let nokey = s.peer.key("nokey");
    let no_key = salmon::sign_entry(
        s.peer.note("nokey", 12, &puppet).as_bytes(),
        &nokey,
        SigningMode::AsSent,
    )
    .unwrap();
    s.refused(
        "no key published",
        no_key,
        &entry_id(&s.peer, "nokey", 12),
        401,
        "no magic key published",
    )
    .await;

    // Tampered data: alice's good slap with one character of the data changed.
    let good = salmon::sign_entry(
        s.peer.note("alice", 13, &puppet).as_bytes(),
        &alice,
        SigningMode::AsSent,
    )
    .unwrap();
    let tampered = {
        let mut env = salmon::envelope::parse(good.as_bytes(), &Default::default()).unwrap();
        let changed = String::from_utf8(env.payload.clone())
            .unwrap()
            .replace("hello", "HELLO");
        env.data = salmon::armor::encode(changed.as_bytes());
        salmon::to_xml(&env)
    };
    assert_ne!(tampered, good);
    s.refused(
        "tampered",
        tampered,
        &entry_id(&s.peer, "alice", 13),
        401,
        "does not verify",
    )
    .await;

    // Unknown alg and encoding: 400 before any key lookup.
    let fingers = s.peer.fingers();
    let hmac = good.replace(
        "<me:alg>RSA-SHA256</me:alg>",
        "<me:alg>HMAC-SHA256</me:alg>",
    );
    s.refused(
        "unknown alg",
        hmac,
        &entry_id(&s.peer, "alice", 13),
        400,
        "unsupported envelope algorithm",
    )
    .await;
    let b64 = good.replace(
        "<me:encoding>base64url</me:encoding>",
        "<me:encoding>base32</me:encoding>",
    );
    s.refused(
        "unknown encoding",
        b64,
        &entry_id(&s.peer, "alice", 13),
        400,
        "unsupported envelope encoding",
    )
    .await;
    assert_eq!(s.peer.fingers(), fingers);

    // Signed by mallory with her own key, but the activity's actor is alice.
    let mixed = s.peer.note("mallory", 14, &puppet).replace(
        "<author>",
        &format!(
            "<activity:actor><uri>{}</uri></activity:actor><author>",
            s.peer.uri("alice")
        ),
    );
    let mixed = salmon::sign_entry(mixed.as_bytes(), &mallory, SigningMode::AsSent).unwrap();
    s.refused(
        "actor is not the signer",
        mixed,
        &entry_id(&s.peer, "mallory", 14),
        401,
        "but the activity is by",
    )
    .await;

    // Mallory's own slap carried in an entry that claims alice as its author.
    let inner = salmon::sign_entry(
        s.peer.note("mallory", 15, &puppet).as_bytes(),
        &mallory,
        SigningMode::AsSent,
    )
    .unwrap();
    let carried = format!(
        "<entry xmlns=\"http://www.w3.org/2005/Atom\"><author><uri>{}</uri></author>{}</entry>",
        s.peer.uri("alice"),
        inner
            .split_once("?>\n")
            .unwrap()
            .1
            .replace("me:env", "me:provenance")
    );
    s.refused(
        "provenance of another author",
        carried,
        &entry_id(&s.peer, "mallory", 15),
        401,
        "but the activity is by",
    )
    .await;

    // Not an envelope, an empty body, an unknown puppet, an unreachable author server.
    s.refused(
        "not an envelope",
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"/>".into(),
        "x",
        400,
        "not a magic envelope",
    )
    .await;
    s.refused("empty", String::new(), "x", 400, "empty Salmon body")
        .await;
    let a = s
        .post(
            &s.bridge.url("/users/nobody_at_x.example/salmon"),
            "application/magic-envelope+xml",
            good.clone().into_bytes(),
        )
        .await;
    assert_eq!(a.status, 404, "{}", a.body);
    let a = s
        .post(&s.endpoint, "image/png", good.clone().into_bytes())
        .await;
    assert_eq!(a.status, 415, "{}", a.body);
    let gone = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        s.peer
            .note("alice", 16, &puppet)
            .replace(&s.peer.base(), &format!("http://{addr}"))
    };
    let unreachable = salmon::sign_entry(gone.as_bytes(), &alice, SigningMode::AsSent).unwrap();
    s.refused(
        "author server down",
        unreachable,
        "x",
        502,
        "cannot fetch the key",
    )
    .await;

    // After all that, the good slap still goes through.
    let a = s
        .post(
            &s.endpoint,
            "application/magic-envelope+xml",
            good.into_bytes(),
        )
        .await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!(s.stored().await.inbound, 1);
}
