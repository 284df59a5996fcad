#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Pump.io ↔ AS2 through the translate layer (`src/translate/cross.rs`, `to_legacy.rs`):
//! Pump-only members do not leak into AS2 and AS2-only ones do not leak into Pump (mapped
//! where there is an equivalent), a bare Pump object keeps its author, ids the bridge
//! minted come back as the Pump ids, and a deleted object comes back with its type.

mod support;

use ostatus_bridge::codec::Format;
use serde_json::{Value, json};
use support::{BASE, fixture, run};

fn pump_to_as2(rel: &str) -> Value {
    serde_json::from_str(&run(&fixture(rel), Format::Pump, Format::As2)).unwrap()
}

fn as2_to_pump(input: &[u8]) -> Value {
    serde_json::from_str(&run(input, Format::As2, Format::Pump)).unwrap()
}

/// Every member name in `v`, at any depth.
fn member_names(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                out.push(k.clone());
                member_names(x, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|x| member_names(x, out)),
        _ => {}
    }
}

fn assert_no_members(v: &Value, banned: &[&str], what: &str) {
    let mut names = Vec::new();
    member_names(v, &mut names);
    for n in names {
        assert!(
            !n.starts_with("pump:raw:") && !banned.contains(&n.as_str()),
            "{what}: member {n:?} leaked\n{v:#}"
        );
    }
}

const PUMP_ONLY: &[&str] = &[
    "objectType",
    "links",
    "upstreamDuplicates",
    "downstreamDuplicates",
    "replies",
    "likes",
    "shares",
    "lists",
    "members",
    "favorites",
    "fullImage",
    "displayName",
    "tags",
];

fn minted(legacy: &str) -> String {
    let m = ostatus_bridge::translate::IdMinter::new(&url::Url::parse(BASE).unwrap());
    m.mint(legacy).unwrap()
}

// --------------------------------------------------------------------- Pump → AS2

#[test]
fn no_pump_member_reaches_as2() {
    for rel in [
        "external/granary/note.as.json",
        "external/granary/follow.as.json",
        "external/granary/update_person.as.json",
        "external/granary/comment.as.json",
        "pump/post_note_public.json",
        "pump/update_person.json",
        "pump/note_with_image.json",
        "pump/inbox_collection.json",
        "pump/join_group.json",
        "pump/reply_comment.json",
    ] {
        assert_no_members(&pump_to_as2(rel), PUMP_ONLY, rel);
    }
}

#[test]
fn bare_pump_note_keeps_its_author() {
    let v = pump_to_as2("external/granary/note.as.json");
    assert_eq!(v["type"], "Note");
    let author = &v["attributedTo"];
    assert_eq!(author["id"], minted("tag:example.com,2001:ryan"));
    assert_eq!(author["atomUri"], "tag:example.com,2001:ryan");
    assert_eq!(author["type"], "Person");
    assert_eq!(author["name"], "Ryan Barrett");
    assert_eq!(author["icon"]["url"], "http://example.com/ryan/image");
}

#[test]
fn pump_link_tag_becomes_an_as2_link() {
    let v = pump_to_as2("external/granary/note.as.json");
    assert_eq!(
        v["tag"],
        json!([{"type": "Link", "href": "http://my/link"}]),
        "{v:#}"
    );
    assert!(v.get("upstreamDuplicates").is_none());
}

#[test]
fn pump_generator_is_translated() {
    let v = pump_to_as2("pump/post_note_public.json");
    assert_eq!(
        v["generator"],
        json!({"id": "https://pumpa.example/", "type": "Application", "name": "Pumpa"})
    );
    assert!(v.get("links").is_none());
    assert!(v["object"].get("replies").is_none());
    assert!(v["actor"].get("pump:raw:links").is_none());
    // The mapped members are still there.
    assert_eq!(
        v["actor"]["inbox"],
        "https://pump.example/api/user/carol/inbox"
    );
    assert_eq!(
        v["actor"]["followers"],
        "https://pump.example/api/user/carol/followers"
    );
}

#[test]
fn pump_favorites_become_liked() {
    let v = pump_to_as2("pump/update_person.json");
    assert_eq!(
        v["object"]["liked"],
        "https://pump.example/api/user/carol/favorites"
    );
    assert!(v["object"].get("lists").is_none());
}

#[test]
fn pump_full_image_becomes_the_attachment() {
    let v = pump_to_as2("pump/note_with_image.json");
    let o = &v["object"];
    assert_eq!(o["type"], "Image");
    assert_eq!(
        o["attachment"],
        json!([{
            "type": "Image",
            "url": "https://pump.example/uploads/carol/2014/3/6/tomato.jpg",
            "width": 1600,
            "height": 1200
        }])
    );
    assert_eq!(
        o["image"]["url"],
        "https://pump.example/uploads/carol/2014/3/6/tomato_thumb.jpg"
    );
}

#[test]
fn pump_activity_object_type_is_dropped() {
    let v = pump_to_as2("external/granary/follow.as.json");
    assert_eq!(v["type"], "Follow");
    assert!(v.get("objectType").is_none(), "{v:#}");
}

#[test]
fn pump_collection_links_are_dropped() {
    let v = pump_to_as2("pump/inbox_collection.json");
    assert_eq!(v["type"], "OrderedCollection");
    assert!(v.get("pump:raw:links").is_none(), "{v:#}");
    assert_eq!(v["totalItems"], 42);
}

