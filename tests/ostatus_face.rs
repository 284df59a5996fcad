#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The OStatus face of an ActivityPub account's puppet, over loopback HTTP with a real sled
//! store and real keys: a fake AP server serves `bob` (WebFinger + actor), a lookup makes his
//! puppet, and legacy clients see WebFinger with every OStatus relation, host-meta, an Atom
//! feed with hub and author, and his public posts only. Tests are named after the interop
//! checklist items of `shared/research/ostatus-anchors.md` §7.

mod common;

use common::ap::{self, Bridge, FakeAp};
use ostatus_bridge::codec::{Limits, atom};
use ostatus_bridge::crypto::PublicKey;
use ostatus_bridge::identity::webfinger::{Descriptor, rel};
use ostatus_bridge::model::{
    Activity, Addressee, Document, Feed, MentionKind, Node, Object, TextFormat, Verb, Visibility,
};
use serde_json::{Value, json};

const AS_PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
const XRD: &str = "application/xrd+xml";

fn pct(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A fake AP server with `bob` (a full profile), a bridge, and bob's puppet made by lookup.
struct Setup {
    peer: FakeAp,
    bridge: Bridge,
    handle: String,
}

impl Setup {
    fn ap(&self, path: &str) -> String {
        format!("http://{}{path}", self.peer.addr)
    }

    fn bob(&self) -> String {
        self.ap("/users/bob")
    }

    fn feed_url(&self) -> String {
        self.bridge
            .url(&format!("/users/{}/feed.atom", self.handle))
    }

    async fn append(&self, activity: Value) -> u64 {
        self.bridge
            .app
            .store
            .append_entry(&self.handle, &activity)
            .await
            .unwrap()
    }

    /// A Create of a Note by bob, with `to`/`cc` as given and `extra` note members.
    fn create(&self, n: u32, to: Value, cc: Value, extra: Value) -> Value {
        let mut note = json!({
            "id": self.ap(&format!("/notes/{n}")),
            "type": "Note",
            "attributedTo": self.bob(),
            "content": format!("<p>note {n}</p>"),
            "url": self.ap(&format!("/@bob/{n}")),
            "published": format!("2026-12-01T10:{:02}:00Z", n % 60),
            "to": to.clone(),
            "cc": cc.clone(),
        });
        for (k, v) in extra.as_object().unwrap() {
            note[k] = v.clone();
        }
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": self.ap(&format!("/notes/{n}/activity")),
            "type": "Create",
            "actor": self.bob(),
            "published": format!("2026-12-01T10:{:02}:00Z", n % 60),
            "to": to,
            "cc": cc,
            "object": note,
        })
    }

    fn public(&self, n: u32, extra: Value) -> Value {
        self.create(
            n,
            json!([AS_PUBLIC]),
            json!([self.ap("/users/bob/followers")]),
            extra,
        )
    }
}

async fn setup() -> Setup {
    let peer = ap::start_fake_ap_with(
        &["bob"],
        json!({
            "name": "Bob <the> Builder",
            "summary": "<p>I build &amp; fix</p>",
            "url": "http://bob.example/@bob",
            "manuallyApprovesFollowers": false,
            "icon": {"type": "Image", "mediaType": "image/png", "url": "http://bob.example/avatar.png", "width": 120, "height": 120},
            "image": {"type": "Image", "mediaType": "image/jpeg", "url": "http://bob.example/header.jpg"},
        }),
    )
    .await;
    let bridge = ap::start_bridge(true, |_| {}).await;
    let address = format!("bob@{}", peer.addr);
    let a = ap::get(
        &bridge.url(&format!("/api/lookup?address={}", pct(&address))),
        "application/json",
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let handle = format!("bob_at_127.0.0.1_{}", peer.addr.port());
    assert_eq!(a.json()["handle"], format!("{handle}@{}", bridge.addr));
    Setup {
        peer,
        bridge,
        handle,
    }
}

async fn feed_of(s: &Setup, url: &str) -> (String, Feed) {
    let a = ap::get(url, "application/atom+xml").await;
    assert_eq!(a.status, 200, "{}", a.body);
    let feed = match atom::decode(a.body.as_bytes(), &Limits::default()).unwrap() {
        Document::Feed(f) => f,
        other => panic!("not a feed: {other:?}"),
    };
    let _ = s;
    (a.body, feed)
}

/// The note of a shorthand entry.
fn note(a: &Activity) -> &Object {
    match a.object.as_deref() {
        Some(Node::Object(o)) => o,
        other => panic!("no note in {other:?}"),
    }
}

fn entry_with_id<'f>(f: &'f Feed, id: &str) -> Option<&'f Activity> {
    f.entries.iter().find(|e| {
        e.props.id.as_deref() == Some(id) || e.object.as_deref().and_then(Node::id) == Some(id)
    })
}

