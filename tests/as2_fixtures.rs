#![allow(clippy::unwrap_used, clippy::expect_used)]
//! AS2 codec against real (pleroma, granary) and hand-written (fixtures/as2) documents:
//! named field values, lossless re-encode, and snapshots of the encoded form.

use ostatus_bridge::codec::{Limits, as2};
use ostatus_bridge::model::{Activity, Actor, Addressee, Document, Node, Object, ObjectType, Verb};
use serde_json::json;

fn load(path: &str) -> Document {
    let bytes = std::fs::read(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    as2::decode(&bytes, &Limits::default()).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// decode(encode(d)) == d, and the encoded form is stable.
fn lossless(doc: &Document) -> serde_json::Value {
    let text = as2::encode(doc);
    let back = as2::decode(text.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(&back, doc, "re-encode changed the model:\n{text}");
    assert_eq!(as2::encode(&back), text, "encoding is not stable");
    as2::encode_value(doc)
}

fn act(doc: &Document) -> &Activity {
    match doc {
        Document::Activity(a) => a,
        Document::Feed(_) => panic!("expected an activity"),
    }
}

fn obj(a: &Activity) -> &Object {
    match a.object.as_deref() {
        Some(Node::Object(o)) => o,
        other => panic!("expected an object, found {other:?}"),
    }
}

fn actor_node(a: &Activity) -> &Actor {
    match a.object.as_deref() {
        Some(Node::Actor(x)) => x,
        other => panic!("expected an actor, found {other:?}"),
    }
}

fn actor_id(a: &Activity) -> &str {
    a.actor.as_deref().unwrap().props.id.as_deref().unwrap()
}

fn id(s: &str) -> Addressee {
    Addressee::Id(s.into())
}

fn ext<'a>(p: &'a ostatus_bridge::model::Props, k: &str) -> &'a serde_json::Value {
    p.extensions
        .json_get(k)
        .unwrap_or_else(|| panic!("no extension {k}"))
}

#[test]
fn pleroma_mastodon_post_activity() {
    let doc = load("fixtures/external/pleroma/mastodon-post-activity.json");
    let a = act(&doc);
    assert_eq!(*a.verb(), Verb::Post);
    assert!(!a.implied);
    assert_eq!(actor_id(a), "http://mastodon.example.org/users/admin");
    assert_eq!(
        a.props.id.as_deref(),
        Some("http://mastodon.example.org/users/admin/statuses/99512778738411822/activity")
    );
    assert_eq!(a.props.audience.to, vec![Addressee::Public]);
    assert_eq!(
        a.props.audience.cc,
        vec![
            id("http://mastodon.example.org/users/admin/followers"),
            id("http://localtesting.pleroma.lol/users/lain")
        ]
    );
    // The LD signature is not modelled: kept verbatim.
    assert_eq!(ext(&a.props, "signature")["type"], "RsaSignature2017");
    let o = obj(a);
    assert_eq!(o.kind, ObjectType::Note);
    let p = &o.props;
    assert_eq!(p.summary.as_ref().unwrap().value, "cw");
    assert!(p.content.as_ref().unwrap().value.contains("u-url mention"));
    assert_eq!(
        p.atom_uri.as_deref(),
        Some("http://mastodon.example.org/users/admin/statuses/99512778738411822")
    );
    assert!(p.in_reply_to.is_empty(), "inReplyTo null is absent");
    assert_eq!(
        p.conversation.as_deref(),
        Some("tag:mastodon.example.org,2018-02-12:objectId=20:objectType=Conversation")
    );
    assert_eq!(p.sensitive, Some(true));
    assert_eq!(p.mentions.len(), 1);
    assert_eq!(
        p.mentions[0].href,
        "http://localtesting.pleroma.lol/users/lain"
    );
    assert_eq!(
        p.mentions[0].name.as_deref(),
        Some("@lain@localtesting.pleroma.lol")
    );
    assert!(p.attachments.is_empty());
    assert_eq!(
        p.author.as_ref().unwrap().props.id.as_deref(),
        Some("http://mastodon.example.org/users/admin")
    );
    assert_eq!(
        p.url.as_deref(),
        Some("http://mastodon.example.org/@admin/99512778738411822")
    );
    assert_eq!(
        p.published.as_ref().unwrap().as_str(),
        "2018-02-12T14:08:20Z"
    );
    let v = lossless(&doc);
    insta::assert_json_snapshot!("as2_pleroma_mastodon_post_activity", v);
}

#[test]
fn granary_note() {
    let doc = load("fixtures/external/granary/note.as2.json");
    let a = act(&doc);
    assert!(a.implied);
    assert_eq!(*a.verb(), Verb::Post);
    assert!(a.actor.is_none());
    let p = &obj(a).props;
    assert_eq!(p.id.as_deref(), Some("tag:example.com,2011:blog-post-123"));
    assert_eq!(p.summary.as_ref().unwrap().value, "too cool to summarize");
    assert_eq!(
        p.updated.as_ref().unwrap().as_str(),
        "2013-10-25T10:31:30+00:00"
    );
    assert_eq!(
        p.image.as_ref().unwrap().url,
        "http://example.com/blog-post-123/image"
    );
    let author = p.author.as_ref().unwrap();
    assert_eq!(author.props.name.as_deref(), Some("Ryan Barrett"));
    assert_eq!(author.avatars[0].url, "http://example.com/ryan/image");
    assert_eq!(
        author.header.as_ref().unwrap().url,
        "http://example.com/ryan/image"
    );
    let loc = p.location.as_ref().unwrap();
    assert_eq!(loc.name.as_deref(), Some("Carcassonne, Aude"));
    assert_eq!(loc.latitude, Some(50.820641));
    assert_eq!(loc.longitude, Some(-0.149522));
    // A typeless tag is not a mention or hashtag: kept as an unknown tag.
    assert_eq!(ext(p, "tag")[0]["url"], "http://my/link");
    assert_eq!(ext(p, "upstreamDuplicates")[1], "http://orig/2");
    insta::assert_json_snapshot!("as2_granary_note", lossless(&doc));
}

#[test]
fn granary_comment_event_unlisted_mention() {
    let doc = load("fixtures/external/granary/comment.as2.json");
    let p = &obj(act(&doc)).props;
    assert_eq!(p.in_reply_to[0].id, "http://example.com/original/post");
    assert_eq!(
        p.location.as_ref().unwrap().id.as_deref(),
        Some("31cb9e7ed29dbe52")
    );
    insta::assert_json_snapshot!("as2_granary_comment", lossless(&doc));

    let doc = load("fixtures/external/granary/event.as2.json");
    let o = obj(act(&doc));
    assert_eq!(o.kind, ObjectType::Event);
    assert_eq!(o.props.name.as_deref(), Some("XYZ"));
    assert_eq!(
        o.props.start_time.as_ref().unwrap().as_str(),
        "2017-07-12 17:30"
    );
    assert_eq!(
        o.props.end_time.as_ref().unwrap().as_str(),
        "2017-07-12 19:30"
    );
    assert_eq!(
        o.props.location.as_ref().unwrap().name.as_deref(),
        Some("the place")
    );
    insta::assert_json_snapshot!("as2_granary_event", lossless(&doc));

    let doc = load("fixtures/external/granary/note_unlisted.as2.json");
    let p = &obj(act(&doc)).props;
    assert_eq!(p.audience.cc, vec![Addressee::Public]);
    assert!(p.audience.to.is_empty());
    assert_eq!(
        p.audience.visibility(),
        Some(ostatus_bridge::model::Visibility::Unlisted)
    );
    insta::assert_json_snapshot!("as2_granary_note_unlisted", lossless(&doc));

    let doc = load("fixtures/external/granary/note_with_mention.as2.json");
    let p = &obj(act(&doc)).props;
    assert_eq!(p.mentions[0].href, "https://alice/");
    assert_eq!(p.mentions[0].name.as_deref(), Some("Alice"));
    insta::assert_json_snapshot!("as2_granary_note_with_mention", lossless(&doc));
}

#[test]
fn granary_activities() {
    let doc = load("fixtures/external/granary/follow.as2.json");
    let a = act(&doc);
    assert_eq!(*a.verb(), Verb::Follow);
    assert_eq!(
        a.object.as_deref(),
        Some(&Node::Ref("http://followee".into()))
    );
    let actor = a.actor.as_deref().unwrap();
    assert_eq!(actor.kind, ObjectType::Person);
    assert_eq!(actor.props.url.as_deref(), Some("http://follower/"));
    assert_eq!(
        a.props.url.as_deref(),
        Some("http://example.com/this/follow")
    );
    insta::assert_json_snapshot!("as2_granary_follow", lossless(&doc));

    let doc = load("fixtures/external/granary/like.as2.json");
    let a = act(&doc);
    assert_eq!(*a.verb(), Verb::Favorite);
    assert_eq!(
        a.actor.as_deref().unwrap().props.name.as_deref(),
        Some("Alice")
    );
    assert_eq!(
        a.object.as_deref().and_then(Node::id),
        Some("http://example.com/original/post")
    );
    insta::assert_json_snapshot!("as2_granary_like", lossless(&doc));

    let doc = load("fixtures/external/granary/repost.as2.json");
    let a = act(&doc);
    assert_eq!(*a.verb(), Verb::Share);
    let o = obj(a);
    assert_eq!(o.kind, ObjectType::Article);
    assert_eq!(
        o.props.author.as_ref().unwrap().props.name.as_deref(),
        Some("Bob")
    );
    assert_eq!(o.props.content.as_ref().unwrap().value, "The original post");
    insta::assert_json_snapshot!("as2_granary_repost", lossless(&doc));

    let doc = load("fixtures/external/granary/unfollow.as2.json");
    let a = act(&doc);
    assert_eq!(*a.verb(), Verb::Undo);
    assert_eq!(actor_id(a), "tag:example.com,2001:follower");
    let Some(Node::Activity(inner)) = a.object.as_deref() else {
        panic!("Undo object should be an activity")
    };
    assert_eq!(*inner.verb(), Verb::Follow);
    assert_eq!(
        inner.object.as_deref(),
        Some(&Node::Ref("tag:example.com,2001:followee".into()))
    );
    insta::assert_json_snapshot!("as2_granary_unfollow", lossless(&doc));

    let doc = load("fixtures/external/granary/update_person.as2.json");
    let a = act(&doc);
    assert_eq!(*a.verb(), Verb::UpdateProfile);
    let p = actor_node(a);
    assert_eq!(p.props.url.as_deref(), Some("https://example.com/martin"));
    assert_eq!(p.fields.len(), 1);
    assert_eq!(p.fields[0].name, "super cool");
    assert!(p.fields[0].value.contains("rel=\"me\""));
    assert_eq!(ext(&p.props, "discoverable"), &json!(true));
    assert_eq!(ext(&p.props, "indexable"), &json!(true));
    insta::assert_json_snapshot!("as2_granary_update_person", lossless(&doc));
}

#[test]
fn every_granary_as2_fixture_decodes_and_round_trips() {
    let dir = format!("{}/fixtures/external/granary", env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".as2.json") {
            continue;
        }
        let doc = load(&format!("fixtures/external/granary/{name}"));
        lossless(&doc);
        n += 1;
    }
    assert_eq!(n, 10);
}

