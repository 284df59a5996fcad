//! The Salmon endpoints: `POST /users/<handle>/salmon` and the shared `POST /salmon`.
//!
//! Bodies: the XML envelope (`application/magic-envelope+xml`, the IANA spelling
//! `application/magic-env+xml`, or plain `application/xml` / `text/xml`), the JSON one
//! (`application/json`), and GNU social's form post with the envelope in `xml=`. Checks run
//! before anything is stored: puppet (404), body (400/415), envelope and its alg/encoding
//! (400), the author's host (403), the signature with the author's own key (401; 502 when
//! its server cannot be asked). Then [`apply`] acts on the entry, once per entry id, and the
//! store is durable before the 202.

use serde_json::json;
use warp::http::StatusCode;
use warp::hyper::body::Bytes;
use warp::reply::Response;

use super::errors::{Status, error_reply, plain};
use super::inbox::Outcome;
use super::state::App;
use crate::bridge::{BridgeError, from_legacy};
use crate::salmon::{self, SalmonError, Verified};
use crate::store::StoreError;

impl Status for SalmonError {
    fn status(&self) -> StatusCode {
        SalmonError::status(self)
    }
}

/// The envelope bytes of a request, by its content type.
fn envelope_body(content_type: Option<&str>, body: &[u8]) -> Result<Vec<u8>, SalmonError> {
    let media = content_type
        .and_then(|c| c.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match media.as_str() {
        "application/x-www-form-urlencoded" => url::form_urlencoded::parse(body)
            .find(|(k, _)| k == "xml")
            .map(|(_, v)| v.into_owned().into_bytes())
            .ok_or(SalmonError::Empty),
        // No type: sniffed by the envelope reader (XML or JSON).
        ""
        | "application/magic-envelope+xml"
        | "application/magic-env+xml"
        | "application/xml"
        | "text/xml"
        | "application/json"
        | "application/magic-envelope+json" => Ok(body.to_vec()),
        other => Err(SalmonError::UnsupportedMediaType(other.to_string())),
    }
}

/// Why a Salmon POST was not taken: refused before anything was stored
/// ([`SalmonError`]), or verified but not carried to ActivityPub ([`BridgeError`]; nothing
/// is marked seen then, so the sender's retry is carried afresh).
#[derive(Debug, thiserror::Error)]
pub enum SalmonRouteError {
    /// The slap was refused (envelope, signature, author, store).
    #[error(transparent)]
    Salmon(#[from] SalmonError),
    /// The slap verified, but the bridge could not act on it.
    #[error("verified, but not carried to ActivityPub: {0}")]
    Bridge(#[from] BridgeError),
}

impl Status for SalmonRouteError {
    fn status(&self) -> StatusCode {
        match self {
            SalmonRouteError::Salmon(e) => e.status(),
            SalmonRouteError::Bridge(BridgeError::Lookup(e)) => e.status(),
            SalmonRouteError::Bridge(BridgeError::Remote(_)) => StatusCode::BAD_GATEWAY,
            SalmonRouteError::Bridge(BridgeError::Malformed(_)) => StatusCode::UNPROCESSABLE_ENTITY,
            SalmonRouteError::Bridge(BridgeError::Store(_)) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl SalmonRouteError {
    /// A fixed name per failure, for logs and metrics labels.
    pub fn label(&self) -> &'static str {
        match self {
            SalmonRouteError::Salmon(e) => e.label(),
            SalmonRouteError::Bridge(_) => "not_carried",
        }
    }
}

impl From<StoreError> for SalmonRouteError {
    fn from(e: StoreError) -> Self {
        SalmonRouteError::Salmon(SalmonError::Store(e))
    }
}

/// `POST …/salmon`: the answer, counted in the metrics by the caller.
pub(super) async fn salmon_route(
    app: &App,
    handle: Option<&str>,
    content_type: Option<&str>,
    body: &Bytes,
) -> Response {
    match receive(app, handle, content_type, body).await {
        Ok(outcome) => {
            let text = match outcome {
                Outcome::Accepted => "accepted\n",
                Outcome::Duplicate => "duplicate\n",
                Outcome::Ignored => "ignored\n",
            };
            plain(StatusCode::ACCEPTED, text)
        }
        Err(e) => {
            if e.status() == StatusCode::UNAUTHORIZED {
                app.metrics.signature_failure(e.label());
            }
            tracing::info!(reason = %e, label = e.label(), "salmon refused");
            error_reply(&e)
        }
    }
}

/// Checks, authenticates and applies one Salmon POST.
pub async fn receive(
    app: &App,
    handle: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Outcome, SalmonRouteError> {
    if let Some(h) = handle
        && app.store.get_puppet_by_handle(h).await?.is_none()
    {
        return Err(SalmonError::UnknownPuppet(h.to_string()).into());
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(SalmonError::Empty.into());
    }
    let envelope = envelope_body(content_type, body)?;
    let verified = salmon::authenticate(&app.store, &app.fetcher, &envelope, &app.limits()).await?;
    let outcome = apply(app, handle, verified).await?;
    app.store.durable().await?;
    Ok(outcome)
}

/// Acts on an authenticated Salmon entry, once per entry: carries it to ActivityPub
/// ([`from_legacy::on_salmon`], which only queues durable deliveries), then marks it seen
/// and keeps it (`record_inbound`, under its author). The seen key is the entry id plus its
/// `updated`, because Friendica reuses the profile URL as the id of every follow
/// (ostatus-anchors.md checklist 22). It is marked only once carried, so a slap the bridge
/// failed to act on is carried again when its sender retries.
pub async fn apply(
    app: &App,
    handle: Option<&str>,
    verified: Verified,
) -> Result<Outcome, SalmonRouteError> {
    let seen_key = match &verified.updated {
        Some(u) => format!("salmon {} {u}", verified.entry_id),
        None => format!("salmon {}", verified.entry_id),
    };
    if app.store.is_seen(&seen_key).await? {
        return Ok(Outcome::Duplicate);
    }
    let Some(entry) = verified.document.activities().first().cloned() else {
        return Err(SalmonError::Payload("the envelope holds no entry".into()).into());
    };
    let verb = entry.verb.atom_iri();
    let carried = from_legacy::on_salmon(app, handle, &verified.author, entry).await?;
    if !app.store.mark_seen(&seen_key).await? {
        // A copy of this slap was carried at the same moment; receivers dedupe by id.
        return Ok(Outcome::Duplicate);
    }
    let record = json!({
        "protocol": "salmon",
        "handle": handle,
        "author": verified.author,
        "id": verified.entry_id,
        "verb": verb,
        "signing_mode": verified.mode.name(),
        "carried": format!("{carried:?}"),
        "entry": String::from_utf8_lossy(&verified.entry_xml),
    });
    app.store.record_inbound(&verified.author, &record).await?;
    tracing::info!(author = %verified.author, entry = %verified.entry_id, handle = ?handle, carried = ?carried, "salmon accepted");
    Ok(Outcome::Accepted)
}
