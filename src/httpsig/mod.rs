//! HTTP Signatures as the fediverse uses them, with no networking: sign outgoing requests
//! the way Mastodon expects, and verify incoming ones signed with draft-cavage (`rsa-sha256`,
//! `hs2019`) or RFC 9421 (`Signature-Input`, as Mastodon 4.5 sends).
//!
//! - [`sign_request`] adds `Host`, `Date`, `Digest` and a cavage `Signature` covering
//!   `(request-target) host date digest content-type` (PROTOCOLS.md §11.5);
//!   [`sign_request_rfc9421`] makes the RFC 9421 equivalent for a "double knock".
//! - [`verify_request`] checks a [`Request`] against a clock and a [`KeyLookup`]: the body
//!   digest, what the signature covers, the time window ([`window`]), the signature itself,
//!   and refetches the key once when a cached key fails (key rotation). It answers with the
//!   verified key id and owner ([`Verified`]); [`Verified::require_actor`] then ties the
//!   owner to the activity's actor.
//! - [`key_from_document`] reads the signer's key out of a fetched actor or key document, and
//!   [`public_key_object`] writes our puppets' `publicKey`.
//!
//! Every error is an [`Error`] whose text is fit for a 401 answer. Nothing here panics on
//! input. RSA verification costs tens of microseconds and signing a few hundred: callers on
//! an async executor may want `spawn_blocking` for large fan-outs.

pub mod cavage;
pub mod digest;
pub mod rfc9421;
pub mod sfv;
mod sign;
mod verify;
pub mod window;

use std::borrow::Cow;

pub use sign::{Outgoing, SignedHeaders, sign_request, sign_request_rfc9421};
pub use verify::{
    ActorKey, Fetch, FnLookup, FoundKey, KeyLookup, LookupError, Prepared, Scheme, Verified,
    key_from_document, prepare, public_key_object, verify_request,
};

use crate::crypto::KeyError;

/// Why a request's signature was not accepted (or could not be made). The `Display` text is
/// the reason to send back with a 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Something required is absent: the signature header, a parameter, a signed header.
    #[error("missing {what}")]
    Missing {
        /// What is missing.
        what: String,
    },
    /// A header or parameter does not parse.
    #[error("malformed {what}")]
    Malformed {
        /// What is malformed, and how.
        what: String,
    },
    /// The signature leaves out something the bridge requires it to cover.
    #[error("the signature must cover {what}")]
    NotCovered {
        /// The component(s) that must be covered.
        what: String,
    },
    /// A signature or digest algorithm the bridge does not implement.
    #[error("unsupported algorithm {alg}")]
    UnsupportedAlgorithm {
        /// The algorithm as sent.
        alg: String,
    },
    /// An RFC 9421 component the bridge does not implement (`;sf`, `;req`, `@status`, …).
    #[error("unsupported signature component {what}")]
    UnsupportedComponent {
        /// The component as sent.
        what: String,
    },
    /// The key lookup knows no such key.
    #[error("unknown key {key_id}")]
    UnknownKey {
        /// The key id from the signature.
        key_id: String,
    },
    /// The key could not be fetched (network error, bad document).
    #[error("key {key_id} is unavailable: {reason}")]
    KeyUnavailable {
        /// The key id from the signature.
        key_id: String,
        /// Why.
        reason: String,
    },
    /// The signature does not verify with the signer's key, even after refetching it.
    #[error("signature does not verify")]
    BadSignature,
    /// `Digest` or `Content-Digest` does not match the body.
    #[error("body digest does not match the body")]
    DigestMismatch,
    /// The signature's time (`Date` or `created`) is outside the accepted window.
    #[error(
        "signature time {created} is {} (now {now})",
        if *future { "too far in the future" } else { "too old" }
    )]
    DateOutOfWindow {
        /// When the signature says it was made (Unix seconds).
        created: i64,
        /// The verifier's clock (Unix seconds).
        now: i64,
        /// True when `created` is ahead of the clock, false when the signature expired.
        future: bool,
    },
    /// The key's owner is not the actor of the activity.
    #[error("key owner {owner} is not the activity's actor {actor}")]
    ActorMismatch {
        /// The verified key's owner.
        owner: String,
        /// The activity's actor.
        actor: String,
    },
    /// A key could not be read or used (bad PEM in a key document, signing failed).
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// Read access to a request's header fields, so the verifier works on `http::HeaderMap`
/// (warp, reqwest) and on plain pairs (tests, other servers) alike.
pub trait Headers {
    /// Every value of field `name` (given in lowercase; matched case-insensitively), in
    /// message order. Values that are not UTF-8 come back lossily converted, which can only
    /// make a signature fail, never pass.
    fn field_values(&self, name: &str) -> Vec<Cow<'_, str>>;
}

