//! Shared JSON reading for the Pump.io and AS2 codecs: bounded parsing, and typed access
//! to `serde_json` values that reports errors with a JSON path (`$.object.tag[2].href`).

use serde_json::{Map, Value};

use super::{DecodeError, Limits, Location};

/// Parses `input` as JSON within `limits`; the root must be an object.
pub fn parse_object(input: &[u8], limits: &Limits) -> Result<Map<String, Value>, DecodeError> {
    let text = limits.check_text(input)?;
    limits.check_json_depth(text)?;
    let value: Value = serde_json::from_str(text).map_err(|e| DecodeError::Json {
        at: Location::LineCol {
            line: e.line(),
            col: e.column(),
        },
        reason: strip_position(&e.to_string()),
    })?;
    match value {
        Value::Object(m) => Ok(m),
        other => Err(DecodeError::WrongRoot {
            at: Location::Path("$".into()),
            expected: "a JSON object",
            found: kind_name(&other).into(),
        }),
    }
}

/// serde_json appends " at line L column C"; the location is reported separately.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg.get(..i).unwrap_or(msg).to_string(),
        None => msg.to_string(),
    }
}

/// A short name of a JSON value's kind, for messages.
pub fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A JSON path being walked, for error messages.
#[derive(Debug, Clone)]
pub struct Path(String);

impl Path {
    /// The document root, `$`.
    pub fn root() -> Path {
        Path("$".into())
    }

    /// The member `key` below this path.
    pub fn key(&self, key: &str) -> Path {
        Path(format!("{}.{key}", self.0))
    }

    /// The element `i` below this path.
    pub fn index(&self, i: usize) -> Path {
        Path(format!("{}[{i}]", self.0))
    }

    /// As an error location.
    pub fn at(&self) -> Location {
        Location::Path(self.0.clone())
    }

    /// An "expected X, found Y" error here.
    pub fn invalid(&self, expected: &str, found: &Value) -> DecodeError {
        DecodeError::Invalid {
            at: self.at(),
            reason: format!("expected {expected}, found {}", kind_name(found)),
        }
    }

    /// A "missing" error for `field` below this path.
    pub fn missing(&self, field: &'static str) -> DecodeError {
        DecodeError::Missing {
            at: self.key(field).at(),
            field,
        }
    }
}

/// Reads an optional member with `read`; null counts as absent. `read` returns what was
/// expected when the value does not fit, and the error names the path and the value found.
fn opt_member<T>(
    map: &Map<String, Value>,
    key: &str,
    path: &Path,
    read: impl FnOnce(&Value) -> Result<T, String>,
) -> Result<Option<T>, DecodeError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => read(v).map(Some).map_err(|expected| {
            // A number that does not fit is shown, so the reader sees what was wrong with it.
            let numeric = expected.contains("number") || expected.contains("integer");
            let found = match v {
                Value::Number(n) if numeric => n.to_string(),
                Value::String(s) if numeric => format!("{s:?}"),
                other => kind_name(other).to_string(),
            };
            DecodeError::Invalid {
                at: path.key(key).at(),
                reason: format!("expected {expected}, found {found}"),
            }
        }),
    }
}

/// Reads an optional string member; null counts as absent; any other kind is an error.
pub fn opt_str(
    map: &Map<String, Value>,
    key: &str,
    path: &Path,
) -> Result<Option<String>, DecodeError> {
    opt_member(map, key, path, |v| match v {
        Value::String(s) => Ok(s.clone()),
        _ => Err("a string".into()),
    })
}

/// Reads an optional boolean member (also accepts the strings `"true"`/`"false"`).
pub fn opt_bool(
    map: &Map<String, Value>,
    key: &str,
    path: &Path,
) -> Result<Option<bool>, DecodeError> {
    opt_member(map, key, path, |v| match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" => Ok(true),
        Value::String(s) if s == "false" => Ok(false),
        _ => Err("a boolean".into()),
    })
}

/// Reads an optional non-negative integer member (also accepts numeric strings).
pub fn opt_u64(
    map: &Map<String, Value>,
    key: &str,
    path: &Path,
) -> Result<Option<u64>, DecodeError> {
    opt_member(map, key, path, |v| {
        let n = match v {
            Value::Number(n) => n.as_u64().or_else(|| {
                n.as_f64()
                    .filter(|f| *f >= 0.0 && f.fract() == 0.0)
                    .map(|f| f as u64)
            }),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        n.ok_or_else(|| "a non-negative integer".into())
    })
}

/// Reads an optional number member (also accepts numeric strings, as Pixelfed sends).
pub fn opt_f64(
    map: &Map<String, Value>,
    key: &str,
    path: &Path,
) -> Result<Option<f64>, DecodeError> {
    opt_member(map, key, path, |v| {
        let n = match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        n.ok_or_else(|| "a number".into())
    })
}

/// A one-or-many value as a list of `(path, value)`; null and absent give an empty list.
pub fn one_or_many<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    path: &Path,
) -> Vec<(Path, &'a Value)> {
    match map.get(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (path.key(key).index(i), v))
            .collect(),
        Some(v) => vec![(path.key(key), v)],
    }
}

/// An id from a value that is a string id or an object with `id` (or, for links, `href`/`url`).
pub fn id_of(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        Value::Object(m) => ["id", "href", "url"]
            .iter()
            .find_map(|k| m.get(*k).and_then(Value::as_str)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_location() {
        let e = parse_object(b"{\n  \"a\": [1,\n}", &Limits::default()).unwrap_err();
        assert!(
            matches!(
                e,
                DecodeError::Json {
                    at: Location::LineCol { line: 3, .. },
                    ..
                }
            ),
            "{e}"
        );
        let e = parse_object(b"[1]", &Limits::default()).unwrap_err();
        assert_eq!(e.to_string(), "$: expected a JSON object, found an array");
        let m = parse_object(br#"{"o":{"n":5}}"#, &Limits::default()).unwrap();
        let o = m["o"].as_object().unwrap();
        let e = opt_str(o, "n", &Path::root().key("o")).unwrap_err();
        assert_eq!(e.to_string(), "$.o.n: expected a string, found a number");
    }
}
