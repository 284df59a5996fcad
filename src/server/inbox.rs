//! The inboxes: `POST /users/<handle>/inbox` and the shared `POST /inbox`.
//!
//! Every request is checked before anything is stored, cheapest check first: the signature's
//! form, digest and time window (401); the operator's host list for the key's host (403);
//! the JSON (400); the actor's host (403); the signature itself, fetching the signer's key
//! when it is not cached (401); the signer is the actor (401). Only then are side effects
//! made: an activity id is acted on once (`mark_seen`), a Follow adds a follower and queues
//! the puppet's Accept, an Undo of it removes the follower, a Flag is kept for the operator,
//! and the rest is kept for bridging (`record_inbound`). Everything is durable before 202.

use serde_json::{Map, Value, json};
use warp::http::{HeaderMap, StatusCode};
use warp::hyper::body::Bytes;
use warp::reply::Response;

use super::errors::{ACTIVITY_JSON, Status, StoreFailure, error_reply, plain};
use super::keys::FetchingKeys;
use super::state::App;
use crate::bridge;
use crate::codec::json::id_of;
use crate::httpsig::{self, Request};
use crate::net::Refused;
use crate::store::{self, Follower, Identity, NewJob, Protocol, StoreError};

/// Why an inbox refused a request.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    /// The personal inbox of a puppet that does not exist (404).
    #[error("no puppet {0:?} on this bridge")]
    UnknownPuppet(String),
    /// No valid signature by the activity's actor (401); the text is the reason.
    #[error("signature refused: {0}")]
    Signature(#[from] httpsig::Error),
    /// The operator's host list refuses the sender (403).
    #[error("refused: {0}")]
    Policy(Refused),
    /// The body is not an activity the bridge can read (400).
    #[error("malformed activity: {0}")]
    Malformed(String),
    /// A Follow of something that is not one of our puppets (404).
    #[error("{0} is not a puppet of this bridge")]
    NotOurs(String),
    /// The puppet has as many followers as `[limits]` allows (403).
    #[error("puppet {handle} has reached its limit of {limit} followers")]
    TooManyFollowers {
        /// The puppet.
        handle: String,
        /// `limits.max_followers_per_puppet`.
        limit: u64,
    },
    /// The sender's host has made as many follows as `[limits]` allows (429).
    #[error("host {host} has reached its limit of {limit} follows on this bridge")]
    HostLimit {
        /// The sender's host.
        host: String,
        /// `limits.max_follows_per_host`.
        limit: u64,
    },
    /// The store failed (500).
    #[error(transparent)]
    Store(#[from] StoreFailure),
}

impl From<StoreError> for InboxError {
    fn from(e: StoreError) -> Self {
        InboxError::Store(StoreFailure(e))
    }
}

impl Status for InboxError {
    fn status(&self) -> StatusCode {
        match self {
            InboxError::UnknownPuppet(_) | InboxError::NotOurs(_) => StatusCode::NOT_FOUND,
            InboxError::Signature(_) => StatusCode::UNAUTHORIZED,
            InboxError::Policy(_) | InboxError::TooManyFollowers { .. } => StatusCode::FORBIDDEN,
            InboxError::Malformed(_) => StatusCode::BAD_REQUEST,
            InboxError::HostLimit { .. } => StatusCode::TOO_MANY_REQUESTS,
            InboxError::Store(e) => e.status(),
        }
    }
}

/// A fixed name per signature failure, for the metrics label.
fn failure_label(e: &httpsig::Error) -> &'static str {
    use httpsig::Error as E;
    match e {
        E::Missing { .. } => "missing",
        E::Malformed { .. } => "malformed",
        E::NotCovered { .. } => "not_covered",
        E::UnsupportedAlgorithm { .. } => "unsupported_algorithm",
        E::UnsupportedComponent { .. } => "unsupported_component",
        E::UnknownKey { .. } => "unknown_key",
        E::KeyUnavailable { .. } => "key_unavailable",
        E::BadSignature => "bad_signature",
        E::DigestMismatch => "digest_mismatch",
        E::DateOutOfWindow { .. } => "date_out_of_window",
        E::ActorMismatch { .. } => "actor_mismatch",
        E::Key(_) => "bad_key",
    }
}

/// An inbox POST as received.
#[derive(Debug)]
pub struct InboxPost {
    /// The puppet whose personal inbox it is; `None` for the shared inbox.
    pub handle: Option<String>,
    /// Path and query as on the request line.
    pub target: String,
    /// The header fields (with `Host` added for HTTP/2 requests).
    pub headers: HeaderMap,
    /// The body as received.
    pub body: Bytes,
}

/// What an accepted request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Acted on.
    Accepted,
    /// Seen before; nothing was done again.
    Duplicate,
    /// A type the bridge does not handle; acknowledged and dropped.
    Ignored,
}

