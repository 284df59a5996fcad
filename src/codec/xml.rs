//! A small, bounded XML tree reader with resolved namespaces, and the writing helpers the
//! Atom codec needs.
//!
//! Why not `quick_xml::NsReader`: it records every `xmlns` declaration before the caller can
//! count them, and its duplicate-attribute check is quadratic in the attribute count. This
//! reader uses the plain tokenizer and does both itself, so [`Limits::max_attributes`] is
//! enforced *before* any declaration is stored; the same limit also bounds the number of
//! namespace declarations in scope at once (so prefix lookups cost at most that many steps). It also refuses `<!DOCTYPE` outright (so no
//! entity is ever expanded), resolves only the five predefined entities and numeric character
//! references, and reports every error with a line and column.
//!
//! The tree is a flat arena: element and text nodes live in one `Vec`, linked by indices;
//! names, attribute values and text borrow from the input unless an entity had to be
//! replaced. Namespace URIs are stored once per declaration, not once per element, and code
//! matches elements by `(namespace URI, local name)`, never by prefix.

use std::borrow::Cow;

use quick_xml::events::Event;
use quick_xml::reader::Reader;

use super::{DecodeError, Limits, Location};
use crate::model::{XmlAttribute, XmlElement, XmlNode};

/// The namespace of `xml:lang` and `xml:base`, bound to `xml` in every document.
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
/// Atom 1.0.
pub const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
/// Activity Streams 1.0 elements (`activity:verb`, `activity:object`, …).
pub const ACTIVITY_NS: &str = "http://activitystrea.ms/spec/1.0/";
/// RFC 4685 threading (`thr:in-reply-to`).
pub const THR_NS: &str = "http://purl.org/syndication/thread/1.0";
/// Portable Contacts (`poco:preferredUsername`, …).
pub const POCO_NS: &str = "http://portablecontacts.net/spec/1.0";
/// Atom media extensions (`media:width`, `media:height`).
pub const MEDIA_NS: &str = "http://purl.org/syndication/atommedia";
/// OStatus, in the spelling Mastodon and GNU social use (no trailing slash). The spelling with
/// a trailing slash is read as this one.
pub const OSTATUS_NS: &str = "http://ostatus.org/schema/1.0";
/// Mastodon's OStatus extensions (`mastodon:scope`).
pub const MASTODON_NS: &str = "http://mastodon.social/schema/1.0";
/// GeoRSS simple (`georss:point`).
pub const GEORSS_NS: &str = "http://www.georss.org/georss";
/// XHTML, for `type="xhtml"` text constructs.
pub const XHTML_NS: &str = "http://www.w3.org/1999/xhtml";

/// Namespaces given a fixed prefix when writing.
pub const KNOWN_PREFIXES: &[(&str, &str)] = &[
    ("thr", THR_NS),
    ("activity", ACTIVITY_NS),
    ("poco", POCO_NS),
    ("media", MEDIA_NS),
    ("ostatus", OSTATUS_NS),
    ("mastodon", MASTODON_NS),
    ("georss", GEORSS_NS),
];

const NONE: u32 = u32::MAX;

/// Small numbers for the namespaces the Atom codec matches on, so matching an element is an
/// integer comparison instead of comparing URIs.
pub mod nsid {
    /// No namespace.
    pub const NONE: u8 = 0;
    /// Atom.
    pub const ATOM: u8 = 1;
    /// AS1 elements.
    pub const ACTIVITY: u8 = 2;
    /// Threading.
    pub const THR: u8 = 3;
    /// Portable Contacts.
    pub const POCO: u8 = 4;
    /// Atom media.
    pub const MEDIA: u8 = 5;
    /// OStatus (either spelling).
    pub const OSTATUS: u8 = 6;
    /// Mastodon.
    pub const MASTODON: u8 = 7;
    /// GeoRSS.
    pub const GEORSS: u8 = 8;
    /// XHTML.
    pub const XHTML: u8 = 9;
    /// `xml:`.
    pub const XML: u8 = 10;
    /// Any other namespace.
    pub const OTHER: u8 = 255;
}

fn known_id(uri: &str) -> u8 {
    match uri {
        ATOM_NS => nsid::ATOM,
        ACTIVITY_NS => nsid::ACTIVITY,
        THR_NS => nsid::THR,
        POCO_NS => nsid::POCO,
        MEDIA_NS => nsid::MEDIA,
        OSTATUS_NS => nsid::OSTATUS,
        MASTODON_NS => nsid::MASTODON,
        GEORSS_NS => nsid::GEORSS,
        XHTML_NS => nsid::XHTML,
        XML_NS => nsid::XML,
        _ => nsid::OTHER,
    }
}

/// Known namespace URIs, stored as `&'static str` so the common case allocates nothing.
fn intern(uri: Cow<'_, str>) -> Cow<'static, str> {
    if uri == "http://ostatus.org/schema/1.0/" {
        return Cow::Borrowed(OSTATUS_NS);
    }
    for known in [
        ATOM_NS,
        ACTIVITY_NS,
        THR_NS,
        POCO_NS,
        MEDIA_NS,
        OSTATUS_NS,
        MASTODON_NS,
        GEORSS_NS,
        XHTML_NS,
        XML_NS,
    ] {
        if uri == known {
            return Cow::Borrowed(known);
        }
    }
    Cow::Owned(uri.into_owned())
}

#[derive(Debug)]
struct AttrData<'a> {
    ns: u32,
    local: Cow<'a, str>,
    value: Cow<'a, str>,
}

#[derive(Debug)]
enum NodeKind<'a> {
    Elem {
        ns: u32,
        local: Cow<'a, str>,
        attrs: (u32, u32),
        first: u32,
        last: u32,
        pos: usize,
    },
    Text(Cow<'a, str>),
}

