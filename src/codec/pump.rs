//! Pump.io Activity Streams 1.0 JSON (also what granary writes as "AS1").
//!
//! # Decoding
//! The root decides the document: a `verb` makes an [`Activity`]; `objectType: collection` or
//! an `items` member (without `verb`) makes a [`Feed`] whose items are activities (an item
//! without `verb` is an implied activity); any other object is an implied activity
//! (`implied = true`, the object in `activity.object`, the object's `author` moved to
//! `activity.actor`). A non-object root is [`DecodeError::WrongRoot`].
//!
//! Mapped members: `id`, `verb` (spelling kept by [`VerbTerm::parse`]), `objectType`
//! ([`ObjectType::parse_as1`]; actor types give [`Node::Actor`]), `displayName` → `name`,
//! `content`/`summary` (HTML), `url`, `published`, `updated`, `author`, `actor`, `object`,
//! `target`, `inReplyTo`, `to`/`cc`/`bto`/`bcc`, `image` (objects: `props.image`; actors:
//! `avatars`), `stream` (video/audio objects: first attachment), `location`, `tags`
//! (hashtags and mentions), `attachments`, `preferredUsername` (granary's `username` when
//! there is no `preferredUsername`), person `links` (`activity-inbox`/`activity-outbox` →
//! endpoints), `followers`/`following` (→ endpoints), `startTime`/`endTime`, `sensitive`.
//! A collection's `totalItems`, `displayName` (title), `summary` (subtitle), `url`
//! (→ `links.alternate`), `updated`, `author` and `links` (`self`, `next`, `prev`, `hub`,
//! `salmon`) are mapped. Every other member (`fullImage`, `upstreamDuplicates`, `replies`,
//! `likes`, `shares`, `favorites`, `lists`, `links` of non-actors, `generator`, …) goes to
//! `extensions` in reading order.
//!
//! Objects are decoded as [`Node::Ref`] when they carry nothing but `id` (or are a bare id
//! string); an object without `objectType` is read as a note. `actor`/`author` are always
//! actors (default kind person). `update` whose object is an actor decodes to
//! [`Verb::UpdateProfile`].
//!
//! Audience entries are strings or objects with `id`; the AS1 public collection (and the
//! AS2 spellings of Public) give [`Addressee::Public`]. granary's group aliases are read:
//! `@public` as Public where it stands, `@unlisted` in `to` as Public appended to `cc`
//! (unless `cc` already has Public).
//!
//! ## Raw copies of mapped members
//! When a mapped member holds more than the model keeps (`url` as an object or list, a pump
//! `inReplyTo` that is a whole note, `links` with `self`, a `followers` collection with
//! `totalItems`, tags that are neither hashtags nor mentions, attachments with `fullImage`,
//! `location.position` as an ISO 6709 string, a date with surrounding spaces, `sensitive` as
//! a string, …), the member is also kept verbatim in `extensions`, under the name
//! [`RAW_PREFIX`] + member name (so it never collides with a real member in other formats). The encoder writes that raw copy instead of its own rendering **only while
//! the raw copy still decodes to what the model says**; once the translate layer changed the
//! field, the raw copy is stale and the model value is written. This applies to `url`,
//! `inReplyTo`, `image`, `location`, `tags`, `attachments`, `stream` (video/audio), the dates,
//! `sensitive`, and on actors `image`, `links`, `followers`, `following`; on collections
//! `objectType`, `url`, `updated` and `links`.
//!
//! # Encoding
//! Activities are written with `verb` from [`VerbTerm::pump_token`], except: `UpdateProfile`
//! is `update` (with the actor as object when the model has none), `Undo{Follow}` is
//! `stop-following`, `Undo{Favorite}` `unfavorite`, `Undo{Share}` `unshare`, `Undo{Block}`
//! `unblock` (object = the inner activity's object), any other `Undo` is `undo` with the
//! activity nested. Actors are always objects (`objectType`, `id` as is — `acct:` ids are not
//! rewritten; never a bare id string, unlike the general JSON convention, because pump.io reads
//! `actor.id` and `actor.objectType`), with `links` holding `activity-inbox`/`activity-outbox`
//! (a `self` link only comes back through the raw copy: the model has no field for it). A
//! [`Node::Ref`] is `{"id": …}`. Audience entries are `{id, objectType}`:
//! Public is the AS1 public collection, `acct:` ids and other ids are `person`, ids ending in
//! `/followers`, `/following` or containing `/collection`/`/lists/` are `collection`.
//! `inReplyTo` is `{id, url}` (a list when there are several; the parent's `objectType` is
//! not in the model, so only a raw copy brings it back). Mentions are written as tags
//! `{objectType: person|group, id, displayName}`: AS1 has no mention type (granary invents
//! `mention`, which we read), and a person tag is what pump itself understands. Member
//! order is fixed; extensions follow in their order.
//!
//! # Lossy
//! Not written (pump has no place for them): `atom_uri` of objects and of replies,
//! `content_map`, `conversation`, `context`, `scope`, `emoji`, text language, actor `email`,
//! `header`, `locked`, `public_key`, `also_known_as`, `moved_to`, profile `fields`,
//! endpoints other than inbox/outbox/followers/following, attachment `size` and `blurhash`,
//! image `media_type`, event details, feed `logo`/`lang`, XML extensions from Atom, and
//! [`Addressee::Followers`] (written as the actor's followers collection when known, else
//! dropped). Plain-text content is HTML-escaped (pump content is HTML). On reading, the
//! extra members of audience entries (`displayName`, the granary alias objects themselves)
//! are not kept, and the shape of a reference (string vs object vs list) is only kept
//! through the raw-copy rule above.

use std::collections::HashSet;

use serde_json::{Map, Number, Value};

use super::json::{self as j, Path};
use super::{DecodeError, Limits};
use crate::model::{
    AS1_PUBLIC, AS2_PUBLIC, Activity, Actor, Addressee, Attachment, Audience, Document, Feed,
    FeedLinks, Hashtag, Media, Mention, MentionKind, Node, Object, ObjectType, Place,
    PostalAddress, Props, Reference, Text, TextFormat, Timestamp, Verb, VerbTerm,
};

type Res<T> = Result<T, DecodeError>;

/// Extension-name prefix of a raw copy of a mapped member (`pump:raw:inReplyTo`): see the
/// module docs. Other encoders should not write these; the translate layer may drop them.
/// Input members whose names start with it are refused.
pub const RAW_PREFIX: &str = "pump:raw:";
type Obj = Map<String, Value>;

// ------------------------------------------------------------------------------------------
// Decoding
// ------------------------------------------------------------------------------------------

