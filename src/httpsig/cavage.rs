//! draft-cavage-http-signatures-12, the "HTTP Signatures" of the fediverse (PROTOCOLS.md
//! §11): the `Signature` header, its signing string, and Mastodon's profile of it.
//!
//! Algorithms: `rsa-sha256` is RSASSA-PKCS1-v1_5 with SHA-256. `hs2019` (and no `algorithm`
//! at all, which Mastodon reads as `hs2019`) is tried as PKCS#1 v1.5 SHA-256 first, as the
//! fediverse signs it, then as RSASSA-PSS SHA-512, the draft's reading (trap 23).

use super::verify::{Alg, Prepared, Scheme, check_body_digest};
use super::{Error, Request, canonical_header, window};
use crate::crypto::KeyPair;
use crate::crypto::pem::{B64, decode_b64};
use base64::Engine;

/// What Mastodon signs on a POST (PROTOCOLS.md §11.5), and so what the bridge signs.
pub const MASTODON_POST_HEADERS: &[&str] =
    &["(request-target)", "host", "date", "digest", "content-type"];
/// What the bridge signs on a GET (secure-mode fetches need `host`).
pub const MASTODON_GET_HEADERS: &[&str] = &["(request-target)", "host", "date"];

/// The parameters of a `Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureParams {
    /// `keyId`: in the fediverse the URL of the key (`…/users/alice#main-key`).
    pub key_id: String,
    /// `algorithm` as sent, if sent.
    pub algorithm: Option<String>,
    /// `headers` as sent (lowercased, in order), if sent.
    pub headers: Option<Vec<String>>,
    /// The decoded `signature`.
    pub signature: Vec<u8>,
    /// `created` (Unix seconds), if sent.
    pub created: Option<i64>,
    /// `expires` (Unix seconds), if sent.
    pub expires: Option<i64>,
}

impl SignatureParams {
    /// The covered names in force: `headers`, else the default. The default is `(created)`
    /// for `hs2019` (or no algorithm) when `created` is given, as Mastodon reads it, and
    /// `date` otherwise, as the drafts before -12 and Appendix C.1 have it.
    pub fn covered(&self) -> Vec<String> {
        match &self.headers {
            Some(h) => h.clone(),
            None if self.is_hs2019() && self.created.is_some() => vec!["(created)".to_string()],
            None => vec!["date".to_string()],
        }
    }

    fn is_hs2019(&self) -> bool {
        self.algorithm
            .as_deref()
            .is_none_or(|a| a.eq_ignore_ascii_case("hs2019"))
    }

    /// Algorithms to try, in order; `UnsupportedAlgorithm` for anything but `rsa-sha256`
    /// and `hs2019`.
    fn algorithms(&self) -> Result<Vec<Alg>, Error> {
        match self.algorithm.as_deref() {
            None => Ok(vec![Alg::Pkcs1Sha256, Alg::PssSha512]),
            Some(a) if a.eq_ignore_ascii_case("hs2019") => {
                Ok(vec![Alg::Pkcs1Sha256, Alg::PssSha512])
            }
            Some(a) if a.eq_ignore_ascii_case("rsa-sha256") => Ok(vec![Alg::Pkcs1Sha256]),
            Some(a) => Err(Error::UnsupportedAlgorithm { alg: a.to_string() }),
        }
    }
}

/// Parses a `Signature` header value (or the part of `Authorization: Signature …` after the
/// scheme). Parameters may come in any order, values quoted or not; unknown parameters are
/// ignored; a duplicated parameter, a missing `keyId` or `signature`, or an empty `headers`
/// is an error. A stray leading `Signature ` (old node-http-signature) is tolerated.
pub fn parse(value: &str) -> Result<SignatureParams, Error> {
    let mut rest = value.trim();
    if rest
        .get(..10)
        .is_some_and(|p| p.eq_ignore_ascii_case("signature "))
    {
        rest = rest.get(10..).unwrap_or_default();
    }
    let mut seen: Vec<String> = Vec::new();
    let mut key_id = None;
    let mut algorithm = None;
    let mut headers = None;
    let mut signature = None;
    let mut created = None;
    let mut expires = None;
    for pair in ParamIter::new(rest) {
        let (name, val) = pair?;
        let lname = name.to_ascii_lowercase();
        if seen.contains(&lname) {
            return Err(malformed(format!("parameter {name} given twice")));
        }
        seen.push(lname.clone());
        match lname.as_str() {
            "keyid" => key_id = Some(val),
            "algorithm" => algorithm = Some(val),
            "headers" => {
                let list: Vec<String> = val
                    .split_ascii_whitespace()
                    .map(str::to_ascii_lowercase)
                    .collect();
                if list.is_empty() {
                    return Err(malformed("empty headers parameter".into()));
                }
                headers = Some(list);
            }
            "signature" => {
                let sig = decode_b64(&val)
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| malformed("signature parameter: not base64".into()))?;
                signature = Some(sig);
            }
            "created" => created = Some(parse_time(&val, "created")?),
            "expires" => expires = Some(parse_time(&val, "expires")?),
            _ => {}
        }
    }
    let key_id = key_id
        .filter(|k| !k.is_empty())
        .ok_or_else(|| missing("keyId in the Signature header"))?;
    let signature = signature.ok_or_else(|| missing("signature in the Signature header"))?;
    Ok(SignatureParams {
        key_id,
        algorithm,
        headers,
        signature,
        created,
        expires,
    })
}

