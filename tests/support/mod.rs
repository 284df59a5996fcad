//! Helpers shared by the acceptance tests: fixtures, Salmon payloads, translation exactly as
//! the CLI runs it, and small readers for AS2 JSON.
#![allow(dead_code)]

use std::path::PathBuf;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use ostatus_bridge::codec::{Format, Limits};
use ostatus_bridge::translate::{Options, translate};
use serde_json::Value;

/// The AS2 Public collection, as the AS2 encoder writes it.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
/// The base URL the acceptance tests mint ids under.
pub const BASE: &str = "https://bridge.example";

/// The bytes of `fixtures/<rel>`.
pub fn fixture(rel: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The Atom payload of a Salmon envelope: the `me:data` text, whitespace removed,
/// base64url-decoded with or without padding.
pub fn salmon_payload(rel: &str) -> Vec<u8> {
    let xml = String::from_utf8(fixture(rel)).expect("envelope is UTF-8");
    let start = xml.find("<me:data").expect("me:data element");
    let open_end = start + xml[start..].find('>').expect("end of me:data tag") + 1;
    let close = open_end + xml[open_end..].find("</me:data>").expect("closing me:data");
    let text: String = xml[open_end..close]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let engine = GeneralPurpose::new(
        &alphabet::URL_SAFE,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    engine.decode(text.as_bytes()).expect("base64url payload")
}

/// Options exactly as `ostatus-bridge translate --from <from> --to <to> --base-url
/// https://bridge.example` builds them (default limits, sanitising on).
pub fn options(from: Format, to: Format) -> Options {
    Options {
        from: Some(from),
        to,
        base_url: url::Url::parse(BASE).expect("base url"),
        limits: Limits::default(),
        sanitize: true,
    }
}

/// Translates `input` and returns the output text.
pub fn run(input: &[u8], from: Format, to: Format) -> String {
    let (_, out) = translate(input, &options(from, to))
        .unwrap_or_else(|e| panic!("translate {from:?} -> {to:?} failed: {e}"));
    out
}

/// Atom → AS2, parsed.
pub fn atom_to_as2(input: &[u8]) -> Value {
    let out = run(input, Format::Atom, Format::As2);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("AS2 output is not JSON: {e}\n{out}"))
}

/// The id of a JSON-LD node given as a bare id or as an object with `id`.
pub fn id_of(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        Value::Object(m) => m.get("id").and_then(Value::as_str),
        Value::Array(a) => a.first().and_then(id_of),
        _ => None,
    }
}

/// `v[key]` as a list of ids (a single value counts as a list of one).
pub fn ids(v: &Value, key: &str) -> Vec<String> {
    match v.get(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.iter().filter_map(id_of).map(str::to_string).collect(),
        Some(other) => id_of(other).map(str::to_string).into_iter().collect(),
    }
}

/// `v[key]` as a string.
pub fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// The `tag` entries of type `kind`, as `(href, name)` pairs.
pub fn tags(v: &Value, kind: &str) -> Vec<(Option<String>, Option<String>)> {
    v.get("tag")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter(|t| str_of(t, "type") == Some(kind))
                .map(|t| {
                    (
                        str_of(t, "href").map(str::to_string),
                        str_of(t, "name").map(str::to_string),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The entries of a collection (`orderedItems` or `items`).
pub fn items(v: &Value) -> &Vec<Value> {
    v.get("orderedItems")
        .or_else(|| v.get("items"))
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("no items in {v:#}"))
}
