//! RSA keys and hashes for HTTP Signatures and (later) Salmon magic signatures.
//!
//! Every private-key operation (generation, signing) goes through aws-lc-rs: it signs about
//! 7× faster than `rsa` 0.9 and does not carry RUSTSEC-2023-0071 (see
//! `shared/research/rust-ecosystem.md` §3.1, §4.1). aws-lc-rs also reads both public-key DER
//! shapes (SPKI and PKCS#1) and writes SPKI, so the `rsa` crate is not needed for key
//! encoding either: the only encodings left, PEM armour and the Salmon magic-key string, are
//! a few lines each (`pem.rs` and [`PublicKey::from_magic`]).
//!
//! Key sizes: the bridge makes RSA-2048 keys ([`KeyPair::generate`]). It verifies signatures
//! from keys of 1024 bits and up, because GNU social and StatusNet made 1024-bit keys and
//! they are still in use; smaller keys parse (so they can be shown and compared) but every
//! verification with them fails — except through
//! [`PublicKey::verify_pkcs1_sha256_legacy`], which Salmon alone uses, because Friendica and
//! early StatusNet published 512-bit magic keys (`legacy.rs`, verification only).

mod legacy;
pub(crate) mod pem;

use std::fmt;

use aws_lc_rs::digest;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{self, KeyPair as _, ParsedPublicKey};
use base64::Engine;

/// Bits of the keys the bridge generates: what Mastodon makes and expects.
pub const RSA_BITS: usize = 2048;

/// PEM label of an X.509 SubjectPublicKeyInfo, the form Mastodon publishes in `publicKeyPem`.
pub const PEM_PUBLIC_KEY: &str = "PUBLIC KEY";
/// PEM label of a PKCS#1 `RSAPublicKey`, which some servers publish instead.
pub const PEM_RSA_PUBLIC_KEY: &str = "RSA PUBLIC KEY";
/// PEM label of a PKCS#8 private key, the form the store keeps.
pub const PEM_PRIVATE_KEY: &str = "PRIVATE KEY";
/// PEM label of a PKCS#1 `RSAPrivateKey` (OpenSSL's traditional form; the RFC test keys).
pub const PEM_RSA_PRIVATE_KEY: &str = "RSA PRIVATE KEY";

