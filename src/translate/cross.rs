//! Members that only one of the two JSON formats understands, on their way to the other.
//!
//! The Pump.io and AS2 codecs both keep the JSON members they do not map (and the Pump codec
//! keeps raw copies of mapped members under [`RAW_PREFIX`]), so that a document goes back to
//! its own format unchanged. Between the two formats those members arrive as junk: a Pump
//! `links` map or an AS1 `objectType` on an AS2 activity, an AS2 `tag` array next to Pump's
//! `tags`. This module maps the ones that have an equivalent and drops the rest; the README
//! mapping table lists what is dropped. It only runs between Pump.io and AS2: Pump → Pump
//! and AS2 → AS2 never get here, so those round trips stay lossless.
//!
//! # Pump.io → AS2 ([`pump_to_ap`], [`pump_feed_to_ap`])
//! - Raw copies (`pump:raw:*`) are dropped: the model holds the member's value and the AS2
//!   encoder writes it. The tags the model has no field for (neither hashtag nor mention)
//!   become AS2 `tag` entries: a link (no `objectType`) is `{type: Link, href, name}`, any
//!   other object is translated through the codecs.
//! - `favorites` becomes `liked` (pump.io's own AS2 converter does the same, PROTOCOLS.md
//!   §7.6), `generator` is translated through the codecs, and an object's `fullImage` (the
//!   full-size file of a pump image) becomes its first `Image` attachment, where AS2 readers
//!   look for media.
//! - Dropped: `objectType` on an activity (AS2 `type` says it), `links` (`self` repeats the
//!   id; an actor's inbox and outbox are mapped by the codec), `upstreamDuplicates`,
//!   `downstreamDuplicates` (deprecated, no AS2 term), `replies`, `likes`, `shares`, `lists`,
//!   `members` (pump collections with AS1 items inline), `pump_io` and `liked` (pump's state
//!   for the viewer; AS2 `liked` is a collection).
//! - A bare object gets the activity's actor as its author: the Pump codec reads a bare
//!   object's `author` into [`Activity::actor`], and AS2 writes a bare object without an
//!   actor, so `attributedTo` would be lost.
//!
//! # AS2 → Pump.io ([`as2_to_pump`], [`as2_feed_to_pump`])
//! - The AS2 codec's raw values (`url`, `tag`, `attachment`, `image`, `icon`, `location`,
//!   `attributedTo`, `actor`, `object`, `target`, `endpoints`, `publicKey`,
//!   `inReplyToAtomUri`) are dropped: they are AS2 shapes of what the model already holds
//!   (or of extra actors and objects, which AS1 has no place for). `tag` entries that are
//!   neither mentions, hashtags nor emoji become pump `tags`: a `Link` is `{url, displayName}`,
//!   any other object is translated through the codecs.
//! - `liked` becomes `favorites`, `generator` is translated through the codecs.
//! - Dropped: Mastodon's account members `discoverable`, `indexable`, `featured`,
//!   `featuredTags`, `devices`, `memorial`, `suspended` (pump.io has no such thing), and a
//!   collection's AS2 `type`.
//! - A `Note` that replies becomes a `comment`: pump.io writes replies as comments, and AS2
//!   has no comment type (a comment the bridge itself sent to AS2 carries
//!   `ostatus:objectType` and comes back as one anyway).

use serde_json::{Map, Value};

use crate::codec::pump::RAW_PREFIX;
use crate::codec::{Format, Limits, as2, pump};
use crate::model::{
    Activity, Attachment, Document, Extension, Feed, Media, MentionKind, Object, ObjectType, Props,
};

use super::walk::{each_object_mut, each_props_mut};

/// Pump members that mean nothing (or something else) in AS2.
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
    "pump_io",
    "liked",
    "fullImage",
];

/// AS2 members that mean nothing to pump.io: the AS2 codec's raw values of typed members
/// (AS2 shapes of what the model holds) and Mastodon's account members.
const AS2_ONLY: &[&str] = &[
    "url",
    "tag",
    "attachment",
    "image",
    "icon",
    "location",
    "attributedTo",
    "actor",
    "object",
    "target",
    "endpoints",
    "publicKey",
    "inReplyToAtomUri",
    "discoverable",
    "indexable",
    "featured",
    "featuredTags",
    "devices",
    "memorial",
    "suspended",
];

/// AS1 tag kinds the Pump codec reads into mentions and hashtags.
const PUMP_TYPED_TAGS: &[&str] = &["hashtag", "person", "mention", "group"];

/// AS2 tag types the AS2 codec reads into mentions, hashtags and emoji.
const AS2_TYPED_TAGS: &[&str] = &["Mention", "Hashtag", "Tag", "Emoji"];

// ------------------------------------------------------------------------------------------
// Pump.io → AS2
// ------------------------------------------------------------------------------------------

