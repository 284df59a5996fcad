#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `decode(encode(m)) == m` for generated models that Pump.io JSON can represent.

use ostatus_bridge::codec::{Limits, pump};
use ostatus_bridge::model::{
    Activity, Actor, Addressee, Attachment, Audience, Document, Endpoints, Extensions, Feed,
    FeedLinks, Hashtag, Media, Mention, MentionKind, Node, Object, ObjectType, Place,
    PostalAddress, Props, Reference, Text, Timestamp, VerbTerm,
};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;
use serde_json::json;

fn word() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 <>&\"'é#@:/._-]{0,12}"
}

fn url() -> impl Strategy<Value = String> {
    "(https://[a-z]{1,6}\\.example/[a-z0-9]{0,6}|acct:[a-z]{1,5}@[a-z]{1,5}\\.example|tag:[a-z]{1,5}\\.example,2014:[0-9]{1,4})"
}

fn ts() -> impl Strategy<Value = Timestamp> {
    "20[0-2][0-9]-0[1-9]-[12][0-9]T[01][0-9]:[0-5][0-9]:00(Z|\\+01:00)"
        .prop_map(|s| Timestamp::new(&s).unwrap())
}

fn html() -> impl Strategy<Value = Text> {
    word().prop_map(Text::html)
}

fn media() -> impl Strategy<Value = Media> {
    (url(), of(1u32..5000), of(1u32..5000)).prop_map(|(url, width, height)| Media {
        url,
        media_type: None,
        width,
        height,
    })
}

fn addressee() -> impl Strategy<Value = Addressee> {
    prop_oneof![Just(Addressee::Public), url().prop_map(Addressee::Id)]
}

fn audience() -> impl Strategy<Value = Audience> {
    (
        vec(addressee(), 0..3),
        vec(addressee(), 0..3),
        vec(addressee(), 0..2),
        vec(addressee(), 0..2),
    )
        .prop_map(|(to, cc, bto, bcc)| Audience { to, cc, bto, bcc })
}

fn extensions() -> impl Strategy<Value = Extensions> {
    vec(
        prop_oneof![
            word().prop_map(|s| json!(s)),
            any::<i32>().prop_map(|n| json!(n)),
            word().prop_map(|s| json!({"a": s, "b": [1, 2]})),
        ],
        0..3,
    )
    .prop_map(|values| {
        let mut e = Extensions::default();
        for (i, v) in values.into_iter().enumerate() {
            e.push_json(format!("x:ext{i}"), v);
        }
        e
    })
}

fn coord() -> impl Strategy<Value = f64> {
    (-180_000i32..180_000).prop_map(|n| f64::from(n) / 1000.0)
}

fn place() -> impl Strategy<Value = Place> {
    let address = (
        of(word()),
        of(word()),
        of(word()),
        of(word()),
        of(word()),
        of(word()),
    )
        .prop_map(
            |(formatted, street, locality, region, postal_code, country)| PostalAddress {
                formatted,
                street,
                locality,
                region,
                postal_code,
                country,
            },
        );
    (
        of(url()),
        of(word()),
        of(coord()),
        of(coord()),
        of(coord()),
        of(address),
        of(url()),
    )
        .prop_map(
            |(id, name, latitude, longitude, altitude, address, url)| Place {
                id,
                name,
                latitude,
                longitude,
                altitude,
                address,
                url,
            },
        )
}

fn attachment() -> impl Strategy<Value = Attachment> {
    (
        prop_oneof![
            Just(ObjectType::Image),
            Just(ObjectType::Video),
            Just(ObjectType::Audio),
            Just(ObjectType::File)
        ],
        media(),
        of("(image/png|video/mp4|audio/ogg)"),
        of(word()),
    )
        .prop_map(|(kind, mut media, mime, name)| {
            media.media_type = mime;
            Attachment {
                kind,
                media,
                size: None,
                name,
                blurhash: None,
            }
        })
}

fn actor() -> impl Strategy<Value = Actor> {
    (
        prop_oneof![
            Just(ObjectType::Person),
            Just(ObjectType::Group),
            Just(ObjectType::Service)
        ],
        of(url()),
        of(word()),
        of(word()),
        of(html()),
        of(url()),
        vec(media(), 0..3),
        (of(url()), of(url()), of(url()), of(url())),
        extensions(),
    )
        .prop_map(
            |(kind, id, name, username, summary, url, avatars, (i, o, fr, fg), extensions)| Actor {
                kind,
                username,
                avatars,
                endpoints: Endpoints {
                    inbox: i,
                    outbox: o,
                    followers: fr,
                    following: fg,
                    ..Endpoints::default()
                },
                props: Props {
                    id,
                    name,
                    summary,
                    url,
                    extensions,
                    ..Props::default()
                },
                ..Actor::default()
            },
        )
}

