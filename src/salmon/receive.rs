//! Authenticating a received Salmon: envelope → signed entry → its author → the author's
//! key → the signature (PROTOCOLS.md §4.3; ostatus-anchors.md checklist 5–7).
//!
//! The key is the store's cached one for the author when there is one; when it does not
//! verify (the author may have changed keys) or there is none, the author's own WebFinger
//! is asked once more (Pleroma's `decode_or_retry`), and the identity is cached only after
//! its key verified the envelope. Nothing is stored for a refused envelope.

use http::StatusCode;

use crate::codec::{DecodeError, Limits, atom};
use crate::crypto::PublicKey;
use crate::identity::discover::{self, DiscoverError};
use crate::model::Document;
use crate::net::{FetchError, Fetcher, Refused};
use crate::store::{self, Store, StoreError};

use super::author::{self, AuthorError, EntryAuthor, Route};
use super::envelope::{self, EnvelopeError, Form};
use super::verify::{self, SigningMode};

/// A Salmon whose signature verified with its author's key.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The signed payload: the Atom entry as the author signed it.
    pub entry_xml: Vec<u8>,
    /// The entry, decoded.
    pub document: Document,
    /// The entry's `id` (what the receiver dedupes by).
    pub entry_id: String,
    /// The entry's `updated`, when it has one.
    pub updated: Option<String>,
    /// The signer: the entry's normalised `author/uri` (else the acct of its email).
    pub author: String,
    /// The author's identity as cached (`id` = [`Verified::author`]), magic key included.
    pub identity: store::Identity,
    /// The signing text that verified.
    pub mode: SigningMode,
    /// How the envelope was serialised.
    pub form: Form,
}

/// Why a Salmon was refused. [`SalmonError::status`] is the HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum SalmonError {
    /// The request had no body (400, as Mastodon answers).
    #[error("empty Salmon body")]
    Empty,
    /// A body type the endpoint does not read (415).
    #[error("unsupported Salmon content type {0:?}")]
    UnsupportedMediaType(String),
    /// The Salmon endpoint of a puppet that does not exist (404).
    #[error("no puppet {0:?} on this bridge")]
    UnknownPuppet(String),
    /// The envelope is unreadable, or uses an unknown alg/encoding (400).
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// The signed payload is not an Atom entry the bridge can use (400).
    #[error("bad Salmon payload: {0}")]
    Payload(String),
    /// No signature verifies with the author's published key (401).
    #[error("signature refused: the magic signature does not verify with the key of {author}")]
    BadSignature {
        /// The entry's author.
        author: String,
    },
    /// The author's WebFinger publishes no usable magic key (401).
    #[error("signature refused: no magic key published for {author}: {reason}")]
    KeyNotPublished {
        /// The entry's author.
        author: String,
        /// What the lookup found.
        reason: String,
    },
    /// The envelope's signer is not the author of the activity (401).
    #[error("signature refused: {signer} signed, but the activity is by {author}")]
    SignerNotAuthor {
        /// Who signed (the signed entry's author).
        signer: String,
        /// Who the activity or the carrying entry says acted.
        author: String,
    },
    /// The operator's host list refuses the author's host (403).
    #[error("refused: {0}")]
    Refused(Refused),
    /// The author's server could not be asked for its key (502).
    #[error("cannot fetch the key of {author}: {reason}")]
    Remote {
        /// The entry's author.
        author: String,
        /// What failed.
        reason: String,
    },
    /// The store failed (500).
    #[error("internal error: the store failed")]
    Store(#[from] StoreError),
}

