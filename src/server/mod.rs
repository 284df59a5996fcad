//! The HTTP face (warp): thin routes that hand plain values to async functions.
//!
//! Layout: [`state`] holds [`App`], what every handler needs; [`lookup`] makes puppets from
//! legacy addresses; [`webfinger`] answers WebFinger, host-meta and NodeInfo; [`actors`]
//! serves the puppets' actors, collections and entries; [`inbox`] authenticates and applies
//! inbound activities, with signer keys from [`keys`]; [`salmon`] takes Salmon slaps;
//! [`errors`] writes answers.
//!
//! Routes:
//! - `GET /healthz`, `GET /metrics`, `POST /api/translate?to=…[&from=…]`
//! - `GET /api/lookup?address=user@host`
//! - `GET /.well-known/webfinger?resource=…`, `/.well-known/host-meta[.json]`,
//!   `/.well-known/nodeinfo`, `/nodeinfo/2.1`
//! - `GET /users/<handle>` (+ `/outbox`, `/followers`, `/following`, `/entries/<seq>`)
//! - `GET /legacy/<minted id>` (accounts with puppets redirect to the actor)
//! - OStatus face ([`face`]): `GET /users/<handle>/feed.atom` ([`feed`]), `GET /@<handle>`
//!   and `GET /authorize_interaction?uri=…` ([`profile`])
//! - `POST /users/<handle>/inbox`, `POST /inbox`
//! - `POST /hub` (WebSub subscribe / unsubscribe for puppet feeds, [`hub`])
//! - `POST /users/<handle>/salmon`, `POST /salmon`
//! - `GET|POST /websub/callback/<id>` (legacy hubs verifying and pushing, [`websub_callback`])

pub mod actors;
pub mod body;
pub mod errors;
pub mod face;
pub mod feed;
pub mod hub;
pub mod inbox;
pub mod keys;
pub mod lookup;
pub mod profile;
pub mod salmon;
pub mod state;
pub mod webfinger;
pub mod websub_callback;

use std::collections::HashMap;
use std::future::Future;

use tokio::net::TcpListener;
use warp::Filter;
use warp::http::{HeaderMap, StatusCode};
use warp::hyper::body::Bytes;
use warp::reply::Response;

pub use lookup::{LookupError, PuppetView, ensure_puppet};
pub use state::App;

use crate::codec::Format;
use crate::translate::{self, TranslateError};
use errors::plain;

/// Query of `POST /api/translate`.
#[derive(Debug, serde::Deserialize)]
struct TranslateQuery {
    from: Option<String>,
    to: String,
}

/// The state, for every route.
fn with_app(app: App) -> impl Filter<Extract = (App,), Error = std::convert::Infallible> + Clone {
    warp::any().map(move || app.clone())
}

/// The `Accept` header, when present.
fn accept() -> impl Filter<Extract = (Option<String>,), Error = warp::Rejection> + Copy {
    warp::header::optional::<String>("accept")
}

/// The raw query string, empty when there is none.
fn raw_query() -> impl Filter<Extract = (String,), Error = std::convert::Infallible> + Copy {
    warp::query::raw().or(warp::any().map(String::new)).unify()
}

/// Counts the answer under a fixed route name.
fn counted(app: &App, route: &'static str, r: Response) -> Response {
    app.metrics.request(route, r.status().as_u16());
    r
}

/// One boxed route: erases warp's filter type so the routes join cheaply.
type Route = warp::filters::BoxedFilter<(Response,)>;