/// Why a key could not be made, read, written or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The PEM armour is broken; the text says how.
    #[error("bad PEM: {0}")]
    Pem(&'static str),
    /// The PEM label is not one this kind of key is read from.
    #[error("unexpected PEM label {0:?}")]
    PemLabel(String),
    /// The DER inside is not an acceptable RSA key (aws-lc-rs's reason, e.g. `TooSmall`).
    #[error("key rejected: {0}")]
    Rejected(&'static str),
    /// A magic public key (`RSA.<modulus>.<exponent>`) that does not parse.
    #[error("bad magic public key: {0}")]
    Magic(&'static str),
    /// The system could not generate a key.
    #[error("key generation failed")]
    Generate,
    /// Signing failed inside aws-lc-rs.
    #[error("signing failed")]
    Sign,
    /// The key could not be encoded.
    #[error("key encoding failed")]
    Encode,
    /// The signature does not verify with this key.
    #[error("signature does not verify")]
    BadSignature,
}

impl From<aws_lc_rs::error::KeyRejected> for KeyError {
    fn from(e: aws_lc_rs::error::KeyRejected) -> Self {
        KeyError::Rejected(e.description_())
    }
}

/// SHA-256 of `data`: the body digest of `Digest` / `Content-Digest` headers.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let d = digest::digest(&digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// SHA-512 of `data`: some peers send `sha-512` content digests (RFC 9421's test request).
pub fn sha512(data: &[u8]) -> [u8; 64] {
    let d = digest::digest(&digest::SHA512, data);
    let mut out = [0u8; 64];
    out.copy_from_slice(d.as_ref());
    out
}

/// An RSA key pair for one bridged actor (a puppet) or for the bridge itself.
///
/// Kept in the store as PKCS#8 PEM ([`KeyPair::to_pkcs8_pem`], and serde does the same), so a
/// puppet keeps the same `publicKey` across restarts.
pub struct KeyPair {
    inner: RsaKeyPair,
    public: PublicKey,
}

impl KeyPair {
    /// Generates a fresh RSA-2048 key pair (tens of milliseconds: do it once per actor and
    /// store it).
    pub fn generate() -> Result<KeyPair, KeyError> {
        let inner = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError::Generate)?;
        KeyPair::from_inner(inner)
    }

    fn from_inner(inner: RsaKeyPair) -> Result<KeyPair, KeyError> {
        let public = PublicKey::from_der(inner.public_key().as_ref())?;
        Ok(KeyPair { inner, public })
    }

    /// Reads an unencrypted PKCS#8 private key (DER). Keys under 2048 bits are refused:
    /// aws-lc-rs does not sign with them.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<KeyPair, KeyError> {
        KeyPair::from_inner(RsaKeyPair::from_pkcs8(der)?)
    }

    /// Reads a PKCS#1 `RSAPrivateKey` (DER).
    pub fn from_pkcs1_der(der: &[u8]) -> Result<KeyPair, KeyError> {
        KeyPair::from_inner(RsaKeyPair::from_der(der)?)
    }

    /// Reads a private key from PEM: `PRIVATE KEY` (PKCS#8, what the store writes) or
    /// `RSA PRIVATE KEY` (PKCS#1, OpenSSL's traditional form).
    pub fn from_pem(text: &str) -> Result<KeyPair, KeyError> {
        let (label, der) = pem::decode(text)?;
        match label.as_str() {
            PEM_PRIVATE_KEY => KeyPair::from_pkcs8_der(&der),
            PEM_RSA_PRIVATE_KEY => KeyPair::from_pkcs1_der(&der),
            _ => Err(KeyError::PemLabel(label)),
        }
    }

    /// The private key as PKCS#8 DER, for the store.
    pub fn to_pkcs8_der(&self) -> Result<Vec<u8>, KeyError> {
        let der = self.inner.as_der().map_err(|_| KeyError::Encode)?;
        Ok(der.as_ref().to_vec())
    }

    /// The private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), for the store.
    pub fn to_pkcs8_pem(&self) -> Result<String, KeyError> {
        Ok(pem::encode(PEM_PRIVATE_KEY, &self.to_pkcs8_der()?))
    }

    /// The public half, to publish as the actor's `publicKey` and magic key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Signs `message` with RSASSA-PKCS1-v1_5 over SHA-256: what `rsa-sha256`,
    /// `rsa-v1_5-sha256`, Mastodon's `hs2019` and Salmon's `RSA-SHA256` all mean.
    pub fn sign_pkcs1_sha256(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut sig = vec![0u8; self.inner.public_modulus_len()];
        let rng = aws_lc_rs::rand::SystemRandom::new();
        self.inner
            .sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut sig)
            .map_err(|_| KeyError::Sign)?;
        Ok(sig)
    }

    /// Signs `message` with RSASSA-PSS over SHA-512, salt 64 bytes (RFC 9421
    /// `rsa-pss-sha512`). Randomised: two signatures of one message differ.
    pub fn sign_pss_sha512(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut sig = vec![0u8; self.inner.public_modulus_len()];
        let rng = aws_lc_rs::rand::SystemRandom::new();
        self.inner
            .sign(&signature::RSA_PSS_SHA512, &rng, message, &mut sig)
            .map_err(|_| KeyError::Sign)?;
        Ok(sig)
    }
}

impl fmt::Debug for KeyPair {
    /// Shows the public key only; the private key never reaches a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl serde::Serialize for KeyPair {
    /// Serialises as the PKCS#8 PEM string, so the store can keep it in JSON.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let pem = self.to_pkcs8_pem().map_err(serde::ser::Error::custom)?;
        s.serialize_str(&pem)
    }
}

impl<'de> serde::Deserialize<'de> for KeyPair {
    /// Reads what [`serde::Serialize`] wrote (or a PKCS#1 PEM).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        KeyPair::from_pem(&text).map_err(serde::de::Error::custom)
    }
}

/// An RSA public key: a peer's key to verify with, or our own to publish.
///
/// Reads SPKI and PKCS#1 (DER or PEM) and magic public keys; writes SPKI PEM (what Mastodon
/// publishes and expects), PKCS#1 and magic keys. Two keys are equal when their modulus and
/// exponent are.
#[derive(Clone)]
pub struct PublicKey {
    /// PKCS#1 `RSAPublicKey` DER: the canonical form, compared by `==`.
    pkcs1: Vec<u8>,
    /// Modulus, big-endian, no leading zero.
    n: Vec<u8>,
    /// Exponent, big-endian, no leading zero.
    e: Vec<u8>,
    /// Parsed once for the common PKCS#1 v1.5 SHA-256 check (about 14 % faster per verify).
    pkcs1_sha256: ParsedPublicKey,
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.pkcs1 == other.pkcs1
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({} bits, {})", self.bits(), self.to_magic())
    }
}

