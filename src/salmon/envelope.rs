//! Magic Envelopes as they arrive (PROTOCOLS.md §5.1, §5.5): XML (`me:env`, a
//! `me:provenance` inside an Atom entry, or the `me:*` fields directly under some other root,
//! as Friendica accepts) and JSON (`{data, data_type, encoding, alg, sigs}`).
//!
//! The armored `data` is kept exactly as transmitted, whitespace removed, because the
//! signing text is built from it (§5.3); the decoded payload sits beside it. `encoding` and
//! `alg` are checked here: anything but `base64url` / `RSA-SHA256` is refused with its own
//! error so the endpoint can answer 400 without looking for a key.

use crate::codec::xml::{self, ATOM_NS, Elem};
use crate::codec::{DecodeError, Limits};

use super::armor;

/// The Magic Envelope XML namespace.
pub const ME_NS: &str = "http://salmon-protocol.org/ns/magic-env";
/// The only encoding the spec defines.
pub const ENCODING: &str = "base64url";
/// The only algorithm Salmon uses (RSASSA-PKCS1-v1_5 over SHA-256).
pub const ALG: &str = "RSA-SHA256";
/// The payload type of a Salmon slap.
pub const ATOM_TYPE: &str = "application/atom+xml";

/// Why an envelope could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The document is not well-formed or is over a limit.
    #[error("envelope does not parse: {0}")]
    Decode(#[from] DecodeError),
    /// Well-formed, but not an envelope (a field missing, a value unreadable).
    #[error("not a magic envelope: {0}")]
    Malformed(String),
    /// An `alg` other than RSA-SHA256 (HMAC-SHA256 needs a shared secret Salmon does not have).
    #[error("unsupported envelope algorithm {0:?} (only RSA-SHA256)")]
    UnknownAlg(String),
    /// An `encoding` other than base64url.
    #[error("unsupported envelope encoding {0:?} (only base64url)")]
    UnknownEncoding(String),
}

/// Which serialisation the envelope came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// A standalone `<me:env>` (`application/magic-envelope+xml`).
    Env,
    /// A `<me:provenance>` embedded in an Atom entry.
    Provenance,
    /// `me:data`, `me:sig`, … directly under another root element.
    Bare,
    /// The JSON serialisation.
    Json,
}

/// One `me:sig`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The armored signature, whitespace removed.
    pub value: String,
    /// Its `key_id`, if any. Informational only: Mastodon fills it with its PEM, so the
    /// verifier ignores it (§5.6).
    pub key_id: Option<String>,
}

/// A parsed envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The armored data as transmitted, whitespace removed: the first piece of the signing
    /// text.
    pub data: String,
    /// The payload's media type (`application/atom+xml`); empty when it was omitted.
    pub data_type: String,
    /// The encoding as written (`base64url`; the default when omitted).
    pub encoding: String,
    /// The algorithm as written (`RSA-SHA256`; the default when omitted).
    pub alg: String,
    /// The signatures, at least one.
    pub sigs: Vec<Signature>,
    /// The decoded payload.
    pub payload: Vec<u8>,
    /// How it was serialised.
    pub form: Form,
    /// For a `me:provenance`, the `author/uri` of the entry that carried it: it must be the
    /// signed entry's author too.
    pub outer_author: Option<String>,
}

/// Reads an envelope in either serialisation (JSON when the first character is `{`).
pub fn parse(input: &[u8], limits: &Limits) -> Result<Envelope, EnvelopeError> {
    let text = limits.check_text(input)?;
    if text.trim_start().starts_with('{') {
        parse_json(input, limits)
    } else {
        parse_xml(input, limits)
    }
}