/// Decodes Pump.io / AS1 JSON into a [`Document`] (see the module docs for the mapping).
pub fn decode(input: &[u8], limits: &Limits) -> Result<Document, DecodeError> {
    let root = j::parse_object(input, limits)?;
    decode_root(&root, &Path::root())
}

/// Decodes an already parsed JSON object (for callers that hold a `serde_json` value, e.g.
/// an activity nested in another document). No size or depth limits are applied here.
pub fn decode_object(root: &Map<String, Value>) -> Result<Document, DecodeError> {
    decode_root(root, &Path::root())
}

fn decode_root(m: &Obj, path: &Path) -> Res<Document> {
    if m.contains_key("verb") {
        Ok(Document::Activity(decode_activity(m, path)?))
    } else if is_collection(m) {
        Ok(Document::Feed(decode_feed(m, path)?))
    } else {
        Ok(Document::Activity(decode_implied(m, path)?))
    }
}

fn is_collection(m: &Obj) -> bool {
    m.get("objectType").and_then(Value::as_str).map(str::trim) == Some("collection")
        || m.contains_key("items")
}

fn decode_implied(m: &Obj, path: &Path) -> Res<Activity> {
    let mut node = decode_node_map(m, path)?;
    let actor = match &mut node {
        Node::Object(o) => o.props.author.take(),
        Node::Actor(a) => a.props.author.take(),
        Node::Ref(_) | Node::Activity(_) => None,
    };
    Ok(Activity {
        verb: VerbTerm::default(),
        actor,
        object: Some(Box::new(node)),
        target: None,
        implied: true,
        props: Props::default(),
    })
}

fn decode_item(v: &Value, path: &Path) -> Res<Activity> {
    match v {
        Value::Object(m) if m.contains_key("verb") => decode_activity(m, path),
        Value::Object(m) => decode_implied(m, path),
        other => Err(path.invalid("an object", other)),
    }
}

fn decode_activity(m: &Obj, path: &Path) -> Res<Activity> {
    let mut act = Activity::default();
    let mut aud = AudienceReader::default();
    for (key, v) in m {
        let p = path.key(key);
        match key.as_str() {
            "verb" => match v {
                Value::String(s) => act.verb = VerbTerm::parse(s),
                other => return Err(p.invalid("a string", other)),
            },
            "actor" => act.actor = Some(Box::new(decode_actor_value(v, &p)?)),
            "object" => act.object = Some(Box::new(decode_node(v, &p)?)),
            "target" => act.target = Some(Box::new(decode_node(v, &p)?)),
            _ => {
                if !common_member(key, v, &p, &mut act.props, &mut aud)? {
                    keep_unknown(&mut act.props.extensions, key, v, &p)?;
                }
            }
        }
    }
    aud.finish(&mut act.props.audience);
    if matches!(act.verb(), Verb::Update | Verb::UpdateProfile)
        && matches!(act.object.as_deref(), Some(Node::Actor(_)))
    {
        act.verb = VerbTerm::new(Verb::UpdateProfile);
    }
    Ok(act)
}

fn decode_node(v: &Value, path: &Path) -> Res<Node> {
    match v {
        Value::String(s) => Ok(Node::Ref(s.clone())),
        Value::Object(m) if m.contains_key("verb") => {
            Ok(Node::Activity(Box::new(decode_activity(m, path)?)))
        }
        Value::Object(m) => decode_node_map(m, path),
        other => Err(path.invalid("an object or a string", other)),
    }
}

fn decode_node_map(m: &Obj, path: &Path) -> Res<Node> {
    if m.len() == 1
        && let Some(Value::String(id)) = m.get("id")
    {
        return Ok(Node::Ref(id.clone()));
    }
    let kind = object_type(m, path)?.unwrap_or_default();
    if kind.is_actor() {
        Ok(Node::Actor(decode_actor(m, path, kind)?))
    } else {
        Ok(Node::Object(decode_obj(m, path, kind)?))
    }
}

fn object_type(m: &Obj, path: &Path) -> Res<Option<ObjectType>> {
    Ok(j::opt_str(m, "objectType", path)?.map(|s| ObjectType::parse_as1(&s)))
}

fn decode_actor_value(v: &Value, path: &Path) -> Res<Actor> {
    match v {
        Value::String(s) => Ok(Actor::with_id(s.clone())),
        Value::Object(m) => {
            let kind = object_type(m, path)?.unwrap_or(ObjectType::Person);
            decode_actor(m, path, kind)
        }
        other => Err(path.invalid("an object or a string", other)),
    }
}

fn decode_obj(m: &Obj, path: &Path, kind: ObjectType) -> Res<Object> {
    let mut o = Object {
        kind,
        event: None,
        props: Props::default(),
    };
    let mut aud = AudienceReader::default();
    let mut stream = None;
    let has_stream = has_stream(&o.kind);
    for (key, v) in m {
        let p = path.key(key);
        match key.as_str() {
            "objectType" => {}
            "stream" if has_stream => {
                let a = dec_stream(v, &p, &o.kind)?;
                keep_if_not_canonical(&mut o.props, key, v, Some(enc_stream(&a)));
                stream = Some(a);
            }
            _ => {
                if !common_member(key, v, &p, &mut o.props, &mut aud)? {
                    keep_unknown(&mut o.props.extensions, key, v, &p)?;
                }
            }
        }
    }
    aud.finish(&mut o.props.audience);
    if let Some(a) = stream {
        o.props.attachments.insert(0, a);
    }
    Ok(o)
}

fn decode_actor(m: &Obj, path: &Path, kind: ObjectType) -> Res<Actor> {
    let mut a = Actor {
        kind,
        ..Actor::default()
    };
    let mut aud = AudienceReader::default();
    let has_preferred = m.contains_key("preferredUsername");
    for (key, v) in m {
        let p = path.key(key);
        match key.as_str() {
            "objectType" => {}
            "preferredUsername" => a.username = j::opt_str(m, key, path)?,
            "username" if !has_preferred => a.username = j::opt_str(m, key, path)?,
            "image" => {
                a.avatars = dec_avatars(v, &p)?;
                keep_if_not_canonical(&mut a.props, key, v, enc_avatars(&a.avatars));
            }
            "links" => {
                let (inbox, outbox) = dec_actor_links(v, &p)?;
                keep_if_not_canonical(
                    &mut a.props,
                    key,
                    v,
                    enc_actor_links(inbox.as_deref(), outbox.as_deref()),
                );
                a.endpoints.inbox = inbox;
                a.endpoints.outbox = outbox;
            }
            "followers" | "following" => {
                let url = dec_collection_url(v, &p)?;
                keep_if_not_canonical(&mut a.props, key, v, enc_collection_url(url.as_deref()));
                if key == "followers" {
                    a.endpoints.followers = url;
                } else {
                    a.endpoints.following = url;
                }
            }
            _ => {
                if !common_member(key, v, &p, &mut a.props, &mut aud)? {
                    keep_unknown(&mut a.props.extensions, key, v, &p)?;
                }
            }
        }
    }
    aud.finish(&mut a.props.audience);
    Ok(a)
}

