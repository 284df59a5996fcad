#![allow(clippy::unwrap_used, clippy::expect_used)]
//! granary's AS1 ↔ AS2 pairs (`fixtures/external/granary/`): our Pump → AS2 and AS2 → Pump
//! translations agree with granary's expected file on every field both formats carry.
//! Where we deliberately differ, the difference is listed below with the reason, and the
//! test fails if a listed difference disappears or an unlisted one appears.

use ostatus_bridge::codec::{Format, Limits};
use ostatus_bridge::translate::{self, IdMinter, Options};
use serde_json::Value;

const BASE: &str = "https://bridge.example";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/fixtures/external/granary/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn run(input: &[u8], from: Format, to: Format) -> Value {
    let opts = Options {
        from: Some(from),
        to,
        base_url: url::Url::parse(BASE).unwrap(),
        limits: Limits::default(),
        sanitize: true,
    };
    let (_, out) = translate::translate(input, &opts).unwrap();
    serde_json::from_str(&out).unwrap()
}

/// True for an object that holds nothing but `id` (AS1 and AS2 both allow a bare id string
/// in its place).
fn only_id(m: &serde_json::Map<String, Value>) -> Option<&str> {
    let mut keys = m.keys().filter(|k| *k != "@context");
    match (keys.next().map(String::as_str), keys.next()) {
        (Some("id"), None) => m.get("id").and_then(Value::as_str),
        _ => None,
    }
}

/// Compares `expected` against `ours` member by member, both ways: a member only in
/// `expected` is `missing`, a member only in ours is `unexpected`. Equal although written
/// differently: `@context` (ours is always the one canonical context) is skipped at every
/// level; a minted id equals the legacy id it stands for (and an `atomUri` repeating that
/// legacy id next to the minted id is not counted); a single value equals a
/// one-element list; an object holding only `id` equals that id as a bare string. Returns
/// `path: what` lines.
fn differences(expected: &Value, ours: &Value, path: &str, out: &mut Vec<String>) {
    let minter = IdMinter::new(&url::Url::parse(BASE).unwrap());
    match (expected, ours) {
        (Value::Object(e), Value::Object(o)) => {
            for (k, ev) in e {
                if k == "@context" {
                    continue;
                }
                let p = format!("{path}.{k}");
                match o.get(k) {
                    Some(ov) => differences(ev, ov, &p, out),
                    None => out.push(format!("{p}: missing (expected {ev})")),
                }
            }
            // `atomUri` holding the legacy id that our minted `id` stands for says nothing
            // the minted id does not (Mastodon's convention, README "Ids").
            let minted_from = o
                .get("id")
                .and_then(Value::as_str)
                .and_then(|id| minter.unmint(id));
            for (k, ov) in o {
                if k == "atomUri" && minted_from.is_some() && ov.as_str() == minted_from.as_deref()
                {
                    continue;
                }
                if k != "@context" && !e.contains_key(k) {
                    out.push(format!("{path}.{k}: unexpected {ov}"));
                }
            }
        }
        (Value::Array(e), Value::Array(o)) if e.len() == o.len() => {
            for (i, (ev, ov)) in e.iter().zip(o).enumerate() {
                differences(ev, ov, &format!("{path}[{i}]"), out);
            }
        }
        (Value::String(e), Value::String(o)) => {
            let unminted = minter.unmint(o);
            if e != o && unminted.as_deref() != Some(e.as_str()) {
                out.push(format!("{path}: expected {e:?}, got {o:?}"));
            }
        }
        // A single value and a one-element list are the same in AS1 and AS2.
        (e, Value::Array(o)) if o.len() == 1 && !e.is_array() => differences(e, &o[0], path, out),
        (Value::Array(e), o) if e.len() == 1 && !o.is_array() => differences(&e[0], o, path, out),
        // `{"id": x}` and `"x"` name the same object.
        (Value::Object(e), o @ Value::String(_)) if only_id(e).is_some() => {
            differences(&Value::String(only_id(e).unwrap().into()), o, path, out)
        }
        (e @ Value::String(_), Value::Object(o)) if only_id(o).is_some() => {
            differences(e, &Value::String(only_id(o).unwrap().into()), path, out)
        }
        (e, o) if e == o => {}
        (e, o) => out.push(format!("{path}: expected {e}, got {o}")),
    }
}