/// Reads the XML serialisation: `me:env`, `me:provenance` (anywhere, typically in an
/// entry), or `me:data` and its siblings directly under the root.
pub fn parse_xml(input: &[u8], limits: &Limits) -> Result<Envelope, EnvelopeError> {
    let tree = xml::parse(input, limits)?;
    let root = tree.root();
    let (container, form) = if root.is(ME_NS, "env") {
        (root, Form::Env)
    } else if root.is(ME_NS, "provenance") {
        (root, Form::Provenance)
    } else if let Some(found) = find_envelope(root) {
        found
    } else if root.child(ME_NS, "data").is_some() {
        (root, Form::Bare)
    } else {
        return Err(EnvelopeError::Malformed(format!(
            "no me:env, me:provenance or me:data in <{}>",
            root.local()
        )));
    };
    let data_el = container
        .child(ME_NS, "data")
        .ok_or_else(|| EnvelopeError::Malformed("no me:data".into()))?;
    let data = armor::compact(&data_el.text()).into_owned();
    let data_type = data_el.attr("type").unwrap_or_default().trim().to_string();
    let encoding = container
        .child(ME_NS, "encoding")
        .map(|e| e.text().trim().to_string());
    let alg = container
        .child(ME_NS, "alg")
        .map(|e| e.text().trim().to_string());
    let sigs = container
        .children()
        .filter(|c| c.is(ME_NS, "sig"))
        .map(|s| Signature {
            value: armor::compact(&s.text()).into_owned(),
            key_id: s
                .attr("key_id")
                .or_else(|| s.attr("keyhash"))
                .map(str::to_string),
        })
        .collect();
    let outer_author = if form == Form::Provenance {
        container
            .parent()
            .filter(|p| p.is(ATOM_NS, "entry"))
            .and_then(|entry| entry.child(ATOM_NS, "author"))
            .and_then(|a| a.child(ATOM_NS, "uri"))
            .map(|u| u.text().trim().to_string())
    } else {
        None
    };
    finish(data, data_type, encoding, alg, sigs, form, outer_author)
}

/// The first `me:env` or `me:provenance` below `root`, depth first (the tree's depth is
/// bounded by the decoder limits).
fn find_envelope<'t, 'a>(root: Elem<'t, 'a>) -> Option<(Elem<'t, 'a>, Form)> {
    let mut stack = vec![root];
    while let Some(e) = stack.pop() {
        for c in e.children() {
            if c.is(ME_NS, "provenance") {
                return Some((c, Form::Provenance));
            }
            if c.is(ME_NS, "env") {
                return Some((c, Form::Env));
            }
        }
        let mut kids: Vec<_> = e.children().collect();
        kids.reverse();
        stack.extend(kids);
    }
    None
}

