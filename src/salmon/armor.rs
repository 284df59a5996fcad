//! Base64url armoring of Magic Envelope fields (PROTOCOLS.md §5.2).
//!
//! Reading is lenient because every variant is deployed: padded or not, the URL-safe
//! alphabet (`-_`) or the standard one (`+/`), whitespace anywhere (producers may wrap lines
//! after signing), and non-zero trailing bits (PHP's decoder ignores them). Writing is what
//! GNU social and Mastodon verify: URL-safe *with* `=` padding.

use std::borrow::Cow;

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// URL-safe, padded on output, padding optional on input, trailing bits tolerated.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// URL-safe without padding (Friendica's second signing attempt strips every `=`).
const UNPADDED: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_encode_padding(false),
);

/// The characters producers may insert anywhere: 0x09–0x0D and space.
fn is_armor_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r' | ' ')
}

/// `text` without whitespace: the armored value *as transmitted*, which is what the signing
/// text is built from. Borrowed when there was nothing to remove.
pub fn compact(text: &str) -> Cow<'_, str> {
    if text.contains(is_armor_space) {
        Cow::Owned(text.chars().filter(|c| !is_armor_space(*c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// Decodes base64url or base64, padded or not, ignoring whitespace; `None` when it is
/// neither.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let compact = compact(text);
    let trimmed = compact.trim_end_matches('=');
    if trimmed.len() + 3 < compact.len() {
        // More than three `=` is not padding.
        return None;
    }
    let normal: Cow<'_, str> = if trimmed.contains(['+', '/']) {
        Cow::Owned(trimmed.replace('+', "-").replace('/', "_"))
    } else {
        Cow::Borrowed(trimmed)
    };
    LENIENT.decode(normal.as_bytes()).ok()
}

/// Base64url with `=` padding: what the bridge writes in envelopes.
pub fn encode(bytes: &[u8]) -> String {
    LENIENT.encode(bytes)
}

/// Base64url without padding.
pub fn encode_unpadded(bytes: &[u8]) -> String {
    UNPADDED.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_deployed_spelling_decodes() {
        let bytes = b"Not really Atom\xfb\xff";
        let padded = encode(bytes);
        assert_eq!(padded, "Tm90IHJlYWxseSBBdG9t-_8=");
        assert_eq!(encode_unpadded(bytes), "Tm90IHJlYWxseSBBdG9t-_8");
        for text in [
            "Tm90IHJlYWxseSBBdG9t-_8=",
            "Tm90IHJlYWxseSBBdG9t-_8",
            "Tm90IHJlYWxseSBBdG9t+/8=",
            "Tm90IHJlYWxse\n SBBdG9t\t-_8\r\n=",
        ] {
            assert_eq!(decode(text).as_deref(), Some(&bytes[..]), "{text:?}");
        }
        // Trailing bits that are not zero (PHP ignores them).
        assert_eq!(decode("QR").as_deref(), Some(&b"A"[..]));
        assert_eq!(decode("").as_deref(), Some(&b""[..]));
        assert!(decode("Tm9!").is_none());
        assert!(decode("QQ====").is_none());
        assert!(decode("Q").is_none());
    }

    #[test]
    fn compact_keeps_the_transmitted_characters() {
        assert_eq!(compact(" a b\nc=\t"), "abc=");
        assert!(matches!(compact("abc"), Cow::Borrowed("abc")));
    }
}
