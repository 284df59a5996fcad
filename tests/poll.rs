#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The poller against a loopback feed server serving a real GNU social feed with an ETag:
//! the first poll primes, a new entry becomes one signed Create(Note) in the follower's
//! inbox, and an unchanged feed is a 304 that sends nothing.

mod delivery_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use delivery_support::*;
use ostatus_bridge::config::Config;
use ostatus_bridge::delivery::Worker;
use ostatus_bridge::metrics::Metrics;
use ostatus_bridge::poll::{PollSettings, Polled, Poller};
use ostatus_bridge::store::{Follower, Puppet, PuppetKind, Store};
use tokio::sync::oneshot;
use warp::Filter;
use warp::http::Response;

const HANDLE: &str = "testuser_at_gs.test";

/// The feed server: the current (etag, body), and every If-None-Match it was sent.
#[derive(Clone, Default)]
struct FeedServer {
    current: Arc<Mutex<(String, String)>>,
    conditionals: Arc<Mutex<Vec<Option<String>>>>,
    answers: Arc<Mutex<Vec<u16>>>,
}

async fn start_feed(server: FeedServer) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let route = warp::get()
        .and(warp::path!("feed.atom"))
        .and(warp::header::optional::<String>("if-none-match"))
        .map(move |inm: Option<String>| {
            let (etag, body) = server.current.lock().unwrap().clone();
            server.conditionals.lock().unwrap().push(inm.clone());
            if inm.as_deref() == Some(etag.as_str()) {
                server.answers.lock().unwrap().push(304);
                return Response::builder()
                    .status(304)
                    .header("etag", etag)
                    .body(String::new())
                    .unwrap();
            }
            server.answers.lock().unwrap().push(200);
            Response::builder()
                .header("content-type", "application/atom+xml; charset=utf-8")
                .header("etag", etag)
                .body(body)
                .unwrap()
        });
    tokio::spawn(warp::serve(route).incoming(listener).run());
    addr
}

/// The GNU social fixture feed, moved to `base`.
fn fixture_feed(base: &str) -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/external/gnu-social/ActivityParseTests.php__example5.atom"
    ))
    .unwrap()
    .replace("http://example.net/mysite", base)
}

/// The same feed with a new reply on top, as GNU social writes one: a `tag:` id, a
/// `thr:in-reply-to` and the parent's author as `mentioned`.
fn with_reply(feed: &str, base: &str) -> String {
    let entry = format!(
        r#"<entry>
 <title>@bob I agree</title>
 <author><name>testuser</name><uri>{base}/user/3</uri></author>
 <link rel="alternate" type="text/html" href="{base}/notice/8"/>
 <id>tag:gs.test,2010-02-25:noticeId=8:objectType=note</id>
 <published>2010-02-25T10:00:00+00:00</published>
 <updated>2010-02-25T10:00:00+00:00</updated>
 <thr:in-reply-to ref="http://remote.test/notice/41" href="http://remote.test/notice/41"/>
 <link rel="related" href="http://remote.test/notice/41"/>
 <link rel="mentioned" href="http://remote.test/user/9"/>
 <content type="html">@&lt;a href=&quot;http://remote.test/bob&quot;&gt;bob&lt;/a&gt; I agree, freedom code it is</content>
</entry>
"#
    );
    feed.replacen("<entry>", &format!("{entry}<entry>"), 1)
}

