#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The two-way bridge's decisions, over a real sled store with no network: what an
//! ActivityPub activity becomes for legacy servers (the Salmon entry, the jobs queued) and
//! what it must not become (a non-public post over Salmon).

mod common;

use ostatus_bridge::bridge::{from_legacy, to_legacy};
use ostatus_bridge::codec::{Limits, atom};
use ostatus_bridge::model::{Document, Verb};
use ostatus_bridge::server::App;
use ostatus_bridge::store::{
    Identity, Job, Protocol, Puppet, PuppetKind, Relay, RelayState, Store,
};
use serde_json::{Value, json};

const ALICE: &str = "alice_at_gs.example";
const ALICE_ID: &str = "http://gs.example/user/1";
const ALICE_SALMON: &str = "http://gs.example/main/salmon/user/1";
const BOB: &str = "bob_at_ap.example";
const BOB_ACTOR: &str = "http://ap.example/users/bob";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

struct Setup {
    app: App,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let addr: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap();
    let config = common::ap::loopback_config(addr, dir.path());
    let store = Store::open(&config.store).await.unwrap();
    let app = App::new(config, store).unwrap();
    let puppet = |handle: &str, source: &str, profile: Value| Puppet {
        handle: handle.to_string(),
        kind: PuppetKind::Person,
        source: source.to_string(),
        feed_url: None,
        profile,
        created_ms: 1,
    };
    app.store
        .put_puppet(&puppet(
            ALICE,
            "acct:alice@gs.example",
            json!({
                "id": "acct:alice@gs.example",
                "protocols": ["ostatus", "websub", "feed"],
                "endpoints": {"salmon": ALICE_SALMON, "feed": "http://gs.example/api/statuses/user_timeline/1.atom"},
                "actor": {"type": "Person", "id": ALICE_ID, "preferredUsername": "alice"},
            }),
        ))
        .await
        .unwrap();
    app.store
        .put_puppet(&puppet(
            BOB,
            "acct:bob@ap.example",
            json!({
                "id": "acct:bob@ap.example",
                "protocols": ["activitypub"],
                "endpoints": {"actor": BOB_ACTOR},
                "actor": {"type": "Person", "id": BOB_ACTOR, "name": "Bob B", "preferredUsername": "bob"},
            }),
        ))
        .await
        .unwrap();
    app.store.map_actor_puppet(BOB_ACTOR, BOB).await.unwrap();
    let mut bob = Identity::new(BOB_ACTOR, Protocol::ActivityPub, 1);
    bob.inbox = Some(format!("{BOB_ACTOR}/inbox"));
    app.store.put_identity(&bob).await.unwrap();
    Setup { app, _dir: dir }
}

async fn jobs(app: &App) -> Vec<Job> {
    app.store.due_jobs(u64::MAX / 2, 100).await.unwrap()
}

fn entry_of(xml: &str) -> ostatus_bridge::model::Activity {
    match atom::decode(xml.as_bytes(), &Limits::default()).unwrap() {
        Document::Activity(a) => a,
        Document::Feed(f) => f.entries.into_iter().next().unwrap(),
    }
}

#[tokio::test]
async fn checklist_07_salmon_author_is_the_username_with_user_at_host() {
    let s = setup().await;
    let follow = json!({"type": "Follow", "id": format!("{BOB_ACTOR}#follows/1"), "actor": BOB_ACTOR,
        "object": s.app.urls.actor(ALICE)});
    let xml = to_legacy::legacy_entry(&s.app, BOB, &follow).await.unwrap();
    let entry = entry_of(&xml);
    assert_eq!(*entry.verb(), Verb::Follow, "{xml}");
    let author = entry
        .actor
        .as_deref()
        .or(entry.props.author.as_deref())
        .unwrap();
    assert_eq!(
        author.props.id.as_deref(),
        Some(s.app.urls.actor(BOB).as_str())
    );
    assert_eq!(author.username.as_deref(), Some(BOB));
    assert!(xml.contains(&format!("<name>{BOB}</name>")), "{xml}");
    assert!(
        xml.contains(&format!("<email>{BOB}@{}</email>", s.app.urls.authority())),
        "{xml}"
    );
    // The followee is the legacy account's own id, not its puppet's URL.
    assert_eq!(
        entry.object.as_deref().and_then(|o| o.id()),
        Some(ALICE_ID),
        "{xml}"
    );
}

#[tokio::test]
async fn checklist_10_unfollow_is_written_in_the_ostatus_namespace() {
    let s = setup().await;
    let undo = json!({"type": "Undo", "id": format!("{BOB_ACTOR}#undo/1"), "actor": BOB_ACTOR,
        "object": {"type": "Follow", "actor": BOB_ACTOR, "object": s.app.urls.actor(ALICE)}});
    let xml = to_legacy::legacy_entry(&s.app, BOB, &undo).await.unwrap();
    assert!(
        xml.contains("http://ostatus.org/schema/1.0/unfollow"),
        "{xml}"
    );
    let entry = entry_of(&xml);
    assert_eq!(*entry.verb(), Verb::Unfollow);
    assert_eq!(entry.object.as_deref().and_then(|o| o.id()), Some(ALICE_ID));
}