/// `POST …/inbox`: the answer, counted in the metrics.
pub(super) async fn inbox_route(app: &App, post: InboxPost) -> Response {
    match receive(app, &post).await {
        Ok(outcome) => {
            let text = match outcome {
                Outcome::Accepted => "accepted\n",
                Outcome::Duplicate => "duplicate\n",
                Outcome::Ignored => "ignored\n",
            };
            plain(StatusCode::ACCEPTED, text)
        }
        Err(e) => {
            if let InboxError::Signature(s) = &e {
                app.metrics.signature_failure(failure_label(s));
                tracing::info!(reason = %s, "inbox: signature refused");
            }
            error_reply(&e)
        }
    }
}

fn host_checked(app: &App, id: &str, what: &str) -> Result<String, InboxError> {
    let host = url::Url::parse(id)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .ok_or_else(|| InboxError::Malformed(format!("{what} {id:?} is not a URL with a host")))?;
    app.fetcher
        .policy()
        .check_host(&host)
        .map_err(InboxError::Policy)?;
    Ok(host)
}

/// Authenticates and applies one inbox POST.
pub async fn receive(app: &App, post: &InboxPost) -> Result<Outcome, InboxError> {
    if let Some(h) = &post.handle
        && app.store.get_puppet_by_handle(h).await?.is_none()
    {
        return Err(InboxError::UnknownPuppet(h.clone()));
    }
    let scheme = if app.urls.base().starts_with("http://") {
        "http"
    } else {
        "https"
    };
    let mut req = Request::new("POST", &post.target, &post.headers, &post.body);
    req.scheme = scheme;
    let now = chrono::Utc::now();
    let prepared = httpsig::prepare(&req, now)?;
    host_checked(app, &prepared.key_id, "keyId")?;
    let activity = crate::codec::json::parse_object(&post.body, &app.limits())
        .map_err(|e| InboxError::Malformed(e.to_string()))?;
    let actor = activity
        .get("actor")
        .and_then(id_of)
        .ok_or_else(|| InboxError::Malformed("the activity has no actor".into()))?
        .to_string();
    host_checked(app, &actor, "actor")?;
    let keys = FetchingKeys::new(app);
    let verified = httpsig::verify_request(&req, now, &keys).await?;
    verified.require_actor(&actor)?;
    if let Some(id) = activity.get("id").and_then(Value::as_str)
        && store::host_of(id) != store::host_of(&actor)
    {
        return Err(InboxError::Malformed(format!(
            "activity id {id} is not on the actor's host"
        )));
    }
    let fetched = keys.fetched();
    let outcome = apply(
        app,
        post.handle.as_deref(),
        &actor,
        &activity,
        fetched.as_ref(),
    )
    .await?;
    // The signer's key is cached only for requests that were accepted.
    if let Some(identity) = &fetched
        && let Err(e) = app.store.put_identity(identity).await
    {
        if !e.is_conflict() {
            return Err(e.into());
        }
        tracing::warn!(actor = ?actor, error = %e, "signer's key id belongs to another actor; not cached");
    }
    app.store.durable().await?;
    Ok(outcome)
}

/// The `type` of an activity or object (the first one of an array).
fn type_of(v: &Value) -> Option<&str> {
    match v.get("type")? {
        Value::String(s) => Some(s),
        Value::Array(a) => a.first().and_then(Value::as_str),
        _ => None,
    }
}

/// Records the activity id; false when it was seen before (nothing to do again).
async fn first_sight(app: &App, activity: &Map<String, Value>) -> Result<bool, InboxError> {
    match activity.get("id").and_then(Value::as_str) {
        Some(id) => Ok(app.store.mark_seen(id).await?),
        None => Ok(true),
    }
}

