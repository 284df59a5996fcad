//! How answers are written: plain-text errors with their status, JSON documents with their
//! media type, and warp's own rejections (unknown route, body too large). Each module's error
//! enum says its status through [`Status`], so the mapping lives beside the error.

use std::convert::Infallible;

use warp::Reply;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::store::StoreError;

/// `application/activity+json`, what the bridge serves ActivityPub documents as.
pub const ACTIVITY_JSON: &str = "application/activity+json";
/// `application/jrd+json` (WebFinger, RFC 7033).
pub const JRD_JSON: &str = "application/jrd+json";
/// `application/xrd+xml` (host-meta, LRDD).
pub const XRD_XML: &str = "application/xrd+xml";

/// An error that knows which HTTP status it is.
pub trait Status: std::fmt::Display {
    /// The status to answer with.
    fn status(&self) -> StatusCode;
}

/// A plain-text answer (a reason for an error, `ok` for health).
pub fn plain(status: StatusCode, text: impl Into<String>) -> Response {
    warp::reply::with_status(text.into(), status).into_response()
}

/// The error as a plain-text answer with its status and its message.
pub fn error_reply<E: Status>(e: &E) -> Response {
    let status = e.status();
    if status.is_server_error() {
        tracing::warn!(error = %e, "request failed");
    }
    plain(status, format!("{e}\n"))
}

/// A JSON document with `content_type`.
pub fn json_reply(value: &serde_json::Value, content_type: &str) -> Response {
    text_reply(value.to_string(), content_type)
}

/// A text body with `content_type` and status 200.
pub fn text_reply(body: String, content_type: &str) -> Response {
    let mut r = body.into_response();
    if let Ok(v) = warp::http::HeaderValue::from_str(content_type) {
        r.headers_mut().insert(warp::http::header::CONTENT_TYPE, v);
    }
    r
}

/// A store failure, for handlers: always the bridge's fault (500), never shown in detail.
#[derive(Debug, thiserror::Error)]
#[error("internal error: the store failed")]
pub struct StoreFailure(#[from] pub StoreError);

impl Status for StoreFailure {
    fn status(&self) -> StatusCode {
        match &self.0 {
            StoreError::InvalidKey { .. } => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// Answers for requests no route took: 404, 405, 411, 413 and bad queries.
pub async fn rejection_reply(r: warp::Rejection) -> Result<Response, Infallible> {
    let (status, msg) = if r.is_not_found() {
        (StatusCode::NOT_FOUND, "not found".to_string())
    } else if r.find::<warp::reject::PayloadTooLarge>().is_some()
        || r.find::<super::body::TooLarge>().is_some()
    {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            "request body too large".to_string(),
        )
    } else if r.find::<super::body::Unreadable>().is_some() {
        (
            StatusCode::BAD_REQUEST,
            "the request body could not be read".to_string(),
        )
    } else if let Some(e) = r.find::<warp::reject::InvalidQuery>() {
        (StatusCode::BAD_REQUEST, e.to_string())
    } else if r.find::<warp::reject::MethodNotAllowed>().is_some() {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed".to_string(),
        )
    } else if r.find::<warp::reject::LengthRequired>().is_some() {
        (
            StatusCode::LENGTH_REQUIRED,
            "content-length required".to_string(),
        )
    } else {
        (StatusCode::BAD_REQUEST, format!("{r:?}"))
    };
    Ok(plain(status, format!("{msg}\n")))
}
