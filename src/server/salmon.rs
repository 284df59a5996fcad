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
use crate::salmon::{self, SalmonError, Verified};

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
) -> Result<Outcome, SalmonError> {
    if let Some(h) = handle
        && app.store.get_puppet_by_handle(h).await?.is_none()
    {
        return Err(SalmonError::UnknownPuppet(h.to_string()));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(SalmonError::Empty);
    }
    let envelope = envelope_body(content_type, body)?;
    let verified = salmon::authenticate(&app.store, &app.fetcher, &envelope, &app.limits()).await?;
    let outcome = apply(app, handle, verified).await?;
    app.store.durable().await?;
    Ok(outcome)
}

/// Acts on an authenticated Salmon entry: the one place the bridging verbs hook in. For now
/// it keeps the entry for bridging (`record_inbound`, under its author) the first time its
/// id is seen. The seen key is the entry id plus its `updated`, because Friendica reuses
/// the profile URL as the id of every follow (ostatus-anchors.md checklist 22).
pub async fn apply(
    app: &App,
    handle: Option<&str>,
    verified: Verified,
) -> Result<Outcome, SalmonError> {
    let seen_key = match &verified.updated {
        Some(u) => format!("salmon {} {u}", verified.entry_id),
        None => format!("salmon {}", verified.entry_id),
    };
    if !app.store.mark_seen(&seen_key).await? {
        return Ok(Outcome::Duplicate);
    }
    let verb = verified
        .document
        .activities()
        .first()
        .map(|a| a.verb.atom_iri());
    let record = json!({
        "protocol": "salmon",
        "handle": handle,
        "author": verified.author,
        "id": verified.entry_id,
        "verb": verb,
        "signing_mode": verified.mode.name(),
        "entry": String::from_utf8_lossy(&verified.entry_xml),
    });
    app.store.record_inbound(&verified.author, &record).await?;
    tracing::info!(author = %verified.author, entry = %verified.entry_id, handle = ?handle, "salmon accepted");
    Ok(Outcome::Accepted)
}
