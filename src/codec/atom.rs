//! Atom 1.0 with Activity Streams 1.0 (OStatus): decode and encode.
//!
//! # Decode
//! - Root `<feed>` → [`Document::Feed`] (id, title, subtitle, updated, logo, root `xml:lang`,
//!   feed `author`, links `self`/`alternate`/`hub`/`salmon`/`next`/`prev`; everything else,
//!   e.g. `generator`, `activity:subject`, the friendfeed `sup` link, goes to
//!   `Feed.extensions`). Root `<entry>` → [`Document::Activity`]. Anything else is
//!   [`DecodeError::WrongRoot`].
//! - An entry without `activity:object` is the *shorthand* form: `implied = true`, the entry's
//!   fields form `activity.object` (a `Node::Object`, or a `Node::Actor` when
//!   `activity:object-type` is an actor type), the entry author is `activity.actor`, and
//!   `activity.props` stays empty. An entry with `activity:object` is a full activity.
//! - An entry without an `author` takes the feed author as actor (so re-encoding writes that
//!   author into the entry).
//! - `activity:object` / `activity:target`: with `activity:object` inside (GNU social's share
//!   form) or a verb other than `post` → `Node::Activity`; an object carrying only a `post`
//!   verb (Mastodon's share form: the note in shorthand) is the object itself, its verb
//!   dropped; with an actor object type → `Node::Actor`;
//!   with only an `<id>` (or only text) → `Node::Ref`; else `Node::Object`.
//! - Verbs: [`VerbTerm::parse`], except that a verb written in its default IRI is stored as
//!   `VerbTerm::new` (same IRI on re-encode); a missing verb is `post`. Object types:
//!   [`ObjectType::parse_as1`]; a missing type is `note` (person for authors).
//! - Authors and actor objects: `props.name` = `poco:displayName`, else `title`, else the
//!   Atom `name` when there is no `poco:preferredUsername`; `username` =
//!   `poco:preferredUsername`; bio = `summary` (else `poco:note`, as plain text); id = `uri`
//!   (authors) or `id` (objects), the other one when the first is absent; avatars
//!   (`media:width`/`media:height`), header, `email`, `poco:address`, `poco:urls` → fields,
//!   author `mastodon:scope` private/public → `locked`.
//! - Interop details: `thr:in-reply-to` (`ref`, else text, else `href` → id; `href` → url),
//!   `ostatus:conversation` (`ref`, else text) and `link rel=ostatus:conversation`
//!   (`href`, or Pleroma's `ref`) → `conversation` (the element wins); `link rel=mentioned` /
//!   `rel=ostatus:attention` (person → Person mention, group → Group mention, the public
//!   collection → `Addressee::Public` in `audience.to`, other collections → `Addressee::Id`
//!   in `audience.to`); `mastodon:scope` → `scope`; `georss:point` / `featureName` →
//!   `location`; `link rel=enclosure` → attachments (Image/Video/Audio by MIME prefix, else
//!   File; `length` → size, `title` → name); `category term` → hashtags (`nsfw` →
//!   `sensitive = Some(true)`); `link rel=emoji` → emoji; `summary` → content warning;
//!   `content` html/text/xhtml with `xml:lang` (inherited); `link rel=preview` → image;
//!   `link rel=alternate type=text/html` (or untyped) → url; `link rel=alternate
//!   type=application/activity+json` → `id`, with the Atom id in `atom_uri`; `xml:base` is
//!   applied to hrefs.
//! - Titles: `title` → `props.name`. Encode must write a title on entries (Atom requires it),
//!   so when `props.name` is empty it writes a derived one (`New note by alice` for shorthand
//!   entries, `favorite by alice` for full ones); decode drops an entry title equal to that
//!   derived text, so the model does not change on a round trip.
//!
//! # Encode
//! Namespaces are declared on the root. Implied activities are written as shorthand entries,
//! as is a top-level `post` of a plain object whose activity has no properties of its own;
//! other activities are full entries with a nested `activity:object` (a shared activity is
//! embedded whole, author included). `Undo{Favorite|Follow|Block|Share}` is written as the
//! AS1 reversal verb with the inner object. Conversations are written as
//! `ostatus:conversation` (`ref` and text) plus `link rel=ostatus:conversation`.
//!
//! # Limits
//! Besides the XML limits (size, depth, attributes, namespace declarations; DOCTYPE refused),
//! a feed whose author would be copied into so many author-less entries that the model
//! grows far beyond the input is refused with [`DecodeError::Invalid`].
//!
//! # Lossy (on purpose)
//! - Attributes of known elements that the model has no field for: `ostatus:conversation`
//!   `href`/`local_id`, a differing `link rel=ostatus:conversation` when the element is present,
//!   `poco:urls/poco:primary`, link attributes other than those listed above, the `type` of
//!   `title`/`subtitle`, `thr:in-reply-to/@type`.
//! - A mention listed under both `mentioned` and `ostatus:attention` becomes one mention
//!   (written back as `mentioned`); links with an empty `href` are dropped; unparseable
//!   `media:width`/`length` values are dropped; empty dates and ids are dropped.
//! - An `atom_uri` equal to the id is written as `<id>` plus the activity+json alternate
//!   link to the same URL, which reads back as the id alone.
//! - An author `<id>` equal to its `<uri>` (or the reverse for objects) is not kept twice.
//!   A differing one, or a `<name>`/`<title>` that the name rule does not explain, is kept as
//!   an extension.
//! - The original spelling of a verb or object type written in its default form (bare `post`,
//!   `status`), the relative form of hrefs resolved against `xml:base`, where in the
//!   container an unknown element stood relative to known ones.
//! - Shapes encode cannot write back as read: an implied activity whose object is a bare id
//!   or an activity (written as a full entry); a top-level non-implied `post` of a plain
//!   object whose activity has no properties (written as shorthand, so it reads back
//!   `implied`); `Undo{Favorite|Follow|Block|Share}` (written as the reversal verb, so the
//!   inner activity and its id are gone); a nested implied `post` (reads back as the object);
//!   a full activity without an object (written with an empty `activity:object`).
//! - Model fields Atom cannot carry: `cc`/`bto`/`bcc` and `Followers` audiences, actor
//!   endpoints, keys, `also_known_as`, `moved_to`, `content_map`, `context`, event details,
//!   start/end times, emoji ids and dates, attachment blurhash, hashtag hrefs,
//!   `Reference.atom_uri`, place ids,
//!   altitude and urls, `sensitive = Some(false)`, `Feed.total_items`, JSON extensions.

