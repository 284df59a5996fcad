//! Plain feeds, read only: RSS 0.9x, RSS 1.0 (RDF), RSS 2.0, Atom without Activity Streams,
//! and JSON Feed, parsed by the `feed-rs` crate.
//!
//! Following a blog through the bridge means turning each item into a post. The output is a
//! [`Document::Feed`]:
//! - feed: `id` (the Atom id; RSS and JSON Feed have none, so feed-rs's choice, which we
//!   make the first alternate link: the channel `link` / `home_page_url`), `title`, `subtitle` (description), `updated`, `logo` (the logo, else the icon),
//!   `lang`, the first author as `author`, and the `self`, first `alternate` and `hub` links
//!   (for JSON Feed: `feed_url`, `home_page_url` and the first of `hubs`).
//! - each item: `Activity { verb: Post, implied: false }`, actor = the item's first author,
//!   else the feed's author; object = `Node::Object` of kind `Article` when the item has a
//!   title, else `Note`. Object fields: `id` (see below), `name` = title, `content` = the
//!   content body, or else the summary/description, `url` = the first alternate link,
//!   `published`, `updated`, categories → hashtags (the term), media and enclosures →
//!   attachments (URL, MIME type, size, dimensions).
//! - Authors become person actors: name → `props.name`, uri → `props.url` and `props.id`,
//!   email → `email`.
//!
//! Choices and losses:
//! - **Ids.** feed-rs invents ids for items that have none; we do not use invented ids. An
//!   item's id is its RSS `guid` / Atom `id` / JSON Feed `id`, else its first alternate link,
//!   else `None` (a translate layer mints one).
//! - **Summary is not a content warning.** A plain-feed summary is an abstract. When an item
//!   has no content, the summary becomes the content. When it has both, the summary is kept in
//!   the object's extensions as JSON member `"feed:summary"` (a string), never in
//!   `props.summary`, which ActivityPub readers show as a content warning.
//! - **Dates** come from feed-rs already parsed (an RSS 2.0 item's `updated` that feed-rs
//!   copied from `pubDate` is dropped, so an unedited item does not look edited) and are written in RFC 3339 UTC
//!   (`Timestamp::from_datetime`), so the original text (often RFC 822) is not kept.
//! - Content is HTML unless the feed marks it `text/plain` (then [`TextFormat::Text`]).
//! - Not kept: feed-rs's richer data (contributors, rights, generator, ttl, MediaRSS
//!   thumbnails/credits/ratings, iTunes and podcast data, feed categories, author roles,
//!   authors after the first, JSON Feed item `image`/`banner_image`, Atom `source`) and any
//!   element feed-rs itself ignores. Category `scheme`/`label` are dropped (a hashtag is the
//!   term). Input must be UTF-8 (the limits check comes first); feed-rs still honours an
//!   XML declaration naming another encoding, so a mislabelled UTF-8 feed can come out garbled.
//!
//! Hostile input: the size limit and UTF-8 are checked first; XML is pre-scanned with
//! quick-xml, which refuses a `<!DOCTYPE` ([`DecodeError::Doctype`] with line:col), reports
//! malformed XML with its position, and enforces the depth and attribute limits before
//! feed-rs sees the input. JSON is depth-checked before parsing. A panic inside feed-rs is
//! caught and reported as an error.

use std::panic::{AssertUnwindSafe, catch_unwind};

use feed_rs::model as fm;
use quick_xml::events::Event;

use super::{DecodeError, Limits, Location};
use crate::model::{
    Activity, Actor, Attachment, Document, Feed, FeedLinks, Hashtag, Media, Node, Object,
    ObjectType, Props, Text, TextFormat, Timestamp, Verb, VerbTerm,
};

/// Decodes an RSS, Atom or JSON Feed document into a [`Document::Feed`] of posts.
pub fn decode(input: &[u8], limits: &Limits) -> Result<Document, DecodeError> {
    let text = limits.check_text(input)?;
    let first = text.trim_start().chars().next();
    match first {
        Some('<') => prescan_xml(text, limits)?,
        Some('{') => limits.check_json_depth(text)?,
        _ => {
            return Err(DecodeError::WrongRoot {
                at: Location::Document,
                expected: "an RSS, Atom or JSON Feed document",
                found: "neither XML nor JSON".into(),
            });
        }
    }
    let parser = feed_rs::parser::Builder::new()
        .sanitize_content(false)
        .id_generator(|links, _title, _base| {
            alternate(links).map(|l| l.href.clone()).unwrap_or_default()
        })
        .build();
    let parsed =
        catch_unwind(AssertUnwindSafe(|| parser.parse(text.as_bytes()))).map_err(|_| {
            DecodeError::Invalid {
                at: Location::Document,
                reason: "the feed parser failed on this input".into(),
            }
        })?;
    let feed = parsed.map_err(|e| map_error(e, text))?;
    let mut out = convert(feed);
    if first == Some('{') {
        let (feed_url, hub) = json_feed_links(text);
        if out.links.alternate.is_some() && out.links.alternate == feed_url {
            out.links.alternate = None;
        }
        out.links.self_ = feed_url;
        out.links.hub = hub;
    }
    Ok(Document::Feed(out))
}