/// Translates the `from` file of pair `name` and compares it with the other file; returns
/// a failure message when the differences are not exactly the `documented` paths.
fn check(name: &str, from: Format, documented: &[(&str, &str)]) -> Option<String> {
    let (input, expected, to) = if from == Format::Pump {
        (
            format!("{name}.as.json"),
            format!("{name}.as2.json"),
            Format::As2,
        )
    } else {
        (
            format!("{name}.as2.json"),
            format!("{name}.as.json"),
            Format::Pump,
        )
    };
    let ours = run(&fixture(&input), from, to);
    let expected: Value = serde_json::from_slice(&fixture(&expected)).unwrap();
    let mut diffs = Vec::new();
    differences(&expected, &ours, "$", &mut diffs);
    for (p, why) in documented {
        assert!(!why.trim().is_empty(), "{name}: {p} needs a reason");
    }
    let mut listed: Vec<&str> = documented.iter().map(|(p, _)| *p).collect();
    listed.sort_unstable();
    let mut found: Vec<String> = diffs
        .iter()
        .map(|d| d.split(": ").next().unwrap_or(d).to_string())
        .collect();
    found.sort();
    found.dedup();
    (found != listed).then(|| {
        format!(
            "{name} {from:?} -> {to:?}: differences changed.\n  listed: {listed:?}\n  found:  {found:?}\nall differences:\n{}\nours:\n{}",
            diffs.join("\n"),
            serde_json::to_string_pretty(&ours).unwrap()
        )
    })
}

macro_rules! pair {
    ($test:ident, $name:literal, pump_to_as2: [$(($p1:literal, $why1:expr)),* $(,)?], as2_to_pump: [$(($p2:literal, $why2:expr)),* $(,)?]) => {
        #[test]
        fn $test() {
            let failures: Vec<String> = [
                check($name, Format::Pump, &[$(($p1, $why1)),*]),
                check($name, Format::As2, &[$(($p2, $why2)),*]),
            ]
            .into_iter()
            .flatten()
            .collect();
            assert!(failures.is_empty(), "{}", failures.join("\n\n"));
        }
    };
}

// Reasons that apply to several pairs.
const ACTIVITY_OBJECT_TYPE: &str = "granary writes objectType \"activity\" on an AS1 activity; \
    the verb already makes it one, and pump.io's own activities carry no objectType \
    (PROTOCOLS.md §7.3), so the Pump encoder writes none";
const PUMP_ACTOR_OBJECT: &str = "granary writes an actor known only by id as a bare string; \
    pump.io reads actor.id and actor.objectType (PROTOCOLS.md §7.6), so the Pump encoder \
    always writes {id, objectType} (its module docs)";
const MINTED_ACTOR_OBJECT: &str = "the tag: actor id is minted into an https id (AP ids must \
    be dereferenceable, README \"Ids\") and the legacy id kept as atomUri, so the actor is \
    written as an object {id, type, atomUri}; AS2 allows an object or an id here, and Person is \
    the default kind of an AS1 actor (conventions.md)";
const DERIVED_USERNAME: &str = "Mastodon needs preferredUsername to find an actor by WebFinger \
    (PROTOCOLS.md §13.1); AS1 gave none, so to_ap derives it from a displayName that is a valid \
    user name (granary leaves it out)";
const LINK_TAG_AS2: &str = "an AS1 tag that is neither hashtag nor mention is a link: AS2 \
    writes it as {type: Link, href} (AS2 Vocabulary, Link); granary copies the AS1 member url \
    and its own character offsets startIndex/length, which are not AS2 terms";
const PLACE_POSITION_AS1: &str = "the AS1 Activity Schema gives a place's position as an \
    object {latitude, longitude, altitude}, which the Pump encoder writes; granary writes \
    top-level latitude/longitude and an ISO 6709 string instead";

pair!(note, "note",
pump_to_as2: [
    ("$.attributedTo.image", "AS1 person image is the avatar, written as AS2 icon; an actor's \
        AS2 image is the profile header (Mastodon), and granary puts the avatar there too"),
    ("$.location.position", "AS2 Place has latitude/longitude (written); position is AS1's \
        ISO 6709 string, not an AS2 term (PROTOCOLS.md §15.2 place row)"),
    ("$.tag[0].url", LINK_TAG_AS2),
    ("$.tag[0].startIndex", LINK_TAG_AS2),
    ("$.tag[0].length", LINK_TAG_AS2),
    ("$.tag[0].type", LINK_TAG_AS2),
    ("$.tag[0].href", LINK_TAG_AS2),
    ("$.upstreamDuplicates", "deprecated AS1 member with no AS2 term (PROTOCOLS.md §15.3); \
        translate/cross.rs drops it, granary copies it"),
    ("$.to", "the Pump note names no audience, and pump.io's default is the author's \
        followers; AS2 needs that explicit (Mastodon reads an unaddressed post as limited), so \
        the author's followers collection is addressed; granary leaves it out"),
],
as2_to_pump: [
    ("$.location.latitude", PLACE_POSITION_AS1),
    ("$.location.longitude", PLACE_POSITION_AS1),
    ("$.location.position", PLACE_POSITION_AS1),
    ("$.tags[0].startIndex", "granary's character offsets of a link tag are neither AS2 nor \
        pump.io members; the link itself (url) is carried"),
    ("$.tags[0].length", "granary's character offsets of a link tag are neither AS2 nor \
        pump.io members; the link itself (url) is carried"),
]);
pair!(comment, "comment",
    pump_to_as2: [
        ("$.ostatus:objectType", "AS2 has no comment type: the AS2 codec keeps the AS1 kind in \
            ostatus:objectType (conventions.md, object types) so it comes back as comment"),
    ],
    as2_to_pump: []);
