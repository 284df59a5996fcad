#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Hostile inbox requests over loopback: each is refused with its status and reason, and
//! leaves the store as it was (followers, queue, inbound activities, flags).

mod common;

use chrono::{Duration, Utc};
use common::ap::{self, Bridge, FakeActor};

struct Setup {
    bridge: Bridge,
    handle: String,
    inbox: String,
    alice: FakeActor,
    bob: FakeActor,
}

async fn setup(allow_private: bool) -> Setup {
    let fake = ap::start_fake_ap(&["alice", "bob"]).await;
    let bridge = ap::start_bridge(allow_private, |c| {
        c.security.hosts = vec!["denied.example".into()];
    })
    .await;
    let handle = ap::make_puppet(&bridge.app, "target_at_gs.example").await;
    let inbox = bridge.url(&format!("/users/{handle}/inbox"));
    Setup {
        alice: fake.actors[0].clone(),
        bob: fake.actors[1].clone(),
        bridge,
        handle,
        inbox,
    }
}

impl Setup {
    fn follow_body(&self, actor: &str) -> Vec<u8> {
        let puppet = self.bridge.url(&format!("/users/{}", self.handle));
        ap::follow(actor, &puppet, 1).to_string().into_bytes()
    }

    /// Sends it, checks status and reason, and that nothing was stored.
    async fn refused(
        &self,
        what: &str,
        headers: &[(String, String)],
        body: Vec<u8>,
        status: u16,
        reason: &str,
    ) {
        let before = ap::snapshot(&self.bridge.app, &self.handle).await;
        let a = ap::post(&self.inbox, headers, body).await;
        assert_eq!(a.status, status, "{what}: {}", a.body);
        assert!(
            a.body.contains(reason),
            "{what}: expected {reason:?} in {:?}",
            a.body
        );
        let after = ap::snapshot(&self.bridge.app, &self.handle).await;
        assert_eq!(before, after, "{what}: the store changed");
        assert_eq!(after.followers, 0, "{what}");
        assert_eq!(after.queue, 0, "{what}");
    }
}

fn without(headers: &[(String, String)], name: &str) -> Vec<(String, String)> {
    headers.iter().filter(|(k, _)| k != name).cloned().collect()
}

