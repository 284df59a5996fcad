//! AS2 JSON → model.

use serde_json::{Map, Value};

use super::context::AS_NS;
use super::encode;
use crate::codec::DecodeError;
use crate::codec::json::{Path, opt_bool, opt_f64, opt_str, opt_u64};
use crate::model::{
    Activity, Actor, Addressee, Attachment, Document, Emoji, EventDetails, Feed, Hashtag, Media,
    Mention, Node, Object, ObjectType, Place, PostalAddress, ProfileField, Props, PublicKey,
    Reference, Text, Timestamp, Verb, VerbTerm,
};

type Result<T> = std::result::Result<T, DecodeError>;

/// AS2 activity types with a dedicated [`Verb`] (or decoded by the object's kind).
const KNOWN_ACTIVITIES: &[&str] = &[
    "Create",
    "Announce",
    "Like",
    "Follow",
    "Accept",
    "Reject",
    "TentativeAccept",
    "Undo",
    "Delete",
    "Update",
    "Add",
    "Remove",
    "Block",
    "Flag",
    "Move",
    "Join",
    "Leave",
    "Invite",
    "Activity",
];

/// Other activity types, kept verbatim as `Verb::Unknown("<Type>")`.
pub(super) const OTHER_ACTIVITIES: &[&str] = &[
    "IntransitiveActivity",
    "View",
    "Listen",
    "Read",
    "Arrive",
    "Travel",
    "Dislike",
    "Ignore",
    "Offer",
    "TentativeReject",
    "QuoteRequest",
    "EmojiReact",
];

/// Extension keys merged back into a typed member by the encoder, in the order it writes
/// them: `(activity-only, actor-only, common)`.
pub(super) const ACTIVITY_MERGED: &[&str] = &["actor", "object", "target"];
/// See [`ACTIVITY_MERGED`].
pub(super) const ACTOR_MERGED: &[&str] = &["endpoints", "publicKey", "icon"];
/// See [`ACTIVITY_MERGED`].
pub(super) const PROPS_MERGED: &[&str] = &[
    "url",
    "attributedTo",
    "tag",
    "attachment",
    "image",
    "location",
];

/// Collection types that become a [`Feed`] at the root.
const COLLECTIONS: &[&str] = &[
    "OrderedCollection",
    "Collection",
    "OrderedCollectionPage",
    "CollectionPage",
];

/// `type` with the AS namespace (or `as:` prefix) removed.
fn strip_ns(t: &str) -> &str {
    let t = t.trim();
    t.strip_prefix(AS_NS)
        .or_else(|| t.strip_prefix("http://www.w3.org/ns/activitystreams#"))
        .or_else(|| t.strip_prefix("as:"))
        .unwrap_or(t)
}

/// True for the spellings of the Public collection (trap 32).
fn is_public(s: &str) -> bool {
    matches!(
        s.trim(),
        "Public"
            | "as:Public"
            | "https://www.w3.org/ns/activitystreams#Public"
            | "http://www.w3.org/ns/activitystreams#Public"
    )
}

/// The `type` member: a string, or the first string of an array.
fn type_of(map: &Map<String, Value>, path: &Path) -> Result<Option<String>> {
    match map.get("type") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(strip_ns(s).to_string())),
        Some(Value::Array(items)) => match items.first() {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(strip_ns(s).to_string())),
            Some(other) => Err(path.key("type").index(0).invalid("a string", other)),
        },
        Some(other) => Err(path.key("type").invalid("a string", other)),
    }
}

/// True for the activity types listed above; any other type is read as an object (its
/// `actor`, if any, kept as an extension), so that it is written back as read.
fn is_activity_type(t: &str) -> bool {
    KNOWN_ACTIVITIES.contains(&t) || OTHER_ACTIVITIES.contains(&t)
}

/// Decodes a parsed root object.
pub(super) fn document(map: &Map<String, Value>, path: &Path) -> Result<Document> {
    let ty = type_of(map, path)?.ok_or_else(|| path.missing("type"))?;
    if COLLECTIONS.contains(&ty.as_str()) {
        return feed(map, path, &ty).map(Document::Feed);
    }
    entry(map, path, &ty).map(Document::Activity)
}

/// An activity, or an implied activity around a bare object.
fn entry(map: &Map<String, Value>, path: &Path, ty: &str) -> Result<Activity> {
    if is_activity_type(ty) {
        return activity(map, path, ty);
    }
    let node = typed_node(map, path, Some(ty))?;
    Ok(implied(node))
}

