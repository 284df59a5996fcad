//! RFC 9421 HTTP Message Signatures (PROTOCOLS.md §12): `Signature-Input` and `Signature`,
//! the signature base, and Mastodon's profile of it (§12.8: one signature, `created` and
//! `keyid` required, `@method` and `@target-uri` covered, `content-digest` covered on POST).
//!
//! Components implemented: `@method`, `@target-uri`, `@authority`, `@scheme`,
//! `@request-target`, `@path`, `@query`, `@query-param;name=…`, and header fields with no
//! parameter, `;key=…` or `;bs`. `;sf`, `;req`, `;tr` and `@status` are refused
//! ([`Error::UnsupportedComponent`]). Algorithms: `rsa-v1_5-sha256` and `rsa-pss-sha512`;
//! without `alg`, both are tried (the key is RSA).

use base64::Engine;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::sfv::{self, BareItem, InnerList, Item, Member};
use super::verify::{Alg, Prepared, Scheme, check_body_digest};
use super::{Error, Request, canonical_header};
use crate::crypto::KeyPair;
use crate::crypto::pem::B64;

/// What the bridge covers on a POST, as Mastodon requires (PROTOCOLS.md §12.8).
pub const MASTODON_POST_COMPONENTS: &[&str] = &["@method", "@target-uri", "content-digest"];
/// What the bridge covers on a GET.
pub const MASTODON_GET_COMPONENTS: &[&str] = &["@method", "@target-uri"];

/// `application/x-www-form-urlencoded` percent-encode set with space as `%20`: how
/// `@query-param` names and values are re-encoded (RFC 9421 §2.2.8).
const QUERY_PARAM_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'*')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_');

/// The signature chosen from a request's `Signature-Input` / `Signature` pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    /// Its label (`sig1`).
    pub label: String,
    /// The covered components and the signature parameters, as sent.
    pub components: InnerList,
    /// The decoded signature.
    pub signature: Vec<u8>,
}