#[tokio::test]
async fn checklist_14_a_non_public_post_to_a_legacy_account_is_refused_with_a_reject() {
    let s = setup().await;
    let dm = json!({
        "type": "Create", "id": format!("{BOB_ACTOR}/statuses/9/activity"), "actor": BOB_ACTOR,
        "to": [s.app.urls.actor(ALICE)],
        "object": {"type": "Note", "id": format!("{BOB_ACTOR}/statuses/9"), "attributedTo": BOB_ACTOR,
            "to": [s.app.urls.actor(ALICE)], "content": "<p>secret</p>",
            "tag": [{"type": "Mention", "href": s.app.urls.actor(ALICE)}]},
    });
    to_legacy::on_activity(&s.app, BOB_ACTOR, &dm)
        .await
        .unwrap();
    let jobs = jobs(&s.app).await;
    assert!(
        jobs.iter().all(|j| j.protocol != Protocol::OStatus),
        "no Salmon for a direct message: {jobs:?}"
    );
    let rejects: Vec<&Job> = jobs
        .iter()
        .filter(|j| j.protocol == Protocol::ActivityPub && j.inbox == format!("{BOB_ACTOR}/inbox"))
        .collect();
    assert_eq!(rejects.len(), 1, "{jobs:?}");
    let reject: Value = serde_json::from_str(&rejects[0].body).unwrap();
    assert_eq!(reject["type"], "Reject");
    assert_eq!(reject["actor"], s.app.urls.actor(ALICE));
    assert_eq!(reject["object"], format!("{BOB_ACTOR}/statuses/9/activity"));
    // Nor does it join the puppet's (public) feed.
    assert_eq!(s.app.store.entry_count(BOB).await.unwrap(), 0);
}

#[tokio::test]
async fn operators_can_allow_direct_messages_over_salmon() {
    let dir = tempfile::tempdir().unwrap();
    let s = setup().await;
    let mut config = (*s.app.config).clone();
    config.bridge.allow_direct_salmon = true;
    config.store.path = dir.path().join("unused");
    let app = App {
        config: std::sync::Arc::new(config),
        ..s.app.clone()
    };
    let dm = json!({
        "type": "Create", "id": format!("{BOB_ACTOR}/statuses/10/activity"), "actor": BOB_ACTOR,
        "to": [app.urls.actor(ALICE)],
        "object": {"type": "Note", "id": format!("{BOB_ACTOR}/statuses/10"), "attributedTo": BOB_ACTOR,
            "to": [app.urls.actor(ALICE)], "content": "<p>allowed</p>",
            "tag": [{"type": "Mention", "href": app.urls.actor(ALICE)}]},
    });
    to_legacy::on_activity(&app, BOB_ACTOR, &dm).await.unwrap();
    let salmon: Vec<Job> = jobs(&app)
        .await
        .into_iter()
        .filter(|j| j.protocol == Protocol::OStatus)
        .collect();
    assert_eq!(salmon.len(), 1);
    assert_eq!(salmon[0].inbox, ALICE_SALMON);
    assert!(
        salmon[0].body.contains("direct"),
        "scope stated: {}",
        salmon[0].body
    );
    assert_eq!(
        app.store.entry_count(BOB).await.unwrap(),
        0,
        "never in the feed"
    );
}

#[tokio::test]
async fn checklist_15_a_public_reply_is_slapped_with_mentions_and_joins_the_feed() {
    let s = setup().await;
    let note_id = format!("{BOB_ACTOR}/statuses/1");
    let reply = json!({
        "type": "Create", "id": format!("{note_id}/activity"), "actor": BOB_ACTOR,
        "to": [PUBLIC], "cc": [s.app.urls.actor(ALICE), format!("{BOB_ACTOR}/followers")],
        "object": {"type": "Note", "id": note_id, "attributedTo": BOB_ACTOR,
            "to": [PUBLIC], "cc": [s.app.urls.actor(ALICE)],
            "content": "<p>@alice hello</p>",
            "tag": [{"type": "Mention", "href": s.app.urls.actor(ALICE), "name": "@alice"}]},
    });
    to_legacy::on_activity(&s.app, BOB_ACTOR, &reply)
        .await
        .unwrap();
    let salmon: Vec<Job> = jobs(&s.app)
        .await
        .into_iter()
        .filter(|j| j.protocol == Protocol::OStatus)
        .collect();
    assert_eq!(salmon.len(), 1, "{salmon:?}");
    assert_eq!(salmon[0].inbox, ALICE_SALMON);
    assert_eq!(salmon[0].signer, BOB);
    let entry = entry_of(&salmon[0].body);
    let note = entry.object_object().expect("the note");
    assert!(
        note.props.mentions.iter().any(|m| m.href == ALICE_ID),
        "mentioned link to the legacy id: {}",
        salmon[0].body
    );
    assert!(
        salmon[0]
            .body
            .contains("http://activityschema.org/collection/public"),
        "public collection mentioned: {}",
        salmon[0].body
    );
    assert_eq!(s.app.store.entry_count(BOB).await.unwrap(), 1);
}