use super::xml::{
    self, ACTIVITY_NS, ATOM_NS, Elem, KNOWN_PREFIXES, MEDIA_NS, OSTATUS_NS, POCO_NS, XML_NS, nsid,
};
use super::{DecodeError, Limits};
use crate::model::{
    AS1_PUBLIC, Activity, Actor, Addressee, Attachment, Document, Emoji, Extension, Feed,
    FeedLinks, Hashtag, Media, Mention, MentionKind, Node, Object, ObjectType, Place,
    PostalAddress, ProfileField, Props, Reference, Text, TextFormat, Verb, VerbTerm, Visibility,
};

// ---------------------------------------------------------------------------------------
// Decode

/// Decodes an Atom feed or a single entry.
pub fn decode(input: &[u8], limits: &Limits) -> Result<Document, DecodeError> {
    let tree = xml::parse(input, limits)?;
    let root = tree.root();
    if root.is(ATOM_NS, "feed") {
        check_author_amplification(root, tree.node_count())?;
        Ok(Document::Feed(read_feed(root)))
    } else if root.is(ATOM_NS, "entry") {
        Ok(Document::Activity(read_entry(root, None)))
    } else {
        Err(DecodeError::WrongRoot {
            at: root.location(),
            expected: "an Atom <feed> or <entry>",
            found: match root.ns() {
                Some(ns) => format!("<{}> in namespace {ns}", root.local()),
                None => format!("<{}>", root.local()),
            },
        })
    }
}

/// Entries without an author get a copy of the feed author; a huge author times many such
/// entries would turn a small input into a huge model, so that product is bounded.
fn check_author_amplification(root: Elem<'_, '_>, nodes: usize) -> Result<(), DecodeError> {
    let Some(author) = root.child(ATOM_NS, "author") else {
        return Ok(());
    };
    let copies = root
        .children()
        .filter(|e| e.is(ATOM_NS, "entry") && e.child(ATOM_NS, "author").is_none())
        .count();
    let size = author.subtree_size() + 1;
    let budget = 4 * nodes + 100_000;
    if copies.saturating_mul(size) > budget {
        return Err(DecodeError::Invalid {
            at: author.location(),
            reason: format!(
                "feed author ({size} nodes) would be copied into {copies} entries, over the \
                 amplification limit of {budget} nodes"
            ),
        });
    }
    Ok(())
}

fn trimmed(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn text_of(e: Elem<'_, '_>) -> Option<String> {
    trimmed(&e.text())
}

fn href_of(e: Elem<'_, '_>, attr: &str) -> Option<String> {
    let h = e.attr(attr)?.trim();
    if h.is_empty() {
        return None;
    }
    Some(e.resolve(h).into_owned())
}

fn read_feed(root: Elem<'_, '_>) -> Feed {
    let mut feed = Feed {
        lang: root
            .attr_ns(XML_NS, "lang")
            .filter(|l| !l.is_empty())
            .map(str::to_string),
        ..Feed::default()
    };
    let mut author_el = None;
    let mut entries = Vec::new();
    for c in root.children() {
        let consumed = if c.ns_id() == nsid::ATOM {
            match c.local() {
                "id" if feed.id.is_none() => {
                    feed.id = text_of(c);
                    true
                }
                "title" if feed.title.is_none() => {
                    feed.title = Some(c.text().into_owned());
                    true
                }
                "subtitle" if feed.subtitle.is_none() => {
                    feed.subtitle = Some(c.text().into_owned());
                    true
                }
                "updated" if feed.updated.is_none() => {
                    feed.updated = crate::model::Timestamp::new(&c.text());
                    feed.updated.is_some()
                }
                "logo" if feed.logo.is_none() => {
                    feed.logo = text_of(c).map(|l| c.resolve(&l).into_owned());
                    feed.logo.is_some()
                }
                "author" if author_el.is_none() => {
                    author_el = Some(c);
                    true
                }
                "link" => feed_link(&mut feed.links, c),
                "entry" => {
                    entries.push(c);
                    true
                }
                _ => false,
            }
        } else {
            false
        };
        if !consumed {
            feed.extensions.push_xml(c.to_xml_element());
        }
    }
    feed.author = author_el.map(|a| read_actor(a, true));
    feed.entries = entries
        .into_iter()
        .map(|e| read_entry(e, feed.author.as_ref()))
        .collect();
    feed
}

fn feed_link(links: &mut FeedLinks, c: Elem<'_, '_>) -> bool {
    let Some(href) = href_of(c, "href") else {
        return false;
    };
    let rel = c.attr("rel").map(str::trim).unwrap_or("alternate");
    let slot = match rel {
        "self" => &mut links.self_,
        "alternate" if matches!(c.attr("type"), None | Some("text/html")) => &mut links.alternate,
        "hub" => &mut links.hub,
        "salmon" => &mut links.salmon,
        "next" => &mut links.next,
        "prev" | "previous" => &mut links.prev,
        _ => return false,
    };
    if slot.is_some() {
        return false;
    }
    *slot = Some(href);
    true
}

/// What kind of container is being read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A full activity (has `activity:object`, or a verb in nested position).
    Activity,
    /// A plain object, or a shorthand entry.
    Object,
    /// An actor; `true` when it is an `<author>`.
    Actor(bool),
}