impl Selected {
    /// A signature parameter by name (`created`, `keyid`, `alg`, …).
    pub fn param(&self, name: &str) -> Option<&BareItem> {
        self.components
            .params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

fn malformed(what: impl Into<String>) -> Error {
    Error::Malformed { what: what.into() }
}

fn joined(req: &Request<'_>, name: &str) -> Option<String> {
    let values = req.headers.field_values(name);
    if values.is_empty() {
        None
    } else {
        Some(values.join(", "))
    }
}

/// Picks the signature to verify: the first label of `Signature-Input` that `Signature`
/// also has.
pub fn select(req: &Request<'_>) -> Result<Selected, Error> {
    let input = joined(req, "signature-input").ok_or_else(|| Error::Missing {
        what: "Signature-Input header".into(),
    })?;
    let sigs = joined(req, "signature").ok_or_else(|| Error::Missing {
        what: "Signature header".into(),
    })?;
    let input = sfv::parse_dictionary(&input)
        .map_err(|e| malformed(format!("Signature-Input header: {e}")))?;
    let sigs =
        sfv::parse_dictionary(&sigs).map_err(|e| malformed(format!("Signature header: {e}")))?;
    for (label, member) in input {
        let Some((_, sig)) = sigs.iter().find(|(l, _)| *l == label) else {
            continue;
        };
        let Member::InnerList(components) = member else {
            return Err(malformed(format!(
                "Signature-Input header: {label} is not an inner list"
            )));
        };
        let Some(BareItem::ByteSeq(signature)) = sig.as_item() else {
            return Err(malformed(format!(
                "Signature header: {label} is not a byte sequence"
            )));
        };
        return Ok(Selected {
            label,
            components,
            signature: signature.clone(),
        });
    }
    Err(Error::Missing {
        what: "a Signature entry matching a Signature-Input label".into(),
    })
}

/// The signature base (RFC 9421 §2.5) of `req` for `components` (the inner list with its
/// parameters, exactly as in `Signature-Input`).
pub fn signature_base(req: &Request<'_>, components: &InnerList) -> Result<String, Error> {
    let mut base = String::new();
    let mut seen: Vec<String> = Vec::new();
    for item in &components.items {
        let mut id = String::new();
        sfv::serialize_item(item, &mut id);
        if seen.contains(&id) {
            return Err(malformed(format!("component {id} listed twice")));
        }
        let value = component_value(req, item)?;
        if value.contains(['\r', '\n']) {
            return Err(malformed(format!("component {id} has a line break")));
        }
        base.push_str(&id);
        base.push_str(": ");
        base.push_str(&value);
        base.push('\n');
        seen.push(id);
    }
    base.push_str("\"@signature-params\": ");
    sfv::serialize_inner_list(components, &mut base);
    if !base.is_ascii() {
        return Err(malformed("signature base has non-ASCII characters"));
    }
    Ok(base)
}

/// The path and the query (without `?`) of the request target.
fn path_and_query(req: &Request<'_>) -> Result<(String, Option<String>), Error> {
    if req.target.contains("://") {
        let url = url::Url::parse(req.target)
            .map_err(|e| malformed(format!("request target {:?}: {e}", req.target)))?;
        return Ok((url.path().to_string(), url.query().map(str::to_string)));
    }
    let (path, query) = match req.target.split_once('?') {
        Some((p, q)) => (p, Some(q.to_string())),
        None => (req.target, None),
    };
    let path = if path.is_empty() { "/" } else { path };
    Ok((path.to_string(), query))
}

/// `@authority`: the `Host` field, lowercased, without the scheme's default port.
fn authority(req: &Request<'_>) -> Result<String, Error> {
    let host = req.single("host")?.ok_or_else(|| Error::Missing {
        what: "Host header (for @authority)".into(),
    })?;
    let host = host.trim().to_ascii_lowercase();
    let default = if req.scheme.eq_ignore_ascii_case("http") {
        ":80"
    } else {
        ":443"
    };
    Ok(host.strip_suffix(default).unwrap_or(&host).to_string())
}

/// The value of one covered component.
pub fn component_value(req: &Request<'_>, item: &Item) -> Result<String, Error> {
    let BareItem::String(name) = &item.value else {
        return Err(malformed("a component identifier that is not a string"));
    };
    let unsupported = |p: &str| Error::UnsupportedComponent {
        what: format!("{name};{p}"),
    };
    if let Some(derived) = name.strip_prefix('@') {
        for (p, _) in &item.params {
            if !(derived == "query-param" && p == "name") {
                return Err(unsupported(p));
            }
        }
        return match derived {
            "method" => Ok(req.method.to_string()),
            "target-uri" => {
                if req.target.contains("://") {
                    Ok(req.target.to_string())
                } else {
                    Ok(format!(
                        "{}://{}{}",
                        req.scheme.to_ascii_lowercase(),
                        authority(req)?,
                        req.target
                    ))
                }
            }
            "authority" => authority(req),
            "scheme" => Ok(req.scheme.to_ascii_lowercase()),
            "request-target" => Ok(req.target.to_string()),
            "path" => Ok(path_and_query(req)?.0),
            "query" => Ok(format!("?{}", path_and_query(req)?.1.unwrap_or_default())),
            "query-param" => query_param(req, item),
            "signature-params" => Err(malformed("@signature-params listed as a component")),
            _ => Err(Error::UnsupportedComponent {
                what: name.to_string(),
            }),
        };
    }
    if name.is_empty() || name.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(malformed(format!(
            "component name {name:?} (field names are lowercase)"
        )));
    }
    let missing = || Error::Missing {
        what: format!("{name} header (it is signed)"),
    };
    let mut key = None;
    let mut bs = false;
    for (p, v) in &item.params {
        match (p.as_str(), v) {
            ("key", BareItem::String(k)) => key = Some(k),
            ("bs", BareItem::Boolean(true)) => bs = true,
            _ => return Err(unsupported(p)),
        }
    }
    match (key, bs) {
        (Some(_), true) => Err(malformed(format!("{name}: ;key and ;bs together"))),
        (None, false) => canonical_header(req.headers, name).ok_or_else(missing),
        (None, true) => {
            let values = req.headers.field_values(name);
            if values.is_empty() {
                return Err(missing());
            }
            Ok(values
                .iter()
                .map(|v| format!(":{}:", B64.encode(v.trim_matches([' ', '\t']).as_bytes())))
                .collect::<Vec<_>>()
                .join(", "))
        }
        (Some(k), false) => {
            let whole = canonical_header(req.headers, name).ok_or_else(missing)?;
            let dict = sfv::parse_dictionary(&whole)
                .map_err(|e| malformed(format!("{name} header as a dictionary: {e}")))?;
            let (_, member) =
                dict.iter()
                    .find(|(mk, _)| mk == k)
                    .ok_or_else(|| Error::Missing {
                        what: format!("member {k} of the {name} header (it is signed)"),
                    })?;
            let mut out = String::new();
            sfv::serialize_member(member, &mut out);
            Ok(out)
        }
    }
}

fn query_param(req: &Request<'_>, item: &Item) -> Result<String, Error> {
    let wanted = match item.params.iter().find(|(k, _)| k == "name") {
        Some((_, BareItem::String(n))) => n,
        _ => return Err(malformed("@query-param without a name")),
    };
    let query = path_and_query(req)?.1.unwrap_or_default();
    let mut found = None;
    for (n, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if utf8_percent_encode(&n, QUERY_PARAM_SET).to_string() == *wanted {
            if found.is_some() {
                return Err(malformed(format!(
                    "@query-param {wanted} occurs more than once"
                )));
            }
            found = Some(utf8_percent_encode(&v, QUERY_PARAM_SET).to_string());
        }
    }
    found.ok_or_else(|| Error::Missing {
        what: format!("query parameter {wanted} (it is signed)"),
    })
}

/// Signs `req` over `components` (plain identifiers such as `@method` or `content-digest`)
/// with `rsa-v1_5-sha256`, parameters `created` and `keyid` (no `alg`, as Mastodon sends
/// it). Returns the `Signature-Input` and `Signature` header values.
pub fn sign(
    req: &Request<'_>,
    label: &str,
    components: &[&str],
    key_id: &str,
    created: i64,
    key: &KeyPair,
) -> Result<(String, String), Error> {
    let valid_label = sfv::parse_dictionary(label)
        .ok()
        .is_some_and(|d| d.len() == 1 && d.first().is_some_and(|(k, _)| k == label));
    if !valid_label {
        return Err(malformed(format!("signature label {label:?}")));
    }
    if !key_id.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err(malformed("key id with characters outside printable ASCII"));
    }
    let list = InnerList {
        items: components
            .iter()
            .map(|c| Item {
                value: BareItem::String((*c).to_string()),
                params: Vec::new(),
            })
            .collect(),
        params: vec![
            ("created".to_string(), BareItem::Integer(created)),
            ("keyid".to_string(), BareItem::String(key_id.to_string())),
        ],
    };
    let base = signature_base(req, &list)?;
    let sig = key.sign_pkcs1_sha256(base.as_bytes())?;
    let mut input = format!("{label}=");
    sfv::serialize_inner_list(&list, &mut input);
    Ok((input, format!("{label}=:{}:", B64.encode(sig))))
}

