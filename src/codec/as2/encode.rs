//! Model → AS2 JSON (compact, stable member order).

use serde_json::{Map, Number, Value};

use super::decode::{
    self, ACTIVITY_MERGED, ACTOR_MERGED, OTHER_ACTIVITIES, PROPS_MERGED, choose_url,
};
use crate::model::{
    AS2_PUBLIC, Activity, Actor, Addressee, Attachment, Extensions, Feed, Media, Node, Object,
    ObjectType, Place, ProfileField, Props, PublicKey, Verb,
};

fn s(v: &str) -> Value {
    Value::String(v.to_string())
}

fn put_str(out: &mut Map<String, Value>, k: &str, v: Option<&str>) {
    if let Some(v) = v {
        out.insert(k.to_string(), s(v));
    }
}

fn put_f64(out: &mut Map<String, Value>, k: &str, v: Option<f64>) {
    if let Some(n) = v.and_then(Number::from_f64) {
        out.insert(k.to_string(), Value::Number(n));
    }
}

/// The JSON extension member `key`, if kept.
fn ext<'a>(e: &'a Extensions, key: &str) -> Option<&'a Value> {
    e.json_get(key)
}

/// `[first, ...rest]` when the extensions keep a rest for `key`, else `first`.
fn with_rest(first: Option<Value>, e: &Extensions, key: &str) -> Option<Value> {
    match (first, ext(e, key)) {
        (Some(f), Some(Value::Array(rest))) => {
            let mut all = vec![f];
            all.extend(rest.iter().cloned());
            Some(Value::Array(all))
        }
        (None, Some(kept)) => Some(kept.clone()),
        (f, _) => f,
    }
}

/// Writes the extensions not merged into a typed member (`merged`, plus the common ones).
fn write_extensions(out: &mut Map<String, Value>, e: &Extensions, merged: &[&str]) {
    for (k, v) in e.json() {
        if merged.contains(&k) || PROPS_MERGED.contains(&k) || out.contains_key(k) {
            continue;
        }
        out.insert(k.to_string(), v.clone());
    }
}

/// A whole activity as a JSON value (no `@context`).
pub(super) fn entry(a: &Activity) -> Value {
    if a.implied {
        return match a.object.as_deref() {
            Some(n) => node(n, None),
            None => Value::Object(Map::new()),
        };
    }
    Value::Object(activity(a))
}

fn verb_type(a: &Activity) -> (String, Option<String>) {
    let t = match a.verb() {
        Verb::Post => "Create",
        Verb::Share => "Announce",
        Verb::Favorite => "Like",
        Verb::Follow | Verb::RequestFriend => "Follow",
        Verb::Authorize | Verb::Accept | Verb::RsvpYes => "Accept",
        Verb::Reject | Verb::RsvpNo => "Reject",
        Verb::RsvpMaybe => "TentativeAccept",
        Verb::Undo | Verb::Unfavorite | Verb::Unfollow | Verb::Unblock | Verb::Unshare => "Undo",
        Verb::Delete => "Delete",
        Verb::Update | Verb::UpdateProfile => "Update",
        Verb::Add | Verb::Tag => "Add",
        Verb::Remove | Verb::Untag => "Remove",
        Verb::Block => "Block",
        Verb::Flag => "Flag",
        Verb::Move => "Move",
        Verb::Join => "Join",
        Verb::Leave => "Leave",
        Verb::Invite => "Invite",
        Verb::Unknown(u) => {
            if u == "Activity" || OTHER_ACTIVITIES.contains(&u.as_str()) {
                return (u.clone(), None);
            }
            return ("Activity".into(), Some(u.clone()));
        }
    };
    (t.to_string(), None)
}

