//! `POST /hub`: the WebSub hub for puppet feeds. The route only reads the form body and
//! writes the answer; [`crate::websub::hub`] decides.

use warp::Filter;
use warp::http::StatusCode;
use warp::hyper::body::Bytes;
use warp::reply::Response;

use super::errors::{Status, error_reply, plain};
use super::{App, counted, with_app};
use crate::websub::hub::{Hub, HubError, HubSettings};

impl Status for HubError {
    fn status(&self) -> StatusCode {
        HubError::status(self)
    }
}

/// The hub of `app`, with its settings from `[websub]`.
pub fn hub_for(app: &App) -> Hub {
    Hub::new(
        app.store.clone(),
        app.fetcher.clone(),
        app.urls.clone(),
        HubSettings::from_config(&app.config.websub),
    )
}

/// `POST /hub` with a form body (at most `security.max_body_bytes`); one [`Hub`] for every
/// request, so its verification cap holds across them.
pub fn route(app: App) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    let hub = hub_for(&app);
    warp::path!("hub")
        .and(warp::post())
        .and(super::body::within(app.config.security.max_body_bytes))
        .and(with_app(app))
        .then(move |body: Bytes, app: App| {
            let hub = hub.clone();
            async move {
                let r = match hub.handle(&body).await {
                    Ok(accepted) => plain(accepted.status(), ""),
                    Err(e) => error_reply(&e),
                };
                counted(&app, "hub", r)
            }
        })
}