fn malformed(what: String) -> Error {
    Error::Malformed {
        what: format!("Signature header: {what}"),
    }
}

fn missing(what: &str) -> Error {
    Error::Missing { what: what.into() }
}

/// A Unix time parameter; a fraction (allowed by -12 for `expires`) is dropped.
fn parse_time(val: &str, name: &str) -> Result<i64, Error> {
    let int = val.split_once('.').map_or(val, |(i, _)| i);
    int.trim()
        .parse::<i64>()
        .map_err(|_| malformed(format!("{name} is not a Unix time")))
}

/// Walks `name=value` pairs separated by commas; values are quoted strings (with `\`
/// escapes) or bare text up to the next comma.
struct ParamIter<'a> {
    s: &'a str,
    failed: bool,
}

impl<'a> ParamIter<'a> {
    fn new(s: &'a str) -> Self {
        ParamIter { s, failed: false }
    }
}

impl Iterator for ParamIter<'_> {
    type Item = Result<(String, String), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let s = self
            .s
            .trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        if s.is_empty() {
            return None;
        }
        let Some(eq) = s.find('=') else {
            self.failed = true;
            return Some(Err(malformed("a parameter without '='".into())));
        };
        let name = s.get(..eq).unwrap_or_default().trim();
        if name.is_empty() || name.contains([',', ' ', '"']) {
            self.failed = true;
            return Some(Err(malformed("a parameter without a name".into())));
        }
        let after = s.get(eq + 1..).unwrap_or_default().trim_start();
        if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            value.push(n);
                        }
                    }
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    _ => value.push(c),
                }
            }
            let Some(end) = end else {
                self.failed = true;
                return Some(Err(malformed("unterminated quoted string".into())));
            };
            let tail = quoted.get(end..).unwrap_or_default().trim_start();
            if !(tail.is_empty() || tail.starts_with(',')) {
                self.failed = true;
                return Some(Err(malformed("text after a quoted value".into())));
            }
            self.s = tail;
            Some(Ok((name.to_string(), value)))
        } else {
            let end = after.find(',').unwrap_or(after.len());
            let value = after.get(..end).unwrap_or_default().trim().to_string();
            self.s = after.get(end..).unwrap_or_default();
            Some(Ok((name.to_string(), value)))
        }
    }
}

/// The signing string for `params` over `req` (cavage-12 §2.3). With `with_query` false,
/// `(request-target)` leaves out the query string, as old Mastodon signed it.
pub fn signing_string(
    req: &Request<'_>,
    params: &SignatureParams,
    with_query: bool,
) -> Result<String, Error> {
    let algorithm = params.algorithm.as_deref().unwrap_or("hs2019");
    let mut lines = Vec::new();
    for name in params.covered() {
        let value = match name.as_str() {
            "(request-target)" => {
                let target = if with_query {
                    req.target
                } else {
                    req.target.split('?').next().unwrap_or(req.target)
                };
                format!("{} {}", req.method.to_ascii_lowercase(), target)
            }
            "(created)" | "(expires)" => {
                let lower = algorithm.to_ascii_lowercase();
                if ["rsa", "hmac", "ecdsa"]
                    .iter()
                    .any(|p| lower.starts_with(p))
                {
                    return Err(malformed(format!(
                        "{name} cannot be signed with {algorithm}"
                    )));
                }
                let v = if name == "(created)" {
                    params.created
                } else {
                    params.expires
                };
                v.ok_or_else(|| Error::Missing {
                    what: format!("{} parameter (it is signed)", name.trim_matches(['(', ')'])),
                })?
                .to_string()
            }
            header => canonical_header(req.headers, header).ok_or_else(|| Error::Missing {
                what: format!("{header} header (it is signed)"),
            })?,
        };
        lines.push(format!("{name}: {value}"));
    }
    Ok(lines.join("\n"))
}