fn activity(a: &Activity) -> Map<String, Value> {
    let mut out = Map::new();
    put_str(&mut out, "id", a.props.id.as_deref());
    let (ty, ostatus_verb) = verb_type(a);
    out.insert("type".into(), s(&ty));
    put_str(&mut out, "ostatus:verb", ostatus_verb.as_deref());
    let followers = a
        .actor
        .as_deref()
        .and_then(|x| x.endpoints.followers.as_deref());
    if let Some(v) = with_rest(
        a.actor.as_deref().map(actor_ref),
        &a.props.extensions,
        "actor",
    ) {
        out.insert("actor".into(), v);
    }
    // Reversals with a dedicated verb: synthesise the undone activity.
    let inner = match a.verb() {
        Verb::Unfavorite => Some("Like"),
        Verb::Unfollow => Some("Follow"),
        Verb::Unblock => Some("Block"),
        Verb::Unshare => Some("Announce"),
        _ => None,
    };
    let object = if let Some(inner) = inner {
        let mut m = Map::new();
        m.insert("type".into(), s(inner));
        if let Some(actor) = a.actor.as_deref() {
            m.insert("actor".into(), actor_ref(actor));
        }
        if let Some(o) = a.object.as_deref() {
            m.insert("object".into(), node(o, followers));
        }
        Some(Value::Object(m))
    } else if *a.verb() == Verb::UpdateProfile && a.object.is_none() {
        a.actor.as_deref().map(|x| Value::Object(actor_full(x)))
    } else {
        a.object.as_deref().map(|o| node(o, followers))
    };
    if let Some(v) = with_rest(object, &a.props.extensions, "object") {
        out.insert("object".into(), v);
    }
    let target = a.target.as_deref().map(|t| node(t, followers));
    if let Some(v) = with_rest(target, &a.props.extensions, "target") {
        out.insert("target".into(), v);
    }
    props(&mut out, &a.props, followers, a.props.image.as_ref(), None);
    write_extensions(&mut out, &a.props.extensions, ACTIVITY_MERGED);
    out
}

/// An object-valued member: a bare id, an object, an actor or an activity.
fn node(n: &Node, followers: Option<&str>) -> Value {
    match n {
        Node::Ref(id) => s(id),
        Node::Object(o) => Value::Object(object(o, followers)),
        Node::Actor(a) => actor_ref(a),
        Node::Activity(a) => entry(a),
    }
}

/// The AS2 type of a kind, plus `ostatus:objectType` when the type alone would not bring
/// the kind back (`comment`, `bookmark`, AS1-only types).
fn kind_type(kind: &ObjectType) -> (String, Option<String>) {
    match (kind, kind.as2_type()) {
        // Unknown kinds are written verbatim (an AS2 term, or an AS1 token or IRI).
        (ObjectType::Unknown(u), _) => (u.clone(), None),
        (_, Some(t)) if ObjectType::parse_as2(t) == *kind => (t.to_string(), None),
        (_, Some(t)) => (t.to_string(), Some(kind.as1_token().to_string())),
        (_, None) => ("Object".into(), Some(kind.as1_token().to_string())),
    }
}

fn object(o: &Object, followers: Option<&str>) -> Map<String, Value> {
    let mut out = Map::new();
    put_str(&mut out, "id", o.props.id.as_deref());
    let (ty, as1) = kind_type(&o.kind);
    out.insert("type".into(), s(&ty));
    put_str(&mut out, "ostatus:objectType", as1.as_deref());
    let followers = o
        .props
        .author
        .as_deref()
        .and_then(|x| x.endpoints.followers.as_deref())
        .or(followers);
    props(&mut out, &o.props, followers, o.props.image.as_ref(), None);
    if let Some(ev) = &o.event {
        put_str(&mut out, "joinMode", ev.join_mode.as_deref());
        put_str(
            &mut out,
            "repliesModerationOption",
            ev.replies_moderation.as_deref(),
        );
        if let Some(b) = ev.comments_enabled {
            out.insert("commentsEnabled".into(), Value::Bool(b));
        }
        put_str(&mut out, "timezone", ev.timezone.as_deref());
        if let Some(n) = ev.maximum_attendee_capacity {
            out.insert("maximumAttendeeCapacity".into(), Value::from(n));
        }
    }
    write_extensions(&mut out, &o.props.extensions, &[]);
    out
}

/// An actor as a bare id when only its id is known, else the full object.
fn actor_ref(a: &Actor) -> Value {
    if let Some(id) = &a.props.id {
        let bare = Actor {
            props: Props {
                id: Some(id.clone()),
                ..Props::default()
            },
            ..Actor::default()
        };
        if *a == bare {
            return s(id);
        }
    }
    Value::Object(actor_full(a))
}

