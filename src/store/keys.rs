//! Our own key pairs, one per puppet handle: made on first use, then kept forever, because
//! peers cache the public key. The first pair stored for a handle wins, so two requests
//! racing to create a puppet's key cannot leave a signature made with a discarded key.
//!
//! Value layout (binary, no base64 bloat): `1` (layout version) ‖ DER length as u32
//! big-endian ‖ PKCS#8 DER ‖ public key PEM (UTF-8).

use std::fmt;

use super::codec::{check_part, corrupt};
use super::{Result, Store, StoreError, name};

/// A puppet's RSA key pair, as opaque bytes the crypto module produced.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyPair {
    /// The private key, PKCS#8 DER. Never logged.
    pub private_pkcs8_der: Vec<u8>,
    /// The public key, PEM (`BEGIN PUBLIC KEY`), as published in actors and WebFinger.
    pub public_pem: String,
}

/// Hides the private key from logs.
impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field(
                "private_pkcs8_der",
                &format_args!("<{} bytes>", self.private_pkcs8_der.len()),
            )
            .field("public_pem", &self.public_pem)
            .finish()
    }
}

const LAYOUT: u8 = 1;

impl KeyPair {
    fn to_bytes(&self) -> Result<Vec<u8>> {
        let len = u32::try_from(self.private_pkcs8_der.len()).map_err(|_| StoreError::Encode {
            tree: name::KEYPAIRS,
            reason: "private key over 4 GiB".into(),
        })?;
        let mut v = Vec::with_capacity(5 + self.private_pkcs8_der.len() + self.public_pem.len());
        v.push(LAYOUT);
        v.extend_from_slice(&len.to_be_bytes());
        v.extend_from_slice(&self.private_pkcs8_der);
        v.extend_from_slice(self.public_pem.as_bytes());
        Ok(v)
    }

    fn from_bytes(key: &[u8], v: &[u8]) -> Result<KeyPair> {
        let bad = |reason: &str| corrupt(name::KEYPAIRS, key, reason.to_owned());
        let (&layout, rest) = v.split_first().ok_or_else(|| bad("empty"))?;
        if layout != LAYOUT {
            return Err(bad("unknown layout version"));
        }
        let (len, rest) = rest
            .split_first_chunk::<4>()
            .ok_or_else(|| bad("truncated length"))?;
        let len = usize::try_from(u32::from_be_bytes(*len)).map_err(|_| bad("length"))?;
        if rest.len() < len {
            return Err(bad("truncated private key"));
        }
        let (der, pem) = rest.split_at(len);
        let public_pem =
            String::from_utf8(pem.to_vec()).map_err(|_| bad("public key PEM is not UTF-8"))?;
        Ok(KeyPair {
            private_pkcs8_der: der.to_vec(),
            public_pem,
        })
    }
}

impl Store {
    /// Stores `pair` for `handle` unless one is already there, and returns the pair that is
    /// stored now (the earlier one when there was one): always sign with the returned pair.
    pub async fn put_keypair(&self, handle: &str, pair: &KeyPair) -> Result<KeyPair> {
        check_part("handle", handle)?;
        let bytes = pair.to_bytes()?;
        let handle = handle.to_owned();
        let mine = pair.clone();
        self.unblock(move |db| {
            match db
                .t
                .keypairs
                .compare_and_swap(handle.as_bytes(), None::<&[u8]>, Some(bytes))?
            {
                Ok(()) => Ok(mine),
                Err(cas) => match cas.current {
                    Some(v) => KeyPair::from_bytes(handle.as_bytes(), &v),
                    None => Err(corrupt(
                        name::KEYPAIRS,
                        handle.as_bytes(),
                        "vanished during insert".into(),
                    )),
                },
            }
        })
        .await
    }

    /// The key pair of a puppet.
    pub async fn get_keypair(&self, handle: &str) -> Result<Option<KeyPair>> {
        let handle = handle.to_owned();
        self.unblock(move |db| {
            db.t.keypairs
                .get(handle.as_bytes())?
                .map(|v| KeyPair::from_bytes(handle.as_bytes(), &v))
                .transpose()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_round_trips_and_rejects_garbage() {
        let kp = KeyPair {
            private_pkcs8_der: vec![0x30, 0x82, 0, 1, 2],
            public_pem: "-----BEGIN PUBLIC KEY-----\n".into(),
        };
        let b = kp.to_bytes().unwrap();
        assert_eq!(KeyPair::from_bytes(b"h", &b).unwrap(), kp);
        for bad in [&b[..0], &b[..3], &b[..7], &[2u8, 0, 0, 0, 0][..]] {
            assert!(KeyPair::from_bytes(b"h", bad).is_err());
        }
        assert!(
            !format!("{kp:?}").contains("130"),
            "private bytes must not be printed"
        );
    }
}