/// Every route of the bridge, with rejections turned into plain-text answers.
pub fn routes(
    app: App,
) -> impl Filter<Extract = (Response,), Error = std::convert::Infallible> + Clone {
    let health = warp::path("healthz")
        .and(warp::path::end())
        .and(warp::get())
        .map(|| plain(StatusCode::OK, "ok\n"));
    let metrics = warp::path("metrics")
        .and(warp::path::end())
        .and(warp::get())
        .and(with_app(app.clone()))
        .then(|app: App| async move { metrics_reply(&app).await });
    let max_body = app.config.security.max_body_bytes;
    let translate = warp::path!("api" / "translate")
        .and(warp::post())
        .and(warp::query::<TranslateQuery>())
        .and(body::within(max_body))
        .and(with_app(app.clone()))
        .map(|q: TranslateQuery, body: Bytes, app: App| {
            counted(&app, "translate", translate_reply(&app, q, &body))
        });
    let lookup = warp::path!("api" / "lookup")
        .and(warp::get())
        .and(warp::query::<lookup::LookupQuery>())
        .and(with_app(app.clone()))
        .then(|q, app: App| async move {
            let r = lookup::lookup_route(&app, q).await;
            counted(&app, "lookup", r)
        });
    let webfinger = warp::path!(".well-known" / "webfinger")
        .and(warp::get())
        .and(raw_query())
        .and(accept())
        .and(with_app(app.clone()))
        .then(|q: String, accept: Option<String>, app: App| async move {
            let r = webfinger::webfinger_route(&app, &q, accept.as_deref()).await;
            counted(&app, "webfinger", r)
        });
    let host_meta = warp::path!(".well-known" / "host-meta")
        .and(warp::get())
        .and(accept())
        .and(with_app(app.clone()))
        .map(|accept: Option<String>, app: App| {
            let json = webfinger::host_meta_wants_json(accept.as_deref());
            counted(&app, "host-meta", webfinger::host_meta(&app, json))
        });
    let host_meta_json = warp::path!(".well-known" / "host-meta.json")
        .and(warp::get())
        .and(with_app(app.clone()))
        .map(|app: App| counted(&app, "host-meta", webfinger::host_meta(&app, true)));
    let nodeinfo_links = warp::path!(".well-known" / "nodeinfo")
        .and(warp::get())
        .and(with_app(app.clone()))
        .map(|app: App| counted(&app, "nodeinfo", webfinger::nodeinfo_links(&app)));
    let nodeinfo = warp::path!("nodeinfo" / "2.1")
        .and(warp::get())
        .and(with_app(app.clone()))
        .map(|app: App| counted(&app, "nodeinfo", webfinger::nodeinfo(&app)));
    let actor = warp::path!("users" / String)
        .and(warp::get())
        .and(accept())
        .and(with_app(app.clone()))
        .then(|h: String, accept: Option<String>, app: App| async move {
            let r = actors::actor_route(&app, &h, accept.as_deref()).await;
            counted(&app, "actor", r)
        });
    let feed = warp::path!("users" / String / "feed.atom")
        .and(warp::get())
        .and(warp::query::<HashMap<String, String>>())
        .and(with_app(app.clone()))
        .then(
            |h: String, q: HashMap<String, String>, app: App| async move {
                let r = feed::feed_route(&app, &h, &q).await;
                counted(&app, "feed", r)
            },
        );
    let profile_page = warp::path::param::<String>()
        .and(warp::path::end())
        .and(warp::get())
        .and(with_app(app.clone()))
        .and_then(|segment: String, app: App| async move {
            let Some(h) = profile::handle_of_segment(&segment) else {
                return Err(warp::reject::not_found());
            };
            let r = profile::profile_route(&app, &h).await;
            Ok::<_, warp::Rejection>(counted(&app, "profile", r))
        });
    let authorize_interaction = warp::path!("authorize_interaction")
        .and(warp::get())
        .and(warp::query::<HashMap<String, String>>())
        .and(with_app(app.clone()))
        .map(|q: HashMap<String, String>, app: App| {
            counted(
                &app,
                "authorize_interaction",
                profile::authorize_interaction_route(&q),
            )
        });
    // Boxed: one more level in the chain below instead of three keeps warp's nested filter
    // type (and the compile time) small.
    let ostatus_face = feed
        .or(profile_page)
        .unify()
        .or(authorize_interaction)
        .unify()
        .boxed();
    let collection = warp::path!("users" / String / String)
        .and(warp::get())
        .and(warp::query::<HashMap<String, String>>())
        .and(with_app(app.clone()))
        .and_then(
            |h: String, which: String, q: HashMap<String, String>, app: App| async move {
                let which = match which.as_str() {
                    "outbox" => actors::Collection::Outbox,
                    "followers" => actors::Collection::Followers,
                    "following" => actors::Collection::Following,
                    _ => return Err(warp::reject::not_found()),
                };
                let r = actors::collection_route(&app, &h, which, &q).await;
                Ok::<_, warp::Rejection>(counted(&app, "collection", r))
            },
        );
    let entry = warp::path!("users" / String / "entries" / String)
        .and(warp::get())
        .and(with_app(app.clone()))
        .then(|h: String, seq: String, app: App| async move {
            let r = actors::entry_route(&app, &h, &seq).await;
            counted(&app, "entry", r)
        });
    let legacy = warp::path("legacy")
        .and(warp::get())
        .and(warp::path::full())
        .and(with_app(app.clone()))
        .then(|path: warp::path::FullPath, app: App| async move {
            let r = actors::legacy_route(&app, path.as_str()).await;
            counted(&app, "legacy", r)
        });
    let inbox_body = warp::post()
        .and(warp::path::full())
        .and(raw_query())
        .and(warp::host::optional())
        .and(warp::header::headers_cloned())
        .and(body::within(max_body));
    let personal_inbox = warp::path!("users" / String / "inbox")
        .map(Some)
        .and(inbox_body.clone())
        .and(with_app(app.clone()))
        .then(inbox_handler);
    let shared_inbox = warp::path!("inbox")
        .map(|| None)
        .and(inbox_body)
        .and(with_app(app.clone()))
        .then(inbox_handler);
    let salmon_body = warp::post()
        .and(warp::header::optional::<String>("content-type"))
        .and(body::within(max_body));
    let personal_salmon = warp::path!("users" / String / "salmon")
        .map(Some)
        .and(salmon_body.clone())
        .and(with_app(app.clone()))
        .then(salmon_handler);
    let shared_salmon = warp::path!("salmon")
        .map(|| None)
        .and(salmon_body)
        .and(with_app(app.clone()))
        .then(salmon_handler);
    let websub_verify = warp::path!("websub" / "callback" / String)
        .and(warp::get())
        .and(raw_query())
        .and(with_app(app.clone()))
        .then(|id: String, q: String, app: App| async move {
            let r = websub_callback::verify_route(&app, &id, &q).await;
            counted(&app, "websub-callback", r)
        });
    let websub_push = warp::path!("websub" / "callback" / String)
        .and(warp::post())
        .and(warp::header::headers_cloned())
        .and(body::within(max_body))
        .and(with_app(app.clone()))
        .then(
            |id: String, headers: HeaderMap, body: Bytes, app: App| async move {
                let r = websub_callback::push_route(&app, &id, &headers, &body).await;
                counted(&app, "websub-callback", r)
            },
        );
    // Every route boxed and joined one at a time: warp's nested `Or` types otherwise grow
    // with every route and the compiler spends hours on them.
    let rest: [Route; 20] = [
        metrics.boxed(),
        translate.boxed(),
        lookup.boxed(),
        webfinger.boxed(),
        host_meta.boxed(),
        host_meta_json.boxed(),
        nodeinfo_links.boxed(),
        nodeinfo.boxed(),
        actor.boxed(),
        entry.boxed(),
        ostatus_face.boxed(),
        collection.boxed(),
        legacy.boxed(),
        personal_inbox.boxed(),
        shared_inbox.boxed(),
        hub::route(app.clone()).boxed(),
        personal_salmon.boxed(),
        shared_salmon.boxed(),
        websub_verify.boxed(),
        websub_push.boxed(),
    ];
    rest.into_iter()
        .fold(health.boxed(), |a, b| a.or(b).unify().boxed())
        .recover(errors::rejection_reply)
        .unify()
}