impl Headers for http::HeaderMap {
    fn field_values(&self, name: &str) -> Vec<Cow<'_, str>> {
        self.get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()))
            .collect()
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for [(K, V)] {
    fn field_values(&self, name: &str) -> Vec<Cow<'_, str>> {
        self.iter()
            .filter(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, v)| Cow::Borrowed(v.as_ref()))
            .collect()
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for &[(K, V)] {
    fn field_values(&self, name: &str) -> Vec<Cow<'_, str>> {
        (**self).field_values(name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for Vec<(K, V)> {
    fn field_values(&self, name: &str) -> Vec<Cow<'_, str>> {
        self.as_slice().field_values(name)
    }
}

/// An incoming request as the verifier sees it.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    /// The method as received (`POST`).
    pub method: &'a str,
    /// The request target as on the request line: path and query (`/inbox?x=1`).
    pub target: &'a str,
    /// `https` or `http`: what the client used, for RFC 9421 `@target-uri` and `@scheme`
    /// (behind a TLS-terminating proxy this is still `https`).
    pub scheme: &'a str,
    /// The header fields. The `Host` field gives the authority: for HTTP/2 requests, which
    /// carry `:authority` instead, the server should add a `Host` before verifying.
    pub headers: &'a (dyn Headers + Sync),
    /// The body bytes exactly as received.
    pub body: &'a [u8],
}

impl<'a> Request<'a> {
    /// A request received over https.
    pub fn new(
        method: &'a str,
        target: &'a str,
        headers: &'a (dyn Headers + Sync),
        body: &'a [u8],
    ) -> Request<'a> {
        Request {
            method,
            target,
            scheme: "https",
            headers,
            body,
        }
    }

    /// Whether the request must carry a body digest: every POST, and anything with a body.
    fn needs_digest(&self) -> bool {
        self.method.eq_ignore_ascii_case("POST") || !self.body.is_empty()
    }

    /// The value of a header that must occur at most once, or `None`.
    fn single(&self, name: &str) -> Result<Option<String>, Error> {
        let mut values = self.headers.field_values(name);
        match values.len() {
            0 => Ok(None),
            1 => Ok(values.pop().map(Cow::into_owned)),
            _ => Err(Error::Malformed {
                what: format!("{name} header: sent more than once"),
            }),
        }
    }
}

/// The canonical value of a header field for a signature: each value trimmed, obs-fold line
/// breaks replaced by one space, values joined with `, ` (cavage-12 §2.3, RFC 9421 §2.1).
/// `None` when the field is absent.
pub(crate) fn canonical_header(headers: &(dyn Headers + Sync), name: &str) -> Option<String> {
    let values = headers.field_values(name);
    if values.is_empty() {
        return None;
    }
    let canon: Vec<String> = values
        .iter()
        .map(|v| {
            v.split('\n')
                .map(|line| line.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\r'))
                .filter(|line| !line.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    Some(canon.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_canonicalisation() {
        // cavage-12 §2.3's example values.
        let h: Vec<(&str, &str)> = vec![
            ("X-Example", "Example header\n    with some whitespace."),
            ("X-EmptyHeader", ""),
            ("Cache-Control", "max-age=60"),
            ("Cache-Control", "must-revalidate"),
        ];
        assert_eq!(
            canonical_header(&h, "x-example").as_deref(),
            Some("Example header with some whitespace.")
        );
        assert_eq!(canonical_header(&h, "x-emptyheader").as_deref(), Some(""));
        assert_eq!(
            canonical_header(&h, "cache-control").as_deref(),
            Some("max-age=60, must-revalidate")
        );
        assert_eq!(canonical_header(&h, "host"), None);
    }

    #[test]
    fn header_map_values() {
        let mut m = http::HeaderMap::new();
        m.append("x-a", http::HeaderValue::from_static("1"));
        m.append("x-a", http::HeaderValue::from_static("2"));
        assert_eq!(m.field_values("x-a"), vec!["1", "2"]);
        assert!(m.field_values("x-b").is_empty());
    }
}
