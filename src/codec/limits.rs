//! Bounds on what a decoder accepts, checked before and while parsing, so hostile input
//! costs bounded time and memory.

use super::{DecodeError, Location};

/// Decoder limits; every codec takes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest input in bytes (default 16 MiB).
    pub max_bytes: usize,
    /// Deepest nesting of JSON values or XML elements (default 64).
    pub max_depth: usize,
    /// Most attributes (namespace declarations included) on one XML element (default 64).
    pub max_attributes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 16 * 1024 * 1024,
            max_depth: 64,
            max_attributes: 64,
        }
    }
}

impl Limits {
    /// Checks size and UTF-8; returns the input as text, a leading BOM removed.
    pub fn check_text<'a>(&self, input: &'a [u8]) -> Result<&'a str, DecodeError> {
        if input.len() > self.max_bytes {
            return Err(DecodeError::TooLarge {
                size: input.len(),
                limit: self.max_bytes,
            });
        }
        let text = std::str::from_utf8(input).map_err(|e| DecodeError::InvalidUtf8 {
            at: Location::from_offset(input, e.valid_up_to()),
        })?;
        Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
    }

    /// Fails when JSON brackets nest deeper than `max_depth` (checked before parsing, so a
    /// hostile document never reaches the recursive parser).
    pub fn check_json_depth(&self, text: &str) -> Result<(), DecodeError> {
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        for (i, b) in text.bytes().enumerate() {
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => {
                    depth += 1;
                    if depth > self.max_depth {
                        return Err(DecodeError::TooDeep {
                            at: Location::from_offset(text.as_bytes(), i),
                            limit: self.max_depth,
                        });
                    }
                }
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                }
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_utf8_and_depth() {
        let l = Limits {
            max_bytes: 10,
            max_depth: 3,
            max_attributes: 4,
        };
        assert!(matches!(
            l.check_text(b"01234567890"),
            Err(DecodeError::TooLarge {
                size: 11,
                limit: 10
            })
        ));
        assert!(matches!(
            l.check_text(b"ab\xffcd"),
            Err(DecodeError::InvalidUtf8 { .. })
        ));
        assert_eq!(l.check_text("\u{feff}{}".as_bytes()), Ok("{}"));
        assert!(l.check_json_depth("[[[1]]]").is_ok());
        assert!(matches!(
            l.check_json_depth("[[[[1]]]]"),
            Err(DecodeError::TooDeep { limit: 3, .. })
        ));
        // Brackets inside strings do not count.
        assert!(l.check_json_depth(r#"["[[[[\"[["]"#).is_ok());
    }
}