impl SalmonError {
    /// The HTTP status to answer with.
    pub fn status(&self) -> StatusCode {
        match self {
            SalmonError::Empty | SalmonError::Payload(_) => StatusCode::BAD_REQUEST,
            SalmonError::Envelope(EnvelopeError::Decode(DecodeError::TooLarge { .. })) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            SalmonError::Envelope(_) => StatusCode::BAD_REQUEST,
            SalmonError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            SalmonError::UnknownPuppet(_) => StatusCode::NOT_FOUND,
            SalmonError::BadSignature { .. }
            | SalmonError::KeyNotPublished { .. }
            | SalmonError::SignerNotAuthor { .. } => StatusCode::UNAUTHORIZED,
            SalmonError::Refused(_) => StatusCode::FORBIDDEN,
            SalmonError::Remote { .. } => StatusCode::BAD_GATEWAY,
            SalmonError::Store(StoreError::InvalidKey { .. }) => StatusCode::BAD_REQUEST,
            SalmonError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A fixed name per failure, for logs and metrics labels.
    pub fn label(&self) -> &'static str {
        match self {
            SalmonError::Empty => "empty",
            SalmonError::UnsupportedMediaType(_) => "media_type",
            SalmonError::UnknownPuppet(_) => "unknown_puppet",
            SalmonError::Envelope(EnvelopeError::UnknownAlg(_)) => "unknown_alg",
            SalmonError::Envelope(EnvelopeError::UnknownEncoding(_)) => "unknown_encoding",
            SalmonError::Envelope(_) => "malformed",
            SalmonError::Payload(_) => "payload",
            SalmonError::BadSignature { .. } => "bad_signature",
            SalmonError::KeyNotPublished { .. } => "no_key",
            SalmonError::SignerNotAuthor { .. } => "signer_not_author",
            SalmonError::Refused(_) => "refused",
            SalmonError::Remote { .. } => "remote",
            SalmonError::Store(_) => "store",
        }
    }
}

impl From<AuthorError> for SalmonError {
    fn from(e: AuthorError) -> Self {
        SalmonError::Payload(e.to_string())
    }
}

/// Verifies with a magic key string; `Err` carries why (unreadable key or bad signature).
fn check(env: &envelope::Envelope, magic: &str) -> Result<SigningMode, String> {
    let key = PublicKey::from_magic(magic).map_err(|e| e.to_string())?;
    verify::verify(env, &key).map_err(|e| e.to_string())
}

/// Authenticates a Salmon body (either serialisation). On success the author's identity is
/// cached when it was (re)discovered; the caller makes the store durable.
pub async fn authenticate(
    store: &Store,
    fetcher: &Fetcher,
    body: &[u8],
    limits: &Limits,
) -> Result<Verified, SalmonError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(SalmonError::Empty);
    }
    let env = envelope::parse(body, limits)?;
    let t = env.data_type.to_ascii_lowercase();
    if !t.is_empty() && !t.contains("xml") {
        return Err(SalmonError::Payload(format!(
            "data type {:?} is not an Atom entry",
            env.data_type
        )));
    }
    let who = author::read(&env.payload, limits)?;
    if let Some(outer) = &env.outer_author
        && author::normalise(outer).as_deref() != Some(who.id.as_str())
    {
        return Err(SalmonError::SignerNotAuthor {
            signer: who.id.clone(),
            author: outer.clone(),
        });
    }
    if let Some(actor) = &who.actor
        && *actor != who.id
    {
        return Err(SalmonError::SignerNotAuthor {
            signer: who.id.clone(),
            author: actor.clone(),
        });
    }
    let host = author::authority_of(&who.id).unwrap_or_default();
    let bare_host = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
    fetcher
        .policy()
        .check_host(bare_host)
        .map_err(SalmonError::Refused)?;
    let entry_id = who
        .entry_id
        .clone()
        .ok_or_else(|| SalmonError::Payload("the signed entry has no id".into()))?;
    let document =
        atom::decode(&env.payload, limits).map_err(|e| SalmonError::Payload(e.to_string()))?;

    let cached = store.get_identity(&who.id).await?;
    if let Some(c) = &cached
        && let Some(magic) = &c.magic_key
    {
        match check(&env, magic) {
            Ok(mode) => {
                tracing::info!(author = %who.id, mode = mode.name(), cached = true, "salmon verified");
                return Ok(done(env, document, entry_id, &who, c.clone(), mode));
            }
            Err(reason) => {
                tracing::info!(author = %who.id, reason = %reason, "cached magic key failed; asking WebFinger again");
            }
        }
    }
    let (found, magic) = find_key(fetcher, &who, limits).await?;
    let mode = check(&env, &magic).map_err(|reason| {
        tracing::info!(author = %who.id, reason = %reason, "salmon refused");
        SalmonError::BadSignature {
            author: who.id.clone(),
        }
    })?;
    let identity = merge(cached, &who.id, &found, magic);
    store.put_identity(&identity).await?;
    tracing::info!(author = %who.id, mode = mode.name(), cached = false, "salmon verified");
    Ok(done(env, document, entry_id, &who, identity, mode))
}