/// Keeps `raw` in the extensions when the model's rendering of it differs.
fn keep_if_not_canonical(props: &mut Props, key: &str, raw: &Value, canonical: Option<Value>) {
    if canonical.as_ref() != Some(raw) {
        props
            .extensions
            .push_json(format!("{RAW_PREFIX}{key}"), raw.clone());
    }
}

/// An unknown member, kept in the extensions; names that look like raw copies are refused
/// (they would be mistaken for one when encoding).
fn keep_unknown(ext: &mut crate::model::Extensions, key: &str, v: &Value, p: &Path) -> Res<()> {
    if key.starts_with(RAW_PREFIX) {
        return Err(DecodeError::Invalid {
            at: p.at(),
            reason: format!("member names starting with {RAW_PREFIX:?} are reserved"),
        });
    }
    ext.push_json(key, v.clone());
    Ok(())
}

/// The members shared by activities, objects and actors. Returns false for unknown members.
fn common_member(
    key: &str,
    v: &Value,
    p: &Path,
    props: &mut Props,
    aud: &mut AudienceReader,
) -> Res<bool> {
    match key {
        "id" => props.id = string(v, p)?,
        "displayName" => props.name = string(v, p)?,
        "content" => props.content = string(v, p)?.map(Text::html),
        "summary" => props.summary = string(v, p)?.map(Text::html),
        "url" => {
            props.url = dec_url(v, p)?;
            let canonical = props.url.clone().map(Value::String);
            keep_if_not_canonical(props, key, v, canonical);
        }
        "published" | "updated" | "startTime" | "endTime" => {
            let ts = dec_timestamp(v, p)?;
            keep_if_not_canonical(props, key, v, enc_timestamp(ts.as_ref()));
            match key {
                "published" => props.published = ts,
                "updated" => props.updated = ts,
                "startTime" => props.start_time = ts,
                _ => props.end_time = ts,
            }
        }
        "author" => props.author = Some(Box::new(decode_actor_value(v, p)?)),
        "inReplyTo" => {
            props.in_reply_to = dec_in_reply_to(v, p)?;
            let canonical = enc_in_reply_to(&props.in_reply_to);
            keep_if_not_canonical(props, key, v, canonical);
        }
        "to" | "cc" | "bto" | "bcc" => aud.read(key, v, p)?,
        "location" => {
            props.location = dec_location(v, p)?;
            let canonical = props.location.as_ref().map(enc_location);
            keep_if_not_canonical(props, key, v, canonical);
        }
        "tags" => {
            let (mentions, hashtags) = dec_tags(v, p)?;
            keep_if_not_canonical(props, key, v, enc_tags(&mentions, &hashtags));
            props.mentions = mentions;
            props.hashtags = hashtags;
        }
        "attachments" => {
            let list = dec_attachments(v, p)?;
            keep_if_not_canonical(props, key, v, enc_attachments(&list));
            props.attachments.extend(list);
        }
        "image" => {
            props.image = dec_image(v, p)?;
            let canonical = enc_image(props.image.as_ref());
            keep_if_not_canonical(props, key, v, canonical);
        }
        "sensitive" => {
            props.sensitive = dec_sensitive(v, p)?;
            keep_if_not_canonical(props, key, v, props.sensitive.map(Value::Bool));
        }
        _ => return Ok(false),
    }
    Ok(true)
}

fn dec_sensitive(v: &Value, p: &Path) -> Res<Option<bool>> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        Value::String(s) if s == "true" || s == "false" => Ok(Some(s == "true")),
        other => Err(p.invalid("a boolean", other)),
    }
}

fn dec_timestamp(v: &Value, p: &Path) -> Res<Option<Timestamp>> {
    Ok(string(v, p)?.and_then(|s| Timestamp::new(&s)))
}

fn enc_timestamp(t: Option<&Timestamp>) -> Option<Value> {
    t.map(|t| Value::String(t.as_str().to_string()))
}

fn string(v: &Value, p: &Path) -> Res<Option<String>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        other => Err(p.invalid("a string", other)),
    }
}

fn opt_str_at(m: &Obj, key: &str, p: &Path) -> Res<Option<String>> {
    j::opt_str(m, key, p)
}

fn opt_u32(m: &Obj, key: &str, p: &Path) -> Res<Option<u32>> {
    match j::opt_u64(m, key, p)? {
        None => Ok(None),
        Some(n) => u32::try_from(n)
            .map(Some)
            .map_err(|_| DecodeError::Invalid {
                at: p.key(key).at(),
                reason: format!("{n} is too large"),
            }),
    }
}

fn dec_url(v: &Value, p: &Path) -> Res<Option<String>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Object(m) => Ok(["value", "url", "href"]
            .iter()
            .find_map(|k| m.get(*k).and_then(Value::as_str))
            .map(str::to_string)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if let Some(u) = dec_url(item, &p.index(i))? {
                    return Ok(Some(u));
                }
            }
            Ok(None)
        }
        other => Err(p.invalid("a string, an object or an array", other)),
    }
}

fn dec_media(v: &Value, p: &Path) -> Res<Media> {
    match v {
        Value::String(s) => Ok(Media {
            url: s.clone(),
            ..Media::default()
        }),
        Value::Object(m) => Ok(Media {
            url: opt_str_at(m, "url", p)?
                .or(opt_str_at(m, "href", p)?)
                .ok_or_else(|| p.missing("url"))?,
            media_type: None,
            width: opt_u32(m, "width", p)?,
            height: opt_u32(m, "height", p)?,
        }),
        other => Err(p.invalid("an object or a string", other)),
    }
}

fn dec_avatars(v: &Value, p: &Path) -> Res<Vec<Media>> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, x)| dec_media(x, &p.index(i)))
            .collect(),
        other => Ok(vec![dec_media(other, p)?]),
    }
}

fn dec_image(v: &Value, p: &Path) -> Res<Option<Media>> {
    Ok(dec_avatars(v, p)?.into_iter().next())
}