fn implied(node: Node) -> Activity {
    Activity {
        verb: VerbTerm::new(Verb::Post),
        implied: true,
        object: Some(Box::new(node)),
        ..Activity::default()
    }
}

/// A feed item or object-valued member: a bare id or an object.
pub(super) fn node(v: &Value, path: &Path) -> Result<Node> {
    match v {
        Value::String(s) => Ok(Node::Ref(s.clone())),
        Value::Object(m) => {
            let ty = type_of(m, path)?;
            if let (None, 1, Some(Value::String(id))) = (&ty, m.len(), m.get("id")) {
                return Ok(Node::Ref(id.clone()));
            }
            typed_node(m, path, ty.as_deref())
        }
        other => Err(path.invalid("a string or an object", other)),
    }
}

fn typed_node(map: &Map<String, Value>, path: &Path, ty: Option<&str>) -> Result<Node> {
    let ty = ty.unwrap_or("Object");
    if is_activity_type(ty) {
        return Ok(Node::Activity(Box::new(activity(map, path, ty)?)));
    }
    let kind = object_kind(map, path, ty)?;
    if kind.is_actor() {
        Ok(Node::Actor(actor_with_kind(map, path, kind)?))
    } else {
        Ok(Node::Object(object_with_kind(map, path, kind)?))
    }
}

/// The model kind of an object: `ostatus:objectType` when it applies, else the AS2 type.
fn object_kind(map: &Map<String, Value>, path: &Path, ty: &str) -> Result<ObjectType> {
    opt_str(map, "ostatus:objectType", path)?;
    if let Some(kind) = as1_kind(map, ty) {
        return Ok(kind);
    }
    Ok(match ty {
        // Keep the ordered / paged kinds verbatim so they are written back as read.
        "OrderedCollection" | "CollectionPage" | "OrderedCollectionPage" => {
            ObjectType::Unknown(ty.to_string())
        }
        t => ObjectType::parse_as2(t),
    })
}

/// The kind named by `ostatus:objectType`, when it is one the encoder writes that way (a
/// known AS1 kind whose AS2 type is `ty`, like `comment` on a `Note`); any other value stays
/// an ordinary extension member.
fn as1_kind(map: &Map<String, Value>, ty: &str) -> Option<ObjectType> {
    let token = map.get("ostatus:objectType")?.as_str()?;
    let kind = ObjectType::parse_as1(token);
    let applies = !matches!(kind, ObjectType::Unknown(_))
        && kind.as1_token() == token
        && kind.as2_type() == Some(ty)
        && ObjectType::parse_as2(ty) != kind;
    applies.then_some(kind)
}

fn activity(map: &Map<String, Value>, path: &Path, ty: &str) -> Result<Activity> {
    let mut a = Activity::default();
    let mut r = PropsReader::new(false);
    let mut ostatus_verb = None;
    for (k, v) in map {
        let p = path.key(k);
        match k.as_str() {
            "@context" | "type" => {}
            "ostatus:verb" if ty == "Activity" => match v {
                Value::String(s) => ostatus_verb = Some(s.clone()),
                other => return Err(p.invalid("a string", other)),
            },
            "actor" => {
                let (first, rest) = first_and_rest(v, &p);
                if let Some((fp, fv)) = first {
                    a.actor = Some(Box::new(actor_ref(fv, &fp)?));
                }
                if let Some(rest) = rest {
                    r.props.extensions.push_json(k, rest);
                }
            }
            "object" | "target" => {
                let (first, rest) = first_and_rest(v, &p);
                let n = match first {
                    Some((fp, fv)) => Some(Box::new(node(fv, &fp)?)),
                    None => None,
                };
                if k == "object" {
                    a.object = n;
                } else {
                    a.target = n;
                }
                if let Some(rest) = rest {
                    r.props.extensions.push_json(k, rest);
                }
            }
            _ => {
                if !r.member(k, v, &p)? {
                    r.props.extensions.push_json(k, v.clone());
                }
            }
        }
    }
    a.props = r.finish(ACTIVITY_MERGED);
    let obj_kind = a.object.as_deref().map(|n| match n {
        Node::Ref(_) => "ref",
        Node::Activity(x) if *x.verb() == Verb::Follow => "follow",
        Node::Object(o) if o.kind == ObjectType::Event => "event",
        Node::Actor(_) => "actor",
        _ => "other",
    });
    let verb = match ty {
        "Create" => Verb::Post,
        "Announce" => Verb::Share,
        "Like" => Verb::Favorite,
        "Follow" => Verb::Follow,
        "Accept" => match obj_kind {
            Some("ref") | Some("follow") => Verb::Authorize,
            Some("event") => Verb::RsvpYes,
            _ => Verb::Accept,
        },
        "Reject" => match obj_kind {
            Some("event") => Verb::RsvpNo,
            _ => Verb::Reject,
        },
        "TentativeAccept" => Verb::RsvpMaybe,
        "Undo" => Verb::Undo,
        "Delete" => Verb::Delete,
        "Update" => match obj_kind {
            Some("actor") => Verb::UpdateProfile,
            _ => Verb::Update,
        },
        "Add" => Verb::Add,
        "Remove" => Verb::Remove,
        "Block" => Verb::Block,
        "Flag" => Verb::Flag,
        "Move" => Verb::Move,
        "Join" => Verb::Join,
        "Leave" => Verb::Leave,
        "Invite" => Verb::Invite,
        "Activity" => Verb::Unknown(ostatus_verb.unwrap_or_else(|| "Activity".into())),
        other => Verb::Unknown(other.to_string()),
    };
    a.verb = VerbTerm::new(verb);
    Ok(a)
}