pub(super) fn actor_full(a: &Actor) -> Map<String, Value> {
    let mut out = Map::new();
    put_str(&mut out, "id", a.props.id.as_deref());
    let (ty, as1) = kind_type(&a.kind);
    out.insert("type".into(), s(&ty));
    put_str(&mut out, "ostatus:objectType", as1.as_deref());
    put_str(&mut out, "preferredUsername", a.username.as_deref());
    put_str(&mut out, "inbox", a.endpoints.inbox.as_deref());
    put_str(&mut out, "outbox", a.endpoints.outbox.as_deref());
    put_str(&mut out, "followers", a.endpoints.followers.as_deref());
    put_str(&mut out, "following", a.endpoints.following.as_deref());
    let mut endpoints = Map::new();
    put_str(
        &mut endpoints,
        "sharedInbox",
        a.endpoints.shared_inbox.as_deref(),
    );
    if let Some(Value::Object(rest)) = ext(&a.props.extensions, "endpoints") {
        for (k, v) in rest {
            endpoints.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    if !endpoints.is_empty() {
        out.insert("endpoints".into(), Value::Object(endpoints));
    }
    if let Some(k) = &a.public_key {
        let v = match ext(&a.props.extensions, "publicKey") {
            Some(raw) if decode::read_public_key(raw).as_ref() == Some(k) => raw.clone(),
            _ => public_key(k),
        };
        out.insert("publicKey".into(), v);
    }
    if let Some(b) = a.locked {
        out.insert("manuallyApprovesFollowers".into(), Value::Bool(b));
    }
    if !a.also_known_as.is_empty() {
        out.insert(
            "alsoKnownAs".into(),
            Value::Array(a.also_known_as.iter().map(|x| s(x)).collect()),
        );
    }
    put_str(&mut out, "movedTo", a.moved_to.as_deref());
    let icon = match ext(&a.props.extensions, "icon") {
        Some(raw) if decode::read_icons(raw).as_ref() == Some(&a.avatars) => Some(raw.clone()),
        _ => icons(&a.avatars),
    };
    if let Some(v) = icon {
        out.insert("icon".into(), v);
    }
    props(
        &mut out,
        &a.props,
        a.endpoints.followers.as_deref(),
        a.header.as_ref(),
        Some(&a.fields),
    );
    write_extensions(&mut out, &a.props.extensions, ACTOR_MERGED);
    out
}

/// The canonical `publicKey` object.
pub(super) fn public_key(k: &PublicKey) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), s(&k.id));
    m.insert("owner".into(), s(&k.owner));
    m.insert("publicKeyPem".into(), s(&k.pem));
    Value::Object(m)
}

/// The canonical `icon` value: one image as an object, several as an array.
pub(super) fn icons(avatars: &[Media]) -> Option<Value> {
    match avatars {
        [] => None,
        [one] => Some(media(one)),
        many => Some(Value::Array(many.iter().map(media).collect())),
    }
}

/// The canonical image object.
pub(super) fn media(m: &Media) -> Value {
    let mut out = Map::new();
    out.insert("type".into(), s("Image"));
    put_str(&mut out, "mediaType", m.media_type.as_deref());
    out.insert("url".into(), s(&m.url));
    if let Some(w) = m.width {
        out.insert("width".into(), Value::from(w));
    }
    if let Some(h) = m.height {
        out.insert("height".into(), Value::from(h));
    }
    Value::Object(out)
}

fn attachment(a: &Attachment) -> Value {
    let mut out = Map::new();
    let ty = a
        .kind
        .as2_type()
        .filter(|t| matches!(*t, "Image" | "Video" | "Audio" | "Document"))
        .unwrap_or("Document");
    out.insert("type".into(), s(ty));
    put_str(&mut out, "mediaType", a.media.media_type.as_deref());
    out.insert("url".into(), s(&a.media.url));
    put_str(&mut out, "name", a.name.as_deref());
    put_str(&mut out, "blurhash", a.blurhash.as_deref());
    if let Some(w) = a.media.width {
        out.insert("width".into(), Value::from(w));
    }
    if let Some(h) = a.media.height {
        out.insert("height".into(), Value::from(h));
    }
    Value::Object(out)
}

fn addressees(list: &[Addressee], followers: Option<&str>) -> Option<Value> {
    let items: Vec<Value> = list
        .iter()
        .filter_map(|a| match a {
            Addressee::Public => Some(s(AS2_PUBLIC)),
            Addressee::Followers => followers.map(s),
            Addressee::Id(id) => Some(s(id)),
        })
        .collect();
    (!items.is_empty()).then_some(Value::Array(items))
}

pub(super) fn place(p: &Place) -> Value {
    let mut out = Map::new();
    put_str(&mut out, "id", p.id.as_deref());
    out.insert("type".into(), s("Place"));
    put_str(&mut out, "name", p.name.as_deref());
    put_f64(&mut out, "latitude", p.latitude);
    put_f64(&mut out, "longitude", p.longitude);
    put_f64(&mut out, "altitude", p.altitude);
    if let Some(a) = &p.address {
        let only_formatted = a.street.is_none()
            && a.locality.is_none()
            && a.region.is_none()
            && a.postal_code.is_none()
            && a.country.is_none();
        match (&a.formatted, only_formatted) {
            (Some(f), true) => {
                out.insert("address".into(), s(f));
            }
            _ => {
                let mut m = Map::new();
                m.insert("type".into(), s("PostalAddress"));
                put_str(&mut m, "name", a.formatted.as_deref());
                put_str(&mut m, "streetAddress", a.street.as_deref());
                put_str(&mut m, "addressLocality", a.locality.as_deref());
                put_str(&mut m, "addressRegion", a.region.as_deref());
                put_str(&mut m, "postalCode", a.postal_code.as_deref());
                put_str(&mut m, "addressCountry", a.country.as_deref());
                out.insert("address".into(), Value::Object(m));
            }
        }
    }
    put_str(&mut out, "url", p.url.as_deref());
    Value::Object(out)
}

