#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The two-way bridge's decisions, over a real sled store with no network: what an
//! ActivityPub activity becomes for legacy servers (the Salmon entry, the jobs queued) and
//! what it must not become (a non-public post over Salmon).

mod common;

use ostatus_bridge::bridge::to_legacy::LegacyPeer;
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
    let xml = to_legacy::legacy_entry(&s.app, BOB, &follow, LegacyPeer::Other)
        .await
        .unwrap();
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
    let xml = to_legacy::legacy_entry(&s.app, BOB, &undo, LegacyPeer::Other)
        .await
        .unwrap();
    assert!(
        xml.contains("http://ostatus.org/schema/1.0/unfollow"),
        "{xml}"
    );
    let entry = entry_of(&xml);
    assert_eq!(*entry.verb(), Verb::Unfollow);
    assert_eq!(entry.object.as_deref().and_then(|o| o.id()), Some(ALICE_ID));
    // Pleroma matches only the Activity Streams spelling.
    let xml = to_legacy::legacy_entry(&s.app, BOB, &undo, LegacyPeer::Pleroma)
        .await
        .unwrap();
    assert!(
        xml.contains("http://activitystrea.ms/schema/1.0/unfollow"),
        "{xml}"
    );
    assert!(
        !xml.contains("http://ostatus.org/schema/1.0/unfollow"),
        "{xml}"
    );
    assert_eq!(*entry_of(&xml).verb(), Verb::Unfollow);
}

#[test]
fn checklist_10_pleroma_is_known_by_its_salmon_endpoints() {
    for (endpoint, peer) in [
        (
            "https://pleroma.example/users/lain/salmon",
            LegacyPeer::Pleroma,
        ),
        ("https://gs.example/main/salmon/user/1", LegacyPeer::Other),
        ("https://mastodon.example/api/salmon/42", LegacyPeer::Other),
        ("https://friendica.example/salmon/alice", LegacyPeer::Other),
        ("not a url", LegacyPeer::Other),
    ] {
        assert_eq!(LegacyPeer::of_salmon_endpoint(endpoint), peer, "{endpoint}");
    }
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

/// A Salmon-verified entry by the legacy user, as the endpoint hands it on.
fn alice_entry(body: &str) -> ostatus_bridge::model::Activity {
    entry_of(&format!(
        r#"<entry xmlns="http://www.w3.org/2005/Atom" xmlns:activity="http://activitystrea.ms/spec/1.0/" xmlns:thr="http://purl.org/syndication/thread/1.0"><author><uri>{ALICE_ID}</uri><name>alice</name><email>alice@gs.example</email></author><updated>2026-12-04T10:00:00Z</updated>{body}</entry>"#
    ))
}

#[tokio::test]
async fn checklist_23_a_delete_before_its_post_is_remembered_and_the_post_dropped() {
    let s = setup().await;
    let notice = "tag:gs.example,2026-12-04:noticeId=5:objectType=note";
    let delete = alice_entry(&format!(
        "<id>tag:gs.example,2026-12-04:delete-5</id><activity:verb>http://activitystrea.ms/schema/1.0/delete</activity:verb><activity:object><id>{notice}</id><activity:object-type>http://activitystrea.ms/schema/1.0/note</activity:object-type></activity:object>"
    ));
    let carried = from_legacy::on_salmon(&s.app, Some(BOB), "acct:alice@gs.example", delete)
        .await
        .unwrap();
    assert!(
        matches!(carried, from_legacy::Carried::Nothing(_)),
        "{carried:?}"
    );
    let post = alice_entry(&format!(
        "<id>{notice}</id><content type=\"html\">too late</content><link rel=\"mentioned\" href=\"{}\"/>",
        s.app.urls.actor(BOB)
    ));
    let carried = from_legacy::on_salmon(&s.app, Some(BOB), "acct:alice@gs.example", post)
        .await
        .unwrap();
    assert_eq!(
        carried,
        from_legacy::Carried::Nothing("post deleted before it arrived")
    );
    assert!(
        jobs(&s.app).await.is_empty(),
        "nothing sent for a deleted post"
    );
    assert_eq!(s.app.store.entry_count(ALICE).await.unwrap(), 0);
}

#[tokio::test]
async fn checklist_22_a_legacy_follow_becomes_a_follow_remembered_for_the_answer() {
    let s = setup().await;
    let follow = alice_entry(&format!(
        "<id>tag:gs.example,2026-12-04:follow-1</id><activity:verb>http://activitystrea.ms/schema/1.0/follow</activity:verb><activity:object><id>{}</id><activity:object-type>http://activitystrea.ms/schema/1.0/person</activity:object-type></activity:object>",
        s.app.urls.actor(BOB)
    ));
    let carried = from_legacy::on_salmon(&s.app, None, "acct:alice@gs.example", follow)
        .await
        .unwrap();
    assert_eq!(carried, from_legacy::Carried::Sent(1));
    let jobs = jobs(&s.app).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].inbox, format!("{BOB_ACTOR}/inbox"));
    assert_eq!(jobs[0].signer, ALICE);
    let sent: Value = serde_json::from_str(&jobs[0].body).unwrap();
    assert_eq!(sent["type"], "Follow");
    assert_eq!(sent["actor"], s.app.urls.actor(ALICE));
    assert_eq!(sent["object"], BOB_ACTOR);
    let relay = s
        .app
        .store
        .relay_between(ALICE, BOB_ACTOR)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(relay.follow_id, sent["id"].as_str().unwrap());
    assert_eq!(relay.salmon.as_deref(), Some(ALICE_SALMON));
    assert_eq!(
        relay.legacy_request_id.as_deref(),
        Some("tag:gs.example,2026-12-04:follow-1")
    );
    // The unfollow names the same Follow, in both namespaces GNU social and Pleroma use.
    for (n, ns) in [
        "http://ostatus.org/schema/1.0/",
        "http://activitystrea.ms/schema/1.0/",
    ]
    .into_iter()
    .enumerate()
    {
        if n == 1 {
            s.app.store.put_relay(&relay).await.unwrap();
        }
        let unfollow = alice_entry(&format!(
            "<id>tag:gs.example,2026-12-04:unfollow-{n}</id><activity:verb>{ns}unfollow</activity:verb><activity:object><id>{}</id></activity:object>",
            s.app.urls.actor(BOB)
        ));
        let carried = from_legacy::on_salmon(&s.app, None, "acct:alice@gs.example", unfollow)
            .await
            .unwrap();
        assert_eq!(carried, from_legacy::Carried::Sent(1), "{ns}");
        let undo: Value =
            serde_json::from_str(&jobs_in_order(&s.app).await.last().unwrap().body).unwrap();
        assert_eq!(undo["type"], "Undo");
        assert_eq!(undo["object"]["id"], relay.follow_id.as_str());
        assert!(
            s.app
                .store
                .relay_between(ALICE, BOB_ACTOR)
                .await
                .unwrap()
                .is_none()
        );
    }
}

