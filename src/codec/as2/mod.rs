//! Activity Streams 2.0 / ActivityPub JSON-LD codec.
//!
//! # Reading
//! Input is read as plain JSON with the compact keys of the AS2 context and the Mastodon,
//! Mobilizon and PeerTube extensions (PROTOCOLS.md §13.4, trap 35). **No JSON-LD expansion
//! is done**: a type written as a full IRI (`https://www.w3.org/ns/activitystreams#Note`) or
//! as `as:Note` is understood, but members under other prefixes or expanded member names
//! are kept as unknown members. `@context` is never stored: the output always carries the
//! one canonical context ([`context::context`]).
//!
//! - A root of an activity type becomes [`Activity`]; `Accept`/`Reject`/`Update` pick their
//!   verb from the object (conventions); the other AS2 activity types (`View`, `Listen`,
//!   `Read`, `Arrive`, `Travel`, `Dislike`, `Ignore`, `Offer`, `TentativeReject`,
//!   `IntransitiveActivity`, `QuoteRequest`, `EmojiReact`) become `Verb::Unknown("<Type>")`
//!   and are written back as that type; `Activity` + `ostatus:verb` becomes
//!   `Verb::Unknown(<verb>)`, and any other unknown verb is written that way. A type outside
//!   these lists is read as an object (kind `ObjectType::Unknown`, written back verbatim),
//!   even when it carries an `actor` (kept as an extension).
//! - A root `OrderedCollection`/`Collection`/`…Page` becomes a [`Feed`](crate::model::Feed): `id`, `name` → title,
//!   `summary` → subtitle, `url` → `links.alternate`, `icon` → logo, `attributedTo` → author,
//!   `totalItems`, `next`/`prev` → links, `orderedItems`/`items` → entries. A non-activity item
//!   becomes an implied activity; a bare-id item an implied activity whose object is a
//!   [`Node::Ref`](crate::model::Node::Ref). The collection type (when not `OrderedCollection`), `first`, `last`,
//!   `partOf` and the rest go to `Feed.extensions`.
//! - Any other root becomes an implied activity (`implied = true`, verb Post, actor `None`:
//!   the author stays in the object's `props.author`).
//! - Every value may be a string id, an object or an array. For `actor`, `attributedTo`,
//!   `object` and `target` the first element is typed and the others are kept in the
//!   extensions under the same key (as an array), so they are written back after it.
//! - `url`, `tag` (Mention/Hashtag/Emoji), `attachment` (media `Document`/`Image`/`Video`/
//!   `Audio`, and `PropertyValue` on actors), `location` (Place), `image`, and on actors
//!   `icon` and `publicKey` are typed. When the raw value says more than the typed fields
//!   (other tag kinds, a `Link` attachment, Mastodon's `focalPoint`, granary's `position`, a
//!   URL string where an `Image` object would be written, several images, extra key
//!   members; member order does not count), the raw value is also kept in the extensions
//!   under the same key. The encoder writes that raw value back only while reading it still
//!   gives the model's typed fields; once the model changed (translate layer), it writes the
//!   typed fields (plus, for `tag`/`attachment`, the raw entries that are not typed), and the
//!   extra members are dropped.
//! - Kinds whose AS2 type would read back as another kind (`Comment` → `Note`, `Bookmark` →
//!   `Page`) are written with member `ostatus:objectType` (the AS1 token), always, so that the
//!   round trip keeps them; it is read only in that combination (else it is an ordinary
//!   extension). `ObjectType::Unknown` is written verbatim as `type` (an AS2 term, or an AS1
//!   token or IRI). `ostatus:verb` and `ostatus:objectType` are compact IRIs under the
//!   `ostatus` prefix of the context, which needs no further term.
//! - Extensions that the encoder merges into typed members (the rest of `actor`, `object`,
//!   `target`, `attributedTo`; the raw values above; actor `endpoints` other than
//!   `sharedInbox`) are stored first, in the order the encoder writes
//!   them; other unknown members follow in reading order.
//!
//! # Writing
//! One compact form with stable member order; `@context` only at the top; to/cc/bto/bcc are
//! always lists; Public is written as the full IRI; actors known only by id are bare ids.
//! `Unfavorite`/`Unfollow`/`Unblock`/`Unshare` are written as `Undo` of a synthesised
//! `Like`/`Follow`/`Block`/`Announce {actor, object}` without an id (the translate layer adds
//! the original id when it knows it); `UpdateProfile` without an object writes the actor;
//! `Delete` writes its object as it is (the translate layer makes the `Tombstone`). A
//! `Comment` is a `Note` plus `"ostatus:objectType": "comment"`.
//! Extension members are written back under the names they were read with; the output
//! context defines no terms for them (consumers read AS2 as plain JSON, trap 35).
//!
//! # Lossy (on purpose)
//! - Null members and empty arrays of known members are dropped; `@context` (also nested ones).
//! - `type` arrays: only the first type is kept.
//! - Extra members of other typed sub-objects are dropped: `inReplyTo` objects (only id, url,
//!   atomUri), audience objects (only their id), the Emoji `icon` (url, mediaType, width,
//!   height). PostalAddress `name` is its formatted form. Objects nested in `actor`,
//!   `attributedTo`, `object`, `target` keep their own extensions.
//! - A single value written as a one-element array (or the reverse) may change shape.
//! - `nameMap`/`summaryMap` are kept as extensions; `summary` and `name` languages are not.
//! - `Text.format` is not written: AS2 text is HTML, so plain text or XHTML is written as it
//!   is and reads back as HTML (escaping is the translate layer's job).
//! - An implied activity whose object is only an id is written at the root as
//!   `{"id": …, "type": "Object"}` (AS2 needs a type there); in a feed it stays a bare id.
//! - Not written, because AS2 has no member for them: `Props.scope`, `Actor.email`,
//!   `Endpoints.feed/salmon/hub`, `Attachment.size`, `Mention.kind` (always `Mention`),
//!   attachment kinds other than Image/Video/Audio/File (written as `Document`),
//!   `Feed.lang`, `FeedLinks.self_/hub/salmon`, XML extensions; `Addressee::Followers` is
//!   written only when the actor's (or author's) followers URL is in the model, else dropped.
//! - Verbs that AS2 spells like others come back as those: `RequestFriend` → Follow,
//!   `Tag` → Add, `Untag` → Remove, the four reversals → `Undo`, `Accept` of a bare id →
//!   `Authorize`. Verb spellings (`VerbTerm::spelling`) are not used.

