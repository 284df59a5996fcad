//! The part of RFC 8941 Structured Field Values that RFC 9421 and RFC 9530 headers use:
//! dictionaries whose members are items or inner lists, with parameters; bare items of
//! every kind. Parsing follows RFC 8941 §4.2 (strict: no trailing commas, printable-ASCII
//! strings), serialisation §4.1 (canonical, so a parsed `Signature-Input` member
//! re-serialises to the `@signature-params` line).

use std::fmt;

use base64::Engine;

use crate::crypto::pem::B64;

/// A bare item (RFC 8941 §3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BareItem {
    /// An integer of at most 15 digits.
    Integer(i64),
    /// A decimal, kept as its canonical text (we never compute with one).
    Decimal(String),
    /// A quoted string (printable ASCII).
    String(String),
    /// A token such as `sha-256` or `application/json`.
    Token(String),
    /// A byte sequence `:base64:`.
    ByteSeq(Vec<u8>),
    /// `?1` / `?0`.
    Boolean(bool),
}

/// Ordered parameters `;key=value`; a key given twice keeps its last value.
pub type Params = Vec<(String, BareItem)>;

/// An item: a bare item and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The value.
    pub value: BareItem,
    /// Its parameters.
    pub params: Params,
}

/// An inner list `(a b c);params`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InnerList {
    /// The items, in order.
    pub items: Vec<Item>,
    /// The list's own parameters.
    pub params: Params,
}

/// A dictionary member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member {
    /// A single item.
    Item(Item),
    /// An inner list.
    InnerList(InnerList),
}

impl Member {
    /// The bare item of a single-item member.
    pub fn as_item(&self) -> Option<&BareItem> {
        match self {
            Member::Item(i) => Some(&i.value),
            Member::InnerList(_) => None,
        }
    }
}

/// An ordered dictionary; a key given twice keeps its first position and last value.
pub type Dictionary = Vec<(String, Member)>;

/// Why a structured field did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SfvError {
    /// Byte offset in the field value.
    pub at: usize,
    /// What was expected or wrong.
    pub what: &'static str,
}

impl fmt::Display for SfvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.what, self.at)
    }
}

impl std::error::Error for SfvError {}

/// Parses a dictionary field value (e.g. `Signature-Input`, `Signature`, `Content-Digest`).
pub fn parse_dictionary(input: &str) -> Result<Dictionary, SfvError> {
    let mut p = Parser {
        s: input.as_bytes(),
        i: 0,
    };
    p.skip_sp();
    let mut dict: Dictionary = Vec::new();
    if p.at_end() {
        return Ok(dict);
    }
    loop {
        let key = p.key()?;
        let member = if p.eat(b'=') {
            p.item_or_inner_list()?
        } else {
            Member::Item(Item {
                value: BareItem::Boolean(true),
                params: p.params()?,
            })
        };
        set(&mut dict, key, member);
        p.skip_ows();
        if p.at_end() {
            return Ok(dict);
        }
        if !p.eat(b',') {
            return Err(p.err("expected ',' between dictionary members"));
        }
        p.skip_ows();
        if p.at_end() {
            return Err(p.err("trailing ','"));
        }
    }
}

/// Parses a single inner list such as the value part of a `Signature-Input` member (used to
/// read a component list on its own).
pub fn parse_inner_list(input: &str) -> Result<InnerList, SfvError> {
    let mut p = Parser {
        s: input.as_bytes(),
        i: 0,
    };
    p.skip_sp();
    let list = p.inner_list()?;
    p.skip_sp();
    if !p.at_end() {
        return Err(p.err("trailing characters"));
    }
    Ok(list)
}