#[derive(Debug)]
struct NodeData<'a> {
    parent: u32,
    next: u32,
    kind: NodeKind<'a>,
}

/// A parsed XML document.
#[derive(Debug)]
pub struct Tree<'a> {
    src: &'a str,
    nodes: Vec<NodeData<'a>>,
    attrs: Vec<AttrData<'a>>,
    nss: Vec<Cow<'a, str>>,
    ns_ids: Vec<u8>,
    root: u32,
    has_base: bool,
}

/// `s` as a slice of `src` when it points into it (no copy), else an owned copy.
fn reborrow<'a>(src: &'a str, s: &str) -> Cow<'a, str> {
    let start = (s.as_ptr() as usize).wrapping_sub(src.as_ptr() as usize);
    match start
        .checked_add(s.len())
        .and_then(|end| src.get(start..end))
    {
        Some(slice) if slice.as_ptr() == s.as_ptr() => Cow::Borrowed(slice),
        _ => Cow::Owned(s.to_string()),
    }
}

/// The character a predefined entity names.
fn predefined_entity(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    }
}

/// Resolves `&name;` / `&#N;` / `&#xN;`; unknown entities are an error, never expanded.
fn resolve_reference(name: &str) -> Result<char, String> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix('x') {
            Some(hex) => u32::from_str_radix(hex, 16),
            None => num.parse::<u32>(),
        }
        .map_err(|_| format!("invalid character reference &{name};"))?;
        match char::from_u32(code) {
            Some(c) if is_xml_char(c) => Ok(c),
            _ => Err(format!(
                "character reference &{name}; names a character XML 1.0 does not allow"
            )),
        }
    } else {
        predefined_entity(name).ok_or_else(|| format!("unknown entity reference &{name};"))
    }
}

/// XML 1.0's `Char` production: what a document may contain, literally or by reference.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// The first character of `text` outside XML 1.0's `Char` production, with its byte offset.
/// Only C0 controls and U+FFFE / U+FFFF can occur in a `str`, so bytes are scanned, not chars.
fn first_non_xml_char(text: &str) -> Option<(usize, char)> {
    let bytes = text.as_bytes();
    let at = bytes.iter().enumerate().position(|(i, &b)| {
        (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
            || (b == 0xef
                && bytes.get(i + 1) == Some(&0xbf)
                && matches!(bytes.get(i + 2), Some(0xbe | 0xbf)))
    })?;
    text.get(at..)?.chars().next().map(|c| (at, c))
}

/// XML 1.0 (5th ed.) `NameStartChar`, without the colon (namespaces give it a meaning).
fn is_name_start(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z' | '\u{c0}'..='\u{d6}' | '\u{d8}'..='\u{f6}'
        | '\u{f8}'..='\u{2ff}' | '\u{370}'..='\u{37d}' | '\u{37f}'..='\u{1fff}'
        | '\u{200c}'..='\u{200d}' | '\u{2070}'..='\u{218f}' | '\u{2c00}'..='\u{2fef}'
        | '\u{3001}'..='\u{d7ff}' | '\u{f900}'..='\u{fdcf}' | '\u{fdf0}'..='\u{fffd}'
        | '\u{10000}'..='\u{effff}')
}

/// XML 1.0 `NameChar`, without the colon.
fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{b7}' | '\u{300}'..='\u{36f}' | '\u{203f}'..='\u{2040}')
}

/// Whether `name` is a namespace-well-formed qualified name (`NCName` or
/// `NCName:NCName`). quick-xml ends a name at white space, so `<a:b="c">` reaches here as one
/// name; such a name would be written back as something that no longer parses.
fn is_qname(name: &str) -> bool {
    let ncname = |part: &str| {
        let mut chars = part.chars();
        chars.next().is_some_and(is_name_start) && chars.all(is_name_char)
    };
    match name.split_once(':') {
        Some((prefix, local)) => ncname(prefix) && ncname(local),
        None => ncname(name),
    }
}