fn dec_reference(v: &Value, p: &Path) -> Res<Reference> {
    match v {
        Value::String(s) => Ok(Reference {
            id: s.clone(),
            ..Reference::default()
        }),
        Value::Object(m) => {
            let url = match m.get("url") {
                Some(u) => dec_url(u, &p.key("url"))?,
                None => None,
            };
            let id = opt_str_at(m, "id", p)?
                .or_else(|| url.clone())
                .ok_or_else(|| p.missing("id"))?;
            Ok(Reference {
                id,
                url,
                atom_uri: None,
            })
        }
        other => Err(p.invalid("an object or a string", other)),
    }
}

fn dec_in_reply_to(v: &Value, p: &Path) -> Res<Vec<Reference>> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, x)| dec_reference(x, &p.index(i)))
            .collect(),
        other => Ok(vec![dec_reference(other, p)?]),
    }
}

fn dec_location(v: &Value, p: &Path) -> Res<Option<Place>> {
    let m = match v {
        Value::Null => return Ok(None),
        Value::String(s) => {
            return Ok(Some(Place {
                name: Some(s.clone()),
                ..Place::default()
            }));
        }
        Value::Object(m) => m,
        other => return Err(p.invalid("an object", other)),
    };
    let mut place = Place {
        id: opt_str_at(m, "id", p)?,
        name: opt_str_at(m, "displayName", p)?,
        url: match m.get("url") {
            Some(u) => dec_url(u, &p.key("url"))?,
            None => None,
        },
        ..Place::default()
    };
    match m.get("position") {
        None | Some(Value::Null) | Some(Value::String(_)) => {}
        Some(Value::Object(pos)) => {
            let pp = p.key("position");
            place.latitude = j::opt_f64(pos, "latitude", &pp)?;
            place.longitude = j::opt_f64(pos, "longitude", &pp)?;
            place.altitude = j::opt_f64(pos, "altitude", &pp)?;
        }
        Some(other) => return Err(p.key("position").invalid("an object", other)),
    }
    if place.latitude.is_none() {
        place.latitude = j::opt_f64(m, "latitude", p)?;
    }
    if place.longitude.is_none() {
        place.longitude = j::opt_f64(m, "longitude", p)?;
    }
    if place.altitude.is_none() {
        place.altitude = j::opt_f64(m, "altitude", p)?;
    }
    match m.get("address") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => {
            place.address = Some(PostalAddress {
                formatted: Some(s.clone()),
                ..PostalAddress::default()
            })
        }
        Some(Value::Object(a)) => {
            let ap = p.key("address");
            place.address = Some(PostalAddress {
                formatted: opt_str_at(a, "formatted", &ap)?,
                street: opt_str_at(a, "streetAddress", &ap)?,
                locality: opt_str_at(a, "locality", &ap)?,
                region: opt_str_at(a, "region", &ap)?,
                postal_code: opt_str_at(a, "postalCode", &ap)?,
                country: opt_str_at(a, "country", &ap)?,
            });
        }
        Some(other) => return Err(p.key("address").invalid("an object", other)),
    }
    Ok(Some(place))
}

fn list_of<'a>(v: &'a Value, p: &Path) -> Vec<(Path, &'a Value)> {
    match v {
        Value::Null => Vec::new(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, x)| (p.index(i), x))
            .collect(),
        other => vec![(p.clone(), other)],
    }
}

fn dec_tags(v: &Value, p: &Path) -> Res<(Vec<Mention>, Vec<Hashtag>)> {
    let mut mentions = Vec::new();
    let mut hashtags = Vec::new();
    for (ip, item) in list_of(v, p) {
        match item {
            Value::String(s) => hashtags.push(Hashtag {
                name: s.clone(),
                href: None,
            }),
            Value::Object(m) => {
                let kind = opt_str_at(m, "objectType", &ip)?;
                let name = opt_str_at(m, "displayName", &ip)?;
                let url = match m.get("url") {
                    Some(u) => dec_url(u, &ip.key("url"))?,
                    None => None,
                };
                let id = opt_str_at(m, "id", &ip)?;
                match kind.as_deref().map(str::trim) {
                    Some("hashtag") => hashtags.push(Hashtag {
                        name: name.unwrap_or_default(),
                        href: url,
                    }),
                    Some(k @ ("person" | "mention" | "group")) => {
                        if let Some(href) = id.or(url) {
                            mentions.push(Mention {
                                href,
                                name,
                                kind: if k == "group" {
                                    MentionKind::Group
                                } else {
                                    MentionKind::Person
                                },
                            });
                        }
                    }
                    _ => {}
                }
            }
            other => return Err(ip.invalid("an object or a string", other)),
        }
    }
    Ok((mentions, hashtags))
}

fn kind_from_mime(mime: Option<&str>) -> ObjectType {
    match mime.and_then(|m| m.split('/').next()) {
        Some("image") => ObjectType::Image,
        Some("video") => ObjectType::Video,
        Some("audio") => ObjectType::Audio,
        _ => ObjectType::File,
    }
}

fn sub_url(m: &Obj, key: &str, p: &Path) -> Res<Option<String>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Object(o)) => opt_str_at(o, "url", &p.key(key)),
        Some(other) => Err(p.key(key).invalid("an object or a string", other)),
    }
}

fn sub_dims(m: &Obj, key: &str, p: &Path) -> Res<(Option<u32>, Option<u32>)> {
    match m.get(key) {
        Some(Value::Object(o)) => Ok((
            opt_u32(o, "width", &p.key(key))?,
            opt_u32(o, "height", &p.key(key))?,
        )),
        _ => Ok((None, None)),
    }
}

fn dec_attachment(v: &Value, p: &Path) -> Res<Attachment> {
    let m = match v {
        Value::Object(m) => m,
        other => return Err(p.invalid("an object", other)),
    };
    let mime = opt_str_at(m, "mimeType", p)?;
    let kind = match object_type(m, p)? {
        Some(k) => k,
        None => kind_from_mime(mime.as_deref()),
    };
    let url = match opt_str_at(m, "fileUrl", p)? {
        Some(u) => Some(u),
        None => match sub_url(m, "stream", p)? {
            Some(u) => Some(u),
            None => match sub_url(m, "fullImage", p)? {
                Some(u) => Some(u),
                None => match sub_url(m, "image", p)? {
                    Some(u) => Some(u),
                    None => match m.get("url") {
                        Some(u) => dec_url(u, &p.key("url"))?,
                        None => None,
                    },
                },
            },
        },
    };
    let mut width = opt_u32(m, "width", p)?;
    let mut height = opt_u32(m, "height", p)?;
    for key in ["stream", "fullImage", "image"] {
        if width.is_none() && height.is_none() {
            (width, height) = sub_dims(m, key, p)?;
        }
    }
    Ok(Attachment {
        kind,
        media: Media {
            url: url.ok_or_else(|| p.missing("url"))?,
            media_type: mime,
            width,
            height,
        },
        size: None,
        name: opt_str_at(m, "displayName", p)?,
        blurhash: None,
    })
}

