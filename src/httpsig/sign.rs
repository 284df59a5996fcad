//! Signing outgoing requests the way Mastodon (and Pleroma, Misskey, GoToSocial) accept
//! them: PROTOCOLS.md §11.5's sending recipe. Sign each delivery attempt afresh (trap 27).

use chrono::{DateTime, Utc};

use super::{Error, Request, cavage, digest, rfc9421, window};
use crate::crypto::KeyPair;

/// An outgoing request to sign.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// `POST` or `GET`.
    pub method: &'a str,
    /// Where it goes (an inbox, an object to fetch).
    pub url: &'a url::Url,
    /// The body exactly as it will be sent (empty for a GET).
    pub body: &'a [u8],
    /// The `Content-Type` that will be sent (`application/activity+json`), if any; it is
    /// signed, so it must be sent as given.
    pub content_type: Option<&'a str>,
}

impl Outgoing<'_> {
    fn target(&self) -> String {
        match self.url.query() {
            Some(q) => format!("{}?{q}", self.url.path()),
            None => self.url.path().to_string(),
        }
    }

    fn host(&self) -> Result<String, Error> {
        let host = self.url.host_str().ok_or_else(|| Error::Malformed {
            what: format!("URL {} has no host", self.url),
        })?;
        Ok(match self.url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        })
    }

    fn has_body(&self) -> bool {
        self.method.eq_ignore_ascii_case("POST") || !self.body.is_empty()
    }
}

/// Header fields to add to an outgoing request, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders(pub Vec<(&'static str, String)>);

impl SignedHeaders {
    /// The value of header `name` (lowercase).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The fields as name/value pairs, to hand to an HTTP client.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.0.iter().map(|(n, v)| (*n, v.as_str()))
    }
}

/// Common fields: `host`, `date`, the body digest (`digest_name`) and `content-type`.
fn base_headers(
    out: &Outgoing<'_>,
    now: DateTime<Utc>,
    digest_name: &'static str,
) -> Result<Vec<(&'static str, String)>, Error> {
    let mut headers = vec![("host", out.host()?), ("date", window::http_date(now))];
    if out.has_body() {
        let value = if digest_name == "digest" {
            digest::digest_header(out.body)
        } else {
            digest::content_digest_header(out.body)
        };
        headers.push((digest_name, value));
    }
    if let Some(ct) = out.content_type {
        headers.push(("content-type", ct.to_string()));
    }
    Ok(headers)
}

/// Signs an outgoing request with a draft-cavage `rsa-sha256` signature, as Mastodon sends
/// and accepts: returns `Host`, `Date`, `Digest` (with a body), `Content-Type` (when given)
/// and `Signature`, covering `(request-target) host date` plus `digest` and `content-type`
/// when present.
pub fn sign_request(
    out: &Outgoing<'_>,
    key_id: &str,
    key: &KeyPair,
    now: DateTime<Utc>,
) -> Result<SignedHeaders, Error> {
    let mut headers = base_headers(out, now, "digest")?;
    let covered: Vec<&str> = cavage::MASTODON_POST_HEADERS
        .iter()
        .copied()
        .filter(|h| h.starts_with('(') || headers.iter().any(|(n, _)| n == h))
        .collect();
    let target = out.target();
    let req = Request::new(out.method, &target, &headers, out.body);
    let signature = cavage::sign(&req, key_id, &covered, key)?;
    headers.push(("signature", signature));
    Ok(SignedHeaders(headers))
}

/// Signs an outgoing request with RFC 9421 (`rsa-v1_5-sha256`, label `sig1`) as Mastodon
/// 4.5 accepts it: returns `Host`, `Date`, `Content-Digest` (with a body), `Content-Type`
/// (when given), `Signature-Input` and `Signature`, covering `@method`, `@target-uri` and
/// `content-digest`. For trying RFC 9421 first and falling back to [`sign_request`] on 401.
pub fn sign_request_rfc9421(
    out: &Outgoing<'_>,
    key_id: &str,
    key: &KeyPair,
    now: DateTime<Utc>,
) -> Result<SignedHeaders, Error> {
    let mut headers = base_headers(out, now, "content-digest")?;
    let components = if out.has_body() {
        rfc9421::MASTODON_POST_COMPONENTS
    } else {
        rfc9421::MASTODON_GET_COMPONENTS
    };
    let target = out.target();
    let mut req = Request::new(out.method, &target, &headers, out.body);
    req.scheme = out.url.scheme();
    let (input, signature) = rfc9421::sign(&req, "sig1", components, key_id, now.timestamp(), key)?;
    headers.push(("signature-input", input));
    headers.push(("signature", signature));
    Ok(SignedHeaders(headers))
}
