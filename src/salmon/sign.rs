//! Making Salmon slaps: an Atom entry enveloped and signed the way GNU social and Mastodon
//! verify it (PROTOCOLS.md §4.2, ostatus-anchors.md checklist 4): padded base64url
//! everywhere, `application/atom+xml`, `base64url`, `RSA-SHA256`, serialised as
//! `application/magic-envelope+xml`.
//!
//! The other [`SigningMode`]s exist for the sender's retries: Friendica and older GNU social
//! peers that refuse the standard text may take the unpadded or data-only one. The envelope
//! itself is the same in every mode; only the signed text differs.

use crate::codec::xml::{escape_attr, escape_text};
use crate::crypto::{KeyError, KeyPair};

use super::armor;
use super::envelope::{ALG, ATOM_TYPE, ENCODING, Envelope, Form, ME_NS, Signature};
use super::verify::{SigningMode, signing_text};

/// The media type of the XML serialisation.
pub const MAGIC_ENVELOPE_XML: &str = "application/magic-envelope+xml";

/// Envelopes `entry` (Atom entry XML) and signs it with `key` over the `mode` signing text.
pub fn envelope(entry: &[u8], key: &KeyPair, mode: SigningMode) -> Result<Envelope, KeyError> {
    let data = armor::encode(entry);
    let text = signing_text(&data, entry, ATOM_TYPE, ENCODING, ALG, mode);
    let sig = key.sign_pkcs1_sha256(text.as_bytes())?;
    Ok(Envelope {
        data,
        data_type: ATOM_TYPE.to_string(),
        encoding: ENCODING.to_string(),
        alg: ALG.to_string(),
        sigs: vec![Signature {
            value: armor::encode(&sig),
            key_id: None,
        }],
        payload: entry.to_vec(),
        form: Form::Env,
        outer_author: None,
    })
}

/// The `<me:env>` document of an envelope (GNU social's shape: no `key_id` unless the
/// envelope has one).
pub fn to_xml(env: &Envelope) -> String {
    let mut out = String::with_capacity(env.data.len() + 512);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<me:env xmlns:me=\"");
    out.push_str(ME_NS);
    out.push_str("\"><me:data type=\"");
    escape_attr(&mut out, &env.data_type);
    out.push_str("\">");
    escape_text(&mut out, &env.data);
    out.push_str("</me:data><me:encoding>");
    escape_text(&mut out, &env.encoding);
    out.push_str("</me:encoding><me:alg>");
    escape_text(&mut out, &env.alg);
    out.push_str("</me:alg>");
    for s in &env.sigs {
        out.push_str("<me:sig");
        if let Some(k) = &s.key_id {
            out.push_str(" key_id=\"");
            escape_attr(&mut out, k);
            out.push('"');
        }
        out.push('>');
        escape_text(&mut out, &s.value);
        out.push_str("</me:sig>");
    }
    out.push_str("</me:env>\n");
    out
}

/// Envelopes, signs and serialises in one step: the body of a Salmon POST.
pub fn sign_entry(entry: &[u8], key: &KeyPair, mode: SigningMode) -> Result<String, KeyError> {
    Ok(to_xml(&envelope(entry, key, mode)?))
}