fn dec_attachments(v: &Value, p: &Path) -> Res<Vec<Attachment>> {
    list_of(v, p)
        .into_iter()
        .map(|(ip, x)| dec_attachment(x, &ip))
        .collect()
}

fn has_stream(kind: &ObjectType) -> bool {
    matches!(kind, ObjectType::Video | ObjectType::Audio)
}

fn dec_stream(v: &Value, p: &Path, kind: &ObjectType) -> Res<Attachment> {
    let media = match v {
        Value::Object(m) => Media {
            url: opt_str_at(m, "url", p)?.ok_or_else(|| p.missing("url"))?,
            media_type: opt_str_at(m, "mimeType", p)?,
            width: opt_u32(m, "width", p)?,
            height: opt_u32(m, "height", p)?,
        },
        Value::String(s) => Media {
            url: s.clone(),
            ..Media::default()
        },
        other => return Err(p.invalid("an object or a string", other)),
    };
    let name = match v {
        Value::Object(m) => opt_str_at(m, "displayName", p)?,
        _ => None,
    };
    Ok(Attachment {
        kind: kind.clone(),
        media,
        size: None,
        name,
        blurhash: None,
    })
}

/// Reads a `links` member: a map `rel → {href}` (or `rel → href`), or an array of `{rel, href}`.
fn dec_links(v: &Value, p: &Path) -> Res<Vec<(String, String)>> {
    let mut out = Vec::new();
    match v {
        Value::Null => {}
        Value::Object(m) => {
            for (rel, l) in m {
                let lp = p.key(rel);
                let href = match l {
                    Value::String(s) => Some(s.clone()),
                    Value::Object(o) => opt_str_at(o, "href", &lp)?,
                    Value::Array(items) => {
                        items.first().and_then(|x| j::id_of(x).map(str::to_string))
                    }
                    Value::Null => None,
                    other => return Err(lp.invalid("an object or a string", other)),
                };
                if let Some(h) = href {
                    out.push((rel.clone(), h));
                }
            }
        }
        Value::Array(items) => {
            for (i, l) in items.iter().enumerate() {
                let lp = p.index(i);
                match l {
                    Value::Object(o) => {
                        if let (Some(rel), Some(href)) =
                            (opt_str_at(o, "rel", &lp)?, opt_str_at(o, "href", &lp)?)
                        {
                            out.push((rel, href));
                        }
                    }
                    other => return Err(lp.invalid("an object", other)),
                }
            }
        }
        other => return Err(p.invalid("an object or an array", other)),
    }
    Ok(out)
}

fn link(links: &[(String, String)], rel: &str) -> Option<String> {
    links.iter().find(|(r, _)| r == rel).map(|(_, h)| h.clone())
}

fn dec_actor_links(v: &Value, p: &Path) -> Res<(Option<String>, Option<String>)> {
    let links = dec_links(v, p)?;
    Ok((
        link(&links, "activity-inbox"),
        link(&links, "activity-outbox"),
    ))
}

fn dec_collection_url(v: &Value, p: &Path) -> Res<Option<String>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Object(m) => Ok(opt_str_at(m, "url", p)?.or(opt_str_at(m, "id", p)?)),
        other => Err(p.invalid("an object or a string", other)),
    }
}

/// Collects `to`/`cc`/`bto`/`bcc`, handling granary's `@public`/`@unlisted` aliases.
#[derive(Default)]
struct AudienceReader {
    audience: Audience,
    unlisted: bool,
}

impl AudienceReader {
    fn read(&mut self, key: &str, v: &Value, p: &Path) -> Res<()> {
        let mut list = Vec::new();
        for (ip, item) in list_of(v, p) {
            match item {
                Value::String(s) => list.push(addressee(s)),
                Value::Object(m) => match opt_str_at(m, "id", &ip)? {
                    Some(id) => list.push(addressee(&id)),
                    None => match opt_str_at(m, "alias", &ip)?.as_deref() {
                        Some("@public") => list.push(Addressee::Public),
                        Some("@unlisted") if key == "to" => self.unlisted = true,
                        Some("@unlisted") => list.push(Addressee::Public),
                        _ => return Err(ip.missing("id")),
                    },
                },
                other => return Err(ip.invalid("an object or a string", other)),
            }
        }
        match key {
            "to" => self.audience.to = list,
            "cc" => self.audience.cc = list,
            "bto" => self.audience.bto = list,
            _ => self.audience.bcc = list,
        }
        Ok(())
    }

    fn finish(mut self, out: &mut Audience) {
        if self.unlisted && !self.audience.cc.contains(&Addressee::Public) {
            self.audience.cc.push(Addressee::Public);
        }
        *out = self.audience;
    }
}

fn addressee(id: &str) -> Addressee {
    match id.trim() {
        AS1_PUBLIC | AS2_PUBLIC | "as:Public" | "Public" => Addressee::Public,
        _ => Addressee::Id(id.to_string()),
    }
}

fn decode_feed(m: &Obj, path: &Path) -> Res<Feed> {
    let mut feed = Feed::default();
    for (key, v) in m {
        let p = path.key(key);
        match key.as_str() {
            "objectType" => {
                keep_feed_raw(&mut feed, key, v, Some(Value::String("collection".into())));
            }
            "id" => feed.id = string(v, &p)?,
            "displayName" => feed.title = string(v, &p)?,
            "summary" => feed.subtitle = string(v, &p)?,
            "url" => {
                feed.links.alternate = dec_url(v, &p)?;
                let canonical = feed.links.alternate.clone().map(Value::String);
                keep_feed_raw(&mut feed, key, v, canonical);
            }
            "updated" => {
                feed.updated = dec_timestamp(v, &p)?;
                let canonical = enc_timestamp(feed.updated.as_ref());
                keep_feed_raw(&mut feed, key, v, canonical);
            }
            "author" => feed.author = Some(decode_actor_value(v, &p)?),
            "totalItems" => feed.total_items = j::opt_u64(m, key, path)?,
            "links" => {
                let links = dec_links(v, &p)?;
                let fl = feed_links_from(&links);
                keep_feed_raw(&mut feed, key, v, enc_feed_links(&fl));
                feed.links.self_ = fl.self_;
                feed.links.next = fl.next;
                feed.links.prev = fl.prev;
                feed.links.hub = fl.hub;
                feed.links.salmon = fl.salmon;
            }
            "items" => match v {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        feed.entries.push(decode_item(item, &p.index(i))?);
                    }
                }
                Value::Null => {}
                other => return Err(p.invalid("an array", other)),
            },
            _ => keep_unknown(&mut feed.extensions, key, v, &p)?,
        }
    }
    Ok(feed)
}

