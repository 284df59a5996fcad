#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Pump.io encoding of models that came from elsewhere: verbs, reversals, audiences, actors,
//! and the rule that a raw copy only wins while it agrees with the model.

use ostatus_bridge::codec::{Limits, pump};
use ostatus_bridge::model::{
    Activity, Actor, Addressee, Document, Endpoints, Feed, Mention, MentionKind, Node, Object,
    ObjectType, Props, Reference, Text, Verb, VerbTerm,
};
use serde_json::{Value, json};

fn enc(a: Activity) -> Value {
    serde_json::from_str(&pump::encode(&Document::Activity(a))).unwrap()
}

fn person(id: &str) -> Actor {
    Actor {
        props: Props {
            id: Some(id.into()),
            ..Props::default()
        },
        ..Actor::default()
    }
}

fn inner(verb: Verb, object: Node) -> Node {
    Node::Activity(Box::new(Activity {
        verb: VerbTerm::new(verb),
        actor: Some(Box::new(person("acct:a@pump.example"))),
        object: Some(Box::new(object)),
        props: Props {
            id: Some("https://ap.example/inner".into()),
            ..Props::default()
        },
        ..Activity::default()
    }))
}

fn undo(of: Node) -> Activity {
    Activity {
        verb: VerbTerm::new(Verb::Undo),
        object: Some(Box::new(of)),
        ..Activity::default()
    }
}

#[test]
fn undo_becomes_the_pump_reversal_verb() {
    let followee = Node::Actor(person("acct:b@other.example"));
    let v = enc(undo(inner(Verb::Follow, followee)));
    assert_eq!(v["verb"], "stop-following");
    assert_eq!(v["object"]["id"], "acct:b@other.example");
    assert_eq!(v["object"]["objectType"], "person");
    assert_eq!(v["actor"]["id"], "acct:a@pump.example");

    let note = Node::Ref("https://pump.example/api/note/1".into());
    assert_eq!(
        enc(undo(inner(Verb::Favorite, note.clone())))["verb"],
        "unfavorite"
    );
    let like = Node::Activity(Box::new(Activity {
        verb: VerbTerm::parse("like"),
        object: Some(Box::new(note.clone())),
        ..Activity::default()
    }));
    let v = enc(undo(like));
    assert_eq!(v["verb"], "unfavorite");
    assert_eq!(
        v["object"],
        json!({"id": "https://pump.example/api/note/1"})
    );
    assert_eq!(
        enc(undo(inner(Verb::Share, note.clone())))["verb"],
        "unshare"
    );
    // Anything else stays an undo with the activity nested.
    let v = enc(undo(inner(Verb::Join, note)));
    assert_eq!(v["verb"], "undo");
    assert_eq!(v["object"]["verb"], "join");
    assert_eq!(v["object"]["id"], "https://ap.example/inner");
}

#[test]
fn verb_spellings() {
    let tok = |v: VerbTerm| {
        enc(Activity {
            verb: v,
            ..Activity::default()
        })["verb"]
            .clone()
    };
    assert_eq!(tok(VerbTerm::new(Verb::Unfollow)), "stop-following");
    assert_eq!(
        tok(VerbTerm::parse("http://ostatus.org/schema/1.0/unfollow")),
        "unfollow"
    );
    assert_eq!(tok(VerbTerm::parse("like")), "like");
    assert_eq!(tok(VerbTerm::new(Verb::Favorite)), "favorite");
    assert_eq!(tok(VerbTerm::new(Verb::Unshare)), "unshare");
    assert_eq!(tok(VerbTerm::new(Verb::Post)), "post");
    assert_eq!(tok(VerbTerm::new(Verb::Update)), "update");
    assert_eq!(tok(VerbTerm::new(Verb::Delete)), "delete");
    assert_eq!(tok(VerbTerm::new(Verb::Leave)), "leave");
    assert_eq!(
        tok(VerbTerm::parse("http://example.org/verbs/frob")),
        "http://example.org/verbs/frob"
    );
}

#[test]
fn profile_update_is_update_with_the_actor_as_object() {
    let mut carol = person("acct:carol@pump.example");
    carol.props.name = Some("Carol".into());
    carol.endpoints = Endpoints {
        inbox: Some("https://pump.example/api/user/carol/inbox".into()),
        outbox: Some("https://pump.example/api/user/carol/feed".into()),
        followers: Some("https://pump.example/api/user/carol/followers".into()),
        ..Endpoints::default()
    };
    let a = Activity {
        verb: VerbTerm::parse("http://ostatus.org/schema/1.0/update-profile"),
        actor: Some(Box::new(carol)),
        ..Activity::default()
    };
    let v = enc(a);
    assert_eq!(v["verb"], "update");
    assert_eq!(v["object"]["id"], "acct:carol@pump.example");
    assert_eq!(v["object"]["objectType"], "person");
    assert_eq!(
        v["object"]["links"],
        json!({
            "activity-inbox": {"href": "https://pump.example/api/user/carol/inbox"},
            "activity-outbox": {"href": "https://pump.example/api/user/carol/feed"}
        })
    );
    assert_eq!(
        v["object"]["followers"],
        json!({"url": "https://pump.example/api/user/carol/followers"})
    );
}