async fn salmon_handler(
    handle: Option<String>,
    content_type: Option<String>,
    body: Bytes,
    app: App,
) -> Response {
    let r = salmon::salmon_route(&app, handle.as_deref(), content_type.as_deref(), &body).await;
    counted(&app, "salmon", r)
}

#[allow(clippy::too_many_arguments)]
async fn inbox_handler(
    handle: Option<String>,
    path: warp::path::FullPath,
    query: String,
    authority: Option<warp::host::Authority>,
    mut headers: HeaderMap,
    body: Bytes,
    app: App,
) -> Response {
    if !headers.contains_key(warp::http::header::HOST)
        && let Some(a) = authority
        && let Ok(v) = warp::http::HeaderValue::from_str(a.as_str())
    {
        headers.insert(warp::http::header::HOST, v);
    }
    let target = if query.is_empty() {
        path.as_str().to_string()
    } else {
        format!("{}?{query}", path.as_str())
    };
    let post = inbox::InboxPost {
        handle,
        target,
        headers,
        body,
    };
    let r = inbox::inbox_route(&app, post).await;
    counted(&app, "inbox", r)
}

/// `/metrics`: the counters, with the queue depth read now.
async fn metrics_reply(app: &App) -> Response {
    match app.store.queue_len().await {
        Ok(n) => app.metrics.set_queue_depth(n as u64),
        Err(e) => tracing::warn!(error = %e, "queue length unavailable for /metrics"),
    }
    errors::text_reply(app.metrics.render(), "text/plain; version=0.0.4")
}

