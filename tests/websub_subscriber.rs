#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The bridge as a WebSub subscriber (ostatus-anchors §7 items 20 and 21), over real loopback
//! HTTP: a GNU social double with a hub (tests/common/hub.rs) serves a real GNU social feed,
//! records the bridge's subscription requests, verifies and pushes like a hub; the bridge is
//! the real server over a real sled store.

mod common;

use std::time::{Duration, Instant};

use common::ap::{self, Bridge, start_bridge};
use common::hub::{self, Hub, Signature};
use ostatus_bridge::config::Config;
use ostatus_bridge::poll::Polled;
use ostatus_bridge::server::websub_callback;
use ostatus_bridge::store::{
    Follower, LegacySubMode, LegacySubState, LegacySubscription, Puppet, PuppetKind, now_ms,
};
use ostatus_bridge::websub::HmacAlgo;
use ostatus_bridge::websub::subscriber::{Outcome, Subscriber};

const HANDLE: &str = "testuser_at_gs.test";

/// A bridge whose subscriber sends secrets to plain-http hubs (the hub double is http).
async fn bridge(tweak: impl FnOnce(&mut Config)) -> Bridge {
    start_bridge(true, |c| {
        c.subscriber.secret_over_http = true;
        tweak(c);
    })
    .await
}

/// A puppet fed from `hub`'s feed, followed by one (unreachable, never contacted) AP actor.
async fn followed_puppet(b: &Bridge, hub: &Hub, handle: &str) {
    b.app
        .store
        .put_puppet(&Puppet {
            handle: handle.into(),
            kind: PuppetKind::Person,
            source: hub.url("/user/3"),
            feed_url: Some(hub.feed_url()),
            profile: serde_json::Value::Null,
            created_ms: 1,
        })
        .await
        .unwrap();
    b.app
        .store
        .add_follower(
            handle,
            &Follower::new(
                "http://127.0.0.1:9/users/fan",
                "http://127.0.0.1:9/users/fan/inbox",
                None,
            ),
        )
        .await
        .unwrap();
}

fn subscriber(b: &Bridge) -> Subscriber {
    websub_callback::subscriber(&b.app).unwrap()
}

async fn record(b: &Bridge, handle: &str) -> Option<LegacySubscription> {
    b.app.store.legacy_subscription_for(handle).await.unwrap()
}

async fn poll(b: &Bridge, handle: &str) -> Polled {
    let poller = ostatus_bridge::poll::Poller::new(
        b.app.store.clone(),
        b.app.fetcher.clone(),
        &url::Url::parse(&b.base).unwrap(),
        ostatus_bridge::poll::PollSettings::from_config(&b.app.config),
        b.app.store.queue_waker(),
    );
    let puppet = b
        .app
        .store
        .get_puppet_by_handle(handle)
        .await
        .unwrap()
        .unwrap();
    poller.poll_puppet(&puppet).await.unwrap()
}

/// Subscribes, has the hub verify with `lease` seconds, and returns (callback, secret).
async fn active(b: &Bridge, hub: &Hub, handle: &str, lease: u64) -> (String, Option<String>) {
    let out = subscriber(b).subscribe(handle).await.unwrap();
    assert!(matches!(out, Outcome::Sent { .. }), "{out:?}");
    let req = hub.received().pop().unwrap();
    let callback = req.get("hub.callback").unwrap().to_string();
    let (status, body) = hub
        .verify(&callback, "subscribe", &hub.feed_url(), "ch-1", Some(lease))
        .await;
    assert_eq!((status, body.as_str()), (200, "ch-1"));
    (callback, req.get("hub.secret").map(str::to_string))
}