fn done(
    env: envelope::Envelope,
    document: Document,
    entry_id: String,
    who: &EntryAuthor,
    identity: store::Identity,
    mode: SigningMode,
) -> Verified {
    Verified {
        entry_xml: env.payload,
        document,
        entry_id,
        updated: who.updated.clone(),
        author: who.id.clone(),
        identity,
        mode,
        form: env.form,
    }
}

/// The identity to cache: what was there (an AP identity of the same id keeps its keys and
/// inboxes) with the OStatus endpoints and the magic key that verified.
fn merge(
    cached: Option<store::Identity>,
    id: &str,
    found: &discover::Identity,
    magic: String,
) -> store::Identity {
    let mut out = cached
        .unwrap_or_else(|| store::Identity::new(id, store::Protocol::OStatus, store::now_ms()));
    let e = &found.endpoints;
    out.feed = e.feed.clone().or(out.feed);
    out.salmon = e.salmon.clone().or(out.salmon);
    out.hub = e.hub.clone().or(out.hub);
    out.magic_key = Some(magic);
    out
}

/// How bad a failed route was: a remote failure (502) outranks "no key" (401).
enum Miss {
    NoKey(String),
    Remote(String),
}

fn classify(e: &DiscoverError) -> Result<Miss, Refused> {
    match e {
        DiscoverError::Fetch { source, .. } => match source {
            FetchError::Refused(r) => Err(r.clone()),
            FetchError::Status { status, .. } if status.is_client_error() => {
                Ok(Miss::NoKey(e.to_string()))
            }
            _ => Ok(Miss::Remote(e.to_string())),
        },
        _ => Ok(Miss::NoKey(e.to_string())),
    }
}

/// The author's magic key from its own WebFinger, trying each route in order.
async fn find_key(
    fetcher: &Fetcher,
    who: &EntryAuthor,
    limits: &Limits,
) -> Result<(discover::Identity, String), SalmonError> {
    let mut remote: Option<String> = None;
    let mut no_key: Vec<String> = Vec::new();
    for route in who.routes() {
        let found = match &route {
            Route::Uri(u) => discover::discover_uri(fetcher, u, limits).await,
            Route::Acct(a) => {
                let addr = a.strip_prefix("acct:").unwrap_or(a);
                discover::discover(fetcher, addr, limits).await
            }
        };
        let identity = match found {
            Ok(i) => i,
            Err(e) => {
                match classify(&e).map_err(SalmonError::Refused)? {
                    Miss::Remote(r) => {
                        remote.get_or_insert(r);
                    }
                    Miss::NoKey(r) => no_key.push(r),
                }
                continue;
            }
        };
        if !who.is_bound(&route, &identity.id, &identity.aliases) {
            no_key.push(format!("{} is not bound to the author uri", identity.id));
            continue;
        }
        match identity.magic_key.clone() {
            Some(m) => return Ok((identity, m)),
            None => no_key.push(format!("{} publishes no magic-public-key", identity.id)),
        }
    }
    if let Some(reason) = remote {
        return Err(SalmonError::Remote {
            author: who.id.clone(),
            reason,
        });
    }
    Err(SalmonError::KeyNotPublished {
        author: who.id.clone(),
        reason: if no_key.is_empty() {
            "no way to look it up".into()
        } else {
            no_key.join("; ")
        },
    })
}
