//! The HTTP face (warp). For now: health and an on-demand translation endpoint; the
//! ActivityPub and OStatus faces are built on top of it.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;
use warp::Filter;
use warp::http::StatusCode;
use warp::hyper::body::Bytes;

use crate::codec::Format;
use crate::config::Config;
use crate::translate::{self, TranslateError};

/// Query of `POST /api/translate`.
#[derive(Debug, serde::Deserialize)]
struct TranslateQuery {
    from: Option<String>,
    to: String,
}

/// Serves until `shutdown` completes, then finishes in-flight requests and returns.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let config = Arc::new(config);
    let health = warp::path("healthz")
        .and(warp::path::end())
        .and(warp::get())
        .map(|| "ok\n");
    let max_body = config.security.max_body_bytes;
    let cfg = config.clone();
    let translate = warp::path!("api" / "translate")
        .and(warp::post())
        .and(warp::query::<TranslateQuery>())
        .and(warp::body::content_length_limit(max_body))
        .and(warp::body::bytes())
        .map(move |q: TranslateQuery, body: Bytes| translate_reply(&cfg, q, &body));
    let routes = health.or(translate).recover(rejection_reply);
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, public_url = %config.server.public_url, "listening");
    }
    warp::serve(routes)
        .incoming(listener)
        .graceful(shutdown)
        .run()
        .await;
    tracing::info!("server stopped");
}

fn plain(status: StatusCode, text: String) -> warp::reply::Response {
    use warp::Reply;
    warp::reply::with_status(text, status).into_response()
}

fn translate_reply(config: &Config, q: TranslateQuery, body: &[u8]) -> warp::reply::Response {
    use warp::Reply;
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

async fn rejection_reply(r: warp::Rejection) -> Result<warp::reply::Response, Infallible> {
    let (status, msg) = if r.is_not_found() {
        (StatusCode::NOT_FOUND, "not found".to_string())
    } else if r.find::<warp::reject::PayloadTooLarge>().is_some() {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            "request body too large".to_string(),
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