impl PublicKey {
    /// Reads DER, either SPKI (`BEGIN PUBLIC KEY` content) or PKCS#1 (`BEGIN RSA PUBLIC KEY`).
    pub fn from_der(der: &[u8]) -> Result<PublicKey, KeyError> {
        let key = aws_lc_rs::rsa::PublicKey::from_der(der)?;
        let pkcs1 = key.as_ref().to_vec();
        let n = key.modulus().big_endian_without_leading_zero().to_vec();
        let e = key.exponent().big_endian_without_leading_zero().to_vec();
        let pkcs1_sha256 = ParsedPublicKey::new(
            &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
            &pkcs1,
        )?;
        Ok(PublicKey {
            pkcs1,
            n,
            e,
            pkcs1_sha256,
        })
    }

    /// Reads a PEM public key: `PUBLIC KEY` (SPKI, Mastodon) or `RSA PUBLIC KEY` (PKCS#1,
    /// some other servers). Text around the block is ignored.
    pub fn from_pem(text: &str) -> Result<PublicKey, KeyError> {
        let (label, der) = pem::decode(text)?;
        match label.as_str() {
            PEM_PUBLIC_KEY | PEM_RSA_PUBLIC_KEY => PublicKey::from_der(&der),
            _ => Err(KeyError::PemLabel(label)),
        }
    }

