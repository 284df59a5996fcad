//! Magic envelopes the way GNU social 1.2x makes and checks them, written for the test doubles
//! independently of the bridge's `salmon` module (only the RSA primitives of `crypto` are
//! shared), so that a test of the bridge's Salmon is not the bridge checking itself.
//!
//! GNU social's form: `data` = padded base64url of the Atom entry; signing text =
//! `data` exactly as carried (whitespace removed) + "." + b64url(data_type) + "." +
//! b64url("base64url") + "." + b64url("RSA-SHA256"), every piece padded; RSASSA-PKCS1-v1_5
//! SHA-256; `sig` padded base64url. StatusNet ≤ 0.9.6 signed `data` alone, and GNU social
//! still accepts that as its fallback.

use ostatus_bridge::crypto::{KeyPair, PublicKey};

use super::b64url;
use super::mini_xml::{self, esc};

/// The magic-env namespace.
pub const NS: &str = "http://salmon-protocol.org/ns/magic-env";
/// The only data type GNU social sends.
pub const ATOM: &str = "application/atom+xml";

/// An envelope as received, `data` with its whitespace removed but otherwise as carried.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// Armored payload exactly as sent.
    pub data: String,
    /// `me:data/@type` (or JSON `data_type`).
    pub data_type: String,
    /// `me:encoding`.
    pub encoding: String,
    /// `me:alg`.
    pub alg: String,
    /// Every `me:sig`.
    pub sigs: Vec<String>,
}

/// Which signing text a signature verified under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// data + the three padded metadata pieces (GNU social ≥ 0.9.7, Mastodon, the bridge).
    Full,
    /// data alone (StatusNet ≤ 0.9.6 compat, GNU social's fallback).
    DataOnly,
}

/// GNU social's signing text for `data` (already armored).
pub fn signing_text(data: &str, data_type: &str) -> String {
    format!(
        "{data}.{}.{}.{}",
        b64url::encode(data_type.as_bytes()),
        b64url::encode(b"base64url"),
        b64url::encode(b"RSA-SHA256")
    )
}

/// Envelopes and signs `entry_xml` the GNU social way; returns the `me:env` document.
pub fn sign(key: &KeyPair, entry_xml: &str) -> String {
    let data = b64url::encode(entry_xml.as_bytes());
    let sig = key
        .sign_pkcs1_sha256(signing_text(&data, ATOM).as_bytes())
        .expect("sign");
    envelope_xml(&data, ATOM, &b64url::encode(&sig))
}

/// The XML serialisation GNU social writes.
pub fn envelope_xml(data: &str, data_type: &str, sig: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<me:env xmlns:me=\"{NS}\">\n\
         <me:data type=\"{}\">{data}</me:data>\n<me:encoding>base64url</me:encoding>\n\
         <me:alg>RSA-SHA256</me:alg>\n<me:sig>{sig}</me:sig>\n</me:env>\n",
        esc(data_type)
    )
}

fn strip_ws(s: &str) -> String {
    s.chars().filter(|c| !c.is_ascii_whitespace()).collect()
}

/// Reads an XML (`me:env`, also `me:provenance` or an entry holding one) or JSON envelope.
pub fn parse(body: &str) -> Result<Envelope, String> {
    let trimmed = body.trim_start();
    if trimmed.starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(trimmed).map_err(|e| e.to_string())?;
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
        let sigs = v
            .get("sigs")
            .and_then(|x| x.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.get("value").and_then(|x| x.as_str()))
                    .map(strip_ws)
                    .collect()
            })
            .unwrap_or_default();
        return Ok(Envelope {
            data: strip_ws(&s("data")),
            data_type: s("data_type"),
            encoding: s("encoding"),
            alg: s("alg"),
            sigs,
        });
    }
    let root = mini_xml::parse(body)?;
    let env = if root.name == "env" || root.name == "provenance" {
        &root
    } else {
        root.child("provenance")
            .or_else(|| root.child("env"))
            .ok_or_else(|| format!("root <{}> is not me:env", root.name))?
    };
    let data = env.child("data").ok_or("no me:data")?;
    Ok(Envelope {
        data: strip_ws(&data.text),
        data_type: data.attr("type").unwrap_or("").to_string(),
        encoding: env.child_text("encoding").unwrap_or_default(),
        alg: env.child_text("alg").unwrap_or_default(),
        sigs: env.all("sig").map(|s| strip_ws(&s.text)).collect(),
    })
}

impl Envelope {
    /// The payload, decoded.
    pub fn payload(&self) -> Result<String, String> {
        let bytes = b64url::decode(&self.data).ok_or("me:data is not base64url")?;
        String::from_utf8(bytes).map_err(|e| e.to_string())
    }

    /// GNU social's check: any signature over the full signing text, else over data alone.
    pub fn verify(&self, key: &PublicKey) -> Option<Mode> {
        let full = signing_text(&self.data, &self.data_type);
        for (mode, text) in [(Mode::Full, full.as_str()), (Mode::DataOnly, &self.data)] {
            for sig in &self.sigs {
                let Some(sig) = b64url::decode(sig) else {
                    continue;
                };
                if key.verify_pkcs1_sha256(text.as_bytes(), &sig).is_ok() {
                    return Some(mode);
                }
            }
        }
        None
    }
}

/// `RSA.<n>.<e>`, padded, as GNU social publishes it.
pub fn magic_key(key: &PublicKey) -> String {
    format!(
        "RSA.{}.{}",
        b64url::encode(key.modulus()),
        b64url::encode(key.exponent())
    )
}

/// Reads a magic public key (`RSA.n.e`, padding optional) with the doubles' own base64url.
pub fn parse_magic_key(text: &str) -> Result<PublicKey, String> {
    let mut parts = text.trim().split('.');
    if parts.next() != Some("RSA") {
        return Err(format!("not a magic key: {text}"));
    }
    let n = parts.next().and_then(b64url::decode).ok_or("bad modulus")?;
    let e = parts
        .next()
        .and_then(b64url::decode)
        .ok_or("bad exponent")?;
    PublicKey::from_components(&n, &e).map_err(|e| e.to_string())
}