#[tokio::test]
async fn checklist_01_lookup_keeps_the_ap_profile() {
    let s = setup().await;
    let store = &s.bridge.app.store;
    let puppet = store
        .get_puppet_by_handle(&s.handle)
        .await
        .unwrap()
        .unwrap();
    // Found again by the actor id every activity names.
    assert_eq!(puppet.source, s.bob());
    assert_eq!(
        store
            .get_puppet_by_source(&s.bob())
            .await
            .unwrap()
            .unwrap()
            .handle,
        s.handle
    );
    let profile = ostatus_bridge::server::lookup::StoredProfile::from_puppet(&puppet);
    assert_eq!(
        ostatus_bridge::server::face::face(&profile),
        ostatus_bridge::server::face::Face::OStatus
    );
    assert_eq!(profile.endpoints.actor.as_deref(), Some(s.bob().as_str()));
    // Kept as the AS2 actor document, the codec's round-trippable form.
    let actor = profile.actor.unwrap();
    assert_eq!(actor["name"], "Bob <the> Builder");
    assert_eq!(actor["summary"], "<p>I build &amp; fix</p>");
    assert_eq!(actor["icon"]["url"], "http://bob.example/avatar.png");
    assert_eq!(actor["image"]["url"], "http://bob.example/header.jpg");
    assert_eq!(actor["manuallyApprovesFollowers"], false);
    assert_eq!(actor["inbox"], format!("{}/inbox", s.bob()));
    assert_eq!(actor["endpoints"]["sharedInbox"], s.ap("/inbox"), "{actor}");
    assert_eq!(actor["id"], s.bob());
    // The signer cache knows the actor and its key already.
    let identity = store.get_identity(&s.bob()).await.unwrap().unwrap();
    assert_eq!(identity.inbox, Some(format!("{}/inbox", s.bob())));
    assert_eq!(identity.shared_inbox, Some(s.ap("/inbox")));
    assert_eq!(identity.key_id, Some(s.peer.actors[0].key_id.clone()));
    assert_eq!(
        identity.public_key_pem,
        Some(s.peer.actors[0].key.public_key().to_spki_pem().unwrap())
    );
}