pair!(note_with_mention, "note_with_mention",
pump_to_as2: [
    ("$.cc", "mentioned accounts are addressed in cc, as Mastodon does, or they are not \
        delivered the post (PROTOCOLS.md §15.0, mention row); granary adds no audience"),
],
as2_to_pump: [
    ("$.tags[0].objectType", "AS1 has no mention type (granary invents it, PROTOCOLS.md \
        §15.2); pump.io understands a person tag (Pump codec module docs)"),
    ("$.tags[0].url", "a person tag names the person by id, as pump.io does; the AS2 \
        Mention href is the actor id"),
    ("$.tags[0].id", "a person tag names the person by id, as pump.io does; the AS2 \
        Mention href is the actor id"),
]);
pair!(note_unlisted, "note_unlisted",
pump_to_as2: [],
as2_to_pump: [
    ("$.to", "granary's @unlisted alias group is its own convention (PROTOCOLS.md §7.3 \
        lists pump.io's addressing: collections and persons); Public in cc says unlisted"),
    ("$.cc[0].id", "pump.io's Public is the AS1 collection \
        http://activityschema.org/collection/public (PROTOCOLS.md §7.3), not the AS2 IRI"),
    ("$.cc[0].objectType", "pump.io addressees are objects with id and objectType \
        (PROTOCOLS.md §7.3)"),
]);
pair!(repost, "repost",
    pump_to_as2: [
        ("$.actor.preferredUsername", DERIVED_USERNAME),
        ("$.object.attributedTo.preferredUsername", DERIVED_USERNAME),
    ],
    as2_to_pump: [("$.objectType", ACTIVITY_OBJECT_TYPE)]);
pair!(like, "like",
pump_to_as2: [("$.actor.preferredUsername", DERIVED_USERNAME)],
as2_to_pump: [
    ("$.objectType", ACTIVITY_OBJECT_TYPE),
    ("$.verb", "pump.io treats like and favorite as one verb and writes favorite itself \
        (PROTOCOLS.md §7.3); the AS1 spelling does not survive AS2 Like"),
]);
pair!(follow, "follow",
    pump_to_as2: [],
    as2_to_pump: [("$.objectType", ACTIVITY_OBJECT_TYPE)]);
pair!(unfollow, "unfollow",
    pump_to_as2: [("$.actor", MINTED_ACTOR_OBJECT), ("$.object.actor", MINTED_ACTOR_OBJECT)],
    as2_to_pump: [("$.objectType", ACTIVITY_OBJECT_TYPE), ("$.actor", PUMP_ACTOR_OBJECT)]);
pair!(update_person, "update_person",
pump_to_as2: [
    ("$.object.discoverable", "granary opts every actor into Mastodon's directory and search \
        indexing (FEP-5feb); AS1 says nothing about consent, so we leave the flags out"),
    ("$.object.indexable", "granary opts every actor into Mastodon's directory and search \
        indexing (FEP-5feb); AS1 says nothing about consent, so we leave the flags out"),
    ("$.object.attachment", "granary turns each actor URL into a Mastodon profile field \
        with a rel=me link; an AS1 url is the profile page (conventions.md, actors), \
        written as url, and AS1 has no profile fields"),
],
as2_to_pump: [
    ("$.objectType", ACTIVITY_OBJECT_TYPE),
    ("$.actor", PUMP_ACTOR_OBJECT),
    ("$.object.url", "the AS2 url is a string and pump.io's url is a string \
        (PROTOCOLS.md §7.3); {value, displayName} is granary's reading of a profile field, \
        which pump.io has no place for"),
]);
pair!(event, "event", pump_to_as2: [], as2_to_pump: []);