pub mod context;
mod decode;
mod encode;

use serde_json::{Map, Value};

use super::json::{self, Path};
use super::{DecodeError, Limits, Location};
use crate::model::{Activity, Document};

/// Decodes an AS2 document (activity, object or collection) within `limits`.
pub fn decode(input: &[u8], limits: &Limits) -> Result<Document, DecodeError> {
    let map = json::parse_object(input, limits)?;
    decode::document(&map, &Path::root())
}

/// Decodes an already parsed JSON value, for callers (the inbox) that hold one; the nesting
/// limit of `limits` is checked here too (the size limit is the caller's business).
pub fn decode_value(value: &Value, limits: &Limits) -> Result<Document, DecodeError> {
    if too_deep(value, limits.max_depth) {
        return Err(DecodeError::TooDeep {
            at: Location::Document,
            limit: limits.max_depth,
        });
    }
    match value {
        Value::Object(map) => decode::document(map, &Path::root()),
        other => Err(DecodeError::WrongRoot {
            at: Path::root().at(),
            expected: "a JSON object",
            found: json::kind_name(other).into(),
        }),
    }
}

/// Encodes `doc` as pretty-printed AS2 JSON with the canonical `@context`.
pub fn encode(doc: &Document) -> String {
    serde_json::to_string_pretty(&encode_value(doc)).unwrap_or_default()
}

/// Encodes `doc` as a JSON value, so the server can serialise it once and sign those bytes.
pub fn encode_value(doc: &Document) -> Value {
    let body = match doc {
        Document::Activity(a) => encode::entry(a),
        Document::Feed(f) => encode::feed(f),
    };
    with_context(body)
}

/// Encodes one activity (with `@context`) as a JSON value.
pub fn encode_activity_value(a: &Activity) -> Value {
    with_context(encode::entry(a))
}

/// True when arrays/objects nest more than `limit` levels (stops descending at the limit).
fn too_deep(v: &Value, limit: usize) -> bool {
    match v {
        Value::Array(items) => limit == 0 || items.iter().any(|c| too_deep(c, limit - 1)),
        Value::Object(m) => limit == 0 || m.values().any(|c| too_deep(c, limit - 1)),
        _ => false,
    }
}

fn with_context(body: Value) -> Value {
    let mut out = Map::new();
    out.insert("@context".into(), context::context());
    match body {
        Value::Object(m) => out.extend(m),
        other => {
            // An implied activity around a bare id: AS2 needs a type at the root (lossy:
            // it reads back as an object of type `Object`).
            out.insert("id".into(), other);
            out.insert("type".into(), Value::String("Object".into()));
        }
    }
    Value::Object(out)
}