/// Parses and checks an RFC 9421-signed request up to (not including) the key.
pub(crate) fn prepare(req: &Request<'_>) -> Result<Prepared, Error> {
    let sel = select(req)?;
    let key_id = match sel.param("keyid") {
        Some(BareItem::String(k)) if !k.is_empty() => k.clone(),
        Some(_) => return Err(malformed("keyid parameter is not a string")),
        None => {
            return Err(Error::Missing {
                what: "keyid parameter".into(),
            });
        }
    };
    let created = match sel.param("created") {
        Some(BareItem::Integer(c)) => *c,
        Some(_) => return Err(malformed("created parameter is not an integer")),
        None => {
            return Err(Error::Missing {
                what: "created parameter".into(),
            });
        }
    };
    let expires = match sel.param("expires") {
        Some(BareItem::Integer(e)) => Some(*e),
        Some(_) => return Err(malformed("expires parameter is not an integer")),
        None => None,
    };
    let algs = match sel.param("alg") {
        None => vec![Alg::Pkcs1Sha256, Alg::PssSha512],
        Some(BareItem::String(a)) if a == "rsa-v1_5-sha256" => vec![Alg::Pkcs1Sha256],
        Some(BareItem::String(a)) if a == "rsa-pss-sha512" => vec![Alg::PssSha512],
        Some(BareItem::String(a)) => {
            return Err(Error::UnsupportedAlgorithm { alg: a.clone() });
        }
        Some(_) => return Err(malformed("alg parameter is not a string")),
    };
    let covers = |n: &str| {
        sel.components
            .items
            .iter()
            .any(|i| i.params.is_empty() && i.value == BareItem::String(n.to_string()))
    };
    if !covers("@method") || !covers("@target-uri") {
        return Err(Error::NotCovered {
            what: "@method and @target-uri".into(),
        });
    }
    check_body_digest(
        req,
        covers("content-digest") || covers("digest"),
        "content-digest",
    )?;
    let base = signature_base(req, &sel.components)?;
    Ok(Prepared {
        scheme: Scheme::Rfc9421,
        key_id,
        created,
        expires,
        algs,
        bases: vec![base.into_bytes()],
        signature: sel.signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str) -> Item {
        Item {
            value: BareItem::String(name.into()),
            params: Vec::new(),
        }
    }

    #[test]
    fn derived_components() {
        let h: Vec<(&str, &str)> = vec![("Host", "Example.COM:443")];
        let req = Request::new("POST", "/foo?param=Value&Pet=dog", &h, b"");
        let v = |n: &str| component_value(&req, &item(n)).unwrap();
        assert_eq!(v("@method"), "POST");
        assert_eq!(v("@authority"), "example.com");
        assert_eq!(
            v("@target-uri"),
            "https://example.com/foo?param=Value&Pet=dog"
        );
        assert_eq!(v("@scheme"), "https");
        assert_eq!(v("@request-target"), "/foo?param=Value&Pet=dog");
        assert_eq!(v("@path"), "/foo");
        assert_eq!(v("@query"), "?param=Value&Pet=dog");
        let qp = Item {
            value: BareItem::String("@query-param".into()),
            params: vec![("name".into(), BareItem::String("Pet".into()))],
        };
        assert_eq!(component_value(&req, &qp).unwrap(), "dog");
        assert!(matches!(
            component_value(&req, &item("@status")),
            Err(Error::UnsupportedComponent { .. })
        ));
        let bare = Request::new("GET", "", &h, b"");
        assert_eq!(component_value(&bare, &item("@path")).unwrap(), "/");
        assert_eq!(component_value(&bare, &item("@query")).unwrap(), "?");
    }

    #[test]
    fn query_param_reencodes() {
        let h: Vec<(&str, &str)> = vec![("Host", "example.com")];
        let req = Request::new(
            "GET",
            "/p?var=this%20is%20a%20big%0Avalue&bar=with+plus+whitespace&dup=1&dup=2",
            &h,
            b"",
        );
        let qp = |n: &str| Item {
            value: BareItem::String("@query-param".into()),
            params: vec![("name".into(), BareItem::String(n.into()))],
        };
        assert_eq!(
            component_value(&req, &qp("var")).unwrap(),
            "this%20is%20a%20big%0Avalue"
        );
        assert_eq!(
            component_value(&req, &qp("bar")).unwrap(),
            "with%20plus%20whitespace"
        );
        assert!(component_value(&req, &qp("dup")).is_err());
        assert!(component_value(&req, &qp("none")).is_err());
    }

    #[test]
    fn field_parameters() {
        let h: Vec<(&str, &str)> = vec![
            ("Example-Dict", " a=1,    b=2;x=1;y=2,   c=(a   b   c)"),
            ("X-Empty", ""),
        ];
        let req = Request::new("GET", "/", &h, b"");
        let with = |name: &str, params: Vec<(String, BareItem)>| Item {
            value: BareItem::String(name.into()),
            params,
        };
        let key = |k: &str| vec![("key".to_string(), BareItem::String(k.into()))];
        assert_eq!(
            component_value(&req, &with("example-dict", key("a"))).unwrap(),
            "1"
        );
        assert_eq!(
            component_value(&req, &with("example-dict", key("b"))).unwrap(),
            "2;x=1;y=2"
        );
        assert_eq!(
            component_value(&req, &with("example-dict", key("c"))).unwrap(),
            "(a b c)"
        );
        assert_eq!(component_value(&req, &item("x-empty")).unwrap(), "");
        let bs = vec![("bs".to_string(), BareItem::Boolean(true))];
        assert_eq!(component_value(&req, &with("x-empty", bs)).unwrap(), "::");
        let sf = vec![("sf".to_string(), BareItem::Boolean(true))];
        assert!(matches!(
            component_value(&req, &with("example-dict", sf)),
            Err(Error::UnsupportedComponent { .. })
        ));
        assert!(component_value(&req, &item("Example-Dict")).is_err());
        assert!(matches!(
            component_value(&req, &item("x-missing")),
            Err(Error::Missing { .. })
        ));
    }
}
