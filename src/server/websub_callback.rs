//! `GET /websub/callback/<id>` (a legacy hub verifying, or denying, a subscription the bridge
//! asked for) and `POST /websub/callback/<id>` (the hub pushing new feed content). The
//! protocol decisions are in [`crate::websub::subscriber`]; this file maps them to HTTP.
//! Also how the inbox tells the subscriber that a puppet's followers changed.

use warp::http::{HeaderMap, StatusCode};
use warp::hyper::body::Bytes;
use warp::reply::Response;

use super::errors::{Status, error_reply, plain};
use super::state::App;
use crate::poll::{PollError, PollSettings, Poller};
use crate::websub::subscriber::{
    PushError, Pushed, Subscriber, SubscriberSettings, Verified, VerifyError,
};

impl Status for VerifyError {
    fn status(&self) -> StatusCode {
        match self {
            VerifyError::Unknown | VerifyError::Mode { .. } | VerifyError::Topic { .. } => {
                StatusCode::NOT_FOUND
            }
            VerifyError::Missing(_) => StatusCode::BAD_REQUEST,
            VerifyError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl Status for PushError {
    fn status(&self) -> StatusCode {
        match self {
            PushError::Gone => StatusCode::GONE,
            PushError::Ingest(PollError::Decode(_)) => StatusCode::BAD_REQUEST,
            PushError::Ingest(PollError::Format(_)) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            PushError::Ingest(PollError::Fetch(_) | PollError::BadUrl(_)) => {
                StatusCode::BAD_GATEWAY
            }
            PushError::Ingest(_) | PushError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The subscriber over the app's store, client and configuration, with a poller that queues
/// on the store's delivery queue: what the callback routes, the inbox and `serve` use.
pub fn subscriber(app: &App) -> Result<Subscriber, url::ParseError> {
    let public_url = url::Url::parse(app.urls.base())?;
    let poller = Poller::new(
        app.store.clone(),
        app.fetcher.clone(),
        &public_url,
        PollSettings::from_config(&app.config),
        app.store.queue_waker(),
    );
    Ok(Subscriber::new(
        app.store.clone(),
        app.fetcher.clone(),
        (*app.urls).clone(),
        poller,
        SubscriberSettings::from_config(&app.config),
    ))
}

/// After a Follow, Undo Follow or Block changed `handle`'s followers: subscribes to or
/// unsubscribes from its feed's hub in the background (it takes a feed fetch and a hub
/// round trip, which the inbox's 202 must not wait for).
pub fn follower_changed(app: &App, handle: &str) {
    let sub = match subscriber(app) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "server.public_url does not parse; no WebSub change");
            return;
        }
    };
    let handle = handle.to_string();
    tokio::spawn(async move {
        match sub.on_follower_change(&handle).await {
            Ok(outcome) => tracing::debug!(%handle, ?outcome, "followers changed"),
            Err(e) => tracing::warn!(%handle, error = %e, "WebSub subscription change failed"),
        }
    });
}

/// `GET /websub/callback/<id>?hub.mode=…`: the challenge echoed (200, text/plain, exactly),
/// 404 for anything the bridge did not ask for.
pub(super) async fn verify_route(app: &App, id: &str, query: &str) -> Response {
    let sub = match subscriber(app) {
        Ok(s) => s,
        Err(e) => return plain(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
    };
    let verified = match sub.verify(id, query).await {
        Ok(v) => v,
        Err(e) => {
            tracing::info!(error = %e, "WebSub verification refused");
            return error_reply(&e);
        }
    };
    if let Err(e) = app.store.durable().await {
        return plain(StatusCode::INTERNAL_SERVER_ERROR, format!("store: {e}\n"));
    }
    match verified {
        Verified::Challenge(c) => plain(StatusCode::OK, c),
        Verified::Denied => plain(StatusCode::OK, "ok\n"),
    }
}

/// `POST /websub/callback/<id>`: 202 once what the push brought is durable (also for a push
/// whose signature failed: logged and dropped), 410 for a callback that is not ours.
pub(super) async fn push_route(app: &App, id: &str, headers: &HeaderMap, body: &Bytes) -> Response {
    let sub = match subscriber(app) {
        Ok(s) => s,
        Err(e) => return plain(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
    };
    let signature = headers.get("x-hub-signature").and_then(|v| v.to_str().ok());
    let pushed = match sub.receive_push(id, signature, body).await {
        Ok(p) => p,
        Err(e) => return error_reply(&e),
    };
    if let Err(e) = app.store.durable().await {
        return plain(StatusCode::INTERNAL_SERVER_ERROR, format!("store: {e}\n"));
    }
    let text = match pushed {
        Pushed::Ingested(_) => "accepted\n",
        Pushed::Fetched(_) => "fetched\n",
        Pushed::Ignored(_) => "ignored\n",
    };
    plain(StatusCode::ACCEPTED, text)
}