/// Unescapes and normalises an attribute value (XML 1.0 §3.3.3: literal tab, CR and LF
/// become spaces, a CR LF pair one space).
fn unescape_attr<'a>(raw: Cow<'a, str>) -> Result<Cow<'a, str>, String> {
    // Branch-free scan (vectorises); control characters other than tab, LF and CR also take
    // the slow path, which copies them unchanged.
    let special = raw
        .bytes()
        .fold(false, |acc, b| acc | (b == b'&') | (b <= b'\r'));
    if !special {
        return Ok(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest: &str = &raw;
    while let Some(i) = rest.find(['&', '\t', '\n', '\r']) {
        out.push_str(rest.get(..i).unwrap_or_default());
        let tail = rest.get(i..).unwrap_or_default();
        if let Some(after) = tail.strip_prefix('&') {
            let end = after
                .find(';')
                .ok_or_else(|| "unterminated reference in attribute value".to_string())?;
            out.push(resolve_reference(after.get(..end).unwrap_or_default())?);
            rest = after.get(end + 1..).unwrap_or_default();
        } else if let Some(after) = tail.strip_prefix("\r\n") {
            out.push(' ');
            rest = after;
        } else {
            out.push(' ');
            rest = tail.get(1..).unwrap_or_default();
        }
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

/// Line-end normalisation of character data (XML 1.0 §2.11).
fn normalize_eol(text: Cow<'_, str>) -> Cow<'_, str> {
    if text.contains('\r') {
        Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        text
    }
}

/// String equality without a `memcmp` call for the short names XML is full of.
#[inline]
fn short_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    if a.len() <= 16 {
        a.iter().zip(b).all(|(x, y)| x == y)
    } else {
        a == b
    }
}

fn is_xml_whitespace(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

struct Builder<'a> {
    tree: Tree<'a>,
    /// Open elements.
    stack: Vec<u32>,
    /// In-scope prefix bindings: (prefix, index into `nss`, or NONE for "unbound").
    bindings: Vec<(Cow<'a, str>, u32)>,
    /// `bindings.len()` when each open element started.
    marks: Vec<usize>,
    /// Attribute scratch space, reused.
    pending: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// Non-declaration attributes of the current element, reused.
    plain: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> Builder<'a> {
    fn err(&self, pos: usize, reason: impl Into<String>) -> DecodeError {
        DecodeError::Xml {
            at: Location::from_offset(self.tree.src.as_bytes(), pos),
            reason: reason.into(),
        }
    }

    fn lookup(&self, prefix: &str) -> Option<u32> {
        if prefix == "xml" {
            return Some(0);
        }
        self.bindings
            .iter()
            .rev()
            .find(|(p, _)| short_eq(p, prefix))
            .map(|(_, ns)| *ns)
    }

    fn append(&mut self, node: NodeData<'a>) -> u32 {
        let idx = self.tree.nodes.len() as u32;
        let parent = node.parent;
        self.tree.nodes.push(node);
        if let Some(NodeData {
            kind: NodeKind::Elem { first, last, .. },
            ..
        }) = self.tree.nodes.get_mut(parent as usize)
        {
            let prev = *last;
            *last = idx;
            if prev == NONE {
                *first = idx;
            } else if let Some(p) = self.tree.nodes.get_mut(prev as usize) {
                p.next = idx;
            }
        }
        idx
    }

    fn text(&mut self, text: Cow<'a, str>, pos: usize) -> Result<(), DecodeError> {
        if text.is_empty() {
            return Ok(());
        }
        let Some(&parent) = self.stack.last() else {
            if is_xml_whitespace(&text) {
                return Ok(());
            }
            return Err(self.err(pos, "text outside the root element"));
        };
        // Merge with a preceding text node (split by a reference, CDATA or a comment).
        let last = match self.tree.nodes.get(parent as usize) {
            Some(NodeData {
                kind: NodeKind::Elem { last, .. },
                ..
            }) => *last,
            _ => NONE,
        };
        if let Some(NodeData {
            kind: NodeKind::Text(prev),
            ..
        }) = self.tree.nodes.get_mut(last as usize)
        {
            prev.to_mut().push_str(&text);
            return Ok(());
        }
        self.append(NodeData {
            parent,
            next: NONE,
            kind: NodeKind::Text(text),
        });
        Ok(())
    }

    /// Appends one resolved character reference to the current text.
    fn push_char(&mut self, c: char) {
        let Some(&parent) = self.stack.last() else {
            return;
        };
        let last = match self.tree.nodes.get(parent as usize) {
            Some(NodeData {
                kind: NodeKind::Elem { last, .. },
                ..
            }) => *last,
            _ => NONE,
        };
        if let Some(NodeData {
            kind: NodeKind::Text(prev),
            ..
        }) = self.tree.nodes.get_mut(last as usize)
        {
            prev.to_mut().push(c);
            return;
        }
        self.append(NodeData {
            parent,
            next: NONE,
            kind: NodeKind::Text(Cow::Owned(c.to_string())),
        });
    }

    fn start(
        &mut self,
        e: &quick_xml::events::BytesStart<'_>,
        pos: usize,
        limits: &Limits,
    ) -> Result<(), DecodeError> {
        if self.stack.len() >= limits.max_depth {
            return Err(DecodeError::TooDeep {
                at: Location::from_offset(self.tree.src.as_bytes(), pos),
                limit: limits.max_depth,
            });
        }
        if self.stack.is_empty() && self.tree.root != NONE {
            return Err(self.err(pos, "more than one root element"));
        }
        // Count attributes (xmlns included) before storing anything.
        self.pending.clear();
        let mut iter = e.attributes();
        iter.with_checks(false);
        for attr in iter {
            let attr = attr.map_err(|err| self.err(pos, err.to_string()))?;
            if self.pending.len() >= limits.max_attributes {
                return Err(DecodeError::TooManyAttributes {
                    at: Location::from_offset(self.tree.src.as_bytes(), pos),
                    limit: limits.max_attributes,
                });
            }
            let key = reborrow(self.tree.src, attr.key.as_ref());
            if !is_qname(&key) {
                return Err(self.err(pos, format!("`{key}` is not an XML attribute name")));
            }
            let value = match attr.value {
                Cow::Borrowed(v) => reborrow(self.tree.src, v),
                Cow::Owned(v) => Cow::Owned(v),
            };
            self.pending.push((key, value));
        }
        // Duplicates (bounded by max_attributes, so quadratic is fine).
        for (i, (k, _)) in self.pending.iter().enumerate() {
            if self
                .pending
                .iter()
                .skip(i + 1)
                .any(|(k2, _)| short_eq(k2, k))
            {
                return Err(self.err(pos, format!("duplicate attribute `{k}`")));
            }
        }
        let mark = self.bindings.len();
        let pending = std::mem::take(&mut self.pending);
        let mut plain = std::mem::take(&mut self.plain);
        plain.clear();
        for (key, raw) in pending.iter() {
            let value = unescape_attr(raw.clone()).map_err(|r| self.err(pos, r))?;
            if key.starts_with("xmlns") && (key.len() == 5 || key.as_bytes().get(5) == Some(&b':'))
            {
                let prefix: Cow<'a, str> = match key.strip_prefix("xmlns:") {
                    Some(_) => match key {
                        Cow::Borrowed(k) => Cow::Borrowed(k.get(6..).unwrap_or_default()),
                        Cow::Owned(k) => Cow::Owned(k.get(6..).unwrap_or_default().to_string()),
                    },
                    None => Cow::Borrowed(""),
                };
                if prefix == "xml" || prefix == "xmlns" {
                    continue;
                }
                // Bound the declarations in scope too, so prefix lookups stay cheap.
                if self.bindings.len() >= limits.max_attributes {
                    return Err(DecodeError::TooManyAttributes {
                        at: Location::from_offset(self.tree.src.as_bytes(), pos),
                        limit: limits.max_attributes,
                    });
                }
                let ns = if value.is_empty() {
                    NONE
                } else {
                    let uri = intern(value);
                    self.tree.ns_ids.push(known_id(&uri));
                    self.tree.nss.push(uri);
                    (self.tree.nss.len() - 1) as u32
                };
                self.bindings.push((prefix, ns));
            } else {
                plain.push((key.clone(), value));
            }
        }
        self.pending = pending;
        let name: &str = e.name().0;
        if !is_qname(name) {
            return Err(self.err(pos, format!("`{name}` is not an XML element name")));
        }
        let (prefix, local) = name.split_once(':').unwrap_or(("", name));
        let ns = match self.lookup(prefix) {
            Some(ns) => ns,
            None if prefix.is_empty() => NONE,
            None => return Err(self.err(pos, format!("unbound namespace prefix `{prefix}`"))),
        };
        let local = reborrow(self.tree.src, local);
        let first_attr = self.tree.attrs.len() as u32;
        for (key, value) in plain.drain(..) {
            let (ns, local) = match key.split_once(':') {
                Some((p, l)) => {
                    let ns = self
                        .lookup(p)
                        .filter(|n| *n != NONE)
                        .ok_or_else(|| self.err(pos, format!("unbound namespace prefix `{p}`")))?;
                    (ns, l.to_string())
                }
                None => (NONE, String::new()),
            };
            let local = if ns == NONE {
                key
            } else {
                match key {
                    Cow::Borrowed(k) => Cow::Borrowed(k.get(k.len() - local.len()..).unwrap_or(k)),
                    Cow::Owned(_) => Cow::Owned(local),
                }
            };
            let dup = self
                .tree
                .attrs
                .get(first_attr as usize..)
                .unwrap_or_default()
                .iter()
                .any(|a| {
                    short_eq(&a.local, &local)
                        && (a.ns == ns || self.tree.ns_str(a.ns) == self.tree.ns_str(ns))
                });
            if dup {
                return Err(self.err(pos, format!("duplicate attribute `{local}`")));
            }
            if ns == 0 && short_eq(&local, "base") {
                self.tree.has_base = true;
            }
            self.tree.attrs.push(AttrData { ns, local, value });
        }
        self.plain = plain;
        let last_attr = self.tree.attrs.len() as u32;
        let parent = self.stack.last().copied().unwrap_or(NONE);
        let idx = self.append(NodeData {
            parent,
            next: NONE,
            kind: NodeKind::Elem {
                ns,
                local,
                attrs: (first_attr, last_attr),
                first: NONE,
                last: NONE,
                pos,
            },
        });
        if parent == NONE {
            self.tree.root = idx;
        }
        self.stack.push(idx);
        self.marks.push(mark);
        Ok(())
    }

    fn end(&mut self) {
        self.stack.pop();
        if let Some(mark) = self.marks.pop() {
            self.bindings.truncate(mark);
        }
    }
}

/// Parses `input` within `limits` (size, UTF-8, depth, attributes; DOCTYPE refused).
pub fn parse<'a>(input: &'a [u8], limits: &Limits) -> Result<Tree<'a>, DecodeError> {
    let text = limits.check_text(input)?;
    parse_str(text, limits)
}

/// Parses already-checked text (no size check).
pub fn parse_str<'a>(text: &'a str, limits: &Limits) -> Result<Tree<'a>, DecodeError> {
    if let Some((at, c)) = first_non_xml_char(text) {
        return Err(DecodeError::Xml {
            at: Location::from_offset(text.as_bytes(), at),
            reason: format!("character U+{:04X} is not allowed in XML 1.0", c as u32),
        });
    }
    let mut reader = Reader::from_str(text);
    {
        let config = reader.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = false;
        config.trim_text_start = false;
        config.trim_text_end = false;
        config.allow_unmatched_ends = false;
        config.allow_dangling_amp = false;
    }
    let mut b = Builder {
        tree: Tree {
            src: text,
            nodes: Vec::with_capacity(text.len() / 64),
            attrs: Vec::with_capacity(text.len() / 128),
            nss: vec![Cow::Borrowed(XML_NS)],
            ns_ids: vec![nsid::XML],
            root: NONE,
            has_base: false,
        },
        stack: Vec::new(),
        bindings: Vec::new(),
        marks: Vec::new(),
        pending: Vec::new(),
        plain: Vec::new(),
    };
    loop {
        let pos = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| DecodeError::Xml {
            at: Location::from_offset(text.as_bytes(), reader.error_position() as usize),
            reason: e.to_string(),
        })?;
        match event {
            Event::Start(e) => b.start(&e, pos, limits)?,
            Event::Empty(e) => {
                b.start(&e, pos, limits)?;
                b.end();
            }
            Event::End(_) => b.end(),
            Event::Text(t) => {
                let t = match t.into_inner() {
                    Cow::Borrowed(s) => reborrow(text, s),
                    Cow::Owned(s) => Cow::Owned(s),
                };
                b.text(normalize_eol(t), pos)?;
            }
            Event::CData(c) => {
                let c = match c.into_inner() {
                    Cow::Borrowed(s) => reborrow(text, s),
                    Cow::Owned(s) => Cow::Owned(s),
                };
                if b.stack.is_empty() {
                    return Err(b.err(pos, "CDATA outside the root element"));
                }
                b.text(normalize_eol(c), pos)?;
            }
            Event::GeneralRef(r) => {
                let c = resolve_reference(&r).map_err(|reason| b.err(pos, reason))?;
                if b.stack.is_empty() {
                    return Err(b.err(pos, "reference outside the root element"));
                }
                b.push_char(c);
            }
            Event::DocType(_) => {
                return Err(DecodeError::Doctype {
                    at: Location::from_offset(text.as_bytes(), pos),
                });
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(&open) = b.stack.last() {
        let name = Elem {
            tree: &b.tree,
            idx: open,
        }
        .local()
        .to_string();
        return Err(b.err(text.len(), format!("unclosed element <{name}>")));
    }
    if b.tree.root == NONE {
        return Err(b.err(text.len(), "no root element"));
    }
    Ok(b.tree)
}

impl<'a> Tree<'a> {
    fn ns_str(&self, ns: u32) -> Option<&str> {
        if ns == NONE {
            None
        } else {
            self.nss.get(ns as usize).map(|c| c.as_ref())
        }
    }

    /// The root element.
    pub fn root(&self) -> Elem<'_, 'a> {
        Elem {
            tree: self,
            idx: self.root,
        }
    }

    /// The input text.
    pub fn source(&self) -> &'a str {
        self.src
    }

    /// Number of nodes (elements and text runs) in the document.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// True when some element has an `xml:base` (relative links then need resolving).
    pub fn has_base(&self) -> bool {
        self.has_base
    }
}