/// Walks the XML once: refuses DOCTYPE, finds syntax errors with their position, and checks
/// nesting depth and attribute counts.
fn prescan_xml(text: &str, limits: &Limits) -> Result<(), DecodeError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0usize;
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        match reader.read_event() {
            Ok(Event::Eof) => return Ok(()),
            Ok(Event::DocType(_)) => {
                return Err(DecodeError::Doctype {
                    at: Location::from_offset(text.as_bytes(), skip_ws(text, before)),
                });
            }
            Ok(Event::Start(e)) => {
                depth += 1;
                if depth > limits.max_depth {
                    return Err(DecodeError::TooDeep {
                        at: Location::from_offset(text.as_bytes(), skip_ws(text, before)),
                        limit: limits.max_depth,
                    });
                }
                check_attributes(&e, text, before, limits)?;
            }
            Ok(Event::Empty(e)) => {
                if depth + 1 > limits.max_depth {
                    return Err(DecodeError::TooDeep {
                        at: Location::from_offset(text.as_bytes(), skip_ws(text, before)),
                        limit: limits.max_depth,
                    });
                }
                check_attributes(&e, text, before, limits)?;
            }
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(_) => {}
            Err(e) => {
                let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                return Err(DecodeError::Xml {
                    at: Location::from_offset(text.as_bytes(), at),
                    reason: e.to_string(),
                });
            }
        }
    }
}

fn skip_ws(text: &str, from: usize) -> usize {
    let rest = text.get(from..).unwrap_or("");
    from + (rest.len() - rest.trim_start().len())
}

fn check_attributes(
    e: &quick_xml::events::BytesStart<'_>,
    text: &str,
    before: usize,
    limits: &Limits,
) -> Result<(), DecodeError> {
    if e.attributes().with_checks(false).count() > limits.max_attributes {
        return Err(DecodeError::TooManyAttributes {
            at: Location::from_offset(text.as_bytes(), skip_ws(text, before)),
            limit: limits.max_attributes,
        });
    }
    Ok(())
}

fn map_error(e: feed_rs::parser::ParseFeedError, text: &str) -> DecodeError {
    use feed_rs::parser::{ParseErrorKind, ParseFeedError};
    let at_pos = |p: u64| Location::from_offset(text.as_bytes(), usize::try_from(p).unwrap_or(0));
    match e {
        ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => DecodeError::WrongRoot {
            at: Location::Document,
            expected: "an RSS, Atom or JSON Feed document",
            found: "no feed root element".into(),
        },
        ParseFeedError::ParseError(kind) => {
            let at = match &kind {
                ParseErrorKind::UnknownMimeType { position, .. }
                | ParseErrorKind::MissingContent { position, .. }
                | ParseErrorKind::UnknownEnumVariant { position, .. }
                | ParseErrorKind::IllegalState { position, .. } => at_pos(*position),
                ParseErrorKind::NoFeedRoot => Location::Document,
            };
            DecodeError::Invalid {
                at,
                reason: kind.to_string(),
            }
        }
        ParseFeedError::JsonSerde(e) => DecodeError::Json {
            at: Location::LineCol {
                line: e.line(),
                col: e.column(),
            },
            reason: e.to_string(),
        },
        ParseFeedError::JsonUnsupportedVersion(v) => DecodeError::Invalid {
            at: Location::Path("$.version".into()),
            reason: format!("unsupported JSON Feed version {v:?}"),
        },
        ParseFeedError::XmlReader(e) => DecodeError::Xml {
            at: Location::Document,
            reason: e.to_string(),
        },
        ParseFeedError::IoError(e) => DecodeError::Invalid {
            at: Location::Document,
            reason: e.to_string(),
        },
    }
}

fn is_alternate(l: &fm::Link) -> bool {
    matches!(l.rel.as_deref(), None | Some("alternate"))
        && l.media_type.as_deref().is_none_or(|t| t.contains("html"))
}

/// An enclosure: Atom `rel=enclosure`, or (JSON Feed attachments, which feed-rs turns into
/// links without rel) a link without rel whose type is not HTML.
fn is_enclosure(l: &fm::Link) -> bool {
    match l.rel.as_deref() {
        Some("enclosure") => true,
        None => l.media_type.as_deref().is_some_and(|t| !t.contains("html")),
        Some(_) => false,
    }
}

/// JSON Feed's `feed_url` and first hub, which feed-rs does not tell apart from other links.
fn json_feed_links(text: &str) -> (Option<String>, Option<String>) {
    let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(text) else {
        return (None, None);
    };
    let feed_url = m
        .get("feed_url")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let hub = m
        .get("hubs")
        .and_then(|h| h.as_array())
        .and_then(|h| h.first())
        .and_then(|h| h.get("url"))
        .and_then(|u| u.as_str())
        .map(str::to_string);
    (feed_url, hub)
}

