#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Random AS2-shaped JSON: decoding never panics, and whatever decodes re-encodes losslessly
//! (`decode(encode(d)) == d`).

use ostatus_bridge::codec::{Limits, as2};
use proptest::prelude::*;
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicUsize, Ordering};

const KEYS: &[&str] = &[
    "type",
    "id",
    "actor",
    "object",
    "target",
    "to",
    "cc",
    "bcc",
    "tag",
    "attachment",
    "url",
    "image",
    "icon",
    "location",
    "content",
    "contentMap",
    "summary",
    "name",
    "attributedTo",
    "inReplyTo",
    "inReplyToAtomUri",
    "atomUri",
    "published",
    "orderedItems",
    "items",
    "totalItems",
    "next",
    "sensitive",
    "href",
    "mediaType",
    "width",
    "height",
    "preferredUsername",
    "endpoints",
    "sharedInbox",
    "publicKey",
    "alsoKnownAs",
    "address",
    "latitude",
    "value",
    "joinMode",
    "ostatus:verb",
    "ostatus:objectType",
    "context",
    "x",
    "nameMap",
    "startTime",
    "updated",
    "blurhash",
    "focalPoint",
    "timezone",
    "maximumAttendeeCapacity",
    "commentsEnabled",
    "manuallyApprovesFollowers",
    "movedTo",
    "owner",
    "publicKeyPem",
    "streetAddress",
    "longitude",
    "@context",
    "inbox",
    "followers",
    "first",
    "prev",
];

const STRINGS: &[&str] = &[
    "Note",
    "Create",
    "Announce",
    "Accept",
    "Reject",
    "Undo",
    "Update",
    "Follow",
    "Like",
    "Mention",
    "Hashtag",
    "Tag",
    "Emoji",
    "Document",
    "Image",
    "Link",
    "Person",
    "Group",
    "Event",
    "Place",
    "PostalAddress",
    "PropertyValue",
    "OrderedCollection",
    "CollectionPage",
    "Tombstone",
    "View",
    "Activity",
    "Public",
    "as:Public",
    "comment",
    "text/html",
    "en",
    "https://a.example/1",
    "https://a.example/2",
    "#tag",
    ":e:",
    "",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-5i64..5000).prop_map(Value::from),
        (-100.0f64..100.0).prop_map(Value::from),
        proptest::sample::select(STRINGS).prop_map(|s| Value::String(s.to_string())),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((proptest::sample::select(KEYS), inner), 0..6).prop_map(
                |members| {
                    let mut m = Map::new();
                    for (k, v) in members {
                        m.insert(k.to_string(), v);
                    }
                    Value::Object(m)
                }
            ),
        ]
    })
}

fn root() -> impl Strategy<Value = Value> {
    (
        proptest::sample::select(STRINGS),
        proptest::collection::vec((proptest::sample::select(KEYS), json()), 0..8),
    )
        .prop_map(|(ty, members)| {
            let mut m = Map::new();
            m.insert("type".into(), Value::String(ty.to_string()));
            for (k, v) in members {
                m.insert(k.to_string(), v);
            }
            Value::Object(m)
        })
}

#[test]
fn decoded_documents_re_encode_losslessly() {
    std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(|| {
            let mut runner =
                proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(1024));
            runner
                .run(&root(), |v| {
                    let bytes = serde_json::to_vec(&v).unwrap();
                    if let Ok(doc) = as2::decode(&bytes, &Limits::default()) {
                        OK.fetch_add(1, Ordering::Relaxed);
                        let text = as2::encode(&doc);
                        let back = as2::decode(text.as_bytes(), &Limits::default())
                            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
                        prop_assert_eq!(back, doc, "\ninput {}\nencoded {}", v, text);
                    }
                    Ok(())
                })
                .unwrap();
        })
        .unwrap()
        .join()
        .unwrap();
    let ok = OK.load(Ordering::Relaxed);
    eprintln!("{ok} of the generated documents decoded");
    assert!(ok >= 100, "only {ok} generated documents decoded");
}

static OK: AtomicUsize = AtomicUsize::new(0);
