#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Named-field assertions on real fixtures: what each peer's Atom means in the model.

use ostatus_bridge::codec::{Limits, atom};
use ostatus_bridge::model::{
    Activity, Actor, Addressee, Document, Feed, MentionKind, Node, Object, ObjectType, Props,
    TextFormat, Verb, Visibility,
};

fn load(name: &str) -> Document {
    let path = format!("{}/fixtures/external/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap();
    atom::decode(&bytes, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn feed(name: &str) -> Feed {
    match load(name) {
        Document::Feed(f) => f,
        other => panic!("{name}: not a feed: {other:?}"),
    }
}

fn entry(name: &str) -> Activity {
    match load(name) {
        Document::Activity(a) => a,
        Document::Feed(f) => f.entries.into_iter().next().unwrap(),
    }
}

fn object(a: &Activity) -> &Object {
    match a.object.as_deref() {
        Some(Node::Object(o)) => o,
        other => panic!("not an object: {other:?}"),
    }
}

fn actor_node(n: Option<&Node>) -> &Actor {
    match n {
        Some(Node::Actor(a)) => a,
        other => panic!("not an actor: {other:?}"),
    }
}

fn actor(a: &Activity) -> &Actor {
    a.actor.as_deref().expect("actor")
}

fn id(p: &Props) -> &str {
    p.id.as_deref().unwrap()
}

fn ts(p: &Props) -> (&str, &str) {
    (
        p.published.as_ref().unwrap().as_str(),
        p.updated.as_ref().unwrap().as_str(),
    )
}

#[test]
fn share_gs_nests_the_original_activity() {
    let a = entry("pleroma/share-gs.xml");
    assert_eq!(*a.verb(), Verb::Share);
    assert!(!a.implied);
    assert_eq!(
        id(&a.props),
        "tag:social.heldscal.la,2017-05-03:noticeId=2028428:objectType=note"
    );
    assert_eq!(
        a.props.name.as_deref(),
        Some("lambadalambda repeated a notice by lain")
    );
    assert_eq!(actor(&a).username.as_deref(), Some("lambadalambda"));
    assert_eq!(actor(&a).props.name.as_deref(), Some("Constance Variable"));
    assert_eq!(
        actor(&a).props.id.as_deref(),
        Some("https://social.heldscal.la/user/23211")
    );
    let Some(Node::Activity(inner)) = a.object.as_deref() else {
        panic!("expected a nested activity")
    };
    assert_eq!(*inner.verb(), Verb::Post);
    assert_eq!(
        id(&inner.props),
        "https://pleroma.soykaf.com/objects/4c1bda26-902e-4525-9fcd-b9fd44925193"
    );
    assert_eq!(actor(inner).username.as_deref(), Some("lain"));
    assert_eq!(actor(inner).props.name.as_deref(), Some("Lain Iwakura"));
    assert_eq!(actor(inner).avatars.len(), 4);
    assert_eq!(actor(inner).avatars[0].width, Some(250));
    assert_eq!(actor(inner).avatars[0].height, Some(202));
    let note = object(inner);
    assert_eq!(note.kind, ObjectType::Note);
    assert_eq!(
        note.props.content.as_ref().unwrap().format,
        TextFormat::Html
    );
    assert_eq!(
        note.props.content.as_ref().unwrap().lang.as_deref(),
        Some("en-US")
    );
    assert_eq!(
        inner.props.conversation.as_deref(),
        Some("https://pleroma.soykaf.com/contexts/ede39a2b-7cf3-4fa4-8ccd-cb97431bcc22")
    );
    assert_eq!(inner.props.audience.to, vec![Addressee::Public]);
}

#[test]
fn mastodon_share_puts_the_note_straight_in_the_object() {
    let a = entry("pleroma/share.xml");
    assert_eq!(*a.verb(), Verb::Share);
    assert_eq!(
        id(&a.props),
        "tag:mastodon.social,2017-05-03:objectId=4934452:objectType=Status"
    );
    assert_eq!(a.props.scope, Some(Visibility::Public));
    assert_eq!(a.props.audience.to, vec![Addressee::Public]);
    assert_eq!(
        actor(&a).email.as_deref(),
        Some("lambadalambda@mastodon.social")
    );
    assert_eq!(actor(&a).locked, Some(false));
    let note = object(&a);
    assert_eq!(note.kind, ObjectType::Note);
    assert_eq!(
        id(&note.props),
        "https://pleroma.soykaf.com/objects/4c1bda26-902e-4525-9fcd-b9fd44925193"
    );
    let author = note.props.author.as_deref().unwrap();
    assert_eq!(author.username.as_deref(), Some("lain"));
    assert_eq!(author.props.name.as_deref(), Some("Lain Iwakura"));
    assert_eq!(
        author.props.summary.as_ref().unwrap().format,
        TextFormat::Html
    );
    assert_eq!(note.props.scope, Some(Visibility::Public));
    assert_eq!(
        note.props.content.as_ref().unwrap().lang.as_deref(),
        Some("en")
    );
    assert_eq!(
        ts(&note.props),
        ("2017-05-03T08:04:44Z", "2017-05-03T08:05:52Z")
    );
}

#[test]
fn gnu_social_reblog_of_a_mastodon_status() {
    let a = entry("mastodon/push/reblog.atom");
    assert_eq!(*a.verb(), Verb::Share);
    assert_eq!(actor(&a).username.as_deref(), Some("dtluna"));
    assert_eq!(
        actor(&a)
            .props
            .location
            .as_ref()
            .unwrap()
            .address
            .as_ref()
            .unwrap()
            .formatted
            .as_deref(),
        Some("Minsk, Belarus")
    );
    assert_eq!(actor(&a).fields[0].name, "homepage");
    assert_eq!(actor(&a).fields[0].value, "https://liberapay.com/dtluna/");
    let Some(Node::Activity(inner)) = a.object.as_deref() else {
        panic!("expected nested activity")
    };
    assert_eq!(actor(inner).username.as_deref(), Some("gargron"));
    assert_eq!(actor(inner).props.name.as_deref(), Some("Eugen"));
    assert_eq!(
        id(&object(inner).props),
        "tag:mastodon.social,2016-09-03:objectId=5984:objectType=Status"
    );
    // Text-only conversation element.
    assert_eq!(
        inner.props.conversation.as_deref(),
        Some("tag:gs.smuglo.li,2016-09-03:objectType=thread:nonce=aec0feafff16e2cf")
    );
}

#[test]
fn favorite_of_a_comment() {
    let a = entry("pleroma/favorite.xml");
    assert_eq!(*a.verb(), Verb::Favorite);
    assert_eq!(a.props.name.as_deref(), Some("Favorite"));
    let o = object(&a);
    assert_eq!(o.kind, ObjectType::Comment);
    assert_eq!(
        id(&o.props),
        "tag:shitposter.club,2017-05-05:noticeId=2827873:objectType=comment"
    );
    assert_eq!(
        o.props.url.as_deref(),
        Some("https://shitposter.club/notice/2827873")
    );
    let r = &a.props.in_reply_to[0];
    assert_eq!(
        r.id,
        "tag:shitposter.club,2017-05-05:noticeId=2827873:objectType=comment"
    );
    assert_eq!(
        r.url.as_deref(),
        Some("https://shitposter.club/notice/2827873")
    );
    // The element's ref wins over the local conversation link.
    assert_eq!(
        a.props.conversation.as_deref(),
        Some("tag:social.heldscal.la,2017-05-05:objectType=thread:nonce=55ead90125cd4bd4")
    );
    // Entry without author in a feed: the feed author acts.
    assert_eq!(actor(&a).username.as_deref(), Some("lambadalambda"));
}

#[test]
fn follow_and_unfollow_target_a_person() {
    let a = entry("pleroma/follow.xml");
    assert_eq!(*a.verb(), Verb::Follow);
    assert!(a.verb.spelling().is_none(), "default IRI needs no spelling");
    let p = actor_node(a.object.as_deref());
    assert_eq!(p.kind, ObjectType::Person);
    assert_eq!(
        p.props.id.as_deref(),
        Some("https://pawoo.net/users/pekorino")
    );
    assert_eq!(p.username.as_deref(), Some("pekorino"));
    assert_eq!(p.props.name.as_deref(), Some("ｍｏｎｏ"));
    assert_eq!(p.props.url.as_deref(), Some("https://pawoo.net/@pekorino"));
    assert_eq!(p.avatars.len(), 3);

    let u = entry("pleroma/unfollow.xml");
    assert_eq!(*u.verb(), Verb::Unfollow);
    // Pleroma's namespace is remembered so the answer goes back in its dialect.
    assert_eq!(
        u.verb.atom_iri(),
        "http://activitystrea.ms/schema/1.0/unfollow"
    );
    assert_eq!(
        id(&u.props),
        "undo:tag:social.heldscal.la,2017-05-07:subscription:23211:person:44803:2017-05-07T09:54:48+00:00"
    );
    let p = actor_node(u.object.as_deref());
    assert_eq!(
        p.props.id.as_deref(),
        Some("https://pawoo.net/users/pekorino")
    );
    assert_eq!(
        p.props.summary.as_ref().unwrap().value,
        "http://shitposter.club/mono   孤独のグルメ"
    );
}

#[test]
fn mastodon_delete_is_a_shorthand_entry_naming_the_status() {
    let f = feed("pleroma/delete.xml");
    let a = f.entries.last().unwrap();
    assert_eq!(*a.verb(), Verb::Delete);
    assert!(a.implied);
    let o = object(a);
    assert_eq!(o.kind, ObjectType::Activity);
    assert_eq!(
        id(&o.props),
        "tag:mastodon.sdf.org,2017-06-10:objectId=310513:objectType=Status"
    );
    assert_eq!(o.props.content.as_ref().unwrap().value, "Deleted status");
    assert_eq!(o.props.content.as_ref().unwrap().format, TextFormat::Text);
}

#[test]
fn direct_message() {
    let a = entry("pleroma/dm.xml");
    assert!(a.implied);
    assert_eq!(*a.verb(), Verb::Post);
    let o = object(&a);
    assert_eq!(o.props.scope, Some(Visibility::Direct));
    assert!(o.props.audience.to.is_empty());
    assert_eq!(o.props.mentions.len(), 1);
    assert_eq!(
        o.props.mentions[0].href,
        "https://pleroma.soykaf.com/users/lain"
    );
    assert_eq!(o.props.mentions[0].kind, MentionKind::Person);
    assert_eq!(
        o.props.content.as_ref().unwrap().lang.as_deref(),
        Some("ky")
    );
    assert_eq!(
        o.props.conversation.as_deref(),
        Some("tag:mastodon.social,2017-06-30:objectId=4009714:objectType=Conversation")
    );
    assert_eq!(o.props.name.as_deref(), Some("New status by lambadalambda"));
    assert_eq!(
        ts(&o.props),
        ("2017-06-30T13:27:47Z", "2017-06-30T13:27:47Z")
    );
    let au = actor(&a);
    assert_eq!(au.username.as_deref(), Some("lambadalambda"));
    assert_eq!(au.props.name.as_deref(), Some("Critical Value"));
    assert_eq!(au.locked, Some(false));
}

#[test]
fn unlisted_and_content_warning() {
    for (name, scope, public) in [
        (
            "pleroma/mastodon-note-unlisted.xml",
            Visibility::Unlisted,
            false,
        ),
        ("pleroma/mastodon-note-cw.xml", Visibility::Public, true),
    ] {
        let f = feed(name);
        let a = f.entries.last().unwrap();
        let o = object(a);
        assert_eq!(o.props.scope, Some(scope), "{name}");
        assert_eq!(
            o.props.audience.to.contains(&Addressee::Public),
            public,
            "{name}"
        );
        let cw = o.props.summary.as_ref().unwrap();
        assert_eq!(cw.value, "technologic");
        assert_eq!(cw.lang.as_deref(), Some("sv"));
        let c = o.props.content.as_ref().unwrap();
        assert_eq!(c.value, "<p>test</p>");
        assert_eq!(c.format, TextFormat::Html);
        assert_eq!(
            id(&o.props),
            "tag:mastodon.social,2017-05-10:objectId=5551985:objectType=Status"
        );
        assert_eq!(actor(a).username.as_deref(), Some("lambadalambda"));
    }
}

#[test]
fn nil_mention_is_skipped_and_group_is_a_group() {
    let a = entry("pleroma/nil_mention_entry.xml");
    let o = object(&a);
    assert_eq!(o.props.mentions.len(), 1);
    assert_eq!(o.props.mentions[0].href, "http://quitter.se/group/2184/id");
    assert_eq!(o.props.mentions[0].kind, MentionKind::Group);
    assert_eq!(o.props.audience.to, vec![Addressee::Public]);
    assert_eq!(actor(&a).username.as_deref(), Some("atarifrosch"));
}

#[test]
fn gnu_social_reply_conversation_forms() {
    let a = entry("pleroma/ostatus_incoming_reply.xml");
    let o = object(&a);
    assert_eq!(o.kind, ObjectType::Comment);
    assert_eq!(
        o.props.in_reply_to[0].id,
        "tag:gs.archae.me,2017-04-30:noticeId=778260:objectType=note"
    );
    assert_eq!(
        o.props.in_reply_to[0].url.as_deref(),
        Some("https://gs.archae.me/notice/778260")
    );
    assert_eq!(
        o.props.conversation.as_deref(),
        Some("https://gs.archae.me/conversation/327120")
    );
    assert_eq!(o.props.mentions[0].href, "https://gs.archae.me/user/4687");
    assert_eq!(o.props.audience.to, vec![Addressee::Public]);
    // Unknown elements and links are kept, in order.
    let ext: Vec<_> = o.props.extensions.xml().map(|x| x.name.as_str()).collect();
    assert_eq!(ext, ["status_net", "link", "link", "link", "notice_info"]);
}

#[test]
fn gnu_social_attachments() {
    let a = entry("pleroma/incoming_websub_gnusocial_attachments.xml");
    let o = object(&a);
    assert_eq!(o.props.attachments.len(), 2);
    let at = &o.props.attachments[0];
    assert_eq!(at.kind, ObjectType::Image);
    assert_eq!(at.media.media_type.as_deref(), Some("image/gif"));
    assert_eq!(at.size, Some(17283));
    assert!(at.media.url.ends_with("3d4.gif"));
    assert_eq!(o.props.attachments[1].size, Some(6965));
    assert_eq!(
        o.props.conversation.as_deref(),
        Some("tag:social.heldscal.la,2017-05-02:objectType=thread:nonce=26c7afdcbcf4ebd4")
    );
}

#[test]
fn mastodon_activity_json_alternate_and_attachment() {
    let a = entry("pleroma/mastodon_conversation.xml");
    let o = object(&a);
    assert_eq!(
        o.props.id.as_deref(),
        Some("https://mastodon.social/users/lambadalambda/statuses/16402826")
    );
    assert_eq!(
        o.props.atom_uri.as_deref(),
        Some("tag:mastodon.social,2017-08-28:objectId=16402826:objectType=Status")
    );
    assert_eq!(
        o.props.conversation.as_deref(),
        Some("tag:mastodon.social,2017-08-28:objectId=7876885:objectType=Conversation")
    );
    // xml:lang="" means no language.
    assert_eq!(o.props.content.as_ref().unwrap().lang, None);
    let at = &o.props.attachments[0];
    assert_eq!(at.kind, ObjectType::Image);
    assert_eq!(at.size, Some(307682));
    assert_eq!(o.props.scope, Some(Visibility::Public));
    // The re-encoded entry carries the Atom id and the AP alternate.
    let xml = atom::encode_activity(&a);
    assert!(
        xml.contains("<id>tag:mastodon.social,2017-08-28:objectId=16402826:objectType=Status</id>")
    );
    assert!(xml.contains(r#"type="application/activity+json" href="https://mastodon.social/users/lambadalambda/statuses/16402826""#));
}

#[test]
fn statusnet_reply_example4() {
    let a = entry("gnu-social/ActivityParseTests.php__example4.xml");
    assert!(a.implied);
    let o = object(&a);
    assert_eq!(o.kind, ObjectType::Note);
    assert_eq!(id(&o.props), "http://example.net/notice/14");
    assert_eq!(o.props.in_reply_to[0].id, "http://example.net/notice/12");
    assert_eq!(
        o.props.conversation.as_deref(),
        Some("http://example.net/conversation/11")
    );
    // A mentioned link without object type is a person.
    assert_eq!(o.props.mentions[0].href, "http://example.net/user/1");
    assert_eq!(o.props.mentions[0].kind, MentionKind::Person);
    assert_eq!(o.props.hashtags[0].name, "thetime");
    assert_eq!(
        o.props.summary.as_ref().unwrap().value,
        "@evan now is the time for all good men to come to the aid of their country. #thetime"
    );
    // No georss:point in this example (only the namespace is declared).
    assert_eq!(o.props.location, None);
    // Author without poco: the Atom name is the display name.
    let au = actor(&a);
    assert_eq!(au.props.id.as_deref(), Some("http://example.net/user/2"));
    assert_eq!(au.props.name.as_deref(), Some("spock"));
    assert_eq!(au.username, None);
    // The pre-1.0 activity:actor is kept as an extension.
    assert!(o.props.extensions.xml().any(|x| x.name == "actor"));
}

#[test]
fn georss_point_and_feature_name() {
    let src = r#"<entry xmlns="http://www.w3.org/2005/Atom" xmlns:georss="http://www.georss.org/georss">
      <id>x</id><title>t</title><georss:point>45.5 -73.25</georss:point><georss:featureName>Montréal</georss:featureName></entry>"#;
    let Document::Activity(a) = atom::decode(src.as_bytes(), &Limits::default()).unwrap() else {
        panic!()
    };
    let l = object(&a).props.location.as_ref().unwrap();
    assert_eq!((l.latitude, l.longitude), (Some(45.5), Some(-73.25)));
    assert_eq!(l.name.as_deref(), Some("Montréal"));
}

#[test]
fn statusnet_group_feed_example10() {
    let f = feed("gnu-social/ActivityParseTests.php__example10.atom");
    let au = f.author.as_ref().unwrap();
    assert_eq!(au.kind, ObjectType::Group);
    assert_eq!(
        au.props.id.as_deref(),
        Some("http://lazarus.local/mublog/group/22/id")
    );
    assert_eq!(au.username.as_deref(), Some("grouptest316173"));
    assert_eq!(f.lang.as_deref(), Some("en-US"));
    assert!(f.extensions.xml().any(|x| x.name == "subject"));
    let a = &f.entries[0];
    assert_eq!(actor(a).username.as_deref(), Some("pubtest316173"));
    assert_eq!(actor(a).props.name.as_deref(), Some("Pubtest316173 Smith"));
    let o = object(a);
    assert_eq!(o.props.hashtags[0].name, "grouptest316173");
    assert_eq!(
        o.props.mentions[0].href,
        "http://lazarus.local/mublog/group/22/id"
    );
}

#[test]
fn statusnet_bookmark_example11() {
    let f = feed("gnu-social/ActivityParseTests.php__example11.atom");
    let a = &f.entries[0];
    let o = object(a);
    assert_eq!(o.kind, ObjectType::Bookmark);
    assert_eq!(
        o.props.name.as_deref(),
        Some("Why you should build an open-source startup | Teambox Blog")
    );
    let tags: Vec<_> = o.props.hashtags.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(tags, ["opensource", "startup"]);
    assert_eq!(
        o.props.conversation.as_deref(),
        Some("http://freelish.us/conversation/13835232")
    );
    assert_eq!(
        ts(&o.props),
        ("2011-05-26T20:36:25+00:00", "2011-05-26T20:36:25+00:00")
    );
}

#[test]
fn gnu_social_timeline_feed_level_fields() {
    let f = feed("pleroma/23211.atom");
    assert_eq!(
        f.id.as_deref(),
        Some("https://social.heldscal.la/api/statuses/user_timeline/23211.atom")
    );
    assert_eq!(f.title.as_deref(), Some("lambadalambda timeline"));
    assert_eq!(
        f.links.hub.as_deref(),
        Some("https://social.heldscal.la/main/push/hub")
    );
    assert_eq!(
        f.links.salmon.as_deref(),
        Some("https://social.heldscal.la/main/salmon/user/23211")
    );
    assert_eq!(
        f.links.self_.as_deref(),
        Some("https://social.heldscal.la/api/statuses/user_timeline/23211.atom")
    );
    assert_eq!(
        f.links.alternate.as_deref(),
        Some("https://social.heldscal.la/lambadalambda")
    );
    let au = f.author.as_ref().unwrap();
    assert_eq!(au.username.as_deref(), Some("lambadalambda"));
    assert_eq!(
        au.props.id.as_deref(),
        Some("https://social.heldscal.la/user/23211")
    );
    assert_eq!(f.entries.len(), 20);
    // Every entry without its own author is acted by the feed author.
    assert!(f.entries.iter().all(|e| e.actor.is_some()));
    let verbs: std::collections::BTreeSet<String> = f
        .entries
        .iter()
        .map(|e| e.verb().token().to_string())
        .collect();
    assert!(
        verbs.contains("post") && verbs.contains("favorite"),
        "{verbs:?}"
    );
}

#[test]
fn early_mastodon_feed() {
    let f = feed("mastodon/xml/mastodon.atom");
    assert_eq!(
        f.links.hub.as_deref(),
        Some("https://pubsubhubbub.superfeedr.com")
    );
    assert_eq!(
        f.links.salmon.as_deref(),
        Some("http://kickass.zone/api/salmon/1")
    );
    let follow = &f.entries[0];
    assert_eq!(*follow.verb(), Verb::Follow);
    let kat = actor_node(follow.object.as_deref());
    assert_eq!(
        kat.props.id.as_deref(),
        Some("https://mastodon.social/users/kat")
    );
    let fav = &f.entries[1];
    assert_eq!(*fav.verb(), Verb::Favorite);
    assert_eq!(
        fav.props.in_reply_to[0].url.as_deref(),
        Some("https://mastodon.social/users/kat/updates/16543")
    );
    let o = object(fav);
    assert_eq!(o.kind, ObjectType::Comment);
    assert_eq!(
        o.props.name.as_deref(),
        Some("@localhost  oooh more mastodons \t\u{2764}")
    );
    let post = &f.entries[3];
    assert!(post.implied);
    let at = &object(post).props.attachments[0];
    assert_eq!(at.kind, ObjectType::Image);
    assert_eq!(at.size, Some(108841));
    let deletes = f
        .entries
        .iter()
        .filter(|e| *e.verb() == Verb::Delete)
        .count();
    assert_eq!(deletes, 2);
}

fn decode_str(src: &str) -> Activity {
    match atom::decode(src.as_bytes(), &Limits::default()).unwrap() {
        Document::Activity(a) => a,
        Document::Feed(_) => panic!("feed"),
    }
}

#[test]
fn odd_prefixes_trailing_slash_ostatus_xhtml_and_xml_base() {
    let src = r#"<a:entry xmlns:a="http://www.w3.org/2005/Atom" xmlns:as="http://activitystrea.ms/spec/1.0/"
        xmlns:os="http://ostatus.org/schema/1.0/" xml:base="https://ex.org/notes/" xml:lang="fr">
      <a:id>tag:ex.org,2020:1</a:id>
      <as:verb>
        http://activitystrea.ms/schema/1.0/post
      </as:verb>
      <a:link rel="alternate" href="1.html"/>
      <a:link rel="mentioned" os:object-type="http://activitystrea.ms/schema/1.0/group" href="/g/2"/>
      <a:link rel="ostatus:attention" os:object-type="http://activitystrea.ms/schema/1.0/person" href="/u/3"/>
      <a:link rel="mentioned" os:object-type="http://activitystrea.ms/schema/1.0/person" href="/u/3"/>
      <os:conversation ref="tag:ex.org,2020:c"/>
      <a:content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Hi <b>bold</b> &amp; <a href="x">link</a></div></a:content>
    </a:entry>"#;
    let a = decode_str(src);
    assert_eq!(*a.verb(), Verb::Post);
    let o = object(&a);
    assert_eq!(o.props.url.as_deref(), Some("https://ex.org/notes/1.html"));
    assert_eq!(o.props.mentions.len(), 2);
    assert_eq!(o.props.mentions[0].href, "https://ex.org/g/2");
    assert_eq!(o.props.mentions[0].kind, MentionKind::Group);
    assert_eq!(o.props.mentions[1].href, "https://ex.org/u/3");
    assert_eq!(o.props.conversation.as_deref(), Some("tag:ex.org,2020:c"));
    let c = o.props.content.as_ref().unwrap();
    assert_eq!(c.format, TextFormat::Xhtml);
    assert_eq!(c.lang.as_deref(), Some("fr"));
    assert_eq!(
        c.value,
        r#"<div xmlns="http://www.w3.org/1999/xhtml">Hi <b>bold</b> &amp; <a href="x">link</a></div>"#
    );
    // Lossless re-encode of the xhtml.
    let again = decode_str(&atom::encode_activity(&a));
    assert_eq!(again, a);
}

#[test]
fn derived_title_is_written_and_not_read_back() {
    let src = r#"<entry xmlns="http://www.w3.org/2005/Atom" xmlns:poco="http://portablecontacts.net/spec/1.0">
      <id>x</id><author><uri>https://ex.org/alice</uri><poco:preferredUsername>alice</poco:preferredUsername></author>
      <content type="html">hi</content></entry>"#;
    let a = decode_str(src);
    assert_eq!(object(&a).props.name, None);
    let xml = atom::encode_activity(&a);
    assert!(xml.contains("<title>New note by alice</title>"), "{xml}");
    assert!(xml.contains("<name>alice</name>"), "{xml}");
    assert_eq!(decode_str(&xml), a);
    // A real title is kept.
    let a = decode_str(&src.replace("<id>x</id>", "<id>x</id><title>Hello</title>"));
    assert_eq!(object(&a).props.name.as_deref(), Some("Hello"));
}

#[test]
fn encoded_entry_has_what_peers_read() {
    let a = entry("pleroma/ostatus_incoming_reply.xml");
    let xml = atom::encode_activity(&a);
    for needle in [
        r#"xmlns:ostatus="http://ostatus.org/schema/1.0""#,
        "<activity:verb>http://activitystrea.ms/schema/1.0/post</activity:verb>",
        "<activity:object-type>http://activitystrea.ms/schema/1.0/comment</activity:object-type>",
        r#"<thr:in-reply-to ref="tag:gs.archae.me,2017-04-30:noticeId=778260:objectType=note" href="https://gs.archae.me/notice/778260"/>"#,
        r#"<ostatus:conversation ref="https://gs.archae.me/conversation/327120">https://gs.archae.me/conversation/327120</ostatus:conversation>"#,
        r#"<link rel="ostatus:conversation" href="https://gs.archae.me/conversation/327120"/>"#,
        r#"<link rel="mentioned" href="https://gs.archae.me/user/4687" ostatus:object-type="http://activitystrea.ms/schema/1.0/person"/>"#,
        r#"<link rel="mentioned" href="http://activityschema.org/collection/public" ostatus:object-type="http://activitystrea.ms/schema/1.0/collection"/>"#,
        "<poco:preferredUsername>lambadalambda</poco:preferredUsername>",
        r#"<content type="html" xml:lang="en-US">@&lt;a href="#,
    ] {
        assert!(xml.contains(needle), "missing {needle}\n{xml}");
    }
}