/// Splits a one-or-many value into its first element and, when there are more, the rest
/// as an array (kept in the extensions under the same key).
fn first_and_rest<'a>(v: &'a Value, p: &Path) -> (Option<(Path, &'a Value)>, Option<Value>) {
    match v {
        Value::Null => (None, None),
        Value::Array(items) => {
            let first = items.first().map(|f| (p.index(0), f));
            let rest =
                (items.len() > 1).then(|| Value::Array(items.iter().skip(1).cloned().collect()));
            (first, rest)
        }
        other => (Some((p.clone(), other)), None),
    }
}

/// An actor from a bare id or an object.
fn actor_ref(v: &Value, path: &Path) -> Result<Actor> {
    match v {
        Value::String(s) => Ok(Actor::with_id(s.clone())),
        Value::Object(m) => {
            let ty = type_of(m, path)?.unwrap_or_else(|| "Person".into());
            let kind = object_kind(m, path, &ty)?;
            actor_with_kind(m, path, kind)
        }
        other => Err(path.invalid("a string or an object", other)),
    }
}

fn object_with_kind(map: &Map<String, Value>, path: &Path, kind: ObjectType) -> Result<Object> {
    let ty = type_of(map, path)?.unwrap_or_default();
    let mut r = PropsReader::new(false);
    let mut ev = EventDetails::default();
    for (k, v) in map {
        let p = path.key(k);
        match k.as_str() {
            "@context" | "type" => {}
            "ostatus:objectType" if as1_kind(map, &ty).is_some() => {}
            "joinMode" => ev.join_mode = opt_str(map, k, path)?,
            "repliesModerationOption" => ev.replies_moderation = opt_str(map, k, path)?,
            "commentsEnabled" => ev.comments_enabled = opt_bool(map, k, path)?,
            "timezone" => ev.timezone = opt_str(map, k, path)?,
            "maximumAttendeeCapacity" => ev.maximum_attendee_capacity = opt_u64(map, k, path)?,
            _ => {
                if !r.member(k, v, &p)? {
                    r.props.extensions.push_json(k, v.clone());
                }
            }
        }
    }
    Ok(Object {
        kind,
        event: (ev != EventDetails::default()).then_some(ev),
        props: r.finish(&[]),
    })
}

fn actor_with_kind(map: &Map<String, Value>, path: &Path, kind: ObjectType) -> Result<Actor> {
    let ty = type_of(map, path)?.unwrap_or_default();
    let mut a = Actor {
        kind,
        ..Actor::default()
    };
    let mut r = PropsReader::new(true);
    for (k, v) in map {
        let p = path.key(k);
        match k.as_str() {
            "@context" | "type" => {}
            "ostatus:objectType" if as1_kind(map, &ty).is_some() => {}
            "preferredUsername" => a.username = opt_str(map, k, path)?,
            "inbox" => a.endpoints.inbox = opt_str(map, k, path)?,
            "outbox" => a.endpoints.outbox = opt_str(map, k, path)?,
            "followers" => a.endpoints.followers = opt_str(map, k, path)?,
            "following" => a.endpoints.following = opt_str(map, k, path)?,
            "endpoints" => match v {
                Value::Null => {}
                Value::Object(m) => {
                    a.endpoints.shared_inbox = opt_str(m, "sharedInbox", &p)?;
                    let rest: Map<String, Value> = m
                        .iter()
                        .filter(|(k, _)| k.as_str() != "sharedInbox")
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    if !rest.is_empty() {
                        r.props.extensions.push_json(k, Value::Object(rest));
                    }
                }
                other => return Err(p.invalid("an object", other)),
            },
            "publicKey" => {
                a.public_key = public_key(v, &p)?;
                if let Some(key) = &a.public_key
                    && *v != encode::public_key(key)
                {
                    r.props.extensions.push_json(k, v.clone());
                }
            }
            "manuallyApprovesFollowers" => a.locked = opt_bool(map, k, path)?,
            "alsoKnownAs" => {
                for (ip, iv) in crate::codec::json::one_or_many(map, k, path) {
                    match iv {
                        Value::String(s) => a.also_known_as.push(s.clone()),
                        other => return Err(ip.invalid("a string", other)),
                    }
                }
            }
            "movedTo" => a.moved_to = opt_str(map, k, path)?,
            "icon" => {
                a.avatars = icons(v, &p)?;
                if !v.is_null() && Some(v) != encode::icons(&a.avatars).as_ref() {
                    r.props.extensions.push_json(k, v.clone());
                }
            }
            "image" => {
                let (m, keep) = image(v, &p)?;
                a.header = m;
                if let Some(keep) = keep {
                    r.props.extensions.push_json(k, keep);
                }
            }
            _ => {
                if !r.member(k, v, &p)? {
                    r.props.extensions.push_json(k, v.clone());
                }
            }
        }
    }
    a.fields = std::mem::take(&mut r.fields);
    a.props = r.finish(ACTOR_MERGED);
    Ok(a)
}

/// An `image` member: the first image, and what to keep in the extensions (the other
/// images, or the whole value when the first has no URL).
fn image(v: &Value, p: &Path) -> Result<(Option<Media>, Option<Value>)> {
    let m = match first_and_rest(v, p).0 {
        Some((fp, fv)) => media(fv, &fp)?,
        None => None,
    };
    let canonical = m.as_ref().map(encode::media);
    let keep = (!v.is_null() && Some(v) != canonical.as_ref()).then(|| v.clone());
    Ok((m, keep))
}

/// A kept raw `image` value, read again (for the encoder's "still current?" check).
pub(super) fn read_image(raw: &Value) -> Option<Media> {
    image(raw, &Path::root()).ok().and_then(|(m, _)| m)
}

/// All images of an `icon` member.
fn icons(v: &Value, p: &Path) -> Result<Vec<Media>> {
    let mut out = Vec::new();
    for (ip, iv) in items(v, p) {
        if let Some(m) = media(iv, &ip)? {
            out.push(m);
        }
    }
    Ok(out)
}

/// A kept raw `icon` value, read again.
pub(super) fn read_icons(raw: &Value) -> Option<Vec<Media>> {
    icons(raw, &Path::root()).ok()
}

fn public_key(v: &Value, p: &Path) -> Result<Option<PublicKey>> {
    match v {
        Value::Null => Ok(None),
        Value::Object(m) => Ok(Some(PublicKey {
            id: opt_str(m, "id", p)?.unwrap_or_default(),
            owner: opt_str(m, "owner", p)?.unwrap_or_default(),
            pem: opt_str(m, "publicKeyPem", p)?.unwrap_or_default(),
        })),
        other => Err(p.invalid("an object", other)),
    }
}

/// A kept raw `publicKey` value, read again.
pub(super) fn read_public_key(raw: &Value) -> Option<PublicKey> {
    public_key(raw, &Path::root()).ok().flatten()
}

/// An image reference: a URL string or an `Image`/`Link` object.
fn media(v: &Value, path: &Path) -> Result<Option<Media>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(Media {
            url: s.clone(),
            ..Media::default()
        })),
        Value::Object(m) => {
            let Some((url, link_type)) = link_of(m, path)? else {
                return Ok(None);
            };
            Ok(Some(Media {
                url,
                media_type: opt_str(m, "mediaType", path)?.or(link_type),
                width: opt_u32(m, "width", path)?,
                height: opt_u32(m, "height", path)?,
            }))
        }
        other => Err(path.invalid("a string or an object", other)),
    }
}