#[tokio::test]
async fn checklist_01_webfinger_has_every_ostatus_rel() {
    let s = setup().await;
    let h = &s.handle;
    let b = &s.bridge;
    let acct = format!("acct:{h}@{}", b.addr);
    let stored = b.app.store.get_keypair(h).await.unwrap().unwrap();
    let query = format!("/.well-known/webfinger?resource={}", pct(&acct));
    let jrd = ap::get(&b.url(&query), "application/jrd+json").await;
    assert_eq!(jrd.status, 200, "{}", jrd.body);
    assert_eq!(
        jrd.header("content-type").as_deref(),
        Some("application/jrd+json")
    );
    let xrd = ap::get(&b.url(&query), XRD).await;
    assert_eq!(xrd.header("content-type").as_deref(), Some(XRD));
    let by_format = ap::get(&b.url(&format!("{query}&format=xml")), "*/*").await;
    assert_eq!(by_format.header("content-type").as_deref(), Some(XRD));
    let by_page = ap::get(
        &b.url(&format!(
            "/.well-known/webfinger?resource={}",
            pct(&b.url(&format!("/@{h}")))
        )),
        "application/jrd+json",
    )
    .await;
    assert_eq!(by_page.status, 200, "{}", by_page.body);
    for (d, which) in [
        (
            Descriptor::from_jrd(jrd.body.as_bytes(), &Limits::default()).unwrap(),
            "jrd",
        ),
        (
            Descriptor::from_xrd(xrd.body.as_bytes(), &Limits::default()).unwrap(),
            "xrd",
        ),
        (
            Descriptor::from_xrd(by_format.body.as_bytes(), &Limits::default()).unwrap(),
            "format=xml",
        ),
        (
            Descriptor::from_jrd(by_page.body.as_bytes(), &Limits::default()).unwrap(),
            "by profile page",
        ),
    ] {
        assert_eq!(d.subject.as_deref(), Some(acct.as_str()), "{which}");
        assert_eq!(
            d.aliases,
            [b.url(&format!("/@{h}")), b.url(&format!("/users/{h}"))],
            "{which}"
        );
        let page = d.link(rel::PROFILE_PAGE, &["text/html"]).unwrap();
        assert_eq!(page.href, Some(b.url(&format!("/@{h}"))), "{which}");
        let feed = d
            .link(rel::UPDATES_FROM, &["application/atom+xml"])
            .unwrap();
        assert_eq!(feed.href, Some(s.feed_url()), "{which}");
        let salmon = b.url(&format!("/users/{h}/salmon"));
        for r in [
            rel::SALMON,
            "http://salmon-protocol.org/ns/salmon-replies",
            "http://salmon-protocol.org/ns/salmon-mention",
        ] {
            assert_eq!(d.href(r), Some(salmon.as_str()), "{which} {r}");
        }
        let magic = d.href(rel::MAGIC_KEY).unwrap();
        let key = magic
            .strip_prefix("data:application/magic-public-key,")
            .unwrap();
        assert!(key.starts_with("RSA."), "{key}");
        assert!(key.contains('='), "padded base64url like Mastodon: {key}");
        let parsed = PublicKey::from_magic(key).unwrap();
        assert_eq!(parsed.to_spki_pem().unwrap(), stored.public_pem, "{which}");
        let sub = d.link(rel::SUBSCRIBE, &[]).unwrap();
        assert_eq!(
            sub.template.as_deref(),
            Some(b.url("/authorize_interaction?uri={uri}").as_str()),
            "{which}"
        );
        assert!(d.link(rel::SELF, &[]).is_none(), "{which}: no AP self link");
    }
    // The subscribe template leads somewhere sensible.
    let page = ap::get(
        &b.url(&format!(
            "/authorize_interaction?uri={}",
            pct("acct:x@gs.example")
        )),
        "text/html",
    )
    .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("acct:x@gs.example"), "{}", page.body);

    // A legacy account's puppet keeps its ActivityPub face.
    let legacy = ap::make_puppet(&b.app, "alice_at_legacy.example").await;
    let d = ap::get(
        &b.url(&format!(
            "/.well-known/webfinger?resource={}",
            pct(&format!("acct:{legacy}@{}", b.addr))
        )),
        "application/jrd+json",
    )
    .await;
    let d = Descriptor::from_jrd(d.body.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(
        d.link(rel::SELF, &["application/activity+json"])
            .and_then(|l| l.href.clone()),
        Some(b.url(&format!("/users/{legacy}")))
    );
    assert!(d.href(rel::UPDATES_FROM).is_none());
    let f = ap::get(
        &b.url(&format!("/users/{legacy}/feed.atom")),
        "application/atom+xml",
    )
    .await;
    assert_eq!(f.status, 404, "AP-face puppets have no feed");
}