/// Everything read from one container.
struct Scan<'t, 'a> {
    props: Props,
    kind: Option<ObjectType>,
    verb: Option<VerbTerm>,
    object: Option<Elem<'t, 'a>>,
    target: Option<Elem<'t, 'a>>,
    author: Option<Elem<'t, 'a>>,
    actor: Actor,
}

fn read_text(e: Elem<'_, '_>) -> Text {
    let ty = e.attr("type").map(str::trim).unwrap_or("text");
    let format = match ty {
        "html" | "text/html" => TextFormat::Html,
        "xhtml" | "application/xhtml+xml" => TextFormat::Xhtml,
        _ => TextFormat::Text,
    };
    let value = match format {
        TextFormat::Xhtml => e.inner_xml(),
        _ => e.text().into_owned(),
    };
    Text {
        value,
        format,
        lang: e.lang().map(str::to_string),
    }
}

fn dim(e: Elem<'_, '_>, name: &str) -> Option<u32> {
    e.attr_ns(MEDIA_NS, name)?.trim().parse().ok()
}

fn media_of(e: Elem<'_, '_>, href: String) -> Media {
    Media {
        url: href,
        media_type: e.attr("type").map(str::to_string),
        width: dim(e, "width"),
        height: dim(e, "height"),
    }
}

fn kind_for_mime(mime: Option<&str>) -> ObjectType {
    match mime.unwrap_or("").split('/').next() {
        Some("image") => ObjectType::Image,
        Some("video") => ObjectType::Video,
        Some("audio") => ObjectType::Audio,
        _ => ObjectType::File,
    }
}

fn is_rel(rel: &str, short: &str) -> bool {
    rel == short
        || rel
            .strip_prefix("http://ostatus.org/schema/1.0/")
            .is_some_and(|r| Some(r) == short.strip_prefix("ostatus:"))
}

fn parse_address(e: Elem<'_, '_>) -> Option<PostalAddress> {
    let mut a = PostalAddress::default();
    for c in e.children() {
        if c.ns() != Some(POCO_NS) {
            return None;
        }
        let slot = match c.local() {
            "formatted" => &mut a.formatted,
            "streetAddress" => &mut a.street,
            "locality" => &mut a.locality,
            "region" => &mut a.region,
            "postalCode" => &mut a.postal_code,
            "country" => &mut a.country,
            _ => return None,
        };
        if slot.is_some() {
            return None;
        }
        *slot = Some(c.text().into_owned());
    }
    (!a.is_empty()).then_some(a)
}

fn parse_urls(e: Elem<'_, '_>) -> Option<ProfileField> {
    let mut name = None;
    let mut value = None;
    for c in e.children() {
        match (c.ns() == Some(POCO_NS), c.local()) {
            (true, "type") if name.is_none() => name = Some(c.text().into_owned()),
            (true, "value") if value.is_none() => value = Some(c.text().into_owned()),
            (true, "primary") => {}
            _ => return None,
        }
    }
    Some(ProfileField {
        name: name.unwrap_or_default(),
        value: value?,
    })
}