/// The whole bridge until `shutdown` completes: the HTTP face ([`run`]), the delivery worker
/// that empties the durable queue, the poller that feeds it from hubless legacy feeds, and
/// the WebSub hub's upkeep (pending verifications, expired leases) and the WebSub
/// subscriber's renewals. Returns once all have stopped; the caller flushes the store. `cli serve` and the
/// end-to-end tests start the bridge through this one function.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), state::StateError> {
    let public_url = url::Url::parse(&app.config.server.public_url)?;
    let worker = crate::delivery::Worker::new(
        app.store.clone(),
        app.fetcher.clone(),
        (*app.urls).clone(),
        app.metrics.clone(),
        crate::delivery::Settings::from_config(&app.config.delivery),
    );
    let poller = crate::poll::Poller::new(
        app.store.clone(),
        app.fetcher.clone(),
        &public_url,
        crate::poll::PollSettings::from_config(&app.config),
        worker.waker(),
    );
    let subscriber = websub_callback::subscriber(&app)?;
    // One signal, watched by all of them.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |rx: &tokio::sync::watch::Receiver<bool>| {
        let mut rx = rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let websub_hub = hub::hub_for(&app);
    let tasks = [
        tokio::spawn(worker.run(stopped(&stop_rx))),
        tokio::spawn(poller.run(stopped(&stop_rx))),
        tokio::spawn(websub_hub.maintain(stopped(&stop_rx))),
        tokio::spawn(subscriber.run(stopped(&stop_rx))),
        tokio::spawn(run(listener, app, stopped(&stop_rx))),
    ];
    drop(stop_rx);
    shutdown.await;
    let _ = stop_tx.send(true);
    for t in tasks {
        if let Err(e) = t.await {
            tracing::error!(error = %e, "a bridge task failed");
        }
    }
    Ok(())
}

/// Serves until `shutdown` completes, then finishes in-flight requests and returns.
pub async fn run(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, public_url = %app.urls.base(), "listening");
    }
    warp::serve(routes(app))
        .incoming(listener)
        .graceful(shutdown)
        .run()
        .await;
    tracing::info!("server stopped");
}

fn translate_reply(app: &App, q: TranslateQuery, body: &[u8]) -> Response {
    use warp::Reply;
    let config = &app.config;
    let from = match q.from.as_deref().map(str::parse::<Format>).transpose() {
        Ok(f) => f,
        Err(e) => return plain(StatusCode::BAD_REQUEST, format!("from: {e}\n")),
    };
    let to = match q.to.parse::<Format>() {
        Ok(f) => f,
        Err(e) => return plain(StatusCode::BAD_REQUEST, format!("to: {e}\n")),
    };
    let base_url = match url::Url::parse(&config.server.public_url) {
        Ok(u) => u,
        Err(e) => {
            return plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("public_url: {e}\n"),
            );
        }
    };
    let opts = translate::Options {
        from,
        to,
        base_url,
        limits: config.translate.limits(),
        sanitize: config.translate.sanitize_html,
    };
    match translate::translate(body, &opts) {
        Ok((_, out)) => {
            let ctype = match to {
                Format::Atom => "application/atom+xml; charset=utf-8",
                Format::As2 => "application/activity+json",
                Format::Pump | Format::Feed => "application/json",
            };
            warp::reply::with_header(out, "content-type", ctype).into_response()
        }
        Err(TranslateError::Decode(e)) => {
            let status = match e {
                crate::codec::DecodeError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                _ => StatusCode::BAD_REQUEST,
            };
            plain(status, format!("{e}\n"))
        }
        Err(e @ TranslateError::ReadOnly(_)) => plain(StatusCode::BAD_REQUEST, format!("{e}\n")),
    }
}
