//! The live two-way bridge: what happens on the other side when someone acts on one side.
//!
//! Every pair of accounts that talk across the gap has two puppets: a legacy account
//! (GNU social, Friendica, Mastodon 1–2) has an ActivityPub face on the bridge, and an
//! ActivityPub account has an OStatus face (WebFinger with a magic key, an Atom feed at the
//! bridge's hub, a Salmon endpoint). [`accounts`] finds and makes those puppets;
//! [`to_legacy`] carries what ActivityPub users do to legacy users (Salmon slaps, feed entries
//! and hub pushes); [`from_legacy`] carries what legacy users send by Salmon to ActivityPub
//! users (Follow, Create, Like, Announce, Delete, Update, Undo). Both only queue durable
//! deliveries; the worker sends them.

pub mod accounts;
pub mod fetch;
pub mod from_legacy;
pub mod rewrite;
pub mod to_legacy;

use serde_json::Value;

use crate::server::App;
use crate::server::LookupError;
use crate::store::{NewJob, Protocol, StoreError};

/// Media type of a Salmon POST (what GNU social and Mastodon 2.x require).
pub const MAGIC_ENVELOPE_XML: &str = "application/magic-envelope+xml";

/// How long a delete that came before its post is remembered (Mastodon 2.x: 6 hours).
pub const EARLY_DELETE_MS: u64 = 6 * 60 * 60 * 1000;

/// Why an action could not be carried across.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A puppet could not be found or made.
    #[error("puppet: {0}")]
    Lookup(#[from] LookupError),
    /// A remote document could not be fetched or read.
    #[error("remote: {0}")]
    Remote(String),
    /// The activity lacks what the other side needs.
    #[error("malformed: {0}")]
    Malformed(String),
}

/// Queues an ActivityPub delivery of `activity` to `inbox`, signed by puppet `signer`.
pub async fn send_ap(
    app: &App,
    signer: &str,
    inbox: &str,
    activity: &Value,
) -> Result<(), BridgeError> {
    app.store
        .enqueue(NewJob {
            protocol: Protocol::ActivityPub,
            inbox: inbox.to_string(),
            signer: signer.to_string(),
            content_type: crate::delivery::ACTIVITY_JSON.to_string(),
            body: activity.to_string(),
            not_before_ms: 0,
        })
        .await?;
    Ok(())
}

/// Queues a Salmon slap of the Atom `entry` to `endpoint`, enveloped and signed with puppet
/// `signer`'s key by the worker at send time.
pub async fn send_salmon(
    app: &App,
    signer: &str,
    endpoint: &str,
    entry: String,
) -> Result<(), BridgeError> {
    app.store
        .enqueue(NewJob {
            protocol: Protocol::OStatus,
            inbox: endpoint.to_string(),
            signer: signer.to_string(),
            content_type: MAGIC_ENVELOPE_XML.to_string(),
            body: entry,
            not_before_ms: 0,
        })
        .await?;
    Ok(())
}

/// Pushes `activity`, already kept in puppet `handle`'s feed, to the subscribers of that
/// feed at the bridge's hub, as a one-entry Atom feed: legacy servers that follow the
/// ActivityPub account learn of it in real time instead of at their next poll. Activities
/// the feed does not show (not public, not a post, share or delete) push nothing.
pub async fn publish(app: &App, handle: &str, activity: &Value) -> Result<(), BridgeError> {
    let Some(puppet) = app.store.get_puppet_by_handle(handle).await? else {
        return Ok(());
    };
    let rewrites = crate::server::face::rewrites_for(app, std::iter::once(activity)).await?;
    let face = crate::server::face::face_puppet(app, &puppet);
    let Some(body) = crate::ostatus::render_entry_feed(&app.urls, &face, activity, &rewrites)
    else {
        tracing::debug!(%handle, kind = ?activity.get("type"), "not a feed entry: nothing pushed");
        return Ok(());
    };
    let waker = app.store.queue_waker();
    let pushes = crate::websub::hub::publish(&app.store, &app.urls, handle, body, &waker).await?;
    tracing::debug!(%handle, pushes, "feed entry pushed to the hub's subscribers");
    Ok(())
}