fn keep_feed_raw(feed: &mut Feed, key: &str, raw: &Value, canonical: Option<Value>) {
    if canonical.as_ref() != Some(raw) {
        feed.extensions
            .push_json(format!("{RAW_PREFIX}{key}"), raw.clone());
    }
}

fn feed_links_from(links: &[(String, String)]) -> FeedLinks {
    FeedLinks {
        self_: link(links, "self"),
        alternate: None,
        hub: link(links, "hub"),
        salmon: link(links, "salmon"),
        next: link(links, "next"),
        prev: link(links, "prev"),
    }
}

// ------------------------------------------------------------------------------------------
// Encoding
// ------------------------------------------------------------------------------------------

/// Encodes a [`Document`] as pretty-printed Pump.io AS1 JSON (see the module docs).
pub fn encode(doc: &Document) -> String {
    let v = encode_value(doc);
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

/// Encodes a [`Document`] as a JSON value (for callers that embed it or sign it).
pub fn encode_value(doc: &Document) -> Value {
    match doc {
        Document::Activity(a) => enc_activity_or_implied(a),
        Document::Feed(f) => enc_feed(f),
    }
}

fn enc_activity_or_implied(a: &Activity) -> Value {
    if a.implied
        && let Some(node) = a.object.as_deref()
    {
        let mut node = node.clone();
        if let Some(actor) = &a.actor {
            match &mut node {
                Node::Object(o) if o.props.author.is_none() => o.props.author = Some(actor.clone()),
                Node::Actor(x) if x.props.author.is_none() => x.props.author = Some(actor.clone()),
                _ => {}
            }
        }
        return enc_node(&node);
    }
    enc_activity(a)
}

/// Writes members in order and applies the raw-copy rule for mapped members.
struct Writer<'a> {
    ext: &'a [crate::model::Extension],
    map: Map<String, Value>,
    used: HashSet<&'static str>,
}

impl<'a> Writer<'a> {
    fn new(props_ext: &'a crate::model::Extensions) -> Self {
        Writer {
            ext: &props_ext.0,
            map: Map::new(),
            used: HashSet::new(),
        }
    }

    fn raw(&self, key: &str) -> Option<&'a Value> {
        self.ext.iter().find_map(|e| match e {
            crate::model::Extension::Json { key: k, value }
                if k.strip_prefix(RAW_PREFIX) == Some(key) =>
            {
                Some(value)
            }
            _ => None,
        })
    }

    fn put(&mut self, key: &str, v: Option<Value>) {
        if let Some(v) = v {
            self.map.insert(key.to_string(), v);
        }
    }

    fn s(&mut self, key: &str, v: Option<&str>) {
        self.put(key, v.map(|s| Value::String(s.to_string())));
    }

    /// A mapped member that may have a raw copy: the raw copy wins while `consistent`.
    fn over(
        &mut self,
        key: &'static str,
        canonical: Option<Value>,
        consistent: impl Fn(&Value) -> bool,
    ) {
        if let Some(raw) = self.raw(key)
            && consistent(raw)
        {
            // Written in extension order by `finish`.
            self.used.insert(key);
            return;
        }
        self.put(key, canonical);
    }

    fn finish(mut self) -> Value {
        for e in self.ext {
            let crate::model::Extension::Json { key, value } = e else {
                continue;
            };
            let name = match key.strip_prefix(RAW_PREFIX) {
                // A raw copy: only when `over` found it still true; stale ones are dropped.
                Some(real) if self.used.contains(real) => real,
                Some(_) => continue,
                None => key.as_str(),
            };
            if !self.map.contains_key(name) {
                self.map.insert(name.to_string(), value.clone());
            }
        }
        Value::Object(self.map)
    }
}

fn root() -> Path {
    Path::root()
}