/// Maps or drops the Pump-only members of one activity read from Pump.io, and gives a bare
/// object its author (see the module docs). Does nothing for other input formats.
pub fn pump_to_ap(activity: &mut Activity, from: Format) {
    if from != Format::Pump {
        return;
    }
    each_object_mut(activity, &mut full_image_to_attachment);
    each_props_mut(activity, &mut pump_props_to_as2);
}

/// Drops the raw copies and Pump-only members of a Pump.io collection going to AS2.
pub fn pump_feed_to_ap(feed: &mut Feed) {
    feed.extensions.0.retain(|e| match e {
        Extension::Json { key, .. } => {
            !key.starts_with(RAW_PREFIX) && !PUMP_ONLY.contains(&key.as_str())
        }
        Extension::Xml(_) => true,
    });
}

/// A pump image's full-size file (`fullImage`) as its first attachment.
fn full_image_to_attachment(o: &mut Object) {
    let Some(media) = o.props.extensions.json_get("fullImage").and_then(media_of) else {
        return;
    };
    if o.props.attachments.iter().any(|a| a.media.url == media.url) {
        return;
    }
    o.props.attachments.insert(
        0,
        Attachment {
            kind: ObjectType::Image,
            media,
            ..Attachment::default()
        },
    );
}

/// An AS1 media link (`{url, width, height}` or a bare URL).
fn media_of(v: &Value) -> Option<Media> {
    match v {
        Value::String(url) => Some(Media {
            url: url.clone(),
            ..Media::default()
        }),
        Value::Object(m) => {
            let dim = |k: &str| {
                m.get(k)
                    .and_then(Value::as_u64)
                    .and_then(|n| u32::try_from(n).ok())
            };
            Some(Media {
                url: m.get("url").and_then(Value::as_str)?.to_string(),
                media_type: None,
                width: dim("width"),
                height: dim("height"),
            })
        }
        _ => None,
    }
}

fn pump_props_to_as2(p: &mut Props) {
    let mut tags = Vec::new();
    for e in std::mem::take(&mut p.extensions.0) {
        let Extension::Json { key, value } = e else {
            continue;
        };
        if key == format!("{RAW_PREFIX}tags") {
            tags = as2_tags_from_pump(&value);
        } else if key.starts_with(RAW_PREFIX) || PUMP_ONLY.contains(&key.as_str()) {
            continue;
        } else if key == "favorites" {
            if let Some(url) = collection_url(&value) {
                p.extensions.push_json("liked", Value::String(url));
            }
        } else if key == "generator" {
            if let Some(v) = pump_value_to_as2(&value) {
                p.extensions.push_json(key, v);
            }
        } else {
            p.extensions.push_json(key, value);
        }
    }
    if !tags.is_empty() {
        p.extensions.push_json("tag", Value::Array(tags));
    }
}

/// The URL of a pump collection member (`{url, totalItems}` or a bare URL).
fn collection_url(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(m) => m
            .get("url")
            .or_else(|| m.get("id"))
            .and_then(Value::as_str)
            .map(str::to_string),
        _ => None,
    }
}