/// The URL of an object's `url` (string, Link object, or array: the first) or `href`.
fn link_of(m: &Map<String, Value>, path: &Path) -> Result<Option<(String, Option<String>)>> {
    if let Some(u) = m.get("url")
        && let Some(found) = href_of(u, &path.key("url"))?
    {
        return Ok(Some(found));
    }
    Ok(opt_str(m, "href", path)?.map(|h| (h, None)))
}

fn href_of(v: &Value, path: &Path) -> Result<Option<(String, Option<String>)>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some((s.clone(), None))),
        Value::Object(m) => Ok(match opt_str(m, "href", path)? {
            Some(h) => Some((h, opt_str(m, "mediaType", path)?)),
            None => None,
        }),
        Value::Array(items) => match items.first() {
            Some(f) => href_of(f, &path.index(0)),
            None => Ok(None),
        },
        other => Err(path.invalid("a string or an object", other)),
    }
}

/// The `url` a [`Props::url`] takes from any shape: the first `text/html` link, else the
/// first string, else the first link.
pub(super) fn choose_url(v: &Value) -> Option<String> {
    let items: Vec<&Value> = match v {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let href = |it: &Value| match it {
        Value::Object(m) => m.get("href").and_then(Value::as_str).map(str::to_string),
        _ => None,
    };
    items
        .iter()
        .find(|it| {
            it.get("mediaType").and_then(Value::as_str) == Some("text/html") && href(it).is_some()
        })
        .and_then(|it| href(it))
        .or_else(|| items.iter().find_map(|it| it.as_str().map(str::to_string)))
        .or_else(|| items.iter().find_map(|it| href(it)))
}

fn opt_u32(m: &Map<String, Value>, key: &str, path: &Path) -> Result<Option<u32>> {
    match opt_u64(m, key, path)? {
        None => Ok(None),
        Some(n) => u32::try_from(n)
            .map(Some)
            .map_err(|_| DecodeError::Invalid {
                at: path.key(key).at(),
                reason: format!("number {n} is too large"),
            }),
    }
}

/// Reads the members every object, actor and activity may carry into [`Props`].
struct PropsReader {
    props: Props,
    is_actor: bool,
    fields: Vec<ProfileField>,
    content_map: Option<Vec<(String, String)>>,
    in_reply_to_atom_uri: Option<String>,
}

impl PropsReader {
    fn new(is_actor: bool) -> Self {
        PropsReader {
            props: Props::default(),
            is_actor,
            fields: Vec::new(),
            content_map: None,
            in_reply_to_atom_uri: None,
        }
    }

    /// Reads member `k`; false when it is not a [`Props`] member.
    fn member(&mut self, k: &str, v: &Value, p: &Path) -> Result<bool> {
        let props = &mut self.props;
        let s = || -> Result<Option<String>> {
            match v {
                Value::Null => Ok(None),
                Value::String(s) => Ok(Some(s.clone())),
                other => Err(p.invalid("a string", other)),
            }
        };
        match k {
            "id" => props.id = s()?,
            "atomUri" => props.atom_uri = s()?,
            "name" => props.name = s()?,
            "summary" => props.summary = s()?.map(Text::html),
            "content" => props.content = s()?.map(Text::html),
            "contentMap" => match v {
                Value::Null => {}
                Value::Object(m) => {
                    let mut entries = Vec::new();
                    for (lang, text) in m {
                        match text {
                            Value::String(t) => entries.push((lang.clone(), t.clone())),
                            other => return Err(p.key(lang).invalid("a string", other)),
                        }
                    }
                    self.content_map = Some(entries);
                }
                other => return Err(p.invalid("an object", other)),
            },
            "url" => match v {
                Value::Null => {}
                Value::String(u) => props.url = Some(u.clone()),
                Value::Object(_) | Value::Array(_) => {
                    props.url = choose_url(v);
                    props.extensions.push_json(k, v.clone());
                }
                other => return Err(p.invalid("a string, an object or an array", other)),
            },
            "published" => props.published = s()?.and_then(|t| Timestamp::new(&t)),
            "updated" => props.updated = s()?.and_then(|t| Timestamp::new(&t)),
            "attributedTo" => {
                let (first, rest) = first_and_rest(v, p);
                if let Some((fp, fv)) = first {
                    props.author = Some(Box::new(actor_ref(fv, &fp)?));
                }
                if let Some(rest) = rest {
                    props.extensions.push_json(k, rest);
                }
            }
            "inReplyTo" => {
                for (ip, iv) in items(v, p) {
                    props.in_reply_to.push(reference(iv, &ip)?);
                }
            }
            "inReplyToAtomUri" => self.in_reply_to_atom_uri = s()?,
            "conversation" => props.conversation = s()?,
            "context" => match v {
                Value::String(c) => props.context = Some(c.clone()),
                _ => return Ok(false),
            },
            "to" => props.audience.to = audience(v, p)?,
            "cc" => props.audience.cc = audience(v, p)?,
            "bto" => props.audience.bto = audience(v, p)?,
            "bcc" => props.audience.bcc = audience(v, p)?,
            "sensitive" => match v {
                Value::Null => {}
                Value::Bool(b) => props.sensitive = Some(*b),
                other => return Err(p.invalid("a boolean", other)),
            },
            "tag" => {
                for (ip, iv) in items(v, p) {
                    self.tag(iv, &ip)?;
                }
                if !same_items(v, &encode::tags(&self.props)) {
                    self.props.extensions.push_json(k, v.clone());
                }
            }
            "attachment" => {
                for (ip, iv) in items(v, p) {
                    self.attachment(iv, &ip)?;
                }
                let fields = if self.is_actor {
                    self.fields.as_slice()
                } else {
                    &[]
                };
                if !same_items(v, &encode::attachments(fields, &self.props.attachments)) {
                    self.props.extensions.push_json(k, v.clone());
                }
            }
            "image" if !self.is_actor => {
                let (m, keep) = image(v, p)?;
                props.image = m;
                if let Some(keep) = keep {
                    props.extensions.push_json(k, keep);
                }
            }
            "location" => match location(v, p)? {
                None if v.is_null() => {}
                None => return Ok(false),
                Some(l) => {
                    if encode::place(&l) != *v {
                        props.extensions.push_json(k, v.clone());
                    }
                    props.location = Some(l);
                }
            },
            "startTime" => props.start_time = s()?.and_then(|t| Timestamp::new(&t)),
            "endTime" => props.end_time = s()?.and_then(|t| Timestamp::new(&t)),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Reads one `tag` entry; false when it is not a Mention, Hashtag or Emoji.
    fn tag(&mut self, v: &Value, p: &Path) -> Result<bool> {
        let Value::Object(m) = v else {
            return Ok(false);
        };
        let ty = type_of(m, p)?;
        match ty.as_deref() {
            Some("Mention") => {
                let Some(href) = opt_str(m, "href", p)? else {
                    return Ok(false);
                };
                self.props.mentions.push(Mention {
                    href,
                    name: opt_str(m, "name", p)?,
                    ..Mention::default()
                });
            }
            // granary writes hashtags as `Tag`; the raw value is kept, so it goes back as read.
            Some("Hashtag" | "Tag") => {
                let Some(name) = opt_str(m, "name", p)? else {
                    return Ok(false);
                };
                self.props.hashtags.push(Hashtag {
                    name,
                    href: opt_str(m, "href", p)?,
                });
            }
            Some("Emoji") => {
                let (Some(shortcode), Some(icon)) = (
                    opt_str(m, "name", p)?,
                    m.get("icon")
                        .map(|i| media(i, &p.key("icon")))
                        .transpose()?
                        .flatten(),
                ) else {
                    return Ok(false);
                };
                self.props.emoji.push(Emoji {
                    shortcode,
                    icon,
                    id: opt_str(m, "id", p)?,
                    updated: opt_str(m, "updated", p)?.and_then(|t| Timestamp::new(&t)),
                });
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Reads one `attachment` entry; false when it is neither media nor a profile field.
    fn attachment(&mut self, v: &Value, p: &Path) -> Result<bool> {
        let Value::Object(m) = v else {
            return Ok(false);
        };
        let ty = type_of(m, p)?;
        match ty.as_deref() {
            Some("PropertyValue") if self.is_actor => {
                let (Some(name), Some(value)) = (opt_str(m, "name", p)?, opt_str(m, "value", p)?)
                else {
                    return Ok(false);
                };
                self.fields.push(ProfileField { name, value });
            }
            Some(t @ ("Document" | "Image" | "Video" | "Audio")) => {
                let Some((url, link_type)) = link_of(m, p)? else {
                    return Ok(false);
                };
                self.props.attachments.push(Attachment {
                    kind: ObjectType::parse_as2(t),
                    media: Media {
                        url,
                        media_type: opt_str(m, "mediaType", p)?.or(link_type),
                        width: opt_u32(m, "width", p)?,
                        height: opt_u32(m, "height", p)?,
                    },
                    size: None,
                    name: opt_str(m, "name", p)?,
                    blurhash: opt_str(m, "blurhash", p)?,
                });
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Completes the props; extensions that the encoder merges into typed members are put
    /// first, in the order it writes them, so that a re-read gives the same order.
    fn finish(mut self, owner_merged: &[&str]) -> Props {
        let rank = |k: &str| {
            owner_merged
                .iter()
                .chain(PROPS_MERGED)
                .position(|m| *m == k)
                .unwrap_or(usize::MAX)
        };
        self.props.extensions.0.sort_by_key(|e| match e {
            crate::model::Extension::Json { key, .. } => rank(key),
            crate::model::Extension::Xml(_) => usize::MAX,
        });
        if let Some(entries) = self.content_map {
            let mut rest = Vec::new();
            let mut found = false;
            for (lang, text) in entries {
                match &mut self.props.content {
                    Some(c) if !found && c.value == text => {
                        c.lang = Some(lang);
                        found = true;
                    }
                    _ => rest.push((lang, text)),
                }
            }
            self.props.content_map = rest;
        }
        if let Some(atom) = self.in_reply_to_atom_uri {
            match self.props.in_reply_to.first_mut() {
                Some(r) if r.atom_uri.is_none() => r.atom_uri = Some(atom),
                _ => self
                    .props
                    .extensions
                    .push_json("inReplyToAtomUri", Value::String(atom)),
            }
        }
        self.props
    }
}

/// The elements of a one-or-many value, with paths.
fn items<'a>(v: &'a Value, p: &Path) -> Vec<(Path, &'a Value)> {
    match v {
        Value::Null => Vec::new(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, it)| (p.index(i), it))
            .collect(),
        other => vec![(p.clone(), other)],
    }
}

fn reference(v: &Value, p: &Path) -> Result<Reference> {
    match v {
        Value::String(s) => Ok(Reference {
            id: s.clone(),
            ..Reference::default()
        }),
        Value::Object(m) => Ok(Reference {
            id: opt_str(m, "id", p)?.ok_or_else(|| p.missing("id"))?,
            url: match m.get("url") {
                Some(u) => href_of(u, &p.key("url"))?.map(|(h, _)| h),
                None => None,
            },
            atom_uri: opt_str(m, "atomUri", p)?,
        }),
        other => Err(p.invalid("a string or an object", other)),
    }
}

fn audience(v: &Value, p: &Path) -> Result<Vec<Addressee>> {
    let mut out = Vec::new();
    for (ip, iv) in items(v, p) {
        let id = match iv {
            Value::String(s) => s.as_str(),
            Value::Object(m) => match m.get("id") {
                Some(Value::String(s)) => s.as_str(),
                Some(other) => return Err(ip.key("id").invalid("a string", other)),
                None => return Err(ip.missing("id")),
            },
            other => return Err(ip.invalid("a string or an object", other)),
        };
        out.push(if is_public(id) {
            Addressee::Public
        } else {
            Addressee::Id(id.to_string())
        });
    }
    Ok(out)
}

/// True when `raw` (one-or-many) holds exactly the `canonical` entries.
fn same_items(raw: &Value, canonical: &[Value]) -> bool {
    match raw {
        Value::Null => canonical.is_empty(),
        Value::Array(items) => items.as_slice() == canonical,
        other => canonical.len() == 1 && canonical.first() == Some(other),
    }
}

fn location(v: &Value, p: &Path) -> Result<Option<Place>> {
    Ok(match v {
        Value::String(id) => Some(Place {
            id: Some(id.clone()),
            ..Place::default()
        }),
        Value::Object(m) => Some(place(m, p)?),
        _ => None,
    })
}

/// A kept raw `location`, read again (for the encoder's "still current?" check).
pub(super) fn read_location(raw: &Value) -> Option<Place> {
    location(raw, &Path::root()).ok().flatten()
}

/// A kept raw `tag` value, read again: mentions, hashtags, emoji and the other entries.
pub(super) type ReadTags = (Vec<Mention>, Vec<Hashtag>, Vec<Emoji>, Vec<Value>);

/// Reads a kept raw `tag` value again (for the encoder's "still current?" check).
pub(super) fn read_tags(raw: &Value) -> Option<ReadTags> {
    let mut r = PropsReader::new(false);
    let mut unknown = Vec::new();
    for (ip, iv) in items(raw, &Path::root()) {
        if !r.tag(iv, &ip).ok()? {
            unknown.push(iv.clone());
        }
    }
    Some((r.props.mentions, r.props.hashtags, r.props.emoji, unknown))
}

/// A kept raw `attachment` value, read again: profile fields, media and the other entries.
pub(super) fn read_attachments(
    raw: &Value,
    is_actor: bool,
) -> Option<(Vec<ProfileField>, Vec<Attachment>, Vec<Value>)> {
    let mut r = PropsReader::new(is_actor);
    let mut unknown = Vec::new();
    for (ip, iv) in items(raw, &Path::root()) {
        if !r.attachment(iv, &ip).ok()? {
            unknown.push(iv.clone());
        }
    }
    Some((r.fields, r.props.attachments, unknown))
}

fn place(m: &Map<String, Value>, p: &Path) -> Result<Place> {
    let address = match m.get("address") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(PostalAddress {
            formatted: Some(s.clone()),
            ..PostalAddress::default()
        }),
        Some(Value::Object(a)) => {
            let ap = p.key("address");
            Some(PostalAddress {
                formatted: opt_str(a, "name", &ap)?,
                street: opt_str(a, "streetAddress", &ap)?,
                locality: opt_str(a, "addressLocality", &ap)?,
                region: opt_str(a, "addressRegion", &ap)?,
                postal_code: opt_str(a, "postalCode", &ap)?,
                country: opt_str(a, "addressCountry", &ap)?,
            })
        }
        Some(other) => return Err(p.key("address").invalid("a string or an object", other)),
    };
    Ok(Place {
        id: opt_str(m, "id", p)?,
        name: opt_str(m, "name", p)?,
        latitude: opt_f64(m, "latitude", p)?,
        longitude: opt_f64(m, "longitude", p)?,
        altitude: opt_f64(m, "altitude", p)?,
        address,
        url: match m.get("url") {
            Some(u) => href_of(u, &p.key("url"))?.map(|(h, _)| h),
            None => None,
        },
    })
}

fn feed(map: &Map<String, Value>, path: &Path, ty: &str) -> Result<Feed> {
    let mut f = Feed::default();
    if ty != "OrderedCollection" {
        f.extensions
            .push_json("type", Value::String(ty.to_string()));
    }
    for (k, v) in map {
        let p = path.key(k);
        match k.as_str() {
            "@context" | "type" => {}
            "id" => f.id = opt_str(map, k, path)?,
            "name" => f.title = opt_str(map, k, path)?,
            "summary" => f.subtitle = opt_str(map, k, path)?,
            "updated" => f.updated = opt_str(map, k, path)?.and_then(|t| Timestamp::new(&t)),
            "url" if v.is_string() => f.links.alternate = opt_str(map, k, path)?,
            "icon" if v.is_string() => f.logo = opt_str(map, k, path)?,
            "attributedTo" if !v.is_array() => {
                if !v.is_null() {
                    f.author = Some(actor_ref(v, &p)?);
                }
            }
            "totalItems" => f.total_items = opt_u64(map, k, path)?,
            "next" if v.is_string() => f.links.next = opt_str(map, k, path)?,
            "prev" if v.is_string() => f.links.prev = opt_str(map, k, path)?,
            "orderedItems" | "items" => {
                for (ip, iv) in items(v, &p) {
                    f.entries.push(feed_item(iv, &ip)?);
                }
            }
            _ => f.extensions.push_json(k, v.clone()),
        }
    }
    Ok(f)
}

fn feed_item(v: &Value, p: &Path) -> Result<Activity> {
    match v {
        Value::String(s) => Ok(implied(Node::Ref(s.clone()))),
        Value::Object(m) => {
            let ty = type_of(m, p)?.unwrap_or_else(|| "Object".into());
            entry(m, p, &ty)
        }
        other => Err(p.invalid("a string or an object", other)),
    }
}
