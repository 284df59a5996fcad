#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Property test: every model Atom can represent survives `decode(encode(m)) == m`.
//!
//! The generator only builds what the codec documents as representable: audiences in `to`
//! (Public or a collection id), `sensitive` absent or true, attachment kinds that match
//! their MIME type, full activities that have an object and an id, titles that are not the
//! derived "New note by …" form, and so on (see the `//!` docs of `codec::atom`).

use ostatus_bridge::codec::{Limits, atom};
use ostatus_bridge::model::{
    Activity, Actor, Addressee, Attachment, Document, Emoji, Extension, Extensions, Feed,
    FeedLinks, Hashtag, Media, Mention, MentionKind, Node, Object, ObjectType, Place,
    PostalAddress, ProfileField, Props, Reference, Text, TextFormat, Timestamp, Verb, VerbTerm,
    Visibility, XmlAttribute, XmlElement, XmlNode,
};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

fn free_text() -> impl Strategy<Value = String> {
    prop_oneof!["\\PC{0,12}", "[ a-zé\t\n\r<>&'\"\u{2764}]{0,12}"]
}

fn url() -> impl Strategy<Value = String> {
    "[a-z]{1,6}(/[a-z0-9]{1,4}){0,2}".prop_map(|p| format!("https://ex.org/{p}"))
}

fn word() -> impl Strategy<Value = String> {
    "[a-z]{1,8}"
}

fn title() -> impl Strategy<Value = String> {
    // Upper-case first letter: never equal to a derived title ("New …", "post by …").
    "T[a-z &<]{0,10}"
}

fn ts() -> impl Strategy<Value = Timestamp> {
    (1u8..28).prop_map(|d| Timestamp::new(&format!("2017-05-{d:02}T10:00:00Z")).unwrap())
}

fn text() -> BoxedStrategy<Text> {
    (
        free_text(),
        prop_oneof![Just(TextFormat::Html), Just(TextFormat::Text)],
        of(prop_oneof![
            Just("en".to_string()),
            Just("de-CH".to_string())
        ]),
    )
        .prop_map(|(value, format, lang)| Text {
            value,
            format,
            lang,
        })
        .boxed()
}

fn media() -> BoxedStrategy<Media> {
    (
        url(),
        of(prop_oneof![
            Just("image/png".to_string()),
            Just("image/gif".to_string())
        ]),
        of(1u32..5000),
        of(1u32..5000),
    )
        .prop_map(|(url, media_type, width, height)| Media {
            url,
            media_type,
            width,
            height,
        })
        .boxed()
}

fn attachment() -> BoxedStrategy<Attachment> {
    (
        url(),
        prop_oneof![
            Just(None),
            Just(Some("image/png")),
            Just(Some("video/mp4")),
            Just(Some("audio/ogg")),
            Just(Some("application/pdf")),
        ],
        of(0u64..10_000_000),
        of(free_text()),
    )
        .prop_map(|(url, ty, size, name)| Attachment {
            kind: match ty.map(|t| t.split('/').next().unwrap_or("")) {
                Some("image") => ObjectType::Image,
                Some("video") => ObjectType::Video,
                Some("audio") => ObjectType::Audio,
                _ => ObjectType::File,
            },
            media: Media {
                url,
                media_type: ty.map(str::to_string),
                width: None,
                height: None,
            },
            size,
            name,
            blurhash: None,
        })
        .boxed()
}

fn extension() -> BoxedStrategy<Extension> {
    (free_text(), "\\PC{1,8}")
        .prop_map(|(v, t)| {
            Extension::Xml(XmlElement {
                ns: Some("http://example.org/ext".into()),
                name: "thing".into(),
                attributes: vec![XmlAttribute {
                    ns: None,
                    name: "k".into(),
                    value: v,
                }],
                children: vec![XmlNode::Text(t)],
            })
        })
        .boxed()
}

fn dedup_by<T, K: PartialEq>(v: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for x in v {
        if !out.iter().any(|y| key(y) == key(&x)) {
            out.push(x);
        }
    }
    out
}

