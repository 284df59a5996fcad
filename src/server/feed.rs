//! `GET /users/<handle>/feed.atom[?max_id=<seq>]`: the Atom feed of a puppet with an OStatus
//! face, which is also its WebSub topic. Pages hold [`PAGE_SIZE`] stored entries, newest
//! first; `link rel=next` continues below the last one (`max_id`, as the outbox pages).
//!
//! The answer carries `Link: <hub>; rel="hub", <topic>; rel="self"`, which WebSub
//! subscribers (flask-websub among them) read instead of the document. Puppets with an
//! ActivityPub face have no feed (404).

use std::collections::HashMap;

use warp::http::StatusCode;
use warp::http::header::HeaderValue;
use warp::reply::Response;

use super::errors::{Status, StoreFailure, error_reply, text_reply};
use super::face::{Face, face_of, face_puppet, rewrites_for};
use super::state::App;
use crate::ostatus::{FeedPage, render_feed};

/// Stored entries per feed page (Mastodon 2.x and GNU social serve 20).
pub const PAGE_SIZE: usize = 20;

/// The feed's media type.
pub const ATOM_XML: &str = "application/atom+xml; charset=utf-8";

/// Why a feed could not be served.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// No such puppet, or one without an OStatus face (404).
    #[error("no feed for {0:?}")]
    NotFound(String),
    /// `max_id` is not a number (400).
    #[error("max_id {0:?} is not a number")]
    BadCursor(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreFailure),
}

impl Status for FeedError {
    fn status(&self) -> StatusCode {
        match self {
            FeedError::NotFound(_) => StatusCode::NOT_FOUND,
            FeedError::BadCursor(_) => StatusCode::BAD_REQUEST,
            FeedError::Store(e) => e.status(),
        }
    }
}

impl From<crate::store::StoreError> for FeedError {
    fn from(e: crate::store::StoreError) -> Self {
        FeedError::Store(StoreFailure(e))
    }
}

/// `GET /users/<handle>/feed.atom`.
pub(super) async fn feed_route(app: &App, handle: &str, q: &HashMap<String, String>) -> Response {
    match feed(app, handle, q).await {
        Ok(body) => {
            let mut r = text_reply(body, ATOM_XML);
            let link = crate::websub::link_header(&app.urls.hub(), &app.urls.feed(handle));
            if let Ok(v) = HeaderValue::from_str(&link) {
                r.headers_mut().insert(warp::http::header::LINK, v);
            }
            r
        }
        Err(e) => error_reply(&e),
    }
}

async fn feed(app: &App, handle: &str, q: &HashMap<String, String>) -> Result<String, FeedError> {
    let puppet = app
        .store
        .get_puppet_by_handle(handle)
        .await?
        .filter(|p| face_of(p) == Face::OStatus)
        .ok_or_else(|| FeedError::NotFound(handle.to_string()))?;
    let max_id = q
        .get("max_id")
        .map(|s| {
            s.parse::<u64>()
                .map_err(|_| FeedError::BadCursor(s.clone()))
        })
        .transpose()?;
    let entries = app.store.outbox_page(handle, max_id, PAGE_SIZE).await?;
    let next_max_id = (entries.len() == PAGE_SIZE)
        .then(|| entries.last().map(|e| e.seq))
        .flatten();
    let rewrites = rewrites_for(app, entries.iter().map(|e| &e.activity)).await?;
    let face = face_puppet(app, &puppet);
    Ok(render_feed(
        &app.urls,
        &face,
        &entries,
        &FeedPage {
            max_id,
            next_max_id,
        },
        &rewrites,
    ))
}
