#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Round trip law for models AS2 can represent: `decode(encode(m)) == m`.
//!
//! The generator stays inside what the codec documents as representable: HTML text, no
//! summary language, no `Addressee::Followers`, verbs whose AS2 form decodes back to them
//! (not the four reversals, `RequestFriend`, `Tag`, `Untag`), no fields AS2 lacks
//! (`scope`, `email`, attachment `size`, feed `lang`/`self`/`hub`/`salmon`).

use ostatus_bridge::codec::{Limits, as2};
use ostatus_bridge::model::{
    Activity, Actor, Addressee, Attachment, Audience, Document, Emoji, Endpoints, EventDetails,
    Extensions, Feed, FeedLinks, Hashtag, Media, Mention, Node, Object, ObjectType, Place,
    PostalAddress, ProfileField, Props, PublicKey, Reference, Text, Timestamp, Verb, VerbTerm,
};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

fn word() -> impl Strategy<Value = String> {
    "[a-z]{1,6}"
}

fn url() -> impl Strategy<Value = String> {
    ("[a-z]{1,5}", "[a-z0-9]{1,6}").prop_map(|(h, p)| format!("https://{h}.example/{p}"))
}

fn ts() -> impl Strategy<Value = Timestamp> {
    (2000u32..2030, 1u32..13, 1u32..29)
        .prop_map(|(y, m, d)| Timestamp::new(&format!("{y}-{m:02}-{d:02}T10:00:00Z")).unwrap())
}

fn coord() -> impl Strategy<Value = f64> {
    (-720i32..720).prop_map(|n| f64::from(n) / 4.0)
}

