//! Sending a Salmon: the job's body is the *unsigned* Atom entry; it is enveloped and signed
//! with the puppet's key at send time (on the blocking pool) and POSTed as
//! `application/magic-envelope+xml` (PROTOCOLS.md §4.2).
//!
//! The standard signing text goes first. When the peer answers above 299, the same attempt
//! tries the unpadded and then the data-only variant, as Friendica does for GNU social and
//! older StatusNet peers (ostatus-anchors.md checklist 4); a transport failure ends the
//! attempt at once (the variants would not fare better).

use std::sync::Arc;

use http::{HeaderMap, HeaderValue};
use url::Url;

use crate::crypto::KeyPair;
use crate::net::fetch::{FetchError, Fetcher};
use crate::salmon::{self, MAGIC_ENVELOPE_XML, SigningMode};

/// The signing texts a sender tries, in order.
pub const SEND_MODES: [SigningMode; 3] = [
    SigningMode::AsSent,
    SigningMode::Unpadded,
    SigningMode::DataOnly,
];

/// Why a Salmon was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The peer refused every variant or could not be reached; the first retryable failure
    /// (else the standard variant's answer) decides whether to retry.
    #[error(transparent)]
    Failed(FetchError),
    /// It cannot be sent at all (signing failed).
    #[error("cannot send: {0}")]
    Unsendable(String),
}

/// Envelopes `entry` with `key` and POSTs it to `url`; returns the signing mode the peer
/// accepted.
pub async fn send(
    fetcher: &Fetcher,
    key: Arc<KeyPair>,
    entry: &str,
    url: &Url,
) -> Result<SigningMode, SendError> {
    let entry: Arc<[u8]> = Arc::from(entry.as_bytes());
    let mut first: Option<FetchError> = None;
    for mode in SEND_MODES {
        let (k, e) = (Arc::clone(&key), Arc::clone(&entry));
        let body = tokio::task::spawn_blocking(move || salmon::sign_entry(&e, &k, mode))
            .await
            .map_err(|e| SendError::Unsendable(format!("signing task failed: {e}")))?
            .map_err(|e| SendError::Unsendable(format!("signing failed: {e}")))?;
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(MAGIC_ENVELOPE_XML),
        );
        match fetcher.post(url, headers, body.into_bytes()).await {
            Ok(_) => {
                if mode != SigningMode::AsSent {
                    tracing::info!(%url, mode = mode.name(), "salmon accepted in a fallback signing mode");
                }
                return Ok(mode);
            }
            Err(e @ FetchError::Status { .. }) => {
                tracing::debug!(%url, mode = mode.name(), error = %e, "salmon refused; trying the next signing mode");
                match &first {
                    Some(f) if f.is_retryable() || !e.is_retryable() => {}
                    _ => first = Some(e),
                }
            }
            Err(e) => return Err(SendError::Failed(e)),
        }
    }
    Err(match first {
        Some(e) => SendError::Failed(e),
        None => SendError::Unsendable("no signing mode to try".into()),
    })
}