/// Signs `req` over `headers` with `rsa-sha256` and returns the `Signature` header value
/// (`keyId`, `algorithm`, `headers`, `signature`, always all four: trap 24).
pub fn sign(
    req: &Request<'_>,
    key_id: &str,
    headers: &[&str],
    key: &KeyPair,
) -> Result<String, Error> {
    let params = SignatureParams {
        key_id: key_id.to_string(),
        algorithm: Some("rsa-sha256".to_string()),
        headers: Some(headers.iter().map(|h| h.to_ascii_lowercase()).collect()),
        signature: Vec::new(),
        created: None,
        expires: None,
    };
    if headers.is_empty() {
        return Err(malformed("empty headers parameter".into()));
    }
    let text = signing_string(req, &params, true)?;
    let sig = key.sign_pkcs1_sha256(text.as_bytes())?;
    Ok(format!(
        "keyId=\"{}\",algorithm=\"rsa-sha256\",headers=\"{}\",signature=\"{}\"",
        quote(key_id),
        params.covered().join(" "),
        B64.encode(sig)
    ))
}

fn quote(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Parses and checks a cavage-signed request up to (not including) the key: parameters,
/// what is covered (Mastodon's rules), the body digest and the time of signing.
pub(crate) fn prepare(req: &Request<'_>, header_value: &str) -> Result<Prepared, Error> {
    let params = parse(header_value)?;
    let algs = params.algorithms()?;
    let covered = params.covered();
    let covers = |n: &str| covered.iter().any(|c| c == n);

    // Mastodon: `date` or `(created)`; `(request-target)` or `digest`; `host` on GET;
    // `digest` on POST.
    if !covers("date") && !covers("(created)") {
        return Err(Error::NotCovered {
            what: "date or (created)".into(),
        });
    }
    if !covers("(request-target)") && !covers("digest") {
        return Err(Error::NotCovered {
            what: "(request-target) or digest".into(),
        });
    }
    if req.method.eq_ignore_ascii_case("GET") && !covers("host") {
        return Err(Error::NotCovered {
            what: "host".into(),
        });
    }
    check_body_digest(req, covers("digest") || covers("content-digest"), "digest")?;

    let mut bases = vec![signing_string(req, &params, true)?.into_bytes()];
    if covers("(request-target)") && req.target.contains('?') {
        bases.push(signing_string(req, &params, false)?.into_bytes());
    }

    let created = if covers("(created)") {
        params.created.ok_or_else(|| missing("created parameter"))?
    } else {
        let date = req.single("date")?.ok_or_else(|| missing("Date header"))?;
        window::parse_http_date(&date).ok_or_else(|| Error::Malformed {
            what: format!("Date header {date:?}"),
        })?
    };
    let expires = if covers("(expires)") {
        params.expires
    } else {
        None
    };

    Ok(Prepared {
        scheme: Scheme::Cavage,
        key_id: params.key_id,
        created,
        expires,
        algs,
        bases,
        signature: params.signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_in_any_order_with_unknowns() {
        let p = parse(
            r#"Signature signature="AQID" , headers="(Request-Target) Host",foo=bar, algorithm=hs2019,keyId="https://x/a#k",created=1402170695,expires=1402170995.5"#,
        )
        .unwrap();
        assert_eq!(p.key_id, "https://x/a#k");
        assert_eq!(p.algorithm.as_deref(), Some("hs2019"));
        assert_eq!(
            p.headers,
            Some(vec!["(request-target)".into(), "host".into()])
        );
        assert_eq!(p.signature, vec![1, 2, 3]);
        assert_eq!(p.created, Some(1402170695));
        assert_eq!(p.expires, Some(1402170995));
    }

    #[test]
    fn defaults() {
        let p = parse(r#"keyId="k",signature="AQID""#).unwrap();
        assert_eq!(p.covered(), vec!["date"]);
        let p = parse(r#"keyId="k",signature="AQID",created=5"#).unwrap();
        assert_eq!(p.covered(), vec!["(created)"]);
        let p = parse(r#"keyId="k",algorithm="rsa-sha256",signature="AQID",created=5"#).unwrap();
        assert_eq!(p.covered(), vec!["date"]);
    }

    #[test]
    fn escapes_in_quoted_values() {
        let p = parse(r#"keyId="a\"b\\c",signature="AQID""#).unwrap();
        assert_eq!(p.key_id, "a\"b\\c");
    }

    #[test]
    fn refusals() {
        for bad in [
            "",
            "keyId=\"k\"",
            "signature=\"AQID\"",
            "keyId=\"k\",keyId=\"j\",signature=\"AQID\"",
            "keyId=\"k\",signature=\"AQID\",headers=\"\"",
            "keyId=\"k\",signature=\"!!\"",
            "keyId=\"k\",signature=\"\"",
            "keyId=\"k\",signature=\"AQID",
            "keyId=\"k\" x,signature=\"AQID\"",
            "keyId",
            "=x",
            "keyId=\"k\",signature=\"AQID\",created=soon",
            "keyId=\"\",signature=\"AQID\"",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should not parse");
        }
    }
}