async fn jobs_in_order(app: &App) -> Vec<Job> {
    let mut j = jobs(app).await;
    j.sort_by_key(|j| j.id);
    j
}

#[tokio::test]
async fn checklist_24_an_update_of_the_actor_refreshes_the_puppet_profile() {
    let s = setup().await;
    let update = json!({"type": "Update", "id": format!("{BOB_ACTOR}#updates/1"), "actor": BOB_ACTOR,
        "to": [PUBLIC],
        "object": {"type": "Person", "id": BOB_ACTOR, "name": "Robert", "summary": "<p>new bio</p>",
            "preferredUsername": "bob"}});
    to_legacy::on_activity(&s.app, BOB_ACTOR, &update)
        .await
        .unwrap();
    let p = s
        .app
        .store
        .get_puppet_by_handle(BOB)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.profile["actor"]["name"], "Robert");
    assert_eq!(p.profile["actor"]["summary"], "<p>new bio</p>");
}

#[test]
fn checklist_09_verbs_are_read_in_every_namespace() {
    let verb = |v: &str| {
        let e = entry_of(&format!(
            r#"<entry xmlns="http://www.w3.org/2005/Atom" xmlns:activity="http://activitystrea.ms/spec/1.0/"><id>x</id>{v}<content>c</content></entry>"#
        ));
        e.verb().clone()
    };
    let v = |iri: &str| verb(&format!("<activity:verb>{iri}</activity:verb>"));
    assert_eq!(v("http://ostatus.org/schema/1.0/unfollow"), Verb::Unfollow);
    assert_eq!(
        v("http://activitystrea.ms/schema/1.0/unfollow"),
        Verb::Unfollow
    );
    assert_eq!(v("http://activitystrea.ms/schema/1.0/like"), Verb::Favorite);
    assert_eq!(
        v("http://activitystrea.ms/schema/1.0/unlike"),
        Verb::Unfavorite
    );
    assert_eq!(
        v("http://activitystrea.ms/schema/1.0/favorite"),
        Verb::Favorite
    );
    assert_eq!(v("qvitter-delete-notice"), Verb::Delete);
    assert_eq!(
        v("http://ostatus.org/schema/1.0/update-profile"),
        Verb::UpdateProfile
    );
    assert_eq!(verb(""), Verb::Post, "a missing verb is a post");
}