fn media() -> impl Strategy<Value = Media> {
    (
        url(),
        of("image/(png|jpeg)"),
        of(1u32..5000),
        of(1u32..5000),
    )
        .prop_map(|(url, media_type, width, height)| Media {
            url,
            media_type,
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
        vec(url().prop_map(Addressee::Id), 0..2),
        vec(url().prop_map(Addressee::Id), 0..2),
    )
        .prop_map(|(to, cc, bto, bcc)| Audience { to, cc, bto, bcc })
}

fn extensions() -> impl Strategy<Value = Extensions> {
    vec(
        prop_oneof![
            word().prop_map(serde_json::Value::String),
            any::<i32>().prop_map(serde_json::Value::from),
            any::<bool>().prop_map(serde_json::Value::Bool),
        ],
        0..3,
    )
    .prop_map(|vals| {
        let mut e = Extensions::default();
        for (i, v) in vals.into_iter().enumerate() {
            e.push_json(format!("x:ext{i}"), v);
        }
        e
    })
}

fn place() -> impl Strategy<Value = Place> {
    let address = prop_oneof![
        word().prop_map(|f| PostalAddress {
            formatted: Some(f),
            ..PostalAddress::default()
        }),
        (of(word()), of(word()), of(word()), of("[0-9]{5}"), word()).prop_map(
            |(street, locality, region, postal_code, country)| PostalAddress {
                formatted: None,
                street,
                locality,
                region,
                postal_code,
                country: Some(country),
            }
        ),
    ];
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

/// Tags, attachments and the like.
fn rich() -> impl Strategy<Value = (Vec<Mention>, Vec<Hashtag>, Vec<Emoji>, Vec<Attachment>)> {
    (
        vec(
            (url(), of(word())).prop_map(|(href, name)| Mention {
                href,
                name,
                ..Mention::default()
            }),
            0..2,
        ),
        vec(
            (word(), of(url())).prop_map(|(n, href)| Hashtag {
                name: format!("#{n}"),
                href,
            }),
            0..2,
        ),
        vec(
            (word(), media(), of(url()), of(ts())).prop_map(|(s, icon, id, updated)| Emoji {
                shortcode: format!(":{s}:"),
                icon,
                id,
                updated,
            }),
            0..2,
        ),
        vec(
            (
                prop_oneof![
                    Just(ObjectType::File),
                    Just(ObjectType::Image),
                    Just(ObjectType::Video),
                    Just(ObjectType::Audio)
                ],
                media(),
                of(word()),
                of("[A-Za-z0-9]{6}"),
            )
                .prop_map(|(kind, media, name, blurhash)| Attachment {
                    kind,
                    media,
                    size: None,
                    name,
                    blurhash,
                }),
            0..2,
        ),
    )
}

fn content() -> impl Strategy<Value = (Option<Text>, Vec<(String, String)>)> {
    (
        of((word(), of(prop_oneof![Just("en"), Just("ja")]))),
        proptest::sample::subsequence(vec!["de", "fr", "es"], 0..3),
        vec(word(), 3),
    )
        .prop_map(|(c, langs, texts)| {
            let content = c.map(|(v, lang)| Text {
                value: format!("<p>c-{v}</p>"),
                lang: lang.map(str::to_string),
                ..Text::default()
            });
            let map = langs
                .into_iter()
                .zip(texts)
                .map(|(l, t)| (l.to_string(), format!("<p>t-{t}</p>")))
                .collect();
            (content, map)
        })
}

fn reference() -> impl Strategy<Value = Reference> {
    (url(), of(url()), of(url())).prop_map(|(id, url, atom_uri)| Reference { id, url, atom_uri })
}

fn props(with_author: bool) -> impl Strategy<Value = Props> {
    let a = (
        of(url()),
        of(url()),
        of(word()),
        of(word().prop_map(Text::html)),
        content(),
        of(url()),
        of(ts()),
        of(ts()),
    );
    let b = (
        if with_author {
            of(simple_actor()).boxed()
        } else {
            Just(None).boxed()
        },
        vec(reference(), 0..3),
        of(url()),
        of(url()),
        audience(),
        rich(),
        of(any::<bool>()),
        of(media()),
    );
    let c = (of(place()), of(ts()), of(ts()), extensions());
    (a, b, c).prop_map(
        |(
            (id, atom_uri, name, summary, (content, content_map), url, published, updated),
            (author, in_reply_to, conversation, context, audience, rich, sensitive, image),
            (location, start_time, end_time, extensions),
        )| {
            let (mentions, hashtags, emoji, attachments) = rich;
            Props {
                id,
                atom_uri,
                name,
                summary,
                content,
                content_map,
                url,
                published,
                updated,
                author: author.map(Box::new),
                in_reply_to,
                conversation,
                context,
                audience,
                scope: None,
                mentions,
                hashtags,
                emoji,
                attachments,
                sensitive,
                image,
                location,
                start_time,
                end_time,
                extensions,
            }
        },
    )
}

fn actor_kind() -> impl Strategy<Value = ObjectType> {
    prop_oneof![
        Just(ObjectType::Person),
        Just(ObjectType::Group),
        Just(ObjectType::Service),
        Just(ObjectType::Application),
        Just(ObjectType::Organization),
    ]
}

/// An actor as found in `actor`/`attributedTo`: often only an id.
fn simple_actor() -> impl Strategy<Value = Actor> {
    prop_oneof![
        url().prop_map(|id| Actor {
            props: Props {
                id: Some(id),
                ..Props::default()
            },
            ..Actor::default()
        }),
        (actor_kind(), of(url()), of(word()), of(word())).prop_map(|(kind, id, name, username)| {
            Actor {
                kind,
                username,
                props: Props {
                    id,
                    name,
                    ..Props::default()
                },
                ..Actor::default()
            }
        }),
    ]
}

fn full_actor() -> impl Strategy<Value = Actor> {
    let a = (
        actor_kind(),
        of(word()),
        vec(media(), 0..3),
        of(media()),
        of(any::<bool>()),
        (of(url()), of(url()), of(url()), of(url()), of(url())),
        of((url(), url(), "[A-Za-z0-9]{8}")),
    );
    let b = (
        vec(url(), 0..2),
        of(url()),
        vec((word(), word()), 0..3),
        (
            of(url()),
            of(word()),
            of(word().prop_map(Text::html)),
            of(url()),
            of(ts()),
            extensions(),
        ),
    );
    (a, b).prop_map(
        |(
            (kind, username, avatars, header, locked, eps, key),
            (also_known_as, moved_to, fields, (id, name, summary, url, published, extensions)),
        )| Actor {
            kind,
            username,
            email: None,
            avatars,
            header,
            locked,
            endpoints: Endpoints {
                inbox: eps.0,
                outbox: eps.1,
                followers: eps.2,
                following: eps.3,
                shared_inbox: eps.4,
                ..Endpoints::default()
            },
            public_key: key.map(|(id, owner, pem)| PublicKey { id, owner, pem }),
            also_known_as,
            moved_to,
            fields: fields
                .into_iter()
                .map(|(name, value)| ProfileField { name, value })
                .collect(),
            props: Props {
                id,
                name,
                summary,
                url,
                published,
                extensions,
                ..Props::default()
            },
        },
    )
}

fn object(kinds: Vec<ObjectType>) -> impl Strategy<Value = Object> {
    (
        proptest::sample::select(kinds),
        of((
            of(word()),
            of(word()),
            of(any::<bool>()),
            of(1u64..500),
            of(word()),
        )),
        props(true),
    )
        .prop_map(|(kind, ev, props)| {
            let event = ev
                .map(|(j, r, c, m, t)| EventDetails {
                    join_mode: j,
                    replies_moderation: r,
                    comments_enabled: c,
                    maximum_attendee_capacity: m,
                    timezone: t,
                })
                .filter(|e| *e != EventDetails::default());
            Object { kind, event, props }
        })
}

fn plain_object() -> impl Strategy<Value = Object> {
    object(vec![
        ObjectType::Note,
        ObjectType::Comment,
        ObjectType::Article,
        ObjectType::Page,
        ObjectType::Image,
        ObjectType::Video,
        ObjectType::Question,
        ObjectType::Tombstone,
        ObjectType::Bookmark,
    ])
}

fn event_object() -> impl Strategy<Value = Object> {
    object(vec![ObjectType::Event])
}

fn activity_with(
    verb: Verb,
    object: impl Strategy<Value = Option<Node>>,
) -> impl Strategy<Value = Activity> {
    (
        Just(verb),
        of(simple_actor()),
        object,
        of(prop_oneof![url().prop_map(Node::Ref)]),
        props(false),
    )
        .prop_map(|(verb, actor, object, target, props)| Activity {
            verb: VerbTerm::new(verb),
            actor: actor.map(Box::new),
            object: object.map(Box::new),
            target: target.map(Box::new),
            implied: false,
            props,
        })
}

fn ref_or_object() -> impl Strategy<Value = Option<Node>> {
    of(prop_oneof![
        url().prop_map(Node::Ref),
        plain_object().prop_map(Node::Object),
    ])
}

fn follow() -> impl Strategy<Value = Activity> {
    activity_with(Verb::Follow, of(url().prop_map(Node::Ref)))
}

fn activity() -> impl Strategy<Value = Activity> {
    let simple = proptest::sample::select(vec![
        Verb::Post,
        Verb::Share,
        Verb::Favorite,
        Verb::Follow,
        Verb::Delete,
        Verb::Update,
        Verb::Add,
        Verb::Remove,
        Verb::Block,
        Verb::Flag,
        Verb::Move,
        Verb::Join,
        Verb::Leave,
        Verb::Invite,
        Verb::RsvpMaybe,
        Verb::Unknown("View".into()),
        Verb::Unknown("Dislike".into()),
        Verb::Unknown("http://example.org/verbs/frobnicate".into()),
    ]);
    prop_oneof![
        simple.prop_flat_map(|v| activity_with(v, ref_or_object())),
        activity_with(
            Verb::Authorize,
            prop_oneof![
                url().prop_map(|u| Some(Node::Ref(u))),
                follow().prop_map(|f| Some(Node::Activity(Box::new(f)))),
            ]
        ),
        activity_with(
            Verb::Reject,
            follow().prop_map(|f| Some(Node::Activity(Box::new(f))))
        ),
        activity_with(
            Verb::Accept,
            plain_object().prop_map(|o| Some(Node::Object(o)))
        ),
        activity_with(
            Verb::RsvpYes,
            event_object().prop_map(|o| Some(Node::Object(o)))
        ),
        activity_with(
            Verb::RsvpNo,
            event_object().prop_map(|o| Some(Node::Object(o)))
        ),
        activity_with(
            Verb::UpdateProfile,
            full_actor().prop_map(|a| Some(Node::Actor(a)))
        ),
        activity_with(
            Verb::Undo,
            proptest::sample::select(vec![Verb::Favorite, Verb::Follow, Verb::Share])
                .prop_flat_map(|v| activity_with(v, of(url().prop_map(Node::Ref))))
                .prop_map(|a| Some(Node::Activity(Box::new(a))))
        ),
    ]
}

fn implied() -> impl Strategy<Value = Activity> {
    prop_oneof![
        plain_object().prop_map(Node::Object),
        event_object().prop_map(Node::Object),
        full_actor().prop_map(Node::Actor),
    ]
    .prop_map(|n| Activity {
        verb: VerbTerm::new(Verb::Post),
        implied: true,
        object: Some(Box::new(n)),
        ..Activity::default()
    })
}

fn feed() -> impl Strategy<Value = Feed> {
    (
        (of(url()), of(word()), of(word()), of(ts()), of(url())),
        of(simple_actor()),
        (of(url()), of(url()), of(url())),
        of(0u64..10_000),
        vec(
            prop_oneof![
                activity(),
                implied(),
                url().prop_map(|u| Activity {
                    implied: true,
                    object: Some(Box::new(Node::Ref(u))),
                    ..Activity::default()
                }),
            ],
            0..3,
        ),
        extensions(),
    )
        .prop_map(
            |((id, title, subtitle, updated, logo), author, links, total_items, entries, ext)| {
                Feed {
                    id,
                    title,
                    subtitle,
                    updated,
                    logo,
                    lang: None,
                    author,
                    links: FeedLinks {
                        alternate: links.0,
                        next: links.1,
                        prev: links.2,
                        ..FeedLinks::default()
                    },
                    total_items,
                    entries,
                    extensions: ext,
                }
            },
        )
}

fn round_trip(doc: &Document) {
    let text = as2::encode(doc);
    let back =
        as2::decode(text.as_bytes(), &Limits::default()).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(&back, doc, "\n{text}");
}

/// Runs `strategy` with a big stack: the nested strategies' value trees are deep in debug builds.
fn check<S>(make: fn() -> S, wrap: fn(S::Value) -> Document)
where
    S: Strategy + 'static,
    S::Value: std::fmt::Debug,
{
    std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(move || {
            let strategy = make();
            let mut runner =
                proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(256));
            runner
                .run(&strategy, |v| {
                    round_trip(&wrap(v));
                    Ok(())
                })
                .unwrap();
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn activities_round_trip() {
    check(activity, Document::Activity);
}

#[test]
fn bare_objects_round_trip() {
    check(implied, Document::Activity);
}

#[test]
fn feeds_round_trip() {
    check(feed, Document::Feed);
}
