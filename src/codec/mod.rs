//! One codec per wire format. Each has `decode(bytes, limits) -> Document` and
//! `encode(&Document) -> String`, and none knows about the others.

pub mod as2;
pub mod atom;
pub mod feed;
pub mod json;
pub mod limits;
pub mod pump;
pub mod xml;

use std::fmt;
use std::str::FromStr;

pub use limits::Limits;

use crate::model::Document;

/// Where in the input something went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// 1-based line and column in an XML document.
    LineCol {
        /// Line, from 1.
        line: usize,
        /// Column (in characters), from 1.
        col: usize,
    },
    /// A JSON path such as `$.object.tag[2].href`.
    Path(String),
    /// A byte offset (for encoding errors found before parsing).
    Byte(usize),
    /// The document as a whole.
    Document,
}

impl Location {
    /// The line and column of byte `offset` in `input`.
    pub fn from_offset(input: &[u8], offset: usize) -> Location {
        let upto = input.get(..offset.min(input.len())).unwrap_or(input);
        let line = upto.iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = upto
            .iter()
            .rposition(|b| *b == b'\n')
            .map(|p| p + 1)
            .unwrap_or(0);
        let col = String::from_utf8_lossy(upto.get(line_start..).unwrap_or_default())
            .chars()
            .count()
            + 1;
        Location::LineCol { line, col }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::LineCol { line, col } => write!(f, "{line}:{col}"),
            Location::Path(p) => f.write_str(p),
            Location::Byte(b) => write!(f, "byte {b}"),
            Location::Document => f.write_str("document"),
        }
    }
}

/// Why an input could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input is larger than the configured limit.
    #[error("input is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// Bytes read.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The input is not UTF-8.
    #[error("{at}: invalid UTF-8")]
    InvalidUtf8 {
        /// Where.
        at: Location,
    },
    /// A `<!DOCTYPE` declaration: refused, because entities must never be expanded.
    #[error("{at}: DOCTYPE declarations are not accepted (entity expansion is refused)")]
    Doctype {
        /// Where.
        at: Location,
    },
    /// Not well-formed XML.
    #[error("{at}: malformed XML: {reason}")]
    Xml {
        /// Where.
        at: Location,
        /// The parser's complaint.
        reason: String,
    },
    /// Not well-formed JSON.
    #[error("{at}: malformed JSON: {reason}")]
    Json {
        /// Where.
        at: Location,
        /// The parser's complaint.
        reason: String,
    },
    /// Nesting deeper than the limit.
    #[error("{at}: nested deeper than {limit} levels")]
    TooDeep {
        /// Where.
        at: Location,
        /// The limit.
        limit: usize,
    },
    /// Too many attributes or namespace declarations on one element.
    #[error("{at}: element has more than {limit} attributes")]
    TooManyAttributes {
        /// Where.
        at: Location,
        /// The limit.
        limit: usize,
    },
    /// The document is well-formed but is not what this codec reads.
    #[error("{at}: expected {expected}, found {found}")]
    WrongRoot {
        /// Where.
        at: Location,
        /// What the codec reads.
        expected: &'static str,
        /// What the input has.
        found: String,
    },
    /// A required field is absent.
    #[error("{at}: missing {field}")]
    Missing {
        /// Where.
        at: Location,
        /// What is missing.
        field: &'static str,
    },
    /// A field has the wrong shape.
    #[error("{at}: {reason}")]
    Invalid {
        /// Where.
        at: Location,
        /// What is wrong.
        reason: String,
    },
    /// The format could not be recognised.
    #[error("cannot tell the input format: {0}")]
    UnknownFormat(String),
}

impl DecodeError {
    /// Where the error is, when known.
    pub fn location(&self) -> Option<&Location> {
        match self {
            DecodeError::TooLarge { .. } | DecodeError::UnknownFormat(_) => None,
            DecodeError::InvalidUtf8 { at }
            | DecodeError::Doctype { at }
            | DecodeError::Xml { at, .. }
            | DecodeError::Json { at, .. }
            | DecodeError::TooDeep { at, .. }
            | DecodeError::TooManyAttributes { at, .. }
            | DecodeError::WrongRoot { at, .. }
            | DecodeError::Missing { at, .. }
            | DecodeError::Invalid { at, .. } => Some(at),
        }
    }
}