fn object_props() -> impl Strategy<Value = Props> {
    (
        (
            of(url()),
            of(word()),
            of(html()),
            of(html()),
            of(url()),
            of(ts()),
            of(ts()),
        ),
        (
            of(actor()),
            vec(
                (url(), of(url())).prop_map(|(id, url)| Reference {
                    id,
                    url,
                    atom_uri: None,
                }),
                0..3,
            ),
            audience(),
        ),
        (
            vec(
                (url(), of(word()), prop::bool::ANY).prop_map(|(href, name, g)| Mention {
                    href,
                    name,
                    kind: if g {
                        MentionKind::Group
                    } else {
                        MentionKind::Person
                    },
                }),
                0..3,
            ),
            vec(
                (word(), of(url())).prop_map(|(name, href)| Hashtag { name, href }),
                0..3,
            ),
            vec(attachment(), 0..3),
        ),
        (
            of(any::<bool>()),
            of(media()),
            of(place()),
            of(ts()),
            of(ts()),
            extensions(),
        ),
    )
        .prop_map(
            |(
                (id, name, summary, content, url, published, updated),
                (author, in_reply_to, audience),
                (mentions, hashtags, attachments),
                (sensitive, image, location, start_time, end_time, extensions),
            )| Props {
                id,
                name,
                summary,
                content,
                url,
                published,
                updated,
                author: author.map(Box::new),
                in_reply_to,
                audience,
                mentions,
                hashtags,
                attachments,
                sensitive,
                image,
                location,
                start_time,
                end_time,
                extensions,
                ..Props::default()
            },
        )
}

fn object() -> impl Strategy<Value = Object> {
    (
        prop_oneof![
            Just(ObjectType::Note),
            Just(ObjectType::Comment),
            Just(ObjectType::Article),
            Just(ObjectType::Image),
            Just(ObjectType::Video),
            Just(ObjectType::Audio),
            Just(ObjectType::Event),
            Just(ObjectType::Bookmark),
        ],
        object_props(),
    )
        .prop_map(|(kind, props)| Object {
            kind,
            event: None,
            props,
        })
}

fn node() -> impl Strategy<Value = Node> {
    prop_oneof![
        url().prop_map(Node::Ref),
        object().prop_map(Node::Object),
        actor().prop_map(Node::Actor),
        (url(), url()).prop_map(|(id, obj)| Node::Activity(Box::new(Activity {
            verb: VerbTerm::parse("post"),
            object: Some(Box::new(Node::Ref(obj))),
            props: Props {
                id: Some(id),
                ..Props::default()
            },
            ..Activity::default()
        }))),
    ]
}

const VERBS: &[&str] = &[
    "post",
    "share",
    "unshare",
    "favorite",
    "like",
    "unfavorite",
    "unlike",
    "follow",
    "stop-following",
    "delete",
    "update",
    "join",
    "leave",
    "add",
    "remove",
    "flag-as-inappropriate",
    "undo",
    "http://example.org/verbs/frobnicate",
];

fn activity() -> impl Strategy<Value = Activity> {
    (
        prop::sample::select(VERBS),
        of(actor()),
        of(node()),
        of(prop_oneof![
            url().prop_map(Node::Ref),
            object().prop_map(Node::Object)
        ]),
        (
            of(url()),
            of(word()),
            of(html()),
            of(url()),
            of(ts()),
            audience(),
            of(place()),
            extensions(),
        ),
    )
        .prop_map(
            |(
                verb,
                actor,
                object,
                target,
                (id, name, content, url, published, audience, location, extensions),
            )| {
                let mut object = object;
                // `update` of an actor reads back as a profile update (another model).
                if verb == "update"
                    && let Some(Node::Actor(a)) = &object
                {
                    object = Some(Node::Ref(a.props.id.clone().unwrap_or_default()));
                }
                Activity {
                    verb: VerbTerm::parse(verb),
                    actor: actor.map(Box::new),
                    object: object.map(Box::new),
                    target: target.map(Box::new),
                    implied: false,
                    props: Props {
                        id,
                        name,
                        content,
                        url,
                        published,
                        audience,
                        location,
                        extensions,
                        ..Props::default()
                    },
                }
            },
        )
}

fn implied() -> impl Strategy<Value = Activity> {
    (
        of(actor()),
        prop_oneof![
            object().prop_map(Node::Object),
            actor().prop_map(Node::Actor)
        ],
    )
        .prop_map(|(actor, mut node)| {
            match &mut node {
                Node::Object(o) => o.props.author = None,
                Node::Actor(a) => a.props.author = None,
                _ => {}
            }
            Activity {
                actor: actor.map(Box::new),
                object: Some(Box::new(node)),
                implied: true,
                ..Activity::default()
            }
        })
}