fn alternate(links: &[fm::Link]) -> Option<&fm::Link> {
    links.iter().find(|l| is_alternate(l))
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn person(p: &fm::Person) -> Actor {
    let uri = p.uri.as_deref().and_then(non_empty);
    Actor {
        kind: ObjectType::Person,
        email: p.email.as_deref().and_then(non_empty),
        props: Props {
            id: uri.clone(),
            name: p.name.as_deref().and_then(non_empty),
            url: uri,
            ..Props::default()
        },
        ..Actor::default()
    }
}

fn text_of(content: &str, mime: &str) -> Text {
    Text {
        value: content.to_string(),
        format: if mime.starts_with("text/plain") {
            TextFormat::Text
        } else {
            TextFormat::Html
        },
        lang: None,
    }
}

fn kind_from_mime(mime: Option<&str>) -> ObjectType {
    match mime.and_then(|m| m.split('/').next()) {
        Some("image") => ObjectType::Image,
        Some("video") => ObjectType::Video,
        Some("audio") => ObjectType::Audio,
        _ => ObjectType::File,
    }
}

fn convert(f: fm::Feed) -> Feed {
    let author = f.authors.first().map(person);
    let links = FeedLinks {
        self_: f
            .links
            .iter()
            .find(|l| l.rel.as_deref() == Some("self"))
            .map(|l| l.href.clone()),
        alternate: alternate(&f.links).map(|l| l.href.clone()),
        hub: f
            .links
            .iter()
            .find(|l| l.rel.as_deref() == Some("hub"))
            .map(|l| l.href.clone()),
        ..FeedLinks::default()
    };
    let rss2 = f.feed_type == fm::FeedType::RSS2;
    let entries = f
        .entries
        .iter()
        .map(|e| {
            let mut a = convert_entry(e, author.as_ref());
            // feed-rs copies an RSS 2.0 item's pubDate into `updated`; the item was not edited.
            if rss2
                && let Some(Node::Object(o)) = a.object.as_deref_mut()
                && o.props.updated == o.props.published
            {
                o.props.updated = None;
            }
            a
        })
        .collect();
    Feed {
        id: non_empty(&f.id),
        title: f.title.as_ref().map(|t| t.content.clone()),
        subtitle: f.description.as_ref().map(|t| t.content.clone()),
        updated: f.updated.map(Timestamp::from_datetime),
        logo: f
            .logo
            .as_ref()
            .or(f.icon.as_ref())
            .and_then(|i| non_empty(&i.uri)),
        lang: f.language.clone(),
        author,
        links,
        total_items: None,
        entries,
        extensions: Default::default(),
    }
}

fn convert_entry(e: &fm::Entry, feed_author: Option<&Actor>) -> Activity {
    let title = e.title.as_ref().map(|t| t.content.clone());
    let body = e
        .content
        .as_ref()
        .and_then(|c| c.body.as_ref().map(|b| text_of(b, c.content_type.as_str())));
    let summary = e
        .summary
        .as_ref()
        .map(|s| text_of(&s.content, s.content_type.as_str()));
    let mut props = Props {
        id: non_empty(&e.id),
        name: title.clone(),
        url: alternate(&e.links).map(|l| l.href.clone()),
        published: e.published.map(Timestamp::from_datetime),
        updated: e.updated.map(Timestamp::from_datetime),
        ..Props::default()
    };
    match (body, summary) {
        (Some(b), s) => {
            props.content = Some(b);
            if let Some(s) = s {
                props
                    .extensions
                    .push_json("feed:summary", serde_json::Value::String(s.value));
            }
        }
        (None, s) => props.content = s,
    }
    props.hashtags = e
        .categories
        .iter()
        .filter_map(|c| non_empty(&c.term).map(|name| Hashtag { name, href: None }))
        .collect();
    for m in &e.media {
        for c in &m.content {
            if let Some(url) = &c.url {
                let mime = c.content_type.as_ref().map(|t| t.to_string());
                props.attachments.push(Attachment {
                    kind: kind_from_mime(mime.as_deref()),
                    media: Media {
                        url: url.to_string(),
                        media_type: mime,
                        width: c.width,
                        height: c.height,
                    },
                    size: c.size,
                    name: m.title.as_ref().map(|t| t.content.clone()),
                    blurhash: None,
                });
            }
        }
    }
    for l in e.links.iter().filter(|l| is_enclosure(l)) {
        if props.attachments.iter().any(|a| a.media.url == l.href) {
            continue;
        }
        props.attachments.push(Attachment {
            kind: kind_from_mime(l.media_type.as_deref()),
            media: Media {
                url: l.href.clone(),
                media_type: l.media_type.clone(),
                width: None,
                height: None,
            },
            size: l.length,
            name: l.title.clone(),
            blurhash: None,
        });
    }
    let kind = if title.as_deref().is_some_and(|t| !t.trim().is_empty()) {
        ObjectType::Article
    } else {
        ObjectType::Note
    };
    let actor = e
        .authors
        .first()
        .map(person)
        .or_else(|| feed_author.cloned());
    Activity {
        verb: VerbTerm::new(Verb::Post),
        actor: actor.map(Box::new),
        object: Some(Box::new(Node::Object(Object {
            kind,
            event: None,
            props,
        }))),
        target: None,
        implied: false,
        props: Props::default(),
    }
}