fn scan<'t, 'a>(el: Elem<'t, 'a>, mode: Mode) -> Scan<'t, 'a> {
    let is_actor = matches!(mode, Mode::Actor(_));
    let children: Vec<Elem<'t, 'a>> = el.children().collect();
    let mut consumed = vec![false; children.len()];
    let mut s = Scan {
        props: Props::default(),
        kind: None,
        verb: None,
        object: None,
        target: None,
        author: None,
        actor: Actor::default(),
    };
    let mut id_el: Option<(usize, Option<String>)> = None;
    let mut uri_el: Option<(usize, Option<String>)> = None;
    let mut title_el: Option<(usize, String)> = None;
    let mut name_el: Option<(usize, String)> = None;
    let mut note_el: Option<(usize, String, Option<String>)> = None;
    let mut display = None;
    let mut ap_id = None;
    let mut link_conv = None;
    let mut elem_conv = None;
    let mut kind_seen = false;
    let mut place = Place::default();
    let mut nsfw_seen = false;
    // Hashed, so a hostile entry with many mention links stays linear.
    let mut seen_mentions: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut seen_audience: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (i, c) in children.iter().copied().enumerate() {
        let ns = c.ns_id();
        let ok = match (ns, c.local()) {
            (nsid::ATOM, "id") if id_el.is_none() => {
                id_el = Some((i, text_of(c)));
                false
            }
            (nsid::ATOM, "uri") if is_actor && uri_el.is_none() => {
                uri_el = Some((i, text_of(c).map(|u| c.resolve(&u).into_owned())));
                false
            }
            (nsid::ATOM, "title") if title_el.is_none() => {
                title_el = Some((i, c.text().into_owned()));
                false
            }
            (nsid::ATOM, "name") if is_actor && name_el.is_none() => {
                name_el = Some((i, c.text().into_owned()));
                false
            }
            (nsid::ATOM, "email") if is_actor && s.actor.email.is_none() => {
                s.actor.email = text_of(c);
                s.actor.email.is_some()
            }
            (nsid::ATOM, "summary") if s.props.summary.is_none() => {
                s.props.summary = Some(read_text(c));
                true
            }
            (nsid::ATOM, "content") if s.props.content.is_none() => {
                s.props.content = Some(read_text(c));
                true
            }
            (nsid::ATOM, "published") if s.props.published.is_none() => {
                s.props.published = crate::model::Timestamp::new(&c.text());
                s.props.published.is_some()
            }
            (nsid::ATOM, "updated") if s.props.updated.is_none() => {
                s.props.updated = crate::model::Timestamp::new(&c.text());
                s.props.updated.is_some()
            }
            (nsid::ATOM, "author") if s.author.is_none() => {
                s.author = Some(c);
                true
            }
            (nsid::ATOM, "category") => {
                match c.attr("term").map(str::trim).filter(|t| !t.is_empty()) {
                    Some(term) if c.attr_count() == 1 => {
                        if !nsfw_seen && term.eq_ignore_ascii_case("nsfw") {
                            nsfw_seen = true;
                            s.props.sensitive = Some(true);
                        } else {
                            s.props.hashtags.push(Hashtag {
                                name: term.to_string(),
                                href: None,
                            });
                        }
                        true
                    }
                    _ => false,
                }
            }
            (nsid::ATOM, "link") => {
                let rel = c.attr("rel").map(str::trim).unwrap_or("alternate");
                let href = href_of(c, "href");
                match (rel, href) {
                    ("alternate", Some(h)) => match c.attr("type").map(str::trim) {
                        Some("application/activity+json") if ap_id.is_none() => {
                            ap_id = Some(h);
                            true
                        }
                        None | Some("text/html") if s.props.url.is_none() => {
                            s.props.url = Some(h);
                            true
                        }
                        _ => false,
                    },
                    ("enclosure", Some(h)) => {
                        let media = media_of(c, h);
                        s.props.attachments.push(Attachment {
                            kind: kind_for_mime(media.media_type.as_deref()),
                            media,
                            size: c.attr("length").and_then(|l| l.trim().parse().ok()),
                            name: c.attr("title").map(str::to_string),
                            blurhash: None,
                        });
                        true
                    }
                    ("preview", Some(h)) if s.props.image.is_none() => {
                        s.props.image = Some(media_of(c, h));
                        true
                    }
                    (r, h) if is_rel(r, "mentioned") || is_rel(r, "ostatus:attention") => {
                        if let Some(h) = h {
                            let ot = c
                                .attr_ns(OSTATUS_NS, "object-type")
                                .map(ObjectType::parse_as1);
                            if h == AS1_PUBLIC {
                                if !s.props.audience.to.contains(&Addressee::Public) {
                                    s.props.audience.to.push(Addressee::Public);
                                }
                            } else if ot == Some(ObjectType::Collection) {
                                if seen_audience.insert(h.clone()) {
                                    s.props.audience.to.push(Addressee::Id(h));
                                }
                            } else if seen_mentions.insert(h.clone()) {
                                s.props.mentions.push(Mention {
                                    href: h,
                                    name: c.attr("title").map(str::to_string),
                                    kind: if ot == Some(ObjectType::Group) {
                                        MentionKind::Group
                                    } else {
                                        MentionKind::Person
                                    },
                                });
                            }
                        }
                        true
                    }
                    (r, _) if is_rel(r, "ostatus:conversation") => {
                        let v = href_of(c, "href").or_else(|| href_of(c, "ref"));
                        match v {
                            Some(v) if link_conv.is_none() => {
                                link_conv = Some(v);
                                true
                            }
                            _ => false,
                        }
                    }
                    ("emoji", Some(h)) => match c.attr("name").map(str::trim) {
                        Some(n) if !n.is_empty() => {
                            let code = n.trim_matches(':');
                            s.props.emoji.push(Emoji {
                                shortcode: format!(":{code}:"),
                                icon: media_of(c, h),
                                id: None,
                                updated: None,
                            });
                            true
                        }
                        _ => false,
                    },
                    ("avatar", Some(h)) if is_actor => {
                        s.actor.avatars.push(media_of(c, h));
                        true
                    }
                    ("header", Some(h)) if is_actor && s.actor.header.is_none() => {
                        s.actor.header = Some(media_of(c, h));
                        true
                    }
                    _ => false,
                }
            }
            (nsid::ACTIVITY, "verb") if s.verb.is_none() => {
                let t = VerbTerm::parse(&c.text());
                let plain = VerbTerm::new(t.verb().clone());
                s.verb = Some(if plain.atom_iri() == t.atom_iri() {
                    plain
                } else {
                    t
                });
                true
            }
            (nsid::ACTIVITY, "object-type") if !kind_seen => {
                kind_seen = true;
                let k = ObjectType::parse_as1(&c.text());
                if mode == Mode::Activity {
                    k == ObjectType::Activity
                } else {
                    s.kind = Some(k);
                    true
                }
            }
            (nsid::ACTIVITY, "object") if mode == Mode::Activity && s.object.is_none() => {
                s.object = Some(c);
                true
            }
            (nsid::ACTIVITY, "target") if mode != Mode::Actor(true) && s.target.is_none() => {
                s.target = Some(c);
                true
            }
            (nsid::THR, "in-reply-to") => {
                let href = href_of(c, "href");
                let id = c
                    .attr("ref")
                    .and_then(trimmed)
                    .or_else(|| text_of(c))
                    .or_else(|| href.clone());
                match id {
                    Some(id) => {
                        let url = href.filter(|h| *h != id || c.attr("ref").is_some());
                        s.props.in_reply_to.push(Reference {
                            id,
                            url,
                            atom_uri: None,
                        });
                        true
                    }
                    None => false,
                }
            }
            (nsid::OSTATUS, "conversation") if elem_conv.is_none() => {
                elem_conv = c.attr("ref").and_then(trimmed).or_else(|| text_of(c));
                elem_conv.is_some()
            }
            (nsid::MASTODON, "scope") => {
                let w = c.text();
                if matches!(mode, Mode::Actor(_)) {
                    match (w.trim(), s.actor.locked) {
                        ("private", None) => {
                            s.actor.locked = Some(true);
                            true
                        }
                        ("public", None) => {
                            s.actor.locked = Some(false);
                            true
                        }
                        _ => false,
                    }
                } else if s.props.scope.is_none() {
                    s.props.scope = Visibility::from_scope_word(&w);
                    s.props.scope.is_some()
                } else {
                    false
                }
            }
            (nsid::GEORSS, "point") if place.latitude.is_none() => {
                let t = c.text();
                let mut it = t.split_whitespace().map(|x| x.parse::<f64>());
                match (it.next(), it.next(), it.next()) {
                    (Some(Ok(lat)), Some(Ok(lon)), None) if lat.is_finite() && lon.is_finite() => {
                        place.latitude = Some(lat);
                        place.longitude = Some(lon);
                        true
                    }
                    _ => false,
                }
            }
            (nsid::GEORSS, "featureName") if place.name.is_none() => {
                place.name = Some(c.text().into_owned());
                true
            }
            (nsid::POCO, "preferredUsername") if is_actor && s.actor.username.is_none() => {
                s.actor.username = text_of(c);
                s.actor.username.is_some()
            }
            (nsid::POCO, "displayName") if is_actor && display.is_none() => {
                display = Some(c.text().into_owned());
                true
            }
            (nsid::POCO, "note") if is_actor && note_el.is_none() => {
                note_el = Some((i, c.text().into_owned(), c.lang().map(str::to_string)));
                false
            }
            (nsid::POCO, "address") if is_actor && place.address.is_none() => {
                place.address = parse_address(c);
                place.address.is_some()
            }
            (nsid::POCO, "urls") if is_actor => match parse_urls(c) {
                Some(f) => {
                    s.actor.fields.push(f);
                    true
                }
                None => false,
            },
            _ => false,
        };
        if ok && let Some(slot) = consumed.get_mut(i) {
            *slot = true;
        }
    }
    let mut mark = |i: usize| {
        if let Some(slot) = consumed.get_mut(i) {
            *slot = true;
        }
    };
    // Ids: objects use <id>, authors <uri>; the other one is kept only when it differs.
    let (primary, secondary) = if mode == Mode::Actor(true) {
        (uri_el, id_el)
    } else {
        (id_el, uri_el)
    };
    let base_id = match (&primary, &secondary) {
        (Some((i, p)), Some((j, q))) => {
            mark(*i);
            if p == q || p.is_none() {
                mark(*j);
            }
            p.clone().or_else(|| q.clone())
        }
        (Some((i, p)), None) | (None, Some((i, p))) => {
            mark(*i);
            p.clone()
        }
        (None, None) => None,
    };
    match (base_id, ap_id) {
        (Some(b), Some(ap)) if b != ap => {
            s.props.id = Some(ap);
            s.props.atom_uri = Some(b);
        }
        (b, ap) => s.props.id = ap.or(b),
    }
    // Names.
    if is_actor {
        let title = title_el.as_ref().map(|(_, t)| t.clone());
        let name = name_el.as_ref().map(|(_, t)| t.clone());
        s.props.name = display
            .or(title)
            .or_else(|| name.filter(|_| s.actor.username.is_none()));
        if let Some((i, t)) = &title_el
            && Some(t) == s.props.name.as_ref()
        {
            mark(*i);
        }
        if let Some((i, n)) = &name_el
            && Some(n) == s.actor.username.as_ref().or(s.props.name.as_ref())
        {
            mark(*i);
        }
        match (&s.props.summary, note_el) {
            (None, Some((i, note, lang))) => {
                s.props.summary = Some(Text {
                    value: note,
                    format: TextFormat::Text,
                    lang,
                });
                mark(i);
            }
            (Some(sum), Some((i, note, _))) if sum.value == note => mark(i),
            _ => {}
        }
    } else if let Some((i, t)) = title_el {
        s.props.name = Some(t);
        mark(i);
    }
    s.props.conversation = elem_conv.or(link_conv);
    if place != Place::default() {
        s.props.location = Some(place);
    }
    for (c, used) in children.iter().zip(&consumed) {
        if !used {
            s.props.extensions.push_xml(c.to_xml_element());
        }
    }
    s
}