fn text_html(t: &Text) -> String {
    match t.format {
        TextFormat::Html | TextFormat::Xhtml => t.value.clone(),
        TextFormat::Text => escape_html(&t.value),
    }
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The verb to write, the object to write, and (for AS2-style undos turned into a pump
/// reversal verb) the inner activity's actor to use when the outer one names none.
fn verb_token(a: &Activity) -> (String, Option<Node>, Option<&Actor>) {
    match a.verb() {
        Verb::UpdateProfile => {
            let obj = a
                .object
                .as_deref()
                .cloned()
                .or_else(|| a.actor.as_deref().map(|actor| Node::Actor(actor.clone())));
            if matches!(obj, Some(Node::Actor(_))) {
                ("update".to_string(), obj, None)
            } else {
                (a.verb.pump_token(), obj, None)
            }
        }
        Verb::Undo => {
            if let Some(Node::Activity(inner)) = a.object.as_deref() {
                let token = match inner.verb() {
                    Verb::Follow => Some("stop-following"),
                    Verb::Favorite => Some("unfavorite"),
                    Verb::Share => Some("unshare"),
                    Verb::Block => Some("unblock"),
                    _ => None,
                };
                if let Some(t) = token {
                    return (
                        t.to_string(),
                        inner.object.as_deref().cloned(),
                        inner.actor.as_deref(),
                    );
                }
            }
            (a.verb.pump_token(), a.object.as_deref().cloned(), None)
        }
        _ => (a.verb.pump_token(), a.object.as_deref().cloned(), None),
    }
}

fn enc_activity(a: &Activity) -> Value {
    let mut w = Writer::new(&a.props.extensions);
    let (token, object, inner_actor) = verb_token(a);
    w.s("id", a.props.id.as_deref());
    w.s("verb", Some(token.as_str()));
    let actor = a.actor.as_deref().or(inner_actor);
    w.put("actor", actor.map(enc_actor));
    w.put("object", object.as_ref().map(enc_node));
    w.put("target", a.target.as_deref().map(enc_node));
    let followers = actor.and_then(|x| x.endpoints.followers.as_deref());
    enc_common(&mut w, &a.props, Ctx::Activity, followers);
    w.finish()
}

fn enc_node(n: &Node) -> Value {
    match n {
        Node::Ref(id) => {
            let mut m = Map::new();
            m.insert("id".into(), Value::String(id.clone()));
            Value::Object(m)
        }
        Node::Object(o) => enc_object(o),
        Node::Actor(a) => enc_actor(a),
        Node::Activity(a) => enc_activity(a),
    }
}

fn enc_object(o: &Object) -> Value {
    let mut w = Writer::new(&o.props.extensions);
    w.s("id", o.props.id.as_deref());
    w.s("objectType", Some(o.kind.as1_token()));
    let followers = o
        .props
        .author
        .as_deref()
        .and_then(|x| x.endpoints.followers.as_deref());
    enc_common(&mut w, &o.props, Ctx::Object(&o.kind), followers);
    w.finish()
}

fn enc_actor(a: &Actor) -> Value {
    let mut w = Writer::new(&a.props.extensions);
    w.s("id", a.props.id.as_deref());
    w.s("objectType", Some(a.kind.as1_token()));
    w.s("displayName", a.props.name.as_deref());
    w.s("preferredUsername", a.username.as_deref());
    let avatars = a.avatars.clone();
    w.over("image", enc_avatars(&a.avatars), |raw| {
        dec_avatars(raw, &root()).ok().as_ref() == Some(&avatars)
    });
    let (inbox, outbox) = (a.endpoints.inbox.clone(), a.endpoints.outbox.clone());
    w.over(
        "links",
        enc_actor_links(inbox.as_deref(), outbox.as_deref()),
        |raw| dec_actor_links(raw, &root()).ok() == Some((inbox.clone(), outbox.clone())),
    );
    for (key, url) in [
        ("followers", &a.endpoints.followers),
        ("following", &a.endpoints.following),
    ] {
        w.over(key, enc_collection_url(url.as_deref()), |raw| {
            dec_collection_url(raw, &root()).ok().as_ref() == Some(url)
        });
    }
    let mut props = a.props.clone();
    props.name = None;
    enc_common(&mut w, &props, Ctx::Actor, a.endpoints.followers.as_deref());
    w.finish()
}

/// Which node the common members belong to.
#[derive(Clone, Copy)]
enum Ctx<'a> {
    Activity,
    Object(&'a ObjectType),
    Actor,
}

/// The common members; `followers` is the followers collection of whoever speaks (for
/// [`Addressee::Followers`]).
fn enc_common(w: &mut Writer<'_>, p: &Props, ctx: Ctx<'_>, followers: Option<&str>) {
    let kind = match ctx {
        Ctx::Object(k) => Some(k),
        Ctx::Activity | Ctx::Actor => None,
    };
    w.s("displayName", p.name.as_deref());
    w.put(
        "summary",
        p.summary.as_ref().map(|t| Value::String(text_html(t))),
    );
    w.put(
        "content",
        p.content.as_ref().map(|t| Value::String(text_html(t))),
    );
    let url = p.url.clone();
    w.over("url", url.clone().map(Value::String), |raw| {
        dec_url(raw, &root()).ok().as_ref() == Some(&url)
    });
    timestamp(w, "published", &p.published);
    timestamp(w, "updated", &p.updated);
    w.put("author", p.author.as_deref().map(enc_actor));
    let irt = p.in_reply_to.clone();
    w.over("inReplyTo", enc_in_reply_to(&irt), |raw| {
        dec_in_reply_to(raw, &root()).ok().as_ref() == Some(&irt)
    });
    for (key, list) in [
        ("to", &p.audience.to),
        ("cc", &p.audience.cc),
        ("bto", &p.audience.bto),
        ("bcc", &p.audience.bcc),
    ] {
        w.put(key, enc_audience(list, followers));
    }
    if !matches!(ctx, Ctx::Actor) {
        let image = p.image.clone();
        w.over("image", enc_image(image.as_ref()), |raw| {
            dec_image(raw, &root()).ok().as_ref() == Some(&image)
        });
    }
    // Video and audio objects carry their file as `stream`.
    let mut attachments: &[Attachment] = &p.attachments;
    if let Some(k) = kind.filter(|k| has_stream(k)) {
        let all = p.attachments.clone();
        let raw_matches_all = w
            .raw("attachments")
            .is_some_and(|raw| dec_attachments(raw, &root()).ok().as_ref() == Some(&all));
        if !raw_matches_all
            && let Some((first, rest)) = p.attachments.split_first()
            && first.kind == *k
        {
            let first_c = first.clone();
            let kc = k.clone();
            w.over("stream", Some(enc_stream(first)), |raw| {
                dec_stream(raw, &root(), &kc).ok().as_ref() == Some(&first_c)
            });
            attachments = rest;
        } else {
            // No stream written: a raw copy of it would be stale.
            w.over("stream", None, |_| false);
        }
    }
    let loc = p.location.clone();
    w.over("location", loc.as_ref().map(enc_location), |raw| {
        dec_location(raw, &root()).ok().as_ref() == Some(&loc)
    });
    let (mentions, hashtags) = (p.mentions.clone(), p.hashtags.clone());
    w.over("tags", enc_tags(&mentions, &hashtags), |raw| {
        dec_tags(raw, &root()).ok() == Some((mentions.clone(), hashtags.clone()))
    });
    let atts = attachments.to_vec();
    w.over("attachments", enc_attachments(&atts), |raw| {
        dec_attachments(raw, &root()).ok().as_ref() == Some(&atts)
    });
    timestamp(w, "startTime", &p.start_time);
    timestamp(w, "endTime", &p.end_time);
    let sensitive = p.sensitive;
    w.over("sensitive", sensitive.map(Value::Bool), |raw| {
        dec_sensitive(raw, &root()).ok() == Some(sensitive)
    });
}

fn timestamp(w: &mut Writer<'_>, key: &'static str, t: &Option<Timestamp>) {
    w.over(key, enc_timestamp(t.as_ref()), |raw| {
        dec_timestamp(raw, &root()).ok().as_ref() == Some(t)
    });
}

fn obj(pairs: Vec<(&str, Option<Value>)>) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        if let Some(v) = v {
            m.insert(k.to_string(), v);
        }
    }
    Value::Object(m)
}

fn sv(s: Option<&str>) -> Option<Value> {
    s.map(|s| Value::String(s.to_string()))
}

fn nv(n: Option<u32>) -> Option<Value> {
    n.map(|n| Value::Number(n.into()))
}

fn fv(f: Option<f64>) -> Option<Value> {
    f.and_then(Number::from_f64).map(Value::Number)
}

fn enc_media(m: &Media) -> Value {
    obj(vec![
        ("url", sv(Some(&m.url))),
        ("width", nv(m.width)),
        ("height", nv(m.height)),
    ])
}

fn enc_image(m: Option<&Media>) -> Option<Value> {
    m.map(enc_media)
}

fn enc_avatars(list: &[Media]) -> Option<Value> {
    match list {
        [] => None,
        [one] => Some(enc_media(one)),
        many => Some(Value::Array(many.iter().map(enc_media).collect())),
    }
}

