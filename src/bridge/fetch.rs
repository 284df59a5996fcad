//! Fetching an object the bridge has not seen (a parent of a reply, the target of a like):
//! ActivityPub first, then Atom, then the HTML page, whose `rel=alternate` link (in the page
//! or in the HTTP `Link` header) names one of the other two. Mastodon 2.x and Pleroma fetched
//! unknown statuses this way, and GNU social notices are often only known by their page.

use serde_json::{Map, Value};
use url::Url;

use super::BridgeError;
use crate::codec::{self, Format};
use crate::model::{Activity, Document};
use crate::net::{Accept, Fetched};
use crate::server::App;

/// An object as fetched.
#[derive(Debug, Clone)]
pub enum RemoteObject {
    /// An ActivityPub object.
    ActivityPub(Map<String, Value>),
    /// An Atom entry (OStatus).
    Atom(Box<Activity>),
}

impl RemoteObject {
    /// The id of the author: AS2 `attributedTo` (or `actor`), Atom `author/uri`.
    pub fn author(&self) -> Option<String> {
        match self {
            RemoteObject::ActivityPub(m) => m
                .get("attributedTo")
                .or_else(|| m.get("actor"))
                .and_then(|a| match a {
                    Value::Array(l) => l.first(),
                    other => Some(other),
                })
                .and_then(crate::codec::json::id_of)
                .map(str::to_string),
            RemoteObject::Atom(a) => a
                .actor
                .as_deref()
                .or(a.props.author.as_deref())
                .and_then(|x| x.props.id.clone()),
        }
    }
}

const AP_TYPES: [&str; 2] = ["application/activity+json", "application/ld+json"];
const ATOM_TYPES: [&str; 1] = ["application/atom+xml"];

/// The `rel=alternate` target of a `Link` header with one of `types`.
fn link_header_alternate(f: &Fetched, types: &[&str]) -> Option<String> {
    let header = f.header(warp::http::header::LINK)?;
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let params = params.to_ascii_lowercase();
        let alternate = params.contains("rel=\"alternate\"") || params.contains("rel=alternate");
        let typed = types.iter().any(|t| params.contains(t));
        (alternate && typed).then(|| {
            target
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

fn read(app: &App, f: &Fetched) -> Result<Option<RemoteObject>, BridgeError> {
    let media = f.media_type().unwrap_or_default();
    if AP_TYPES.iter().any(|t| media.contains(t)) {
        let m = codec::json::parse_object(&f.body, &app.limits())
            .map_err(|e| BridgeError::Remote(format!("{}: {e}", f.url)))?;
        return Ok(Some(RemoteObject::ActivityPub(m)));
    }
    if media.contains("atom") || media.contains("xml") {
        let doc = codec::decode(Format::Atom, &f.body, &app.limits())
            .map_err(|e| BridgeError::Remote(format!("{}: {e}", f.url)))?;
        let entry = match doc {
            Document::Activity(a) => Some(a),
            Document::Feed(feed) => feed.entries.into_iter().next(),
        };
        return Ok(entry.map(|a| RemoteObject::Atom(Box::new(a))));
    }
    Ok(None)
}

/// Fetches the object at `url` (see the module documentation); at most one `alternate` hop.
pub async fn fetch_object(app: &App, url: &str) -> Result<RemoteObject, BridgeError> {
    let parsed =
        Url::parse(url).map_err(|_| BridgeError::Malformed(format!("{url:?} is not a URL")))?;
    let get = |u: Url| async move {
        app.fetcher
            .get(&u, Accept::Object, &[])
            .await
            .map_err(|e| BridgeError::Remote(format!("{u}: {e}")))
    };
    let first = get(parsed).await?;
    if let Some(found) = read(app, &first)? {
        return Ok(found);
    }
    let html = String::from_utf8_lossy(&first.body);
    let next = link_header_alternate(&first, &AP_TYPES)
        .or_else(|| crate::identity::discover::alternate_link(&html, &AP_TYPES))
        .or_else(|| link_header_alternate(&first, &ATOM_TYPES))
        .or_else(|| crate::identity::discover::alternate_link(&html, &ATOM_TYPES))
        .ok_or_else(|| BridgeError::Remote(format!("{url}: no ActivityPub or Atom alternate")))?;
    let next = first
        .url
        .join(&next)
        .map_err(|_| BridgeError::Remote(format!("{url}: bad alternate link {next:?}")))?;
    let second = get(next.clone()).await?;
    read(app, &second)?
        .ok_or_else(|| BridgeError::Remote(format!("{next}: neither ActivityPub nor Atom")))
}
