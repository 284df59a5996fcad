//! Verifying an incoming request: everything that needs no key first (cheap, and a junk
//! request never makes the bridge fetch anything), then the key, with one refetch when a
//! cached key fails (the signer rotated its key).

use std::future::Future;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{Error, Request, cavage, digest, rfc9421, window};
use crate::crypto::PublicKey;

/// Which signature standard a request was signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// draft-cavage `Signature` (or `Authorization: Signature`).
    Cavage,
    /// RFC 9421 `Signature-Input` + `Signature`.
    Rfc9421,
}

/// A signature algorithm to try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alg {
    /// RSASSA-PKCS1-v1_5 SHA-256.
    Pkcs1Sha256,
    /// RSASSA-PSS SHA-512.
    PssSha512,
}

/// A request whose signature parses and whose digest, coverage and time are acceptable;
/// only the key check remains ([`Prepared::verify`]).
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The standard it was signed with.
    pub scheme: Scheme,
    /// The key id to look up.
    pub key_id: String,
    /// When it was signed (Unix seconds): `created`, else `Date`.
    pub created: i64,
    /// The signed expiry, if any.
    pub expires: Option<i64>,
    pub(crate) algs: Vec<Alg>,
    /// Signature bases to try, preferred first (cavage: with, then without, the query).
    pub(crate) bases: Vec<Vec<u8>>,
    pub(crate) signature: Vec<u8>,
}

impl Prepared {
    /// Checks the signature with `key`: any base, any allowed algorithm.
    pub fn verify(&self, key: &PublicKey) -> Result<(), Error> {
        for base in &self.bases {
            for alg in &self.algs {
                let ok = match alg {
                    Alg::Pkcs1Sha256 => key.verify_pkcs1_sha256(base, &self.signature),
                    Alg::PssSha512 => key.verify_pss_sha512(base, &self.signature),
                };
                if ok.is_ok() {
                    return Ok(());
                }
            }
        }
        Err(Error::BadSignature)
    }

    /// The signing string / signature base (the preferred one), for logs and tests.
    pub fn signature_base(&self) -> &[u8] {
        self.bases.first().map(Vec::as_slice).unwrap_or_default()
    }
}

/// Checks the body digests a request carries, and that one is signed when the request has
/// (or, being a POST, should have) a body. `name` is the header to ask for.
pub(crate) fn check_body_digest(
    req: &Request<'_>,
    digest_covered: bool,
    name: &str,
) -> Result<(), Error> {
    let d = req.single("digest")?;
    let cd = req.single("content-digest")?;
    if let Some(d) = &d {
        digest::check_digest(d, req.body)?;
    }
    if let Some(cd) = &cd {
        digest::check_content_digest(cd, req.body)?;
    }
    if req.needs_digest() {
        if d.is_none() && cd.is_none() {
            return Err(Error::Missing {
                what: format!("{name} header (required with a body)"),
            });
        }
        if !digest_covered {
            return Err(Error::NotCovered { what: name.into() });
        }
    }
    Ok(())
}

/// Everything that can be checked without the key: finds the signature (RFC 9421 when
/// `Signature-Input` is present, as Mastodon decides; else cavage `Signature`, else
/// `Authorization: Signature`), checks coverage and body digest, and the time window
/// against `now`.
pub fn prepare(req: &Request<'_>, now: DateTime<Utc>) -> Result<Prepared, Error> {
    let prepared = if !req.headers.field_values("signature-input").is_empty() {
        rfc9421::prepare(req)?
    } else if let Some(sig) = req.single("signature")? {
        cavage::prepare(req, &sig)?
    } else if let Some(auth) = req.single("authorization")?.filter(|a| {
        a.get(..10)
            .is_some_and(|p| p.eq_ignore_ascii_case("signature "))
    }) {
        cavage::prepare(req, &auth)?
    } else {
        return Err(Error::Missing {
            what: "Signature header".into(),
        });
    };
    window::check(prepared.created, prepared.expires, now.timestamp())?;
    Ok(prepared)
}

/// How fresh a key the verifier asks the lookup for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    /// A cached key is fine (fetch it if there is none).
    Cached,
    /// Fetch it again, bypassing the cache: the cached key failed to verify.
    Refresh,
}

/// A key as the lookup found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundKey {
    /// The key.
    pub key: PublicKey,
    /// Its owner (the actor id, from `publicKey.owner`).
    pub owner: String,
    /// True when it was just fetched, so refetching cannot help.
    pub fresh: bool,
}

/// Why a lookup found no key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// The key does not exist (404/410, or the document has no such key).
    #[error("no such key")]
    NotFound,
    /// It could not be fetched or read now.
    #[error("{0}")]
    Unavailable(String),
}

/// Finds the public key for a key id: the server's cache in front of an HTTP fetch.
pub trait KeyLookup: Sync {
    /// The key for `key_id`; with [`Fetch::Refresh`], fetched anew and re-cached.
    fn lookup(
        &self,
        key_id: &str,
        fetch: Fetch,
    ) -> impl Future<Output = Result<FoundKey, LookupError>> + Send;
}

/// A synchronous closure as a [`KeyLookup`] (tests, benches, in-memory caches). Annotate
/// the key id parameter (`|key_id: &str, fetch| …`) so the closure accepts any lifetime.
pub struct FnLookup<F>(pub F);

