//! HTML for legacy servers and their users: the profile page of a puppet with an OStatus
//! face (`GET /@<handle>`), and the page behind the OStatus subscribe template
//! (`GET /authorize_interaction?uri=…`).
//!
//! GNU social and Mastodon 2.x find a feed from a profile URL by its
//! `<link rel="alternate" type="application/atom+xml">` (or the same in the `Link` header), so
//! the page carries both; everything shown is escaped, since names and bios are remote text.

use std::collections::HashMap;

use warp::Reply;
use warp::http::StatusCode;
use warp::http::header::HeaderValue;
use warp::reply::Response;

use super::errors::{plain, text_reply};
use super::face::{Face, face_of, face_puppet, source_actor};
use super::state::App;
use crate::codec::xml::{escape_attr, escape_text};

/// The handle in a profile page path segment: `@handle` (or its percent-encoded `%40`).
pub(super) fn handle_of_segment(segment: &str) -> Option<String> {
    let h = segment
        .strip_prefix('@')
        .or_else(|| segment.strip_prefix("%40"))?;
    (!h.is_empty()).then(|| h.to_string())
}

/// `GET /@<handle>`: the OStatus face's profile page; a puppet with an ActivityPub face is
/// sent to its legacy profile page.
pub(super) async fn profile_route(app: &App, handle: &str) -> Response {
    let puppet = match app.store.get_puppet_by_handle(handle).await {
        Ok(Some(p)) => p,
        Ok(None) => return plain(StatusCode::NOT_FOUND, format!("no puppet {handle:?}\n")),
        Err(e) => return super::errors::error_reply(&super::errors::StoreFailure(e)),
    };
    if face_of(&puppet) == Face::ActivityPub {
        let record = super::lookup::StoredProfile::from_puppet(&puppet);
        return match record
            .endpoints
            .profile
            .and_then(|p| p.parse::<warp::http::Uri>().ok())
        {
            Some(uri) => warp::redirect::see_other(uri).into_response(),
            None => plain(
                StatusCode::NOT_FOUND,
                format!("no profile page for {handle:?}\n"),
            ),
        };
    }
    let face = face_puppet(app, &puppet);
    let source = source_actor(app, &puppet);
    let feed = app.urls.feed(handle);
    let mut html = String::with_capacity(1024);
    html.push_str("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>");
    escape_text(&mut html, &face.title);
    html.push_str("</title>\n");
    for (rel, ty, href) in [
        ("alternate", Some("application/atom+xml"), feed.as_str()),
        ("salmon", None, app.urls.salmon(handle).as_str()),
        ("hub", None, app.urls.hub().as_str()),
    ] {
        html.push_str("<link rel=\"");
        html.push_str(rel);
        html.push('"');
        if let Some(t) = ty {
            html.push_str(" type=\"");
            html.push_str(t);
            html.push('"');
        }
        html.push_str(" href=\"");
        escape_attr(&mut html, href);
        html.push_str("\">\n");
    }
    html.push_str("</head>\n<body>\n<div class=\"h-card\">\n");
    if let Some(avatar) = face.author.avatar() {
        html.push_str("<img class=\"u-photo\" alt=\"\" src=\"");
        escape_attr(&mut html, &avatar.url);
        html.push_str("\">\n");
    }
    html.push_str("<h1 class=\"p-name\">");
    escape_text(&mut html, &face.title);
    html.push_str("</h1>\n<p class=\"p-nickname\">@");
    escape_text(&mut html, &format!("{handle}@{}", app.urls.authority()));
    html.push_str("</p>\n");
    if let Some(bio) = &face.author.props.summary {
        html.push_str("<p class=\"p-note\">");
        escape_text(&mut html, &bio.value);
        html.push_str("</p>\n");
    }
    if let Some(url) = source.as_ref().and_then(|a| a.props.url.as_deref()) {
        html.push_str("<p>Bridged from <a class=\"u-url\" href=\"");
        escape_attr(&mut html, url);
        html.push_str("\">");
        escape_text(&mut html, url);
        html.push_str("</a>.</p>\n");
    }
    html.push_str("</div>\n</body>\n</html>\n");
    let mut r = text_reply(html, "text/html; charset=utf-8");
    let link = format!("<{feed}>; rel=\"alternate\"; type=\"application/atom+xml\"");
    if let Ok(v) = HeaderValue::from_str(&link) {
        r.headers_mut().insert(warp::http::header::LINK, v);
    }
    r
}

/// `GET /authorize_interaction?uri=…`, the target of the puppets' subscribe template. A
/// puppet follows no one on its own, so the page says to follow from one's own server.
pub(super) fn authorize_interaction_route(q: &HashMap<String, String>) -> Response {
    let mut html = String::from(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>Remote follow</title>\n</head>\n<body>\n<p>",
    );
    match q.get("uri").map(|u| u.trim()).filter(|u| !u.is_empty()) {
        Some(uri) => {
            html.push_str("Accounts on this bridge stand for accounts elsewhere and cannot follow anyone. To follow ");
            escape_text(&mut html, uri);
            html.push_str(", sign in to your own server and search for it there.");
        }
        None => html.push_str("No account was given (uri is missing)."),
    }
    html.push_str("</p>\n</body>\n</html>\n");
    let status = if q.contains_key("uri") {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut r = text_reply(html, "text/html; charset=utf-8");
    *r.status_mut() = status;
    r
}