fn set<V>(list: &mut Vec<(String, V)>, key: String, value: V) {
    match list.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => list.push((key, value)),
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn err(&self, what: &'static str) -> SfvError {
        SfvError { at: self.i, what }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn skip_sp(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    fn key(&mut self) -> Result<String, SfvError> {
        match self.peek() {
            Some(c) if c.is_ascii_lowercase() || c == b'*' => {}
            _ => return Err(self.err("expected a key (lowercase letter or '*')")),
        }
        let start = self.i;
        while let Some(c) = self.peek() {
            if c.is_ascii_lowercase()
                || c.is_ascii_digit()
                || matches!(c, b'_' | b'-' | b'.' | b'*')
            {
                self.i += 1;
            } else {
                break;
            }
        }
        Ok(String::from_utf8_lossy(self.s.get(start..self.i).unwrap_or_default()).into_owned())
    }

    fn item_or_inner_list(&mut self) -> Result<Member, SfvError> {
        if self.peek() == Some(b'(') {
            Ok(Member::InnerList(self.inner_list()?))
        } else {
            Ok(Member::Item(self.item()?))
        }
    }

    fn inner_list(&mut self) -> Result<InnerList, SfvError> {
        if !self.eat(b'(') {
            return Err(self.err("expected '('"));
        }
        let mut items = Vec::new();
        loop {
            self.skip_sp();
            if self.eat(b')') {
                let params = self.params()?;
                return Ok(InnerList { items, params });
            }
            items.push(self.item()?);
            match self.peek() {
                Some(b' ' | b')') => {}
                _ => return Err(self.err("expected ' ' or ')' in inner list")),
            }
        }
    }

    fn item(&mut self) -> Result<Item, SfvError> {
        let value = self.bare_item()?;
        let params = self.params()?;
        Ok(Item { value, params })
    }

    fn params(&mut self) -> Result<Params, SfvError> {
        let mut params: Params = Vec::new();
        while self.eat(b';') {
            self.skip_sp();
            let key = self.key()?;
            let value = if self.eat(b'=') {
                self.bare_item()?
            } else {
                BareItem::Boolean(true)
            };
            set(&mut params, key, value);
        }
        Ok(params)
    }

    fn bare_item(&mut self) -> Result<BareItem, SfvError> {
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'"') => self.string(),
            Some(b':') => self.byte_seq(),
            Some(b'?') => self.boolean(),
            Some(c) if c.is_ascii_alphabetic() || c == b'*' => self.token(),
            _ => Err(self.err("expected an item")),
        }
    }

    fn number(&mut self) -> Result<BareItem, SfvError> {
        let negative = self.eat(b'-');
        let start = self.i;
        let mut dot: Option<usize> = None;
        while let Some(c) = self.peek() {
            if c.is_ascii_digit() {
                self.i += 1;
            } else if c == b'.' && dot.is_none() {
                dot = Some(self.i);
                self.i += 1;
            } else {
                break;
            }
            let len = self.i - start;
            if (dot.is_none() && len > 15) || len > 16 {
                return Err(self.err("number too long"));
            }
        }
        let text = std::str::from_utf8(self.s.get(start..self.i).unwrap_or_default())
            .map_err(|_| self.err("bad number"))?;
        if text.is_empty() || text.starts_with('.') {
            return Err(self.err("expected a digit"));
        }
        match dot {
            None => {
                let v: i64 = text.parse().map_err(|_| self.err("bad integer"))?;
                Ok(BareItem::Integer(if negative { -v } else { v }))
            }
            Some(d) => {
                let int_len = d - start;
                let frac = text.get(int_len + 1..).unwrap_or_default();
                if int_len > 12 || frac.is_empty() || frac.len() > 3 {
                    return Err(self.err("bad decimal"));
                }
                let int = text.get(..int_len).unwrap_or_default();
                let frac = frac.trim_end_matches('0');
                let frac = if frac.is_empty() { "0" } else { frac };
                let sign = if negative { "-" } else { "" };
                Ok(BareItem::Decimal(format!("{sign}{int}.{frac}")))
            }
        }
    }

    fn string(&mut self) -> Result<BareItem, SfvError> {
        self.i += 1; // opening quote
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(BareItem::String(out));
                }
                Some(b'\\') => {
                    self.i += 1;
                    match self.peek() {
                        Some(c @ (b'"' | b'\\')) => {
                            out.push(char::from(c));
                            self.i += 1;
                        }
                        _ => return Err(self.err("bad escape in string")),
                    }
                }
                Some(c @ 0x20..=0x7e) => {
                    out.push(char::from(c));
                    self.i += 1;
                }
                Some(_) => return Err(self.err("non-printable character in string")),
            }
        }
    }

    fn token(&mut self) -> Result<BareItem, SfvError> {
        let start = self.i;
        self.i += 1;
        while let Some(c) = self.peek() {
            let tchar = c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~:/".contains(&c);
            if !tchar {
                break;
            }
            self.i += 1;
        }
        Ok(BareItem::Token(
            String::from_utf8_lossy(self.s.get(start..self.i).unwrap_or_default()).into_owned(),
        ))
    }

    fn byte_seq(&mut self) -> Result<BareItem, SfvError> {
        self.i += 1; // opening colon
        let start = self.i;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=') {
                self.i += 1;
            } else {
                break;
            }
        }
        let body = self.s.get(start..self.i).unwrap_or_default();
        if !self.eat(b':') {
            return Err(self.err("unterminated byte sequence"));
        }
        B64.decode(body)
            .map(BareItem::ByteSeq)
            .map_err(|_| SfvError {
                at: start,
                what: "byte sequence is not base64",
            })
    }

    fn boolean(&mut self) -> Result<BareItem, SfvError> {
        self.i += 1;
        match self.peek() {
            Some(b'1') => {
                self.i += 1;
                Ok(BareItem::Boolean(true))
            }
            Some(b'0') => {
                self.i += 1;
                Ok(BareItem::Boolean(false))
            }
            _ => Err(self.err("expected ?0 or ?1")),
        }
    }
}