async fn wait_for(limit: Duration, mut cond: impl AsyncFnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cond().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checklist_21_subscribe_sends_async_verify_a_secret_and_an_explicit_lease() {
    let hub = hub::start().await;
    let b = bridge(|_| {}).await;
    followed_puppet(&b, &hub, HANDLE).await;
    let out = subscriber(&b).subscribe(HANDLE).await.unwrap();
    assert_eq!(
        out,
        Outcome::Sent {
            mode: LegacySubMode::Subscribe,
            status: 202
        }
    );
    let reqs = hub.received();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.path, "/main/push/hub", "the feed's rel=hub");
    assert!(
        r.content_type
            .as_deref()
            .unwrap()
            .starts_with("application/x-www-form-urlencoded"),
        "{:?}",
        r.content_type
    );
    assert_eq!(r.get("hub.mode"), Some("subscribe"));
    assert_eq!(
        r.get("hub.topic"),
        Some(hub.feed_url().as_str()),
        "rel=self"
    );
    assert_eq!(r.get("hub.verify"), Some("async"));
    assert_eq!(r.get("hub.lease_seconds"), Some("604800"));
    let callback = r.get("hub.callback").unwrap();
    let id = callback
        .strip_prefix(&b.url("/websub/callback/"))
        .unwrap_or_else(|| panic!("callback {callback}"));
    assert_eq!(id.len(), 32, "{id}");
    assert!(id.bytes().all(|c| c.is_ascii_hexdigit()));
    let secret = r.get("hub.secret").unwrap();
    assert_eq!(secret.len(), 40);
    assert!(secret.len() < 200, "WebSub: a secret under 200 bytes");

    let rec = record(&b, HANDLE).await.unwrap();
    assert_eq!(rec.id, id);
    assert_eq!(rec.hub, hub.hub_url());
    assert_eq!(rec.secret.as_deref(), Some(secret));
    assert!(matches!(
        rec.state,
        LegacySubState::Requested {
            mode: LegacySubMode::Subscribe,
            ..
        }
    ));
    // Discovery's GET primed the feed, so a first push bridges only what is new.
    assert_eq!(hub.feed_hits(), 1);
    assert!(
        b.app
            .store
            .poll_state(HANDLE)
            .await
            .unwrap()
            .unwrap()
            .last_polled_ms
            > 0
    );
    assert_eq!(b.app.store.entry_count(HANDLE).await.unwrap(), 0);

    // Asking again while the request is pending sends nothing more.
    assert_eq!(
        subscriber(&b).subscribe(HANDLE).await.unwrap(),
        Outcome::Unchanged
    );
    assert_eq!(hub.received().len(), 1);

    // Two subscriptions never share a callback or a secret.
    let hub2 = hub::start().await;
    followed_puppet(&b, &hub2, "other_at_gs.test").await;
    subscriber(&b).subscribe("other_at_gs.test").await.unwrap();
    let r2 = hub2.received().pop().unwrap();
    assert_ne!(r2.get("hub.callback"), Some(callback));
    assert_ne!(r2.get("hub.secret"), Some(secret));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checklist_21_any_2xx_is_accepted_refusals_fall_back_to_polling_and_5xx_is_retried() {
    let b = bridge(|_| {}).await;
    // GNU social in sync mode answers 204.
    let gs = hub::start().await;
    gs.script(&[204]);
    followed_puppet(&b, &gs, "gs_at_gs.test").await;
    assert_eq!(
        subscriber(&b).subscribe("gs_at_gs.test").await.unwrap(),
        Outcome::Sent {
            mode: LegacySubMode::Subscribe,
            status: 204
        }
    );
    // 200 too.
    let ok = hub::start().await;
    ok.script(&[200]);
    followed_puppet(&b, &ok, "ok_at_gs.test").await;
    assert!(matches!(
        subscriber(&b).subscribe("ok_at_gs.test").await.unwrap(),
        Outcome::Sent { status: 200, .. }
    ));

    // A 4xx is final: the subscription is marked failed and the feed is polled.
    for (status, handle) in [(404, "nf_at_gs.test"), (307, "moved_at_gs.test")] {
        let h = hub::start().await;
        h.script(&[status]);
        followed_puppet(&b, &h, handle).await;
        let out = subscriber(&b).subscribe(handle).await.unwrap();
        assert!(matches!(out, Outcome::Refused { .. }), "{status}: {out:?}");
        assert!(matches!(
            record(&b, handle).await.unwrap().state,
            LegacySubState::Failed { .. }
        ));
        let hits = h.feed_hits();
        assert_ne!(poll(&b, handle).await, Polled::Subscribed);
        assert_eq!(h.feed_hits(), hits + 1, "{status}: polled");
    }

    // 503 and 429 are retried, with the same callback and secret.
    for (status, handle) in [(503, "busy_at_gs.test"), (429, "slow_at_gs.test")] {
        let h = hub::start().await;
        h.script(&[status]);
        followed_puppet(&b, &h, handle).await;
        let out = subscriber(&b).subscribe(handle).await.unwrap();
        assert!(
            matches!(out, Outcome::RetryLater { .. }),
            "{status}: {out:?}"
        );
        let mut rec = record(&b, handle).await.unwrap();
        let LegacySubState::Requested {
            retry_at_ms,
            attempts,
            at_ms,
            ..
        } = rec.state
        else {
            panic!("{:?}", rec.state)
        };
        assert!(retry_at_ms > at_ms, "a retry is planned");
        assert_eq!(attempts, 1);
        // Make the retry due now, and run one maintenance pass.
        rec.state = LegacySubState::Requested {
            mode: LegacySubMode::Subscribe,
            at_ms,
            retry_at_ms: 1,
            attempts,
        };
        b.app.store.put_legacy_subscription(&rec).await.unwrap();
        assert!(subscriber(&b).maintain().await.unwrap() >= 1);
        let reqs = h.received();
        assert_eq!(reqs.len(), 2, "{status}: sent again");
        assert_eq!(reqs[0].get("hub.callback"), reqs[1].get("hub.callback"));
        assert_eq!(reqs[0].get("hub.secret"), reqs[1].get("hub.secret"));
        assert!(matches!(
            record(&b, handle).await.unwrap().state,
            LegacySubState::Requested {
                retry_at_ms: 0,
                attempts: 2,
                ..
            }
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checklist_21_verification_is_answered_only_for_what_the_bridge_asked() {
    let hub = hub::start().await;
    let b = bridge(|_| {}).await;
    followed_puppet(&b, &hub, HANDLE).await;
    subscriber(&b).subscribe(HANDLE).await.unwrap();
    let callback = hub
        .received()
        .pop()
        .unwrap()
        .get("hub.callback")
        .unwrap()
        .to_string();
    let topic = hub.feed_url();
    let unknown = b.url("/websub/callback/00000000000000000000000000000000");
    assert_eq!(
        hub.verify(&unknown, "subscribe", &topic, "x", Some(60))
            .await
            .0,
        404
    );
    assert_eq!(
        hub.verify(
            &callback,
            "subscribe",
            "http://evil.test/feed",
            "x",
            Some(60)
        )
        .await
        .0,
        404,
        "another topic"
    );
    assert_eq!(
        hub.verify(&callback, "unsubscribe", &topic, "x", None)
            .await
            .0,
        404,
        "an unsubscribe nobody asked for"
    );
    assert!(matches!(
        record(&b, HANDLE).await.unwrap().state,
        LegacySubState::Requested { .. }
    ));
    assert_ne!(
        poll(&b, HANDLE).await,
        Polled::Subscribed,
        "not verified yet: still polled"
    );

    // The right one: the challenge back exactly, as text/plain, and the lease recorded.
    let challenge = "a b+c/=&ü-9f8e7d";
    let lease = 10 * 86_400;
    let before = now_ms();
    let mut url = url::Url::parse(&callback).unwrap();
    url.query_pairs_mut()
        .append_pair("hub.mode", "subscribe")
        .append_pair("hub.topic", &topic)
        .append_pair("hub.challenge", challenge)
        .append_pair("hub.lease_seconds", &lease.to_string());
    let answer = ap::get(url.as_str(), "*/*").await;
    let after = now_ms();
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, challenge);
    assert!(
        answer
            .header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    let rec = record(&b, HANDLE).await.unwrap();
    assert_eq!(rec.state, LegacySubState::Active);
    assert!(
        rec.lease_expires_ms >= before + lease * 1000
            && rec.lease_expires_ms <= after + lease * 1000,
        "{}",
        rec.lease_expires_ms
    );
    // Pushes replace polling now.
    let hits = hub.feed_hits();
    assert_eq!(poll(&b, HANDLE).await, Polled::Subscribed);
    assert_eq!(hub.feed_hits(), hits, "not fetched");

    // A hub that denies it later: recorded, and polling resumes.
    let (status, _) = hub.verify(&callback, "denied", &topic, "", None).await;
    assert_eq!(status, 200);
    assert!(matches!(
        record(&b, HANDLE).await.unwrap().state,
        LegacySubState::Failed { .. }
    ));
    assert_ne!(poll(&b, HANDLE).await, Polled::Subscribed);
    assert_eq!(hub.feed_hits(), hits + 1);
    // And its pushes are refused with 410.
    let (status, _) = hub
        .push(&callback, &hub::fixture_feed("x"), Signature::None)
        .await;
    assert_eq!(status, 410);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checklist_20_pushes_signed_with_sha1_sha256_sha384_or_sha512_are_bridged() {
    let hub = hub::start().await;
    let b = bridge(|_| {}).await;
    followed_puppet(&b, &hub, HANDLE).await;
    let (callback, secret) = active(&b, &hub, HANDLE, 86_400 * 7).await;
    let secret = secret.unwrap();
    let base = format!("http://{}", hub.addr);
    let mut feed = hub::fixture_feed(&base);
    for (i, algo) in [
        HmacAlgo::Sha1,
        HmacAlgo::Sha256,
        HmacAlgo::Sha384,
        HmacAlgo::Sha512,
    ]
    .into_iter()
    .enumerate()
    {
        let n = 10 + i as u32;
        feed = hub::with_note(&feed, &base, n, &format!("pushed with {}", algo.name()));
        let (status, body) = hub
            .push(&callback, &feed, Signature::With(algo, &secret))
            .await;
        assert_eq!((status, body.as_str()), (202, "accepted\n"), "{algo:?}");
        let count = i as u64 + 1;
        assert_eq!(
            b.app.store.entry_count(HANDLE).await.unwrap(),
            count,
            "{algo:?}: one new entry"
        );
        assert_eq!(
            b.app.store.queue_len().await.unwrap(),
            count as usize,
            "{algo:?}: fanned out to the follower"
        );
        let newest = b
            .app
            .store
            .outbox_page(HANDLE, None, 1)
            .await
            .unwrap()
            .remove(0)
            .activity;
        assert_eq!(newest["type"], "Create", "{newest:#}");
        assert_eq!(
            newest["object"]["atomUri"],
            format!("tag:gs.test,2026-12-04:noticeId={n}:objectType=note")
        );
        assert!(
            newest["object"]["content"]
                .as_str()
                .unwrap()
                .contains(algo.name())
        );
    }
    // Nothing was polled meanwhile: one GET, the discovery's.
    assert_eq!(hub.feed_hits(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checklist_20_bad_or_missing_signatures_get_2xx_and_nothing_is_stored() {
    let hub = hub::start().await;
    let b = bridge(|_| {}).await;
    followed_puppet(&b, &hub, HANDLE).await;
    let (callback, secret) = active(&b, &hub, HANDLE, 86_400 * 7).await;
    let secret = secret.unwrap();
    let base = format!("http://{}", hub.addr);
    let feed = hub::with_note(&hub::fixture_feed(&base), &base, 20, "forged");
    let good = ostatus_bridge::websub::sign(HmacAlgo::Sha1, secret.as_bytes(), feed.as_bytes());
    // The last hex digit changed (to 1 when it was 0, else to 0), so it never equals `good`.
    let last = if good.ends_with('0') { '1' } else { '0' };
    let tampered = format!("{}{last}", &good[..good.len() - 1]);
    assert_ne!(tampered, good);
    for sig in [
        Signature::With(HmacAlgo::Sha1, "not-the-secret"),
        Signature::With(HmacAlgo::Sha256, "not-the-secret"),
        Signature::Raw(&tampered),
        Signature::Raw("sha1=zz"),
        Signature::Raw("md5=d41d8cd98f00b204e9800998ecf8427e"),
        Signature::Raw(""),
        Signature::None,
    ] {
        let (status, body) = hub.push(&callback, &feed, sig).await;
        assert_eq!((status, body.as_str()), (202, "ignored\n"), "{sig:?}");
        assert_eq!(b.app.store.entry_count(HANDLE).await.unwrap(), 0, "{sig:?}");
        assert_eq!(b.app.store.queue_len().await.unwrap(), 0, "{sig:?}");
    }
    // The ignored content was not even marked seen: signed properly, it is bridged.
    let (status, _) = hub.push(&callback, &feed, Signature::Raw(&good)).await;
    assert_eq!(status, 202);
    assert_eq!(b.app.store.entry_count(HANDLE).await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checklist_20_an_entry_pushed_twice_or_pushed_and_polled_is_bridged_once() {
    let hub = hub::start().await;
    let b = bridge(|_| {}).await;
    followed_puppet(&b, &hub, HANDLE).await;
    let (callback, secret) = active(&b, &hub, HANDLE, 86_400 * 7).await;
    let secret = secret.unwrap();
    let base = format!("http://{}", hub.addr);
    let feed = hub::with_note(&hub::fixture_feed(&base), &base, 30, "once");
    for _ in 0..2 {
        let (status, _) = hub
            .push(&callback, &feed, Signature::With(HmacAlgo::Sha1, &secret))
            .await;
        assert_eq!(status, 202);
    }
    // A hub may push only the new entry: a feed with that one entry is no news either.
    let only_new = {
        let start = feed.find("<entry>").unwrap();
        let second = feed[start + 7..].find("<entry>").unwrap() + start + 7;
        let last = feed.rfind("</entry>").unwrap() + "</entry>".len();
        format!("{}{}", &feed[..second], &feed[last..])
    };
    let (status, _) = hub
        .push(
            &callback,
            &only_new,
            Signature::With(HmacAlgo::Sha512, &secret),
        )
        .await;
    assert_eq!(status, 202);
    // Two concurrent pushes of a newer entry: still once.
    let feed2 = hub::with_note(&feed, &base, 31, "concurrently");
    let (a, c) = tokio::join!(
        hub.push(&callback, &feed2, Signature::With(HmacAlgo::Sha1, &secret)),
        hub.push(
            &callback,
            &feed2,
            Signature::With(HmacAlgo::Sha256, &secret)
        ),
    );
    assert_eq!((a.0, c.0), (202, 202));
    assert_eq!(b.app.store.entry_count(HANDLE).await.unwrap(), 2);
    // The subscription lapses and the feed is polled: the pushed entries are not news.
    let mut rec = record(&b, HANDLE).await.unwrap();
    rec.lease_expires_ms = 1;
    b.app.store.put_legacy_subscription(&rec).await.unwrap();
    hub.set_feed(feed2);
    assert_eq!(
        poll(&b, HANDLE).await,
        Polled::Changed {
            activities: 0,
            jobs: 0
        }
    );
    assert_eq!(b.app.store.entry_count(HANDLE).await.unwrap(), 2);
    assert_eq!(b.app.store.queue_len().await.unwrap(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checklist_20_pushes_to_a_callback_that_is_not_ours_get_410_and_bodies_are_capped() {
    let hub = hub::start().await;
    let b = bridge(|_| {}).await;
    followed_puppet(&b, &hub, HANDLE).await;
    let (callback, secret) = active(&b, &hub, HANDLE, 86_400 * 7).await;
    let feed = hub::fixture_feed("http://x.test");
    let (status, _) = hub
        .push(
            &b.url("/websub/callback/ffffffffffffffffffffffffffffffff"),
            &feed,
            Signature::None,
        )
        .await;
    assert_eq!(status, 410);
    // start_bridge caps bodies at 64 KiB.
    let huge = format!("{feed}{}", " ".repeat(70 * 1024));
    let (status, _) = hub
        .push(
            &callback,
            &huge,
            Signature::With(HmacAlgo::Sha1, &secret.unwrap()),
        )
        .await;
    assert_eq!(status, 413);
    assert_eq!(b.app.store.entry_count(HANDLE).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checklist_21_the_last_follower_leaving_unsubscribes() {
    let hub = hub::start().await;
    let b = bridge(|_| {}).await;
    followed_puppet(&b, &hub, HANDLE).await;
    let (callback, secret) = active(&b, &hub, HANDLE, 86_400 * 7).await;
    // A follower arriving changes nothing.
    b.app
        .store
        .add_follower(
            HANDLE,
            &Follower::new(
                "http://127.0.0.1:9/users/two",
                "http://127.0.0.1:9/in",
                None,
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        subscriber(&b).on_follower_change(HANDLE).await.unwrap(),
        Outcome::Unchanged
    );
    b.app
        .store
        .remove_follower(HANDLE, "http://127.0.0.1:9/users/two")
        .await
        .unwrap();
    assert_eq!(
        subscriber(&b).on_follower_change(HANDLE).await.unwrap(),
        Outcome::Unchanged,
        "one follower left"
    );
    assert_eq!(hub.received().len(), 1);
    b.app
        .store
        .remove_follower(HANDLE, "http://127.0.0.1:9/users/fan")
        .await
        .unwrap();
    assert_eq!(
        subscriber(&b).on_follower_change(HANDLE).await.unwrap(),
        Outcome::Sent {
            mode: LegacySubMode::Unsubscribe,
            status: 202
        }
    );
    let reqs = hub.received();
    assert_eq!(reqs.len(), 2);
    let r = &reqs[1];
    assert_eq!(r.get("hub.mode"), Some("unsubscribe"));
    assert_eq!(r.get("hub.callback"), Some(callback.as_str()));
    assert_eq!(r.get("hub.topic"), Some(hub.feed_url().as_str()));
    // Pushes while it is being dropped are refused; a re-subscribe is not verified.
    let feed = hub::fixture_feed("http://x.test");
    let sig = Signature::With(HmacAlgo::Sha1, secret.as_deref().unwrap());
    assert_eq!(hub.push(&callback, &feed, sig).await.0, 410);
    assert_eq!(
        hub.verify(&callback, "subscribe", &hub.feed_url(), "x", Some(60))
            .await
            .0,
        404
    );
    let (status, body) = hub
        .verify(&callback, "unsubscribe", &hub.feed_url(), "bye-42", None)
        .await;
    assert_eq!((status, body.as_str()), (200, "bye-42"));
    assert!(record(&b, HANDLE).await.is_none());
    assert_eq!(hub.push(&callback, &feed, sig).await.0, 410);
    assert_eq!(
        hub.verify(&callback, "unsubscribe", &hub.feed_url(), "again", None)
            .await
            .0,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checklist_21_follow_and_undo_through_the_inbox_subscribe_and_unsubscribe() {
    let hub = hub::start().await;
    let b = bridge(|_| {}).await;
    b.app
        .store
        .put_puppet(&Puppet {
            handle: HANDLE.into(),
            kind: PuppetKind::Person,
            source: hub.url("/user/3"),
            feed_url: Some(hub.feed_url()),
            profile: serde_json::Value::Null,
            created_ms: 1,
        })
        .await
        .unwrap();
    ostatus_bridge::server::lookup::keypair(&b.app, HANDLE)
        .await
        .unwrap();
    let peer = ap::start_fake_ap(&["fan"]).await;
    let fan = &peer.actors[0];
    let object = b.app.urls.actor(HANDLE);
    let inbox = b.url(&format!("/users/{HANDLE}/inbox"));
    let follow = ap::follow(&fan.id, &object, 1);
    let body = follow.to_string().into_bytes();
    let headers = ap::sign(&inbox, &body, &fan.key_id, &fan.key, chrono::Utc::now());
    let answer = ap::post(&inbox, &headers, body).await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert!(
        wait_for(Duration::from_secs(10), async || !hub.received().is_empty()).await,
        "the Follow made the bridge subscribe"
    );
    let req = hub.received().remove(0);
    assert_eq!(req.get("hub.mode"), Some("subscribe"));
    let callback = req.get("hub.callback").unwrap().to_string();
    let (status, _) = hub
        .verify(&callback, "subscribe", &hub.feed_url(), "c", Some(86_400))
        .await;
    assert_eq!(status, 200);

    let undo = serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/undo/1", fan.id),
        "type": "Undo",
        "actor": fan.id,
        "object": follow,
    });
    let body = undo.to_string().into_bytes();
    let headers = ap::sign(&inbox, &body, &fan.key_id, &fan.key, chrono::Utc::now());
    let answer = ap::post(&inbox, &headers, body).await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert!(
        wait_for(Duration::from_secs(10), async || hub.received().len() == 2).await,
        "the Undo made the bridge unsubscribe"
    );
    let req = hub.received().remove(1);
    assert_eq!(req.get("hub.mode"), Some("unsubscribe"));
    assert_eq!(req.get("hub.callback"), Some(callback.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checklist_21_leases_are_renewed_a_day_before_they_end() {
    let hub = hub::start().await;
    let b = bridge(|_| {}).await;
    followed_puppet(&b, &hub, HANDLE).await;
    // Twelve hours: within a day of its end already.
    let (callback, secret) = active(&b, &hub, HANDLE, 12 * 3600).await;
    assert_eq!(subscriber(&b).maintain().await.unwrap(), 1);
    let reqs = hub.received();
    assert_eq!(reqs.len(), 2, "renewed");
    let r = &reqs[1];
    assert_eq!(r.get("hub.mode"), Some("subscribe"));
    assert_eq!(r.get("hub.callback"), Some(callback.as_str()));
    assert_eq!(r.get("hub.secret"), secret.as_deref(), "the same secret");
    assert_eq!(r.get("hub.lease_seconds"), Some("604800"));
    // The old lease still holds while the renewal is verified: no polling meanwhile.
    assert_eq!(poll(&b, HANDLE).await, Polled::Subscribed);
    let (status, body) = hub
        .verify(
            &callback,
            "subscribe",
            &hub.feed_url(),
            "renew",
            Some(604_800),
        )
        .await;
    assert_eq!((status, body.as_str()), (200, "renew"));
    assert_eq!(
        record(&b, HANDLE).await.unwrap().state,
        LegacySubState::Active
    );
    // A week to go: nothing to do.
    assert_eq!(subscriber(&b).maintain().await.unwrap(), 0);
    assert_eq!(hub.received().len(), 2);

    // With the margin configured to eight days, the same week-long lease is due.
    let b2 = bridge(|c| c.subscriber.renew_before_seconds = 8 * 86_400).await;
    let hub2 = hub::start().await;
    followed_puppet(&b2, &hub2, HANDLE).await;
    active(&b2, &hub2, HANDLE, 604_800).await;
    assert_eq!(subscriber(&b2).maintain().await.unwrap(), 1);
    assert_eq!(hub2.received().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checklist_21_discovery_takes_the_link_header_before_the_feed_links() {
    let hub = hub::start().await;
    *hub.link_header.lock().unwrap() = Some(format!(
        "<{}>; rel=\"hub\", <{}>; rel=\"self\"",
        hub.url("/header-hub"),
        hub.url("/header-topic")
    ));
    let b = bridge(|_| {}).await;
    followed_puppet(&b, &hub, HANDLE).await;
    subscriber(&b).subscribe(HANDLE).await.unwrap();
    let r = hub.received().pop().unwrap();
    assert_eq!(r.path, "/header-hub");
    assert_eq!(r.get("hub.topic"), Some(hub.url("/header-topic").as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checklist_21_plain_http_hubs_get_no_secret_and_their_pushes_only_trigger_a_fetch() {
    let hub = hub::start().await;
    let b = start_bridge(true, |_| {}).await;
    followed_puppet(&b, &hub, HANDLE).await;
    let (callback, secret) = active(&b, &hub, HANDLE, 86_400 * 7).await;
    assert_eq!(secret, None, "no secret over plain http by default");
    let base = format!("http://{}", hub.addr);
    let served = hub::with_note(&hub::fixture_feed(&base), &base, 40, "really posted");
    hub.set_feed(served);
    let forged = hub::with_note(&hub::fixture_feed(&base), &base, 41, "forged by anyone");
    let (status, body) = hub.push(&callback, &forged, Signature::None).await;
    assert_eq!((status, body.as_str()), (202, "fetched\n"));
    assert_eq!(
        hub.feed_hits(),
        2,
        "discovery, then the fetch the push triggered"
    );
    let entries = b.app.store.outbox_page(HANDLE, None, 10).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].activity["object"]["atomUri"],
        "tag:gs.test,2026-12-04:noticeId=40:objectType=note"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checklist_21_a_hubless_feed_stays_polled() {
    let hub = hub::start().await;
    let base = format!("http://{}", hub.addr);
    hub.set_feed(hub::fixture_feed(&base).replace(
        &format!("<link href=\"{base}/main/push/hub\" rel=\"hub\"/>"),
        "",
    ));
    let b = bridge(|_| {}).await;
    followed_puppet(&b, &hub, HANDLE).await;
    assert_eq!(
        subscriber(&b).subscribe(HANDLE).await.unwrap(),
        Outcome::NoHub
    );
    assert!(hub.received().is_empty());
    assert!(matches!(
        record(&b, HANDLE).await.unwrap().state,
        LegacySubState::Failed { .. }
    ));
    assert_eq!(
        poll(&b, HANDLE).await,
        Polled::Changed {
            activities: 0,
            jobs: 0
        },
        "polled (already primed by the discovery GET)"
    );
    assert_eq!(hub.feed_hits(), 2);
    // A maintenance pass does not rediscover it every time.
    assert_eq!(subscriber(&b).maintain().await.unwrap(), 0);
    assert_eq!(hub.feed_hits(), 2);
}