#[tokio::test]
async fn checklist_22_accept_of_a_relayed_follow_goes_back_as_authorize() {
    let s = setup().await;
    let follow_id = format!("{}#follows/7", s.app.urls.actor(ALICE));
    s.app
        .store
        .put_relay(&Relay {
            follow_id: follow_id.clone(),
            follower: ALICE.into(),
            target_actor: BOB_ACTOR.into(),
            target_handle: BOB.into(),
            salmon: Some(ALICE_SALMON.into()),
            legacy_request_id: Some("tag:gs.example,2026:follow:1".into()),
            state: RelayState::Pending,
            created_ms: 1,
        })
        .await
        .unwrap();
    // An answer from someone else is not taken.
    let forged = json!({"type": "Accept", "id": "http://evil.example/a", "actor": "http://evil.example/u",
        "object": follow_id});
    to_legacy::on_activity(&s.app, "http://evil.example/u", &forged)
        .await
        .unwrap();
    assert!(jobs(&s.app).await.is_empty());
    assert_eq!(
        s.app.store.relay(&follow_id).await.unwrap().unwrap().state,
        RelayState::Pending
    );

    let accept = json!({"type": "Accept", "id": format!("{BOB_ACTOR}#accepts/1"), "actor": BOB_ACTOR,
        "object": {"type": "Follow", "id": follow_id, "actor": s.app.urls.actor(ALICE), "object": BOB_ACTOR}});
    to_legacy::on_activity(&s.app, BOB_ACTOR, &accept)
        .await
        .unwrap();
    assert_eq!(
        s.app.store.relay(&follow_id).await.unwrap().unwrap().state,
        RelayState::Accepted
    );
    let jobs = jobs(&s.app).await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0].inbox, ALICE_SALMON);
    assert_eq!(jobs[0].signer, BOB);
    let entry = entry_of(&jobs[0].body);
    assert_eq!(*entry.verb(), Verb::Authorize, "{}", jobs[0].body);
    assert!(
        jobs[0].body.contains("tag:gs.example,2026:follow:1"),
        "nests the legacy request: {}",
        jobs[0].body
    );
}

#[tokio::test]
async fn mobilizon_events_reach_legacy_readers_as_notes_with_time_and_place() {
    let mut v = json!({"type": "Create", "object": {
        "type": "Event", "id": "https://mobilizon.example/events/1", "name": "Picnic & games",
        "startTime": "2026-07-01T12:00:00Z", "endTime": "2026-07-01T16:00:00Z",
        "location": {"type": "Place", "name": "Park", "address": {"type": "PostalAddress",
            "streetAddress": "1 Main St", "addressLocality": "Lyon"}},
        "content": "<p>Bring food</p>"}});
    to_legacy::event_as_note(&mut v);
    let o = &v["object"];
    assert_eq!(o["type"], "Note");
    let c = o["content"].as_str().unwrap();
    assert!(c.contains("Picnic &amp; games"), "{c}");
    assert!(
        c.contains("2026-07-01T12:00:00Z – 2026-07-01T16:00:00Z"),
        "{c}"
    );
    assert!(c.contains("Park, 1 Main St, Lyon"), "{c}");
    assert!(c.contains("<p>Bring food</p>"), "{c}");
    assert!(c.contains("https://mobilizon.example/events/1"), "{c}");
}

#[test]
fn checklist_07_slap_authors_are_found_by_email_then_name_at_host() {
    let with_email = r#"<entry xmlns="http://www.w3.org/2005/Atom"><id>x</id><author><uri>https://m.example/users/u</uri><name>u</name><email>u@m.example</email></author><content>hi</content></entry>"#;
    assert_eq!(
        from_legacy::author_address(&entry_of(with_email), "").as_deref(),
        Some("u@m.example")
    );
    let gs = r#"<entry xmlns="http://www.w3.org/2005/Atom" xmlns:poco="http://portablecontacts.net/spec/1.0"><id>x</id><author><uri>http://gs.example:8080/user/1</uri><name>alice</name><poco:preferredUsername>alice</poco:preferredUsername></author><content>hi</content></entry>"#;
    assert_eq!(
        from_legacy::author_address(&entry_of(gs), "").as_deref(),
        Some("alice@gs.example:8080")
    );
    let anonymous =
        r#"<entry xmlns="http://www.w3.org/2005/Atom"><id>x</id><content>hi</content></entry>"#;
    assert_eq!(
        from_legacy::author_address(&entry_of(anonymous), "acct:carol@c.example").as_deref(),
        Some("carol@c.example")
    );
}