#[tokio::test]
async fn checklist_02_host_meta_lrdd_over_loopback_http() {
    let b = ap::start_bridge(true, |_| {}).await;
    assert!(b.base.starts_with("http://127.0.0.1:"));
    let template = format!("{}/.well-known/webfinger?resource={{uri}}", b.base);
    let x = ap::get(&b.url("/.well-known/host-meta"), XRD).await;
    assert_eq!(x.status, 200);
    assert_eq!(x.header("content-type").as_deref(), Some(XRD));
    let d = Descriptor::from_xrd(x.body.as_bytes(), &Limits::default()).unwrap();
    let lrdd: Vec<_> = d.links.iter().filter(|l| l.rel == rel::LRDD).collect();
    assert_eq!(lrdd.len(), 2);
    assert_eq!(lrdd[0].media_type.as_deref(), Some(XRD));
    assert!(
        lrdd.iter()
            .all(|l| l.template.as_deref() == Some(template.as_str()))
    );
    let j = ap::get(&b.url("/.well-known/host-meta.json"), "*/*").await;
    let d = Descriptor::from_jrd(j.body.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(
        d.link(rel::LRDD, &["application/jrd+json"])
            .and_then(|l| l.template.clone()),
        Some(template.clone())
    );
    // A StatusNet-era client: the template, filled in, answers XRD when asked for XRD.
    let s = setup().await;
    let acct = format!("acct:{}@{}", s.handle, s.bridge.addr);
    let t = format!("{}/.well-known/webfinger?resource={{uri}}", s.bridge.base);
    let filled = t.replace("{uri}", &pct(&acct));
    let x = ap::get(&filled, XRD).await;
    assert_eq!(x.status, 200, "{}", x.body);
    let d = Descriptor::from_xrd(x.body.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(d.subject.as_deref(), Some(acct.as_str()));
}

#[tokio::test]
async fn checklist_03_feed_has_hub_and_author() {
    let s = setup().await;
    let h = s.handle.clone();
    let b = &s.bridge;
    s.append(s.public(1, json!({}))).await;
    let a = ap::get(&s.feed_url(), "application/atom+xml").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.header("content-type").as_deref(),
        Some("application/atom+xml; charset=utf-8")
    );
    let hub = b.url("/hub");
    assert_eq!(
        a.header("link"),
        Some(format!(
            "<{hub}>; rel=\"hub\", <{}>; rel=\"self\"",
            s.feed_url()
        ))
    );
    let (xml, f) = feed_of(&s, &s.feed_url()).await;
    assert_eq!(f.id.as_deref(), Some(s.feed_url().as_str()));
    assert_eq!(f.title.as_deref(), Some("Bob <the> Builder"));
    assert!(f.updated.as_ref().and_then(|u| u.datetime()).is_some());
    assert_eq!(f.links.hub.as_deref(), Some(hub.as_str()));
    assert_eq!(f.links.self_.as_deref(), Some(s.feed_url().as_str()));
    assert_eq!(
        f.links.salmon.as_deref(),
        Some(b.url(&format!("/users/{h}/salmon")).as_str())
    );
    assert_eq!(
        f.links.alternate.as_deref(),
        Some(b.url(&format!("/@{h}")).as_str())
    );
    assert!(f.links.next.is_none());
    let author = f.author.as_ref().unwrap();
    assert_eq!(author.props.id, Some(b.url(&format!("/users/{h}"))));
    assert_eq!(author.username.as_deref(), Some(h.as_str()));
    assert_eq!(author.email, Some(format!("{h}@{}", b.addr)));
    assert_eq!(author.props.name.as_deref(), Some("Bob <the> Builder"));
    assert_eq!(
        author.props.summary.as_ref().map(|t| t.value.as_str()),
        Some("<p>I build &amp; fix</p>")
    );
    assert_eq!(author.props.url, Some(b.url(&format!("/@{h}"))));
    let avatar = author.avatar().unwrap();
    assert_eq!(avatar.url, "http://bob.example/avatar.png");
    assert_eq!(avatar.media_type.as_deref(), Some("image/png"));
    assert_eq!((avatar.width, avatar.height), (Some(120), Some(120)));
    assert_eq!(
        author.header.as_ref().map(|m| m.url.as_str()),
        Some("http://bob.example/header.jpg")
    );
    assert_eq!(author.locked, Some(false));
    // The raw feed: name is the username, the poco fields and the scope are there, and
    // nothing invites AP peers to switch.
    let feed_author = &xml[xml.find("<author>").unwrap()..xml.find("</author>").unwrap()];
    assert!(
        feed_author.contains(&format!("<name>{h}</name>")),
        "{feed_author}"
    );
    assert!(feed_author.contains(&format!(
        "<poco:preferredUsername>{h}</poco:preferredUsername>"
    )));
    assert!(feed_author.contains("<poco:displayName>Bob &lt;the&gt; Builder</poco:displayName>"));
    assert!(feed_author.contains("<poco:note>"), "{feed_author}");
    assert!(feed_author.contains("<mastodon:scope>public</mastodon:scope>"));
    assert!(feed_author.contains(
        "<activity:object-type>http://activitystrea.ms/schema/1.0/person</activity:object-type>"
    ));
    assert!(!xml.contains("ap_enabled"));
    // The entry is bob's, written as the puppet.
    let e = &f.entries[0];
    assert_eq!(
        e.actor.as_ref().and_then(|a| a.props.id.clone()),
        Some(b.url(&format!("/users/{h}")))
    );

    // The puppet's URL leads Atom clients to the feed and browsers to the profile page.
    let r = ap::get(&b.url(&format!("/users/{h}")), "application/atom+xml").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some(s.feed_url()));
    let r = ap::get(&b.url(&format!("/users/{h}")), "text/html").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some(b.url(&format!("/@{h}"))));
    // The profile page links the feed and escapes the name.
    let page = ap::get(&b.url(&format!("/@{h}")), "text/html").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        page.body.contains(&format!(
            "<link rel=\"alternate\" type=\"application/atom+xml\" href=\"{}\">",
            s.feed_url()
        )),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Bob &lt;the&gt; Builder"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<the>"));
    assert!(page.header("link").unwrap().contains(&s.feed_url()));
}