fn read_actor(el: Elem<'_, '_>, author: bool) -> Actor {
    let s = scan(el, Mode::Actor(author));
    into_actor(s)
}

fn into_actor(s: Scan<'_, '_>) -> Actor {
    let mut actor = s.actor;
    actor.kind = s.kind.unwrap_or(ObjectType::Person);
    actor.props = s.props;
    if let Some(a) = s.author {
        actor.props.author = Some(Box::new(read_actor(a, true)));
    }
    actor
}

fn first_kind(el: Elem<'_, '_>) -> Option<ObjectType> {
    el.child(ACTIVITY_NS, "object-type")
        .map(|k| ObjectType::parse_as1(&k.text()))
}

/// Reads an entry (or a nested activity); `inherited` is the feed author.
fn read_entry(el: Elem<'_, '_>, inherited: Option<&Actor>) -> Activity {
    let mut a = read_activity(el);
    if a.actor.is_none() {
        a.actor = inherited.map(|i| Box::new(i.clone()));
    }
    // A title equal to the one encode would derive is not data.
    let derived = derived_title(&a);
    let name = if a.implied {
        match a.object.as_deref_mut() {
            Some(Node::Object(o)) => Some(&mut o.props.name),
            _ => None,
        }
    } else {
        Some(&mut a.props.name)
    };
    if let Some(name) = name
        && name.is_some()
        && *name == derived
    {
        *name = None;
    }
    a
}

fn read_activity(el: Elem<'_, '_>) -> Activity {
    let full = el.child(ACTIVITY_NS, "object").is_some();
    if full {
        let s = scan(el, Mode::Activity);
        Activity {
            verb: s.verb.unwrap_or_default(),
            actor: s.author.map(|a| Box::new(read_actor(a, true))),
            object: s.object.map(|o| Box::new(read_node(o))),
            target: s.target.map(|t| Box::new(read_node(t))),
            implied: false,
            props: s.props,
        }
    } else {
        let kind = first_kind(el).unwrap_or_default();
        if kind.is_actor() {
            let mut s = scan(el, Mode::Actor(false));
            let verb = s.verb.take().unwrap_or_default();
            let author = s.author.take();
            let target = s.target.take();
            Activity {
                verb,
                actor: author.map(|a| Box::new(read_actor(a, true))),
                object: Some(Box::new(Node::Actor(into_actor(s)))),
                target: target.map(|t| Box::new(read_node(t))),
                implied: true,
                props: Props::default(),
            }
        } else {
            let s = scan(el, Mode::Object);
            Activity {
                verb: s.verb.unwrap_or_default(),
                actor: s.author.map(|a| Box::new(read_actor(a, true))),
                object: Some(Box::new(Node::Object(Object {
                    kind: s.kind.unwrap_or_default(),
                    event: None,
                    props: s.props,
                }))),
                target: s.target.map(|t| Box::new(read_node(t))),
                implied: true,
                props: Props::default(),
            }
        }
    }
}