/// Canonical text of a bare item.
pub fn serialize_bare_item(item: &BareItem, out: &mut String) {
    match item {
        BareItem::Integer(v) => out.push_str(&v.to_string()),
        BareItem::Decimal(d) => out.push_str(d),
        BareItem::String(s) => {
            out.push('"');
            for c in s.chars() {
                if c == '"' || c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
        }
        BareItem::Token(t) => out.push_str(t),
        BareItem::ByteSeq(b) => {
            out.push(':');
            out.push_str(&B64.encode(b));
            out.push(':');
        }
        BareItem::Boolean(b) => out.push_str(if *b { "?1" } else { "?0" }),
    }
}

/// Canonical text of parameters (`;key` for a true boolean, `;key=value` otherwise).
pub fn serialize_params(params: &Params, out: &mut String) {
    for (k, v) in params {
        out.push(';');
        out.push_str(k);
        if *v != BareItem::Boolean(true) {
            out.push('=');
            serialize_bare_item(v, out);
        }
    }
}

/// Canonical text of an item.
pub fn serialize_item(item: &Item, out: &mut String) {
    serialize_bare_item(&item.value, out);
    serialize_params(&item.params, out);
}

/// Canonical text of an inner list.
pub fn serialize_inner_list(list: &InnerList, out: &mut String) {
    out.push('(');
    for (i, item) in list.items.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        serialize_item(item, out);
    }
    out.push(')');
    serialize_params(&list.params, out);
}

/// Canonical text of a dictionary member value.
pub fn serialize_member(member: &Member, out: &mut String) {
    match member {
        Member::Item(i) => serialize_item(i, out),
        Member::InnerList(l) => serialize_inner_list(l, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ser(m: &Member) -> String {
        let mut s = String::new();
        serialize_member(m, &mut s);
        s
    }

    #[test]
    fn signature_input_round_trips() {
        let text = r#"sig-b22=("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;keyid="test-key-rsa-pss";tag="header-example""#;
        let d = parse_dictionary(text).unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].0, "sig-b22");
        assert_eq!(format!("{}={}", d[0].0, ser(&d[0].1)), text);
    }

    #[test]
    fn items_of_every_kind() {
        let d = parse_dictionary(
            "a=1, b=-2.50, c=\"q\\\"\\\\\", d=tok/en:x, e=:AQID:, f=?0, g, h;x;y=2, i=()",
        )
        .unwrap();
        let v: Vec<_> = d.iter().map(|(_, m)| m.clone()).collect();
        assert_eq!(v[0].as_item(), Some(&BareItem::Integer(1)));
        assert_eq!(v[1].as_item(), Some(&BareItem::Decimal("-2.5".into())));
        assert_eq!(v[2].as_item(), Some(&BareItem::String("q\"\\".into())));
        assert_eq!(v[3].as_item(), Some(&BareItem::Token("tok/en:x".into())));
        assert_eq!(v[4].as_item(), Some(&BareItem::ByteSeq(vec![1, 2, 3])));
        assert_eq!(v[5].as_item(), Some(&BareItem::Boolean(false)));
        assert_eq!(v[6].as_item(), Some(&BareItem::Boolean(true)));
        assert_eq!(ser(&v[7]), "?1;x;y=2");
        assert_eq!(ser(&v[8]), "()");
        assert_eq!(ser(&v[2]), "\"q\\\"\\\\\"");
    }

    #[test]
    fn duplicates_keep_the_last_value() {
        let d = parse_dictionary("a=1, b=2, a=3").unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0], ("a".into(), d[0].1.clone()));
        assert_eq!(d[0].1.as_item(), Some(&BareItem::Integer(3)));
    }

    #[test]
    fn refusals() {
        for bad in [
            "a=1,",
            "A=1",
            "a=\"unterminated",
            "a=\"\u{e9}\"",
            "a=:not base64:",
            "a=:QQ==",
            "a=(1 2",
            "a=(1,2)",
            "a=1 b=2",
            "a=?2",
            "a=1234567890123456",
            "a=1.2345",
            "a=@",
            "a=\"x\\n\"",
        ] {
            assert!(parse_dictionary(bad).is_err(), "{bad:?} should not parse");
        }
        assert_eq!(parse_dictionary("  ").unwrap(), Vec::new());
        assert!(parse_inner_list("(\"a\" \"b\");x=1").is_ok());
        assert!(parse_inner_list("(\"a\") junk").is_err());
    }
}
