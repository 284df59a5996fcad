//! PEM armour (RFC 7468) and the lenient base64 engines the bridge reads peers' keys and
//! signatures with. PEM is only "base64 between two marker lines", so it is written here
//! rather than pulled in as a crate.

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::KeyError;

/// Standard base64 (RFC 4648 §4): writes padding, reads with or without it.
pub(crate) const B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// base64url (RFC 4648 §5): writes padding (what GNU social and Mastodon emit, PROTOCOLS.md
/// §5.2), reads with or without it (magic keys appear both ways, §5.6).
pub(crate) const B64URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes base64 (standard alphabet) after dropping every ASCII whitespace character.
pub(crate) fn decode_b64(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    B64.decode(compact.as_bytes()).ok()
}

/// Decodes base64url after dropping every ASCII whitespace character.
pub(crate) fn decode_b64url(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    B64URL.decode(compact.as_bytes()).ok()
}

/// The label and DER bytes of the first PEM block in `text`.
pub(crate) fn decode(text: &str) -> Result<(String, Vec<u8>), KeyError> {
    const BEGIN: &str = "-----BEGIN ";
    const DASHES: &str = "-----";
    let start = text.find(BEGIN).ok_or(KeyError::Pem("no BEGIN line"))?;
    let after_begin = text.get(start + BEGIN.len()..).unwrap_or_default();
    let label_end = after_begin
        .find(DASHES)
        .ok_or(KeyError::Pem("unterminated BEGIN line"))?;
    let label = after_begin.get(..label_end).unwrap_or_default();
    if label.contains(['\n', '\r']) {
        return Err(KeyError::Pem("unterminated BEGIN line"));
    }
    let body_and_rest = after_begin
        .get(label_end + DASHES.len()..)
        .unwrap_or_default();
    let end_marker = format!("-----END {label}-----");
    let body_end = body_and_rest
        .find(&end_marker)
        .ok_or(KeyError::Pem("no matching END line"))?;
    let body = body_and_rest.get(..body_end).unwrap_or_default();
    if body.contains(':') {
        // RFC 1421 headers such as `Proc-Type: 4,ENCRYPTED`: an encrypted key.
        return Err(KeyError::Pem("encrypted or annotated PEM is not supported"));
    }
    let der = decode_b64(body).ok_or(KeyError::Pem("body is not base64"))?;
    if der.is_empty() {
        return Err(KeyError::Pem("empty body"));
    }
    Ok((label.to_string(), der))
}

/// PEM text for `der` under `label`: 64-column lines and a final newline, as OpenSSL and
/// Mastodon write it.
pub(crate) fn encode(label: &str, der: &[u8]) -> String {
    let b64 = B64.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 2 * label.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    // base64 output is ASCII, so splitting on byte boundaries is safe.
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let der: Vec<u8> = (0u8..=200).collect();
        let text = encode("PUBLIC KEY", &der);
        assert!(text.lines().all(|l| l.len() <= 64));
        assert_eq!(decode(&text), Ok(("PUBLIC KEY".to_string(), der.clone())));
        // CRLF line ends and leading junk are fine.
        let crlf = format!("junk\r\n{}", text.replace('\n', "\r\n"));
        assert_eq!(decode(&crlf), Ok(("PUBLIC KEY".to_string(), der)));
        assert!(decode("").is_err());
        assert!(decode("-----BEGIN X-----\nAAAA\n").is_err());
        assert!(decode("-----BEGIN X-----\nAA!A\n-----END X-----").is_err());
        assert!(decode("-----BEGIN X-----\n-----END X-----").is_err());
        assert!(decode("-----BEGIN X\n").is_err());
        assert!(
            decode("-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\nAAAA\n-----END X-----").is_err()
        );
    }
}