fn read_node(el: Elem<'_, '_>) -> Node {
    // GNU social's share form nests an activity (with its own `activity:object`); an object
    // written in shorthand with a `post` verb (Mastodon's share form) is just the object.
    let nested_verb = el
        .child(ACTIVITY_NS, "verb")
        .map(|v| Verb::parse(&v.text()));
    if el.child(ACTIVITY_NS, "object").is_some() || nested_verb.is_some_and(|v| v != Verb::Post) {
        return Node::Activity(Box::new(read_activity(el)));
    }
    let mut kids = el.children();
    match (kids.next(), kids.next()) {
        (None, _) => {
            if let Some(t) = text_of(el) {
                return Node::Ref(t);
            }
        }
        (Some(only), None) if only.is(ATOM_NS, "id") && only.attr_count() == 0 => {
            return Node::Ref(only.text().trim().to_string());
        }
        _ => {}
    }
    let kind = first_kind(el).unwrap_or_default();
    if kind.is_actor() {
        Node::Actor(read_actor(el, false))
    } else {
        let mut s = scan(el, Mode::Object);
        if let Some(a) = s.author.take() {
            s.props.author = Some(Box::new(read_actor(a, true)));
        }
        Node::Object(Object {
            kind: s.kind.unwrap_or_default(),
            event: None,
            props: s.props,
        })
    }
}

/// The title encode writes on an entry whose model has no name.
fn derived_title(a: &Activity) -> Option<String> {
    derived_title_as(a, a.implied)
}

fn derived_title_as(a: &Activity, implied: bool) -> Option<String> {
    let who = a
        .actor
        .as_deref()
        .and_then(|ac| ac.username.as_deref().or(ac.props.name.as_deref()))
        .unwrap_or("someone");
    if implied {
        match a.object.as_deref() {
            Some(Node::Object(o)) => Some(format!("New {} by {who}", o.kind.as1_token())),
            _ => None,
        }
    } else {
        Some(format!("{} by {who}", a.verb().token()))
    }
}

// ---------------------------------------------------------------------------------------
// Encode

/// Encodes a document: a feed, or a single entry (see [`encode_activity`]).
pub fn encode(doc: &Document) -> String {
    match doc {
        Document::Activity(a) => encode_activity(a),
        Document::Feed(f) => encode_feed(f),
    }
}

/// Encodes one activity as a standalone `<entry>` with all namespaces declared: what a
/// Salmon envelope carries and what a single-notice URL serves.
pub fn encode_activity(a: &Activity) -> String {
    let mut w = W {
        out: String::with_capacity(4096),
        root_lang: false,
    };
    w.out
        .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<entry");
    w.namespaces();
    w.out.push_str(">\n");
    w.entry_body(a, true);
    w.out.push_str("</entry>\n");
    w.out
}

fn encode_feed(f: &Feed) -> String {
    let mut w = W {
        out: String::with_capacity(4096 + 2048 * f.entries.len()),
        root_lang: f.lang.is_some(),
    };
    w.out
        .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed");
    w.namespaces();
    if let Some(l) = &f.lang {
        w.attr("xml:lang", l);
    }
    w.out.push_str(">\n");
    w.opt_el("id", f.id.as_deref());
    w.opt_el("title", f.title.as_deref());
    w.opt_el("subtitle", f.subtitle.as_deref());
    w.opt_el("updated", f.updated.as_ref().map(|t| t.as_str()));
    w.opt_el("logo", f.logo.as_deref());
    if let Some(a) = &f.author {
        w.actor("author", a, true);
    }
    let l = &f.links;
    for (rel, href, ty) in [
        ("alternate", &l.alternate, Some("text/html")),
        ("self", &l.self_, Some("application/atom+xml")),
        ("hub", &l.hub, None),
        ("salmon", &l.salmon, None),
        ("next", &l.next, Some("application/atom+xml")),
        ("prev", &l.prev, Some("application/atom+xml")),
    ] {
        if let Some(h) = href {
            w.link(rel, h, ty, &[]);
        }
    }
    w.extensions(&f.extensions);
    for e in &f.entries {
        w.out.push_str("<entry>\n");
        w.entry_body(e, true);
        w.out.push_str("</entry>\n");
    }
    w.out.push_str("</feed>\n");
    w.out
}

struct W {
    out: String,
    /// The root carries `xml:lang`, so texts without a language must say `xml:lang=""`.
    root_lang: bool,
}

impl W {
    fn namespaces(&mut self) {
        self.attr("xmlns", ATOM_NS);
        for (p, ns) in KNOWN_PREFIXES {
            self.out.push_str(" xmlns:");
            self.out.push_str(p);
            self.out.push_str("=\"");
            self.out.push_str(ns);
            self.out.push('"');
        }
    }

    fn attr(&mut self, name: &str, value: &str) {
        self.out.push(' ');
        self.out.push_str(name);
        self.out.push_str("=\"");
        xml::escape_attr(&mut self.out, value);
        self.out.push('"');
    }