fn enc_reference(r: &Reference) -> Value {
    obj(vec![("id", sv(Some(&r.id))), ("url", sv(r.url.as_deref()))])
}

fn enc_in_reply_to(list: &[Reference]) -> Option<Value> {
    match list {
        [] => None,
        [one] => Some(enc_reference(one)),
        many => Some(Value::Array(many.iter().map(enc_reference).collect())),
    }
}

fn enc_location(p: &Place) -> Value {
    let position = if p.latitude.is_some() || p.longitude.is_some() || p.altitude.is_some() {
        Some(obj(vec![
            ("latitude", fv(p.latitude)),
            ("longitude", fv(p.longitude)),
            ("altitude", fv(p.altitude)),
        ]))
    } else {
        None
    };
    let address = p.address.as_ref().map(|a| {
        obj(vec![
            ("formatted", sv(a.formatted.as_deref())),
            ("streetAddress", sv(a.street.as_deref())),
            ("locality", sv(a.locality.as_deref())),
            ("region", sv(a.region.as_deref())),
            ("postalCode", sv(a.postal_code.as_deref())),
            ("country", sv(a.country.as_deref())),
        ])
    });
    obj(vec![
        ("id", sv(p.id.as_deref())),
        ("objectType", sv(Some("place"))),
        ("displayName", sv(p.name.as_deref())),
        ("url", sv(p.url.as_deref())),
        ("position", position),
        ("address", address),
    ])
}

fn enc_tags(mentions: &[Mention], hashtags: &[Hashtag]) -> Option<Value> {
    let mut items = Vec::new();
    for m in mentions {
        let kind = match m.kind {
            MentionKind::Person => "person",
            MentionKind::Group => "group",
        };
        items.push(obj(vec![
            ("id", sv(Some(&m.href))),
            ("objectType", sv(Some(kind))),
            ("displayName", sv(m.name.as_deref())),
        ]));
    }
    for h in hashtags {
        items.push(obj(vec![
            ("objectType", sv(Some("hashtag"))),
            ("displayName", sv(Some(&h.name))),
            ("url", sv(h.href.as_deref())),
        ]));
    }
    (!items.is_empty()).then_some(Value::Array(items))
}

fn enc_attachment(a: &Attachment) -> Value {
    obj(vec![
        ("objectType", sv(Some(a.kind.as1_token()))),
        ("displayName", sv(a.name.as_deref())),
        ("url", sv(Some(&a.media.url))),
        ("mimeType", sv(a.media.media_type.as_deref())),
        ("width", nv(a.media.width)),
        ("height", nv(a.media.height)),
    ])
}

fn enc_attachments(list: &[Attachment]) -> Option<Value> {
    (!list.is_empty()).then(|| Value::Array(list.iter().map(enc_attachment).collect()))
}

fn enc_stream(a: &Attachment) -> Value {
    obj(vec![
        ("url", sv(Some(&a.media.url))),
        ("mimeType", sv(a.media.media_type.as_deref())),
        ("width", nv(a.media.width)),
        ("height", nv(a.media.height)),
        ("displayName", sv(a.name.as_deref())),
    ])
}

fn href(h: &str) -> Value {
    obj(vec![("href", sv(Some(h)))])
}

fn enc_actor_links(inbox: Option<&str>, outbox: Option<&str>) -> Option<Value> {
    let mut m = Map::new();
    if let Some(i) = inbox {
        m.insert("activity-inbox".into(), href(i));
    }
    if let Some(o) = outbox {
        m.insert("activity-outbox".into(), href(o));
    }
    (!m.is_empty()).then_some(Value::Object(m))
}

fn enc_collection_url(url: Option<&str>) -> Option<Value> {
    url.map(|u| obj(vec![("url", sv(Some(u)))]))
}

fn enc_feed_links(l: &FeedLinks) -> Option<Value> {
    let mut m = Map::new();
    for (rel, v) in [
        ("self", &l.self_),
        ("prev", &l.prev),
        ("next", &l.next),
        ("hub", &l.hub),
        ("salmon", &l.salmon),
    ] {
        if let Some(h) = v {
            m.insert(rel.into(), href(h));
        }
    }
    (!m.is_empty()).then_some(Value::Object(m))
}

/// The `objectType` written for an addressee id (pump wants one; the model does not keep it).
fn addressee_type(id: &str) -> &'static str {
    let t = id.trim_end_matches('/');
    if t.ends_with("/followers")
        || t.ends_with("/following")
        || t.contains("/collection")
        || t.contains("/lists/")
    {
        "collection"
    } else {
        "person"
    }
}

fn enc_audience(list: &[Addressee], followers: Option<&str>) -> Option<Value> {
    let items: Vec<Value> = list
        .iter()
        .filter_map(|a| match a {
            Addressee::Public => Some(obj(vec![
                ("id", sv(Some(AS1_PUBLIC))),
                ("objectType", sv(Some("collection"))),
            ])),
            Addressee::Followers => followers.map(|f| {
                obj(vec![
                    ("id", sv(Some(f))),
                    ("objectType", sv(Some("collection"))),
                ])
            }),
            Addressee::Id(id) => Some(obj(vec![
                ("id", sv(Some(id))),
                ("objectType", sv(Some(addressee_type(id)))),
            ])),
        })
        .collect();
    (!items.is_empty()).then_some(Value::Array(items))
}

fn enc_feed(f: &Feed) -> Value {
    let mut w = Writer::new(&f.extensions);
    w.over("objectType", sv(Some("collection")), |_| true);
    w.s("id", f.id.as_deref());
    w.s("displayName", f.title.as_deref());
    w.s("summary", f.subtitle.as_deref());
    let alt = f.links.alternate.clone();
    w.over("url", sv(alt.as_deref()), |raw| {
        dec_url(raw, &root()).ok().as_ref() == Some(&alt)
    });
    timestamp(&mut w, "updated", &f.updated);
    w.put("author", f.author.as_ref().map(enc_actor));
    w.put("totalItems", f.total_items.map(|n| Value::Number(n.into())));
    let links = f.links.clone();
    w.over("links", enc_feed_links(&links), |raw| {
        dec_links(raw, &root()).ok().is_some_and(|l| {
            let d = feed_links_from(&l);
            d.self_ == links.self_
                && d.next == links.next
                && d.prev == links.prev
                && d.hub == links.hub
                && d.salmon == links.salmon
        })
    });
    w.put(
        "items",
        Some(Value::Array(
            f.entries.iter().map(enc_activity_or_implied).collect(),
        )),
    );
    w.finish()
}