/// Properties of a note-like object.
fn object_props() -> BoxedStrategy<Props> {
    let a = (
        url(),
        of("[a-z0-9]{1,6}".prop_map(|s| format!("tag:ex.org,2017:{s}"))),
        of(title()),
        of(text()),
        of(text()),
        of(url()),
        of(ts()),
        of(ts()),
    );
    let b = (
        vec((url(), of(url())), 0..3),
        of(url()),
        (any::<bool>(), of(url())),
        of(prop_oneof![
            Just(Visibility::Public),
            Just(Visibility::Unlisted),
            Just(Visibility::FollowersOnly),
            Just(Visibility::Direct)
        ]),
        vec((url(), of(free_text()), any::<bool>()), 0..3),
        vec(word().prop_filter("not nsfw", |w| w != "nsfw"), 0..3),
        any::<bool>(),
    );
    let c = (
        vec(attachment(), 0..3),
        vec(("[a-z]{1,6}", media()), 0..2),
        of(media()),
        of((of(free_text()), of((-90.0f64..90.0, -180.0f64..180.0)))),
        vec(extension(), 0..2),
    );
    (a, b, c)
        .prop_map(
            |(
                (id, atom_uri, name, summary, content, url, published, updated),
                (replies, conversation, (public, coll), scope, mentions, tags, sensitive),
                (attachments, emoji, image, location, ext),
            )| {
                let mut to = Vec::new();
                if public {
                    to.push(Addressee::Public);
                }
                if let Some(c) = coll {
                    to.push(Addressee::Id(c));
                }
                let location = location.and_then(|(name, pt)| {
                    let p = Place {
                        name,
                        latitude: pt.map(|p| p.0),
                        longitude: pt.map(|p| p.1),
                        ..Place::default()
                    };
                    (p != Place::default()).then_some(p)
                });
                Props {
                    id: Some(id),
                    atom_uri,
                    name,
                    summary,
                    content,
                    url,
                    published,
                    updated,
                    in_reply_to: replies
                        .into_iter()
                        .map(|(id, url)| Reference {
                            id,
                            url,
                            atom_uri: None,
                        })
                        .collect(),
                    conversation,
                    audience: ostatus_bridge::model::Audience {
                        to,
                        ..Default::default()
                    },
                    scope,
                    mentions: dedup_by(
                        mentions
                            .into_iter()
                            .map(|(href, name, group)| Mention {
                                href,
                                name,
                                kind: if group {
                                    MentionKind::Group
                                } else {
                                    MentionKind::Person
                                },
                            })
                            .collect(),
                        |m| m.href.clone(),
                    ),
                    hashtags: tags
                        .into_iter()
                        .map(|name| Hashtag { name, href: None })
                        .collect(),
                    sensitive: sensitive.then_some(true),
                    attachments,
                    emoji: emoji
                        .into_iter()
                        .map(|(code, icon)| Emoji {
                            shortcode: format!(":{code}:"),
                            icon,
                            id: None,
                            updated: None,
                        })
                        .collect(),
                    image,
                    location,
                    extensions: Extensions(ext),
                    ..Props::default()
                }
            },
        )
        .boxed()
}

fn actor() -> BoxedStrategy<Actor> {
    (
        prop_oneof![
            Just(ObjectType::Person),
            Just(ObjectType::Group),
            Just(ObjectType::Service)
        ],
        url(),
        of(word()),
        of(free_text()),
        of("[a-z]{1,5}@ex\\.org"),
        of(text()),
        of(url()),
        vec(media(), 0..3),
        of(media()),
        of(any::<bool>()),
        vec((word(), url()), 0..2),
        of(free_text()),
    )
        .prop_map(
            |(
                kind,
                id,
                username,
                name,
                email,
                summary,
                url,
                avatars,
                header,
                locked,
                fields,
                addr,
            )| {
                Actor {
                    kind,
                    username,
                    email,
                    avatars,
                    header,
                    locked,
                    fields: fields
                        .into_iter()
                        .map(|(name, value)| ProfileField { name, value })
                        .collect(),
                    props: Props {
                        id: Some(id),
                        name,
                        summary,
                        url,
                        location: addr.map(|f| Place {
                            address: Some(PostalAddress {
                                formatted: Some(f),
                                ..PostalAddress::default()
                            }),
                            ..Place::default()
                        }),
                        ..Props::default()
                    },
                    ..Actor::default()
                }
            },
        )
        .boxed()
}

fn object_kind() -> impl Strategy<Value = ObjectType> {
    prop_oneof![
        Just(ObjectType::Note),
        Just(ObjectType::Comment),
        Just(ObjectType::Article),
        Just(ObjectType::Bookmark),
        Just(ObjectType::Event),
        Just(ObjectType::Activity),
        Just(ObjectType::Unknown("http://example.org/type/x".into())),
    ]
}