    fn el(&mut self, name: &str, text: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        xml::escape_text(&mut self.out, text);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    fn opt_el(&mut self, name: &str, text: Option<&str>) {
        if let Some(t) = text {
            self.el(name, t);
        }
    }

    fn link(&mut self, rel: &str, href: &str, ty: Option<&str>, extra: &[(&str, String)]) {
        self.out.push_str("<link");
        self.attr("rel", rel);
        if let Some(t) = ty {
            self.attr("type", t);
        }
        self.attr("href", href);
        for (k, v) in extra {
            self.attr(k, v);
        }
        self.out.push_str("/>\n");
    }

    fn media_link(&mut self, rel: &str, m: &Media, extra: &[(&str, String)]) {
        let mut attrs: Vec<(&str, String)> = Vec::new();
        if let Some(w) = m.width {
            attrs.push(("media:width", w.to_string()));
        }
        if let Some(h) = m.height {
            attrs.push(("media:height", h.to_string()));
        }
        attrs.extend(extra.iter().cloned());
        self.link(rel, &m.url, m.media_type.as_deref(), &attrs);
    }

    fn text(&mut self, name: &str, t: &Text) {
        let xhtml_ok = t.format == TextFormat::Xhtml && is_fragment(&t.value);
        self.out.push('<');
        self.out.push_str(name);
        let ty = match t.format {
            TextFormat::Html => "html",
            TextFormat::Text => "text",
            TextFormat::Xhtml if xhtml_ok => "xhtml",
            TextFormat::Xhtml => "html",
        };
        self.attr("type", ty);
        match &t.lang {
            Some(l) => self.attr("xml:lang", l),
            None if self.root_lang => self.attr("xml:lang", ""),
            None => {}
        }
        self.out.push('>');
        if xhtml_ok {
            self.out.push_str(&t.value);
        } else {
            xml::escape_text(&mut self.out, &t.value);
        }
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    fn extensions(&mut self, ext: &crate::model::Extensions) {
        for e in &ext.0 {
            if let Extension::Xml(x) = e {
                xml::write_element(&mut self.out, x, &mut xml::Scope::atom_root());
                self.out.push('\n');
            }
        }
    }

    fn kind(&mut self, k: &ObjectType) {
        self.el("activity:object-type", &k.as1_iri());
    }

    fn id(&mut self, p: &Props, tag: &str) {
        if let Some(id) = p.atom_uri.as_deref().or(p.id.as_deref()) {
            self.el(tag, id);
        }
    }

    fn entry_body(&mut self, a: &Activity, top: bool) {
        let (verb, object) = reversal(a);
        let shorthand_obj = match object {
            Some(Node::Object(o))
                if a.implied || (top && *a.verb() == Verb::Post && a.props == Props::default()) =>
            {
                Some(o)
            }
            _ => None,
        };
        if let Some(o) = shorthand_obj {
            self.kind(&o.kind);
            self.el("activity:verb", &verb.atom_iri());
            self.id(&o.props, "id");
            let title = match &o.props.name {
                Some(n) => Some(n.clone()),
                None if top => derived_title_as(a, true),
                None => None,
            };
            self.opt_el("title", title.as_deref());
            // The entry author is the actor; an object author stands in when there is none.
            if let Some(ac) = a.actor.as_deref().or(o.props.author.as_deref()) {
                self.actor("author", ac, true);
            }
            if let Some(t) = &a.target {
                self.node("activity:target", t);
            }
            self.props(&o.props, true);
            return;
        }
        if a.implied
            && let Some(Node::Actor(ac)) = object
        {
            self.el("activity:verb", &verb.atom_iri());
            if let Some(au) = &a.actor {
                self.actor("author", au, true);
            }
            if let Some(t) = &a.target {
                self.node("activity:target", t);
            }
            self.actor_fields(ac, false);
            return;
        }
        self.kind(&ObjectType::Activity);
        self.el("activity:verb", &verb.atom_iri());
        self.id(&a.props, "id");
        let title = match &a.props.name {
            Some(n) => Some(n.clone()),
            None if top => derived_title_as(a, false),
            None => None,
        };
        self.opt_el("title", title.as_deref());
        if let Some(ac) = &a.actor {
            self.actor("author", ac, true);
        }
        match object {
            Some(o) => self.node("activity:object", o),
            // A full entry needs an object to read back as one.
            None => self.out.push_str("<activity:object/>\n"),
        }
        if let Some(t) = &a.target {
            self.node("activity:target", t);
        }
        self.props(&a.props, true);
    }

    fn node(&mut self, tag: &str, n: &Node) {
        match n {
            Node::Ref(id) => {
                self.out.push('<');
                self.out.push_str(tag);
                self.out.push('>');
                self.el("id", id);
                self.out.push_str("</");
                self.out.push_str(tag);
                self.out.push_str(">\n");
            }
            Node::Object(o) => {
                self.out.push('<');
                self.out.push_str(tag);
                self.out.push_str(">\n");
                self.kind(&o.kind);
                self.id(&o.props, "id");
                self.opt_el("title", o.props.name.as_deref());
                if let Some(au) = &o.props.author {
                    self.actor("author", au, true);
                }
                self.props(&o.props, true);
                self.out.push_str("</");
                self.out.push_str(tag);
                self.out.push_str(">\n");
            }
            Node::Actor(ac) => self.actor(tag, ac, false),
            Node::Activity(a) => {
                self.out.push('<');
                self.out.push_str(tag);
                self.out.push_str(">\n");
                self.entry_body(a, false);
                self.out.push_str("</");
                self.out.push_str(tag);
                self.out.push_str(">\n");
            }
        }
    }

    fn actor(&mut self, tag: &str, ac: &Actor, author: bool) {
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push_str(">\n");
        self.actor_fields(ac, author);
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push_str(">\n");
    }

    fn actor_fields(&mut self, ac: &Actor, author: bool) {
        let p = &ac.props;
        self.kind(&ac.kind);
        let id = p.atom_uri.as_deref().or(p.id.as_deref());
        if let Some(id) = id {
            self.el("id", id);
            self.el("uri", id);
        }
        self.opt_el("name", ac.username.as_deref().or(p.name.as_deref()));
        if !author {
            self.opt_el("title", p.name.as_deref());
        }
        self.opt_el("email", ac.email.as_deref());
        if let Some(s) = &p.summary {
            self.text("summary", s);
        }
        for a in &ac.avatars {
            self.media_link("avatar", a, &[]);
        }
        if let Some(h) = &ac.header {
            self.media_link("header", h, &[]);
        }
        self.opt_el("poco:preferredUsername", ac.username.as_deref());
        self.opt_el("poco:displayName", p.name.as_deref());
        if let Some(s) = &p.summary {
            self.el("poco:note", &s.value);
        }
        if let Some(addr) = p.location.as_ref().and_then(|l| l.address.as_ref()) {
            self.out.push_str("<poco:address>\n");
            self.opt_el("poco:formatted", addr.formatted.as_deref());
            self.opt_el("poco:streetAddress", addr.street.as_deref());
            self.opt_el("poco:locality", addr.locality.as_deref());
            self.opt_el("poco:region", addr.region.as_deref());
            self.opt_el("poco:postalCode", addr.postal_code.as_deref());
            self.opt_el("poco:country", addr.country.as_deref());
            self.out.push_str("</poco:address>\n");
        }
        for f in &ac.fields {
            self.out.push_str("<poco:urls>\n");
            self.el("poco:type", &f.name);
            self.el("poco:value", &f.value);
            self.out.push_str("</poco:urls>\n");
        }
        match ac.locked {
            Some(true) => self.el("mastodon:scope", "private"),
            Some(false) => self.el("mastodon:scope", "public"),
            None => {}
        }
        if let Some(au) = &p.author {
            self.actor("author", au, true);
        }
        let mut rest = p.clone();
        rest.summary = None;
        if let Some(l) = &mut rest.location {
            l.address = None;
        }
        self.props(&rest, false);
    }

    /// Everything but id, title and author (written by the caller).
    fn props(&mut self, p: &Props, with_summary: bool) {
        if with_summary && let Some(s) = &p.summary {
            self.text("summary", s);
        }
        if let Some(c) = &p.content {
            self.text("content", c);
        }
        self.opt_el("published", p.published.as_ref().map(|t| t.as_str()));
        self.opt_el("updated", p.updated.as_ref().map(|t| t.as_str()));
        if let Some(u) = &p.url {
            self.link("alternate", u, Some("text/html"), &[]);
        }
        // An `atom_uri` equal to the id says the AP id is the Atom id too (an AP post on the
        // OStatus face): the link still tells peers where the AP object is.
        if let (Some(id), Some(_)) = (&p.id, &p.atom_uri) {
            self.link("alternate", id, Some("application/activity+json"), &[]);
        }
        if let Some(img) = &p.image {
            self.media_link("preview", img, &[]);
        }
        for r in &p.in_reply_to {
            self.out.push_str("<thr:in-reply-to");
            self.attr("ref", &r.id);
            if let Some(u) = &r.url {
                self.attr("href", u);
            }
            self.out.push_str("/>\n");
        }
        if let Some(c) = &p.conversation {
            self.link("ostatus:conversation", c, None, &[]);
            self.out.push_str("<ostatus:conversation");
            self.attr("ref", c);
            self.out.push('>');
            xml::escape_text(&mut self.out, c);
            self.out.push_str("</ostatus:conversation>\n");
        }
        for m in &p.mentions {
            let ty = match m.kind {
                MentionKind::Person => ObjectType::Person,
                MentionKind::Group => ObjectType::Group,
            };
            let mut extra = vec![("ostatus:object-type", ty.as1_iri())];
            if let Some(n) = &m.name {
                extra.push(("title", n.clone()));
            }
            self.link("mentioned", &m.href, None, &extra);
        }
        for a in &p.audience.to {
            let href = match a {
                Addressee::Public => AS1_PUBLIC,
                Addressee::Id(id) => id.as_str(),
                Addressee::Followers => continue,
            };
            self.link(
                "mentioned",
                href,
                None,
                &[("ostatus:object-type", ObjectType::Collection.as1_iri())],
            );
        }
        if let Some(s) = p.scope {
            self.el("mastodon:scope", s.scope_word());
        }
        if p.sensitive == Some(true) {
            self.out.push_str("<category term=\"nsfw\"/>\n");
        }
        for h in &p.hashtags {
            self.out.push_str("<category");
            self.attr("term", &h.name);
            self.out.push_str("/>\n");
        }
        for a in &p.attachments {
            let mut extra = Vec::new();
            if let Some(s) = a.size {
                extra.push(("length", s.to_string()));
            }
            if let Some(n) = &a.name {
                extra.push(("title", n.clone()));
            }
            self.media_link("enclosure", &a.media, &extra);
        }
        for e in &p.emoji {
            let code = e.shortcode.trim_matches(':').to_string();
            self.media_link("emoji", &e.icon, &[("name", code)]);
        }
        if let Some(l) = &p.location {
            if let (Some(lat), Some(lon)) = (l.latitude, l.longitude) {
                self.el("georss:point", &format!("{lat} {lon}"));
            }
            self.opt_el("georss:featureName", l.name.as_deref());
        }
        self.extensions(&p.extensions);
    }
}

/// `Undo{Favorite|Follow|Block|Share}` is written as the AS1 reversal verb.
fn reversal(a: &Activity) -> (VerbTerm, Option<&Node>) {
    if *a.verb() == Verb::Undo
        && let Some(Node::Activity(inner)) = a.object.as_deref()
    {
        let v = match inner.verb() {
            Verb::Favorite => Some(Verb::Unfavorite),
            Verb::Follow => Some(Verb::Unfollow),
            Verb::Block => Some(Verb::Unblock),
            Verb::Share => Some(Verb::Unshare),
            _ => None,
        };
        if let Some(v) = v {
            return (VerbTerm::new(v), inner.object.as_deref());
        }
    }
    (a.verb.clone(), a.object.as_deref())
}

/// True when `s` parses as XML content (so it can be written raw as xhtml).
fn is_fragment(s: &str) -> bool {
    let wrapped = format!("<x xmlns=\"{ATOM_NS}\">{s}</x>");
    xml::parse_str(&wrapped, &Limits::default()).is_ok()
}