fn nonempty(items: Vec<Value>) -> Option<Value> {
    (!items.is_empty()).then_some(Value::Array(items))
}

/// The canonical `tag` entries of the typed mentions, hashtags and emoji.
pub(super) fn tags(p: &Props) -> Vec<Value> {
    let mut tags: Vec<Value> = Vec::new();
    for m in &p.mentions {
        let mut t = Map::new();
        t.insert("type".into(), s("Mention"));
        t.insert("href".into(), s(&m.href));
        put_str(&mut t, "name", m.name.as_deref());
        tags.push(Value::Object(t));
    }
    for h in &p.hashtags {
        let mut t = Map::new();
        t.insert("type".into(), s("Hashtag"));
        put_str(&mut t, "href", h.href.as_deref());
        t.insert("name".into(), s(&h.name));
        tags.push(Value::Object(t));
    }
    for em in &p.emoji {
        let mut t = Map::new();
        put_str(&mut t, "id", em.id.as_deref());
        t.insert("type".into(), s("Emoji"));
        t.insert("name".into(), s(&em.shortcode));
        if let Some(u) = &em.updated {
            t.insert("updated".into(), s(u.as_str()));
        }
        t.insert("icon".into(), media(&em.icon));
        tags.push(Value::Object(t));
    }
    tags
}

/// The canonical `attachment` entries: profile fields first, then media.
pub(super) fn attachments(fields: &[ProfileField], atts: &[Attachment]) -> Vec<Value> {
    let mut out: Vec<Value> = fields
        .iter()
        .map(|f| {
            let mut m = Map::new();
            m.insert("type".into(), s("PropertyValue"));
            m.insert("name".into(), s(&f.name));
            m.insert("value".into(), s(&f.value));
            Value::Object(m)
        })
        .collect();
    out.extend(atts.iter().map(attachment));
    out
}