/// The wire formats the bridge reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Atom 1.0 with Activity Streams 1.0 extensions (OStatus).
    Atom,
    /// Activity Streams 1.0 JSON as Pump.io speaks it.
    Pump,
    /// Activity Streams 2.0 JSON-LD (ActivityPub).
    As2,
    /// Plain RSS, Atom or JSON Feed (read only).
    Feed,
}

impl Format {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Atom => "atom",
            Format::Pump => "pump",
            Format::As2 => "as2",
            Format::Feed => "feed",
        }
    }

    /// True for formats the bridge can write.
    pub fn can_encode(self) -> bool {
        !matches!(self, Format::Feed)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "atom" | "ostatus" => Ok(Format::Atom),
            "pump" | "as1" | "pump.io" => Ok(Format::Pump),
            "as2" | "activitypub" | "ap" => Ok(Format::As2),
            "feed" | "rss" | "jsonfeed" => Ok(Format::Feed),
            other => Err(format!(
                "unknown format {other:?} (expected atom, pump, as2 or feed)"
            )),
        }
    }
}

/// Decodes `input` in `format`.
pub fn decode(format: Format, input: &[u8], limits: &Limits) -> Result<Document, DecodeError> {
    match format {
        Format::Atom => atom::decode(input, limits),
        Format::Pump => pump::decode(input, limits),
        Format::As2 => as2::decode(input, limits),
        Format::Feed => feed::decode(input, limits),
    }
}

/// Encodes `doc` in `format`; `None` for read-only formats.
pub fn encode(format: Format, doc: &Document) -> Option<String> {
    match format {
        Format::Atom => Some(atom::encode(doc)),
        Format::Pump => Some(pump::encode(doc)),
        Format::As2 => Some(as2::encode(doc)),
        Format::Feed => None,
    }
}

/// Namespaces whose presence marks Atom as OStatus / AS1 rather than a plain blog feed.
const AS1_MARKERS: &[&str] = &[
    "http://activitystrea.ms/spec/1.0",
    "http://ostatus.org/schema/1.0",
    "http://salmon-protocol.org/ns/magic-env",
];

/// Guesses the format from the first bytes: XML with AS1 namespaces is `atom`, other XML is
/// `feed`; JSON with `@context` or an AS2 `type` is `as2`, with `verb`/`objectType` is `pump`,
/// with a JSON Feed `version` is `feed`.
pub fn detect(input: &[u8]) -> Result<Format, DecodeError> {
    let head = input.get(..input.len().min(64 * 1024)).unwrap_or(input);
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('<') {
        if AS1_MARKERS.iter().any(|m| text.contains(m)) {
            return Ok(Format::Atom);
        }
        return Ok(Format::Feed);
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        if text.contains("\"https://jsonfeed.org/version/") {
            return Ok(Format::Feed);
        }
        if text.contains("\"@context\"") {
            return Ok(Format::As2);
        }
        if text.contains("\"verb\"") || text.contains("\"objectType\"") {
            return Ok(Format::Pump);
        }
        if text.contains("\"type\"") {
            return Ok(Format::As2);
        }
        return Err(DecodeError::UnknownFormat(
            "JSON without @context, type, verb or objectType".into(),
        ));
    }
    Err(DecodeError::UnknownFormat(
        "neither XML nor JSON (pass --from)".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_to_line_col() {
        let s = b"ab\ncd\nef";
        assert_eq!(
            Location::from_offset(s, 4),
            Location::LineCol { line: 2, col: 2 }
        );
        assert_eq!(
            Location::from_offset(s, 0),
            Location::LineCol { line: 1, col: 1 }
        );
    }

    #[test]
    fn detects_formats() {
        assert_eq!(
            detect(br#"<feed xmlns:activity="http://activitystrea.ms/spec/1.0/">"#),
            Ok(Format::Atom)
        );
        assert_eq!(detect(b"<rss version=\"2.0\">"), Ok(Format::Feed));
        assert_eq!(
            detect(br#"{"@context":"https://www.w3.org/ns/activitystreams"}"#),
            Ok(Format::As2)
        );
        assert_eq!(detect(br#"{"verb":"post"}"#), Ok(Format::Pump));
        assert_eq!(
            detect(br#"{"version":"https://jsonfeed.org/version/1.1"}"#),
            Ok(Format::Feed)
        );
        assert!(detect(b"hello").is_err());
    }
}