#[test]
fn checklist_11_shares_in_both_forms_announce_the_original_note() {
    let original = "https://pleroma.soykaf.com/objects/4c1bda26-902e-4525-9fcd-b9fd44925193";
    for file in ["share-gs.xml", "share.xml"] {
        let path = format!(
            "{}/fixtures/external/pleroma/{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        let out = ostatus_bridge::translate::translate(
            &std::fs::read(&path).unwrap(),
            &ostatus_bridge::translate::Options {
                from: Some(ostatus_bridge::codec::Format::Atom),
                to: ostatus_bridge::codec::Format::As2,
                base_url: url::Url::parse("https://bridge.example").unwrap(),
                limits: Limits::default(),
                sanitize: true,
            },
        )
        .unwrap()
        .1;
        let v: Value = serde_json::from_str(&out).unwrap();
        let share = if v["type"] == "Announce" {
            v.clone()
        } else {
            v["orderedItems"]
                .as_array()
                .and_then(|items| items.iter().find(|i| i["type"] == "Announce").cloned())
                .unwrap_or_else(|| panic!("{file}: no Announce in {out}"))
        };
        let object = share["object"]
            .as_str()
            .or_else(|| share["object"]["id"].as_str())
            .unwrap();
        assert_eq!(object, original, "{file}");
    }
}