#[test]
fn pump_to_pump_keeps_the_raw_copies() {
    // The cross-format policy never runs within one format.
    let out: Value = serde_json::from_str(&run(
        &fixture("external/granary/note.as.json"),
        Format::Pump,
        Format::Pump,
    ))
    .unwrap();
    let original: Value =
        serde_json::from_slice(&fixture("external/granary/note.as.json")).unwrap();
    for key in ["tags", "image", "location", "upstreamDuplicates", "author"] {
        assert_eq!(out[key], original[key], "{key}\n{out:#}");
    }
}

// --------------------------------------------------------------------- AS2 → Pump

#[test]
fn pump_ids_come_back_exactly() {
    let as2 = run(
        &fixture("pump/reply_comment.json"),
        Format::Pump,
        Format::As2,
    );
    assert!(as2.contains(&minted("acct:carol@pump.example")), "{as2}");
    let back = as2_to_pump(as2.as_bytes());
    assert_eq!(back["actor"]["id"], "acct:dmitri@pump.example");
    assert_eq!(back["to"][0]["id"], "acct:carol@pump.example");
    let o = &back["object"];
    assert_eq!(o["objectType"], "comment");
    assert_eq!(
        o["inReplyTo"]["id"],
        "https://pump.example/api/note/pVb7t8r4Rv-3ZyZkq8hG2w"
    );
    assert_eq!(o["tags"][0]["id"], "acct:carol@pump.example");
    assert_eq!(o["tags"][0]["objectType"], "person");
    assert!(!back.to_string().contains(BASE), "{back:#}");
}

#[test]
fn bare_pump_object_ids_come_back() {
    let as2 = run(
        &fixture("external/granary/note.as.json"),
        Format::Pump,
        Format::As2,
    );
    let back = as2_to_pump(as2.as_bytes());
    assert_eq!(back["id"], "tag:example.com,2011:blog-post-123");
    assert_eq!(back["author"]["id"], "tag:example.com,2001:ryan");
    assert_eq!(back["author"]["displayName"], "Ryan Barrett");
    assert_eq!(back["tags"], json!([{"url": "http://my/link"}]));
    assert_no_members(&back, &["tag", "attributedTo", "icon", "atomUri"], "note");
}

#[test]
fn deleted_pump_note_comes_back_as_a_note() {
    let as2: Value = pump_to_as2("pump/delete.json");
    assert_eq!(as2["object"]["type"], "Tombstone");
    assert_eq!(as2["object"]["formerType"], "Note");
    let back = as2_to_pump(as2.to_string().as_bytes());
    assert_eq!(back["verb"], "delete");
    assert_eq!(back["actor"]["id"], "acct:carol@pump.example");
    assert_eq!(
        back["object"],
        json!({"id": "https://pump.example/api/note/pVb7t8r4Rv-3ZyZkq8hG2w", "objectType": "note"})
    );
}

#[test]
fn as2_reply_note_is_a_pump_comment() {
    let back = as2_to_pump(&fixture("external/granary/comment.as2.json"));
    assert_eq!(back["objectType"], "comment");
    assert_eq!(back["inReplyTo"]["id"], "http://example.com/original/post");
}

#[test]
fn no_as2_member_reaches_pump() {
    let actor = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://ap.example/users/zoe",
        "type": "Person",
        "preferredUsername": "zoe",
        "inbox": "https://ap.example/users/zoe/inbox",
        "liked": "https://ap.example/users/zoe/liked",
        "discoverable": true,
        "indexable": false,
        "featured": "https://ap.example/users/zoe/collections/featured",
        "featuredTags": "https://ap.example/users/zoe/collections/tags",
        "devices": "https://ap.example/users/zoe/collections/devices",
        "memorial": false,
        "endpoints": {"sharedInbox": "https://ap.example/inbox", "proxyUrl": "https://ap.example/proxy"},
        "icon": {"type": "Image", "url": "https://ap.example/zoe.png", "focalPoint": [0, 0]},
        "tag": [
            {"type": "Hashtag", "href": "https://ap.example/tags/cats", "name": "#cats"},
            {"type": "Link", "href": "https://zoe.example/", "name": "home"}
        ],
        "url": [{"type": "Link", "href": "https://ap.example/@zoe", "mediaType": "text/html"}],
        "generator": {"type": "Application", "name": "Tusky", "url": "https://tusky.app/"}
    });
    let back = as2_to_pump(actor.to_string().as_bytes());
    assert_no_members(
        &back,
        &[
            "discoverable",
            "indexable",
            "featured",
            "featuredTags",
            "devices",
            "memorial",
            "endpoints",
            "icon",
            "tag",
            "liked",
            "type",
            "focalPoint",
        ],
        "actor",
    );
    assert_eq!(back["objectType"], "person");
    assert_eq!(back["url"], "https://ap.example/@zoe");
    assert_eq!(back["image"]["url"], "https://ap.example/zoe.png");
    assert_eq!(
        back["favorites"],
        json!({"url": "https://ap.example/users/zoe/liked"})
    );
    assert_eq!(
        back["tags"],
        json!([
            {"objectType": "hashtag", "displayName": "#cats", "url": "https://ap.example/tags/cats"},
            {"url": "https://zoe.example/", "displayName": "home"}
        ])
    );
    assert_eq!(
        back["generator"],
        json!({"objectType": "application", "displayName": "Tusky", "url": "https://tusky.app/"})
    );
}