impl<F> KeyLookup for FnLookup<F>
where
    F: Fn(&str, Fetch) -> Result<FoundKey, LookupError> + Sync,
{
    fn lookup(
        &self,
        key_id: &str,
        fetch: Fetch,
    ) -> impl Future<Output = Result<FoundKey, LookupError>> + Send {
        std::future::ready((self.0)(key_id, fetch))
    }
}

/// Who signed a request, once verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The key id that verified.
    pub key_id: String,
    /// The key's owner (an actor id).
    pub owner: String,
    /// The standard it was signed with.
    pub scheme: Scheme,
    /// True when the cached key failed and a refetched one verified (the signer rotated).
    pub refetched: bool,
}

impl Verified {
    /// Requires the key's owner to be `actor`, the activity's actor (PROTOCOLS.md §11.5):
    /// otherwise anyone could relay forged activities under their own signature.
    pub fn require_actor(&self, actor: &str) -> Result<(), Error> {
        if self.owner == actor {
            Ok(())
        } else {
            Err(Error::ActorMismatch {
                owner: self.owner.clone(),
                actor: actor.to_string(),
            })
        }
    }
}

fn lookup_error(key_id: &str, e: LookupError) -> Error {
    match e {
        LookupError::NotFound => Error::UnknownKey {
            key_id: key_id.to_string(),
        },
        LookupError::Unavailable(reason) => Error::KeyUnavailable {
            key_id: key_id.to_string(),
            reason,
        },
    }
}

/// Verifies an incoming request's HTTP signature.
///
/// In order: [`prepare`] (signature found and parsed; digest matches the body and is
/// signed when there is a body; `Date`/`created` within the [`window`]), then the key from
/// `keys`; if a cached key does not verify, the key is fetched once more and tried again.
pub async fn verify_request<L: KeyLookup>(
    req: &Request<'_>,
    now: DateTime<Utc>,
    keys: &L,
) -> Result<Verified, Error> {
    let prepared = prepare(req, now)?;
    let key_id = prepared.key_id.as_str();
    let found = keys
        .lookup(key_id, Fetch::Cached)
        .await
        .map_err(|e| lookup_error(key_id, e))?;
    let refetched = match prepared.verify(&found.key) {
        Ok(()) => {
            return Ok(Verified {
                key_id: prepared.key_id.clone(),
                owner: found.owner,
                scheme: prepared.scheme,
                refetched: false,
            });
        }
        Err(Error::BadSignature) if !found.fresh => keys
            .lookup(key_id, Fetch::Refresh)
            .await
            .map_err(|e| lookup_error(key_id, e))?,
        Err(e) => return Err(e),
    };
    prepared.verify(&refetched.key)?;
    Ok(Verified {
        key_id: prepared.key_id.clone(),
        owner: refetched.owner,
        scheme: prepared.scheme,
        refetched: true,
    })
}

/// A key read out of a fetched document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorKey {
    /// The key.
    pub key: PublicKey,
    /// Its owner (`publicKey.owner`).
    pub owner: String,
}

/// Reads the key `key_id` out of a fetched actor (`publicKey` object or array) or a
/// standalone key document (`publicKeyPem` at the top), PROTOCOLS.md §11.5 and trap 28.
///
/// The key's `id` must equal `key_id`. In an actor, `owner` must be the actor's `id` (or
/// absent, meaning the actor). A standalone key document must name its `owner`; the caller
/// should then fetch that actor and check it lists the same key. SPKI and PKCS#1 PEM are
/// both accepted.
pub fn key_from_document(doc: &Value, key_id: &str) -> Result<ActorKey, Error> {
    let actor_id = doc.get("id").and_then(Value::as_str);
    let is_key_doc = doc.get("publicKeyPem").is_some();
    let candidates: Vec<&Value> = if is_key_doc {
        vec![doc]
    } else {
        match doc.get("publicKey") {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(v @ Value::Object(_)) => vec![v],
            _ => {
                return Err(Error::Missing {
                    what: "publicKey in the actor document".into(),
                });
            }
        }
    };
    let entry = candidates
        .into_iter()
        .find(|k| k.get("id").and_then(Value::as_str) == Some(key_id))
        .ok_or_else(|| Error::UnknownKey {
            key_id: key_id.to_string(),
        })?;
    let pem = entry
        .get("publicKeyPem")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Missing {
            what: "publicKeyPem".into(),
        })?;
    let owner = match (entry.get("owner").and_then(Value::as_str), is_key_doc) {
        (Some(o), false) if Some(o) != actor_id => {
            return Err(Error::Malformed {
                what: format!("publicKey.owner {o} is not the actor"),
            });
        }
        (Some(o), _) => o.to_string(),
        (None, false) => actor_id
            .ok_or_else(|| Error::Missing {
                what: "actor id".into(),
            })?
            .to_string(),
        (None, true) => {
            return Err(Error::Missing {
                what: "owner of the key document".into(),
            });
        }
    };
    Ok(ActorKey {
        key: PublicKey::from_pem(pem)?,
        owner,
    })
}

/// The `publicKey` member of one of our actors (PROTOCOLS.md §13.2): `id` (`<actor>#main-key`
/// by convention), `owner`, and SPKI `publicKeyPem`.
pub fn public_key_object(key_id: &str, owner: &str, key: &PublicKey) -> Result<Value, Error> {
    Ok(serde_json::json!({
        "id": key_id,
        "owner": owner,
        "publicKeyPem": key.to_spki_pem()?,
    }))
}