#[tokio::test]
async fn checklist_25_unknown_objects_are_fetched_as_activitypub_atom_or_through_their_page() {
    use ostatus_bridge::bridge::fetch::{RemoteObject, fetch_object};
    use warp::Filter;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let b = base.clone();
    let routes = warp::path!("notice" / u32).and(warp::header::optional::<String>("accept")).map(
        move |n: u32, accept: Option<String>| {
            let accept = accept.unwrap_or_default();
            assert!(
                accept.starts_with("application/activity+json") && accept.contains("atom+xml") && accept.contains("text/html"),
                "{accept}"
            );
            let (ctype, body, link) = match n {
                // A page naming its Atom entry in <head>.
                1 => ("text/html", r#"<html><head><link rel="alternate" type="application/atom+xml" href="/api/statuses/show/1.atom"></head></html>"#.to_string(), None),
                // A page naming its AP object in the Link header only.
                2 => ("text/html", "<html></html>".to_string(), Some(format!("<{b}/objects/2>; rel=\"alternate\"; type=\"application/activity+json\""))),
                _ => ("text/html", "<html>nothing</html>".to_string(), None),
            };
            let mut r = warp::http::Response::builder().header("content-type", ctype);
            if let Some(l) = link {
                r = r.header("link", l);
            }
            r.body(body).unwrap()
        },
    );
    let b = base.clone();
    let atom = warp::path!("api" / "statuses" / "show" / "1.atom").map(move || {
        warp::http::Response::builder()
            .header("content-type", "application/atom+xml")
            .body(format!(r#"<entry xmlns="http://www.w3.org/2005/Atom"><id>tag:x,2026:1</id><author><uri>{b}/user/1</uri><name>gnu</name></author><content>hi</content></entry>"#))
            .unwrap()
    });
    let b = base.clone();
    let ap = warp::path!("objects" / u32).map(move |n: u32| {
        warp::http::Response::builder()
            .header("content-type", "application/activity+json")
            .body(json!({"id": format!("{b}/objects/{n}"), "type": "Note", "attributedTo": format!("{b}/users/ap")}).to_string())
            .unwrap()
    });
    tokio::spawn(warp::serve(routes.or(atom).or(ap)).incoming(listener).run());
    let s = setup().await;
    let direct = fetch_object(&s.app, &format!("{base}/objects/3"))
        .await
        .unwrap();
    assert!(matches!(direct, RemoteObject::ActivityPub(_)));
    assert_eq!(direct.author(), Some(format!("{base}/users/ap")));
    let via_page = fetch_object(&s.app, &format!("{base}/notice/1"))
        .await
        .unwrap();
    assert!(matches!(via_page, RemoteObject::Atom(_)));
    assert_eq!(via_page.author(), Some(format!("{base}/user/1")));
    let via_header = fetch_object(&s.app, &format!("{base}/notice/2"))
        .await
        .unwrap();
    assert!(matches!(via_header, RemoteObject::ActivityPub(_)));
    assert_eq!(via_header.author(), Some(format!("{base}/users/ap")));
    assert!(
        fetch_object(&s.app, &format!("{base}/notice/3"))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn checklist_22_a_follow_of_a_locked_legacy_account_is_a_request_friend() {
    let s = setup().await;
    let follow = json!({"type": "Follow", "id": format!("{BOB_ACTOR}#follows/7"), "actor": BOB_ACTOR,
        "object": s.app.urls.actor(ALICE)});
    // Unlocked: a plain follow.
    to_legacy::followed(&s.app, ALICE, BOB_ACTOR, &follow)
        .await
        .unwrap();
    // Locked (`mastodon:scope private` on the author, read as manuallyApprovesFollowers).
    let mut alice = s
        .app
        .store
        .get_puppet_by_handle(ALICE)
        .await
        .unwrap()
        .unwrap();
    alice.profile["actor"]["manuallyApprovesFollowers"] = json!(true);
    s.app.store.put_puppet(&alice).await.unwrap();
    to_legacy::followed(&s.app, ALICE, BOB_ACTOR, &follow)
        .await
        .unwrap();
    let slaps: Vec<Job> = jobs(&s.app)
        .await
        .into_iter()
        .filter(|j| j.inbox == ALICE_SALMON)
        .collect();
    assert_eq!(slaps.len(), 2, "{slaps:?}");
    let verbs: Vec<Verb> = slaps
        .iter()
        .map(|j| entry_of(&j.body).verb().clone())
        .collect();
    assert_eq!(verbs, [Verb::Follow, Verb::RequestFriend]);
    let asked = entry_of(&slaps[1].body);
    assert!(
        slaps[1]
            .body
            .contains("http://activitystrea.ms/schema/1.0/request-friend"),
        "{}",
        slaps[1].body
    );
    // The followee is still the legacy account's own id.
    assert_eq!(asked.object.as_deref().and_then(|o| o.id()), Some(ALICE_ID));
}

#[tokio::test]
async fn checklist_22_a_legacy_reject_ends_the_follow_with_an_ap_reject() {
    let s = setup().await;
    let store = &s.app.store;
    store
        .add_follower(
            ALICE,
            &ostatus_bridge::store::Follower::new(BOB_ACTOR, format!("{BOB_ACTOR}/inbox"), None),
        )
        .await
        .unwrap();
    // GNU social / Mastodon 2.x nest the follow they answer; its actor is Bob's OStatus face.
    let nested = |verb: &str, id: &str| {
        alice_entry(&format!(
            "<id>{id}</id><activity:verb>http://activitystrea.ms/schema/1.0/{verb}</activity:verb><activity:object><activity:object-type>http://activitystrea.ms/schema/1.0/activity</activity:object-type><id>tag:bridge,follow-1</id><activity:verb>http://activitystrea.ms/schema/1.0/follow</activity:verb><author><uri>{bob}</uri></author><activity:object><id>{ALICE_ID}</id></activity:object></activity:object>",
            bob = s.app.urls.actor(BOB),
        ))
    };
    // An authorize adds nothing: the puppet accepted at once.
    let carried = from_legacy::on_salmon(
        &s.app,
        Some(BOB),
        "acct:alice@gs.example",
        nested("authorize", "tag:gs.example,2026:authorize-1"),
    )
    .await
    .unwrap();
    assert_eq!(
        carried,
        from_legacy::Carried::Nothing("follow already accepted")
    );
    assert!(
        store
            .get_follower(ALICE, BOB_ACTOR)
            .await
            .unwrap()
            .is_some()
    );
    let carried = from_legacy::on_salmon(
        &s.app,
        Some(BOB),
        "acct:alice@gs.example",
        nested("reject", "tag:gs.example,2026:reject-1"),
    )
    .await
    .unwrap();
    assert_eq!(carried, from_legacy::Carried::Sent(1));
    assert!(
        store
            .get_follower(ALICE, BOB_ACTOR)
            .await
            .unwrap()
            .is_none()
    );
    let sent: Vec<Value> = jobs(&s.app)
        .await
        .into_iter()
        .filter(|j| j.inbox == format!("{BOB_ACTOR}/inbox"))
        .map(|j| serde_json::from_str(&j.body).unwrap())
        .collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["type"], "Reject");
    assert_eq!(sent[0]["actor"], s.app.urls.actor(ALICE));
    assert_eq!(sent[0]["object"]["type"], "Follow");
    assert_eq!(sent[0]["object"]["actor"], BOB_ACTOR);
    assert_eq!(sent[0]["object"]["object"], s.app.urls.actor(ALICE));
    // A second reject finds no follower and sends nothing.
    let carried = from_legacy::on_salmon(
        &s.app,
        Some(BOB),
        "acct:alice@gs.example",
        nested("reject", "tag:gs.example,2026:reject-2"),
    )
    .await
    .unwrap();
    assert!(
        matches!(carried, from_legacy::Carried::Nothing(_)),
        "{carried:?}"
    );
}

#[tokio::test]
async fn checklist_11_a_share_of_a_bridged_post_carries_the_original_with_its_author() {
    let s = setup().await;
    let base = url::Url::parse(s.app.urls.base()).unwrap();
    let tag = "tag:gs.example,2026-12-04:noticeId=9:objectType=note";
    let bridged = ostatus_bridge::translate::IdMinter::new(&base)
        .mint(tag)
        .unwrap();
    // The poller kept Alice's post under its bridge id.
    s.app
        .store
        .append_entry(
            ALICE,
            &json!({"type": "Create", "id": format!("{bridged}#post"), "actor": s.app.urls.actor(ALICE),
                "to": [PUBLIC],
                "object": {"type": "Note", "id": bridged, "atomUri": tag,
                    "attributedTo": s.app.urls.actor(ALICE), "to": [PUBLIC],
                    "content": "<p>the original words</p>"}}),
        )
        .await
        .unwrap();
    let share = json!({"type": "Announce", "id": format!("{BOB_ACTOR}/statuses/2/activity"),
        "actor": BOB_ACTOR, "to": [PUBLIC], "cc": [s.app.urls.actor(ALICE)], "object": bridged});
    to_legacy::on_activity(&s.app, BOB_ACTOR, &share)
        .await
        .unwrap();
    // Alice hears of it by Salmon, and Bob's feed has it, both with the original inside.
    let slap = jobs(&s.app)
        .await
        .into_iter()
        .find(|j| j.protocol == Protocol::OStatus && j.inbox == ALICE_SALMON)
        .expect("a Salmon share to Alice");
    let entry = entry_of(&slap.body);
    assert_eq!(*entry.verb(), Verb::Share);
    let original = entry
        .object_object()
        .expect("the original inside the share");
    // The legacy id is the Atom id; the bridge id rides along as the activity+json link.
    assert!(
        slap.body.contains(&format!("<id>{tag}</id>")),
        "{}",
        slap.body
    );
    assert_eq!(
        original.props.atom_uri.as_deref(),
        Some(tag),
        "{}",
        slap.body
    );
    assert_eq!(original.props.id.as_deref(), Some(bridged.as_str()));
    assert!(slap.body.contains("the original words"), "{}", slap.body);
    assert_eq!(
        original
            .props
            .author
            .as_deref()
            .and_then(|a| a.props.id.as_deref()),
        Some(ALICE_ID),
        "{}",
        slap.body
    );
    let stored = s.app.store.outbox_page(BOB, None, 10).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].activity["object"]["content"],
        "<p>the original words</p>"
    );
}