#[test]
fn mastodon_create_note() {
    let doc = load("fixtures/as2/mastodon-create-note.json");
    let a = act(&doc);
    assert_eq!(*a.verb(), Verb::Post);
    assert_eq!(actor_id(a), "https://masto.example/users/alice");
    let p = &obj(a).props;
    assert_eq!(p.summary.as_ref().unwrap().value, "food photo, spoilers");
    assert_eq!(p.sensitive, Some(true));
    let c = p.content.as_ref().unwrap();
    assert_eq!(c.lang.as_deref(), Some("en"));
    assert!(p.content_map.is_empty());
    assert_eq!(
        p.in_reply_to[0].id,
        "https://pleroma.example/objects/6e0c1f1a-5b0e-4d6a-9a55-0c3f7b9d2f11"
    );
    assert_eq!(
        p.in_reply_to[0].atom_uri.as_deref(),
        Some("tag:pleroma.example,2026-11-19:objectId=42:objectType=Status")
    );
    assert_eq!(p.hashtags[0].name, "#cooking");
    assert_eq!(
        p.hashtags[0].href.as_deref(),
        Some("https://masto.example/tags/cooking")
    );
    assert_eq!(p.mentions[0].name.as_deref(), Some("@bob@pleroma.example"));
    let e = &p.emoji[0];
    assert_eq!(e.shortcode, ":blobcat:");
    assert_eq!(e.id.as_deref(), Some("https://masto.example/emojis/7731"));
    assert_eq!(e.updated.as_ref().unwrap().as_str(), "2025-03-01T12:00:00Z");
    assert_eq!(e.icon.media_type.as_deref(), Some("image/png"));
    let at = &p.attachments[0];
    assert_eq!(at.kind, ObjectType::File);
    assert_eq!(at.media.media_type.as_deref(), Some("image/jpeg"));
    assert_eq!(at.media.width, Some(1600));
    assert_eq!(at.media.height, Some(1200));
    assert_eq!(
        at.blurhash.as_deref(),
        Some("UFGu:6~q00Ri%MIUIUxu4nj[-;WBM{ofRjxu")
    );
    assert_eq!(
        at.name.as_deref(),
        Some("A bowl of red lentil soup on a wooden table")
    );
    assert_eq!(ext(p, "replies")["type"], "Collection");
    assert_eq!(ext(p, "likes")["totalItems"], 0);
    assert_eq!(
        p.audience.cc,
        vec![
            id("https://masto.example/users/alice/followers"),
            id("https://pleroma.example/users/bob")
        ]
    );
    let v = lossless(&doc);
    assert_eq!(v["object"]["contentMap"]["en"], v["object"]["content"]);
    assert_eq!(v["@context"][2]["blurhash"], "toot:blurhash");
    assert!(v["object"].get("@context").is_none());
    insta::assert_json_snapshot!("as2_mastodon_create_note", v);
}