#[tokio::test]
async fn checklist_03_feed_pages_with_next() {
    let s = setup().await;
    for n in 0..25 {
        s.append(s.public(n, json!({}))).await;
    }
    let (_, first) = feed_of(&s, &s.feed_url()).await;
    assert_eq!(first.entries.len(), 20);
    assert_eq!(note(&first.entries[0]).props.id, Some(s.ap("/notes/24")));
    let next = first.links.next.clone().expect("a next link");
    assert!(
        next.starts_with(&format!("{}?max_id=", s.feed_url())),
        "{next}"
    );
    let (_, second) = feed_of(&s, &next).await;
    assert_eq!(second.entries.len(), 5);
    assert_eq!(note(&second.entries[0]).props.id, Some(s.ap("/notes/4")));
    assert_eq!(note(&second.entries[4]).props.id, Some(s.ap("/notes/0")));
    assert!(second.links.next.is_none());
    assert_eq!(second.links.self_.as_deref(), Some(next.as_str()));
    let bad = ap::get(
        &format!("{}?max_id=x", s.feed_url()),
        "application/atom+xml",
    )
    .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn checklist_12_13_replies_and_conversations() {
    let s = setup().await;
    let parent = "http://mastodon.example/users/carol/statuses/9";
    s.append(s.public(
        1,
        json!({
            "inReplyTo": parent,
            "conversation": "tag:mastodon.example,2026:objectId=5:objectType=Conversation",
        }),
    ))
    .await;
    s.append(s.public(2, json!({}))).await;
    let (xml, f) = feed_of(&s, &s.feed_url()).await;
    let reply = note(entry_with_id(&f, &s.ap("/notes/1")).unwrap());
    assert_eq!(reply.props.in_reply_to.len(), 1);
    assert_eq!(reply.props.in_reply_to[0].id, parent);
    assert_eq!(reply.props.in_reply_to[0].url.as_deref(), Some(parent));
    assert!(xml.contains(&format!(
        "<thr:in-reply-to ref=\"{parent}\" href=\"{parent}\"/>"
    )));
    let conv = "tag:mastodon.example,2026:objectId=5:objectType=Conversation";
    assert_eq!(reply.props.conversation.as_deref(), Some(conv));
    assert!(xml.contains(&format!(
        "<ostatus:conversation ref=\"{conv}\">{conv}</ostatus:conversation>"
    )));
    assert!(xml.contains(&format!(
        "<link rel=\"ostatus:conversation\" href=\"{conv}\"/>"
    )));
    // A thread's first post is its own conversation.
    let root = note(entry_with_id(&f, &s.ap("/notes/2")).unwrap());
    assert_eq!(root.props.conversation, Some(s.ap("/notes/2")));
}

#[tokio::test]
async fn checklist_14_private_posts_never_rendered() {
    let s = setup().await;
    let followers = json!([s.ap("/users/bob/followers")]);
    s.append(s.public(1, json!({}))).await;
    // Unlisted: Public only in cc.
    s.append(s.create(2, followers.clone(), json!([AS_PUBLIC]), json!({})))
        .await;
    // Followers only, and direct.
    s.append(s.create(3, followers.clone(), json!([]), json!({})))
        .await;
    s.append(s.create(
        4,
        json!(["http://mastodon.example/users/carol"]),
        json!([]),
        json!({"tag": [{"type": "Mention", "href": "http://mastodon.example/users/carol"}]}),
    ))
    .await;
    // A Like is addressed to one account, and is not a post.
    s.append(json!({
        "id": s.ap("/likes/1"), "type": "Like", "actor": s.bob(),
        "object": "http://mastodon.example/users/carol/statuses/9",
    }))
    .await;
    let (xml, f) = feed_of(&s, &s.feed_url()).await;
    assert_eq!(f.entries.len(), 2, "{xml}");
    for private in [3, 4] {
        assert!(entry_with_id(&f, &s.ap(&format!("/notes/{private}"))).is_none());
        assert!(!xml.contains(&format!("note {private}")), "{xml}");
    }
    assert!(!xml.contains("/likes/1"));
    let public = note(entry_with_id(&f, &s.ap("/notes/1")).unwrap());
    assert_eq!(public.props.scope, Some(Visibility::Public));
    assert_eq!(public.props.audience.to, [Addressee::Public]);
    let unlisted = note(entry_with_id(&f, &s.ap("/notes/2")).unwrap());
    assert_eq!(unlisted.props.scope, Some(Visibility::Unlisted));
    assert!(
        unlisted.props.audience.to.is_empty(),
        "{:?}",
        unlisted.props.audience
    );
    // The followers collection is no `mentioned` link.
    assert!(!xml.contains("/users/bob/followers"), "{xml}");

    // The pure renderers agree: no one-entry feed and no Salmon entry for a private post.
    let face = ostatus_bridge::server::face::face_puppet(
        &s.bridge.app,
        &s.bridge
            .app
            .store
            .get_puppet_by_handle(&s.handle)
            .await
            .unwrap()
            .unwrap(),
    );
    let urls = &s.bridge.app.urls;
    let rw = ostatus_bridge::ostatus::Rewrites::new();
    let dm = s.create(
        5,
        json!(["http://mastodon.example/users/carol"]),
        json!([]),
        json!({}),
    );
    assert!(ostatus_bridge::ostatus::render_entry_feed(urls, &face, &dm, &rw).is_none());
    assert!(ostatus_bridge::ostatus::entry_xml(urls, &face, &dm, &rw).is_none());
    let public = s.public(6, json!({}));
    let pushed = ostatus_bridge::ostatus::render_entry_feed(urls, &face, &public, &rw).unwrap();
    match atom::decode(pushed.as_bytes(), &Limits::default()).unwrap() {
        Document::Feed(f) => {
            assert_eq!(f.entries.len(), 1);
            assert_eq!(f.links.hub, Some(s.bridge.url("/hub")));
        }
        other => panic!("{other:?}"),
    }
    let salmon = ostatus_bridge::ostatus::entry_xml(urls, &face, &public, &rw).unwrap();
    assert!(
        salmon.contains("<entry xmlns=\"http://www.w3.org/2005/Atom\""),
        "{salmon}"
    );
    // Interactions go by Salmon although they are addressed to one account.
    let like = json!({
        "id": s.ap("/likes/2"), "type": "Like", "actor": s.bob(),
        "object": "http://mastodon.example/users/carol/statuses/9",
    });
    let liked = ostatus_bridge::ostatus::entry_xml(urls, &face, &like, &rw).unwrap();
    assert!(
        liked.contains("http://activitystrea.ms/schema/1.0/favorite"),
        "{liked}"
    );
    assert!(ostatus_bridge::ostatus::render_entry_feed(urls, &face, &like, &rw).is_none());
}

#[tokio::test]
async fn checklist_15_mentions_point_at_legacy_ids() {
    let s = setup().await;
    let b = &s.bridge;
    // alice is a legacy account bridged to AP; bob mentions her AP puppet.
    let alice = ap::make_puppet(&b.app, "alice_at_legacy.example").await;
    let alice_ap = b.url(&format!("/users/{alice}"));
    let carol = "http://mastodon.example/users/carol";
    s.append(s.create(
        1,
        json!([AS_PUBLIC]),
        json!([alice_ap.clone(), carol]),
        json!({"tag": [
            {"type": "Mention", "href": alice_ap, "name": "@alice@legacy.example"},
            {"type": "Mention", "href": carol, "name": "@carol@mastodon.example"},
        ]}),
    ))
    .await;
    let (xml, f) = feed_of(&s, &s.feed_url()).await;
    let n = note(&f.entries[0]);
    let hrefs: Vec<&str> = n.props.mentions.iter().map(|m| m.href.as_str()).collect();
    assert_eq!(hrefs, ["http://legacy.example/alice", carol]);
    assert!(
        n.props
            .mentions
            .iter()
            .all(|m| m.kind == MentionKind::Person)
    );
    assert!(xml.contains(
        "<link rel=\"mentioned\" href=\"http://legacy.example/alice\" ostatus:object-type=\"http://activitystrea.ms/schema/1.0/person\""
    ), "{xml}");
    assert!(xml.contains(
        "<link rel=\"mentioned\" href=\"http://activityschema.org/collection/public\" ostatus:object-type=\"http://activitystrea.ms/schema/1.0/collection\"/>"
    ));
    assert!(
        !xml.contains(&alice_ap),
        "the AP puppet id is not shown: {xml}"
    );
}

#[tokio::test]
async fn checklist_16_content_details() {
    let s = setup().await;
    s.append(s.public(
        1,
        json!({
            "content": "<p>caf\u{e9} &amp; <b>bold</b></p>",
            "contentMap": {"fr": "<p>caf\u{e9} &amp; <b>bold</b></p>"},
            "summary": "spoilers",
            "sensitive": true,
            "tag": [{"type": "Hashtag", "href": "http://ap.example/tags/rust", "name": "#rust"}],
            "attachment": [{"type": "Document", "mediaType": "image/png", "url": "http://bob.example/cat.png", "name": "a cat"}],
        }),
    ))
    .await;
    let (xml, f) = feed_of(&s, &s.feed_url()).await;
    let n = note(&f.entries[0]);
    let content = n.props.content.as_ref().unwrap();
    assert_eq!(content.format, TextFormat::Html);
    assert_eq!(content.value, "<p>caf\u{e9} &amp; <b>bold</b></p>");
    assert_eq!(content.lang.as_deref(), Some("fr"));
    assert!(xml.contains(
        "<content type=\"html\" xml:lang=\"fr\">&lt;p&gt;caf\u{e9} &amp;amp; &lt;b&gt;bold&lt;/b&gt;&lt;/p&gt;</content>"
    ), "{xml}");
    assert_eq!(
        n.props.summary.as_ref().map(|t| t.value.as_str()),
        Some("spoilers")
    );
    assert_eq!(n.props.sensitive, Some(true));
    assert!(xml.contains("<category term=\"nsfw\"/>"));
    assert!(xml.contains("<category term=\"rust\"/>"), "{xml}");
    let att = &n.props.attachments[0];
    assert_eq!(att.media.url, "http://bob.example/cat.png");
    assert_eq!(att.media.media_type.as_deref(), Some("image/png"));
    assert!(
        xml.contains("rel=\"enclosure\" type=\"image/png\""),
        "{xml}"
    );
}

#[tokio::test]
async fn checklist_17_18_entry_ids_are_ap_ids_with_alternates() {
    let s = setup().await;
    s.append(s.public(1, json!({}))).await;
    s.append(json!({
        "id": s.ap("/notes/1/announce"),
        "type": "Announce",
        "actor": s.bob(),
        "published": "2026-12-02T10:00:00Z",
        "to": [AS_PUBLIC],
        "object": "http://mastodon.example/users/carol/statuses/9",
    }))
    .await;
    let (xml, f) = feed_of(&s, &s.feed_url()).await;
    let post = entry_with_id(&f, &s.ap("/notes/1")).unwrap();
    assert!(
        post.implied,
        "a post is the note's shorthand entry, as Pleroma writes it"
    );
    let n = note(post);
    assert_eq!(n.props.id, Some(s.ap("/notes/1")));
    assert_eq!(n.props.url, Some(s.ap("/@bob/1")));
    assert!(xml.contains(&format!("<id>{}</id>", s.ap("/notes/1"))));
    assert!(
        xml.contains(&format!(
            "<link rel=\"alternate\" type=\"application/activity+json\" href=\"{}\"/>",
            s.ap("/notes/1")
        )),
        "{xml}"
    );
    assert!(xml.contains(&format!(
        "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
        s.ap("/@bob/1")
    )));
    let share = entry_with_id(&f, &s.ap("/notes/1/announce")).unwrap();
    assert_eq!(*share.verb(), Verb::Share);
    assert_eq!(
        share.object.as_deref().and_then(Node::id),
        Some("http://mastodon.example/users/carol/statuses/9")
    );
}

#[tokio::test]
async fn checklist_23_delete_entry_id_is_the_deleted_id() {
    let s = setup().await;
    s.append(s.public(1, json!({}))).await;
    s.append(json!({
        "id": s.ap("/notes/1#delete"),
        "type": "Delete",
        "actor": s.bob(),
        "to": [AS_PUBLIC],
        "object": {"id": s.ap("/notes/1"), "type": "Tombstone"},
    }))
    .await;
    // A followers-only post's delete is as private as the post.
    s.append(json!({
        "id": s.ap("/notes/3#delete"),
        "type": "Delete",
        "actor": s.bob(),
        "to": [s.ap("/users/bob/followers")],
        "object": {"id": s.ap("/notes/3"), "type": "Tombstone"},
    }))
    .await;
    let (xml, f) = feed_of(&s, &s.feed_url()).await;
    let deletes: Vec<&Activity> = f
        .entries
        .iter()
        .filter(|e| *e.verb() == Verb::Delete)
        .collect();
    assert_eq!(deletes.len(), 1, "{xml}");
    assert_eq!(deletes[0].props.id, Some(s.ap("/notes/1")));
    assert!(!xml.contains("/notes/3"));
}

#[test]
fn checklist_03_a_thousand_entry_feed_renders() {
    let urls = ostatus_bridge::puppet::BridgeUrls::new(
        &url::Url::parse("https://bridge.example").unwrap(),
    );
    let face = ostatus_bridge::ostatus::FacePuppet::new(
        &urls,
        "bob_at_ap.example",
        None,
        vec!["https://ap.example/users/bob".into()],
    );
    let entries: Vec<ostatus_bridge::store::Entry> = (0..1000u64)
        .map(|n| ostatus_bridge::store::Entry {
            seq: 1000 - n,
            activity: json!({
                "id": format!("https://ap.example/notes/{n}/activity"),
                "type": "Create",
                "actor": "https://ap.example/users/bob",
                "to": [AS_PUBLIC],
                "object": {
                    "id": format!("https://ap.example/notes/{n}"),
                    "type": "Note",
                    "content": format!("<p>note {n}</p>"),
                    "to": [AS_PUBLIC],
                },
            }),
        })
        .collect();
    let xml = ostatus_bridge::ostatus::render_feed(
        &urls,
        &face,
        &entries,
        &ostatus_bridge::ostatus::FeedPage::default(),
        &ostatus_bridge::ostatus::Rewrites::new(),
    );
    match atom::decode(xml.as_bytes(), &Limits::default()).unwrap() {
        Document::Feed(f) => {
            assert_eq!(f.entries.len(), 1000);
            assert_eq!(
                f.author.and_then(|a| a.username),
                Some("bob_at_ap.example".to_string())
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn checklist_24_a_profile_update_is_pushed_as_update_profile_with_the_new_author() {
    let s = setup().await;
    let app = &s.bridge.app;
    let puppet = app
        .store
        .get_puppet_by_handle(&s.handle)
        .await
        .unwrap()
        .unwrap();
    let face = ostatus_bridge::server::face::face_puppet(app, &puppet);
    let update = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": s.ap("/users/bob#updates/1"),
        "type": "Update",
        "actor": s.bob(),
        "to": [AS_PUBLIC],
        "object": {"id": s.bob(), "type": "Person", "preferredUsername": "bob", "name": "Bob Renamed"},
    });
    let rw = ostatus_bridge::ostatus::Rewrites::new();
    let pushed =
        ostatus_bridge::ostatus::render_entry_feed(&app.urls, &face, &update, &rw).unwrap();
    assert!(
        pushed.contains("http://ostatus.org/schema/1.0/update-profile"),
        "{pushed}"
    );
    let Document::Feed(f) = atom::decode(pushed.as_bytes(), &Limits::default()).unwrap() else {
        panic!("not a feed: {pushed}");
    };
    assert_eq!(f.entries.len(), 1);
    let entry = &f.entries[0];
    assert_eq!(*entry.verb(), Verb::UpdateProfile);
    // Actor and object are the puppet as legacy peers know it (its URL, not the AP actor).
    let own = app.urls.actor(&s.handle);
    assert_eq!(
        entry.actor.as_deref().and_then(|a| a.props.id.as_deref()),
        Some(own.as_str())
    );
    assert_eq!(
        entry.object.as_deref().and_then(Node::id),
        Some(own.as_str())
    );
    assert!(
        !pushed.contains(&format!("<uri>{}</uri>", s.bob())),
        "{pushed}"
    );
    // The author block is the stored profile's (refreshed by the inbox before the push).
    assert!(pushed.contains("<poco:displayName>Bob &lt;the&gt; Builder</poco:displayName>"));
    // A profile is public: the entry names the public collection as GNU social reads it.
    assert!(
        pushed.contains("href=\"http://activityschema.org/collection/public\""),
        "{pushed}"
    );
}