/// Reads the JSON serialisation.
pub fn parse_json(input: &[u8], limits: &Limits) -> Result<Envelope, EnvelopeError> {
    let obj = crate::codec::json::parse_object(input, limits)?;
    let obj = match obj.get("provenance") {
        Some(serde_json::Value::Object(p)) => p.clone(),
        _ => obj,
    };
    let field = |name: &str| -> Result<Option<String>, EnvelopeError> {
        match obj.get(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(EnvelopeError::Malformed(format!("{name} is not a string"))),
        }
    };
    let data = field("data")?.ok_or_else(|| EnvelopeError::Malformed("no data".into()))?;
    let data_type = field("data_type")?.unwrap_or_default();
    let encoding = field("encoding")?;
    let alg = field("alg")?;
    let sigs = match obj.get("sigs") {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|s| match s {
                serde_json::Value::Object(o) => {
                    let value = o
                        .get("value")
                        .and_then(serde_json::Value::as_str)
                        .ok_or_else(|| EnvelopeError::Malformed("a sig has no value".into()))?;
                    Ok(Signature {
                        value: armor::compact(value).into_owned(),
                        key_id: o
                            .get("key_id")
                            .and_then(serde_json::Value::as_str)
                            .map(str::to_string),
                    })
                }
                serde_json::Value::String(v) => Ok(Signature {
                    value: armor::compact(v).into_owned(),
                    key_id: None,
                }),
                _ => Err(EnvelopeError::Malformed("a sig is not an object".into())),
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => Vec::new(),
    };
    finish(
        armor::compact(&data).into_owned(),
        data_type.trim().to_string(),
        encoding.map(|e| e.trim().to_string()),
        alg.map(|a| a.trim().to_string()),
        sigs,
        Form::Json,
        None,
    )
}

/// Checks the parameters, decodes the data.
fn finish(
    data: String,
    data_type: String,
    encoding: Option<String>,
    alg: Option<String>,
    sigs: Vec<Signature>,
    form: Form,
    outer_author: Option<String>,
) -> Result<Envelope, EnvelopeError> {
    // Omitted parameters take the spec's defaults (§5.4).
    let encoding = encoding.unwrap_or_else(|| ENCODING.to_string());
    if !encoding.eq_ignore_ascii_case(ENCODING) {
        return Err(EnvelopeError::UnknownEncoding(encoding));
    }
    let alg = alg.unwrap_or_else(|| ALG.to_string());
    if !alg.eq_ignore_ascii_case(ALG) {
        return Err(EnvelopeError::UnknownAlg(alg));
    }
    if data.is_empty() {
        return Err(EnvelopeError::Malformed("me:data is empty".into()));
    }
    let sigs: Vec<Signature> = sigs.into_iter().filter(|s| !s.value.is_empty()).collect();
    if sigs.is_empty() {
        return Err(EnvelopeError::Malformed("no signature".into()));
    }
    let payload = armor::decode(&data)
        .ok_or_else(|| EnvelopeError::Malformed("me:data is not base64url".into()))?;
    Ok(Envelope {
        data,
        data_type,
        encoding,
        alg,
        sigs,
        payload,
        form,
        outer_author,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(inner: &str) -> String {
        format!("<me:env xmlns:me='{ME_NS}'>{inner}</me:env>")
    }

    #[test]
    fn reads_the_xml_forms() {
        let fields = "<me:data type='application/atom+xml'>PGE-\n  PC9hPg==</me:data>\
            <me:encoding> base64url </me:encoding><me:alg>RSA-SHA256</me:alg>\
            <me:sig key_id='k'>c2ln\n</me:sig><me:sig>c2lnMg</me:sig>";
        let l = Limits::default();
        let e = parse(env(fields).as_bytes(), &l).unwrap();
        assert_eq!(e.form, Form::Env);
        assert_eq!(e.data, "PGE-PC9hPg==");
        assert_eq!(e.payload, b"<a></a>");
        assert_eq!(e.data_type, ATOM_TYPE);
        assert_eq!(e.encoding, "base64url");
        assert_eq!(e.sigs.len(), 2);
        assert_eq!(e.sigs[0].value, "c2ln");
        assert_eq!(e.sigs[0].key_id.as_deref(), Some("k"));

        let prov = format!(
            "<entry xmlns='{ATOM_NS}'><author><uri>http://a.example/u/1</uri></author>\
             <me:provenance xmlns:me='{ME_NS}'>{fields}</me:provenance></entry>"
        );
        let p = parse(prov.as_bytes(), &l).unwrap();
        assert_eq!(p.form, Form::Provenance);
        assert_eq!(p.outer_author.as_deref(), Some("http://a.example/u/1"));
        assert_eq!(p.payload, b"<a></a>");

        let bare = format!("<root xmlns:me='{ME_NS}'>{fields}</root>");
        assert_eq!(parse(bare.as_bytes(), &l).unwrap().form, Form::Bare);
    }

    #[test]
    fn reads_json() {
        let j = r#"{"data":"PGE-PC9hPg","data_type":"application/atom+xml","encoding":"base64url","alg":"RSA-SHA256","sigs":[{"value":"c2ln","key_id":"1"}]}"#;
        let e = parse(j.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(e.form, Form::Json);
        assert_eq!(e.data, "PGE-PC9hPg");
        assert_eq!(e.payload, b"<a></a>");
        assert_eq!(e.sigs[0].key_id.as_deref(), Some("1"));
    }

    #[test]
    fn refuses_what_is_not_an_envelope() {
        let l = Limits::default();
        let data = "<me:data type='t'>PGE-</me:data>";
        let sig = "<me:sig>c2ln</me:sig>";
        assert!(matches!(
            parse(env(&format!("{data}<me:alg>HMAC-SHA256</me:alg>{sig}")).as_bytes(), &l),
            Err(EnvelopeError::UnknownAlg(a)) if a == "HMAC-SHA256"
        ));
        assert!(matches!(
            parse(
                env(&format!("{data}<me:encoding>base64</me:encoding>{sig}")).as_bytes(),
                &l
            ),
            Err(EnvelopeError::UnknownEncoding(_))
        ));
        assert!(matches!(
            parse(env(data).as_bytes(), &l),
            Err(EnvelopeError::Malformed(m)) if m.contains("signature")
        ));
        assert!(matches!(
            parse(env(sig).as_bytes(), &l),
            Err(EnvelopeError::Malformed(_))
        ));
        assert!(matches!(
            parse(env("<me:data>!!!</me:data><me:sig>c2ln</me:sig>").as_bytes(), &l),
            Err(EnvelopeError::Malformed(m)) if m.contains("base64")
        ));
        assert!(matches!(
            parse(b"<feed/>", &l),
            Err(EnvelopeError::Malformed(_))
        ));
        assert!(matches!(
            parse(b"<me:env", &l),
            Err(EnvelopeError::Decode(_))
        ));
        let small = Limits {
            max_bytes: 10,
            ..Limits::default()
        };
        assert!(matches!(
            parse(env(data).as_bytes(), &small),
            Err(EnvelopeError::Decode(DecodeError::TooLarge { .. }))
        ));
        assert!(matches!(
            parse(br#"{"data": 1}"#, &l),
            Err(EnvelopeError::Malformed(_))
        ));
    }
}
