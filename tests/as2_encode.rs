#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Encoding models that the translate layer builds (not read from AS2).

use ostatus_bridge::codec::{Limits, as2};
use ostatus_bridge::model::{
    Activity, Actor, Addressee, Document, Endpoints, Node, Object, ObjectType, Props, Text, Verb,
    VerbTerm,
};
use serde_json::json;

fn actor(id: &str) -> Actor {
    Actor {
        props: Props {
            id: Some(id.into()),
            ..Props::default()
        },
        ..Actor::default()
    }
}

fn act(verb: Verb, object: Option<Node>) -> Activity {
    Activity {
        verb: VerbTerm::new(verb),
        actor: Some(Box::new(actor("https://b.example/users/alice"))),
        object: object.map(Box::new),
        props: Props {
            id: Some("https://b.example/act/1".into()),
            ..Props::default()
        },
        ..Activity::default()
    }
}

fn enc(a: Activity) -> serde_json::Value {
    as2::encode_value(&Document::Activity(a))
}

#[test]
fn reversals_become_undo_of_a_synthesised_activity() {
    for (verb, inner) in [
        (Verb::Unfollow, "Follow"),
        (Verb::Unfavorite, "Like"),
        (Verb::Unblock, "Block"),
        (Verb::Unshare, "Announce"),
    ] {
        let v = enc(act(
            verb,
            Some(Node::Ref("https://c.example/users/bob".into())),
        ));
        assert_eq!(v["type"], "Undo");
        assert_eq!(v["actor"], "https://b.example/users/alice");
        assert_eq!(
            v["object"],
            json!({"type": inner, "actor": "https://b.example/users/alice",
                   "object": "https://c.example/users/bob"})
        );
        // Reads back as the generic Undo with the inner activity.
        let back = as2::decode(v.to_string().as_bytes(), &Limits::default()).unwrap();
        let Document::Activity(b) = back else {
            panic!()
        };
        assert_eq!(*b.verb(), Verb::Undo);
    }
}

#[test]
fn verb_spellings() {
    let cases = [
        (Verb::Post, "Create"),
        (Verb::Share, "Announce"),
        (Verb::Favorite, "Like"),
        (Verb::RequestFriend, "Follow"),
        (Verb::Authorize, "Accept"),
        (Verb::RsvpYes, "Accept"),
        (Verb::RsvpNo, "Reject"),
        (Verb::RsvpMaybe, "TentativeAccept"),
        (Verb::Tag, "Add"),
        (Verb::Untag, "Remove"),
        (Verb::Flag, "Flag"),
        (Verb::Unknown("Listen".into()), "Listen"),
    ];
    for (verb, ty) in cases {
        let v = enc(act(verb.clone(), None));
        assert_eq!(v["type"], ty, "{verb:?}");
        assert!(v.get("ostatus:verb").is_none());
    }
    let v = enc(act(
        Verb::Unknown("http://activitystrea.ms/schema/1.0/checkin".into()),
        None,
    ));
    assert_eq!(v["type"], "Activity");
    assert_eq!(
        v["ostatus:verb"],
        "http://activitystrea.ms/schema/1.0/checkin"
    );
}

#[test]
fn update_profile_without_object_writes_the_actor() {
    let mut a = act(Verb::UpdateProfile, None);
    a.actor.as_mut().unwrap().props.name = Some("Alice".into());
    let v = enc(a);
    assert_eq!(v["type"], "Update");
    assert_eq!(v["object"]["type"], "Person");
    assert_eq!(v["object"]["name"], "Alice");
    assert_eq!(v["actor"]["id"], "https://b.example/users/alice");
}

#[test]
fn followers_written_only_when_known() {
    let note = Object {
        kind: ObjectType::Comment,
        props: Props {
            content: Some(Text::html("<p>hi</p>")),
            audience: ostatus_bridge::model::Audience {
                to: vec![Addressee::Public],
                cc: vec![Addressee::Followers],
                ..Default::default()
            },
            ..Props::default()
        },
        ..Object::default()
    };
    let mut a = act(Verb::Post, Some(Node::Object(note)));
    a.props.audience.cc = vec![Addressee::Followers];
    let v = enc(a.clone());
    assert!(v.get("cc").is_none(), "unknown followers URL is dropped");
    assert!(v["object"].get("cc").is_none());
    assert_eq!(
        v["object"]["to"],
        json!(["https://www.w3.org/ns/activitystreams#Public"])
    );
    assert_eq!(v["object"]["type"], "Note");
    assert_eq!(v["object"]["ostatus:objectType"], "comment");

    a.actor.as_mut().unwrap().endpoints = Endpoints {
        followers: Some("https://b.example/users/alice/followers".into()),
        ..Endpoints::default()
    };
    let v = enc(a);
    assert_eq!(v["cc"], json!(["https://b.example/users/alice/followers"]));
    assert_eq!(
        v["object"]["cc"],
        json!(["https://b.example/users/alice/followers"])
    );
    // The actor is no longer id-only, so it is written in full.
    assert_eq!(
        v["actor"]["followers"],
        "https://b.example/users/alice/followers"
    );
}

#[test]
fn only_the_root_has_a_context() {
    let inner = act(Verb::Follow, Some(Node::Ref("https://c.example/u".into())));
    let v = enc(act(Verb::Authorize, Some(Node::Activity(Box::new(inner)))));
    assert_eq!(v["@context"][0], "https://www.w3.org/ns/activitystreams");
    assert_eq!(v["@context"][1], "https://w3id.org/security/v1");
    assert_eq!(v["@context"][2]["ostatus"], "http://ostatus.org#");
    assert_eq!(v["@context"][2]["Hashtag"], "as:Hashtag");
    assert_eq!(v["@context"][2]["mz"], "https://joinmobilizon.org/ns#");
    assert!(v["object"].get("@context").is_none());
    assert_eq!(v["object"]["type"], "Follow");
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["@context", "id", "type", "actor", "object"]);
    let same = as2::encode_activity_value(&act(Verb::Block, None));
    assert_eq!(same["@context"], v["@context"]);
}
