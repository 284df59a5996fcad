//! WebSub (PubSubHubbub 0.3, 0.4 and W3C WebSub): the bridge is the hub for its puppets'
//! Atom feeds ([`hub`]) and a subscriber to legacy feeds that have a hub ([`subscriber`]).
//!
//! This file holds what both sides share: the `X-Hub-Signature` HMAC (sha1, sha256, sha384,
//! sha512, compared in constant time) and the `Link` header a push carries.

pub mod hub;
pub mod subscriber;

use aws_lc_rs::hmac;

/// The hash of an `X-Hub-Signature`; every hub in the wild sends sha1, WebSub adds the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HmacAlgo {
    /// `sha1=`: what GNU social, Mastodon 2.x, Pleroma and Friendica send and accept.
    Sha1,
    /// `sha256=`.
    Sha256,
    /// `sha384=`.
    Sha384,
    /// `sha512=`.
    Sha512,
}

impl HmacAlgo {
    /// The prefix before `=` in the header.
    pub fn name(self) -> &'static str {
        match self {
            HmacAlgo::Sha1 => "sha1",
            HmacAlgo::Sha256 => "sha256",
            HmacAlgo::Sha384 => "sha384",
            HmacAlgo::Sha512 => "sha512",
        }
    }

    /// The algorithm a header prefix names (case-insensitive).
    pub fn from_name(name: &str) -> Option<HmacAlgo> {
        match name.to_ascii_lowercase().as_str() {
            "sha1" => Some(HmacAlgo::Sha1),
            "sha256" => Some(HmacAlgo::Sha256),
            "sha384" => Some(HmacAlgo::Sha384),
            "sha512" => Some(HmacAlgo::Sha512),
            _ => None,
        }
    }

    fn aws(self) -> hmac::Algorithm {
        match self {
            HmacAlgo::Sha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            HmacAlgo::Sha256 => hmac::HMAC_SHA256,
            HmacAlgo::Sha384 => hmac::HMAC_SHA384,
            HmacAlgo::Sha512 => hmac::HMAC_SHA512,
        }
    }
}

/// Why a pushed body's signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The subscription has a secret but the push has no `X-Hub-Signature`.
    #[error("no X-Hub-Signature on a push to a subscription with a secret")]
    Missing,
    /// Not `<algo>=<hex>`.
    #[error("X-Hub-Signature {0:?} is not <algorithm>=<hex>")]
    Malformed(String),
    /// An algorithm other than sha1/sha256/sha384/sha512.
    #[error("X-Hub-Signature algorithm {0:?} is not supported")]
    UnknownAlgorithm(String),
    /// The HMAC does not match the body.
    #[error("X-Hub-Signature does not match the body")]
    Mismatch,
}

/// The `X-Hub-Signature` value for `body` under `secret`: `<algo>=<lowercase hex>`.
pub fn sign(algo: HmacAlgo, secret: &[u8], body: &[u8]) -> String {
    let key = hmac::Key::new(algo.aws(), secret);
    let tag = hmac::sign(&key, body);
    let mut out = String::with_capacity(algo.name().len() + 1 + tag.as_ref().len() * 2);
    out.push_str(algo.name());
    out.push('=');
    for b in tag.as_ref() {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn unhex(text: &str) -> Option<Vec<u8>> {
    let t = text.trim().as_bytes();
    if !t.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    t.chunks(2)
        .map(|p| Some((nibble(p[0])? << 4) | nibble(p[1])?))
        .collect()
}

/// Checks an `X-Hub-Signature` header against `body` with the algorithm the header names,
/// in constant time. Returns the algorithm that matched.
pub fn verify(
    header: Option<&str>,
    secret: &[u8],
    body: &[u8],
) -> Result<HmacAlgo, SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let (name, hex) = header
        .split_once('=')
        .ok_or_else(|| SignatureError::Malformed(header.to_string()))?;
    let algo = HmacAlgo::from_name(name.trim())
        .ok_or_else(|| SignatureError::UnknownAlgorithm(name.to_string()))?;
    let tag = unhex(hex).ok_or_else(|| SignatureError::Malformed(header.to_string()))?;
    let key = hmac::Key::new(algo.aws(), secret);
    hmac::verify(&key, body, &tag).map_err(|_| SignatureError::Mismatch)?;
    Ok(algo)
}

/// The `Link` header of a push and of a served topic: `<hub>; rel="hub", <topic>; rel="self"`
/// (flask-websub and WebSub subscribers need both).
pub fn link_header(hub: &str, topic: &str) -> String {
    format!("<{hub}>; rel=\"hub\", <{topic}>; rel=\"self\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_reference_vectors() {
        // PROTOCOLS.md §3.7: secret s3cr3t, body <feed/>.
        assert_eq!(
            sign(HmacAlgo::Sha1, b"s3cr3t", b"<feed/>"),
            "sha1=ded020dddff874624d8e23461d715af354afe52b"
        );
        assert_eq!(
            sign(HmacAlgo::Sha256, b"s3cr3t", b"<feed/>"),
            "sha256=30288d016ac66bbd764cf5b8491017b685f72a750bec9628d5f3af177be5ec82"
        );
    }

    #[test]
    fn verifies_every_algorithm_and_refuses_the_rest() {
        for algo in [
            HmacAlgo::Sha1,
            HmacAlgo::Sha256,
            HmacAlgo::Sha384,
            HmacAlgo::Sha512,
        ] {
            let h = sign(algo, b"k", b"body");
            assert_eq!(verify(Some(&h), b"k", b"body"), Ok(algo));
            assert_eq!(verify(Some(&h.to_uppercase()), b"k", b"body"), Ok(algo));
            assert_eq!(
                verify(Some(&h), b"k", b"bodx"),
                Err(SignatureError::Mismatch)
            );
            assert_eq!(
                verify(Some(&h), b"other", b"body"),
                Err(SignatureError::Mismatch)
            );
        }
        assert_eq!(verify(None, b"k", b"b"), Err(SignatureError::Missing));
        assert!(matches!(
            verify(Some("md5=00"), b"k", b"b"),
            Err(SignatureError::UnknownAlgorithm(_))
        ));
        assert!(matches!(
            verify(Some("sha1"), b"k", b"b"),
            Err(SignatureError::Malformed(_))
        ));
        assert!(matches!(
            verify(Some("sha1=zz"), b"k", b"b"),
            Err(SignatureError::Malformed(_))
        ));
        assert!(matches!(
            verify(Some("sha1=abc"), b"k", b"b"),
            Err(SignatureError::Malformed(_))
        ));
    }
}