#[test]
fn audiences_replies_and_mentions() {
    let note = Object {
        kind: ObjectType::Note,
        event: None,
        props: Props {
            id: Some("https://ap.example/notes/1".into()),
            content: Some(Text::plain("a < b & \"c\"")),
            in_reply_to: vec![Reference {
                id: "https://pump.example/api/note/9".into(),
                url: Some("https://pump.example/carol/note/9".into()),
                atom_uri: None,
            }],
            mentions: vec![Mention {
                href: "acct:carol@pump.example".into(),
                name: Some("Carol".into()),
                kind: MentionKind::Person,
            }],
            ..Props::default()
        },
    };
    let mut props = Props::default();
    props.audience.to = vec![
        Addressee::Public,
        Addressee::Id("acct:carol@pump.example".into()),
    ];
    props.audience.cc = vec![
        Addressee::Id("https://pump.example/api/user/dmitri/followers".into()),
        Addressee::Followers,
    ];
    let mut dmitri = person("acct:dmitri@pump.example");
    dmitri.endpoints.followers = Some("https://pump.example/api/user/dmitri/followers".into());
    let v = enc(Activity {
        verb: VerbTerm::new(Verb::Post),
        actor: Some(Box::new(dmitri)),
        object: Some(Box::new(Node::Object(note))),
        props,
        ..Activity::default()
    });
    assert_eq!(
        v["to"],
        json!([
            {"id": "http://activityschema.org/collection/public", "objectType": "collection"},
            {"id": "acct:carol@pump.example", "objectType": "person"}
        ])
    );
    assert_eq!(
        v["cc"],
        json!([
            {"id": "https://pump.example/api/user/dmitri/followers", "objectType": "collection"},
            {"id": "https://pump.example/api/user/dmitri/followers", "objectType": "collection"}
        ])
    );
    assert_eq!(
        v["object"]["inReplyTo"],
        json!({"id": "https://pump.example/api/note/9", "url": "https://pump.example/carol/note/9"})
    );
    assert_eq!(
        v["object"]["tags"],
        json!([{"id": "acct:carol@pump.example", "objectType": "person", "displayName": "Carol"}])
    );
    assert_eq!(v["object"]["content"], "a &lt; b &amp; &quot;c&quot;");
}

#[test]
fn stale_raw_copies_give_way_to_the_model() {
    let bytes = std::fs::read("fixtures/pump/reply_comment.json").unwrap();
    let mut doc = pump::decode(&bytes, &Limits::default()).unwrap();
    // Unchanged: the whole parent object is written back.
    let v: Value = serde_json::from_str(&pump::encode(&doc)).unwrap();
    assert_eq!(v["object"]["inReplyTo"]["objectType"], "note");
    // A translate layer rewrites the reply target: the stale raw copy is not used.
    if let Document::Activity(a) = &mut doc
        && let Some(Node::Object(o)) = a.object.as_deref_mut()
    {
        o.props.in_reply_to[0].id = "https://bridge.example/objects/1".into();
        o.props.mentions.clear();
    }
    let v: Value = serde_json::from_str(&pump::encode(&doc)).unwrap();
    assert_eq!(
        v["object"]["inReplyTo"],
        json!({"id": "https://bridge.example/objects/1", "url": "https://pump.example/carol/note/pVb7t8r4Rv-3ZyZkq8hG2w"})
    );
    assert!(v["object"].get("tags").is_none());
}

#[test]
fn implied_activity_writes_the_bare_object_with_the_actor_as_author() {
    let a = Activity {
        implied: true,
        actor: Some(Box::new(person("acct:carol@pump.example"))),
        object: Some(Box::new(Node::Object(Object {
            kind: ObjectType::Article,
            event: None,
            props: Props {
                id: Some("https://pump.example/api/article/1".into()),
                name: Some("Title".into()),
                ..Props::default()
            },
        }))),
        ..Activity::default()
    };
    let v = enc(a.clone());
    assert!(v.get("verb").is_none());
    assert_eq!(v["objectType"], "article");
    assert_eq!(v["author"]["id"], "acct:carol@pump.example");
    let back = pump::decode(
        pump::encode(&Document::Activity(a.clone())).as_bytes(),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(back, Document::Activity(a));
}

#[test]
fn feed_shape() {
    let f = Feed {
        total_items: Some(1),
        entries: vec![Activity {
            verb: VerbTerm::parse("post"),
            object: Some(Box::new(Node::Ref(
                "https://pump.example/api/note/1".into(),
            ))),
            ..Activity::default()
        }],
        ..Feed::default()
    };
    let v: Value = serde_json::from_str(&pump::encode(&Document::Feed(f.clone()))).unwrap();
    assert_eq!(
        v,
        json!({
            "objectType": "collection",
            "totalItems": 1,
            "items": [{"verb": "post", "object": {"id": "https://pump.example/api/note/1"}}]
        })
    );
    let back = pump::decode(
        pump::encode(&Document::Feed(f.clone())).as_bytes(),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(back, Document::Feed(f));
}