/// Stores a puppet of `source` fed from `feed_url`.
async fn feed_puppet(store: &Store, handle: &str, source: &str, feed_url: &str) {
    store
        .put_puppet(&Puppet {
            handle: handle.into(),
            kind: PuppetKind::Person,
            source: source.into(),
            feed_url: Some(feed_url.into()),
            profile: serde_json::Value::Null,
            created_ms: 1,
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_poll_primes_a_new_entry_is_one_signed_create_and_304_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store: Store = open_store(dir.path()).await;
    let keys = Keys::default();
    puppet_key(&store, HANDLE, &keys).await;
    let inbox = start_inbox(keys.clone()).await;

    let server = FeedServer::default();
    let addr = start_feed(server.clone()).await;
    let base = format!("http://{addr}");
    let feed = fixture_feed(&base);
    *server.current.lock().unwrap() = ("\"v1\"".into(), feed.clone());
    feed_puppet(
        &store,
        HANDLE,
        &format!("{base}/user/3"),
        &format!("{base}/feed.atom"),
    )
    .await;
    // A puppet nobody follows is not polled at all.
    let metrics = Arc::new(Metrics::default());
    let worker = Worker::new(store.clone(), fetcher(), urls(), metrics, fast_settings());
    let poller = Poller::new(
        store.clone(),
        fetcher(),
        &url::Url::parse(PUBLIC_URL).unwrap(),
        PollSettings::from_config(&Config::load_default().unwrap()),
        worker.waker(),
    );
    let puppet = store.get_puppet_by_handle(HANDLE).await.unwrap().unwrap();
    assert_eq!(poller.poll_puppet(&puppet).await.unwrap(), Polled::Skipped);
    assert!(server.conditionals.lock().unwrap().is_empty());

    store
        .add_follower(
            HANDLE,
            &Follower::new(inbox.url("/users/fan"), inbox.url("/users/fan/inbox"), None),
        )
        .await
        .unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let running = tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));

    assert_eq!(poller.poll_puppet(&puppet).await.unwrap(), Polled::Primed);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(inbox.count(), 0, "priming sends nothing");
    assert_eq!(store.queue_len().await.unwrap(), 0);

    *server.current.lock().unwrap() = ("\"v2\"".into(), with_reply(&feed, &base));
    assert_eq!(
        poller.poll_puppet(&puppet).await.unwrap(),
        Polled::Changed {
            activities: 1,
            jobs: 1
        }
    );
    assert!(wait_for(Duration::from_secs(10), async || inbox.count() == 1).await);
    let got = inbox.received();
    let r = &got[0];
    let puppet_id = urls().actor(HANDLE);
    assert_eq!(r.path, "/users/fan/inbox");
    assert_eq!(
        r.signed_by.as_deref(),
        Ok(puppet_id.as_str()),
        "signed by the puppet"
    );
    let v = r.json();
    assert_eq!(v["type"], "Create", "{v:#}");
    assert_eq!(v["actor"], puppet_id);
    let note = &v["object"];
    assert_eq!(note["type"], "Note");
    assert_eq!(note["attributedTo"], puppet_id);
    assert_eq!(
        note["atomUri"],
        "tag:gs.test,2010-02-25:noticeId=8:objectType=note"
    );
    assert!(
        note["id"].as_str().unwrap().starts_with(PUBLIC_URL),
        "a tag: id is minted under the bridge: {}",
        note["id"]
    );
    assert!(
        note["content"]
            .as_str()
            .unwrap()
            .contains("freedom code it is"),
        "{}",
        note["content"]
    );
    // The translate core writes the parent as a reference object (Mastodon, Pleroma and
    // Misskey read the id out of either form).
    let parent = &note["inReplyTo"];
    assert_eq!(
        parent.as_str().or(parent["id"].as_str()),
        Some("http://remote.test/notice/41"),
        "{parent}"
    );
    let tags = note["tag"].as_array().cloned().unwrap_or_default();
    assert!(
        tags.iter()
            .any(|t| t["type"] == "Mention" && t["href"] == "http://remote.test/user/9"),
        "the parent's author is mentioned: {tags:?}"
    );
    assert!(
        note["cc"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "http://remote.test/user/9"),
        "and addressed: {}",
        note["cc"]
    );
    // It is in the puppet's outbox too.
    assert_eq!(store.entry_count(HANDLE).await.unwrap(), 1);

    // Unchanged: a conditional GET, a 304, nothing sent.
    assert_eq!(
        poller.poll_puppet(&puppet).await.unwrap(),
        Polled::NotModified
    );
    assert_eq!(
        server
            .conditionals
            .lock()
            .unwrap()
            .last()
            .cloned()
            .flatten()
            .as_deref(),
        Some("\"v2\"")
    );
    assert_eq!(server.answers.lock().unwrap().last(), Some(&304));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(inbox.count(), 1);
    assert_eq!(store.queue_len().await.unwrap(), 0);

    // An edit of the reply is an Update with its own id.
    let edited = with_reply(&feed, &base)
        .replace(
            "2010-02-25T10:00:00+00:00</updated>",
            "2010-02-25T11:00:00+00:00</updated>",
        )
        .replace("freedom code it is", "freedom code it is (edited)");
    *server.current.lock().unwrap() = ("\"v3\"".into(), edited);
    assert_eq!(
        poller.poll_puppet(&puppet).await.unwrap(),
        Polled::Changed {
            activities: 1,
            jobs: 1
        }
    );
    assert!(wait_for(Duration::from_secs(10), async || inbox.count() == 2).await);
    let v = inbox.received()[1].json();
    assert_eq!(v["type"], "Update", "{v:#}");
    assert!(
        v["id"].as_str().unwrap().contains("#updates/"),
        "{}",
        v["id"]
    );
    assert!(
        v["object"]["content"]
            .as_str()
            .unwrap()
            .contains("(edited)")
    );
    assert!(
        v["object"]["updated"]
            .as_str()
            .unwrap()
            .starts_with("2010-02-25T11:00:00")
    );

    // The runner polls every interval and stops when told.
    let before = server.conditionals.lock().unwrap().len();
    let looping = Poller::new(
        store.clone(),
        fetcher(),
        &url::Url::parse(PUBLIC_URL).unwrap(),
        PollSettings {
            interval: Duration::from_millis(100),
            ..PollSettings::from_config(&Config::load_default().unwrap())
        },
        Arc::new(tokio::sync::Notify::new()),
    );
    let (stop_poll, poll_stopped) = oneshot::channel::<()>();
    let polling = tokio::spawn(looping.run(async move {
        let _ = poll_stopped.await;
    }));
    assert!(
        wait_for(Duration::from_secs(5), async || {
            server.conditionals.lock().unwrap().len() >= before + 3
        })
        .await,
        "polled every interval"
    );
    let _ = stop_poll.send(());
    tokio::time::timeout(Duration::from_secs(5), polling)
        .await
        .unwrap()
        .unwrap();
    assert!(
        server.conditionals.lock().unwrap()[before..]
            .iter()
            .all(|c| c.as_deref() == Some("\"v3\""))
    );
    assert_eq!(inbox.count(), 2, "unchanged feed, nothing more sent");

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .unwrap()
        .unwrap();
}