    /// Builds a key from its modulus and exponent (big-endian; leading zeros are dropped).
    pub fn from_components(n: &[u8], e: &[u8]) -> Result<PublicKey, KeyError> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        if n.is_empty() || e.is_empty() {
            return Err(KeyError::Rejected("InvalidEncoding"));
        }
        let spki = PublicKeyComponents { n, e }
            .as_der()
            .map_err(|_| KeyError::Rejected("InconsistentComponents"))?;
        PublicKey::from_der(spki.as_ref())
    }

    /// Reads a Salmon magic public key `RSA.<modulus>.<exponent>` (PROTOCOLS.md §5.6):
    /// base64url with or without padding, whitespace ignored. The four-part private form
    /// is refused, so a private exponent is never taken for a public key.
    pub fn from_magic(text: &str) -> Result<PublicKey, KeyError> {
        let mut parts = text.trim().split('.');
        if parts.next().map(str::trim) != Some("RSA") {
            return Err(KeyError::Magic("does not start with \"RSA.\""));
        }
        let n = parts.next().ok_or(KeyError::Magic("no modulus"))?;
        let e = parts.next().ok_or(KeyError::Magic("no exponent"))?;
        if parts.next().is_some() {
            return Err(KeyError::Magic("more than modulus and exponent"));
        }
        let n = pem::decode_b64url(n).ok_or(KeyError::Magic("modulus is not base64url"))?;
        let e = pem::decode_b64url(e).ok_or(KeyError::Magic("exponent is not base64url"))?;
        PublicKey::from_components(&n, &e)
    }

    /// SPKI DER.
    pub fn to_spki_der(&self) -> Result<Vec<u8>, KeyError> {
        let spki = PublicKeyComponents {
            n: self.n.as_slice(),
            e: self.e.as_slice(),
        }
        .as_der()
        .map_err(|_| KeyError::Encode)?;
        Ok(spki.as_ref().to_vec())
    }

    /// SPKI PEM (`-----BEGIN PUBLIC KEY-----`, 64-column lines, final newline): the
    /// `publicKeyPem` of an ActivityPub actor.
    pub fn to_spki_pem(&self) -> Result<String, KeyError> {
        Ok(pem::encode(PEM_PUBLIC_KEY, &self.to_spki_der()?))
    }

    /// PKCS#1 `RSAPublicKey` DER.
    pub fn to_pkcs1_der(&self) -> &[u8] {
        &self.pkcs1
    }

    /// PKCS#1 PEM (`-----BEGIN RSA PUBLIC KEY-----`).
    pub fn to_pkcs1_pem(&self) -> String {
        pem::encode(PEM_RSA_PUBLIC_KEY, &self.pkcs1)
    }

    /// The magic public key `RSA.<modulus>.<exponent>`, base64url with padding (as GNU social
    /// and Mastodon publish it, PROTOCOLS.md §5.2 and §5.6).
    pub fn to_magic(&self) -> String {
        format!(
            "RSA.{}.{}",
            pem::B64URL.encode(&self.n),
            pem::B64URL.encode(&self.e)
        )
    }

    /// Modulus, big-endian without leading zeros.
    pub fn modulus(&self) -> &[u8] {
        &self.n
    }

    /// Public exponent, big-endian without leading zeros.
    pub fn exponent(&self) -> &[u8] {
        &self.e
    }

    /// Size of the modulus in bits.
    pub fn bits(&self) -> usize {
        match self.n.first() {
            Some(&b) => self.n.len() * 8 - b.leading_zeros() as usize,
            None => 0,
        }
    }

    /// Checks an RSASSA-PKCS1-v1_5 SHA-256 signature (keys of 1024 bits and up).
    pub fn verify_pkcs1_sha256(&self, message: &[u8], sig: &[u8]) -> Result<(), KeyError> {
        self.pkcs1_sha256
            .verify_sig(message, sig)
            .map_err(|_| KeyError::BadSignature)
    }

    /// Checks an RSASSA-PKCS1-v1_5 SHA-256 signature like [`PublicKey::verify_pkcs1_sha256`],
    /// but also with keys of 512 to 1023 bits. For Salmon magic signatures only: Friendica
    /// and early StatusNet published such keys and their envelopes must still verify
    /// (ostatus-anchors.md checklist 6). HTTP Signatures keep the 1024-bit floor.
    pub fn verify_pkcs1_sha256_legacy(&self, message: &[u8], sig: &[u8]) -> Result<(), KeyError> {
        match self.first_signed_pkcs1_sha256_legacy(&[message], sig) {
            Some(_) => Ok(()),
            None => Err(KeyError::BadSignature),
        }
    }

    /// The index of the first of `messages` that `sig` signs, like
    /// [`PublicKey::verify_pkcs1_sha256_legacy`] on each in turn; with a legacy (512–1023-bit)
    /// key the public operation is done only once for all of them.
    pub fn first_signed_pkcs1_sha256_legacy(
        &self,
        messages: &[&[u8]],
        sig: &[u8],
    ) -> Option<usize> {
        if self.bits() >= 1024 {
            return messages
                .iter()
                .position(|m| self.verify_pkcs1_sha256(m, sig).is_ok());
        }
        let hashes: Vec<[u8; 32]> = messages.iter().map(|m| sha256(m)).collect();
        legacy::first_match(&self.n, &self.e, &hashes, sig)
    }

    /// Checks an RSASSA-PSS SHA-512 signature (RFC 9421 `rsa-pss-sha512`; cavage `hs2019`
    /// by the letter of the draft). Keys of 2048 bits and up.
    pub fn verify_pss_sha512(&self, message: &[u8], sig: &[u8]) -> Result<(), KeyError> {
        signature::UnparsedPublicKey::new(&signature::RSA_PSS_2048_8192_SHA512, &self.pkcs1)
            .verify(message, sig)
            .map_err(|_| KeyError::BadSignature)
    }
}

impl serde::Serialize for PublicKey {
    /// Serialises as SPKI PEM.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let pem = self.to_spki_pem().map_err(serde::ser::Error::custom)?;
        s.serialize_str(&pem)
    }
}

impl<'de> serde::Deserialize<'de> for PublicKey {
    /// Reads SPKI or PKCS#1 PEM.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        PublicKey::from_pem(&text).map_err(serde::de::Error::custom)
    }
}

/// The default Salmon `key_id` of a magic key: base64url(SHA-256(the key string as
/// published)), PROTOCOLS.md §5.1. It depends on the exact string, padding included.
pub fn magic_key_id(magic: &str) -> String {
    pem::B64URL.encode(sha256(magic.as_bytes()))
}

fn strip_leading_zeros(b: &[u8]) -> &[u8] {
    let first = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    b.get(first..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_match_the_published_values() {
        // PROTOCOLS.md §11.3 / §12.6.
        let body = br#"{"hello": "world"}"#;
        assert_eq!(
            pem::B64.encode(sha256(body)),
            "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
        );
        assert_eq!(
            pem::B64.encode(sha512(body)),
            "WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew=="
        );
    }

    #[test]
    fn leading_zeros() {
        assert_eq!(strip_leading_zeros(&[0, 0, 1, 0]), &[1, 0]);
        assert_eq!(strip_leading_zeros(&[0, 0]), &[] as &[u8]);
        assert!(PublicKey::from_components(&[0], &[1]).is_err());
    }
}