async fn apply(
    app: &App,
    inbox_of: Option<&str>,
    actor: &str,
    activity: &Map<String, Value>,
    fetched: Option<&Identity>,
) -> Result<Outcome, InboxError> {
    let as_value = Value::Object(activity.clone());
    let kind = type_of(&as_value).unwrap_or_default();
    let object = activity.get("object");
    match kind {
        "Follow" => follow(app, actor, activity, fetched).await,
        "Undo" if object.and_then(type_of) == Some("Follow") => {
            let follow = object.unwrap_or(&Value::Null);
            if let Some(inner) = follow.get("actor").and_then(id_of)
                && inner != actor
            {
                return Err(InboxError::Malformed(format!(
                    "Undo by {actor} of a Follow by {inner}"
                )));
            }
            if !first_sight(app, activity).await? {
                return Ok(Outcome::Duplicate);
            }
            let handle = follow
                .get("object")
                .and_then(id_of)
                .and_then(|o| app.urls.handle_of(o))
                .or_else(|| inbox_of.map(str::to_string));
            if let Some(h) = handle {
                let removed = app.store.remove_follower(&h, actor).await?;
                tracing::info!(handle = %h, actor = ?actor, removed, "unfollowed");
                if removed {
                    let undo = Value::Object(activity.clone());
                    carry(bridge::to_legacy::unfollowed(app, &h, actor, &undo).await);
                    super::websub_callback::follower_changed(app, &h);
                }
            }
            Ok(Outcome::Accepted)
        }
        "Block" => {
            if !first_sight(app, activity).await? {
                return Ok(Outcome::Duplicate);
            }
            if let Some(h) = object.and_then(id_of).and_then(|o| app.urls.handle_of(o))
                && app.store.remove_follower(&h, actor).await?
            {
                super::websub_callback::follower_changed(app, &h);
            }
            app.store.record_inbound(actor, &as_value).await?;
            Ok(Outcome::Accepted)
        }
        "Flag" => {
            if !first_sight(app, activity).await? {
                return Ok(Outcome::Duplicate);
            }
            app.store.record_flag(actor, &as_value).await?;
            Ok(Outcome::Accepted)
        }
        "Create" | "Update" | "Delete" | "Like" | "Announce" | "Undo" | "Move" | "Accept"
        | "Reject" | "Add" | "Remove" | "EmojiReact" => {
            if !first_sight(app, activity).await? {
                return Ok(Outcome::Duplicate);
            }
            app.store.record_inbound(actor, &as_value).await?;
            carry(bridge::to_legacy::on_activity(app, actor, &as_value).await);
            Ok(Outcome::Accepted)
        }
        other => {
            tracing::info!(kind = ?other, actor = ?actor, "inbox: activity type not handled; dropped");
            Ok(Outcome::Ignored)
        }
    }
}

/// Logs what could not be carried to the legacy side: the activity itself is accepted and
/// kept (`record_inbound`), so a failure here loses nothing an operator cannot replay.
fn carry(result: Result<(), bridge::BridgeError>) {
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not carry an activity to the legacy side");
    }
}

/// A Follow of a puppet: check the limits, add the follower, queue the puppet's Accept.
async fn follow(
    app: &App,
    actor: &str,
    activity: &Map<String, Value>,
    fetched: Option<&Identity>,
) -> Result<Outcome, InboxError> {
    let object = activity
        .get("object")
        .and_then(id_of)
        .ok_or_else(|| InboxError::Malformed("Follow without an object".into()))?;
    let handle = app
        .urls
        .handle_of(object)
        .filter(|h| app.urls.actor(h) == object)
        .ok_or_else(|| InboxError::NotOurs(object.to_string()))?;
    if app.store.get_puppet_by_handle(&handle).await?.is_none() {
        return Err(InboxError::NotOurs(object.to_string()));
    }
    if let Some(id) = activity.get("id").and_then(Value::as_str)
        && app.store.is_seen(id).await?
    {
        return Ok(Outcome::Duplicate);
    }
    let identity =
        match fetched.filter(|i| i.id == actor) {
            Some(i) => i.clone(),
            None => app.store.get_identity(actor).await?.ok_or_else(|| {
                InboxError::Malformed(format!("no actor document known for {actor}"))
            })?,
        };
    let inbox = identity
        .inbox
        .clone()
        .ok_or_else(|| InboxError::Malformed(format!("actor {actor} has no inbox")))?;
    if app.store.get_follower(&handle, actor).await?.is_none() {
        let limits = &app.config.limits;
        if app.store.follower_count(&handle).await? >= limits.max_followers_per_puppet {
            return Err(InboxError::TooManyFollowers {
                handle,
                limit: limits.max_followers_per_puppet,
            });
        }
        let host = store::host_of(actor).unwrap_or_default();
        if app.store.follows_from_host(&host).await? >= limits.max_follows_per_host {
            return Err(InboxError::HostLimit {
                host,
                limit: limits.max_follows_per_host,
            });
        }
    }
    if !first_sight(app, activity).await? {
        return Ok(Outcome::Duplicate);
    }
    let new = app
        .store
        .add_follower(
            &handle,
            &Follower::new(actor, inbox.clone(), identity.shared_inbox.clone()),
        )
        .await?;
    if new {
        super::websub_callback::follower_changed(app, &handle);
    }
    let mut follow = activity.clone();
    follow.remove("@context");
    let accept = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": app.urls.accept(&handle, app.store.generate_id().await?),
        "type": "Accept",
        "actor": app.urls.actor(&handle),
        "object": Value::Object(follow),
    });
    app.store
        .enqueue(NewJob {
            protocol: Protocol::ActivityPub,
            inbox,
            signer: handle.clone(),
            content_type: ACTIVITY_JSON.to_string(),
            body: accept.to_string(),
            not_before_ms: 0,
        })
        .await?;
    tracing::info!(%handle, actor = ?actor, "follow accepted");
    carry(bridge::to_legacy::followed(app, &handle, actor, &Value::Object(activity.clone())).await);
    Ok(Outcome::Accepted)
}