fn object() -> BoxedStrategy<Object> {
    (object_kind(), object_props(), of(actor()))
        .prop_map(|(kind, mut props, author)| {
            props.author = author.map(Box::new);
            Object {
                kind,
                event: None,
                props,
            }
        })
        .boxed()
}

fn verb() -> BoxedStrategy<VerbTerm> {
    prop_oneof![
        prop_oneof![
            Just(Verb::Post),
            Just(Verb::Share),
            Just(Verb::Favorite),
            Just(Verb::Unfavorite),
            Just(Verb::Follow),
            Just(Verb::Unfollow),
            Just(Verb::Delete),
            Just(Verb::Update),
            Just(Verb::Join),
            Just(Verb::Leave),
            Just(Verb::Block),
            Just(Verb::Authorize),
            Just(Verb::RequestFriend),
        ]
        .prop_map(VerbTerm::new),
        Just(VerbTerm::parse(
            "http://activitystrea.ms/schema/1.0/unfollow"
        )),
        Just(VerbTerm::parse("http://example.org/verbs/poke")),
    ]
    .boxed()
}

fn simple_node() -> BoxedStrategy<Node> {
    prop_oneof![
        url().prop_map(Node::Ref),
        object().prop_map(Node::Object),
        actor().prop_map(Node::Actor),
    ]
    .boxed()
}

fn full_activity(nested: bool) -> BoxedStrategy<Activity> {
    (
        verb(),
        of(actor()),
        simple_node(),
        of(simple_node()),
        object_props(),
    )
        .prop_map(move |(verb, actor, object, target, mut props)| {
            if nested {
                props.name = None;
            }
            Activity {
                verb,
                actor: actor.map(Box::new),
                object: Some(Box::new(object)),
                target: target.map(Box::new),
                implied: false,
                props,
            }
        })
        .boxed()
}

fn activity() -> BoxedStrategy<Activity> {
    prop_oneof![
        // Shorthand entry.
        (verb(), of(actor()), object(), of(simple_node())).prop_map(
            |(verb, actor, mut object, target)| Activity {
                verb,
                actor: actor.map(Box::new),
                object: Some(Box::new(Node::Object({
                    // In shorthand the entry author is the actor.
                    object.props.author = None;
                    object
                }))),
                target: target.map(Box::new),
                implied: true,
                props: Props::default(),
            }
        ),
        full_activity(false),
        // A share embedding a whole activity (GNU social form).
        (full_activity(false), full_activity(true)).prop_map(|(mut outer, inner)| {
            outer.object = Some(Box::new(Node::Activity(Box::new(inner))));
            outer
        }),
    ]
    .boxed()
}

fn feed() -> BoxedStrategy<Feed> {
    (
        of(url()),
        of(free_text()),
        of(free_text()),
        of(ts()),
        of(url()),
        of(Just("en-US".to_string())),
        actor(),
        (
            of(url()),
            of(url()),
            of(url()),
            of(url()),
            of(url()),
            of(url()),
        ),
        vec(activity(), 0..3),
        vec(extension(), 0..2),
    )
        .prop_map(
            |(id, title, subtitle, updated, logo, lang, author, links, entries, ext)| Feed {
                id,
                title,
                subtitle,
                updated,
                logo,
                lang,
                entries: entries
                    .into_iter()
                    .map(|mut e| {
                        if e.actor.is_none() {
                            e.actor = Some(Box::new(author.clone()));
                        }
                        e
                    })
                    .collect(),
                author: Some(author),
                links: FeedLinks {
                    self_: links.0,
                    alternate: links.1,
                    hub: links.2,
                    salmon: links.3,
                    next: links.4,
                    prev: links.5,
                },
                total_items: None,
                extensions: Extensions(ext),
            },
        )
        .boxed()
}

fn round_trip(doc: &Document) -> Result<(), TestCaseError> {
    let xml = atom::encode(doc);
    let back = atom::decode(xml.as_bytes(), &Limits::default())
        .map_err(|e| TestCaseError::fail(format!("{e}\n{xml}")))?;
    prop_assert_eq!(&back, doc, "\n{}", xml);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn activities_round_trip(a in activity()) {
        round_trip(&Document::Activity(a))?;
    }

    #[test]
    fn feeds_round_trip(f in feed()) {
        round_trip(&Document::Feed(f))?;
    }
}