/// A child of an element: an element or a run of text.
#[derive(Debug, Clone, Copy)]
pub enum Child<'t, 'a> {
    /// An element.
    Elem(Elem<'t, 'a>),
    /// Character data (references resolved, CDATA included).
    Text(&'t str),
}

/// Local name, namespace index, attribute range, first child, byte offset.
type ElemParts<'t> = (&'t str, u32, (u32, u32), u32, usize);

/// A handle on one element of a [`Tree`].
#[derive(Debug, Clone, Copy)]
pub struct Elem<'t, 'a> {
    tree: &'t Tree<'a>,
    idx: u32,
}

impl<'t, 'a> Elem<'t, 'a> {
    fn data(&self) -> Option<ElemParts<'t>> {
        match self.tree.nodes.get(self.idx as usize) {
            Some(NodeData {
                kind:
                    NodeKind::Elem {
                        ns,
                        local,
                        attrs,
                        first,
                        pos,
                        ..
                    },
                ..
            }) => Some((local.as_ref(), *ns, *attrs, *first, *pos)),
            _ => None,
        }
    }

    /// The namespace URI, `None` when the element is in no namespace.
    pub fn ns(&self) -> Option<&'t str> {
        self.data().and_then(|(_, ns, ..)| self.tree.ns_str(ns))
    }

    /// The namespace as one of the [`nsid`] numbers.
    pub fn ns_id(&self) -> u8 {
        match self.data() {
            Some((_, ns, ..)) if ns != NONE => self
                .tree
                .ns_ids
                .get(ns as usize)
                .copied()
                .unwrap_or(nsid::OTHER),
            _ => nsid::NONE,
        }
    }

    /// The local name.
    pub fn local(&self) -> &'t str {
        self.data().map(|(l, ..)| l).unwrap_or_default()
    }

    /// True when the element is `{ns}local`.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.local() == local && self.ns() == Some(ns)
    }

    /// Byte offset of the start tag in the input.
    pub fn offset(&self) -> usize {
        self.data().map(|d| d.4).unwrap_or_default()
    }

    /// Where the start tag is, for error messages.
    pub fn location(&self) -> Location {
        Location::from_offset(self.tree.src.as_bytes(), self.offset())
    }

    /// The parent element.
    pub fn parent(&self) -> Option<Elem<'t, 'a>> {
        let p = self.tree.nodes.get(self.idx as usize)?.parent;
        (p != NONE).then_some(Elem {
            tree: self.tree,
            idx: p,
        })
    }

    /// Attributes as `(namespace, local name, value)`, xmlns declarations excluded.
    pub fn attrs(&self) -> impl Iterator<Item = (Option<&'t str>, &'t str, &'t str)> + 't {
        let (a, b) = self.data().map(|d| d.2).unwrap_or((0, 0));
        let tree = self.tree;
        tree.attrs
            .get(a as usize..b as usize)
            .unwrap_or_default()
            .iter()
            .map(move |at| (tree.ns_str(at.ns), at.local.as_ref(), at.value.as_ref()))
    }

    /// The number of attributes (xmlns declarations excluded).
    pub fn attr_count(&self) -> usize {
        let (a, b) = self.data().map(|d| d.2).unwrap_or((0, 0));
        (b - a) as usize
    }

    /// The value of the unprefixed attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&'t str> {
        self.attrs()
            .find(|(ns, l, _)| ns.is_none() && *l == name)
            .map(|(_, _, v)| v)
    }

    /// The value of the attribute `{ns}name`.
    pub fn attr_ns(&self, ns: &str, name: &str) -> Option<&'t str> {
        self.attrs()
            .find(|(n, l, _)| *n == Some(ns) && *l == name)
            .map(|(_, _, v)| v)
    }

    /// `xml:lang` of this element or the nearest ancestor (empty means "unknown": `None`).
    pub fn lang(&self) -> Option<&'t str> {
        let mut cur = Some(*self);
        while let Some(e) = cur {
            if let Some(l) = e.attr_ns(XML_NS, "lang") {
                return (!l.is_empty()).then_some(l);
            }
            cur = e.parent();
        }
        None
    }

    /// Resolves `href` against the `xml:base` in scope (unchanged when none applies or
    /// resolution fails).
    pub fn resolve<'s>(&self, href: &'s str) -> Cow<'s, str> {
        // Absolute references are kept exactly as written (no normalisation).
        if !self.tree.has_base || url::Url::parse(href).is_ok() {
            return Cow::Borrowed(href);
        }
        let mut bases = Vec::new();
        let mut cur = Some(*self);
        while let Some(e) = cur {
            if let Some(b) = e.attr_ns(XML_NS, "base") {
                bases.push(b);
            }
            cur = e.parent();
        }
        let mut base: Option<url::Url> = None;
        for b in bases.iter().rev() {
            base = match &base {
                Some(u) => u.join(b).ok().or(base),
                None => url::Url::parse(b).ok(),
            };
        }
        match base.and_then(|u| u.join(href).ok()) {
            Some(u) => Cow::Owned(u.to_string()),
            None => Cow::Borrowed(href),
        }
    }

    /// Children in order.
    pub fn nodes(&self) -> impl Iterator<Item = Child<'t, 'a>> + 't {
        let tree = self.tree;
        let mut next = self.data().map(|d| d.3).unwrap_or(NONE);
        std::iter::from_fn(move || {
            let node = tree.nodes.get(next as usize)?;
            let idx = next;
            next = node.next;
            Some(match &node.kind {
                NodeKind::Elem { .. } => Child::Elem(Elem { tree, idx }),
                NodeKind::Text(t) => Child::Text(t.as_ref()),
            })
        })
    }

    /// Number of nodes below this element (elements and text runs), for amplification checks.
    pub fn subtree_size(&self) -> usize {
        // Nodes are stored in document order, so the subtree is the range up to the next node
        // that is not a descendant: the next sibling of this element or of an ancestor.
        let mut cur = Some(*self);
        while let Some(e) = cur {
            if let Some(n) = self.tree.nodes.get(e.idx as usize)
                && n.next != NONE
            {
                return n.next.saturating_sub(self.idx + 1) as usize;
            }
            cur = e.parent();
        }
        self.tree.nodes.len().saturating_sub(self.idx as usize + 1)
    }

    /// Child elements in order.
    pub fn children(&self) -> impl Iterator<Item = Elem<'t, 'a>> + 't {
        self.nodes().filter_map(|c| match c {
            Child::Elem(e) => Some(e),
            Child::Text(_) => None,
        })
    }

    /// The first child `{ns}local`.
    pub fn child(&self, ns: &str, local: &str) -> Option<Elem<'t, 'a>> {
        self.children().find(|c| c.is(ns, local))
    }

    /// True when the element has child elements.
    pub fn has_element_children(&self) -> bool {
        self.children().next().is_some()
    }

    /// The text directly inside the element (borrowed when it is one run).
    pub fn text(&self) -> Cow<'t, str> {
        let mut out: Option<Cow<'t, str>> = None;
        for c in self.nodes() {
            if let Child::Text(t) = c {
                match &mut out {
                    None => out = Some(Cow::Borrowed(t)),
                    Some(o) => o.to_mut().push_str(t),
                }
            }
        }
        out.unwrap_or(Cow::Borrowed(""))
    }

    /// The subtree as an owned [`XmlElement`], for extensions.
    pub fn to_xml_element(&self) -> XmlElement {
        XmlElement {
            ns: self.ns().map(str::to_string),
            name: self.local().to_string(),
            attributes: self
                .attrs()
                .map(|(ns, name, value)| XmlAttribute {
                    ns: ns.map(str::to_string),
                    name: name.to_string(),
                    value: value.to_string(),
                })
                .collect(),
            children: self
                .nodes()
                .map(|c| match c {
                    Child::Elem(e) => XmlNode::Element(e.to_xml_element()),
                    Child::Text(t) => XmlNode::Text(t.to_string()),
                })
                .collect(),
        }
    }

    /// The children serialised as XML, in a context whose default namespace is this
    /// element's (used for `type="xhtml"` content).
    pub fn inner_xml(&self) -> String {
        let mut out = String::new();
        let mut scope = Scope::new(self.ns());
        for c in self.nodes() {
            match c {
                Child::Elem(e) => write_element(&mut out, &e.to_xml_element(), &mut scope),
                Child::Text(t) => escape_text(&mut out, t),
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------
// Writing

/// Appends `s` escaped for character data. Characters that XML would normalise away or
/// cannot hold literally (CR, other C0 controls) are written as character references.
pub fn escape_text(out: &mut String, s: &str) {
    escape(out, s, false);
}

/// Appends `s` escaped for a double-quoted attribute value (tab, LF and CR as references so
/// attribute normalisation keeps them).
pub fn escape_attr(out: &mut String, s: &str) {
    escape(out, s, true);
}

fn escape(out: &mut String, s: &str, attr: bool) {
    // Most text needs nothing: one pass over the bytes finds out. 0xEF leads the encodings of
    // U+FFFE and U+FFFF, the non-characters `is_xml_char` refuses outside the ASCII range.
    if !s
        .bytes()
        .any(|b| matches!(b, b'&' | b'<' | b'>' | b'"' | 0x7f | 0xef) || b < 0x20)
    {
        out.push_str(s);
        return;
    }
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let rep: Option<&str> = match c {
            '&' => Some("&amp;"),
            '<' => Some("&lt;"),
            '>' => Some("&gt;"),
            '"' if attr => Some("&quot;"),
            '\n' | '\t' if !attr => None,
            // No XML 1.0 document can carry these, not even as references: write U+FFFD so
            // the output stays well-formed (JSON input can hold them).
            c if !is_xml_char(c) => Some("\u{fffd}"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(s.get(start..i).unwrap_or_default());
                out.push_str(&format!("&#{};", c as u32));
                start = i + c.len_utf8();
                continue;
            }
            _ => None,
        };
        if let Some(r) = rep {
            out.push_str(s.get(start..i).unwrap_or_default());
            out.push_str(r);
            start = i + c.len_utf8();
        }
    }
    out.push_str(s.get(start..).unwrap_or_default());
}

/// Namespace bindings in effect while writing.
#[derive(Debug, Clone)]
pub struct Scope {
    default: Option<String>,
    prefixes: Vec<(String, String)>,
    marks: Vec<(usize, Option<String>)>,
    counter: usize,
}

impl Scope {
    /// A scope with `default` as default namespace and no prefixes.
    pub fn new(default: Option<&str>) -> Scope {
        Scope {
            default: default.map(str::to_string),
            prefixes: Vec::new(),
            marks: Vec::new(),
            counter: 0,
        }
    }

    /// A scope with the prefixes the Atom codec declares on its root.
    pub fn atom_root() -> Scope {
        let mut s = Scope::new(Some(ATOM_NS));
        for (p, ns) in KNOWN_PREFIXES {
            s.prefixes.push((p.to_string(), ns.to_string()));
        }
        s
    }

    fn prefix_of(&self, ns: &str) -> Option<&str> {
        let (p, _) = self.prefixes.iter().rev().find(|(_, u)| u == ns)?;
        // Shadowed by a later binding of the same prefix?
        let current = self.prefixes.iter().rev().find(|(q, _)| q == p)?;
        (current.1 == ns).then_some(p.as_str())
    }
}

/// Writes `el` (and its subtree) in `scope`, declaring what it needs on the element itself.
pub fn write_element(out: &mut String, el: &XmlElement, scope: &mut Scope) {
    let mut decls: Vec<(String, String)> = Vec::new();
    let mut new_default: Option<Option<String>> = None;
    scope
        .marks
        .push((scope.prefixes.len(), scope.default.clone()));
    // Element name.
    let qname = match el.ns.as_deref() {
        ns if ns == scope.default.as_deref() => el.name.clone(),
        None => {
            new_default = Some(None);
            el.name.clone()
        }
        Some(ns) => match scope.prefix_of(ns) {
            Some(p) => format!("{p}:{}", el.name),
            None => {
                new_default = Some(Some(ns.to_string()));
                el.name.clone()
            }
        },
    };
    if let Some(d) = &new_default {
        scope.default = d.clone();
    }
    let mut attrs = String::new();
    for a in &el.attributes {
        attrs.push(' ');
        match a.ns.as_deref() {
            None => attrs.push_str(&a.name),
            Some(XML_NS) => {
                attrs.push_str("xml:");
                attrs.push_str(&a.name);
            }
            Some(ns) => {
                let p = match scope.prefix_of(ns) {
                    Some(p) => p.to_string(),
                    None => {
                        let known = KNOWN_PREFIXES
                            .iter()
                            .find(|(_, u)| *u == ns)
                            .map(|(p, _)| p.to_string());
                        let p = match known {
                            Some(k) if !scope.prefixes.iter().any(|(q, _)| *q == k) => k,
                            _ => {
                                scope.counter += 1;
                                format!("ns{}", scope.counter)
                            }
                        };
                        scope.prefixes.push((p.clone(), ns.to_string()));
                        decls.push((p.clone(), ns.to_string()));
                        p
                    }
                };
                attrs.push_str(&p);
                attrs.push(':');
                attrs.push_str(&a.name);
            }
        }
        attrs.push_str("=\"");
        escape_attr(&mut attrs, &a.value);
        attrs.push('"');
    }
    out.push('<');
    out.push_str(&qname);
    if let Some(d) = &new_default {
        out.push_str(" xmlns=\"");
        escape_attr(out, d.as_deref().unwrap_or(""));
        out.push('"');
    }
    for (p, ns) in &decls {
        out.push_str(" xmlns:");
        out.push_str(p);
        out.push_str("=\"");
        escape_attr(out, ns);
        out.push('"');
    }
    out.push_str(&attrs);
    if el.children.is_empty() {
        out.push_str("/>");
    } else {
        out.push('>');
        for c in &el.children {
            match c {
                XmlNode::Element(e) => write_element(out, e, scope),
                XmlNode::Text(t) => escape_text(out, t),
            }
        }
        out.push_str("</");
        out.push_str(&qname);
        out.push('>');
    }
    if let Some((len, default)) = scope.marks.pop() {
        scope.prefixes.truncate(len);
        scope.default = default;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn lim() -> Limits {
        Limits::default()
    }

    #[test]
    fn namespaces_resolve_whatever_the_prefix() {
        let doc = r#"<f:feed xmlns:f="http://www.w3.org/2005/Atom" xmlns:zz="http://activitystrea.ms/spec/1.0/"><f:entry><zz:verb>post</zz:verb><x xmlns="http://activitystrea.ms/spec/1.0/">a</x><o xmlns:os="http://ostatus.org/schema/1.0/" os:k="v"/></f:entry></f:feed>"#;
        let t = parse(doc.as_bytes(), &lim()).unwrap();
        let root = t.root();
        assert!(root.is(ATOM_NS, "feed"));
        let entry = root.child(ATOM_NS, "entry").unwrap();
        let verb = entry.child(ACTIVITY_NS, "verb").unwrap();
        assert_eq!(verb.text(), "post");
        assert!(entry.child(ACTIVITY_NS, "x").is_some());
        let o = entry.children().nth(2).unwrap();
        assert_eq!(o.ns(), None);
        // Trailing-slash ostatus namespace reads as the canonical one.
        assert_eq!(o.attr_ns(OSTATUS_NS, "k"), Some("v"));
    }

    #[test]
    fn default_namespace_and_reset() {
        let t = parse(
            br#"<feed xmlns="http://www.w3.org/2005/Atom"><a xmlns=""><b/></a></feed>"#,
            &lim(),
        )
        .unwrap();
        let a = t.root().children().next().unwrap();
        assert_eq!(a.ns(), None);
        assert_eq!(a.children().next().unwrap().ns(), None);
    }

    #[test]
    fn entities_and_cdata() {
        let t = parse(
            "<a t=\"x&amp;y&#10;z\">&lt;p&gt; &#x2764; &amp; <![CDATA[<b>&amp;</b>]]> end</a>"
                .as_bytes(),
            &lim(),
        )
        .unwrap();
        let a = t.root();
        assert_eq!(a.text(), "<p> \u{2764} & <b>&amp;</b> end");
        assert_eq!(a.attr("t"), Some("x&y\nz"));
        let t = parse(b"<a t=\"a\nb\">x</a>", &lim()).unwrap();
        assert_eq!(t.root().attr("t"), Some("a b"));
    }

    #[test]
    fn unknown_entity_is_an_error() {
        let e = parse(b"<a>&foo;</a>", &lim()).unwrap_err();
        match e {
            DecodeError::Xml { reason, at } => {
                assert!(reason.contains("&foo;"), "{reason}");
                assert_eq!(at, Location::LineCol { line: 1, col: 4 });
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse(b"<a b=\"&bar;\"/>", &lim()),
            Err(DecodeError::Xml { .. })
        ));
    }

    #[test]
    fn doctype_is_refused() {
        let doc = b"<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">]>\n<a>&lol;</a>";
        assert_eq!(
            parse(doc, &lim()).unwrap_err(),
            DecodeError::Doctype {
                at: Location::LineCol { line: 2, col: 1 }
            }
        );
    }

    #[test]
    fn depth_limit() {
        let l = Limits {
            max_depth: 3,
            ..lim()
        };
        assert!(parse(b"<a><b><c/></b></a>", &l).is_ok());
        assert!(matches!(
            parse(b"<a><b><c><d/></c></b></a>", &l),
            Err(DecodeError::TooDeep { limit: 3, .. })
        ));
    }

    #[test]
    fn attribute_limit_counts_xmlns() {
        let l = Limits {
            max_attributes: 2,
            ..lim()
        };
        assert!(parse(b"<a x=\"1\" y=\"2\"/>", &l).is_ok());
        assert!(matches!(
            parse(b"<a x=\"1\" y=\"2\" z=\"3\"/>", &l),
            Err(DecodeError::TooManyAttributes { limit: 2, .. })
        ));
        assert!(matches!(
            parse(b"<a xmlns:a=\"u\" xmlns:b=\"v\" xmlns:c=\"w\"/>", &l),
            Err(DecodeError::TooManyAttributes { limit: 2, .. })
        ));
    }

    #[test]
    fn namespace_declarations_in_scope_are_bounded() {
        let l = Limits {
            max_attributes: 3,
            ..lim()
        };
        assert!(parse(b"<a xmlns:a=\"u\" xmlns:b=\"v\"><b xmlns:c=\"w\"/></a>", &l).is_ok());
        assert!(matches!(
            parse(
                b"<a xmlns:a=\"u\" xmlns:b=\"v\"><b xmlns:c=\"w\"><c xmlns:d=\"x\"/></b></a>",
                &l
            ),
            Err(DecodeError::TooManyAttributes { limit: 3, .. })
        ));
    }

    #[test]
    fn duplicate_attributes() {
        assert!(matches!(
            parse(b"<a x=\"1\" x=\"2\"/>", &lim()),
            Err(DecodeError::Xml { .. })
        ));
        // Same expanded name under two prefixes.
        assert!(matches!(
            parse(
                b"<a xmlns:p=\"u\" xmlns:q=\"u\" p:x=\"1\" q:x=\"2\"/>",
                &lim()
            ),
            Err(DecodeError::Xml { .. })
        ));
    }

    #[test]
    fn malformed_has_line_and_col() {
        let e = parse(b"<a>\n  <b></c>\n</a>", &lim()).unwrap_err();
        match e {
            DecodeError::Xml { at, .. } => assert_eq!(at, Location::LineCol { line: 2, col: 6 }),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse(b"<a><b></b>", &lim()),
            Err(DecodeError::Xml { .. })
        ));
        assert!(matches!(
            parse(b"<p:a/>", &lim()),
            Err(DecodeError::Xml { .. })
        ));
    }

    #[test]
    fn xml_base_and_lang() {
        let t = parse(
            br#"<feed xml:base="https://ex.org/a/" xml:lang="de"><e xml:base="b/"><l/></e></feed>"#,
            &lim(),
        )
        .unwrap();
        let l = t
            .root()
            .children()
            .next()
            .unwrap()
            .children()
            .next()
            .unwrap();
        assert_eq!(l.resolve("c"), "https://ex.org/a/b/c");
        assert_eq!(l.lang(), Some("de"));
    }

    #[test]
    fn writes_and_rereads_extension_elements() {
        let src = r#"<r xmlns="http://www.w3.org/2005/Atom" xmlns:s="http://status.net/schema/api/1/"><s:notice_info local_id="1" s:x="&quot;&#9;">a &amp; b<n xmlns="">c</n></s:notice_info></r>"#;
        let t = parse(src.as_bytes(), &lim()).unwrap();
        let el = t.root().children().next().unwrap().to_xml_element();
        let mut out = String::new();
        write_element(&mut out, &el, &mut Scope::atom_root());
        let wrapped = format!(r#"<r xmlns="http://www.w3.org/2005/Atom">{out}</r>"#);
        let t2 = parse(wrapped.as_bytes(), &lim()).unwrap();
        assert_eq!(t2.root().children().next().unwrap().to_xml_element(), el);
    }
}