/// Writes the common members in their canonical order; `fields` is `Some` for actors.
fn props(
    out: &mut Map<String, Value>,
    p: &Props,
    followers: Option<&str>,
    image: Option<&Media>,
    fields: Option<&[ProfileField]>,
) {
    let e = &p.extensions;
    put_str(out, "atomUri", p.atom_uri.as_deref());
    put_str(out, "name", p.name.as_deref());
    put_str(out, "summary", p.summary.as_ref().map(|t| t.value.as_str()));
    put_str(out, "content", p.content.as_ref().map(|t| t.value.as_str()));
    let mut cmap = Map::new();
    if let Some(c) = &p.content
        && let Some(lang) = &c.lang
    {
        cmap.insert(lang.clone(), s(&c.value));
    }
    for (lang, text) in &p.content_map {
        cmap.entry(lang.clone()).or_insert_with(|| s(text));
    }
    if !cmap.is_empty() {
        out.insert("contentMap".into(), Value::Object(cmap));
    }
    match (ext(e, "url"), &p.url) {
        (Some(raw), Some(u)) if choose_url(raw).as_deref() == Some(u.as_str()) => {
            out.insert("url".into(), raw.clone());
        }
        (_, Some(u)) => {
            out.insert("url".into(), s(u));
        }
        (Some(raw), None) => {
            out.insert("url".into(), raw.clone());
        }
        (None, None) => {}
    }
    if let Some(t) = &p.published {
        out.insert("published".into(), s(t.as_str()));
    }
    if let Some(t) = &p.updated {
        out.insert("updated".into(), s(t.as_str()));
    }
    if let Some(v) = with_rest(p.author.as_deref().map(actor_ref), e, "attributedTo") {
        out.insert("attributedTo".into(), v);
    }
    let refs: Vec<Value> = p
        .in_reply_to
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let atom_inline = i > 0 && r.atom_uri.is_some();
            if r.url.is_none() && !atom_inline {
                return s(&r.id);
            }
            let mut m = Map::new();
            m.insert("id".into(), s(&r.id));
            put_str(&mut m, "url", r.url.as_deref());
            if atom_inline {
                put_str(&mut m, "atomUri", r.atom_uri.as_deref());
            }
            Value::Object(m)
        })
        .collect();
    match refs.len() {
        0 => {}
        1 => {
            out.insert(
                "inReplyTo".into(),
                refs.into_iter().next().unwrap_or_default(),
            );
        }
        _ => {
            out.insert("inReplyTo".into(), Value::Array(refs));
        }
    }
    put_str(
        out,
        "inReplyToAtomUri",
        p.in_reply_to.first().and_then(|r| r.atom_uri.as_deref()),
    );
    put_str(out, "conversation", p.conversation.as_deref());
    put_str(out, "context", p.context.as_deref());
    for (k, list) in [
        ("to", &p.audience.to),
        ("cc", &p.audience.cc),
        ("bto", &p.audience.bto),
        ("bcc", &p.audience.bcc),
    ] {
        if let Some(v) = addressees(list, followers) {
            out.insert(k.into(), v);
        }
    }
    if let Some(b) = p.sensitive {
        out.insert("sensitive".into(), Value::Bool(b));
    }
    let typed = tags(p);
    let tag_value = match ext(e, "tag").map(|raw| (raw, decode::read_tags(raw))) {
        Some((raw, Some((m, h, em, _)))) if m == p.mentions && h == p.hashtags && em == p.emoji => {
            Some(raw.clone())
        }
        Some((_, Some((_, _, _, unknown)))) => nonempty(typed.into_iter().chain(unknown).collect()),
        _ => nonempty(typed),
    };
    if let Some(v) = tag_value {
        out.insert("tag".into(), v);
    }
    let typed = attachments(fields.unwrap_or(&[]), &p.attachments);
    let att_value = match ext(e, "attachment")
        .map(|raw| (raw, decode::read_attachments(raw, fields.is_some())))
    {
        Some((raw, Some((f, a, _)))) if f == fields.unwrap_or(&[]) && a == p.attachments => {
            Some(raw.clone())
        }
        Some((_, Some((_, _, unknown)))) => nonempty(typed.into_iter().chain(unknown).collect()),
        _ => nonempty(typed),
    };
    if let Some(v) = att_value {
        out.insert("attachment".into(), v);
    }
    let image = match ext(e, "image") {
        Some(raw) if decode::read_image(raw).as_ref() == image => Some(raw.clone()),
        _ => image.map(media),
    };
    if let Some(v) = image {
        out.insert("image".into(), v);
    }
    if let Some(l) = &p.location {
        let v = match ext(e, "location") {
            Some(raw) if decode::read_location(raw).as_ref() == Some(l) => raw.clone(),
            _ => place(l),
        };
        out.insert("location".into(), v);
    } else if let Some(raw) = ext(e, "location") {
        out.insert("location".into(), raw.clone());
    }
    if let Some(t) = &p.start_time {
        out.insert("startTime".into(), s(t.as_str()));
    }
    if let Some(t) = &p.end_time {
        out.insert("endTime".into(), s(t.as_str()));
    }
}

/// A feed as an `OrderedCollection` (or the collection type it was read as).
pub(super) fn feed(f: &Feed) -> Value {
    let mut out = Map::new();
    put_str(&mut out, "id", f.id.as_deref());
    let ty = match ext(&f.extensions, "type") {
        Some(Value::String(t)) => t.clone(),
        _ => "OrderedCollection".into(),
    };
    out.insert("type".into(), s(&ty));
    put_str(&mut out, "name", f.title.as_deref());
    put_str(&mut out, "summary", f.subtitle.as_deref());
    put_str(&mut out, "url", f.links.alternate.as_deref());
    put_str(&mut out, "icon", f.logo.as_deref());
    if let Some(a) = &f.author {
        out.insert("attributedTo".into(), actor_ref(a));
    }
    if let Some(t) = &f.updated {
        out.insert("updated".into(), s(t.as_str()));
    }
    if let Some(n) = f.total_items {
        out.insert("totalItems".into(), Value::from(n));
    }
    put_str(&mut out, "next", f.links.next.as_deref());
    put_str(&mut out, "prev", f.links.prev.as_deref());
    let key = if ty.starts_with("Ordered") {
        "orderedItems"
    } else {
        "items"
    };
    if !f.entries.is_empty() {
        out.insert(
            key.into(),
            Value::Array(f.entries.iter().map(entry).collect()),
        );
    }
    for (k, v) in f.extensions.json() {
        if k == "type" || out.contains_key(k) {
            continue;
        }
        out.insert(k.to_string(), v.clone());
    }
    Value::Object(out)
}
