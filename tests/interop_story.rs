#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The full live story of issue 4, item 6, against real third-party parts: a GNU social user
//! (our GNU social double: WebFinger, host-meta, an Atom feed, Salmon verified the GNU social
//! way, a WebSub subscriber that checks HMACs) whose feed hub is the real flask-websub 0.4.1
//! (PyPI), and a Fedify 2.3.6 user (npm, Node 22) as the ActivityPub side, with the bridge
//! in between (the real server over a real sled store; only loopback).
//!
//! They follow each other, post, reply, favourite, repeat, delete and unfollow, and every
//! step is checked where it lands: in Fedify's log of verified inbox activities, or in what
//! the double verified (Salmon signatures, push HMACs).
//!
//! Needs npm and PyPI the first time (`tests/interop/run-node.sh`, `tests/interop/websub/setup.sh`).

mod common;

use std::time::{Duration, Instant};

use common::fedify::{get_json, post_json, start_fedify, wait_for_inbox};
use common::flask_hub::FlaskHub;
use common::gnusocial::GnuSocial;
use ostatus_bridge::server::{self, App};
use ostatus_bridge::store::Store;
use serde_json::json;

async fn wait_for<T>(secs: u64, what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: not within {secs} s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn ends(verb: &str, tail: &str) -> bool {
    verb.rsplit(['/', '#']).next() == Some(tail)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn gnu_social_and_fedify_users_follow_post_reply_like_share_delete_and_unfollow() {
    // The bridge's log, shown when the test fails (RUST_LOG picks the level; info by default).
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("ostatus_bridge=info")),
        )
        .try_init();
    let hub = FlaskHub::start().await;
    let gs = GnuSocial::start(&hub.url()).await;
    let (_fedify_process, fedify_port) = start_fedify();
    let fedify = format!("http://127.0.0.1:{fedify_port}");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::ap::loopback_config(addr, dir.path());
    config.poll.interval_seconds = 1;
    config.delivery.retry_base_seconds = 1;
    let store = Store::open(&config.store).await.unwrap();
    let app = App::new(config, store).unwrap();
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::serve(listener, app.clone(), async move {
        let _ = stopped.await;
    }));
    let bridge = format!("http://{addr}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let me = get_json(&client, &format!("{fedify}/_control/ready")).await;
    let f_actor = me["actor"].as_str().unwrap().to_string();

    // 1. The Fedify user follows the GNU social user through its puppet.
    let g_handle = format!("gnu_at_127.0.0.1_{}", gs.addr().port());
    let found = post_json(
        &client,
        &format!("{fedify}/_control/webfinger"),
        json!({"resource": format!("acct:{g_handle}@{addr}"), "host": bridge}),
    )
    .await;
    let g_actor = found["actor"].as_str().unwrap().to_string();
    assert_eq!(g_actor, app.urls.actor(&g_handle));
    post_json(
        &client,
        &format!("{fedify}/_control/follow"),
        json!({"actor": g_actor}),
    )
    .await;
    let accept = wait_for_inbox(&client, &fedify, 30, "Accept", |e| {
        e["type"] == "Accept" && e["actor"] == g_actor.as_str()
    })
    .await;
    assert_eq!(accept["verified"], true);
    // The GNU social user hears of it by a Salmon `follow` from the Fedify user's OStatus
    // face, which the double verified with the key the bridge's WebFinger publishes.
    let follow = gs
        .wait_salmon(60, "follow", |s| ends(&s.verb, "follow"))
        .await;
    let f_handle = app.store.puppet_for_actor(&f_actor).await.unwrap().unwrap();
    let f_puppet = app.urls.actor(&f_handle);
    assert_eq!(follow.author_uri, f_puppet);
    assert_eq!(follow.object_id.as_deref(), Some(gs.author_uri().as_str()));
    // The bridge subscribed to the GNU social feed at the real hub.
    let feed = gs.feed_url();
    wait_for(
        60,
        "the bridge's subscription at flask-websub",
        async || {
            let subs = hub.subscriptions().await;
            subs.iter()
                .any(|s| s["topic"] == feed.as_str())
                .then_some(())
        },
    )
    .await;

    // 2. A GNU social post, pushed by the hub, reaches Fedify.
    let post = gs.post("Hello from GNU social");
    assert_eq!(gs.publish().await, 202);
    let create = wait_for_inbox(&client, &fedify, 60, "Create of the GNU social post", |e| {
        e["type"] == "Create"
            && e["actor"] == g_actor.as_str()
            && e["objectContent"]
                .as_str()
                .is_some_and(|c| c.contains("Hello from GNU social"))
    })
    .await;
    assert_eq!(create["verified"], true);
    assert_eq!(create["atomUri"], post.id.as_str());
    let bridged_post = create["objectId"].as_str().unwrap().to_string();

    // 3. The GNU social user follows the Fedify user: a subscription at the bridge's hub
    // and a Salmon follow; Fedify accepts, and the answer goes back as `authorize`.
    let f_feed = app.urls.feed(&f_handle);
    let sub = gs.subscribe(&app.urls.hub(), &f_feed).await;
    assert_eq!(sub.hub_status, 202);
    gs.wait_verified(sub.id, 30).await;
    let follow = gs.follow(f_puppet.as_str());
    let (status, text) = gs.send_salmon(&app.urls.salmon(&f_handle), &follow).await;
    assert!((200..300).contains(&status), "{status} {text}");
    wait_for_inbox(
        &client,
        &fedify,
        30,
        "Follow from the GNU social user",
        |e| e["type"] == "Follow" && e["actor"] == g_actor.as_str(),
    )
    .await;
    gs.wait_salmon(60, "authorize", |s| ends(&s.verb, "authorize"))
        .await;

    // 4. A Fedify post reaches the GNU social user as a push from the bridge's hub.
    let made = post_json(
        &client,
        &format!("{fedify}/_control/create"),
        json!({"content": "<p>Hello from Fedify</p>"}),
    )
    .await;
    let note = made["note"].as_str().unwrap().to_string();
    let push = gs
        .wait_push(60, "the Fedify note", |p| {
            p.body.contains("Hello from Fedify")
        })
        .await;
    assert!(push.verified.is_ok(), "HMAC: {:?}", push.verified);
    assert!(
        push.link
            .as_deref()
            .unwrap_or_default()
            .contains("rel=\"hub\"")
    );
    assert!(
        push.body.contains(&note),
        "the AP id is in the entry: {}",
        push.body
    );

    // 5. Replies both ways.
    post_json(
        &client,
        &format!("{fedify}/_control/create"),
        json!({"content": "<p>a reply from Fedify</p>", "to": g_actor, "inReplyTo": bridged_post}),
    )
    .await;
    let reply = gs
        .wait_salmon(60, "reply", |s| s.content.contains("a reply from Fedify"))
        .await;
    assert_eq!(reply.in_reply_to.as_deref(), Some(post.id.as_str()));
    let mut target = common::gnusocial_atom::Target::from(note.as_str());
    target.author_uri = Some(f_puppet.clone());
    target.author_name = Some(f_handle.clone());
    let answer = gs.reply_to(target.clone(), "GNU social answers");
    let (status, text) = gs.send_salmon(&app.urls.salmon(&f_handle), &answer).await;
    assert!((200..300).contains(&status), "{status} {text}");
    let answered = wait_for_inbox(&client, &fedify, 60, "the GNU social reply", |e| {
        e["type"] == "Create"
            && e["objectContent"]
                .as_str()
                .is_some_and(|c| c.contains("GNU social answers"))
    })
    .await;
    assert_eq!(answered["inReplyTo"], note.as_str());

    // A GNU social notice that only mentions the Fedify user (no reply) reaches it too.
    let mention = gs.mention(&[f_puppet.as_str()], "a mention from GNU social");
    let (status, text) = gs.send_salmon(&app.urls.salmon(&f_handle), &mention).await;
    assert!((200..300).contains(&status), "{status} {text}");
    let mentioned = wait_for_inbox(&client, &fedify, 60, "the GNU social mention", |e| {
        e["type"] == "Create"
            && e["objectContent"]
                .as_str()
                .is_some_and(|c| c.contains("a mention from GNU social"))
    })
    .await;
    assert_eq!(mentioned["verified"], true);
    assert_eq!(mentioned["actor"], g_actor.as_str());
    assert!(mentioned["inReplyTo"].is_null(), "{mentioned}");
    let tags = mentioned["raw"]["object"]["tag"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        tags.iter()
            .any(|t| t["type"] == "Mention" && t["href"] == f_actor.as_str()),
        "the Fedify user is tagged: {mentioned}"
    );

    // 6. Favourites both ways.
    let fav = gs.favorite(target.clone());
    let (status, _) = gs.send_salmon(&app.urls.salmon(&f_handle), &fav).await;
    assert!((200..300).contains(&status));
    wait_for_inbox(&client, &fedify, 60, "Like", |e| {
        e["type"] == "Like" && e["objectId"] == note.as_str()
    })
    .await;
    post_json(
        &client,
        &format!("{fedify}/_control/like"),
        json!({"object": bridged_post, "to": g_actor}),
    )
    .await;
    let liked = gs
        .wait_salmon(60, "favorite", |s| ends(&s.verb, "favorite"))
        .await;
    assert_eq!(liked.object_id.as_deref(), Some(post.id.as_str()));

    // 7. Repeats both ways.
    let share = gs.share(target.clone());
    let (status, _) = gs.send_salmon(&app.urls.salmon(&f_handle), &share).await;
    assert!((200..300).contains(&status));
    wait_for_inbox(&client, &fedify, 60, "Announce", |e| {
        e["type"] == "Announce" && e["objectId"] == note.as_str()
    })
    .await;
    post_json(
        &client,
        &format!("{fedify}/_control/announce"),
        json!({"object": bridged_post, "to": g_actor}),
    )
    .await;
    gs.wait_salmon(60, "share", |s| ends(&s.verb, "share"))
        .await;

    // 8. Deletes both ways.
    post_json(
        &client,
        &format!("{fedify}/_control/delete"),
        json!({"note": note, "to": g_actor}),
    )
    .await;
    gs.wait_salmon(60, "delete", |s| ends(&s.verb, "delete"))
        .await;
    gs.delete(&post);
    assert_eq!(gs.publish().await, 202);
    wait_for_inbox(&client, &fedify, 60, "Delete of the GNU social post", |e| {
        e["type"] == "Delete" && e["actor"] == g_actor.as_str()
    })
    .await;

    // 9. The Fedify user renames itself: its Update(Person) refreshes the OStatus face, and
    // the GNU social user gets GNU social's update-profile entry with the new author.
    post_json(
        &client,
        &format!("{fedify}/_control/update-profile"),
        json!({"name": "Alice Renamed"}),
    )
    .await;
    let pushed = gs
        .wait_push(60, "the profile update", |p| {
            p.body
                .contains("http://ostatus.org/schema/1.0/update-profile")
        })
        .await;
    assert!(pushed.verified.is_ok(), "HMAC: {:?}", pushed.verified);
    assert!(
        pushed
            .body
            .contains("<poco:displayName>Alice Renamed</poco:displayName>"),
        "{}",
        pushed.body
    );
    let feed = reqwest::get(&f_feed).await.unwrap().text().await.unwrap();
    assert!(feed.contains("Alice Renamed"), "the feed's author: {feed}");

    // 10. Unfollows both ways.
    let unfollow = gs.unfollow(f_puppet.as_str());
    let (status, _) = gs.send_salmon(&app.urls.salmon(&f_handle), &unfollow).await;
    assert!((200..300).contains(&status));
    wait_for_inbox(&client, &fedify, 60, "Undo Follow", |e| {
        e["type"] == "Undo" && e["actor"] == g_actor.as_str()
    })
    .await;
    post_json(
        &client,
        &format!("{fedify}/_control/unfollow"),
        json!({"actor": g_actor}),
    )
    .await;
    // GNU social reads unfollow in the OStatus namespace (checklist 10).
    gs.wait_salmon(60, "unfollow", |s| {
        s.verb == "http://ostatus.org/schema/1.0/unfollow"
    })
    .await;
}