fn feed() -> impl Strategy<Value = Feed> {
    (
        (of(url()), of(word()), of(word()), of(ts()), of(actor())),
        (
            of(url()),
            of(url()),
            of(url()),
            of(url()),
            of(url()),
            of(url()),
        ),
        of(0u64..10_000),
        vec(prop_oneof![activity(), implied()], 0..3),
        extensions(),
    )
        .prop_map(
            |(
                (id, title, subtitle, updated, author),
                (s, a, h, sa, n, p),
                total_items,
                entries,
                extensions,
            )| Feed {
                id,
                title,
                subtitle,
                updated,
                logo: None,
                lang: None,
                author,
                links: FeedLinks {
                    self_: s,
                    alternate: a,
                    hub: h,
                    salmon: sa,
                    next: n,
                    prev: p,
                },
                total_items,
                entries,
                extensions,
            },
        )
}

fn document() -> impl Strategy<Value = Document> {
    prop_oneof![
        3 => activity().prop_map(Document::Activity),
        2 => implied().prop_map(Document::Activity),
        1 => feed().prop_map(Document::Feed),
    ]
}

/// The generated strategy is large; in debug builds its value trees need more stack than a
/// test thread has, so the runner gets its own thread.
#[test]
fn decode_encode_is_identity() {
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(|| {
            let mut runner =
                proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(256));
            runner
                .run(&document(), |doc| {
                    let text = pump::encode(&doc);
                    let back = pump::decode(text.as_bytes(), &Limits::default())
                        .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
                    prop_assert_eq!(back, doc, "{}", text);
                    Ok(())
                })
                .map_err(|e| e.to_string())
        })
        .unwrap();
    if let Err(e) = handle.join().unwrap() {
        panic!("{e}");
    }
}

/// Any JSON value, shallow.
fn any_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(json!(null)),
        any::<bool>().prop_map(|b| json!(b)),
        (0u32..3000).prop_map(|n| json!(n)),
        (-1000i32..1000).prop_map(|n| json!(f64::from(n) / 7.0)),
        prop::sample::select(vec![
            "",
            " 2014-03-01T12:00:00Z ",
            "true",
            "note",
            "person",
            "hashtag",
            "mention",
            "collection",
            "https://a.example/x",
            "acct:a@b.example",
            "http://activityschema.org/collection/public",
            "@unlisted",
        ])
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            vec(
                (
                    prop::sample::select(vec![
                        "id",
                        "url",
                        "href",
                        "value",
                        "objectType",
                        "displayName",
                        "rel",
                        "width",
                        "height",
                        "latitude",
                        "longitude",
                        "position",
                        "address",
                        "alias",
                        "mimeType",
                        "fullImage",
                        "image",
                        "stream",
                        "extra",
                        "activity-inbox",
                        "self",
                        "next",
                        "totalItems",
                    ]),
                    inner
                ),
                0..4
            )
            .prop_map(|kv| {
                serde_json::Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}

const KEYS: &[&str] = &[
    "id",
    "verb",
    "actor",
    "object",
    "target",
    "displayName",
    "content",
    "summary",
    "url",
    "published",
    "updated",
    "author",
    "inReplyTo",
    "to",
    "cc",
    "image",
    "stream",
    "location",
    "tags",
    "attachments",
    "links",
    "followers",
    "following",
    "preferredUsername",
    "username",
    "startTime",
    "sensitive",
    "items",
    "totalItems",
    "fullImage",
    "objectType",
];

/// Whatever odd shapes a peer sends: when it decodes, it re-encodes losslessly.
#[test]
fn odd_shapes_re_encode_losslessly() {
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(move || {
            let strategy = (
                prop::sample::select(vec!["note", "person", "video", "collection", "activity"]),
                vec((prop::sample::select(KEYS), any_json()), 0..5),
            );
            let mut runner =
                proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(512));
            runner
                .run(&strategy, |(ty, members)| {
                    let mut m = serde_json::Map::new();
                    if ty == "activity" {
                        m.insert("verb".into(), json!("post"));
                    } else {
                        m.insert("objectType".into(), json!(ty));
                    }
                    for (k, v) in members {
                        m.insert(k.to_string(), v);
                    }
                    let text = serde_json::Value::Object(m).to_string();
                    if let Ok(d) = pump::decode(text.as_bytes(), &Limits::default()) {
                        let enc = pump::encode(&d);
                        let back = pump::decode(enc.as_bytes(), &Limits::default())
                            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}\n{enc}")))?;
                        prop_assert_eq!(back, d, "{}\n{}", text, enc);
                    }
                    Ok(())
                })
                .map_err(|e| e.to_string())
        })
        .unwrap();
    if let Err(e) = handle.join().unwrap() {
        panic!("{e}");
    }
}
