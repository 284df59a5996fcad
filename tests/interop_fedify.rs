#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The bridge against a real ActivityPub implementation: Fedify 2.3.6 (npm), run on Node 22
//! by `tests/interop/run-node.sh`, with its signature checks on (only verified activities
//! reach its inbox log). The bridge is the real binary (`ostatus-bridge serve`) on a fresh
//! sled store; the legacy account is the GNU social double of `tests/common/legacy.rs`.
//!
//! The story (issue 3, item 11): the Fedify user finds the bridged handle by WebFinger,
//! follows it and gets a signed Accept; a new entry appears in the legacy feed and reaches
//! Fedify as a signed Create(Note) with its content, `atomUri` and `inReplyTo`; after an Undo
//! Follow the next entry is not delivered.
//!
//! Needs npm (the registry) the first time: `run-node.sh` installs the locked packages.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::fedify::{Killed, free_port, get_json, post_json, start_fedify, wait_for_inbox};
use serde_json::json;

/// Starts the bridge binary on `port` with a store in `dir`, polling every second.
fn start_bridge(port: u16, dir: &std::path::Path) -> Killed {
    let child = Command::new(env!("CARGO_BIN_EXE_ostatus-bridge"))
        .arg("serve")
        .env("OSTATUS_BRIDGE_SERVER_LISTEN", format!("127.0.0.1:{port}"))
        .env(
            "OSTATUS_BRIDGE_SERVER_PUBLIC_URL",
            format!("http://127.0.0.1:{port}"),
        )
        .env(
            "OSTATUS_BRIDGE_STORE_PATH",
            dir.join("sled-0-34").display().to_string(),
        )
        .env("OSTATUS_BRIDGE_SECURITY_ALLOW_PRIVATE_NETWORKS", "true")
        .env("OSTATUS_BRIDGE_SECURITY_ALLOW_HTTP", "true")
        .env("OSTATUS_BRIDGE_POLL_INTERVAL_SECONDS", "1")
        .env("RUST_LOG", "ostatus_bridge=debug")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the bridge");
    Killed(child)
}

/// Waits until the legacy double has served its feed `n` times.
async fn wait_for_feed_hits(legacy: &common::legacy::Legacy, n: usize, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while legacy.feed_hits() < n {
        assert!(
            Instant::now() < deadline,
            "the bridge polled the feed {} times in {secs} s, expected {n}",
            legacy.feed_hits()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An entry that replies to the fixture's notice 7.
fn reply_entry(base: &str, n: u32, text: &str) -> String {
    format!(
        r#"<entry>
 <id>tag:127.0.0.1,2026-12-03:noticeId={n}:objectType=comment</id>
 <title>{text}</title>
 <author><name>testuser</name><uri>{base}/user/3</uri></author>
 <activity:object-type>http://activitystrea.ms/schema/1.0/comment</activity:object-type>
 <activity:verb>http://activitystrea.ms/schema/1.0/post</activity:verb>
 <link rel="alternate" type="text/html" href="{base}/notice/{n}"/>
 <published>2026-12-03T10:00:0{n}+00:00</published>
 <updated>2026-12-03T10:00:0{n}+00:00</updated>
 <thr:in-reply-to ref="{base}/notice/7" href="{base}/notice/7"/>
 <link rel="ostatus:conversation" href="{base}/conversation/7"/>
 <link rel="mentioned" ostatus:object-type="http://activitystrea.ms/schema/1.0/collection" href="http://activityschema.org/collection/public"/>
 <content type="html">{text} &lt;b&gt;bridged&lt;/b&gt;</content>
</entry>
"#
    )
}

fn add_entry(legacy: &common::legacy::Legacy, entry: &str) {
    let mut feed = legacy.feed.lock().unwrap();
    let at = feed.find("<entry>").unwrap();
    feed.insert_str(at, entry);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fedify_follows_a_legacy_account_through_the_bridge() {
    let legacy = common::legacy::start(common::legacy::Finger::Jrd).await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _bridge = start_bridge(port, dir.path());
    let bridge = format!("http://127.0.0.1:{port}");
    let (_peer, fedify_port) = start_fedify();
    let fedify = format!("http://127.0.0.1:{fedify_port}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();

    // The bridge answers.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = client.get(format!("{bridge}/healthz")).send().await
            && r.status().is_success()
        {
            break;
        }
        assert!(Instant::now() < deadline, "the bridge did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The Fedify user looks the bridged handle up by WebFinger (the bridge makes the puppet
    // from the reversible handle) and finds the puppet's actor.
    let handle = format!("testuser_at_127.0.0.1_{}", legacy.addr.port());
    let found = post_json(
        &client,
        &format!("{fedify}/_control/webfinger"),
        json!({"resource": format!("acct:{handle}@127.0.0.1:{port}"), "host": bridge}),
    )
    .await;
    let actor = found["actor"].as_str().unwrap().to_string();
    assert_eq!(actor, format!("{bridge}/users/{handle}"));

    // Follow → a signed Accept that Fedify verified.
    let follow = post_json(
        &client,
        &format!("{fedify}/_control/follow"),
        json!({ "actor": actor }),
    )
    .await;
    let follow_id = follow["follow"].as_str().unwrap().to_string();
    let accept = wait_for_inbox(&client, &fedify, 30, "Accept", |e| {
        e["type"] == "Accept" && e["actor"] == actor.as_str()
    })
    .await;
    assert_eq!(accept["verified"], true);
    assert_eq!(accept["objectId"], follow_id.as_str());

    // The bridge now polls the feed: its first poll only primes.
    let hits = legacy.feed_hits();
    wait_for_feed_hits(&legacy, hits + 1, 20).await;

    // A new legacy post reaches Fedify as a signed Create(Note).
    let base = legacy.base();
    add_entry(&legacy, &reply_entry(&base, 8, "Hello from GNU social"));
    let create = wait_for_inbox(&client, &fedify, 30, "Create", |e| {
        e["type"] == "Create" && e["actor"] == actor.as_str()
    })
    .await;
    assert_eq!(create["verified"], true);
    assert_eq!(create["objectType"], "Note");
    let content = create["objectContent"].as_str().unwrap_or_default();
    assert!(
        content.contains("Hello from GNU social") && content.contains("<b>bridged</b>"),
        "{content}"
    );
    assert_eq!(
        create["atomUri"],
        "tag:127.0.0.1,2026-12-03:noticeId=8:objectType=comment"
    );
    assert_eq!(create["inReplyTo"], format!("{base}/notice/7").as_str());

    // Undo Follow: the next post is not delivered.
    post_json(
        &client,
        &format!("{fedify}/_control/unfollow"),
        json!({ "actor": actor }),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let followers = get_json(&client, &format!("{actor}/followers")).await;
        if followers["totalItems"] == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still followed after Undo: {followers}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    add_entry(&legacy, &reply_entry(&base, 9, "Nobody hears this"));
    // Three more polls: the entry would have gone out by then.
    let hits = legacy.feed_hits();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let log = get_json(&client, &format!("{fedify}/_control/inbox")).await;
    let creates = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "Create")
        .count();
    assert_eq!(creates, 1, "{log:#}");
    // Nobody follows the puppet any more, so polling may stop; it must not have sped up.
    assert!(legacy.feed_hits() <= hits + 5);
}
