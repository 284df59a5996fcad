#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Named-field assertions for every Pump.io fixture and every granary AS1 fixture.

use ostatus_bridge::codec::{Limits, pump};
use ostatus_bridge::model::{
    Activity, Actor, Addressee, Document, Feed, MentionKind, Node, Object, ObjectType, Verb,
};

fn doc(path: &str) -> Document {
    let bytes = std::fs::read(path).unwrap();
    pump::decode(&bytes, &Limits::default()).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn act(path: &str) -> Activity {
    match doc(path) {
        Document::Activity(a) => a,
        Document::Feed(_) => panic!("{path}: feed"),
    }
}

fn pump(name: &str) -> Activity {
    act(&format!("fixtures/pump/{name}.json"))
}

fn granary(name: &str) -> Activity {
    act(&format!("fixtures/external/granary/{name}.as.json"))
}

fn object(a: &Activity) -> &Object {
    match a.object.as_deref() {
        Some(Node::Object(o)) => o,
        other => panic!("{other:?}"),
    }
}

fn object_actor(a: &Activity) -> &Actor {
    match a.object.as_deref() {
        Some(Node::Actor(o)) => o,
        other => panic!("{other:?}"),
    }
}

fn actor_id(a: &Activity) -> Option<&str> {
    a.actor.as_deref().and_then(|x| x.props.id.as_deref())
}

fn id(s: &str) -> Addressee {
    Addressee::Id(s.into())
}

const NOTE: &str = "https://pump.example/api/note/pVb7t8r4Rv-3ZyZkq8hG2w";

#[test]
fn post_note_public() {
    let a = pump("post_note_public");
    assert_eq!(*a.verb(), Verb::Post);
    assert_eq!(a.verb.spelling(), Some("post"));
    assert!(!a.implied);
    assert_eq!(
        a.props.id.as_deref(),
        Some("https://pump.example/api/activity/Xq3vN0aLS_2mRkFh1cWbTQ")
    );
    assert_eq!(a.props.audience.to, [Addressee::Public]);
    assert_eq!(
        a.props.audience.cc,
        [id("https://pump.example/api/user/carol/followers")]
    );
    assert_eq!(
        a.props.published.as_ref().unwrap().as_str(),
        "2014-03-01T12:00:00Z"
    );
    // Activity-level members without a model field are kept in order.
    let keys: Vec<_> = a.props.extensions.json().map(|(k, _)| k).collect();
    assert_eq!(keys, ["generator", "links"]);

    let actor = a.actor.as_deref().unwrap();
    assert_eq!(actor.kind, ObjectType::Person);
    assert_eq!(actor.props.id.as_deref(), Some("acct:carol@pump.example"));
    assert_eq!(actor.props.name.as_deref(), Some("Carol Ruiz"));
    assert_eq!(actor.username.as_deref(), Some("carol"));
    assert_eq!(
        actor.props.url.as_deref(),
        Some("https://pump.example/carol")
    );
    assert_eq!(
        actor.avatar().unwrap().url,
        "https://pump.example/uploads/carol/avatar.png"
    );
    assert_eq!(actor.avatar().unwrap().width, Some(96));
    assert_eq!(
        actor.endpoints.inbox.as_deref(),
        Some("https://pump.example/api/user/carol/inbox")
    );
    assert_eq!(
        actor.endpoints.outbox.as_deref(),
        Some("https://pump.example/api/user/carol/feed")
    );
    assert_eq!(
        actor.endpoints.followers.as_deref(),
        Some("https://pump.example/api/user/carol/followers")
    );
    // `links` has `self` and `followers` has `totalItems`: both kept verbatim too.
    assert!(
        actor.props.extensions.json_get("pump:raw:links").unwrap()["self"]["href"]
            .as_str()
            .unwrap()
            .ends_with("/profile")
    );
    assert_eq!(
        actor
            .props
            .extensions
            .json_get("pump:raw:followers")
            .unwrap()["totalItems"],
        12
    );

    let o = object(&a);
    assert_eq!(o.kind, ObjectType::Note);
    assert_eq!(o.props.id.as_deref(), Some(NOTE));
    assert_eq!(
        o.props.content.as_ref().unwrap().value,
        "<p>hello fediverse, greetings from #pumpio</p>"
    );
    assert_eq!(o.props.hashtags.len(), 1);
    assert_eq!(o.props.hashtags[0].name, "pumpio");
    assert_eq!(
        o.props.hashtags[0].href.as_deref(),
        Some("https://pump.example/tag/pumpio")
    );
    let keys: Vec<_> = o.props.extensions.json().map(|(k, _)| k).collect();
    assert_eq!(keys, ["links", "replies", "likes", "shares"]);
}

#[test]
fn reply_comment() {
    let a = pump("reply_comment");
    assert_eq!(*a.verb(), Verb::Post);
    assert_eq!(actor_id(&a), Some("acct:dmitri@pump.example"));
    assert_eq!(a.props.audience.to, [id("acct:carol@pump.example")]);
    assert_eq!(a.props.audience.cc, [Addressee::Public]);
    let o = object(&a);
    assert_eq!(o.kind, ObjectType::Comment);
    assert_eq!(o.props.in_reply_to.len(), 1);
    assert_eq!(o.props.in_reply_to[0].id, NOTE);
    assert_eq!(
        o.props.in_reply_to[0].url.as_deref(),
        Some("https://pump.example/carol/note/pVb7t8r4Rv-3ZyZkq8hG2w")
    );
    // The whole parent object is kept as a raw copy.
    assert_eq!(
        o.props.extensions.json_get("pump:raw:inReplyTo").unwrap()["objectType"],
        "note"
    );
    assert_eq!(o.props.mentions.len(), 1);
    assert_eq!(o.props.mentions[0].href, "acct:carol@pump.example");
    assert_eq!(o.props.mentions[0].name.as_deref(), Some("Carol Ruiz"));
    assert_eq!(o.props.mentions[0].kind, MentionKind::Person);
}

#[test]
fn favorite_and_unfavorite() {
    let a = pump("favorite");
    assert_eq!(*a.verb(), Verb::Favorite);
    assert_eq!(a.verb.pump_token(), "favorite");
    assert_eq!(actor_id(&a), Some("acct:dmitri@pump.example"));
    assert_eq!(object(&a).props.id.as_deref(), Some(NOTE));
    assert_eq!(object(&a).kind, ObjectType::Note);
    assert_eq!(a.props.audience.to, [id("acct:carol@pump.example")]);

    let a = pump("unfavorite");
    assert_eq!(*a.verb(), Verb::Unfavorite);
    assert_eq!(object(&a).props.id.as_deref(), Some(NOTE));
    assert!(a.props.audience.is_empty());
}

#[test]
fn share_and_unshare() {
    let a = pump("share");
    assert_eq!(*a.verb(), Verb::Share);
    let o = object(&a);
    assert_eq!(o.props.id.as_deref(), Some(NOTE));
    let author = o.props.author.as_deref().unwrap();
    assert_eq!(author.props.id.as_deref(), Some("acct:carol@pump.example"));
    assert_eq!(author.props.name.as_deref(), Some("Carol Ruiz"));
    assert_eq!(
        a.props.audience.to,
        [id("https://pump.example/api/user/dmitri/followers")]
    );

    let a = pump("unshare");
    assert_eq!(*a.verb(), Verb::Unshare);
    assert_eq!(object(&a).props.id.as_deref(), Some(NOTE));
}

#[test]
fn follow_and_stop_following() {
    let a = pump("follow");
    assert_eq!(*a.verb(), Verb::Follow);
    let followee = object_actor(&a);
    assert_eq!(
        followee.props.id.as_deref(),
        Some("acct:erin@other.example")
    );
    assert_eq!(followee.props.name.as_deref(), Some("Erin"));
    assert_eq!(a.props.audience.to, [id("acct:erin@other.example")]);

    let a = pump("stop_following");
    assert_eq!(*a.verb(), Verb::Unfollow);
    assert_eq!(a.verb.pump_token(), "stop-following");
    assert_eq!(
        object_actor(&a).props.id.as_deref(),
        Some("acct:erin@other.example")
    );
}

#[test]
fn update_person_is_a_profile_update() {
    let a = pump("update_person");
    assert_eq!(*a.verb(), Verb::UpdateProfile);
    assert_eq!(a.verb.pump_token(), "update-profile");
    let p = object_actor(&a);
    assert_eq!(p.props.id.as_deref(), Some("acct:carol@pump.example"));
    assert_eq!(p.props.name.as_deref(), Some("Carol R."));
    assert_eq!(
        p.props.summary.as_ref().unwrap().value,
        "Gardener. Writes about <b>seeds</b>."
    );
    assert_eq!(
        p.avatar().unwrap().url,
        "https://pump.example/uploads/carol/avatar2.png"
    );
    assert_eq!(
        p.props.location.as_ref().unwrap().name.as_deref(),
        Some("Lyon, France")
    );
    assert_eq!(
        p.endpoints.following.as_deref(),
        Some("https://pump.example/api/user/carol/following")
    );
    assert!(p.props.extensions.json_get("favorites").is_some());
    assert!(p.props.extensions.json_get("lists").is_some());
    assert_eq!(a.props.audience.to, [Addressee::Public]);
}

#[test]
fn delete() {
    let a = pump("delete");
    assert_eq!(*a.verb(), Verb::Delete);
    let o = object(&a);
    assert_eq!(o.props.id.as_deref(), Some(NOTE));
    assert_eq!(
        o.props.extensions.json_get("deleted").unwrap(),
        "2014-03-05T10:00:00Z"
    );
}

#[test]
fn note_with_image() {
    let a = pump("note_with_image");
    let o = object(&a);
    assert_eq!(o.kind, ObjectType::Image);
    assert_eq!(o.props.name.as_deref(), Some("First tomato"));
    let img = o.props.image.as_ref().unwrap();
    assert_eq!(
        img.url,
        "https://pump.example/uploads/carol/2014/3/6/tomato_thumb.jpg"
    );
    assert_eq!((img.width, img.height), (Some(320), Some(240)));
    assert_eq!(
        o.props.extensions.json_get("fullImage").unwrap()["width"],
        1600
    );
    assert_eq!(a.props.audience.to, [Addressee::Public]);
}

#[test]
fn post_with_location() {
    let a = pump("post_with_location");
    let place = object(&a).props.location.as_ref().unwrap();
    assert_eq!(place.name.as_deref(), Some("Marché de la Croix-Rousse"));
    assert_eq!(place.latitude, Some(45.7745));
    assert_eq!(place.longitude, Some(4.8318));
    assert_eq!(place.altitude, Some(254.0));
    let addr = place.address.as_ref().unwrap();
    assert_eq!(addr.locality.as_deref(), Some("Lyon"));
    assert_eq!(addr.postal_code.as_deref(), Some("69004"));
    assert_eq!(addr.street.as_deref(), Some("Boulevard de la Croix-Rousse"));
    assert_eq!(addr.region.as_deref(), Some("Auvergne-Rhône-Alpes"));
    assert_eq!(addr.country.as_deref(), Some("France"));
    assert!(addr.formatted.as_deref().unwrap().starts_with("Boulevard"));
    let here = a.props.location.as_ref().unwrap();
    assert_eq!(here.name.as_deref(), Some("Lyon"));
    assert_eq!(here.latitude, Some(45.76));
    assert!(here.altitude.is_none());
}

#[test]
fn join_group() {
    let a = pump("join_group");
    assert_eq!(*a.verb(), Verb::Join);
    let g = object_actor(&a);
    assert_eq!(g.kind, ObjectType::Group);
    assert_eq!(g.props.name.as_deref(), Some("Lyon gardeners"));
    assert!(g.props.extensions.json_get("members").is_some());
}

#[test]
fn inbox_collection() {
    let f: Feed = match doc("fixtures/pump/inbox_collection.json") {
        Document::Feed(f) => f,
        Document::Activity(_) => panic!("not a feed"),
    };
    assert_eq!(f.title.as_deref(), Some("Activities for Carol R."));
    assert_eq!(f.total_items, Some(42));
    assert_eq!(
        f.links.alternate.as_deref(),
        Some("https://pump.example/api/user/carol/inbox")
    );
    assert_eq!(
        f.links.self_.as_deref(),
        Some("https://pump.example/api/user/carol/inbox")
    );
    assert!(f.links.next.as_deref().unwrap().contains("before="));
    assert!(f.links.prev.as_deref().unwrap().contains("since="));
    assert_eq!(
        f.author.as_ref().unwrap().props.id.as_deref(),
        Some("acct:carol@pump.example")
    );
    assert_eq!(f.entries.len(), 2);
    assert_eq!(*f.entries[0].verb(), Verb::Favorite);
    assert_eq!(*f.entries[1].verb(), Verb::Post);
    assert_eq!(f.entries[1].props.audience.to, [Addressee::Public]);
    // `links.first` has no model field: the links object is kept verbatim.
    assert!(
        f.extensions
            .json_get("pump:raw:links")
            .unwrap()
            .get("first")
            .is_some()
    );
}

#[test]
fn granary_comment() {
    let a = granary("comment");
    assert!(a.implied);
    assert_eq!(*a.verb(), Verb::Post);
    assert!(a.actor.is_none());
    let o = object(&a);
    assert_eq!(o.kind, ObjectType::Comment);
    assert_eq!(
        o.props.id.as_deref(),
        Some("tag:example.com,2001:547822715231468_6796480")
    );
    assert_eq!(o.props.in_reply_to.len(), 1);
    assert_eq!(
        o.props.in_reply_to[0].id,
        "http://example.com/original/post"
    );
    let place = o.props.location.as_ref().unwrap();
    assert_eq!(place.id.as_deref(), Some("31cb9e7ed29dbe52"));
    assert_eq!(place.name.as_deref(), Some("Carcassonne, Aude"));
}

#[test]
fn granary_event() {
    let a = granary("event");
    let o = object(&a);
    assert_eq!(o.kind, ObjectType::Event);
    assert_eq!(o.props.name.as_deref(), Some("XYZ"));
    assert_eq!(o.props.summary.as_ref().unwrap().value, "it's happening!");
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
}

#[test]
fn granary_follow() {
    let a = granary("follow");
    assert_eq!(*a.verb(), Verb::Follow);
    assert_eq!(a.props.id.as_deref(), Some("tag:example.com,2001:98765"));
    assert_eq!(
        a.props.url.as_deref(),
        Some("http://example.com/this/follow")
    );
    assert_eq!(
        a.object.as_deref(),
        Some(&Node::Ref("http://followee".into()))
    );
    let actor = a.actor.as_deref().unwrap();
    assert_eq!(actor.props.url.as_deref(), Some("http://follower/"));
    // granary's activity objectType is kept.
    assert_eq!(
        a.props.extensions.json_get("objectType").unwrap(),
        "activity"
    );
}

#[test]
fn granary_like() {
    let a = granary("like");
    assert_eq!(*a.verb(), Verb::Favorite);
    assert_eq!(a.verb.pump_token(), "like");
    assert_eq!(
        a.object.as_deref(),
        Some(&Node::Ref("http://example.com/original/post".into()))
    );
    assert_eq!(
        a.actor.as_deref().unwrap().props.name.as_deref(),
        Some("Alice")
    );
}

#[test]
fn granary_note() {
    let a = granary("note");
    assert!(a.implied);
    let actor = a.actor.as_deref().unwrap();
    assert_eq!(actor.props.id.as_deref(), Some("tag:example.com,2001:ryan"));
    assert_eq!(actor.props.name.as_deref(), Some("Ryan Barrett"));
    assert_eq!(actor.avatars[0].url, "http://example.com/ryan/image");
    let o = object(&a);
    assert!(o.props.author.is_none(), "moved to the activity");
    assert_eq!(
        o.props.summary.as_ref().unwrap().value,
        "too cool to summarize"
    );
    assert_eq!(
        o.props.image.as_ref().unwrap().url,
        "http://example.com/blog-post-123/image"
    );
    let place = o.props.location.as_ref().unwrap();
    assert_eq!(place.latitude, Some(50.820641));
    assert_eq!(place.longitude, Some(-0.149522));
    // A link tag is neither hashtag nor mention: the tags list is kept verbatim.
    assert!(o.props.hashtags.is_empty() && o.props.mentions.is_empty());
    assert!(o.props.extensions.json_get("pump:raw:tags").is_some());
    assert!(o.props.extensions.json_get("upstreamDuplicates").is_some());
}

#[test]
fn granary_note_unlisted() {
    let a = granary("note_unlisted");
    let o = object(&a);
    assert!(o.props.audience.to.is_empty());
    assert_eq!(o.props.audience.cc, [Addressee::Public]);
}

#[test]
fn granary_note_with_mention() {
    let a = granary("note_with_mention");
    let o = object(&a);
    assert_eq!(o.props.mentions.len(), 1);
    assert_eq!(o.props.mentions[0].href, "https://alice/");
    assert_eq!(o.props.mentions[0].name.as_deref(), Some("Alice"));
}

#[test]
fn granary_repost() {
    let a = granary("repost");
    assert_eq!(*a.verb(), Verb::Share);
    let o = object(&a);
    assert_eq!(o.kind, ObjectType::Article);
    assert_eq!(
        o.props.url.as_deref(),
        Some("http://example.com/original/post")
    );
    assert_eq!(
        o.props.author.as_deref().unwrap().props.name.as_deref(),
        Some("Bob")
    );
}

#[test]
fn granary_unfollow() {
    let a = granary("unfollow");
    assert_eq!(*a.verb(), Verb::Unfollow);
    assert_eq!(actor_id(&a), Some("tag:example.com,2001:follower"));
    assert_eq!(
        a.object.as_deref(),
        Some(&Node::Ref("tag:example.com,2001:followee".into()))
    );
}

#[test]
fn granary_update_person() {
    let a = granary("update_person");
    assert_eq!(*a.verb(), Verb::UpdateProfile);
    assert_eq!(actor_id(&a), Some("https://example.com/martin"));
    let p = object_actor(&a);
    assert_eq!(p.props.url.as_deref(), Some("https://example.com/martin"));
    assert_eq!(
        p.props.extensions.json_get("pump:raw:url").unwrap()["displayName"],
        "super cool"
    );
}