/// The entries of a one-or-many value.
fn entries(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// The AS2 `tag` entries for the pump tags the model has no field for.
fn as2_tags_from_pump(raw: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for entry in entries(raw) {
        let Value::Object(m) = entry else {
            // A bare string is a hashtag, which the model holds.
            continue;
        };
        match m.get("objectType").and_then(Value::as_str).map(str::trim) {
            Some(kind) if PUMP_TYPED_TAGS.contains(&kind) => {}
            None => {
                let href = m.get("url").or_else(|| m.get("id")).and_then(Value::as_str);
                if let Some(href) = href {
                    let mut link = Map::new();
                    link.insert("type".into(), Value::String("Link".into()));
                    link.insert("href".into(), Value::String(href.into()));
                    if let Some(name) = m.get("displayName").and_then(Value::as_str) {
                        link.insert("name".into(), Value::String(name.into()));
                    }
                    out.push(Value::Object(link));
                }
            }
            Some(_) => out.extend(pump_value_to_as2(entry)),
        }
    }
    out
}

/// An AS1 object nested in an unmapped member, as AS2: decoded by the Pump codec, cleaned
/// like the rest, encoded by the AS2 codec (without `@context`). A bare id stays one.
fn pump_value_to_as2(v: &Value) -> Option<Value> {
    match v {
        Value::String(_) => Some(v.clone()),
        Value::Object(m) => {
            let mut doc = pump::decode_object(m).ok()?;
            for a in doc.activities_mut() {
                pump_to_ap(a, Format::Pump);
            }
            let Document::Activity(a) = doc else {
                return None;
            };
            let mut out = as2::encode_activity_value(&a);
            if let Value::Object(o) = &mut out {
                o.remove("@context");
            }
            Some(out)
        }
        _ => None,
    }
}

// ------------------------------------------------------------------------------------------
// AS2 → Pump.io
// ------------------------------------------------------------------------------------------

/// Maps or drops the AS2-only members of one activity going to Pump.io, and makes replies
/// comments (see the module docs). Runs after the ids are back to their legacy form.
pub fn as2_to_pump(activity: &mut Activity) {
    each_object_mut(activity, &mut |o| {
        if o.kind == ObjectType::Note && !o.props.in_reply_to.is_empty() {
            o.kind = ObjectType::Comment;
        }
    });
    each_props_mut(activity, &mut as2_props_to_pump);
}

/// Drops the AS2-only members of a collection going to Pump.io.
pub fn as2_feed_to_pump(feed: &mut Feed) {
    feed.extensions.0.retain(|e| match e {
        Extension::Json { key, .. } => key != "type" && !AS2_ONLY.contains(&key.as_str()),
        Extension::Xml(_) => true,
    });
}

fn as2_props_to_pump(p: &mut Props) {
    let mut extra_tags = Vec::new();
    for e in std::mem::take(&mut p.extensions.0) {
        let Extension::Json { key, value } = e else {
            continue;
        };
        if key == "tag" {
            extra_tags = pump_tags_from_as2(&value);
        } else if AS2_ONLY.contains(&key.as_str()) {
            continue;
        } else if key == "liked" {
            if let Some(url) = value.as_str() {
                let mut m = Map::new();
                m.insert("url".into(), Value::String(url.into()));
                p.extensions.push_json("favorites", Value::Object(m));
            }
        } else if key == "generator" {
            if let Some(v) = as2_value_to_pump(&value) {
                p.extensions.push_json(key, v);
            }
        } else {
            p.extensions.push_json(key, value);
        }
    }
    if !extra_tags.is_empty() {
        // The Pump encoder writes a raw `tags` copy only while it reads back as the model's
        // mentions and hashtags, so those come first, in the encoder's own shape.
        let mut all = typed_pump_tags(p);
        all.extend(extra_tags);
        p.extensions
            .push_json(format!("{RAW_PREFIX}tags"), Value::Array(all));
    }
}

/// The model's mentions and hashtags as pump tags (persons or groups, then hashtags).
fn typed_pump_tags(p: &Props) -> Vec<Value> {
    let mut out = Vec::new();
    for m in &p.mentions {
        let kind = match m.kind {
            MentionKind::Person => "person",
            MentionKind::Group => "group",
        };
        let mut t = Map::new();
        t.insert("id".into(), Value::String(m.href.clone()));
        t.insert("objectType".into(), Value::String(kind.into()));
        if let Some(name) = &m.name {
            t.insert("displayName".into(), Value::String(name.clone()));
        }
        out.push(Value::Object(t));
    }
    for h in &p.hashtags {
        let mut t = Map::new();
        t.insert("objectType".into(), Value::String("hashtag".into()));
        t.insert("displayName".into(), Value::String(h.name.clone()));
        if let Some(href) = &h.href {
            t.insert("url".into(), Value::String(href.clone()));
        }
        out.push(Value::Object(t));
    }
    out
}

/// The last segment of an AS2 `type` (`Link`, `as:Link` and the full IRI are the same).
fn short_type(m: &Map<String, Value>) -> Option<&str> {
    let t = match m.get("type")? {
        Value::String(s) => s.as_str(),
        Value::Array(items) => items.first()?.as_str()?,
        _ => return None,
    };
    Some(t.rsplit(['#', ':']).next().unwrap_or(t).trim())
}

/// The pump `tags` entries for the AS2 tags the model has no field for.
fn pump_tags_from_as2(raw: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for entry in entries(raw) {
        let Value::Object(m) = entry else {
            out.extend(as2_value_to_pump(entry));
            continue;
        };
        match short_type(m) {
            Some(t) if AS2_TYPED_TAGS.contains(&t) => {}
            None | Some("Link") => {
                let href = m
                    .get("href")
                    .or_else(|| m.get("url"))
                    .and_then(Value::as_str);
                if let Some(href) = href {
                    let mut link = Map::new();
                    link.insert("url".into(), Value::String(href.into()));
                    if let Some(name) = m.get("name").and_then(Value::as_str) {
                        link.insert("displayName".into(), Value::String(name.into()));
                    }
                    out.push(Value::Object(link));
                }
            }
            Some(_) => out.extend(as2_value_to_pump(entry)),
        }
    }
    out
}

/// An AS2 object nested in an unmapped member, as AS1: decoded by the AS2 codec, cleaned
/// like the rest, encoded by the Pump codec. A bare id stays one.
fn as2_value_to_pump(v: &Value) -> Option<Value> {
    match v {
        Value::String(_) => Some(v.clone()),
        Value::Object(_) => {
            let mut doc = as2::decode_value(v, &Limits::default()).ok()?;
            for a in doc.activities_mut() {
                as2_to_pump(a);
            }
            if let Document::Feed(f) = &mut doc {
                as2_feed_to_pump(f);
            }
            Some(pump::encode_value(&doc))
        }
        _ => None,
    }
}
