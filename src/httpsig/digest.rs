//! Body digests: RFC 3230 `Digest: SHA-256=<b64>` (paired with cavage signatures) and
//! RFC 9530 `Content-Digest: sha-256=:<b64>:` (paired with RFC 9421), PROTOCOLS.md §11.3,
//! §12.6 and trap 26. Both are computed over the body bytes exactly as sent.

use base64::Engine;

use super::Error;
use super::sfv::{self, BareItem};
use crate::crypto::{pem::B64, sha256, sha512};

/// `Digest` header value for `body`: `SHA-256=<base64>` (the token spelling Mastodon sends).
pub fn digest_header(body: &[u8]) -> String {
    format!("SHA-256={}", B64.encode(sha256(body)))
}

/// `Content-Digest` header value for `body`: `sha-256=:<base64>:`.
pub fn content_digest_header(body: &[u8]) -> String {
    format!("sha-256=:{}:", B64.encode(sha256(body)))
}

/// The hash of `body` under a digest algorithm name we know (`sha-256`, `sha-512`,
/// case-insensitive), or `None`.
fn hash(alg: &str, body: &[u8]) -> Option<Vec<u8>> {
    if alg.eq_ignore_ascii_case("sha-256") {
        Some(sha256(body).to_vec())
    } else if alg.eq_ignore_ascii_case("sha-512") {
        Some(sha512(body).to_vec())
    } else {
        None
    }
}

/// Checks an RFC 3230 `Digest` header against `body`.
///
/// The header may list several `alg=value` pairs; every pair whose algorithm we know
/// (SHA-256, SHA-512) must match, and there must be at least one.
pub fn check_digest(header: &str, body: &[u8]) -> Result<(), Error> {
    let mut checked = false;
    let mut unknown = Vec::new();
    for pair in header.split(',') {
        let pair = pair.trim();
        if pair.is_empty() {
            continue;
        }
        let (alg, value) = pair.split_once('=').ok_or_else(|| Error::Malformed {
            what: "Digest header: an entry without '='".into(),
        })?;
        let alg = alg.trim();
        match hash(alg, body) {
            Some(expected) => {
                let got =
                    crate::crypto::pem::decode_b64(value).ok_or_else(|| Error::Malformed {
                        what: format!("Digest header: {alg} value is not base64"),
                    })?;
                if got != expected {
                    return Err(Error::DigestMismatch);
                }
                checked = true;
            }
            None => unknown.push(alg.to_string()),
        }
    }
    if checked {
        Ok(())
    } else {
        Err(Error::UnsupportedAlgorithm {
            alg: format!("Digest {}", unknown.join(", ")),
        })
    }
}

/// Checks an RFC 9530 `Content-Digest` header (a structured-field dictionary of byte
/// sequences) against `body`, with the same rule as [`check_digest`].
pub fn check_content_digest(header: &str, body: &[u8]) -> Result<(), Error> {
    let dict = sfv::parse_dictionary(header).map_err(|e| Error::Malformed {
        what: format!("Content-Digest header: {e}"),
    })?;
    let mut checked = false;
    let mut unknown = Vec::new();
    for (alg, member) in &dict {
        match hash(alg, body) {
            Some(expected) => {
                let got = match member.as_item() {
                    Some(BareItem::ByteSeq(b)) => b,
                    _ => {
                        return Err(Error::Malformed {
                            what: format!("Content-Digest header: {alg} is not a byte sequence"),
                        });
                    }
                };
                if *got != expected {
                    return Err(Error::DigestMismatch);
                }
                checked = true;
            }
            None => unknown.push(alg.clone()),
        }
    }
    if checked {
        Ok(())
    } else {
        Err(Error::UnsupportedAlgorithm {
            alg: format!("Content-Digest {}", unknown.join(", ")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"hello": "world"}"#;

    #[test]
    fn builds_the_published_values() {
        assert_eq!(
            digest_header(BODY),
            "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
        );
        assert_eq!(
            content_digest_header(BODY),
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
        );
    }

    #[test]
    fn checks_digest() {
        assert_eq!(check_digest(&digest_header(BODY), BODY), Ok(()));
        // Token case-insensitive (Mastodon's docs write `sha-256=`), extra entries ignored.
        assert_eq!(
            check_digest(
                "MD5=abc, sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
                BODY
            ),
            Ok(())
        );
        assert_eq!(
            check_digest(&digest_header(b"other"), BODY),
            Err(Error::DigestMismatch)
        );
        assert!(matches!(
            check_digest("MD5=abc", BODY),
            Err(Error::UnsupportedAlgorithm { .. })
        ));
        assert!(matches!(
            check_digest("SHA-256", BODY),
            Err(Error::Malformed { .. })
        ));
        assert!(matches!(
            check_digest("SHA-256=!!", BODY),
            Err(Error::Malformed { .. })
        ));
    }

    #[test]
    fn checks_content_digest() {
        assert_eq!(
            check_content_digest(&content_digest_header(BODY), BODY),
            Ok(())
        );
        // RFC 9421's test request carries a sha-512 digest.
        assert_eq!(
            check_content_digest(
                "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
                BODY
            ),
            Ok(())
        );
        assert_eq!(
            check_content_digest(&content_digest_header(b"x"), BODY),
            Err(Error::DigestMismatch)
        );
        assert!(matches!(
            check_content_digest("md5=:AAAA:", BODY),
            Err(Error::UnsupportedAlgorithm { .. })
        ));
        assert!(matches!(
            check_content_digest("sha-256=\"X48E\"", BODY),
            Err(Error::Malformed { .. })
        ));
        assert!(matches!(
            check_content_digest("sha-256=:X48E", BODY),
            Err(Error::Malformed { .. })
        ));
    }
}