/// `fixtures/<rel>` with its (one) entry removed: the feed as it was before that entry.
fn without_entries(feed: &str) -> String {
    let start = feed.find("<entry").unwrap();
    let end = feed.rfind("</entry>").unwrap() + "</entry>".len();
    format!("{}{}", &feed[..start], &feed[end..])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn favourite_and_delete_entries_become_like_and_delete() {
    for (fixture, handle, want_type) in [
        ("pleroma/favorite.xml", "fav_at_gs.test", "Like"),
        ("pleroma/delete.xml", "del_at_gs.test", "Delete"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let store = open_store(dir.path()).await;
        let keys = Keys::default();
        puppet_key(&store, handle, &keys).await;
        let inbox = start_inbox(keys.clone()).await;
        let server = FeedServer::default();
        let addr = start_feed(server.clone()).await;
        let full = std::fs::read_to_string(format!(
            "{}/fixtures/external/{fixture}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        *server.current.lock().unwrap() = ("\"a\"".into(), without_entries(&full));
        feed_puppet(
            &store,
            handle,
            &format!("acct:{handle}"),
            &format!("http://{addr}/feed.atom"),
        )
        .await;
        store
            .add_follower(
                handle,
                &Follower::new(inbox.url("/users/fan"), inbox.url("/inbox"), None),
            )
            .await
            .unwrap();
        let worker = Worker::new(
            store.clone(),
            fetcher(),
            urls(),
            Arc::new(Metrics::default()),
            fast_settings(),
        );
        let poller = Poller::new(
            store.clone(),
            fetcher(),
            &url::Url::parse(PUBLIC_URL).unwrap(),
            PollSettings::from_config(&Config::load_default().unwrap()),
            worker.waker(),
        );
        let (stop, stopped) = oneshot::channel::<()>();
        let running = tokio::spawn(worker.run(async move {
            let _ = stopped.await;
        }));
        let puppet = store.get_puppet_by_handle(handle).await.unwrap().unwrap();
        assert_eq!(poller.poll_puppet(&puppet).await.unwrap(), Polled::Primed);
        *server.current.lock().unwrap() = ("\"b\"".into(), full);
        assert_eq!(
            poller.poll_puppet(&puppet).await.unwrap(),
            Polled::Changed {
                activities: 1,
                jobs: 1
            },
            "{fixture}"
        );
        assert!(wait_for(Duration::from_secs(10), async || inbox.count() == 1).await);
        let r = &inbox.received()[0];
        assert_eq!(r.signed_by.as_deref(), Ok(urls().actor(handle).as_str()));
        let v = r.json();
        assert_eq!(v["type"], want_type, "{fixture}: {v:#}");
        assert_eq!(v["actor"], urls().actor(handle));
        assert!(v["object"].is_string() || v["object"].is_object(), "{v:#}");
        if want_type == "Delete" {
            assert_eq!(v["object"]["type"], "Tombstone", "{v:#}");
        }
        let _ = stop.send(());
        tokio::time::timeout(Duration::from_secs(10), running)
            .await
            .unwrap()
            .unwrap();
    }
}