#[test]
fn mastodon_person() {
    let doc = load("fixtures/as2/mastodon-person.json");
    let a = act(&doc);
    assert!(a.implied);
    let p = actor_node(a);
    assert_eq!(p.kind, ObjectType::Person);
    assert_eq!(p.username.as_deref(), Some("alice"));
    assert_eq!(p.props.name.as_deref(), Some("Alice Liddell"));
    assert_eq!(p.props.url.as_deref(), Some("https://masto.example/@alice"));
    assert_eq!(p.locked, Some(false));
    assert_eq!(
        p.endpoints.inbox.as_deref(),
        Some("https://masto.example/users/alice/inbox")
    );
    assert_eq!(
        p.endpoints.shared_inbox.as_deref(),
        Some("https://masto.example/inbox")
    );
    let k = p.public_key.as_ref().unwrap();
    assert_eq!(k.id, "https://masto.example/users/alice#main-key");
    assert_eq!(k.owner, "https://masto.example/users/alice");
    assert!(k.pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert_eq!(p.fields.len(), 2);
    assert_eq!(p.fields[1].name, "Pronouns");
    assert_eq!(p.fields[1].value, "she/her");
    assert!(p.avatar().unwrap().url.ends_with("alice.png"));
    assert!(p.header.as_ref().unwrap().url.ends_with("header.jpg"));
    assert_eq!(
        ext(&p.props, "featured"),
        "https://masto.example/users/alice/collections/featured"
    );
    assert_eq!(ext(&p.props, "indexable"), &json!(false));
    insta::assert_json_snapshot!("as2_mastodon_person", lossless(&doc));
}

#[test]
fn pleroma_announce() {
    let doc = load("fixtures/as2/pleroma-announce.json");
    let a = act(&doc);
    assert_eq!(*a.verb(), Verb::Share);
    assert_eq!(
        a.object.as_deref(),
        Some(&Node::Ref(
            "https://masto.example/users/alice/statuses/113500000000000001".into()
        ))
    );
    assert_eq!(
        a.props.context.as_deref(),
        Some("https://masto.example/contexts/3f2a")
    );
    assert_eq!(
        a.props.published.as_ref().unwrap().as_str(),
        "2026-11-20T10:01:11.402Z"
    );
    assert_eq!(a.props.audience.to, vec![Addressee::Public]);
    insta::assert_json_snapshot!("as2_pleroma_announce", lossless(&doc));
}

#[test]
fn misskey_note() {
    let doc = load("fixtures/as2/misskey-note.json");
    let p = &obj(act(&doc)).props;
    assert_eq!(p.sensitive, Some(false));
    assert_eq!(ext(p, "_misskey_content"), "quoting this one");
    assert_eq!(
        ext(p, "quoteUrl"),
        "https://masto.example/users/alice/statuses/113500000000000001"
    );
    assert_eq!(ext(p, "source")["mediaType"], "text/x.misskeymarkdown");
    assert_eq!(
        p.author.as_ref().unwrap().props.id.as_deref(),
        Some("https://mk.example/users/9abc0def12")
    );
    insta::assert_json_snapshot!("as2_misskey_note", lossless(&doc));
}

#[test]
fn gotosocial_like_and_undo() {
    let doc = load("fixtures/as2/gotosocial-like.json");
    let a = act(&doc);
    assert_eq!(*a.verb(), Verb::Favorite);
    assert_eq!(
        a.props.audience.to,
        vec![id("https://masto.example/users/alice")]
    );
    insta::assert_json_snapshot!("as2_gotosocial_like", lossless(&doc));

    let doc = load("fixtures/as2/gotosocial-undo-like.json");
    let a = act(&doc);
    assert_eq!(*a.verb(), Verb::Undo);
    let Some(Node::Activity(inner)) = a.object.as_deref() else {
        panic!("inner Like")
    };
    assert_eq!(*inner.verb(), Verb::Favorite);
    assert_eq!(
        inner.props.id.as_deref(),
        Some("https://gts.example/users/carol/liked/01JD2Q7X9K3M5N7P9R1T3V5X7Z")
    );
    insta::assert_json_snapshot!("as2_gotosocial_undo_like", lossless(&doc));
}

#[test]
fn mobilizon_event() {
    let doc = load("fixtures/as2/mobilizon-event.json");
    let o = obj(act(&doc));
    assert_eq!(o.kind, ObjectType::Event);
    let ev = o.event.as_ref().unwrap();
    assert_eq!(ev.join_mode.as_deref(), Some("free"));
    assert_eq!(ev.replies_moderation.as_deref(), Some("allow_all"));
    assert_eq!(ev.comments_enabled, Some(true));
    assert_eq!(ev.timezone.as_deref(), Some("Europe/Paris"));
    assert_eq!(ev.maximum_attendee_capacity, Some(40));
    let p = &o.props;
    assert_eq!(
        p.start_time.as_ref().unwrap().as_str(),
        "2026-11-28T14:00:00+01:00"
    );
    let loc = p.location.as_ref().unwrap();
    assert_eq!(loc.name.as_deref(), Some("Maison des associations"));
    assert_eq!(loc.latitude, Some(45.764043));
    assert_eq!(loc.longitude, Some(4.835659));
    let addr = loc.address.as_ref().unwrap();
    assert_eq!(addr.street.as_deref(), Some("12 rue de la Paix"));
    assert_eq!(addr.locality.as_deref(), Some("Lyon"));
    assert_eq!(addr.region.as_deref(), Some("Auvergne-Rhône-Alpes"));
    assert_eq!(addr.postal_code.as_deref(), Some("69002"));
    assert_eq!(addr.country.as_deref(), Some("France"));
    assert_eq!(ext(p, "actor"), "https://mobilizon.example/@dan");
    assert_eq!(ext(p, "participantCount"), 12);
    assert_eq!(p.hashtags[0].name, "#repair");
    insta::assert_json_snapshot!("as2_mobilizon_event", lossless(&doc));
}

#[test]
fn lemmy_page() {
    let doc = load("fixtures/as2/lemmy-page.json");
    let o = obj(act(&doc));
    assert_eq!(o.kind, ObjectType::Page);
    let p = &o.props;
    assert_eq!(
        p.name.as_deref(),
        Some("Tubeless on a gravel bike: worth it?")
    );
    assert_eq!(
        p.audience.to,
        vec![id("https://lemmy.example/c/bicycles"), Addressee::Public]
    );
    assert_eq!(ext(p, "audience"), "https://lemmy.example/c/bicycles");
    // A Link attachment is not media: kept as an unknown attachment.
    assert_eq!(ext(p, "attachment")[0]["type"], "Link");
    assert!(p.attachments.is_empty());
    assert_eq!(ext(p, "language")["identifier"], "en");
    insta::assert_json_snapshot!("as2_lemmy_page", lossless(&doc));
}

#[test]
fn gitlab_create() {
    let doc = load("fixtures/as2/gitlab-create.json");
    let a = act(&doc);
    assert_eq!(*a.verb(), Verb::Post);
    let actor = a.actor.as_deref().unwrap();
    assert_eq!(actor.kind, ObjectType::Application);
    assert_eq!(actor.props.name.as_deref(), Some("Project Releases"));
    assert_eq!(ext(&actor.props, "context")["name"], "project");
    let rel = actor_node(a);
    assert_eq!(rel.props.name.as_deref(), Some("v1.4.0"));
    assert_eq!(
        rel.props.content.as_ref().unwrap().value,
        "<p>Faster startup.</p>"
    );
    insta::assert_json_snapshot!("as2_gitlab_create", lossless(&doc));
}

#[test]
fn delete_tombstone() {
    let doc = load("fixtures/as2/mastodon-delete-tombstone.json");
    let a = act(&doc);
    assert_eq!(*a.verb(), Verb::Delete);
    let o = obj(a);
    assert_eq!(o.kind, ObjectType::Tombstone);
    assert_eq!(ext(&o.props, "formerType"), "Note");
    assert_eq!(ext(&o.props, "deleted"), "2026-11-21T07:00:00Z");
    assert_eq!(
        o.props.atom_uri.as_deref(),
        Some("https://masto.example/users/alice/statuses/113500000000000001")
    );
    insta::assert_json_snapshot!("as2_delete_tombstone", lossless(&doc));
}

#[test]
fn follow_accept_reject() {
    let doc = load("fixtures/as2/mastodon-follow.json");
    let a = act(&doc);
    assert_eq!(*a.verb(), Verb::Follow);
    assert_eq!(
        a.object.as_deref().and_then(Node::id),
        Some("https://gts.example/users/carol")
    );
    insta::assert_json_snapshot!("as2_follow", lossless(&doc));

    let doc = load("fixtures/as2/gotosocial-accept-follow.json");
    let a = act(&doc);
    assert_eq!(*a.verb(), Verb::Authorize);
    let Some(Node::Activity(f)) = a.object.as_deref() else {
        panic!("the Follow")
    };
    assert_eq!(*f.verb(), Verb::Follow);
    assert_eq!(
        f.props.id.as_deref(),
        Some("https://masto.example/4c1b2a3d-0f9e-4d8c-b7a6-5e4f3d2c1b0a")
    );
    insta::assert_json_snapshot!("as2_accept_follow", lossless(&doc));

    let doc = load("fixtures/as2/mastodon-reject-follow.json");
    let a = act(&doc);
    assert_eq!(*a.verb(), Verb::Reject);
    assert_eq!(actor_id(a), "https://masto.example/users/alice");
    insta::assert_json_snapshot!("as2_reject_follow", lossless(&doc));
}

#[test]
fn update_person_move_block_flag() {
    let doc = load("fixtures/as2/mastodon-update-person.json");
    let a = act(&doc);
    assert_eq!(*a.verb(), Verb::UpdateProfile);
    let p = actor_node(a);
    assert_eq!(p.props.name.as_deref(), Some("Alice L."));
    assert_eq!(p.locked, Some(true));
    insta::assert_json_snapshot!("as2_update_person", lossless(&doc));

    let doc = load("fixtures/as2/mastodon-move.json");
    let a = act(&doc);
    assert_eq!(*a.verb(), Verb::Move);
    let Some(Node::Actor(t)) = a.target.as_deref() else {
        panic!("target actor")
    };
    assert_eq!(
        t.also_known_as,
        vec!["https://old.example/users/alice".to_string()]
    );
    insta::assert_json_snapshot!("as2_move", lossless(&doc));

    let doc = load("fixtures/as2/mastodon-block.json");
    let a = act(&doc);
    assert_eq!(*a.verb(), Verb::Block);
    assert_eq!(
        a.object.as_deref().and_then(Node::id),
        Some("https://spam.example/users/spammer")
    );
    insta::assert_json_snapshot!("as2_block", lossless(&doc));

    let doc = load("fixtures/as2/mastodon-flag.json");
    let a = act(&doc);
    assert_eq!(*a.verb(), Verb::Flag);
    assert_eq!(
        a.object.as_deref().and_then(Node::id),
        Some("https://spam.example/users/spammer")
    );
    assert_eq!(
        ext(&a.props, "object"),
        &json!([
            "https://spam.example/users/spammer/statuses/1",
            "https://spam.example/users/spammer/statuses/2"
        ])
    );
    let v = lossless(&doc);
    assert_eq!(v["object"].as_array().unwrap().len(), 3);
    insta::assert_json_snapshot!("as2_flag", v);
}

#[test]
fn outbox_page() {
    let doc = load("fixtures/as2/mastodon-outbox-page.json");
    let Document::Feed(f) = &doc else {
        panic!("feed")
    };
    assert_eq!(
        f.id.as_deref(),
        Some("https://masto.example/users/alice/outbox?page=true")
    );
    assert!(f.links.next.as_deref().unwrap().contains("max_id"));
    assert!(f.links.prev.as_deref().unwrap().contains("min_id"));
    assert_eq!(
        f.extensions.json_get("type").unwrap(),
        "OrderedCollectionPage"
    );
    assert_eq!(
        f.extensions.json_get("partOf").unwrap(),
        "https://masto.example/users/alice/outbox"
    );
    assert_eq!(f.entries.len(), 2);
    assert_eq!(*f.entries[0].verb(), Verb::Post);
    assert_eq!(*f.entries[1].verb(), Verb::Share);
    let v = lossless(&doc);
    assert_eq!(v["type"], "OrderedCollectionPage");
    assert!(v["orderedItems"][0].get("@context").is_none());
    insta::assert_json_snapshot!("as2_outbox_page", v);
}

#[test]
fn expanded_type_iris_are_understood() {
    let doc = as2::decode(
        br#"{"type":"https://www.w3.org/ns/activitystreams#Note","content":"hi","to":"as:Public","cc":["Public"]}"#,
        &Limits::default(),
    )
    .unwrap();
    let p = &obj(act(&doc)).props;
    assert_eq!(p.content.as_ref().unwrap().value, "hi");
    assert_eq!(p.audience.to, vec![Addressee::Public]);
    assert_eq!(p.audience.cc, vec![Addressee::Public]);
}

#[test]
fn bare_id_items_become_refs() {
    let doc = as2::decode(
        br#"{"type":"OrderedCollection","totalItems":2,"orderedItems":["https://a.example/1",{"id":"https://a.example/2","type":"View","actor":"https://a.example/u"}]}"#,
        &Limits::default(),
    )
    .unwrap();
    let Document::Feed(f) = &doc else { panic!() };
    assert_eq!(f.total_items, Some(2));
    assert!(f.entries[0].implied);
    assert_eq!(
        f.entries[0].object.as_deref(),
        Some(&Node::Ref("https://a.example/1".into()))
    );
    assert_eq!(*f.entries[1].verb(), Verb::Unknown("View".into()));
    let v = lossless(&doc);
    assert_eq!(v["orderedItems"][0], "https://a.example/1");
    assert_eq!(v["orderedItems"][1]["type"], "View");
}

#[test]
fn kept_raw_values_yield_to_model_changes() {
    let mut doc = load("fixtures/as2/mastodon-create-note.json");
    let v = as2::encode_value(&doc);
    assert_eq!(
        v["object"]["attachment"][0]["focalPoint"],
        json!([0.0, 0.25])
    );
    let Document::Activity(a) = &mut doc else {
        panic!()
    };
    let Some(Node::Object(o)) = a.object.as_deref_mut() else {
        panic!()
    };
    o.props.attachments[0].name = Some("new alt".into());
    o.props.hashtags.clear();
    let v = as2::encode_value(&doc);
    let att = &v["object"]["attachment"][0];
    assert_eq!(att["name"], "new alt");
    assert!(att.get("focalPoint").is_none(), "stale raw value written");
    let tags = v["object"]["tag"].as_array().unwrap();
    assert_eq!(tags.len(), 2);
    assert!(tags.iter().all(|t| t["type"] != "Hashtag"));
}