#[tokio::test]
async fn refused_requests_store_nothing() {
    let s = setup(true).await;
    let body = s.follow_body(&s.alice.id);
    let good = ap::sign(&s.inbox, &body, &s.alice.key_id, &s.alice.key, Utc::now());

    s.refused(
        "unsigned",
        &without(&good, "signature"),
        body.clone(),
        401,
        "missing Signature",
    )
    .await;

    let mut bad = good.clone();
    for (k, v) in bad.iter_mut() {
        if k == "signature" {
            // Flip characters inside the base64 signature value.
            let i = v.find("signature=\"").unwrap() + 12;
            let replacement = if &v[i..i + 4] == "AAAA" {
                "BBBB"
            } else {
                "AAAA"
            };
            v.replace_range(i..i + 4, replacement);
        }
    }
    s.refused("bad signature", &bad, body.clone(), 401, "does not verify")
        .await;

    let mut other = body.clone();
    other.extend_from_slice(b" ");
    s.refused("digest mismatch", &good, other, 401, "digest")
        .await;

    let old = ap::sign(
        &s.inbox,
        &body,
        &s.alice.key_id,
        &s.alice.key,
        Utc::now() - Duration::days(2),
    );
    s.refused("date too old", &old, body.clone(), 401, "too old")
        .await;
    let future = ap::sign(
        &s.inbox,
        &body,
        &s.alice.key_id,
        &s.alice.key,
        Utc::now() + Duration::hours(3),
    );
    s.refused("date in the future", &future, body.clone(), 401, "future")
        .await;

    // Bob signs a Follow that claims to be Alice's.
    let by_bob = ap::sign(&s.inbox, &body, &s.bob.key_id, &s.bob.key, Utc::now());
    s.refused(
        "signer is not the actor",
        &by_bob,
        body.clone(),
        401,
        "is not the activity's actor",
    )
    .await;

    let big = vec![b' '; 64 * 1024 + 1];
    let h = ap::sign(&s.inbox, &big, &s.alice.key_id, &s.alice.key, Utc::now());
    s.refused("body over the limit", &h, big, 413, "too large")
        .await;

    let junk = b"{\"type\": \"Follow\", oops".to_vec();
    let h = ap::sign(&s.inbox, &junk, &s.alice.key_id, &s.alice.key, Utc::now());
    s.refused("malformed JSON", &h, junk, 400, "malformed activity")
        .await;

    let no_actor = br#"{"type":"Follow","object":"x"}"#.to_vec();
    let h = ap::sign(
        &s.inbox,
        &no_actor,
        &s.alice.key_id,
        &s.alice.key,
        Utc::now(),
    );
    s.refused("no actor", &h, no_actor, 400, "no actor").await;

    // A key on a denied host: refused before anything is fetched.
    let denied_body = s.follow_body("https://denied.example/users/x");
    let h = ap::sign(
        &s.inbox,
        &denied_body,
        "https://denied.example/users/x#main-key",
        &s.alice.key,
        Utc::now(),
    );
    s.refused("denied key host", &h, denied_body.clone(), 403, "deny list")
        .await;
    // An actor on a denied host, signed with a key elsewhere.
    let h = ap::sign(
        &s.inbox,
        &denied_body,
        &s.alice.key_id,
        &s.alice.key,
        Utc::now(),
    );
    s.refused("denied actor host", &h, denied_body, 403, "deny list")
        .await;

    // A key nobody serves.
    let ghost = format!(
        "{}/users/ghost",
        s.alice.id.rsplit_once("/users/").unwrap().0
    );
    let ghost_body = s.follow_body(&ghost);
    let h = ap::sign(
        &s.inbox,
        &ghost_body,
        &format!("{ghost}#main-key"),
        &s.alice.key,
        Utc::now(),
    );
    s.refused("unknown key", &h, ghost_body, 401, "unknown key")
        .await;

    // Authenticated, but not acceptable: a Follow of no puppet, an Undo of someone else's Follow.
    let nobody = ap::follow(&s.alice.id, &s.bridge.url("/users/nobody_at_x.example"), 7)
        .to_string()
        .into_bytes();
    let h = ap::sign(&s.inbox, &nobody, &s.alice.key_id, &s.alice.key, Utc::now());
    s.refused("Follow of no puppet", &h, nobody, 404, "is not a puppet")
        .await;
    let puppet = s.bridge.url(&format!("/users/{}", s.handle));
    let undo = serde_json::json!({
        "id": format!("{}/undo/1", s.alice.id),
        "type": "Undo",
        "actor": s.alice.id,
        "object": {"type": "Follow", "actor": s.bob.id, "object": puppet},
    })
    .to_string()
    .into_bytes();
    let h = ap::sign(&s.inbox, &undo, &s.alice.key_id, &s.alice.key, Utc::now());
    s.refused("Undo of another's Follow", &h, undo, 400, "of a Follow by")
        .await;
    assert!(
        !s.bridge
            .app
            .store
            .is_seen(&format!("{}/undo/1", s.alice.id))
            .await
            .unwrap(),
        "a refused activity is not marked seen"
    );

    // An unknown puppet's inbox.
    let a = ap::post(
        &s.bridge.url("/users/nobody_at_x.example/inbox"),
        &good,
        body.clone(),
    )
    .await;
    assert_eq!(a.status, 404, "{}", a.body);

    // No identity was cached for any refused request.
    assert!(
        s.bridge
            .app
            .store
            .identity_for_key_id(&s.alice.key_id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        s.bridge
            .app
            .store
            .get_identity(&s.bob.id)
            .await
            .unwrap()
            .is_none()
    );

    // Failures are counted.
    let m = ap::get(&s.bridge.url("/metrics"), "text/plain").await.body;
    for reason in [
        "missing",
        "bad_signature",
        "digest_mismatch",
        "date_out_of_window",
        "actor_mismatch",
        "unknown_key",
    ] {
        assert!(
            m.contains(&format!(
                "bridge_signature_failures_total{{reason=\"{reason}\"}}"
            )),
            "{reason} not counted:\n{m}"
        );
    }
    assert!(
        m.contains("bridge_http_requests_total{route=\"inbox\",status=\"401\"}"),
        "{m}"
    );

    // And the genuine request still works afterwards.
    let a = ap::post(
        &s.inbox,
        &ap::sign(&s.inbox, &body, &s.alice.key_id, &s.alice.key, Utc::now()),
        body,
    )
    .await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!(
        s.bridge.app.store.follower_count(&s.handle).await.unwrap(),
        1
    );
    assert_eq!(s.bridge.app.store.queue_len().await.unwrap(), 1);
}

#[tokio::test]
async fn keys_at_private_addresses_are_not_fetched() {
    let s = setup(false).await;
    for key_host in [
        // The fake AP server itself, on loopback.
        s.alice.id.rsplit_once("/users/").unwrap().0.to_string(),
        "http://10.0.0.1".to_string(),
        "http://169.254.169.254".to_string(),
    ] {
        let actor = format!("{key_host}/users/alice");
        let body = s.follow_body(&actor);
        let h = ap::sign(
            &s.inbox,
            &body,
            &format!("{actor}#main-key"),
            &s.alice.key,
            Utc::now(),
        );
        s.refused(
            &format!("key at {key_host}"),
            &h,
            body,
            401,
            "non-public address",
        )
        .await;
    }
}

#[tokio::test]
async fn follower_limits_answer_with_a_reason() {
    let fake = ap::start_fake_ap(&["p", "q", "r"]).await;
    let bridge = ap::start_bridge(true, |c| {
        c.limits.max_followers_per_puppet = 1;
        c.limits.max_follows_per_host = 2;
    })
    .await;
    let one = ap::make_puppet(&bridge.app, "one_at_gs.example").await;
    let two = ap::make_puppet(&bridge.app, "two_at_gs.example").await;
    let three = ap::make_puppet(&bridge.app, "three_at_gs.example").await;
    let send = |actor: &FakeActor, handle: &str, n: u32| {
        let puppet = bridge.url(&format!("/users/{handle}"));
        let inbox = format!("{puppet}/inbox");
        let body = ap::follow(&actor.id, &puppet, n).to_string().into_bytes();
        let h = ap::sign(&inbox, &body, &actor.key_id, &actor.key, Utc::now());
        async move { ap::post(&inbox, &h, body).await }
    };
    let [p, q, r] = [&fake.actors[0], &fake.actors[1], &fake.actors[2]];
    assert_eq!(send(p, &one, 1).await.status, 202);
    let a = send(q, &one, 2).await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert!(a.body.contains("limit of 1 followers"), "{}", a.body);
    let store = &bridge.app.store;
    assert!(
        store
            .identity_for_key_id(&q.key_id)
            .await
            .unwrap()
            .is_none(),
        "a refused Follow caches nothing"
    );
    assert_eq!(send(q, &two, 3).await.status, 202);
    assert!(
        store
            .identity_for_key_id(&q.key_id)
            .await
            .unwrap()
            .is_some()
    );
    // Two follows from the fake server's host so far: the third is refused.
    let a = send(r, &three, 4).await;
    assert_eq!(a.status, 429, "{}", a.body);
    assert!(a.body.contains("limit of 2 follows"), "{}", a.body);
    assert_eq!(bridge.app.store.follower_count(&one).await.unwrap(), 1);
    assert_eq!(bridge.app.store.follower_count(&two).await.unwrap(), 1);
    assert_eq!(bridge.app.store.follower_count(&three).await.unwrap(), 0);
    assert_eq!(bridge.app.store.queue_len().await.unwrap(), 2);
}
